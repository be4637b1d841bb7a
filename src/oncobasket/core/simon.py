"""Simon two-stage designs for single-arm phase II trials: exact binomial operating characteristics.

Source: Simon R. Optimal two-stage designs for phase II clinical trials. Controlled Clinical Trials
1989;10:1-10. Notation and conventions are Simon's (and those of R's ``clinfun::ph2simon``):

- stage 1 treats ``n1`` patients; the trial stops (the drug is not promising) if the number of
  responses ``X1 <= r1``;
- otherwise ``n - n1`` more patients are treated, and the drug is declared promising (H0: p <= p0 is
  rejected) only if the total number of responses ``X1 + X2 > r``.

With ``X1 ~ Bin(n1, p)`` and ``X2 ~ Bin(n - n1, p)`` independent, Simon's equations are

- PET(p) = P(X1 <= r1), the probability of early termination;
- P(declare promising | p) = sum over x1 = r1+1..n1 of P(X1 = x1) * P(X2 > r - x1);
- EN(p) = n1 + (1 - PET(p)) * (n - n1), the expected number of patients.

A design meets (alpha, beta) when P(declare promising | p0) < alpha and 1 - P(declare promising | p1)
< beta (strict inequalities, as in ``clinfun::ph2simon``). Among the designs with n <= nmax that meet
them, the *optimal* design has the smallest EN(p0) and the *minimax* design the smallest n (and, among
designs with that n, the smallest EN(p0)).

The module is pure: numbers in, frozen result objects out, each with a ``summary()`` in the manner of
lifelines. Bad arguments raise :class:`~oncobasket.core.errors.InputError` naming the field and the rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaln

from oncobasket.core.errors import InputError

#: ``clinfun::ph2simon`` refuses nmax above 1000; the exhaustive search grows as nmax**3.
NMAX_LIMIT = 1000

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def _binomial_pmf(size: int, p: float) -> FloatArray:
    """P(X = x) for x = 0..size, X ~ Bin(size, p), computed in log space.

    Why not ``scipy.stats.binom.pmf``: it raises OverflowError for subnormal p (found by a property test),
    and 1 - cdf loses the small upper tails that decide the type I error. Logs never overflow and the tails
    are summed from the pmf.
    """
    counts = np.arange(size + 1, dtype=np.float64)
    if p <= 0.0 or p >= 1.0:
        pmf = np.zeros(size + 1)
        pmf[0 if p <= 0.0 else size] = 1.0
        return pmf
    log_choose = gammaln(size + 1.0) - gammaln(counts + 1.0) - gammaln(size - counts + 1.0)
    result: FloatArray = np.exp(log_choose + counts * math.log(p) + (size - counts) * math.log1p(-p))
    return result


def _upper_tail(pmf: FloatArray) -> FloatArray:
    """P(X > k) for k = 0..size, summed from the top so that small tails keep their precision."""
    above = np.cumsum(pmf[::-1])[::-1]  # above[k] = P(X >= k)
    tail: FloatArray = np.minimum(np.append(above[1:], 0.0), 1.0)
    return tail


# ---------------------------------------------------------------------------------------------
# Validation (one-line errors naming the field, the rule and the fix)
# ---------------------------------------------------------------------------------------------


def _is_integer(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def check_rule(r1: int, n1: int, r: int, n: int, *, source: str | None = None) -> None:
    """Raise :class:`InputError` unless ``0 <= r1 < n1 < n`` and ``r1 <= r < n`` (Simon 1989, section 2).

    ``r1 < n1``: with r1 = n1 no stage-1 result could continue the trial. ``r < n``: with r = n no result
    could declare the drug promising. ``r >= r1``: a smaller r would make stage 2 pointless.
    """
    for name, value in (("r1", r1), ("n1", n1), ("r", r), ("n", n)):
        if not _is_integer(value):
            raise InputError(f"must be a whole number, got {value!r}", source=source, field=name, fix="give an integer")
    if r1 < 0:
        raise InputError(f"must be >= 0, got {r1}", source=source, field="r1", fix="give the stage-1 futility boundary")
    if n1 <= r1:
        raise InputError(
            f"must be greater than r1 ({r1}), got {n1}",
            source=source,
            field="n1",
            fix="stage 1 must enrol more patients than the number of responses that stops the trial",
        )
    if n <= n1:
        raise InputError(
            f"must be greater than n1 ({n1}), got {n}",
            source=source,
            field="n",
            fix="n is the total over both stages",
        )
    if r < r1:
        raise InputError(
            f"must be >= r1 ({r1}), got {r}", source=source, field="r", fix="r counts responses over both stages"
        )
    if r >= n:
        raise InputError(
            f"must be less than n ({n}), got {r}",
            source=source,
            field="r",
            fix="the drug is promising when responses exceed r, which needs r < n",
        )


def _check_probability(value: float, name: str, *, closed: bool) -> None:
    ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = 0.0 <= value <= 1.0 if closed else 0.0 < value < 1.0
    if not ok:
        interval = "[0, 1]" if closed else "(0, 1), strictly"
        raise InputError(
            f"must be a probability in {interval}, got {value!r}",
            field=name,
            fix="give a proportion such as 0.1, not a percentage",
        )


def check_design_targets(p0: float, p1: float, alpha: float, beta: float, nmax: int) -> None:
    """Raise :class:`InputError` unless ``0 < p0 < p1 < 1``, ``0 < alpha, beta < 1`` and ``2 <= nmax <= 1000``."""
    _check_probability(p0, "p0", closed=False)
    _check_probability(p1, "p1", closed=False)
    if p1 <= p0:
        raise InputError(
            f"must be greater than p0 ({p0}), got {p1}",
            field="p1",
            fix="p1 is the response rate of interest, p0 the uninteresting one",
        )
    _check_probability(alpha, "alpha", closed=False)
    _check_probability(beta, "beta", closed=False)
    if not _is_integer(nmax) or not 2 <= nmax <= NMAX_LIMIT:
        raise InputError(
            f"must be a whole number from 2 to {NMAX_LIMIT}, got {nmax!r}",
            field="nmax",
            fix="give the largest total sample size to search",
        )


# ---------------------------------------------------------------------------------------------
# Operating characteristics of one rule
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OperatingCharacteristics:
    """Exact operating characteristics of the rule (r1, n1, r, n) at the true response rate ``p``.

    ``pet``: P(X1 <= r1), stopping after stage 1. ``prob_reject_null``: P(X1 > r1 and X1 + X2 > r),
    declaring the drug promising; at p = p0 this is the type I error, at p = p1 the power.
    ``expected_n``: n1 + (1 - pet) * (n - n1). Source: Simon 1989, equations (1) and (2).
    """

    r1: int
    n1: int
    r: int
    n: int
    p: float
    pet: float
    prob_reject_null: float
    expected_n: float

    @property
    def rule(self) -> str:
        """The rule in Simon's notation, e.g. ``0/8, 4/24``."""
        return f"{self.r1}/{self.n1}, {self.r}/{self.n}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``oncobasket simon evaluate --json`` (one object per p)."""
        return {
            "p": self.p,
            "pet": self.pet,
            "prob_reject_null": self.prob_reject_null,
            "expected_n": self.expected_n,
            "r1": self.r1,
            "n1": self.n1,
            "r": self.r,
            "n": self.n,
        }

    def summary(self) -> str:
        """A short plain-text report for people."""
        return "\n".join(
            [
                f"Simon two-stage rule r1/n1 = {self.r1}/{self.n1}, r/n = {self.r}/{self.n} at p = {self.p:g}",
                f"  P(stop after stage 1)        {self.pet:.4f}",
                f"  P(declare drug promising)    {self.prob_reject_null:.4f}",
                f"  expected number of patients  {self.expected_n:.2f}",
            ]
        )


