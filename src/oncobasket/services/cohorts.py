"""Use cases: cohorts under their two-stage rule: list, show, pool sister-trial counts, suspend, resume, expand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.cohorts import (
    CohortState,
    Transition,
    accepting,
    add_pooled,
    next_decision,
    open_expansion,
    places_left,
    resume,
    suspend,
    tally,
)
from oncobasket.core.cohorts import PooledCount as CorePooledCount
from oncobasket.core.errors import ConflictError
from oncobasket.core.validation import check_free_text, check_whole_number
from oncobasket.db import repository
from oncobasket.db.models import (
    Cohort,
)
from oncobasket.services.registry import Registry
from oncobasket.services.trial import _budget_view

# More places than any basket-trial cohort has (DRUP and IMPRESS expansions enrol tens of patients): a
# larger number is a typing error and would overflow the INTEGER column.
_MAX_PLACES = 10_000


def _apply(
    registry: Registry,
    session: Session,
    *,
    cohort: Cohort,
    state: CohortState,
    transitions: Sequence[Transition],
    study_id: str | None,
    at: datetime,
) -> None:
    """Store the state machine's new state on the cohort row and record each transition."""
    before = {"status": cohort.status, "stage": cohort.stage}
    repository.store_cohort_status(cohort, state=state)
    for transition in transitions:
        repository.add_cohort_transition(
            session,
            cohort_id=cohort.id,
            from_status=str(transition.from_status),
            to_status=str(transition.to_status),
            reason=transition.reason,
            counts=dict(transition.counts),
            at=at,
        )
    session.flush()
    if transitions:
        registry.audit(
            session,
            at=at,
            action="cohort.transition",
            entity="cohort",
            entity_id=cohort.id,
            study_id=study_id,
            before=before,
            after={
                "status": cohort.status,
                "stage": cohort.stage,
                "reasons": [transition.reason for transition in transitions],
            },
        )


def pool_counts(registry: Registry, cohort_ref: str, *, source: str, evaluable: int, benefit: int) -> dict[str, Any]:
    """Add a sister trial's evaluable patients and benefits to a cohort's tally, with its source."""
    registry.database.check_schema()
    check_free_text(source, field="--source", what="the source", maximum=200)
    for name, count in (("--evaluable", evaluable), ("--benefit", benefit)):
        check_whole_number(
            count, field=name, minimum=0, maximum=_MAX_PLACES, what=name[2:], fix="give the sister trial's count"
        )
    pooled = CorePooledCount(source=source.strip(), evaluable=evaluable, benefit=benefit)
    now = registry.now()
    with registry.database.transaction() as session:
        cohort = repository.get_cohort_or_raise(session, name_or_id=cohort_ref, lock=True)
        state = repository.cohort_state(session, cohort=cohort)
        try:
            new_state, transitions = add_pooled(state, pooled)
        except ConflictError as refused:
            raise ConflictError(f"cohort '{cohort.name}': {refused}") from None
        stage = new_state.pooled[-1].stage or 1
        row = repository.add_pooled_count(
            session,
            cohort_id=cohort.id,
            source=pooled.source,
            stage=stage,
            evaluable=evaluable,
            benefit=benefit,
            recorded_at=now,
        )
        _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=None, at=now)
        after = {
            "cohort": cohort.name,
            "source": pooled.source,
            "stage": stage,
            "evaluable": evaluable,
            "benefit": benefit,
        }
        registry.audit(
            session,
            at=now,
            action="cohort.pool",
            entity="pooled_count",
            entity_id=row.id,
            study_id=None,
            before=None,
            after=after,
        )
        return {
            **after,
            "cohort_status": cohort.status,
            "transitions": [_transition_view(item) for item in transitions],
        }


