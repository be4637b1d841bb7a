"""Protein-change notation: parse with the biocommons HGVS grammar, keep both forms.

A :class:`ProteinChange` mirrors the notation (in the manner of biocommons/hgvs): it prints back to
its short one-letter form (``p.V600E``, ``p.E746_A750del``, ``p.Q61*``, ``p.K17fs``) and keeps the
full three-letter HGVS form, prefixed by its protein accession when the input names one
(``NP_004324.2:p.(Val600Glu)``), and the accession the input gave (``transcript``). Matching uses the
short form and the parsed parts (codon, span, edit type), never string surgery on raw cells.

Source: HGVS Nomenclature v21 (varnomen.hgvs.org), protein section. The grammar is the one shipped
by the ``hgvs`` package; it is pure parsing (no reference data, no network).
"""

from __future__ import annotations

import gc
import re
import warnings
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
    ``end_position`` the last for ranges; ``alt`` the new residues in one-letter code. ``hgvs`` is a
    valid HGVS protein description: it carries the input's accession only when that is not a
    transcript or genomic one; a transcript accession (TSO500's ``NM_004958.3:c.2997C>T(p.(Asn999=))``)
    is kept in ``transcript`` only, since ``NM_004958.3:p.(Asn999=)`` would be invalid HGVS.
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

#: nucleotide reference sequences: transcripts (RefSeq NM_/NR_/XM_/XR_, Ensembl ENST, LRG_199t1) and
#: genomic sequences (RefSeq NC_/NG_, Ensembl genes ENSG, LRG_199). HGVS describes a protein change
#: against a protein reference sequence only (HGVS Nomenclature, "Reference Sequences"), so one of
#: these before ``:p.`` is kept as the transcript but not written into the HGVS form. Other
#: accessions (NP_, ENSP, LRG_199p1, or ones this list does not know) are kept as written.
_NUCLEOTIDE_ACCESSION = re.compile(r"^(?:N[MRCG]_|X[MR]_|ENS[A-Z]*[TG]\d|LRG_\d+(?:t\d+)?$)")


def _described(accession: str | None, description: str) -> str:
    """``accession:description``, or the bare ``p.`` description when there is no accession or it
    names a transcript or genome (``NM_004958.3:p.(Asn999=)`` is not valid HGVS)."""
    if accession is None or _NUCLEOTIDE_ACCESSION.match(accession):
        return description
    return f"{accession}:{description}"


def _hgvs_parser() -> Any:
    global _parser  # noqa: PLW0603 - building the grammar once is the expensive part (~0.1 s)
    if _parser is None:
        with warnings.catch_warnings():
            # hgvs 1.5 reads its defaults.ini without closing it; the ResourceWarning is theirs, and
            # under "warnings are errors" it would surface later in whatever code runs the collector.
            warnings.simplefilter("ignore", ResourceWarning)
            import hgvs.parser

            _parser = hgvs.parser.Parser()
            gc.collect()
    return _parser


def parse_protein_change(text: str | None, transcript: str | None = None) -> ProteinChange | None:
    """Parse a protein change as labs write it; None for an empty or ``NA`` cell and for the HGVS
    forms that name no changed residue (``p.?``, ``p.0``, ``p.0?``, ``p.=`` and their predicted forms).

    Accepts ``p.V600E``, ``p.Val600Glu``, ``p.(Lys17Arg)``, ``NP_003811.2:p.(Lys17Arg)``,
    ``V600E`` (MAF ``Protein_Change`` without ``p.``), TSO500's embedded synonymous form
    ``NM_004958.3:c.2997C>T(p.(Asn999=))`` and the legacy dialects of :func:`_legacy_to_hgvs`.
    Raises :class:`InputError` (``field='protein change'``) for text that is not HGVS protein
    notation; callers add the file and line.
    """
    if text is None:
        return None
    cleaned = text.strip()
    if cleaned in {"", "NA", ".", "-", "p.?", "p.0", "p.(?)", "p.(0)", "p.=", "p.(=)", "p.0?", "p.(0?)"}:
        return None
    return _parse_cached(cleaned, transcript)


#: COSMIC writes the deleted residues after ``del`` (``p.E746_A750delELREA``), which HGVS dropped.
_DELETED_RESIDUES = re.compile(r"^(p\.\(?[A-Z][a-z]{0,2}\d+(?:_[A-Z][a-z]{0,2}\d+)?del)(?:[A-Z]|[A-Z][a-z]{2})+(\)?)$")
#: Oncotator (Broad, TCGA MAFs) names every reference residue of a frameshift or deletion before
#: the first position: ``p.WQ288fs`` (W288 and Q289), ``p.SG140del`` (S140 and G141).
_RESIDUE_RUN = re.compile(r"^p\.([A-Z*]{2,})(\d+)(fs|del)$")
#: In older HGVS, and still in many MAFs and COSMIC, a one-letter ``X`` after the position is a stop.
_LEGACY_STOP = re.compile(r"^(p\.\(?[A-Z]\d+)X(\)?)$")


def _legacy_to_hgvs(body: str) -> str:
    """Rewrite three legacy protein dialects to HGVS before the grammar reads them.

    Sources: COSMIC mutation nomenclature (deleted residues spelled out); Oncotator
    ``Protein_Change`` (reference residue runs); older HGVS recommendations, where ``X`` was a stop
    codon, which the 2016 update (den Dunnen et al., Hum Mutat 2016) replaced by ``*``/``Ter``.
    Anything else is passed through unchanged for the grammar to accept or refuse.
    """
    if (match := _LEGACY_STOP.match(body)) is not None:
        return f"{match.group(1)}*{match.group(2)}"
    if (match := _DELETED_RESIDUES.match(body)) is not None:
        return f"{match.group(1)}{match.group(2)}"
    if (match := _RESIDUE_RUN.match(body)) is not None:
        residues, first, edit = match.group(1), int(match.group(2)), match.group(3)
        if edit == "fs":
            return f"p.{residues[0]}{first}fs"
        return f"p.{residues[0]}{first}_{residues[-1]}{first + len(residues) - 1}del"
    return body


@lru_cache(maxsize=131072)
def _parse_cached(cleaned: str, transcript: str | None) -> ProteinChange | None:
    # Real trial data repeat the same changes across thousands of samples, and the grammar costs
    # about 1 ms a parse: caching keeps a TSO500 file well under a few milliseconds.
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
    body = _legacy_to_hgvs(body)
    if body.endswith("_splice") or "splice" in body:
        raise InputError(
            f"'{cleaned}' is a splice-site label, not HGVS protein notation",
            field="protein change",
            fix="report splice-site variants by their c. notation; the protein change is unknown (p.?)",
        )
    quick = _fast_path(accession, body)
    if quick is not None:
        return quick
    return _from_variant(_grammar_variant(accession, body, cleaned), cleaned, accession)


def _grammar_variant(accession: str | None, body: str, cleaned: str) -> Any:
    """The biocommons grammar's reading of ``accession:body`` (about 1 ms a call)."""
    try:
        return _hgvs_parser().parse_p_variant(f"{accession or 'NP_000000.0'}:{body}")
    except Exception as error:  # the hgvs grammar raises several types; all mean "not HGVS"
        raise InputError(
            f"'{cleaned}' is not HGVS protein notation ({type(error).__name__})",
            field="protein change",
            fix="write it as p.V600E, p.Val600Glu or p.(Lys17Arg)",
        ) from None


_AMINO_ACIDS = {
    "A": "A", "R": "R", "N": "N", "D": "D", "C": "C", "Q": "Q", "E": "E", "G": "G", "H": "H", "I": "I",
    "L": "L", "K": "K", "M": "M", "F": "F", "P": "P", "S": "S", "T": "T", "W": "W", "Y": "Y", "V": "V",
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G",
    "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
    "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V",
}  # fmt: skip
_STOPS = {"*": "*", "Ter": "*"}
# The fast-path patterns below are applied with fullmatch (``$`` would also accept a trailing newline,
# which the grammar refuses) and take ASCII digits only, at most nine of them without a leading zero:
# the grammar reads ``p.V0E`` and ``p.V0600E`` (as p.V600E), and Python's ``\d``/``int`` accept
# non-ASCII digits and refuse numbers over 4300 digits; all of those are left to the grammar.
_POSITION = r"([1-9][0-9]{0,8})"
_SUBSTITUTION = re.compile(r"p\.(\(?)([A-Z](?:[a-z]{2})?)" + _POSITION + r"([A-Z*](?:[a-z]{2})?|=)(\)?)")
#: ``p.K17fs``, ``p.K17Rfs*5``, ``p.(Lys17ArgfsTer5)``, ``p.Lys17ArgfsTer?``: a frameshift at one residue,
#: with or without the new residue and the stop (``*``/``Ter`` with its position, ``?`` or none).
_FRAMESHIFT = re.compile(
    r"p\.(\(?)([A-Z](?:[a-z]{2})?)" + _POSITION + r"([A-Z](?:[a-z]{2})?)?fs(?:(?:\*|Ter)([1-9][0-9]{0,8}|\?)?)?(\)?)"
)
#: The accessions the grammar's ``accn`` rule reads (a letter, then letters and digits with single
#: ``-``/``_`` between them, then an optional ``.version``), ASCII only. The grammar refuses
#: ``NP_1.2.3:p.V600E`` or ``1:p.V600E``; the fast path must not accept them either, so any accession
#: this does not match (including one with a gene, ``NM_004333.4(BRAF)``) is left to the grammar.
_GRAMMAR_ACCESSION = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|[-_](?=[A-Za-z0-9]))*(?:\.[0-9]+)?")


