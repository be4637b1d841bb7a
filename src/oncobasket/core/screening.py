"""Batch re-screening: every profile against the protocol at once, over columns of all alterations.

The per-profile engine (:mod:`oncobasket.core.matching`) walks one profile at a time. Re-screening a
whole registry (or a cohort of public profiles) after a protocol change asks the same questions of
100,000 profiles, so here each leaf rule of the protocol is compiled into a polars expression that is
evaluated over one frame of *all* alterations, aggregated to per-sample columns with one
``group_by(sample_id)``, and the criteria trees (AllOf / AnyOf / Not) are then combined with column
algebra across samples. Eligibility, tumour groups and on-label indications are columns too.

Consistency guarantee (docs/screening.md): for every sample the set of matches -- drug, biomarker,
cohort, cohort name, tumour group, evidence, eligibility and on-label flag -- is the one
:func:`oncobasket.core.matching.match_profile` gives for the same profile and patient facts (tested on
generated profiles covering every rule kind). The ``reasons`` text is a summary built from columns;
the full explanation of one sample is ``oncobasket match``.

Three-valued logic as columns: each rule node yields ``truth`` (Int8: 1 true, 0 unknown, -1 false;
Kleene logic, so AllOf is the minimum, AnyOf the maximum, Not the negation) and ``hits`` (Boolean:
something positive was found). A rule that is unknown but has hits becomes a match "to be confirmed",
as in the per-profile engine (docs/matching.md).

Pure: no files; the frames come from :func:`alteration_frame` / :func:`sample_frame` (or are built
directly as columns, as the benchmark does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from oncobasket.core.errors import InputError
from oncobasket.core.matching import PatientFacts, tumour_group
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile, MsiStatus, ResultArea
from oncobasket.core.protein import ProteinEdit
from oncobasket.core.protocol import (
    AllOf,
    AmplificationRule,
    AnyOf,
    BiallelicLossRule,
    CodonRule,
    CopyLossRule,
    Criterion,
    Drug,
    DrugProfile,
    EvidenceLevel,
    ExonEdit,
    ExonRule,
    ExonSkippingRule,
    FusionRule,
    HotspotRule,
    Knowledge,
    Leaf,
    MsiRule,
    MutationRule,
    Not,
    ProteinChangeRule,
    Protocol,
    Rule,
    TmbRule,
    TruncatingRule,
    VariantClassRule,
    iter_leaves,
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
# The two frames
# ---------------------------------------------------------------------------------------------

#: one row per alteration; derived columns are computed once when the frame is built.
ALTERATION_SCHEMA: Mapping[str, Any] = {
    "sample_id": pl.String,
    "gene": pl.String,
    "kind": pl.String,  # AlterationKind value
    "genes": pl.List(pl.String),  # every gene involved (both fusion partners)
    "protein": pl.String,  # normalised short form (p.V600E); null when it does not parse
    "edit": pl.String,  # ProteinEdit value; null when no protein change
    "codon": pl.String,  # first affected codon (V600)
    "start": pl.Int64,  # first affected residue
    "end": pl.Int64,  # last affected residue (= start for single residues)
    "alt_length": pl.Int64,  # number of new residues (delins length test)
    "protein_truncating": pl.Boolean,  # the protein edit itself truncates (nonsense, frameshift, start lost)
    "classification": pl.String,  # MAF Variant_Classification
    "exon": pl.Int64,  # exon number of the laboratory's exon cell (19 of 19/28)
    "splice": pl.Boolean,  # Splice_Site or a splice donor/acceptor consequence
    "truncating": pl.Boolean,  # protein, classification or consequence says truncating
    "coding": pl.Boolean,  # protein-changing
    "cds_position": pl.Int64,  # c. anchor of the coding change (3028 of c.3028+1G>T)
    "cds_offset": pl.Int64,  # intronic offset (+1 of c.3028+1G>T); null inside the exon
    "vaf": pl.Float64,
    "fold_change": pl.Float64,
    "copy_number": pl.Float64,
    "usable": pl.Boolean,
    "label": pl.String,
}

#: one row per sample: the results that are not alterations, QC per result area and the patient facts.
SAMPLE_SCHEMA: Mapping[str, Any] = {
    "sample_id": pl.String,
    "tumour_type": pl.String,  # OncoTree code, upper case
    "age": pl.Float64,
    "ecog": pl.Int64,
    "tmb": pl.Float64,  # mutations/Mb
    "tmb_state": pl.String,  # usable | unusable | missing
    "msi_state": pl.String,  # MSI-H | MSS | not_evaluable | unusable | missing
    "small_variants_ok": pl.Boolean,  # False when QC made the area unusable
    "cnv_ok": pl.Boolean,
    "rna_ok": pl.Boolean,
}


def alteration_columns(alteration: Alteration) -> dict[str, Any]:
    """The derived columns of one alteration (the sample_id column is added by the caller).

    The definitions of ``coding``, ``truncating`` and ``splice`` are the per-profile engine's
    (:mod:`oncobasket.core.variant_effects`, docs/matching.md).
    """
    mutation = alteration.kind is AlterationKind.MUTATION
    protein = protein_of(alteration) if mutation else None
    anchor = cds_anchor(alteration.coding_change) if mutation else None
    return {
        "gene": alteration.gene,
        "kind": str(alteration.kind),
        "genes": list(alteration.genes),
        "protein": protein.short if protein is not None else None,
        "edit": str(protein.edit) if protein is not None else None,
        "codon": protein.codon if protein is not None else None,
        "start": protein.start_position if protein is not None else None,
        "end": (protein.end_position or protein.start_position) if protein is not None else None,
        "alt_length": len(protein.alt or "") if protein is not None else None,
        "protein_truncating": protein is not None and protein.is_truncating,
        "classification": alteration.variant_classification,
        "exon": exon_number(alteration.exon),
        "splice": is_splice(alteration),
        "truncating": is_truncating(alteration, protein),
        "coding": is_coding(alteration, protein),
        "cds_position": anchor[0] if anchor is not None else None,
        "cds_offset": anchor[1] if anchor is not None else None,
        "vaf": alteration.vaf,
        "fold_change": alteration.fold_change,
        "copy_number": alteration.copy_number,
        "usable": alteration.usable,
        "label": alteration.label,
    }


def alteration_frame(profiles: Iterable[MolecularProfile]) -> pl.DataFrame:
    """All alterations of all profiles, one row each (:data:`ALTERATION_SCHEMA`)."""
    rows = []
    for profile in profiles:
        for alteration in profile.alterations:
            row = alteration_columns(alteration)
            row["sample_id"] = profile.sample_id
            rows.append(row)
    return pl.DataFrame(rows, schema=dict(ALTERATION_SCHEMA))


def sample_frame(profiles: Sequence[MolecularProfile], patients: Mapping[str, PatientFacts]) -> pl.DataFrame:
    """One row per profile (:data:`SAMPLE_SCHEMA`); ``patients`` maps sample_id -> facts (tumour type, age, ECOG)."""
    rows = []
    for profile in profiles:
        facts = patients.get(profile.sample_id)
        unusable = set(profile.qc.unusable_areas)
        tmb, msi = profile.tmb, profile.msi
        if msi is None:
            msi_state = "missing"
        elif not msi.usable:
            msi_state = "unusable"
        else:
            msi_state = str(msi.status)
        rows.append(
            {
                "sample_id": profile.sample_id,
                "tumour_type": facts.tumour_type.upper() if facts is not None else None,
                "age": facts.age if facts is not None else None,
                "ecog": facts.ecog if facts is not None else None,
                "tmb": tmb.per_mb if tmb is not None else None,
                "tmb_state": "missing" if tmb is None else ("usable" if tmb.usable else "unusable"),
                "msi_state": msi_state,
                "small_variants_ok": ResultArea.SMALL_VARIANTS not in unusable,
                "cnv_ok": ResultArea.CNV not in unusable,
                "rna_ok": ResultArea.RNA not in unusable,
            }
        )
    return pl.DataFrame(rows, schema=dict(SAMPLE_SCHEMA))


# ---------------------------------------------------------------------------------------------
# Leaf rules as alteration-level masks
# ---------------------------------------------------------------------------------------------

_USABLE = pl.col("usable")


def _kind_is(kind: AlterationKind) -> pl.Expr:
    return pl.col("kind") == str(kind)


_MUTATION = _kind_is(AlterationKind.MUTATION)


def _in(column: str, values: Iterable[str]) -> pl.Expr:
    # str(): ProteinEdit members are compared with the ``edit`` column by their values.
    return pl.col(column).is_in(sorted(str(value) for value in values)).fill_null(False)


def _mutation_of(gene: str) -> pl.Expr:
    return _MUTATION & (pl.col("gene") == gene)


def _edit_mask(edit: ExonEdit) -> pl.Expr:
    """In-frame deletions / insertions as in the per-profile engine (docs/matching.md)."""
    span = pl.col("end") - pl.col("start") + 1
    if edit is ExonEdit.ANY:
        return _in("edit", IN_FRAME_EDITS) | pl.col("protein_truncating")
    delins = pl.col("edit") == str(ProteinEdit.DELINS)
    if edit is ExonEdit.DELETION:
        return ((pl.col("edit") == str(ProteinEdit.DELETION)) | (delins & (pl.col("alt_length") < span))).fill_null(
            False
        )
    return (
        _in("edit", (ProteinEdit.INSERTION, ProteinEdit.DUPLICATION)) | (delins & (pl.col("alt_length") > span))
    ).fill_null(False)


def _exon_mask(rule: ExonRule, knowledge: Knowledge) -> pl.Expr:
    exon_range = knowledge.exons.get(rule.gene, {}).get(rule.exon)
    has_protein = pl.col("protein").is_not_null()
    by_lab = (pl.col("exon") == rule.exon).fill_null(False) & _in("classification", EXON_CLASSES[rule.edit])
    if exon_range is None:
        test = by_lab & (~has_protein | _edit_mask(rule.edit))
    else:
        inside = pl.col("start").is_between(exon_range.first_codon, exon_range.last_codon).fill_null(False)
        test = pl.when(has_protein).then(inside & _edit_mask(rule.edit)).otherwise(by_lab)
    return _mutation_of(rule.gene) & test


def _splice_site_mask(rule: ExonSkippingRule, knowledge: Knowledge) -> pl.Expr:
    """DNA variants at the exon's splice sites (Frampton et al., Cancer Discov 2015;5:850-859)."""
    exon_range = knowledge.exons.get(rule.gene, {}).get(rule.exon)
    if exon_range is None:
        return pl.lit(False)
    position, offset = pl.col("cds_position"), pl.col("cds_offset")
    by_protein = pl.col("start").is_between(exon_range.first_codon, exon_range.last_codon + 1).fill_null(False)
    by_exon = (pl.col("exon") == rule.exon).fill_null(False)
    fallback = pl.when(pl.col("protein").is_not_null()).then(by_protein).otherwise(by_exon)
    if exon_range.first_cds is not None and exon_range.last_cds is not None:
        by_anchor = (
            pl.when(offset.is_null())
            .then(position.is_between(exon_range.first_cds, exon_range.last_cds))
            .otherwise(
                ((position == exon_range.first_cds) & (offset < 0)) | ((position == exon_range.last_cds) & (offset > 0))
            )
            .fill_null(False)
        )
        test = pl.when(position.is_not_null()).then(by_anchor).otherwise(fallback)
    else:
        test = fallback
    return _mutation_of(rule.gene) & pl.col("splice") & test


