"""Structured decision C and corrections as new events, on SQLite and PostgreSQL: a decision C names its
non-trial option; a second decision on the same screening and a second week-16 outcome are refused unless
recorded as corrections with a reason; a correction keeps the earlier value, audits before and after, and
re-applies the cohort rule unless it would reverse a cohort decision already taken."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from oncobasket.core.cohorts import Outcome
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.registry import (
    DecisionForm,
    MtbDecisionCode,
    NonTrialOption,
    correction_reason,
    parse_non_trial_option,
)
from oncobasket.db import repository
from oncobasket.services import (
    Registry,
    Settings,
    audit_trail,
    enrol_patient,
    init_trial,
    record_decision,
    record_outcome,
    screen_patient,
    show_cohort,
    show_patient,
)
from registry_database import BRAF, ERBB2, database_url, protocol_file  # noqa: F401 - fixtures
from test_services_cohorts import (
    ERBB2_COHORT,
    MEETING,
    NOW,
    ready,
    register,
)


@pytest.fixture
def trial(database_url: str, protocol_file: Path) -> Iterator[Registry]:  # noqa: F811 - imported fixtures
    registry = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    init_trial(registry, protocol_file)
    yield registry
    registry.close()


def form(
    study_id: str = "IMP-0001",
    code: MtbDecisionCode = MtbDecisionCode.C,
    *,
    option: NonTrialOption | None = NonTrialOption.STANDARD_CARE,
    target: tuple[str, str] | None = None,
    reason: str | None = None,
    meeting: date = MEETING,
) -> DecisionForm:
    return DecisionForm(
        study_id=study_id,
        code=code,
        rationale="tumour board consensus",
        meeting_date=meeting,
        drug=target[0] if target else None,
        biomarker=target[1] if target else None,
        option=option,
        correction_reason=reason,
    )


def actions(registry: Registry, study_id: str) -> list[str]:
    return [event["action"] for event in audit_trail(registry, study_id)]


# ---------------------------------------------------------------------------------------------
# Decision C and its non-trial option
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", list(NonTrialOption))
def test_decision_c_records_its_non_trial_option(trial: Registry, option: NonTrialOption) -> None:
    register(trial, "IMP-0001")
    result = record_decision(trial, form(option=option))
    assert (result["decision"], result["non_trial_option"], result["cohort"]) == ("C", str(option), None)
    assert show_patient(trial, "IMP-0001")["decision"]["non_trial_option"] == str(option)
    (event,) = [event for event in audit_trail(trial, "IMP-0001") if event["action"] == "decision.record"]
    assert event["after"]["non_trial_option"] == str(option)


@pytest.mark.parametrize(
    ("code", "option", "message"),
    [
        (MtbDecisionCode.C, None, "field '--option': decision C \\(non-trial option\\) needs the option"),
        (MtbDecisionCode.A, NonTrialOption.OTHER_TRIAL, "decision A \\(trial match confirmed\\) names no non-trial"),
        (MtbDecisionCode.D, NonTrialOption.STANDARD_CARE, "--option is only for decision C"),
    ],
)
def test_the_option_is_required_for_c_and_refused_otherwise(
    code: MtbDecisionCode, option: NonTrialOption | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        form(code=code, option=option)


def test_b_with_an_option_is_refused() -> None:
    with pytest.raises(InputError, match="field '--option'"):
        form(code=MtbDecisionCode.B, option=NonTrialOption.EARLY_ACCESS, target=BRAF)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("other_trial", NonTrialOption.OTHER_TRIAL), ("Early-Access", NonTrialOption.EARLY_ACCESS)],
)
def test_non_trial_options_are_parsed(text: str, expected: NonTrialOption) -> None:
    assert parse_non_trial_option(text) is expected


@pytest.mark.parametrize("text", ["palliative", "", "standard care;"])
def test_unknown_non_trial_options_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="is not a non-trial option; use one of: other_trial, early_access"):
        parse_non_trial_option(text)


@pytest.mark.parametrize(
    ("correct", "reason", "message"),
    [
        (False, "typo", "field '--reason': --reason is only given with --correct"),
        (True, None, "field '--reason': a correction needs its reason"),
        (True, "   ", "a correction needs its reason"),
    ],
)
def test_a_correction_needs_a_reason_and_a_reason_needs_a_correction(
    correct: bool, reason: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        correction_reason(correct=correct, reason=reason)
    assert correction_reason(correct=True, reason=" re-read ") == "re-read"
    assert correction_reason(correct=False, reason=None) is None


def _insert_decision(trial: Registry, session: Session, **values: Any) -> None:
    """A decision D written straight through the repository, past the form's checks."""
    patient = repository.get_patient_or_raise(session, study_id="IMP-0001")
    repository.add_decision(
        session,
        patient_id=patient.id,
        screening_id=None,
        code="D",
        drug=None,
        biomarker=None,
        cohort_id=None,
        eligible=None,
        failed_criteria=[],
        rationale="x",
        meeting_date=MEETING,
        recorded_at=trial.now(),
        **values,
    )


