"""Current HGNC gene symbols for the symbols that panels and older files still report.

Source: HGNC "previous symbols" of the approved symbols (genenames.org), restricted to genes on the
TSO500 panel and in the drug rules. Readers keep the reported name in ``Alteration.reported_gene``
and use the current symbol for matching, so ``MYCL1`` amplification matches a ``MYCL`` rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: previous symbol -> current approved symbol (HGNC)
PREVIOUS_TO_CURRENT: Mapping[str, str] = MappingProxyType(
    {
        "MYCL1": "MYCL",
        "FAM123B": "AMER1",
        "MLL": "KMT2A",
        "MLL2": "KMT2D",
        "MLL3": "KMT2C",
        "MLL4": "KMT2B",
        "C11orf30": "EMSY",
        "FAM175A": "ABRAXAS1",
        "GPR124": "ADGRA2",
        "H3F3A": "H3-3A",
        "H3F3B": "H3-3B",
        "HIST1H3B": "H3C2",
        "HIST1H1C": "H1-2",
        "HIST2H3D": "H3C13",
        "HIST3H3": "H3-4",
        "WHSC1": "NSD2",
        "WHSC1L1": "NSD3",
        "MRE11A": "MRE11",
        "PARK2": "PRKN",
        "FAM46C": "TENT5C",
        "MYST3": "KAT6A",
        "TCEB1": "ELOC",
        "PAK7": "PAK5",
        "FAM58A": "CCNQ",
        "C10orf54": "VSIR",
        "SETD8": "KMT5A",
        "PRKCDBP": "CAVIN3",
        "RFWD2": "COP1",
        "FGFR1OP": "CEP43",
        "GNB2L1": "RACK1",
        "SEPT9": "SEPTIN9",
        "SEPT5": "SEPTIN5",
        "SEPT6": "SEPTIN6",
        "SEPT14": "SEPTIN14",
        "ERBB2IP": "ERBIN",
        "TMEM8C": "MYMK",
        "CASC5": "KNL1",
        "PTPLAD1": "HACD3",
        "RQCD1": "CNOT9",
        "BRE": "BABAM2",
    }
)


def current_symbol(symbol: str) -> str:
    """The current HGNC symbol for ``symbol``; unknown symbols are returned unchanged."""
    return PREVIOUS_TO_CURRENT.get(symbol, symbol)