def _amplification_mask(rule: AmplificationRule) -> pl.Expr:
    """Copy number decides when both it and a copy-number threshold exist, else fold change, else the call."""
    amplified = _kind_is(AlterationKind.AMPLIFICATION) & (pl.col("gene") == rule.gene)
    copies, fold = pl.col("copy_number"), pl.col("fold_change")
    if rule.min_copy_number is None and rule.min_fold_change is None:
        return amplified
    passed: pl.Expr
    if rule.min_copy_number is not None and rule.min_fold_change is not None:
        passed = (
            pl.when(copies.is_not_null())
            .then(copies >= rule.min_copy_number)
            .when(fold.is_not_null())
            .then(fold >= rule.min_fold_change)
            .otherwise(True)
        )
    elif rule.min_copy_number is not None:
        passed = pl.when(copies.is_not_null()).then(copies >= rule.min_copy_number).otherwise(True)
    else:
        passed = pl.when(fold.is_not_null()).then(fold >= rule.min_fold_change).otherwise(True)
    return amplified & passed


def _fusion_mask(rule: FusionRule) -> pl.Expr:
    fusion = _kind_is(AlterationKind.FUSION)
    genes = pl.col("genes")
    involved = (pl.col("gene") == rule.gene) | genes.list.contains(rule.gene)
    partners = [partner for partner in rule.partners if partner != rule.gene]
    if not rule.partners:
        return fusion & involved
    if not partners:
        return pl.lit(False)
    return fusion & involved & pl.any_horizontal([genes.list.contains(partner) for partner in partners])


