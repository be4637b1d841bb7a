"""``oncobasket user add`` and ``oncobasket serve``: accounts and the web application (docs/web.md)."""

from __future__ import annotations

import os
import secrets
import sys
from typing import Annotated

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _emit_registry, _on_registry, app

user_app = typer.Typer(help="Accounts of the web application and API.", no_args_is_help=True)
app.add_typer(user_app, name="user")

#: The variable that carries the signing key to uvicorn's worker processes (they import the app afresh).
SECRET_VARIABLE = "ONCOBASKET_SECRET_KEY"  # noqa: S105 - the name of a variable


@user_app.command("add")
def user_add(  # noqa: PLR0917 - Typer maps each parameter to an option
    username: Annotated[str, typer.Argument(help="Lower-case user name, e.g. kari.nordmann.")],
    role: Annotated[str, typer.Option("--role", help="admin, coordinator, mtb, investigator or monitor.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (required).")
    ] = False,
    site: Annotated[str | None, typer.Option("--site", help="The investigator's site (investigators only).")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an account; the password is read from standard input, never from the command line."""
    from oncobasket.core.access import parse_role
    from oncobasket.services.accounts import add_user

    if not password_stdin:
        raise typer.BadParameter("give --password-stdin and the password on standard input", param_hint="--password")
    password = sys.stdin.readline().rstrip("\r\n")
    result = _on_registry(
        database_url, user, add_user, username=username, role=parse_role(role), site=site, password=password
    )
    where = f" at {result['site']}" if result["site"] else ""
    _emit_registry(result, as_json, [f"created user {result['username']} ({result['role']}{where})"])


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (several need PostgreSQL).")] = 1,
    insecure_cookies: Annotated[
        bool, typer.Option("--insecure-cookies", help="Send session cookies over plain HTTP (local demo only).")
    ] = False,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
) -> None:
    """Serve the web pages at / and the API under /api/v1 (OpenAPI at /openapi.json)."""
    import uvicorn

    from oncobasket.core.errors import InputError

    if workers < 1:
        raise InputError("at least one worker", field="--workers", fix="give --workers 1 or more")
    if workers > 1 and not database_url.startswith("postgresql"):
        raise InputError(
            "several workers write one SQLite file in turn only", field="--workers", fix="use PostgreSQL or 1 worker"
        )
    # Every worker must sign and check with the same key: one from the environment, else one made now.
    os.environ.setdefault(SECRET_VARIABLE, secrets.token_urlsafe(48))
    os.environ["ONCOBASKET_DATABASE_URL"] = database_url
    os.environ["ONCOBASKET_SECURE_COOKIES"] = "0" if insecure_cookies else "1"
    uvicorn.run("oncobasket.api.server:app", host=host, port=port, workers=workers, factory=False, access_log=False)
