"""The registry as OMOP CDM v5.4 tables (CSV, one file per table) for pooled analyses across the sister trials
(PRIME-ROSE; DOMAIN.md section 5: "Pooled analyses use the OMOP Common Data Model v5.4").

Columns are the official v5.4 DDL's, in its order (OHDSI CommonDataModel, ``inst/ddl/5.4``): :data:`TABLES`.
Standard concept IDs are written only where they are fixed and known (docs/interop.md, "OMOP mapping"): gender
8507 male / 8532 female, type concept 32809 "Case Report Form" (every row comes from the trial's eCRF-like
registry), routes 4132161 oral / 4171047 intravenous, units 8554 percent / 8588 millimeter, episodes 32531
"Treatment Regimen". Everything else is concept 0 ("No matching concept", the CDM's rule for unmapped source
codes) with the source value always kept (``*_source_value``), so that a site with the OHDSI vocabularies can
map it later (e.g. ICD-10 to SNOMED, LOINC to concept IDs). The module is a pure mapping from
:class:`OmopPatient` values to rows, plus the CSV writer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from oncobasket.io.export_folder import ExportFolder

CASE_REPORT_FORM = 32809
NO_MATCHING_CONCEPT = 0
GENDER = {"M": 8507, "F": 8532}
ROUTE = {"oral": 4132161, "intravenous": 4171047}
PERCENT = 8554
MILLIMETER = 8588
TREATMENT_REGIMEN = 32531

#: Each exported table's columns in the order of the OMOP CDM v5.4 DDL, with whether the DDL says NOT NULL
#: and the SQL type (integer, date, real, text) the test loads them with.
TABLES: Mapping[str, tuple[tuple[str, str, bool], ...]] = {
    "person": (
        ("person_id", "integer", True),
        ("gender_concept_id", "integer", True),
        ("year_of_birth", "integer", True),
        ("month_of_birth", "integer", False),
        ("day_of_birth", "integer", False),
        ("birth_datetime", "text", False),
        ("race_concept_id", "integer", True),
        ("ethnicity_concept_id", "integer", True),
        ("location_id", "integer", False),
        ("provider_id", "integer", False),
        ("care_site_id", "integer", False),
        ("person_source_value", "text", False),
        ("gender_source_value", "text", False),
        ("gender_source_concept_id", "integer", False),
        ("race_source_value", "text", False),
        ("race_source_concept_id", "integer", False),
        ("ethnicity_source_value", "text", False),
        ("ethnicity_source_concept_id", "integer", False),
    ),
    "observation_period": (
        ("observation_period_id", "integer", True),
        ("person_id", "integer", True),
        ("observation_period_start_date", "date", True),
        ("observation_period_end_date", "date", True),
        ("period_type_concept_id", "integer", True),
    ),
    "condition_occurrence": (
        ("condition_occurrence_id", "integer", True),
        ("person_id", "integer", True),
        ("condition_concept_id", "integer", True),
        ("condition_start_date", "date", True),
        ("condition_start_datetime", "text", False),
        ("condition_end_date", "date", False),
        ("condition_end_datetime", "text", False),
        ("condition_type_concept_id", "integer", True),
        ("condition_status_concept_id", "integer", False),
        ("stop_reason", "text", False),
        ("provider_id", "integer", False),
        ("visit_occurrence_id", "integer", False),
        ("visit_detail_id", "integer", False),
        ("condition_source_value", "text", False),
        ("condition_source_concept_id", "integer", False),
        ("condition_status_source_value", "text", False),
    ),
    "drug_exposure": (
        ("drug_exposure_id", "integer", True),
        ("person_id", "integer", True),
        ("drug_concept_id", "integer", True),
        ("drug_exposure_start_date", "date", True),
        ("drug_exposure_start_datetime", "text", False),
        ("drug_exposure_end_date", "date", True),
        ("drug_exposure_end_datetime", "text", False),
        ("verbatim_end_date", "date", False),
        ("drug_type_concept_id", "integer", True),
        ("stop_reason", "text", False),
        ("refills", "integer", False),
        ("quantity", "real", False),
        ("days_supply", "integer", False),
        ("sig", "text", False),
        ("route_concept_id", "integer", False),
        ("lot_number", "text", False),
        ("provider_id", "integer", False),
        ("visit_occurrence_id", "integer", False),
        ("visit_detail_id", "integer", False),
        ("drug_source_value", "text", False),
        ("drug_source_concept_id", "integer", False),
        ("route_source_value", "text", False),
        ("dose_unit_source_value", "text", False),
    ),
    "measurement": (
        ("measurement_id", "integer", True),
        ("person_id", "integer", True),
        ("measurement_concept_id", "integer", True),
        ("measurement_date", "date", True),
        ("measurement_datetime", "text", False),
        ("measurement_time", "text", False),
        ("measurement_type_concept_id", "integer", True),
        ("operator_concept_id", "integer", False),
        ("value_as_number", "real", False),
        ("value_as_concept_id", "integer", False),
        ("unit_concept_id", "integer", False),
        ("range_low", "real", False),
        ("range_high", "real", False),
        ("provider_id", "integer", False),
        ("visit_occurrence_id", "integer", False),
        ("visit_detail_id", "integer", False),
        ("measurement_source_value", "text", False),
        ("measurement_source_concept_id", "integer", False),
        ("unit_source_value", "text", False),
        ("unit_source_concept_id", "integer", False),
        ("value_source_value", "text", False),
        ("measurement_event_id", "integer", False),
        ("meas_event_field_concept_id", "integer", False),
    ),
    "observation": (
        ("observation_id", "integer", True),
        ("person_id", "integer", True),
        ("observation_concept_id", "integer", True),
        ("observation_date", "date", True),
        ("observation_datetime", "text", False),
        ("observation_type_concept_id", "integer", True),
        ("value_as_number", "real", False),
        ("value_as_string", "text", False),
        ("value_as_concept_id", "integer", False),
        ("qualifier_concept_id", "integer", False),
        ("unit_concept_id", "integer", False),
        ("provider_id", "integer", False),
        ("visit_occurrence_id", "integer", False),
        ("visit_detail_id", "integer", False),
        ("observation_source_value", "text", False),
        ("observation_source_concept_id", "integer", False),
        ("unit_source_value", "text", False),
        ("qualifier_source_value", "text", False),
        ("value_source_value", "text", False),
        ("observation_event_id", "integer", False),
        ("obs_event_field_concept_id", "integer", False),
    ),
    "death": (
        ("person_id", "integer", True),
        ("death_date", "date", True),
        ("death_datetime", "text", False),
        ("death_type_concept_id", "integer", False),
        ("cause_concept_id", "integer", False),
        ("cause_source_value", "text", False),
        ("cause_source_concept_id", "integer", False),
    ),
    "specimen": (
        ("specimen_id", "integer", True),
        ("person_id", "integer", True),
        ("specimen_concept_id", "integer", True),
        ("specimen_type_concept_id", "integer", True),
        ("specimen_date", "date", True),
        ("specimen_datetime", "text", False),
        ("quantity", "real", False),
        ("unit_concept_id", "integer", False),
        ("anatomic_site_concept_id", "integer", False),
        ("disease_status_concept_id", "integer", False),
        ("specimen_source_id", "text", False),
        ("specimen_source_value", "text", False),
        ("unit_source_value", "text", False),
        ("anatomic_site_source_value", "text", False),
        ("disease_status_source_value", "text", False),
    ),
    "episode": (
        ("episode_id", "integer", True),
        ("person_id", "integer", True),
        ("episode_concept_id", "integer", True),
        ("episode_start_date", "date", True),
        ("episode_start_datetime", "text", False),
        ("episode_end_date", "date", False),
        ("episode_end_datetime", "text", False),
        ("episode_parent_id", "integer", False),
        ("episode_number", "integer", False),
        ("episode_object_concept_id", "integer", True),
        ("episode_type_concept_id", "integer", True),
        ("episode_source_value", "text", False),
        ("episode_source_concept_id", "integer", False),
    ),
    "episode_event": (
        ("episode_id", "integer", True),
        ("event_id", "integer", True),
        ("episode_event_field_concept_id", "integer", True),
    ),
}


@dataclass(frozen=True, slots=True)
class OmopDose:
    """One study drug given in one cycle."""

    cycle: int
    start: date
    end: date
    drug: str
    dose: float
    unit: str
    route: str


@dataclass(frozen=True, slots=True)
class OmopScan:
    """One tumour assessment time point: its date, the target-lesion sum and the overall response."""

    day: date
    target_sum_mm: float | None
    response: str | None


@dataclass(frozen=True, slots=True)
class OmopPatient:
    """One screened patient as the registry held them at the cut-off (plain values; None where unknown)."""

    study_id: str
    sex: str
    birth_year: int
    oncotree_code: str
    icd10: str | None
    ecog: int | None
    registered: date
    sample_id: str
    screened: date
    profile: Mapping[str, Any]
    decision: str | None = None
    decision_date: date | None = None
    cohort: str | None = None
    doses: tuple[OmopDose, ...] = ()
    treatment_start: date | None = None
    treatment_end: date | None = None
    end_reason: str | None = None
    progression: date | None = None
    death: date | None = None
    scans: tuple[OmopScan, ...] = field(default_factory=tuple)
    best_response: str | None = None
    benefit_w16: bool | None = None


class _Rows:
    """The tables being filled, each row keyed by column; IDs count from 1 per table."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, object]]] = {name: [] for name in TABLES}

    def add(self, table: str, **values: object) -> int:
        rows = self.tables[table]
        key = f"{table}_id"
        if key in dict.fromkeys(column for column, _, _ in TABLES[table]):
            values[key] = len(rows) + 1
        rows.append(values)
        return len(rows)


