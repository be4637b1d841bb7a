"""One patient as an HL7 FHIR R4 Bundle: the pseudonymous Patient, the tumour, ECOG, the genomic report with its
variant, TMB and MSI observations, the tumour board's recommendation, the trial and the patient's place in it.

Profiles and codes: HL7 Genomics Reporting IG (STU2, hl7.org/fhir/uv/genomics-reporting): a ``genomics-report``
DiagnosticReport (LOINC 51969-4) whose results are ``variant`` Observations (LOINC 69548-6 "Genetic variant
assessment", value LA9633-4 "Present"; components 48018-6 gene studied, 48004-6 DNA change c.HGVS, 48005-3 amino
acid change p.HGVS, 81258-6 sample variant allele frequency, 48002-0 genomic source class LA6684-0 somatic,
62374-4 reference assembly, 62378-5 copy number change with LA14033-7 gain / LA14034-5 loss, 48019-4 DNA change
type with Sequence Ontology SO:0001565 gene_fusion), a ``tmb`` Observation (LOINC 94076-7) and an ``msi``
Observation (LOINC 81695-9), and a ``therapeutic-implication`` Observation for the tumour board's
recommendation (medication assessed, LOINC 51963-7). mCODE STU3 (hl7.org/fhir/us/mcode): ``cancer-patient``,
``primary-cancer-condition`` (ICD-10 and OncoTree codings) and ``ecog-performance-status`` (LOINC 89247-1). The
trial is a ResearchStudy (the NCT number as identifier, the cohort as arm) and the patient a ResearchSubject
(``assignedArm`` the cohort, ``status`` from enrolment and treatment).

Personal data: the Patient carries the pseudonymous study ID and the birth year only (the registry stores no
more), no name, no national ID, no free text from the tumour board. Resource IDs are UUIDs derived from the
study ID and the resource's role (UUID 5), so a rerun gives the same bundle.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

LOINC = "http://loinc.org"
HGVS = "http://varnomen.hgvs.org"
SEQUENCE_ONTOLOGY = "http://www.sequenceontology.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ONCOTREE = "http://oncotree.mskcc.org"
GENOMICS = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition"
GENOMICS_CODES = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
STUDY_ID_SYSTEM = "urn:oncobasket:study-id"
_NAMESPACE = uuid.UUID("6f1c2a7e-4d35-5b8a-9c0e-0b5a5e7d1f11")
_ASSEMBLY = {"GRCh37": ("LA14029-5", "GRCh37"), "GRCh38": ("LA26806-2", "GRCh38")}
_GENDER = {"M": "male", "F": "female", "O": "other", "U": "unknown"}


@dataclass(frozen=True, slots=True)
class FhirPatientRecord:
    """What the registry holds about one patient, as the bundle needs it (plain values; None where unknown)."""

    study_id: str
    sex: str
    birth_year: int
    oncotree_code: str
    oncotree_version: str
    icd10: str | None
    ecog: int | None
    registered: date
    trial_id: str | None
    trial_name: str
    protocol_version: str
    sample_id: str | None = None
    screened: datetime | None = None
    profile: Mapping[str, Any] | None = None
    decision_code: str | None = None
    decision_drug: str | None = None
    decision_biomarker: str | None = None
    decision_date: date | None = None
    cohort: str | None = None
    subject_status: str = "candidate"


def patient_bundle(record: FhirPatientRecord) -> dict[str, Any]:
    """The patient's Bundle (type ``collection``), JSON-ready; entries reference each other by ``urn:uuid``."""
    ids = _Ids(record.study_id)
    entries: list[dict[str, Any]] = [_patient(record, ids), _condition(record, ids)]
    if record.ecog is not None:
        entries.append(_ecog(record, ids))
    observations: list[dict[str, Any]] = []
    if record.profile is not None:
        observations = _genomic_observations(record, ids)
        entries.append(_report(record, ids, observations))
        entries.extend(observations)
    if record.decision_code is not None:
        entries.append(_recommendation(record, ids, observations))
    entries.append(_study(record, ids))
    entries.append(_subject(record, ids))
    return {
        "resourceType": "Bundle",
        "id": ids.of("bundle"),
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{entry['id']}", "resource": entry} for entry in entries],
    }


class _Ids:
    """Stable UUIDs per resource role of one patient (UUID 5 of the study ID and the role)."""

    def __init__(self, study_id: str) -> None:
        self.study_id = study_id

    def of(self, role: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"{self.study_id}/{role}"))

    def reference(self, role: str) -> dict[str, str]:
        return {"reference": f"urn:uuid:{self.of(role)}"}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display is not None:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _laboratory() -> list[dict[str, Any]]:
    return [_concept(OBSERVATION_CATEGORY, "laboratory")]


