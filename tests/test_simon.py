"""Simon two-stage designs: published designs, the DRUP rule, an independent brute force, properties."""

from __future__ import annotations

import math
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncobasket.core.errors import InputError
from oncobasket.core.simon import check_rule, design, evaluate, operating_characteristics

# Published designs. Columns: p0, p1, alpha, beta, nmax, kind, r1, n1, r, n, EN(p0), PET(p0), decimals of the
# published EN and PET, source.
#   clinfun: the printed output of R clinfun::ph2simon's own examples (clinfun reference page, pkgdown,
#            version 1.1.1.9102: ph2simon(0.2, 0.4, 0.1, 0.1) and ph2simon(0.2, 0.35, 0.05, 0.05[, nmax=150])).
#   mtdesign: the README of openpharma/mtdesign (Simon design for p0 0.05, p1 0.25, alpha 0.05, beta 0.2).
#   Simon1989: Simon R, Controlled Clinical Trials 1989;10:1-10, Table 1 (p1 - p0 = 0.20).
GOLDEN = [
    (0.20, 0.40, 0.10, 0.10, 100, "optimal", 3, 17, 10, 37, 26.02, 0.5489, 2, 4, "clinfun"),
    (0.20, 0.40, 0.10, 0.10, 100, "minimax", 3, 19, 10, 36, 28.26, 0.4551, 2, 4, "clinfun"),
    (0.20, 0.35, 0.05, 0.05, 100, "optimal", 11, 53, 26, 99, 69.88, 0.6330, 2, 4, "clinfun"),
    (0.20, 0.35, 0.05, 0.05, 100, "minimax", 15, 68, 25, 95, 75.44, 0.7244, 2, 4, "clinfun"),
    (0.20, 0.35, 0.05, 0.05, 150, "optimal", 11, 50, 28, 109, 67.07, 0.7107, 2, 4, "clinfun"),
    (0.20, 0.35, 0.05, 0.05, 150, "minimax", 15, 68, 25, 95, 75.44, 0.7244, 2, 4, "clinfun"),
    (0.05, 0.25, 0.05, 0.20, 100, "optimal", 0, 9, 2, 17, 12.0, 0.63, 1, 2, "mtdesign"),
    (0.05, 0.25, 0.05, 0.20, 100, "minimax", 0, 12, 2, 16, 13.8, 0.54, 1, 2, "mtdesign"),
    (0.05, 0.25, 0.10, 0.10, 100, "optimal", 0, 9, 2, 24, 14.5, 0.63, 1, 2, "Simon1989"),
    (0.05, 0.25, 0.10, 0.10, 100, "minimax", 0, 13, 2, 20, 16.4, 0.51, 1, 2, "Simon1989"),
    (0.05, 0.25, 0.05, 0.10, 100, "optimal", 0, 9, 3, 30, 16.8, 0.63, 1, 2, "Simon1989"),
    (0.05, 0.25, 0.05, 0.10, 100, "minimax", 0, 15, 3, 25, 20.4, 0.46, 1, 2, "Simon1989"),
    (0.10, 0.30, 0.10, 0.10, 100, "optimal", 1, 12, 5, 35, 19.8, 0.66, 1, 2, "Simon1989"),
    (0.10, 0.30, 0.10, 0.10, 100, "minimax", 1, 16, 4, 25, 20.4, 0.51, 1, 2, "Simon1989"),
    (0.10, 0.30, 0.05, 0.20, 100, "optimal", 1, 10, 5, 29, 15.0, 0.74, 1, 2, "Simon1989"),
    (0.10, 0.30, 0.05, 0.20, 100, "minimax", 1, 15, 5, 25, 19.5, 0.55, 1, 2, "Simon1989"),
    (0.10, 0.30, 0.05, 0.10, 100, "optimal", 2, 18, 6, 35, 22.5, 0.73, 1, 2, "Simon1989"),
    (0.10, 0.30, 0.05, 0.10, 100, "minimax", 2, 22, 6, 33, 26.2, 0.62, 1, 2, "Simon1989"),
    (0.20, 0.40, 0.05, 0.20, 100, "optimal", 3, 13, 12, 43, 20.6, 0.75, 1, 2, "Simon1989"),
    (0.20, 0.40, 0.05, 0.20, 100, "minimax", 4, 18, 10, 33, 22.3, 0.72, 1, 2, "Simon1989"),
    (0.20, 0.40, 0.05, 0.10, 100, "optimal", 4, 19, 15, 54, 30.4, 0.67, 1, 2, "Simon1989"),
    (0.20, 0.40, 0.05, 0.10, 100, "minimax", 5, 24, 13, 45, 31.2, 0.66, 1, 2, "Simon1989"),
    (0.30, 0.50, 0.10, 0.10, 100, "optimal", 7, 22, 17, 46, 29.9, 0.67, 1, 2, "Simon1989"),
    (0.30, 0.50, 0.10, 0.10, 100, "minimax", 7, 28, 15, 39, 35.0, 0.36, 1, 2, "Simon1989"),
    (0.30, 0.50, 0.05, 0.10, 100, "optimal", 8, 24, 24, 63, 34.7, 0.73, 1, 2, "Simon1989"),
    (0.30, 0.50, 0.05, 0.10, 100, "minimax", 7, 24, 21, 53, 36.6, 0.56, 1, 2, "Simon1989"),
]


