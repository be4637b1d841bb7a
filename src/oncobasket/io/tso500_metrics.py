"""TSO500 sectioned TSV files and the run-level ``MetricsOutput.tsv`` (QC of every library on a run).

Both TSO500 text outputs, ``*_CombinedVariantOutput.tsv`` and ``MetricsOutput.tsv``, share one layout
(Illumina TSO500 Local App v2.2 and DRAGEN TSO500 v2.x output file descriptions; FORMATS.md): a banner
line, a research-use notice, then sections headed ``[Name]`` and ended by a blank line, every line
right-padded with tabs to a common width. :func:`split_sections` cuts such a text into sections once;
the readers interpret them.

``MetricsOutput.tsv`` rows are ``Metric (UOM)``, ``LSL Guideline``, ``USL Guideline`` and one value
column per library (or one ``Value`` column for run-level metrics). A metric passes when
LSL <= value <= USL, an ``NA`` guideline being no bound (Illumina TSO500 Local App v2.2 user guide,
"Metrics Output"; FORMATS.md). Each section's metrics can invalidate the result areas it guards
(:data:`SECTION_AREAS`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from oncobasket.core.errors import FormatError
from oncobasket.core.profiles import QcMetric, QcResult, ResultArea, judge_qc
from oncobasket.io.files import read_regular_bytes

__all__ = [
    "SECTION_AREAS",
    "MetricsOutput",
    "Row",
    "Section",
    "read_metrics_output",
    "read_text",
    "split_sections",
]

MISSING = "NA"

_ALL_AREAS = (ResultArea.SMALL_VARIANTS, ResultArea.TMB, ResultArea.MSI, ResultArea.CNV, ResultArea.RNA)
_DNA_AREAS = (ResultArea.SMALL_VARIANTS, ResultArea.TMB, ResultArea.MSI, ResultArea.CNV)

#: Which results a failed metric of each section makes unusable. Source: Illumina TSO500 Local App v2.2
#: user guide, "Metrics Output" (each DNA library QC section gates the variant class in its name; the
#: contamination metrics of ``[DNA Library QC Metrics]`` gate every DNA result; run QC gates the run).
SECTION_AREAS: Mapping[str, tuple[ResultArea, ...]] = {
    "Run QC Metrics": _ALL_AREAS,
    "DNA Library QC Metrics": _DNA_AREAS,
    "DNA Library QC Metrics for Small Variant Calling and TMB": (ResultArea.SMALL_VARIANTS, ResultArea.TMB),
    "DNA Library QC Metrics for MSI": (ResultArea.MSI,),
    "DNA Library QC Metrics for CNV": (ResultArea.CNV,),
    "RNA Library QC Metrics": (ResultArea.RNA,),
    "DNA Expanded Metrics": (),
    "RNA Expanded Metrics": (),
}

#: Analysis steps (``FAILED_STEPS`` / ``STEPS_NOT_EXECUTED`` of ``[Analysis Status]``) and the areas whose
#: results they produce, matched as lower-case fragments of the step name. A step we cannot place
#: invalidates every area: an unknown failure must not leave a result looking trustworthy. The first
#: fragment found decides (``TmbAnnotation`` is a TMB step, not small-variant annotation).
_STEP_AREAS: tuple[tuple[str, tuple[ResultArea, ...]], ...] = (
    ("tmb", (ResultArea.TMB,)),
    ("msi", (ResultArea.MSI,)),
    ("cnv", (ResultArea.CNV,)),
    ("craft", (ResultArea.CNV,)),
    ("copynumber", (ResultArea.CNV,)),
    ("fusion", (ResultArea.RNA,)),
    ("splice", (ResultArea.RNA,)),
    ("rna", (ResultArea.RNA,)),
    ("smallvariant", (ResultArea.SMALL_VARIANTS, ResultArea.TMB)),
    ("variantcall", (ResultArea.SMALL_VARIANTS, ResultArea.TMB)),
    ("dragencaller", (ResultArea.SMALL_VARIANTS, ResultArea.TMB)),
    ("pisces", (ResultArea.SMALL_VARIANTS, ResultArea.TMB)),
    ("annotation", (ResultArea.SMALL_VARIANTS, ResultArea.TMB)),
)

#: The DNA library QC sections that gate results (:data:`SECTION_AREAS`). TSO500 writes them together,
#: in this order, for every run with DNA libraries; a file holding some but not all of them was cut.
_DNA_GATING_SECTIONS = (
    "DNA Library QC Metrics",
    "DNA Library QC Metrics for Small Variant Calling and TMB",
    "DNA Library QC Metrics for MSI",
    "DNA Library QC Metrics for CNV",
)

# Contamination is one judgement made from two rows: the score is only a failure when its p-value is
# significant (Illumina TSO500 Local App v2.2 user guide, "DNA Library QC": CONTAMINATION_SCORE > USL
# and CONTAMINATION_P_VALUE <= USL means the library is contaminated).
_CONTAMINATION_SCORE = "CONTAMINATION_SCORE"
_CONTAMINATION_P_VALUE = "CONTAMINATION_P_VALUE"


@dataclass(frozen=True, slots=True)
class Row:
    """One non-blank line of a section: its line number, its cells and the cell count as written.

    ``cells`` keeps every cell of the line (the tab padding included) so that a column index of the
    header is always valid; ``width`` is the number of cells left after stripping the trailing empty
    ones, ``written`` the number of cells on the line.
    """

    line: int
    cells: list[str]
    width: int

    @property
    def written(self) -> int:
        return len(self.cells)

    def cell(self, index: int) -> str:
        return self.cells[index].strip() if index < len(self.cells) else ""

    def values(self) -> list[str]:
        return [cell.strip() for cell in self.cells[: self.width]]


@dataclass(slots=True)
class Section:
    """One ``[Name]`` section: where its header line is and its rows in file order."""

    name: str
    line: int
    rows: list[Row] = field(default_factory=list)


def read_text(path: Path, *, whole_lines: bool = True) -> str:
    """The file as text: UTF-8 with or without a byte-order mark, line ends normalised to ``\\n``.

    Only a regular file is read (:mod:`oncobasket.io.files`). With ``whole_lines`` (every TSO500 text
    output: the software ends each line, the last included, with a line end) a non-empty text that stops
    without one is refused: a copy cut inside its last line would otherwise give a cut value (exon
    ``24/2`` for ``24/27``) that still looks valid.
    """
    raw = read_regular_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FormatError(
            "not UTF-8 text", source=str(path), line=line, fix="give the file as written by the TSO500 software"
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if whole_lines and text and not text.endswith("\n"):
        raise FormatError(
            "the file ends inside a line (no line end after the last one); it looks truncated",
            source=str(path),
            line=text.count("\n") + 1,
            fix="copy the whole file again from the TSO500 output folder",
        )
    return text


def split_sections(text: str, source: str) -> tuple[list[Row], dict[str, Section]]:
    """Cut a sectioned TSO500 text into its preamble rows and its sections, in one pass.

    Trailing empty cells are stripped (tab padding); a blank line ends a section. A section name seen
    twice is an error (the second would silently replace the first), and so is a non-blank line
    outside any section after the first one started.
    """
    preamble: list[Row] = []
    sections: dict[str, Section] = {}
    current: Section | None = None
    started = False
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        cells = line.split("\t")
        width = len(cells)
        while width and not cells[width - 1].strip():
            width -= 1
        if width == 0:
            current = None
            continue
        first = cells[0].strip()
        if width == 1 and first.startswith("[") and first.endswith("]"):
            name = first[1:-1].strip()
            if name in sections:
                raise FormatError(
                    f"section [{name}] appears twice (first at line {sections[name].line})",
                    source=source,
                    line=number,
                    field=f"[{name}]",
                    fix="give the file as the TSO500 software wrote it; a merged or edited file cannot be read",
                )
            current = Section(name, number)
            sections[name] = current
            started = True
            continue
        row = Row(number, cells, width)
        if current is not None:
            current.rows.append(row)
        elif not started:
            preamble.append(row)
        else:
            raise FormatError(
                "a row outside any section (sections start with a [Name] line and end at a blank line)",
                source=source,
                line=number,
                fix="remove the stray row or restore the section header above it",
            )
    return preamble, sections


def parse_number(text: str, *, source: str, line: int, field: str) -> float | None:
    """A finite number, or None for an empty or ``NA`` cell; anything else is a :class:`FormatError`."""
    value = text.strip()
    if not value or value == MISSING:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise FormatError(
            f"'{value}' is not a number", source=source, line=line, field=field, fix="write a number or NA"
        )
    return number


@dataclass(frozen=True, slots=True)
class LibraryStatus:
    """One column of ``[Analysis Status]``: did the analysis of this library complete, and what failed."""

    completed: bool
    failed_steps: tuple[str, ...] = ()
    steps_not_executed: tuple[str, ...] = ()

    def failure(self, column: str) -> str | None:
        if self.completed and not self.failed_steps:
            return None
        notes = []
        if self.failed_steps:
            notes.append("failed: " + ",".join(self.failed_steps))
        if self.steps_not_executed:
            notes.append("not executed: " + ",".join(self.steps_not_executed))
        text = f"analysis of {column} did not complete all steps"
        return f"{text} ({'; '.join(notes)})" if notes else text

    def areas(self) -> tuple[ResultArea, ...]:
        if self.completed and not self.failed_steps:
            return ()
        steps = self.failed_steps + self.steps_not_executed
        if not steps:
            return _ALL_AREAS
        found: list[ResultArea] = []
        for step in steps:
            lowered = step.lower()
            matched = next((areas for fragment, areas in _STEP_AREAS if fragment in lowered), None)
            if matched is None:
                return _ALL_AREAS
            found.extend(area for area in matched if area not in found)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class MetricsOutput:
    """A parsed ``MetricsOutput.tsv``: run-level metrics, per-library metrics and analysis status."""

    source: str
    details: Mapping[str, str]
    run_metrics: tuple[QcMetric, ...]
    library_metrics: Mapping[str, tuple[QcMetric, ...]]
    status: Mapping[str, LibraryStatus]
    warnings: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every library column named in the file, in first-seen order."""
        names = list(self.library_metrics)
        names.extend(name for name in self.status if name not in self.library_metrics)
        return tuple(names)

    def qc_for(self, sample_ids: Iterable[str]) -> QcResult | None:
        """The QC judgement for the libraries named by ``sample_ids`` (pair, DNA and RNA sample IDs).

        Run-level metrics apply to every library. None when the file has no column for any of the IDs.
        """
        columns: list[str] = []
        for sample_id in sample_ids:
            if sample_id and sample_id not in columns and sample_id in self.columns:
                columns.append(sample_id)
        if not columns:
            return None
        metrics = list(self.run_metrics)
        extra: list[str] = []
        status_areas: list[ResultArea] = []
        for column in columns:
            own = self.library_metrics.get(column, ())
            metrics.extend(own)
            if not any(metric.value is not None for metric in own):
                # A library none of whose metrics has a value was not judged at all (the file lost its
                # sections, or the library failed before QC): it must not read as "passed".
                extra.append(f"no QC metric of {column} has a value in {self.source}")
                status_areas.extend(area for area in _ALL_AREAS if area not in status_areas)
            status = self.status.get(column)
            if status is None:
                continue
            failure = status.failure(column)
            if failure is not None:
                extra.append(failure)
                status_areas.extend(area for area in status.areas() if area not in status_areas)
        qc = judge_qc(tuple(metrics), tuple(extra))
        if status_areas:
            merged = list(qc.unusable_areas)
            merged.extend(area for area in status_areas if area not in merged)
            qc = replace(qc, unusable_areas=tuple(merged))
        return qc


