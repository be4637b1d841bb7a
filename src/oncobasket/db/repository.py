"""The repository: the only module that issues SQL.

Every function takes the session first and keyword-only arguments after it (``get_cohort(session,
*, cohort_id)``); ``*_or_raise`` variants raise :class:`NotFoundError` with the fix. There is no
delete function on purpose: the registry never deletes, corrections are new rows.

``lock=True`` reads a row with ``SELECT ... FOR UPDATE`` (PostgreSQL row lock, held until the
transaction ends). SQLite has no row locks and ignores it; there the whole write transaction holds
the database's write lock from ``BEGIN IMMEDIATE`` (see ``db/session.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import flag_modified

from oncobasket.core.cohorts import CohortState, CohortStatus, EnrolledPatient, Outcome, TwoStageRule
from oncobasket.core.cohorts import PooledCount as CorePooledCount
from oncobasket.core.errors import NotFoundError, shown
from oncobasket.db.models import (
    AuditEvent,
    Cohort,
    CohortTransition,
    Consent,
    Enrolment,
    MatchSuggestion,
    MtbDecision,
    NotTreated,
    OutcomeCorrection,
    Patient,
    PooledCount,
    ProtocolVersion,
    Screening,
    SlotBudget,
)

# ---------------------------------------------------------------------------------------------
# Protocol versions
# ---------------------------------------------------------------------------------------------


def current_protocol(session: Session) -> ProtocolVersion | None:
    """The protocol loaded last (the one in force)."""
    return session.scalars(select(ProtocolVersion).order_by(ProtocolVersion.id.desc()).limit(1)).one_or_none()


def current_protocol_or_raise(session: Session) -> ProtocolVersion:
    """The protocol in force, or an error saying how to load one."""
    found = current_protocol(session)
    if found is None:
        raise NotFoundError("no protocol is loaded in this trial database; run `oncobasket trial init` first")
    return found


def protocol_versions(session: Session, *, version: str) -> Sequence[ProtocolVersion]:
    """Every protocol loaded under ``version``, oldest first."""
    return session.scalars(
        select(ProtocolVersion).where(ProtocolVersion.version == version).order_by(ProtocolVersion.id)
    ).all()


def add_protocol_version(
    session: Session, *, name: str, version: str, sha256: str, text: str, loaded_at: datetime, loaded_by: str
) -> ProtocolVersion:
    """Store a protocol as loaded (its full text, so screenings can be re-run against it)."""
    row = ProtocolVersion(
        name=name, version=version, sha256=sha256, text=text, loaded_at=loaded_at, loaded_by=loaded_by
    )
    session.add(row)
    session.flush()
    return row


# ---------------------------------------------------------------------------------------------
# Patients
# ---------------------------------------------------------------------------------------------


def get_patient(session: Session, *, study_id: str, lock: bool = False) -> Patient | None:
    """The patient with this study ID, if registered; ``lock`` takes its row lock for the transaction."""
    # Study IDs are compared without letter case (core.validation.study_id_key): ob-0001 is OB-0001.
    query = select(Patient).where(func.lower(Patient.study_id) == study_id.lower())
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def get_patient_or_raise(session: Session, *, study_id: str, lock: bool = False) -> Patient:
    """The patient with this study ID, or an error saying how to register one."""
    found = get_patient(session, study_id=study_id, lock=lock)
    if found is None:
        raise NotFoundError(
            f"no patient with study ID '{study_id}'; check the ID or register the patient with `oncobasket patient add`"
        )
    return found


def add_patient(session: Session, *, values: dict[str, Any], registered_at: datetime) -> Patient:
    """Register a patient (the values of ``PatientForm.as_dict()``)."""
    row = Patient(registered_at=registered_at, **values)
    session.add(row)
    session.flush()
    return row


def list_patients(session: Session) -> Sequence[Patient]:
    """Every patient, in order of registration."""
    return session.scalars(select(Patient).order_by(Patient.id)).all()


# ---------------------------------------------------------------------------------------------
# Screenings and match suggestions
# ---------------------------------------------------------------------------------------------


def add_screening(
    session: Session,
    *,
    patient_id: int,
    protocol_version_id: int,
    sample_id: str,
    profile: dict[str, Any],
    qc_passed: bool,
    qc: dict[str, Any],
    source_files: list[dict[str, Any]],
    screened_at: datetime,
) -> Screening:
    """Store a screened profile with its QC and the checksums of the files it came from."""
    row = Screening(
        patient_id=patient_id,
        protocol_version_id=protocol_version_id,
        sample_id=sample_id,
        profile=profile,
        qc_passed=qc_passed,
        qc=qc,
        source_files=source_files,
        screened_at=screened_at,
    )
    session.add(row)
    session.flush()
    return row


def add_match_suggestion(
    session: Session,
    *,
    screening_id: int,
    drug: str,
    biomarker: str,
    cohort_name: str,
    tumour_group: str,
    eligible: bool,
    protocol_version: str,
    detail: dict[str, Any],
) -> MatchSuggestion:
    """Store one match as computed at screening time."""
    row = MatchSuggestion(
        screening_id=screening_id,
        drug=drug,
        biomarker=biomarker,
        cohort_name=cohort_name,
        tumour_group=tumour_group,
        eligible=eligible,
        protocol_version=protocol_version,
        detail=detail,
    )
    session.add(row)
    session.flush()
    return row


def latest_screening(session: Session, *, patient_id: int) -> Screening | None:
    """The patient's most recent screening."""
    return session.scalars(
        select(Screening).where(Screening.patient_id == patient_id).order_by(Screening.id.desc()).limit(1)
    ).one_or_none()