@pytest.mark.parametrize(
    ("p0", "p1", "alpha", "beta", "nmax", "kind", "r1", "n1", "r", "n", "en0", "pet0", "en_digits", "pet_digits"),
    [row[:-1] for row in GOLDEN],
    ids=[f"{row[-1]}-{row[0]}-{row[1]}-{row[2]}-{row[3]}-n{row[4]}-{row[5]}" for row in GOLDEN],
)
def test_design_matches_published_table(
    p0: float,
    p1: float,
    alpha: float,
    beta: float,
    nmax: int,
    kind: str,
    r1: int,
    n1: int,
    r: int,
    n: int,
    en0: float,
    pet0: float,
    en_digits: int,
    pet_digits: int,
) -> None:
    found = getattr(design(p0, p1, alpha, beta, nmax), kind)
    assert (found.r1, found.n1, found.r, found.n) == (r1, n1, r, n)
    assert round(found.en0, en_digits) == pytest.approx(en0)
    assert round(found.pet0, pet_digits) == pytest.approx(pet0)
    assert found.type_i_error < alpha
    assert 1.0 - found.power < beta


def test_mtdesign_attained_error_rates() -> None:
    """mtdesign's README prints the attained type I and II errors of the 0/9, 2/17 and 0/12, 2/16 designs."""
    designs = design(0.05, 0.25, 0.05, 0.20)
    assert round(designs.optimal.type_i_error, 3) == pytest.approx(0.047)
    assert round(1 - designs.optimal.power, 3) == pytest.approx(0.188)
    assert round(designs.minimax.type_i_error, 3) == pytest.approx(0.043)
    assert round(1 - designs.minimax.power, 3) == pytest.approx(0.199)


def test_drup_rule_operating_characteristics() -> None:
    """DOMAIN.md section 3: 0/8, 4/24 at p0 = 10 %, p1 = 30 %: type I error about 7.8 %, power about 86 %."""
    null, alternative = evaluate(0, 8, 4, 24, [0.10, 0.30])
    assert round(null.prob_reject_null, 3) == pytest.approx(0.078)
    assert round(alternative.prob_reject_null, 2) == pytest.approx(0.86)
    # 0 of 8 stops the cohort: P(X1 = 0) = 0.9**8 under p0.
    assert null.pet == pytest.approx(0.9**8)
    assert null.expected_n == pytest.approx(8 + (1 - 0.9**8) * 16)


# ---------------------------------------------------------------------------------------------
# An independent brute force with exact integer binomial coefficients (no scipy, no pruning)
# ---------------------------------------------------------------------------------------------


@cache
def _pmf(k: int, size: int, p: float) -> float:
    if k < 0 or k > size:
        return 0.0
    return math.comb(size, k) * p**k * (1 - p) ** (size - k)