def _alteration_masks(leaf: Leaf, knowledge: Knowledge) -> dict[str, pl.Expr]:
    """Alteration-level masks of a leaf, keyed by suffix (aggregated with any() unless noted)."""
    if isinstance(leaf, ProteinChangeRule):
        return {"m": _mutation_of(leaf.gene) & _in("protein", leaf.changes)}
    if isinstance(leaf, CodonRule):
        return {"m": _mutation_of(leaf.gene) & _in("edit", CODON_EDITS) & _in("codon", leaf.codons)}
    if isinstance(leaf, VariantClassRule):
        table = knowledge.variant_classes.get(leaf.gene, {})
        changes: set[str] = set().union(*(table.get(name, frozenset()) for name in leaf.classes))
        return {"m": _mutation_of(leaf.gene) & _in("protein", changes)}
    if isinstance(leaf, ExonRule):
        return {"m": _exon_mask(leaf, knowledge)}
    if isinstance(leaf, ExonSkippingRule):
        rna = _kind_is(AlterationKind.SPLICE_VARIANT) & (pl.col("gene") == leaf.gene)
        return {"m": _splice_site_mask(leaf, knowledge), "r": rna & (pl.col("exon") == leaf.exon).fill_null(False)}
    if isinstance(leaf, TruncatingRule):
        return {"m": _mutation_of(leaf.gene) & pl.col("truncating")}
    if isinstance(leaf, HotspotRule):
        codons = knowledge.hotspots.get(leaf.gene, frozenset())
        return {
            "m": _mutation_of(leaf.gene)
            & pl.col("protein").is_not_null()
            & _in("edit", IN_FRAME_EDITS)
            & _in("codon", codons)
        }
    if isinstance(leaf, MutationRule):
        return {"m": _mutation_of(leaf.gene) & pl.col("coding")}
    if isinstance(leaf, AmplificationRule):
        return {"m": _amplification_mask(leaf)}
    if isinstance(leaf, CopyLossRule):
        return {"m": _kind_is(AlterationKind.COPY_LOSS) & (pl.col("gene") == leaf.gene)}
    if isinstance(leaf, FusionRule):
        return {"m": _fusion_mask(leaf)}
    if isinstance(leaf, BiallelicLossRule):
        truncating = _mutation_of(leaf.gene) & pl.col("truncating")
        loss = _kind_is(AlterationKind.COPY_LOSS) & (pl.col("gene") == leaf.gene)
        return {"t": truncating, "l": loss, "d": loss & (pl.col("copy_number") < 0.5).fill_null(False)}
    return {}  # TMB and MSI are sample columns