def omop_tables(patients: Sequence[OmopPatient], *, as_of: date) -> dict[str, list[dict[str, object]]]:
    """Every table's rows; ``person_id`` is the patient's place in ``patients`` (1-based), the study ID its
    ``person_source_value``."""
    rows = _Rows()
    for person_id, patient in enumerate(patients, start=1):
        _person(rows, person_id, patient, as_of=as_of)
    return rows.tables


def _person(rows: _Rows, person_id: int, patient: OmopPatient, *, as_of: date) -> None:
    rows.add(
        "person",
        person_id=person_id,
        gender_concept_id=GENDER.get(patient.sex, NO_MATCHING_CONCEPT),
        year_of_birth=patient.birth_year,
        race_concept_id=NO_MATCHING_CONCEPT,
        ethnicity_concept_id=NO_MATCHING_CONCEPT,
        person_source_value=patient.study_id,
        gender_source_value=patient.sex,
    )
    dated = [patient.registered, patient.screened, *(dose.start for dose in patient.doses)]
    if patient.decision_date is not None:
        dated.append(patient.decision_date)
    rows.add(
        "observation_period",
        person_id=person_id,
        observation_period_start_date=min(dated),
        observation_period_end_date=min(as_of, patient.death) if patient.death is not None else as_of,
        period_type_concept_id=CASE_REPORT_FORM,
    )
    source = f"{patient.icd10 or ''} / ONCOTREE:{patient.oncotree_code}".lstrip(" /")
    rows.add(
        "condition_occurrence",
        person_id=person_id,
        condition_concept_id=NO_MATCHING_CONCEPT,
        condition_start_date=patient.registered,
        condition_type_concept_id=CASE_REPORT_FORM,
        condition_source_value=source,
    )
    rows.add(
        "specimen",
        person_id=person_id,
        specimen_concept_id=NO_MATCHING_CONCEPT,
        specimen_type_concept_id=CASE_REPORT_FORM,
        specimen_date=patient.screened,
        specimen_source_id=patient.sample_id,
        specimen_source_value="tumour sample sequenced for screening",
    )
    _molecular(rows, person_id, patient)
    _observations(rows, person_id, patient)
    _treatment(rows, person_id, patient)
    if patient.death is not None:
        rows.add("death", person_id=person_id, death_date=patient.death, death_type_concept_id=CASE_REPORT_FORM)


