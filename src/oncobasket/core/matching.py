"""The matching engine: profile + patient facts + protocol -> candidate matches that explain themselves.

Pure: no files, no clock. A protocol is compiled once into predicate closures
(:func:`compile_protocol`); each profile is then indexed once and every drug profile's rule tree is
evaluated against the index. Semantics are documented in docs/matching.md; in short:

- Rules are three-valued: true, false or unknown. A result that is not usable (an alteration, TMB or
  MSI marked ``usable=False`` by QC, an MSI status ``not_evaluable``, a QC-failed result area) is never
  matched on: the leaf is *unknown* and the reason is said. A rule that is unknown although some
  alteration satisfied part of it becomes a match "to be confirmed"; one with nothing positive is a
  sample-level note ("not evaluated: ...").
- Eligibility is three-valued per criterion (eligible / ineligible / to be confirmed). Missing data
  are "to be confirmed", never silently passed or failed (DOMAIN.md section 6). A drug's own criteria
  take precedence over the general ones. ``eligible`` is True only when every criterion passes.
- A match whose drug, tumour type and biomarker form an approved indication of the protocol's
  authority is "on-label: standard treatment", not a trial cohort (``cohort`` is None).
- Order is deterministic: evidence level, then cohort status (open, new, on hold, closed, on-label),
  then cohort name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any

from oncobasket.core.errors import InputError
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile, MsiStatus, ResultArea
from oncobasket.core.protein import ProteinChange, ProteinEdit
from oncobasket.core.protocol import (
    CRITERION_LABELS,
    AllOf,
    AmplificationRule,
    AnyOf,
    BiallelicLossRule,
    CodonRule,
    CopyLossRule,
    Criterion,
    Drug,
    DrugProfile,
    Eligibility,
    EvidenceLevel,
    ExonEdit,
    ExonRule,
    ExonSkippingRule,
    FusionRule,
    HotspotRule,
    Indication,
    Knowledge,
    MsiRule,
    MutationRule,
    Not,
    ProteinChangeRule,
    Protocol,
    Rule,
    TmbRule,
    TruncatingRule,
    VariantClassRule,
    cohort_name,
    rule_genes,
)
from oncobasket.core.tumour_types import ResolvedTumourType, TumourTypes
from oncobasket.core.variant_effects import (
    CODON_EDITS,
    EXON_CLASSES,
    IN_FRAME_EDITS,
    cds_anchor,
    exon_number,
    is_coding,
    is_splice,
    is_truncating,
    protein_of,
)

# ---------------------------------------------------------------------------------------------
# Patient facts and results
# ---------------------------------------------------------------------------------------------

#: canonical laboratory names of PatientFacts.labs (units in core.protocol.CRITERION_UNITS).
LAB_NAMES = ("anc", "platelets", "haemoglobin", "bilirubin_uln", "alt_uln", "ast_uln", "creatinine_clearance")


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What the engine knows about the patient besides the tumour profile.

    ``tumour_type`` is an OncoTree code; ``labs`` uses the canonical names of :data:`LAB_NAMES`
    (ANC and platelets in 10^9/L, haemoglobin in g/dL, bilirubin/ALT/AST as multiples of the upper
    limit of normal, creatinine clearance in mL/min). ``prior_therapies`` are lower-case generic drug
    names (or class names the protocol uses); None means unknown, () means none.
    Anything None or absent is "to be confirmed" wherever a criterion needs it.
    """

    tumour_type: str
    icd10: str | None = None
    age: float | None = None
    ecog: int | None = None
    labs: Mapping[str, float] = field(default_factory=dict)
    prior_therapies: tuple[str, ...] | None = None
    sex: str | None = None

    def value(self, criterion: str) -> float | None:
        if criterion == "age":
            return self.age
        if criterion == "ecog":
            return None if self.ecog is None else float(self.ecog)
        return self.labs.get(criterion)


