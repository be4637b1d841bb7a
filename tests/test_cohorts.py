"""The cohort state machine: golden scenarios of the DRUP/IMPRESS rule (0/8, 4/24) and other rules."""

from __future__ import annotations

import pytest

from oncobasket.core.cohorts import (
    DRUP_RULE,
    CohortState,
    CohortStatus,
    EnrolledPatient,
    Outcome,
    PooledCount,
    Transition,
    TwoStageRule,
    accepting,
    add_pooled,
    enrol,
    new_cohort,
    next_decision,
    open_expansion,
    places_left,
    record_outcome,
    resume,
    suspend,
    tally,
)
from oncobasket.core.errors import ConflictError, InputError, NotFoundError

S = CohortStatus
BENEFIT, NO_BENEFIT, NOT_EVALUABLE = Outcome.BENEFIT, Outcome.NO_BENEFIT, Outcome.NOT_EVALUABLE


def enrol_many(state: CohortState, count: int) -> tuple[CohortState, tuple[Transition, ...]]:
    made: list[Transition] = []
    for _ in range(count):
        state, transitions = enrol(state)
        made.extend(transitions)
    return state, tuple(made)


def record_many(state: CohortState, outcomes: dict[int, Outcome]) -> tuple[CohortState, tuple[Transition, ...]]:
    made: list[Transition] = []
    for index, outcome in outcomes.items():
        state, transitions = record_outcome(state, index, outcome)
        made.extend(transitions)
    return state, tuple(made)


# ---------------------------------------------------------------------------------------------
# The rule object
# ---------------------------------------------------------------------------------------------


def test_default_rule_is_drup() -> None:
    assert (DRUP_RULE.r1, DRUP_RULE.n1, DRUP_RULE.r, DRUP_RULE.n) == (0, 8, 4, 24)
    assert str(DRUP_RULE) == "0/8, 4/24"
    assert TwoStageRule.parse(str(DRUP_RULE)) == DRUP_RULE
    assert TwoStageRule.parse(" 1/10 , 5/29 ") == TwoStageRule(1, 10, 5, 29)
    # DOMAIN.md section 3: about 7.8 % type I error at p0 = 10 % and 86 % power at p1 = 30 %.
    assert round(DRUP_RULE.operating_characteristics(0.10).prob_reject_null, 3) == 0.078
    assert round(DRUP_RULE.operating_characteristics(0.30).prob_reject_null, 2) == 0.86


def test_rule_from_protocol_mapping() -> None:
    assert TwoStageRule.from_mapping({"r1": 1, "n1": 10, "r": 5, "n": 29}) == TwoStageRule(1, 10, 5, 29)
    assert TwoStageRule.from_mapping({}) == DRUP_RULE
    with pytest.raises(InputError) as caught:
        TwoStageRule.from_mapping({"r1": 0, "n1": 8, "r": 4, "n": 24, "alpha": 0.05}, source="protocol.yaml")
    assert caught.value.field == "alpha"
    assert "protocol.yaml" in str(caught.value)
    with pytest.raises(InputError) as caught:
        TwoStageRule.from_mapping({"n1": 30}, source="protocol.yaml")
    assert caught.value.field == "n"


@pytest.mark.parametrize("text", ["0/8 4/24", "0/8, 4/", "a/8, 4/24", ""])
def test_rule_text_that_does_not_parse(text: str) -> None:
    with pytest.raises(InputError) as caught:
        TwoStageRule.parse(text)
    assert caught.value.field == "rule"


@pytest.mark.parametrize(("values", "field"), [((9, 8, 4, 24), "n1"), ((0, 8, 1, 8), "n"), ((0, 8, 30, 24), "r")])
def test_invalid_rule(values: tuple[int, int, int, int], field: str) -> None:
    with pytest.raises(InputError) as caught:
        TwoStageRule(*values)
    assert caught.value.field == field


# ---------------------------------------------------------------------------------------------
# DRUP stage 1
# ---------------------------------------------------------------------------------------------


def test_new_cohort_accepts_eight() -> None:
    state = new_cohort()
    assert state.status is S.STAGE1_OPEN
    assert state.stage == 1
    assert accepting(state)
    assert places_left(state) == 8


