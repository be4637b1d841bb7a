"""The imported CTML trial: its targets (arms, dose levels, steps) and their criteria trees.

A criteria tree mirrors CTML's ``and`` / ``or`` nodes (:class:`Both`, :class:`Either`) over leaves:
genomic leaves already written as OncoBasket :data:`~oncobasket.core.protocol.Rule` trees
(:class:`Genomic`), and clinical leaves resolved per patient (:class:`Age`, :class:`Diagnosis`,
:class:`Gender`), or decided at import (:class:`Constant`). MatchMiner CTML: Klein et al., npj Precis
Oncol 2022;6:69; docs/ctml.md maps it key by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    """A genomic leaf, already an OncoBasket rule tree; ``note`` says where OncoBasket reads it
    differently from MatchMiner (docs/ctml.md), and goes into the notes of the match."""

    rule: Rule
    # The texts explain the leaf; two leaves with the same rule are the same criterion.
    note: str = field(default="", compare=False)
    #: the leaf as the trial writes it (``hugo_symbol 'KRAS', protein_change 'p.G12C'``), for explanations.
    written: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Age:
    """``age_numerical``: ``comparison`` is one of ==, >=, >, <=, < (a ``!`` already folded in);
    ``written`` is the value as the trial writes it (``>18``), for the explanations."""

    comparison: str
    years: float
    path: str
    written: str = ""


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
    path: str = ""


@dataclass(frozen=True, slots=True)
class Status:
    """A status compared as written: a receptor status (``her2_status``, ``er_status``, ``pr_status``;
    MatchMiner reads ``True`` / ``False`` as Positive / Negative) or a mutational signature
    (``apobec_signature``, ``pole_signature``, ``tobacco_signature``, ``temozolomide_signature``,
    ``uva_signature``; ``Yes`` / ``No``). ``wanted`` is the value sought, ``written`` the value as written."""

    key: str
    wanted: str
    written: str
    negated: bool
    path: str


@dataclass(frozen=True, slots=True)
class TmbLimit:
    """``tmb_numerical`` with its operator as written: ==, >=, >, <=, < (mutations per megabase)."""

    comparison: str
    per_mb: float
    written: str
    negated: bool
    path: str


@dataclass(frozen=True, slots=True)
class Classification:
    """``variant_classification`` without protein change or exon: a small variant of ``gene`` whose MAF
    Variant_Classification is exactly ``classification`` (matchengine-V2 compares the value as written)."""

    gene: str
    classification: str
    negated: bool
    path: str


#: the structural-variant forms of a side that names no gene (matchengine-V2 structured SV queries).
ANY_GENE = "any_gene"
INTERGENIC = "intergenic"


@dataclass(frozen=True, slots=True)
class StructuralVariant:
    """A structural variant between ``gene`` and ``partner`` in either orientation; a side is a gene
    symbol, :data:`ANY_GENE` (some gene), :data:`INTERGENIC` (no gene) or None (not constrained)."""

    gene: str | None
    partner: str | None
    negated: bool
    path: str


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


Criteria = (
    Genomic
    | Age
    | Diagnosis
    | Gender
    | Status
    | TmbLimit
    | Classification
    | StructuralVariant
    | Constant
    | Both
    | Either
)


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
    #: why a closed target is closed: the trial's status, ``arm_suspended: Y``, ``level_suspended: Y``.
    closed_by: str = ""


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


def describe(node: Criteria) -> str:
    """A criteria tree in words, each leaf as the trial writes it (the ``biomarker`` of a match-table row
    of ``screen --ctml``)."""
    if isinstance(node, Both | Either):
        joiner = " and " if isinstance(node, Both) else " or "
        parts = [describe(child) for child in node.children]
        return joiner.join(f"({part})" if " and " in part or " or " in part else part for part in parts)
    if isinstance(node, Genomic):
        return node.written or node.rule.describe()
    if isinstance(node, Age):
        return f"age_numerical '{node.written}'"
    if isinstance(node, Diagnosis):
        return f"oncotree_primary_diagnosis '{'!' if node.negated else ''}{node.text}'"
    if isinstance(node, Gender):
        return f"gender '{'!' if node.negated else ''}{node.value}'"
    if isinstance(node, Status):
        return f"{node.key} '{node.written}'"
    if isinstance(node, TmbLimit):
        return f"tmb_numerical '{node.written}'"
    if isinstance(node, Classification):
        return f"{node.gene} variant_classification '{'!' if node.negated else ''}{node.classification}'"
    if isinstance(node, StructuralVariant):
        sides = f"{node.gene or '(any)'}-{node.partner or '(any)'}"
        return f"{'no ' if node.negated else ''}structural variant {sides}"
    return node.reason
