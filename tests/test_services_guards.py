"""Guards a coordinator relies on, on SQLite and PostgreSQL: no decision sends a patient to a closed cohort, a
decision for a cohort that holds enrolment warns that enrolment will wait, a held cohort's refusal says what to
do, a changed protocol needs a new version, and a screening whose sample failed QC says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from oncobasket.core.cohorts import Outcome
from oncobasket.core.errors import ConflictError
from oncobasket.core.profiles import ProfileSettings
from oncobasket.core.registry import DecisionForm, MtbDecisionCode
from oncobasket.db import repository
from oncobasket.services import (
    Registry,
    Settings,
    audit_trail,
    enrol_patient,
    init_trial,
    list_cohorts,
    record_decision,
    record_outcome,
    screen_patient,
    show_patient,
    suspend_cohort,
)
from registry_database import BRAF, ERBB2, TEST_PROTOCOL, database_url, protocol_file  # noqa: F401 - fixtures
from test_services_cohorts import (
    BRAF_COHORT,
    ERBB2_COHORT,
    MEETING,
    NOW,
    decide,
    ready,
    register,
)


@pytest.fixture
def trial(database_url: str, protocol_file: Path) -> Iterator[Registry]:  # noqa: F811 - imported fixtures
    registry = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    init_trial(registry, protocol_file)
    yield registry
    registry.close()


def close_for_futility(registry: Registry) -> None:
    """The ERBB2 cohort (rule 0/2, 1/4): two patients without benefit close it for futility."""
    for study_id in ("IMP-0001", "IMP-0002"):
        ready(registry, study_id, ERBB2)
        enrol_patient(registry, study_id)
        record_outcome(registry, study_id, Outcome.NO_BENEFIT)
    assert list_cohorts(registry)[0]["status"] == "closed_futility"


# ---------------------------------------------------------------------------------------------
# Decisions and the cohort's status
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["A", "B"])
def test_a_decision_for_a_closed_cohort_is_refused_and_nothing_is_written(
    trial: Registry, ob0001: Path, code: str
) -> None:
    close_for_futility(trial)
    register(trial, "IMP-0003")
    screen_patient(trial, "IMP-0003", [ob0001])
    before = audit_trail(trial)
    with pytest.raises(ConflictError) as refused:
        decide(trial, "IMP-0003", code, ERBB2)
    message = str(refused.value)
    assert message.startswith(f"cohort '{ERBB2_COHORT}' is closed for futility (0 benefits in stage 1, r1 = 0)")
    assert "a closed cohort takes no more patients and never reopens" in message
    assert f"decision {code} cannot point patient 'IMP-0003' to it" in message
    assert "record decision B (another drug or biomarker), C (a non-trial option, with --option) or D" in message
    assert "protocol amendment" in message
    assert audit_trail(trial) == before
    assert show_patient(trial, "IMP-0003")["decision"] is None
    # Another alteration with an open cohort is fine.
    assert decide(trial, "IMP-0003", "B", BRAF)["warnings"] == []


def test_a_correction_that_keeps_an_enrolled_patient_in_a_closed_cohort_is_recorded_with_a_warning(
    trial: Registry,
) -> None:
    close_for_futility(trial)
    corrected = record_decision(
        trial,
        DecisionForm(
            study_id="IMP-0001",
            code=MtbDecisionCode.B,
            rationale="ERBB2 amplification confirmed by ISH",
            meeting_date=MEETING,
            drug=ERBB2[0],
            biomarker=ERBB2[1],
            correction_reason="rationale completed",
        ),
    )
    assert corrected["cohort"] == ERBB2_COHORT
    (warning,) = corrected["warnings"]
    assert warning.startswith(f"cohort '{ERBB2_COHORT}': the cohort is closed for futility")


def test_a_decision_for_a_cohort_with_stage_1_full_warns_that_enrolment_will_wait(trial: Registry) -> None:
    for study_id in ("IMP-0001", "IMP-0002"):
        ready(trial, study_id, ERBB2)
        enrol_patient(trial, study_id)
    register(trial, "IMP-0003")
    decided = decide(trial, "IMP-0003", "B", ERBB2)
    assert decided["cohort_status"] == "stage1_full"
    (warning,) = decided["warnings"]
    assert warning.startswith(
        f"cohort '{ERBB2_COHORT}' does not take patients now; the decision is recorded and enrolment will wait: "
        "stage 1 is full"
    )
    assert "`oncobasket assess`" in warning
    assert show_patient(trial, "IMP-0003")["decision"]["decision"] == "B"
    (event,) = [item for item in audit_trail(trial, "IMP-0003") if item["action"] == "decision.record"]
    assert event["after"]["cohort"] == ERBB2_COHORT


def test_a_decision_for_a_suspended_cohort_warns_that_enrolment_will_wait(trial: Registry) -> None:
    ready(trial, "IMP-0001")
    suspend_cohort(trial, BRAF_COHORT, reason="drug supply")
    register(trial, "IMP-0002")
    (warning,) = decide(trial, "IMP-0002", "B", BRAF)["warnings"]
    assert "the cohort is suspended (drug supply); resume it first with `oncobasket cohort resume`" in warning


def test_decisions_for_open_cohorts_and_without_a_cohort_carry_no_warning(trial: Registry) -> None:
    register(trial, "IMP-0001")
    assert decide(trial, "IMP-0001", "B", BRAF)["warnings"] == []
    register(trial, "IMP-0002")
    assert decide(trial, "IMP-0002", "D", None)["warnings"] == []


def test_enrolling_into_a_held_cohort_says_what_to_do(trial: Registry) -> None:
    for number in range(1, 4):
        ready(trial, f"IMP-000{number}", ERBB2)
    enrol_patient(trial, "IMP-0001")
    enrol_patient(trial, "IMP-0002")
    with pytest.raises(ConflictError) as refused:
        enrol_patient(trial, "IMP-0003")
    message = str(refused.value)
    assert message.startswith(f"cohort '{ERBB2_COHORT}' does not accept patients: stage 1 is full")
    assert "the protocol's two-stage rule 0/2, 1/4, after Simon 1989; DOMAIN.md section 3" in message
    assert "record their tumour assessments (`oncobasket assess`), which compute the week-16 outcomes" in message
    assert "enrolment reopens when stage 2 opens" in message


def test_an_enrolled_patient_is_not_enrolled_again_and_is_told_what_to_do(trial: Registry) -> None:
    ready(trial, "IMP-0001")
    enrol_patient(trial, "IMP-0001")
    with pytest.raises(ConflictError) as refused:
        enrol_patient(trial, "IMP-0001")
    assert f"place 1 of cohort '{BRAF_COHORT}'" in str(refused.value)
    assert "the week-16 outcome must be known first (`oncobasket assess IMP-0001`" in str(refused.value)


def test_pooled_counts_after_the_decision_name_the_cohort(trial: Registry) -> None:
    from oncobasket.services import pool_counts

    close_for_futility(trial)
    with pytest.raises(ConflictError) as refused:
        pool_counts(trial, ERBB2_COHORT, source="DRUP", evaluable=2, benefit=1)
    assert str(refused.value).startswith(f"cohort '{ERBB2_COHORT}': pooled counts can only be added")


# ---------------------------------------------------------------------------------------------
# The protocol's version
# ---------------------------------------------------------------------------------------------


def _budgets(registry: Registry) -> dict[str, int]:
    with registry.database.transaction(write=False) as session:
        return {row.name: row.total for row in repository.list_slot_budgets(session)}


def test_a_changed_protocol_under_the_same_version_is_refused_and_nothing_changes(
    trial: Registry, tmp_path: Path
) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(TEST_PROTOCOL.replace("    slots: 3\n", "    slots: 5\n"), encoding="utf-8")
    before = audit_trail(trial)
    with pytest.raises(ConflictError) as refused:
        init_trial(trial, changed)
    message = str(refused.value)
    assert message.startswith(
        "changed.yaml: field 'version': protocol version 'test-1' is already loaded with other content"
    )
    assert "nothing was loaded or resized" in message
    assert "give the file a new `version:`" in message
    assert _budgets(trial) == {"dabrafenib+trametinib": 30, "Roche agreement": 3}
    assert audit_trail(trial) == before

    bumped = tmp_path / "bumped.yaml"
    bumped.write_text(
        TEST_PROTOCOL.replace("    slots: 3\n", "    slots: 5\n").replace("version: test-1", "version: test-2"),
        encoding="utf-8",
    )
    loaded = init_trial(trial, bumped)
    assert (loaded["protocol"]["version"], loaded["protocol_loaded"]) == ("test-2", True)
    assert _budgets(trial)["Roche agreement"] == 5
    # Changing test-2 again under its own version is refused too; the stored test-1 text may be loaded again.
    bumped.write_text(bumped.read_text(encoding="utf-8") + "# a comment changes the checksum\n", encoding="utf-8")
    with pytest.raises(ConflictError, match="protocol version 'test-2' is already loaded with other content"):
        init_trial(trial, bumped)
    original = tmp_path / "original.yaml"
    original.write_text(TEST_PROTOCOL, encoding="utf-8")
    assert init_trial(trial, original)["protocol"]["version"] == "test-1"


def test_the_same_protocol_file_again_changes_nothing(trial: Registry, protocol_file: Path) -> None:  # noqa: F811
    before = audit_trail(trial)
    assert init_trial(trial, protocol_file)["protocol_loaded"] is False
    assert audit_trail(trial) == before


# ---------------------------------------------------------------------------------------------
# Screening a sample that failed QC
# ---------------------------------------------------------------------------------------------


def test_a_screening_of_a_sample_that_failed_qc_is_stored_with_a_warning(trial: Registry, examples: Path) -> None:
    register(trial, "IMP-0005")
    run = examples / "tso500" / "run_2026-01"
    result = screen_patient(trial, "IMP-0005", [run], ProfileSettings(sample_id="NTC-2601"))
    assert result["qc"]["passed"] is False
    (warning,) = result["warnings"]
    assert warning.startswith("QC FAILED for sample NTC-2601: MEDIAN_INSERT_SIZE = 0 (guideline >= 70)")
    assert "unusable result areas: small_variants, tmb, msi, cnv, rna" in warning
    assert "re-test the sample" in warning
    (event,) = [item for item in audit_trail(trial, "IMP-0005") if item["action"] == "screening.add"]
    assert event["after"]["qc_passed"] is False


def test_a_screening_that_passed_qc_has_no_warning(trial: Registry, examples: Path) -> None:
    register(trial, "IMP-0001")
    run = examples / "tso500" / "run_2026-01"
    assert screen_patient(trial, "IMP-0001", [run], ProfileSettings(sample_id="OB-0001"))["warnings"] == []


def test_consent_is_still_needed_whatever_the_warnings(trial: Registry) -> None:
    register(trial, "IMP-0001")
    decide(trial, "IMP-0001", "B", BRAF)
    with pytest.raises(ConflictError, match="no recorded consent"):
        enrol_patient(trial, "IMP-0001")
    from oncobasket.services import record_consent

    record_consent(trial, "IMP-0001", date(2024, 5, 1))
    assert enrol_patient(trial, "IMP-0001")["eligible"] is True
