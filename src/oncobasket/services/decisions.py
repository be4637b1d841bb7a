"""Use cases: molecular tumour board decisions (A/B/C/D), their corrections, and opening cohorts on demand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from shlex import quote
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.cohorts import (
    CLOSED_STATUSES,
    TwoStageRule,
    new_cohort,
    next_decision,
    refusal,
    tally,
)
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.matching import (
    EligibilityStatus,
    PatientFacts,
    combine,
    evaluate_eligibility,
    tumour_group,
)
from oncobasket.core.protocol import Protocol, cohort_name
from oncobasket.core.registry import (
    DecisionForm,
    MtbDecisionCode,
)
from oncobasket.core.validation import check_date
from oncobasket.db import repository
from oncobasket.db.models import (
    Cohort,
    MatchSuggestion,
    MtbDecision,
    Patient,
    Screening,
)
from oncobasket.services.registry import Registry, _cohort_name, _stored_protocol, _tumour_types, patient_facts


def decision_view(row: MtbDecision, *, cohort: Cohort | None) -> dict[str, Any]:
    """A tumour-board decision as shown and audited.

    ``non_trial_option`` is the option a decision C recommends (null otherwise); ``corrects`` is the ID of
    the decision this one corrects (null for a first decision), with ``correction_reason``.
    """
    return {
        "id": row.id,
        "decision": row.code,
        "non_trial_option": row.non_trial_option,
        "drug": row.drug,
        "biomarker": row.biomarker,
        "cohort": cohort.name if cohort is not None else None,
        "cohort_id": row.cohort_id,
        "eligible": row.eligible,
        "failed_criteria": list(row.failed_criteria),
        "rationale": row.rationale,
        "meeting_date": row.meeting_date.isoformat(),
        "recorded_at": row.recorded_at.isoformat(),
        "corrects": row.corrects_id,
        "correction_reason": row.correction_reason,
    }


def _decision_eligibility(session: Session, patient: Patient, *, on: date) -> dict[str, Any] | None:
    """The decision in force that points to a cohort, with its eligibility judged again on the values in
    force (as ``enrol`` will judge it); None without such a decision."""
    decision = repository.latest_decision(session, patient_id=patient.id)
    if decision is None or decision.cohort_id is None or decision.drug is None:
        return None
    eligible, failed = _decision_in_force_eligibility(session, patient, decision, on=on)
    enrolled = any(
        item.cohort_id == decision.cohort_id for item in repository.patient_enrolments(session, patient_id=patient.id)
    )
    return {
        "decision": decision.code,
        "decision_id": decision.id,
        "drug": decision.drug,
        "biomarker": decision.biomarker,
        "cohort": _cohort_name(session, decision.cohort_id),
        "enrolled": enrolled,
        "eligible_at_decision": decision.eligible,
        "eligible": eligible,
        "failed_criteria": failed,
    }


@dataclass(frozen=True, slots=True)
class _Target:
    """The cohort a confirming decision points to, and whether the patient is eligible for it."""

    drug: str
    biomarker: str
    tumour_group: str
    eligible: bool
    failed_criteria: list[str]


def _failed(criteria: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(item["reason"]) for item in criteria if item.get("status") != "eligible"]


def _stored_match(session: Session, *, screening_id: int | None, drug: str, biomarker: str) -> MatchSuggestion | None:
    """The trial match for drug x biomarker stored with a screening, if the screening found one."""
    if screening_id is None:
        return None
    return next(
        (
            row
            for row in repository.match_suggestions(session, screening_id=screening_id)
            if row.drug == drug and row.biomarker == biomarker and row.detail.get("cohort")
        ),
        None,
    )


def _match_standing(detail: Mapping[str, Any]) -> EligibilityStatus:
    """A stored match's verdict apart from the patient's clinical criteria (biomarker to be confirmed,
    excluded tumour type, closed cohort: ``Match.eligibility_without_criteria``).

    Matches stored before that verdict was kept apart are read from their overall verdict: eligible
    overall is eligible; an overall verdict worse than the criteria's can only come from the match
    itself; otherwise the two cannot be told apart and the match counts as to be confirmed (a new
    screening judges it again).
    """
    kept = detail.get("eligibility_without_criteria")
    if kept is not None:
        return EligibilityStatus(kept)
    overall = EligibilityStatus(detail.get("eligibility") or ("eligible" if detail.get("eligible") else "ineligible"))
    if overall is EligibilityStatus.ELIGIBLE:
        return overall
    criteria = combine([EligibilityStatus(item["status"]) for item in detail.get("criteria", [])])
    return overall if criteria is not overall else EligibilityStatus.TO_BE_CONFIRMED


def _judge_eligibility(
    protocol: Protocol, *, drug: str, facts: PatientFacts, stored: MatchSuggestion | None
) -> tuple[bool, list[str]]:
    """Whether the patient is eligible for ``drug`` now, and the criteria not met (or unknown).

    The patient's clinical criteria (age, ECOG, laboratory values, prior therapies) are judged on
    ``facts``, the values registered now (``patient add``/``patient update``), with the protocol in
    force; the match's own verdict (biomarker, tumour type, cohort) is the one stored with the
    screening (``stored``; none for a tumour board's own proposal B). So a decision and an enrolment
    use the values in force when they are recorded, not those of the screening.
    """
    failed: list[str] = []
    trial_drug = protocol.drug(drug)
    if trial_drug is None:
        failed.append(f"{drug} is not a drug of protocol {protocol.version}: its criteria cannot be judged")
    else:
        criteria = evaluate_eligibility(protocol.eligibility_for(trial_drug), facts, protocol.eligibility)
        failed += _failed([item.as_dict() for item in criteria])
    standing = _match_standing(stored.detail) if stored is not None else EligibilityStatus.ELIGIBLE
    if standing is not EligibilityStatus.ELIGIBLE:
        failed.append(
            f"the screening's match is {standing.value.replace('_', ' ')} apart from the clinical criteria "
            "(biomarker, tumour type or cohort: see the screening's reasons)"
        )
    return not failed, failed


def _decision_in_force_eligibility(
    session: Session, patient: Patient, decision: MtbDecision, *, on: date
) -> tuple[bool, list[str]]:
    """A cohort decision's eligibility judged again on the patient's values registered now and the
    protocol in force, with the match's own verdict stored with the decision's screening (as
    :func:`enrol_patient` judges it and ``patient update`` reports it)."""
    drug = decision.drug or ""
    _, protocol = _stored_protocol(session)
    stored = _stored_match(session, screening_id=decision.screening_id, drug=drug, biomarker=decision.biomarker or "")
    return _judge_eligibility(protocol, drug=drug, facts=patient_facts(patient, on=on), stored=stored)


def _confirmed_match(
    session: Session, form: DecisionForm, screening: Screening | None, *, protocol: Protocol, facts: PatientFacts
) -> _Target:
    """Decision A: the stored trial match it confirms (the only one, or the one named by drug/biomarker)."""
    if screening is None:
        raise ConflictError(
            f"patient '{form.study_id}' has not been screened; decision A confirms a match from "
            f"`oncobasket screen FILE --patient {form.study_id}`: screen the patient first, or record "
            "decision B, C or D"
        )
    trial = [
        row for row in repository.match_suggestions(session, screening_id=screening.id) if row.detail.get("cohort")
    ]
    chosen = [
        row
        for row in trial
        if (form.drug is None or row.drug == form.drug) and (form.biomarker is None or row.biomarker == form.biomarker)
    ]
    offered = "; ".join(f"--drug {quote(row.drug)} --biomarker {quote(row.biomarker)}" for row in trial) or "none"
    if not chosen:
        raise ConflictError(
            f"the latest screening of '{form.study_id}' has no trial match"
            + (f" for drug {form.drug}" if form.drug else "")
            + (f" and biomarker '{form.biomarker}'" if form.biomarker else "")
            + f" to confirm (trial matches: {offered}); record B for another alteration or C/D"
        )
    if len(chosen) > 1:
        raise InputError(
            f"the latest screening has {len(chosen)} trial matches; say which one the board confirmed",
            field="--drug",
            fix=f"add one of: {offered}",
        )
    (row,) = chosen
    eligible, failed = _judge_eligibility(protocol, drug=row.drug, facts=facts, stored=row)
    return _Target(
        drug=row.drug,
        biomarker=row.biomarker,
        tumour_group=row.tumour_group,
        eligible=eligible,
        failed_criteria=failed,
    )


def _proposed_alteration(
    session: Session, form: DecisionForm, *, protocol: Protocol, facts: PatientFacts, screening: Screening | None
) -> _Target | None:
    """Decision B: the board's own drug x biomarker; a cohort only when the drug is a trial drug."""
    if form.drug is None or form.biomarker is None:
        raise InputError("decision B needs --drug and --biomarker", field="--decision", fix="add both")
    drug = protocol.drug(form.drug)
    if drug is None:
        return None
    profile = next((item for item in drug.profiles if item.biomarker.name == form.biomarker), None)
    if profile is None:
        raise InputError(
            f"trial drug '{form.drug}' has no biomarker '{form.biomarker}' in protocol {protocol.version}",
            field="--biomarker",
            fix=f"use one of: {'; '.join(item.biomarker.name for item in drug.profiles)}",
        )
    stored = _stored_match(
        session, screening_id=screening.id if screening is not None else None, drug=drug.key, biomarker=form.biomarker
    )
    group = stored.tumour_group if stored is not None else tumour_group(protocol, _tumour_types(), facts)
    eligible, failed = _judge_eligibility(protocol, drug=drug.key, facts=facts, stored=stored)
    return _Target(
        drug=drug.key,
        biomarker=form.biomarker,
        tumour_group=group,
        eligible=eligible,
        failed_criteria=failed,
    )


def _cohort_warnings(session: Session, form: DecisionForm, *, cohort: Cohort, staying: bool) -> list[str]:
    """Refuse pointing a patient to a closed cohort; warn when the cohort holds enrolment.

    A closed cohort (futility, negative) never takes patients again (two-stage rule, DOMAIN.md section 3),
    so a decision that sends a patient there is refused when it is recorded, not at enrolment. A
    correction that keeps the patient in the cohort of the decision in force (``staying``) is not a new
    placement and only warns. A cohort that holds enrolment (stage 1 or 2 full, suspended, promising
    without an expansion) may take the patient later: the decision is recorded with a warning.
    """
    state = repository.cohort_state(session, cohort=cohort)
    held = refusal(state)
    if held is None:
        return []
    if state.status in CLOSED_STATUSES:
        if staying:
            return [f"cohort '{cohort.name}': {held}"]
        raise ConflictError(
            f"cohort '{cohort.name}' is {next_decision(state).removeprefix('none: ')}: a closed cohort takes no "
            f"more patients and never reopens (the protocol's two-stage rule {state.rule}, after Simon 1989; "
            f"DOMAIN.md section 3), so decision {form.code} cannot point patient '{form.study_id}' to it; "
            "record decision B (another drug or biomarker), C (a non-trial option, with --option) or D instead; "
            "a new cohort for this match needs a protocol amendment (a new protocol version with a cohort the "
            "protocol allows, loaded with `oncobasket trial init`)"
        )
    return [
        f"cohort '{cohort.name}' does not take patients now; the decision is recorded and enrolment will wait: {held}"
    ]


def record_decision(registry: Registry, form: DecisionForm) -> dict[str, Any]:
    """Record a tumour-board decision; A (or B with a trial drug) points the patient to a cohort,
    which is opened now when the trial has none for that tumour group x biomarker x drug.

    One screening gets one decision: a second decision while the decision in force rests on the same
    screening is refused unless it is a correction (``form.correction_reason``). A correction is a new row
    that names the decision it supersedes and why; it is judged on the corrected decision's screening, and
    it may not move an enrolled patient to another cohort or out of one (the enrolment stands and must be
    reviewed). After a new screening a new decision needs no correction. Nothing is edited or deleted; the
    audit shows both decisions (``decision.correct`` with the values before and after).

    A decision may not point a patient to a closed cohort (closed for futility or as negative: it never
    takes patients again); one pointing to a cohort that holds enrolment (stage full, suspended,
    promising) is recorded with a warning (``warnings``) that enrolment will wait. Eligibility is judged
    on the patient's values in force (``patient update``), not on those of the screening.
    """
    registry.database.check_schema()
    now = registry.now()
    if form.meeting_date > now.date():
        raise InputError(
            f"meeting date {form.meeting_date.isoformat()} is in the future",
            field="--meeting-date",
            fix="record the decision after the meeting, with its date",
        )
    correcting = form.correction_reason is not None
    with registry.database.transaction() as session:
        # The patient's row lock (PostgreSQL; SQLite serialises writers) makes two coordinators recording a
        # decision for the same patient at once take turns, so the second sees the first and is refused.
        patient = repository.get_patient_or_raise(session, study_id=form.study_id, lock=True)
        check_date(
            form.meeting_date,
            field="--meeting-date",
            what="meeting date",
            today=now.date(),
            birth_year=patient.birth_year,
        )
        _, protocol = _stored_protocol(session)
        previous = repository.latest_decision(session, patient_id=patient.id)
        screening = _decision_screening(session, form, patient=patient, previous=previous)
        facts = patient_facts(patient, on=form.meeting_date)
        target: _Target | None = None
        if form.code is MtbDecisionCode.A:
            target = _confirmed_match(session, form, screening, protocol=protocol, facts=facts)
        elif form.code is MtbDecisionCode.B:
            target = _proposed_alteration(session, form, protocol=protocol, facts=facts, screening=screening)
        known = (
            repository.find_cohort(
                session, tumour_group=target.tumour_group, biomarker=target.biomarker, drug=target.drug
            )
            if target is not None
            else None
        )
        if correcting and previous is not None:
            _check_correction_keeps_enrolment(session, form, previous=previous, cohort_id=known.id if known else None)
        warnings: list[str] = []
        if known is not None:
            staying = correcting and previous is not None and previous.cohort_id == known.id
            warnings = _cohort_warnings(session, form, cohort=known, staying=staying)
        cohort: Cohort | None = None
        opened = False
        if target is not None:
            opened = known is None
            cohort = known or _open_cohort(
                registry,
                session,
                protocol=protocol,
                tumour_group=target.tumour_group,
                biomarker=target.biomarker,
                drug=target.drug,
                cause=f"decision {form.code}",
                study_id=patient.study_id,
                at=now,
            )
        before = None
        if previous is not None:
            previous_cohort = (
                repository.get_cohort(session, cohort_id=previous.cohort_id) if previous.cohort_id is not None else None
            )
            before = decision_view(previous, cohort=previous_cohort)
        row = repository.add_decision(
            session,
            patient_id=patient.id,
            screening_id=screening.id if screening is not None else None,
            code=str(form.code),
            drug=target.drug if target is not None else form.drug,
            biomarker=target.biomarker if target is not None else form.biomarker,
            cohort_id=cohort.id if cohort is not None else None,
            eligible=target.eligible if target is not None else None,
            failed_criteria=target.failed_criteria if target is not None else [],
            rationale=form.rationale.strip(),
            meeting_date=form.meeting_date,
            recorded_at=now,
            non_trial_option=str(form.option) if form.option is not None else None,
            corrects_id=previous.id if correcting and previous is not None else None,
            correction_reason=form.correction_reason.strip() if form.correction_reason is not None else None,
        )
        view = decision_view(row, cohort=cohort)
        registry.audit(
            session,
            at=now,
            action="decision.correct" if correcting else "decision.record",
            entity="mtb_decision",
            entity_id=row.id,
            study_id=patient.study_id,
            before=before,
            after=view,
        )
        return {
            "study_id": patient.study_id,
            **view,
            "meaning": form.code.meaning,
            "cohort_opened": opened,
            "cohort_status": cohort.status if cohort is not None else None,
            "warnings": warnings,
        }


def _decision_screening(
    session: Session, form: DecisionForm, *, patient: Patient, previous: MtbDecision | None
) -> Screening | None:
    """The screening a decision is taken on: the latest one, or for a correction the corrected decision's.

    Refuses a second decision on the screening the decision in force rests on (one screening, one
    decision; a change is an explicit correction with its reason), and a correction with nothing to correct.
    """
    latest = repository.latest_screening(session, patient_id=patient.id)
    if form.correction_reason is None:
        if previous is not None and previous.screening_id == (latest.id if latest is not None else None):
            case = "their latest screening" if latest is not None else "this case (not screened)"
            raise ConflictError(
                f"patient '{form.study_id}' already has decision {previous.code} (meeting "
                f"{previous.meeting_date.isoformat()}) for {case}; a decision is never replaced silently: to "
                "correct it or record the board's revised verdict, run `oncobasket mtb decide` again with "
                "--correct --reason TEXT (the earlier decision stays in the audit trail); a new screening "
                "(`oncobasket screen --patient`) takes a new decision without --correct"
            )
        return latest
    if previous is None:
        raise ConflictError(
            f"patient '{form.study_id}' has no tumour-board decision to correct; record the decision without --correct"
        )
    if previous.screening_id is None:
        return None
    return repository.get_screening(session, screening_id=previous.screening_id)


def _check_correction_keeps_enrolment(
    session: Session, form: DecisionForm, *, previous: MtbDecision, cohort_id: int | None
) -> None:
    """A correction may not move an enrolled patient to another cohort or out of the one they are in.

    The enrolment happened on the decision in force (a place and a treatment slot were given, the cohort
    rule counts the patient); rewriting the decision underneath it would leave the cohort's counts resting
    on a decision that no longer points to it.
    """
    if previous.cohort_id is None or previous.cohort_id == cohort_id:
        return
    for enrolment in repository.patient_enrolments(session, patient_id=previous.patient_id):
        if enrolment.cohort_id == previous.cohort_id:
            cohort = repository.get_cohort_or_raise(session, name_or_id=previous.cohort_id)
            raise ConflictError(
                f"patient '{form.study_id}' is enrolled in cohort '{cohort.name}' (place {enrolment.position + 1}) "
                f"on decision {previous.code}; a correction cannot move the patient to another cohort or out of "
                "this one: the enrolment stands and must be reviewed by the trial team (a correction may still "
                "change the rationale or the meeting date)"
            )


def _open_cohort(
    registry: Registry,
    session: Session,
    *,
    protocol: Protocol,
    tumour_group: str,
    biomarker: str,
    drug: str,
    cause: str,
    study_id: str,
    at: datetime,
) -> Cohort:
    """The cohort of tumour group x biomarker x drug, opened now if the trial has none."""
    existing = repository.find_cohort(session, tumour_group=tumour_group, biomarker=biomarker, drug=drug)
    if existing is not None:
        return existing
    trial_drug = protocol.drug(drug)
    if trial_drug is None:
        raise InputError(
            f"'{drug}' is not a drug of protocol {protocol.version}",
            field="--drug",
            fix=f"use one of: {', '.join(item.key for item in protocol.drugs)}; or record decision C",
        )
    profile = next((item for item in trial_drug.profiles if item.biomarker.name == biomarker), None)
    if profile is None:
        raise InputError(
            f"drug '{drug}' has no biomarker '{biomarker}' in protocol {protocol.version}",
            field="--biomarker",
            fix=f"use one of: {', '.join(item.biomarker.name for item in trial_drug.profiles)}",
        )
    name = cohort_name(biomarker, tumour_group, trial_drug.display_name)
    rule = protocol.rule_for(name, trial_drug, profile)
    state = new_cohort(TwoStageRule(r1=rule.r1, n1=rule.n1, r=rule.r, n=rule.n))
    budget = protocol.slot_budget(trial_drug)
    budget_row = repository.get_slot_budget(session, name=budget[0]) if budget is not None else None
    row = repository.add_cohort(
        session,
        name=name,
        tumour_group=tumour_group,
        biomarker=biomarker,
        drug=drug,
        state=state,
        slot_budget_id=budget_row.id if budget_row is not None else None,
        opened_at=at,
    )
    counts = tally(state)
    reason = f"opened on demand: {cause} for {study_id} found no cohort for this match"
    repository.add_cohort_transition(
        session, cohort_id=row.id, from_status=None, to_status=row.status, reason=reason, counts=counts, at=at
    )
    registry.audit(
        session,
        at=at,
        action="cohort.open",
        entity="cohort",
        entity_id=row.id,
        study_id=study_id,
        before=None,
        after={"name": name, "status": row.status, "rule": str(state.rule), "reason": reason},
    )
    return row
