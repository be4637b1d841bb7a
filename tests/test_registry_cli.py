"""The trial commands as a coordinator runs them, on SQLite and PostgreSQL: JSON output, exit codes, one-line
errors for bad input and nothing written when a command fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from oncobasket.cli import main
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures

BRAF_COHORT = "BRAF V600 mutation / Pancreatic / Dabrafenib+Trametinib"


class Cli:
    """Runs ``oncobasket`` in this process through ``main()`` (the real error handling and exit codes)."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.url = url
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def run(self, *arguments: str, user: str = "coordinator-1") -> tuple[int, str, str]:
        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "argv", ["oncobasket", *arguments, "--database-url", self.url, "--user", user])
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = int(stop.code or 0)
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, *arguments: str) -> Any:
        code, out, err = self.run(*arguments, "--json")
        assert code == 0, err
        return json.loads(out)

    def fails(self, *arguments: str, code: int = 1) -> str:
        done, out, err = self.run(*arguments)
        assert done == code, (out, err)
        assert out == ""
        if code == 1:
            assert err.startswith("error: ")
            assert err.count("\n") == 1, err
        return err


@pytest.fixture
def cli(
    database_url: str,  # noqa: F811 - imported fixture
    protocol_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    runner = Cli(database_url, capsys, monkeypatch)
    initialised = runner.json("trial", "init", "--protocol", str(protocol_file))
    assert initialised["protocol"]["version"] == "test-1"
    return runner


def _ob0001(examples: Path) -> str:
    return str(examples / "tso500" / "run_2026-01" / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv")


def _patient(cli: Cli, study_id: str = "IMP-0001", *extra: str) -> Any:
    return cli.json(
        "patient", "add", study_id, "--site", "OUS", "--sex", "F", "--birth-year", "1961",
        "--tumour-type", "PAAD", "--icd10", "C25.0", "--ecog", "1", "--lab", "anc=1.8", "--lab", "platelets=210",
        "--prior-lines", "2", *extra,
    )  # fmt: skip


def test_a_patient_from_screening_to_a_cohort_decision(cli: Cli, examples: Path) -> None:
    patient = _patient(cli)
    assert patient["labs"] == {"anc": 1.8, "platelets": 210.0}
    screened = cli.json("screen", _ob0001(examples), "--patient", "IMP-0001")
    assert {match["drug"] for match in screened["matches"]} == {"dabrafenib+trametinib", "pertuzumab+trastuzumab"}
    decided = cli.json(
        "mtb", "decide", "IMP-0001", "--decision", "A", "--drug", "dabrafenib+trametinib",
        "--biomarker", "BRAF V600 mutation", "--rationale", "BRAF V600E", "--meeting-date", "2024-04-30",
    )  # fmt: skip
    assert (decided["cohort"], decided["cohort_opened"]) == (BRAF_COHORT, True)
    assert cli.json("consent", "IMP-0001", "--date", "2024-05-01")["consent_date"] == "2024-05-01"
    enrolled = cli.json("enrol", "IMP-0001")
    assert (enrolled["cohort"], enrolled["place"], enrolled["slots_left"]) == (BRAF_COHORT, 1, 29)
    recorded = cli.json("outcome", "record", "IMP-0001", "--outcome", "benefit", "--reason", "central review")
    assert recorded["cohort_status"] == "stage2_open"
    pooled = cli.json("cohort", "pool", BRAF_COHORT, "--source", "DRUP", "--evaluable", "6", "--benefit", "2")
    assert pooled["stage"] == 2
    (listed,) = cli.json("cohort", "list")
    assert listed["counts"]["benefit"] == 1
    assert listed["counts"]["pooled_benefit"] == 2
    assert listed["slots"]["left"] == 29

    code, out, _ = cli.run("cohort", "show", BRAF_COHORT)
    assert code == 0
    assert "status stage2_open (stage 2)" in out
    assert "pooled: 2 benefit among 6 evaluable; DRUP 2/6" in out
    assert "29 of 30 left in budget dabrafenib+trametinib" in out
    assert "next decision: stage 2:" in out
    code, out, _ = cli.run("cohort", "list")
    assert BRAF_COHORT in out
    assert "next decision" in out.splitlines()[0]
    assert listed["next_decision"] in out  # the whole text: what the cohort waits for

    trail = cli.json("audit", "--patient", "IMP-0001")
    assert [event["action"] for event in trail] == [
        "patient.add",
        "screening.add",
        "cohort.open",
        "decision.record",
        "consent.record",
        "enrolment.add",
        "cohort.transition",
        "outcome.record",
    ]
    assert {event["actor"] for event in trail} == {"coordinator-1"}
    code, out, _ = cli.run("audit", "--patient", "IMP-0001")
    assert code == 0
    header, _, *rows = out.splitlines()
    assert header.split() == ["at", "actor", "action", "study_id", "before", "after"]
    # An event that changed a value shows what it was before, not only what it became.
    (transition,) = [row for row in rows if "cohort.transition" in row]
    assert '"status": "stage1_open"' in transition


def test_the_acting_user_and_database_come_from_the_environment(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ONCOBASKET_DATABASE_URL", cli.url)
    monkeypatch.setenv("ONCOBASKET_USER", "research-nurse")
    monkeypatch.setattr(sys, "argv", ["oncobasket", "patient", "add", "IMP-0002", "--site", "HUS", "--sex", "M",
                                      "--birth-year", "1950", "--tumour-type", "COADREAD"])  # fmt: skip
    main()
    capsys.readouterr()
    (event,) = cli.json("audit", "--patient", "IMP-0002")
    assert event["actor"] == "research-nurse"


def test_not_treated_and_patient_show(cli: Cli) -> None:
    _patient(cli)
    recorded = cli.json("not-treated", "IMP-0001", "--reason", "palliative_care_only", "--note", "family wish")
    assert recorded["reason"] == "palliative_care_only"
    shown = cli.json("patient", "show", "IMP-0001")
    assert shown["not_treated"] == [{"reason": "palliative_care_only", "criterion": None, "note": "family wish"}]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("consent", "IMP-0001", "--date", "01.05.2024"), "field '--date': '01.05.2024' is not a date; write"),
        (
            ("mtb", "decide", "IMP-0001", "--decision", "E", "--rationale", "x", "--meeting-date", "2024-04-30"),
            "field '--decision': 'E' is not a tumour-board decision",
        ),
        (
            ("mtb", "decide", "IMP-0001", "--decision", "A", "--rationale", "x", "--meeting-date", "2024-13-01"),
            "'2024-13-01' is not a date",
        ),
        (
            ("mtb", "decide", "IMP-0404", "--decision", "D", "--rationale", "x", "--meeting-date", "2024-04-30"),
            "no patient with study ID 'IMP-0404'",
        ),
        (("enrol", "IMP-0001"), "has no tumour-board decision"),
        (("outcome", "record", "IMP-0001", "--outcome", "stable"), "'stable' is not a week-16 outcome"),
        (("not-treated", "IMP-0001", "--reason", "moved"), "'moved' is not a reason for not treating"),
        (("cohort", "show", "no such cohort"), "no cohort 'no such cohort'"),
        (("audit", "--patient", "IMP-0404"), "no patient with study ID 'IMP-0404'"),
        (("screen", "nowhere.tsv"), "batch screening (no --patient) needs --out"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_nothing_is_written(
    cli: Cli, arguments: tuple[str, ...], message: str
) -> None:
    _patient(cli)
    before = cli.json("audit")
    assert message in cli.fails(*arguments)
    assert cli.json("audit") == before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--lab", "anc:1.5"), "field '--lab': 'anc:1.5' is not a laboratory value; write it as name=value"),
        (("--sex", "X"), "'X' is not a sex code"),
        (("--tumour-type", "PANCREATIC"), "'PANCREATIC' is not an OncoTree code"),
    ],
)
def test_malformed_patient_values_are_refused(cli: Cli, extra: tuple[str, ...], message: str) -> None:
    arguments = ["patient", "add", "IMP-0001", "--site", "OUS", "--sex", "F", "--birth-year", "1961",
                 "--tumour-type", "PAAD"]  # fmt: skip
    for index in range(0, len(extra), 2):
        if extra[index] in arguments:
            arguments[arguments.index(extra[index]) + 1] = extra[index + 1]
        else:
            arguments += [extra[index], extra[index + 1]]
    assert message in cli.fails(*arguments)
    assert [event for event in cli.json("audit") if event["action"] == "patient.add"] == []


def test_a_duplicate_study_id_is_refused(cli: Cli) -> None:
    _patient(cli)
    assert "study ID 'IMP-0001' is already registered" in cli.fails(
        "patient", "add", "IMP-0001", "--site", "HUS", "--sex", "M", "--birth-year", "1950", "--tumour-type", "PAAD"
    )
    assert cli.json("patient", "show", "IMP-0001")["site"] == "OUS"


def test_a_missing_option_is_a_usage_error(cli: Cli) -> None:
    cli.fails("consent", "IMP-0001", code=2)


def test_a_database_from_a_newer_oncobasket_is_refused(cli: Cli) -> None:
    engine = create_engine(cli.url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    error = cli.fails("cohort", "list")
    assert "newer than this OncoBasket knows" in error
    assert "upgrade OncoBasket" in error


def test_commands_on_a_database_without_a_registry_say_to_run_trial_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = Cli(f"sqlite:///{tmp_path / 'empty.db'}", capsys, monkeypatch)
    assert "run `oncobasket trial init` first" in runner.fails("cohort", "list")


def test_the_installed_entry_point_uses_oncobasket_db_in_the_working_directory(tmp_path: Path) -> None:
    environment = {"PATH": "/usr/bin:/bin", "ONCOBASKET_USER": "ci"}

    def oncobasket(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "oncobasket.cli", *arguments],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            cwd=tmp_path,
            env=environment,
        )

    refused = oncobasket("cohort", "list", "--json")
    assert refused.returncode == 1
    assert "run `oncobasket trial init` first" in refused.stderr
    assert not (tmp_path / "oncobasket.db").exists()
    initialised = oncobasket("trial", "init", "--json")
    assert initialised.returncode == 0, initialised.stderr
    assert json.loads(initialised.stdout)["schema_revision"]
    assert (tmp_path / "oncobasket.db").exists()
    listed = oncobasket("cohort", "list", "--json")
    assert (listed.returncode, json.loads(listed.stdout)) == (0, [])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "field '--database-url': 'not a url' is not a database URL"),
        ("mysql://user@localhost/trial", "database 'mysql' is not supported"),
        ("postgresql+psycopg://nobody:secret@127.0.0.1:1/none", "cannot open the database"),
    ],
)
def test_a_bad_database_url_is_one_line_without_the_password(
    url: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    error = Cli(url, capsys, monkeypatch).fails("cohort", "list")
    assert message in error
    assert "secret" not in error