def _reference(r1: int, n1: int, r: int, n: int, p: float) -> tuple[float, float, float]:
    """Simon 1989 equations by direct double sum over (x1, x2)."""
    n2 = n - n1
    pet = sum(_pmf(x1, n1, p) for x1 in range(r1 + 1))
    reject = sum(
        _pmf(x1, n1, p) * _pmf(x2, n2, p) for x1 in range(r1 + 1, n1 + 1) for x2 in range(n2 + 1) if x1 + x2 > r
    )
    return pet, reject, n1 + (1 - pet) * n2


def _rules(max_n: int = 40) -> st.SearchStrategy[tuple[int, int, int, int]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[int, int, int, int]:
        n = draw(st.integers(2, max_n))
        n1 = draw(st.integers(1, n - 1))
        r1 = draw(st.integers(0, n1 - 1))
        r = draw(st.integers(r1, n - 1))
        return r1, n1, r, n

    return build()


@settings(max_examples=150, deadline=None)
@given(rule=_rules(), p=st.floats(0.0, 1.0))
def test_operating_characteristics_match_direct_double_sum(rule: tuple[int, int, int, int], p: float) -> None:
    pet, reject, expected = _reference(*rule, p)
    found = operating_characteristics(*rule, p)
    assert found.pet == pytest.approx(pet, abs=1e-12)
    assert found.prob_reject_null == pytest.approx(reject, abs=1e-12)
    assert found.expected_n == pytest.approx(expected, abs=1e-9)


def _brute_force_designs(
    p0: float, p1: float, alpha: float, beta: float, nmax: int
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """Every design with n <= nmax; optimal = smallest EN(p0) (then smallest n), minimax = smallest n then EN."""
    feasible: list[tuple[float, int, tuple[int, int, int, int]]] = []
    for n in range(2, nmax + 1):
        for n1 in range(1, n):
            for r1 in range(n1):
                for r in range(r1, n):
                    _, type_i, en0 = _reference(r1, n1, r, n, p0)
                    if type_i >= alpha:
                        continue
                    _, power, _ = _reference(r1, n1, r, n, p1)
                    if 1 - power < beta:
                        feasible.append((en0, n, (r1, n1, r, n)))
    optimal = min(feasible, key=lambda item: (round(item[0], 9), item[1]))
    minimax = min(feasible, key=lambda item: (item[1], round(item[0], 9)))
    return optimal[2], minimax[2]


@pytest.mark.parametrize(
    ("p0", "p1", "alpha", "beta", "nmax"),
    [
        (0.05, 0.25, 0.05, 0.20, 20),
        (0.10, 0.40, 0.10, 0.10, 24),
        (0.30, 0.60, 0.10, 0.20, 22),
        (0.20, 0.50, 0.05, 0.20, 22),
        (0.40, 0.70, 0.10, 0.10, 22),
    ],
)
def test_pruned_search_agrees_with_brute_force(p0: float, p1: float, alpha: float, beta: float, nmax: int) -> None:
    optimal, minimax = _brute_force_designs(p0, p1, alpha, beta, nmax)
    found = design(p0, p1, alpha, beta, nmax)
    assert (found.optimal.r1, found.optimal.n1, found.optimal.r, found.optimal.n) == optimal
    assert (found.minimax.r1, found.minimax.n1, found.minimax.r, found.minimax.n) == minimax


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(rule=_rules(60), a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0))
def test_monotone_in_true_rate(rule: tuple[int, int, int, int], a: float, b: float) -> None:
    low, high = sorted((a, b))
    at_low = operating_characteristics(*rule, low)
    at_high = operating_characteristics(*rule, high)
    assert at_high.pet <= at_low.pet + 1e-12
    assert at_high.prob_reject_null >= at_low.prob_reject_null - 1e-12
    _, n1, _, n = rule
    for found in (at_low, at_high):
        assert n1 <= found.expected_n <= n
        assert 0.0 <= found.pet <= 1.0
        # Declaring the drug promising needs passing stage 1.
        assert found.prob_reject_null <= 1.0 - found.pet + 1e-12


@pytest.mark.parametrize("rule", [(0, 8, 4, 24), (1, 10, 5, 29), (3, 17, 10, 37)])
def test_extreme_rates(rule: tuple[int, int, int, int]) -> None:
    nothing = operating_characteristics(*rule, 0.0)
    everything = operating_characteristics(*rule, 1.0)
    assert (nothing.pet, nothing.prob_reject_null, nothing.expected_n) == (1.0, 0.0, rule[1])
    assert (everything.pet, everything.prob_reject_null, everything.expected_n) == (0.0, 1.0, rule[3])


@settings(max_examples=15, deadline=None)
@given(
    p0=st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.4]),
    gap=st.sampled_from([0.15, 0.2, 0.25]),
    alpha=st.sampled_from([0.05, 0.1]),
    beta=st.sampled_from([0.1, 0.2]),
)
def test_designs_meet_targets_and_order(p0: float, gap: float, alpha: float, beta: float) -> None:
    found = design(p0, p0 + gap, alpha, beta)
    assert found.minimax.n <= found.optimal.n
    assert found.optimal.en0 <= found.minimax.en0
    for item in (found.optimal, found.minimax):
        assert item.type_i_error < alpha
        assert item.power > 1 - beta
        check_rule(item.r1, item.n1, item.r, item.n)


