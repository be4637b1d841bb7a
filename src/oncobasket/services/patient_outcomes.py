"""Everything derived for one treated patient from what the registry holds: responses, week-16 benefit,
evaluability, the cohort outcome, PFS, OS, duration of benefit, time on treatment and the PFS ratio.

The registry stores what was entered (cycles, end of treatment, follow-up, each assessment as entered);
every derived value is recomputed here by the pure core (``core.response``, ``core.outcomes``,
``core.week16``), so it can always be traced back to the entries and the rule that produced it, and a
correction of an entry changes every value that rests on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.cohorts import Outcome
from oncobasket.core.errors import InputError
from oncobasket.core.outcomes import (
    Evaluability,
    OutcomeSettings,
    PfsRatio,
    ResponseAssessment,
    TimeToEvent,
    duration_of_benefit,
    evaluability,
    overall_survival,
    pfs_ratio,
    progression_free_survival,
    time_on_treatment,
)
from oncobasket.core.recist import AssessmentRecord, ResponseSettings
from oncobasket.core.response import Evaluation, evaluate
from oncobasket.core.treatment import (
    AdministrationRoute,
    Cycle,
    DoseChange,
    DrugAdministration,
    EndOfTreatment,
    EndReason,
    FollowUpContact,
    TreatmentRecord,
    VitalStatus,
)
from oncobasket.core.week16 import week16_outcome
from oncobasket.db import treatment_records
from oncobasket.db.models import Patient, Treatment, TumourAssessment
from oncobasket.io.assessment_file import parse_assessment_mapping
from oncobasket.services.registry import Registry, _stored_protocol


@dataclass(frozen=True)
class PatientOutcomes:
    """What the registry derives for one patient (None where there is nothing to derive from yet)."""

    treatment: TreatmentRecord | None
    evaluation: Evaluation | None
    evaluability: Evaluability | None
    week16: dict[str, Any]
    outcome: Outcome
    reason: str
    pfs: TimeToEvent | None
    os: TimeToEvent | None
    duration_of_benefit: TimeToEvent | None
    time_on_treatment: TimeToEvent | None
    pfs_ratio: PfsRatio | None = None
    notes: tuple[str, ...] = ()


def treatment_record(
    session: Session, treatment: Treatment, *, patient_id: int, recorded_by: datetime | None = None
) -> TreatmentRecord:
    """The treatment as the pure core's checked value, built from the rows in force."""
    cycles = tuple(
        Cycle(
            number=row.cycle_number,
            start=row.start_date,
            drugs=tuple(
                DrugAdministration(
                    drug=item["drug"],
                    dose=float(item["dose"]),
                    unit=item["unit"],
                    route=AdministrationRoute(item["route"]),
                )
                for item in row.doses
            ),
            dose_change=DoseChange(row.dose_change),
            dose_change_reason=row.dose_change_reason,
            delay_days=row.delay_days,
            delay_reason=row.delay_reason,
        )
        for row in treatment_records.cycles_in_force(session, treatment_id=treatment.id, recorded_by=recorded_by)
    )
    end_row = treatment_records.end_in_force(session, treatment_id=treatment.id, recorded_by=recorded_by)
    contacts = treatment_records.follow_ups_in_force(session, patient_id=patient_id, recorded_by=recorded_by)
    death_date = next((row.death_date for row in contacts if row.death_date is not None), None)
    return TreatmentRecord(
        cycles=cycles,
        end=EndOfTreatment(end_row.end_date, EndReason(end_row.reason)) if end_row is not None else None,
        follow_up=tuple(
            FollowUpContact(row.contact_date, VitalStatus(row.status))
            for row in contacts
            if row.status in {VitalStatus.ALIVE.value, VitalStatus.DEAD.value}
        ),
        death_date=death_date,
        lost_to_follow_up=any(row.status == "lost_to_follow_up" for row in contacts),
    )


def assessment_document(rows: Sequence[TumourAssessment], *, start: date) -> dict[str, Any]:
    """The assessment file (docs/recist.md) rebuilt from the assessments in force: what the core evaluates."""
    baseline = next(row for row in rows if row.kind == "baseline")
    return {
        "treatment_start": start.isoformat(),
        "baseline": dict(baseline.document),
        "assessments": [dict(row.document) for row in rows if row.kind == "follow_up"],
    }


def assessment_record(
    session: Session, *, patient_id: int, study_id: str, start: date, recorded_by: datetime | None = None
) -> AssessmentRecord | None:
    """The patient's recorded assessments as the core's checked value (None before a baseline is recorded)."""
    rows = treatment_records.assessments_in_force(session, patient_id=patient_id, recorded_by=recorded_by)
    if not any(row.kind == "baseline" for row in rows):
        return None
    return parse_assessment_mapping(
        assessment_document(rows, start=start), source=f"recorded assessments of {study_id}", treatment_start=start
    )


#: iRECIST's non-target-only category as ``core.response`` writes it (Seymour 2017, Table 2) and as
#: ``core.outcomes`` reads it.
_OUTCOME_LABELS = {"NON-iCR/NON-iUPD": "iNN"}


def _response_series(evaluation: Evaluation) -> list[ResponseAssessment]:
    """The time-point responses under the criteria in force (iRECIST before RECIST, DOMAIN.md section 5), as
    ``core.outcomes`` reads them."""
    series = evaluation.series.get(evaluation.criteria, ())
    return [
        ResponseAssessment.of(point.date, _OUTCOME_LABELS.get(point.response, point.response))
        for point in series
        if point.response
    ]


