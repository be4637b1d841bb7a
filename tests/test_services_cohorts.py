"""Use cases from screening to cohort decisions, on SQLite and PostgreSQL: screening stores the profile and
matches, decisions open cohorts on demand, enrolment checks decision, consent, eligibility, the cohort's
state machine and the slot budget, outcomes and pooled counts drive the two-stage rule."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from oncobasket.core.cohorts import Outcome
from oncobasket.core.errors import ConflictError, InputError, NotFoundError
from oncobasket.core.profiles import ProfileSettings
from oncobasket.core.registry import DecisionForm, MtbDecisionCode, NonTrialOption, NotTreatedReason
from oncobasket.db import repository
from oncobasket.services import (
    Registry,
    Settings,
    add_patient,
    audit_trail,
    enrol_patient,
    expand_cohort,
    init_trial,
    list_cohorts,
    patient_form,
    pool_counts,
    record_consent,
    record_decision,
    record_not_treated,
    record_outcome,
    resume_cohort,
    screen_patient,
    show_cohort,
    show_patient,
    suspend_cohort,
)
from registry_database import BRAF, ERBB2, database_url, protocol_file  # noqa: F401 - fixtures

NOW = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
MEETING = date(2024, 4, 30)
BRAF_COHORT = "BRAF V600 mutation / Pancreatic / Dabrafenib+Trametinib"
ERBB2_COHORT = "ERBB2 amplification / Pancreatic / Pertuzumab+Trastuzumab"


@pytest.fixture
def trial(database_url: str, protocol_file: Path) -> Iterator[Registry]:  # noqa: F811 - imported fixtures
    registry = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    init_trial(registry, protocol_file)
    yield registry
    registry.close()


def register(registry: Registry, study_id: str, *, ecog: int = 1, tumour_type: str = "PAAD") -> None:
    add_patient(
        registry,
        patient_form(study_id=study_id, site="OUS", sex="F", birth_year=1960, oncotree_code=tumour_type, ecog=ecog),
    )


def decide(
    registry: Registry, study_id: str, code: str = "B", target: tuple[str, str] | None = BRAF
) -> dict[str, object]:
    drug, biomarker = target if target is not None else (None, None)
    return record_decision(
        registry,
        DecisionForm(
            study_id=study_id,
            code=MtbDecisionCode(code),
            rationale="tumour board consensus",
            meeting_date=MEETING,
            drug=drug,
            biomarker=biomarker,
            option=NonTrialOption.STANDARD_CARE if code == "C" else None,
        ),
    )


def ready(registry: Registry, study_id: str, target: tuple[str, str] = BRAF, *, ecog: int = 1) -> None:
    """A registered patient with decision B for ``target`` and consent: ready to enrol."""
    register(registry, study_id, ecog=ecog)
    decide(registry, study_id, "B", target)
    record_consent(registry, study_id, date(2024, 5, 1))


def test_init_stores_the_protocol_version_checksum_and_slot_budgets(
    database_url: str,  # noqa: F811
    protocol_file: Path,  # noqa: F811
) -> None:
    registry = Registry.open(Settings(database_url=database_url, user="lead", clock=lambda: NOW))
    try:
        first = init_trial(registry, protocol_file)
        assert first["protocol"] == {
            "name": "Registry test protocol",
            "version": "test-1",
            "sha256": hashlib.sha256(protocol_file.read_bytes()).hexdigest(),
        }
        assert first["protocol_loaded"] is True
        budgets = {item["name"]: (item["total"], item["used"]) for item in first["slot_budgets"]}
        assert budgets == {"dabrafenib+trametinib": (30, 0), "Roche agreement": (3, 0)}
        again = init_trial(registry, protocol_file)
        assert again["protocol_loaded"] is False
        actions = [event["action"] for event in audit_trail(registry)]
        assert actions.count("protocol.load") == 1
        assert actions.count("slot_budget.open") == 2
    finally:
        registry.close()


def test_screening_stores_profile_checksums_and_matches_as_computed(trial: Registry, ob0001: Path) -> None:
    register(trial, "IMP-0001")
    result = screen_patient(trial, "IMP-0001", [ob0001])
    assert result["sample_id"] == "OB-0001"
    assert result["protocol_version"] == "test-1"
    assert {"file": str(ob0001), "sha256": hashlib.sha256(ob0001.read_bytes()).hexdigest()} in result["source_files"]
    found = {(match["drug"], match["biomarker"], match["cohort"]) for match in result["matches"]}
    assert found == {(*BRAF, BRAF_COHORT), (*ERBB2, ERBB2_COHORT)}
    assert all(match["eligible"] for match in result["matches"])
    (event,) = [event for event in audit_trail(trial, "IMP-0001") if event["action"] == "screening.add"]
    assert event["after"]["protocol_version"] == "test-1"


def test_screening_a_run_folder_checksums_every_file_read(trial: Registry, examples: Path) -> None:
    register(trial, "IMP-0001")
    run = examples / "tso500" / "run_2026-01"
    with pytest.raises(InputError, match="a screening is one sample; pick the patient's sample with --sample"):
        screen_patient(trial, "IMP-0001", [run])
    result = screen_patient(trial, "IMP-0001", [run], ProfileSettings(sample_id="OB-0001"))
    names = {Path(item["file"]).name for item in result["source_files"]}
    assert {"OB-0001_CombinedVariantOutput.tsv", "MetricsOutput.tsv"} <= names
    for item in result["source_files"]:
        assert item["sha256"] == hashlib.sha256(Path(item["file"]).read_bytes()).hexdigest()
    # Read with the run's MetricsOutput.tsv, the QC is judged (and passes for this sample).
    assert result["qc"]["passed"] is True
    with trial.database.transaction(write=False) as session:
        patient = repository.get_patient_or_raise(session, study_id="IMP-0001")
        stored = repository.latest_screening(session, patient_id=patient.id)
        assert stored is not None
        assert stored.qc_passed is True
        assert not any("QC not judged" in warning for warning in stored.profile["warnings"])


def test_screening_an_unknown_patient_writes_nothing(trial: Registry, ob0001: Path) -> None:
    with pytest.raises(NotFoundError, match="no patient with study ID 'IMP-0404'"):
        screen_patient(trial, "IMP-0404", [ob0001])
    assert audit_trail(trial)[-1]["action"] != "screening.add"


def test_decision_a_confirms_one_match_and_opens_its_cohort_on_demand(trial: Registry, ob0001: Path) -> None:
    register(trial, "IMP-0001")
    screen_patient(trial, "IMP-0001", [ob0001])
    with pytest.raises(InputError, match="2 trial matches; say which one"):
        decide(trial, "IMP-0001", "A", None)
    assert list_cohorts(trial) == []
    first = decide(trial, "IMP-0001", "A", BRAF)
    assert first["cohort"] == BRAF_COHORT
    assert first["cohort_opened"] is True
    assert first["eligible"] is True
    register(trial, "IMP-0002")
    screen_patient(trial, "IMP-0002", [ob0001])
    second = decide(trial, "IMP-0002", "A", BRAF)
    assert second["cohort_opened"] is False
    (cohort,) = list_cohorts(trial)
    assert cohort["name"] == BRAF_COHORT
    assert cohort["status"] == "stage1_open"
    assert cohort["slots"] == {
        "name": "dabrafenib+trametinib",
        "drugs": ["dabrafenib+trametinib"],
        "total": 30,
        "used": 0,
        "left": 30,
    }
    opened = show_cohort(trial, BRAF_COHORT)["transitions"][0]
    assert opened["from"] is None
    assert opened["to"] == "stage1_open"
    assert "decision A for IMP-0001" in opened["reason"]


def test_decision_a_without_a_screening_or_for_an_unknown_patient_is_refused(trial: Registry) -> None:
    with pytest.raises(NotFoundError, match="IMP-0404"):
        decide(trial, "IMP-0404", "A", None)
    register(trial, "IMP-0001")
    with pytest.raises(ConflictError, match="has not been screened"):
        decide(trial, "IMP-0001", "A", None)
    with pytest.raises(InputError, match="trial drug 'dabrafenib\\+trametinib' has no biomarker 'KRAS G12C'"):
        decide(trial, "IMP-0001", "B", ("dabrafenib+trametinib", "KRAS G12C"))
    assert show_patient(trial, "IMP-0001")["decision"] is None
    assert list_cohorts(trial) == []


def test_decision_b_with_a_drug_outside_the_trial_opens_no_cohort(trial: Registry) -> None:
    register(trial, "IMP-0001")
    result = decide(trial, "IMP-0001", "B", ("sotorasib", "KRAS G12C"))
    assert result["cohort"] is None
    record_consent(trial, "IMP-0001", date(2024, 5, 1))
    with pytest.raises(ConflictError, match="decision B confirming a trial match"):
        enrol_patient(trial, "IMP-0001")


def test_a_later_decision_supersedes_only_as_a_correction_and_both_stay_in_the_audit(trial: Registry) -> None:
    register(trial, "IMP-0001")
    decide(trial, "IMP-0001", "B", BRAF)
    with pytest.raises(ConflictError, match=r"already has decision B .* --correct --reason TEXT"):
        decide(trial, "IMP-0001", "D", None)
    record_decision(
        trial,
        DecisionForm(
            study_id="IMP-0001",
            code=MtbDecisionCode.D,
            rationale="patient deteriorated",
            meeting_date=MEETING,
            correction_reason="board re-discussed the case",
        ),
    )
    assert show_patient(trial, "IMP-0001")["decision"]["decision"] == "D"
    events = [event for event in audit_trail(trial, "IMP-0001") if event["action"].startswith("decision.")]
    assert [(event["action"], event["after"]["decision"]) for event in events] == [
        ("decision.record", "B"),
        ("decision.correct", "D"),
    ]
    assert events[1]["before"]["decision"] == "B"
    assert events[1]["after"]["correction_reason"] == "board re-discussed the case"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("nothing", "has no tumour-board decision confirming a trial match"),
        ("decision_c", "has decision C confirming a trial match"),
        ("no_consent", "has no recorded consent"),
    ],
)
def test_enrolment_needs_a_confirming_decision_and_consent(trial: Registry, setup: str, message: str) -> None:
    register(trial, "IMP-0001")
    if setup == "decision_c":
        decide(trial, "IMP-0001", "C", None)
        record_consent(trial, "IMP-0001", date(2024, 5, 1))
    elif setup == "no_consent":
        decide(trial, "IMP-0001", "B", BRAF)
    else:
        record_consent(trial, "IMP-0001", date(2024, 5, 1))
    before = len(audit_trail(trial))
    with pytest.raises(ConflictError, match=message):
        enrol_patient(trial, "IMP-0001")
    assert len(audit_trail(trial)) == before
    assert show_patient(trial, "IMP-0001")["enrolments"] == []


def test_an_ineligible_patient_is_enrolled_only_with_an_override_reason(trial: Registry) -> None:
    ready(trial, "IMP-0001", ecog=3)
    refused = r"is not confirmed eligible for dabrafenib\+trametinib \(ECOG 3\b.*--override-reason"
    with pytest.raises(ConflictError, match=refused):
        enrol_patient(trial, "IMP-0001")
    assert list_cohorts(trial)[0]["counts"]["enrolled"] == 0
    result = enrol_patient(trial, "IMP-0001", override_reason="ECOG 3 due to fracture; board accepts")
    assert result["override_reason"] == "ECOG 3 due to fracture; board accepts"
    assert show_cohort(trial, BRAF_COHORT)["patients"][0]["override_reason"].startswith("ECOG 3")


def test_a_patient_is_not_enrolled_twice(trial: Registry) -> None:
    ready(trial, "IMP-0001")
    enrol_patient(trial, "IMP-0001")
    with pytest.raises(ConflictError, match="already enrolled"):
        enrol_patient(trial, "IMP-0001")
    with pytest.raises(ConflictError, match="is enrolled in a cohort"):
        record_not_treated(trial, "IMP-0001", NotTreatedReason.DECLINED)


def test_the_two_stage_rule_end_to_end_with_holds_and_the_slot_budget(trial: Registry) -> None:
    """ERBB2 cohort: rule 0/2, 1/4 and a company agreement of 3 slots."""
    for number in range(1, 5):
        ready(trial, f"IMP-000{number}", ERBB2)
    first = enrol_patient(trial, "IMP-0001")
    assert (first["place"], first["stage"], first["slots_left"]) == (1, 1, 2)
    second = enrol_patient(trial, "IMP-0002")
    assert second["cohort_status"] == "stage1_full"
    assert second["transitions"][0]["to"] == "stage1_full"
    with pytest.raises(
        ConflictError, match=re.escape(f"cohort '{ERBB2_COHORT}' does not accept patients: stage 1 is full")
    ):
        enrol_patient(trial, "IMP-0003")
    shown = show_cohort(trial, ERBB2_COHORT)
    assert "enrolment held" in shown["next_decision"]
    assert shown["slots"]["left"] == 1

    opened = record_outcome(trial, "IMP-0001", Outcome.BENEFIT)
    assert opened["cohort_status"] == "stage2_open"
    (transition,) = opened["transitions"]
    assert transition["counts"]["stage1_benefit"] == 1
    third = enrol_patient(trial, "IMP-0003")
    assert (third["place"], third["stage"], third["slots_left"]) == (3, 2, 0)
    with pytest.raises(ConflictError, match="no treatment slot left in budget 'Roche agreement' \\(3 of 3 used\\)"):
        enrol_patient(trial, "IMP-0004")
    shown = show_cohort(trial, ERBB2_COHORT)
    assert shown["counts"]["enrolled"] == 3
    assert shown["slots"]["used"] == 3
    assert shown["places_left"] == 1

    record_outcome(trial, "IMP-0002", Outcome.NO_BENEFIT)
    final = record_outcome(trial, "IMP-0003", Outcome.BENEFIT)
    assert final["cohort_status"] == "promising"
    stored = show_cohort(trial, ERBB2_COHORT)["transitions"]
    assert [item["to"] for item in stored] == ["stage1_open", "stage1_full", "stage2_open", "promising"]
    assert stored[-1]["counts"]["rule_benefit"] == 2


def test_futility_closes_the_cohort_and_further_enrolment_is_refused(trial: Registry) -> None:
    for number in range(1, 4):
        ready(trial, f"IMP-000{number}", ERBB2)
    enrol_patient(trial, "IMP-0001")
    enrol_patient(trial, "IMP-0002")
    record_outcome(trial, "IMP-0001", Outcome.NO_BENEFIT)
    closed = record_outcome(trial, "IMP-0002", Outcome.NO_BENEFIT)
    assert closed["cohort_status"] == "closed_futility"
    with pytest.raises(ConflictError, match="closed for futility"):
        enrol_patient(trial, "IMP-0003")
    assert show_cohort(trial, ERBB2_COHORT)["next_decision"].startswith("none: closed for futility")


def test_a_recorded_outcome_is_not_replaced(trial: Registry) -> None:
    ready(trial, "IMP-0001")
    enrol_patient(trial, "IMP-0001")
    assert record_outcome(trial, "IMP-0001", Outcome.NO_BENEFIT)["changed"] is True
    assert record_outcome(trial, "IMP-0001", Outcome.NO_BENEFIT)["changed"] is False
    with pytest.raises(ConflictError, match=r"already has week-16 outcome no_benefit.*--correct --reason TEXT"):
        record_outcome(trial, "IMP-0001", Outcome.BENEFIT)
    register(trial, "IMP-0002")
    with pytest.raises(ConflictError, match="is not enrolled"):
        record_outcome(trial, "IMP-0002", Outcome.BENEFIT)


def test_pooled_counts_are_added_with_their_source_and_shown_apart(trial: Registry) -> None:
    ready(trial, "IMP-0001")
    enrol_patient(trial, "IMP-0001")
    result = pool_counts(trial, BRAF_COHORT, source="DRUP", evaluable=6, benefit=2)
    assert result["cohort_status"] == "stage2_open"
    assert "pooled count from DRUP" in result["transitions"][0]["reason"]
    shown = show_cohort(trial, "1")
    assert shown["pooled"] == [{"source": "DRUP", "stage": 1, "evaluable": 6, "benefit": 2}]
    assert (shown["counts"]["pooled_evaluable"], shown["counts"]["pooled_benefit"]) == (6, 2)
    assert (shown["counts"]["evaluable"], shown["counts"]["benefit"]) == (0, 0)
    with pytest.raises(InputError, match="must be between 0 and evaluable"):
        pool_counts(trial, BRAF_COHORT, source="ProTarget", evaluable=2, benefit=3)
    with pytest.raises(NotFoundError, match="no cohort 'nope'"):
        pool_counts(trial, "nope", source="DRUP", evaluable=1, benefit=0)
    assert len(show_cohort(trial, BRAF_COHORT)["pooled"]) == 1


def test_a_suspended_cohort_holds_enrolment_until_resumed(trial: Registry) -> None:
    ready(trial, "IMP-0001")
    ready(trial, "IMP-0002")
    enrol_patient(trial, "IMP-0001")
    suspended = suspend_cohort(trial, BRAF_COHORT, reason="safety review")
    assert suspended["cohort_status"] == "suspended"
    with pytest.raises(ConflictError, match=r"the cohort is suspended \(safety review\); resume it first"):
        enrol_patient(trial, "IMP-0002")
    with pytest.raises(ConflictError, match="already suspended"):
        suspend_cohort(trial, BRAF_COHORT, reason="again")
    assert resume_cohort(trial, BRAF_COHORT)["cohort_status"] == "stage1_open"
    assert enrol_patient(trial, "IMP-0002")["place"] == 2
    actions = [event["action"] for event in audit_trail(trial) if event["action"].startswith("cohort.")]
    assert "cohort.suspend" in actions
    assert "cohort.resume" in actions


def test_a_promising_cohort_opens_an_expansion_that_takes_slots(trial: Registry) -> None:
    for number in range(1, 5):
        ready(trial, f"IMP-000{number}", ERBB2)
    enrol_patient(trial, "IMP-0001")
    enrol_patient(trial, "IMP-0002")
    with pytest.raises(ConflictError, match="only a promising cohort can open an expansion"):
        expand_cohort(trial, ERBB2_COHORT)
    record_outcome(trial, "IMP-0001", Outcome.BENEFIT)
    enrol_patient(trial, "IMP-0003")
    record_outcome(trial, "IMP-0003", Outcome.BENEFIT)
    assert show_cohort(trial, ERBB2_COHORT)["status"] == "promising"
    expanded = expand_cohort(trial, ERBB2_COHORT, places=10)
    assert expanded["cohort_status"] == "expansion"
    # The Roche agreement's 3 slots are used: the expansion is open but has no slot to give.
    with pytest.raises(ConflictError, match="no treatment slot left"):
        enrol_patient(trial, "IMP-0004")