def read_metrics_output(path: Path) -> MetricsOutput:
    """Read a TSO500 ``MetricsOutput.tsv`` (Local App 2.x or DRAGEN TSO500 2.x)."""
    source = str(path)
    text = read_text(path)
    preamble, sections = split_sections(text, source)
    first = preamble[0].cell(0) if preamble else ""
    if not ("Metrics Output" in first or (not preamble and sections)):
        raise FormatError(
            "not a TSO500 MetricsOutput.tsv (line 1 must be the 'Metrics Output' banner or a [Header] section)",
            source=source,
            line=1,
            field="banner",
            fix="give the run's Results/MetricsOutput.tsv",
        )
    details: dict[str, str] = {}
    run_metrics: list[QcMetric] = []
    library: dict[str, list[QcMetric]] = {}
    status: dict[str, LibraryStatus] = {}
    warnings: list[str] = []
    for name, section in sections.items():
        if name == "Header":
            for row in section.rows:
                values = row.values()
                if len(values) >= 2 and values[1] != MISSING:
                    details[values[0]] = values[1]
        elif name == "Analysis Status":
            status.update(_analysis_status(section, source))
        elif name == "Notes":
            continue
        elif section.rows and section.rows[0].cell(0).startswith("Metric"):
            areas = SECTION_AREAS.get(name)
            if areas is None:
                areas = _guess_areas(name)
                warnings.append(
                    f"{source}:{section.line}: QC section [{name}] is not a known TSO500 section; its metrics are "
                    f"judged and gate {', '.join(str(area) for area in areas) or 'no result area'}"
                )
            _metric_section(section, areas, source, run_metrics, library)
        else:
            warnings.append(f"{source}:{section.line}: section [{name}] of MetricsOutput.tsv is not read")
    _check_complete(sections, source, text)
    return MetricsOutput(
        source=source,
        details=details,
        run_metrics=tuple(run_metrics),
        library_metrics={column: tuple(metrics) for column, metrics in library.items()},
        status=status,
        warnings=tuple(warnings),
    )


