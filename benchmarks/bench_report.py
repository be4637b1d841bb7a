"""Endpoints and the full trial report for a generated analysis dataset of 5,000 patients (target < 30 s).

Prints the time to write and read the table (CSV and Parquet), to compute the endpoints overall and by
tumour group, drug and biomarker, and to write the whole report (HTML, plots, PDF, CSV tables). The
dataset is the tests' seeded synthetic generator (tests/analysis_tables.py), so the figures are comparable
between runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

# The generator lives with the tests that also use it; the benchmark borrows it rather than keep a copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from analysis_tables import random_dataset
from oncobasket.core.endpoints import endpoint_report
from oncobasket.io.analysis_table import read_analysis_table, write_analysis_table
from oncobasket.io.report import ReportSource, write_trial_report

PATIENTS = 5000
TARGET_SECONDS = 30.0


def main() -> None:
    started = time.perf_counter()
    dataset = random_dataset(PATIENTS, seed=2026)
    generated = time.perf_counter()
    treated = sum(row.treated for row in dataset.rows)
    print(f"generated {PATIENTS} screened patients ({treated} treated) in {generated - started:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        for name in ("analysis.csv", "analysis.parquet"):
            path = Path(folder) / name
            begin = time.perf_counter()
            write_analysis_table(dataset, path)
            written = time.perf_counter()
            read_back = read_analysis_table(path)
            done = time.perf_counter()
            assert read_back == dataset
            print(f"{name}: write {written - begin:.2f} s, read and check {done - written:.2f} s")
        begin = time.perf_counter()
        for by in (None, "tumour_group", "drug", "biomarker", "site"):
            endpoint_report(dataset.rows, by=by)
        endpoints_seconds = time.perf_counter() - begin
        print(f"endpoints overall and by 4 columns: {endpoints_seconds:.2f} s")
        begin = time.perf_counter()
        files = write_trial_report(
            dataset, Path(folder) / "report", ReportSource(data_source="benchmark", software_version="bench")
        )
        report_seconds = time.perf_counter() - begin
        print(
            f"full report (HTML, 6 plots, PDF of {files.pdf.stat().st_size // 1024} KiB, CSV): {report_seconds:.2f} s"
        )
    total = endpoints_seconds + report_seconds
    verdict = "met" if total < TARGET_SECONDS else "MISSED"
    print(f"endpoints + report: {total:.2f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")


if __name__ == "__main__":
    main()
