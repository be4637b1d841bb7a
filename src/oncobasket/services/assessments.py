"""Use case: record a patient's tumour assessments from an assessment file (``oncobasket assess``).

The file has the shape of ``oncobasket recist evaluate``'s (docs/recist.md); its ``treatment_start`` may be
left out, the registry's is used (a different one is refused). The file may hold every assessment so far or
only the new ones beside the baseline: an assessment already recorded for the same date with the same
content is left as it is; one that differs is refused unless the command corrects it (``--correct --reason``,
e.g. a central radiology re-read), which records a new row superseding the old. Nothing is ever deleted.

The responses are then recomputed from everything recorded (``services.patient_outcomes``), and when the
week-16 benefit becomes known the enrolment's outcome is set and the cohort's rule runs, all in the same
transaction (``services.week16``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy.orm import Session

from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.recist import Assessment, AssessmentRecord, Baseline
from oncobasket.core.registry import check_study_id
from oncobasket.core.treatment_entries import check_correction_reason
from oncobasket.db import repository, treatment_records
from oncobasket.db.models import LesionMeasurement, TumourAssessment
from oncobasket.io.assessment_file import load_assessment_document, parse_assessment_mapping
from oncobasket.services.patient_outcomes import assessment_record, patient_outcomes
from oncobasket.services.registry import Registry
from oncobasket.services.treatment import treatment_start_date
from oncobasket.services.week16 import settle_week16


def record_assessments(
    registry: Registry, study_id: str, file: Path, *, correction_reason: str | None = None
) -> dict[str, Any]:
    """Record the file's baseline and follow-up assessments for a treated patient; see the module docstring."""
    document = load_assessment_document(file)
    return record_assessment_document(
        registry, study_id, document, source=str(file), file_name=file.name, correction_reason=correction_reason
    )


def record_assessment_document(
    registry: Registry,
    study_id: str,
    document: object,
    *,
    source: str,
    file_name: str,
    correction_reason: str | None = None,
) -> dict[str, Any]:
    """Record an assessment document already read (the JSON of the assessment file, e.g. one that
    ``oncobasket simulate trial`` built): the same checks, storage, audit and week-16 rule as
    :func:`record_assessments`, which reads the file first. ``source`` names it in errors, ``file_name`` in
    the audit trail."""
    check_study_id(study_id)
    registry.database.check_schema()
    reason = check_correction_reason(correction_reason)
    now = registry.now()
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        treatment = treatment_records.treatment_of(session, patient_id=patient.id)
        if treatment is None:
            raise ConflictError(
                f"patient '{study_id}' was never treated in the trial, so there is no response to assess; "
                f"record cycle 1 day 1 first (`oncobasket treatment start {study_id} --date DATE`)"
            )
        start = treatment_start_date(session, treatment)
        given = parse_assessment_mapping(document, source=source, treatment_start=start)
        for item in given.assessments:
            if item.date > now.date():
                raise InputError(
                    f"assessment date {item.date.isoformat()} is in the future",
                    source=source,
                    field="assessments",
                    fix="record assessments that took place",
                )
        stored = assessment_record(session, patient_id=patient.id, study_id=study_id, start=start)
        rows = {
            row.assessment_date: row for row in treatment_records.assessments_in_force(session, patient_id=patient.id)
        }
        # parse_assessment_mapping has checked the document's shape: a JSON object with a baseline.
        plan = _plan(given, stored, rows, cast(dict[str, Any], document))
        changes = [entry for entry in plan if entry[0] != "unchanged"]
        corrections = [entry for entry in changes if entry[0] == "correct"]
        if corrections and reason is None:
            dates = ", ".join(entry[2].assessment_date.isoformat() for entry in corrections if entry[2] is not None)
            raise ConflictError(
                f"the file differs from the assessments of patient '{study_id}' already recorded for {dates}; "
                "recorded assessments are not replaced silently: to correct them, run "
                f"`oncobasket assess {study_id} --file FILE --correct --reason TEXT`"
            )
        if reason is not None and not corrections:
            raise InputError(
                "--correct was given but no recorded assessment differs from the file",
                source=source,
                fix="leave out --correct to add new assessments",
            )
        stored_rows = [
            _store(session, patient_id=patient.id, entry=entry, corrects=old, reason=reason, at=now)
            for _, entry, old in changes
        ]
        # Checked once more on everything recorded (new lesion ids, dates), before the transaction commits.
        assessment_record(session, patient_id=patient.id, study_id=study_id, start=start)
        for (action, entry, old), row in zip(changes, stored_rows, strict=True):
            registry.audit(
                session,
                at=now,
                action="assessment.correct" if action == "correct" else "assessment.record",
                entity="tumour_assessment",
                entity_id=row.id,
                study_id=study_id,
                before=dict(old.document) if old is not None else None,
                after={"kind": entry["kind"], "date": entry["date"], "entry": entry["document"], "file": file_name},
            )
        derived = patient_outcomes(registry, session, patient=patient)
        settled = settle_week16(registry, session, patient=patient, study_id=study_id, at=now, derived=derived)
        return {
            "study_id": study_id,
            "recorded": len(changes),
            "corrected": len(corrections),
            "unchanged": len(plan) - len(changes),
            "evaluation": derived.evaluation.to_json() if derived.evaluation is not None else None,
            **settled,
        }


