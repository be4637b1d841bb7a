"""Kaplan-Meier estimates checked against R's ``survival`` package on the published data in ../shared/data/survival.

Every expected number below was printed by R, not by this code. Where each comes from:

- lung, overall: ``print(survfit(Surv(time, status) ~ 1, data = lung))`` gives n = 228, events = 165, median
  310, 0.95LCL 285, 0.95UCL 363 (the project brief; the same line is printed in the "34 生存時間解析" chapter
  of a public Japanese R textbook, run on ``survival::cancer``, which is ``lung``).
- lung, by sex: ``survfit(Surv(time, status) ~ sex, data = lung)`` prints sex=1: 138, 112, 270 (212, 310) and
  sex=2: 90, 53, 426 (348, 550) (the same textbook chapter, section 34.7.3; STHDA's "Survival Analysis Basics"
  by A. Kassambara prints the same table). Its quartiles ``quantile(fit)`` and ``summary(fit, times =
  c(365, 730))$surv`` are from a knitted R Markdown report "Lung_Cancer_Survival_Analysis" in a public
  repository (found with the project's code search by the printed lines).
- gehan (MASS::gehan; the same 42 remission times as gehan.dat): the per-time table of
  ``survminer::surv_summary(survfit(Surv(time, cens) ~ treat, data = gehan))`` - survival, std.err, upper,
  lower - from a knitted R Markdown "Survival" report in a public repository; the medians follow from it
  by R's rule and are the textbook values (6-MP 23 weeks, control 8 weeks).
- the eight-subject example (days 1, 1, 2, 2+, 3, 3, 4, 4) and its survival 0.75, 0.625, 0.3125, 0 are from
  the same textbook chapter (section 34.7), which shows ``survfit`` agreeing with the hand computation.
- waltons: no R output for it was found; it is checked for its counts and against the definition only.

lung.csv from lifelines codes status 1 = dead, 0 = censored (shared/data/MANIFEST.tsv), not R's 2/1.
"""

from __future__ import annotations

import csv
import itertools
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncobasket.core.errors import InputError
from oncobasket.core.outcomes import OutcomeSettings, PfsRatio, TimeToEvent, pfs_ratio
from oncobasket.core.survival import KaplanMeier, exact_proportion, kaplan_meier, kaplan_meier_by, pfs_ratio_share


def _lung(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "survival" / "lifelines__lung.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _fit(rows: list[tuple[float, int]]) -> KaplanMeier:
    return kaplan_meier([time for time, _ in rows], [event for _, event in rows])


def _gehan(shared_data: Path) -> dict[str, list[tuple[float, int]]]:
    groups: dict[str, list[tuple[float, int]]] = {"control": [], "6-MP": []}
    for line in (shared_data / "survival" / "lifelines__gehan.dat").read_text().splitlines():
        group, weeks, relapse = line.split()
        groups["control" if group == "1" else "6-MP"].append((float(weeks), int(relapse)))
    return groups


@pytest.mark.shared_data
def test_lung_overall_matches_r(shared_data: Path) -> None:
    rows = _lung(shared_data)
    fit = _fit([(float(row["time"]), int(row["status"])) for row in rows])
    assert (fit.n, fit.events) == (228, 165)
    median = fit.median
    assert (median.time, median.lower, median.upper) == (310.0, 285.0, 363.0)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("sex", "n", "events", "quartiles", "survival_365_730"),
    [
        # (probability, time, 0.95LCL, 0.95UCL) as R's quantile(fit) prints them
        ("1", 138, 112, [(0.25, 144, 107, 177), (0.5, 270, 212, 310), (0.75, 457, 387, 574)], (0.33608783, 0.07812409)),
        ("2", 90, 53, [(0.25, 226, 186, 340), (0.5, 426, 348, 550), (0.75, 687, 550, None)], (0.52646303, 0.18723250)),
    ],
)
def test_lung_by_sex_matches_r(
    shared_data: Path,
    sex: str,
    n: int,
    events: int,
    quartiles: list[tuple[float, float, float, float | None]],
    survival_365_730: tuple[float, float],
) -> None:
    rows = [(float(row["time"]), int(row["status"])) for row in _lung(shared_data) if row["sex"] == sex]
    fit = _fit(rows)
    assert (fit.n, fit.events) == (n, events)
    for probability, time, lower, upper in quartiles:
        quantile = fit.quantile(probability)
        assert (quantile.time, quantile.lower, quantile.upper) == (time, lower, upper)
    assert fit.survival_at(365) == pytest.approx(survival_365_730[0], abs=5e-9)
    assert fit.survival_at(730) == pytest.approx(survival_365_730[1], abs=5e-9)


