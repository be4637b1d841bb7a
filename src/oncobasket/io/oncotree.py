"""Read OncoTree tumour types: the subset OncoBasket ships, or a full OncoTree JSON a user provides.

Source: OncoTree (oncotree.mskcc.org; Kundra et al., JCO Clin Cancer Inform 2021), licensed CC BY 4.0.
The full tree is the JSON of the OncoTree API ``/api/tumorTypes/tree`` (also published as
``trees/oncotree_<date>.json`` in github.com/cBioPortal/oncotree): nested nodes with ``code``,
``name``, ``mainType``, ``tissue``, ``parent``, ``level`` and ``children`` (a mapping of code -> node).

The shipped subset (``oncobasket/data/tumour_types/oncotree_subset.tsv``) is a tab-separated table
written for OncoBasket with columns ``code, parent, level, main_type, tissue, name``; its ``#`` header
lines name the OncoTree version it follows and the attribution.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from oncobasket.core.errors import FormatError
from oncobasket.core.tumour_types import TumourType, TumourTypes

SUBSET_COLUMNS = ("code", "parent", "level", "main_type", "tissue", "name")


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
    version = "unknown"
    types: dict[str, TumourType] = {}
    header_seen = False
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\n")
            if line.startswith("#"):
                if line.startswith("# version:"):
                    version = line.split(":", 1)[1].strip()
                continue
            if not line.strip():
                continue
            cells = line.split("\t")
            if not header_seen:
                if tuple(cells) != SUBSET_COLUMNS:
                    raise FormatError(
                        f"header is {cells}, expected {list(SUBSET_COLUMNS)}",
                        source=path.name,
                        line=number,
                        fix="use the shipped table's columns",
                    )
                header_seen = True
                continue
            if len(cells) != len(SUBSET_COLUMNS):
                raise FormatError(f"{len(cells)} cells, expected {len(SUBSET_COLUMNS)}", source=path.name, line=number)
            code, parent, level, main_type, tissue, name = cells
            if code in types:
                raise FormatError(f"duplicate code {code}", source=path.name, line=number, field="code")
            types[code] = TumourType(
                code=code,
                name=name,
                parent=parent or None,
                main_type=main_type or None,
                tissue=tissue or None,
                level=int(level) if level else None,
            )
    return _build(types, version, path.name)


def read_oncotree_json(path: Path) -> TumourTypes:
    """Read a full OncoTree tree JSON (``{"TISSUE": {..., "children": {...}}}``)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("no such OncoTree file", source=str(path), fix="check the path") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FormatError(f"not JSON: {error}", source=path.name, fix="give an OncoTree tree JSON file") from None
    if not isinstance(document, dict) or not document:
        raise FormatError(
            "not an OncoTree tree (expected an object such as {'TISSUE': {...}})",
            source=path.name,
            fix="download the tree from oncotree.mskcc.org/api/tumorTypes/tree",
        )
    types: dict[str, TumourType] = {}
    stack: list[Any] = list(document.values())
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or not isinstance(node.get("code"), str):
            raise FormatError("a node has no 'code'", source=path.name, fix="give an OncoTree tree JSON file")
        code = node["code"].upper()
        types[code] = TumourType(
            code=code,
            name=str(node.get("name") or code),
            parent=node["parent"].upper() if isinstance(node.get("parent"), str) else None,
            main_type=node.get("mainType") or None,
            tissue=node.get("tissue") or None,
            level=node.get("level") if isinstance(node.get("level"), int) else None,
        )
        children = node.get("children") or {}
        stack.extend(children.values() if isinstance(children, dict) else children)
    version = path.stem if path.stem.startswith("oncotree_") else f"file {path.name}"
    return _build(types, version, path.name)


def _build(types: dict[str, TumourType], version: str, source: str) -> TumourTypes:
    try:
        return TumourTypes(types=types, version=version)
    except ValueError as error:
        raise FormatError(str(error), source=source, fix="every parent must be a code in the file") from None
