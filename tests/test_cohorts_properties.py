"""Property tests of the cohort state machine: random sequences of enrolments, outcomes, pooled counts,
suspensions and expansions never overfill a cohort, every status agrees with the counts, decisions are
taken as soon as they are certain, and closed cohorts stay closed."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from oncobasket.core.cohorts import (
    CohortState,
    CohortStatus,
    Outcome,
    PooledCount,
    Transition,
    TwoStageRule,
    accepting,
    add_pooled,
    enrol,
    new_cohort,
    open_expansion,
    places_left,
    record_outcome,
    resume,
    suspend,
    tally,
)
from oncobasket.core.errors import ConflictError

S = CohortStatus
STAGE1 = {S.STAGE1_OPEN, S.STAGE1_FULL}
STAGE2 = {S.STAGE2_OPEN, S.STAGE2_FULL}
CLOSED = {S.CLOSED_FUTILITY, S.CLOSED_NEGATIVE}
RECORDED = [Outcome.BENEFIT, Outcome.NO_BENEFIT, Outcome.NOT_EVALUABLE]


@dataclass(frozen=True)
class Counts:
    """Counted again here, independently of the module, from the patients and pooled counts."""

    local_taken_1: int
    local_taken_rule: int
    local_taken_expansion: int
    benefit_1: int
    taken_1: int
    pending_1: int
    benefit: int
    taken: int
    pending: int


def recount(state: CohortState) -> Counts:
    evaluable = {1: 0, 2: 0, 3: 0}
    benefit = {1: 0, 2: 0, 3: 0}
    pending = {1: 0, 2: 0, 3: 0}
    for stage, outcome in state.outcomes:
        if outcome is Outcome.PENDING:
            pending[stage] += 1
        elif outcome is not Outcome.NOT_EVALUABLE:
            evaluable[stage] += 1
            benefit[stage] += outcome is Outcome.BENEFIT
    local = {stage: evaluable[stage] + pending[stage] for stage in (1, 2, 3)}
    for count in state.pooled:
        assert count.stage in {1, 2}
        evaluable[count.stage] += count.evaluable
        benefit[count.stage] += count.benefit
    return Counts(
        local_taken_1=local[1],
        local_taken_rule=local[1] + local[2],
        local_taken_expansion=local[3],
        benefit_1=benefit[1],
        taken_1=evaluable[1] + pending[1],
        pending_1=pending[1],
        benefit=benefit[1] + benefit[2],
        taken=evaluable[1] + evaluable[2] + pending[1] + pending[2],
        pending=pending[1] + pending[2],
    )


def best_case_stage1(state: CohortState, counts: Counts) -> int:
    return counts.benefit_1 + counts.pending_1 + max(0, state.rule.n1 - counts.taken_1)


def best_case(state: CohortState, counts: Counts) -> int:
    return counts.benefit + counts.pending + max(0, state.rule.n - counts.taken)


def check_invariants(state: CohortState) -> None:
    rule = state.rule
    counts = recount(state)
    status = state.rule_status
    # Never more patients than places (pooled patients take places too).
    assert counts.local_taken_1 <= rule.n1
    assert counts.local_taken_rule <= rule.n
    assert counts.local_taken_expansion <= (state.expansion_places or 0)
    # The status agrees with the counts, and a decision is taken as soon as it is certain.
    if status in STAGE1:
        assert counts.benefit_1 <= rule.r1
        assert best_case_stage1(state, counts) > rule.r1
        assert (status is S.STAGE1_FULL) == (counts.taken_1 >= rule.n1)
        assert state.stage == 1
    if status in STAGE2 | {S.PROMISING, S.EXPANSION, S.CLOSED_NEGATIVE}:
        assert counts.benefit_1 > rule.r1
    if status in STAGE2:
        assert counts.benefit <= rule.r
        assert best_case(state, counts) > rule.r
        assert (status is S.STAGE2_FULL) == (counts.taken >= rule.n)
        assert state.stage == 2
    if status is S.CLOSED_FUTILITY:
        assert best_case_stage1(state, counts) <= rule.r1
    if status is S.CLOSED_NEGATIVE:
        assert best_case(state, counts) <= rule.r
    if status in {S.PROMISING, S.EXPANSION}:
        assert counts.benefit > rule.r
    # Places and acceptance agree.
    assert accepting(state) == (places_left(state) > 0)
    expected_places = {
        S.STAGE1_OPEN: rule.n1 - counts.taken_1,
        S.STAGE2_OPEN: rule.n - counts.taken,
        S.EXPANSION: (state.expansion_places or 0) - counts.local_taken_expansion,
    }.get(state.status, 0)
    assert places_left(state) == max(0, expected_places)
    if state.status is S.SUSPENDED:
        assert state.status_before_suspension is not None
    else:
        assert state.status_before_suspension is None


def check_chain(before: CohortState, after: CohortState, transitions: tuple[Transition, ...]) -> None:
    """Rule transitions link up from the status the rule was in to the one it is in now."""
    if not transitions:
        assert after.rule_status is before.rule_status
        return
    assert transitions[0].from_status is before.rule_status
    for earlier, later in itertools.pairwise(transitions):
        assert earlier.to_status is later.from_status
    assert transitions[-1].to_status is after.rule_status
    assert transitions[-1].counts == tally(after)
    for transition in transitions:
        assert transition.from_status is not transition.to_status
        assert transition.reason


@st.composite
def rules(draw: st.DrawFn) -> TwoStageRule:
    if draw(st.booleans()):
        return draw(st.sampled_from([TwoStageRule(), TwoStageRule(1, 10, 5, 29), TwoStageRule(3, 17, 10, 37)]))
    n = draw(st.integers(2, 14))
    n1 = draw(st.integers(1, n - 1))
    r1 = draw(st.integers(0, n1 - 1))
    r = draw(st.integers(r1, n - 1))
    return TwoStageRule(r1, n1, r, n)


actions = st.lists(
    st.one_of(
        st.tuples(st.just("enrol")),
        st.tuples(st.just("enrol")),
        st.tuples(st.just("outcome"), st.integers(0, 1000), st.sampled_from(RECORDED)),
        st.tuples(st.just("outcome"), st.integers(0, 1000), st.sampled_from(RECORDED)),
        st.tuples(st.just("pooled"), st.integers(1, 4), st.integers(0, 4)),
        st.tuples(st.just("suspend")),
        st.tuples(st.just("resume")),
        st.tuples(st.just("expand"), st.integers(1, 5)),
    ),
    max_size=80,
)


def step(state: CohortState, action: tuple[object, ...]) -> tuple[CohortState, tuple[Transition, ...], bool]:
    """Apply one action; returns the new state, the transitions, and whether it was a rule event."""
    kind = action[0]
    if kind == "enrol":
        could = accepting(state)
        try:
            new, transitions = enrol(state)
        except ConflictError:
            assert not could
            return state, (), True
        assert could
        return new, transitions, True
    if kind == "outcome":
        pending = [index for index, patient in enumerate(state.outcomes) if patient.outcome is Outcome.PENDING]
        if not pending:
            return state, (), True
        index = pending[int(str(action[1])) % len(pending)]
        outcome = Outcome(str(action[2]))
        new, transitions = record_outcome(state, index, outcome)
        assert new.outcomes[index].outcome is outcome
        return new, transitions, True
    if kind == "pooled":
        evaluable = int(str(action[1]))
        benefit = min(int(str(action[2])), evaluable)
        try:
            new, transitions = add_pooled(state, PooledCount("sister trial", evaluable, benefit))
        except ConflictError:
            assert state.rule_status not in STAGE1 | STAGE2
            return state, (), True
        return new, transitions, True
    if kind == "suspend":
        try:
            new, transitions = suspend(state, "safety review")
        except ConflictError:
            assert state.status is S.SUSPENDED or state.status in CLOSED
            return state, (), False
        assert [(t.from_status, t.to_status) for t in transitions] == [(state.status, S.SUSPENDED)]
        return new, transitions, False
    if kind == "resume":
        try:
            new, transitions = resume(state)
        except ConflictError:
            assert state.status is not S.SUSPENDED
            return state, (), False
        assert transitions[0].from_status is S.SUSPENDED
        return new, transitions, False
    try:
        new, transitions = open_expansion(state, int(str(action[1])))
    except ConflictError:
        assert state.status is not S.PROMISING
        return state, (), False
    return new, transitions, False


@settings(max_examples=400, deadline=None)
@given(rule=rules(), sequence=actions)
def test_random_histories_keep_every_invariant(rule: TwoStageRule, sequence: list[tuple[object, ...]]) -> None:
    state = new_cohort(rule)
    check_invariants(state)
    for action in sequence:
        before = state
        state, transitions, rule_event = step(state, action)
        check_invariants(state)
        if rule_event:
            check_chain(before, state, transitions)
        if before.status in CLOSED:
            # No transition out of a closed cohort.
            assert state.status is before.status
            assert transitions == ()
        if before.status is S.PROMISING and state.status is not S.PROMISING:
            assert state.status in {S.EXPANSION, S.SUSPENDED}


@settings(max_examples=300, deadline=None)
@given(rule=rules(), data=st.data())
def test_decision_agrees_with_simon_counts_once_everyone_is_evaluated(rule: TwoStageRule, data: st.DataObject) -> None:
    """Enrol and evaluate until the rule decides; the decision is the one Simon's rule gives on the counts."""
    state = new_cohort(rule)
    # Every not-evaluable patient is replaced by a new enrolment, so an unbounded run of them never decides;
    # capping them at n keeps the walk within 4n steps (at most 2n enrolments and 2n outcomes).
    not_evaluable = 0
    for _ in range(4 * rule.n + 10):
        if state.status in CLOSED | {S.PROMISING}:
            break
        if accepting(state):
            state, _ = enrol(state)
            continue
        pending = [index for index, patient in enumerate(state.outcomes) if patient.outcome is Outcome.PENDING]
        assert pending, f"stuck in {state.status} with nobody pending"
        index = data.draw(st.sampled_from(pending))
        choices = RECORDED if not_evaluable < rule.n else [Outcome.BENEFIT, Outcome.NO_BENEFIT]
        outcome = data.draw(st.sampled_from(choices))
        not_evaluable += outcome is Outcome.NOT_EVALUABLE
        state, _ = record_outcome(state, index, outcome)
    assert state.status in CLOSED | {S.PROMISING}
    # Evaluate everyone still pending: no status changes any more.
    for index, patient in enumerate(state.outcomes):
        if patient.outcome is Outcome.PENDING:
            status = state.status
            state, transitions = record_outcome(state, index, data.draw(st.sampled_from(RECORDED)))
            assert transitions == ()
            assert state.status is status
    counts = recount(state)
    if state.status is S.CLOSED_FUTILITY:
        assert counts.benefit_1 <= rule.r1
    else:
        assert counts.benefit_1 > rule.r1
        assert (state.status is S.PROMISING) == (counts.benefit > rule.r)
