"""Tumour types: the shipped OncoTree subset, a full OncoTree JSON, and the hierarchy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from oncobasket.core.errors import FormatError
from oncobasket.core.tumour_types import TumourType, TumourTypes
from oncobasket.io.oncotree import load_shipped_tumour_types, read_oncotree_json, read_subset
from oncobasket.io.protocol_file import default_protocol_path, load_protocol


def test_shipped_subset_has_version_and_hierarchy() -> None:
    types = load_shipped_tumour_types()
    assert types.version == "oncotree_2025_10_03"
    assert types.lineage("LUAD") == ("LUAD", "NSCLC", "LUNG", "TISSUE")
    assert types.is_within("IHCH", "CHOL")
    assert not types.is_within("CHOL", "IHCH")
    assert types.main_type("SKCM") == "Melanoma"
    assert "luad" in types  # codes are case-insensitive
    assert types.lineage("NOPE") == ()
    assert set(types.descendants("CHOL")) >= {"CHOL", "IHCH", "EHCH"}


def test_shipped_subset_covers_default_protocol() -> None:
    # Loading validates every OncoTree code the default protocol names against the shipped subset.
    protocol = load_protocol(default_protocol_path(), load_shipped_tumour_types())
    assert protocol.oncotree_version == load_shipped_tumour_types().version


def test_hierarchy_rejects_missing_parent_and_cycles() -> None:
    with pytest.raises(ValueError, match="not in the hierarchy"):
        TumourTypes({"A": TumourType("A", "a", parent="B")}, version="t")
    with pytest.raises(ValueError, match="its own ancestor"):
        TumourTypes(
            {"A": TumourType("A", "a", parent="B"), "B": TumourType("B", "b", parent="A")},
            version="t",
        )


def test_full_oncotree_json(shared_data: Path) -> None:
    full = read_oncotree_json(shared_data / "oncotree" / "oncotree_2025_10_03.json")
    shipped = load_shipped_tumour_types()
    assert len(full) > len(shipped) > 500
    assert full.version == "oncotree_2025_10_03"
    # The shipped subset agrees with the full tree on every code it has.
    for item in shipped:
        other = full.get(item.code)
        assert other is not None, item.code
        assert (other.parent, other.name, other.main_type) == (item.parent, item.name, item.main_type)
    # A code only in the full tree still resolves through the hierarchy.
    extra = next(code for code in full.types if code not in shipped)
    assert full.lineage(extra)[-1] == "TISSUE"


def test_malformed_oncotree_json(tmp_path: Path) -> None:
    path = tmp_path / "tree.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: not JSON"):
        read_oncotree_json(path)
    path.write_text(json.dumps({"TISSUE": {"name": "no code"}}), encoding="utf-8")
    with pytest.raises(FormatError, match="has no 'code'"):
        read_oncotree_json(path)
    path.write_text(json.dumps({"X": {"code": "X", "parent": "MISSING", "children": {}}}), encoding="utf-8")
    with pytest.raises(FormatError, match="not in the hierarchy"):
        read_oncotree_json(path)


def test_malformed_subset(tmp_path: Path) -> None:
    path = tmp_path / "types.tsv"
    path.write_text("# version: x\ncode\tname\n", encoding="utf-8")
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}:2: header is"):
        read_subset(path)
    path.write_text("code\tparent\tlevel\tmain_type\ttissue\tname\nA\t\t0\n", encoding="utf-8")
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}:2: 3 cells"):
        read_subset(path)
