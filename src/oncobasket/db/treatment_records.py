"""The repository for treatment, adverse events, tumour assessments and follow-up (split from
``repository.py`` by concept; the same rules: the session first, keyword-only arguments, no delete).

Every table here is append-only: a correction is a new row whose ``corrects_id`` names the row it
supersedes. The ``*_in_force`` functions return the rows no correction superseded, in date order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from oncobasket.db.models import (
    AdverseEventRecord,
    FollowUp,
    LesionMeasurement,
    PriorTreatment,
    Treatment,
    TreatmentCycle,
    TreatmentEnd,
    TumourAssessment,
)

_Row = TypeVar("_Row", TreatmentCycle, TreatmentEnd, FollowUp, AdverseEventRecord, TumourAssessment, PriorTreatment)


def add(session: Session, row: _Row | Treatment | LesionMeasurement) -> None:
    """Insert one row and flush, so its id is known (the row is never updated afterwards)."""
    session.add(row)
    session.flush()


def _in_force(session: Session, model: type[_Row], *conditions: Any, order: Sequence[Any]) -> Sequence[_Row]:
    correction = aliased(model)
    superseded = select(correction.id).where(correction.corrects_id == model.id).exists()
    return session.scalars(select(model).where(*conditions, ~superseded).order_by(*order, model.id)).all()


def treatment_of(session: Session, *, patient_id: int) -> Treatment | None:
    """The patient's trial treatment (one per enrolment; the latest enrolment's if ever several)."""
    return session.scalars(
        select(Treatment).where(Treatment.patient_id == patient_id).order_by(Treatment.id.desc()).limit(1)
    ).one_or_none()


def cycles_in_force(session: Session, *, treatment_id: int) -> Sequence[TreatmentCycle]:
    """The treatment's cycles in force, by cycle number."""
    return _in_force(
        session, TreatmentCycle, TreatmentCycle.treatment_id == treatment_id, order=[TreatmentCycle.cycle_number]
    )


def end_in_force(session: Session, *, treatment_id: int) -> TreatmentEnd | None:
    """The end of treatment in force, if recorded."""
    ends = _in_force(session, TreatmentEnd, TreatmentEnd.treatment_id == treatment_id, order=[TreatmentEnd.id])
    return ends[-1] if ends else None


def follow_ups_in_force(session: Session, *, patient_id: int) -> Sequence[FollowUp]:
    """The patient's follow-up contacts in force, by date."""
    return _in_force(session, FollowUp, FollowUp.patient_id == patient_id, order=[FollowUp.contact_date])


def adverse_events_in_force(session: Session, *, patient_id: int) -> Sequence[AdverseEventRecord]:
    """The patient's adverse events in force, by start date."""
    return _in_force(
        session, AdverseEventRecord, AdverseEventRecord.patient_id == patient_id, order=[AdverseEventRecord.start_date]
    )


def get_adverse_event(session: Session, *, patient_id: int, event_id: int) -> AdverseEventRecord | None:
    """One of the patient's adverse events by its id."""
    return session.scalars(
        select(AdverseEventRecord).where(AdverseEventRecord.patient_id == patient_id, AdverseEventRecord.id == event_id)
    ).one_or_none()


def assessments_in_force(session: Session, *, patient_id: int) -> Sequence[TumourAssessment]:
    """The patient's tumour assessments in force (baseline first), by date."""
    return _in_force(
        session, TumourAssessment, TumourAssessment.patient_id == patient_id, order=[TumourAssessment.assessment_date]
    )


def prior_treatments_in_force(session: Session, *, patient_id: int) -> Sequence[PriorTreatment]:
    """The patient's treatments before the trial, in force, by start date (the last is the last prior line)."""
    return _in_force(
        session, PriorTreatment, PriorTreatment.patient_id == patient_id, order=[PriorTreatment.start_date]
    )


def get_prior_treatment(session: Session, *, patient_id: int, entry_id: int) -> PriorTreatment | None:
    """One of the patient's prior treatments by its id."""
    return session.scalars(
        select(PriorTreatment).where(PriorTreatment.patient_id == patient_id, PriorTreatment.id == entry_id)
    ).one_or_none()
