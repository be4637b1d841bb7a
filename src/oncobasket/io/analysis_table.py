"""Read and write the analysis dataset as CSV, or as Parquet when the file name ends in ``.parquet``.

- CSV: comma-separated UTF-8 with a header row naming columns of
  :data:`oncobasket.core.analysis.COLUMNS` in any order (the required ones must be there, unknown ones are
  refused so that a misspelt column is not silently empty). Lines before the header that start with ``#``
  carry the metadata as ``# key: value`` (protocol_version, data_source, cut_off, software_version,
  synthetic). Empty cells and ``NA`` are unknown. Flags are ``true``/``false`` (``Y``/``N``, as CDISC ADaM
  writes them, are accepted too).
- Parquet: the same columns with their types; the metadata as the file's key-value metadata.

Every problem is reported on one line naming the file, the line (the CSV line; for Parquet the row number
counting the header as line 1), the column, the rule and the fix. Tables are written to a temporary file
and renamed, so a failed write never leaves half a table. See docs/analysis-dataset.md.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from oncobasket.core.analysis import (
    COLUMN_NAMES,
    COLUMNS,
    METADATA_KEYS,
    REQUIRED_COLUMNS,
    AnalysisDataset,
    AnalysisMetadata,
    AnalysisRow,
    ColumnKind,
)
from oncobasket.core.errors import FormatError, InputError
from oncobasket.core.recist import OverallResponse
from oncobasket.io.files import check_regular_file

_MISSING = frozenset({"", "NA", "N/A", "na"})
_TRUE = frozenset({"true", "y", "yes"})
_FALSE = frozenset({"false", "n", "no"})
_KINDS: Mapping[str, ColumnKind] = {column.name: column.kind for column in COLUMNS}
_POLARS_TYPES: Mapping[ColumnKind, Any] = {
    ColumnKind.TEXT: pl.Utf8,
    ColumnKind.FLAG: pl.Boolean,
    ColumnKind.INTEGER: pl.Int64,
    ColumnKind.NUMBER: pl.Float64,
}


def is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(".parquet")


def read_analysis_table(path: Path) -> AnalysisDataset:
    """The analysis dataset in ``path`` (CSV, or Parquet by its name), every row checked (core.analysis.check_row)."""
    if is_parquet(path):
        metadata, header, records = _parquet_records(path)
    else:
        metadata, header, records = _csv_records(path)
    _check_header(header, path.name)
    rows = []
    for line, cells in records:
        rows.append(_row(dict(zip(header, cells, strict=True)), source=path.name, line=line))
    try:
        return AnalysisDataset(rows=tuple(rows), metadata=AnalysisMetadata.from_mapping(metadata, source=path.name))
    except InputError as error:
        raise _located(error, path.name, None) from None


def write_analysis_table(dataset: AnalysisDataset, path: Path) -> None:
    """Write ``dataset`` to ``path`` (CSV, or Parquet when the name ends in ``.parquet``), atomically."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        if is_parquet(path):
            _frame(dataset).write_parquet(temporary, metadata=dataset.metadata.as_dict())
        else:
            temporary.write_text(analysis_csv(dataset), encoding="utf-8")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def analysis_csv(dataset: AnalysisDataset) -> str:
    """The dataset as CSV text: metadata lines, the header in dictionary order, one line per patient."""
    buffer = io.StringIO()
    for key, value in dataset.metadata.as_dict().items():
        buffer.write(f"# {key}: {' '.join(value.split())}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMN_NAMES)
    for row in dataset.rows:
        writer.writerow([_text(getattr(row, name)) for name in COLUMN_NAMES])
    return buffer.getvalue()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _frame(dataset: AnalysisDataset) -> pl.DataFrame:
    data = {
        name: [None if getattr(row, name) is None else _plain(getattr(row, name), _KINDS[name]) for row in dataset.rows]
        for name in COLUMN_NAMES
    }
    return pl.DataFrame(data, schema={name: _POLARS_TYPES[_KINDS[name]] for name in COLUMN_NAMES})


def _plain(value: object, kind: ColumnKind) -> object:
    return str(value) if kind is ColumnKind.TEXT else value


def _csv_records(path: Path) -> tuple[dict[str, str], list[str], Iterator[tuple[int, list[str]]]]:
    text = _read_text(path)
    lines = text.splitlines()
    metadata: dict[str, str] = {}
    index = 0
    while index < len(lines) and (lines[index].startswith("#") or not lines[index].strip()):
        content = lines[index].lstrip("#").strip()
        if content:
            key, separator, value = content.partition(":")
            if not separator:
                raise FormatError(
                    f"metadata line {content!r} has no ':'",
                    source=path.name,
                    line=index + 1,
                    fix="write metadata as '# key: value'",
                )
            metadata[key.strip()] = value.strip()
        index += 1
    if index == len(lines):
        raise FormatError(
            "no header row", source=path.name, fix=f"start the table with a header row: {','.join(REQUIRED_COLUMNS)}"
        )
    header_line = index + 1
    # One reader over the rest of the file, so that a quoted cell may hold a line break as CSV allows;
    # reader.line_num is then the file line where each record ends.
    reader = csv.reader(io.StringIO("\n".join(lines[index:]) + "\n"), strict=True)
    header = [cell.strip() for cell in next(reader)]

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                number = header_line + reader.line_num - 1
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    raise FormatError(
                        f"{len(cells)} cells where the header has {len(header)}",
                        source=path.name,
                        line=number,
                        fix="give one cell per column (quote cells that contain commas)",
                    )
                yield number, cells
        except csv.Error as error:
            raise FormatError(
                f"not valid CSV ({error})",
                source=path.name,
                line=header_line + reader.line_num - 1,
                fix="close every quoted cell",
            ) from None

    return metadata, header, records()


def _read_text(path: Path) -> str:
    check_regular_file(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormatError("no such file", source=str(path), fix="check the path") from None
    except IsADirectoryError:
        raise FormatError("is a folder, not a table", source=str(path), fix="give the table file") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(f"not UTF-8 text ({error.reason})", source=path.name, fix="save it as UTF-8") from None


def _parquet_records(path: Path) -> tuple[dict[str, str], list[str], Iterator[tuple[int, list[str]]]]:
    if not path.is_file():
        raise FormatError("no such file", source=str(path), fix="check the path")
    try:
        frame = pl.read_parquet(path)
        metadata = dict(pl.read_parquet_metadata(path))
    except (pl.exceptions.PolarsError, OSError) as error:
        rule = " ".join(str(error).split())[:200]
        raise FormatError(f"not a readable Parquet file ({rule})", source=path.name, fix="write it again") from None
    # Polars' and Arrow's own keys describe the schema, not the trial.
    metadata = {key: value for key, value in metadata.items() if key in METADATA_KEYS}
    header = list(frame.columns)
    texts = frame.select(
        [
            pl.col(name).cast(pl.Utf8)
            if frame.schema[name] != pl.Boolean
            else pl.when(pl.col(name)).then(pl.lit("true")).otherwise(pl.lit("false")).alias(name)
            for name in header
        ]
    )
    # A null boolean must stay unknown, not become "false".
    texts = texts.with_columns(
        [pl.when(frame[name].is_null()).then(None).otherwise(pl.col(name)).alias(name) for name in header]
    )

    def records() -> Iterator[tuple[int, list[str]]]:
        for index, values in enumerate(texts.iter_rows(), start=2):
            yield index, ["" if value is None else str(value) for value in values]

    return metadata, header, records()


def _check_header(header: list[str], source: str) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise FormatError(f"column {name!r} appears twice in the header", source=source, field=name, fix="keep one")
        seen.add(name)
        if name not in COLUMN_NAMES:
            raise FormatError(
                f"unknown column {name!r}",
                source=source,
                field=name,
                fix=f"use the dictionary's names (docs/analysis-dataset.md): {', '.join(COLUMN_NAMES)}",
            )
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            raise FormatError(
                f"the header has no '{name}' column",
                source=source,
                field=name,
                fix=f"the required columns are {', '.join(REQUIRED_COLUMNS)}",
            )


def _row(cells: Mapping[str, str], *, source: str, line: int) -> AnalysisRow:
    values: dict[str, Any] = {}
    for name, cell in cells.items():
        text = cell.strip()
        if text in _MISSING:
            if name in REQUIRED_COLUMNS:
                raise FormatError("a required cell is empty", source=source, line=line, field=name, fix="give a value")
            continue
        values[name] = _parse(text, name, source=source, line=line)
    try:
        return AnalysisRow(**values)
    except InputError as error:
        raise _located(error, source, line) from None


def _parse(text: str, name: str, *, source: str, line: int) -> object:
    kind = _KINDS[name]
    if kind is ColumnKind.FLAG:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise FormatError(f"{text!r} is not a flag", source=source, line=line, field=name, fix="write true or false")
    if kind is ColumnKind.INTEGER:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number != int(number):
            raise FormatError(
                f"{text!r} is not a whole number", source=source, line=line, field=name, fix="write e.g. 112"
            )
        return int(number)
    if kind is ColumnKind.NUMBER:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise FormatError(f"{text!r} is not a number", source=source, line=line, field=name, fix="write e.g. -32.5")
        return value
    if name == "best_overall_response":
        try:
            return OverallResponse(text.upper())
        except ValueError:
            raise FormatError(
                f"{text!r} is not a best overall response",
                source=source,
                line=line,
                field=name,
                fix=f"use one of {', '.join(response.value for response in OverallResponse)}",
            ) from None
    return text


def _located(error: InputError, source: str, line: int | None) -> FormatError:
    """The same rule and fix, now naming the file and line the row came from."""
    return FormatError(error.rule, source=source, line=line, field=error.field, fix=error.fix)