def _aggregations(name: str, masks: Mapping[str, pl.Expr], leaf: Leaf) -> list[pl.Expr]:
    """Per-sample aggregates: ``<name>_<mask>_hit`` (a usable alteration satisfies) and ``_unk`` (only an
    unusable one does); for bi-allelic loss also the count and largest VAF of usable truncating variants."""
    aggregations: list[pl.Expr] = []
    label = pl.col("label")
    for suffix, mask in masks.items():
        aggregations.append((mask & _USABLE).any().alias(f"{name}_{suffix}_hit"))
        aggregations.append((mask & ~_USABLE).any().alias(f"{name}_{suffix}_unk"))
        if not isinstance(leaf, BiallelicLossRule):
            aggregations.append(label.filter(mask & _USABLE).alias(f"{name}_{suffix}_labels"))
    if isinstance(leaf, BiallelicLossRule):
        usable_truncating = masks["t"] & _USABLE
        aggregations.append(usable_truncating.sum().cast(pl.Int64).alias(f"{name}_t_n"))
        aggregations.append(pl.col("vaf").filter(usable_truncating).max().alias(f"{name}_t_vaf"))
        # The per-profile engine names the first truncating variant and the first (deep) loss, in profile order.
        aggregations.append(label.filter(usable_truncating).alias(f"{name}_t_labels"))
        aggregations.append(label.filter(usable_truncating).first().alias(f"{name}_t_first"))
        aggregations.append(label.filter(masks["l"] & _USABLE).first().alias(f"{name}_l_first"))
        aggregations.append(label.filter(masks["d"] & _USABLE).first().alias(f"{name}_d_first"))
    return aggregations


_TRUE, _UNKNOWN, _FALSE = 1, 0, -1


def _flag(column: str) -> pl.Expr:
    return pl.col(column).fill_null(False)


_NO_LABELS = pl.lit([], dtype=pl.List(pl.String))


def _labels(column: str) -> pl.Expr:
    return pl.col(column).fill_null(_NO_LABELS)


def _single(column: str) -> pl.Expr:
    return pl.concat_list([pl.col(column)])


