"""The repository for treatment, adverse events, tumour assessments and follow-up (split from
``repository.py`` by concept; the same rules: the session first, keyword-only arguments, no delete).

Every table here is append-only: a correction is a new row whose ``corrects_id`` names the row it
supersedes. The ``*_in_force`` functions return the rows no correction superseded, in date order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
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


@cache
def _correction_alias(model: type[_Row]) -> Any:
    """One alias per table for its correcting rows, built once: a fresh ``aliased()`` per query made SQLAlchemy
    adapt every column again, most of the analysis dataset's time (benchmarks/bench_registry_report.py)."""
    return aliased(model)


def _in_force(
    session: Session, model: type[_Row], *conditions: Any, order: Sequence[Any], recorded_by: datetime | None
) -> Sequence[_Row]:
    """Rows no correction superseded; with ``recorded_by``, the registry as it stood then (later rows and
    corrections recorded later do not count: a data cut-off)."""
    correction = _correction_alias(model)
    later: list[Any] = []
    corrections: list[Any] = [correction.corrects_id == model.id]
    if recorded_by is not None:
        later.append(model.recorded_at < recorded_by)
        corrections.append(correction.recorded_at < recorded_by)
    superseded = select(correction.id).where(*corrections).exists()
    return session.scalars(select(model).where(*conditions, *later, ~superseded).order_by(*order, model.id)).all()


def treatment_of(session: Session, *, patient_id: int, recorded_by: datetime | None = None) -> Treatment | None:
    """The patient's trial treatment (one per enrolment; the latest enrolment's if ever several)."""
    query = select(Treatment).where(Treatment.patient_id == patient_id)
    if recorded_by is not None:
        query = query.where(Treatment.recorded_at < recorded_by)
    return session.scalars(query.order_by(Treatment.id.desc()).limit(1)).one_or_none()


def cycles_in_force(
    session: Session, *, treatment_id: int, recorded_by: datetime | None = None
) -> Sequence[TreatmentCycle]:
    """The treatment's cycles in force, by cycle number."""
    return _in_force(
        session,
        TreatmentCycle,
        TreatmentCycle.treatment_id == treatment_id,
        order=[TreatmentCycle.cycle_number],
        recorded_by=recorded_by,
    )


def end_in_force(session: Session, *, treatment_id: int, recorded_by: datetime | None = None) -> TreatmentEnd | None:
    """The end of treatment in force, if recorded."""
    ends = _in_force(
        session,
        TreatmentEnd,
        TreatmentEnd.treatment_id == treatment_id,
        order=[TreatmentEnd.id],
        recorded_by=recorded_by,
    )
    return ends[-1] if ends else None


def follow_ups_in_force(
    session: Session, *, patient_id: int, recorded_by: datetime | None = None
) -> Sequence[FollowUp]:
    """The patient's follow-up contacts in force, by date."""
    return _in_force(
        session, FollowUp, FollowUp.patient_id == patient_id, order=[FollowUp.contact_date], recorded_by=recorded_by
    )


def adverse_events_in_force(
    session: Session, *, patient_id: int, recorded_by: datetime | None = None
) -> Sequence[AdverseEventRecord]:
    """The patient's adverse events in force, by start date."""
    return _in_force(
        session,
        AdverseEventRecord,
        AdverseEventRecord.patient_id == patient_id,
        order=[AdverseEventRecord.start_date],
        recorded_by=recorded_by,
    )


def assessments_in_force(
    session: Session, *, patient_id: int, recorded_by: datetime | None = None
) -> Sequence[TumourAssessment]:
    """The patient's tumour assessments in force (baseline first), by date."""
    return _in_force(
        session,
        TumourAssessment,
        TumourAssessment.patient_id == patient_id,
        order=[TumourAssessment.assessment_date],
        recorded_by=recorded_by,
    )


def prior_treatments_in_force(
    session: Session, *, patient_id: int, recorded_by: datetime | None = None
) -> Sequence[PriorTreatment]:
    """The patient's treatments before the trial, in force, by start date (the last is the last prior line)."""
    return _in_force(
        session,
        PriorTreatment,
        PriorTreatment.patient_id == patient_id,
        order=[PriorTreatment.start_date],
        recorded_by=recorded_by,
    )