def _check_complete(sections: Mapping[str, Section], source: str, text: str) -> None:
    """Refuse a MetricsOutput.tsv cut at a line end: QC sections missing would let a failed library pass.

    TSO500 writes ``[Analysis Status]`` and then the DNA library QC sections together
    (:data:`_DNA_GATING_SECTIONS`; Illumina TSO500 Local App v2.2 user guide, "Metrics Output"). A file
    with some of them but not all, or with the status but none of them and no RNA section, stops early.
    """
    present = [name for name in _DNA_GATING_SECTIONS if name in sections]
    missing = [name for name in _DNA_GATING_SECTIONS if name not in sections]
    line = max(1, text.count("\n"))
    if present and missing:
        raise FormatError(
            f"section [{missing[0]}] is missing although [{present[0]}] is there; the file looks truncated",
            source=source,
            line=line,
            field=f"[{missing[0]}]",
            fix="copy the whole MetricsOutput.tsv again from the run's Results folder",
        )
    if "Analysis Status" in sections and not present and "RNA Library QC Metrics" not in sections:
        raise FormatError(
            "the file has [Analysis Status] but no library QC section; it looks truncated",
            source=source,
            line=line,
            field="[DNA Library QC Metrics]",
            fix="copy the whole MetricsOutput.tsv again from the run's Results folder",
        )