def _measure(rows: _Rows, person_id: int, day: date, source: str, **values: object) -> None:
    rows.add(
        "measurement",
        person_id=person_id,
        measurement_concept_id=NO_MATCHING_CONCEPT,
        measurement_date=day,
        measurement_type_concept_id=CASE_REPORT_FORM,
        measurement_source_value=source,
        **values,
    )


def _molecular(rows: _Rows, person_id: int, patient: OmopPatient) -> None:
    """A measurement per usable PASS call (the variant as its source value), TMB and MSI."""
    for alteration in patient.profile.get("alterations", []):
        if not alteration.get("usable", True) or alteration.get("filter", "PASS") != "PASS":
            continue
        genes = "-".join(str(gene) for gene in alteration.get("genes") or [alteration["gene"]])
        change = alteration.get("protein_change") or alteration.get("coding_change") or ""
        _measure(
            rows,
            person_id,
            patient.screened,
            f"{genes} {alteration['kind']}"[:50],
            value_as_number=alteration.get("vaf")
            if alteration["kind"] == "mutation"
            else alteration.get("fold_change"),
            value_source_value=str(change)[:50] or None,
        )
    tmb = patient.profile.get("tmb")
    if tmb and tmb.get("usable", True):
        _measure(
            rows,
            person_id,
            patient.screened,
            "LOINC:94076-7 TMB",
            value_as_number=tmb["per_mb"],
            unit_source_value="mutations/Mb",
        )
    msi = patient.profile.get("msi")
    if msi and msi.get("usable", True):
        _measure(
            rows,
            person_id,
            patient.screened,
            "LOINC:81695-9 MSI",
            value_as_number=msi.get("percent_unstable"),
            unit_concept_id=PERCENT,
            unit_source_value="%",
            value_source_value=str(msi.get("status")),
        )
    for scan in patient.scans:
        _measure(
            rows,
            person_id,
            scan.day,
            "RECIST 1.1 sum of target lesion diameters",
            value_as_number=scan.target_sum_mm,
            unit_concept_id=MILLIMETER,
            unit_source_value="mm",
            value_source_value=scan.response,
        )


