"""Kaplan-Meier survival estimates, their medians and intervals exactly as R's ``survival::survfit`` gives them.

Sources:

- Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc 1958;53:457-481:
  S(t) is the product over event times t_i <= t of (1 - d_i / n_i), with n_i the number at risk just before
  t_i (observed time >= t_i) and d_i the events at t_i. A censoring at the same time as events counts as at
  risk at that time (events come first), as in R.
- Greenwood M. The natural duration of cancer. Reports on Public Health and Medical Subjects 1926;33:1-26:
  var(log S(t)) = sum over t_i <= t of d_i / (n_i (n_i - d_i)). Its square root is R's ``std.err`` of a
  survfit object (the standard error of the cumulative hazard, not of S).
- Therneau T. ``survival`` package for R, ``survfit.formula`` defaults ``conf.int = 0.95``,
  ``conf.type = "log"``: S * exp(-/+ z * std.err), the upper limit capped at 1, both undefined where S = 0.
  (lifelines defaults to the log(-log) transform instead, so its intervals differ from R's; we follow R.)
- Therneau T. ``survival``, ``quantile.survfit`` and ``print.survfit`` (the median and its 0.95LCL/0.95UCL):
  the p-quantile is where a horizontal line at 1 - p meets the step curve, i.e. the first time with
  S(t) <= 1 - p. When the curve is flat at exactly 1 - p (within sqrt(machine epsilon)) the quantile is the
  midpoint between the start of the flat and the next time the curve drops, or the last time on the curve
  when it ends flat there. The interval's limits are the same quantile of the lower and of the upper
  confidence curves. A quantile the curve never reaches is not reached (None), as R's NA.
- Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of the binomial.
  Biometrika 1934;26:404-413: the exact interval of a proportion (``scipy.stats.binomtest``).

The module is pure: numbers in, frozen result objects out, each with a ``summary()`` in the manner of
lifelines. Bad arguments raise :class:`~oncobasket.core.errors.InputError` naming the field and the rule.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.stats import binomtest, norm

from oncobasket.core.errors import InputError
from oncobasket.core.outcomes import PfsRatio

#: R's ``quantile.survfit`` tolerance for a curve lying exactly on the requested level.
QUANTILE_TOLERANCE = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True, slots=True)
class SurvivalRow:
    """One distinct observed time of the Kaplan-Meier table, as a row of R's ``summary(fit, censored = TRUE)``.

    ``standard_error`` is R's ``std.err`` of the survfit object: the Greenwood standard error of log S
    (infinite once S reaches 0). ``lower`` and ``upper`` are the log-transformed limits, None where S = 0.
    """

    time: float
    at_risk: int
    events: int
    censored: int
    survival: float
    standard_error: float
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class SurvivalQuantile:
    """The time by which a share ``probability`` of patients had the event, with its confidence interval.

    ``probability`` follows R's ``quantile.survfit``: 0.5 is the median, 0.25 the time where S(t) falls to
    0.75. ``time``, ``lower`` and ``upper`` are None where the curve (or its confidence limit) never reaches
    the level: R's NA, "not reached".
    """

    probability: float
    time: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class KaplanMeier:
    """A Kaplan-Meier curve with Greenwood variance and R's default log-transformed confidence limits."""

    n: int
    events: int
    confidence_level: float
    table: tuple[SurvivalRow, ...]

    @property
    def median(self) -> SurvivalQuantile:
        """The median survival time and its interval, as ``print(survfit(...))`` shows them."""
        return self.quantile(0.5)

    def quantile(self, probability: float) -> SurvivalQuantile:
        """The ``probability`` quantile of the event-time distribution and its interval (``quantile.survfit``)."""
        if not _is_probability(probability):
            raise InputError(f"a quantile's probability must lie in [0, 1], not {probability!r}", field="probability")
        times = [row.time for row in self.table]
        return SurvivalQuantile(
            probability=probability,
            time=_curve_quantile(times, [row.survival for row in self.table], probability),
            lower=_curve_quantile(times, [row.lower for row in self.table], probability),
            upper=_curve_quantile(times, [row.upper for row in self.table], probability),
        )

    def survival_at(self, time: float) -> float:
        """S(time): the curve is right-continuous, so an event at ``time`` is already counted."""
        _check_time(time, "time")
        survival = 1.0
        for row in self.table:
            if row.time > time:
                break
            survival = row.survival
        return survival

    def at_risk(self, times: Iterable[float]) -> tuple[int, ...]:
        """Numbers at risk (observed time >= t) at each of ``times``, for the table under a survival plot."""
        row_times = [row.time for row in self.table]
        counts = []
        for time in times:
            _check_time(time, "times")
            # The first row at or after ``time``: nobody leaves between an earlier time and that row.
            index = bisect.bisect_left(row_times, time)
            counts.append(self.table[index].at_risk if index < len(self.table) else 0)
        return tuple(counts)

    def summary(self) -> str:
        """R's ``print(fit)`` line (n, events, median, 0.95LCL, 0.95UCL) and then the survival table."""
        median = self.median
        level = f"{self.confidence_level:g}"
        lines = [
            f"Kaplan-Meier estimate (Greenwood variance, log-transformed {level} limits as R's survfit)",
            f"  {'n':>6} {'events':>7} {'median':>8} {level + 'LCL':>9} {level + 'UCL':>9}",
            f"  {self.n:>6} {self.events:>7} {_text(median.time):>8} {_text(median.lower):>9} {_text(median.upper):>9}",
            "",
            f"  {'time':>8} {'n.risk':>7} {'n.event':>8} {'n.censor':>9} {'survival':>9} {'std.err':>8} "
            f"{'lower':>7} {'upper':>7}",
        ]
        for row in self.table:
            lines.append(
                f"  {row.time:>8g} {row.at_risk:>7} {row.events:>8} {row.censored:>9} {row.survival:>9.4f} "
                f"{row.standard_error:>8.4f} {_text(row.lower, '.4f'):>7} {_text(row.upper, '.4f'):>7}"
            )
        return "\n".join(lines)


