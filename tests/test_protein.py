"""Protein-change notation: golden cases, the biocommons grammar cases, and round-trip properties."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncobasket.core import protein
from oncobasket.core.errors import InputError
from oncobasket.core.protein import ProteinChange, ProteinEdit, parse_protein_change

E = ProteinEdit

# text as written -> (short, hgvs, edit, transcript). Every ProteinEdit has at least one case
# (test_every_edit_kind_has_a_golden_case fails otherwise).
GOLDEN: list[tuple[str, str, str, ProteinEdit, str | None]] = [
    ("p.V600E", "p.V600E", "p.Val600Glu", E.MISSENSE, None),
    ("p.Val600Glu", "p.V600E", "p.Val600Glu", E.MISSENSE, None),
    ("V600E", "p.V600E", "p.Val600Glu", E.MISSENSE, None),
    ("  p.R132H ", "p.R132H", "p.Arg132His", E.MISSENSE, None),
    ("p.(Lys17Arg)", "p.K17R", "p.(Lys17Arg)", E.MISSENSE, None),
    ("NP_003811.2:p.(Lys17Arg)", "p.K17R", "NP_003811.2:p.(Lys17Arg)", E.MISSENSE, "NP_003811.2"),
    ("ENSP00000275493.2:p.Leu858Arg", "p.L858R", "ENSP00000275493.2:p.Leu858Arg", E.MISSENSE, "ENSP00000275493.2"),
    # TSO500's embedded form: the NM_ accession is a transcript, kept as such but not put before p.
    ("NM_004958.3:c.2997C>T(p.(Asn999=))", "p.N999=", "p.(Asn999=)", E.SYNONYMOUS, "NM_004958.3"),
    ("NM_003820.3:p.(Lys17Arg)", "p.K17R", "p.(Lys17Arg)", E.MISSENSE, "NM_003820.3"),
    (
        "ENST00000288602.6:p.(Glu746_Ala750del)",
        "p.E746_A750del",
        "p.(Glu746_Ala750del)",
        E.DELETION,
        "ENST00000288602.6",
    ),
    ("p.G12=", "p.G12=", "p.Gly12=", E.SYNONYMOUS, None),
    ("p.N1347N", "p.N1347=", "p.Asn1347=", E.SYNONYMOUS, None),
    ("p.E746_A750del", "p.E746_A750del", "p.Glu746_Ala750del", E.DELETION, None),
    ("p.Glu746_Ala750del", "p.E746_A750del", "p.Glu746_Ala750del", E.DELETION, None),
    ("p.E746_A750delELREA", "p.E746_A750del", "p.Glu746_Ala750del", E.DELETION, None),
    ("p.SG140del", "p.S140_G141del", "p.Ser140_Gly141del", E.DELETION, None),
    ("p.V769del", "p.V769del", "p.Val769del", E.DELETION, None),
    ("p.Q61*", "p.Q61*", "p.Gln61Ter", E.NONSENSE, None),
    ("p.Gln61Ter", "p.Q61*", "p.Gln61Ter", E.NONSENSE, None),
    ("p.Q61X", "p.Q61*", "p.Gln61Ter", E.NONSENSE, None),
    ("Glu182*", "p.E182*", "p.Glu182Ter", E.NONSENSE, None),
    # a frameshift without a stop position has no 'Ter' (HGVS: p.Arg97fs); with one it is p.Arg97ProfsTer23
    ("p.K17fs", "p.K17fs", "p.Lys17fs", E.FRAMESHIFT, None),
    ("p.(Lys17fs)", "p.K17fs", "p.(Lys17fs)", E.FRAMESHIFT, None),
    ("p.K17Rfs", "p.K17fs", "p.Lys17Argfs", E.FRAMESHIFT, None),
    ("p.K17Rfs*?", "p.K17fs", "p.Lys17ArgfsTer?", E.FRAMESHIFT, None),
    ("NP_003811.2:p.K17fs", "p.K17fs", "NP_003811.2:p.Lys17fs", E.FRAMESHIFT, "NP_003811.2"),
    ("p.Lys17ArgfsTer5", "p.K17fs", "p.Lys17ArgfsTer5", E.FRAMESHIFT, None),
    ("p.W288Cfs*12", "p.W288fs", "p.Trp288CysfsTer12", E.FRAMESHIFT, None),
    ("p.WQ288fs", "p.W288fs", "p.Trp288fs", E.FRAMESHIFT, None),
    ("p.A767_V769dup", "p.A767_V769dup", "p.Ala767_Val769dup", E.DUPLICATION, None),
    ("p.Ala767_Val769dup", "p.A767_V769dup", "p.Ala767_Val769dup", E.DUPLICATION, None),
    ("p.V769_D770insASV", "p.V769_D770insASV", "p.Val769_Asp770insAlaSerVal", E.INSERTION, None),
    ("p.E746_S752delinsV", "p.E746_S752delinsV", "p.Glu746_Ser752delinsVal", E.DELINS, None),
    ("p.L747_P753delinsS", "p.L747_P753delinsS", "p.Leu747_Pro753delinsSer", E.DELINS, None),
    ("p.M1?", "p.M1?", "p.Met1?", E.START_LOST, None),
    ("p.Met1Val", "p.M1V", "p.Met1Val", E.START_LOST, None),
    ("p.*757Lext*?", "p.*757Lext*?", "p.Ter757LeuextTer?", E.EXTENSION, None),
    ("p.Ter314TrpextTer45", "p.*314Wext*45", "p.Ter314TrpextTer45", E.EXTENSION, None),
    ("p.*757L", "p.*757L", "p.Ter757Leu", E.EXTENSION, None),
    ("p.Met1Valext-10", "p.M1Vext-10", "p.Met1Valext-10", E.EXTENSION, None),
    ("p.Q61?", "p.Q61?", "p.Gln61?", E.UNKNOWN, None),
]


@pytest.mark.parametrize(("text", "short", "hgvs", "edit", "transcript"), GOLDEN, ids=[case[0] for case in GOLDEN])
def test_golden_cases(text: str, short: str, hgvs: str, edit: ProteinEdit, transcript: str | None) -> None:
    change = parse_protein_change(text)
    assert change is not None
    assert (change.short, change.hgvs, change.edit, change.transcript) == (short, hgvs, edit, transcript)
    assert str(change) == short
    # The short form is a fixed point: reading it again gives it back.
    again = parse_protein_change(change.short)
    assert again is not None
    assert again.short == short
    # The full form is valid HGVS that reads back to the same change (biocommons/hgvs round trip).
    assert parse_protein_change(change.hgvs, change.transcript) == change
    assert "Ter)" not in change.hgvs
    assert not change.hgvs.endswith("fsTer")


@pytest.mark.parametrize("accession", ["NM_004958.3", "NR_003051.3", "ENST00000288602.6", "NC_000007.13", "LRG_199t1"])
def test_a_transcript_or_genomic_accession_never_prefixes_a_protein_change(accession: str) -> None:
    change = parse_protein_change(f"{accession}:p.(Lys17Arg)")
    assert change is not None
    assert (change.hgvs, change.transcript) == ("p.(Lys17Arg)", accession)
    given = parse_protein_change("p.K17fs", transcript=accession)
    assert given is not None
    assert (given.hgvs, given.transcript) == ("p.Lys17fs", accession)


@pytest.mark.parametrize(
    "accession", ["NP_003811.2", "XP_011541.1", "ENSP00000288602.6", "ENSMUSP00000001.1", "LRG_199p1"]
)
def test_a_protein_accession_prefixes_the_change(accession: str) -> None:
    change = parse_protein_change(f"{accession}:p.(Asn999=)")
    assert change is not None
    assert change.hgvs == f"{accession}:p.(Asn999=)"


def test_every_edit_kind_has_a_golden_case() -> None:
    assert {case[3] for case in GOLDEN} == set(ProteinEdit)


@pytest.mark.parametrize(
    "text", [None, "", "   ", "NA", ".", "-", "p.?", "p.(?)", "p.0", "p.(0)", "p.0?", "p.=", "p.(=)"]
)
def test_no_change_named_is_none(text: str | None) -> None:
    assert parse_protein_change(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        "p.X1445_splice",
        "X1445_splice",
        "p.599_600insDFREYEY",
        "p.604_604E>EYDLKWE",
        "p.-770fs",
        "p.V600",
        "12345",
        "p.(V600E",
        "p.Vxx600Glu",
        "c.1799T>A",
    ],
)
def test_not_protein_notation_raises_input_error(text: str) -> None:
    with pytest.raises(InputError, match="field 'protein change'") as error:
        parse_protein_change(text)
    message = str(error.value)
    assert "\n" not in message
    assert f"'{text}'" in message  # the bad value is named, then the rule and the fix
    assert "; " in message


def test_parts_of_a_change() -> None:
    deletion = parse_protein_change("NP_005219.2:p.(Glu746_Ala750del)")
    assert deletion is not None
    assert (deletion.start_aa, deletion.start_position, deletion.end_aa, deletion.end_position) == ("E", 746, "A", 750)
    assert deletion.codon == "E746"
    assert deletion.predicted
    assert deletion.spans(729, 761)  # EGFR exon 19 (residues 729-761)
    assert not deletion.spans(747, 761)
    assert not deletion.is_truncating

    insertion = parse_protein_change("p.V769_D770insASV")
    assert insertion is not None
    assert insertion.alt == "ASV"

    missense = parse_protein_change("p.Val600Glu")
    assert missense is not None
    assert (missense.codon, missense.alt, missense.end_position, missense.predicted) == ("V600", "E", None, False)
    assert missense.spans(600, 600)

    for truncating in ("p.Q61*", "p.K17fs", "p.M1?"):
        change = parse_protein_change(truncating)
        assert change is not None
        assert change.is_truncating


def test_transcript_argument_is_kept_when_the_text_has_none() -> None:
    change = parse_protein_change("p.G12C", transcript="NP_004976.2")
    assert change is not None
    assert change.transcript == "NP_004976.2"
    assert change.hgvs == "NP_004976.2:p.Gly12Cys"


# -- the biocommons hgvs grammar cases --------------------------------------------------------------

PROTEIN_RULES = {"p_posedit", "p_posedit_special", "p_typed_posedit", "p_variant"}
NO_CHANGE = {"=", "(=)", "0", "0?", "?"}


def grammar_cases(folder: Path) -> list[tuple[str, bool, str | None]]:
    """(text, valid, expected normalised form) for the protein rows of grammar_test.tsv.

    Columns: Func, Test, Valid, InType, Expected; list rows hold several cases separated by '|'.
    """
    cases = []
    for line in (folder / "hgvs" / "biocommons-hgvs__grammar_test.tsv").read_text().splitlines()[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if columns[0] not in PROTEIN_RULES:
            continue
        texts = columns[1].split("|") if columns[3] == "list" else [columns[1]]
        expected = columns[4].split("|") if len(columns) > 4 and columns[4] else []
        for index, text in enumerate(texts):
            cases.append((text, columns[2] == "True", expected[index] if index < len(expected) else None))
    return cases


@pytest.mark.shared_data
def test_biocommons_grammar_protein_cases(shared_data: Path) -> None:
    cases = grammar_cases(shared_data)
    assert len(cases) >= 50, "the protein rows of grammar_test.tsv were not found"
    for text, valid, expected in cases:
        if not valid:
            with pytest.raises(InputError):
                parse_protein_change(text)
            continue
        change = parse_protein_change(text)
        if change is None:
            assert text in NO_CHANGE or expected == "None", text
            continue
        form = expected if expected not in {None, "None"} else text
        if ":" not in form and not form.startswith("p."):
            form = "p." + form
        # The one deliberate difference: biocommons writes a frameshift without a stop position as
        # 'fsTer', which HGVS does not allow; OncoBasket writes 'fs' (p.Arg1039fs).
        form = re.sub(r"fsTer(\)?)$", r"fs\1", form)
        assert change.hgvs == form, text


@pytest.mark.shared_data
def test_biocommons_gauntlet_protein_lines(shared_data: Path) -> None:
    lines = (shared_data / "hgvs" / "biocommons-hgvs__gauntlet").read_text().splitlines()
    protein_lines = [line.strip() for line in lines if ":p." in line and not line.startswith("#")]
    assert protein_lines, "no p. lines in the gauntlet file"
    for line in protein_lines:
        change = parse_protein_change(line)
        assert change is not None
        assert change.hgvs == line


# -- properties -------------------------------------------------------------------------------------

ONE_TO_THREE = {
    "A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly", "H": "His",
    "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp",
    "Y": "Tyr", "V": "Val", "*": "Ter",
}  # fmt: skip
RESIDUES = st.sampled_from(sorted(set(ONE_TO_THREE) - {"*"}))
NEW_RESIDUES = st.sampled_from(sorted(ONE_TO_THREE))
POSITIONS = st.integers(min_value=1, max_value=40_000)


@settings(max_examples=300, deadline=None)
@given(ref=RESIDUES, position=POSITIONS, alt=NEW_RESIDUES, predicted=st.booleans())
def test_substitution_round_trips_and_codes_agree(ref: str, position: int, alt: str, predicted: bool) -> None:
    one = f"{ref}{position}{alt}"
    three = f"{ONE_TO_THREE[ref]}{position}{ONE_TO_THREE[alt]}"
    short_text = f"p.({one})" if predicted else f"p.{one}"
    long_text = f"p.({three})" if predicted else f"p.{three}"
    from_one = parse_protein_change(short_text)
    from_three = parse_protein_change(long_text)
    assert from_one is not None
    assert from_three is not None
    assert from_one == from_three
    again = parse_protein_change(from_one.short)
    assert again is not None
    assert again.short == from_one.short
    assert from_one.start_aa == ref
    assert from_one.start_position == position


@settings(max_examples=300, deadline=None)
@given(ref=RESIDUES, position=POSITIONS, alt=NEW_RESIDUES, predicted=st.booleans(), accession=st.booleans())
def test_quick_substitution_path_agrees_with_the_grammar(
    ref: str, position: int, alt: str, predicted: bool, accession: bool
) -> None:
    """The missense/nonsense shortcut must give exactly what the biocommons grammar gives."""
    body = f"p.({ref}{position}{alt})" if predicted else f"p.{ref}{position}{alt}"
    transcript = "NP_004324.2" if accession else None
    quick = protein._fast_path(transcript, body)
    grammar = protein._from_variant(protein._grammar_variant(transcript, body, body), body, transcript)
    if ref == alt:
        assert quick is None  # p.V600V is legacy synonymous notation: left to the grammar
        return
    assert isinstance(quick, ProteinChange)
    assert quick == grammar


@settings(max_examples=200, deadline=None)
@given(ref=RESIDUES, position=POSITIONS, predicted=st.booleans(), accession=st.booleans(), three=st.booleans())
def test_quick_synonymous_path_agrees_with_the_grammar(
    ref: str, position: int, predicted: bool, accession: bool, three: bool
) -> None:
    """TSO500's ``p.(Asn999=)`` shortcut must give exactly what the biocommons grammar gives."""
    residue = ONE_TO_THREE[ref] if three else ref
    body = f"p.({residue}{position}=)" if predicted else f"p.{residue}{position}="
    transcript = "NM_004958.3" if accession else None
    quick = protein._fast_path(transcript, body)
    grammar = protein._from_variant(protein._grammar_variant(transcript, body, body), body, transcript)
    assert isinstance(quick, ProteinChange)
    assert quick == grammar
    # TSO500's accession here is a transcript: kept, but never written before p. (invalid HGVS).
    assert quick.transcript == transcript
    assert quick.hgvs.startswith("p.")


