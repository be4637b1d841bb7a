"""Use case: the registry at a data cut-off as OMOP CDM v5.4 tables (issue 11; docs/interop.md, "OMOP CDM").

One read transaction: the analysis dataset's rows (``services.analysis``: nothing recorded after the cut-off
counts) give the cohort, best response and week-16 benefit; the stored screening the sample and its calls; the
treatment record as it stood at the cut-off (``patient_outcomes``) the cycles, end, progression and death.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from oncobasket.core.errors import InputError
from oncobasket.db import cutoff_records
from oncobasket.io.export_folder import ExportFolder
from oncobasket.io.omop import OmopDose, OmopPatient, OmopScan, omop_tables, write_omop_tables
from oncobasket.services.analysis import analysis_dataset_in, recorded_by_of
from oncobasket.services.patient_outcomes import patient_outcomes
from oncobasket.services.registry import Registry


def build_omop_patients(registry: Registry, *, as_of: date) -> tuple[OmopPatient, ...]:
    """Every patient screened by the cut-off, as the OMOP mapping needs them."""
    registry.database.check_schema()
    if as_of > registry.now().date():
        raise InputError(
            f"the cut-off {as_of.isoformat()} is in the future", field="--as-of", fix="give today or an earlier day"
        )
    recorded_by = recorded_by_of(as_of)
    patients: list[OmopPatient] = []
    with registry.database.transaction(write=False) as session:
        rows = {row.study_id: row for row in analysis_dataset_in(registry, session, as_of=as_of).rows}
        for patient, screening in cutoff_records.screened_patients(session, recorded_by=recorded_by):
            row = rows[patient.study_id]
            decision = cutoff_records.decision_in_force(session, patient_id=patient.id, recorded_by=recorded_by)
            values: dict[str, Any] = {}
            if row.treated:
                derived = patient_outcomes(registry, session, patient=patient, as_of=as_of, recorded_by=recorded_by)
                record = derived.treatment
                if record is not None:
                    last = record.end.date if record.end is not None else (record.death_date or as_of)
                    doses: list[OmopDose] = []
                    for index, cycle in enumerate(record.cycles):
                        following = record.cycles[index + 1].start if index + 1 < len(record.cycles) else None
                        end = max(cycle.start, following - timedelta(days=1)) if following is not None else last
                        doses.extend(
                            OmopDose(
                                cycle.number,
                                cycle.start,
                                max(cycle.start, end),
                                drug.drug,
                                drug.dose,
                                drug.unit,
                                str(drug.route),
                            )
                            for drug in cycle.drugs
                        )
                    progressed = derived.pfs is not None and derived.pfs.event and derived.pfs.end != record.death_date
                    values = {
                        "doses": tuple(doses),
                        "treatment_start": record.start,
                        "treatment_end": record.end.date if record.end is not None else None,
                        "end_reason": str(record.end.reason) if record.end is not None else None,
                        "progression": derived.pfs.end if progressed and derived.pfs is not None else None,
                        "death": record.death_date,
                        "scans": tuple(
                            OmopScan(
                                point.date,
                                float(point.target_sum_mm) if point.target_sum_mm is not None else None,
                                str(point.overall_response) if point.overall_response is not None else None,
                            )
                            for point in (derived.evaluation.time_points if derived.evaluation is not None else ())
                        ),
                    }
            patients.append(
                OmopPatient(
                    study_id=patient.study_id,
                    sex=patient.sex,
                    birth_year=patient.birth_year,
                    oncotree_code=patient.oncotree_code,
                    icd10=patient.icd10,
                    ecog=patient.ecog,
                    registered=patient.registered_at.date(),
                    sample_id=screening.sample_id,
                    screened=screening.screened_at.date(),
                    profile=dict(screening.profile),
                    decision=(
                        f"{decision.code}: {decision.drug}"
                        if decision is not None and decision.drug
                        else (decision.code if decision is not None else None)
                    ),
                    decision_date=decision.meeting_date if decision is not None else None,
                    cohort=row.cohort,
                    best_response=str(row.best_overall_response) if row.best_overall_response is not None else None,
                    benefit_w16=row.benefit_w16,
                    **values,
                )
            )
    return tuple(patients)


def export_omop(registry: Registry, *, as_of: date, out: Path, force: bool = False) -> dict[str, Any]:
    """Write one CSV per OMOP table into ``out`` (owner-only; a non-empty folder only with ``force``)."""
    tables = omop_tables(build_omop_patients(registry, as_of=as_of), as_of=as_of)
    files = write_omop_tables(tables, ExportFolder(out, force=force))
    return {
        "out": str(out),
        "cut_off": as_of.isoformat(),
        "files": list(files),
        "rows": {table: len(rows) for table, rows in tables.items()},
    }