def _guess_areas(name: str) -> tuple[ResultArea, ...]:
    lowered = name.lower()
    if "msi" in lowered:
        return (ResultArea.MSI,)
    if "cnv" in lowered:
        return (ResultArea.CNV,)
    if "small variant" in lowered or "tmb" in lowered:
        return (ResultArea.SMALL_VARIANTS, ResultArea.TMB)
    if "expanded" in lowered:
        return ()
    if lowered.startswith("rna"):
        return (ResultArea.RNA,)
    return ()


def _metric_section(
    section: Section,
    areas: tuple[ResultArea, ...],
    source: str,
    run_metrics: list[QcMetric],
    library: dict[str, list[QcMetric]],
) -> None:
    header = section.rows[0].values()
    lsl_index = header.index("LSL Guideline") if "LSL Guideline" in header else None
    usl_index = header.index("USL Guideline") if "USL Guideline" in header else None
    columns = [
        (index, column) for index, column in enumerate(header) if index > 0 and index not in (lsl_index, usl_index)
    ]
    parsed: list[tuple[int, str, float | None, float | None, list[tuple[str, float | None]]]] = []
    for row in section.rows[1:]:
        if row.width > len(header) or row.written < len(header):
            raise FormatError(
                f"row has {row.width if row.width > len(header) else row.written} cells, the header has {len(header)}",
                source=source,
                line=row.line,
                field=f"[{section.name}]",
                fix="the file is truncated or was edited; use the MetricsOutput.tsv the TSO500 software wrote",
            )
        name = row.cell(0).split(" (", 1)[0].strip()
        lsl = (
            parse_number(row.cell(lsl_index), source=source, line=row.line, field=f"{name} LSL")
            if lsl_index is not None
            else None
        )
        usl = (
            parse_number(row.cell(usl_index), source=source, line=row.line, field=f"{name} USL")
            if usl_index is not None
            else None
        )
        values = [
            (column, parse_number(row.cell(index), source=source, line=row.line, field=f"{name} of {column}"))
            for index, column in columns
        ]
        parsed.append((row.line, name, lsl, usl, values))
    p_values = {name: (usl, dict(values)) for _, name, _, usl, values in parsed if name == _CONTAMINATION_P_VALUE}
    for _, name, lsl, usl, values in parsed:
        for column, value in values:
            metric_lsl, metric_usl = lsl, usl
            if name == _CONTAMINATION_P_VALUE:
                # Judged together with the score, below; on its own a p-value is not a failure.
                metric_lsl = metric_usl = None
            elif name == _CONTAMINATION_SCORE and _CONTAMINATION_P_VALUE in p_values:
                p_usl, p_by_column = p_values[_CONTAMINATION_P_VALUE]
                p_value = p_by_column.get(column)
                if p_value is not None and p_usl is not None and p_value > p_usl:
                    metric_usl = None  # a high score that is not significant is not contamination
            metric = QcMetric(
                section=section.name, name=name, value=value, lsl=metric_lsl, usl=metric_usl, affects=areas
            )
            if column == "Value":
                run_metrics.append(metric)
            else:
                library.setdefault(column, []).append(metric)


