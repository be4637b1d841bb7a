"""cBioPortal study folder: the registry's patients, samples, alterations and timelines as cBioPortal imports them.

The files and their fields follow cBioPortal's "File Formats" documentation (docs.cbioportal.org/file-formats):
``meta_study.txt``; clinical data with four ``#`` header rows (display name, description, datatype, priority)
above the upper-case attribute names, survival as ``OS_STATUS``/``OS_MONTHS`` and ``PFS_STATUS``/``PFS_MONTHS``
with ``0:``/``1:`` prefixed statuses; mutations as a MAF with ``HGVSp_Short``; discrete copy number (-2..2 per
gene and sample); structural variants (``data_sv.txt``, ``SV_Status`` and the two sites); timelines (one file per
event type, days relative to a reference day); each data file with its ``meta_*.txt``; ``case_lists/``.

What goes where (docs/interop.md): small variants are the MAF's rows; amplifications are 2 (high-level
amplification) and copy losses -2 (deep deletion) or -1 (shallow, when the copy number is known and above 0.5) in
the CNA matrix, 0 for every other profiled gene; fusions and splice variants (EGFRvIII, MET exon 14 skipping) are
structural variants. Calls the sample's QC made unusable and non-PASS calls are left out (they are not results).
The writer is a pure formatter of :class:`CbioportalStudy` over an :class:`ExportFolder`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oncobasket.core.analysis import AnalysisRow
from oncobasket.io.export_folder import ExportFolder

#: cBioPortal's convention for months from days (365.25 / 12 days a month).
DAYS_PER_MONTH = 30.4375
MISSING = "NA"


class TimelineKind(StrEnum):
    """cBioPortal's timeline event types this export writes (one ``data_timeline_<kind>.txt`` each)."""

    TREATMENT = "TREATMENT"
    IMAGING = "IMAGING"
    STATUS = "STATUS"
    SPECIMEN = "SPECIMEN"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One timeline row: days from the patient's reference day (registration), and the event's own columns."""

    kind: TimelineKind
    start_day: int
    stop_day: int | None = None
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StudyCase:
    """One screened patient and their sample: the analysis row, the stored profile and the timeline."""

    row: AnalysisRow
    sample_id: str
    profile: Mapping[str, Any]
    sex: str | None = None
    age: int | None = None
    icd10: str | None = None
    events: tuple[TimelineEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class CbioportalStudy:
    """The study as cBioPortal sees it: identifier (lower-case, digits, underscores), names, genome, cases."""

    identifier: str
    name: str
    description: str
    reference_genome: str
    cases: tuple[StudyCase, ...]


@dataclass(frozen=True, slots=True)
class Attribute:
    """A clinical attribute: its column, display name, description, datatype (STRING/NUMBER/BOOLEAN), priority."""

    column: str
    display_name: str
    description: str
    datatype: str
    priority: int = 1


PATIENT_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("PATIENT_ID", "Patient Identifier", "Pseudonymous study ID", "STRING"),
    Attribute("SEX", "Sex", "Sex as registered", "STRING"),
    Attribute("AGE", "Age", "Age in years at the data cut-off, from the birth year", "NUMBER"),
    Attribute("SITE", "Site", "Enrolling or referring site", "STRING"),
    Attribute("TUMOUR_GROUP", "Tumour Group", "The protocol's tumour group", "STRING"),
    Attribute("COHORT", "Cohort", "Trial cohort (biomarker / tumour group / drug)", "STRING", 10),
    Attribute("DRUG", "Drug", "Matched trial drug", "STRING"),
    Attribute("BIOMARKER", "Biomarker", "Matched biomarker", "STRING"),
    Attribute("TREATED", "Treated", "Started trial treatment by the cut-off", "BOOLEAN"),
    Attribute("EVALUABLE", "Evaluable", "Evaluable for efficacy at week 16", "BOOLEAN"),
    Attribute("BENEFIT_W16", "Benefit at Week 16", "CR, PR or SD at week 16 (RECIST 1.1)", "BOOLEAN"),
    Attribute("BEST_OVERALL_RESPONSE", "Best Overall Response", "Confirmed best overall response", "STRING", 5),
    Attribute("OS_STATUS", "Overall Survival Status", "Overall survival status from treatment start", "STRING"),
    Attribute("OS_MONTHS", "Overall Survival (Months)", "Overall survival from treatment start", "NUMBER"),
    Attribute("PFS_STATUS", "Progression Free Status", "Progression or death (1) or censored (0)", "STRING"),
    Attribute("PFS_MONTHS", "Progress Free Survival (Months)", "PFS from treatment start", "NUMBER"),
    Attribute("NOT_TREATED_REASON", "Not Treated Reason", "Why a matched patient was not treated", "STRING"),
)

SAMPLE_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("PATIENT_ID", "Patient Identifier", "Pseudonymous study ID", "STRING"),
    Attribute("SAMPLE_ID", "Sample Identifier", "Study ID and the laboratory's sample ID", "STRING"),
    Attribute("ONCOTREE_CODE", "Oncotree Code", "OncoTree code of the tumour", "STRING"),
    Attribute("ICD_10", "ICD-10", "ICD-10 code of the tumour", "STRING"),
    Attribute("QC_PASSED", "QC Passed", "The sequencing result passed quality control", "BOOLEAN"),
    Attribute("TMB", "TMB (mut/Mb)", "Tumour mutational burden, mutations per megabase", "NUMBER", 5),
    Attribute("TMB_CLASS", "TMB Class", "TMB class by the protocol's thresholds", "STRING"),
    Attribute("MSI_SCORE", "MSI Score", "Percent of usable microsatellite sites unstable", "NUMBER"),
    Attribute("MSI_TYPE", "MSI Type", "Stable, Instable or Indeterminate", "STRING"),
)

MUTATION_COLUMNS: tuple[str, ...] = (
    "Hugo_Symbol",
    "NCBI_Build",
    "Chromosome",
    "Start_Position",
    "End_Position",
    "Strand",
    "Variant_Classification",
    "Variant_Type",
    "Reference_Allele",
    "Tumor_Seq_Allele1",
    "Tumor_Seq_Allele2",
    "Tumor_Sample_Barcode",
    "Mutation_Status",
    "HGVSc",
    "HGVSp",
    "HGVSp_Short",
    "Transcript_ID",
    "Exon_Number",
    "t_ref_count",
    "t_alt_count",
)

SV_COLUMNS: tuple[str, ...] = (
    "Sample_Id",
    "SV_Status",
    "Site1_Hugo_Symbol",
    "Site1_Exon",
    "Site2_Hugo_Symbol",
    "Site2_Exon",
    "Class",
    "Event_Info",
    "Tumor_Split_Read_Count",
)

TIMELINE_COLUMNS: Mapping[TimelineKind, tuple[str, ...]] = {
    TimelineKind.TREATMENT: ("TREATMENT_TYPE", "SUBTYPE", "AGENT"),
    TimelineKind.IMAGING: ("RESPONSE", "TARGET_SUM_MM", "NEW_LESIONS"),
    TimelineKind.STATUS: ("STATUS", "REASON"),
    TimelineKind.SPECIMEN: ("SAMPLE_ID", "SPECIMEN_TYPE"),
}

_MSI_TYPE = {"MSI-H": "Instable", "MSS": "Stable", "not_evaluable": "Indeterminate"}
_BUILD = {"hg19": "GRCh37", "hg38": "GRCh38"}


def write_cbioportal_study(study: CbioportalStudy, folder: ExportFolder) -> tuple[str, ...]:
    """Write the study folder; returns the files written, relative to the folder, in writing order."""
    names: list[str] = []

    def put(name: str, text: str) -> None:
        folder.write_text(name, text)
        names.append(name)

    sample_ids = [case.sample_id for case in study.cases]
    put("meta_study.txt", _meta(_study_meta(study)))
    for level, attributes, rows in (
        ("patient", PATIENT_ATTRIBUTES, [_patient_values(case) for case in study.cases]),
        ("sample", SAMPLE_ATTRIBUTES, [_sample_values(case) for case in study.cases]),
    ):
        put(f"data_clinical_{level}.txt", _clinical(attributes, rows))
        put(
            f"meta_clinical_{level}.txt",
            _meta(
                {
                    "cancer_study_identifier": study.identifier,
                    "genetic_alteration_type": "CLINICAL",
                    "datatype": f"{level.upper()}_ATTRIBUTES",
                    "data_filename": f"data_clinical_{level}.txt",
                }
            ),
        )
    put("data_mutations.txt", _table(MUTATION_COLUMNS, _mutation_rows(study)))
    put("meta_mutations.txt", _meta(_profile_meta(study, "MUTATION_EXTENDED", "MAF", "mutations", "Mutations")))
    cna_genes = sorted({gene for case in study.cases for gene in _copy_number_calls(case)})
    if cna_genes:
        put("data_cna.txt", _cna_matrix(study, cna_genes))
        put(
            "meta_cna.txt",
            _meta(_profile_meta(study, "COPY_NUMBER_ALTERATION", "DISCRETE", "cna", "Copy-number alterations")),
        )
    sv_rows = [row for case in study.cases for row in _sv_rows(case)]
    if sv_rows:
        put("data_sv.txt", _table(SV_COLUMNS, sv_rows))
        put(
            "meta_sv.txt",
            _meta(_profile_meta(study, "STRUCTURAL_VARIANT", "SV", "structural_variants", "Structural variants")),
        )
    for kind in TimelineKind:
        events = [(case.row.study_id, event) for case in study.cases for event in case.events if event.kind is kind]
        if not events:
            continue
        slug = kind.lower()
        put(f"data_timeline_{slug}.txt", _timeline(kind, events))
        put(
            f"meta_timeline_{slug}.txt",
            _meta(
                {
                    "cancer_study_identifier": study.identifier,
                    "genetic_alteration_type": "CLINICAL",
                    "datatype": "TIMELINE",
                    "data_filename": f"data_timeline_{slug}.txt",
                }
            ),
        )
    lists = [("all", "All samples", "all_cases_in_study")]
    lists.append(("sequenced", "Samples with mutation data", "all_cases_with_mutation_data"))
    if cna_genes:
        lists.append(("cna", "Samples with copy-number data", "all_cases_with_cna_data"))
    if sv_rows:
        lists.append(("sv", "Samples with structural variant data", "all_cases_with_sv_data"))
    for suffix, title, category in lists:
        put(
            f"case_lists/cases_{suffix}.txt",
            _meta(
                {
                    "cancer_study_identifier": study.identifier,
                    "stable_id": f"{study.identifier}_{suffix}",
                    "case_list_name": title,
                    "case_list_description": f"{title} ({len(sample_ids)} samples)",
                    "case_list_category": category,
                    "case_list_ids": "\t".join(sample_ids),
                }
            ),
        )
    return tuple(names)


def _meta(values: Mapping[str, str]) -> str:
    """A multiline-record meta file: ``key: value`` lines."""
    return "".join(f"{key}: {value}\n" for key, value in values.items())


def _study_meta(study: CbioportalStudy) -> dict[str, str]:
    return {
        "type_of_cancer": "mixed",
        "cancer_study_identifier": study.identifier,
        "name": study.name,
        "description": study.description,
        "reference_genome": study.reference_genome,
        "add_global_case_list": "false",
    }


def _profile_meta(study: CbioportalStudy, alteration: str, datatype: str, stable_id: str, name: str) -> dict[str, str]:
    filename = {"MAF": "data_mutations.txt", "DISCRETE": "data_cna.txt", "SV": "data_sv.txt"}[datatype]
    return {
        "cancer_study_identifier": study.identifier,
        "genetic_alteration_type": alteration,
        "datatype": datatype,
        "stable_id": stable_id,
        "show_profile_in_analysis_tab": "true",
        "profile_name": name,
        "profile_description": f"{name} from the trial's screening (TSO500, VCF or MAF), usable PASS calls only",
        "data_filename": filename,
    }


def _cell(value: object) -> str:
    """A TSV cell: missing as NA, flags as TRUE/FALSE, tabs and line breaks (never in our values) refused."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    text = str(value)
    if any(character in text for character in "\t\r\n"):
        raise ValueError(f"a cBioPortal cell cannot hold a tab or a line break: {text!r}")
    return text


