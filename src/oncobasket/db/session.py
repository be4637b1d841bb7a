"""Engines, transactions and the schema version: how the registry reaches its database.

SQLite (a file, the default) and PostgreSQL (by URL) are both supported. Concurrency (docs/registry.md):
on SQLite every write transaction starts with ``BEGIN IMMEDIATE``, which takes the database's write
lock at once, so two coordinators can never read the same free place and both take it; on PostgreSQL
the repository locks the cohort and slot-budget rows with ``SELECT ... FOR UPDATE``. Version counters
on those rows and unique (cohort, place) pairs are the backstop.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from oncobasket.core.errors import ConflictError, InputError, OncoBasketError

DEFAULT_DATABASE_URL = "sqlite:///oncobasket.db"

# How long a SQLite writer waits for another writer's lock before giving up (seconds); enrolment
# transactions are short, so a coordinator waits rather than fails.
SQLITE_BUSY_TIMEOUT = 60.0

_WRITE = "oncobasket_write"


class SchemaError(OncoBasketError):
    """The database is missing, or its schema is older or newer than this OncoBasket."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration built in code (no alembic.ini), so it works from an installed package."""
    config = Config()
    config.set_main_option("script_location", str(files("oncobasket.db") / "migrations"))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    """The migrations shipped with this OncoBasket (read once: they do not change while it runs)."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this OncoBasket knows."""
    head = _scripts().get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise SchemaError("no database migrations are installed; reinstall OncoBasket")
    return head


def known_revisions() -> set[str]:
    """Every schema revision this OncoBasket knows."""
    return {script.revision for script in _scripts().walk_revisions()}


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands against this OncoBasket's migrations."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        """True when the database is at this OncoBasket's newest revision."""
        return self.current == self.head


class Database:
    """One database: its engine, its transactions and its schema revision.

    Built by the entry point (CLI, API, tests) from a URL and passed to the services; nothing here
    reads the environment.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise InputError(
                f"'{url}' is not a database URL",
                field="--database-url",
                fix="give e.g. sqlite:///oncobasket.db or postgresql+psycopg://user:password@host/name",
            ) from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise InputError(
                f"database '{self.dialect}' is not supported",
                field="--database-url",
                fix="use sqlite:///FILE or postgresql+psycopg://...",
            )
        connect_args: dict[str, Any] = {}
        if self.dialect == "sqlite":
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT
        try:
            self.engine: Engine = create_engine(url, echo=echo, connect_args=connect_args)
        except ModuleNotFoundError as missing:
            raise InputError(
                f"the database driver '{missing.name}' is not installed",
                field="--database-url",
                fix="install OncoBasket with the postgres extra: pip install 'oncobasket[postgres]'",
            ) from None
        if self.dialect == "sqlite":
            _use_explicit_sqlite_transactions(self.engine)

    def dispose(self) -> None:
        """Close pooled connections (call before forking worker processes, and at the end)."""
        self.engine.dispose()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit when the block ends, roll back on any error.

        Database errors that mean "someone else changed this at the same time" (a version counter
        or a unique place taken, a lock not obtained) become :class:`ConflictError`.
        """
        with self.engine.connect() as connection:
            connection.execution_options(**{_WRITE: write})
            session = Session(bind=connection, expire_on_commit=False, autoflush=False)
            try:
                with connection.begin():
                    yield session
                    session.flush()
            except StaleDataError:
                raise ConflictError(
                    "another user changed the same cohort or slot budget at the same time; nothing was saved: "
                    "run the command again, it will see the other change",
                ) from None
            except IntegrityError as error:
                raise ConflictError(
                    "the change conflicts with a record saved at the same time; nothing was saved "
                    f"({_first_line(error)}): run the command again, it will see the other record"
                ) from None
            except (DataError, OverflowError) as error:
                # The validation layer (core/validation.py) keeps values within the columns; should one slip
                # through, say so in one line without the row (PostgreSQL's message would print it).
                raise InputError(
                    f"the database refused a value ({_first_line(error)}); nothing was saved",
                    fix="check the values given against the limits in docs/validation.md",
                ) from None
            except OperationalError as error:
                if "locked" in str(error.orig) or "deadlock" in str(error.orig).lower():
                    raise ConflictError(
                        "the database is busy with another coordinator's change; nothing was saved, try again"
                    ) from None
                raise
            finally:
                session.close()

    def schema_status(self) -> SchemaStatus:
        """The database's current Alembic revision against this OncoBasket's head."""
        if self._missing_sqlite_file():
            # Connecting would create an empty file; a command that only checks must not.
            return SchemaStatus(current=None, head=head_revision())
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{_WRITE: False})
                current = MigrationContext.configure(connection).get_current_revision()
        except DBAPIError as error:
            raise SchemaError(f"cannot open the database: {_first_line(error)}") from None
        return SchemaStatus(current=current, head=head_revision())

    def _missing_sqlite_file(self) -> bool:
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
            return False
        return not Path(database).exists()

    def check_schema(self) -> None:
        """Refuse to work on a database that is missing, behind or ahead of this OncoBasket's schema."""
        status = self.schema_status()
        if status.up_to_date:
            return
        if status.current is None:
            raise SchemaError("the database holds no OncoBasket trial registry; run `oncobasket trial init` first")
        if status.current not in known_revisions():
            raise SchemaError(
                f"the database schema (revision {status.current}) is newer than this OncoBasket knows "
                f"(revision {status.head}); upgrade OncoBasket"
            )
        raise SchemaError(
            f"the database schema (revision {status.current}) is older than this OncoBasket's "
            f"(revision {status.head}); run `oncobasket trial init` to migrate it"
        )

    def upgrade(self) -> SchemaStatus:
        """Create the tables or migrate them to this OncoBasket's newest revision.

        A new SQLite file is created 0600 in folders created 0700, whatever the umask: SQLite itself would
        create it with the umask's mode (often 0644, every local user could read the registry), and its
        journal and WAL files take the main file's mode (sqlite.org, "Files used by SQLite").
        """
        before = self.schema_status()
        if self._missing_sqlite_file():
            create_private_file(Path(str(self.engine.url.database)))
        if before.current is not None and before.current not in known_revisions():
            self.check_schema()
        with self.engine.connect() as connection:
            command.upgrade(alembic_config(connection), "head")
            connection.commit()
        return self.schema_status()

    def table_names(self) -> list[str]:
        """The tables the database holds (for checks and tests)."""
        return sorted(inspect(self.engine).get_table_names())


def _use_explicit_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions, and take the write lock at once.

    The sqlite3 module defers BEGIN until the first write, so two writers could both read a free place
    before either writes (the documented SQLAlchemy recipe for pysqlite, "Serializable isolation").
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE, True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_private_file(path: Path) -> None:
    """Create ``path`` empty, mode 0600, with any missing folders 0700 (each one: ``mkdir(parents=True)``
    gives parents the umask's mode). The same rule as ``io/files.py``, which db may not import."""
    missing: list[Path] = []
    current = path.parent
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    try:
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as error:
        raise InputError(
            f"cannot create the database file ({error.strerror})",
            source=str(path),
            field="--database-url",
            fix="check the path and its permissions",
        ) from None
    os.close(descriptor)


def _first_line(error: Exception) -> str:
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