def _observe(rows: _Rows, person_id: int, day: date, source: str, **values: object) -> None:
    rows.add(
        "observation",
        person_id=person_id,
        observation_concept_id=NO_MATCHING_CONCEPT,
        observation_date=day,
        observation_type_concept_id=CASE_REPORT_FORM,
        observation_source_value=source,
        **values,
    )


def _observations(rows: _Rows, person_id: int, patient: OmopPatient) -> None:
    if patient.ecog is not None:
        _observe(rows, person_id, patient.registered, "LOINC:89247-1 ECOG", value_as_number=patient.ecog)
    if patient.decision is not None and patient.decision_date is not None:
        _observe(rows, person_id, patient.decision_date, "MTB decision", value_as_string=patient.decision[:60])
    start = patient.treatment_start
    if start is not None and patient.best_response is not None:
        _observe(rows, person_id, start, "best overall response", value_as_string=patient.best_response)
    if start is not None and patient.benefit_w16 is not None:
        _observe(
            rows,
            person_id,
            start + timedelta(weeks=16),
            "clinical benefit at week 16",
            value_as_string="yes" if patient.benefit_w16 else "no",
        )


def _treatment(rows: _Rows, person_id: int, patient: OmopPatient) -> None:
    """A drug exposure per drug and cycle, under one Treatment Regimen episode (OMOP oncology extension);
    a progression is an episode of its own, its source value naming it."""
    if patient.treatment_start is None:
        return
    exposures = [
        rows.add(
            "drug_exposure",
            person_id=person_id,
            drug_concept_id=NO_MATCHING_CONCEPT,
            drug_exposure_start_date=dose.start,
            drug_exposure_end_date=dose.end,
            drug_type_concept_id=CASE_REPORT_FORM,
            stop_reason=patient.end_reason[:20] if patient.end_reason and dose.end == patient.treatment_end else None,
            quantity=dose.dose,
            route_concept_id=ROUTE.get(dose.route, NO_MATCHING_CONCEPT),
            drug_source_value=dose.drug,
            route_source_value=dose.route,
            dose_unit_source_value=dose.unit,
        )
        for dose in patient.doses
    ]
    regimen = rows.add(
        "episode",
        person_id=person_id,
        episode_concept_id=TREATMENT_REGIMEN,
        episode_start_date=patient.treatment_start,
        episode_end_date=patient.treatment_end,
        episode_number=1,
        episode_object_concept_id=NO_MATCHING_CONCEPT,
        episode_type_concept_id=CASE_REPORT_FORM,
        episode_source_value=(patient.cohort or "study treatment")[:50],
    )
    for exposure in exposures:
        rows.add(
            "episode_event", episode_id=regimen, event_id=exposure, episode_event_field_concept_id=NO_MATCHING_CONCEPT
        )
    if patient.progression is not None:
        rows.add(
            "episode",
            person_id=person_id,
            episode_concept_id=NO_MATCHING_CONCEPT,
            episode_start_date=patient.progression,
            episode_object_concept_id=NO_MATCHING_CONCEPT,
            episode_type_concept_id=CASE_REPORT_FORM,
            episode_source_value="Disease Progression",
        )


def write_omop_tables(tables: Mapping[str, Sequence[Mapping[str, object]]], folder: ExportFolder) -> tuple[str, ...]:
    """One ``<table>.csv`` per table (header of the DDL's columns; empty cell for NULL; ISO dates)."""
    names: list[str] = []
    for table, columns in TABLES.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([column for column, _, _ in columns])
        for row in tables.get(table, ()):
            writer.writerow([_cell(row.get(column)) for column, _, _ in columns])
        name = f"{table}.csv"
        folder.write_text(name, buffer.getvalue())
        names.append(name)
    return tuple(names)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