def _table(columns: Sequence[str], rows: Sequence[Mapping[str, object]]) -> str:
    lines = ["\t".join(columns)]
    lines.extend("\t".join(_cell(row.get(column)) for column in columns) for row in rows)
    return "\n".join(lines) + "\n"


def _clinical(attributes: Sequence[Attribute], rows: Sequence[Mapping[str, object]]) -> str:
    header = [
        "#" + "\t".join(attribute.display_name for attribute in attributes),
        "#" + "\t".join(attribute.description for attribute in attributes),
        "#" + "\t".join(attribute.datatype for attribute in attributes),
        "#" + "\t".join(str(attribute.priority) for attribute in attributes),
    ]
    return "\n".join(header) + "\n" + _table([attribute.column for attribute in attributes], rows)


def _months(days: int | None) -> str | None:
    return f"{days / DAYS_PER_MONTH:.2f}" if days is not None else None


def _patient_values(case: StudyCase) -> dict[str, object]:
    """The patient row; survival as cBioPortal reads it (``1:DECEASED``/``0:LIVING``, months from days)."""
    row = case.row
    return {
        "PATIENT_ID": row.study_id,
        "SEX": {"M": "Male", "F": "Female"}.get(case.sex or "", case.sex),
        "AGE": case.age,
        "SITE": row.site,
        "TUMOUR_GROUP": row.tumour_group,
        "COHORT": row.cohort,
        "DRUG": row.drug,
        "BIOMARKER": row.biomarker,
        "TREATED": row.treated,
        "EVALUABLE": row.evaluable,
        "BENEFIT_W16": row.benefit_w16,
        "BEST_OVERALL_RESPONSE": str(row.best_overall_response) if row.best_overall_response else None,
        "OS_STATUS": None if row.os_event is None else ("1:DECEASED" if row.os_event else "0:LIVING"),
        "OS_MONTHS": _months(row.os_days),
        "PFS_STATUS": None if row.pfs_event is None else ("1:PROGRESSION" if row.pfs_event else "0:CENSORED"),
        "PFS_MONTHS": _months(row.pfs_days),
        "NOT_TREATED_REASON": row.not_treated_reason,
    }


