"""Protein-change notation: golden cases, the biocommons grammar cases, and round-trip properties."""

from __future__ import annotations

import re
from pathlib import Path

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
    quick = protein._substitution(transcript, body)
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
    quick = protein._substitution(transcript, body)
    grammar = protein._from_variant(protein._grammar_variant(transcript, body, body), body, transcript)
    assert isinstance(quick, ProteinChange)
    assert quick == grammar
    # TSO500's accession here is a transcript: kept, but never written before p. (invalid HGVS).
    assert quick.transcript == transcript
    assert quick.hgvs.startswith("p.")