class EligibilityStatus(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    TO_BE_CONFIRMED = "to_be_confirmed"


_STATUS_ORDER = {EligibilityStatus.ELIGIBLE: 0, EligibilityStatus.TO_BE_CONFIRMED: 1, EligibilityStatus.INELIGIBLE: 2}


def combine(statuses: list[EligibilityStatus]) -> EligibilityStatus:
    """Ineligible if any is; else to be confirmed if any is; else eligible."""
    return max(statuses, key=_STATUS_ORDER.__getitem__, default=EligibilityStatus.ELIGIBLE)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """The verdict on one criterion, with the reason in words."""

    name: str
    status: EligibilityStatus
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": str(self.status), "reason": self.reason}


#: registry cohort statuses that can take a patient now (core.cohorts.CohortStatus values included).
OPEN_STATUSES = frozenset({"open", "recruiting", "stage1_open", "stage2_open", "expansion"})
NEW = "new"
ON_LABEL = "on_label"


def status_rank(status: str) -> int:
    """Sort rank of a cohort status: open 0, new 1, on hold (full, suspended, awaiting evaluation) 2,
    closed 3, on-label 4."""
    if status in OPEN_STATUSES:
        return 0
    if status == NEW:
        return 1
    if status == ON_LABEL:
        return 4
    if status.startswith("closed"):
        return 3
    return 2


@dataclass(frozen=True, slots=True)
class Match:
    """One candidate: a drug for a biomarker in a cohort, with eligibility and every reason.

    ``cohort`` is None for an on-label match (standard treatment, not a trial cohort);
    ``cohort_name`` is always the name the cohort would have. ``alterations`` are the labels of the
    alterations (or TMB/MSI results) that satisfied the rule. ``eligibility`` combines
    ``eligibility_without_criteria`` (the verdict on the match itself: biomarker to be confirmed,
    excluded tumour type, on-label, closed cohort) with the patient's clinical ``criteria``; the registry
    keeps the first so that it can judge the criteria again on a patient's updated values.
    """

    drug: str
    drug_display: str
    biomarker: str
    cohort: str | None
    cohort_name: str
    tumour_group: str
    evidence: EvidenceLevel
    evidence_source: str
    eligibility: EligibilityStatus
    on_label: bool
    cohort_status: str
    reasons: tuple[str, ...]
    alterations: tuple[str, ...] = ()
    criteria: tuple[CriterionResult, ...] = ()
    on_label_source: str | None = None
    supplier: str | None = None
    route: str | None = None
    eligibility_without_criteria: EligibilityStatus = EligibilityStatus.ELIGIBLE

    @property
    def eligible(self) -> bool:
        return self.eligibility is EligibilityStatus.ELIGIBLE

    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.evidence.rank, status_rank(self.cohort_status), self.cohort_name, self.drug)

    def as_dict(self) -> dict[str, Any]:
        """The contract keys (drug, biomarker, cohort, evidence, eligible, reasons) first, then extras."""
        return {
            "drug": self.drug,
            "biomarker": self.biomarker,
            "cohort": self.cohort,
            "evidence": str(self.evidence),
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "eligibility": str(self.eligibility),
            "on_label": self.on_label,
            "on_label_source": self.on_label_source,
            "cohort_status": self.cohort_status,
            "cohort_name": self.cohort_name,
            "tumour_group": self.tumour_group,
            "evidence_source": self.evidence_source,
            "alterations": list(self.alterations),
            "criteria": [item.as_dict() for item in self.criteria],
            "drug_display": self.drug_display,
            "supplier": self.supplier,
            "route": self.route,
            "eligibility_without_criteria": str(self.eligibility_without_criteria),
        }


@dataclass(frozen=True, slots=True)
class ProfileMatches:
    """All of one sample's matches plus the notes on rules that could not be evaluated or nearly matched.

    ``tumour_type`` is the current OncoTree code matched on; ``entered_tumour_type`` the code as given,
    which differs when a retired code was mapped to its successor (``warnings`` then says so).
    """

    sample_id: str
    tumour_type: str
    tumour_group: str
    matches: tuple[Match, ...]
    notes: tuple[str, ...] = ()
    entered_tumour_type: str | None = None
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "sample_id": self.sample_id,
            "tumour_type": self.tumour_type,
            "tumour_group": self.tumour_group,
            "matches": [item.as_dict() for item in self.matches],
            "notes": list(self.notes),
            "entered_tumour_type": self.entered_tumour_type
            if self.entered_tumour_type is not None
            else self.tumour_type,
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------------------------------------
# Three-valued rule outcomes
# ---------------------------------------------------------------------------------------------


