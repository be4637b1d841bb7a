"""What a small variant does to the protein: the one vocabulary of both matching engines.

The per-profile engine (:mod:`oncobasket.core.matching`) and the batch screen
(:mod:`oncobasket.core.screening`) must give the same matches for every sample (docs/screening.md),
so the terms and tests they share are defined once, here. The rule semantics are those of
docs/matching.md ("Rule kinds"): a parsed protein change decides when there is one, else the MAF
Variant_Classification and the Sequence Ontology consequences.

Pure: no files, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from oncobasket.core.errors import InputError
from oncobasket.core.profiles import Alteration
from oncobasket.core.protein import ProteinChange, ProteinEdit, parse_protein_change
from oncobasket.core.protocol import ExonEdit

#: MAF Variant_Classification values that leave the protein unchanged (GDC MAF format specification;
#: Splice_Region lies outside the canonical +-1/2 splice sites).
NON_CODING_CLASSES = frozenset(
    {"Silent", "Intron", "3'UTR", "5'UTR", "3'Flank", "5'Flank", "IGR", "RNA", "lincRNA", "Splice_Region"}
)
#: MAF Variant_Classification values that truncate the protein: nonsense, frameshift, canonical splice
#: site, start loss (GDC MAF format specification).
TRUNCATING_CLASSES = frozenset(
    {"Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins", "Splice_Site", "Translation_Start_Site"}
)
#: Sequence Ontology consequence terms (as Ensembl VEP writes them) that truncate the protein.
TRUNCATING_CONSEQUENCES = frozenset(
    {"stop_gained", "frameshift_variant", "splice_donor_variant", "splice_acceptor_variant", "start_lost"}
)
#: Sequence Ontology terms of a variant at the canonical splice donor or acceptor site.
SPLICE_CONSEQUENCES = frozenset({"splice_donor_variant", "splice_acceptor_variant"})

#: protein edits that keep the reading frame (HGVS protein edit types): hotspot and exon rules.
IN_FRAME_EDITS = frozenset(
    {ProteinEdit.MISSENSE, ProteinEdit.DELINS, ProteinEdit.DELETION, ProteinEdit.INSERTION, ProteinEdit.DUPLICATION}
)
#: edits a codon wildcard (V600x) counts: missense and delins changes starting at the codon.
CODON_EDITS = frozenset({ProteinEdit.MISSENSE, ProteinEdit.DELINS})
#: in-frame MAF classifications that place a variant in an exon rule when no protein change can be
#: placed (the laboratory's own exon annotation decides then; docs/matching.md, ``exon``).
EXON_CLASSES: Mapping[ExonEdit, frozenset[str]] = MappingProxyType(
    {
        ExonEdit.DELETION: frozenset({"In_Frame_Del"}),
        ExonEdit.INSERTION: frozenset({"In_Frame_Ins"}),
        ExonEdit.ANY: frozenset({"In_Frame_Del", "In_Frame_Ins", "Missense_Mutation"}),
    }
)

# c. anchor of a coding change: c.3028+1G>T -> (3028, +1); c.2888-2A>G -> (2888, -2).
_CDS_ANCHOR = re.compile(r"c\.(\d+)([+-]\d+)?")
_EXON_NUMBER = re.compile(r"^\s*(\d+)")


def protein_of(alteration: Alteration) -> ProteinChange | None:
    """The parsed protein change of a variant, or None when it has none or it is not HGVS."""
    try:
        return parse_protein_change(alteration.protein_change, alteration.transcript)
    except InputError:
        # A splice label or other non-HGVS text: the variant is still judged by its classification.
        return None


def is_coding(alteration: Alteration, protein: ProteinChange | None) -> bool:
    """Protein-changing: by the parsed change, else by the MAF classification (a variant with neither
    counts as coding; docs/matching.md, ``mutation``)."""
    if protein is not None:
        return protein.edit not in {ProteinEdit.SYNONYMOUS, ProteinEdit.UNKNOWN}
    return alteration.variant_classification not in NON_CODING_CLASSES


def is_truncating(alteration: Alteration, protein: ProteinChange | None) -> bool:
    """Nonsense, frameshift or start loss by the parsed change, or a truncating classification or
    consequence (docs/matching.md, ``truncating``)."""
    if protein is not None and protein.is_truncating:
        return True
    if alteration.variant_classification in TRUNCATING_CLASSES:
        return True
    return any(item in TRUNCATING_CONSEQUENCES for item in alteration.consequences)


def is_splice(alteration: Alteration) -> bool:
    """At a canonical splice site: classification Splice_Site or a splice donor/acceptor consequence."""
    return alteration.variant_classification == "Splice_Site" or any(
        item in SPLICE_CONSEQUENCES for item in alteration.consequences
    )


def exon_number(exon: str | None) -> int | None:
    """The exon number of a TSO500-style exon cell (``19``, ``19/28``, ``14/21``)."""
    if exon is None:
        return None
    found = _EXON_NUMBER.match(exon)
    return int(found.group(1)) if found else None


def cds_anchor(coding_change: str | None) -> tuple[int, int | None] | None:
    """(position, intronic offset) of a c. change: c.3028+1G>T -> (3028, 1); c.2888-2A>G -> (2888, -2);
    c.2200A>G -> (2200, None). None when the text has no c. position."""
    found = _CDS_ANCHOR.search(coding_change or "")
    if found is None:
        return None
    offset = found.group(2)
    return int(found.group(1)), int(offset) if offset is not None else None