def _sample_values(case: StudyCase) -> dict[str, object]:
    tmb = case.profile.get("tmb") or {}
    msi = case.profile.get("msi") or {}
    tmb_usable = bool(tmb) and tmb.get("usable", True)
    msi_usable = bool(msi) and msi.get("usable", True)
    return {
        "PATIENT_ID": case.row.study_id,
        "SAMPLE_ID": case.sample_id,
        "ONCOTREE_CODE": case.row.tumour_type,
        "ICD_10": case.icd10,
        "QC_PASSED": case.row.qc_passed,
        "TMB": tmb.get("per_mb") if tmb_usable else None,
        "TMB_CLASS": tmb.get("class") if tmb_usable else None,
        "MSI_SCORE": msi.get("percent_unstable") if msi_usable else None,
        "MSI_TYPE": _MSI_TYPE.get(str(msi.get("status"))) if msi_usable else ("Indeterminate" if msi else None),
    }


def reported_alterations(profile: Mapping[str, Any], kinds: set[str]) -> list[Mapping[str, Any]]:
    """The profile's usable PASS calls of the given kinds (what the study folder reports)."""
    return [
        alteration
        for alteration in profile.get("alterations", [])
        if alteration.get("kind") in kinds
        and alteration.get("usable", True)
        and alteration.get("filter", "PASS") == "PASS"
    ]