def test_stage1_fills_then_holds_enrolment() -> None:
    state, transitions = enrol_many(new_cohort(), 7)
    assert transitions == ()
    assert places_left(state) == 1
    state, last = enrol(state)
    assert state.status is S.STAGE1_FULL
    assert [(t.from_status, t.to_status) for t in last] == [(S.STAGE1_OPEN, S.STAGE1_FULL)]
    assert last[0].counts["pending"] == 8
    assert last[0].counts["places_left"] == 0
    assert not accepting(state)
    assert "8 of 8 stage-1 patients awaiting week-16 evaluation" in next_decision(state)
    with pytest.raises(ConflictError, match="held"):
        enrol(state)


def test_zero_of_eight_closes_for_futility_on_the_eighth_outcome() -> None:
    state, _ = enrol_many(new_cohort(), 8)
    state, transitions = record_many(state, dict.fromkeys(range(7), NO_BENEFIT))
    assert transitions == ()  # one pending patient could still benefit
    assert state.status is S.STAGE1_FULL
    assert "1 of 8 stage-1 patients awaiting week-16 evaluation" in next_decision(state)
    state, transitions = record_outcome(state, 7, NO_BENEFIT)
    assert state.status is S.CLOSED_FUTILITY
    (closing,) = transitions
    assert (closing.from_status, closing.to_status) == (S.STAGE1_FULL, S.CLOSED_FUTILITY)
    assert closing.counts["stage1_evaluable"] == 8
    assert closing.counts["stage1_benefit"] == 0
    assert "futility" in closing.reason
    assert not accepting(state)
    with pytest.raises(ConflictError, match="futility"):
        enrol(state)


def test_one_benefit_opens_stage2_at_once_while_others_are_pending() -> None:
    """Issue 4: the decision is taken as soon as it is certain (one benefit among the first eight)."""
    state, _ = enrol_many(new_cohort(), 8)
    state, transitions = record_outcome(state, 3, BENEFIT)
    assert state.status is S.STAGE2_OPEN
    assert state.stage == 2
    (opening,) = transitions
    assert (opening.from_status, opening.to_status) == (S.STAGE1_FULL, S.STAGE2_OPEN)
    assert opening.counts["stage1_benefit"] == 1
    assert opening.counts["stage1_pending"] == 7
    assert places_left(state) == 16
    state, _ = enrol(state)
    assert state.outcomes[-1] == EnrolledPatient(stage=2, outcome=Outcome.PENDING)


def test_benefit_before_stage1_is_full_opens_stage2_and_merges_the_places() -> None:
    state, _ = enrol_many(new_cohort(), 3)
    state, transitions = record_outcome(state, 0, BENEFIT)
    assert [(t.from_status, t.to_status) for t in transitions] == [(S.STAGE1_OPEN, S.STAGE2_OPEN)]
    assert places_left(state) == 21  # 24 in total, 3 taken


def test_not_evaluable_patient_is_replaced() -> None:
    state, _ = enrol_many(new_cohort(), 8)
    state, transitions = record_outcome(state, 2, NOT_EVALUABLE)
    assert [(t.from_status, t.to_status) for t in transitions] == [(S.STAGE1_FULL, S.STAGE1_OPEN)]
    assert transitions[0].counts["not_evaluable"] == 1
    assert places_left(state) == 1
    state, transitions = enrol(state)
    assert state.status is S.STAGE1_FULL
    assert len(state.outcomes) == 9
    # Eight evaluable without benefit (the not-evaluable patient does not count) close the cohort.
    state, transitions = record_many(state, {i: NO_BENEFIT for i in range(9) if i != 2})
    assert state.status is S.CLOSED_FUTILITY
    assert transitions[-1].counts["stage1_evaluable"] == 8


# ---------------------------------------------------------------------------------------------
# DRUP stage 2
# ---------------------------------------------------------------------------------------------


def _in_stage2(benefits_in_stage1: int = 1) -> CohortState:
    state, _ = enrol_many(new_cohort(), 8)
    outcomes = {i: BENEFIT if i < benefits_in_stage1 else NO_BENEFIT for i in range(8)}
    state, _ = record_many(state, outcomes)
    assert state.status is S.STAGE2_OPEN
    return state