def _cohort_step(
    registry: Registry,
    cohort_ref: str,
    *,
    action: str,
    step: Callable[[CohortState], tuple[CohortState, tuple[Transition, ...]]],
) -> dict[str, Any]:
    """Apply one state-machine step to a cohort under its row lock, record it and audit it."""
    registry.database.check_schema()
    now = registry.now()
    with registry.database.transaction() as session:
        cohort = repository.get_cohort_or_raise(session, name_or_id=cohort_ref, lock=True)
        state = repository.cohort_state(session, cohort=cohort)
        try:
            new_state, transitions = step(state)
        except ConflictError as refused:
            raise ConflictError(f"cohort '{cohort.name}': {refused}") from None
        before = {"status": cohort.status}
        _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=None, at=now)
        registry.audit(
            session,
            at=now,
            action=action,
            entity="cohort",
            entity_id=cohort.id,
            study_id=None,
            before=before,
            after={"status": cohort.status, "reason": cohort.suspension_reason},
        )
        return {
            "cohort": cohort.name,
            "cohort_id": cohort.id,
            "cohort_status": cohort.status,
            "transitions": [_transition_view(item) for item in transitions],
        }


def suspend_cohort(registry: Registry, cohort_ref: str, *, reason: str) -> dict[str, Any]:
    """Hold enrolment in a cohort (safety review, drug supply, ...) until it is resumed."""
    if reason.strip():
        check_free_text(reason, field="--reason", what="the reason")
    return _cohort_step(registry, cohort_ref, action="cohort.suspend", step=lambda state: suspend(state, reason))


def resume_cohort(registry: Registry, cohort_ref: str) -> dict[str, Any]:
    """End a suspension: the cohort returns to the status its rule reached meanwhile."""
    return _cohort_step(registry, cohort_ref, action="cohort.resume", step=resume)


def expand_cohort(registry: Registry, cohort_ref: str, *, places: int | None = None) -> dict[str, Any]:
    """Turn a promising cohort into an expansion cohort (default size: the rule's n)."""
    if places is not None:
        check_whole_number(
            places, field="--places", minimum=1, maximum=_MAX_PLACES, what="places", fix="give the expansion's size"
        )
    return _cohort_step(registry, cohort_ref, action="cohort.expand", step=lambda state: open_expansion(state, places))


def _transition_view(item: Transition) -> dict[str, Any]:
    return {
        "from": str(item.from_status),
        "to": str(item.to_status),
        "reason": item.reason,
        "counts": dict(item.counts),
    }


def list_cohorts(registry: Registry) -> list[dict[str, Any]]:
    """Every cohort with its status, counts and slots."""
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        return [_cohort_summary(session, row) for row in repository.list_cohorts(session)]


def show_cohort(registry: Registry, cohort_ref: str) -> dict[str, Any]:
    """One cohort: stage, counts (own and pooled), slots, the next decision and what it waits for,
    its patients and its transitions."""
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        cohort = repository.get_cohort_or_raise(session, name_or_id=cohort_ref)
        view = _cohort_summary(session, cohort)
        view["patients"] = [
            {
                "place": row.position + 1,
                "study_id": study_id,
                "stage": row.stage,
                "outcome": row.outcome,
                "override_reason": row.override_reason,
            }
            for row, study_id in repository.cohort_patients(session, cohort_id=cohort.id)
        ]
        view["pooled"] = [
            {"source": row.source, "stage": row.stage, "evaluable": row.evaluable, "benefit": row.benefit}
            for row in repository.pooled_counts(session, cohort_id=cohort.id)
        ]
        view["transitions"] = [
            {
                "at": row.at.isoformat(),
                "from": row.from_status,
                "to": row.to_status,
                "reason": row.reason,
                "counts": row.counts,
            }
            for row in repository.cohort_transitions(session, cohort_id=cohort.id)
        ]
        return view


def _cohort_summary(session: Session, cohort: Cohort) -> dict[str, Any]:
    state = repository.cohort_state(session, cohort=cohort)
    budget = (
        repository.get_slot_budget_by_id(session, budget_id=cohort.slot_budget_id)
        if cohort.slot_budget_id is not None
        else None
    )
    return {
        "id": cohort.id,
        "name": cohort.name,
        "tumour_group": cohort.tumour_group,
        "biomarker": cohort.biomarker,
        "drug": cohort.drug,
        "status": cohort.status,
        "stage": cohort.stage,
        "rule": state.rule.as_dict(),
        "counts": tally(state),
        "accepting": accepting(state),
        "places_left": places_left(state),
        "slots": _budget_view(budget) if budget is not None else None,
        "next_decision": next_decision(state),
        "suspension_reason": cohort.suspension_reason,
        "opened_at": cohort.opened_at.isoformat(),
    }