class Truth(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A rule's verdict. ``hits``: "X satisfies Y" reasons; ``labels``: the satisfying results;
    ``unknowns``: why it could not be decided; ``notes``: near misses (exclusions, one hit of two)."""

    truth: Truth
    hits: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    unknowns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


_FALSE = Outcome(Truth.FALSE)

# ---------------------------------------------------------------------------------------------
# The profile, indexed once
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Variant:
    alteration: Alteration
    protein: ProteinChange | None


@dataclass(slots=True)
class _Index:
    """A profile arranged for the rules: alterations by kind and gene, and unusable result areas."""

    profile: MolecularProfile
    mutations: dict[str, list[_Variant]] = field(default_factory=dict)
    amplifications: dict[str, list[Alteration]] = field(default_factory=dict)
    losses: dict[str, list[Alteration]] = field(default_factory=dict)
    fusions: dict[str, list[Alteration]] = field(default_factory=dict)
    splices: dict[str, list[Alteration]] = field(default_factory=dict)
    unusable_areas: frozenset[ResultArea] = frozenset()


def _index(profile: MolecularProfile, genes: frozenset[str]) -> _Index:
    """Arrange a profile for the rules. Only variants in ``genes`` (those the rules name) are parsed:
    parsing is the costly step, and a TSO500 profile has dozens of variants no rule looks at."""
    index = _Index(profile=profile, unusable_areas=frozenset(profile.qc.unusable_areas))
    for alteration in profile.alterations:
        if alteration.kind is AlterationKind.MUTATION:
            if alteration.gene not in genes:
                continue
            index.mutations.setdefault(alteration.gene, []).append(_Variant(alteration, protein_of(alteration)))
        elif alteration.kind is AlterationKind.AMPLIFICATION:
            index.amplifications.setdefault(alteration.gene, []).append(alteration)
        elif alteration.kind is AlterationKind.COPY_LOSS:
            index.losses.setdefault(alteration.gene, []).append(alteration)
        elif alteration.kind is AlterationKind.FUSION:
            for gene in dict.fromkeys((alteration.gene, *alteration.genes)):
                index.fusions.setdefault(gene, []).append(alteration)
        else:
            index.splices.setdefault(alteration.gene, []).append(alteration)
    return index


def _unusable(alteration: Alteration) -> str:
    return alteration.unusable_reason or "marked not usable"


def _area_unknown(index: _Index, area: ResultArea, what: str) -> Outcome | None:
    if area in index.unusable_areas:
        return Outcome(Truth.UNKNOWN, unknowns=(f"{area} results failed QC, so the absence of {what} cannot be shown",))
    return None


@dataclass(slots=True)
class _Found:
    """The alterations that satisfy one leaf: usable ones are hits, unusable ones only make it unknown
    (a result that is not usable is never matched on; docs/matching.md)."""

    what: str
    hits: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)

    def add(self, alteration: Alteration, shown: str | None = None) -> None:
        """Count one satisfying alteration; ``shown`` is how the reason names it (default: its label)."""
        text = alteration.label if shown is None else shown
        if alteration.usable:
            self.hits.append(f"{text} satisfies {self.what}")
            self.labels.append(alteration.label)
        else:
            self.unknowns.append(f"{text} would satisfy {self.what} but is not usable: {_unusable(alteration)}")

    def outcome(self) -> Outcome | None:
        """True with the hits, else unknown with the reasons, else None (nothing found)."""
        if self.hits:
            return Outcome(Truth.TRUE, hits=tuple(self.hits), labels=tuple(self.labels))
        if self.unknowns:
            return Outcome(Truth.UNKNOWN, unknowns=tuple(self.unknowns))
        return None


# ---------------------------------------------------------------------------------------------
# Leaf predicates
# ---------------------------------------------------------------------------------------------

_Predicate = Callable[[_Index], Outcome]
_VariantTest = Callable[[_Variant], bool]


def _is_coding(variant: _Variant) -> bool:
    """Protein-changing (core/variant_effects.py, shared with the batch screen)."""
    return is_coding(variant.alteration, variant.protein)


def _is_truncating(variant: _Variant) -> bool:
    """Truncating (core/variant_effects.py, shared with the batch screen)."""
    return is_truncating(variant.alteration, variant.protein)


def _mutation_leaf(gene: str, test: _VariantTest, what: str) -> _Predicate:
    def evaluate(index: _Index) -> Outcome:
        found = _Found(what)
        for variant in index.mutations.get(gene, ()):
            if test(variant):
                found.add(variant.alteration)
        return found.outcome() or _area_unknown(index, ResultArea.SMALL_VARIANTS, what) or _FALSE

    return evaluate


def _protein_test(changes: frozenset[str]) -> _VariantTest:
    return lambda variant: variant.protein is not None and variant.protein.short in changes


def _codon_test(codons: frozenset[str]) -> _VariantTest:
    """Codon wildcards (V600x) count missense and delins changes starting at the codon."""
    return lambda variant: (
        variant.protein is not None and variant.protein.edit in CODON_EDITS and variant.protein.codon in codons
    )


def _hotspot_test(codons: frozenset[str]) -> _VariantTest:
    return lambda variant: (
        variant.protein is not None and variant.protein.edit in IN_FRAME_EDITS and variant.protein.codon in codons
    )


def _span(protein: ProteinChange) -> int:
    end = protein.end_position if protein.end_position is not None else protein.start_position
    return end - protein.start_position + 1


def _edit_matches(protein: ProteinChange, edit: ExonEdit) -> bool:
    """In-frame deletions (and delins that shorten the protein) / insertions (and dup, lengthening delins)."""
    if edit is ExonEdit.ANY:
        return protein.edit in IN_FRAME_EDITS or protein.is_truncating
    alt_length = len(protein.alt or "")
    if edit is ExonEdit.DELETION:
        return protein.edit is ProteinEdit.DELETION or (
            protein.edit is ProteinEdit.DELINS and alt_length < _span(protein)
        )
    return protein.edit in {ProteinEdit.INSERTION, ProteinEdit.DUPLICATION} or (
        protein.edit is ProteinEdit.DELINS and alt_length > _span(protein)
    )


def _exon_test(rule: ExonRule, knowledge: Knowledge) -> _VariantTest:
    exon_range = knowledge.exons.get(rule.gene, {}).get(rule.exon)
    classification = EXON_CLASSES[rule.edit]

    def test(variant: _Variant) -> bool:
        protein = variant.protein
        if protein is not None and exon_range is not None:
            inside = exon_range.first_codon <= protein.start_position <= exon_range.last_codon
            return inside and _edit_matches(protein, rule.edit)
        # No placeable protein change: fall back on the laboratory's own exon annotation.
        return (
            exon_number(variant.alteration.exon) == rule.exon
            and variant.alteration.variant_classification in classification
            and (protein is None or _edit_matches(protein, rule.edit))
        )

    return test


def _splice_site_test(rule: ExonSkippingRule, knowledge: Knowledge) -> _VariantTest:
    """A DNA variant that disrupts the exon's splice sites or sits in it with a splice consequence.

    Source: MET exon 14 skipping arises from variants at the exon 14 splice donor or acceptor sites and
    deletions of the intronic branch region (Frampton et al., Cancer Discov 2015;5:850-859).
    """
    exon_range = knowledge.exons.get(rule.gene, {}).get(rule.exon)

    def test(variant: _Variant) -> bool:
        alteration = variant.alteration
        if not is_splice(alteration) or exon_range is None:
            return False
        anchor = cds_anchor(alteration.coding_change)
        if anchor is not None and exon_range.first_cds is not None and exon_range.last_cds is not None:
            position, intronic = anchor
            if intronic is None:
                return exon_range.first_cds <= position <= exon_range.last_cds
            return (position == exon_range.first_cds and intronic < 0) or (
                position == exon_range.last_cds and intronic > 0
            )
        if variant.protein is not None:
            return exon_range.first_codon <= variant.protein.start_position <= exon_range.last_codon + 1
        return exon_number(alteration.exon) == rule.exon

    return test


def _exon_skipping_leaf(rule: ExonSkippingRule, knowledge: Knowledge) -> _Predicate:
    dna = _mutation_leaf(rule.gene, _splice_site_test(rule, knowledge), rule.describe())
    what = rule.describe()

    def evaluate(index: _Index) -> Outcome:
        rna = _Found(what)
        for alteration in index.splices.get(rule.gene, ()):
            if exon_number(alteration.exon) == rule.exon:
                rna.add(alteration)
        from_dna = dna(index)
        if rna.hits or from_dna.truth is Truth.TRUE:
            return Outcome(Truth.TRUE, hits=(*rna.hits, *from_dna.hits), labels=(*rna.labels, *from_dna.labels))
        if rna.unknowns or from_dna.truth is Truth.UNKNOWN:
            return Outcome(Truth.UNKNOWN, unknowns=(*rna.unknowns, *from_dna.unknowns))
        return _FALSE

    return evaluate


def _amplification_leaf(rule: AmplificationRule) -> _Predicate:
    what = rule.describe()

    def evaluate(index: _Index) -> Outcome:
        found = _Found(what)
        short: list[str] = []
        for alteration in index.amplifications.get(rule.gene, ()):
            if rule.min_copy_number is not None and alteration.copy_number is not None:
                passed = alteration.copy_number >= rule.min_copy_number
                measure = f"copy number {alteration.copy_number:g}"
            elif rule.min_fold_change is not None and alteration.fold_change is not None:
                passed = alteration.fold_change >= rule.min_fold_change
                measure = f"fold change {alteration.fold_change:g}"
            elif rule.min_copy_number is None and rule.min_fold_change is None:
                passed, measure = True, "amplification called by the laboratory"
            else:
                passed = True
                measure = "no fold change or copy number reported: threshold not verified, matched on the lab's call"
            label = f"{alteration.label} ({measure})"
            if passed:
                found.add(alteration, label)
            else:
                short.append(f"{label} is below the threshold of {what}")
        return found.outcome() or _area_unknown(index, ResultArea.CNV, what) or Outcome(Truth.FALSE, notes=tuple(short))

    return evaluate


def _simple_leaf(
    source: Callable[[_Index], list[Alteration]], test: Callable[[Alteration], bool], what: str, area: ResultArea
) -> _Predicate:
    def evaluate(index: _Index) -> Outcome:
        found = _Found(what)
        for alteration in source(index):
            if test(alteration):
                found.add(alteration)
        return found.outcome() or _area_unknown(index, area, what) or _FALSE

    return evaluate


def _fusion_leaf(rule: FusionRule) -> _Predicate:
    partners = frozenset(rule.partners)

    def test(alteration: Alteration) -> bool:
        if not partners:
            return True
        others = {gene for gene in alteration.genes if gene != rule.gene}
        return bool(others & partners)

    return _simple_leaf(lambda index: index.fusions.get(rule.gene, []), test, rule.describe(), ResultArea.RNA)


def _tmb_leaf(rule: TmbRule) -> _Predicate:
    what = rule.describe()

    def evaluate(index: _Index) -> Outcome:
        tmb = index.profile.tmb
        if tmb is None:
            return Outcome(Truth.UNKNOWN, unknowns=("no TMB result in the profile",))
        if not tmb.usable:
            return Outcome(Truth.UNKNOWN, unknowns=(f"TMB result not usable: {tmb.unusable_reason or 'QC failed'}",))
        label = f"TMB {tmb.per_mb:g} mut/Mb"
        if tmb.per_mb >= rule.at_least:
            return Outcome(Truth.TRUE, hits=(f"{label} satisfies {what}",), labels=(label,))
        return _FALSE

    return evaluate


def _msi_leaf(rule: MsiRule) -> _Predicate:
    what = rule.describe()

    def evaluate(index: _Index) -> Outcome:
        msi = index.profile.msi
        if msi is None:
            return Outcome(Truth.UNKNOWN, unknowns=("no MSI result in the profile",))
        if not msi.usable:
            return Outcome(Truth.UNKNOWN, unknowns=(f"MSI result not usable: {msi.unusable_reason or 'QC failed'}",))
        if msi.status is MsiStatus.NOT_EVALUABLE:
            sites = "unknown" if msi.usable_sites is None else str(msi.usable_sites)
            return Outcome(
                Truth.UNKNOWN, unknowns=(f"MSI not evaluable ({sites} usable sites; at least 40 are needed)",)
            )
        if msi.status is MsiStatus.MSI_H:
            detail = "" if msi.percent_unstable is None else f" ({msi.percent_unstable:g} % of sites unstable)"
            return Outcome(Truth.TRUE, hits=(f"MSI-H{detail} satisfies {what}",), labels=("MSI-H",))
        return _FALSE

    return evaluate


def _biallelic_leaf(rule: BiallelicLossRule) -> _Predicate:
    """Two hits: two truncating variants; truncating + copy loss; deep loss (copy number < 0.5);
    or one truncating variant with VAF >= loh_min_vaf (loss of the other allele suggested)."""
    what = rule.describe()

    def evaluate(index: _Index) -> Outcome:
        truncating = [v.alteration for v in index.mutations.get(rule.gene, ()) if _is_truncating(v)]
        losses = list(index.losses.get(rule.gene, ()))
        unusable = [item for item in (*truncating, *losses) if not item.usable]
        truncating = [item for item in truncating if item.usable]
        losses = [item for item in losses if item.usable]
        labels: list[str] = []
        reason = None
        deep = [item for item in losses if item.copy_number is not None and item.copy_number < 0.5]
        if len(truncating) >= 2:
            labels = [item.label for item in truncating]
            reason = "two truncating variants"
        elif truncating and losses:
            labels = [truncating[0].label, losses[0].label]
            reason = "a truncating variant and copy loss"
        elif deep:
            labels = [deep[0].label]
            reason = f"deep copy loss (copy number {deep[0].copy_number:g})"
        elif truncating and truncating[0].vaf is not None and truncating[0].vaf >= rule.loh_min_vaf:
            labels = [truncating[0].label]
            reason = (
                f"a truncating variant at VAF {truncating[0].vaf:g} >= {rule.loh_min_vaf:g}, "
                "suggesting loss of the other allele"
            )
        if reason is not None:
            return Outcome(
                Truth.TRUE, hits=(f"{' + '.join(labels)} ({reason}) satisfies {what}",), labels=tuple(labels)
            )
        if unusable:
            return Outcome(
                Truth.UNKNOWN,
                unknowns=tuple(f"{item.label} is not usable: {_unusable(item)}" for item in unusable),
            )
        if losses:
            return Outcome(
                Truth.UNKNOWN,
                labels=(losses[0].label,),
                hits=(f"{losses[0].label} may satisfy {what}",),
                unknowns=(f"{losses[0].label} without copy number: homozygous loss to be confirmed",),
            )
        if truncating:
            item = truncating[0]
            vaf = "unknown" if item.vaf is None else f"{item.vaf:g}"
            return Outcome(
                Truth.FALSE,
                notes=(
                    f"{item.label} is one hit (VAF {vaf}); {what} needs a second: another truncating variant, "
                    f"copy loss, or VAF >= {rule.loh_min_vaf:g}",
                ),
            )
        return _area_unknown(index, ResultArea.SMALL_VARIANTS, what) or _FALSE

    return evaluate


# ---------------------------------------------------------------------------------------------
# Compiling rule trees
# ---------------------------------------------------------------------------------------------


def compile_rule(rule: Rule, knowledge: Knowledge) -> _Predicate:
    """Turn a rule tree into one predicate over an indexed profile (done once per protocol)."""
    if isinstance(rule, AllOf):
        return _all_of(tuple(compile_rule(child, knowledge) for child in rule.rules))
    if isinstance(rule, AnyOf):
        return _any_of(tuple(compile_rule(child, knowledge) for child in rule.rules))
    if isinstance(rule, Not):
        return _not(compile_rule(rule.rule, knowledge), rule.rule.describe())
    what = rule.describe()
    if isinstance(rule, ProteinChangeRule):
        return _mutation_leaf(rule.gene, _protein_test(frozenset(rule.changes)), what)
    if isinstance(rule, CodonRule):
        return _mutation_leaf(rule.gene, _codon_test(frozenset(rule.codons)), what)
    if isinstance(rule, VariantClassRule):
        table = knowledge.variant_classes.get(rule.gene, {})
        changes = frozenset().union(*(table.get(name, frozenset()) for name in rule.classes))
        return _mutation_leaf(rule.gene, _protein_test(changes), what)
    if isinstance(rule, ExonRule):
        return _mutation_leaf(rule.gene, _exon_test(rule, knowledge), what)
    if isinstance(rule, ExonSkippingRule):
        return _exon_skipping_leaf(rule, knowledge)
    if isinstance(rule, TruncatingRule):
        return _mutation_leaf(rule.gene, _is_truncating, what)
    if isinstance(rule, HotspotRule):
        return _mutation_leaf(rule.gene, _hotspot_test(knowledge.hotspots.get(rule.gene, frozenset())), what)
    if isinstance(rule, MutationRule):
        return _mutation_leaf(rule.gene, _is_coding, what)
    if isinstance(rule, AmplificationRule):
        return _amplification_leaf(rule)
    if isinstance(rule, CopyLossRule):
        gene = rule.gene
        return _simple_leaf(lambda index: index.losses.get(gene, []), lambda _: True, what, ResultArea.CNV)
    if isinstance(rule, FusionRule):
        return _fusion_leaf(rule)
    if isinstance(rule, TmbRule):
        return _tmb_leaf(rule)
    if isinstance(rule, MsiRule):
        return _msi_leaf(rule)
    return _biallelic_leaf(rule)


def _all_of(children: tuple[_Predicate, ...]) -> _Predicate:
    def evaluate(index: _Index) -> Outcome:
        outcomes = [child(index) for child in children]
        hits = tuple(hit for item in outcomes for hit in item.hits)
        labels = tuple(label for item in outcomes for label in item.labels)
        if any(item.truth is Truth.FALSE for item in outcomes):
            notes = tuple(note for item in outcomes for note in item.notes)
            # Say what did match only when something explains why the whole did not (an exclusion).
            return Outcome(Truth.FALSE, notes=(*hits, *notes) if notes else ())
        if any(item.truth is Truth.UNKNOWN for item in outcomes):
            unknowns = tuple(reason for item in outcomes for reason in item.unknowns)
            return Outcome(Truth.UNKNOWN, hits=hits, labels=labels, unknowns=unknowns)
        return Outcome(Truth.TRUE, hits=hits, labels=labels)

    return evaluate


def _any_of(children: tuple[_Predicate, ...]) -> _Predicate:
    def evaluate(index: _Index) -> Outcome:
        outcomes = [child(index) for child in children]
        true = [item for item in outcomes if item.truth is Truth.TRUE]
        if true:
            return Outcome(
                Truth.TRUE,
                hits=tuple(hit for item in true for hit in item.hits),
                labels=tuple(label for item in true for label in item.labels),
            )
        unknown = [item for item in outcomes if item.truth is Truth.UNKNOWN]
        if unknown:
            return Outcome(
                Truth.UNKNOWN,
                hits=tuple(hit for item in unknown for hit in item.hits),
                labels=tuple(label for item in unknown for label in item.labels),
                unknowns=tuple(reason for item in unknown for reason in item.unknowns),
            )
        return Outcome(Truth.FALSE, notes=tuple(note for item in outcomes for note in item.notes))

    return evaluate


def _not(child: _Predicate, what: str) -> _Predicate:
    def evaluate(index: _Index) -> Outcome:
        outcome = child(index)
        if outcome.truth is Truth.TRUE:
            return Outcome(Truth.FALSE, notes=tuple(f"excluded: {hit}" for hit in outcome.hits))
        if outcome.truth is Truth.UNKNOWN:
            return Outcome(
                Truth.UNKNOWN, unknowns=tuple(f"exclusion ({what}) not decidable: {u}" for u in outcome.unknowns)
            )
        return Outcome(Truth.TRUE, hits=(f"no {what} found",))

    return evaluate


# ---------------------------------------------------------------------------------------------
# The compiled protocol
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CompiledProfile:
    drug: Drug
    profile: DrugProfile
    predicate: _Predicate
    eligibility: Eligibility


@dataclass(frozen=True, slots=True)
class _CompiledIndication:
    indication: Indication
    predicate: _Predicate


@dataclass(frozen=True, slots=True)
class CompiledProtocol:
    """A protocol with every rule turned into a predicate and the group lookup prepared."""

    protocol: Protocol
    profiles: tuple[_CompiledProfile, ...]
    indications: tuple[_CompiledIndication, ...]
    group_of_code: Mapping[str, str]
    genes: frozenset[str] = frozenset()


def compile_protocol(protocol: Protocol) -> CompiledProtocol:
    """Compile once, match many times (the per-profile path stays well under a millisecond per drug)."""
    profiles = tuple(
        _CompiledProfile(
            drug=drug,
            profile=profile,
            predicate=compile_rule(profile.biomarker.rule, protocol.knowledge),
            eligibility=protocol.eligibility_for(drug),
        )
        for drug in protocol.drugs
        for profile in drug.profiles
    )
    indications = tuple(
        _CompiledIndication(item, compile_rule(item.biomarker.rule, protocol.knowledge)) for item in protocol.on_label
    )
    groups = {code: group.name for group in protocol.tumour_groups for code in group.oncotree}
    genes = (
        frozenset()
        .union(*(rule_genes(item.profile.biomarker.rule) for item in profiles))
        .union(*(rule_genes(item.indication.biomarker.rule) for item in indications))
    )
    return CompiledProtocol(protocol, profiles, indications, MappingProxyType(groups), genes)


_COMPILED: dict[int, CompiledProtocol] = {}


def _compiled(protocol: Protocol) -> CompiledProtocol:
    # Keyed by identity and holding the protocol itself, so an id cannot be reused while cached.
    found = _COMPILED.get(id(protocol))
    if found is None or found.protocol is not protocol:
        if len(_COMPILED) > 16:
            _COMPILED.clear()
        found = compile_protocol(protocol)
        _COMPILED[id(protocol)] = found
    return found


def resolve_patient(patient: PatientFacts, tumour_types: TumourTypes) -> tuple[PatientFacts, ResolvedTumourType]:
    """The patient with the current OncoTree code for the tumour type, and the resolution.

    A retired code with one successor (OncoTree history: ``GBM`` -> ``GB``) is replaced by it and the
    resolution carries the warning naming both codes; an unknown or ambiguous code raises
    :class:`InputError` (``TumourTypes.resolve``).
    """
    resolved = tumour_types.resolve(patient.tumour_type, field="tumour type")
    if resolved.code == patient.tumour_type:
        return patient, resolved
    return replace(patient, tumour_type=resolved.code), resolved


def tumour_group(protocol: Protocol, tumour_types: TumourTypes, patient: PatientFacts) -> str:
    """The patient's cohort tumour group.

    The nearest OncoTree ancestor (or the code itself) that a group lists decides; else an ICD-10 code
    listed by a group (a listed code matches its sub-codes) whose OncoTree codes the patient's code does
    not contradict (:func:`_icd10_fits`); else the protocol's ``fallback_group``; else the OncoTree main
    type of the code (e.g. ``Melanoma``), so that cohorts stay one tumour type each. A retired OncoTree
    code is read as its successor.
    """
    return _tumour_group(_compiled(protocol), tumour_types, resolve_patient(patient, tumour_types)[0])


def _tumour_group(compiled: CompiledProtocol, tumour_types: TumourTypes, patient: PatientFacts) -> str:
    lineage = tumour_types.lineage(patient.tumour_type)
    if not lineage:
        raise InputError(
            f"unknown OncoTree code '{patient.tumour_type}' (OncoTree {tumour_types.version})",
            field="tumour type",
            fix="use an OncoTree code such as LUAD, COAD, PAAD or CHOL (oncotree.mskcc.org)",
        )
    for code in lineage:
        group = compiled.group_of_code.get(code)
        if group is not None:
            return group
    if patient.icd10:
        wanted = patient.icd10.upper()
        for group_item in compiled.protocol.tumour_groups:
            if any(
                wanted == code or wanted.startswith(code + ".") or (len(code) == 3 and wanted.startswith(code))
                for code in group_item.icd10
            ) and _icd10_fits(group_item.oncotree, lineage, tumour_types):
                return group_item.name
    if compiled.protocol.fallback_group:
        return compiled.protocol.fallback_group
    return tumour_types.main_type(patient.tumour_type) or tumour_types.types[lineage[0]].name


def _icd10_fits(group_codes: tuple[str, ...], lineage: tuple[str, ...], tumour_types: TumourTypes) -> bool:
    """Whether an ICD-10 code may place the patient in a group that lists ``group_codes``.

    ICD-10 chapter II codes solid tumours by site (topography), not by histology, and C34 covers small-cell
    as well as non-small-cell lung cancer. So an ICD-10 code may place a tumour whose OncoTree code is less
    specific than the group's codes (``LUNG`` with C34.1 in NSCLC) or belongs to another tissue (a melanoma
    coded C80, unknown primary, in CUP), but never overrules an OncoTree diagnosis of the same tissue
    (``SCLC`` with C34.1 is not NSCLC; ``MBL`` with C71.6 is not a glioma). A group without OncoTree codes
    is decided by ICD-10 alone.
    """
    if not group_codes:
        return True
    code = lineage[0]
    tissue = lineage[-2] if len(lineage) > 1 else code
    for listed in group_codes:
        listed_lineage = tumour_types.lineage(listed)
        if code in listed_lineage:
            return True
        listed_tissue = listed_lineage[-2] if len(listed_lineage) > 1 else listed
        if listed_tissue != tissue:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Eligibility
# ---------------------------------------------------------------------------------------------


def evaluate_eligibility(
    eligibility: Eligibility, patient: PatientFacts, general: Eligibility
) -> tuple[CriterionResult, ...]:
    """Judge every criterion; ``general`` tells which criteria are the drug's own (named in reasons)."""
    results = []
    for criterion in eligibility.criteria:
        results.append(_judge(criterion, patient, own=general.criterion(criterion.name) != criterion))
    if eligibility.excluded_prior_therapies:
        excluded = eligibility.excluded_prior_therapies
        if patient.prior_therapies is None:
            results.append(
                CriterionResult(
                    "prior_therapies",
                    EligibilityStatus.TO_BE_CONFIRMED,
                    f"prior therapies unknown: to be confirmed (excluded: {', '.join(excluded)})",
                )
            )
        else:
            had = [item for item in patient.prior_therapies if item.lower() in excluded]
            if had:
                results.append(
                    CriterionResult(
                        "prior_therapies",
                        EligibilityStatus.INELIGIBLE,
                        f"prior therapy with {', '.join(had)} excludes (protocol prior-therapy exclusion)",
                    )
                )
            else:
                results.append(
                    CriterionResult("prior_therapies", EligibilityStatus.ELIGIBLE, "no excluded prior therapy")
                )
    return tuple(results)