def _patient(record: FhirPatientRecord, ids: _Ids) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": ids.of("patient"),
        "meta": {"profile": [f"{MCODE}/mcode-cancer-patient"]},
        "identifier": [{"system": STUDY_ID_SYSTEM, "value": record.study_id}],
        "gender": _GENDER.get(record.sex, "unknown"),
        "birthDate": f"{record.birth_year:04d}",
    }


def _condition(record: FhirPatientRecord, ids: _Ids) -> dict[str, Any]:
    codings = [{"system": ONCOTREE, "version": record.oncotree_version, "code": record.oncotree_code}]
    if record.icd10:
        codings.insert(0, _coding(ICD10, record.icd10))
    return {
        "resourceType": "Condition",
        "id": ids.of("condition"),
        "meta": {"profile": [f"{MCODE}/mcode-primary-cancer-condition"]},
        "category": [_concept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")],
        "code": {"coding": codings},
        "subject": ids.reference("patient"),
        "recordedDate": record.registered.isoformat(),
    }


def _ecog(record: FhirPatientRecord, ids: _Ids) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": ids.of("ecog"),
        "meta": {"profile": [f"{MCODE}/mcode-ecog-performance-status"]},
        "status": "final",
        "category": [_concept(OBSERVATION_CATEGORY, "survey")],
        "code": _concept(LOINC, "89247-1", "ECOG Performance Status score"),
        "subject": ids.reference("patient"),
        "effectiveDateTime": record.registered.isoformat(),
        "valueInteger": record.ecog,
    }


def _component(code: str, display: str, value: Mapping[str, Any]) -> dict[str, Any]:
    return {"code": _concept(LOINC, code, display), **value}


def _text(value: str) -> dict[str, Any]:
    return {"valueCodeableConcept": {"text": value}}


def _variant_components(alteration: Mapping[str, Any], build: str | None) -> list[dict[str, Any]]:
    genes = [str(gene) for gene in alteration.get("genes") or [alteration["gene"]]]
    components = [_component("48018-6", "Gene studied [ID]", _text(gene)) for gene in genes]
    components.append(
        _component(
            "48002-0", "Genomic source class [Type]", {"valueCodeableConcept": _concept(LOINC, "LA6684-0", "Somatic")}
        )
    )
    if build in _ASSEMBLY:
        code, display = _ASSEMBLY[build]
        components.append(
            _component(
                "62374-4",
                "Human reference sequence assembly version",
                {"valueCodeableConcept": _concept(LOINC, code, display)},
            )
        )
    coding, protein, transcript = (
        alteration.get(key) for key in ("coding_change", "protein_change_hgvs", "transcript")
    )
    if coding:
        text = str(coding) if ":" in str(coding) or not transcript else f"{transcript}:{coding}"
        components.append(_component("48004-6", "DNA change (c.HGVS)", {"valueCodeableConcept": _concept(HGVS, text)}))
    if protein or alteration.get("protein_change"):
        components.append(
            _component(
                "48005-3",
                "Amino acid change (pHGVS)",
                {"valueCodeableConcept": _concept(HGVS, str(protein or alteration["protein_change"]))},
            )
        )
    if alteration.get("vaf") is not None:
        components.append(
            _component(
                "81258-6",
                "Sample variant allelic frequency [NFr]",
                {"valueQuantity": {"value": alteration["vaf"], "system": "http://unitsofmeasure.org", "code": "1"}},
            )
        )
    kind = alteration.get("kind")
    if kind in {"amplification", "copy_loss"}:
        code, display = (
            ("LA14033-7", "Copy number gain") if kind == "amplification" else ("LA14034-5", "Copy number loss")
        )
        components.append(
            _component(
                "62378-5",
                "Chromosome copy number change [Type]",
                {"valueCodeableConcept": _concept(LOINC, code, display)},
            )
        )
    if kind == "fusion":
        components.append(
            _component(
                "48019-4",
                "DNA change [Type]",
                {"valueCodeableConcept": _concept(SEQUENCE_ONTOLOGY, "SO:0001565", "gene_fusion")},
            )
        )
    return components


