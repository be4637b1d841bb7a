"""The analysis dataset from the registry as it stood at a cut-off (issue 9, ARCHITECTURE.md "Endpoints"): one
row per screened patient, flags that nest, and nothing recorded after the cut-off counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from oncobasket.core.endpoints import endpoint_report
from oncobasket.core.errors import InputError
from oncobasket.core.profiles import ProfileSettings
from oncobasket.core.registry import NotTreatedReason
from oncobasket.io.analysis_table import read_analysis_table, write_analysis_table
from oncobasket.services import (
    Registry,
    Settings,
    add_patient,
    init_trial,
    patient_form,
    record_assessments,
    record_not_treated,
    screen_patient,
    start_treatment,
)
from oncobasket.services.analysis import build_analysis_dataset
from registry_database import BRAF, database_url, protocol_file  # noqa: F401 - fixtures
from test_services_outcomes import BRAF_DOSES, START, assessment_file, enrolled, scan

EXAMPLE = (
    Path(__file__).resolve().parents[1]
    / "src/oncobasket/data/examples/tso500/run_2026-01/Results/OB-0001/OB-0001_CombinedVariantOutput.tsv"
)


class Clock:
    """The registry's clock, moved by the test: every entry is recorded at the time it shows."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def to(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def trial(database_url: str, protocol_file: Path, clock: Clock) -> Iterator[Registry]:  # noqa: F811 - fixtures
    registry = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=clock))
    init_trial(registry, protocol_file)
    yield registry
    registry.close()


def test_a_treated_patient_with_week_16_benefit_and_one_not_treated(
    trial: Registry, clock: Clock, tmp_path: Path
) -> None:
    enrolled(trial, "IMP-0001", BRAF)
    screen_patient(trial, "IMP-0001", [EXAMPLE], ProfileSettings())
    clock.to(START)
    start_treatment(trial, "IMP-0001", start_date=START, doses=BRAF_DOSES)
    add_patient(
        trial, patient_form(study_id="IMP-0002", site="OUS", sex="F", birth_year=1960, oncotree_code="PAAD", ecog=1)
    )
    screen_patient(trial, "IMP-0002", [EXAMPLE], ProfileSettings())
    record_not_treated(trial, "IMP-0002", NotTreatedReason.DECLINED)
    clock.to(START + timedelta(days=130))
    record_assessments(trial, "IMP-0001", assessment_file(tmp_path, [scan(56, 20, 14), scan(112, 18, 12)]))
    dataset = build_analysis_dataset(trial, as_of=clock.now.date())
    rows = {row.study_id: row for row in dataset.rows}
    treated = rows["IMP-0001"]
    assert (treated.qc_passed, treated.matched, treated.offered, treated.treated) == (True, True, True, True)
    assert (treated.followed_w16, treated.evaluable, treated.benefit_w16) == (True, True, True)
    assert treated.best_overall_response == "PR"
    assert treated.best_percent_change == pytest.approx(-40.0)
    assert (treated.pfs_days, treated.pfs_event) == (113, 0)
    assert treated.cohort_status == "stage2_open"
    assert rows["IMP-0002"].not_treated_reason == "declined"
    assert dataset.metadata.protocol_version == "test-1"
    # The same numbers go through the table (a sister trial's path).
    table = tmp_path / "analysis.csv"
    write_analysis_table(dataset, table)
    assert read_analysis_table(table).rows == dataset.rows
    report = endpoint_report(dataset.rows).as_dict()
    assert report["funnel"]["treated"] == 1
    assert report["dcr_w16"]["evaluable"]["k"] == 1


def test_nothing_recorded_after_the_cut_off_counts(trial: Registry, clock: Clock, tmp_path: Path) -> None:
    enrolled(trial, "IMP-0003", BRAF)
    screen_patient(trial, "IMP-0003", [EXAMPLE], ProfileSettings())
    before_treatment = clock.now.date()
    clock.to(START)
    start_treatment(trial, "IMP-0003", start_date=START, doses=BRAF_DOSES)
    clock.to(START + timedelta(days=60))
    record_assessments(trial, "IMP-0003", assessment_file(tmp_path, [scan(56, 25, 17)]))
    clock.to(START + timedelta(days=120))
    record_assessments(trial, "IMP-0003", assessment_file(tmp_path, [scan(56, 25, 17), scan(112, 24, 16)]))
    rows_at = {
        cut: build_analysis_dataset(trial, as_of=cut).rows[0]
        for cut in (before_treatment, START + timedelta(days=70), START + timedelta(days=120))
    }
    early, middle, late = rows_at.values()
    assert (early.treated, early.not_treated_reason) == (False, "pending")
    # At day 70 the week-16 scan was not yet recorded: followed for 70 days only, no result yet.
    assert (middle.treated, middle.followed_w16, middle.evaluable, middle.benefit_w16) == (True, False, False, None)
    assert middle.pfs_days == 57
    assert (late.followed_w16, late.evaluable, late.benefit_w16) == (True, True, True)
    # The funnel never increases, at any cut-off.
    for row in rows_at.values():
        flags = [row.qc_passed, row.matched, row.offered, row.treated, row.followed_w16, row.evaluable]
        assert flags == sorted(flags, reverse=True)


def test_a_cut_off_in_the_future_is_refused(trial: Registry, clock: Clock) -> None:
    with pytest.raises(InputError, match="in the future"):
        build_analysis_dataset(trial, as_of=clock.now.date() + timedelta(days=1))