def test_fifth_benefit_makes_the_cohort_promising_at_once() -> None:
    state = _in_stage2(benefits_in_stage1=2)
    state, _ = enrol_many(state, 10)
    state, transitions = record_many(state, {8: BENEFIT, 9: BENEFIT})
    assert transitions == ()
    state, transitions = record_outcome(state, 10, BENEFIT)
    assert state.status is S.PROMISING
    (promising,) = transitions
    assert promising.counts["rule_benefit"] == 5
    assert promising.counts["pending"] == 7
    assert not accepting(state)
    assert "expansion" in next_decision(state)
    with pytest.raises(ConflictError, match="expansion"):
        enrol(state)


def test_stage2_full_then_negative() -> None:
    state = _in_stage2(benefits_in_stage1=1)
    state, transitions = enrol_many(state, 16)
    assert state.status is S.STAGE2_FULL
    assert [(t.from_status, t.to_status) for t in transitions] == [(S.STAGE2_OPEN, S.STAGE2_FULL)]
    with pytest.raises(ConflictError, match="stage 2 is full"):
        enrol(state)
    # 3 more benefits (4 in total) and 13 without: at most 4 <= r once all are evaluated.
    state, transitions = record_many(state, {8 + i: BENEFIT if i < 3 else NO_BENEFIT for i in range(15)})
    assert transitions == ()  # the last pending patient could still make it 5
    state, transitions = record_outcome(state, 23, NO_BENEFIT)
    assert state.status is S.CLOSED_NEGATIVE
    assert transitions[-1].counts["rule_benefit"] == 4
    assert transitions[-1].counts["rule_evaluable"] == 24


def test_negative_is_decided_before_the_last_places_are_filled() -> None:
    """With 1 benefit among 20 evaluable and 4 places left, 5 benefits are still possible; with 21, not."""
    state = _in_stage2(benefits_in_stage1=1)
    state, _ = enrol_many(state, 13)
    state, transitions = record_many(state, dict.fromkeys(range(8, 20), NO_BENEFIT))
    assert state.status is S.STAGE2_OPEN
    state, transitions = record_outcome(state, 20, NO_BENEFIT)
    assert state.status is S.CLOSED_NEGATIVE
    assert "at most 4 <= r = 4" in transitions[-1].reason


def test_stage2_place_reopens_for_a_not_evaluable_patient() -> None:
    state = _in_stage2()
    state, _ = enrol_many(state, 16)
    state, transitions = record_outcome(state, 12, NOT_EVALUABLE)
    assert [(t.from_status, t.to_status) for t in transitions] == [(S.STAGE2_FULL, S.STAGE2_OPEN)]
    assert places_left(state) == 1


# ---------------------------------------------------------------------------------------------
# Another rule: futility certain before stage 1 is complete
# ---------------------------------------------------------------------------------------------


def test_simon_optimal_rule_closes_when_futility_is_certain() -> None:
    rule = TwoStageRule(r1=1, n1=10, r=5, n=29)  # Simon 1989 optimal for p0 0.10, p1 0.30, alpha 0.05, beta 0.2
    state, _ = enrol_many(new_cohort(rule), 10)
    state, transitions = record_many(state, dict.fromkeys(range(8), NO_BENEFIT))
    assert state.status is S.STAGE1_FULL
    state, transitions = record_outcome(state, 8, NO_BENEFIT)
    # 0 benefits and 1 pending: at most 1 <= r1 = 1.
    assert state.status is S.CLOSED_FUTILITY
    assert transitions[-1].counts["stage1_pending"] == 1
    # The pending patient's outcome is still recorded, without any transition.
    state, transitions = record_outcome(state, 9, BENEFIT)
    assert transitions == ()
    assert state.status is S.CLOSED_FUTILITY
    assert tally(state)["benefit"] == 1


def test_two_benefits_needed_with_r1_one() -> None:
    rule = TwoStageRule(r1=1, n1=10, r=5, n=29)
    state, _ = enrol_many(new_cohort(rule), 4)
    state, transitions = record_outcome(state, 0, BENEFIT)
    assert transitions == ()
    state, transitions = record_outcome(state, 1, BENEFIT)
    assert state.status is S.STAGE2_OPEN
    assert places_left(state) == 25


