"""Treatment records as values: cycles, end of treatment, follow-up contacts and death.

Source: the PRIME-ROSE harmonisation of the IMPRESS eCRF (DOMAIN.md section 5): per cycle its start date,
the study drugs with dose and route, dose changes and delays with their reason; end of treatment with its
reason and date; follow-up and death dates; lost to follow-up. Issue 8 lists the same fields.

A :class:`TreatmentRecord` checks itself when it is built, so every computation in
:mod:`oncobasket.core.outcomes` can trust its order and dates. Every refusal is an
:class:`~oncobasket.core.errors.InputError` naming the field, the rule and the fix; no value from the record
other than cycle numbers and dates is repeated in a message.

Days are counted as study days (CDISC SDTM ``--DY``): the treatment start (cycle 1 day 1) is day 1, so a
period from ``start`` to ``end`` lasts ``(end - start).days + 1`` days.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from oncobasket.core.errors import InputError


class AdministrationRoute(StrEnum):
    """How a study drug was given in a cycle (CDISC route terms, the ones a basket trial's drugs use).

    The evaluability rule needs it: oral drugs count days on treatment, the others count cycle starts.
    """

    ORAL = "oral"
    INTRAVENOUS = "intravenous"
    SUBCUTANEOUS = "subcutaneous"
    INTRAMUSCULAR = "intramuscular"
    OTHER = "other"


class DoseChange(StrEnum):
    """A change of a cycle's dose from the one before (PRIME-ROSE eCRF: dose modification and reason)."""

    NONE = "none"
    REDUCED = "reduced"
    INCREASED = "increased"
    INTERRUPTED = "interrupted"


class EndReason(StrEnum):
    """Why study treatment ended (PRIME-ROSE eCRF end-of-treatment form; CDISC NCOMPLT-like terms)."""

    PROGRESSION = "progression"
    TOXICITY = "toxicity"
    PATIENT_DECISION = "patient_decision"
    DEATH = "death"
    INVESTIGATOR_DECISION = "investigator_decision"
    COMPLETED = "completed"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    OTHER = "other"


class VitalStatus(StrEnum):
    """A follow-up contact's finding."""

    ALIVE = "alive"
    DEAD = "dead"


def study_days(start: date, end: date) -> int:
    """Days from ``start`` to ``end`` counting ``start`` as day 1 (CDISC SDTM study day, ADaM ADTTE).

    >>> study_days(date(2026, 1, 5), date(2026, 1, 5))
    1
    >>> study_days(date(2026, 1, 5), date(2026, 2, 1))
    28
    """
    return (end - start).days + 1


@dataclass(frozen=True, slots=True)
class DrugAdministration:
    """One study drug given in a cycle: its generic name, dose with unit, and route."""

    drug: str
    dose: float
    unit: str
    route: AdministrationRoute

    def __post_init__(self) -> None:
        if not self.drug.strip():
            raise InputError("a drug needs its generic name", field="drug")
        if isinstance(self.dose, bool) or not math.isfinite(self.dose) or self.dose <= 0:
            raise InputError(
                "a dose is a number above 0", field="dose", fix="record a held dose as dose change 'interrupted'"
            )
        if not self.unit.strip():
            raise InputError("a dose needs its unit (e.g. mg, mg/kg, mg/m2)", field="unit")


@dataclass(frozen=True, slots=True)
class Cycle:
    """One treatment cycle: number (cycle 1 is the treatment start), start date, drugs, changes and delays."""

    number: int
    start: date
    drugs: tuple[DrugAdministration, ...]
    dose_change: DoseChange = DoseChange.NONE
    dose_change_reason: str | None = None
    delay_days: int = 0
    delay_reason: str | None = None

    def __post_init__(self) -> None:
        field = f"cycles[{self.number}]"
        if isinstance(self.number, bool) or not isinstance(self.number, int) or self.number < 1:
            raise InputError("a cycle number is a whole number >= 1", field="cycle number")
        if not self.drugs:
            raise InputError("a cycle gives at least one study drug", field=f"{field}.drugs")
        names = [item.drug.strip().lower() for item in self.drugs]
        if len(set(names)) != len(names):
            raise InputError("a drug is listed twice in one cycle", field=f"{field}.drugs", fix="list each drug once")
        if self.dose_change is not DoseChange.NONE and not (self.dose_change_reason or "").strip():
            raise InputError(
                f"a dose change ({self.dose_change}) needs its reason", field=f"{field}.dose_change_reason"
            )
        if isinstance(self.delay_days, bool) or not isinstance(self.delay_days, int) or self.delay_days < 0:
            raise InputError("a delay is a whole number of days >= 0", field=f"{field}.delay_days")
        if self.delay_days > 0 and not (self.delay_reason or "").strip():
            raise InputError("a delayed cycle needs the delay's reason", field=f"{field}.delay_reason")


@dataclass(frozen=True, slots=True)
class EndOfTreatment:
    """The date study treatment ended (the decision or last dose, as the eCRF records it) and why."""

    date: date
    reason: EndReason


@dataclass(frozen=True, slots=True)
class FollowUpContact:
    """A follow-up visit or call after (or during) treatment and the vital status it found."""

    date: date
    status: VitalStatus


@dataclass(frozen=True, slots=True)
class TreatmentRecord:
    """Everything recorded about one patient's study treatment, checked for order and consistency.

    ``cycles`` are in order from cycle 1, whose start is the treatment start. ``end`` is None while treatment
    goes on. ``lost_to_follow_up`` marks a patient the site can no longer reach; survival is then censored at
    the last date known alive, as for anyone without a death date.
    """

    cycles: tuple[Cycle, ...]
    end: EndOfTreatment | None = None
    follow_up: tuple[FollowUpContact, ...] = ()
    death_date: date | None = None
    lost_to_follow_up: bool = False

    def __post_init__(self) -> None:
        self._check_cycles()
        self._check_end()
        self._check_death()
        self._check_follow_up()

    @property
    def start(self) -> date:
        """The treatment start: cycle 1 day 1."""
        return self.cycles[0].start

    @property
    def routes(self) -> frozenset[AdministrationRoute]:
        """Every route any study drug was given by."""
        return frozenset(drug.route for cycle in self.cycles for drug in cycle.drugs)

    @property
    def last_known_alive(self) -> date:
        """The latest date the patient is known to have been alive (treatment start at the least).

        Counted: cycle starts, the end of treatment unless it ended by death, and follow-up contacts that
        found the patient alive. Assessment dates are added by :func:`oncobasket.core.outcomes.overall_survival`.
        """
        dates = [cycle.start for cycle in self.cycles]
        if self.end is not None and self.end.reason is not EndReason.DEATH:
            dates.append(self.end.date)
        dates.extend(contact.date for contact in self.follow_up if contact.status is VitalStatus.ALIVE)
        return max(dates)

    def _check_cycles(self) -> None:
        if not self.cycles:
            raise InputError(
                "a treatment record needs at least cycle 1 (its start is the treatment start)", field="cycles"
            )
        if self.cycles[0].number != 1:
            raise InputError(
                f"the first cycle recorded is cycle {self.cycles[0].number}",
                field="cycles",
                fix="record cycles in order from cycle 1",
            )
        for before, after in itertools.pairwise(self.cycles):
            field = f"cycles[{after.number}]"
            if after.number == before.number:
                raise InputError(f"cycle {after.number} is recorded twice", field=field, fix="record each cycle once")
            if after.number < before.number:
                raise InputError(
                    f"cycle {after.number} comes after cycle {before.number}: cycles out of order",
                    field=field,
                    fix="record cycles in order of their number",
                )
            if after.number != before.number + 1:
                raise InputError(
                    f"cycle numbers jump from {before.number} to {after.number}",
                    field=field,
                    fix="record the missing cycles, or renumber",
                )
            if after.start == before.start:
                raise InputError(
                    f"cycles {before.number} and {after.number} start on the same date",
                    field=f"{field}.start",
                    fix="a cycle starts on a later date than the one before",
                )
            if after.start < before.start:
                raise InputError(
                    f"cycle {after.number} starts before cycle {before.number}",
                    field=f"{field}.start",
                    fix="check both start dates",
                )

    def _check_end(self) -> None:
        if self.end is None:
            return
        if self.end.date < self.start:
            raise InputError(
                "the end of treatment is before the treatment start (cycle 1)",
                field="end.date",
                fix="check both dates",
            )
        last = self.cycles[-1]
        if last.start > self.end.date:
            raise InputError(
                f"cycle {last.number} starts after the end of treatment",
                field="end.date",
                fix="end treatment on or after the last cycle's start",
            )
        if self.end.reason is EndReason.DEATH and self.death_date is None:
            raise InputError(
                "treatment ended by death but no death date is recorded", field="death_date", fix="record the death"
            )

    def _check_death(self) -> None:
        if self.death_date is None:
            return
        if self.death_date < self.start:
            raise InputError(
                "the death date is before the treatment start",
                field="death_date",
                fix="a patient who died before cycle 1 was never treated; record not-treated instead",
            )
        last = self.cycles[-1]
        if last.start > self.death_date:
            raise InputError(f"cycle {last.number} starts after the death date", field="death_date")
        if self.end is not None and self.end.date > self.death_date:
            raise InputError(
                "the end of treatment is after the death date",
                field="end.date",
                fix="treatment ends on or before the death date",
            )

    def _check_follow_up(self) -> None:
        seen: set[date] = set()
        for index, contact in enumerate(self.follow_up):
            field = f"follow_up[{index}]"
            if contact.date in seen:
                raise InputError(
                    "two follow-up contacts on the same date", field=f"{field}.date", fix="record one per date"
                )
            seen.add(contact.date)
            if contact.date < self.start:
                raise InputError(
                    "a follow-up contact is before the treatment start",
                    field=f"{field}.date",
                    fix="follow-up starts with treatment",
                )
            if contact.status is VitalStatus.DEAD:
                if self.death_date is None:
                    raise InputError(
                        "a follow-up contact found the patient dead but no death date is recorded",
                        field="death_date",
                        fix="record the death date",
                    )
                if contact.date < self.death_date:
                    raise InputError(
                        "a follow-up contact reports death before the recorded death date",
                        field=f"{field}.date",
                        fix="check both dates",
                    )
            elif self.death_date is not None and contact.date > self.death_date:
                raise InputError(
                    "a follow-up contact finds the patient alive after the death date",
                    field=f"{field}.date",
                    fix="check the contact and death dates",
                )
