"""Protein-change notation: parse with the biocommons HGVS grammar, keep both forms.

A :class:`ProteinChange` mirrors the notation (in the manner of biocommons/hgvs): it prints back to
its short one-letter form (``p.V600E``, ``p.E746_A750del``, ``p.Q61*``, ``p.K17fs``) and keeps the
full three-letter HGVS form with its transcript (``NP_004324.2:p.(Val600Glu)``). Matching uses the
short form and the parsed parts (codon, span, edit type), never string surgery on raw cells.

Source: HGVS Nomenclature v21 (varnomen.hgvs.org), protein section. The grammar is the one shipped
by the ``hgvs`` package; it is pure parsing (no reference data, no network).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from oncobasket.core.errors import InputError


class ProteinEdit(StrEnum):
    """What happened to the protein (HGVS protein edit types, with nonsense and synonymous split out)."""

    MISSENSE = "missense"
    NONSENSE = "nonsense"
    SYNONYMOUS = "synonymous"
    DELETION = "deletion"
    INSERTION = "insertion"
    DELINS = "delins"
    DUPLICATION = "duplication"
    FRAMESHIFT = "frameshift"
    EXTENSION = "extension"  # stop lost or start extension
    START_LOST = "start_lost"
    UNKNOWN = "unknown"


#: edits that truncate the protein (loss of function of a tumour suppressor).
TRUNCATING_EDITS = frozenset({ProteinEdit.NONSENSE, ProteinEdit.FRAMESHIFT, ProteinEdit.START_LOST})


@dataclass(frozen=True, slots=True)
class ProteinChange:
    """One parsed protein change.

    ``start_aa``/``start_position`` name the first residue affected (``V``, 600 for ``p.V600E``),
    ``end_position`` the last for ranges; ``alt`` the new residues in one-letter code.
    """

    short: str
    hgvs: str
    edit: ProteinEdit
    start_aa: str
    start_position: int
    end_aa: str | None = None
    end_position: int | None = None
    alt: str | None = None
    transcript: str | None = None
    predicted: bool = False

    def __str__(self) -> str:
        return self.short

    @property
    def codon(self) -> str:
        """The first affected codon, e.g. ``V600`` (what a codon wildcard such as V600x matches)."""
        return f"{self.start_aa}{self.start_position}"

    @property
    def is_truncating(self) -> bool:
        return self.edit in TRUNCATING_EDITS

    def spans(self, first: int, last: int) -> bool:
        """True when the change lies wholly inside residues ``first``..``last``."""
        end = self.end_position if self.end_position is not None else self.start_position
        return first <= self.start_position and end <= last


_parser: Any = None

# TSO500 writes synonymous changes inside the c. notation: ``NM_004958.3:c.2997C>T(p.(Asn999=))``.
_EMBEDDED_P = re.compile(r"\(p\.(\(.*\)|[^()]*)\)\s*$")


def _hgvs_parser() -> Any:
    global _parser  # noqa: PLW0603 - building the grammar once is the expensive part (~0.1 s)
    if _parser is None:
        import hgvs.parser

        _parser = hgvs.parser.Parser()
    return _parser


def parse_protein_change(text: str | None, transcript: str | None = None) -> ProteinChange | None:
    """Parse a protein change as labs write it; None for an empty, ``NA`` or ``p.?``/``p.0`` cell.

    Accepts ``p.V600E``, ``p.Val600Glu``, ``p.(Lys17Arg)``, ``NP_003811.2:p.(Lys17Arg)``,
    ``V600E`` (MAF ``Protein_Change`` without ``p.``) and TSO500's embedded synonymous form
    ``NM_004958.3:c.2997C>T(p.(Asn999=))``. Raises :class:`InputError` (``field='protein change'``)
    for text that is not HGVS protein notation; callers add the file and line.
    """
    if text is None:
        return None
    cleaned = text.strip()
    if cleaned in {"", "NA", ".", "-", "p.?", "p.0", "p.(?)", "p.(0)", "p.=", "p.(=)"}:
        return None
    return _parse_cached(cleaned, transcript)


@lru_cache(maxsize=131072)
def _parse_cached(cleaned: str, transcript: str | None) -> ProteinChange:
    # Real trial data repeat the same changes across thousands of samples, and the grammar costs
    # about 0.4 ms a parse: caching keeps a TSO500 file well under a few milliseconds.
    accession = transcript
    body = cleaned
    embedded = _EMBEDDED_P.search(body)
    if embedded and ":c." in body:
        # The accession there is the coding transcript (NM_), kept as the variant's transcript.
        accession = transcript or body.split(":", 1)[0]
        body = "p." + embedded.group(1)
    elif ":" in body:
        accession, body = body.split(":", 1)
    if not body.startswith("p."):
        body = "p." + body
    if body.endswith("_splice") or "splice" in body:
        raise InputError(
            f"'{cleaned}' is a splice-site label, not HGVS protein notation",
            field="protein change",
            fix="report splice-site variants by their c. notation; the protein change is unknown (p.?)",
        )
    try:
        variant = _hgvs_parser().parse_hgvs_variant(f"{accession or 'NP_000000.0'}:{body}")
    except Exception as error:  # the hgvs grammar raises several types; all mean "not HGVS"
        raise InputError(
            f"'{cleaned}' is not HGVS protein notation ({type(error).__name__})",
            field="protein change",
            fix="write it as p.V600E, p.Val600Glu or p.(Lys17Arg)",
        ) from None
    return _from_variant(variant, cleaned, accession)


def _from_variant(variant: Any, cleaned: str, accession: str | None) -> ProteinChange:
    posedit = variant.posedit
    if posedit is None or posedit.pos is None or isinstance(posedit.edit, str):
        raise InputError(
            f"'{cleaned}' names no protein position",
            field="protein change",
            fix="give a change such as p.V600E, or leave the cell empty when the effect is unknown",
        )
    start, end = posedit.pos.start, posedit.pos.end
    is_range = end is not None and (end.pos != start.pos or end.aa != start.aa)
    edit_kind = _edit_kind(posedit.edit, start.aa, start.pos)
    alt = getattr(posedit.edit, "alt", None) or None
    one_letter = variant.format(conf={"p_3_letter": False})
    three_letter = variant.format(conf={"p_3_letter": True})
    short = _short_form(one_letter.split(":", 1)[1], edit_kind)
    full = three_letter if accession else three_letter.split(":", 1)[1]
    return ProteinChange(
        short=short,
        hgvs=full,
        edit=edit_kind,
        start_aa=start.aa,
        start_position=int(start.pos),
        end_aa=end.aa if is_range else None,
        end_position=int(end.pos) if is_range else None,
        alt=_one_letter(alt),
        transcript=accession,
        predicted=bool(posedit.uncertain),
    )


def _edit_kind(edit: Any, start_aa: str, start_position: int) -> ProteinEdit:
    kind = edit.type
    alt = getattr(edit, "alt", None)
    if kind == "fs":
        return ProteinEdit.FRAMESHIFT
    if kind == "ext":
        return ProteinEdit.EXTENSION
    if kind == "dup":
        return ProteinEdit.DUPLICATION
    if kind == "identity":
        return ProteinEdit.SYNONYMOUS
    if kind == "sub":
        if start_position == 1 and start_aa in {"M", "Met"}:
            return ProteinEdit.START_LOST
        if alt in {"*", "Ter"}:
            return ProteinEdit.NONSENSE
        if alt == "?":
            return ProteinEdit.UNKNOWN
        return ProteinEdit.SYNONYMOUS if alt == start_aa else ProteinEdit.MISSENSE
    if kind == "del":
        return ProteinEdit.DELETION
    if kind == "ins":
        return ProteinEdit.INSERTION
    if kind == "delins":
        return ProteinEdit.NONSENSE if alt in {"*", "Ter"} else ProteinEdit.DELINS
    return ProteinEdit.UNKNOWN


def _short_form(one_letter: str, edit: ProteinEdit) -> str:
    """``p.(K17R)`` -> ``p.K17R``; frameshifts to ``p.K17fs`` (the form drug rules and labels use)."""
    body = one_letter[2:]
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    if edit is ProteinEdit.FRAMESHIFT:
        body = re.sub(r"^([A-Z*]\d+)[A-Z*]?fs.*$", r"\1fs", body)
    return "p." + body


_THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G",
    "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
    "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U", "Pyl": "O", "Xaa": "X",
}  # fmt: skip


def _one_letter(residues: str | None) -> str | None:
    if residues is None:
        return None
    if len(residues) >= 3 and residues[:3] in _THREE_TO_ONE:
        return "".join(_THREE_TO_ONE.get(residues[i : i + 3], "?") for i in range(0, len(residues), 3))
    return residues