def _judge(criterion: Criterion, patient: PatientFacts, *, own: bool) -> CriterionResult:
    whose = "drug-specific criterion" if own else "general criterion"
    source = f"; {criterion.source}" if criterion.source else ""
    label = CRITERION_LABELS.get(criterion.name, criterion.name)
    value = patient.value(criterion.name)
    if value is None:
        return CriterionResult(
            criterion.name,
            EligibilityStatus.TO_BE_CONFIRMED,
            f"{label} unknown: to be confirmed (needs {criterion.describe()})",
        )
    if criterion.accepts(value):
        return CriterionResult(
            criterion.name, EligibilityStatus.ELIGIBLE, f"{label} {value:g}: meets {criterion.describe()}"
        )
    return CriterionResult(
        criterion.name,
        EligibilityStatus.INELIGIBLE,
        f"{label} {value:g}: fails {criterion.describe()} ({whose}{source})",
    )


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------


def match_profile(
    profile: MolecularProfile,
    patient: PatientFacts,
    protocol: Protocol,
    tumour_types: TumourTypes,
    *,
    cohort_statuses: Mapping[str, str] = MappingProxyType({}),
) -> tuple[Match, ...]:
    """Candidate matches of one profile, sorted (evidence, cohort status, cohort name).

    ``cohort_statuses`` maps cohort name -> registry status (absent = ``new``).
    """
    return evaluate_profile(profile, patient, protocol, tumour_types, cohort_statuses=cohort_statuses).matches