def operating_characteristics(r1: int, n1: int, r: int, n: int, p: float) -> OperatingCharacteristics:
    """Exact PET, probability of declaring the drug promising and expected sample size (Simon 1989).

    >>> oc = operating_characteristics(0, 8, 4, 24, 0.10)  # the DRUP/IMPRESS rule at p0 = 10 %
    >>> round(oc.prob_reject_null, 3)
    0.078
    """
    check_rule(r1, n1, r, n)
    _check_probability(p, "p", closed=True)
    n2 = n - n1
    x1 = np.arange(r1 + 1, n1 + 1)
    stage1 = _binomial_pmf(n1, p)
    pet = min(float(np.sum(stage1[: r1 + 1])), 1.0)
    # P(X2 > k) is 1 for k < 0: a stage-1 count above r already decides.
    stage2_tail = _upper_tail(_binomial_pmf(n2, p))
    needed = r - x1
    tail = np.where(needed < 0, 1.0, stage2_tail[np.clip(needed, 0, n2)])
    reject = float(np.sum(stage1[x1] * tail))
    return OperatingCharacteristics(
        r1=r1,
        n1=n1,
        r=r,
        n=n,
        p=float(p),
        pet=pet,
        prob_reject_null=min(max(reject, 0.0), 1.0),
        expected_n=n1 + (1.0 - pet) * n2,
    )


