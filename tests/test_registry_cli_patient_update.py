"""`patient update`, laboratory values, decisions for closed or held cohorts, a changed protocol under the same
version and a screening whose sample failed QC, as a coordinator types them, on SQLite and PostgreSQL: JSON and
text output, warnings on stderr, one-line errors naming field, rule and fix, and nothing written on error."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_database import TEST_PROTOCOL, database_url, protocol_file  # noqa: F401 - fixtures
from test_registry_cli import Cli, _patient

ERBB2_COHORT = "ERBB2 amplification / Pancreatic / Pertuzumab+Trastuzumab"
ERBB2 = ("--drug", "pertuzumab+trastuzumab", "--biomarker", "ERBB2 amplification")
MEETING = ("--rationale", "tumour board consensus", "--meeting-date", "2024-04-30")


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


ADD = ("patient", "add", "IMP-0001", "--site", "OUS", "--sex", "F", "--birth-year", "1961", "--tumour-type", "PAAD")


@pytest.mark.parametrize(
    ("labs", "message"),
    [
        (("--lab", "platelet=200"), "error: field '--lab': 'platelet' is not a laboratory name the eligibility "
                                    "criteria use; did you mean platelets? use one of anc (10^9/L)"),
        (("--lab", "anc=-5"), "error: field '--lab': anc = -5 is negative; a laboratory value is 0 or more; give the "
                              "measured value in 10^9/L"),
        (("--lab", "anc=inf"), "error: field '--lab': anc = inf is not a finite number"),
        (("--lab", "anc=nan"), "error: field '--lab': anc = nan is not a finite number"),
    ],
)  # fmt: skip
def test_patient_add_refuses_labs_the_criteria_cannot_use_and_writes_nothing(
    cli: Cli, labs: tuple[str, ...], message: str
) -> None:
    before = cli.json("audit")
    error = cli.fails(*ADD, "--lab", "platelets=200", *labs)
    assert error.startswith(message), error
    assert cli.json("audit") == before
    assert "no patient with study ID 'IMP-0001'" in cli.fails("patient", "show", "IMP-0001")


def test_patient_update_in_json_text_and_the_audit(cli: Cli) -> None:
    _patient(cli)
    updated = cli.json(
        "patient", "update", "IMP-0001", "--ecog", "2", "--lab", "anc=1.1", "--lab", "creatinine_clearance=55",
        "--prior-lines", "3", "--prior-therapy", "gemcitabine", "--reason", "pre-enrolment visit",
    )  # fmt: skip
    assert updated["changed"] == ["ecog", "labs", "prior_lines", "prior_therapies"]
    assert updated["before"] == {
        "ecog": 1,
        "labs": {"anc": 1.8, "platelets": 210.0},
        "prior_lines": 2,
        "prior_therapies": None,
    }
    assert updated["after"]["labs"] == {"anc": 1.1, "platelets": 210.0, "creatinine_clearance": 55.0}
    assert updated["after"]["prior_therapies"] == ["gemcitabine"]
    assert updated["reason"] == "pre-enrolment visit"
    assert updated["eligibility"] is None
    shown = cli.json("patient", "show", "IMP-0001")
    assert (shown["ecog"], shown["prior_lines"], shown["labs"]["anc"]) == (2, 3, 1.1)
    event = cli.json("audit", "--patient", "IMP-0001")[-1]
    assert (event["action"], event["before"]["ecog"], event["after"]["ecog"]) == ("patient.update", 1, 2)
    assert event["after"]["reason"] == "pre-enrolment visit"

    code, out, err = cli.run("patient", "update", "IMP-0001", "--ecog", "1")
    assert (code, err) == (0, "")
    assert out == "updated IMP-0001: ecog 2 -> 1\n"
    code, out, _ = cli.run("patient", "update", "IMP-0001", "--ecog", "1")
    assert out == "IMP-0001: no change (the values given are the registered ones)\n"


def test_patient_update_shows_the_decision_in_force_judged_on_the_new_values(cli: Cli) -> None:
    _patient(cli)
    cli.json("mtb", "decide", "IMP-0001", "--decision", "B", *ERBB2, *MEETING)
    code, out, _ = cli.run("patient", "update", "IMP-0001", "--ecog", "3", "--reason", "fracture")
    assert code == 0
    assert out.splitlines()[1].startswith(
        f"decision B (pertuzumab+trastuzumab, cohort {ERBB2_COHORT}), values in force: not confirmed eligible: "
        "ECOG 3: fails"
    )
    assert out.splitlines()[1].endswith("; `oncobasket enrol` judges these values")
    cli.json("consent", "IMP-0001", "--date", "2024-05-01")
    error = cli.fails("enrol", "IMP-0001")
    assert "is not confirmed eligible for pertuzumab+trastuzumab (ECOG 3" in error
    assert "`oncobasket patient update IMP-0001`" in error
    cli.json("patient", "update", "IMP-0001", "--ecog", "1", "--reason", "re-assessed")
    assert cli.json("enrol", "IMP-0001")["eligible"] is True


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "error: no new value is given: an update changes --ecog, --lab, --prior-lines or --prior-therapy; give"),
        (("--reason", "checked"), "error: no new value is given"),
        (("--ecog", "7"), "error: field '--ecog': ECOG 7 is outside 0-5; give the ECOG performance status 0-5"),
        (("--lab", "platelet=90"), "error: field '--lab': 'platelet' is not a laboratory name"),
        (("--lab", "anc=-1"), "error: field '--lab': anc = -1 is negative"),
        (("--lab", "anc=1", "--lab", "anc=2"), "error: field '--lab': laboratory value 'anc' is given twice"),
        (("--lab", "anc"), "error: field '--lab': 'anc' is not a laboratory value; write it as name=value"),
        (("--prior-lines", "-2"), "error: field '--prior-lines': -2 prior lines is negative"),
        (("--prior-therapy", "none", "--prior-therapy", "olaparib"), "error: field '--prior-therapy': 'none' cannot"),
        (("--ecog", "1", "--reason", " "), "error: field '--reason': the reason is empty"),
    ],
)  # fmt: skip
def test_malformed_updates_are_one_line_and_write_nothing(cli: Cli, arguments: tuple[str, ...], message: str) -> None:
    _patient(cli)
    before = cli.json("audit")
    error = cli.fails("patient", "update", "IMP-0001", *arguments)
    assert error.startswith(message), error
    assert cli.json("audit") == before
    assert cli.json("patient", "show", "IMP-0001")["ecog"] == 1


def test_updates_of_unknown_or_malformed_study_ids_are_refused(cli: Cli) -> None:
    assert "no patient with study ID 'IMP-0404'" in cli.fails("patient", "update", "IMP-0404", "--ecog", "1")
    error = cli.fails("patient", "update", "010190-12345", "--ecog", "1")
    assert "field 'STUDY_ID': looks like a national identity number" in error
    assert "12345" not in error
    cli.fails("patient", "update", "IMP-0001", "--ecog", "one", code=2)


# ---------------------------------------------------------------------------------------------
# mtb decide for closed and held cohorts
# ---------------------------------------------------------------------------------------------


def _enrol_erbb2(cli: Cli, study_id: str) -> None:
    _patient(cli, study_id)
    cli.json("mtb", "decide", study_id, "--decision", "B", *ERBB2, *MEETING)
    cli.json("consent", study_id, "--date", "2024-05-01")
    cli.json("enrol", study_id)


def test_mtb_decide_for_a_held_cohort_warns_and_for_a_closed_one_is_refused(cli: Cli) -> None:
    _enrol_erbb2(cli, "IMP-0001")
    _enrol_erbb2(cli, "IMP-0002")
    _patient(cli, "IMP-0003")
    code, out, err = cli.run("mtb", "decide", "IMP-0003", "--decision", "B", *ERBB2, *MEETING)
    assert code == 0
    assert out.startswith(f"decision B for IMP-0003 (2024-04-30): cohort {ERBB2_COHORT}")
    assert err.startswith(
        f"warning: cohort '{ERBB2_COHORT}' does not take patients now; the decision is recorded and enrolment "
        "will wait: stage 1 is full"
    )
    assert err.count("\n") == 1
    shown = cli.json("patient", "show", "IMP-0003")["decision"]
    assert shown["cohort"] == ERBB2_COHORT

    for study_id in ("IMP-0001", "IMP-0002"):
        cli.json("outcome", "record", study_id, "--outcome", "no_benefit", "--reason", "central review")
    _patient(cli, "IMP-0004")
    before = cli.json("audit")
    error = cli.fails("mtb", "decide", "IMP-0004", "--decision", "B", *ERBB2, *MEETING)
    assert error.startswith(f"error: cohort '{ERBB2_COHORT}' is closed for futility")
    assert "record decision B (another drug or biomarker), C (a non-trial option, with --option) or D" in error
    assert cli.json("audit") == before
    assert cli.json("patient", "show", "IMP-0004")["decision"] is None


def test_mtb_decide_json_carries_the_warnings(cli: Cli) -> None:
    _enrol_erbb2(cli, "IMP-0001")
    cli.json("cohort", "suspend", ERBB2_COHORT, "--reason", "safety review")
    _patient(cli, "IMP-0002")
    code, out, err = cli.run("mtb", "decide", "IMP-0002", "--decision", "B", *ERBB2, *MEETING, "--json")
    assert code == 0
    import json

    decided = json.loads(out)
    (warning,) = decided["warnings"]
    assert "the cohort is suspended (safety review); resume it first with `oncobasket cohort resume`" in warning
    assert err == f"warning: {warning}\n"


# ---------------------------------------------------------------------------------------------
# trial init with a changed protocol under the same version
# ---------------------------------------------------------------------------------------------


def test_trial_init_refuses_a_changed_protocol_under_the_same_version(cli: Cli, tmp_path: Path) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(TEST_PROTOCOL.replace("    slots: 30\n", "    slots: 60\n"), encoding="utf-8")
    before = cli.json("audit")
    error = cli.fails("trial", "init", "--protocol", str(changed))
    assert error.startswith(
        "error: changed.yaml: field 'version': protocol version 'test-1' is already loaded with other content"
    )
    assert "give the file a new `version:`" in error
    assert cli.json("audit") == before
    changed.write_text(changed.read_text(encoding="utf-8").replace("version: test-1", "version: test-2"))
    loaded = cli.json("trial", "init", "--protocol", str(changed))
    assert loaded["protocol"]["version"] == "test-2"
    assert {item["name"]: item["total"] for item in loaded["slot_budgets"]}["dabrafenib+trametinib"] == 60


# ---------------------------------------------------------------------------------------------
# screen --patient with a sample that failed QC
# ---------------------------------------------------------------------------------------------


def test_screen_warns_when_the_sample_failed_qc_in_text_and_json(cli: Cli, examples: Path) -> None:
    _patient(cli, "IMP-0005")
    run = str(examples / "tso500" / "run_2026-01")
    code, out, err = cli.run("screen", run, "--sample", "NTC-2601", "--patient", "IMP-0005")
    assert code == 0
    assert "QC FAILED" in out
    assert err.startswith("warning: QC FAILED for sample NTC-2601: MEDIAN_INSERT_SIZE = 0 (guideline >= 70)")
    assert "unusable result areas: small_variants, tmb, msi, cnv, rna" in err
    code, out, err = cli.run("screen", run, "--sample", "NTC-2601", "--patient", "IMP-0005", "--json")
    assert code == 0
    import json

    screened = json.loads(out)
    (warning,) = screened["warnings"]
    assert warning.startswith("QC FAILED for sample NTC-2601")
    assert screened["qc"]["unusable"] == ["small_variants", "tmb", "msi", "cnv", "rna"]
    assert err == f"warning: {warning}\n"
    code, _, err = cli.run("screen", run, "--sample", "OB-0001", "--patient", "IMP-0005")
    assert (code, err) == (0, "")
