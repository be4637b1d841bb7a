"""Files of batch screening: the clinical table it reads and the match table it writes.

- Clinical table (``--clinical``): tab-separated, a header row naming ``sample_id`` and
  ``tumour_type`` (an OncoTree code) and optionally ``age`` (decimal years) or ``birth_date``
  (YYYY-MM-DD), ``ecog`` (0-5), ``sex`` (M/F), and for ``match --ctml`` the markers of
  :data:`MARKER_COLUMNS` (receptor statuses, signatures, ``tmb``); header names
  are case-insensitive and cBioPortal's ``SAMPLE_ID`` / ``ONCOTREE_CODE`` are accepted; ``#`` lines
  and blank lines are skipped; other columns are ignored. Empty or ``NA`` cells are unknown.
- MAF tumour types: the ``ONCOTREE_CODE`` column of a MAF (cBioPortal's clinical attribute, also
  written by oncokb-annotator), per ``Tumor_Sample_Barcode``.
- Match table (``--out``): TSV or Parquet, one row per (sample, match) with the columns of
  :data:`oncobasket.core.screening.MATCH_COLUMNS`; written to a temporary file and renamed, so a
  failed run never leaves a half-written table.

See docs/screening.md.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

import polars as pl

from oncobasket.core.errors import FormatError
from oncobasket.core.matching import PatientFacts
from oncobasket.io.files import create_private_file, read_regular_bytes

CLINICAL_COLUMNS = ("sample_id", "tumour_type", "age", "ecog", "birth_date", "sex")
#: columns kept as text by their CTML names (docs/ctml.md, "The patient's side"): receptor statuses,
#: mutational signatures (``Yes`` / ``No``) and TMB in mutations per megabase.
MARKER_COLUMNS = (
    "her2_status",
    "er_status",
    "pr_status",
    "apobec_signature",
    "pole_signature",
    "tobacco_signature",
    "temozolomide_signature",
    "uva_signature",
    "tmb",
)
_SEXES = {"m": "M", "male": "M", "f": "F", "female": "F"}
_RECEPTOR_VALUES = {
    "positive": "Positive",
    "negative": "Negative",
    "equivocal": "Equivocal",
    "true": "Positive",
    "false": "Negative",
}
#: cBioPortal / MAF names accepted for the same columns (data_clinical_sample.txt uses SAMPLE_ID, ONCOTREE_CODE).
_ALIASES = {"tumor_sample_barcode": "sample_id", "oncotree_code": "tumour_type", "tumor_type": "tumour_type"}
_MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "."})


class TableFormat(StrEnum):
    TSV = "tsv"
    PARQUET = "parquet"


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of the non-comment, non-blank lines of a tab-separated file (gzip allowed)."""
    if not path.exists():
        raise FormatError("no such file", source=str(path), fix="check the path")
    raw = read_regular_bytes(path)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error):
            raise FormatError(
                "the compressed file is truncated or corrupt", source=path.name, fix="check it with 'gzip -t'"
            ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(f"not UTF-8 text ({error.reason})", source=path.name, fix="save it as UTF-8") from None
    # Tab-separated without quoting: cut at the tabs (the csv module refuses cells over 128 KiB and NULs).
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        yield number, line.split("\t")


@dataclass(frozen=True, slots=True)
class ClinicalRow:
    """One sample of the clinical table: the patient facts and the markers by their CTML names."""

    facts: PatientFacts
    markers: Mapping[str, str]


def read_clinical_table(path: Path, as_of: date | None = None) -> dict[str, PatientFacts]:
    """sample_id -> PatientFacts (tumour type, age, ECOG, sex) from a clinical TSV; raises
    :class:`FormatError` naming the file, line and column of the first bad cell. ``as_of`` is the day a
    ``birth_date`` column is read against (today when not given by the caller: the CLI passes it)."""
    return {sample: row.facts for sample, row in read_clinical_rows(path, as_of).items()}


def read_clinical_rows(path: Path, as_of: date | None = None) -> dict[str, ClinicalRow]:
    """sample_id -> :class:`ClinicalRow`: the facts of :func:`read_clinical_table` and the marker columns
    (:data:`MARKER_COLUMNS`) that ``match --ctml`` reads."""
    rows = _rows(path)
    header_line, header = next(rows, (0, []))
    names = [_ALIASES.get(cell.strip().lower(), cell.strip().lower()) for cell in header]
    for required in ("sample_id", "tumour_type"):
        if required not in names:
            raise FormatError(
                f"the header has no '{required}' column (found: {', '.join(header) or 'nothing'})",
                source=path.name,
                line=header_line or None,
                field=required,
                fix="start with a header row: sample_id<TAB>tumour_type<TAB>age<TAB>ecog",
            )
    position = {name: names.index(name) for name in (*CLINICAL_COLUMNS, *MARKER_COLUMNS) if name in names}
    if "age" in position and "birth_date" in position:
        raise FormatError(
            "the header has both 'age' and 'birth_date'",
            source=path.name,
            line=header_line or None,
            field="birth_date",
            fix="give one of them",
        )
    if "birth_date" in position and as_of is None:
        raise FormatError(
            "a birth_date column needs the day to read it against",
            source=path.name,
            line=header_line or None,
            field="birth_date",
            fix="pass as_of (the command line uses today)",
        )
    patients: dict[str, ClinicalRow] = {}
    for number, cells in rows:
        if len(cells) != len(header):
            raise FormatError(
                f"{len(cells)} cells where the header has {len(header)}",
                source=path.name,
                line=number,
                fix="separate the columns by single tabs, one value per header column",
            )

        def cell(name: str, cells: list[str] = cells) -> str | None:
            index = position.get(name)
            value = cells[index].strip() if index is not None else ""
            return None if value in _MISSING else value

        sample_id = cell("sample_id")
        if sample_id is None:
            raise FormatError("empty sample_id", source=path.name, line=number, field="sample_id", fix="fill it in")
        if sample_id in patients:
            raise FormatError(
                f"sample '{sample_id}' appears twice",
                source=path.name,
                line=number,
                field="sample_id",
                fix="give one row per sample",
            )
        tumour_type = cell("tumour_type")
        if tumour_type is None:
            raise FormatError(
                f"sample '{sample_id}' has no tumour type",
                source=path.name,
                line=number,
                field="tumour_type",
                fix="give its OncoTree code, e.g. LUAD",
            )
        age = _number(cell("age"), path, number, "age", low=0, high=130)
        ecog = _number(cell("ecog"), path, number, "ecog", low=0, high=5)
        if ecog is not None and not ecog.is_integer():
            raise FormatError(
                f"'{ecog:g}' is not a whole ECOG grade", source=path.name, line=number, field="ecog", fix="use 0-5"
            )
        born = cell("birth_date")
        if born is not None and as_of is not None:
            age = _age_from_birth_date(born, as_of, path, number)
        sex = cell("sex")
        if sex is not None and sex.lower() not in _SEXES:
            raise FormatError(
                f"'{sex}' is not a sex", source=path.name, line=number, field="sex", fix="use M, F, Male or Female"
            )
        markers = _markers(cell, path, number)
        facts = PatientFacts(
            tumour_type=tumour_type.upper(),
            age=age,
            ecog=None if ecog is None else int(ecog),
            sex=None if sex is None else _SEXES[sex.lower()],
        )
        patients[sample_id] = ClinicalRow(facts, markers)
    return patients


def _markers(cell: Callable[[str], str | None], path: Path, line: int) -> dict[str, str]:
    markers: dict[str, str] = {}
    for name in MARKER_COLUMNS:
        value = cell(name)
        if value is None:
            continue
        if name == "tmb":
            markers[name] = f"{_number(value, path, line, name, low=0, high=10_000):g}"
        elif name.endswith("_status"):
            if value.lower() not in _RECEPTOR_VALUES:
                raise FormatError(
                    f"'{value}' is not a receptor status",
                    source=path.name,
                    line=line,
                    field=name,
                    fix="use Positive, Negative or Equivocal",
                )
            markers[name] = _RECEPTOR_VALUES[value.lower()]
        else:
            if value.lower() not in {"yes", "no"}:
                raise FormatError(
                    f"'{value}' is not Yes or No", source=path.name, line=line, field=name, fix="use Yes or No"
                )
            markers[name] = value.capitalize()
    return markers


def _age_from_birth_date(text: str, as_of: date, path: Path, line: int) -> float:
    """Completed years plus the fraction of the current year of life, so that the day of a birthday is a
    whole number: an ``age_numerical: '>=18'`` holds from the 18th birthday on and ``'>18'`` from the
    day after, as MatchMiner compares birth dates (docs/ctml.md)."""
    try:
        born = date.fromisoformat(text)
    except ValueError:
        raise FormatError(
            f"'{text}' is not a date", source=path.name, line=line, field="birth_date", fix="write it as YYYY-MM-DD"
        ) from None
    if born > as_of:
        raise FormatError(
            f"birth date {text} is after {as_of.isoformat()}",
            source=path.name,
            line=line,
            field="birth_date",
            fix="check the date",
        )
    years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    last = _anniversary(born, born.year + years)
    following = _anniversary(born, born.year + years + 1)
    return years + (as_of - last).days / (following - last).days


def _anniversary(born: date, year: int) -> date:
    """The birthday in ``year``; 29 February falls on 1 March in other years, as in MatchMiner, which
    compares the birth date with today minus the years (28 February minus 18 years is 28 February)."""
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def _number(text: str | None, path: Path, line: int, column: str, *, low: float, high: float) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise FormatError(
            f"'{text}' is not a number", source=path.name, line=line, field=column, fix=f"use a number {low:g}-{high:g}"
        ) from None
    if not low <= value <= high:
        raise FormatError(
            f"{value:g} is outside {low:g}-{high:g}", source=path.name, line=line, field=column, fix="check the value"
        )
    return value


def read_maf_tumour_types(path: Path) -> dict[str, str]:
    """Tumor_Sample_Barcode -> ONCOTREE_CODE of a MAF; empty when the MAF has no ONCOTREE_CODE column."""
    rows = _rows(path)
    _, header = next(rows, (0, []))
    if "ONCOTREE_CODE" not in header or "Tumor_Sample_Barcode" not in header:
        return {}
    sample_at, code_at = header.index("Tumor_Sample_Barcode"), header.index("ONCOTREE_CODE")
    codes: dict[str, str] = {}
    for number, cells in rows:
        if len(cells) <= max(sample_at, code_at):
            continue  # the MAF reader reports short rows
        sample_id, code = cells[sample_at].strip(), cells[code_at].strip().upper()
        if not code or code in _MISSING:
            continue
        known = codes.setdefault(sample_id, code)
        if known != code:
            raise FormatError(
                f"sample '{sample_id}' has ONCOTREE_CODE {known} and {code}",
                source=path.name,
                line=number,
                field="ONCOTREE_CODE",
                fix="give one tumour type per sample, or a --clinical table",
            )
    return codes


def write_matches(
    matches: pl.DataFrame, path: Path, table_format: TableFormat = TableFormat.TSV, *, replace: bool = False
) -> None:
    """Write the match table (TSV with a header row, or Parquet) atomically, readable by its owner only.

    An existing file is replaced only with ``replace`` (``screen --force``): no command overwrites what it
    did not create without being told to (issue 13).
    """
    if path.exists() and not replace:
        raise FormatError(
            "the file exists; nothing was written",
            source=str(path),
            field="--out",
            fix="give a new file name, or add --force to replace it",
        )
    temporary = path.with_name(f".{path.name}.partial")
    try:
        # The table names patients' samples: created 0600 before polars writes into it (io/files.py).
        temporary.unlink(missing_ok=True)
        create_private_file(temporary)
        if table_format is TableFormat.PARQUET:
            matches.write_parquet(temporary)
        else:
            matches.write_csv(temporary, separator="\t", null_value="", quote_style="necessary")
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise FormatError(
            f"cannot write the match table ({error.strerror})", source=str(path), fix="check the folder exists"
        ) from None