# -- the fast path against the grammar: valid and near-valid text ----------------------------------
#
# protein._fast_path reads the commonest shapes with a regex instead of the biocommons grammar. It
# must never change a result: whenever it returns a change, the grammar path must return the same
# ProteinChange, and where the grammar refuses the text (InputError) the fast path must return None
# so that the grammar raises as before.

THREE_LETTER = sorted(three for one, three in ONE_TO_THREE.items() if one != "*")
ONE_LETTER = sorted(set(ONE_TO_THREE) - {"*"})

# Near-valid text is a valid change with one or two of its parts spoilt (a random string of parts
# would almost never be valid, and the fast path would never be exercised). Each part has a valid
# and a near-valid strategy.
VALID_PARTS: dict[str, st.SearchStrategy[Any]] = {
    "transcript": st.sampled_from(
        [None, "", "NP_004324.2", "NM_004958.3", "ENSP00000275493.2", "LRG_199p1", "BRAF", "A", "NP-1.2"]
    ),
    "prefix": st.just("p."),
    "parentheses": st.sampled_from([("", ""), ("(", ")")]),
    "ref": st.sampled_from(ONE_LETTER + THREE_LETTER),
    "position": st.integers(min_value=1, max_value=10**8).map(str),
    "edit": st.one_of(
        st.sampled_from([*ONE_LETTER, *THREE_LETTER, "*", "Ter", "="]),
        st.builds(
            lambda alt, stop: f"{alt}fs{stop}",
            st.sampled_from(["", *ONE_LETTER, *THREE_LETTER]),
            st.sampled_from(["", "*", "Ter", "*?", "Ter?", "*5", "Ter5", "*123", "Ter40000"]),
        ),
    ),
    "trailing": st.just(""),
}
NEAR_FRAMESHIFT_TAILS = [
    "fsX5", "fsX", "fs*0", "fsTer0", "fs*05", "fs*1000000000", "FS", "Fs", "fs*-1", "fs5", "fsTer*5", "fs**5", "fs?",
    "fs*?5", "fsTer5?", "ext*5", "del", "dup", "fs ", "fsTer 5",
]  # fmt: skip
NEAR_PARTS: dict[str, st.SearchStrategy[Any]] = {
    # accessions the grammar refuses, and a valid one with a gene that the fast path leaves to it
    "transcript": st.sampled_from(
        ["NP_1.2.3", "1", "NP 1", "NP__1", "NP_", "NP_1.", "NP_1-", "NM_004333.4(BRAF)", "NPé_1.2", "_NP1", "NP_1.2a"]
    ),
    "prefix": st.sampled_from(["p", "P.", "", "p.p.", "p. ", "c."]),
    "parentheses": st.sampled_from([("(", ""), ("", ")"), ("((", "))"), ("(", "))"), (")", "(")]),
    # codes the grammar knows but the fast path leaves to it (B, Z, U, X, Sec, Xaa, Asx), stops, misspellings
    "ref": st.sampled_from(
        ["B", "J", "O", "U", "X", "Z", "*", "Ter", "Xaa", "Sec", "Asx", "Vax", "val", "VAL", "Gl", ""]
    ),
    # position 0, leading zeros, huge, non-ASCII digits, signs, letters
    "position": st.one_of(
        st.integers(min_value=10**9, max_value=10**30).map(str),
        st.integers(min_value=0, max_value=40_000).map(lambda number: f"0{number}"),
        st.sampled_from(["0", "00", "-5", "+5", "", "६००", "1٧", "6०0", "²", "12a", "1_2"]),
    ),
    "edit": st.one_of(
        st.sampled_from(["B", "J", "U", "X", "Xaa", "Sec", "val", "?", "*5", "Glu*", "Ter*", "", "=="]),
        st.builds(
            lambda alt, tail: f"{alt}{tail}",
            st.sampled_from(["", "R", "Arg", "X", "Xaa", "*", "Ter", "U", "B", "r"]),
            st.sampled_from(NEAR_FRAMESHIFT_TAILS),
        ),
    ),
    "trailing": st.sampled_from(["\n", " ", "x", ":", "_", "\t"]),  # no ")": it could balance a spoilt "("
}