def evaluate_profile(
    profile: MolecularProfile,
    patient: PatientFacts,
    protocol: Protocol | CompiledProtocol,
    tumour_types: TumourTypes,
    *,
    cohort_statuses: Mapping[str, str] = MappingProxyType({}),
) -> ProfileMatches:
    """Matches plus sample-level notes (rules not evaluable on this profile, near misses)."""
    compiled = protocol if isinstance(protocol, CompiledProtocol) else _compiled(protocol)
    patient, resolved = resolve_patient(patient, tumour_types)
    group = _tumour_group(compiled, tumour_types, patient)
    lineage = frozenset(tumour_types.lineage(patient.tumour_type))
    index = _index(profile, compiled.genes)
    authority = compiled.protocol.authority

    approved: list[tuple[Indication, Outcome]] = []
    for item in compiled.indications:
        indication = item.indication
        if indication.tumour_agnostic or lineage.intersection(indication.tumour_types):
            outcome = item.predicate(index)
            if outcome.truth is Truth.TRUE:
                approved.append((indication, outcome))

    general = compiled.protocol.eligibility
    eligibility_cache: dict[str, tuple[CriterionResult, ...]] = {}
    matches: list[Match] = []
    notes: dict[str, list[str]] = {}

    for entry in compiled.profiles:
        drug, drug_profile = entry.drug, entry.profile
        outcome = entry.predicate(index)
        biomarker = drug_profile.biomarker.name
        if outcome.truth is Truth.FALSE:
            for note in outcome.notes:
                notes.setdefault(f"{biomarker}: not matched: {note}", []).append(drug.key)
            continue
        if outcome.truth is Truth.UNKNOWN and not outcome.hits:
            for reason in outcome.unknowns:
                notes.setdefault(f"{biomarker}: not evaluated: {reason}", []).append(drug.key)
            continue
        if drug_profile.tumour_groups and group not in drug_profile.tumour_groups:
            notes.setdefault(
                f"{biomarker}: matched but offered only in {', '.join(drug_profile.tumour_groups)} (not {group})",
                [],
            ).append(drug.key)
            continue

        name = cohort_name(biomarker, group, drug.display_name)
        reasons: list[str] = list(outcome.hits)
        # The match's own verdicts, kept apart from the patient's criteria (Match.eligibility_without_criteria).
        statuses: list[EligibilityStatus] = []
        if outcome.truth is Truth.UNKNOWN:
            statuses.append(EligibilityStatus.TO_BE_CONFIRMED)
            reasons.extend(f"biomarker to be confirmed: {reason}" for reason in outcome.unknowns)

        criteria = eligibility_cache.get(drug.key)
        if criteria is None:
            criteria = evaluate_eligibility(entry.eligibility, patient, general)
            eligibility_cache[drug.key] = criteria
        reasons.extend(item.reason for item in criteria if item.status is EligibilityStatus.INELIGIBLE)
        unknown = [item for item in criteria if item.status is EligibilityStatus.TO_BE_CONFIRMED]
        if unknown:
            reasons.append(
                "to be confirmed: " + "; ".join(item.reason.split(": to be confirmed")[0] for item in unknown)
            )

        excluded = [code for code in drug_profile.excluded_tumour_types if code in lineage]
        if excluded:
            statuses.append(EligibilityStatus.INELIGIBLE)
            why = drug_profile.exclusion_reason or "excluded for this biomarker by the protocol"
            reasons.append(f"tumour type {patient.tumour_type} is within excluded {', '.join(excluded)}: {why}")

        labels = set(outcome.labels)
        # The approval must rest on the same results as this match: entrectinib's NTRK approval does
        # not make its ROS1 match in the same tumour on-label.
        own_label = next(
            (ind for ind, result in approved if ind.drug == drug.key and labels & set(result.labels)), None
        )
        on_label = own_label is not None
        if own_label is not None:
            statuses.append(EligibilityStatus.INELIGIBLE)
            scope = "any tumour type" if own_label.tumour_agnostic else ", ".join(own_label.tumour_types)
            reasons.insert(
                0,
                f"on-label: standard treatment ({authority}: {drug.key} for {own_label.biomarker.name} in {scope}; "
                f"{own_label.source}), not a trial cohort",
            )
        for indication, approved_outcome in approved:
            if indication.drug != drug.key and labels & set(approved_outcome.labels):
                reasons.append(
                    f"note: {indication.drug} is approved ({authority}) for {indication.biomarker.name} here "
                    f"({indication.source})"
                )

        status = ON_LABEL if on_label else cohort_statuses.get(name, NEW)
        if not on_label and status.startswith("closed"):
            statuses.append(EligibilityStatus.INELIGIBLE)
            reasons.append(f"cohort {name} is closed ({status})")
        elif not on_label and status_rank(status) == 2:
            reasons.append(f"cohort {name} is not taking patients now ({status})")

        matches.append(
            Match(
                drug=drug.key,
                drug_display=drug.display_name,
                biomarker=biomarker,
                cohort=None if on_label else name,
                cohort_name=name,
                tumour_group=group,
                evidence=drug_profile.evidence,
                evidence_source=drug_profile.source,
                eligibility=combine([*statuses, *(item.status for item in criteria)]),
                on_label=on_label,
                cohort_status=status,
                reasons=tuple(reasons),
                alterations=tuple(dict.fromkeys(outcome.labels)),
                criteria=criteria,
                on_label_source=own_label.source if own_label is not None else None,
                supplier=drug.supplier,
                route=str(drug.route),
                eligibility_without_criteria=combine(statuses),
            )
        )
    matches.sort(key=Match.sort_key)
    note_lines = tuple(
        f"{text} ({', '.join(dict.fromkeys(drugs))})" if drugs else text for text, drugs in notes.items()
    )
    return ProfileMatches(
        sample_id=profile.sample_id,
        tumour_type=patient.tumour_type.upper(),
        tumour_group=group,
        matches=tuple(matches),
        notes=note_lines,
        entered_tumour_type=resolved.entered,
        warnings=(f"tumour type: {resolved.warning}",) if resolved.warning else (),
    )
