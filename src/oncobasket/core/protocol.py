"""The trial protocol as data: drugs, biomarker rules, tumour groups, eligibility, on-label indications.

Everything a basket trial decides about *who may be matched to what* lives in one versioned protocol
file (``io/protocol_file.py`` reads it, docs/protocol.md describes every key). This module holds the
frozen values that file becomes; it does no I/O and no matching (``core/matching.py`` evaluates them).

Shape (each name below is a frozen dataclass of this module)::

    Protocol
      name, version, trial_id, authority (whose labels make a match "on-label", EMA by default)
      cohort_rule: CohortRule              the default per-cohort two-stage rule (r1, n1, r, n)
      cohort_rules: {cohort name: CohortRule}   overrides for single cohorts
      eligibility: Eligibility             the general criteria (age, ECOG, organ function, prior therapy)
      tumour_groups: (TumourGroup, ...)    cohort tumour groups: OncoTree codes (+descendants), ICD-10 codes
      fallback_group: str | None           group name for tumours in no group (None: the OncoTree main type)
      biomarkers: (Biomarker, ...)         named rules (name + criteria tree + source)
      drugs: (Drug, ...)                   each with DrugProfile(biomarker, evidence, source, ...) entries
      agreements: (Agreement, ...)         company slot budgets shared by several drugs
      on_label: (Indication, ...)          approved indications (drug x tumour types x biomarker)
      knowledge: Knowledge                 hotspot codons, variant classes, exon ranges, declared genes

A biomarker rule is a tree (the declarative and/or tree of MatchMiner's CTML, without operators
hidden in strings)::

    Rule = AllOf | AnyOf | Not | ProteinChangeRule | CodonRule | VariantClassRule | ExonRule
         | ExonSkippingRule | TruncatingRule | HotspotRule | MutationRule | AmplificationRule
         | CopyLossRule | FusionRule | TmbRule | MsiRule | BiallelicLossRule

Leaves name genes by their current HGNC symbol and protein changes in the normalised short form
(``p.V600E``). Leaves that need reference knowledge (hotspots, variant classes, exon ranges) name the
gene only; the protocol's :class:`Knowledge` supplies the lists, with their sources, so a protocol is
self-contained and the runtime needs no other data.

Drug names: a drug or combination is keyed by its lower-case generic names sorted and joined by
``+`` (``dabrafenib+trametinib``), which is the ``drug`` key of the command-line contract; the
display form (``Dabrafenib+Trametinib``) is what cohort names use (IMPRESS eCRF style).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from oncobasket.core.outcomes import OutcomeSettings
from oncobasket.core.recist import ResponseSettings

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------


class Route(StrEnum):
    """How a drug is given; the evaluability rule needs it.

    Source: PRIME-ROSE harmonisation of the IMPRESS eCRF (DOMAIN.md section 5): evaluable after one
    full cycle, i.e. >= 28 days for oral drugs, >= 21 days between cycle starts for intravenous drugs.
    A combination with any intravenous component is ``intravenous``.
    """

    ORAL = "oral"
    INTRAVENOUS = "intravenous"


class EvidenceLevel(StrEnum):
    """How strong the support is for giving a drug to a biomarker (outside its approved tumour types).

    Ordered strongest first; matches are sorted by it. Modelled on the AMP/ASCO/CAP levels
    (Li et al., J Mol Diagn 2017;19:4-23) as DRUP/IMPRESS MTBs use them for off-label matches:

    - ``label``: the biomarker is in the drug's EMA or FDA label for some tumour type.
    - ``guideline``: an ESMO or NCCN guideline recommends the drug for the biomarker in some tumour type.
    - ``clinical``: published clinical results (basket or phase 2 trials, DRUP cohorts, case series).
    - ``preclinical``: biological rationale or preclinical data only.
    """

    LABEL = "label"
    GUIDELINE = "guideline"
    CLINICAL = "clinical"
    PRECLINICAL = "preclinical"

    @property
    def rank(self) -> int:
        return _EVIDENCE_RANK[self]


_EVIDENCE_RANK = {level: index for index, level in enumerate(EvidenceLevel)}


class ExonEdit(StrEnum):
    """The kind of in-frame event an exon rule asks for.

    ``deletion`` covers in-frame deletions and deletion-insertions (most EGFR exon 19 deletions are
    written as delins, e.g. p.L747_A750delinsP); ``insertion`` covers insertions and duplications
    (EGFR/ERBB2 exon 20 insertions are often written as dup, e.g. p.A767_V769dup, p.Y772_A775dup);
    ``any`` is any protein-changing variant in the exon.
    """

    DELETION = "deletion"
    INSERTION = "insertion"
    ANY = "any"


class MsiRequirement(StrEnum):
    """The MSI status a rule asks for (only MSI-H is a biomarker)."""

    MSI_H = "MSI-H"


# ---------------------------------------------------------------------------------------------
# Biomarker rules: the criteria tree
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProteinChangeRule:
    """Specific protein changes in a gene: ``{gene: KRAS, protein: [G12C]}``; changes are short forms (``p.G12C``)."""

    gene: str
    changes: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.gene} {', '.join(self.changes)}"


@dataclass(frozen=True, slots=True)
class CodonRule:
    """Any amino-acid change at a codon (wildcard such as BRAF V600x): ``{gene: BRAF, codon: V600}``.

    Missense and deletion-insertion changes that start at the codon count (V600E/K/D/R, V600_K601delinsE),
    as MatchMiner CTML's ``wildcard_protein_change: p.V600`` does and as the BRAF V600 labels read
    (EMA SmPC Tafinlar 4.1: "BRAF V600 mutation").
    """

    gene: str
    codons: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.gene} {', '.join(codon + 'x' for codon in self.codons)}"


@dataclass(frozen=True, slots=True)
class VariantClassRule:
    """A named variant class, e.g. BRAF class II/III: ``{gene: BRAF, class: [II, III]}``.

    The protein changes of each class come from :attr:`Knowledge.variant_classes` (with its source).
    """

    gene: str
    classes: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.gene} class {'/'.join(self.classes)}"


@dataclass(frozen=True, slots=True)
class ExonRule:
    """An in-frame event in an exon: ``{gene: EGFR, exon: 19, edit: deletion}``.

    The exon's codon range comes from :attr:`Knowledge.exons`; when the protein change cannot be placed
    the alteration's own exon field (``19`` or ``19/28``) is used.
    """

    gene: str
    exon: int
    edit: ExonEdit = ExonEdit.ANY

    def describe(self) -> str:
        what = "variant" if self.edit is ExonEdit.ANY else str(self.edit)
        return f"{self.gene} exon {self.exon} {what}"


@dataclass(frozen=True, slots=True)
class ExonSkippingRule:
    """Exon skipping, e.g. MET exon 14: ``{gene: MET, exon_skipping: 14}``.

    Met by an RNA splice variant of that exon (TSO500 ``14/21``) or by a DNA variant at the exon's
    splice sites or inside its codon range with a splice consequence (:attr:`Knowledge.exons`).
    """

    gene: str
    exon: int

    def describe(self) -> str:
        return f"{self.gene} exon {self.exon} skipping"


@dataclass(frozen=True, slots=True)
class TruncatingRule:
    """A truncating variant (nonsense, frameshift, start loss, canonical splice site).

    YAML: ``{gene: BRCA2, truncating: true}``. These are the "null variants" of the ACMG/AMP PVS1
    criterion (Richards et al., Genet Med 2015;17:405-424), the loss-of-function events of a tumour
    suppressor.
    """

    gene: str

    def describe(self) -> str:
        return f"{self.gene} truncating variant"


@dataclass(frozen=True, slots=True)
class HotspotRule:
    """An activating hotspot (codons listed in :attr:`Knowledge.hotspots`): ``{gene: PIK3CA, hotspot: true}``."""

    gene: str

    def describe(self) -> str:
        return f"{self.gene} activating hotspot"


@dataclass(frozen=True, slots=True)
class MutationRule:
    """Any protein-changing small variant in a gene (mostly used under ``not:`` for resistance):
    ``{gene: KRAS, mutation: any}``."""

    gene: str

    def describe(self) -> str:
        return f"{self.gene} mutation"


@dataclass(frozen=True, slots=True)
class AmplificationRule:
    """Amplification at or above a threshold: ``{gene: ERBB2, amplification: {min_fold_change: 2.0}}``.

    With both thresholds, either suffices (copy number when known, else fold change). With none, the
    laboratory's amplification call is enough (TSO500 reports gains only above its own threshold; the
    InPreD rule reports gains above 6 copies, DOMAIN.md section 7).
    """

    gene: str
    min_fold_change: float | None = None
    min_copy_number: float | None = None

    def describe(self) -> str:
        limits = []
        if self.min_fold_change is not None:
            limits.append(f"fold change >= {self.min_fold_change:g}")
        if self.min_copy_number is not None:
            limits.append(f"copy number >= {self.min_copy_number:g}")
        return f"{self.gene} amplification" + (f" ({' or '.join(limits)})" if limits else "")


@dataclass(frozen=True, slots=True)
class CopyLossRule:
    """Copy loss (deletion) of a gene: ``{gene: CDKN2A, copy_loss: true}``."""

    gene: str

    def describe(self) -> str:
        return f"{self.gene} copy loss"


@dataclass(frozen=True, slots=True)
class FusionRule:
    """A fusion with a named gene: ``{fusion: {gene: ALK, partner: any}}`` or a named partner list.

    ``partners`` empty means any partner (including intergenic ``NonGene`` partners).
    """

    gene: str
    partners: tuple[str, ...] = ()

    def describe(self) -> str:
        if not self.partners:
            return f"{self.gene} fusion"
        return f"{self.gene} fusion with {' or '.join(self.partners)}"


@dataclass(frozen=True, slots=True)
class TmbRule:
    """TMB at or above a cut-off in mutations/Mb: ``{tmb: {at_least: 10}}`` (the cohort cut-off is
    configurable; 10 mut/Mb is the common regulatory cut-off, DOMAIN.md section 7)."""

    at_least: float

    def describe(self) -> str:
        return f"TMB >= {self.at_least:g} mut/Mb"


@dataclass(frozen=True, slots=True)
class MsiRule:
    """MSI status: ``{msi: MSI-H}``."""

    status: MsiRequirement = MsiRequirement.MSI_H

    def describe(self) -> str:
        return str(self.status)


@dataclass(frozen=True, slots=True)
class BiallelicLossRule:
    """Bi-allelic loss of a tumour suppressor: ``{gene: BRCA2, biallelic_loss: true}``.

    Two hits (docs/matching.md): two truncating variants; a truncating variant plus copy loss; a deep
    (homozygous) copy loss; or a truncating variant with VAF >= ``loh_min_vaf`` suggesting loss of the
    other allele in a tumour-only assay (Jonsson et al., Nature 2019;571:576-579 on BRCA1/2 zygosity).
    """

    gene: str
    loh_min_vaf: float = 0.6

    def describe(self) -> str:
        return f"{self.gene} bi-allelic loss"


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every rule must hold: ``all: [...]``."""

    rules: tuple[Rule, ...]

    def describe(self) -> str:
        return " and ".join(_nested(rule) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one rule must hold: ``any: [...]``."""

    rules: tuple[Rule, ...]

    def describe(self) -> str:
        return " or ".join(_nested(rule) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Not:
    """The rule must not hold (exclusions, e.g. resistance alterations): ``not: {...}``."""

    rule: Rule

    def describe(self) -> str:
        return f"no {_nested(self.rule)}"


Leaf = (
    ProteinChangeRule
    | CodonRule
    | VariantClassRule
    | ExonRule
    | ExonSkippingRule
    | TruncatingRule
    | HotspotRule
    | MutationRule
    | AmplificationRule
    | CopyLossRule
    | FusionRule
    | TmbRule
    | MsiRule
    | BiallelicLossRule
)
Rule = AllOf | AnyOf | Not | Leaf

#: the YAML key that names each leaf kind (docs/protocol.md), used by the golden-case coverage test.
LEAF_KINDS: Mapping[type, str] = MappingProxyType(
    {
        ProteinChangeRule: "protein",
        CodonRule: "codon",
        VariantClassRule: "class",
        ExonRule: "exon",
        ExonSkippingRule: "exon_skipping",
        TruncatingRule: "truncating",
        HotspotRule: "hotspot",
        MutationRule: "mutation",
        AmplificationRule: "amplification",
        CopyLossRule: "copy_loss",
        FusionRule: "fusion",
        TmbRule: "tmb",
        MsiRule: "msi",
        BiallelicLossRule: "biallelic_loss",
    }
)


def _nested(rule: Rule) -> str:
    text = rule.describe()
    return f"({text})" if isinstance(rule, AllOf | AnyOf) and len(rule.rules) > 1 else text


def iter_leaves(rule: Rule) -> Iterator[Leaf]:
    """Every leaf of a rule tree, depth first, in order."""
    if isinstance(rule, AllOf | AnyOf):
        for child in rule.rules:
            yield from iter_leaves(child)
    elif isinstance(rule, Not):
        yield from iter_leaves(rule.rule)
    else:
        yield rule


def rule_genes(rule: Rule) -> frozenset[str]:
    """The genes a rule names (fusion partners included)."""
    genes: set[str] = set()
    for leaf in iter_leaves(rule):
        gene = getattr(leaf, "gene", None)
        if gene is not None:
            genes.add(gene)
        if isinstance(leaf, FusionRule):
            genes.update(leaf.partners)
    return frozenset(genes)


@dataclass(frozen=True, slots=True)
class Biomarker:
    """A named biomarker rule, e.g. ``BRAF V600 mutation``; the name is the first part of cohort names."""

    name: str
    rule: Rule
    source: str | None = None
    description: str | None = None


# ---------------------------------------------------------------------------------------------
# Reference knowledge the rules use
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExonRange:
    """The codons an exon encodes and, optionally, its first and last coding (c.) positions.

    The c. positions let a DNA splice-site variant (e.g. MET c.3028+1G>T) be placed at the exon's border.
    """

    first_codon: int
    last_codon: int
    first_cds: int | None = None
    last_cds: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Knowledge:
    """Reference lists the rules rely on, each cited in the protocol file.

    ``hotspots``: gene -> codons (``E545``) of activating hotspots (Cancer Hotspots v2, Chang et al.,
    Cancer Discov 2018). ``variant_classes``: gene -> class -> short protein changes (BRAF classes:
    Yao et al., Nature 2017; Owsley et al., Exp Biol Med 2021). ``exons``: gene -> exon number ->
    :class:`ExonRange`. ``gene_symbols``: current HGNC symbols the rules may name beyond the genes
    OncoBasket knows (:data:`oncobasket.core.genes.KNOWN_GENES`: the TSO500 panel, previous-symbol
    targets, fusion partners). ``sources`` names the citation of each list (key: ``hotspots``,
    ``variant_classes``, ``exons``, ``gene_symbols``).
    """

    hotspots: Mapping[str, frozenset[str]] = field(default_factory=dict)
    variant_classes: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    exons: Mapping[str, Mapping[int, ExonRange]] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    gene_symbols: frozenset[str] = frozenset()


# ---------------------------------------------------------------------------------------------
# Cohorts, tumour groups, eligibility
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortRule:
    """A two-stage per-cohort rule in Simon's notation (Simon, Control Clin Trials 1989;10:1-10).

    Stage 1 enrols ``n1``; the cohort continues when more than ``r1`` have clinical benefit; stage 2
    brings it to ``n``; the drug is promising when more than ``r`` of ``n`` benefit. The DRUP/IMPRESS
    default is r1=0, n1=8, r=4, n=24: 8 then 24, continue on >= 1/8, promising on >= 5/24
    (van der Velden et al., Nature 2019; DOMAIN.md section 3).
    """

    r1: int = 0
    n1: int = 8
    r: int = 4
    n: int = 24
    source: str | None = None

    def __post_init__(self) -> None:
        if not (0 <= self.r1 < self.n1 < self.n and self.r1 <= self.r < self.n):
            raise ValueError(
                f"two-stage rule needs 0 <= r1 < n1 < n and r1 <= r < n; got r1={self.r1}, n1={self.n1}, "
                f"r={self.r}, n={self.n}"
            )


@dataclass(frozen=True, slots=True)
class TumourGroup:
    """A cohort tumour group (e.g. ``Cholangiocarcinoma``): OncoTree codes, whose descendants in the
    hierarchy belong to it too, and ICD-10 codes (a code also matches its sub-codes: ``C22`` matches ``C22.1``)."""

    name: str
    oncotree: tuple[str, ...] = ()
    icd10: tuple[str, ...] = ()
    description: str | None = None


class Comparison(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


#: canonical criterion names: patient facts (age, ecog) and laboratory values (PatientFacts.labs keys).
CRITERION_NAMES: tuple[str, ...] = (
    "age",
    "ecog",
    "anc",
    "platelets",
    "haemoglobin",
    "bilirubin_uln",
    "alt_uln",
    "ast_uln",
    "creatinine_clearance",
)

#: units of the canonical criteria, as the protocol file and PatientFacts.labs use them.
CRITERION_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "age": "years",
        "ecog": "ECOG grade",
        "anc": "10^9/L",
        "platelets": "10^9/L",
        "haemoglobin": "g/dL",
        "bilirubin_uln": "x ULN",
        "alt_uln": "x ULN",
        "ast_uln": "x ULN",
        "creatinine_clearance": "mL/min",
    }
)


#: how reasons name the criteria.
CRITERION_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "age": "age",
        "ecog": "ECOG",
        "anc": "ANC",
        "platelets": "platelets",
        "haemoglobin": "haemoglobin",
        "bilirubin_uln": "bilirubin",
        "alt_uln": "ALT",
        "ast_uln": "AST",
        "creatinine_clearance": "creatinine clearance",
    }
)


@dataclass(frozen=True, slots=True)
class Criterion:
    """One numeric eligibility criterion, e.g. ``ecog at_most 2`` or ``anc at_least 1.5``."""

    name: str
    comparison: Comparison
    limit: float
    source: str | None = None

    def accepts(self, value: float) -> bool:
        return value >= self.limit if self.comparison is Comparison.AT_LEAST else value <= self.limit

    def describe(self) -> str:
        symbol = ">=" if self.comparison is Comparison.AT_LEAST else "<="
        unit = "" if self.name == "ecog" else CRITERION_UNITS.get(self.name, "")
        return f"{CRITERION_LABELS.get(self.name, self.name)} {symbol} {self.limit:g} {unit}".rstrip()


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Eligibility criteria: numeric criteria by name and prior therapies that exclude.

    ``excluded_prior_therapies`` are lower-case generic drug names (or class names the patient facts
    use, e.g. ``anti-pd-1``). A drug's own :class:`Eligibility` takes precedence over the general one,
    criterion by criterion (DOMAIN.md section 6: drug-specific thresholds in drug appendices take
    precedence); its prior-therapy exclusions add to the general ones.
    """

    criteria: tuple[Criterion, ...] = ()
    excluded_prior_therapies: tuple[str, ...] = ()

    def criterion(self, name: str) -> Criterion | None:
        for item in self.criteria:
            if item.name == name:
                return item
        return None

    def overridden_by(self, specific: Eligibility) -> Eligibility:
        """These criteria with ``specific``'s taking precedence, name by name."""
        names = {item.name for item in specific.criteria}
        merged = tuple(item for item in self.criteria if item.name not in names) + specific.criteria
        order = {name: index for index, name in enumerate(CRITERION_NAMES)}
        merged = tuple(sorted(merged, key=lambda item: order.get(item.name, len(order))))
        prior = self.excluded_prior_therapies + tuple(
            therapy for therapy in specific.excluded_prior_therapies if therapy not in self.excluded_prior_therapies
        )
        return Eligibility(criteria=merged, excluded_prior_therapies=prior)


# ---------------------------------------------------------------------------------------------
# Drugs, agreements, approved indications
# ---------------------------------------------------------------------------------------------


def drug_key(generic_names: tuple[str, ...] | list[str]) -> str:
    """The contract's drug key: lower-case generic names, sorted, joined by ``+``."""
    return "+".join(sorted(name.strip().lower() for name in generic_names))


def drug_display_name(generic_names: tuple[str, ...] | list[str]) -> str:
    """The cohort-name form: ``Dabrafenib+Trametinib`` (IMPRESS eCRF style), sorted like the key."""
    return "+".join(name.strip().lower().capitalize() for name in sorted(n.strip().lower() for n in generic_names))


@dataclass(frozen=True, slots=True)
class DrugProfile:
    """One biomarker a drug may be matched to, with the evidence for it.

    ``tumour_groups`` (empty = every group) restricts the profile to named groups;
    ``excluded_tumour_types`` (OncoTree codes, with descendants) marks tumour types where the match
    is not offered, with ``exclusion_reason``. ``cohort_rule`` overrides the drug's rule for its cohorts.
    """

    biomarker: Biomarker
    evidence: EvidenceLevel
    source: str
    tumour_groups: tuple[str, ...] = ()
    excluded_tumour_types: tuple[str, ...] = ()
    exclusion_reason: str | None = None
    cohort_rule: CohortRule | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Drug:
    """A trial drug or combination.

    ``key`` is the contract's drug key (``dabrafenib+trametinib``), ``display_name`` the cohort-name
    form. ``slots`` is the company's patient budget for this drug across its cohorts (None: no cap
    stated; see also :class:`Agreement`). ``eligibility`` holds the drug-appendix criteria that take
    precedence over the general ones.
    """

    generic_names: tuple[str, ...]
    supplier: str
    route: Route
    profiles: tuple[DrugProfile, ...]
    slots: int | None = None
    agreement: str | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)
    cohort_rule: CohortRule | None = None
    source: str | None = None

    @property
    def key(self) -> str:
        return drug_key(self.generic_names)

    @property
    def display_name(self) -> str:
        return drug_display_name(self.generic_names)


