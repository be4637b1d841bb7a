"""Previous HGNC symbols map to current ones; everything else is left alone."""

from __future__ import annotations

import pytest

from oncobasket.core.genes import PREVIOUS_TO_CURRENT, current_symbol


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