def test_summary_and_dict_shapes() -> None:
    found = design(0.10, 0.30, 0.05, 0.20)
    text = found.summary()
    assert "1/10" in text
    assert "5/29" in text
    assert "1/15" in text
    shape = found.as_dict()
    for kind in ("optimal", "minimax"):
        assert {"r1", "n1", "r", "n", "en0", "pet0"} <= set(shape[kind])
    characteristics = operating_characteristics(0, 8, 4, 24, 0.1)
    assert "0/8" in characteristics.summary()
    assert characteristics.rule == "0/8, 4/24"
    assert {"p", "pet", "prob_reject_null", "expected_n"} <= set(characteristics.as_dict())


# ---------------------------------------------------------------------------------------------
# Bad input: one line naming the field
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ((0.3, 0.1, 0.05, 0.2, 100), "p1"),
        ((0.2, 0.2, 0.05, 0.2, 100), "p1"),
        ((0.0, 0.3, 0.05, 0.2, 100), "p0"),
        ((0.1, 1.0, 0.05, 0.2, 100), "p1"),
        ((10.0, 30.0, 0.05, 0.2, 100), "p0"),
        ((0.1, 0.3, 0.0, 0.2, 100), "alpha"),
        ((0.1, 0.3, 1.0, 0.2, 100), "alpha"),
        ((0.1, 0.3, 0.05, 0.0, 100), "beta"),
        ((0.1, 0.3, 0.05, float("nan"), 100), "beta"),
        ((0.1, 0.3, 0.05, 0.2, 1), "nmax"),
        ((0.1, 0.3, 0.05, 0.2, 1001), "nmax"),
        ((0.2, 0.25, 0.05, 0.05, 30), "nmax"),  # no design that small exists
    ],
)
def test_design_rejects_bad_targets(arguments: tuple[float, float, float, float, int], field: str) -> None:
    with pytest.raises(InputError) as caught:
        design(*arguments)
    assert caught.value.field == field
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ((-1, 8, 4, 24), "r1"),
        ((8, 8, 4, 24), "n1"),
        ((0, 24, 4, 24), "n"),
        ((2, 8, 1, 24), "r"),
        ((0, 8, 24, 24), "r"),
        ((0, 8.0, 4, 24), "n1"),
        ((True, 8, 4, 24), "r1"),
    ],
)
def test_rule_validation(rule: tuple[int, int, int, int], field: str) -> None:
    with pytest.raises(InputError) as caught:
        operating_characteristics(*rule, 0.1)
    assert caught.value.field == field


@pytest.mark.parametrize("p", [-0.1, 1.1, float("inf")])
def test_rate_validation(p: float) -> None:
    with pytest.raises(InputError) as caught:
        operating_characteristics(0, 8, 4, 24, p)
    assert caught.value.field == "p"
