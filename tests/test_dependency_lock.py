"""Issue 13, dependencies: the lock pins every dependency pyproject.toml names, and the audit of the lock
fails on a known vulnerability but not for lack of network."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

REPOSITORY = Path(__file__).resolve().parents[1]
LOCK = REPOSITORY / "constraints.txt"


def _audit_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", REPOSITORY / "tools" / "audit_dependencies.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found is not None, requirement
    return re.sub(r"[-_.]+", "-", found.group()).lower()


def test_the_lock_pins_every_dependency_of_pyproject() -> None:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    wanted = {_name(item) for item in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(item) for item in extra}
    pinned = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: '{line}' is not pinned with =="
            pinned[_name(name)] = version
    missing = sorted(wanted - set(pinned))
    assert not missing, f"not in constraints.txt: {missing}; run `make lock` after changing pyproject.toml"


def test_audit_fails_on_a_vulnerability() -> None:
    report = {
        "dependencies": [
            {"name": "jinja2", "version": "2.10", "vulns": [{"id": "GHSA-462w-v97r-4m45", "fix_versions": ["2.10.1"]}]},
            {"name": "polars", "version": "1.0.0", "vulns": []},
        ]
    }
    code, lines = _audit_tool().verdict(report)
    assert code == 1
    assert "jinja2 2.10: GHSA-462w-v97r-4m45 (fixed in 2.10.1)" in lines


def test_audit_only_warns_when_the_database_cannot_be_reached() -> None:
    tool = _audit_tool()
    assert tool.verdict(None)[0] == 0
    skipped = {"dependencies": [{"name": "polars", "skip_reason": "Dependency not found on PyPI"}]}
    code, lines = tool.verdict(skipped)
    assert code == 0
    assert lines[0].startswith("warning: dependency audit skipped")


def test_audit_passes_a_clean_lock() -> None:
    code, lines = _audit_tool().verdict({"dependencies": [{"name": "polars", "version": "1.0.0", "vulns": []}]})
    assert code == 0
    assert lines == ["dependency audit: 1 locked packages, no known vulnerabilities"]
