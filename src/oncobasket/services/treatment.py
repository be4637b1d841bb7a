"""Use cases: trial treatment (cycle 1 day 1, further cycles, end of treatment) and follow-up contacts.

Dates are checked against what the registry already knows (consent, the tumour-board meeting, earlier
cycles, the end of treatment, a recorded death and today) before anything is written. A cycle, an end of
treatment or a follow-up contact is corrected by a new row naming the row it supersedes, with the reason.
Each change that can settle the week-16 outcome (an end of treatment, a death) re-derives it in the same
transaction (:mod:`.week16`), so a cohort transition it causes is part of the command's output.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.registry import check_study_id
from oncobasket.core.treatment import DoseChange, EndReason
from oncobasket.core.treatment_entries import (
    DoseEntry,
    FollowUpStatus,
    check_correction_reason,
    check_free_text,
    check_not_future,
)
from oncobasket.core.validation import check_date
from oncobasket.db import repository, treatment_records
from oncobasket.db.models import FollowUp, Patient, PriorTreatment, Treatment, TreatmentCycle, TreatmentEnd
from oncobasket.services.entries import append_entry, entry_to_correct
from oncobasket.services.registry import Registry, _jsonable, _stored_protocol
from oncobasket.services.treatment_views import cycle_view, end_view, follow_up_view, prior_treatment_view
from oncobasket.services.week16 import settle_week16


def _treatment_or_raise(session: Session, patient: Patient, study_id: str) -> Treatment:
    treatment = treatment_records.treatment_of(session, patient_id=patient.id)
    if treatment is None:
        raise ConflictError(
            f"patient '{study_id}' has no trial treatment recorded; "
            f"record cycle 1 day 1 first with `oncobasket treatment start {study_id} --date DATE`"
        )
    return treatment


def treatment_start_date(session: Session, treatment: Treatment) -> date:
    """Cycle 1 day 1 in force (a correction of cycle 1 moves the treatment start)."""
    cycles = treatment_records.cycles_in_force(session, treatment_id=treatment.id)
    return cycles[0].start_date if cycles else treatment.start_date


def start_treatment(
    registry: Registry,
    study_id: str,
    *,
    start_date: date,
    doses: tuple[DoseEntry, ...],
    route: str | None = None,
) -> dict[str, Any]:
    """Record cycle 1 day 1 of the enrolled cohort's drug (``oncobasket treatment start``).

    The patient must be enrolled, have consented on or before that day, and the day must not be before the
    tumour board's meeting nor after today. Cycle 1 gives a dose of every drug of the cohort's combination. The
    route comes from the protocol's drug unless given.
    """
    check_study_id(study_id)
    registry.database.check_schema()
    now = registry.now()
    check_not_future(start_date, today=now.date(), field="--date")
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        enrolments = repository.patient_enrolments(session, patient_id=patient.id)
        if not enrolments:
            raise ConflictError(f"patient '{study_id}' is not enrolled in a cohort; enrol before starting treatment")
        enrolment = enrolments[-1]
        existing = treatment_records.treatment_of(session, patient_id=patient.id)
        if existing is not None and existing.enrolment_id == enrolment.id:
            raise ConflictError(
                f"patient '{study_id}' started treatment on {treatment_start_date(session, existing).isoformat()}; "
                f"to correct the start, run `oncobasket treatment cycle {study_id} --cycle 1 --date DATE "
                "--correct --reason TEXT`"
            )
        consent = repository.latest_consent(session, patient_id=patient.id)
        if consent is None or consent.consent_date > start_date:
            raise InputError(
                f"treatment start {start_date.isoformat()} is before informed consent"
                + ("" if consent is None else f" ({consent.consent_date.isoformat()})"),
                field="--date",
                fix="record consent first (`oncobasket consent`) and give a start on or after it",
            )
        decision = repository.latest_decision(session, patient_id=patient.id)
        if decision is not None and start_date < decision.meeting_date:
            raise InputError(
                f"treatment start {start_date.isoformat()} is before the tumour board's meeting "
                f"({decision.meeting_date.isoformat()})",
                field="--date",
                fix="give the day of the first dose, on or after the meeting",
            )
        cohort = repository.get_cohort_or_raise(session, name_or_id=enrolment.cohort_id)
        _, protocol = _stored_protocol(session)
        drug = protocol.drug(cohort.drug)
        chosen_route = route or (str(drug.route) if drug is not None else None)
        if chosen_route is None:
            raise InputError(
                f"the protocol names no route for drug '{cohort.drug}'",
                field="--route",
                fix="give --route oral|intravenous|subcutaneous",
            )
        given = _cycle_doses(cohort.drug, doses, previous=None, route=chosen_route)
        treatment = Treatment(
            patient_id=patient.id,
            enrolment_id=enrolment.id,
            drug=cohort.drug,
            route=chosen_route,
            start_date=start_date,
            recorded_at=now,
        )
        treatment_records.add(session, treatment)
        cycle = TreatmentCycle(
            treatment_id=treatment.id,
            cycle_number=1,
            start_date=start_date,
            doses=given,
            dose_change=str(DoseChange.NONE),
            dose_change_reason=None,
            delay_days=0,
            delay_reason=None,
            recorded_at=now,
        )
        treatment_records.add(session, cycle)
        after = {
            "drug": cohort.drug,
            "route": chosen_route,
            "start_date": start_date,
            "cohort": cohort.name,
            "doses": given,
        }
        registry.audit(
            session,
            at=now,
            action="treatment.start",
            entity="treatment",
            entity_id=treatment.id,
            study_id=study_id,
            before=None,
            after=after,
        )
        return {"study_id": study_id, **(_jsonable(after) or {}), "cycle": 1}


def record_cycle(
    registry: Registry,
    study_id: str,
    *,
    start_date: date,
    cycle_number: int | None = None,
    doses: tuple[DoseEntry, ...] = (),
    dose_change: DoseChange = DoseChange.NONE,
    dose_change_reason: str | None = None,
    delay_days: int = 0,
    delay_reason: str | None = None,
    correction_reason: str | None = None,
) -> dict[str, Any]:
    """Record the start of a treatment cycle (the next one unless ``cycle_number`` is given).

    Cycles start in order, each after the one before and not after the end of treatment. An existing cycle is
    corrected only with ``correction_reason`` (a new row superseding it). A dose not given is the previous
    cycle's. A dose change and a delay need their reasons (PRIME-ROSE eCRF: treatment cycles with dose and
    delays, DOMAIN.md section 5; ``core.treatment.Cycle``).
    """
    check_study_id(study_id)
    registry.database.check_schema()
    now = registry.now()
    check_not_future(start_date, today=now.date(), field="--date")
    reason = check_correction_reason(correction_reason)
    change_reason = check_free_text(dose_change_reason, field="--dose-change-reason")
    if dose_change is not DoseChange.NONE and change_reason is None:
        raise InputError(
            f"a dose change ({dose_change}) needs its reason",
            field="--dose-change-reason",
            fix="say why, e.g. 'grade 3 fatigue'",
        )
    if delay_days < 0 or delay_days > 365:
        raise InputError(f"a delay of {delay_days} days is outside 0-365", field="--delay-days", fix="give the days")
    delay_why = check_free_text(delay_reason, field="--delay-reason")
    if delay_days > 0 and delay_why is None:
        raise InputError(
            "a delayed cycle needs the reason", field="--delay-reason", fix="say why, e.g. 'neutropenia grade 3'"
        )
    if cycle_number is not None and cycle_number < 1:
        raise InputError(f"cycle {cycle_number} is not a cycle number", field="--cycle", fix="cycles count from 1")
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        treatment = _treatment_or_raise(session, patient, study_id)
        cycles = list(treatment_records.cycles_in_force(session, treatment_id=treatment.id))
        number = cycle_number if cycle_number is not None else cycles[-1].cycle_number + 1
        by_number = {cycle.cycle_number: cycle for cycle in cycles}
        corrected = by_number.get(number)
        if corrected is not None and reason is None:
            raise ConflictError(
                f"cycle {number} of patient '{study_id}' is already recorded "
                f"({corrected.start_date.isoformat()}); to correct it add --correct --reason TEXT"
            )
        if corrected is None and reason is not None:
            raise InputError(f"there is no cycle {number} to correct", field="--cycle", fix="name a recorded cycle")
        if corrected is None and number != cycles[-1].cycle_number + 1:
            raise InputError(
                f"cycle {number} skips cycle {cycles[-1].cycle_number + 1}",
                field="--cycle",
                fix=f"record cycle {cycles[-1].cycle_number + 1} next",
            )
        previous = by_number.get(number - 1)
        following = by_number.get(number + 1)
        if previous is not None and start_date <= previous.start_date:
            raise InputError(
                f"cycle {number} would start on {start_date.isoformat()}, not after cycle {number - 1} "
                f"({previous.start_date.isoformat()})",
                field="--date",
                fix="give the day the cycle started",
            )
        if following is not None and start_date >= following.start_date:
            raise InputError(
                f"cycle {number} would start on {start_date.isoformat()}, not before cycle {number + 1} "
                f"({following.start_date.isoformat()})",
                field="--date",
                fix="correct the later cycle first, or give the day this cycle started",
            )
        end = treatment_records.end_in_force(session, treatment_id=treatment.id)
        if end is not None and start_date > end.end_date:
            raise InputError(
                f"cycle {number} would start on {start_date.isoformat()}, after the end of treatment "
                f"({end.end_date.isoformat()})",
                field="--date",
                fix="correct the end of treatment first if treatment went on",
            )
        source = previous if previous is not None else corrected
        given = _cycle_doses(treatment.drug, doses, previous=source, route=treatment.route)
        row = TreatmentCycle(
            treatment_id=treatment.id,
            cycle_number=number,
            start_date=start_date,
            doses=given,
            dose_change=str(dose_change),
            dose_change_reason=change_reason,
            delay_days=delay_days,
            delay_reason=delay_why,
            recorded_at=now,
            corrects_id=corrected.id if corrected is not None else None,
            correction_reason=reason,
        )
        after = append_entry(
            registry,
            session,
            row,
            view=cycle_view,
            corrected=corrected,
            action="treatment.cycle",
            entity="treatment_cycle",
            study_id=study_id,
            at=now,
        )
        settled = settle_week16(registry, session, patient=patient, study_id=study_id, at=now)
        return {"study_id": study_id, **after, "corrected": corrected is not None, **settled}


def end_treatment(
    registry: Registry,
    study_id: str,
    *,
    end_date: date,
    reason: EndReason,
    note: str | None = None,
    correction_reason: str | None = None,
) -> dict[str, Any]:
    """Record the end of trial treatment with its reason (PRIME-ROSE eCRF: end of treatment, reason, date).

    The end is on or after the last cycle's start. Ending treatment can settle the week-16 outcome: less than
    one full cycle makes the patient not evaluable (``core.outcomes``), and the cohort's rule runs at once.
    """
    check_study_id(study_id)
    registry.database.check_schema()
    now = registry.now()
    check_not_future(end_date, today=now.date(), field="--date")
    correction = check_correction_reason(correction_reason)
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        treatment = _treatment_or_raise(session, patient, study_id)
        cycles = treatment_records.cycles_in_force(session, treatment_id=treatment.id)
        existing = treatment_records.end_in_force(session, treatment_id=treatment.id)
        if existing is not None and correction is None:
            raise ConflictError(
                f"the treatment of patient '{study_id}' ended on {existing.end_date.isoformat()}; "
                "to correct it add --correct --reason TEXT"
            )
        if existing is None and correction is not None:
            raise InputError("there is no end of treatment to correct", field="--correct", fix="leave out --correct")
        if end_date < cycles[-1].start_date:
            raise InputError(
                f"end of treatment {end_date.isoformat()} is before the start of cycle {cycles[-1].cycle_number} "
                f"({cycles[-1].start_date.isoformat()})",
                field="--date",
                fix="give the day of the last dose or of the decision to stop, on or after the last cycle's start",
            )
        row = TreatmentEnd(
            treatment_id=treatment.id,
            end_date=end_date,
            reason=str(reason),
            note=check_free_text(note, field="--note"),
            recorded_at=now,
            corrects_id=existing.id if existing is not None else None,
            correction_reason=correction,
        )
        after = append_entry(
            registry,
            session,
            row,
            view=end_view,
            corrected=existing,
            action="treatment.end",
            entity="treatment_end",
            study_id=study_id,
            at=now,
        )
        settled = settle_week16(registry, session, patient=patient, study_id=study_id, at=now)
        return {"study_id": study_id, **after, "corrected": existing is not None, **settled}


def record_follow_up(
    registry: Registry,
    study_id: str,
    *,
    contact_date: date,
    status: FollowUpStatus,
    death_date: date | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record a follow-up contact: alive, dead (with the death date) or lost to follow-up.

    The death date is on or before the contact and not before treatment start; nothing is recorded after a
    recorded death. A death can settle the week-16 outcome (no benefit, ``core.outcomes``).
    """
    check_study_id(study_id)
    registry.database.check_schema()
    now = registry.now()
    check_not_future(contact_date, today=now.date(), field="--date")
    if (status is FollowUpStatus.DEAD) != (death_date is not None):
        raise InputError(
            "a death date goes with status dead, and only with it",
            field="--death-date",
            fix="give --status dead --death-date DATE, or leave out --death-date",
        )
    if death_date is not None and death_date > contact_date:
        raise InputError(
            f"death date {death_date.isoformat()} is after the contact ({contact_date.isoformat()})",
            field="--death-date",
            fix="the contact that reports a death is on or after it",
        )
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        treatment = _treatment_or_raise(session, patient, study_id)
        start = treatment_start_date(session, treatment)
        earliest = death_date if death_date is not None else contact_date
        if earliest < start:
            raise InputError(
                f"{'death' if death_date is not None else 'follow-up'} date {earliest.isoformat()} is before "
                f"treatment start ({start.isoformat()})",
                field="--death-date" if death_date is not None else "--date",
                fix="check the date",
            )
        for earlier in treatment_records.follow_ups_in_force(session, patient_id=patient.id):
            if earlier.death_date is not None:
                raise ConflictError(
                    f"patient '{study_id}' died on {earlier.death_date.isoformat()}; no later contact is recorded"
                )
        row = FollowUp(
            patient_id=patient.id,
            contact_date=contact_date,
            status=str(status),
            death_date=death_date,
            note=check_free_text(note, field="--note"),
            recorded_at=now,
        )
        after = append_entry(
            registry,
            session,
            row,
            view=follow_up_view,
            corrected=None,
            action="follow_up.record",
            entity="follow_up",
            study_id=study_id,
            at=now,
        )
        settled = settle_week16(registry, session, patient=patient, study_id=study_id, at=now)
        return {"study_id": study_id, **after, **settled}