def _analysis_status(section: Section, source: str) -> dict[str, LibraryStatus]:
    if not section.rows:
        return {}
    header = section.rows[0].values()
    columns = [(index, column) for index, column in enumerate(header) if index > 0 and column]
    table: dict[str, dict[str, str]] = {column: {} for _, column in columns}
    keys = {row.cell(0) for row in section.rows[1:]}
    if columns and "COMPLETED_ALL_STEPS" not in keys:
        raise FormatError(
            "[Analysis Status] has no COMPLETED_ALL_STEPS row; the file looks truncated",
            source=source,
            line=section.rows[-1].line,
            field="COMPLETED_ALL_STEPS",
            fix="copy the whole MetricsOutput.tsv again from the run's Results folder",
        )
    for row in section.rows[1:]:
        key = row.cell(0)
        for index, column in columns:
            table[column][key] = row.cell(index)
    result: dict[str, LibraryStatus] = {}
    for _, column in columns:
        values = table[column]
        completed_text = values.get("COMPLETED_ALL_STEPS", "").upper()
        if completed_text not in {"TRUE", "FALSE", "", MISSING}:
            line = next((row.line for row in section.rows if row.cell(0) == "COMPLETED_ALL_STEPS"), section.line)
            raise FormatError(
                f"'{values.get('COMPLETED_ALL_STEPS')}' is not TRUE or FALSE",
                source=source,
                line=line,
                field=f"COMPLETED_ALL_STEPS of {column}",
                fix="write TRUE or FALSE",
            )
        result[column] = LibraryStatus(
            completed=completed_text != "FALSE",
            failed_steps=_steps(values.get("FAILED_STEPS", "")),
            steps_not_executed=_steps(values.get("STEPS_NOT_EXECUTED", "")),
        )
    return result


def _steps(text: str) -> tuple[str, ...]:
    if not text or text == MISSING:
        return ()
    return tuple(step.strip() for step in text.replace(";", ",").split(",") if step.strip())