def evaluate(r1: int, n1: int, r: int, n: int, rates: Iterable[float]) -> tuple[OperatingCharacteristics, ...]:
    """Operating characteristics of one rule at several true response rates."""
    return tuple(operating_characteristics(r1, n1, r, n, p) for p in rates)


# ---------------------------------------------------------------------------------------------
# Optimal and minimax designs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimonDesign:
    """One two-stage design with its attained characteristics under p0 and p1.

    ``kind`` is ``optimal`` or ``minimax``. ``en0`` and ``pet0`` are EN(p0) and PET(p0) as in Simon's
    tables; ``type_i_error`` is P(declare promising | p0) and ``power`` P(declare promising | p1), the
    values the design attains (below the targets alpha and 1 - beta).
    """

    kind: str
    r1: int
    n1: int
    r: int
    n: int
    p0: float
    p1: float
    en0: float
    pet0: float
    type_i_error: float
    power: float

    @property
    def rule(self) -> str:
        """The rule in Simon's notation, e.g. ``1/10, 5/29``."""
        return f"{self.r1}/{self.n1}, {self.r}/{self.n}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of one design in ``oncobasket simon design --json``."""
        return {
            "r1": self.r1,
            "n1": self.n1,
            "r": self.r,
            "n": self.n,
            "en0": self.en0,
            "pet0": self.pet0,
            "type_i_error": self.type_i_error,
            "power": self.power,
        }


@dataclass(frozen=True, slots=True)
class SimonDesigns:
    """The optimal and minimax designs for (p0, p1, alpha, beta) with at most ``nmax`` patients."""

    p0: float
    p1: float
    alpha: float
    beta: float
    nmax: int
    optimal: SimonDesign
    minimax: SimonDesign

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``oncobasket simon design --json``."""
        return {
            "p0": self.p0,
            "p1": self.p1,
            "alpha": self.alpha,
            "beta": self.beta,
            "nmax": self.nmax,
            "optimal": self.optimal.as_dict(),
            "minimax": self.minimax.as_dict(),
        }

    def summary(self) -> str:
        """Simon's table layout: r1/n1, r/n, EN(p0), PET(p0), plus attained type I error and power."""
        lines = [
            f"Simon two-stage designs for p0 = {self.p0:g}, p1 = {self.p1:g}, "
            f"alpha = {self.alpha:g}, beta = {self.beta:g} (n <= {self.nmax})",
            f"  {'design':<8} {'r1/n1':>7} {'r/n':>7} {'EN(p0)':>7} {'PET(p0)':>8} {'alpha':>7} {'power':>7}",
        ]
        for item in (self.optimal, self.minimax):
            lines.append(
                f"  {item.kind:<8} {f'{item.r1}/{item.n1}':>7} {f'{item.r}/{item.n}':>7} {item.en0:>7.2f} "
                f"{item.pet0:>8.4f} {item.type_i_error:>7.4f} {item.power:>7.4f}"
            )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _BinomialTables:
    """pmf, cdf and a shifted survival table of Bin(m, p) for every m = 0..nmax, computed once."""

    pmf: FloatArray  # [m, x] = P(X = x), 0 where x > m
    cdf: FloatArray  # [m, x] = P(X <= x)
    # [m, k + nmax] = P(X > k) for k = -nmax..nmax, so that k = r - x1 < 0 needs no special case.
    sf_shifted: FloatArray

    @classmethod
    def build(cls, p: float, nmax: int) -> _BinomialTables:
        pmf = np.zeros((nmax + 1, nmax + 1))
        shifted = np.ones((nmax + 1, 2 * nmax + 1))
        for size in range(nmax + 1):
            row = _binomial_pmf(size, p)
            pmf[size, : size + 1] = row
            shifted[size, nmax : nmax + size + 1] = _upper_tail(row)
            shifted[size, nmax + size + 1 :] = 0.0
        cdf = np.minimum(np.cumsum(pmf, axis=1), 1.0)
        return cls(pmf=pmf, cdf=cdf, sf_shifted=shifted)


