"""Planning a basket trial: how many cohorts reach stage 2 and a promising result over a period, by simulation.

Given the number of patients screened per month, each planned cohort's share of screened patients who are
matched to it and start treatment, and its true benefit rate at week 16, the planner simulates many seeded
trials week by week under the cohort rule (DOMAIN.md section 3; DRUP/IMPRESS 0/8, 4/24 by default):

1. Stage 1 enrols ``n1`` evaluable patients, then holds enrolment until their week-16 results are known
   (16 weeks after the last of them started; patients arriving during a hold are not enrolled);
2. ``<= r1`` benefits close the cohort for futility; otherwise stage 2 enrols ``n - n1`` more;
3. 16 weeks after the last of them, ``> r`` benefits in all ``n`` make the cohort *promising* (eligible for
   an expansion cohort); otherwise it closes as negative.

Patients who are not evaluable (less than one full cycle, DOMAIN.md section 5) are treated but replaced:
only evaluable patients count towards ``n1`` and ``n``. Arrivals are Poisson each week; benefits are
Bernoulli at the cohort's true rate. Each cohort's exact operating characteristics (Simon 1989: PET and the
probability of a promising result with no time limit) are given beside the simulated shares, which
approach them as the period grows. All simulated trials advance together as numpy arrays (vectorised), so
10,000 trials of a few dozen cohorts over three years take seconds. Pure: the seed is an argument.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from oncobasket.core.cohorts import DRUP_RULE, TwoStageRule
from oncobasket.core.errors import InputError
from oncobasket.core.simon import OperatingCharacteristics

#: Weeks from a patient's treatment start to the week-16 result (DOMAIN.md section 5: V03 is W16).
WEEKS_TO_RESULT = 16
WEEKS_PER_MONTH = 365.25 / 12 / 7

# Cohort states in the simulation arrays.
_STAGE1, _HOLD1, _STAGE2, _HOLD2, _FUTILITY, _NEGATIVE, _PROMISING = range(7)


@dataclass(frozen=True, slots=True)
class CohortScenario:
    """One planned cohort: its name, the share of screened patients it treats, and its true benefit rate."""

    name: str
    match_rate: float
    benefit_rate: float

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InputError("a planned cohort needs a name", field="cohort", fix="name it, e.g. BRAF-pancreas")
        for field, value in (("match_rate", self.match_rate), ("benefit_rate", self.benefit_rate)):
            if not (isinstance(value, float | int) and math.isfinite(value) and 0.0 <= value <= 1.0):
                raise InputError(
                    f"{field} {value!r} of cohort {self.name!r} is not a share between 0 and 1",
                    field=field,
                    fix="give e.g. 0.01 for 1 % of screened patients, 0.3 for a 30 % benefit rate",
                )

    @classmethod
    def parse(cls, text: str) -> CohortScenario:
        """Read ``NAME:MATCH_RATE:BENEFIT_RATE``, e.g. ``BRAF-pancreas:0.01:0.3``."""
        parts = text.rsplit(":", 2)
        if len(parts) != 3:
            raise InputError(
                f"{text!r} is not NAME:MATCH_RATE:BENEFIT_RATE", field="cohort", fix="write e.g. BRAF-pancreas:0.01:0.3"
            )
        name, match_rate, benefit_rate = parts
        try:
            return cls(name=name, match_rate=float(match_rate), benefit_rate=float(benefit_rate))
        except ValueError:
            raise InputError(
                f"{text!r}: the rates are not numbers", field="cohort", fix="write e.g. BRAF-pancreas:0.01:0.3"
            ) from None


@dataclass(frozen=True, slots=True)
class PlanningSettings:
    """The trial-wide assumptions: screening per month, period, evaluable share, the rule, the repetitions."""

    screened_per_month: float
    months: int
    evaluable_rate: float = 145 / 170  # IMPRESS-Norway: 145 of 170 followed were evaluable (Puco et al. 2024)
    rule: TwoStageRule = DRUP_RULE
    trials: int = 10_000
    seed: int = 1

    def __post_init__(self) -> None:
        if not (math.isfinite(self.screened_per_month) and self.screened_per_month > 0):
            raise InputError(
                f"screened per month {self.screened_per_month!r} is not a positive number",
                field="accrual",
                fix="give the patients screened per month, e.g. 39",
            )
        if not (isinstance(self.months, int) and 1 <= self.months <= 240):
            raise InputError(f"{self.months!r} months is not 1-240", field="months", fix="give e.g. 36")
        if not (0.0 < self.evaluable_rate <= 1.0):
            raise InputError(
                f"evaluable share {self.evaluable_rate!r} is not in (0, 1]", field="evaluable", fix="give e.g. 0.85"
            )
        if not (isinstance(self.trials, int) and 1 <= self.trials <= 1_000_000):
            raise InputError(f"{self.trials!r} simulated trials is not 1-1,000,000", field="trials", fix="give 10000")


@dataclass(frozen=True, slots=True)
class CohortForecast:
    """One cohort over the simulated trials: shares reaching each outcome by the end of the period."""

    scenario: CohortScenario
    reached_stage2: float
    promising: float
    closed_futility: float
    closed_negative: float
    still_running: float
    mean_treated: float
    median_weeks_to_stage2: float | None
    exact: OperatingCharacteristics

    def as_dict(self) -> dict[str, Any]:
        return {
            "cohort": self.scenario.name,
            "match_rate": self.scenario.match_rate,
            "benefit_rate": self.scenario.benefit_rate,
            "reached_stage2": self.reached_stage2,
            "promising": self.promising,
            "closed_futility": self.closed_futility,
            "closed_negative": self.closed_negative,
            "still_running": self.still_running,
            "mean_treated": self.mean_treated,
            "median_weeks_to_stage2": self.median_weeks_to_stage2,
            "exact": {"pet": self.exact.pet, "prob_promising": self.exact.prob_reject_null},
        }


@dataclass(frozen=True, slots=True)
class CountSummary:
    """How many cohorts per simulated trial: mean and the 2.5 % and 97.5 % points over the trials."""

    mean: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "low": self.low, "high": self.high}


@dataclass(frozen=True, slots=True)
class PlanningForecast:
    """The whole plan: per cohort, and counts of cohorts per trial reaching stage 2 and promising."""

    settings: PlanningSettings
    cohorts: tuple[CohortForecast, ...]
    cohorts_reaching_stage2: CountSummary
    cohorts_promising: CountSummary
    treated: CountSummary

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": {
                "screened_per_month": self.settings.screened_per_month,
                "months": self.settings.months,
                "evaluable_rate": self.settings.evaluable_rate,
                "rule": self.settings.rule.as_dict(),
                "trials": self.settings.trials,
                "seed": self.settings.seed,
            },
            "cohorts": [cohort.as_dict() for cohort in self.cohorts],
            "cohorts_reaching_stage2": self.cohorts_reaching_stage2.as_dict(),
            "cohorts_promising": self.cohorts_promising.as_dict(),
            "treated": self.treated.as_dict(),
        }

    def summary(self) -> str:
        """A table for people: one line per cohort, then the trial-wide counts."""
        lines = [
            f"{self.settings.trials} simulated trials, {self.settings.months} months, "
            f"{self.settings.screened_per_month:g} screened per month, rule {self.settings.rule}",
            f"{'cohort':<24} {'stage 2':>8} {'promising':>10} {'futility':>9} {'negative':>9} {'running':>8} "
            f"{'treated':>8} {'exact P(promising)':>19}",
        ]
        for cohort in self.cohorts:
            lines.append(
                f"{cohort.scenario.name[:24]:<24} {cohort.reached_stage2:>8.3f} {cohort.promising:>10.3f} "
                f"{cohort.closed_futility:>9.3f} {cohort.closed_negative:>9.3f} {cohort.still_running:>8.3f} "
                f"{cohort.mean_treated:>8.1f} {cohort.exact.prob_reject_null:>19.3f}"
            )
        for label, count in (
            ("cohorts reaching stage 2", self.cohorts_reaching_stage2),
            ("cohorts promising", self.cohorts_promising),
            ("patients treated", self.treated),
        ):
            lines.append(f"{label}: mean {count.mean:.2f} (95 % of trials {count.low:g}-{count.high:g})")
        return "\n".join(lines)


def simulate_plan(scenarios: Sequence[CohortScenario], settings: PlanningSettings) -> PlanningForecast:
    """Simulate ``settings.trials`` trials of the planned cohorts, week by week, all trials at once."""
    if not scenarios:
        raise InputError("no cohorts to plan", field="cohort", fix="give at least one NAME:MATCH_RATE:BENEFIT_RATE")
    names = [scenario.name for scenario in scenarios]
    if len(set(names)) != len(names):
        raise InputError("two planned cohorts have the same name", field="cohort", fix="name each cohort once")
    rule = settings.rule
    generator = np.random.default_rng(settings.seed)
    shape = (settings.trials, len(scenarios))
    weekly = np.array([scenario.match_rate for scenario in scenarios]) * settings.screened_per_month
    weekly = weekly / WEEKS_PER_MONTH
    benefit_rate = np.broadcast_to(np.array([scenario.benefit_rate for scenario in scenarios]), shape)
    state = np.full(shape, _STAGE1, dtype=np.int8)
    enrolled = np.zeros(shape, dtype=np.int64)  # evaluable patients counted towards the rule
    benefits = np.zeros(shape, dtype=np.int64)
    treated = np.zeros(shape, dtype=np.int64)
    decision_week = np.full(shape, -1, dtype=np.int64)  # when a hold ends
    stage2_week = np.full(shape, -1, dtype=np.int64)
    weeks = math.ceil(settings.months * WEEKS_PER_MONTH)

    for week in range(weeks):
        # Holds that end this week: the week-16 results of the stage are known.
        ending = (decision_week == week) & ((state == _HOLD1) | (state == _HOLD2))
        stage1_end = ending & (state == _HOLD1)
        futile = stage1_end & (benefits <= rule.r1)
        state[futile] = _FUTILITY
        opening = stage1_end & ~futile
        state[opening] = _STAGE2
        stage2_week[opening] = week
        stage2_end = ending & (state == _HOLD2)
        state[stage2_end & (benefits > rule.r)] = _PROMISING
        state[stage2_end & (benefits <= rule.r)] = _NEGATIVE

        open_now = (state == _STAGE1) | (state == _STAGE2)
        arrivals = generator.poisson(np.broadcast_to(weekly, shape))
        arrivals = np.where(open_now, arrivals, 0)
        evaluable = generator.binomial(arrivals, settings.evaluable_rate)
        capacity = np.where(state == _STAGE1, rule.n1, rule.n) - enrolled
        taken = np.minimum(evaluable, np.maximum(capacity, 0))
        # Not-evaluable arrivals are treated too (and replaced); those beyond a full stage are not enrolled.
        treated += taken + (arrivals - evaluable)
        enrolled += taken
        benefits += generator.binomial(taken, benefit_rate)
        full = open_now & (enrolled >= np.where(state == _STAGE1, rule.n1, rule.n))
        decision_week[full] = week + WEEKS_TO_RESULT
        state[full & (state == _STAGE1)] = _HOLD1
        state[full & (state == _STAGE2)] = _HOLD2

    reached = stage2_week >= 0
    forecasts = []
    for index, scenario in enumerate(scenarios):
        column = state[:, index]
        weeks_to_stage2 = stage2_week[reached[:, index], index]
        forecasts.append(
            CohortForecast(
                scenario=scenario,
                reached_stage2=float(reached[:, index].mean()),
                promising=float((column == _PROMISING).mean()),
                closed_futility=float((column == _FUTILITY).mean()),
                closed_negative=float((column == _NEGATIVE).mean()),
                still_running=float(np.isin(column, (_STAGE1, _HOLD1, _STAGE2, _HOLD2)).mean()),
                mean_treated=float(treated[:, index].mean()),
                median_weeks_to_stage2=float(np.median(weeks_to_stage2)) if weeks_to_stage2.size else None,
                exact=rule.operating_characteristics(scenario.benefit_rate),
            )
        )
    return PlanningForecast(
        settings=settings,
        cohorts=tuple(forecasts),
        cohorts_reaching_stage2=_count(reached.sum(axis=1)),
        cohorts_promising=_count((state == _PROMISING).sum(axis=1)),
        treated=_count(treated.sum(axis=1)),
    )


def _count(per_trial: np.ndarray[Any, Any]) -> CountSummary:
    low, high = np.quantile(per_trial, [0.025, 0.975], method="inverted_cdf")  # counts stay whole
    return CountSummary(mean=float(per_trial.mean()), low=float(low), high=float(high))
