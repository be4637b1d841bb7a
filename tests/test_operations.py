"""Issue 13, operations: backup and restore give back every table as it was; `check` finds a registry's
schema revision, integrity and audit-trail gaps; logging carries no patient data."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from oncobasket.db.maintenance import AUDITED_TABLES, table_rows
from oncobasket.db.models import Base
from oncobasket.db.session import Database
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from test_registry_cli import Cli, _ob0001


@pytest.fixture
def cli(
    database_url: str,  # noqa: F811 - imported fixture
    protocol_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    runner = Cli(database_url, capsys, monkeypatch)
    runner.json("trial", "init", "--protocol", str(protocol_file))
    return runner


def _a_busy_registry(cli: Cli, examples: Path) -> None:
    """A registry with a row in every table a trial fills: patients, screening, decision, consent, enrolment..."""
    for study_id, site in (("OB-0001", "OUS"), ("OB-0002", "HUS")):
        code, _, err = cli.run("patient", "add", study_id, "--site", site, "--sex", "F", "--birth-year", "1961",
                               "--tumour-type", "PAAD", "--ecog", "1", "--lab", "anc=1.8")  # fmt: skip
        assert code == 0, err
    cli.json("screen", _ob0001(examples), "--patient", "OB-0001")
    decision = ["--decision", "A", "--drug", "dabrafenib+trametinib", "--biomarker", "BRAF V600 mutation"]
    cli.json("mtb", "decide", "OB-0001", *decision, "--rationale", "BRAF V600E", "--meeting-date", "2024-04-30")
    cli.json("consent", "OB-0001", "--date", "2024-05-01")
    cli.json("enrol", "OB-0001")
    cli.json("treatment", "start", "OB-0001", "--date", "2024-05-02", "--dose", "dabrafenib=150 mg",
             "--dose", "trametinib=2 mg")  # fmt: skip
    cli.json("outcome", "record", "OB-0001", "--outcome", "benefit", "--reason", "central review")
    cli.json("not-treated", "OB-0002", "--reason", "deteriorated")


def test_backup_and_restore_give_back_every_table(cli: Cli, examples: Path, tmp_path: Path) -> None:
    if not cli.url.startswith("sqlite") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    _a_busy_registry(cli, examples)
    source = Database(cli.url)
    before = table_rows(source)
    source.dispose()
    filled = ("patients", "screenings", "mtb_decisions", "consents", "enrolments", "not_treated", "treatments")
    assert all(before[name] for name in (*filled, "cohorts", "cohort_transitions", "audit_events"))
    out = tmp_path / "backups" / "trial.backup"
    result = cli.json("backup", "--out", str(out))
    assert result["bytes"] == out.stat().st_size > 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # A second backup to the same file is refused: nothing is overwritten without --force.
    err = cli.fails("backup", "--out", str(out))
    assert "exists" in err
    cli.json("backup", "--out", str(out), "--force")

    if cli.url.startswith("sqlite"):
        target_url = f"sqlite:///{tmp_path / 'restored' / 'trial.db'}"
    else:
        target_url = cli.url  # the same schema, replaced (pg_restore --clean)
        err = cli.fails("restore", str(out))
        assert "already holds a registry" in err
    restored = Cli(target_url, cli.capsys, cli.monkeypatch)
    arguments = ["restore", str(out)] + ([] if cli.url.startswith("sqlite") else ["--force"])
    report = restored.json(*arguments)
    assert report["ok"], report["problems"]
    target = Database(target_url)
    try:
        after = table_rows(target)
    finally:
        target.dispose()
    assert after == before
    assert restored.json("check")["ok"]


def test_restore_refuses_what_is_not_a_backup(cli: Cli, tmp_path: Path) -> None:
    if not cli.url.startswith("sqlite"):
        pytest.skip("the SQLite restore's own checks")
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    fresh = Cli(f"sqlite:///{tmp_path / 'new.db'}", cli.capsys, cli.monkeypatch)
    assert "is not a SQLite backup" in fresh.fails("restore", str(junk))
    assert "already holds a registry" in cli.fails("restore", str(junk))


def test_check_finds_a_row_without_its_audit_event(cli: Cli, examples: Path) -> None:
    _a_busy_registry(cli, examples)
    report = cli.json("check")
    assert report["ok"], report["problems"]
    assert report["schema"]["up_to_date"]
    assert report["rows"]["audit_events"] > 0
    # A row written around the services (a hand edit in the database) has no audit event.
    database = Database(cli.url)
    try:
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO consents (patient_id, consent_date, recorded_at) "
                    "SELECT id, consent_date, recorded_at FROM consents"
                )
            )
    finally:
        database.dispose()
    code, out, err = cli.run("check", "--json")
    assert code == 1
    found = json.loads(out)
    assert not found["ok"]
    assert list(found["missing_audit_events"]) == ["consents"]
    assert "have no audit event" in err


def test_every_audited_table_exists() -> None:
    assert set(AUDITED_TABLES) <= {table.name for table in Base.metadata.sorted_tables}


def test_check_of_an_empty_database(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", "check", "--database-url", f"sqlite:///{tmp_path / 'none.db'}",
         "--user", "monitor"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "problem: the database holds no OncoBasket trial registry" in done.stderr


def test_logging_has_its_format_and_no_patient_data(tmp_path: Path, examples: Path) -> None:
    environment = {**os.environ, "ONCOBASKET_LOG_LEVEL": "INFO"}
    url = f"sqlite:///{tmp_path / 'trial.db'}"

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "oncobasket.cli", *arguments, "--database-url", url, "--user", "nurse-1"],
            capture_output=True, text=True, check=False, env=environment,
        )  # fmt: skip

    assert run("trial", "init").returncode == 0
    added = run("patient", "add", "OB-0042", "--site", "Haukeland", "--sex", "F", "--birth-year", "1961",
                "--tumour-type", "PAAD")  # fmt: skip
    assert added.returncode == 0, added.stderr
    log_lines = [line for line in added.stderr.splitlines() if " INFO " in line]
    assert any("patient.add: patient 1 by nurse-1" in line for line in log_lines), added.stderr
    for line in log_lines:
        date, level, name, *_ = line.split(" ")
        assert date.endswith("Z")
        assert level == "INFO"
        assert name.startswith("oncobasket.")
        for personal in ("OB-0042", "Haukeland", "1961"):
            assert personal not in line


def _audit_events(url: str) -> list[dict[str, Any]]:
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text("SELECT * FROM audit_events"))]
    finally:
        database.dispose()


def test_logging_is_quiet_by_default(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    done = subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", "trial", "init", "--database-url", f"sqlite:///{tmp_path / 't.db'}",
         "--user", "nurse-1"],
        capture_output=True, text=True, check=False, env={k: v for k, v in os.environ.items()
                                                         if k != "ONCOBASKET_LOG_LEVEL"},
    )  # fmt: skip
    assert done.returncode == 0
    assert " INFO " not in done.stderr
    assert _audit_events(f"sqlite:///{tmp_path / 't.db'}")
