"""The registry at a data cut-off, read in one query per table (the analysis dataset's batch read).

``cutoff_records`` answers one patient at a time; building the analysis dataset that way issued some ten queries
per screened patient. :func:`snapshot_at` reads each table once with the same rules (rows recorded before
``recorded_by``; corrections recorded later ignored; the same order, so the same row wins) and indexes the
rows by patient, screening, cohort or enrolment. The per-patient functions stay the definition:
tests/test_services_analysis.py holds both to the same dataset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from oncobasket.db.models import (
    AdverseEventRecord,
    AuditEvent,
    Cohort,
    CohortTransition,
    Enrolment,
    MatchSuggestion,
    MtbDecision,
    NotTreated,
    Treatment,
)

_DECISION_CORRECTION = aliased(MtbDecision)
_EVENT_CORRECTION = aliased(AdverseEventRecord)

#: The audit actions that set an enrolment's week-16 outcome (``cutoff_records.outcome_at``).
_OUTCOME_ACTIONS = ("outcome.record", "outcome.compute", "outcome.correct")


@dataclass(frozen=True, slots=True)
class CutOffSnapshot:
    """What ``cutoff_records`` and ``treatment_records`` would answer for every patient at one cut-off."""

    suggestions: Mapping[int, Sequence[MatchSuggestion]]  # by screening id, in the matcher's order
    decisions: Mapping[int, MtbDecision]  # the decision in force, by patient id
    enrolments: Mapping[int, Enrolment]  # the latest enrolment, by patient id
    treatments: Mapping[int, Treatment]  # the latest treatment, by patient id
    not_treated: Mapping[int, NotTreated]  # the latest reason, by patient id
    cohorts: Mapping[int, Cohort]  # by cohort id
    cohort_statuses: Mapping[int, str]  # the status after the last transition, by cohort id
    outcomes: Mapping[int, str | None]  # the last outcome the audit trail held, by enrolment id
    worst_adverse_event_grades: Mapping[int, int]  # over the events in force, by patient id


def snapshot_at(session: Session, *, recorded_by: datetime) -> CutOffSnapshot:
    """Read the registry as it stood before ``recorded_by``."""
    suggestions: dict[int, list[MatchSuggestion]] = {}
    for row in session.scalars(select(MatchSuggestion).order_by(MatchSuggestion.id)):
        suggestions.setdefault(row.screening_id, []).append(row)
    superseded = (
        select(_DECISION_CORRECTION.id)
        .where(_DECISION_CORRECTION.corrects_id == MtbDecision.id, _DECISION_CORRECTION.recorded_at < recorded_by)
        .exists()
    )
    decisions = _first_by(
        session.scalars(
            select(MtbDecision)
            .where(MtbDecision.recorded_at < recorded_by, ~superseded)
            .order_by(MtbDecision.meeting_date.desc(), MtbDecision.id.desc())
        ),
        "patient_id",
    )
    enrolments = _first_by(
        session.scalars(select(Enrolment).where(Enrolment.enrolled_at < recorded_by).order_by(Enrolment.id.desc())),
        "patient_id",
    )
    treatments = _first_by(
        session.scalars(select(Treatment).where(Treatment.recorded_at < recorded_by).order_by(Treatment.id.desc())),
        "patient_id",
    )
    not_treated = _first_by(
        session.scalars(select(NotTreated).where(NotTreated.recorded_at < recorded_by).order_by(NotTreated.id.desc())),
        "patient_id",
    )
    cohorts = {row.id: row for row in session.scalars(select(Cohort))}
    statuses: dict[int, str] = {}
    for cohort_id, status in session.execute(
        select(CohortTransition.cohort_id, CohortTransition.to_status)
        .where(CohortTransition.at < recorded_by)
        .order_by(CohortTransition.id.desc())
    ):
        statuses.setdefault(cohort_id, status)
    outcomes: dict[int, str | None] = {}
    for entity_id, after in session.execute(
        select(AuditEvent.entity_id, AuditEvent.after)
        .where(AuditEvent.entity == "enrolment", AuditEvent.action.in_(_OUTCOME_ACTIONS), AuditEvent.at < recorded_by)
        .order_by(AuditEvent.id.desc())
    ):
        if entity_id is not None and entity_id not in outcomes:
            value = after.get("outcome") if after is not None else None
            outcomes[entity_id] = str(value) if value is not None else None
    event_superseded = (
        select(_EVENT_CORRECTION.id)
        .where(_EVENT_CORRECTION.corrects_id == AdverseEventRecord.id, _EVENT_CORRECTION.recorded_at < recorded_by)
        .exists()
    )
    grades: dict[int, int] = {}
    for patient_id, grade in session.execute(
        select(AdverseEventRecord.patient_id, AdverseEventRecord.grade).where(
            AdverseEventRecord.recorded_at < recorded_by, ~event_superseded
        )
    ):
        grades[patient_id] = max(grades.get(patient_id, 0), grade)
    return CutOffSnapshot(
        suggestions=suggestions,
        decisions=decisions,
        enrolments=enrolments,
        treatments=treatments,
        not_treated=not_treated,
        cohorts=cohorts,
        cohort_statuses=statuses,
        outcomes=outcomes,
        worst_adverse_event_grades=grades,
    )


def _first_by(rows: Any, key: str) -> dict[int, Any]:
    """The first row per value of ``key`` (rows come in the per-patient query's order, so the same row wins)."""
    first: dict[int, Any] = {}
    for row in rows:
        first.setdefault(getattr(row, key), row)
    return first
