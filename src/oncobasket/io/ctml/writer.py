"""Our own cohorts as a MatchMiner CTML trial, so that other centres' matching engines find them (issue 11).

One arm per cohort the protocol defines in advance: each drug's biomarker profile in each of its tumour groups
(the protocol's groups when the profile names none). The arm's ``match`` is the ``and`` of the group's OncoTree
diagnosis, the general age criterion and the biomarker tree; the CTML structure and keys are those the reader
(:mod:`oncobasket.io.ctml.reader`) and MatchMiner read (Klein et al., npj Precis Oncol 2022;6:69;
matchengine-V2's configuration): ``treatment_list -> step -> arm`` with ``and`` / ``or`` nodes over ``clinical``
and ``genomic`` leaves, ``!`` negating a leaf. CTML has no ``not`` node, so a negated subtree is written by De
Morgan's laws down to negated leaves.

What CTML cannot say is never dropped silently: every such rule is returned as an :class:`Unexpressed` with what
was written instead (docs/interop.md lists them): laboratory and ECOG criteria, prior-therapy exclusions, ICD-10
placement, cohorts opened on demand outside the protocol's groups, fold-change and copy-number thresholds, exon
skipping, hotspots (written as codon wildcards) and bi-allelic loss (written as one hit).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from oncobasket.core.protocol import (
    AllOf,
    AmplificationRule,
    AnyOf,
    BiallelicLossRule,
    CodonRule,
    Comparison,
    CopyLossRule,
    Drug,
    DrugProfile,
    ExonEdit,
    ExonRule,
    ExonSkippingRule,
    FusionRule,
    HotspotRule,
    MsiRule,
    MutationRule,
    Not,
    ProteinChangeRule,
    Protocol,
    Rule,
    TmbRule,
    TruncatingRule,
    TumourGroup,
    VariantClassRule,
    cohort_name,
)
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.export_folder import ExportFolder

#: MAF classes of a truncating variant (nonsense, frameshift, canonical splice site, start loss), the "null
#: variants" of ACMG/AMP PVS1 (Richards et al., Genet Med 2015) as the protocol's truncating rule reads them.
TRUNCATING_CLASSES = (
    "Nonsense_Mutation",
    "Frame_Shift_Del",
    "Frame_Shift_Ins",
    "Splice_Site",
    "Translation_Start_Site",
)
_EXON_CLASS = {ExonEdit.DELETION: "In_Frame_Del", ExonEdit.INSERTION: "In_Frame_Ins"}


@dataclass(frozen=True, slots=True)
class Unexpressed:
    """A rule CTML cannot express: where (cohort or ``protocol``), the rule, and what the CTML says instead."""

    cohort: str
    rule: str
    written: str

    def as_dict(self) -> dict[str, str]:
        return {"cohort": self.cohort, "rule": self.rule, "written": self.written}


@dataclass(frozen=True, slots=True)
class CtmlExport:
    """The CTML document (one trial) and what it could not express."""

    document: Mapping[str, Any]
    unexpressed: tuple[Unexpressed, ...]
    cohorts: tuple[str, ...]


def protocol_to_ctml(
    protocol: Protocol, tumour_types: TumourTypes, *, cohort_statuses: Mapping[str, str] | None = None
) -> CtmlExport:
    """The protocol's cohorts that are not closed (registry statuses; absent = not yet opened, open to
    enrolment) as one CTML trial; suspended cohorts are written with ``arm_suspended: Y``."""
    statuses = cohort_statuses or {}
    notes: list[Unexpressed] = list(_protocol_notes(protocol))
    arms: list[dict[str, Any]] = []
    cohorts: list[str] = []
    groups = {group.name: group for group in protocol.tumour_groups}
    for drug in protocol.drugs:
        for drug_profile in drug.profiles:
            for group_name in drug_profile.tumour_groups or tuple(groups):
                name = cohort_name(drug_profile.biomarker.name, group_name, drug.display_name)
                status = statuses.get(name, "")
                if status.startswith("closed"):
                    continue
                writer = _TreeWriter(protocol, name, notes)
                arm = _arm(protocol, tumour_types, drug, drug_profile, groups[group_name], writer, len(arms) + 1)
                if arm is None:
                    continue
                if status == "suspended":
                    arm["arm_suspended"] = "Y"
                arms.append(arm)
                cohorts.append(name)
    trial_id = protocol.trial_id or protocol.name
    document: dict[str, Any] = {
        "protocol_no": trial_id,
        "long_title": protocol.name,
        "short_title": protocol.name,
        "status": "Open to Accrual",
        "treatment_list": {"step": [{"step_code": "1", "arm": arms}]},
    }
    if protocol.trial_id and protocol.trial_id.upper().startswith("NCT"):
        document["nct_id"] = protocol.trial_id
    return CtmlExport(document=document, unexpressed=tuple(dict.fromkeys(notes)), cohorts=tuple(cohorts))


def rule_to_ctml(rule: Rule, protocol: Protocol, *, cohort: str = "") -> tuple[dict[str, Any], tuple[Unexpressed, ...]]:
    """One biomarker rule as a CTML match node, and what of it CTML cannot express (``protocol`` gives the
    knowledge hotspot and class rules are expanded with)."""
    notes: list[Unexpressed] = []
    return _TreeWriter(protocol, cohort, notes).node(rule, negated=False), tuple(notes)


def _protocol_notes(protocol: Protocol) -> list[Unexpressed]:
    notes = [
        Unexpressed("protocol", criterion.describe(), "not written: CTML has no key for it")
        for criterion in protocol.eligibility.criteria
        if criterion.name != "age"
    ]
    notes.extend(
        Unexpressed("protocol", f"no prior {therapy}", "not written: CTML has no prior-therapy key")
        for therapy in protocol.eligibility.excluded_prior_therapies
    )
    if any(group.icd10 for group in protocol.tumour_groups):
        notes.append(
            Unexpressed(
                "protocol",
                "tumour groups also place patients by ICD-10 code",
                "OncoTree diagnoses only: CTML's oncotree_primary_diagnosis has no ICD-10",
            )
        )
    fallback = protocol.fallback_group or "its OncoTree main type"
    notes.append(
        Unexpressed(
            "protocol",
            f"a tumour outside the listed groups opens a cohort of {fallback} on demand",
            "not written: a CTML arm needs a fixed diagnosis; only the listed groups' cohorts are exported",
        )
    )
    return notes


def _arm(  # noqa: PLR0917 - the arm is built from these seven parts
    protocol: Protocol,
    tumour_types: TumourTypes,
    drug: Drug,
    drug_profile: DrugProfile,
    group: TumourGroup,
    writer: _TreeWriter,
    number: int,
) -> dict[str, Any] | None:
    if any(item.drug == drug.key and item.tumour_agnostic for item in _own_indications(protocol, drug, drug_profile)):
        writer.note("on-label in every tumour type", "not written: the drug is standard treatment, not a cohort")
        return None
    parts: list[dict[str, Any]] = [_diagnosis(group, protocol, tumour_types)]
    age = protocol.eligibility.overridden_by(drug.eligibility).criterion("age")
    if age is not None:
        symbol = ">=" if age.comparison is Comparison.AT_LEAST else "<="
        parts.append({"clinical": {"age_numerical": f"{symbol}{age.limit:g}"}})
    for criterion in drug.eligibility.criteria:
        if criterion.name != "age":
            writer.note(criterion.describe(), "not written: CTML has no key for it")
    for therapy in drug.eligibility.excluded_prior_therapies:
        writer.note(f"no prior {therapy}", "not written: CTML has no prior-therapy key")
    # A tumour type the profile excludes, or where the drug is approved for this biomarker (on-label: standard
    # treatment, not a trial cohort), is left out of the arm.
    excluded = list(drug_profile.excluded_tumour_types)
    for indication in _own_indications(protocol, drug, drug_profile):
        excluded.extend(indication.tumour_types)
    for code in dict.fromkeys(excluded):
        lineage = set(tumour_types.lineage(code))
        if lineage & set(group.oncotree) or any(code in tumour_types.lineage(own) for own in group.oncotree):
            parts.append({"clinical": {"oncotree_primary_diagnosis": f"!{code}"}})
    parts.append(writer.node(drug_profile.biomarker.rule, negated=False))
    return {
        "arm_code": f"C{number:03d}",
        "arm_description": writer.cohort,
        "arm_suspended": "N",
        "drugs": [[{"name": name.strip().lower()} for name in sorted(drug.generic_names)]],
        "match": [{"and": parts}],
    }


def _own_indications(protocol: Protocol, drug: Drug, drug_profile: DrugProfile) -> list[Any]:
    """The drug's approvals for this profile's biomarker (same name or same rule)."""
    biomarker = drug_profile.biomarker
    return [
        item
        for item in protocol.on_label
        if item.drug == drug.key and (item.biomarker.name == biomarker.name or item.biomarker.rule == biomarker.rule)
    ]


def _diagnosis(group: TumourGroup, protocol: Protocol, tumour_types: TumourTypes) -> dict[str, Any]:
    """The group's OncoTree codes, less the codes below them that another group lists (a patient belongs to
    the group of the nearest listed ancestor, core.matching.tumour_group)."""
    own = set(group.oncotree)
    nested = sorted(
        code
        for other in protocol.tumour_groups
        if other.name != group.name
        for code in other.oncotree
        if own & set(tumour_types.lineage(code)[1:])
    )
    listed: dict[str, Any]
    if len(group.oncotree) == 1:
        listed = {"clinical": {"oncotree_primary_diagnosis": group.oncotree[0]}}
    else:
        listed = {"or": [{"clinical": {"oncotree_primary_diagnosis": code}} for code in group.oncotree]}
    if not nested:
        return listed
    return {"and": [listed, *({"clinical": {"oncotree_primary_diagnosis": f"!{code}"}} for code in nested)]}


class _TreeWriter:
    """A biomarker rule tree as CTML nodes, negation pushed down to the leaves."""

    def __init__(self, protocol: Protocol, cohort: str, notes: list[Unexpressed]) -> None:
        self.protocol = protocol
        self.cohort = cohort
        self.notes = notes

    def note(self, rule: str, written: str) -> None:
        self.notes.append(Unexpressed(self.cohort, rule, written))

    def node(self, rule: Rule, *, negated: bool) -> dict[str, Any]:
        if isinstance(rule, Not):
            return self.node(rule.rule, negated=not negated)
        if isinstance(rule, AllOf | AnyOf):
            joiner = "and" if isinstance(rule, AllOf) != negated else "or"
            children = [self.node(child, negated=negated) for child in rule.rules]
            return children[0] if len(children) == 1 else {joiner: children}
        leaves = [self._negate(leaf) if negated else leaf for leaf in self.leaves(rule)]
        if len(leaves) == 1:
            return {"genomic": leaves[0]}
        # Several leaves express one rule as alternatives; negated, none of them may hold.
        return {"and" if negated else "or": [{"genomic": leaf} for leaf in leaves]}

    @staticmethod
    def _negate(leaf: dict[str, str]) -> dict[str, str]:
        """A ``!`` on one value negates the whole leaf (matchengine-V2); the first value carries it."""
        first = next(iter(leaf))
        return {**leaf, first: f"!{leaf[first]}"}

    def leaves(self, rule: Rule) -> list[dict[str, str]]:
        mutation = {"variant_category": "Mutation"}
        match rule:
            case ProteinChangeRule(gene=gene, changes=changes):
                return [{"hugo_symbol": gene, **mutation, "protein_change": change} for change in changes]
            case CodonRule(gene=gene, codons=codons):
                return [{"hugo_symbol": gene, **mutation, "wildcard_protein_change": _short(codon)} for codon in codons]
            case VariantClassRule(gene=gene, classes=classes):
                known = self.protocol.knowledge.variant_classes.get(gene, {})
                listed = sorted({change for name in classes for change in known.get(name, frozenset())})
                return [{"hugo_symbol": gene, **mutation, "protein_change": _short(change)} for change in listed]
            case HotspotRule(gene=gene):
                hotspots = sorted(self.protocol.knowledge.hotspots.get(gene, frozenset()))
                self.note(
                    rule.describe(),
                    "codon wildcards (wildcard_protein_change) of the hotspot codons: missense and delins changes "
                    "at a codon, not in-frame deletions or insertions starting there",
                )
                return [
                    {"hugo_symbol": gene, **mutation, "wildcard_protein_change": _short(codon)} for codon in hotspots
                ]
            case ExonRule(gene=gene, exon=exon, edit=edit):
                leaf = {"hugo_symbol": gene, **mutation, "exon": str(exon)}
                if edit in _EXON_CLASS:
                    leaf["variant_classification"] = _EXON_CLASS[edit]
                return [leaf]
            case ExonSkippingRule(gene=gene, exon=exon):
                self.note(rule.describe(), f"any {gene} variant in exon {exon}: CTML has no exon-skipping key")
                return [{"hugo_symbol": gene, **mutation, "exon": str(exon)}]
            case TruncatingRule(gene=gene):
                return [
                    {"hugo_symbol": gene, **mutation, "variant_classification": name} for name in TRUNCATING_CLASSES
                ]
            case MutationRule(gene=gene):
                return [{"hugo_symbol": gene, **mutation}]
            case AmplificationRule(gene=gene):
                if rule.min_fold_change is not None or rule.min_copy_number is not None:
                    self.note(rule.describe(), "the laboratory's amplification call: CTML has no copy-number threshold")
                return [
                    {"hugo_symbol": gene, "variant_category": "Copy Number Variation", "cnv_call": "High Amplification"}
                ]
            case CopyLossRule(gene=gene):
                return [
                    {
                        "hugo_symbol": gene,
                        "variant_category": "Copy Number Variation",
                        "cnv_call": "Homozygous Deletion",
                    }
                ]
            case FusionRule(gene=gene, partners=partners):
                structural = {"hugo_symbol": gene, "variant_category": "Structural Variation"}
                if not partners:
                    return [structural]
                return [{**structural, "fusion_partner_hugo_symbol": partner} for partner in partners]
            case TmbRule(at_least=limit):
                return [{"tmb_numerical": f">={limit:g}"}]
            case MsiRule():
                return [{"ms_status": "MSI-H"}]
            case BiallelicLossRule(gene=gene):
                self.note(
                    rule.describe(), "one hit (a truncating variant or a homozygous deletion): CTML has no zygosity"
                )
                return [
                    *({"hugo_symbol": gene, **mutation, "variant_classification": name} for name in TRUNCATING_CLASSES),
                    {
                        "hugo_symbol": gene,
                        "variant_category": "Copy Number Variation",
                        "cnv_call": "Homozygous Deletion",
                    },
                ]
        raise TypeError(f"no CTML form for {type(rule).__name__}")


def _short(change: str) -> str:
    """A protein change or codon in CTML's written form, ``p.`` first (the protocol's knowledge may omit it)."""
    return change if change.startswith("p.") else f"p.{change}"


def write_ctml_export(export: CtmlExport, folder: ExportFolder) -> tuple[str, ...]:
    """``<trial>.yaml`` (the CTML trial, YAML as MatchMiner's loader reads it) and ``unexpressed.tsv`` (cohort,
    rule, what the CTML says instead: what a receiving centre must check by hand)."""
    trial = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(export.document["protocol_no"])).strip("_") or "trial"
    name = f"{trial}.yaml"
    folder.write_text(name, yaml.safe_dump(dict(export.document), sort_keys=False, allow_unicode=True))
    rows = ["cohort\trule\twritten"]
    rows.extend(f"{item.cohort}\t{item.rule}\t{item.written}" for item in export.unexpressed)
    folder.write_text("unexpressed.tsv", "\n".join(rows) + "\n")
    return (name, "unexpressed.tsv")