def test_the_database_refuses_an_option_on_a_decision_other_than_c(trial: Registry) -> None:
    register(trial, "IMP-0001")
    with (
        pytest.raises(ConflictError, match="conflicts with a record saved at the same time"),
        trial.database.transaction() as session,
    ):
        _insert_decision(trial, session, non_trial_option="standard_care")
    assert show_patient(trial, "IMP-0001")["decision"] is None


def test_the_database_refuses_a_correction_without_its_reason(trial: Registry) -> None:
    register(trial, "IMP-0001")
    first = record_decision(trial, form())
    with pytest.raises(ConflictError), trial.database.transaction() as session:
        _insert_decision(trial, session, corrects_id=first["id"])
    assert show_patient(trial, "IMP-0001")["decision"]["id"] == first["id"]


# ---------------------------------------------------------------------------------------------
# Decision corrections
# ---------------------------------------------------------------------------------------------


def test_a_second_decision_on_the_same_screening_needs_a_correction(trial: Registry, ob0001: Path) -> None:
    register(trial, "IMP-0001")
    screen_patient(trial, "IMP-0001", [ob0001])
    record_decision(trial, form(code=MtbDecisionCode.A, option=None, target=BRAF))
    before = audit_trail(trial)
    with pytest.raises(ConflictError) as refused:
        record_decision(trial, form())
    message = str(refused.value)
    assert "already has decision A (meeting 2024-04-30) for their latest screening" in message
    assert "--correct --reason TEXT" in message
    assert audit_trail(trial) == before

    corrected = record_decision(trial, form(reason="board chose standard care after re-review"))
    assert corrected["corrects"] is not None
    shown = show_patient(trial, "IMP-0001")["decision"]
    assert (shown["decision"], shown["non_trial_option"]) == ("C", "standard_care")
    assert shown["correction_reason"] == "board chose standard care after re-review"
    event = audit_trail(trial, "IMP-0001")[-1]
    assert event["action"] == "decision.correct"
    assert (event["before"]["decision"], event["before"]["drug"]) == ("A", BRAF[0])
    assert (event["after"]["decision"], event["after"]["corrects"]) == ("C", event["before"]["id"])


def test_a_new_screening_takes_a_new_decision_without_correction(trial: Registry, ob0001: Path) -> None:
    register(trial, "IMP-0001")
    screen_patient(trial, "IMP-0001", [ob0001])
    record_decision(trial, form(code=MtbDecisionCode.D, option=None))
    screen_patient(trial, "IMP-0001", [ob0001])
    result = record_decision(trial, form(code=MtbDecisionCode.A, option=None, target=ERBB2))
    assert (result["cohort"], result["corrects"]) == (ERBB2_COHORT, None)
    assert "decision.correct" not in actions(trial, "IMP-0001")


def test_a_correction_with_nothing_to_correct_is_refused(trial: Registry) -> None:
    register(trial, "IMP-0001")
    with pytest.raises(ConflictError, match="has no tumour-board decision to correct; record the decision without"):
        record_decision(trial, form(reason="typo"))
    assert show_patient(trial, "IMP-0001")["decision"] is None


def test_a_correction_may_move_the_meeting_date_back_and_is_the_decision_in_force(trial: Registry) -> None:
    register(trial, "IMP-0001")
    record_decision(trial, form(option=NonTrialOption.OTHER_TRIAL))
    record_decision(trial, form(option=NonTrialOption.EARLY_ACCESS, meeting=date(2024, 4, 2), reason="wrong date"))
    shown = show_patient(trial, "IMP-0001")["decision"]
    assert (shown["meeting_date"], shown["non_trial_option"]) == ("2024-04-02", "early_access")