# ---------------------------------------------------------------------------------------------
# Pooled counts from sister trials
# ---------------------------------------------------------------------------------------------


def test_pooled_count_fills_stage1_places_and_is_shown_separately() -> None:
    state, _ = enrol_many(new_cohort(), 5)
    state, transitions = add_pooled(state, PooledCount(source="ProTarget", evaluable=3, benefit=0))
    assert state.status is S.STAGE1_FULL
    assert state.pooled == (PooledCount("ProTarget", 3, 0, stage=1),)
    (full,) = transitions
    assert full.counts["pooled_evaluable"] == 3
    assert full.counts["evaluable"] == 0
    assert full.counts["pending"] == 5
    assert "ProTarget" in full.reason
    state, transitions = record_many(state, dict.fromkeys(range(5), NO_BENEFIT))
    assert state.status is S.CLOSED_FUTILITY
    assert transitions[-1].counts["stage1_evaluable"] == 8


def test_pooled_benefits_count_toward_the_decision() -> None:
    state = _in_stage2(benefits_in_stage1=1)
    state, transitions = add_pooled(state, PooledCount(source="DRUP", evaluable=6, benefit=4))
    assert state.status is S.PROMISING
    assert state.pooled[0].stage == 2
    assert transitions[-1].counts["rule_benefit"] == 5
    assert transitions[-1].counts["benefit"] == 1
    assert transitions[-1].counts["pooled_benefit"] == 4


def test_pooled_count_can_decide_two_steps_at_once() -> None:
    state, transitions = add_pooled(new_cohort(), PooledCount(source="FINPROVE", evaluable=10, benefit=6))
    assert state.status is S.PROMISING
    assert [(t.from_status, t.to_status) for t in transitions] == [
        (S.STAGE1_OPEN, S.STAGE2_OPEN),
        (S.STAGE2_OPEN, S.PROMISING),
    ]


def test_pooled_count_rejected_after_a_decision() -> None:
    state, _ = enrol_many(new_cohort(), 8)
    state, _ = record_many(state, dict.fromkeys(range(8), NO_BENEFIT))
    with pytest.raises(ConflictError):
        add_pooled(state, PooledCount(source="DRUP", evaluable=2, benefit=1))


@pytest.mark.parametrize(
    ("values", "field"),
    [(("", 3, 1), "source"), (("DRUP", 0, 0), "evaluable"), (("DRUP", 3, 4), "benefit"), (("DRUP", 3, -1), "benefit")],
)
def test_invalid_pooled_count(values: tuple[str, int, int], field: str) -> None:
    with pytest.raises(InputError) as caught:
        PooledCount(*values)
    assert caught.value.field == field


# ---------------------------------------------------------------------------------------------
# Suspension and expansion
# ---------------------------------------------------------------------------------------------


def test_suspend_blocks_enrolment_and_resume_restores() -> None:
    state, _ = enrol_many(new_cohort(), 2)
    state, transitions = suspend(state, "drug supply interrupted")
    assert state.status is S.SUSPENDED
    assert state.status_before_suspension is S.STAGE1_OPEN
    assert transitions[0].reason == "suspended: drug supply interrupted"
    assert not accepting(state)
    with pytest.raises(ConflictError, match="suspended"):
        enrol(state)
    with pytest.raises(ConflictError, match="already suspended"):
        suspend(state, "again")
    assert next_decision(state).startswith("suspended (drug supply interrupted)")
    state, transitions = resume(state)
    assert state.status is S.STAGE1_OPEN
    assert [(t.from_status, t.to_status) for t in transitions] == [(S.SUSPENDED, S.STAGE1_OPEN)]
    assert places_left(state) == 6
    with pytest.raises(ConflictError, match="not suspended"):
        resume(state)


