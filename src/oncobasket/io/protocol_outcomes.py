"""The protocol file's ``outcomes`` section: the configurable numbers of response evaluation and outcomes.

DOMAIN.md marks them *configurable* (the W16 window, evaluability, the assessment schedule); each default
and its source is documented on the settings classes (``core.recist.ResponseSettings``,
``core.outcomes.OutcomeSettings``) and in docs/protocol.md. Keys are the settings' own names::

    outcomes:
      source: "IMPRESS-Norway protocol, section 9"
      confirmation_min_days: 28
      sd_min_days: 42
      week16_window_start_day: 98
      week16_target_day: 112
      week16_window_end_day: 126
      oral_minimum_days: 28
      cycle_start_minimum_days: 21
      pfs_ratio_threshold: 1.3
"""

from __future__ import annotations

from typing import NoReturn, Protocol

import yaml

from oncobasket.core.errors import InputError
from oncobasket.core.outcomes import OutcomeSettings
from oncobasket.core.recist import ResponseSettings

_RESPONSE_KEYS = (
    "confirmation_min_days",
    "sd_min_days",
    "week16_window_start_day",
    "week16_target_day",
    "week16_window_end_day",
    "irecist_confirmation_min_days",
    "irecist_confirmation_max_days",
)
_OUTCOME_DAY_KEYS = ("oral_minimum_days", "cycle_start_minimum_days", "missed_assessment_interval_days")


class _Reader(Protocol):
    """What this section needs of the protocol reader (``io.protocol_file``): its checked primitives."""

    def mapping(
        self, node: yaml.Node, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]: ...

    def integer(self, node: yaml.Node, path: str, minimum: int = 0) -> int: ...

    def number(self, node: yaml.Node, path: str) -> float: ...

    def text(self, node: yaml.Node, path: str) -> str: ...

    def fail(self, node: yaml.Node, path: str, rule: str, fix: str | None = None) -> NoReturn: ...


def read_outcome_settings(reader: _Reader, node: yaml.Node) -> tuple[ResponseSettings, OutcomeSettings]:
    """Read the ``outcomes`` mapping; a value the settings refuse is reported at its line."""
    entries = reader.mapping(
        node, "outcomes", ("source", *_RESPONSE_KEYS, *_OUTCOME_DAY_KEYS, "pfs_ratio_threshold"), required=("source",)
    )
    reader.text(entries["source"][1], "outcomes.source")
    response_values = {
        key: reader.integer(entries[key][1], f"outcomes.{key}") for key in _RESPONSE_KEYS if key in entries
    }
    outcome_values: dict[str, float | int] = {
        key: reader.integer(entries[key][1], f"outcomes.{key}", minimum=1)
        for key in _OUTCOME_DAY_KEYS
        if key in entries
    }
    if "pfs_ratio_threshold" in entries:
        outcome_values["pfs_ratio_threshold"] = reader.number(
            entries["pfs_ratio_threshold"][1], "outcomes.pfs_ratio_threshold"
        )
    try:
        response = ResponseSettings(**response_values)
    except InputError as error:
        reader.fail(node, f"outcomes.{error.field or ''}".rstrip("."), error.rule, error.fix)
    try:
        outcome = OutcomeSettings(**outcome_values)  # type: ignore[arg-type]
    except InputError as error:
        reader.fail(node, f"outcomes.{error.field or ''}".rstrip("."), error.rule, error.fix)
    return response, outcome