def test_a_correction_of_a_decision_a_is_judged_on_the_corrected_decisions_screening(
    trial: Registry, ob0001: Path
) -> None:
    register(trial, "IMP-0001")
    screen_patient(trial, "IMP-0001", [ob0001])
    first = record_decision(trial, form(code=MtbDecisionCode.A, option=None, target=BRAF))
    corrected = record_decision(trial, form(code=MtbDecisionCode.A, option=None, target=ERBB2, reason="wrong row"))
    assert corrected["cohort"] == ERBB2_COHORT
    assert corrected["corrects"] == first["id"]


def test_an_enrolled_patient_cannot_be_corrected_out_of_their_cohort(trial: Registry) -> None:
    ready(trial, "IMP-0001", ERBB2)
    enrol_patient(trial, "IMP-0001")
    before = audit_trail(trial)
    for other in (
        form(code=MtbDecisionCode.D, option=None, reason="re-review"),
        form(code=MtbDecisionCode.B, option=None, target=BRAF, reason="re-review"),
    ):
        with pytest.raises(ConflictError) as refused:
            record_decision(trial, other)
        assert f"is enrolled in cohort '{ERBB2_COHORT}' (place 1)" in str(refused.value)
        assert "the enrolment stands and must be reviewed" in str(refused.value)
    assert audit_trail(trial) == before
    assert show_cohort(trial, ERBB2_COHORT)["counts"]["enrolled"] == 1
    # The same cohort with a corrected rationale and date is fine.
    kept = record_decision(trial, form(code=MtbDecisionCode.B, option=None, target=ERBB2, reason="rationale typo"))
    assert kept["cohort"] == ERBB2_COHORT
    assert show_patient(trial, "IMP-0001")["decision"]["id"] == kept["id"]


# ---------------------------------------------------------------------------------------------
# Outcome corrections
# ---------------------------------------------------------------------------------------------


def _stage1(trial: Registry, outcomes: list[Outcome]) -> None:
    """ERBB2 cohort (rule 0/2, 1/4): enrol one patient per outcome, then record the outcomes."""
    for number, _ in enumerate(outcomes, start=1):
        ready(trial, f"IMP-000{number}", ERBB2)
        enrol_patient(trial, f"IMP-000{number}")
    for number, outcome in enumerate(outcomes, start=1):
        record_outcome(trial, f"IMP-000{number}", outcome)


def test_a_corrected_outcome_reapplies_the_rule_and_keeps_the_earlier_value(trial: Registry) -> None:
    _stage1(trial, [Outcome.NO_BENEFIT])
    assert show_cohort(trial, ERBB2_COHORT)["status"] == "stage1_open"
    result = record_outcome(trial, "IMP-0001", Outcome.BENEFIT, correction_reason="W16 scan re-read: SD")
    assert result["corrected"] is True
    assert (result["previous_outcome"], result["outcome"]) == ("no_benefit", "benefit")
    assert result["cohort_status"] == "stage2_open"
    assert result["transitions"][0]["reason"].startswith("correction: the patient at place 1 (stage 1)")
    (enrolment,) = show_patient(trial, "IMP-0001")["enrolments"]
    assert enrolment["outcome"] == "benefit"
    assert [(c["before"], c["after"], c["reason"]) for c in enrolment["outcome_corrections"]] == [
        ("no_benefit", "benefit", "W16 scan re-read: SD")
    ]
    trail = audit_trail(trial, "IMP-0001")
    assert [event["action"] for event in trail][-2:] == ["cohort.transition", "outcome.correct"]
    assert trail[-1]["before"] == {"outcome": "no_benefit", "cohort": ERBB2_COHORT}
    assert trail[-1]["after"]["outcome"] == "benefit"
    assert trail[-1]["after"]["reason"] == "W16 scan re-read: SD"
    assert show_cohort(trial, ERBB2_COHORT)["transitions"][-1]["to"] == "stage2_open"


def test_a_correction_that_would_reverse_futility_is_refused_and_nothing_is_written(trial: Registry) -> None:
    _stage1(trial, [Outcome.NO_BENEFIT, Outcome.NO_BENEFIT])
    assert show_cohort(trial, ERBB2_COHORT)["status"] == "closed_futility"
    before = audit_trail(trial)
    with pytest.raises(ConflictError) as refused:
        record_outcome(trial, "IMP-0002", Outcome.BENEFIT, correction_reason="re-read")
    message = str(refused.value)
    assert f"patient 'IMP-0002', cohort '{ERBB2_COHORT}'" in message
    assert "would reverse a cohort decision already taken: the cohort was closed for futility" in message
    assert "the cohort decision stands" in message
    assert audit_trail(trial) == before
    (enrolment,) = show_patient(trial, "IMP-0002")["enrolments"]
    assert (enrolment["outcome"], enrolment["outcome_corrections"]) == ("no_benefit", [])
    assert show_cohort(trial, ERBB2_COHORT)["status"] == "closed_futility"