def kaplan_meier(
    times: Sequence[float], events: Sequence[bool | int], *, confidence_level: float = 0.95
) -> KaplanMeier:
    """The Kaplan-Meier curve of right-censored times, as ``survfit(Surv(times, events) ~ 1)`` in R.

    ``events`` holds 1 (or True) for an event and 0 (or False) for a censored time.

    >>> fit = kaplan_meier([6, 6, 6, 7, 10], [1, 1, 0, 1, 0])
    >>> [round(row.survival, 4) for row in fit.table]
    [0.6, 0.3, 0.3]
    >>> fit.median.time
    7.0
    """
    if len(times) != len(events):
        raise InputError(f"{len(times)} times but {len(events)} event flags; give one flag per time", field="events")
    if len(times) == 0:  # not ``not times``: a numpy column has no single truth value
        raise InputError("a survival curve needs at least one patient", field="times")
    if not (isinstance(confidence_level, float) and 0.0 < confidence_level < 1.0):
        raise InputError(
            f"the confidence level must lie strictly between 0 and 1, not {confidence_level!r}",
            field="confidence_level",
        )
    for index, time in enumerate(times):
        _check_time(time, f"times[{index}]")
    flags = []
    for index, event in enumerate(events):
        if event not in (0, 1):  # True and False compare equal to 1 and 0
            raise InputError(f"an event flag is 1 (event) or 0 (censored), not {event!r}", field=f"events[{index}]")
        flags.append(int(event))

    observed = np.asarray(times, dtype=np.float64)
    happened = np.asarray(flags, dtype=np.int64)
    distinct = np.unique(observed)
    # Number at risk at t: observed time >= t. Events and censorings are counted per distinct time.
    at_risk = len(observed) - np.searchsorted(np.sort(observed), distinct, side="left")
    positions = np.searchsorted(distinct, observed)
    event_counts = np.bincount(positions, weights=happened, minlength=len(distinct)).astype(np.int64)
    all_counts = np.bincount(positions, minlength=len(distinct)).astype(np.int64)

    z = float(norm.ppf(1.0 - (1.0 - confidence_level) / 2.0))
    rows = []
    survival = 1.0
    variance = 0.0
    for time, risk, died, total in zip(distinct, at_risk, event_counts, all_counts, strict=True):
        risk_count, died_count = int(risk), int(died)
        if died_count:
            survival *= 1.0 - died_count / risk_count
            remaining = risk_count - died_count
            variance = math.inf if remaining == 0 else variance + died_count / (risk_count * remaining)
        standard_error = math.sqrt(variance)
        if survival > 0.0 and math.isfinite(standard_error):
            lower: float | None = survival * math.exp(-z * standard_error)
            upper: float | None = min(1.0, survival * math.exp(z * standard_error))
        else:
            lower = upper = None
        rows.append(
            SurvivalRow(
                time=float(time),
                at_risk=risk_count,
                events=died_count,
                censored=int(total) - died_count,
                survival=survival,
                standard_error=standard_error,
                lower=lower,
                upper=upper,
            )
        )
    return KaplanMeier(
        n=len(observed), events=int(happened.sum()), confidence_level=confidence_level, table=tuple(rows)
    )


