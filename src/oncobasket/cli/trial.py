"""``oncobasket trial init``: create or migrate the trial database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _emit_registry, _on_registry, app

trial_app = typer.Typer(help="Create and migrate the trial database.", no_args_is_help=True)


app.add_typer(trial_app, name="trial")


@trial_app.command("init")
def trial_init(
    protocol_file: Annotated[
        Path | None, typer.Option("--protocol", help="Protocol YAML (default: the shipped example protocol).")
    ] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or migrate the trial database and load the protocol (its version and checksum are stored)."""
    from oncobasket.services import init_trial

    result = _on_registry(database_url, user, init_trial, protocol_file)
    protocol_info = result["protocol"]
    lines = [
        f"database {result['database']} at schema revision {result['schema_revision']}",
        f"protocol {protocol_info['name']} version {protocol_info['version']} "
        f"(sha256 {protocol_info['sha256'][:12]}...)" + ("" if result["protocol_loaded"] else " already loaded"),
    ]
    lines += [f"slot budget {b['name']}: {b['left']} of {b['total']} left" for b in result["slot_budgets"]]
    _emit_registry(result, as_json, lines)