def test_continuation_while_suspended_takes_effect_on_resume() -> None:
    state, _ = enrol_many(new_cohort(), 8)
    state, _ = suspend(state, "safety review")
    state, transitions = record_outcome(state, 0, BENEFIT)
    assert state.status is S.SUSPENDED
    assert state.status_before_suspension is S.STAGE2_OPEN
    assert state.stage == 2
    assert [(t.from_status, t.to_status) for t in transitions] == [(S.STAGE1_FULL, S.STAGE2_OPEN)]
    assert "takes effect on resume" in transitions[0].reason
    state, _ = resume(state)
    assert state.status is S.STAGE2_OPEN
    assert places_left(state) == 16


def test_final_decision_ends_a_suspension() -> None:
    state, _ = enrol_many(new_cohort(), 8)
    state, _ = suspend(state, "safety review")
    state, transitions = record_many(state, dict.fromkeys(range(8), NO_BENEFIT))
    assert state.status is S.CLOSED_FUTILITY
    assert state.status_before_suspension is None
    assert "ends the suspension" in transitions[-1].reason


def test_closed_cohort_cannot_be_suspended() -> None:
    state, _ = enrol_many(new_cohort(), 8)
    state, _ = record_many(state, dict.fromkeys(range(8), NO_BENEFIT))
    with pytest.raises(ConflictError):
        suspend(state, "late safety signal")
    with pytest.raises(InputError):
        suspend(new_cohort(), "   ")


def test_expansion_from_promising_only() -> None:
    with pytest.raises(ConflictError, match="promising"):
        open_expansion(new_cohort())
    state, _ = add_pooled(new_cohort(), PooledCount(source="DRUP", evaluable=8, benefit=5))
    assert state.status is S.PROMISING
    with pytest.raises(InputError):
        open_expansion(state, places=0)
    state, transitions = open_expansion(state, places=10)
    assert state.status is S.EXPANSION
    assert [(t.from_status, t.to_status) for t in transitions] == [(S.PROMISING, S.EXPANSION)]
    assert places_left(state) == 10
    state, _ = enrol_many(state, 10)
    assert state.outcomes[0].stage == 3
    assert not accepting(state)
    state, transitions = record_outcome(state, 0, NO_BENEFIT)
    assert transitions == ()
    assert state.status is S.EXPANSION
    assert "expansion cohort: 10 of 10 places taken" in next_decision(state)


def test_default_expansion_size_is_n() -> None:
    state, _ = add_pooled(new_cohort(), PooledCount(source="DRUP", evaluable=8, benefit=5))
    state, _ = open_expansion(state)
    assert places_left(state) == 24


# ---------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------


def test_outcome_errors() -> None:
    state, _ = enrol_many(new_cohort(), 2)
    with pytest.raises(NotFoundError):
        record_outcome(state, 2, BENEFIT)
    with pytest.raises(NotFoundError):
        record_outcome(state, -1, BENEFIT)
    with pytest.raises(InputError) as caught:
        record_outcome(state, 0, Outcome.PENDING)
    assert caught.value.field == "outcome"
    with pytest.raises(InputError):
        record_outcome(state, 0, "response")  # type: ignore[arg-type]
    state, _ = record_outcome(state, 0, NO_BENEFIT)
    same, transitions = record_outcome(state, 0, NO_BENEFIT)
    assert same is state
    assert transitions == ()
    with pytest.raises(ConflictError, match="already has outcome no_benefit"):
        record_outcome(state, 0, BENEFIT)


def test_outcome_given_as_text() -> None:
    state, _ = enrol_many(new_cohort(), 1)
    state, transitions = record_outcome(state, 0, "benefit")  # type: ignore[arg-type]
    assert state.outcomes[0].outcome is BENEFIT
    assert transitions[0].to_status is S.STAGE2_OPEN


def test_every_transition_carries_the_full_tally() -> None:
    state, transitions = enrol_many(new_cohort(), 8)
    keys = {
        "enrolled",
        "evaluable",
        "benefit",
        "no_benefit",
        "pending",
        "not_evaluable",
        "pooled_evaluable",
        "pooled_benefit",
        "stage1_evaluable",
        "stage1_benefit",
        "stage1_pending",
        "rule_evaluable",
        "rule_benefit",
        "rule_pending",
        "places_left",
    }
    assert set(transitions[0].counts) == keys
    assert transitions[0].counts == tally(state)
