"""Reader of the published alteration frequencies a synthetic trial is drawn from (docs/simulation.md).

The file is tab-separated with ``#`` comment lines (its citation) and a header: ``name``, ``gene`` (``-`` for
MSI and TMB), ``kind`` (``core.simulation.FrequencyKind``), ``protein_change``, ``coding_change``, ``exon``,
``partner`` (fusions), ``copy_number`` (amplifications), ``percent`` and ``source``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from oncobasket.core.errors import InputError
from oncobasket.core.simulation import AlterationFrequency, FrequencyKind

_COLUMNS = (
    "name",
    "gene",
    "kind",
    "protein_change",
    "coding_change",
    "exon",
    "partner",
    "copy_number",
    "percent",
    "source",
)


def shipped_frequencies_text() -> str:
    """The frequency table OncoBasket ships (package data)."""
    return (files("oncobasket") / "data" / "simulation" / "alteration_frequencies.tsv").read_text(encoding="utf-8")


def load_frequencies(path: Path | None = None) -> tuple[AlterationFrequency, ...]:
    """Read a frequency file (default: the shipped one)."""
    if path is None:
        return parse_frequencies(shipped_frequencies_text(), source="alteration_frequencies.tsv")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such frequency file", source=str(path), fix="check the path") from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=str(path), fix="save the file as UTF-8") from None
    return parse_frequencies(text, source=str(path))


def parse_frequencies(text: str, *, source: str) -> tuple[AlterationFrequency, ...]:
    """Parse the table; every row is checked and a bad cell names its line and column."""
    rows: list[AlterationFrequency] = []
    header: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = [cell.strip() for cell in cells]
            missing = [column for column in _COLUMNS if column not in header]
            if missing:
                raise InputError(
                    f"the header lacks column {missing[0]!r}",
                    source=source,
                    line=number,
                    fix=f"give the columns {', '.join(_COLUMNS)}",
                )
            continue
        if len(cells) != len(header):
            raise InputError(
                f"{len(cells)} cells where the header has {len(header)}",
                source=source,
                line=number,
                fix="separate the cells by one tab each",
            )
        values = {column: cell.strip() or None for column, cell in zip(header, cells, strict=True)}
        rows.append(_row(values, source=source, line=number))
    if not rows:
        raise InputError("no frequency rows", source=source, fix="give at least one alteration and its percent")
    return tuple(rows)


def _row(values: dict[str, str | None], *, source: str, line: int) -> AlterationFrequency:
    try:
        kind = FrequencyKind(values["kind"] or "")
    except ValueError:
        raise InputError(
            f"{values['kind']!r} is not a kind",
            source=source,
            line=line,
            field="kind",
            fix=f"use one of {', '.join(item.value for item in FrequencyKind)}",
        ) from None
    percent = _number(values["percent"], source=source, line=line, column="percent")
    if percent is None or not 0.0 <= percent <= 100.0:
        raise InputError(
            f"{values['percent']!r} is not a percentage", source=source, line=line, field="percent", fix="give 0-100"
        )
    if not values["name"] or not values["source"]:
        raise InputError(
            "every row needs its name and its source",
            source=source,
            line=line,
            field="source",
            fix="cite the publication, table or figure",
        )
    gene = values["gene"] if values["gene"] not in (None, "-") else None
    if gene is None and kind not in (FrequencyKind.MSI, FrequencyKind.TMB):
        raise InputError(f"a {kind} row needs its gene", source=source, line=line, field="gene", fix="name the gene")
    return AlterationFrequency(
        name=values["name"],
        gene=gene,
        kind=kind,
        percent=percent,
        source=values["source"],
        protein_change=values["protein_change"],
        coding_change=values["coding_change"],
        exon=values["exon"],
        partner=values["partner"],
        copy_number=_number(values["copy_number"], source=source, line=line, column="copy_number"),
    )


def _number(text: str | None, *, source: str, line: int, column: str) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(
            f"{text!r} is not a number", source=source, line=line, field=column, fix="write a decimal number"
        ) from None
