"""Use cases: enrol a patient into a cohort, record why a matched patient was not treated, and the week-16 outcome
that feeds the cohort's rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.cohorts import (
    CohortState,
    Outcome,
    enrol,
)
from oncobasket.core.cohorts import correct_outcome as core_correct_outcome
from oncobasket.core.cohorts import record_outcome as core_record_outcome
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.registry import (
    NotTreatedReason,
    check_study_id,
)
from oncobasket.core.validation import check_free_text
from oncobasket.db import repository
from oncobasket.db.models import (
    Cohort,
    Enrolment,
)
from oncobasket.services.cohorts import _apply, _transition_view
from oncobasket.services.decisions import _decision_in_force_eligibility
from oncobasket.services.registry import Registry, _cohort_name


def record_not_treated(
    registry: Registry,
    study_id: str,
    reason: NotTreatedReason,
    *,
    criterion: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record why a matched patient was not treated; ``ineligible`` must name the criterion failed."""
    check_study_id(study_id)
    registry.database.check_schema()
    if reason is NotTreatedReason.INELIGIBLE and not (criterion and criterion.strip()):
        raise InputError(
            "reason 'ineligible' needs the criterion the patient failed",
            field="--criterion",
            fix="add --criterion, e.g. --criterion 'ecog <= 2'",
        )
    if reason is not NotTreatedReason.INELIGIBLE and criterion is not None:
        raise InputError(
            f"--criterion is only for reason 'ineligible', not '{reason}'",
            field="--criterion",
            fix="leave it out or use --note",
        )
    if criterion is not None:
        check_free_text(criterion, field="--criterion", what="the criterion", maximum=200)
    if note is not None and note.strip():
        check_free_text(note, field="--note", what="the note")
    now = registry.now()
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        study_id = patient.study_id  # as registered: study IDs compare without letter case
        enrolments = repository.patient_enrolments(session, patient_id=patient.id)
        if enrolments:
            raise ConflictError(
                f"patient '{study_id}' is enrolled in a cohort; a reason for not treating applies only to "
                "patients who did not start trial treatment: for an enrolled patient record the treatment "
                f"(`oncobasket treatment start|end {study_id}`) and assessments (`oncobasket assess {study_id}`), "
                "which compute the week-16 outcome (not evaluable when treatment stopped before one full cycle)"
            )
        row = repository.add_not_treated(
            session, patient_id=patient.id, reason=str(reason), criterion=criterion, note=note, recorded_at=now
        )
        after = {"reason": str(reason), "criterion": criterion, "note": note}
        registry.audit(
            session,
            at=now,
            action="not_treated.record",
            entity="not_treated",
            entity_id=row.id,
            study_id=study_id,
            before=None,
            after=after,
        )
        return {"study_id": study_id, **after}


