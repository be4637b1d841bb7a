"""Use case: a seeded synthetic trial written through the same use cases as real data (docs/simulation.md).

``core.simulation`` draws the patients; here every draw becomes what a coordinator would record, through the
public services (``add_patient``, ``screen_profile``, ``record_decision``, ``record_consent``,
``enrol_patient``, ``start_treatment``, ``record_cycle``, ``record_assessment_document``, ``end_treatment``,
``record_follow_up``, ``add_adverse_event``, ``record_not_treated``), each at its simulated time: the services
run on a :class:`SimulatedClock` that the simulator moves forward, so the audit trail, the cut-off filters
and the cohort rule see the trial as it unfolded. Patients' steps are interleaved in time order (a heap of
per-patient step generators), because a cohort's state depends on the week-16 outcomes of everyone before.

The registry is marked synthetic by an audit event ``trial.simulate`` (no migration needed); the analysis
dataset reads it and every report made from it says "synthetic data".
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from oncobasket.core.adverse_events import DrugRelation
from oncobasket.core.errors import ConflictError, OncoBasketError
from oncobasket.core.registry import DecisionForm, MtbDecisionCode, NonTrialOption, NotTreatedReason
from oncobasket.core.simulation import (
    SIMULATION_ACTION,
    SYNTHETIC_PREFIX,
    AlterationFrequency,
    PatientDraw,
    SimulationPlan,
    SimulationRates,
    WeekSixteenResponse,
    assessment_days,
    assessment_document,
    draw_trial,
)
from oncobasket.core.treatment import EndReason
from oncobasket.core.treatment_entries import DoseEntry, FollowUpStatus
from oncobasket.db import simulation_records
from oncobasket.services.adverse_events import add_adverse_event
from oncobasket.services.assessments import record_assessment_document
from oncobasket.services.decisions import record_decision
from oncobasket.services.enrolment import enrol_patient, record_not_treated
from oncobasket.services.patients import add_patient, patient_form, record_consent
from oncobasket.services.registry import Registry
from oncobasket.services.screening import screen_profile
from oncobasket.services.treatment import end_treatment, record_cycle, record_follow_up, start_treatment
from oncobasket.services.trial import init_trial

#: Laboratory values inside every eligibility threshold of the default protocol, so that a simulated patient
#: is judged on the molecular match, ECOG and age (the drawn parts).
_LABS = (
    "anc=2.1",
    "platelets=210",
    "haemoglobin=11.8",
    "bilirubin_uln=0.8",
    "alt_uln=1.2",
    "ast_uln=1.1",
    "creatinine_clearance=78",
)

#: Cycles every 28 days: one full cycle for oral and intravenous drugs alike (DOMAIN.md section 5).
_CYCLE_DAYS = 28

#: CTCAE v5.0: grade 3 is severe; the simulator records it as serious.
_SEVERE_GRADE = 3


class SimulatedClock:
    """The clock the services read during a simulation: the simulator sets it to each step's moment."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@dataclass(slots=True)
class _Tally:
    steps: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)


