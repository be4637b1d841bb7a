"""Keeping a registry safe: online backups, restores and a check of an existing database.

These operations work on the database as a whole (every table, the file itself), so their SQL lives here
rather than in the repository, which issues the SQL of the use cases.

- **Backup**, SQLite: the online backup API (sqlite.org, "Online Backup API"; Python's
  ``sqlite3.Connection.backup``) copies a consistent snapshot while others keep working. PostgreSQL:
  ``pg_dump --format=custom`` when it is installed (PostgreSQL documentation, "SQL Dump").
- **Restore** refuses to replace a database that holds a registry unless told to (``force``), and checks
  the backup (integrity, schema revision) before anything is replaced.
- **Check**: the schema revision, the storage's integrity (SQLite ``PRAGMA integrity_check`` and
  ``foreign_key_check``) and the audit trail's completeness: every row of an audited table has its
  event (ICH E6(R3) 2.12 and 21 CFR 11.10(e): a computer-generated audit trail of every record).

Backups hold patient data: they are created 0600 (see ``io/files.py``).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.engine import make_url

from oncobasket.core.errors import ConflictError, InputError
from oncobasket.db.models import Base
from oncobasket.db.session import Database, create_private_file, head_revision, known_revisions

__all__ = ["AUDITED_TABLES", "CheckReport", "backup", "check", "restore", "table_rows"]

logger = logging.getLogger(__name__)

#: Each audited table and the ``entity`` its events carry (services write one event per row they add).
AUDITED_TABLES: Mapping[str, str] = {
    "protocol_versions": "protocol",
    "patients": "patient",
    "screenings": "screening",
    "slot_budgets": "slot_budget",
    "cohorts": "cohort",
    "mtb_decisions": "mtb_decision",
    "consents": "consent",
    "enrolments": "enrolment",
    "pooled_counts": "pooled_count",
    "not_treated": "not_treated",
    "treatments": "treatment",
    "treatment_cycles": "treatment_cycle",
    "treatment_ends": "treatment_end",
    "follow_ups": "follow_up",
    "prior_treatments": "prior_treatment",
    "adverse_events": "adverse_event",
    "tumour_assessments": "tumour_assessment",
}

#: Rows written in the same event as their parent row: the first cycle of a treatment is recorded by the
#: ``treatment.start`` event (its date and doses are the event's values), not by an event of its own.
_RECORDED_WITH_PARENT: Mapping[str, tuple[str, str, str, int]] = {
    "treatment_cycles": ("treatment_id", "treatment", "cycle_number", 1),
}

_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What ``oncobasket check`` found. ``problems`` is empty for a sound registry."""

    revision: str | None
    head: str
    integrity: str
    rows: Mapping[str, int]
    missing_events: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "schema": {"revision": self.revision, "head": self.head, "up_to_date": self.revision == self.head},
            "integrity": self.integrity,
            "rows": dict(self.rows),
            "missing_audit_events": {table: list(ids) for table, ids in self.missing_events.items()},
            "problems": list(self.problems),
        }


def _sqlite_path(database: Database) -> Path | None:
    name = database.engine.url.database
    if database.dialect != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def check(database: Database) -> CheckReport:
    """Check an existing registry: schema revision, integrity, and an audit event for every audited row."""
    status = database.schema_status()
    problems: list[str] = []
    if status.current is None:
        return CheckReport(
            revision=None,
            head=status.head,
            integrity="not checked",
            rows={},
            problems=("the database holds no OncoBasket trial registry (run `oncobasket trial init`)",),
        )
    if status.current != status.head:
        known = "newer than this OncoBasket" if status.current not in known_revisions() else "not migrated"
        problems.append(f"schema revision {status.current} is {known} (this OncoBasket: {status.head})")
    integrity = _integrity(database, problems)
    rows: dict[str, int] = {}
    missing: dict[str, tuple[int, ...]] = {}
    with database.engine.connect() as connection:
        audited = {
            (row.entity, row.entity_id)
            for row in connection.execute(text("SELECT DISTINCT entity, entity_id FROM audit_events"))
        }
        for table in Base.metadata.sorted_tables:
            count = connection.execute(select(text("count(*)")).select_from(table)).scalar_one()
            rows[table.name] = int(count)
            entity = AUDITED_TABLES.get(table.name)
            if entity is None:
                continue
            ids = [row[0] for row in connection.execute(select(table.c.id).order_by(table.c.id))]
            absent = tuple(identifier for identifier in ids if (entity, identifier) not in audited)
            if absent and table.name in _RECORDED_WITH_PARENT:
                absent = _without_parent_events(connection, table, absent, audited)
            if absent:
                missing[table.name] = absent
                problems.append(f"{len(absent)} row(s) of {table.name} have no audit event (ids {_ids(absent)})")
    logger.info("check: revision=%s integrity=%s problems=%d", status.current, integrity, len(problems))
    return CheckReport(
        revision=status.current,
        head=status.head,
        integrity=integrity,
        rows=rows,
        missing_events=missing,
        problems=tuple(problems),
    )


