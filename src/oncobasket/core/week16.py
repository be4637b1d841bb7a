"""The week-16 outcome that feeds a cohort's two-stage rule, derived from computed facts, never typed in.

Issue 8: "no cohort decision rests on an outcome typed in by hand". The registry computes the week-16
clinical benefit from the tumour assessments (``core.response.week16_benefit``: CR, PR or SD at the
assessment in the window around day 112), evaluability from the treatment (``core.outcomes.evaluability``:
at least one full cycle) and knows a death; this module combines them into the cohort outcome
(``core.cohorts.Outcome``) with the reason, or leaves it pending while something is not yet known.

Rules, in order (sources: DOMAIN.md sections 3-5; DRUP, van der Velden et al., Nature 2019; IMPRESS, Puco et
al., Acta Oncol 2024):

1. A patient who is not evaluable (treatment ended before one full cycle) is ``not_evaluable``; the cohort
   replaces such patients (``core.cohorts``), whatever the scans show.
2. Benefit or no benefit counts only for an evaluable patient (DCR among evaluable patients is the primary
   endpoint); while evaluability is not yet known the outcome stays pending.
3. A patient who died before the end of the week-16 window without a benefit known has no benefit: death is
   a progression event (FDA 2018 endpoints guidance, PFS), and a dead patient cannot have disease control at
   week 16.
4. Otherwise the outcome is not yet known (pending).
"""

from __future__ import annotations

from dataclasses import dataclass

from oncobasket.core.cohorts import Outcome


@dataclass(frozen=True, slots=True)
class Week16Outcome:
    """The cohort outcome with the reason that names the rule and the facts used."""

    outcome: Outcome
    reason: str


def week16_outcome(
    *,
    benefit: bool | None,
    benefit_reason: str,
    evaluable: bool | None,
    evaluability_reason: str,
    death_day: int | None,
    window_end_day: int,
) -> Week16Outcome:
    """Combine the computed week-16 benefit, evaluability and a death into the cohort outcome.

    ``death_day`` counts days from treatment start (day 0 = cycle 1 day 1, as the week-16 window does).
    """
    if evaluable is False:
        return Week16Outcome(Outcome.NOT_EVALUABLE, f"not evaluable: {evaluability_reason}")
    if benefit is not None:
        if evaluable is None:
            verdict = "benefit" if benefit else "no benefit"
            return Week16Outcome(
                Outcome.PENDING, f"{verdict} at week 16, but evaluability is not yet known: {evaluability_reason}"
            )
        if benefit:
            return Week16Outcome(Outcome.BENEFIT, benefit_reason)
        return Week16Outcome(Outcome.NO_BENEFIT, benefit_reason)
    if death_day is not None and death_day <= window_end_day:
        if evaluable is None:
            return Week16Outcome(
                Outcome.PENDING, f"died on day {death_day}; evaluability is not yet known: {evaluability_reason}"
            )
        return Week16Outcome(
            Outcome.NO_BENEFIT,
            f"died on day {death_day}, before the end of the week-16 window (day {window_end_day}) with no "
            "benefit shown: no benefit (death is a progression event, FDA 2018)",
        )
    return Week16Outcome(Outcome.PENDING, f"not yet known: {benefit_reason}")