def get_screening(session: Session, *, screening_id: int) -> Screening | None:
    """A screening by its row ID."""
    return session.get(Screening, screening_id)


def match_suggestions(session: Session, *, screening_id: int) -> Sequence[MatchSuggestion]:
    """The matches stored with a screening, in the matcher's order."""
    return session.scalars(
        select(MatchSuggestion).where(MatchSuggestion.screening_id == screening_id).order_by(MatchSuggestion.id)
    ).all()


# ---------------------------------------------------------------------------------------------
# Slot budgets and cohorts
# ---------------------------------------------------------------------------------------------


def get_slot_budget(session: Session, *, name: str) -> SlotBudget | None:
    """The slot budget with this name (a drug key or an agreement name)."""
    return session.scalars(select(SlotBudget).where(SlotBudget.name == name)).one_or_none()


def get_slot_budget_by_id(session: Session, *, budget_id: int, lock: bool = False) -> SlotBudget:
    """A slot budget by its row ID; ``lock`` takes its row lock for the rest of the transaction."""
    query = select(SlotBudget).where(SlotBudget.id == budget_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one()


def add_slot_budget(session: Session, *, name: str, drugs: list[str], total: int) -> SlotBudget:
    """Create a slot budget with no slots used."""
    row = SlotBudget(name=name, drugs=drugs, total=total, used=0)
    session.add(row)
    session.flush()
    return row


def list_slot_budgets(session: Session) -> Sequence[SlotBudget]:
    """Every slot budget, by name."""
    return session.scalars(select(SlotBudget).order_by(SlotBudget.name)).all()


def find_cohort(session: Session, *, tumour_group: str, biomarker: str, drug: str) -> Cohort | None:
    """The cohort of this tumour group x biomarker x drug, whatever its status."""
    return session.scalars(
        select(Cohort).where(Cohort.tumour_group == tumour_group, Cohort.biomarker == biomarker, Cohort.drug == drug)
    ).one_or_none()


def get_cohort(session: Session, *, cohort_id: int, lock: bool = False) -> Cohort | None:
    """A cohort by its ID; ``lock`` takes its row lock for the rest of the transaction."""
    query = select(Cohort).where(Cohort.id == cohort_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def get_cohort_or_raise(session: Session, *, name_or_id: str | int, lock: bool = False) -> Cohort:
    """A cohort by its ID or its exact name, or an error saying how to list them."""
    found: Cohort | None = None
    text_ref = str(name_or_id)
    # An ID is ASCII digits within a 64-bit INTEGER ("²".isdigit() is true, and 2**63 overflows the column).
    if text_ref.isascii() and text_ref.isdigit() and int(text_ref) < 2**63:
        found = get_cohort(session, cohort_id=int(text_ref), lock=lock)
    if found is None:
        query = select(Cohort).where(Cohort.name == str(name_or_id))
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = session.scalars(query).one_or_none()
    if found is None:
        raise NotFoundError(
            f"no cohort '{shown(name_or_id)}'; `oncobasket cohort list` shows the cohorts and their IDs"
        )
    return found


def add_cohort(
    session: Session,
    *,
    name: str,
    tumour_group: str,
    biomarker: str,
    drug: str,
    state: CohortState,
    slot_budget_id: int | None,
    opened_at: datetime,
) -> Cohort:
    """Open a cohort in the state the state machine gave it."""
    row = Cohort(
        name=name,
        tumour_group=tumour_group,
        biomarker=biomarker,
        drug=drug,
        r1=state.rule.r1,
        n1=state.rule.n1,
        r=state.rule.r,
        n=state.rule.n,
        slot_budget_id=slot_budget_id,
        opened_at=opened_at,
    )
    store_cohort_status(row, state=state)
    session.add(row)
    session.flush()
    return row


def store_cohort_status(row: Cohort, *, state: CohortState) -> None:
    """Copy the state machine's status fields onto the cohort row.

    The row is marked changed even when the status stays, so its version counter moves on every event
    and a writer holding a stale copy fails on flush (the backstop behind the row lock).
    """
    row.status = str(state.status)
    row.stage = state.stage
    row.status_before_suspension = (
        str(state.status_before_suspension) if state.status_before_suspension is not None else None
    )
    row.suspension_reason = state.suspension_reason
    row.expansion_places = state.expansion_places
    flag_modified(row, "status")


def cohort_state(session: Session, *, cohort: Cohort) -> CohortState:
    """Rebuild the state machine's value from the cohort row, its enrolments and its pooled counts."""
    return CohortState(
        status=CohortStatus(cohort.status),
        rule=TwoStageRule(r1=cohort.r1, n1=cohort.n1, r=cohort.r, n=cohort.n),
        stage=cohort.stage,
        outcomes=tuple(
            EnrolledPatient(stage=row.stage, outcome=Outcome(row.outcome))
            for row in cohort_enrolments(session, cohort_id=cohort.id)
        ),
        pooled=tuple(
            CorePooledCount(source=row.source, evaluable=row.evaluable, benefit=row.benefit, stage=row.stage)
            for row in pooled_counts(session, cohort_id=cohort.id)
        ),
        status_before_suspension=(
            CohortStatus(cohort.status_before_suspension) if cohort.status_before_suspension is not None else None
        ),
        suspension_reason=cohort.suspension_reason,
        expansion_places=cohort.expansion_places,
    )


def list_cohorts(session: Session) -> Sequence[Cohort]:
    """Every cohort, in order of opening."""
    return session.scalars(select(Cohort).order_by(Cohort.id)).all()


def cohort_statuses(session: Session) -> dict[str, str]:
    """Cohort name -> status, for the matcher."""
    return {row.name: row.status for row in session.execute(select(Cohort.name, Cohort.status))}


def cohort_enrolments(session: Session, *, cohort_id: int) -> Sequence[Enrolment]:
    """The cohort's enrolments in order of enrolment."""
    return session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort_id).order_by(Enrolment.position)).all()