def _without_parent_events(
    connection: Any, table: Any, absent: tuple[int, ...], audited: set[tuple[str, int]]
) -> tuple[int, ...]:
    """Drop from ``absent`` the rows whose parent's event records them (:data:`_RECORDED_WITH_PARENT`)."""
    parent_column, parent_entity, marker_column, marker = _RECORDED_WITH_PARENT[table.name]
    rows = connection.execute(select(table.c.id, table.c[parent_column], table.c[marker_column]))
    covered = {identifier for identifier, parent, mark in rows if mark == marker and (parent_entity, parent) in audited}
    return tuple(identifier for identifier in absent if identifier not in covered)


def _ids(ids: tuple[int, ...]) -> str:
    shown = ", ".join(str(identifier) for identifier in ids[:10])
    return shown + (", ..." if len(ids) > 10 else "")


def _integrity(database: Database, problems: list[str]) -> str:
    if database.dialect != "sqlite":
        # PostgreSQL checks its pages and enforces foreign keys itself; amcheck needs superuser rights.
        return "enforced by PostgreSQL"
    with database.engine.connect() as connection:
        result = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
        foreign = list(connection.execute(text("PRAGMA foreign_key_check")))
    if result != ["ok"]:
        problems.append(f"SQLite integrity check failed: {'; '.join(str(item) for item in result[:5])}")
    if foreign:
        problems.append(f"{len(foreign)} row(s) point to records that do not exist (foreign keys)")
    return "ok" if result == ["ok"] and not foreign else "failed"


# ---------------------------------------------------------------------------------------------
# Backup and restore
# ---------------------------------------------------------------------------------------------


def _private_new_file(path: Path, *, force: bool, what: str) -> None:
    """Create ``path`` empty, 0600; an existing file is replaced only with ``force``."""
    if path.exists() and not force:
        raise ConflictError(f"{path} exists; nothing was written: give a new file name for the {what}, or --force")
    if path.is_dir():
        raise InputError("is a folder", source=str(path), field="--out", fix=f"give a file name for the {what}")
    temporary = path.with_name(f".{path.name}.partial")
    temporary.unlink(missing_ok=True)
    create_private_file(temporary)


def backup(database: Database, out: Path, *, force: bool = False) -> dict[str, Any]:
    """Write a consistent copy of the registry to ``out`` (created 0600; refused if it exists, unless ``force``)."""
    database.check_schema()
    _private_new_file(out, force=force, what="backup")
    temporary = out.with_name(f".{out.name}.partial")
    try:
        source = _sqlite_path(database)
        if source is not None:
            with sqlite3.connect(source) as origin, sqlite3.connect(temporary) as copy:
                origin.backup(copy)
            method = "sqlite online backup"
        elif database.dialect == "postgresql":
            _pg_dump(database, temporary)
            method = "pg_dump custom format"
        else:
            raise InputError(
                "only a SQLite file or a PostgreSQL database can be backed up",
                field="--database-url",
                fix="give the registry's database URL",
            )
        temporary.replace(out)
    finally:
        temporary.unlink(missing_ok=True)
    logger.info("backup written: method=%s bytes=%d", method, out.stat().st_size)
    return {"out": str(out), "method": method, "bytes": out.stat().st_size, "revision": head_revision()}