def _leaf_state(name: str, leaf: Leaf) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(truth, hits, labels) of a leaf from its per-sample aggregates and the sample columns.

    ``labels`` are the results that satisfied the leaf (alteration labels, ``TMB 12 mut/Mb``, ``MSI-H``),
    as the per-profile engine names them; on-label decisions compare them (docs/matching.md).
    """
    small_bad = ~pl.col("small_variants_ok")
    if isinstance(leaf, TmbRule):
        usable = pl.col("tmb_state") == "usable"
        truth = pl.when(~usable).then(_UNKNOWN).when(pl.col("tmb") >= leaf.at_least).then(_TRUE).otherwise(_FALSE)
        text = pl.concat_str([pl.lit("TMB "), _number_text(pl.col("tmb")), pl.lit(" mut/Mb")])
        labels = pl.when(truth == _TRUE).then(pl.concat_list([text])).otherwise(_NO_LABELS)
        return truth.cast(pl.Int8), truth == _TRUE, labels
    if isinstance(leaf, MsiRule):
        state = pl.col("msi_state")
        truth = (
            pl.when(state == str(MsiStatus.MSI_H))
            .then(_TRUE)
            .when(state == str(MsiStatus.MSS))
            .then(_FALSE)
            .otherwise(_UNKNOWN)
        )
        labels = pl.when(truth == _TRUE).then(pl.lit(["MSI-H"], dtype=pl.List(pl.String))).otherwise(_NO_LABELS)
        return truth.cast(pl.Int8), truth == _TRUE, labels
    if isinstance(leaf, BiallelicLossRule):
        count = pl.col(f"{name}_t_n").fill_null(0)
        vaf = pl.col(f"{name}_t_vaf")
        loss, deep = _flag(f"{name}_l_hit"), _flag(f"{name}_d_hit")
        unusable = _flag(f"{name}_t_unk") | _flag(f"{name}_l_unk")
        two_hits = (
            (count >= 2) | ((count >= 1) & loss) | deep | ((count == 1) & (vaf >= leaf.loh_min_vaf).fill_null(False))
        )
        truth = (
            pl.when(two_hits)
            .then(_TRUE)
            .when(unusable)
            .then(_UNKNOWN)
            .when(loss)
            .then(_UNKNOWN)
            .when(count >= 1)
            .then(_FALSE)
            .when(small_bad)
            .then(_UNKNOWN)
            .otherwise(_FALSE)
        ).cast(pl.Int8)
        # A copy loss without copy number "may satisfy" the rule: unknown, but with a hit to confirm.
        hits = two_hits | (~unusable & loss)
        first_truncating, first_loss = f"{name}_t_first", f"{name}_l_first"
        labels = (
            pl.when(count >= 2)
            .then(_labels(f"{name}_t_labels"))
            .when((count >= 1) & loss)
            .then(pl.concat_list([pl.col(first_truncating), pl.col(first_loss)]))
            .when(deep)
            .then(_single(f"{name}_d_first"))
            .when(two_hits)
            .then(_single(first_truncating))
            .when(hits)
            .then(_single(first_loss))
            .otherwise(_NO_LABELS)
        )
        return truth, hits, labels
    hit, unknown = _flag(f"{name}_m_hit"), _flag(f"{name}_m_unk")
    if isinstance(leaf, ExonSkippingRule):
        rna_hit, rna_unknown = _flag(f"{name}_r_hit"), _flag(f"{name}_r_unk")
        dna_unknown = ~hit & (unknown | small_bad)
        truth = pl.when(rna_hit | hit).then(_TRUE).when(rna_unknown | dna_unknown).then(_UNKNOWN).otherwise(_FALSE)
        labels = pl.concat_list([_labels(f"{name}_r_labels"), _labels(f"{name}_m_labels")])
        return truth.cast(pl.Int8), rna_hit | hit, labels
    if isinstance(leaf, AmplificationRule | CopyLossRule):
        area_bad = ~pl.col("cnv_ok")
    elif isinstance(leaf, FusionRule):
        area_bad = ~pl.col("rna_ok")
    else:
        area_bad = small_bad
    truth = pl.when(hit).then(_TRUE).when(unknown | area_bad).then(_UNKNOWN).otherwise(_FALSE)
    return truth.cast(pl.Int8), hit, _labels(f"{name}_m_labels")


# ---------------------------------------------------------------------------------------------
# Compiling the protocol into columns
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Compiler:
    knowledge: Knowledge
    leaves: dict[Leaf, str]
    nodes: dict[Rule, str]

    def leaf_name(self, leaf: Leaf) -> str:
        name = self.leaves.get(leaf)
        if name is None:
            name = f"leaf{len(self.leaves)}"
            self.leaves[leaf] = name
        return name

    def node(self, rule: Rule, columns: list[pl.Expr]) -> str:
        """Column-name stem of a rule's (truth, hits); appends the expressions needed to ``columns``."""
        found = self.nodes.get(rule)
        if found is not None:
            return found
        if isinstance(rule, AllOf | AnyOf | Not):
            children = [
                self.node(child, columns) for child in (rule.rules if not isinstance(rule, Not) else (rule.rule,))
            ]
            name = f"node{len(self.nodes)}"
            if isinstance(rule, Not):
                truth = -pl.col(f"{children[0]}_t")
                hits = truth == _TRUE
            elif not children:
                # The per-profile engine: an empty AllOf is true (nothing fails), an empty AnyOf false.
                truth = pl.lit(_TRUE if isinstance(rule, AllOf) else _FALSE)
                hits = pl.lit(False)
            else:
                truths = [pl.col(f"{child}_t") for child in children]
                truth = pl.min_horizontal(truths) if isinstance(rule, AllOf) else pl.max_horizontal(truths)
                hits = (truth != _FALSE) & pl.any_horizontal([pl.col(f"{child}_h") for child in children])
            columns.extend([truth.cast(pl.Int8).alias(f"{name}_t"), hits.alias(f"{name}_h")])
        else:
            name = self.leaf_name(rule)
        self.nodes[rule] = name
        return name

    def labels(self, rule: Rule) -> pl.Expr:
        """The labels a rule's outcome names, as the per-profile engine combines them: AllOf all
        children's, AnyOf those of the children with its own truth, Not none."""
        name = self.nodes[rule]
        if not isinstance(rule, AllOf | AnyOf | Not):
            return pl.col(f"{name}_l")
        if isinstance(rule, Not) or not rule.rules:
            return _NO_LABELS
        truth = pl.col(f"{name}_t")
        if isinstance(rule, AllOf):
            parts = [self.labels(child) for child in rule.rules]
        else:
            parts = [
                pl.when(pl.col(f"{self.nodes[child]}_t") == truth).then(self.labels(child)).otherwise(_NO_LABELS)
                for child in rule.rules
            ]
        return pl.when(truth != _FALSE).then(pl.concat_list(parts)).otherwise(_NO_LABELS)


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The matches of a batch (one row per sample x match) and the figures of the run."""

    matches: pl.DataFrame
    profiles: int
    alterations: int
    warnings: tuple[str, ...] = ()

    def summary(self) -> dict[str, int]:
        return {
            "profiles": self.profiles,
            "alterations": self.alterations,
            "matches": self.matches.height,
            "samples_with_matches": self.matches.get_column("sample_id").n_unique() if self.matches.height else 0,
        }


#: columns of the match table, in order (docs/screening.md).
MATCH_COLUMNS = (
    "sample_id",
    "drug",
    "biomarker",
    "cohort",
    "evidence",
    "eligibility",
    "on_label",
    "reasons",
    "eligible",
    "cohort_name",
    "tumour_type",
    "tumour_group",
    "evidence_source",
    "alterations",
    "entered_tumour_type",
)

_ELIGIBILITY = ("eligible", "to_be_confirmed", "ineligible")
_CRITERION_LABELS = {
    "age": "age",
    "ecog": "ECOG",
    "anc": "ANC",
    "platelets": "platelets",
    "haemoglobin": "haemoglobin",
    "bilirubin_uln": "bilirubin (x ULN)",
    "alt_uln": "ALT (x ULN)",
    "ast_uln": "AST (x ULN)",
    "creatinine_clearance": "creatinine clearance",
}


def _labels_overlap(labels: pl.Expr) -> pl.Expr:
    """Whether the match's result labels share any with ``labels``, counted as |A| + |B| > |A u B|."""
    mine = pl.col("_labels")
    union = pl.concat_list([mine, labels]).list.unique().list.len()
    return mine.list.unique().list.len() + labels.list.unique().list.len() > union