def _genomic_observations(record: FhirPatientRecord, ids: _Ids) -> list[dict[str, Any]]:
    profile = record.profile or {}
    build = profile.get("build") or "GRCh37"
    observations: list[dict[str, Any]] = []
    for index, alteration in enumerate(profile.get("alterations", [])):
        if not alteration.get("usable", True) or alteration.get("filter", "PASS") != "PASS":
            continue
        observations.append(
            {
                "resourceType": "Observation",
                "id": ids.of(f"variant/{index}"),
                "meta": {"profile": [f"{GENOMICS}/variant"]},
                "status": "final",
                "category": _laboratory(),
                "code": _concept(LOINC, "69548-6", "Genetic variant assessment"),
                "subject": ids.reference("patient"),
                "valueCodeableConcept": _concept(LOINC, "LA9633-4", "Present"),
                "component": _variant_components(alteration, str(build)),
                "note": [{"text": _label(alteration)}],
            }
        )
    tmb = profile.get("tmb")
    if tmb and tmb.get("usable", True):
        observations.append(
            {
                "resourceType": "Observation",
                "id": ids.of("tmb"),
                "meta": {"profile": [f"{GENOMICS}/tmb"]},
                "status": "final",
                "category": _laboratory(),
                "code": _concept(LOINC, "94076-7", "Mutations/Megabase [# Ratio] in Tumor"),
                "subject": ids.reference("patient"),
                "valueQuantity": {"value": tmb["per_mb"], "unit": "mutations/Mb"},
            }
        )
    msi = profile.get("msi")
    if msi and msi.get("usable", True) and msi.get("status") != "not_evaluable":
        observations.append(
            {
                "resourceType": "Observation",
                "id": ids.of("msi"),
                "meta": {"profile": [f"{GENOMICS}/msi"]},
                "status": "final",
                "category": _laboratory(),
                "code": _concept(LOINC, "81695-9", "Microsatellite instability [Interpretation] in Cancer specimen"),
                "subject": ids.reference("patient"),
                "valueCodeableConcept": {"text": str(msi["status"])},
            }
        )
    for observation in observations:
        if record.screened is not None:
            observation["effectiveDateTime"] = record.screened.isoformat()
    return observations


def _label(alteration: Mapping[str, Any]) -> str:
    genes = "-".join(str(gene) for gene in alteration.get("genes") or [alteration["gene"]])
    change = alteration.get("protein_change") or alteration.get("coding_change") or ""
    return f"{genes} {alteration.get('kind')} {change}".strip()


def _report(record: FhirPatientRecord, ids: _Ids, observations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": ids.of("genomic-report"),
        "meta": {"profile": [f"{GENOMICS}/genomics-report"]},
        "identifier": [{"system": "urn:oncobasket:sample-id", "value": record.sample_id or ""}],
        "status": "final",
        "category": [_concept("http://terminology.hl7.org/CodeSystem/v2-0074", "GE", "Genetics")],
        "code": _concept(LOINC, "51969-4", "Genetic analysis report"),
        "subject": ids.reference("patient"),
        "result": [{"reference": f"urn:uuid:{item['id']}"} for item in observations],
    }
    if record.screened is not None:
        report["effectiveDateTime"] = record.screened.isoformat()
        report["issued"] = record.screened.isoformat()
    return report


def _recommendation(record: FhirPatientRecord, ids: _Ids, observations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The tumour board's decision as a therapeutic implication: the drug assessed, the decision code (A trial
    match, B other alteration for a trial drug, C non-trial option, D no proposal) and the biomarker it rests on."""
    text = f"Tumour board decision {record.decision_code}"
    if record.decision_drug:
        text += f": {record.decision_drug}"
    if record.decision_biomarker:
        text += f" for {record.decision_biomarker}"
    if record.cohort:
        text += f" (cohort {record.cohort})"
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ids.of("recommendation"),
        "meta": {"profile": [f"{GENOMICS}/therapeutic-implication"]},
        "status": "final",
        "category": _laboratory(),
        "code": _concept(GENOMICS_CODES, "therapeutic-implication", "Therapeutic Implication"),
        "subject": ids.reference("patient"),
        "derivedFrom": [{"reference": f"urn:uuid:{item['id']}"} for item in observations],
        "note": [{"text": text}],
    }
    if record.decision_date is not None:
        resource["effectiveDateTime"] = record.decision_date.isoformat()
    if record.decision_drug:
        resource["component"] = [_component("51963-7", "Medication assessed [ID]", _text(record.decision_drug))]
    return resource


def _study(record: FhirPatientRecord, ids: _Ids) -> dict[str, Any]:
    study: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": str(uuid.uuid5(_NAMESPACE, f"study/{record.trial_id or record.trial_name}")),
        "title": record.trial_name,
        "status": "active",
        "description": f"Protocol version {record.protocol_version}",
    }
    if record.trial_id:
        study["identifier"] = [{"system": "https://clinicaltrials.gov", "value": record.trial_id}]
    if record.cohort:
        study["arm"] = [{"name": record.cohort}]
    return study


def _subject(record: FhirPatientRecord, ids: _Ids) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "resourceType": "ResearchSubject",
        "id": ids.of("research-subject"),
        "identifier": [{"system": STUDY_ID_SYSTEM, "value": record.study_id}],
        "status": record.subject_status,
        "study": {"reference": f"urn:uuid:{_study(record, ids)['id']}"},
        "individual": ids.reference("patient"),
    }
    if record.cohort:
        subject["assignedArm"] = record.cohort
    return subject
