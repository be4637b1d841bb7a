"""Write the trial report: one HTML page rendered by Jinja2, the same HTML printed to PDF by WeasyPrint, and CSVs.

One rendering path: the PDF is WeasyPrint's rendering of exactly the HTML that is written beside it, so the
two cannot differ. The tables the report shows are written as CSV too (``funnel.csv``, ``endpoints.csv``,
``cohorts.csv``, ``not_treated_reasons.csv``, ``adverse_events.csv``) for other programs.

Deterministic: the same analysis dataset and cut-off give byte-identical files. The HTML carries no clock
time; the plots' SVG has no date and a fixed id salt (io.report_plots); the PDF gets no creation date and
WeasyPrint's document identifier is derived from its content, not from the clock.

WeasyPrint needs Pango at run time (Debian packages ``libpango-1.0-0`` and ``libpangoft2-1.0-0``; the report
uses the DejaVu fonts of ``fonts-dejavu-core``). See docs/report.md.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from oncobasket.core.analysis import AnalysisDataset, reason_label
from oncobasket.core.endpoints import EndpointReport, Endpoints, Rate, SurvivalSummary
from oncobasket.core.trial_report import TrialReportContent, cohort_rule_text, trial_report_content
from oncobasket.io import report_plots

HTML_NAME = "trial_report.html"
PDF_NAME = "trial_report.pdf"
_GROUP_LABELS = {"tumour_group": "tumour group", "drug": "drug", "biomarker": "biomarker", "site": "site"}


@dataclass(frozen=True, slots=True)
class ReportSource:
    """Where the data came from, for the first page: the registry at a cut-off, or a table file."""

    data_source: str
    software_version: str
    table_file: str | None = None


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """The files one report run wrote."""

    html: Path
    pdf: Path
    tables: tuple[Path, ...]


def write_trial_report(dataset: AnalysisDataset, out: Path, source: ReportSource) -> ReportFiles:
    """Render the report of ``dataset`` into folder ``out`` (created if missing): HTML, PDF and CSV tables."""
    import weasyprint  # heavy: loaded only when a report is written

    out.mkdir(parents=True, exist_ok=True)
    content = trial_report_content(dataset)
    html = render_html(dataset, content, source)
    html_path = out / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    pdf_path = out / PDF_NAME
    document = weasyprint.HTML(string=html, base_url=str(out))
    with _source_date(dataset.metadata.cut_off):
        pdf_bytes = document.write_pdf(pdf_identifier=b"oncobasket-trial-report")
    pdf_path.write_bytes(pdf_bytes)
    tables = []
    for name, text in report_tables(content).items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        tables.append(path)
    return ReportFiles(html=html_path, pdf=pdf_path, tables=tuple(tables))


@contextlib.contextmanager
def _source_date(cut_off: datetime.date | None) -> Iterator[None]:
    """Pin the time fontTools writes into each embedded font subset (its ``head.modified``) to the cut-off.

    fontTools, which WeasyPrint uses to subset fonts, stamps the subset with the clock time unless
    SOURCE_DATE_EPOCH is set (the reproducible-builds convention); without this the PDF would differ on
    every run. The variable is restored afterwards.
    """
    day = cut_off or datetime.date(1970, 1, 1)
    epoch = int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp())
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _percent(rate: Rate) -> str:
    if rate.rate is None or rate.ci_low is None or rate.ci_high is None:
        return "-"
    return f"{100 * rate.rate:.1f} % ({100 * rate.ci_low:.1f}-{100 * rate.ci_high:.1f})"


def _median(summary: SurvivalSummary) -> str:
    if summary.n == 0:
        return "-"

    def text(value: float | None) -> str:
        return "NR" if value is None else f"{value:g}"

    return f"{text(summary.median)} ({text(summary.median_ci_low)}-{text(summary.median_ci_high)})"


def _group_line(value: str | None, endpoints: Endpoints) -> list[str]:
    return [
        "not recorded" if value is None else value,
        str(endpoints.funnel_count("treated")),
        str(endpoints.funnel_count("evaluable")),
        f"{endpoints.dcr_w16_evaluable.k}/{endpoints.dcr_w16_evaluable.n} {_percent(endpoints.dcr_w16_evaluable)}",
        f"{endpoints.dcr_w16_all_treated.k}/{endpoints.dcr_w16_all_treated.n} "
        f"{_percent(endpoints.dcr_w16_all_treated)}",
        f"{endpoints.orr.k}/{endpoints.orr.n} {_percent(endpoints.orr)}",
        _median(endpoints.pfs),
        _median(endpoints.os),
    ]


def _grouping(report: EndpointReport) -> dict[str, Any]:
    by = report.by or ""
    return {
        "label": _GROUP_LABELS.get(by, by),
        # A group without treated patients says nothing about a drug's effect: the table lists treated groups.
        "lines": [
            _group_line(value, endpoints) for value, endpoints in report.groups if endpoints.funnel_count("treated") > 0
        ],
    }


def _rates(endpoints: Endpoints) -> list[tuple[str, str, str]]:
    return [
        (name, f"{rate.k} / {rate.n}", _percent(rate))
        for name, rate in (
            ("Offered treatment, among screened", endpoints.offered),
            ("Disease control at week 16, among evaluable", endpoints.dcr_w16_evaluable),
            ("Disease control at week 16, among treated with >= 16 weeks follow-up", endpoints.dcr_w16_all_treated),
            ("Objective response (CR or PR), among evaluable", endpoints.orr),
            (
                f"PFS ratio >= {endpoints.pfs_ratio.threshold:g}, among known "
                f"({endpoints.pfs_ratio.unknown} not yet known)",
                endpoints.pfs_ratio.share,
            ),
            ("Worst adverse event grade >= 3, among treated", endpoints.adverse_events.grade3_or_worse),
        )
    ]


def render_html(dataset: AnalysisDataset, content: TrialReportContent, source: ReportSource) -> str:
    """The report as one self-contained HTML page (plots inline as SVG)."""
    overall = content.endpoints.overall
    metadata = dataset.metadata
    rows = dataset.rows
    treated = [row for row in rows if row.treated]
    survival_rows = [
        (name, summary.n, summary.events, _median(summary))
        for name, summary in (
            ("Progression-free survival", overall.pfs),
            ("Overall survival", overall.os),
            ("Duration of benefit (PFS of patients with benefit at week 16)", overall.duration_of_benefit),
        )
    ]
    plots = [
        {
            "id": "waterfall",
            "title": "Best change of target lesions",
            "svg": report_plots.waterfall(treated),
            "caption": "Bars: best % change of the sum of target-lesion diameters from baseline, shaded by best "
            "overall response. Dashed line +20 % (progression), dotted line -30 % (partial response), RECIST 1.1.",
        },
        {
            "id": "swimmer",
            "title": "Time on treatment",
            "svg": report_plots.swimmer(treated),
            "caption": "Each lane one patient, shaded by best overall response; | marks progression, > a patient "
            "still on treatment at the cut-off.",
        },
        {
            "id": "km-pfs",
            "title": "Progression-free survival",
            "svg": report_plots.kaplan_meier_plot(treated, "pfs", "PFS"),
            "caption": "Kaplan-Meier estimate with its 95 % interval (dotted, log transform); + censored; "
            "numbers at risk below.",
        },
        {
            "id": "km-os",
            "title": "Overall survival",
            "svg": report_plots.kaplan_meier_plot(treated, "os", "OS"),
            "caption": "Kaplan-Meier estimate with its 95 % interval (dotted, log transform); + censored; "
            "numbers at risk below.",
        },
        {
            "id": "pfs-ratio",
            "title": "PFS ratio",
            "svg": report_plots.pfs_ratio_plot(treated),
            "caption": "PFS on trial divided by time to progression on the last prior line, log scale; the dashed "
            "line is the 1.3 threshold (Von Hoff et al. 2010).",
        },
        {
            "id": "ae-grades",
            "title": "Adverse events by worst grade",
            "svg": report_plots.adverse_event_plot(overall.adverse_events.by_worst_grade),
            "caption": "Treated patients by the worst CTCAE v5.0 grade of any adverse event.",
        },
    ]
    for plot in plots:
        plot["svg"] = Markup(plot["svg"])  # noqa: S704 - our own matplotlib SVG, not user text
    cut_off = "not given" if metadata.cut_off is None else metadata.cut_off.isoformat()
    table_text = f"table {source.table_file}" if source.table_file else None
    context = {
        "title": "OncoBasket trial report" + (" (synthetic data)" if metadata.synthetic else ""),
        "synthetic": metadata.synthetic,
        "protocol_version": metadata.protocol_version or table_text or "not given",
        "software_version": source.software_version,
        "data_source": source.data_source,
        "cut_off": cut_off,
        "producer": metadata.software_version or "not given",
        "footer": f"OncoBasket {source.software_version} - cut-off {cut_off}",
        "headline": [
            ("Screened -> evaluable", " -> ".join(str(count) for _, count in overall.funnel)),
            *[(name, f"{counts}: {rate}") for name, counts, rate in _rates(overall)[:3]],
        ],
        "funnel": content.funnel,
        "not_treated": [(reason_label(reason), count) for reason, count in overall.not_treated_reasons],
        "endpoint_rates": _rates(overall),
        "survival_rows": survival_rows,
        "groupings": [_grouping(report) for report in content.groupings],
        "cohorts": content.cohorts,
        "cohort_rule": cohort_rule_text(),
        "plots": plots,
        "adverse_events": overall.adverse_events,
    }
    return _environment().get_template("trial_report.html.j2").render(**context)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("oncobasket", "data/report"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return buffer.getvalue()


def _rate_cells(rate: Rate) -> list[object]:
    return [rate.k, rate.n, rate.rate, rate.ci_low, rate.ci_high]


def _endpoint_cells(grouping: str, value: str | None, endpoints: Endpoints) -> list[object]:
    cells: list[object] = [grouping, value]
    cells += [count for _, count in endpoints.funnel]
    for rate in (endpoints.offered, endpoints.dcr_w16_evaluable, endpoints.dcr_w16_all_treated, endpoints.orr):
        cells += _rate_cells(rate)
    for summary in (endpoints.pfs, endpoints.os):
        cells += [summary.n, summary.events, summary.median, summary.median_ci_low, summary.median_ci_high]
    return cells


def report_tables(content: TrialReportContent) -> dict[str, str]:
    """The report's tables as CSV text, by file name."""
    overall = content.endpoints.overall
    rate_header = [
        f"{name}_{part}"
        for name in ("offered", "dcr_w16_evaluable", "dcr_w16_all_treated", "orr")
        for part in ("k", "n", "rate", "ci_low", "ci_high")
    ]
    survival_header = [
        f"{name}_{part}"
        for name in ("pfs", "os")
        for part in ("n", "events", "median", "median_ci_low", "median_ci_high")
    ]
    endpoint_rows = [_endpoint_cells("overall", None, overall)]
    for report in content.groupings:
        endpoint_rows += [_endpoint_cells(report.by or "", value, endpoints) for value, endpoints in report.groups]
    return {
        "funnel.csv": _csv(
            ["step", "patients", "left_before_next", "reasons"],
            [
                [step.name, step.patients, step.left, "; ".join(f"{reason}: {count}" for reason, count in step.reasons)]
                for step in content.funnel
            ],
        ),
        "endpoints.csv": _csv(
            ["grouping", "value", *(name for name, _ in overall.funnel), *rate_header, *survival_header],
            endpoint_rows,
        ),
        "cohorts.csv": _csv(
            [
                "cohort",
                "tumour_group",
                "biomarker",
                "drug",
                "status",
                "stage",
                "treated",
                "evaluable",
                "benefit",
                "rule",
                "waits_for",
            ],
            [
                [
                    line.cohort,
                    line.tumour_group,
                    line.biomarker,
                    line.drug,
                    line.status,
                    line.stage,
                    line.treated,
                    line.evaluable,
                    line.benefit,
                    line.thresholds,
                    line.waits_for,
                ]
                for line in content.cohorts
            ],
        ),
        "not_treated_reasons.csv": _csv(["reason", "patients"], list(overall.not_treated_reasons)),
        "adverse_events.csv": _csv(
            ["worst_grade", "patients"],
            [*overall.adverse_events.by_worst_grade, ("not_recorded", overall.adverse_events.not_recorded)],
        ),
    }