def patient_outcomes(
    registry: Registry,
    session: Session,
    *,
    patient: Patient,
    response_settings: ResponseSettings | None = None,
    outcome_settings: OutcomeSettings | None = None,
    as_of: date | None = None,
    recorded_by: datetime | None = None,
) -> PatientOutcomes:
    """Derive everything for ``patient`` as the registry stands, on ``as_of`` (default: today); with
    ``recorded_by``, from the entries recorded before then only (a data cut-off)."""
    today = as_of if as_of is not None else registry.now().date()
    treatment = treatment_records.treatment_of(session, patient_id=patient.id, recorded_by=recorded_by)
    if treatment is None:
        return PatientOutcomes(
            None,
            None,
            None,
            {"benefit": None, "date": None, "reason": "no trial treatment recorded"},
            Outcome.PENDING,
            "no trial treatment recorded",
            None,
            None,
            None,
            None,
        )
    # The protocol in force sets the windows and thresholds (its ``outcomes`` section, docs/protocol.md).
    if response_settings is None or outcome_settings is None:
        _, protocol = _stored_protocol(session)
    responses = response_settings if response_settings is not None else protocol.response_settings
    outcomes = outcome_settings if outcome_settings is not None else protocol.outcome_settings
    record = treatment_record(session, treatment, patient_id=patient.id, recorded_by=recorded_by)
    assessments = assessment_record(
        session, patient_id=patient.id, study_id=patient.study_id, start=record.start, recorded_by=recorded_by
    )
    evaluation = evaluate(assessments, responses) if assessments is not None else None
    judged = evaluability(record, as_of=max(today, record.cycles[-1].start), settings=outcomes)
    if evaluation is not None:
        week16 = evaluation.week16.to_json()
    else:
        week16 = {"benefit": None, "date": None, "reason": "no baseline tumour assessment recorded"}
    death_day = (record.death_date - record.start).days if record.death_date is not None else None
    derived = week16_outcome(
        benefit=week16["benefit"],
        benefit_reason=week16["reason"],
        evaluable=judged.evaluable,
        evaluability_reason=judged.reason,
        death_day=death_day,
        window_end_day=responses.week16_window_end_day,
    )
    notes: list[str] = []
    series = _response_series(evaluation) if evaluation is not None else []
    try:
        pfs = progression_free_survival(record, series, settings=outcomes)
    except InputError as error:
        pfs = None
        notes.append(f"PFS not computed: {error}")
    known_alive = [item.date for item in series if record.death_date is None or item.date <= record.death_date]
    survival = overall_survival(record, known_alive=known_alive)
    ratio = None
    prior = treatment_records.prior_treatments_in_force(session, patient_id=patient.id, recorded_by=recorded_by)
    if pfs is not None and prior:
        last = prior[-1]
        if last.progression_date is not None:
            ratio = pfs_ratio(
                pfs, prior_line_start=last.start_date, prior_line_progression=last.progression_date, settings=outcomes
            )
        else:
            notes.append(f"PFS ratio not computed: the last prior line ({last.regimen}) has no progression date")
    benefit = week16["benefit"] if derived.outcome in {Outcome.BENEFIT, Outcome.NO_BENEFIT} else None
    return PatientOutcomes(
        treatment=record,
        evaluation=evaluation,
        evaluability=judged,
        week16=week16,
        outcome=derived.outcome,
        reason=derived.reason,
        pfs=pfs,
        os=survival,
        duration_of_benefit=duration_of_benefit(pfs, benefit=benefit) if pfs is not None else None,
        time_on_treatment=time_on_treatment(record, as_of=max(today, record.cycles[-1].start)),
        pfs_ratio=ratio,
        notes=tuple(notes),
    )


def time_to_event_view(value: TimeToEvent | None) -> dict[str, Any] | None:
    """A time-to-event value as JSON."""
    if value is None:
        return None
    return {
        "days": value.days,
        "event": value.event,
        "start": value.start.isoformat(),
        "end": value.end.isoformat(),
        "reason": value.reason,
    }


def outcomes_view(derived: PatientOutcomes) -> dict[str, Any]:
    """The derived values as ``patient show --json`` carries them."""
    judged = derived.evaluability
    return {
        "week16": derived.week16,
        "computed_outcome": {"outcome": str(derived.outcome), "reason": derived.reason},
        "evaluable": None
        if judged is None
        else {"evaluable": judged.evaluable, "rule": judged.rule, "days": judged.days, "reason": judged.reason},
        "responses": derived.evaluation.to_json() if derived.evaluation is not None else None,
        "pfs": time_to_event_view(derived.pfs),
        "os": time_to_event_view(derived.os),
        "duration_of_benefit": time_to_event_view(derived.duration_of_benefit),
        "time_on_treatment": time_to_event_view(derived.time_on_treatment),
        "pfs_ratio": None
        if derived.pfs_ratio is None
        else {
            "ratio": derived.pfs_ratio.ratio,
            "threshold": derived.pfs_ratio.threshold,
            "meets_threshold": derived.pfs_ratio.meets_threshold,
            "reason": derived.pfs_ratio.reason,
        },
        "notes": list(derived.notes),
    }
