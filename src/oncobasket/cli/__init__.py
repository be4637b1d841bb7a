"""The command line: one module per command group; each registers its commands on the root app.

Importing this package imports every group, in the order ``--help`` lists them. :func:`main` is the
entry point: it turns OncoBasket errors into one line on stderr and exit code 1 (usage errors exit 2).
"""

from __future__ import annotations

import sys

import typer

from oncobasket.cli import (  # noqa: F401 - importing registers the commands
    audit,
    cohorts,
    decisions,
    demo,
    endpoints,
    enrolment,
    export,
    matching,
    operations,
    outcomes,
    patients,
    planning,
    profiles,
    protocol,
    recist,
    screening,
    simon,
    treatment,
    trial,
    web,
)
from oncobasket.cli.app import app

__all__ = ["app", "main"]
from oncobasket.core.errors import OncoBasketError

#: The log line (docs/operations.md, "Logging"): UTC time, level, logger, message. Messages carry actions,
#: entity kinds and row ids, counts and revisions, never patient data (no study IDs, values or file contents).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def configure_logging(level: str | None = None) -> None:
    """Log to stderr through the standard library at ``level`` (``ONCOBASKET_LOG_LEVEL``, default WARNING)."""
    import logging
    import os
    import time

    chosen = (level or os.environ.get("ONCOBASKET_LOG_LEVEL") or "WARNING").strip().upper()
    if chosen not in LOG_LEVELS:
        chosen = "WARNING"
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter(LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger("oncobasket")
    root.handlers[:] = [handler]
    root.setLevel(chosen)


def main() -> None:
    """Entry point: run the app, turning OncoBasket errors into one line on stderr and exit code 1."""
    configure_logging()
    try:
        code = app(standalone_mode=False)
    except OncoBasketError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(1) from None
    except typer.Exit as stop:
        raise SystemExit(stop.exit_code) from None
    except typer.Abort:
        sys.stderr.write("aborted\n")
        raise SystemExit(1) from None
    except Exception as error:
        # Typer >= 0.20 raises its vendored copy of click's exceptions (typer._click), which are not
        # click's classes: match them by class name so usage errors still exit with code 2.
        names = {base.__name__ for base in type(error).__mro__}
        show = getattr(error, "show", None)
        if "UsageError" in names and callable(show):
            show()
            raise SystemExit(2) from None
        if "ClickException" in names and callable(show):
            show()
            raise SystemExit(1) from None
        raise
    # Without standalone mode, click returns the code of a `typer.Exit` raised by a command (`check` finding
    # a problem) instead of exiting with it.
    if isinstance(code, int) and code:
        raise SystemExit(code)


if __name__ == "__main__":
    main()