@dataclass(frozen=True, slots=True)
class Agreement:
    """A company agreement: a slot budget shared by several drugs (e.g. 48 slots for two drugs)."""

    name: str
    supplier: str
    drugs: tuple[str, ...]
    slots: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Indication:
    """An approved indication of the protocol's authority (EMA by default).

    A match is on-label (standard treatment, not a trial cohort) when its drug is ``drug``, the
    patient's tumour type is within ``tumour_types`` (OncoTree codes with descendants; empty with
    ``tumour_agnostic`` = every tumour) and the profile satisfies ``biomarker``'s rule.
    """

    drug: str
    biomarker: Biomarker
    source: str
    tumour_types: tuple[str, ...] = ()
    tumour_agnostic: bool = False
    note: str | None = None


# ---------------------------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Protocol:
    """A whole trial protocol (see the module docstring for its shape).

    ``source`` is where it was read from (a file name), for messages. ``group_of_code`` is derived:
    OncoTree code -> group name for the codes the groups list. ``warnings`` are what the reader changed
    and why, e.g. a retired OncoTree code replaced by its successor (naming both codes and the line).
    """

    name: str
    version: str
    authority: str
    cohort_rule: CohortRule
    eligibility: Eligibility
    tumour_groups: tuple[TumourGroup, ...]
    biomarkers: tuple[Biomarker, ...]
    drugs: tuple[Drug, ...]
    trial_id: str | None = None
    fallback_group: str | None = None
    cohort_rules: Mapping[str, CohortRule] = field(default_factory=dict)
    agreements: tuple[Agreement, ...] = ()
    on_label: tuple[Indication, ...] = ()
    knowledge: Knowledge = field(default_factory=Knowledge)
    oncotree_version: str | None = None
    source: str | None = None
    description: str | None = None
    warnings: tuple[str, ...] = ()
    #: The ``outcomes`` section: response evaluation and outcome settings (defaults with their sources).
    response_settings: ResponseSettings = field(default_factory=ResponseSettings)
    outcome_settings: OutcomeSettings = field(default_factory=OutcomeSettings)

    def drug(self, key: str) -> Drug | None:
        for item in self.drugs:
            if item.key == key:
                return item
        return None

    def biomarker(self, name: str) -> Biomarker | None:
        for item in self.biomarkers:
            if item.name == name:
                return item
        return None

    def group(self, name: str) -> TumourGroup | None:
        for item in self.tumour_groups:
            if item.name == name:
                return item
        return None

    def eligibility_for(self, drug: Drug) -> Eligibility:
        """The general criteria with the drug's own taking precedence."""
        return self.eligibility.overridden_by(drug.eligibility)

    def rule_for(self, cohort_name: str, drug: Drug, profile: DrugProfile) -> CohortRule:
        """The two-stage rule of a cohort: its own override, else the profile's, the drug's, the default."""
        return self.cohort_rules.get(cohort_name) or profile.cohort_rule or drug.cohort_rule or self.cohort_rule

    def slot_budget(self, drug: Drug) -> tuple[str, int] | None:
        """``(budget name, slots)``: the drug's own cap, else its agreement's; None when uncapped."""
        if drug.slots is not None:
            return drug.key, drug.slots
        for agreement in self.agreements:
            if drug.key in agreement.drugs and agreement.slots is not None:
                return agreement.name, agreement.slots
        return None

    def leaves(self) -> Iterator[Leaf]:
        """Every leaf of every biomarker rule the drugs and indications use."""
        for drug in self.drugs:
            for profile in drug.profiles:
                yield from iter_leaves(profile.biomarker.rule)
        for indication in self.on_label:
            yield from iter_leaves(indication.biomarker.rule)


def cohort_name(biomarker: str, tumour_group: str, drug_display: str) -> str:
    """IMPRESS eCRF cohort name: ``<biomarker> / <tumour group> / <Drug+Drug>``
    (e.g. ``BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib``)."""
    return f"{biomarker} / {tumour_group} / {drug_display}"