def grammar_reading(transcript: str | None, body: str) -> ProteinChange | str | None:
    """What the grammar path makes of ``transcript:body``: the change, None, or 'refused'."""
    try:
        return protein._from_variant(protein._grammar_variant(transcript, body, body), body, transcript)
    except InputError:
        return "refused"


def assert_fast_path_agrees(transcript: str | None, body: str) -> ProteinChange | None:
    quick = protein._fast_path(transcript, body)
    if quick is not None:
        assert quick == grammar_reading(transcript, body), (transcript, body)
    return quick


@settings(max_examples=300, deadline=None)
@given(
    ref=RESIDUES,
    position=POSITIONS,
    alt=st.one_of(st.none(), RESIDUES),
    stop=st.sampled_from(["", "*", "Ter"]),
    length=st.one_of(st.none(), st.integers(min_value=1, max_value=99_999), st.just("?")),
    ref_three=st.booleans(),
    alt_three=st.booleans(),
    predicted=st.booleans(),
    transcript=st.sampled_from([None, "NP_003811.2", "NM_004958.3", "ENST00000288602.6"]),
)
def test_quick_frameshift_path_agrees_with_the_grammar(
    ref: str,
    position: int,
    alt: str | None,
    stop: str,
    length: int | str | None,
    ref_three: bool,
    alt_three: bool,
    predicted: bool,
    transcript: str | None,
) -> None:
    """``p.K17fs``, ``p.K17Rfs*5``, ``p.(Lys17ArgfsTer5)`` and mixed spellings: read by the fast path,
    exactly as the grammar reads them."""
    ref_text = ONE_TO_THREE[ref] if ref_three else ref
    alt_text = "" if alt is None else ONE_TO_THREE[alt] if alt_three else alt
    tail = f"{stop}{length if length is not None and stop else ''}"
    inner = f"{ref_text}{position}{alt_text}fs{tail}"
    body = f"p.({inner})" if predicted else f"p.{inner}"
    quick = assert_fast_path_agrees(transcript, body)
    assert isinstance(quick, ProteinChange)
    assert quick.edit is ProteinEdit.FRAMESHIFT
    assert quick.short == f"p.{ref}{position}fs"
    assert not quick.hgvs.removesuffix(")").endswith("fsTer")


