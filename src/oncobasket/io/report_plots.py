"""The trial report's plots as SVG text, drawn with matplotlib, readable in print and in greyscale.

Every plot tells its categories apart by hatching and marker shape as well as by shade, so a black-and-white
print loses nothing. The SVG is deterministic: no date in its metadata and a fixed hash salt for the ids
matplotlib generates, so the same data give the same bytes (and the same report).

Plots (the issue's list): waterfall of the best percentage change of the target-lesion sum coloured by best
overall response, with the RECIST 1.1 thresholds (+20 % progression, -30 % partial response; Eisenhauer et
al. 2009 section 4.3.1); swimmer plot of time on treatment; Kaplan-Meier curves with numbers at risk; the
PFS-ratio plot with the 1.3 threshold (Von Hoff et al. 2010); patients by worst adverse-event grade.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl

mpl.use("Agg")  # no display: the plots are files

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from oncobasket.core.analysis import AnalysisRow
from oncobasket.core.endpoints import PFS_RATIO_THRESHOLD, survival_columns
from oncobasket.core.recist import OverallResponse
from oncobasket.core.survival import kaplan_meier

#: Grey levels and hatches per best response: distinct in greyscale and in colour-blind vision.
_RESPONSE_STYLE: dict[OverallResponse | None, tuple[str, str]] = {
    OverallResponse.CR: ("#000000", ""),
    OverallResponse.PR: ("#555555", ""),
    OverallResponse.SD: ("#999999", "//"),
    OverallResponse.NON_CR_NON_PD: ("#bbbbbb", "\\\\"),
    OverallResponse.PD: ("#ffffff", "xx"),
    OverallResponse.NE: ("#dddddd", ".."),
    None: ("#eeeeee", ""),
}
#: The swimmer plot shows the longest-treated patients only, so that each lane stays readable in print.
SWIMMER_LANES = 40
_RC: dict[Any, Any] = {  # matplotlib types rcParams keys as literals; these are checked at run time
    "svg.hashsalt": "oncobasket-report",
    "svg.fonttype": "path",
    "font.size": 9,
    "font.family": "DejaVu Sans",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.6,
}


def _svg(figure: Figure, scope: str) -> str:
    """The figure as an SVG element whose ids all start with ``scope``.

    The report puts several plots in one HTML page; matplotlib names glyphs and clip paths the same in every
    figure, so unscoped ids would collide (and a clip path could be taken from the wrong plot).
    """
    buffer = io.StringIO()
    with mpl.rc_context(_RC):
        # dpi only sets the resolution of rasterised artists (the many bars); 200 dpi prints sharply.
        figure.savefig(buffer, format="svg", dpi=200, metadata={"Date": None, "Creator": "OncoBasket"})
    text = buffer.getvalue()
    # The XML prolog and doctype would end up in the middle of the HTML page.
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="', f'id="{scope}-', text)
    return re.sub(r"(href=\"#|url\(#)", rf"\g<1>{scope}-", text)


def _figure(width: float = 7.0, height: float = 3.4) -> Figure:
    with mpl.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _empty(figure: Figure, message: str, scope: str) -> str:
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.5, message, ha="center", va="center")
    return _svg(figure, scope)


def _response_legend(responses: Sequence[OverallResponse | None]) -> list[Patch]:
    present = [response for response in _RESPONSE_STYLE if response in set(responses)]
    return [
        Patch(
            facecolor=_RESPONSE_STYLE[response][0],
            hatch=_RESPONSE_STYLE[response][1],
            edgecolor="black",
            label="not given" if response is None else response.value,
        )
        for response in present
    ]


def waterfall(rows: Sequence[AnalysisRow]) -> str:
    """Best % change of the target-lesion sum per treated patient, largest growth first, shaded by BOR."""
    with mpl.rc_context(_RC):
        figure = _figure()
        data = sorted(
            (
                (row.best_percent_change, row.best_overall_response, row.study_id)
                for row in rows
                if row.best_percent_change is not None
            ),
            key=lambda item: (-item[0], item[2]),
        )
        if not data:
            return _empty(figure, "No target-lesion measurements in the table", "waterfall")
        axes = figure.add_subplot()
        # One bar call per response; the bars are rasterised (text and axes stay vector) so that a plot of
        # thousands of patients stays light for the PDF renderer.
        for response, (colour, hatch) in _RESPONSE_STYLE.items():
            positions = [index for index, item in enumerate(data) if item[1] == response]
            if positions:
                axes.bar(
                    positions,
                    [data[index][0] for index in positions],
                    width=0.85,
                    color=colour,
                    hatch=hatch,
                    edgecolor="black",
                    linewidth=0.4 if len(data) <= 200 else 0.0,
                    rasterized=True,
                )
        axes.axhline(20, linestyle="--", color="black", linewidth=0.7)
        axes.axhline(-30, linestyle=":", color="black", linewidth=0.7)
        axes.axhline(0, color="black", linewidth=0.6)
        axes.set_xticks([])
        axes.set_xlabel(f"Patients with target lesions (n = {len(data)})")
        axes.set_ylabel("Best change from baseline (%)")
        axes.legend(handles=_response_legend([item[1] for item in data]), title="Best response", fontsize=7)
        return _svg(figure, "waterfall")


def swimmer(rows: Sequence[AnalysisRow], lanes: int = SWIMMER_LANES) -> str:
    """Time on treatment per patient (the longest ``lanes``), shaded by BOR; progression and ongoing marked."""
    with mpl.rc_context(_RC):
        data = sorted(
            (row for row in rows if row.time_on_treatment_days is not None),
            key=lambda row: (-(row.time_on_treatment_days or 0), row.study_id),
        )
        figure = _figure(height=max(2.0, 0.16 * min(len(data), lanes) + 1.2))
        if not data:
            return _empty(figure, "No time on treatment in the table", "swimmer")
        shown = list(reversed(data[:lanes]))
        axes = figure.add_subplot()
        for lane, row in enumerate(shown):
            colour, hatch = _RESPONSE_STYLE[row.best_overall_response]
            days = row.time_on_treatment_days or 0
            axes.barh(lane, days, height=0.7, color=colour, hatch=hatch, edgecolor="black", linewidth=0.4)
            if row.treatment_ongoing:
                axes.plot(days + 4, lane, marker=">", color="black", markersize=5)
            if row.pfs_event == 1 and row.pfs_days is not None and row.pfs_days <= days:
                axes.plot(row.pfs_days, lane, marker="|", color="black", markersize=8, markeredgewidth=1.5)
        axes.set_yticks([])
        axes.set_xlabel("Days on treatment")
        title = f"Longest {len(shown)} of {len(data)} patients" if len(data) > lanes else f"{len(data)} patients"
        axes.set_title(f"{title}; | progression, > still on treatment", fontsize=8)
        axes.legend(
            handles=_response_legend([row.best_overall_response for row in shown]),
            title="Best response",
            fontsize=7,
            loc="lower right",
        )
        return _svg(figure, "swimmer")


def kaplan_meier_plot(rows: Sequence[AnalysisRow], endpoint: str, label: str) -> str:
    """The Kaplan-Meier curve of ``pfs`` or ``os`` with censoring marks, its interval and numbers at risk."""
    with mpl.rc_context(_RC):
        figure = _figure(height=3.6)
        times, events = survival_columns(rows, endpoint)
        if not times:
            return _empty(figure, f"No {label} times in the table", f"km-{endpoint}")
        fit = kaplan_meier(times, events)
        curve_axes, risk_axes = figure.subplots(2, 1, height_ratios=[5, 1], sharex=True)
        steps_x = [0.0] + [row.time for row in fit.table]
        steps_y = [1.0] + [row.survival for row in fit.table]
        curve_axes.step(steps_x, steps_y, where="post", color="black", linewidth=1.2, label=label)
        lower = [1.0] + [row.lower if row.lower is not None else 0.0 for row in fit.table]
        upper = [1.0] + [row.upper if row.upper is not None else 0.0 for row in fit.table]
        curve_axes.step(steps_x, lower, where="post", color="black", linestyle=":", linewidth=0.7, label="95 % CI")
        curve_axes.step(steps_x, upper, where="post", color="black", linestyle=":", linewidth=0.7)
        censored = [(row.time, row.survival) for row in fit.table if row.censored]
        if censored:
            curve_axes.plot(*zip(*censored, strict=True), linestyle="", marker="+", color="black", label="censored")
        curve_axes.set_ylim(0, 1.02)
        curve_axes.set_ylabel(f"{label} probability")
        median = fit.median.time
        curve_axes.set_title(
            f"n = {fit.n}, {fit.events} events, median {'not reached' if median is None else f'{median:g} days'}",
            fontsize=8,
        )
        curve_axes.legend(fontsize=7, loc="upper right")
        last = max(times)
        ticks = _ticks(last)
        risk_axes.set_axis_off()
        for tick, count in zip(ticks, fit.at_risk(ticks), strict=True):
            risk_axes.text(tick, 0.5, str(count), ha="center", va="center", fontsize=7)
        risk_axes.text(0, 1.1, "Number at risk", fontsize=7, transform=risk_axes.transAxes)
        curve_axes.set_xticks(ticks)
        curve_axes.tick_params(labelbottom=True)
        curve_axes.set_xlabel("Days from treatment start")
        curve_axes.set_xlim(-last * 0.02, last * 1.04)
        return _svg(figure, f"km-{endpoint}")


def _ticks(last: float) -> list[float]:
    """Round tick positions every 30, 60, 90, 180 or 365 days, about six across the plot."""
    step = next((size for size in (30, 60, 90, 180, 365, 730) if last / size <= 7), 1460)
    return [float(step * index) for index in range(int(last // step) + 1)]


def pfs_ratio_plot(rows: Sequence[AnalysisRow], threshold: float = PFS_RATIO_THRESHOLD) -> str:
    """Each treated patient's PFS ratio, sorted, on a log scale with the threshold line; censored ones hatched."""
    with mpl.rc_context(_RC):
        figure = _figure()
        data = sorted(
            ((row.pfs_ratio, row.pfs_event == 1, row.study_id) for row in rows if row.pfs_ratio is not None),
            key=lambda item: (item[0], item[2]),
        )
        if not data:
            return _empty(figure, "No PFS ratios in the table", "pfs-ratio")
        axes = figure.add_subplot()
        for progressed, colour, hatch in ((True, "#777777", ""), (False, "#ffffff", "//")):
            positions = [index for index, item in enumerate(data) if item[1] == progressed]
            if positions:
                axes.bar(
                    positions,
                    [data[index][0] for index in positions],
                    width=0.85,
                    color=colour,
                    hatch=hatch,
                    edgecolor="black",
                    linewidth=0.4 if len(data) <= 200 else 0.1,
                    rasterized=True,
                )
        axes.set_yscale("log")
        axes.axhline(threshold, linestyle="--", color="black", linewidth=0.8)
        axes.set_xticks([])
        axes.set_xlabel(f"Patients with a PFS ratio (n = {len(data)})")
        axes.set_ylabel("PFS ratio (trial / prior line)")
        axes.legend(
            handles=[
                Patch(facecolor="#777777", edgecolor="black", label="progressed on trial"),
                Patch(facecolor="#ffffff", hatch="//", edgecolor="black", label="progression-free (censored)"),
            ],
            fontsize=7,
            title=f"threshold {threshold:g}",
        )
        return _svg(figure, "pfs-ratio")


def adverse_event_plot(by_worst_grade: Sequence[tuple[int, int]]) -> str:
    """Treated patients by their worst CTCAE grade (0 = none recorded), counts printed on the bars."""
    with mpl.rc_context(_RC):
        figure = _figure(height=2.8)
        if not any(count for _, count in by_worst_grade):
            return _empty(figure, "No adverse-event grades in the table", "ae-grades")
        axes = figure.add_subplot()
        shades = ["#ffffff", "#dddddd", "#bbbbbb", "#888888", "#444444", "#000000"]
        for grade, count in by_worst_grade:
            bars = axes.bar(str(grade), count, color=shades[grade], edgecolor="black", linewidth=0.6)
            axes.bar_label(bars, fontsize=7)
        axes.set_xlabel("Worst CTCAE v5.0 grade (0 = none recorded)")
        axes.set_ylabel("Patients")
        return _svg(figure, "ae-grades")
