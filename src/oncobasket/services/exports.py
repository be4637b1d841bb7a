"""Use cases: the registry as other systems read it (issue 11). Each export reads the registry as it stood at a
data cut-off, in one read transaction, and hands a value to a writer in ``io/``.

cBioPortal: the per-patient outcome values are the analysis dataset's (``services.analysis``: nothing recorded
after the cut-off counts, derived values recomputed on the cut-off day); the molecular data are the stored
screening profiles (the latest screening recorded by the cut-off, the one the analysis row rests on); the
timeline's days count from the patient's first dated event in the registry (day 0: the earliest of registration,
screening, tumour-board meeting and treatment start), so no day is negative.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.analysis import AnalysisRow
from oncobasket.core.errors import InputError
from oncobasket.db import cutoff_records, repository
from oncobasket.db.models import MtbDecision, Patient, Screening
from oncobasket.io.cbioportal import (
    CbioportalStudy,
    StudyCase,
    TimelineEvent,
    TimelineKind,
    write_cbioportal_study,
)
from oncobasket.io.ctml.writer import CtmlExport, protocol_to_ctml, write_ctml_export
from oncobasket.io.export_folder import ExportFolder, write_private_json
from oncobasket.io.fhir import FhirPatientRecord, patient_bundle
from oncobasket.io.protocol_file import load_protocol
from oncobasket.services.analysis import analysis_dataset_in, recorded_by_of
from oncobasket.services.patient_outcomes import patient_outcomes
from oncobasket.services.registry import Registry, _stored_protocol, _tumour_types

#: A timeline event with its dates, before they become days from the patient's day 0.
_DatedEvent = tuple[TimelineKind, date, date | None, dict[str, str]]

#: The profiles' genome builds as cBioPortal's ``reference_genome`` names them.
_REFERENCE_GENOME = {"GRCh37": "hg19", "GRCh38": "hg38"}


def build_cbioportal_study(registry: Registry, *, as_of: date) -> CbioportalStudy:
    """The registry at the cut-off as a cBioPortal study: one patient and one sample per screened patient."""
    registry.database.check_schema()
    if as_of > registry.now().date():
        raise InputError(
            f"the cut-off {as_of.isoformat()} is in the future", field="--as-of", fix="give today or an earlier day"
        )
    with registry.database.transaction(write=False) as session:
        dataset = analysis_dataset_in(registry, session, as_of=as_of)
        protocol_row, _ = _stored_protocol(session)
        recorded_by = recorded_by_of(as_of)
        screened = {
            patient.study_id: (patient, screening)
            for patient, screening in cutoff_records.screened_patients(session, recorded_by=recorded_by)
        }
        cases = tuple(
            _case(registry, session, row, *screened[row.study_id], as_of=as_of, recorded_by=recorded_by)
            for row in dataset.rows
        )
        name = protocol_row.name
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_").removeprefix("oncobasket_")
    identifier = f"oncobasket_{slug}_{as_of:%Y%m%d}"
    return CbioportalStudy(
        identifier=identifier,
        name=f"{name} (data cut-off {as_of.isoformat()})",
        description=(
            f"Screened patients of {name} (protocol version {protocol_row.version}) as the registry stood on "
            f"{as_of.isoformat()}, exported by OncoBasket"
        ),
        reference_genome=_reference_genome(cases),
        cases=cases,
    )


def export_cbioportal(registry: Registry, *, as_of: date, out: Path, force: bool = False) -> dict[str, Any]:
    """Write the cBioPortal study folder (owner-only; an existing non-empty folder only with ``force``)."""
    study = build_cbioportal_study(registry, as_of=as_of)
    files = write_cbioportal_study(study, ExportFolder(out, force=force))
    return {
        "out": str(out),
        "cut_off": as_of.isoformat(),
        "study_id": study.identifier,
        "patients": len(study.cases),
        "samples": len(study.cases),
        "files": list(files),
    }


def _reference_genome(cases: tuple[StudyCase, ...]) -> str:
    """One genome for the study (cBioPortal's ``reference_genome``); TSO500 Local App results are GRCh37."""
    builds = {str(case.profile.get("build")) for case in cases if case.profile.get("build")}
    if len(builds) > 1:
        raise InputError(
            f"the screenings use more than one genome build ({', '.join(sorted(builds))})",
            field="build",
            fix="export the samples of one build, or lift the others over before screening",
        )
    (build,) = builds or {"GRCh37"}
    return _REFERENCE_GENOME.get(build, "hg19")


def _case(
    registry: Registry,
    session: Session,
    row: AnalysisRow,
    patient: Patient,
    screening: Screening,
    *,
    as_of: date,
    recorded_by: datetime,
) -> StudyCase:
    sample_id = f"{patient.study_id}_{screening.sample_id}"
    events: list[_DatedEvent] = [
        (TimelineKind.STATUS, patient.registered_at.date(), None, {"STATUS": "Registered"}),
        (
            TimelineKind.SPECIMEN,
            screening.screened_at.date(),
            None,
            {"SAMPLE_ID": sample_id, "SPECIMEN_TYPE": "Tumour sequencing"},
        ),
    ]
    decision = cutoff_records.decision_in_force(session, patient_id=patient.id, recorded_by=recorded_by)
    if decision is not None:
        status = f"Tumour board decision {decision.code}" + (f": {decision.drug}" if decision.drug else "")
        events.append((TimelineKind.STATUS, decision.meeting_date, None, {"STATUS": status}))
    if row.treated:
        events.extend(_treatment_events(registry, session, row, patient, as_of=as_of, recorded_by=recorded_by))
    origin = min(start for _, start, _, _ in events)
    return StudyCase(
        row=row,
        sample_id=sample_id,
        profile=dict(screening.profile),
        sex=patient.sex,
        # Only the birth year is stored: the least age the patient can have on the cut-off day.
        age=as_of.year - patient.birth_year - 1,
        icd10=patient.icd10,
        events=tuple(
            TimelineEvent(kind, (start - origin).days, (stop - origin).days if stop is not None else None, values)
            for kind, start, stop, values in events
        ),
    )


def _treatment_events(
    registry: Registry,
    session: Session,
    row: AnalysisRow,
    patient: Patient,
    *,
    as_of: date,
    recorded_by: datetime,
) -> list[_DatedEvent]:
    """Treatment (start to end, or to the cut-off while it goes on), end of treatment, death, each scan."""
    derived = patient_outcomes(registry, session, patient=patient, as_of=as_of, recorded_by=recorded_by)
    record = derived.treatment
    if record is None:
        return []
    routes = ", ".join(sorted(str(route) for route in record.routes))
    events: list[_DatedEvent] = [
        (
            TimelineKind.TREATMENT,
            record.start,
            record.end.date if record.end is not None else as_of,
            {"TREATMENT_TYPE": "Study drug", "SUBTYPE": routes, "AGENT": row.drug or ""},
        )
    ]
    if record.end is not None:
        events.append(
            (
                TimelineKind.STATUS,
                record.end.date,
                None,
                {"STATUS": "End of treatment", "REASON": str(record.end.reason)},
            )
        )
    if record.death_date is not None:
        events.append((TimelineKind.STATUS, record.death_date, None, {"STATUS": "Died"}))
    if derived.evaluation is not None:
        events.append((TimelineKind.IMAGING, derived.evaluation.baseline_date, None, {"RESPONSE": "Baseline"}))
        for point in derived.evaluation.time_points:
            values = {
                "RESPONSE": str(point.overall_response) if point.overall_response is not None else "",
                "TARGET_SUM_MM": str(point.target_sum_mm) if point.target_sum_mm is not None else "",
                "NEW_LESIONS": "Yes" if point.new_lesions else "No",
            }
            events.append((TimelineKind.IMAGING, point.date, None, values))
    return events


def export_ctml(registry: Registry, *, out: Path, force: bool = False) -> dict[str, Any]:
    """The protocol in force as a CTML trial of its cohorts not closed in the registry (docs/interop.md)."""
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        _, protocol = _stored_protocol(session)
        statuses = repository.cohort_statuses(session)
    return _write_ctml(protocol_to_ctml(protocol, _tumour_types(), cohort_statuses=statuses), out, force=force)


def export_protocol_ctml(protocol_path: Path, *, out: Path, force: bool = False) -> dict[str, Any]:
    """A protocol file (no registry: every cohort it defines, none closed) as a CTML trial."""
    tumour_types = _tumour_types()
    return _write_ctml(protocol_to_ctml(load_protocol(protocol_path, tumour_types), tumour_types), out, force=force)


def _write_ctml(export: CtmlExport, out: Path, *, force: bool) -> dict[str, Any]:
    files = write_ctml_export(export, ExportFolder(out, force=force))
    return {
        "out": str(out),
        "files": list(files),
        "arms": len(export.cohorts),
        "unexpressed": [item.as_dict() for item in export.unexpressed],
    }


def build_fhir_record(registry: Registry, study_id: str) -> FhirPatientRecord:
    """What the registry holds now about one patient, for the FHIR bundle (one read transaction)."""
    registry.database.check_schema()
    recorded_by = registry.now() + timedelta(seconds=1)
    with registry.database.transaction(write=False) as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        protocol_row, protocol = _stored_protocol(session)
        screening = repository.latest_screening(session, patient_id=patient.id)
        decision = cutoff_records.decision_in_force(session, patient_id=patient.id, recorded_by=recorded_by)
        enrolment = cutoff_records.enrolment_at(session, patient_id=patient.id, recorded_by=recorded_by)
        cohort = repository.get_cohort(session, cohort_id=enrolment.cohort_id) if enrolment is not None else None
        status = _subject_status(registry, session, patient, decision, enrolled=enrolment is not None)
        return FhirPatientRecord(
            study_id=patient.study_id,
            sex=patient.sex,
            birth_year=patient.birth_year,
            oncotree_code=patient.oncotree_code,
            oncotree_version=patient.oncotree_version,
            icd10=patient.icd10,
            ecog=patient.ecog,
            registered=patient.registered_at.date(),
            trial_id=protocol.trial_id,
            trial_name=protocol_row.name,
            protocol_version=protocol_row.version,
            sample_id=screening.sample_id if screening is not None else None,
            screened=screening.screened_at if screening is not None else None,
            profile=dict(screening.profile) if screening is not None else None,
            decision_code=decision.code if decision is not None else None,
            decision_drug=decision.drug if decision is not None else None,
            decision_biomarker=decision.biomarker if decision is not None else None,
            decision_date=decision.meeting_date if decision is not None else None,
            cohort=cohort.name if cohort is not None else None,
            subject_status=status,
        )


def export_fhir(registry: Registry, study_id: str, *, out: Path | None = None, force: bool = False) -> dict[str, Any]:
    """The patient's FHIR R4 Bundle; with ``out``, also written to that file owner-only (not over another file
    without ``force``)."""
    bundle = patient_bundle(build_fhir_record(registry, study_id))
    if out is not None:
        write_private_json(out, bundle, force=force)
    return bundle


def _subject_status(
    registry: Registry, session: Session, patient: Patient, decision: MtbDecision | None, *, enrolled: bool
) -> str:
    """FHIR R4 ResearchSubject.status from the trial flow: screening (no decision yet), candidate (offered by
    the board), not-registered (board decision C or D), on-study (enrolled), on-study-intervention (treated),
    follow-up (treatment ended), off-study (died)."""
    if not enrolled:
        if decision is None:
            return "screening"
        return "candidate" if decision.code in {"A", "B"} and decision.drug else "not-registered"
    record = patient_outcomes(registry, session, patient=patient).treatment
    if record is None:
        return "on-study"
    if record.death_date is not None:
        return "off-study"
    return "follow-up" if record.end is not None else "on-study-intervention"