PlanEntry = tuple[str, dict[str, Any], TumourAssessment | None]


def _plan(
    given: AssessmentRecord,
    stored: AssessmentRecord | None,
    rows: dict[Any, TumourAssessment],
    document: dict[str, Any],
) -> list[PlanEntry]:
    """What to do with each entry of the file: ``new``, ``unchanged`` or ``correct`` (with the row it replaces).

    Entries are compared as the core reads them (so ``30`` and ``30.0`` mm are the same measurement).
    """
    plan: list[PlanEntry] = []
    baseline_entry = {"kind": "baseline", "date": given.baseline.date.isoformat(), "document": document["baseline"]}
    old_baseline = next((row for row in rows.values() if row.kind == "baseline"), None)
    plan.append(_compare(baseline_entry, given.baseline, stored.baseline if stored else None, old_baseline))
    recorded = {item.date: item for item in stored.assessments} if stored is not None else {}
    for raw, item in zip(document.get("assessments", []), given.assessments, strict=True):
        entry = {"kind": "follow_up", "date": item.date.isoformat(), "document": raw}
        old_row = rows.get(item.date)
        if old_row is not None and old_row.kind != "follow_up":
            raise InputError(
                f"assessment {item.date.isoformat()} falls on the recorded baseline's date",
                field="assessments",
                fix="a follow-up assessment comes after the baseline",
            )
        plan.append(_compare(entry, item, recorded.get(item.date), old_row))
    return plan


def _compare(
    entry: dict[str, Any],
    given: Baseline | Assessment,
    stored: Baseline | Assessment | None,
    row: TumourAssessment | None,
) -> PlanEntry:
    if row is None:
        return ("new", entry, None)
    if stored == given:
        return ("unchanged", entry, row)
    return ("correct", entry, row)


def _store(
    session: Session,
    *,
    patient_id: int,
    entry: dict[str, Any],
    corrects: TumourAssessment | None,
    reason: str | None,
    at: datetime,
) -> TumourAssessment:
    """One assessment row with its lesion rows (baseline: sites and diameters; follow-up: measurements)."""
    raw = entry["document"]
    row = TumourAssessment(
        patient_id=patient_id,
        assessment_date=date.fromisoformat(entry["date"]),
        kind=entry["kind"],
        method=raw.get("method"),
        new_lesions=raw.get("new_lesions") if entry["kind"] == "follow_up" else None,
        document=raw,
        recorded_at=at,
        corrects_id=corrects.id if corrects is not None else None,
        correction_reason=reason if corrects is not None else None,
    )
    treatment_records.add(session, row)
    if entry["kind"] == "baseline":
        for lesion in raw.get("target_lesions", []):
            session.add(
                LesionMeasurement(
                    assessment_id=row.id,
                    lesion=lesion["id"],
                    site=lesion["site"],
                    target=True,
                    diameter_mm=float(lesion["diameter_mm"]),
                )
            )
        for lesion in raw.get("non_target_lesions", []):
            session.add(LesionMeasurement(assessment_id=row.id, lesion=lesion["id"], site=lesion["site"], target=False))
    else:
        for lesion_id, size in raw.get("target_lesions", {}).items():
            session.add(
                LesionMeasurement(
                    assessment_id=row.id,
                    lesion=lesion_id,
                    target=True,
                    diameter_mm=float(size) if size is not None else None,
                )
            )
        for lesion_id, status in raw.get("non_target_lesions", {}).items():
            session.add(LesionMeasurement(assessment_id=row.id, lesion=lesion_id, target=False, status=status))
    session.flush()
    return row