@settings(max_examples=300, deadline=None)
@given(
    ref=RESIDUES,
    position=POSITIONS,
    alt=NEW_RESIDUES,
    ref_three=st.booleans(),
    alt_three=st.booleans(),
    predicted=st.booleans(),
    transcript=st.sampled_from([None, "NP_004324.2", "NM_004333.4"]),
)
def test_quick_substitution_path_agrees_with_the_grammar_in_every_spelling(
    ref: str, position: int, alt: str, ref_three: bool, alt_three: bool, predicted: bool, transcript: str | None
) -> None:
    """Missense and nonsense in one-letter, three-letter and mixed codes (``p.Arg213*``, ``p.V600Glu``):
    wherever the fast path answers, it answers as the grammar; same-code spellings and a three-letter
    residue with ``*`` are always answered by the fast path (mixed ones may be left to the grammar)."""
    ref_text = ONE_TO_THREE[ref] if ref_three else ref
    alt_text = ONE_TO_THREE[alt] if alt_three and alt != "*" else ("Ter" if alt_three else alt)
    inner = f"{ref_text}{position}{alt_text}"
    body = f"p.({inner})" if predicted else f"p.{inner}"
    quick = assert_fast_path_agrees(transcript, body)
    if ref != alt and (ref_three == alt_three or (ref_three and alt == "*")):
        assert isinstance(quick, ProteinChange)
        assert quick.short == f"p.{ref}{position}{alt}"


