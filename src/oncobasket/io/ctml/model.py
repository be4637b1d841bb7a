"""The imported CTML trial: its targets (arms, dose levels, steps) and their criteria trees.

A criteria tree mirrors CTML's ``and`` / ``or`` nodes (:class:`Both`, :class:`Either`) over leaves:
genomic leaves already written as OncoBasket :data:`~oncobasket.core.protocol.Rule` trees
(:class:`Genomic`), and clinical leaves resolved per patient (:class:`Age`, :class:`Diagnosis`,
:class:`Gender`), or decided at import (:class:`Constant`). MatchMiner CTML: Klein et al., npj Precis
Oncol 2022;6:69; docs/ctml.md maps it key by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oncobasket.core.protocol import AllOf, AnyOf, Rule

#: the evidence label of a CTML match in the command-line JSON.
EXTERNAL_EVIDENCE = "external trial"

# A rule that always holds / never holds: the per-profile engine reads an empty "all" as true and an
# empty "any" as false, so resolved clinical leaves need no new rule kind.
ALWAYS: Rule = AllOf(())
NEVER: Rule = AnyOf(())


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A CTML key or value the import cannot express, and what was done instead."""

    key: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"unsupported CTML key {self.key} at {self.path}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "path": self.path, "reason": self.reason, "message": str(self)}


@dataclass(frozen=True, slots=True)
class Genomic:
    """A genomic leaf, already an OncoBasket rule tree."""

    rule: Rule


@dataclass(frozen=True, slots=True)
class Age:
    """``age_numerical``: ``comparison`` is one of >=, >, <=, <."""

    comparison: str
    years: float
    path: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """``oncotree_primary_diagnosis``: OncoTree codes (with descendants) or ``_SOLID_`` / ``_LIQUID_``."""

    text: str
    codes: tuple[str, ...]
    negated: bool
    special: str | None = None


@dataclass(frozen=True, slots=True)
class Gender:
    value: str
    negated: bool


@dataclass(frozen=True, slots=True)
class Constant:
    """A leaf decided at import: ``holds`` with the reason (an unsupported criterion)."""

    holds: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Both:
    children: tuple[Criteria, ...]


@dataclass(frozen=True, slots=True)
class Either:
    children: tuple[Criteria, ...]


Criteria = Genomic | Age | Diagnosis | Gender | Constant | Both | Either


@dataclass(frozen=True, slots=True)
class CtmlArm:
    """One matchable target: an arm (or a dose level with its own criteria, or a step without arms).

    ``drugs`` are the alternative drug combinations (lower-case generic names); ``open`` is False when
    the arm, dose level or trial is suspended or closed.
    """

    label: str
    code: str
    description: str
    drugs: tuple[tuple[str, ...], ...]
    open: bool
    criteria: Criteria
    path: str


@dataclass(frozen=True, slots=True)
class CtmlTrial:
    protocol_no: str
    nct_id: str | None
    title: str | None
    status: str | None
    arms: tuple[CtmlArm, ...]
    unsupported: tuple[Unsupported, ...]
    source: str
    #: what the import changed, e.g. a previous HGNC symbol read as the current one.
    warnings: tuple[str, ...] = ()

    @property
    def trial_id(self) -> str:
        return self.nct_id or self.protocol_no

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol_no": self.protocol_no,
            "nct_id": self.nct_id,
            "title": self.title,
            "status": self.status,
            "arms": [
                {"label": arm.label, "code": arm.code, "open": arm.open, "drugs": ["+".join(d) for d in arm.drugs]}
                for arm in self.arms
            ],
        }


ALWAYS_CRITERIA: Criteria = Constant(True, "no criteria")


def join_criteria(first: Criteria | None, second: Criteria | None) -> Criteria | None:
    """A level's criteria added to its parent's (both must hold)."""
    if first is None:
        return second
    if second is None:
        return first
    return Both((first, second))
