"""Correcting a recorded week-16 outcome (core.cohorts.correct_outcome): golden cases for every kind of
cohort decision, the refusals, and a property over random histories that a correction is applied exactly
when every decision already taken still holds on the corrected counts, and that it then keeps every
invariant of the state machine."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncobasket.core.cohorts import (
    CohortState,
    CohortStatus,
    Outcome,
    TwoStageRule,
    correct_outcome,
    enrol,
    new_cohort,
    open_expansion,
    record_outcome,
    suspend,
)
from oncobasket.core.errors import ConflictError, InputError, NotFoundError
from test_cohorts_properties import (
    RECORDED,
    actions,
    best_case,
    best_case_stage1,
    check_chain,
    check_invariants,
    recount,
    rules,
    step,
)

S = CohortStatus
B, N, X = Outcome.BENEFIT, Outcome.NO_BENEFIT, Outcome.NOT_EVALUABLE


def history(rule: TwoStageRule, outcomes: list[Outcome | None]) -> CohortState:
    """Enrol one patient per entry and record its outcome at once (None leaves it pending)."""
    state = new_cohort(rule)
    for outcome in outcomes:
        state, _ = enrol(state)
        if outcome is not None:
            state, _ = record_outcome(state, len(state.outcomes) - 1, outcome)
    return state


def test_a_corrected_benefit_in_stage_1_opens_stage_2() -> None:
    state = history(TwoStageRule(), [N, N])
    assert state.status is S.STAGE1_OPEN
    corrected, transitions = correct_outcome(state, 1, B)
    assert corrected.status is S.STAGE2_OPEN
    assert corrected.outcomes[1].outcome is B
    (transition,) = transitions
    assert (transition.from_status, transition.to_status) == (S.STAGE1_OPEN, S.STAGE2_OPEN)
    assert transition.reason.startswith("correction: the patient at place 2 (stage 1): no benefit -> benefit")
    assert transition.counts["stage1_benefit"] == 1
    check_invariants(corrected)


def enrolled_then_evaluated(rule: TwoStageRule, outcomes: list[Outcome]) -> CohortState:
    """Enrol every patient first (all in stage 1 while places last), then record the outcomes in order."""
    state = new_cohort(rule)
    for _ in outcomes:
        state, _ = enrol(state)
    for index, outcome in enumerate(outcomes):
        state, _ = record_outcome(state, index, outcome)
    return state


def test_a_correction_that_keeps_every_decision_changes_no_status() -> None:
    state = enrolled_then_evaluated(TwoStageRule(), [B, B])
    assert state.status is S.STAGE2_OPEN
    assert [patient.stage for patient in state.outcomes] == [1, 1]
    corrected, transitions = correct_outcome(state, 0, N)
    assert (corrected.status, transitions) == (S.STAGE2_OPEN, ())


def test_a_correction_that_would_undo_stage_2_is_refused() -> None:
    state = history(TwoStageRule(), [B, N])
    with pytest.raises(ConflictError) as refused:
        correct_outcome(state, 0, N)
    message = str(refused.value)
    assert "from benefit to no_benefit would reverse a cohort decision already taken" in message
    assert "stage 2 was opened because the stage-1 benefits exceeded r1 = 0" in message
    assert "the cohort decision stands" in message
    assert "must be reviewed" in message


@pytest.mark.parametrize("corrected_to", [B, X])
def test_a_correction_that_would_undo_futility_is_refused(corrected_to: Outcome) -> None:
    """0/8 closes for futility; a benefit, or a freed place that could still hold one, undoes the certainty."""
    state = history(TwoStageRule(), [N] * 8)
    assert state.status is S.CLOSED_FUTILITY
    with pytest.raises(ConflictError, match="was closed for futility because stage 1 could not exceed r1 = 0"):
        correct_outcome(state, 3, corrected_to)


def test_closed_as_negative_stays_closed_while_the_correction_keeps_it_certain() -> None:
    rule = TwoStageRule(r1=0, n1=2, r=1, n=4)
    state = history(rule, [B, N, N, N])
    assert state.status is S.CLOSED_NEGATIVE
    # Benefit -> no benefit: still negative but no longer past stage 1 (the stage-2 decision rested on it).
    with pytest.raises(ConflictError, match="stage 2 was opened"):
        correct_outcome(state, 0, N)
    with pytest.raises(ConflictError, match="was closed as negative because it could not exceed r = 1"):
        correct_outcome(state, 2, B)


def test_a_promising_cohort_keeps_its_decision_only_while_benefits_exceed_r() -> None:
    rule = TwoStageRule(r1=0, n1=2, r=1, n=4)
    state = history(rule, [B, B])
    assert state.status is S.PROMISING
    with pytest.raises(ConflictError, match="was found promising because the benefits exceeded r = 1"):
        correct_outcome(state, 1, N)
    more = history(rule, [B, None, B])
    more, _ = record_outcome(more, 1, B)
    assert (more.status, recount(more).benefit) == (S.PROMISING, 3)
    corrected, transitions = correct_outcome(more, 2, N)
    assert (corrected.status, transitions) == (S.PROMISING, ())


def test_a_patient_corrected_to_not_evaluable_frees_a_place() -> None:
    rule = TwoStageRule(r1=0, n1=2, r=1, n=4)
    state = history(rule, [N, None])
    assert state.status is S.STAGE1_FULL
    corrected, transitions = correct_outcome(state, 0, X)
    assert corrected.status is S.STAGE1_OPEN
    assert [t.to_status for t in transitions] == [S.STAGE1_OPEN]


def test_a_not_evaluable_patient_whose_place_was_refilled_cannot_be_counted_again() -> None:
    rule = TwoStageRule(r1=0, n1=2, r=1, n=4)
    state = history(rule, [X, N, None])
    assert state.status is S.STAGE1_FULL
    with pytest.raises(ConflictError, match="has been given to a replacement; counting the patient again would"):
        correct_outcome(state, 0, N)


def test_a_correction_while_suspended_that_makes_futility_certain_ends_the_suspension() -> None:
    rule = TwoStageRule(r1=0, n1=2, r=1, n=4)
    state = history(rule, [N, X])
    state, _ = suspend(state, "safety review")
    assert state.rule_status is S.STAGE1_OPEN
    corrected, transitions = correct_outcome(state, 1, N)
    assert corrected.status is S.CLOSED_FUTILITY
    assert "(ends the suspension)" in transitions[-1].reason


def test_an_expansion_patients_correction_does_not_touch_the_rule() -> None:
    rule = TwoStageRule(r1=0, n1=2, r=1, n=4)
    state = history(rule, [B, B])
    state, _ = open_expansion(state, 3)
    state, _ = enrol(state)
    state, _ = record_outcome(state, 2, N)
    corrected, transitions = correct_outcome(state, 2, B)
    assert (corrected.status, transitions) == (S.EXPANSION, ())
    assert corrected.outcomes[2] == (3, B)


@pytest.mark.parametrize(
    ("index", "outcome", "error", "message"),
    [
        (5, B, NotFoundError, "no patient at index 5"),
        (0, "stable", InputError, "unknown outcome 'stable'"),
        (0, Outcome.PENDING, InputError, "cannot correct an outcome to 'pending'"),
        (0, N, InputError, "already has outcome no_benefit; there is nothing to correct"),
        (1, B, ConflictError, "has no week-16 outcome recorded yet"),
    ],
)
def test_malformed_corrections_are_refused(index: int, outcome: Outcome, error: type[Exception], message: str) -> None:
    state = history(TwoStageRule(), [N, None])
    with pytest.raises(error, match=message):
        correct_outcome(state, index, outcome)


PAST_STAGE1 = {S.STAGE2_OPEN, S.STAGE2_FULL, S.PROMISING, S.EXPANSION, S.CLOSED_NEGATIVE}


def reverses_a_decision(state: CohortState) -> bool:
    """Counted independently: does some decision the (uncorrected) status records no longer hold?"""
    rule = state.rule
    counts = recount(state)
    status = state.rule_status
    return (
        (status in PAST_STAGE1 and counts.benefit_1 <= rule.r1)
        or (status in {S.PROMISING, S.EXPANSION} and counts.benefit <= rule.r)
        or (status is S.CLOSED_FUTILITY and best_case_stage1(state, counts) > rule.r1)
        or (status is S.CLOSED_NEGATIVE and best_case(state, counts) > rule.r)
        or counts.local_taken_1 > rule.n1
        or counts.local_taken_rule > rule.n
        or counts.local_taken_expansion > (state.expansion_places or 0)
    )


@settings(max_examples=400, deadline=None)
@given(rule=rules(), sequence=actions, data=st.data())
def test_a_correction_is_applied_exactly_when_every_decision_still_holds(
    rule: TwoStageRule, sequence: list[tuple[object, ...]], data: st.DataObject
) -> None:
    state = new_cohort(rule)
    for action in sequence:
        state, _, _ = step(state, action)
    recorded = [index for index, patient in enumerate(state.outcomes) if patient.outcome is not Outcome.PENDING]
    if not recorded:
        return
    index = data.draw(st.sampled_from(recorded))
    outcome = data.draw(st.sampled_from([item for item in RECORDED if item is not state.outcomes[index].outcome]))
    naive = list(state.outcomes)
    naive[index] = naive[index]._replace(outcome=outcome)
    expected_refusal = reverses_a_decision(replace(state, outcomes=tuple(naive)))
    try:
        corrected, transitions = correct_outcome(state, index, outcome)
    except ConflictError:
        assert expected_refusal
        return
    assert not expected_refusal
    assert corrected.outcomes[index].outcome is outcome
    check_invariants(corrected)
    check_chain(state, corrected, transitions)
    if state.status in {S.CLOSED_FUTILITY, S.CLOSED_NEGATIVE}:
        assert corrected.status is state.status