@pytest.mark.shared_data
def test_lung_grouped_fit_matches_r(shared_data: Path) -> None:
    rows = _lung(shared_data)
    fits = kaplan_meier_by(
        np.array([float(row["time"]) for row in rows]),
        np.array([int(row["status"]) for row in rows]),
        [row["sex"] for row in rows],
    )
    assert list(fits) == ["1", "2"]
    assert [(fit.n, fit.events, fit.median.time, fit.median.lower, fit.median.upper) for fit in fits.values()] == [
        (138, 112, 270.0, 212.0, 310.0),
        (90, 53, 426.0, 348.0, 550.0),
    ]


# R (survminer::surv_summary) for MASS::gehan: time, n.risk, n.event, n.censor, surv, std.err, upper, lower
GEHAN_6MP = [
    (6, 21, 3, 1, 0.85714286, 0.08908708, 1.0000000, 0.71981708),
    (7, 17, 1, 0, 0.80672269, 0.10776353, 0.9964437, 0.65312422),
    (9, 16, 0, 1, 0.80672269, 0.10776353, 0.9964437, 0.65312422),
    (10, 15, 1, 1, 0.75294118, 0.12796438, 0.9675748, 0.58591898),
    (11, 13, 0, 1, 0.75294118, 0.12796438, 0.9675748, 0.58591898),
    (13, 12, 1, 0, 0.69019608, 0.15475995, 0.9347692, 0.50961310),
    (16, 11, 1, 0, 0.62745098, 0.18177335, 0.8959949, 0.43939392),
    (17, 10, 0, 1, 0.62745098, 0.18177335, 0.8959949, 0.43939392),
    (19, 9, 0, 1, 0.62745098, 0.18177335, 0.8959949, 0.43939392),
    (20, 8, 0, 1, 0.62745098, 0.18177335, 0.8959949, 0.43939392),
    (22, 7, 1, 0, 0.53781513, 0.23843463, 0.8582008, 0.33703662),
    (23, 6, 1, 0, 0.44817927, 0.30030719, 0.8073720, 0.24878823),
    (25, 5, 0, 1, 0.44817927, 0.30030719, 0.8073720, 0.24878823),
    (32, 4, 0, 2, 0.44817927, 0.30030719, 0.8073720, 0.24878823),
    (34, 2, 0, 1, 0.44817927, 0.30030719, 0.8073720, 0.24878823),
    (35, 1, 0, 1, 0.44817927, 0.30030719, 0.8073720, 0.24878823),
]
GEHAN_CONTROL = [
    (1, 21, 2, 0, 0.90476190, 0.07079923, 1.0000000, 0.78753505),
    (2, 19, 2, 0, 0.80952381, 0.10585122, 0.9961629, 0.65785306),
    (3, 17, 1, 0, 0.76190476, 0.12198751, 0.9676909, 0.59988048),
    (4, 16, 2, 0, 0.66666667, 0.15430335, 0.9020944, 0.49268063),
    (5, 14, 2, 0, 0.57142857, 0.18898224, 0.8276066, 0.39454812),
    (8, 12, 4, 0, 0.38095238, 0.27817432, 0.6571327, 0.22084536),
    (11, 8, 2, 0, 0.28571429, 0.34503278, 0.5618552, 0.14529127),
    (12, 6, 2, 0, 0.19047619, 0.44986771, 0.4600116, 0.07887014),
    (15, 4, 1, 0, 0.14285714, 0.53452248, 0.4072755, 0.05010898),
    (17, 3, 1, 0, 0.09523810, 0.67259271, 0.3558956, 0.02548583),
    (22, 2, 1, 0, 0.04761905, 0.97590007, 0.3224544, 0.00703223),
    (23, 1, 1, 0, 0.00000000, math.inf, None, None),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("group", "expected", "median"),
    [("6-MP", GEHAN_6MP, (23.0, 16.0, None)), ("control", GEHAN_CONTROL, (8.0, 4.0, 12.0))],
)
def test_gehan_table_matches_r(
    shared_data: Path,
    group: str,
    expected: list[tuple[float, int, int, int, float, float, float | None, float | None]],
    median: tuple[float, float, float | None],
) -> None:
    fit = _fit(_gehan(shared_data)[group])
    assert len(fit.table) == len(expected)
    for row, (time, at_risk, events, censored, survival, std_err, upper, lower) in zip(
        fit.table, expected, strict=True
    ):
        assert (row.time, row.at_risk, row.events, row.censored) == (time, at_risk, events, censored)
        assert row.survival == pytest.approx(survival, abs=5e-9)
        assert row.standard_error == pytest.approx(std_err, abs=5e-9)
        if upper is None or lower is None:
            assert row.upper is None
            assert row.lower is None
        else:
            assert row.upper == pytest.approx(upper, abs=5e-8)
            assert row.lower == pytest.approx(lower, abs=5e-9)
    assert (fit.median.time, fit.median.lower, fit.median.upper) == median


