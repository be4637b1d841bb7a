"""Read the CTCAE vocabulary: the CTCAE v5.0 table OncoBasket ships, or any complete table of the same shape.

Source: Common Terminology Criteria for Adverse Events (CTCAE) v5.0, 27 November 2017, U.S. Department of
Health and Human Services, NIH, National Cancer Institute; a U.S. Government work. MedDRA(R) is a registered
trademark of the IFPMA; the MedDRA codes are those NCI publishes inside CTCAE.

The shipped table (``oncobasket/data/ctcae/ctcae_v5.tsv``; its README says where it came from) is
tab-separated with the columns ``term, soc, meddra_code, grades``: the CTCAE term, its MedDRA System Organ
Class, its MedDRA code (8 digits, or empty when a source has none) and the grades CTCAE defines for the term,
comma-separated and ascending (``1,2,3`` for a term that stops at grade 3). ``#`` lines are comments; a
``# version:`` comment names the CTCAE version.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from oncobasket.core.adverse_events import GRADES, AdverseEventTerms, CtcaeTerm
from oncobasket.core.errors import FormatError
from oncobasket.io.files import check_regular_file

COLUMNS = ("term", "soc", "meddra_code", "grades")

# MedDRA codes are 8-digit numbers (MedDRA Introductory Guide, "MedDRA codes").
_MEDDRA_CODE = re.compile(r"^\d{8}$")


def shipped_ctcae_path() -> Path:
    return Path(str(resources.files("oncobasket") / "data" / "ctcae" / "ctcae_v5.tsv"))


def load_shipped_ctcae() -> AdverseEventTerms:
    """The CTCAE v5.0 vocabulary OncoBasket ships (837 terms in 26 SOCs)."""
    return read_ctcae(shipped_ctcae_path())


def load_ctcae(path: Path | None) -> AdverseEventTerms:
    """The table at ``path`` when given, else the shipped CTCAE v5.0 table."""
    return load_shipped_ctcae() if path is None else read_ctcae(path)


def read_ctcae(path: Path) -> AdverseEventTerms:
    """Read a CTCAE table in the shipped format (see the module docstring); errors name the file and line."""
    source = str(path)  # errors name the path as the user gave it
    check_regular_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError("no such CTCAE table", source=source, fix="check the path") from None
    except UnicodeDecodeError:
        raise FormatError("not UTF-8 text", source=source, fix="save the table as UTF-8 tab-separated text") from None
    version = "unknown"
    header_seen = False
    terms: list[CtcaeTerm] = []
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if line.startswith("#"):
            if line.startswith("# version:"):
                version = line.split(":", 1)[1].strip() or version
            continue
        if not line.strip():
            continue
        cells = line.split("\t")
        if not header_seen:
            if tuple(cell.strip() for cell in cells) != COLUMNS:
                raise FormatError(
                    f"header is {cells}, expected {list(COLUMNS)}",
                    source=source,
                    line=number,
                    fix="use the shipped CTCAE table's tab-separated columns",
                )
            header_seen = True
            continue
        if len(cells) != len(COLUMNS):
            raise FormatError(
                f"{len(cells)} cells, expected {len(COLUMNS)} separated by tabs",
                source=source,
                line=number,
                fix="give term, soc, meddra_code and grades on each line",
            )
        term, soc, code, grades = (cell.strip() for cell in cells)
        item = CtcaeTerm(
            term=_required(term, "term", source, number),
            soc=_required(soc, "soc", source, number),
            meddra_code=_meddra_code(code, source, number),
            grades=_grades(grades, source, number),
        )
        key = term.casefold()
        if key in lines:
            raise FormatError(
                f"term '{term}' is given twice (first on line {lines[key]})",
                source=source,
                line=number,
                field="term",
                fix="give each CTCAE term once",
            )
        lines[key] = number
        terms.append(item)
    if not header_seen:
        raise FormatError("no header line and no terms", source=source, fix=f"start with the header {list(COLUMNS)}")
    if not terms:
        raise FormatError("the table has no terms", source=source, fix="give at least one CTCAE term")
    try:
        return AdverseEventTerms(terms=tuple(terms), version=version)
    except ValueError as error:
        raise FormatError(str(error), source=source, fix="correct the CTCAE table") from None


def _required(value: str, column: str, source: str, line: int) -> str:
    if not value:
        raise FormatError(f"the {column} is empty", source=source, line=line, field=column, fix=f"give the {column}")
    return " ".join(value.split())


def _meddra_code(value: str, source: str, line: int) -> str | None:
    if not value:
        return None
    if not _MEDDRA_CODE.match(value):
        raise FormatError(
            f"'{value}' is not a MedDRA code (8 digits)",
            source=source,
            line=line,
            field="meddra_code",
            fix="give the 8-digit MedDRA code CTCAE lists, or leave the cell empty",
        )
    return value


def _grades(value: str, source: str, line: int) -> tuple[int, ...]:
    items = [item.strip() for item in value.split(",")] if value else []
    if not items or not all(item.isdigit() for item in items):
        raise FormatError(
            f"grades '{value}' are not a comma-separated list of whole numbers",
            source=source,
            line=line,
            field="grades",
            fix="list the grades CTCAE defines for the term, e.g. 1,2,3 or 3,4,5",
        )
    grades = tuple(int(item) for item in items)
    if any(grade not in GRADES for grade in grades):
        raise FormatError(
            f"grades '{value}' include a grade outside 1-5",
            source=source,
            line=line,
            field="grades",
            fix="CTCAE grades run from 1 (mild) to 5 (death)",
        )
    if list(grades) != sorted(set(grades)):
        raise FormatError(
            f"grades '{value}' are out of order or repeated",
            source=source,
            line=line,
            field="grades",
            fix="list each grade once, ascending, e.g. 1,2,3",
        )
    return grades
