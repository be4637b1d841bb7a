"""The trial report renders: every section in the HTML, a first PDF page that is not blank, the same bytes twice."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pypdfium2
import pytest

from analysis_tables import published_funnel_rows, random_dataset
from oncobasket.core.analysis import AnalysisDataset, AnalysisRow
from oncobasket.core.endpoints import compute_endpoints
from oncobasket.core.trial_report import cohort_lines, funnel_steps
from oncobasket.io.report import ReportFiles, ReportSource, write_trial_report

SECTIONS = ("title", "funnel", "endpoints", "cohorts", "plots", "adverse-events")
PLOTS = ("waterfall", "swimmer", "km-pfs", "km-os", "pfs-ratio", "ae-grades")
SOURCE = ReportSource(data_source="table synthetic.csv", software_version="9.9.9", table_file="synthetic.csv")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return write_trial_report(random_dataset(250, seed=11), tmp_path_factory.mktemp("report"), SOURCE)


def test_html_has_every_section_and_plot(report: ReportFiles) -> None:
    html = report.html.read_text(encoding="utf-8")
    for section in (*SECTIONS, *PLOTS):
        assert f'id="{section}"' in html, section
    assert html.count("<svg") == len(PLOTS)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an id appears twice in the page"
    # The first page: protocol version, software version, data source and cut-off.
    for fact in ("example-1.0", "OncoBasket 9.9.9", "table synthetic.csv", "2026-06-30"):
        assert fact in html
    assert "SYNTHETIC DATA" in html


def test_first_pdf_page_is_not_blank(report: ReportFiles) -> None:
    document = pypdfium2.PdfDocument(report.pdf)
    try:
        assert len(document) >= 4
        image = document[0].render(scale=0.5).to_pil().convert("L")
    finally:
        document.close()
    histogram = image.histogram()  # 256 grey levels
    dark = sum(histogram[:128])
    assert dark / sum(histogram) > 0.005, "the first page is (almost) blank"


def test_tables_are_written_as_csv_and_agree_with_the_endpoints(report: ReportFiles) -> None:
    names = {path.name for path in report.tables}
    assert names == {"funnel.csv", "endpoints.csv", "cohorts.csv", "not_treated_reasons.csv", "adverse_events.csv"}
    with (report.html.parent / "endpoints.csv").open(encoding="utf-8") as handle:
        overall = next(csv.DictReader(handle))
    expected = compute_endpoints(random_dataset(250, seed=11).rows)
    assert int(overall["evaluable"]) == expected.funnel_count("evaluable")
    assert int(overall["dcr_w16_evaluable_k"]) == expected.dcr_w16_evaluable.k


def test_same_data_give_the_same_report(tmp_path: Path) -> None:
    dataset = random_dataset(80, seed=3)
    first = write_trial_report(dataset, tmp_path / "one", SOURCE)
    second = write_trial_report(dataset, tmp_path / "two", SOURCE)
    assert first.html.read_bytes() == second.html.read_bytes()
    assert first.pdf.read_bytes() == second.pdf.read_bytes()


def test_a_table_without_outcomes_still_renders(tmp_path: Path) -> None:
    rows = tuple(row for row in published_funnel_rows() if not row.treated)
    files = write_trial_report(AnalysisDataset(rows=rows), tmp_path, SOURCE)
    html = files.html.read_text(encoding="utf-8")
    assert "No target-lesion measurements in the table" in html  # matplotlib keeps drawn text as an SVG comment
    assert "table synthetic.csv" in html  # no protocol version: the report names the table
    assert files.pdf.stat().st_size > 0


def test_funnel_drops_name_every_reason() -> None:
    steps = {step.name: step for step in funnel_steps(published_funnel_rows())}
    assert steps["matched"].patients == 358
    assert steps["matched"].left == 358 - 186
    assert sum(count for _, count in steps["matched"].reasons) == 358 - 186
    assert {reason for reason, _ in steps["matched"].reasons} >= {"declined", "entered another trial"}
    assert steps["followed_w16"].left == 25
    assert steps["evaluable"].left == 0


def test_cohort_lines_count_treated_evaluable_and_benefit() -> None:
    lines = cohort_lines(published_funnel_rows())
    assert len(lines) == 1
    line = lines[0]
    assert (line.treated, line.evaluable, line.benefit) == (186, 145, 58)
    assert line.thresholds == "stage 2 on >= 1 of 8; promising on >= 5 of 24"


@pytest.mark.parametrize(
    ("status", "waits_for"),
    [
        ("stage1_open", "6 more patient(s) for stage 1"),
        ("stage1_full", "week-16 results of stage 1 (1 of 8 known)"),
        ("stage2_open", "22 more patient(s) for stage 2"),
        ("promising", "the decision on an expansion cohort"),
        ("closed_futility", "nothing (closed)"),
    ],
)
def test_what_a_cohort_waits_for(status: str, waits_for: str) -> None:
    # Two treated patients, one evaluable (no benefit), under the DRUP rule 0/8, 4/24.
    common = {
        "qc_passed": True,
        "matched": True,
        "offered": True,
        "treated": True,
        "drug": "olaparib",
        "cohort": "BRCA2 loss / Breast / olaparib",
        "cohort_status": status,
    }
    rows = [
        AnalysisRow(study_id="C1", **common, followed_w16=True, evaluable=True, benefit_w16=False),
        AnalysisRow(study_id="C2", **common, followed_w16=False, evaluable=False),
    ]
    (line,) = cohort_lines(rows)
    assert line.waits_for == waits_for