@pytest.mark.shared_data
def test_waltons_counts_and_median_by_definition(shared_data: Path) -> None:
    with (shared_data / "survival" / "lifelines__waltons_dataset.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 163
    for group in ("miR-137", "control"):
        data = [(float(row["T"]), int(row["E"])) for row in rows if row["group"] == group]
        fit = _fit(data)
        assert fit.n == len(data)
        assert fit.events == sum(event for _, event in data)
        # The median is the first time S(t) <= 0.5, computed here straight from the counts.
        survival, first_half = 1.0, None
        for time in sorted({time for time, _ in data}):
            at_risk = sum(1 for other, _ in data if other >= time)
            died = sum(event for other, event in data if other == time)
            survival *= 1 - died / at_risk
            if survival <= 0.5 and first_half is None:
                first_half = time
        assert fit.median.time == first_half


def test_textbook_example_with_a_tie_of_event_and_censoring() -> None:
    fit = kaplan_meier([1, 1, 2, 2, 3, 3, 4, 4], [1, 1, 1, 0, 1, 1, 1, 1])
    assert [row.survival for row in fit.table] == pytest.approx([0.75, 0.625, 0.3125, 0.0])
    # At day 2 the censored patient is still at risk for the event that day (events come first).
    assert [(row.at_risk, row.events, row.censored) for row in fit.table] == [
        (8, 2, 0),
        (6, 1, 1),
        (4, 2, 0),
        (2, 2, 0),
    ]
    assert fit.median.time == 3.0


def test_flat_at_one_half_takes_the_midpoint() -> None:
    # R: survfit(Surv(1:4) ~ 1) has S = 0.75, 0.5, 0.25, 0 and median (2 + 3) / 2 = 2.5 (quantile.survfit).
    assert kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]).median.time == 2.5


def test_curve_ending_flat_at_one_half_takes_the_midpoint_to_the_last_time() -> None:
    # S = 0.75, 0.5 and then censorings only, to time 4: R's rule gives (2 + 4) / 2.
    assert kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0]).median.time == 3.0


def test_median_not_reached_is_none() -> None:
    fit = kaplan_meier([5, 8, 12, 20], [1, 0, 0, 0])
    assert fit.median.time is None
    assert fit.median.upper is None


def test_all_censored() -> None:
    fit = kaplan_meier([3, 4, 9], [0, 0, 0])
    assert fit.events == 0
    assert all(row.survival == 1.0 and row.lower == 1.0 and row.upper == 1.0 for row in fit.table)
    assert (fit.median.time, fit.median.lower, fit.median.upper) == (None, None, None)


def test_single_patient() -> None:
    died = kaplan_meier([7], [1])
    assert died.table[0].survival == 0.0
    assert died.table[0].lower is None
    assert died.median.time == 7.0
    censored = kaplan_meier([7], [False])
    assert censored.median.time is None
    assert censored.table[0].survival == 1.0


def test_numpy_columns_are_accepted() -> None:
    fit = kaplan_meier(np.array([1, 2, 3, 4]), np.array([1, 1, 1, 1]))
    assert fit.median.time == 2.5


def test_numbers_at_risk_for_plots() -> None:
    fit = kaplan_meier([2, 4, 4, 6, 9], [1, 0, 1, 1, 0])
    assert fit.at_risk([0, 2, 3, 4, 5, 9, 10]) == (5, 5, 4, 4, 2, 1, 0)


def test_summary_prints_the_r_line() -> None:
    text = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]).summary()
    assert "median" in text
    assert "2.5" in text
    assert "0.95LCL" in text


@pytest.mark.parametrize(
    ("times", "events", "field"),
    [
        ([], [], "times"),
        ([1, 2], [1], "events"),
        ([-1], [1], "times[0]"),
        ([math.nan], [1], "times[0]"),
        ([1], [2], "events[0]"),
        (["7"], [1], "times[0]"),
        ([True], [1], "times[0]"),
    ],
)
def test_bad_input_is_refused(times: list[float], events: list[int], field: str) -> None:
    with pytest.raises(InputError) as raised:
        kaplan_meier(times, events)
    assert raised.value.field == field


survival_data = st.lists(st.tuples(st.integers(min_value=0, max_value=60), st.booleans()), min_size=1, max_size=40)


