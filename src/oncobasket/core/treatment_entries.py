"""What a coordinator enters about treatment and follow-up: the vocabulary of follow-up contacts and the
checks every such entry shares (dates not in the future, corrections with a reason, doses as written).

The treatment values themselves (cycles, drugs with dose and route, end of treatment) are
:mod:`oncobasket.core.treatment`; this module turns command-line and form text into them. Source: the
PRIME-ROSE harmonisation of the IMPRESS eCRF (DOMAIN.md section 5: treatment cycles with dose and delays,
end of treatment with reason and date, follow-up and death dates, lost to follow-up).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from oncobasket.core import validation
from oncobasket.core.errors import InputError

#: Longest free text kept for a reason or a note (one line of an eCRF field).
MAX_TEXT_LENGTH = 500

#: A dose as written: a positive number and its unit, e.g. ``150 mg``, ``2.5 mg/kg``, ``840 mg``.
_DOSE = re.compile(r"(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z][A-Za-z0-9/%.]{0,19})")


class FollowUpStatus(StrEnum):
    """What a follow-up contact found: alive, dead (with the death date), or that the patient is lost."""

    ALIVE = "alive"
    DEAD = "dead"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"


@dataclass(frozen=True, slots=True)
class DoseEntry:
    """One drug's dose in a cycle as entered: generic name, amount and unit."""

    drug: str
    dose: float
    unit: str


_Choice = TypeVar("_Choice", bound=StrEnum)


def parse_choice(kind: type[_Choice], text: str, *, field: str) -> _Choice:
    """One value of a fixed vocabulary, written as listed (case and ``-``/``_`` forgiven)."""
    value = text.strip().lower().replace("-", "_")
    for member in kind:
        if member.value.lower() == value:
            return member
    allowed = ", ".join(member.value for member in kind)
    raise InputError(f"'{text[:60]}' is not one of the allowed values", field=field, fix=f"use one of: {allowed}")


def check_not_future(day: date, *, today: date, field: str) -> None:
    """Clinical dates cannot lie after today: the registry records what happened."""
    if day > today:
        raise InputError(f"date {day.isoformat()} is in the future", field=field, fix="give the day it happened")


def check_free_text(text: str | None, *, field: str) -> str | None:
    """Free text (a note, a reason, a regimen) through the one validation layer (``core.validation``): one
    printable line of at most :data:`MAX_TEXT_LENGTH` characters, no national identity number; blank is None."""
    if text is None or not text.strip():
        return None
    return validation.check_free_text(text, field=field, maximum=MAX_TEXT_LENGTH)


def check_correction_reason(reason: str | None) -> str | None:
    """A correction carries its reason as one printable line (corrections are new events with a reason)."""
    if reason is None:
        return None
    text = check_free_text(reason, field="--reason")
    if text is None:
        raise InputError("the correction reason is empty", field="--reason", fix="say why the entry is corrected")
    return text


def parse_doses(entries: list[str], *, field: str) -> tuple[DoseEntry, ...]:
    """Doses as ``DRUG=AMOUNT UNIT`` (e.g. ``dabrafenib=150 mg``), one per drug."""
    doses: list[DoseEntry] = []
    for entry in entries:
        drug, separator, dose = entry.partition("=")
        drug = drug.strip().lower()
        found = _DOSE.fullmatch(dose.strip())
        if not separator or not drug or found is None:
            raise InputError(
                "a dose is DRUG=AMOUNT UNIT", field=field, fix="e.g. --dose 'dabrafenib=150 mg' (repeat per drug)"
            )
        amount = float(found["amount"])
        if not math.isfinite(amount) or amount <= 0 or amount > 100_000:
            raise InputError(
                "a dose is a number above 0 (and below 100000)",
                field=field,
                fix="record a held dose as --dose-change interrupted",
            )
        if any(item.drug == drug for item in doses):
            raise InputError("a drug has two doses", field=field, fix="give one dose per drug")
        doses.append(DoseEntry(drug=drug, dose=amount, unit=found["unit"]))
    return tuple(doses)
