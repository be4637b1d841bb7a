"""The trial report from a registry of 5,000 simulated patients (SQLite file; target < 30 s).

Simulates a trial of 5,000 screened patients through the registry's own services (``oncobasket simulate
trial``, seed 2026, 30 months), then times building the analysis dataset from the registry at the last day,
the endpoints (overall and by tumour group, drug, biomarker and site) and the full report (HTML, plots, PDF,
CSV). The simulation's own time is printed too; it is not part of the target. ``--patients N`` and
``--database FILE`` (reuse an existing simulated registry: the simulation is then skipped) are for trying.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from oncobasket.core.endpoints import endpoint_report
from oncobasket.io.report import ReportSource, write_trial_report
from oncobasket.io.simulation_sources import load_frequencies
from oncobasket.services import Registry, Settings, simulate_trial, utc_now
from oncobasket.services.analysis import build_analysis_dataset

TARGET_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--database", type=Path, default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = arguments.database or Path(folder) / "registry.db"
        registry = Registry.open(Settings(database_url=f"sqlite:///{database}", user="benchmark", clock=utc_now))
        try:
            if arguments.database is None or not database.exists() or database.stat().st_size == 0:
                begin = time.perf_counter()
                result = simulate_trial(
                    registry, patients=arguments.patients, seed=2026, months=30, frequencies=load_frequencies()
                )
                seconds = time.perf_counter() - begin
                treated = result["recorded"].get("treated", 0)
                print(
                    f"simulated {arguments.patients} patients ({treated} treated) through the services in "
                    f"{seconds:.1f} s ({seconds / arguments.patients * 1000:.1f} ms per patient)"
                )
            as_of = datetime.now(UTC).date()
            begin = time.perf_counter()
            dataset = build_analysis_dataset(registry, as_of=as_of)
            build_seconds = time.perf_counter() - begin
            print(f"analysis dataset of {len(dataset.rows)} rows from the registry: {build_seconds:.2f} s")
        finally:
            registry.close()
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
        print(f"full report (HTML, plots, PDF of {files.pdf.stat().st_size // 1024} KiB, CSV): {report_seconds:.2f} s")
    total = build_seconds + endpoints_seconds + report_seconds
    verdict = "met" if total < TARGET_SECONDS else "MISSED"
    print(f"dataset + endpoints + report: {total:.2f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")


if __name__ == "__main__":
    main()