def _maf_alleles(pos: int, ref: str, alt: str) -> tuple[int, int, str, str, str]:
    """VCF position and alleles as MAF's (start, end, reference, tumour allele, variant type).

    MAF has no VCF anchor base: a shared leading base is dropped, a deletion spans the deleted bases and an
    insertion the two bases around it (GDC MAF specification; vcf2maf does the same).
    """
    if len(ref) != len(alt) and ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    if not ref:
        return pos - 1, pos, "-", alt, "INS"
    if not alt:
        return pos, pos + len(ref) - 1, ref, "-", "DEL"
    kind = {1: "SNP", 2: "DNP", 3: "TNP"}.get(len(ref), "ONP") if len(ref) == len(alt) else "ONP"
    return pos, pos + len(ref) - 1, ref, alt, kind


def _mutation_rows(study: CbioportalStudy) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    build = _BUILD.get(study.reference_genome, study.reference_genome)
    for case in study.cases:
        for alteration in reported_alterations(case.profile, {"mutation"}):
            row: dict[str, object] = {
                "Hugo_Symbol": alteration["gene"],
                "NCBI_Build": build,
                "Strand": "+",
                # MAF's vocabulary: what the reader classified; a call without one is a targeted-region call.
                "Variant_Classification": alteration.get("variant_classification") or "Targeted_Region",
                "Tumor_Sample_Barcode": case.sample_id,
                "Mutation_Status": "Somatic",
                "HGVSc": alteration.get("coding_change"),
                "HGVSp": alteration.get("protein_change_hgvs"),
                "HGVSp_Short": alteration.get("protein_change"),
                "Transcript_ID": alteration.get("transcript"),
                "Exon_Number": alteration.get("exon"),
            }
            chrom, pos, ref, alt = (alteration.get(key) for key in ("chrom", "pos", "ref", "alt"))
            if chrom and isinstance(pos, int) and ref and alt:
                start, end, reference, tumour, variant_type = _maf_alleles(pos, str(ref), str(alt))
                row |= {
                    "Chromosome": str(chrom).removeprefix("chr"),
                    "Start_Position": start,
                    "End_Position": end,
                    "Reference_Allele": reference,
                    "Tumor_Seq_Allele1": reference,
                    "Tumor_Seq_Allele2": tumour,
                    "Variant_Type": variant_type,
                }
            depth, vaf = alteration.get("depth"), alteration.get("vaf")
            if isinstance(depth, int) and isinstance(vaf, int | float):
                alt_count = round(depth * vaf)
                row |= {"t_alt_count": alt_count, "t_ref_count": depth - alt_count}
            rows.append(row)
    return rows