def _cycle_doses(
    drug_key: str, doses: tuple[DoseEntry, ...], *, previous: TreatmentCycle | None, route: str
) -> list[dict[str, Any]]:
    """Each drug of the combination with its dose in this cycle: as given, else the previous cycle's.

    The drug key is the generic names joined by ``+`` (``core.protocol.drug_key``); a dose for a drug outside
    the combination is refused, and cycle 1 needs every drug's dose (IMPRESS eCRF: dose per study drug).
    """
    names = drug_key.split("+")
    given = {entry.drug: entry for entry in doses}
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise InputError(
            f"{', '.join(unknown)} is not a study drug of this cohort",
            field="--dose",
            fix=f"give doses of {', '.join(names)}",
        )
    carried = {item["drug"]: item for item in previous.doses} if previous is not None else {}
    result: list[dict[str, Any]] = []
    for name in names:
        if name in given:
            entry = given[name]
            result.append({"drug": name, "dose": entry.dose, "unit": entry.unit, "route": route})
        elif name in carried:
            result.append(dict(carried[name]))
        else:
            raise InputError(
                f"no dose of {name} is given for cycle 1",
                field="--dose",
                fix=f"give --dose '{name}=AMOUNT UNIT' for every drug of the combination",
            )
    return result


def record_prior_treatment(
    registry: Registry,
    study_id: str,
    *,
    regimen: str,
    start_date: date,
    end_date: date | None = None,
    progression_date: date | None = None,
    corrects: int | None = None,
    correction_reason: str | None = None,
) -> dict[str, Any]:
    """Record a line of treatment before the trial with its dates (``oncobasket treatment prior``).

    The last prior line's start and progression dates are the reference of the PFS ratio (Von Hoff et al.,
    J Clin Oncol 2010; ``core.outcomes.pfs_ratio``). Dates lie before the trial treatment's start and not in
    the future; an end or a progression is not before the line's start. A correction names the entry it
    supersedes and why.
    """
    check_study_id(study_id)
    registry.database.check_schema()
    now = registry.now()
    name = check_free_text(regimen, field="--regimen")
    if name is None or len(name) > 200:
        raise InputError("the regimen must be 1-200 characters", field="--regimen", fix="e.g. 'FOLFIRINOX'")
    for field, value in (("--start", start_date), ("--end", end_date), ("--progression", progression_date)):
        if value is not None:
            check_not_future(value, today=now.date(), field=field)
            if value < start_date:
                raise InputError(
                    f"{field[2:]} {value.isoformat()} is before the line's start {start_date.isoformat()}",
                    field=field,
                    fix="check the dates",
                )
    reason = check_correction_reason(correction_reason)
    if (corrects is None) != (reason is None):
        raise InputError(
            "a correction names the entry it corrects and why",
            field="--correct",
            fix="give --correct ENTRY_ID --reason TEXT together, or neither",
        )
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        check_date(start_date, field="--start", what="start", today=now.date(), birth_year=patient.birth_year)
        treatment = treatment_records.treatment_of(session, patient_id=patient.id)
        if treatment is not None:
            trial_start = treatment_start_date(session, treatment)
            if start_date >= trial_start:
                raise InputError(
                    f"a prior line starting {start_date.isoformat()} is not before the trial treatment "
                    f"({trial_start.isoformat()})",
                    field="--start",
                    fix="record treatments given before the trial",
                )
        corrected = entry_to_correct(
            treatment_records.prior_treatments_in_force(session, patient_id=patient.id),
            corrects,
            study_id=study_id,
            what="prior treatment",
        )
        row = PriorTreatment(
            patient_id=patient.id,
            regimen=name,
            start_date=start_date,
            end_date=end_date,
            progression_date=progression_date,
            recorded_at=now,
            corrects_id=corrected.id if corrected is not None else None,
            correction_reason=reason,
        )
        after = append_entry(
            registry,
            session,
            row,
            view=prior_treatment_view,
            corrected=corrected,
            action="prior_treatment.add",
            entity="prior_treatment",
            study_id=study_id,
            at=now,
        )
        return {"study_id": study_id, **after, "corrected": corrected is not None}
