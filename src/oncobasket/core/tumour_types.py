"""Tumour types: OncoTree codes and their hierarchy.

Source: OncoTree (Kundra et al., JCO Clin Cancer Inform 2021;5:221-230; oncotree.mskcc.org), CC BY 4.0.
Cohort tumour groups name OncoTree codes, and a code belongs to a group when it or one of its
ancestors is listed (``LUAD`` is within ``NSCLC``). OncoBasket ships the codes it needs
(``oncobasket/data/tumour_types/``) and loads a full OncoTree JSON when a user provides one
(``io/oncotree.py``). Every code is stored with the OncoTree version it came from.

OncoTree releases retire codes (OncoTree history modeling, github.com/cBioPortal/oncotree,
docs/OncoTree-History-Modeling.md). Each current node lists the retired codes it replaced:
``history`` (a synonym: the same cases under an old code, e.g. ``ETC`` -> ``ET``), ``precursors``
(codes whose cases became part of this node, e.g. ``DIPG`` -> ``DMG``) and ``revocations`` (codes
revoked from the tree that this node was part of the meaning of, e.g. ``GBM`` -> ``GB``). As in
OncoTree's own mapping tool (oncotree_to_oncotree.py), a retired code with exactly one successor maps
to it, and one with several (``ALL`` -> ``BLL`` or ``TLL``) is a choice the user must make.
:meth:`TumourTypes.resolve` does this and says so in a warning naming both codes; a current code
always wins over a retired one of the same spelling.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from oncobasket.core.errors import InputError


@dataclass(frozen=True, slots=True)
class TumourType:
    """One OncoTree node. ``parent`` is None for the root (``TISSUE``).

    ``history``, ``precursors`` and ``revocations`` are the retired codes this node replaced, as the
    OncoTree JSON lists them (see the module docstring).
    """

    code: str
    name: str
    parent: str | None
    main_type: str | None = None
    tissue: str | None = None
    level: int | None = None
    history: tuple[str, ...] = ()
    precursors: tuple[str, ...] = ()
    revocations: tuple[str, ...] = ()


class CodeChange(StrEnum):
    """How OncoTree retired a code (the node property that lists it)."""

    RENAMED = "renamed"  # history: a synonym, the same set of cases
    MERGED = "merged"  # precursors: its cases became part of the successor
    REVOKED = "revoked"  # revocations: withdrawn; the successor was part of its meaning

    @property
    def description(self) -> str:
        return {
            CodeChange.RENAMED: "renamed",
            CodeChange.MERGED: "merged into its successor",
            CodeChange.REVOKED: "revoked; the successor covers part of its former meaning, check the diagnosis",
        }[self]


@dataclass(frozen=True, slots=True)
class RetiredCode:
    """A code of an earlier OncoTree release and the current codes that replaced it (sorted)."""

    code: str
    successors: tuple[str, ...]
    change: CodeChange


@dataclass(frozen=True, slots=True)
class ResolvedTumourType:
    """A tumour type as entered and the current OncoTree code it stands for.

    ``entered`` keeps what the user wrote (upper case, trimmed); ``code`` is the current code;
    ``warning`` says why they differ (None when the entered code is current).
    """

    entered: str
    code: str
    warning: str | None = None

    @property
    def mapped(self) -> bool:
        return self.entered != self.code


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
    _retired: Mapping[str, RetiredCode] = field(default_factory=dict, repr=False, compare=False)

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
        object.__setattr__(self, "_retired", MappingProxyType(_retired_codes(self.types)))

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

    def retired(self, code: str) -> RetiredCode | None:
        """The retired code's successors, or None when ``code`` is current or was never an OncoTree code."""
        return self._retired.get(code.strip().upper())

    def retired_codes(self) -> tuple[RetiredCode, ...]:
        """Every retired code this hierarchy knows a successor for, sorted by code."""
        return tuple(self._retired[code] for code in sorted(self._retired))

    def resolve(self, code: str, *, field: str = "tumour type") -> ResolvedTumourType:
        """The current OncoTree code for ``code``, mapping a retired code to its one successor.

        A current code is returned as it is. A retired code with one successor maps to it, with a warning
        that names both codes and how the code was retired (OncoTree history modeling); callers keep the
        entered code beside the current one and add where it came from to the warning. A retired code
        with several successors, and a code this hierarchy does not know, raise :class:`InputError`
        naming ``field`` and the fix.
        """
        entered = code.strip().upper()
        if not entered:
            raise InputError(
                "the tumour type is empty", field=field, fix="give an OncoTree code, e.g. LUAD, COAD, PAAD or CHOL"
            )
        if entered in self.types:
            return ResolvedTumourType(entered=entered, code=entered)
        retired = self._retired.get(entered)
        if retired is None:
            raise InputError(
                f"unknown OncoTree code '{code.strip()}' (OncoTree {self.version})",
                field=field,
                fix="use an OncoTree code such as LUAD, COAD, PAAD or CHOL (oncotree.mskcc.org), "
                "or load the full OncoTree with --oncotree",
            )
        if len(retired.successors) > 1:
            choices = ", ".join(f"{item} ({self.types[item].name})" for item in retired.successors)
            raise InputError(
                f"'{entered}' is a retired OncoTree code ({retired.change}) that OncoTree {self.version} "
                f"split into {choices}",
                field=field,
                fix=f"give the one of {' or '.join(retired.successors)} that fits the diagnosis",
            )
        successor = retired.successors[0]
        warning = (
            f"OncoTree code {entered} is retired ({retired.change.description}): "
            f"using its successor {successor} ({self.types[successor].name}) of OncoTree {self.version}"
        )
        return ResolvedTumourType(entered=entered, code=successor, warning=warning)


def _retired_codes(types: Mapping[str, TumourType]) -> dict[str, RetiredCode]:
    """Index the retired codes the nodes list. A code that is current again (OncoTree lists ``PTCL`` among
    PTCL's own revocations, ``aCML`` in ACML's history) is not retired. When several nodes list one code,
    it has several successors; its change is the weakest tie named (revoked before merged before renamed)."""
    successors: dict[str, set[str]] = {}
    changes: dict[str, set[CodeChange]] = {}
    for item in types.values():
        for change, codes in (
            (CodeChange.RENAMED, item.history),
            (CodeChange.MERGED, item.precursors),
            (CodeChange.REVOKED, item.revocations),
        ):
            for old in codes:
                old_code = old.strip().upper()
                if not old_code or old_code in types:
                    continue
                successors.setdefault(old_code, set()).add(item.code)
                changes.setdefault(old_code, set()).add(change)
    order = (CodeChange.REVOKED, CodeChange.MERGED, CodeChange.RENAMED)
    return {
        code: RetiredCode(
            code=code,
            successors=tuple(sorted(found)),
            change=next(change for change in order if change in changes[code]),
        )
        for code, found in successors.items()
    }