def _fast_path(accession: str | None, body: str) -> ProteinChange | None:
    """The commonest shapes read without the grammar (substitutions, synonymous changes and simple
    frameshifts); None for anything else, which the grammar then reads (and accepts or refuses).

    On a corpus where every change is distinct, the grammar parse (about 1 ms) is most of the
    reading time. Property tests (tests/test_protein.py) check that whenever this returns a change,
    the grammar path returns the same :class:`ProteinChange`, for generated valid and near-valid
    text, including text the grammar refuses.
    """
    # An empty accession is read as none by both paths (see _grammar_variant).
    if accession and _GRAMMAR_ACCESSION.fullmatch(accession) is None:
        return None
    quick = _substitution(accession, body)
    if quick is None:
        quick = _frameshift(accession, body)
    return quick


def _substitution(accession: str | None, body: str) -> ProteinChange | None:
    """The commonest shapes read without the grammar: one residue replaced by another, by a stop or
    by itself (``p.V600E``, ``p.Val600Glu``, ``p.(Q61*)``, ``p.(Asn999=)``); None for anything else,
    which the grammar reads.

    Missense and nonsense changes are most rows of every MAF and VCF, and the grammar costs about
    1 ms a parse. A property test checks that this path and the grammar give the same
    :class:`ProteinChange` for every generated substitution.
    """
    match = _SUBSTITUTION.fullmatch(body)
    if match is None:
        return None
    opening, ref_text, position, alt_text, closing = match.groups()
    ref = _AMINO_ACIDS.get(ref_text)
    if alt_text == "=":
        return _synonymous(
            accession, ref, int(position), predicted=bool(opening), balanced=bool(opening) == bool(closing)
        )
    alt = _AMINO_ACIDS.get(alt_text) or _STOPS.get(alt_text)
    if ref is None or alt is None or ref == alt or bool(opening) != bool(closing):
        return None
    if (len(alt_text) == 3) != (len(ref_text) == 3) and alt_text != "*":
        return None  # mixed one- and three-letter codes: let the grammar judge
    start = int(position)
    if start == 1 and ref == "M":
        edit = ProteinEdit.START_LOST
    elif alt == "*":
        edit = ProteinEdit.NONSENSE
    else:
        edit = ProteinEdit.MISSENSE
    three = f"{_ONE_TO_THREE[ref]}{start}{_ONE_TO_THREE[alt]}"
    full = f"p.({three})" if opening else f"p.{three}"
    return ProteinChange(
        short=f"p.{ref}{start}{alt}",
        hgvs=_described(accession, full),
        edit=edit,
        start_aa=ref,
        start_position=start,
        alt=alt,
        transcript=accession,
        predicted=bool(opening),
    )


