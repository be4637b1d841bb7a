"""`make demo` runs the whole flow on the bundled examples; it must keep working end to end."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_trial_flow_on_the_bundled_examples(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", "demo", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    # The failed-QC sample's MSI is reported as not usable, with the metric that failed.
    assert "MSI QC failed: USABLE_MSI_SITES = 22 (guideline >= 40)" in output
    # The cholangiocarcinoma with BRAF V600E is offered the BRAF V600 cohort, then enrolled.
    assert "enrolled OB-0001 in BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib" in output
    # The week-16 benefit is computed from the measurements, not typed: a PR at day 112 (RECIST 1.1).
    assert "week 16: benefit (PR on 2026-06-02 (day 112): disease control at week 16)" in output
    assert "outcome record" not in output
    # Early progression of the tepotinib patient is no benefit, computed too.
    assert "outcome in the cohort: no_benefit" in output
    # One benefit among the first eight opens stage 2 at once (DRUP rule 0/8, 4/24).
    assert "cohort stage1_open -> stage2_open" in output
    assert "slots: 99 of 100 left in budget dabrafenib+trametinib" in output

    with (workdir / "matches.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert {"OB-0001", "OB-0003", "OB-0006"} <= {row["sample_id"] for row in rows}

    with sqlite3.connect(workdir / "trial.db") as connection:
        (enrolled,) = connection.execute("SELECT count(*) FROM enrolments").fetchone()
        (events,) = connection.execute("SELECT count(*) FROM audit_events").fetchone()
        (cycles,) = connection.execute("SELECT count(*) FROM treatment_cycles").fetchone()
        (lesions,) = connection.execute("SELECT count(*) FROM lesion_measurements").fetchone()
        computed = connection.execute("SELECT count(*) FROM audit_events WHERE action = 'outcome.compute'").fetchone()
    assert enrolled == 2
    assert events > 20
    assert cycles == 4
    assert lesions == 4 + 2 * 4 + 2 + 2
    assert computed == (2,)

    # The synthetic trial: 300 patients through the same services into a second registry, its report marked.
    assert "Synthetic trial (seed 2026): 300 patients screened" in output
    assert "refused by the services" not in output
    with sqlite3.connect(workdir / "simulated.db") as connection:
        (synthetic,) = connection.execute("SELECT count(*) FROM patients WHERE study_id LIKE 'SYN-%'").fetchone()
        (real,) = connection.execute("SELECT count(*) FROM patients WHERE study_id NOT LIKE 'SYN-%'").fetchone()
        (marks,) = connection.execute("SELECT count(*) FROM audit_events WHERE action = 'trial.simulate'").fetchone()
        (treated,) = connection.execute("SELECT count(*) FROM treatments").fetchone()
    assert (synthetic, real, marks) == (300, 0, 1)
    assert treated > 20
    report = workdir / "simulated-report" / "trial_report.html"
    assert "SYNTHETIC DATA" in report.read_text(encoding="utf-8")
    assert (workdir / "simulated-report" / "trial_report.pdf").stat().st_size > 0
    assert f"its report (synthetic data) is {workdir / 'simulated-report' / 'trial_report.pdf'}" in output
