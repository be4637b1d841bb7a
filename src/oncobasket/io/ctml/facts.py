"""The patient's side of the CTML leaves that are decided from single facts rather than by the rule
engine: the MAF Variant_Classification of a variant, structural variants with ``any_gene`` or
``intergenic`` sides, TMB comparisons, receptor statuses and mutational signatures.

Each function answers with the facts it found, so that the explanation can name them; the semantics
are matchengine-V2's (its configuration maps each CTML key to one field compared as written: docs/ctml.md,
"Conformance with MatchMiner").
"""

from __future__ import annotations

from collections.abc import Mapping

from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile
from oncobasket.core.protein import ProteinEdit
from oncobasket.core.variant_effects import protein_of
from oncobasket.io.ctml.model import ANY_GENE, INTERGENIC, Classification, StructuralVariant

#: Sequence Ontology consequence (as Ensembl VEP writes it) -> MAF Variant_Classification (GDC MAF
#: format specification; VEP's own mapping in vcf2maf), for variants read from a VCF or TSO500 output.
_CONSEQUENCE_CLASSES: Mapping[str, tuple[str, ...]] = {
    "missense_variant": ("Missense_Mutation",),
    "stop_gained": ("Nonsense_Mutation",),
    "stop_lost": ("Nonstop_Mutation",),
    "start_lost": ("Translation_Start_Site",),
    "splice_acceptor_variant": ("Splice_Site",),
    "splice_donor_variant": ("Splice_Site",),
    "inframe_deletion": ("In_Frame_Del",),
    "inframe_insertion": ("In_Frame_Ins",),
    "synonymous_variant": ("Silent",),
    "frameshift_variant": ("Frame_Shift_Del", "Frame_Shift_Ins"),
}
#: HGVS protein edit -> MAF Variant_Classification, when a variant carries neither a MAF class nor a
#: consequence.
_EDIT_CLASSES: Mapping[ProteinEdit, tuple[str, ...]] = {
    ProteinEdit.MISSENSE: ("Missense_Mutation",),
    ProteinEdit.NONSENSE: ("Nonsense_Mutation",),
    ProteinEdit.SYNONYMOUS: ("Silent",),
    ProteinEdit.DELETION: ("In_Frame_Del",),
    ProteinEdit.INSERTION: ("In_Frame_Ins",),
    ProteinEdit.DUPLICATION: ("In_Frame_Ins",),
    ProteinEdit.FRAMESHIFT: ("Frame_Shift_Del", "Frame_Shift_Ins"),
    ProteinEdit.START_LOST: ("Translation_Start_Site",),
    ProteinEdit.EXTENSION: ("Nonstop_Mutation",),
}


def variant_classes(alteration: Alteration) -> frozenset[str]:
    """The MAF Variant_Classification of a small variant, lower-cased: the MAF's own value, else from
    its consequences, else from its protein change. A frameshift read from a VCF, whose direction the
    consequence does not say, is both Frame_Shift_Del and Frame_Shift_Ins unless REF/ALT tell."""
    if alteration.variant_classification:
        return frozenset({alteration.variant_classification.lower()})
    found: set[str] = set()
    for consequence in alteration.consequences:
        found.update(_CONSEQUENCE_CLASSES.get(consequence, ()))
    if not found:
        protein = protein_of(alteration)
        if protein is not None:
            found.update(_EDIT_CLASSES.get(protein.edit, ()))
    if {"Frame_Shift_Del", "Frame_Shift_Ins"} <= found and alteration.ref and alteration.alt:
        found.discard("Frame_Shift_Ins" if len(alteration.ref) > len(alteration.alt) else "Frame_Shift_Del")
    return frozenset(name.lower() for name in found)


def classification_hits(leaf: Classification, profile: MolecularProfile | None) -> list[Alteration]:
    """The usable small variants of the leaf's gene whose classification is the leaf's."""
    if profile is None:
        return []
    wanted = leaf.classification.lower()
    return [
        alteration
        for alteration in profile.alterations
        if alteration.usable
        and alteration.gene == leaf.gene
        and alteration.kind in {AlterationKind.MUTATION, AlterationKind.SPLICE_VARIANT}
        and wanted in variant_classes(alteration)
    ]


def structural_variant_hits(leaf: StructuralVariant, profile: MolecularProfile | None) -> list[Alteration]:
    """Usable fusions whose two sides fit the leaf's in either orientation (matchengine-V2 builds the
    left-right and the right-left query and takes either). A fusion's ``genes`` lists its gene partners;
    an intergenic partner is absent from it."""
    if profile is None:
        return []
    found = []
    for alteration in profile.alterations:
        if not alteration.usable or alteration.kind is not AlterationKind.FUSION:
            continue
        genes = list(dict.fromkeys(alteration.genes or (alteration.gene,)))
        sides: list[str | None] = [genes[0] if genes else None, genes[1] if len(genes) > 1 else None]
        if any(
            _side_fits(leaf.gene, first) and _side_fits(leaf.partner, second) for first, second in (sides, sides[::-1])
        ):
            found.append(alteration)
    return found


def _side_fits(wanted: str | None, gene: str | None) -> bool:
    if wanted is None:
        return True
    if wanted == ANY_GENE:
        return gene is not None
    if wanted == INTERGENIC:
        return gene is None
    return gene == wanted


def tmb_per_mb(profile: MolecularProfile | None, markers: Mapping[str, str]) -> float | None:
    """The profile's usable TMB, else the clinical table's ``tmb`` (MatchMiner keeps TMB among the
    clinical fields: TUMOR_MUTATIONAL_BURDEN_PER_MEGABASE)."""
    if profile is not None and profile.tmb is not None and profile.tmb.usable:
        return profile.tmb.per_mb
    text = markers.get("tmb")
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def status_of(key: str, profile: MolecularProfile | None, markers: Mapping[str, str]) -> str | None:
    """A signature or receptor status: the profile's (a MAF column) first, else the clinical table's."""
    if profile is not None and key in profile.signatures:
        return profile.signatures[key]
    return markers.get(key)


def compare(value: float, comparison: str, limit: float) -> bool:
    """matchengine-V2's operators ==, >=, >, <=, < (and != for a negated ==)."""
    if comparison == ">=":
        return value >= limit
    if comparison == ">":
        return value > limit
    if comparison == "<=":
        return value <= limit
    if comparison == "<":
        return value < limit
    if comparison == "!=":
        return value != limit
    return value == limit
