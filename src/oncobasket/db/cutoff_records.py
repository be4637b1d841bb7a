"""The repository's queries of the registry as it stood at a data cut-off (issue 9: "nothing recorded after
it counts"): each returns what was recorded before ``recorded_by``, with corrections recorded later ignored.

The same rules as ``repository.py``: the session first, keyword-only arguments, no delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from oncobasket.db.models import (
    AuditEvent,
    CohortTransition,
    Enrolment,
    MtbDecision,
    NotTreated,
    Patient,
    Screening,
)

#: The correcting decisions' alias, built once (a fresh ``aliased()`` per query re-adapted every column).
_DECISION_CORRECTION = aliased(MtbDecision)


def screened_patients(session: Session, *, recorded_by: datetime) -> Sequence[tuple[Patient, Screening]]:
    """Every patient with a screening recorded before the cut-off, with their latest such screening."""
    latest = (
        select(Screening.patient_id, func.max(Screening.id).label("screening_id"))
        .where(Screening.screened_at < recorded_by)
        .group_by(Screening.patient_id)
        .subquery()
    )
    rows = session.execute(
        select(Patient, Screening)
        .join(latest, latest.c.patient_id == Patient.id)
        .join(Screening, Screening.id == latest.c.screening_id)
        .order_by(Patient.study_id)
    ).all()
    return [(patient, screening) for patient, screening in rows]


def decision_in_force(session: Session, *, patient_id: int, recorded_by: datetime) -> MtbDecision | None:
    """The decision in force at the cut-off (the latest meeting's among those no earlier correction superseded)."""
    correction = _DECISION_CORRECTION
    superseded = (
        select(correction.id)
        .where(correction.corrects_id == MtbDecision.id, correction.recorded_at < recorded_by)
        .exists()
    )
    return session.scalars(
        select(MtbDecision)
        .where(MtbDecision.patient_id == patient_id, MtbDecision.recorded_at < recorded_by, ~superseded)
        .order_by(MtbDecision.meeting_date.desc(), MtbDecision.id.desc())
        .limit(1)
    ).one_or_none()


def enrolment_at(session: Session, *, patient_id: int, recorded_by: datetime) -> Enrolment | None:
    """The patient's latest enrolment made before the cut-off."""
    return session.scalars(
        select(Enrolment)
        .where(Enrolment.patient_id == patient_id, Enrolment.enrolled_at < recorded_by)
        .order_by(Enrolment.id.desc())
        .limit(1)
    ).one_or_none()


def not_treated_at(session: Session, *, patient_id: int, recorded_by: datetime) -> NotTreated | None:
    """The latest reason for not treating recorded before the cut-off."""
    return session.scalars(
        select(NotTreated)
        .where(NotTreated.patient_id == patient_id, NotTreated.recorded_at < recorded_by)
        .order_by(NotTreated.id.desc())
        .limit(1)
    ).one_or_none()


def cohort_status_at(session: Session, *, cohort_id: int, recorded_by: datetime) -> str | None:
    """The cohort's status after its last transition before the cut-off."""
    return session.scalars(
        select(CohortTransition.to_status)
        .where(CohortTransition.cohort_id == cohort_id, CohortTransition.at < recorded_by)
        .order_by(CohortTransition.id.desc())
        .limit(1)
    ).one_or_none()


def outcome_at(session: Session, *, enrolment_id: int, recorded_by: datetime) -> str | None:
    """The enrolment's week-16 outcome as the audit trail had it at the cut-off (recorded, computed or corrected).

    The enrolment row holds only the outcome in force now; the append-only audit trail holds every value with
    its time, so the value at the cut-off is the last one written before it (None: still pending then).
    """
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity == "enrolment",
            AuditEvent.entity_id == enrolment_id,
            AuditEvent.action.in_(("outcome.record", "outcome.compute", "outcome.correct")),
            AuditEvent.at < recorded_by,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).all()
    if not events or events[0].after is None:
        return None
    value = events[0].after.get("outcome")
    return str(value) if value is not None else None


def decision_history(session: Session, *, patient_id: int) -> Sequence[MtbDecision]:
    """Every tumour-board decision on the patient, corrections included, in the order recorded."""
    return session.scalars(
        select(MtbDecision).where(MtbDecision.patient_id == patient_id).order_by(MtbDecision.id)
    ).all()
