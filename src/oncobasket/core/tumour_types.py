"""Tumour types: OncoTree codes and their hierarchy.

Source: OncoTree (Kundra et al., JCO Clin Cancer Inform 2021;5:221-230; oncotree.mskcc.org), CC BY 4.0.
Cohort tumour groups name OncoTree codes, and a code belongs to a group when it or one of its
ancestors is listed (``LUAD`` is within ``NSCLC``). OncoBasket ships the codes it needs
(``oncobasket/data/tumour_types/``) and loads a full OncoTree JSON when a user provides one
(``io/oncotree.py``). Every code is stored with the OncoTree version it came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class TumourType:
    """One OncoTree node. ``parent`` is None for the root (``TISSUE``)."""

    code: str
    name: str
    parent: str | None
    main_type: str | None = None
    tissue: str | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class TumourTypes:
    """A tumour-type hierarchy of one OncoTree version.

    Codes are upper-case. ``lineage(code)`` is the code and its ancestors up to the root, nearest first.
    Building checks that every parent exists and that there are no cycles (raises ValueError).
    """

    types: Mapping[str, TumourType]
    version: str
    source: str = "OncoTree (oncotree.mskcc.org), CC BY 4.0"
    _lineages: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        lineages: dict[str, tuple[str, ...]] = {}
        for code in self.types:
            chain = [code]
            seen = {code}
            parent = self.types[code].parent
            while parent is not None:
                if parent not in self.types:
                    raise ValueError(f"tumour type {chain[-1]} names parent {parent}, which is not in the hierarchy")
                if parent in seen:
                    raise ValueError(f"tumour type {code} is its own ancestor (cycle through {parent})")
                chain.append(parent)
                seen.add(parent)
                parent = self.types[parent].parent
            lineages[code] = tuple(chain)
        object.__setattr__(self, "types", MappingProxyType(dict(self.types)))
        object.__setattr__(self, "_lineages", MappingProxyType(lineages))

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.upper() in self.types

    def __len__(self) -> int:
        return len(self.types)

    def __iter__(self) -> Iterator[TumourType]:
        return iter(self.types.values())

    def get(self, code: str) -> TumourType | None:
        return self.types.get(code.upper())

    def lineage(self, code: str) -> tuple[str, ...]:
        """The code and its ancestors, nearest first; empty for an unknown code."""
        return self._lineages.get(code.upper(), ())

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when ``code`` is ``ancestor`` or one of its descendants."""
        return ancestor.upper() in self.lineage(code)

    def main_type(self, code: str) -> str | None:
        """The OncoTree main type (e.g. ``Melanoma``) of a code, inherited from the nearest ancestor that has one."""
        for item in self.lineage(code):
            main = self.types[item].main_type
            if main:
                return main
        return None

    def descendants(self, code: str) -> tuple[str, ...]:
        """Every code within ``code`` (itself included), sorted."""
        wanted = code.upper()
        return tuple(sorted(item for item, chain in self._lineages.items() if wanted in chain))
