"""A series of time-point responses under one criteria, in the shared categories BOR and week 16 need.

RECIST 1.1, iRECIST, RANO and Lugano name their categories differently (SD, iSD, NON-CR/NON-PD, ...) but
best overall response and the week-16 benefit only need to know which category a label is: complete,
partial, stable, unconfirmed progression (iRECIST's iUPD), progression, not evaluable. DOMAIN.md section 5:
benefit is CR, PR or SD "under RECIST 1.1, iRECIST or RANO"; RANO and Lugano count like RECIST.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from oncobasket.core.recist import Criteria


class Category(StrEnum):
    """What a time-point label means for best overall response and benefit."""

    COMPLETE = "complete"
    PARTIAL = "partial"
    STABLE = "stable"
    UNCONFIRMED_PROGRESSION = "unconfirmed_progression"
    PROGRESSION = "progression"
    NOT_EVALUABLE = "not_evaluable"


#: Disease control at a time point: CR, PR or SD (DOMAIN.md section 5; IMPRESS primary endpoint).
DISEASE_CONTROL = frozenset({Category.COMPLETE, Category.PARTIAL, Category.STABLE})


@dataclass(frozen=True)
class Vocabulary:
    """One criteria's label for each category (the label a best overall response is given in)."""

    criteria: Criteria
    complete: str
    partial: str
    stable: str
    progression: str
    not_evaluable: str = "NE"
    unconfirmed_progression: str | None = None

    def category(self, label: str) -> Category:
        return LABEL_CATEGORIES[self.criteria][label]


#: Every label each criteria may give, with its category. iRECIST: Seymour et al., Lancet Oncol
#: 2017;18:e143-e152 (NON-iCR/NON-iUPD for non-target disease only, as RECIST's NON-CR/NON-PD). RANO: Wen
#: et al., J Clin Oncol 2010;28:1963-1972. Lugano: Cheson et al., J Clin Oncol 2014;32:3059-3068.
LABEL_CATEGORIES: Mapping[Criteria, Mapping[str, Category]] = {
    Criteria.RECIST: {
        "CR": Category.COMPLETE,
        "PR": Category.PARTIAL,
        "SD": Category.STABLE,
        "NON-CR/NON-PD": Category.STABLE,
        "PD": Category.PROGRESSION,
        "NE": Category.NOT_EVALUABLE,
    },
    Criteria.IRECIST: {
        "iCR": Category.COMPLETE,
        "iPR": Category.PARTIAL,
        "iSD": Category.STABLE,
        "NON-iCR/NON-iUPD": Category.STABLE,
        "iUPD": Category.UNCONFIRMED_PROGRESSION,
        "iCPD": Category.PROGRESSION,
        "NE": Category.NOT_EVALUABLE,
    },
    Criteria.RANO: {
        "CR": Category.COMPLETE,
        "PR": Category.PARTIAL,
        "SD": Category.STABLE,
        "PD": Category.PROGRESSION,
        "NE": Category.NOT_EVALUABLE,
    },
    Criteria.LUGANO: {
        "CR": Category.COMPLETE,
        "PR": Category.PARTIAL,
        "SD": Category.STABLE,
        "PD": Category.PROGRESSION,
        "NE": Category.NOT_EVALUABLE,
    },
}

#: The responses that may be entered directly, per criteria. RECIST 1.1 is always computed.
ENTERABLE_RESPONSES: Mapping[Criteria, tuple[str, ...]] = {
    criteria: tuple(labels) for criteria, labels in LABEL_CATEGORIES.items() if criteria is not Criteria.RECIST
}


def vocabulary(criteria: Criteria, *, non_target_only: bool = False) -> Vocabulary:
    """The labels of a criteria; RECIST 1.1 Table 2 footnote: non-target-only disease is NON-CR/NON-PD, not SD."""
    if criteria is Criteria.IRECIST:
        stable = "NON-iCR/NON-iUPD" if non_target_only else "iSD"
        return Vocabulary(criteria, "iCR", "iPR", stable, "iCPD", unconfirmed_progression="iUPD")
    stable = "NON-CR/NON-PD" if non_target_only and criteria is Criteria.RECIST else "SD"
    return Vocabulary(criteria, "CR", "PR", stable, "PD")


@dataclass(frozen=True)
class JudgedTimePoint:
    """One time point's response under one criteria, with whether it was entered and why it is what it is."""

    date: dt.date
    day: int
    response: str
    category: Category
    entered: bool
    reasons: tuple[str, ...]