def _frameshift(accession: str | None, body: str) -> ProteinChange | None:
    """``p.K17fs``, ``p.K17Rfs*5``, ``p.(Lys17ArgfsTer5)``: the frameshift shapes MAFs, VCF annotations
    and TSO500 write; None for anything else (``X`` or a stop as the new residue, ``fsX5``, a stop at
    0), which the grammar reads.

    The grammar writes canonical three-letter forms whatever the input mixes (``p.Lys17Rfs*5`` and
    ``p.K17ArgfsTer5`` both read as ``p.Lys17ArgfsTer5``), so mixed codes are read here too; a
    frameshift without a stop position has no ``Ter`` (see :func:`_from_variant`).
    """
    match = _FRAMESHIFT.fullmatch(body)
    if match is None:
        return None
    opening, ref_text, position, alt_text, length, closing = match.groups()
    ref = _AMINO_ACIDS.get(ref_text)
    alt = _AMINO_ACIDS.get(alt_text) if alt_text is not None else None
    if ref is None or (alt_text is not None and alt is None) or bool(opening) != bool(closing):
        return None
    start = int(position)
    stop = f"Ter{length}" if length is not None else ""
    three = f"{_ONE_TO_THREE[ref]}{start}{_ONE_TO_THREE[alt] if alt else ''}fs{stop}"
    full = f"p.({three})" if opening else f"p.{three}"
    return ProteinChange(
        short=f"p.{ref}{start}fs",
        hgvs=_described(accession, full),
        edit=ProteinEdit.FRAMESHIFT,
        start_aa=ref,
        start_position=start,
        alt=alt,
        transcript=accession,
        predicted=bool(opening),
    )


