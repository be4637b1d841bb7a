"""The root Typer app and what every command group shares: JSON and table output, warnings, and the registry options.

Contract (docs/cli.md, ARCHITECTURE.md): exit code 0 on success, 1 on bad input with a one-line
reason on stderr, 2 on a usage error. ``--json`` prints machine-readable output whose keys other
programs depend on: extend, never break.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, TypeVar

import typer

app = typer.Typer(
    name="oncobasket",
    help="Run a precision-cancer-medicine basket trial from TSO500 results to cohort decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Run a precision-cancer-medicine basket trial from TSO500 results to cohort decisions."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def emit_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (the only thing on stdout with ``--json``)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False))
    sys.stdout.write("\n")


def emit_json_items(items: Iterable[Any]) -> None:
    """Print a JSON array on stdout, one item per line as each is ready. ``json.dumps`` with ``indent``
    runs the pure-Python encoder, about ten times slower than the C one used without it: a result per
    sample of a large MAF spent most of its time there (issue 12)."""
    sys.stdout.write("[")
    for index, item in enumerate(items):
        sys.stdout.write(",\n" if index else "\n")
        sys.stdout.write(json.dumps(item, ensure_ascii=False, allow_nan=False))
    sys.stdout.write("\n]\n")


def emit_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print a plain, aligned text table for people."""
    widths = [len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    line = "  ".join(header.ljust(widths[index]) for index, header in enumerate(headers))
    typer.echo(line.rstrip())
    typer.echo("  ".join("-" * width for width in widths))
    for row in rows:
        typer.echo("  ".join(cell.ljust(widths[index]) for index, cell in enumerate(row)).rstrip())


def _number(value: float | None, digits: int = 3) -> str:
    return "NA" if value is None else f"{value:.{digits}g}"


def _warn(lines: Sequence[str]) -> None:
    """Warnings go to stderr, once each, so that ``--json`` output stays clean."""
    for line in dict.fromkeys(lines):
        sys.stderr.write(f"warning: {line}\n")


DatabaseUrlOption = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="ONCOBASKET_DATABASE_URL",
        help="The trial database: sqlite:///FILE (default sqlite:///oncobasket.db) or postgresql+psycopg://...",
    ),
]


UserOption = Annotated[
    str | None,
    typer.Option("--user", envvar="ONCOBASKET_USER", help="Who acts, for the audit trail (default: your login)."),
]


def _registry(database_url: str, user: str | None) -> Any:
    """Open the registry with the acting user (``--user``, ONCOBASKET_USER, else the login name)."""
    import getpass

    from oncobasket.services import Registry, Settings, utc_now

    acting = user if user is not None else getpass.getuser()
    return Registry.open(Settings(database_url=database_url, user=acting, clock=utc_now))


_R = TypeVar("_R")


def _on_registry(database_url: str, user: str | None, service: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
    """Run one service on the registry and close it, also when the service fails (services own the transaction)."""
    registry = _registry(database_url, user)
    try:
        return service(registry, *args, **kwargs)
    finally:
        registry.close()


def _transition_lines(result: dict[str, Any]) -> list[str]:
    """One line per cohort status change a command caused (its ``transitions``)."""
    return [f"cohort {t['from']} -> {t['to']}: {t['reason']}" for t in result["transitions"]]


def _emit_registry(value: Any, as_json: bool, lines: list[str]) -> None:
    if as_json:
        emit_json(value)
        return
    for line in lines:
        typer.echo(line)


def _clip(text: str, width: int = 100) -> str:
    """Shorten a long value for the people's table (``--json`` prints it whole)."""
    return text if len(text) <= width else text[: width - 3] + "..."
