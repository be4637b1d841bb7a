"""Trial endpoints from analysis datasets whose answers are known in advance (DOMAIN.md section 4).

Golden values come from the published IMPRESS-Norway results (Puco et al., Acta Oncol 2024;63:379-384),
from R's ``binom.test`` (Clopper-Pearson; the Mendel example of its help page and the closed forms of the
interval at k = 0 and k = n) and from R's ``survfit`` on the lung data (Therneau's survival package:
n 228, 165 events, median 310, 0.95LCL 285, 0.95UCL 363), never from this code's own earlier output.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis_tables import published_funnel_rows, random_dataset
from oncobasket.core.analysis import AnalysisRow
from oncobasket.core.endpoints import FUNNEL_STEPS, Rate, compute_endpoints, endpoint_report
from oncobasket.core.errors import InputError
from oncobasket.core.recist import OverallResponse

_TREATED = {"qc_passed": True, "matched": True, "offered": True, "treated": True, "drug": "olaparib", "cohort": "c1"}


def test_published_funnel_and_disease_control() -> None:
    endpoints = compute_endpoints(published_funnel_rows())
    funnel = dict(endpoints.funnel)
    assert [funnel[step] for step in ("screened", "matched", "treated", "followed_w16", "evaluable")] == [
        1167,
        358,
        186,
        170,
        145,
    ]
    # Published: 58/145 = 40.0 % (32.0-48.5) and 58/170 = 34.1 % (27.0-41.8).
    evaluable, treated = endpoints.dcr_w16_evaluable, endpoints.dcr_w16_all_treated
    assert (evaluable.k, evaluable.n) == (58, 145)
    assert (round(100 * evaluable.rate, 1), round(100 * evaluable.ci_low, 1), round(100 * evaluable.ci_high, 1)) == (
        40.0,
        32.0,
        48.5,
    )
    assert (treated.k, treated.n) == (58, 170)
    assert (round(100 * treated.rate, 1), round(100 * treated.ci_low, 1), round(100 * treated.ci_high, 1)) == (
        34.1,
        27.0,
        41.8,
    )
    assert endpoints.offered.k == 186
    assert endpoints.offered.n == 1167
    # 10 of the 58 with benefit had a partial response in the hand-made table.
    assert (endpoints.orr.k, endpoints.orr.n) == (10, 145)
    assert sum(count for _, count in endpoints.not_treated_reasons) == 358 - 186


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (682, 925, 0.7076683, 0.7654066),  # R ?binom.test example: binom.test(682, 682 + 243, p = 3/4)
        (0, 10, 0.0, 1 - 0.025 ** (1 / 10)),  # k = 0: upper limit 1 - (alpha/2)^(1/n)
        (10, 10, 0.025 ** (1 / 10), 1.0),  # k = n: lower limit (alpha/2)^(1/n)
        (1, 1, 0.025, 1.0),
    ],
)
def test_clopper_pearson_against_r(k: int, n: int, low: float, high: float) -> None:
    rate = Rate.of(k, n)
    assert rate.ci_low == pytest.approx(low, abs=5e-7)
    assert rate.ci_high == pytest.approx(high, abs=5e-7)


def test_no_patients_gives_no_rate() -> None:
    endpoints = compute_endpoints([])
    assert endpoints.dcr_w16_evaluable.as_dict() == {"k": 0, "n": 0, "rate": None, "ci_low": None, "ci_high": None}
    assert endpoints.pfs.as_dict() == {
        "n": 0,
        "events": 0,
        "median": None,
        "median_ci_low": None,
        "median_ci_high": None,
    }


def test_median_not_reached_is_null() -> None:
    rows = [
        AnalysisRow(
            study_id=f"P{index}",
            **_TREATED,
            followed_w16=False,
            evaluable=False,
            pfs_days=100 + index,
            pfs_event=int(index == 0),
        )
        for index in range(5)
    ]
    pfs = compute_endpoints(rows).pfs
    assert (pfs.n, pfs.events, pfs.median) == (5, 1, None)


def test_median_of_a_small_curve() -> None:
    # S drops to 0.6 at 6 (2 of 5 events) and to 0.3 at 7: the median is the first time S <= 0.5, day 7.
    times, events = [6, 6, 6, 7, 10], [1, 1, 0, 1, 0]
    rows = [
        AnalysisRow(study_id=f"P{index}", **_TREATED, followed_w16=False, evaluable=False, os_days=day, os_event=event)
        for index, (day, event) in enumerate(zip(times, events, strict=True))
    ]
    assert compute_endpoints(rows).os.median == 7.0


@pytest.mark.shared_data
def test_survival_on_the_lung_data_matches_r(shared_data: Path) -> None:
    with (shared_data / "survival" / "lifelines__lung.csv").open(encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    rows = [
        AnalysisRow(
            study_id=f"L{index}",
            **_TREATED,
            followed_w16=False,
            evaluable=False,
            pfs_days=int(record["time"]),
            pfs_event=int(record["status"]),
        )
        for index, record in enumerate(records)
    ]
    pfs = compute_endpoints(rows).pfs
    assert (pfs.n, pfs.events, pfs.median, pfs.median_ci_low, pfs.median_ci_high) == (228, 165, 310, 285, 363)


def test_duration_of_benefit_uses_patients_with_benefit_only() -> None:
    rows = [
        AnalysisRow(
            study_id="B1", **_TREATED, followed_w16=True, evaluable=True, benefit_w16=True, pfs_days=200, pfs_event=1
        ),
        AnalysisRow(
            study_id="B2", **_TREATED, followed_w16=True, evaluable=True, benefit_w16=True, pfs_days=300, pfs_event=1
        ),
        AnalysisRow(
            study_id="N1", **_TREATED, followed_w16=True, evaluable=True, benefit_w16=False, pfs_days=50, pfs_event=1
        ),
    ]
    endpoints = compute_endpoints(rows)
    assert endpoints.duration_of_benefit.n == 2
    # Two events: S = 0.5 from day 200 to 300, flat at exactly one half, so R takes the midpoint, 250.
    assert endpoints.duration_of_benefit.median == 250.0
    assert endpoints.pfs.n == 3


def test_pfs_ratio_counts_known_answers_only() -> None:
    base = {**_TREATED, "followed_w16": False, "evaluable": False}
    rows = [
        AnalysisRow(study_id="R1", **base, pfs_ratio=2.0, pfs_days=300, pfs_event=1),  # meets
        AnalysisRow(study_id="R2", **base, pfs_ratio=1.3, pfs_days=130, pfs_event=0),  # meets (>= 1.3)
        AnalysisRow(study_id="R3", **base, pfs_ratio=0.5, pfs_days=60, pfs_event=1),  # misses
        AnalysisRow(study_id="R4", **base, pfs_ratio=0.8, pfs_days=80, pfs_event=0),  # may still reach it
    ]
    result = compute_endpoints(rows).pfs_ratio
    assert (result.share.k, result.share.n, result.unknown) == (2, 3, 1)


def test_adverse_events_by_worst_grade() -> None:
    base = {**_TREATED, "followed_w16": False, "evaluable": False}
    grades = [0, 1, 1, 3, 4, 5, None]
    rows = [AnalysisRow(study_id=f"A{index}", **base, worst_ae_grade=grade) for index, grade in enumerate(grades)]
    summary = compute_endpoints(rows).adverse_events
    assert dict(summary.by_worst_grade) == {0: 1, 1: 2, 2: 0, 3: 1, 4: 1, 5: 1}
    assert (summary.grade3_or_worse.k, summary.grade3_or_worse.n, summary.not_recorded) == (3, 6, 1)


def test_by_group_counts_and_json_keys() -> None:
    rows = [
        AnalysisRow(
            study_id="G1",
            **_TREATED,
            tumour_group="Pancreatic",
            followed_w16=True,
            evaluable=True,
            benefit_w16=True,
            best_overall_response=OverallResponse.PR,
        ),
        AnalysisRow(
            study_id="G2", **_TREATED, tumour_group="Pancreatic", followed_w16=True, evaluable=True, benefit_w16=False
        ),
        AnalysisRow(
            study_id="G3",
            **_TREATED,
            tumour_group="Breast",
            followed_w16=True,
            evaluable=True,
            benefit_w16=True,
            best_overall_response=OverallResponse.SD,
        ),
        AnalysisRow(
            study_id="G4",
            qc_passed=False,
            matched=False,
            offered=False,
            treated=False,
            followed_w16=False,
            evaluable=False,
        ),
    ]
    report = endpoint_report(rows, by="tumour_group").as_dict()
    assert set(report["groups"]) == {"Breast", "Pancreatic", ""}
    pancreatic = report["groups"]["Pancreatic"]
    assert pancreatic["dcr_w16"]["evaluable"]["k"] == 1
    assert pancreatic["dcr_w16"]["evaluable"]["n"] == 2
    assert pancreatic["orr"]["k"] == 1
    assert report["groups"][""]["funnel"]["screened"] == 1
    for shape in (report, pancreatic):
        assert list(shape["funnel"]) == list(FUNNEL_STEPS)
        assert {"funnel", "dcr_w16", "orr", "pfs", "os"} <= set(shape)
        assert set(shape["dcr_w16"]) == {"evaluable", "all_treated"}
        assert set(shape["pfs"]) == {"n", "events", "median", "median_ci_low", "median_ci_high"}


def test_grouping_by_an_unknown_or_unsuitable_column_is_refused() -> None:
    rows = published_funnel_rows()[:3]
    with pytest.raises(InputError, match="no column 'tumor_group'"):
        endpoint_report(rows, by="tumor_group")
    with pytest.raises(InputError, match="not a grouping column"):
        endpoint_report(rows, by="pfs_days")


@settings(max_examples=40, deadline=None)
@given(patients=st.integers(min_value=0, max_value=120), seed=st.integers(min_value=0, max_value=10_000))
def test_funnel_never_increases_and_groups_add_up(patients: int, seed: int) -> None:
    rows = random_dataset(patients, seed).rows
    report = endpoint_report(rows, by="drug")
    counts = [count for _, count in report.overall.funnel]
    assert all(later <= earlier for earlier, later in itertools.pairwise(counts))
    for step in FUNNEL_STEPS:
        assert sum(group.funnel_count(step) for _, group in report.groups) == report.overall.funnel_count(step)
    overall = report.overall
    assert overall.dcr_w16_evaluable.n == overall.funnel_count("evaluable")
    assert overall.dcr_w16_all_treated.n == overall.funnel_count("followed_w16")
    assert overall.dcr_w16_all_treated.k == overall.dcr_w16_evaluable.k