def test_a_correction_that_would_undo_stage_2_is_refused(trial: Registry) -> None:
    _stage1(trial, [Outcome.BENEFIT])
    with pytest.raises(ConflictError, match="stage 2 was opened because the stage-1 benefits exceeded r1 = 0"):
        record_outcome(trial, "IMP-0001", Outcome.NO_BENEFIT, correction_reason="re-read")
    assert show_cohort(trial, ERBB2_COHORT)["status"] == "stage2_open"


def test_a_second_outcome_without_correct_points_to_the_correction(trial: Registry) -> None:
    _stage1(trial, [Outcome.NO_BENEFIT])
    with pytest.raises(ConflictError) as refused:
        record_outcome(trial, "IMP-0001", Outcome.BENEFIT)
    assert "already has week-16 outcome no_benefit" in str(refused.value)
    assert "oncobasket outcome record IMP-0001 --outcome benefit --correct --reason TEXT" in str(refused.value)


@pytest.mark.parametrize(
    ("setup", "outcome", "reason", "error", "message"),
    [
        ("pending", Outcome.BENEFIT, "re-read", ConflictError, "has no week-16 outcome recorded .* yet"),
        ("recorded", Outcome.NO_BENEFIT, "re-read", InputError, "already has outcome no_benefit; there is nothing"),
        ("recorded", Outcome.BENEFIT, "  ", InputError, "field '--reason': the correction reason is empty"),
        ("recorded", Outcome.PENDING, "re-read", InputError, "'pending' is not an outcome"),
        ("not_enrolled", Outcome.BENEFIT, "re-read", ConflictError, "is not enrolled in a cohort"),
    ],
)
def test_malformed_outcome_corrections_are_refused(
    trial: Registry, setup: str, outcome: Outcome, reason: str, error: type[Exception], message: str
) -> None:
    ready(trial, "IMP-0001", ERBB2)
    if setup != "not_enrolled":
        enrol_patient(trial, "IMP-0001")
    if setup == "recorded":
        record_outcome(trial, "IMP-0001", Outcome.NO_BENEFIT)
    before = audit_trail(trial)
    with pytest.raises(error, match=message):
        record_outcome(trial, "IMP-0001", outcome, correction_reason=reason)
    assert audit_trail(trial) == before


def test_outcome_corrections_are_never_deleted(trial: Registry) -> None:
    _stage1(trial, [Outcome.NO_BENEFIT])
    record_outcome(trial, "IMP-0001", Outcome.NOT_EVALUABLE, correction_reason="less than one full cycle")
    record_outcome(trial, "IMP-0001", Outcome.NO_BENEFIT, correction_reason="cycle dates re-checked")
    (enrolment,) = show_patient(trial, "IMP-0001")["enrolments"]
    history: list[dict[str, Any]] = enrolment["outcome_corrections"]
    assert [(item["before"], item["after"]) for item in history] == [
        ("no_benefit", "not_evaluable"),
        ("not_evaluable", "no_benefit"),
    ]
    with trial.database.transaction(write=False) as session:
        (count,) = session.execute(text("SELECT count(*) FROM outcome_corrections")).one()
    assert count == 2


def test_two_coordinators_deciding_at_once_record_one_decision(
    trial: Registry,
    database_url: str,  # noqa: F811
) -> None:
    """The patient's row lock (PostgreSQL) or the write lock (SQLite) lets one decision in; the others are
    refused as second decisions on the same case."""
    register(trial, "IMP-0001")
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def coordinator(number: int) -> None:
        registry = Registry.open(Settings(database_url=database_url, user=f"coordinator-{number}", clock=lambda: NOW))
        try:
            barrier.wait(timeout=60)
            record_decision(registry, form(option=list(NonTrialOption)[number % 3]))
            outcomes.append("recorded")
        except ConflictError as refused:
            outcomes.append(f"conflict: {refused}")
        finally:
            registry.close()

    threads = [threading.Thread(target=coordinator, args=(number,)) for number in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes.count("recorded") == 1, outcomes
    assert all("already has decision C" in item for item in outcomes if item != "recorded"), outcomes
    assert actions(trial, "IMP-0001").count("decision.record") == 1
