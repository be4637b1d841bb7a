"""Views of what the registry holds about a patient's treatment: cycles, end, follow-up, adverse events and the
assessments as entered (the derived values are ``services.patient_outcomes``')."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from oncobasket.db import treatment_records
from oncobasket.db.models import (
    AdverseEventRecord,
    FollowUp,
    Patient,
    PriorTreatment,
    TreatmentCycle,
    TreatmentEnd,
)


def cycle_view(row: TreatmentCycle) -> dict[str, Any]:
    """A cycle as JSON."""
    return {
        "cycle": row.cycle_number,
        "start_date": row.start_date.isoformat(),
        "doses": list(row.doses),
        "dose_change": row.dose_change,
        "dose_change_reason": row.dose_change_reason,
        "delay_days": row.delay_days,
        "delay_reason": row.delay_reason,
        "correction_reason": row.correction_reason,
    }


def end_view(row: TreatmentEnd) -> dict[str, Any]:
    """An end of treatment as JSON."""
    return {
        "end_date": row.end_date.isoformat(),
        "reason": row.reason,
        "note": row.note,
        "correction_reason": row.correction_reason,
    }


def follow_up_view(row: FollowUp) -> dict[str, Any]:
    """A follow-up contact as JSON."""
    return {
        "contact_date": row.contact_date.isoformat(),
        "status": row.status,
        "death_date": row.death_date.isoformat() if row.death_date is not None else None,
        "note": row.note,
    }


def adverse_event_view(row: AdverseEventRecord) -> dict[str, Any]:
    """An adverse event as JSON."""
    return {
        "id": row.id,
        "term": row.term,
        "meddra_code": row.meddra_code,
        "specification": row.specification,
        "grade": row.grade,
        "serious": row.serious,
        "relations": dict(row.relations),
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date is not None else None,
        "outcome": row.outcome,
        "correction_reason": row.correction_reason,
    }


def prior_treatment_view(row: PriorTreatment) -> dict[str, Any]:
    """A treatment before the trial as JSON."""
    return {
        "id": row.id,
        "regimen": row.regimen,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date is not None else None,
        "progression_date": row.progression_date.isoformat() if row.progression_date is not None else None,
        "correction_reason": row.correction_reason,
    }


def treatment_view(session: Session, *, patient: Patient) -> dict[str, Any]:
    """``treatment``, ``follow_up``, ``adverse_events`` and ``assessments`` (as entered) of ``patient show``."""
    treatment = treatment_records.treatment_of(session, patient_id=patient.id)
    treatment_json = None
    if treatment is not None:
        end = treatment_records.end_in_force(session, treatment_id=treatment.id)
        cycles = treatment_records.cycles_in_force(session, treatment_id=treatment.id)
        treatment_json = {
            "drug": treatment.drug,
            "route": treatment.route,
            "start_date": cycles[0].start_date.isoformat() if cycles else treatment.start_date.isoformat(),
            "cycles": [cycle_view(row) for row in cycles],
            "end": end_view(end) if end is not None else None,
        }
    return {
        "prior_treatments": [
            prior_treatment_view(row)
            for row in treatment_records.prior_treatments_in_force(session, patient_id=patient.id)
        ],
        "treatment": treatment_json,
        "follow_up": [
            follow_up_view(row) for row in treatment_records.follow_ups_in_force(session, patient_id=patient.id)
        ],
        "adverse_events": [
            adverse_event_view(row) for row in treatment_records.adverse_events_in_force(session, patient_id=patient.id)
        ],
        "assessments": [
            {
                "date": row.assessment_date.isoformat(),
                "kind": row.kind,
                "entry": dict(row.document),
                "correction_reason": row.correction_reason,
            }
            for row in treatment_records.assessments_in_force(session, patient_id=patient.id)
        ],
    }