def design(p0: float, p1: float, alpha: float, beta: float, nmax: int = 100) -> SimonDesigns:
    """Simon's (1989) optimal and minimax two-stage designs, searched exhaustively up to ``nmax``.

    Every (n1, n, r1, r) with 1 <= n1 < n <= nmax, 0 <= r1 < n1 and r1 <= r < n is considered. Ties are
    broken as ``clinfun::ph2simon`` breaks them, so the two programs give the same designs: for each n the
    design with the smallest EN(p0) is kept (on an exact tie the smaller n1, then the larger r1, then the
    larger r); the minimax design is the one kept for the smallest feasible n and the optimal design the
    one with the smallest EN(p0) over all n (on a tie, the smaller n).

    The search is exact but pruned: for fixed (n1, n2 = n - n1) the rejection probabilities for all
    (r1, r) come from one reverse cumulative sum over the stage-1 count; once a design with EN(p0) = E is
    known no stage 1 with n1 >= E is tried, because EN(p0) > n1. A total n is skipped when even the
    most powerful single-stage test on n patients (the randomised Neyman-Pearson test of size alpha) has
    power <= 1 - beta: a two-stage rule is a test on the same n patients, so it cannot do better. And as
    power needs P1(X1 > r1) > 1 - beta, r1 is bounded for each n1, which bounds EN(p0) from below.

    Raises :class:`InputError` for targets out of range, or when no design with n <= nmax meets them.
    """
    check_design_targets(p0, p1, alpha, beta, nmax)
    null = _BinomialTables.build(p0, nmax)
    alternative = _BinomialTables.build(p1, nmax)

    largest_r1 = [
        int(np.flatnonzero(alternative.cdf[n1, :n1] < beta + _SAFETY)[-1])
        if n1 > 0 and alternative.cdf[n1, 0] < beta + _SAFETY
        else -1
        for n1 in range(nmax + 1)
    ]
    best_en = math.inf
    optimal: tuple[int, int, int, int] | None = None
    minimax: tuple[int, int, int, int] | None = None
    for n in range(2, nmax + 1):
        if _neyman_pearson_power(n, alpha, null, alternative) < 1.0 - beta - _SAFETY:
            continue
        best_for_n: tuple[float, tuple[int, int, int, int]] | None = None
        # EN(p0) > n1, so stage-1 sizes at or above the best EN seen (for this n or overall) cannot win.
        for n1 in range(1, n):
            bound = min(best_en, best_for_n[0] if best_for_n is not None else math.inf)
            if n1 >= bound:
                break
            # Power needs P1(X1 > r1) > 1 - beta, so r1 <= largest_r1[n1]; the largest PET(p0) and hence
            # the smallest EN(p0) any rule with these stage sizes can reach is the one at that r1.
            if largest_r1[n1] < 0 or n1 + (1.0 - null.cdf[n1, largest_r1[n1]]) * (n - n1) >= bound:
                continue
            found = _best_for_stage_sizes(
                n1, n - n1, alpha=alpha, beta=beta, null=null, alternative=alternative, nmax=nmax
            )
            if found is not None and (best_for_n is None or found[0] < best_for_n[0]):
                best_for_n = found
        if best_for_n is None:
            continue
        if minimax is None:
            minimax = best_for_n[1]
        if best_for_n[0] < best_en:
            best_en = best_for_n[0]
            optimal = best_for_n[1]
    if optimal is None or minimax is None:
        raise InputError(
            f"no two-stage design with at most {nmax} patients meets alpha = {alpha} and beta = {beta} "
            f"for p0 = {p0}, p1 = {p1}",
            field="nmax",
            fix="increase nmax or relax alpha, beta or the difference p1 - p0",
        )
    return SimonDesigns(
        p0=p0,
        p1=p1,
        alpha=alpha,
        beta=beta,
        nmax=nmax,
        optimal=_describe("optimal", optimal, p0, p1),
        minimax=_describe("minimax", minimax, p0, p1),
    )