def cohort_patients(session: Session, *, cohort_id: int) -> list[tuple[Enrolment, str]]:
    """The cohort's enrolments in order of enrolment, each with the patient's study ID."""
    rows = session.execute(
        select(Enrolment, Patient.study_id)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(Enrolment.cohort_id == cohort_id)
        .order_by(Enrolment.position)
    )
    return [(row[0], row[1]) for row in rows]


def add_enrolment(
    session: Session,
    *,
    cohort_id: int,
    patient_id: int,
    decision_id: int,
    position: int,
    stage: int,
    outcome: str,
    override_reason: str | None,
    enrolled_at: datetime,
) -> Enrolment:
    """Give a patient a place in a cohort."""
    row = Enrolment(
        cohort_id=cohort_id,
        patient_id=patient_id,
        decision_id=decision_id,
        position=position,
        stage=stage,
        outcome=outcome,
        override_reason=override_reason,
        enrolled_at=enrolled_at,
    )
    session.add(row)
    session.flush()
    return row


def patient_enrolments(session: Session, *, patient_id: int) -> Sequence[Enrolment]:
    """The patient's enrolments, oldest first."""
    return session.scalars(select(Enrolment).where(Enrolment.patient_id == patient_id).order_by(Enrolment.id)).all()


def add_outcome_correction(
    session: Session, *, enrolment_id: int, outcome_before: str, outcome_after: str, reason: str, recorded_at: datetime
) -> OutcomeCorrection:
    """Keep a corrected week-16 outcome's earlier value, the new one and why (the enrolment holds the new one)."""
    row = OutcomeCorrection(
        enrolment_id=enrolment_id,
        outcome_before=outcome_before,
        outcome_after=outcome_after,
        reason=reason,
        recorded_at=recorded_at,
    )
    session.add(row)
    session.flush()
    return row


def outcome_corrections(session: Session, *, enrolment_id: int) -> Sequence[OutcomeCorrection]:
    """An enrolment's outcome corrections, oldest first."""
    return session.scalars(
        select(OutcomeCorrection).where(OutcomeCorrection.enrolment_id == enrolment_id).order_by(OutcomeCorrection.id)
    ).all()


def pooled_counts(session: Session, *, cohort_id: int) -> Sequence[PooledCount]:
    """Counts pooled into a cohort from sister trials, in order of entry."""
    return session.scalars(select(PooledCount).where(PooledCount.cohort_id == cohort_id).order_by(PooledCount.id)).all()