def kaplan_meier_by(
    times: Sequence[float],
    events: Sequence[bool | int],
    groups: Sequence[Hashable],
    *,
    confidence_level: float = 0.95,
) -> dict[Hashable, KaplanMeier]:
    """One Kaplan-Meier curve per group, as ``survfit(Surv(times, events) ~ group)`` in R, in first-seen order."""
    if not (len(times) == len(events) == len(groups)):
        raise InputError(
            f"{len(times)} times, {len(events)} event flags and {len(groups)} groups; give one of each per patient",
            field="groups",
        )
    members: dict[Hashable, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    return {
        group: kaplan_meier(
            [times[index] for index in indices],
            [events[index] for index in indices],
            confidence_level=confidence_level,
        )
        for group, indices in members.items()
    }


def _curve_quantile(times: Sequence[float], survival: Sequence[float | None], probability: float) -> float | None:
    """Where the cumulative curve F = 1 - S first reaches ``probability``, with R's rule for a flat at that level.

    The curve starts at time 0 with F = 0. Points where the curve (or a confidence limit) is undefined are
    left out, as R's ``approx`` leaves out NA. Repeated levels (censor-only times) keep their first time, so
    each level is paired with the time the curve dropped to it.
    """
    last_time = times[-1]
    points: list[tuple[float, float]] = [(0.0, 0.0)]
    seen = {0.0}
    for time, value in zip(times, survival, strict=True):
        if value is None:
            continue
        level = 1.0 - value
        if level not in seen:
            seen.add(level)
            points.append((time, level))
    if max(level for _, level in points) < probability:
        return None
    # The first point at or above the level (within tolerance), and the first point strictly above it. The
    # level is searched among sorted values, as R's approx sorts them: an upper confidence curve capped at 1
    # need not be monotone.
    reaching = [(level, time) for time, level in points if level + QUANTILE_TOLERANCE >= probability]
    beyond = [(level, time) for time, level in points if level - QUANTILE_TOLERANCE >= probability]
    if not reaching:
        return None
    start = min(reaching)[1]
    if probability == 0.0:
        return points[0][0]
    # R looks at the last level of the curve, which is undefined once S reaches 0 (no flat end then).
    final_level = points[-1][1]
    if survival[-1] is not None and abs(probability - final_level) < QUANTILE_TOLERANCE:
        # The curve ends flat on the level: midpoint of the flat's start and the last time on the curve.
        return (start + last_time) / 2.0
    if not beyond:
        return None
    return (start + min(beyond)[1]) / 2.0


def _is_count(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, Integral) and int(value) >= 0


def _is_probability(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, Real) and 0.0 <= float(value) <= 1.0


def _check_time(time: object, field: str) -> None:
    # numbers.Real takes numpy's integer and float scalars too, as a column of the analysis dataset holds them.
    if isinstance(time, bool) or not isinstance(time, Real) or not math.isfinite(time) or time < 0:
        raise InputError(f"a survival time is a finite number >= 0, not {time!r}", field=field)


def _text(value: float | None, spec: str = "g") -> str:
    return "NA" if value is None else format(value, spec)


@dataclass(frozen=True, slots=True)
class ExactProportion:
    """k of n with its exact (Clopper-Pearson) confidence interval; rate and limits None when n = 0."""

    k: int
    n: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    confidence_level: float

    def summary(self) -> str:
        """``k/n = rate (low-high)`` in percent, as the IMPRESS results paper reports rates."""
        if self.rate is None or self.ci_low is None or self.ci_high is None:
            return f"{self.k}/{self.n}: no patients"
        return (
            f"{self.k}/{self.n} = {100 * self.rate:.1f} % "
            f"({self.confidence_level:.0%} CI {100 * self.ci_low:.1f}-{100 * self.ci_high:.1f})"
        )


def exact_proportion(k: int, n: int, *, confidence_level: float = 0.95) -> ExactProportion:
    """k of n with the exact Clopper-Pearson interval (Clopper and Pearson 1934; R's ``binom.test``).

    >>> exact_proportion(58, 145).summary()  # IMPRESS-Norway, Acta Oncol 2024;63:379-384
    '58/145 = 40.0 % (95% CI 32.0-48.5)'
    """
    for name, value in (("k", k), ("n", n)):
        # numbers.Integral takes numpy's integer scalars too (a count summed over a data-frame column).
        if not _is_count(value):
            raise InputError(f"a count is a whole number >= 0, not {value!r}", field=name)
    k, n = int(k), int(n)
    if k > n:
        raise InputError(f"{k} of {n}: the count cannot exceed the number of patients", field="k")
    if not (isinstance(confidence_level, float) and 0.0 < confidence_level < 1.0):
        raise InputError(
            f"the confidence level must lie strictly between 0 and 1, not {confidence_level!r}",
            field="confidence_level",
        )
    if n == 0:
        return ExactProportion(k=0, n=0, rate=None, ci_low=None, ci_high=None, confidence_level=confidence_level)
    interval = binomtest(k, n).proportion_ci(confidence_level=confidence_level, method="exact")
    return ExactProportion(
        k=k,
        n=n,
        rate=k / n,
        ci_low=float(interval.low),
        ci_high=float(interval.high),
        confidence_level=confidence_level,
    )


@dataclass(frozen=True, slots=True)
class PfsRatioShare:
    """The share of patients whose PFS ratio reached the threshold, among those whose answer is known.

    ``unknown`` counts patients still progression-free below the threshold: their ratio may still reach it,
    so they are left out of the denominator until it does or they progress.
    """

    threshold: float
    proportion: ExactProportion
    unknown: int

    def summary(self) -> str:
        """One line: the share at or above the threshold and how many are not yet known."""
        return (
            f"PFS ratio >= {self.threshold:g}: {self.proportion.summary()}; "
            f"{self.unknown} not yet known (progression-free below the threshold)"
        )


def pfs_ratio_share(ratios: Iterable[PfsRatio], *, confidence_level: float = 0.95) -> PfsRatioShare:
    """How many patients reached the PFS-ratio threshold (Von Hoff et al., J Clin Oncol 2010;28:4877-4883).

    Every ratio must have been judged against the same threshold; the exact interval is Clopper-Pearson.
    """
    items = list(ratios)
    thresholds = {item.threshold for item in items}
    if len(thresholds) > 1:
        raise InputError(
            f"PFS ratios judged against different thresholds {sorted(thresholds)}",
            field="ratios",
            fix="compute every ratio with the same OutcomeSettings",
        )
    threshold = thresholds.pop() if thresholds else 1.3
    known = [item.meets_threshold for item in items if item.meets_threshold is not None]
    return PfsRatioShare(
        threshold=threshold,
        proportion=exact_proportion(sum(known), len(known), confidence_level=confidence_level),
        unknown=len(items) - len(known),
    )
