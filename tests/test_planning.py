"""Trial planning by simulation: checked against the rule's exact operating characteristics (Simon 1989)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from oncobasket.core.cohorts import TwoStageRule
from oncobasket.core.errors import InputError
from oncobasket.core.planning import CohortScenario, PlanningSettings, simulate_plan


def _within(simulated: float, exact: float, trials: int) -> bool:
    """Within 4 binomial standard errors of the exact probability."""
    return abs(simulated - exact) <= 4 * math.sqrt(max(exact * (1 - exact), 1e-4) / trials)


def test_long_period_approaches_the_exact_operating_characteristics() -> None:
    # With ten years and brisk accrual every cohort reaches its decision: the simulated shares must agree
    # with the exact ones of the DRUP rule, e.g. P(promising) 0.078 at p = 0.10 (DOMAIN.md section 3).
    trials = 6000
    scenarios = [CohortScenario("p10", 0.05, 0.10), CohortScenario("p30", 0.05, 0.30)]
    settings = PlanningSettings(screened_per_month=40, months=120, trials=trials, seed=7)
    forecast = simulate_plan(scenarios, settings)
    for cohort in forecast.cohorts:
        assert cohort.still_running == 0.0
        assert _within(cohort.closed_futility, cohort.exact.pet, trials)
        assert _within(cohort.promising, cohort.exact.prob_reject_null, trials)
        assert cohort.reached_stage2 == pytest.approx(1 - cohort.closed_futility)
    assert forecast.cohorts[0].exact.prob_reject_null == pytest.approx(0.0778, abs=5e-4)


def test_no_benefit_never_reaches_stage_2_and_certain_benefit_always_does() -> None:
    scenarios = [CohortScenario("none", 0.05, 0.0), CohortScenario("all", 0.05, 1.0)]
    forecast = simulate_plan(scenarios, PlanningSettings(screened_per_month=40, months=60, trials=500))
    none, every = forecast.cohorts
    assert (none.reached_stage2, none.closed_futility, none.promising) == (0.0, 1.0, 0.0)
    assert (every.reached_stage2, every.promising) == (1.0, 1.0)


def test_a_short_period_leaves_cohorts_running_and_the_seed_fixes_the_answer() -> None:
    scenarios = [CohortScenario("slow", 0.002, 0.3)]
    settings = PlanningSettings(screened_per_month=30, months=6, trials=2000, seed=11)
    first = simulate_plan(scenarios, settings)
    assert first.cohorts[0].still_running > 0.9
    assert simulate_plan(scenarios, settings) == first
    stricter = PlanningSettings(screened_per_month=30, months=6, trials=2000, seed=11, rule=TwoStageRule(1, 10, 5, 29))
    assert simulate_plan(scenarios, stricter).cohorts[0].exact.n1 == 10


@pytest.mark.parametrize(
    ("text", "rule"),
    [("A:0.01", "NAME:MATCH_RATE:BENEFIT_RATE"), ("A:x:0.3", "not numbers"), ("A:0.01:1.5", "between 0 and 1")],
)
def test_bad_cohort_text_is_refused(text: str, rule: str) -> None:
    with pytest.raises(InputError, match=rule):
        CohortScenario.parse(text)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(InputError, match="not a positive number"):
        PlanningSettings(screened_per_month=0, months=12)
    with pytest.raises(InputError, match="months"):
        PlanningSettings(screened_per_month=10, months=0)
    with pytest.raises(InputError, match="same name"):
        simulate_plan([CohortScenario("A", 0.1, 0.1)] * 2, PlanningSettings(screened_per_month=10, months=12))


def test_cli_json() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "oncobasket.cli",
            "simulate",
            "plan",
            "--cohort",
            "BRAF-pancreas:0.02:0.3",
            "--accrual",
            "39",
            "--months",
            "24",
            "--trials",
            "500",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["settings"]["rule"] == {"r1": 0, "n1": 8, "r": 4, "n": 24}
    assert set(result["cohorts"][0]) >= {"reached_stage2", "promising", "closed_futility", "still_running", "exact"}
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "oncobasket.cli",
            "simulate",
            "plan",
            "--cohort",
            "A:0.02:0.3",
            "--accrual",
            "39",
            "--rule",
            "8 of 24",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "not a two-stage rule" in bad.stderr