def enrol_patient(registry: Registry, study_id: str, *, override_reason: str | None = None) -> dict[str, Any]:
    """Enrol a patient into the cohort of the tumour board's decision in force.

    Needs a confirmed decision (A, or B with a trial drug), consent and eligibility (an ineligible
    patient only with a recorded override reason); the cohort must accept patients (its state machine
    decides) and the drug's slot budget must have a slot left. Eligibility is judged again here, on the
    patient's values in force today (``patient update``) and the protocol in force, with the match's own
    verdict (biomarker, tumour type) from the decision's screening: values that changed after the
    decision count. The cohort and budget rows are locked
    (PostgreSQL ``FOR UPDATE``; SQLite ``BEGIN IMMEDIATE``) so two coordinators racing for the last
    place cannot both win: the second gets a :class:`ConflictError`.
    """
    check_study_id(study_id)
    registry.database.check_schema()
    if override_reason is not None and not override_reason.strip():
        raise InputError("the override reason is empty", field="--override-reason", fix="say why, or leave it out")
    if override_reason is not None:
        check_free_text(override_reason, field="--override-reason", what="the override reason")
    now = registry.now()
    with registry.database.transaction() as session:
        # The patient's row first (then cohort, then budget, the order every use case keeps, so no two
        # can deadlock): a `patient update` or a corrected decision made at the same moment waits, and
        # this enrolment judges the values in force when it commits.
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        study_id = patient.study_id  # as registered: study IDs compare without letter case
        decision = repository.latest_decision(session, patient_id=patient.id)
        if decision is None or decision.cohort_id is None:
            what = "no tumour-board decision" if decision is None else f"decision {decision.code}"
            raise ConflictError(
                f"patient '{study_id}' has {what} confirming a trial match; enrolment needs decision A "
                "(or B with a trial drug): record it with `oncobasket mtb decide`"
            )
        if repository.latest_consent(session, patient_id=patient.id) is None:
            raise ConflictError(
                f"patient '{study_id}' has no recorded consent; record it with `oncobasket consent` first"
            )
        for enrolment in repository.patient_enrolments(session, patient_id=patient.id):
            if enrolment.cohort_id == decision.cohort_id or enrolment.outcome == Outcome.PENDING:
                raise ConflictError(
                    f"patient '{study_id}' is already enrolled (place {enrolment.position + 1} of cohort "
                    f"'{_cohort_name(session, enrolment.cohort_id)}', outcome {enrolment.outcome}); a patient "
                    "takes one place at a time and never two in the same cohort: the week-16 outcome must be known "
                    f"first (`oncobasket assess {study_id}`, or `oncobasket outcome record {study_id} --reason TEXT`) "
                    "before a new decision moves the patient on"
                )
        eligible, failed_criteria = _decision_in_force_eligibility(session, patient, decision, on=now.date())
        if not eligible and override_reason is None:
            raise ConflictError(
                f"patient '{study_id}' is not confirmed eligible for {decision.drug} ({'; '.join(failed_criteria)}), "
                "judged on the values registered today; if a value has changed, record it with "
                f"`oncobasket patient update {study_id}`, else enrol only with a recorded --override-reason "
                "naming why the tumour board accepts it"
            )
        cohort = repository.get_cohort_or_raise(session, name_or_id=decision.cohort_id, lock=True)
        state = repository.cohort_state(session, cohort=cohort)
        try:
            new_state, transitions = enrol(state)
        except ConflictError as refused:
            raise ConflictError(f"cohort '{cohort.name}' does not accept patients: {refused}") from None
        budget = None
        if cohort.slot_budget_id is not None:
            budget = repository.get_slot_budget_by_id(session, budget_id=cohort.slot_budget_id, lock=True)
            if budget.used >= budget.total:
                raise ConflictError(
                    f"no treatment slot left in budget '{budget.name}' ({budget.used} of {budget.total} used); "
                    "the company agreement must be extended first: raise the budget's slots in the protocol "
                    "(a new protocol version) and load it with `oncobasket trial init`"
                )
            budget.used += 1
        position = len(state.outcomes)
        row = repository.add_enrolment(
            session,
            cohort_id=cohort.id,
            patient_id=patient.id,
            decision_id=decision.id,
            position=position,
            stage=new_state.outcomes[position].stage,
            outcome=str(Outcome.PENDING),
            override_reason=override_reason.strip() if override_reason is not None else None,
            enrolled_at=now,
        )
        _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=study_id, at=now)
        after = {
            "cohort": cohort.name,
            "cohort_id": cohort.id,
            "place": position + 1,
            "stage": row.stage,
            "eligible": eligible,
            "failed_criteria": failed_criteria,
            "override_reason": row.override_reason,
            "slot_budget": budget.name if budget is not None else None,
            "slots_left": budget.total - budget.used if budget is not None else None,
        }
        registry.audit(
            session,
            at=now,
            action="enrolment.add",
            entity="enrolment",
            entity_id=row.id,
            study_id=study_id,
            before=None,
            after=after,
        )
        return {
            "study_id": study_id,
            **after,
            "cohort_status": cohort.status,
            "transitions": [_transition_view(item) for item in transitions],
        }