def _libpq_url(database: Database) -> str:
    url = make_url(database.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InputError(
            f"{name} is not installed; PostgreSQL registries are backed up and restored with it",
            field="--database-url",
            fix="install the PostgreSQL client tools (Debian: apt-get install postgresql-client)",
        )
    return found


def _run(arguments: list[str], what: str) -> None:
    done = subprocess.run(arguments, capture_output=True, text=True, check=False)  # noqa: S603 - fixed tool, no shell
    if done.returncode != 0:
        # The tool's first line says why (never the data); the connection string is not repeated.
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise ConflictError(f"{what} failed: {first}")


def _schemas(database: Database) -> list[str]:
    """``--schema`` options for the schema a URL's ``options=-csearch_path=...`` names: the registry is
    then that schema alone, and a dump or restore must not touch the database's other schemas."""
    options = make_url(database.url).query.get("options", "")
    text_options = " ".join(options) if isinstance(options, tuple) else options
    for part in text_options.split():
        if part.startswith("-csearch_path="):
            first = part.removeprefix("-csearch_path=").split(",")[0].strip().strip('"')
            if first:
                return [f"--schema={first}"]
    return []


def _pg_dump(database: Database, out: Path) -> None:
    _run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", *_schemas(database), f"--file={out}",
         _libpq_url(database)],
        "pg_dump",
    )  # fmt: skip


def restore(database: Database, backup_file: Path, *, force: bool = False) -> dict[str, Any]:
    """Replace the registry by a backup. A database that already holds a registry is replaced only with
    ``force``; the backup is checked (integrity, schema revision) before anything is touched."""
    if not backup_file.is_file():
        raise InputError("no such backup file", source=str(backup_file), fix="give a file `oncobasket backup` wrote")
    current = database.schema_status().current
    if current is not None and not force:
        raise ConflictError(
            "the database already holds a registry; nothing was restored: give an empty database, or --force "
            "to replace it (make a backup of it first)"
        )
    target = _sqlite_path(database)
    database.dispose()
    if target is not None:
        _restore_sqlite(backup_file, target)
    elif database.dialect == "postgresql":
        _run(
            [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
             *_schemas(database), f"--dbname={_libpq_url(database)}", str(backup_file)],
            "pg_restore",
        )  # fmt: skip
    else:
        raise InputError("only a SQLite file or a PostgreSQL database can be restored", field="--database-url")
    database.dispose()
    report = check(database)
    logger.info("restore done: revision=%s ok=%s", report.revision, report.ok)
    return {"restored_from": str(backup_file), **report.as_dict()}


def _restore_sqlite(backup_file: Path, target: Path) -> None:
    with backup_file.open("rb") as handle:
        if handle.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            raise InputError(
                "is not a SQLite backup", source=str(backup_file), fix="give a file `oncobasket backup` wrote"
            )
    with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as origin:
        verdict = origin.execute("PRAGMA integrity_check").fetchone()
        revision = origin.execute("SELECT version_num FROM alembic_version").fetchone()
    if verdict is None or verdict[0] != "ok":
        raise InputError("the backup fails SQLite's integrity check", source=str(backup_file), fix="use another backup")
    if revision is None or revision[0] not in known_revisions():
        raise InputError(
            "the backup holds no registry this OncoBasket knows", source=str(backup_file), fix="use another backup"
        )
    create_private_file(target)
    # The backup API writes into the target through SQLite's own locking and journal, so a reader never
    # sees half a restore, and the old database's journal cannot be replayed over the new one.
    with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)


def table_rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order (to compare a restored registry with its source)."""
    metadata = MetaData()
    metadata.reflect(database.engine)
    found: dict[str, list[tuple[Any, ...]]] = {}
    with database.engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            assert isinstance(table, Table)
            order = list(table.primary_key.columns) or list(table.columns)
            found[name] = [tuple(row) for row in connection.execute(select(table).order_by(*order))]
    return found
