"""Read OncoTree tumour types: the subset OncoBasket ships, or a full OncoTree JSON a user provides.

Source: OncoTree (oncotree.mskcc.org; Kundra et al., JCO Clin Cancer Inform 2021), licensed CC BY 4.0.
The full tree is the JSON of the OncoTree API ``/api/tumorTypes/tree`` (also published as
``trees/oncotree_<date>.json`` in github.com/cBioPortal/oncotree): nested nodes with ``code``,
``name``, ``mainType``, ``tissue``, ``parent``, ``level`` and ``children`` (a mapping of code -> node).

Each node also lists the retired codes it replaced: ``history``, ``precursors`` and ``revocations``
(OncoTree history modeling; see :mod:`oncobasket.core.tumour_types`), lists of codes.

The shipped subset (``oncobasket/data/tumour_types/oncotree_subset.tsv``) is a tab-separated table
written for OncoBasket with columns ``code, parent, level, main_type, tissue, name`` and, optionally,
``history, precursors, revocations`` (comma-separated codes, empty for none; copied from the OncoTree
JSON of the same release); its ``#`` header lines name the OncoTree version it follows and the
attribution.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from oncobasket.core.errors import FormatError
from oncobasket.core.tumour_types import TumourType, TumourTypes
from oncobasket.io.files import check_regular_file

SUBSET_COLUMNS = ("code", "parent", "level", "main_type", "tissue", "name")
#: optional columns after :data:`SUBSET_COLUMNS`: the retired codes each node replaced.
HISTORY_COLUMNS = ("history", "precursors", "revocations")

# OncoTree codes are letters, digits and underscores; old releases used mixed case (aCML, SpCC).
_CODE = re.compile(r"^[A-Za-z0-9_]+$")


def shipped_tumour_types_path() -> Path:
    return Path(str(resources.files("oncobasket") / "data" / "tumour_types" / "oncotree_subset.tsv"))


def load_shipped_tumour_types() -> TumourTypes:
    """The tumour types OncoBasket ships (the codes the default protocol and common cases need)."""
    return read_subset(shipped_tumour_types_path())


def load_tumour_types(path: Path | None) -> TumourTypes:
    """A full OncoTree JSON when ``path`` is given, else the shipped subset."""
    return load_shipped_tumour_types() if path is None else read_oncotree_json(path)


def read_subset(path: Path) -> TumourTypes:
    """Read a tumour-type table in the shipped subset format (see the module docstring)."""
    source = str(path)  # errors name the path as the user gave it
    version = "unknown"
    types: dict[str, TumourType] = {}
    header_seen = False
    width = len(SUBSET_COLUMNS)
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if line.startswith("#"):
                if line.startswith("# version:"):
                    version = line.split(":", 1)[1].strip()
                continue
            if not line.strip():
                continue
            cells = line.split("\t")
            if not header_seen:
                if tuple(cells) not in {SUBSET_COLUMNS, SUBSET_COLUMNS + HISTORY_COLUMNS}:
                    raise FormatError(
                        f"header is {cells}, expected {list(SUBSET_COLUMNS)}, optionally followed by "
                        f"{list(HISTORY_COLUMNS)}",
                        source=source,
                        line=number,
                        fix="use the shipped table's columns",
                    )
                width = len(cells)
                header_seen = True
                continue
            # The optional history columns may be left off a row whose cells would all be empty.
            if not len(SUBSET_COLUMNS) <= len(cells) <= width:
                raise FormatError(f"{len(cells)} cells, expected {width}", source=source, line=number)
            cells += [""] * (width - len(cells))
            code, parent, level, main_type, tissue, name = cells[: len(SUBSET_COLUMNS)]
            if code in types:
                raise FormatError(f"duplicate code {code}", source=source, line=number, field="code")
            retired = {
                column: _subset_codes(cell, source=source, line=number, column=column)
                for column, cell in zip(HISTORY_COLUMNS, cells[len(SUBSET_COLUMNS) :], strict=False)
            }
            if level and not level.isdigit():
                raise FormatError(
                    f"'{level}' is not a whole number", source=source, line=number, field="level", fix="write 0-7"
                )
            types[code] = TumourType(
                code=code,
                name=name,
                parent=parent or None,
                main_type=main_type or None,
                tissue=tissue or None,
                level=int(level) if level else None,
                history=retired.get("history", ()),
                precursors=retired.get("precursors", ()),
                revocations=retired.get("revocations", ()),
            )
    return _build(types, version, source)


def _subset_codes(cell: str, *, source: str, line: int, column: str) -> tuple[str, ...]:
    """A comma-separated list of retired OncoTree codes (empty: none)."""
    codes = tuple(item.strip() for item in cell.split(",")) if cell.strip() else ()
    for code in codes:
        if not _CODE.match(code):
            raise FormatError(
                f"'{code}' is not an OncoTree code",
                source=source,
                line=line,
                field=column,
                fix="list retired codes separated by commas, e.g. GBM or AOAST,OAST",
            )
    return codes


def read_oncotree_json(path: Path) -> TumourTypes:
    """Read a full OncoTree tree JSON (``{"TISSUE": {..., "children": {...}}}``)."""
    source = str(path)  # errors name the path as the user gave it
    check_regular_file(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("no such OncoTree file", source=source, fix="check the path") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"not JSON: {error}", source=source, fix="give an OncoTree tree JSON file") from None
    if not isinstance(document, dict) or not document:
        raise FormatError(
            "not an OncoTree tree (expected an object such as {'TISSUE': {...}})",
            source=source,
            fix="download the tree from oncotree.mskcc.org/api/tumorTypes/tree",
        )
    types: dict[str, TumourType] = {}
    stack: list[Any] = list(document.values())
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or not isinstance(node.get("code"), str):
            raise FormatError("a node has no 'code'", source=source, fix="give an OncoTree tree JSON file")
        code = node["code"].upper()
        types[code] = TumourType(
            code=code,
            name=str(node.get("name") or code),
            parent=node["parent"].upper() if isinstance(node.get("parent"), str) else None,
            main_type=node.get("mainType") or None,
            tissue=node.get("tissue") or None,
            level=node.get("level") if isinstance(node.get("level"), int) else None,
            history=_json_codes(node, "history", code, source),
            precursors=_json_codes(node, "precursors", code, source),
            revocations=_json_codes(node, "revocations", code, source),
        )
        children = node.get("children") or {}
        stack.extend(children.values() if isinstance(children, dict) else children)
    version = path.stem if path.stem.startswith("oncotree_") else f"file {path.name}"
    return _build(types, version, source)


def _json_codes(node: dict[str, Any], key: str, code: str, source: str) -> tuple[str, ...]:
    """A node's list of retired codes (``history``, ``precursors``, ``revocations``); absent or null = none."""
    value = node.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and _CODE.match(item) for item in value):
        raise FormatError(
            f"'{key}' of node {code} is {value!r}, not a list of OncoTree codes",
            source=source,
            field=f"{code}.{key}",
            fix="give an OncoTree tree JSON file (oncotree.mskcc.org/api/tumorTypes/tree)",
        )
    return tuple(value)


def _build(types: dict[str, TumourType], version: str, source: str) -> TumourTypes:
    try:
        return TumourTypes(types=types, version=version)
    except ValueError as error:
        raise FormatError(str(error), source=source, fix="every parent must be a code in the file") from None
