"""Previous HGNC symbols map to current ones; which symbols OncoBasket knows, and close spellings."""

from __future__ import annotations

import pytest

from oncobasket.core.genes import (
    FUSION_PARTNERS,
    KNOWN_GENES,
    PREVIOUS_TO_CURRENT,
    TSO500_AS_LISTED,
    TSO500_GENES,
    current_symbol,
    look_up_symbol,
    similar_symbols,
)


@pytest.mark.parametrize(
    ("reported", "current"),
    [
        ("MYCL1", "MYCL"),
        ("FAM123B", "AMER1"),
        ("MLL", "KMT2A"),
        ("MLL2", "KMT2D"),
        ("C11orf30", "EMSY"),
        ("H3F3A", "H3-3A"),
        ("WHSC1", "NSD2"),
        ("PARK2", "PRKN"),
        ("SEPT9", "SEPTIN9"),
    ],
)
def test_previous_symbols_become_current(reported: str, current: str) -> None:
    assert current_symbol(reported) == current


@pytest.mark.parametrize("symbol", ["BRAF", "KRAS", "EGFR", "MYCL", "KMT2A", "NOT_A_GENE", "", "mycl1"])
def test_current_and_unknown_symbols_are_unchanged(symbol: str) -> None:
    assert current_symbol(symbol) == symbol


def test_mapping_has_no_chains_and_is_idempotent() -> None:
    """A current symbol is never itself a previous one, so one lookup is enough."""
    for previous, current in PREVIOUS_TO_CURRENT.items():
        assert current not in PREVIOUS_TO_CURRENT, previous
        assert current != previous
        assert current_symbol(current_symbol(previous)) == current_symbol(previous)


def test_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        PREVIOUS_TO_CURRENT["MYCL1"] = "X"  # type: ignore[index]


# --- which symbols OncoBasket knows (docs/protocol.md, "Gene symbols") ---------------------------------------------


def test_the_tso500_list_has_its_523_genes_once_each() -> None:
    assert len(TSO500_AS_LISTED) == 523
    assert len(set(TSO500_AS_LISTED)) == 523
    assert len(TSO500_GENES) == 523


def test_every_outdated_name_on_the_tso500_list_maps_to_a_current_symbol() -> None:
    """Illumina's list still uses pre-2020 names (HIST1H3A, MLL, FAM123B): none may survive as "current"."""
    assert not TSO500_GENES & PREVIOUS_TO_CURRENT.keys()
    assert {"H3C1", "KMT2A", "AMER1", "EMSY", "CCN6", "H3-5", "H2BC5"} <= TSO500_GENES


def test_no_symbol_is_both_current_and_previous_whatever_its_case() -> None:
    current = {symbol.upper() for symbol in KNOWN_GENES}
    previous = {symbol.upper() for symbol in PREVIOUS_TO_CURRENT}
    assert not current & previous
    assert len(previous) == len(PREVIOUS_TO_CURRENT)


def test_known_genes_are_the_panel_the_previous_symbols_targets_and_fusion_partners() -> None:
    expected = TSO500_GENES | FUSION_PARTNERS | frozenset(PREVIOUS_TO_CURRENT.values())
    assert expected == KNOWN_GENES
    assert {"TACC3", "CCDC6", "NCOA4", "SLC34A2", "BAIAP2L1"} <= FUSION_PARTNERS
    assert not FUSION_PARTNERS & TSO500_GENES


@pytest.mark.parametrize(
    ("written", "current", "previous"),
    [
        ("BRAF", "BRAF", None),
        ("Braf", "BRAF", None),
        ("  KRAS ", "KRAS", None),
        ("TACC3", "TACC3", None),
        ("MYCL1", "MYCL", "MYCL1"),
        ("c11orf30", "EMSY", "C11orf30"),
        ("C11ORF30", "EMSY", "C11orf30"),
        ("HIST1H3A", "H3C1", "HIST1H3A"),
        ("BRAFF", None, None),
        ("", None, None),
        ("CCDC170", None, None),
    ],
)
def test_look_up_symbol(written: str, current: str | None, previous: str | None) -> None:
    found = look_up_symbol(written)
    assert (found.current, found.previous, found.known) == (current, previous, current is not None)
    assert found.written == written


def test_declared_symbols_are_known_in_the_declared_spelling() -> None:
    assert look_up_symbol("ccdc170", declared={"CCDC170"}).current == "CCDC170"
    assert look_up_symbol("CCDC170", declared=()).current is None
    # A declaration never overrides what HGNC says about a previous symbol.
    assert look_up_symbol("MYCL1", declared={"MYCL1"}).current == "MYCL"


def test_similar_symbols_suggest_close_spellings_only() -> None:
    assert similar_symbols("BRAFF")[0] == "BRAF"
    assert "KRAS" in similar_symbols("KRASS")
    assert "CCDC170" in similar_symbols("CCDC17", declared={"CCDC170"})
    assert similar_symbols("NOTAGENE1") == ()
    assert len(similar_symbols("FGFR", limit=2)) <= 2
