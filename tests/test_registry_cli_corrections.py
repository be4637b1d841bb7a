"""`mtb decide --option`, `--correct --reason` on `mtb decide` and `outcome record`, and study IDs that look
like national identity numbers, as a coordinator types them, on SQLite and PostgreSQL: JSON and text output,
one-line errors that never repeat a rejected study ID, and nothing written when a command fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command

from oncobasket.db.session import Database, alembic_config
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures
from test_registry_cli import Cli, _ob0001, _patient

ERBB2_COHORT = "ERBB2 amplification / Pancreatic / Pertuzumab+Trastuzumab"
DECIDE_C = ("mtb", "decide", "IMP-0001", "--decision", "C", "--rationale", "RET fusion", "--meeting-date", "2024-04-30")


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


def test_decision_c_with_its_option_in_json_text_and_audit(cli: Cli) -> None:
    _patient(cli)
    code, out, _ = cli.run(*DECIDE_C, "--option", "early-access")
    assert code == 0
    assert "decision C for IMP-0001 (2024-04-30): early_access" in out
    shown = cli.json("patient", "show", "IMP-0001")["decision"]
    assert (shown["decision"], shown["non_trial_option"], shown["corrects"]) == ("C", "early_access", None)
    code, out, _ = cli.run("patient", "show", "IMP-0001")
    assert "decision: C early_access" in out
    (event,) = [event for event in cli.json("audit", "--patient", "IMP-0001") if event["action"] == "decision.record"]
    assert event["after"]["non_trial_option"] == "early_access"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (DECIDE_C, "field '--option': decision C (non-trial option) needs the option the board recommends"),
        ((*DECIDE_C, "--option", "palliative"), "field '--option': 'palliative' is not a non-trial option"),
        (
            ("mtb", "decide", "IMP-0001", "--decision", "D", "--option", "standard_care", *DECIDE_C[5:]),
            "decision D (no treatment proposal) names no non-trial option",
        ),
        ((*DECIDE_C, "--option", "other_trial", "--reason", "typo"), "--reason is only given with --correct"),
        ((*DECIDE_C, "--option", "other_trial", "--correct"), "field '--reason': a correction needs its reason"),
        (
            (*DECIDE_C, "--option", "other_trial", "--correct", "--reason", "typo"),
            "has no tumour-board decision to correct",
        ),
        (("outcome", "record", "IMP-0001", "--outcome", "benefit", "--correct"), "entered by hand needs its reason"),
        (("outcome", "record", "IMP-0001", "--outcome", "benefit"), "entered by hand needs its reason"),
    ],
)
def test_malformed_options_and_corrections_are_one_line_and_write_nothing(
    cli: Cli, arguments: tuple[str, ...], message: str
) -> None:
    _patient(cli)
    before = cli.json("audit")
    assert message in cli.fails(*arguments)
    assert cli.json("audit") == before


def test_a_decision_is_corrected_only_with_correct_and_a_reason(cli: Cli) -> None:
    _patient(cli)
    cli.json(*DECIDE_C, "--option", "other_trial")
    error = cli.fails(*DECIDE_C, "--option", "standard_care")
    assert "already has decision C (meeting 2024-04-30) for this case (not screened)" in error
    assert "--correct --reason TEXT" in error
    corrected = cli.json(*DECIDE_C, "--option", "standard_care", "--correct", "--reason", "the other trial closed")
    assert (corrected["non_trial_option"], corrected["correction_reason"]) == (
        "standard_care",
        "the other trial closed",
    )
    code, out, _ = cli.run(
        "mtb", "decide", "IMP-0001", "--decision", "D", "--rationale", "deteriorated", "--meeting-date", "2024-05-01",
        "--correct", "--reason", "re-discussed",
    )  # fmt: skip
    assert code == 0
    assert f"corrects decision {corrected['id']} (re-discussed)" in out
    trail = cli.json("audit", "--patient", "IMP-0001")
    decisions = [(event["action"], event["after"]["decision"]) for event in trail if "decision" in event["action"]]
    assert decisions == [("decision.record", "C"), ("decision.correct", "C"), ("decision.correct", "D")]


def test_an_outcome_is_corrected_only_with_correct_and_a_reason(cli: Cli, examples: Path) -> None:
    _patient(cli)
    cli.json("screen", _ob0001(examples), "--patient", "IMP-0001")
    cli.json(
        "mtb", "decide", "IMP-0001", "--decision", "A", "--drug", "pertuzumab+trastuzumab",
        "--biomarker", "ERBB2 amplification", "--rationale", "ERBB2", "--meeting-date", "2024-04-30",
    )  # fmt: skip
    cli.json("consent", "IMP-0001", "--date", "2024-05-01")
    cli.json("enrol", "IMP-0001")
    assert (
        cli.json("outcome", "record", "IMP-0001", "--outcome", "no_benefit", "--reason", "external review")["corrected"]
        is False
    )
    assert cli.json("audit", "--patient", "IMP-0001")[-1]["after"]["reason"] == "external review"
    error = cli.fails("outcome", "record", "IMP-0001", "--outcome", "benefit", "--reason", "again")
    assert "already has week-16 outcome no_benefit" in error
    assert "oncobasket outcome record IMP-0001 --outcome benefit --correct --reason TEXT" in error

    code, out, _ = cli.run(
        "outcome", "record", "IMP-0001", "--outcome", "benefit", "--correct", "--reason", "W16 scan re-read: SD"
    )
    assert code == 0
    assert "IMP-0001: benefit in " in out
    assert "corrected from no_benefit: W16 scan re-read: SD" in out
    assert "cohort stage1_open -> stage2_open: correction: the patient at place 1" in out
    shown = cli.json("patient", "show", "IMP-0001")["enrolments"][0]
    assert shown["outcome_corrections"][0]["reason"] == "W16 scan re-read: SD"
    code, out, _ = cli.run("patient", "show", "IMP-0001")
    assert "outcome corrected no_benefit -> benefit" in out
    last = cli.json("audit", "--patient", "IMP-0001")[-1]
    assert (last["action"], last["before"]["outcome"], last["after"]["outcome"]) == (
        "outcome.correct",
        "no_benefit",
        "benefit",
    )
    # Undoing it would reverse the opening of stage 2: refused, nothing written.
    before = cli.json("audit")
    error = cli.fails("outcome", "record", "IMP-0001", "--outcome", "no_benefit", "--correct", "--reason", "again")
    assert "would reverse a cohort decision already taken" in error
    assert cli.json("audit") == before


# ---------------------------------------------------------------------------------------------
# Study IDs that look like national identity numbers (the values below are made up)
# ---------------------------------------------------------------------------------------------

LOOKS_NATIONAL = ["01019012345", "010190-12345", "010190.12345", "IMP-01019012345", "x_010190_12345"]


@pytest.mark.parametrize("study_id", LOOKS_NATIONAL)
def test_a_study_id_shaped_like_a_national_id_is_refused_without_repeating_it(cli: Cli, study_id: str) -> None:
    error = cli.fails(
        "patient", "add", study_id, "--site", "OUS", "--sex", "F", "--birth-year", "1961", "--tumour-type", "PAAD"
    )
    assert "field 'STUDY_ID': looks like a national identity number" in error
    assert "use the trial's pseudonymous study ID, e.g. OB-0001" in error
    assert "01019" not in error
    assert "12345" not in error
    assert [event for event in cli.json("audit") if event["study_id"] is not None] == []


@pytest.mark.parametrize(
    "arguments",
    [
        ("patient", "show", "{id}"),
        ("consent", "{id}", "--date", "2024-05-01"),
        ("enrol", "{id}"),
        ("outcome", "record", "{id}", "--outcome", "benefit", "--reason", "re-read"),
        ("not-treated", "{id}", "--reason", "declined"),
        ("audit", "--patient", "{id}"),
        ("mtb", "decide", "{id}", "--decision", "D", "--rationale", "x", "--meeting-date", "2024-04-30"),
        ("screen", "nowhere.tsv", "--patient", "{id}"),
    ],
)
@pytest.mark.parametrize("study_id", ["01019012345", "Kari Nordmann"])
def test_no_command_repeats_an_invalid_study_id(cli: Cli, arguments: tuple[str, ...], study_id: str) -> None:
    error = cli.fails(*(item.replace("{id}", study_id) for item in arguments))
    assert study_id not in error
    assert "Nordmann" not in error
    assert "01019012345" not in error
    assert "pseudonymous study ID, e.g. OB-0001" in error


@pytest.mark.parametrize("study_id", ["OB-0001", "IMP-0001", "0101901234", "DRUP-2024-00017", "12345678901234"])
def test_ordinary_pseudonyms_are_accepted(cli: Cli, study_id: str) -> None:
    added = cli.json(
        "patient", "add", study_id, "--site", "OUS", "--sex", "F", "--birth-year", "1961", "--tumour-type", "PAAD"
    )
    assert added["study_id"] == study_id


def test_trial_init_migrates_a_revision_0001_database(
    database_url: str,  # noqa: F811
    protocol_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            command.upgrade(alembic_config(connection), "0001")
            connection.commit()
    finally:
        database.dispose()
    runner = Cli(database_url, capsys, monkeypatch)
    assert "run `oncobasket trial init` to migrate it" in runner.fails("cohort", "list")
    assert runner.json("trial", "init", "--protocol", str(protocol_file))["schema_revision"] == "0005"
    assert runner.json("cohort", "list") == []