#: Margin that keeps rounding in the bound from ever skipping a feasible n.
_SAFETY = 1e-9


def _neyman_pearson_power(n: int, alpha: float, null: _BinomialTables, alternative: _BinomialTables) -> float:
    """Power at p1 of the randomised most powerful size-alpha test of p0 against p1 with n patients.

    It rejects when X > c and, with probability gamma, when X = c, where P0(X > c) <= alpha < P0(X >= c).
    By the Neyman-Pearson lemma no test on n patients with type I error <= alpha is more powerful.
    """
    tail_null = null.sf_shifted[n, null.sf_shifted.shape[1] // 2 :][: n + 1]  # P0(X > c), c = 0..n
    c = int(np.argmax(tail_null <= alpha))  # the first c; P0(X > n) = 0 <= alpha always holds
    gamma = 0.0
    if null.pmf[n, c] > 0.0:
        gamma = min(1.0, max(0.0, (alpha - tail_null[c]) / null.pmf[n, c]))
    tail_alternative = alternative.sf_shifted[n, alternative.sf_shifted.shape[1] // 2 :][: n + 1]
    return float(tail_alternative[c] + gamma * alternative.pmf[n, c])


def _best_for_stage_sizes(
    n1: int,
    n2: int,
    *,
    alpha: float,
    beta: float,
    null: _BinomialTables,
    alternative: _BinomialTables,
    nmax: int,
) -> tuple[float, tuple[int, int, int, int]] | None:
    """The feasible (r1, r) with the smallest EN(p0) for stage sizes n1 and n2, or None.

    Returns (EN(p0), (r1, n1, r, n)). On equal EN the larger r1 wins, and for the chosen r1 the largest
    feasible r, matching the order in which ``clinfun::ph2simon`` meets them.
    """
    n = n1 + n2
    x1 = np.arange(n1 + 1)[:, None]
    r = np.arange(n)[None, :]
    columns = r - x1 + nmax  # index of P(X2 > r - x1) in the shifted survival table

    def reject(tables: _BinomialTables) -> FloatArray:
        joint = tables.pmf[n1, : n1 + 1, None] * tables.sf_shifted[n2][columns]
        # tail[j, r] = sum over x1 >= j of P(X1 = x1) P(X2 > r - x1); row j = r1 + 1 is P(reject | r1, r).
        tail = np.cumsum(joint[::-1], axis=0)[::-1]
        return tail[1:]  # rows r1 = 0..n1-1

    type_i = reject(null)
    power = reject(alternative)
    r1 = np.arange(n1)[:, None]
    feasible = (type_i < alpha) & ((1.0 - power) < beta) & (r >= r1)
    rows = np.flatnonzero(feasible.any(axis=1))
    if rows.size == 0:
        return None
    pet = null.cdf[n1, rows]
    expected = n1 + (1.0 - pet) * n2
    # argmin returns the first minimum; scanning r1 from high to low makes the larger r1 win exact ties.
    pick = rows[::-1][int(np.argmin(expected[::-1]))]
    best_r = int(np.flatnonzero(feasible[pick])[-1])
    return float(n1 + (1.0 - null.cdf[n1, pick]) * n2), (int(pick), n1, best_r, n)


def _describe(kind: str, rule: tuple[int, int, int, int], p0: float, p1: float) -> SimonDesign:
    r1, n1, r, n = rule
    under_null = operating_characteristics(r1, n1, r, n, p0)
    under_alternative = operating_characteristics(r1, n1, r, n, p1)
    return SimonDesign(
        kind=kind,
        r1=r1,
        n1=n1,
        r=r,
        n=n,
        p0=p0,
        p1=p1,
        en0=under_null.expected_n,
        pet0=under_null.pet,
        type_i_error=under_null.prob_reject_null,
        power=under_alternative.prob_reject_null,
    )
