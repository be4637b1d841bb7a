"""``oncobasket audit``: the append-only audit trail."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from oncobasket.cli.app import (
    DatabaseUrlOption,
    JsonOption,
    UserOption,
    _clip,
    _on_registry,
    app,
    emit_json,
    emit_table,
)


@app.command("audit")
def audit(
    patient: Annotated[str | None, typer.Option("--patient", help="Only this study ID's events.")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the append-only audit trail: who did what, when, before and after."""
    from oncobasket.services import audit_trail

    result = _on_registry(database_url, user, audit_trail, patient)
    if as_json:
        emit_json(result)
        return
    emit_table(
        ["at", "actor", "action", "study_id", "before", "after"],
        [
            [
                e["at"][:19],
                e["actor"],
                e["action"],
                e["study_id"] or "",
                _clip(json.dumps(e["before"], ensure_ascii=False), 60) if e["before"] is not None else "-",
                _clip(json.dumps(e["after"], ensure_ascii=False), 80) if e["after"] is not None else "-",
            ]
            for e in result
        ],
    )
