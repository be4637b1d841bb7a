"""Use case: the analysis dataset, one row per screened patient, from the registry as it stood at a cut-off.

ARCHITECTURE.md "Endpoints" and issue 9: every endpoint, table and plot is computed from this dataset, so the
registry and a sister trial's table go through the same code (``core.endpoints``, the report). Nothing
recorded after the cut-off counts: screenings, decisions, enrolments, treatment entries and their
corrections recorded later are left out (``db.cutoff_records``, the ``recorded_by`` filter of
``db.treatment_records``), the week-16 outcome is the one the audit trail held at the cut-off, and the derived
values (responses, PFS, OS) are recomputed from the entries recorded by then, on the cut-off day.

The column definitions are docs/analysis-dataset.md; how each is derived from the registry is said below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from oncobasket import __version__
from oncobasket.core.analysis import AnalysisDataset, AnalysisMetadata, AnalysisRow
from oncobasket.core.cohorts import Outcome
from oncobasket.core.errors import InputError
from oncobasket.core.matching import tumour_group
from oncobasket.core.protocol import Protocol
from oncobasket.core.recist import OverallResponse
from oncobasket.core.registry import MtbDecisionCode
from oncobasket.core.simulation import SIMULATION_ACTION
from oncobasket.db import cutoff_records, simulation_records
from oncobasket.db.cutoff_snapshot import CutOffSnapshot, snapshot_at
from oncobasket.db.models import Cohort, MtbDecision, Patient, Screening
from oncobasket.services.patient_outcomes import PatientOutcomes, patient_outcomes
from oncobasket.services.registry import Registry, _stored_protocol, _tumour_types, patient_facts

#: Week 16 from treatment start (day 0 = cycle 1 day 1): the follow-up that makes a treated patient count in
#: the secondary DCR's denominator (DOMAIN.md section 4: "all treated with at least 16 weeks of follow-up").
WEEK_16_DAY = 112

#: Best overall response labels of iRECIST, RANO and Lugano as the dataset's RECIST vocabulary (Seymour 2017:
#: iCR/iPR/iSD mean CR/PR/SD; a confirmed or unconfirmed progression is PD; non-iCR/non-iUPD is non-CR/non-PD).
_BEST_RESPONSE = {
    "iCR": "CR",
    "iPR": "PR",
    "iSD": "SD",
    "iUPD": "PD",
    "iCPD": "PD",
    "NON-iCR/NON-iUPD": "NON-CR/NON-PD",
}


def build_analysis_dataset(registry: Registry, *, as_of: date) -> AnalysisDataset:
    """One :class:`AnalysisRow` per patient screened by the end of ``as_of`` (UTC), as the registry stood then."""
    registry.database.check_schema()
    if as_of > registry.now().date():
        raise InputError(
            f"the cut-off {as_of.isoformat()} is in the future", field="--as-of", fix="give today or an earlier day"
        )
    with registry.database.transaction(write=False) as session:
        return analysis_dataset_in(registry, session, as_of=as_of)


def recorded_by_of(as_of: date) -> datetime:
    """The cut-off as an instant: everything recorded before the end of ``as_of`` (UTC) counts."""
    return datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)


def analysis_dataset_in(registry: Registry, session: Session, *, as_of: date) -> AnalysisDataset:
    """The analysis dataset read in the caller's transaction (an export that reads more beside it)."""
    recorded_by = recorded_by_of(as_of)
    protocol_row, protocol = _stored_protocol(session)
    # One read per table (db.cutoff_snapshot), not ten queries per patient: 5,000 patients in seconds.
    snapshot = snapshot_at(session, recorded_by=recorded_by)
    rows = tuple(
        _row(registry, session, protocol, patient, screening, snapshot=snapshot, as_of=as_of, recorded_by=recorded_by)
        for patient, screening in cutoff_records.screened_patients(session, recorded_by=recorded_by)
    )
    metadata = AnalysisMetadata(
        protocol_version=protocol_row.version,
        data_source=registry.database.engine.url.render_as_string(hide_password=True),
        cut_off=as_of,
        software_version=f"oncobasket {__version__}",
        # A simulated trial leaves its mark in the audit trail (docs/simulation.md), so every report
        # made from it says synthetic without a column or a migration of its own.
        synthetic=simulation_records.has_audit_action(session, action=SIMULATION_ACTION),
    )
    return AnalysisDataset(rows=rows, metadata=metadata)