def _synonymous(
    accession: str | None, ref: str | None, start: int, *, predicted: bool, balanced: bool
) -> ProteinChange | None:
    """``p.(Asn999=)``: TSO500 reports every synonymous variant this way, often 40 % of a file's rows."""
    if ref is None or not balanced:
        return None
    three = f"{_ONE_TO_THREE[ref]}{start}="
    full = f"p.({three})" if predicted else f"p.{three}"
    return ProteinChange(
        short=f"p.{ref}{start}=",
        hgvs=_described(accession, full),
        edit=ProteinEdit.SYNONYMOUS,
        start_aa=ref,
        start_position=start,
        transcript=accession,
        predicted=predicted,
    )


def _from_variant(variant: Any, cleaned: str, accession: str | None) -> ProteinChange | None:
    posedit = variant.posedit
    if posedit is None or posedit.pos is None or isinstance(posedit.edit, str):
        # Valid HGVS that names no changed residue (p.?, p.0?, p.=): there is no protein change to keep.
        return None
    start, end = posedit.pos.start, posedit.pos.end
    is_range = end is not None and (end.pos != start.pos or end.aa != start.aa)
    edit_kind = _edit_kind(posedit.edit, start.aa, start.pos)
    alt = getattr(posedit.edit, "alt", None) or None
    one_letter = variant.format(conf={"p_3_letter": False})
    three_letter = variant.format(conf={"p_3_letter": True})
    short = _short_form(one_letter.split(":", 1)[1], edit_kind)
    full = three_letter.split(":", 1)[1]
    if edit_kind is ProteinEdit.FRAMESHIFT and posedit.edit.length is None:
        # biocommons writes a frameshift without a stop position as 'fsTer' (p.Lys17fsTer), which HGVS
        # does not allow: the short frameshift is p.Lys17fs, and 'Ter' comes only with its position
        # (p.Lys17ArgfsTer5) or '?' (p.Lys17ArgfsTer?) (HGVS Nomenclature, protein frameshift).
        closing = ")" if full.endswith(")") else ""
        full = full.removesuffix(")").removesuffix("Ter") + closing
    if edit_kind is ProteinEdit.SYNONYMOUS and alt is not None:
        # MAFs write p.N1347N; HGVS and TSO500 write p.(Asn999=): one form, so matching sees one value.
        short = f"p.{start.aa}{start.pos}="
        closing = ")" if full.endswith(")") else ""
        full = full.removesuffix(")")[:-3] + "=" + closing
        alt = None
    return ProteinChange(
        short=short,
        hgvs=_described(accession, full),
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
        if start_aa in {"*", "Ter"} and alt not in {"*", "Ter"}:
            return ProteinEdit.EXTENSION  # a stop codon replaced: stop lost (HGVS writes p.*757Lext*?)
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


_ONE_TO_THREE = {one: three for three, one in _THREE_TO_ONE.items()}


def _one_letter(residues: str | None) -> str | None:
    if residues is None:
        return None
    if len(residues) >= 3 and residues[:3] in _THREE_TO_ONE:
        return "".join(_THREE_TO_ONE.get(residues[i : i + 3], "?") for i in range(0, len(residues), 3))
    return residues