def _copy_number_calls(case: StudyCase) -> dict[str, int]:
    """GISTIC-style discrete values of the sample's copy-number calls by gene."""
    calls: dict[str, int] = {}
    for alteration in reported_alterations(case.profile, {"amplification", "copy_loss"}):
        if alteration["kind"] == "amplification":
            value = 2
        else:
            copies = alteration.get("copy_number")
            value = -1 if isinstance(copies, int | float) and copies > 0.5 else -2
        calls[str(alteration["gene"])] = value
    return calls


def _cna_matrix(study: CbioportalStudy, genes: Sequence[str]) -> str:
    calls = [_copy_number_calls(case) for case in study.cases]
    lines = ["\t".join(["Hugo_Symbol", *(case.sample_id for case in study.cases)])]
    lines.extend("\t".join([gene, *(str(call.get(gene, 0)) for call in calls)]) for gene in genes)
    return "\n".join(lines) + "\n"


def _sv_rows(case: StudyCase) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for alteration in reported_alterations(case.profile, {"fusion", "splice_variant"}):
        genes = [str(gene) for gene in alteration.get("genes") or [alteration["gene"]]]
        if alteration["kind"] == "fusion":
            row: dict[str, object] = {
                "Site1_Hugo_Symbol": genes[0],
                "Site2_Hugo_Symbol": genes[1] if len(genes) > 1 else None,
                "Class": "TRANSLOCATION" if len(genes) > 1 else "UNKNOWN",
                "Event_Info": f"{'-'.join(genes)} fusion",
            }
        else:
            # An exon-skipping or intragenic deletion transcript: both sites in the same gene.
            row = {
                "Site1_Hugo_Symbol": alteration["gene"],
                "Site2_Hugo_Symbol": alteration["gene"],
                "Site1_Exon": alteration.get("exon"),
                "Class": "DELETION",
                "Event_Info": f"{alteration['gene']} exon {alteration.get('exon') or '?'} splice variant",
            }
        row |= {
            "Sample_Id": case.sample_id,
            "SV_Status": "SOMATIC",
            "Tumor_Split_Read_Count": alteration.get("supporting_reads"),
        }
        rows.append(row)
    return rows


def _timeline(kind: TimelineKind, events: Sequence[tuple[str, TimelineEvent]]) -> str:
    """One timeline file; a point event's STOP_DATE and any unknown value are empty cells (cBioPortal's form)."""
    columns = ("PATIENT_ID", "START_DATE", "STOP_DATE", "EVENT_TYPE", *TIMELINE_COLUMNS[kind])
    lines = ["\t".join(columns)]
    for study_id, event in sorted(events, key=lambda item: (item[0], item[1].start_day)):
        values: dict[str, object] = {
            "PATIENT_ID": study_id,
            "START_DATE": event.start_day,
            "STOP_DATE": event.stop_day,
            "EVENT_TYPE": str(kind),
            **event.values,
        }
        lines.append(
            "\t".join(_cell(values[column]) if values.get(column) not in (None, "") else "" for column in columns)
        )
    return "\n".join(lines) + "\n"