def _number_text(expr: pl.Expr) -> pl.Expr:
    # Python's ``:g`` (six significant digits, no trailing ".0"), as the per-profile engine prints numbers.
    return expr.cast(pl.Float64).round_sig_figs(6).cast(pl.String).str.replace(r"\.0$", "")


def _criterion_columns(criterion: Criterion, *, own: bool) -> tuple[pl.Expr, pl.Expr]:
    """(status code 0/1/2, reason or null) of one eligibility criterion; only age and ECOG are batch columns."""
    label = _CRITERION_LABELS.get(criterion.name, criterion.name)
    if criterion.name not in {"age", "ecog"}:
        return pl.lit(1, dtype=pl.Int8), pl.lit(f"{label} unknown")
    value = pl.col(criterion.name).cast(pl.Float64)
    accepts = value >= criterion.limit if criterion.comparison.value == "at_least" else value <= criterion.limit
    status = pl.when(value.is_null()).then(1).when(accepts).then(0).otherwise(2).cast(pl.Int8)
    whose = "drug-specific criterion" if own else "general criterion"
    source = f"; {criterion.source}" if criterion.source else ""
    reason = (
        pl.when(value.is_null())
        .then(pl.lit(f"{label} unknown"))
        .when(~accepts)
        .then(
            pl.concat_str(
                [pl.lit(f"{label} "), _number_text(value), pl.lit(f": fails {criterion.describe()} ({whose}{source})")]
            )
        )
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return status, reason


def _tumour_columns(
    codes: Sequence[str], protocol: Protocol, tumour_types: TumourTypes
) -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """Group and lineage of each distinct tumour type (a handful per batch, not one per sample)."""
    groups: dict[str, str] = {}
    lineages: dict[str, frozenset[str]] = {}
    for code in codes:
        groups[code] = tumour_group(protocol, tumour_types, PatientFacts(tumour_type=code))
        lineages[code] = frozenset(tumour_types.lineage(code))
    return groups, lineages


def resolve_tumour_types(samples: pl.DataFrame, tumour_types: TumourTypes) -> dict[str, ResolvedTumourType]:
    """Every sample needs one row and a known OncoTree code (one error lists the samples that do not);
    each distinct tumour type resolves to a current OncoTree code: a retired code with one successor maps
    to it (``TumourTypes.resolve``)."""
    repeated = samples.filter(pl.col("sample_id").is_duplicated()).get_column("sample_id").unique(maintain_order=True)
    if repeated.len():
        raise InputError(
            f"sample ID(s) given more than once: {', '.join(repeated.head(10).to_list())}",
            field="sample_id",
            fix="screen each sample once (two files of one sample would merge their alterations)",
        )
    missing = samples.filter(pl.col("tumour_type").is_null()).get_column("sample_id").to_list()
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise InputError(
            f"{len(missing)} sample(s) without a tumour type: {shown}",
            field="tumour type",
            fix="give --tumour-type CODE, a --clinical TSV with sample_id and tumour_type, or a MAF ONCOTREE_CODE",
        )
    codes = samples.get_column("tumour_type").unique().to_list()
    unknown = sorted(code for code in codes if not tumour_types.lineage(code) and tumour_types.retired(code) is None)
    if unknown:
        bad = samples.filter(pl.col("tumour_type").is_in(unknown)).get_column("sample_id").to_list()
        raise InputError(
            f"unknown OncoTree code(s) {', '.join(unknown)} (OncoTree {tumour_types.version}) for sample(s) "
            + ", ".join(bad[:10])
            + (f" and {len(bad) - 10} more" if len(bad) > 10 else ""),
            field="tumour type",
            fix="use OncoTree codes such as LUAD, COAD, PAAD or CHOL (oncotree.mskcc.org)",
        )
    resolved: dict[str, ResolvedTumourType] = {}
    for code in sorted(codes):
        try:
            resolved[code] = tumour_types.resolve(code, field="tumour type")
        except InputError as error:
            bad = samples.filter(pl.col("tumour_type") == code).get_column("sample_id").to_list()
            more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
            raise InputError(
                f"{error.rule} (sample(s) {', '.join(bad[:10])}{more})",
                field=error.field,
                fix=error.fix,
            ) from None
    return resolved


def screen(
    alterations: pl.DataFrame, samples: pl.DataFrame, protocol: Protocol, tumour_types: TumourTypes
) -> ScreeningResult:
    """Match every sample of ``samples`` against ``protocol``; ``alterations`` holds their alterations.

    Raises :class:`InputError` when a sample has no or an unknown tumour type.
    """
    resolved = resolve_tumour_types(samples, tumour_types)
    # A retired code is matched as its successor; the code as given stays in entered_tumour_type.
    samples = samples.with_columns(
        pl.col("tumour_type").alias("entered_tumour_type"),
        pl.col("tumour_type").replace_strict(
            {code: item.code for code, item in resolved.items()}, return_dtype=pl.String
        ),
    )
    warnings = tuple(
        f"tumour type: {item.warning} ({samples.filter(pl.col('entered_tumour_type') == code).height} sample(s))"
        for code, item in resolved.items()
        if item.warning
    )
    knowledge = protocol.knowledge
    compiler = _Compiler(knowledge, {}, {})
    node_columns: list[pl.Expr] = []
    entries = [(drug, profile) for drug in protocol.drugs for profile in drug.profiles]
    profile_nodes = [compiler.node(profile.biomarker.rule, node_columns) for _, profile in entries]
    indication_nodes = [compiler.node(item.biomarker.rule, node_columns) for item in protocol.on_label]

    # 1. Leaf masks over all alterations, aggregated per sample in one pass.
    genes: set[str] = set()
    for _, profile in entries:
        genes |= rule_genes(profile.biomarker.rule)
    for item in protocol.on_label:
        genes |= rule_genes(item.biomarker.rule)
    relevant = alterations.lazy().filter(pl.col("gene").is_in(sorted(genes)) | _kind_is(AlterationKind.FUSION))
    aggregations: list[pl.Expr] = []
    leaf_columns: list[pl.Expr] = []
    for leaf, name in compiler.leaves.items():
        masks = _alteration_masks(leaf, knowledge)
        aggregations.extend(_aggregations(name, masks, leaf))
        truth, hits, labels = _leaf_state(name, leaf)
        leaf_columns.extend([truth.alias(f"{name}_t"), hits.alias(f"{name}_h"), labels.alias(f"{name}_l")])
    frame = samples.lazy().with_row_index("order")
    if aggregations:
        per_sample = relevant.group_by("sample_id").agg(aggregations)
        frame = frame.join(per_sample, on="sample_id", how="left")
    frame = frame.with_columns(leaf_columns)
    # Nodes were appended children first, so each with_columns step only needs earlier columns.
    for expression in node_columns:
        frame = frame.with_columns(expression)

    # 2. Tumour groups and lineages per distinct tumour type.
    codes = samples.get_column("tumour_type").unique().sort().to_list()
    groups, lineages = _tumour_columns(codes, protocol, tumour_types)
    frame = frame.with_columns(
        pl.col("tumour_type").replace_strict(groups, return_dtype=pl.String).alias("tumour_group")
    )

    # 3. On-label indications: approved where the tumour type is within it and its rule is true.
    indications: list[_Approval] = []
    for item, node in zip(protocol.on_label, indication_nodes, strict=True):
        if item.tumour_agnostic:
            applies: pl.Expr = pl.lit(True)
        else:
            within = [code for code, lineage in lineages.items() if lineage & set(item.tumour_types)]
            applies = pl.col("tumour_type").is_in(within)
        scope = "any tumour type" if item.tumour_agnostic else ", ".join(item.tumour_types)
        text = (
            f"on-label: standard treatment ({protocol.authority}: {item.drug} for {item.biomarker.name} in {scope}; "
            f"{item.source}), not a trial cohort"
        )
        approved = applies & (pl.col(f"{node}_t") == _TRUE)
        indications.append(_Approval(item.drug, approved, compiler.labels(item.biomarker.rule), text))

    samples_done = frame.collect()

    # 4. One small frame of matches per drug profile.
    parts: list[pl.LazyFrame] = []
    for (drug, profile), node in zip(entries, profile_nodes, strict=True):
        own = [approval for approval in indications if approval.drug == drug.key]
        labels = compiler.labels(profile.biomarker.rule)
        parts.append(_profile_matches(samples_done, drug, profile, node, labels, protocol, lineages, own))
    # Lazy parts: each filters only the columns it uses (projection pushdown), all collected at once.
    matches = pl.concat(parts, how="vertical").collect() if parts else _empty_matches()
    matches = matches.sort(["order", "evidence_rank", "status_rank", "cohort_name", "drug"]).select(MATCH_COLUMNS)
    return ScreeningResult(matches=matches, profiles=samples.height, alterations=alterations.height, warnings=warnings)


@dataclass(frozen=True, slots=True)
class _Approval:
    """An approved indication as columns: where it applies and holds, and the results it rests on."""

    drug: str
    approved: pl.Expr
    labels: pl.Expr
    text: str


def _empty_matches() -> pl.DataFrame:
    types = {"on_label": pl.Boolean, "eligible": pl.Boolean}
    schema: dict[str, Any] = {"order": pl.UInt32}
    schema.update({column: types.get(column, pl.String) for column in MATCH_COLUMNS})
    schema.update(evidence_rank=pl.Int64, status_rank=pl.Int64)
    return pl.DataFrame(schema=schema)


def _profile_matches(  # noqa: PLR0917 - one call site, every argument needed
    samples: pl.DataFrame,
    drug: Drug,
    profile: DrugProfile,
    node: str,
    labels: pl.Expr,
    protocol: Protocol,
    lineages: Mapping[str, frozenset[str]],
    approvals: Sequence[_Approval],
) -> pl.LazyFrame:
    truth, hits = pl.col(f"{node}_t"), pl.col(f"{node}_h")
    matched = (truth == _TRUE) | ((truth == _UNKNOWN) & hits)
    if profile.tumour_groups:
        matched = matched & pl.col("tumour_group").is_in(list(profile.tumour_groups))
    rows = samples.lazy().filter(matched)
    biomarker = profile.biomarker.name
    statuses: list[pl.Expr] = [pl.when(truth == _UNKNOWN).then(1).otherwise(0).cast(pl.Int8)]
    rows = rows.with_columns(labels.list.unique(maintain_order=True).alias("_labels"))
    what = profile.biomarker.rule.describe()
    found = pl.col("_labels").list.join(", ")
    reasons: list[pl.Expr] = [
        pl.when(truth == _TRUE)
        .then(pl.concat_str([found, pl.lit(f" satisfies {what}")]))
        .when(found != "")
        .then(pl.concat_str([pl.lit("biomarker to be confirmed: "), found, pl.lit(f" may satisfy {what}")]))
        .otherwise(pl.lit(f"biomarker to be confirmed: {what}"))
    ]
    unknown_parts: list[pl.Expr] = []
    eligibility = protocol.eligibility_for(drug)
    general = protocol.eligibility
    for criterion in eligibility.criteria:
        status, reason = _criterion_columns(criterion, own=general.criterion(criterion.name) != criterion)
        statuses.append(status)
        reasons.append(pl.when(status == 2).then(reason))
        unknown_parts.append(pl.when(status == 1).then(reason))
    if eligibility.excluded_prior_therapies:
        statuses.append(pl.lit(1, dtype=pl.Int8))
        unknown_parts.append(pl.lit("prior therapies unknown"))
    if unknown_parts:
        joined = pl.concat_list(unknown_parts).list.drop_nulls().list.join("; ")
        reasons.append(pl.when(joined != "").then(pl.concat_str([pl.lit("to be confirmed: "), joined])))
    excluded = [code for code, lineage in lineages.items() if lineage & set(profile.excluded_tumour_types)]
    if excluded:
        is_excluded = pl.col("tumour_type").is_in(excluded)
        statuses.append(pl.when(is_excluded).then(2).otherwise(0).cast(pl.Int8))
        why = profile.exclusion_reason or "excluded for this biomarker by the protocol"
        reasons.append(
            pl.when(is_excluded).then(
                pl.concat_str([pl.lit("tumour type "), pl.col("tumour_type"), pl.lit(f" is excluded: {why}")])
            )
        )
    # The approval must rest on the same results as this match (entrectinib's NTRK approval does not
    # make its ROS1 match on-label): the first of the drug's approvals whose labels overlap.
    # Overlap is tested by counting distinct labels (|A| + |B| > |A u B|) rather than with
    # list.set_intersection, which panicked intermittently inside polars' thread pool.
    shared = [pl.when(item.approved & _labels_overlap(item.labels)).then(pl.lit(item.text)) for item in approvals]
    label_text = pl.coalesce(shared) if shared else None
    on_label = label_text.is_not_null() if label_text is not None else pl.lit(False)
    statuses.append(pl.when(on_label).then(2).otherwise(0).cast(pl.Int8))
    reason_list = [label_text, *reasons] if label_text is not None else reasons
    name = pl.concat_str([pl.lit(f"{biomarker} / "), pl.col("tumour_group"), pl.lit(f" / {drug.display_name}")])
    eligibility_code = pl.max_horizontal(statuses)
    return rows.select(
        pl.col("order"),
        pl.col("sample_id"),
        pl.lit(drug.key).alias("drug"),
        pl.lit(biomarker).alias("biomarker"),
        pl.when(on_label).then(pl.lit(None, dtype=pl.String)).otherwise(name).alias("cohort"),
        pl.lit(str(profile.evidence)).alias("evidence"),
        eligibility_code.replace_strict(dict(enumerate(_ELIGIBILITY)), return_dtype=pl.String).alias("eligibility"),
        on_label.alias("on_label"),
        pl.concat_list(reason_list).list.drop_nulls().list.join(" | ").alias("reasons"),
        (eligibility_code == 0).alias("eligible"),
        name.alias("cohort_name"),
        pl.col("tumour_type"),
        pl.col("tumour_group"),
        pl.lit(profile.source).alias("evidence_source"),
        found.alias("alterations"),
        pl.col("entered_tumour_type"),
        pl.lit(EvidenceLevel(profile.evidence).rank, dtype=pl.Int64).alias("evidence_rank"),
        pl.when(on_label).then(4).otherwise(1).cast(pl.Int64).alias("status_rank"),
    )


def screen_profiles(
    profiles: Sequence[MolecularProfile],
    patients: Mapping[str, PatientFacts],
    protocol: Protocol,
    tumour_types: TumourTypes,
) -> ScreeningResult:
    """Batch-screen profiles read from files; ``patients`` maps sample_id -> tumour type, age, ECOG."""
    return screen(alteration_frame(profiles), sample_frame(profiles, patients), protocol, tumour_types)


def protocol_leaves(protocol: Protocol) -> tuple[Leaf, ...]:
    """The distinct leaves the batch screen compiles (for diagnostics and the benchmark)."""
    seen: dict[Leaf, None] = {}
    for drug in protocol.drugs:
        for profile in drug.profiles:
            for leaf in iter_leaves(profile.biomarker.rule):
                seen.setdefault(leaf, None)
    return tuple(seen)