def _row(
    registry: Registry,
    session: Session,
    protocol: Protocol,
    patient: Patient,
    screening: Screening,
    *,
    snapshot: CutOffSnapshot,
    as_of: date,
    recorded_by: datetime,
) -> AnalysisRow:
    suggestions = snapshot.suggestions.get(screening.id, ())
    decision = snapshot.decisions.get(patient.id)
    enrolment = snapshot.enrolments.get(patient.id)
    treated = patient.id in snapshot.treatments
    # Offered: the board confirmed a trial match (A) or proposed another alteration for a trial drug (B);
    # an enrolment or a treatment implies it even if a later-dated decision replaced it.
    offered = treated or enrolment is not None or _offers_trial(decision)
    # Matched: an actionable alteration with a matching trial drug (the screening's matches), or the board's.
    matched = offered or bool(suggestions)
    # QC: the result passed, or its failed areas left the matched alterations usable (the flags nest).
    qc_passed = screening.qc_passed or matched
    cohort = _cohort(snapshot, enrolment.cohort_id if enrolment is not None else None, decision)
    first = suggestions[0] if suggestions else None
    values: dict[str, object] = {
        "study_id": patient.study_id,
        "site": patient.site,
        "tumour_type": patient.oncotree_code,
        "tumour_group": cohort.tumour_group if cohort is not None else _group(protocol, patient, as_of),
        "biomarker": _pick(
            cohort.biomarker if cohort else None,
            decision.biomarker if decision else None,
            first.biomarker if first else None,
        ),
        "drug": _pick(
            cohort.drug if cohort else None, decision.drug if decision else None, first.drug if first else None
        ),
        "cohort": cohort.name if cohort is not None else None,
        "cohort_status": snapshot.cohort_statuses.get(cohort.id) if cohort is not None else None,
    }
    if not treated:
        reason = _not_treated_reason(snapshot, patient, decision) if matched else None
        return AnalysisRow(
            qc_passed=qc_passed,
            matched=matched,
            offered=offered,
            treated=False,
            followed_w16=False,
            evaluable=False,
            not_treated_reason=reason,
            **values,  # type: ignore[arg-type]
        )
    derived = patient_outcomes(registry, session, patient=patient, as_of=as_of, recorded_by=recorded_by)
    recorded = snapshot.outcomes.get(enrolment.id) if enrolment is not None else None
    outcome = Outcome(recorded) if recorded is not None else derived.outcome
    benefit = {Outcome.BENEFIT: True, Outcome.NO_BENEFIT: False}.get(outcome)
    return AnalysisRow(
        qc_passed=qc_passed,
        matched=matched,
        offered=True,
        treated=True,
        followed_w16=_followed_w16(derived, as_of=as_of, benefit_known=benefit is not None),
        evaluable=benefit is not None,
        benefit_w16=benefit,
        best_overall_response=_best_response(derived),
        best_percent_change=_best_percent_change(derived),
        time_on_treatment_days=derived.time_on_treatment.days if derived.time_on_treatment is not None else None,
        treatment_ongoing=derived.treatment is not None
        and derived.treatment.end is None
        and derived.treatment.death_date is None,
        pfs_days=derived.pfs.days if derived.pfs is not None else None,
        pfs_event=int(derived.pfs.event) if derived.pfs is not None else None,
        os_days=derived.os.days if derived.os is not None else None,
        os_event=int(derived.os.event) if derived.os is not None else None,
        pfs_ratio=derived.pfs_ratio.ratio if derived.pfs_ratio is not None else None,
        worst_ae_grade=snapshot.worst_adverse_event_grades.get(patient.id, 0),
        **values,  # type: ignore[arg-type]
    )


def _pick(*candidates: str | None) -> str | None:
    """The first known value: the cohort's, else the board's decision's, else the screening's first match."""
    return next((value for value in candidates if value), None)


def _offers_trial(decision: MtbDecision | None) -> bool:
    return (
        decision is not None
        and decision.code in (MtbDecisionCode.A.value, MtbDecisionCode.B.value)
        and decision.drug is not None
    )


def _cohort(snapshot: CutOffSnapshot, cohort_id: int | None, decision: MtbDecision | None) -> Cohort | None:
    if cohort_id is None and decision is not None and _offers_trial(decision):
        cohort_id = decision.cohort_id
    return snapshot.cohorts.get(cohort_id) if cohort_id is not None else None


def _group(protocol: Protocol, patient: Patient, as_of: date) -> str | None:
    """The protocol's tumour group of the patient's tumour type (None when the code cannot be placed)."""
    try:
        return tumour_group(protocol, _tumour_types(), patient_facts(patient, on=as_of))
    except InputError:
        return None


def _not_treated_reason(snapshot: CutOffSnapshot, patient: Patient, decision: MtbDecision | None) -> str:
    """Why a matched patient was not treated at the cut-off: the recorded reason, else the board's decision
    (C: its non-trial option; D: no treatment proposal), else ``pending`` (IMPRESS funnel, Puco et al. 2024)."""
    recorded = snapshot.not_treated.get(patient.id)
    if recorded is not None:
        return recorded.reason
    if decision is not None and decision.code == MtbDecisionCode.C.value:
        return decision.non_trial_option or "standard_care"
    if decision is not None and decision.code == MtbDecisionCode.D.value:
        return "no_treatment_proposal"
    return "pending"


def _followed_w16(derived: PatientOutcomes, *, as_of: date, benefit_known: bool) -> bool:
    """Treated with >= 16 weeks of follow-up by the cut-off, or an event (progression, death) or a known
    week-16 result before then (ARCHITECTURE.md "Endpoints": ``followed_w16``)."""
    record = derived.treatment
    if record is None:
        return False
    if benefit_known or (as_of - record.start).days >= WEEK_16_DAY:
        return True
    progressed = derived.pfs is not None and derived.pfs.event
    return progressed or record.death_date is not None


def _best_response(derived: PatientOutcomes) -> OverallResponse | None:
    """The confirmed best overall response in the dataset's RECIST vocabulary (None without assessments)."""
    if derived.evaluation is None:
        return None
    label = derived.evaluation.best_overall_response.confirmed
    try:
        return OverallResponse(_BEST_RESPONSE.get(str(label), str(label)))
    except ValueError:
        return None


def _best_percent_change(derived: PatientOutcomes) -> float | None:
    """The lowest change of the target sum from baseline over the time points (the waterfall's bar)."""
    if derived.evaluation is None:
        return None
    changes = [
        point.percent_change_from_baseline
        for point in derived.evaluation.time_points
        if point.percent_change_from_baseline is not None
    ]
    return max(-100.0, min(changes)) if changes else None