def add_pooled_count(
    session: Session,
    *,
    cohort_id: int,
    source: str,
    stage: int,
    evaluable: int,
    benefit: int,
    recorded_at: datetime,
) -> PooledCount:
    """Add a sister trial's counts to a cohort (``stage``: the stage under way when they were added)."""
    row = PooledCount(
        cohort_id=cohort_id,
        source=source,
        stage=stage,
        evaluable=evaluable,
        benefit=benefit,
        recorded_at=recorded_at,
    )
    session.add(row)
    session.flush()
    return row


def add_cohort_transition(
    session: Session,
    *,
    cohort_id: int,
    from_status: str | None,
    to_status: str,
    reason: str,
    counts: dict[str, Any],
    at: datetime,
) -> CohortTransition:
    """Record a change of cohort status with the counts that justified it."""
    row = CohortTransition(
        cohort_id=cohort_id, from_status=from_status, to_status=to_status, reason=reason, counts=counts, at=at
    )
    session.add(row)
    session.flush()
    return row


def cohort_transitions(session: Session, *, cohort_id: int) -> Sequence[CohortTransition]:
    """A cohort's status changes, oldest first."""
    return session.scalars(
        select(CohortTransition).where(CohortTransition.cohort_id == cohort_id).order_by(CohortTransition.id)
    ).all()


# ---------------------------------------------------------------------------------------------
# Decisions, consent, not treated
# ---------------------------------------------------------------------------------------------


def add_decision(
    session: Session,
    *,
    patient_id: int,
    screening_id: int | None,
    code: str,
    drug: str | None,
    biomarker: str | None,
    cohort_id: int | None,
    eligible: bool | None,
    failed_criteria: list[str],
    rationale: str,
    meeting_date: date,
    recorded_at: datetime,
    non_trial_option: str | None = None,
    corrects_id: int | None = None,
    correction_reason: str | None = None,
) -> MtbDecision:
    """Record a tumour-board decision (a correction names the decision it corrects and why)."""
    row = MtbDecision(
        patient_id=patient_id,
        screening_id=screening_id,
        code=code,
        drug=drug,
        biomarker=biomarker,
        cohort_id=cohort_id,
        eligible=eligible,
        failed_criteria=failed_criteria,
        rationale=rationale,
        meeting_date=meeting_date,
        recorded_at=recorded_at,
        non_trial_option=non_trial_option,
        corrects_id=corrects_id,
        correction_reason=correction_reason,
    )
    session.add(row)
    session.flush()
    return row


def latest_decision(session: Session, *, patient_id: int) -> MtbDecision | None:
    """The decision in force: among the decisions no correction superseded, the latest meeting's, the last
    recorded on ties (a correction may move the meeting date back and still be the one in force)."""
    correction = aliased(MtbDecision)
    superseded = select(correction.id).where(correction.corrects_id == MtbDecision.id).exists()
    return session.scalars(
        select(MtbDecision)
        .where(MtbDecision.patient_id == patient_id, ~superseded)
        .order_by(MtbDecision.meeting_date.desc(), MtbDecision.id.desc())
        .limit(1)
    ).one_or_none()


def add_consent(session: Session, *, patient_id: int, consent_date: date, recorded_at: datetime) -> Consent:
    """Record informed consent."""
    row = Consent(patient_id=patient_id, consent_date=consent_date, recorded_at=recorded_at)
    session.add(row)
    session.flush()
    return row


def latest_consent(session: Session, *, patient_id: int) -> Consent | None:
    """The patient's latest consent, if any."""
    return session.scalars(
        select(Consent).where(Consent.patient_id == patient_id).order_by(Consent.id.desc()).limit(1)
    ).one_or_none()


def add_not_treated(
    session: Session, *, patient_id: int, reason: str, criterion: str | None, note: str | None, recorded_at: datetime
) -> NotTreated:
    """Record why a matched patient was not treated."""
    row = NotTreated(patient_id=patient_id, reason=reason, criterion=criterion, note=note, recorded_at=recorded_at)
    session.add(row)
    session.flush()
    return row


def not_treated_reasons(session: Session, *, patient_id: int) -> Sequence[NotTreated]:
    """The patient's recorded reasons for not being treated, oldest first."""
    return session.scalars(select(NotTreated).where(NotTreated.patient_id == patient_id).order_by(NotTreated.id)).all()


# ---------------------------------------------------------------------------------------------
# The audit trail (append-only)
# ---------------------------------------------------------------------------------------------


def add_audit_event(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    study_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEvent:
    """Append one event to the audit trail."""
    row = AuditEvent(
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        study_id=study_id,
        before=before,
        after=after,
    )
    session.add(row)
    session.flush()
    return row


def audit_events(session: Session, *, study_id: str | None = None) -> Sequence[AuditEvent]:
    """The audit trail, oldest first; only one patient's events when ``study_id`` is given."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if study_id is not None:
        query = query.where(func.lower(AuditEvent.study_id) == study_id.lower())
    return session.scalars(query).all()
