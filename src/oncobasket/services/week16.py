"""Settle a patient's week-16 outcome from what is recorded, and run the cohort's rule in the same transaction.

Issue 8: no cohort decision rests on an outcome typed in by hand. Every use case that can change what is known
about week 16 (an assessment, a cycle, the end of treatment, a death) calls :func:`settle_week16` inside its
own transaction. The outcome is derived by :func:`oncobasket.core.outcomes.week16_outcome` from the computed
responses (``core.recist``), evaluability (``core.outcomes``) and a death; when it becomes known it is set on
the enrolment and the cohort's two-stage rule runs at once, so the command's output shows the transition.

An outcome already recorded is never replaced here (a cohort decision may rest on it). When the computed
outcome differs from it, the result carries a warning naming the correction path (``oncobasket outcome
record --correct --reason``, e.g. after a central radiology re-read).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.cohorts import Outcome
from oncobasket.core.cohorts import record_outcome as core_record_outcome
from oncobasket.db import repository
from oncobasket.db.models import Patient
from oncobasket.services.cohorts import _apply, _transition_view
from oncobasket.services.patient_outcomes import PatientOutcomes, patient_outcomes
from oncobasket.services.registry import Registry


def settle_week16(
    registry: Registry,
    session: Session,
    *,
    patient: Patient,
    study_id: str,
    at: datetime,
    derived: PatientOutcomes | None = None,
) -> dict[str, Any]:
    """Derive the week-16 outcome; set it and apply the cohort rule when it becomes known.

    Returns the keys a command adds to its output: ``week16`` (the computed benefit with its reason),
    ``outcome`` (what the enrolment holds now), ``transitions`` (the cohort changes this caused) and
    ``warnings``. ``derived`` is the patient's outcomes when the caller has computed them already (they do not
    depend on the outcome this sets).
    """
    if derived is None:
        derived = patient_outcomes(registry, session, patient=patient)
    result: dict[str, Any] = {
        "week16": derived.week16,
        "outcome": None,
        "transitions": [],
        "warnings": [],
    }
    enrolments = repository.patient_enrolments(session, patient_id=patient.id)
    if not enrolments:
        return result
    enrolment = enrolments[-1]
    result["outcome"] = {"value": enrolment.outcome, "computed": str(derived.outcome), "reason": derived.reason}
    if derived.outcome is Outcome.PENDING or enrolment.outcome == str(derived.outcome):
        return result
    if enrolment.outcome != str(Outcome.PENDING):
        result["warnings"].append(
            f"the computed week-16 outcome is {derived.outcome} ({derived.reason}) but {enrolment.outcome} is "
            "recorded; the recorded outcome stands until it is reviewed: to correct it, run `oncobasket outcome "
            f"record {study_id} --outcome {derived.outcome} --correct --reason TEXT`"
        )
        return result
    cohort = repository.get_cohort_or_raise(session, name_or_id=enrolment.cohort_id, lock=True)
    state = repository.cohort_state(session, cohort=cohort)
    new_state, transitions = core_record_outcome(state, enrolment.position, derived.outcome)
    enrolment.outcome = str(derived.outcome)
    enrolment.outcome_recorded_at = at
    _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=study_id, at=at)
    registry.audit(
        session,
        at=at,
        action="outcome.compute",
        entity="enrolment",
        entity_id=enrolment.id,
        study_id=study_id,
        before={"outcome": str(Outcome.PENDING)},
        after={
            "outcome": str(derived.outcome),
            "cohort": cohort.name,
            "reason": derived.reason,
            "week16": derived.week16,
        },
    )
    result["outcome"]["value"] = enrolment.outcome
    result["transitions"] = [_transition_view(item) for item in transitions]
    result["cohort"] = cohort.name
    result["cohort_status"] = cohort.status
    return result