def record_outcome(
    registry: Registry,
    study_id: str,
    outcome: Outcome,
    *,
    correction_reason: str | None = None,
    entry_reason: str | None = None,
) -> dict[str, Any]:
    """Record the patient's week-16 outcome in their cohort and apply the two-stage rule.

    A recorded outcome is not replaced by recording another (cohort decisions may rest on it); it is
    corrected with ``correction_reason`` (``outcome record --correct --reason TEXT``): the earlier value
    is kept in ``outcome_corrections`` and in the audit (``outcome.correct``, before and after), and the
    rule is re-applied to the corrected counts by ``core.cohorts.correct_outcome``, which refuses a
    correction that would reverse a cohort decision already taken (the decision stands and is reviewed).

    Outcomes are normally computed from the assessments (``services.week16``); ``entry_reason`` says why this
    one is entered by hand (``outcome record --reason``) and is kept in the audit event.
    """
    check_study_id(study_id)
    registry.database.check_schema()
    if outcome is Outcome.PENDING:
        raise InputError(
            "'pending' is not an outcome", field="--outcome", fix="use benefit, no_benefit or not_evaluable"
        )
    if correction_reason is not None and not correction_reason.strip():
        raise InputError("the correction reason is empty", field="--reason", fix="say why the outcome is corrected")
    if correction_reason is not None:
        check_free_text(correction_reason, field="--reason", what="the correction reason")
    now = registry.now()
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        study_id = patient.study_id  # as registered: study IDs compare without letter case
        enrolments = repository.patient_enrolments(session, patient_id=patient.id)
        if not enrolments:
            raise ConflictError(f"patient '{study_id}' is not enrolled in a cohort; enrol before recording outcomes")
        enrolment = enrolments[-1]
        cohort = repository.get_cohort_or_raise(session, name_or_id=enrolment.cohort_id, lock=True)
        state = repository.cohort_state(session, cohort=cohort)
        if correction_reason is not None:
            return _correct_outcome(
                registry,
                session,
                study_id=study_id,
                enrolment=enrolment,
                cohort=cohort,
                state=state,
                outcome=outcome,
                reason=correction_reason.strip(),
                at=now,
            )
        try:
            new_state, transitions = core_record_outcome(state, enrolment.position, outcome)
        except ConflictError:
            raise ConflictError(
                f"patient '{study_id}' already has week-16 outcome {enrolment.outcome} in cohort '{cohort.name}'; "
                "a recorded outcome is not replaced because cohort decisions may rest on it: to correct it, run "
                f"`oncobasket outcome record {study_id} --outcome {outcome} --correct --reason TEXT`"
            ) from None
        before = {"outcome": enrolment.outcome}
        changed = enrolment.outcome != str(outcome)
        if changed:
            enrolment.outcome = str(outcome)
            enrolment.outcome_recorded_at = now
            _apply(
                registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=study_id, at=now
            )
            registry.audit(
                session,
                at=now,
                action="outcome.record",
                entity="enrolment",
                entity_id=enrolment.id,
                study_id=study_id,
                before=before,
                after={"outcome": str(outcome), "cohort": cohort.name, "reason": entry_reason},
            )
        return {
            "study_id": study_id,
            "cohort": cohort.name,
            "outcome": str(outcome),
            "changed": changed,
            "corrected": False,
            "previous_outcome": None,
            "correction_reason": None,
            "cohort_status": cohort.status,
            "transitions": [_transition_view(item) for item in transitions],
        }


def _correct_outcome(
    registry: Registry,
    session: Session,
    *,
    study_id: str,
    enrolment: Enrolment,
    cohort: Cohort,
    state: CohortState,
    outcome: Outcome,
    reason: str,
    at: datetime,
) -> dict[str, Any]:
    """Correct a recorded outcome (under the cohort's row lock) and re-apply the rule from the corrected counts."""
    if enrolment.outcome == str(Outcome.PENDING):
        raise ConflictError(
            f"patient '{study_id}' has no week-16 outcome recorded in cohort '{cohort.name}' yet; there is "
            "nothing to correct: record it without --correct"
        )
    if enrolment.outcome == str(outcome):
        raise InputError(
            f"patient '{study_id}' already has outcome {outcome}; there is nothing to correct",
            field="--outcome",
            fix="give the corrected outcome",
        )
    try:
        new_state, transitions = core_correct_outcome(state, enrolment.position, outcome)
    except ConflictError as refused:
        raise ConflictError(f"patient '{study_id}', cohort '{cohort.name}': {refused}") from None
    previous = enrolment.outcome
    enrolment.outcome = str(outcome)
    row = repository.add_outcome_correction(
        session,
        enrolment_id=enrolment.id,
        outcome_before=previous,
        outcome_after=str(outcome),
        reason=reason,
        recorded_at=at,
    )
    _apply(registry, session, cohort=cohort, state=new_state, transitions=transitions, study_id=study_id, at=at)
    registry.audit(
        session,
        at=at,
        action="outcome.correct",
        entity="enrolment",
        entity_id=enrolment.id,
        study_id=study_id,
        before={"outcome": previous, "cohort": cohort.name},
        after={"outcome": str(outcome), "cohort": cohort.name, "reason": reason, "correction_id": row.id},
    )
    return {
        "study_id": study_id,
        "cohort": cohort.name,
        "outcome": str(outcome),
        "changed": True,
        "corrected": True,
        "previous_outcome": previous,
        "correction_reason": reason,
        "cohort_status": cohort.status,
        "transitions": [_transition_view(item) for item in transitions],
    }