def simulate_trial(
    registry: Registry,
    *,
    patients: int,
    seed: int,
    months: int,
    frequencies: Sequence[AlterationFrequency],
    rates: SimulationRates | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Draw a trial and record it; returns what was recorded (the ``--json`` output of ``simulate trial``).

    Refuses a database that holds any patient already (a real registry, or an earlier simulation): the
    synthetic patients must never mix with real ones. The trial's last day is ``end`` (default: the
    registry clock's today); nothing after it is recorded, so later steps are simply not yet known.
    """
    last_day = end if end is not None else registry.now().date()
    plan = draw_trial(
        patients=patients,
        seed=seed,
        end=last_day,
        months=months,
        frequencies=frequencies,
        rates=rates or SimulationRates(),
    )
    clock = SimulatedClock(_moment(plan.start))
    simulated = Registry(database=registry.database, actor=registry.actor, clock=clock)
    registry.database.upgrade()
    with registry.database.transaction() as session:
        if simulation_records.count_patients(session) > 0:
            real = simulation_records.count_patients(session, outside_prefix=SYNTHETIC_PREFIX)
            raise ConflictError(
                f"the database holds {real} real and "
                f"{simulation_records.count_patients(session) - real} synthetic patients already; "
                "a simulated trial is written only into a database of its own: give a new --database-url"
            )
    # The protocol is loaded at the simulated start, the mark goes in before any patient.
    init_trial(simulated)
    with registry.database.transaction() as session:
        registry.audit(
            session,
            at=clock(),
            action=SIMULATION_ACTION,
            entity="trial",
            entity_id=None,
            study_id=None,
            before=None,
            after={
                "synthetic": True,
                "patients": patients,
                "seed": seed,
                "months": months,
                "start": plan.start,
                "end": plan.end,
                "sources": list(plan.sources),
            },
        )
    tally = _run(simulated, clock, plan)
    return {
        "synthetic": True,
        "patients": patients,
        "seed": seed,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "recorded": dict(sorted(tally.steps.items())),
        "refused": dict(sorted(tally.refused.items())),
    }


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _run(registry: Registry, clock: SimulatedClock, plan: SimulationPlan) -> _Tally:
    """Advance every patient's steps in time order; a step the services refuse ends that patient's course."""
    tally = _Tally()
    order = itertools.count()
    queue: list[tuple[date, int, Iterator[date]]] = []
    for draw in plan.patients:
        steps = _patient_steps(registry, draw, tally)
        heapq.heappush(queue, (draw.screened_on, next(order), steps))
    while queue:
        day, _, steps = heapq.heappop(queue)
        if day > plan.end:
            continue
        clock.moment = max(clock.moment, _moment(day))
        try:
            following = next(steps)
        except StopIteration:
            continue
        except OncoBasketError as error:
            tally.refused[f"{type(error).__name__}: {error}"] += 1
            continue
        heapq.heappush(queue, (following, next(order), steps))
    return tally


def _patient_steps(registry: Registry, draw: PatientDraw, tally: _Tally) -> Iterator[date]:
    """One patient's course; each ``yield`` names the day of the next step (the simulator resumes it then)."""
    study_id = draw.study_id
    add_patient(
        registry,
        patient_form(
            study_id=study_id,
            site=draw.site,
            sex=draw.sex,
            birth_year=draw.birth_year,
            oncotree_code=draw.oncotree_code,
            ecog=draw.ecog,
            labs=_LABS,
            prior_lines=2,
        ),
    )
    screening = screen_profile(registry, study_id, draw.profile, source_files=())
    tally.steps["screened"] += 1
    eligible = [match for match in screening["matches"] if match["eligible"]]
    if not eligible:
        return
    tally.steps["matched"] += 1
    meeting = draw.screened_on + timedelta(days=draw.meeting_after_days)
    yield meeting
    code = MtbDecisionCode(draw.decision)
    chosen = eligible[0]
    record_decision(
        registry,
        DecisionForm(
            study_id=study_id,
            code=code,
            rationale="synthetic: drawn by oncobasket simulate trial",
            meeting_date=meeting,
            drug=chosen["drug"] if code is MtbDecisionCode.A else None,
            biomarker=chosen["biomarker"] if code is MtbDecisionCode.A else None,
            option=NonTrialOption(draw.non_trial_option) if draw.non_trial_option is not None else None,
        ),
    )
    tally.steps[f"decision {code}"] += 1
    if code is not MtbDecisionCode.A:
        return
    consent = meeting + timedelta(days=draw.consent_after_days)
    yield consent
    if draw.not_treated_reason is not None:
        record_not_treated(
            registry, study_id, NotTreatedReason(draw.not_treated_reason), note="synthetic: drawn before consent"
        )
        tally.steps["not treated"] += 1
        return
    record_consent(registry, study_id, consent)
    try:
        enrolment = enrol_patient(registry, study_id)
    except ConflictError:
        # The cohort closed or its slots ran out while the patient waited (the two-stage rule at work).
        record_not_treated(
            registry,
            study_id,
            NotTreatedReason.INELIGIBLE,
            criterion="cohort not open for enrolment",
            note="synthetic: cohort closed or full",
        )
        tally.steps["not treated: cohort not open"] += 1
        return
    start = consent + timedelta(days=draw.start_after_days)
    yield start
    drugs = str(enrolment.get("drug") or chosen["drug"]).split("+")
    start_treatment(
        registry, study_id, start_date=start, doses=tuple(DoseEntry(drug=drug, dose=100.0, unit="mg") for drug in drugs)
    )
    tally.steps["treated"] += 1
    if draw.adverse_event_grade is not None:
        onset = start + timedelta(days=10)
        # Recorded when it has resolved, a week after onset (the form is filled in with its end date).
        yield onset + timedelta(days=7)
        add_adverse_event(
            registry,
            study_id,
            term=draw.adverse_event_term,
            grade=str(draw.adverse_event_grade),
            serious=draw.adverse_event_grade >= _SEVERE_GRADE,
            relations=dict.fromkeys(drugs, DrugRelation.POSSIBLE),
            start_date=onset,
            end_date=onset + timedelta(days=7),
            outcome="recovered",
        )
        tally.steps["adverse event"] += 1
    if draw.not_evaluable:
        # Stopped within the first cycle: not evaluable for efficacy (DOMAIN.md section 5).
        stop = start + timedelta(days=18)
        yield stop
        end_treatment(registry, study_id, end_date=stop, reason=EndReason.TOXICITY, note="synthetic")
        tally.steps["ended: toxicity"] += 1
        return
    scans = assessment_days(until=draw.progression_day + 84)
    progression_scan = next(day for day in scans if day >= draw.progression_day)
    scans = tuple(day for day in scans if day <= progression_scan)
    cycle_days = range(_CYCLE_DAYS, progression_scan + 1, _CYCLE_DAYS)
    events = sorted([(day, "cycle") for day in cycle_days] + [(day, "scan") for day in scans])
    number = 1
    for day, kind in events:
        yield start + timedelta(days=day)
        if kind == "cycle":
            number += 1
            record_cycle(registry, study_id, start_date=start + timedelta(days=day), cycle_number=number)
            tally.steps["cycle"] += 1
        else:
            done = tuple(scan for scan in scans if scan <= day)
            record_assessment_document(
                registry,
                study_id,
                assessment_document(draw, start=start, days=done),
                source=f"simulated assessments of {study_id}",
                file_name="simulated",
            )
            tally.steps["assessment"] += 1
    progressed = start + timedelta(days=progression_scan)
    end_treatment(registry, study_id, end_date=progressed, reason=EndReason.PROGRESSION, note="synthetic")
    tally.steps[f"ended: progression ({'early' if draw.response is WeekSixteenResponse.PD else 'later'})"] += 1
    death = progressed + timedelta(days=draw.death_after_progression_days)
    yield death
    record_follow_up(registry, study_id, contact_date=death, status=FollowUpStatus.DEAD, death_date=death)
    tally.steps["died"] += 1