@given(survival_data)
def test_survival_never_increases_and_stays_in_unit_interval(data: list[tuple[int, bool]]) -> None:
    fit = kaplan_meier([time for time, _ in data], [event for _, event in data])
    values = [row.survival for row in fit.table]
    assert all(0.0 <= value <= 1.0 for value in values)
    assert all(later <= earlier for earlier, later in itertools.pairwise(values))
    for row in fit.table:
        if row.lower is not None and row.upper is not None:
            assert 0.0 <= row.lower <= row.survival <= row.upper <= 1.0


@given(survival_data)
def test_median_is_where_the_curve_first_reaches_one_half(data: list[tuple[int, bool]]) -> None:
    fit = kaplan_meier([time for time, _ in data], [event for _, event in data])
    median = fit.median
    if median.time is None:
        assert all(row.survival > 0.5 for row in fit.table)
        return
    assert fit.survival_at(median.time) <= 0.5 + 1e-12
    assert all(row.survival >= 0.5 - 1e-12 for row in fit.table if row.time < median.time)
    if median.lower is not None:
        assert median.lower <= median.time
    if median.upper is not None:
        assert median.upper >= median.time


@given(survival_data, st.integers(min_value=0, max_value=60))
def test_more_follow_up_after_a_cut_off_changes_no_estimate_before_it(
    data: list[tuple[int, bool]], cut_off: int
) -> None:
    """A later data cut-off (longer follow-up) never changes the estimates up to the earlier cut-off.

    (Adding a *new* censored patient after the last time does change earlier estimates: that patient enlarges
    every earlier risk set, e.g. one death at 0 gives S(0) = 0, and with a patient censored at 1, S(0) = 0.5.)
    """
    times = [time for time, _ in data]
    events = [event for _, event in data]
    full = kaplan_meier(times, events)
    cut = kaplan_meier([min(time, cut_off) for time in times], [event and time <= cut_off for time, event in data])
    for row in cut.table:
        assert full.survival_at(row.time) == pytest.approx(row.survival, abs=1e-15)
        assert full.at_risk([row.time]) == (row.at_risk,)


@given(survival_data, st.integers(min_value=1, max_value=30))
def test_extending_the_last_censored_follow_up_changes_nothing_before(data: list[tuple[int, bool]], gap: int) -> None:
    times = [time for time, _ in data]
    events = [event for _, event in data]
    last = max(times)
    extended = [time + gap if time == last and not event else time for time, event in data]
    before = kaplan_meier(times, events)
    after = kaplan_meier(extended, events)
    for row in before.table:
        assert after.survival_at(row.time) == pytest.approx(row.survival, abs=1e-15)


def test_exact_proportion_matches_the_impress_paper() -> None:
    # Puco et al., Acta Oncol 2024: 58/145 = 40.0 % (32.0-48.5); issue 9: 58/170 = 34.1 % (27.0-41.8).
    evaluable = exact_proportion(58, 145)
    assert (round(evaluable.ci_low or 0, 3), round(evaluable.ci_high or 0, 3)) == (0.320, 0.485)
    treated = exact_proportion(58, 170)
    assert (round(100 * (treated.rate or 0), 1), round(treated.ci_low or 0, 3), round(treated.ci_high or 0, 3)) == (
        34.1,
        0.270,
        0.418,
    )
    assert exact_proportion(0, 0).rate is None
    assert exact_proportion(np.int64(58), np.int64(145)) == evaluable
    with pytest.raises(InputError):
        exact_proportion(3, 2)


def _pfs(days: int, event: bool) -> TimeToEvent:
    start = date(2026, 1, 1)
    end = date.fromordinal(start.toordinal() + days - 1)
    return TimeToEvent("pfs", start, end, days, event, "test")


def test_pfs_ratio_share_leaves_unknown_ratios_out() -> None:
    prior = {"prior_line_start": date(2025, 6, 1), "prior_line_progression": date(2025, 9, 8)}  # 100 days
    ratios: list[PfsRatio] = [
        pfs_ratio(_pfs(130, True), **prior),  # exactly 1.3: meets
        pfs_ratio(_pfs(129, True), **prior),  # below, progressed: does not
        pfs_ratio(_pfs(200, False), **prior),  # censored above: meets
        pfs_ratio(_pfs(50, False), **prior),  # censored below: not yet known
    ]
    share = pfs_ratio_share(ratios)
    assert (share.proportion.k, share.proportion.n, share.unknown) == (2, 3, 1)
    assert share.proportion.ci_low == pytest.approx(0.0942993, abs=1e-6)  # Beta(2, 2) 2.5 % quantile
    assert share.proportion.ci_high == pytest.approx(0.975 ** (1 / 3), abs=1e-9)  # Beta(3, 1): x**3 = 0.975
    other = pfs_ratio(_pfs(130, True), **prior, settings=OutcomeSettings(pfs_ratio_threshold=1.5))
    with pytest.raises(InputError):
        pfs_ratio_share([*ratios, other])
