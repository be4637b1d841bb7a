"""``oncobasket backup|restore|check``: keep the registry safe (docs/operations.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _emit_registry, _on_registry, app


@app.command("backup")
def backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write (created 0600).")],
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Back up the registry: SQLite's online backup, or pg_dump for PostgreSQL."""
    from oncobasket.services import backup_registry

    result = _on_registry(database_url, user, backup_registry, out, force=force)
    _emit_registry(
        result, as_json, [f"backup written to {result['out']} ({result['bytes']} bytes, {result['method']})"]
    )


@app.command("restore")
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file `oncobasket backup` wrote.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the registry the database already holds (back it up first).")
    ] = False,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Restore the registry from a backup, then check it."""
    from oncobasket.services import restore_registry

    result = _on_registry(database_url, user, restore_registry, backup_file, force=force)
    _emit_registry(result, as_json, [f"restored from {result['restored_from']}", *_check_lines(result)])
    if not result["ok"]:
        raise typer.Exit(1)


@app.command("check")
def check(
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check an existing registry: schema revision, integrity and audit-trail completeness (exit 1 on a problem)."""
    from oncobasket.services import check_registry

    result = _on_registry(database_url, user, check_registry)
    _emit_registry(result, as_json, _check_lines(result))
    if not result["ok"]:
        raise typer.Exit(1)


def _check_lines(result: dict[str, object]) -> list[str]:
    schema = result["schema"]
    assert isinstance(schema, dict)
    lines = [
        f"schema revision {schema['revision']} (this OncoBasket: {schema['head']})",
        f"integrity: {result['integrity']}",
    ]
    problems = result["problems"]
    assert isinstance(problems, list)
    for problem in problems:
        sys.stderr.write(f"problem: {problem}\n")
    lines.append("ok" if result["ok"] else f"{len(problems)} problem(s)")
    return lines
