"""What every part of the CTML reader shares: the document's name, the OncoTree, and the lists of
unsupported keys and warnings it collects while reading (docs/ctml.md, "What is reported as unsupported")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oncobasket.core.errors import FormatError
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml.model import Unsupported


@dataclass(slots=True)
class ReadContext:
    source: str
    tumour_types: TumourTypes
    unsupported: list[Unsupported] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: ``[2].`` for the third trial of a file that holds a list of trials: paths name the trial.
    prefix: str = ""

    def fail(self, path: str, rule: str, fix: str) -> FormatError:
        return FormatError(rule, source=self.source, field=f"{self.prefix}{path}", fix=fix)

    def report(self, key: str, path: str, reason: str) -> None:
        self.unsupported.append(Unsupported(key, f"{self.prefix}{path}", reason))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, found {kind_of(value)}", "see docs/ctml.md for the CTML shape")
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        # CTML from some exporters holds a single item where a list is expected.
        if isinstance(value, Mapping):
            return [value]
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, found {kind_of(value)}", "see docs/ctml.md for the CTML shape")
        return value

    def check_keys(self, node: Mapping[str, Any], known: frozenset[str], path: str, what: str) -> None:
        for key in node:
            if key not in known:
                self.report(str(key), f"{path}.{key}", f"unknown {what} key, not used")


def text_of(value: Any) -> str | None:
    """A scalar CTML value as text (YAML reads Y/N as booleans)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def kind_of(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"'{value}'"