@settings(max_examples=1500, deadline=None)
@given(data=st.data(), spoilt=st.sets(st.sampled_from(sorted(VALID_PARTS)), max_size=2))
def test_quick_path_never_differs_from_the_grammar_on_near_valid_text(data: st.DataObject, spoilt: set[str]) -> None:
    """Valid text, and text with one or two parts spoilt (unknown residues, position 0, leading zeros,
    huge or non-ASCII positions, unbalanced parentheses, Ter/*/X, odd frameshift tails, accessions the
    grammar refuses, trailing characters): the fast path either steps aside or gives what the
    grammar gives, and it never accepts text the grammar refuses."""
    part = {name: data.draw((NEAR_PARTS if name in spoilt else VALID_PARTS)[name], label=name) for name in VALID_PARTS}
    opening, closing = part["parentheses"]
    body = f"{part['prefix']}{opening}{part['ref']}{part['position']}{part['edit']}{closing}{part['trailing']}"
    quick = assert_fast_path_agrees(part["transcript"], body)
    if spoilt:
        # every spoilt part above is one the fast path leaves to the grammar, valid HGVS or not
        assert quick is None, (spoilt, part)


@pytest.mark.parametrize(
    ("transcript", "body"),
    [
        (None, "p.V600E\n"),  # '$' would match before the newline; the grammar refuses it
        (None, "p.V0E"),  # the grammar reads position 0; left to it
        (None, "p.V0600E"),  # the grammar reads this as p.V600E; left to it
        (None, "p.K0fs"),
        (None, "p.V6०0E"),  # a non-ASCII digit, which \d and int() accept
        (None, "p.V" + "1" * 5000 + "E"),  # int() refuses over 4300 digits; the grammar path raises InputError
        (None, "p.K17Rfs*0"),
        (None, "p.K17Rfs*05"),
        (None, "p.K17RfsX5"),
        (None, "p.K17*fs"),
        (None, "p.K17Xfs*3"),
        (None, "p.(K17Rfs*5"),
        (None, "p.K17Rfs*5)"),
        ("NP_1.2.3", "p.V600E"),  # accessions the grammar refuses
        ("1", "p.(Asn999=)"),
        ("NP 1", "p.K17fs"),
        ("NM_004333.4(BRAF)", "p.V600E"),  # a gene after the accession: valid, left to the grammar
    ],
)
def test_quick_path_steps_aside_for_near_misses(transcript: str | None, body: str) -> None:
    assert protein._fast_path(transcript, body) is None
    reading = grammar_reading(transcript, body)
    if reading == "refused":
        with pytest.raises(InputError, match="field 'protein change'"):
            protein._parse_cached(body, transcript)
    else:
        assert protein._parse_cached(body, transcript) == reading
