"""Use cases: create or migrate the trial database and load a protocol version (with its slot budgets)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.protocol import Protocol
from oncobasket.db import repository
from oncobasket.db.models import (
    ProtocolVersion,
    SlotBudget,
)
from oncobasket.db.session import Database
from oncobasket.io.protocol_file import default_protocol_path, parse_protocol
from oncobasket.services.registry import Registry, _tumour_types


def init_trial(registry: Registry, protocol_path: Path | None = None) -> dict[str, Any]:
    """Create or migrate the database, then load the protocol (default: the shipped one).

    The protocol's full text, version and SHA-256 checksum are stored; loading the same file again adds
    nothing. A file whose version is already stored with other content is refused: a changed protocol
    must carry a new version, because screenings and decisions name the protocol version they used and
    must be traceable to its text (ICH E6 good clinical practice keeps the protocol and each amendment as
    identified essential documents). Slot budgets (per drug or per company agreement) are created or
    resized from it; a budget can never shrink below the slots already used.
    """
    path = protocol_path if protocol_path is not None else default_protocol_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such protocol file", source=str(path), fix="check the path given to --protocol") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=str(path), fix="save the protocol as UTF-8 YAML") from None
    protocol = parse_protocol(text, source=str(path), tumour_types=_tumour_types())
    checksum = hashlib.sha256(raw).hexdigest()
    budgets = _slot_budgets(protocol)
    status = registry.database.upgrade()
    now = registry.now()
    with registry.database.transaction() as session:
        current = repository.current_protocol(session)
        loaded = current is None or current.sha256 != checksum
        if loaded:
            _check_new_version(session, protocol=protocol, sha256=checksum, file_name=path.name)
            row = repository.add_protocol_version(
                session,
                name=protocol.name,
                version=protocol.version,
                sha256=checksum,
                text=text,
                loaded_at=now,
                loaded_by=registry.actor,
            )
            registry.audit(
                session,
                at=now,
                action="protocol.load",
                entity="protocol",
                entity_id=row.id,
                study_id=None,
                before=_protocol_summary(current) if current is not None else None,
                after={"name": protocol.name, "version": protocol.version, "sha256": checksum, "file": path.name},
            )
        for name, (drugs, total) in budgets.items():
            _sync_slot_budget(registry, session, name=name, drugs=drugs, total=total, at=now)
        return {
            "database": _safe_url(registry.database),
            "schema_revision": status.current,
            "protocol": {"name": protocol.name, "version": protocol.version, "sha256": checksum},
            "protocol_loaded": loaded,
            "slot_budgets": [_budget_view(row) for row in repository.list_slot_budgets(session)],
        }


def _check_new_version(session: Session, *, protocol: Protocol, sha256: str, file_name: str) -> None:
    """Refuse a protocol whose version is already stored with other content (a change needs a new version)."""
    clash = next(
        (row for row in repository.protocol_versions(session, version=protocol.version) if row.sha256 != sha256),
        None,
    )
    if clash is None:
        return
    raise ConflictError(
        f"{file_name}: field 'version': protocol version '{protocol.version}' is already loaded with other "
        f"content (stored on {clash.loaded_at.date().isoformat()} with sha256 {clash.sha256[:12]}..., this file "
        f"has sha256 {sha256[:12]}...); a changed protocol must carry a new version so that every screening and "
        "decision can be traced to the text it used, and nothing was loaded or resized; give the file a new "
        f"`version:` (e.g. '{protocol.version}.1' or the amendment's number) and run `oncobasket trial init` "
        "again, or load the stored text unchanged"
    )


def _protocol_summary(row: ProtocolVersion) -> dict[str, Any]:
    return {"name": row.name, "version": row.version, "sha256": row.sha256}


def _safe_url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


def _slot_budgets(protocol: Protocol) -> dict[str, tuple[list[str], int]]:
    """Budget name -> (drug keys, slots), from each drug's own cap or its company agreement."""
    budgets: dict[str, tuple[list[str], int]] = {}
    for drug in protocol.drugs:
        budget = protocol.slot_budget(drug)
        if budget is None:
            continue
        name, total = budget
        drugs, _ = budgets.get(name, ([], total))
        budgets[name] = ([*drugs, drug.key], total)
    return budgets


def _sync_slot_budget(
    registry: Registry, session: Session, *, name: str, drugs: list[str], total: int, at: datetime
) -> None:
    existing = repository.get_slot_budget(session, name=name)
    if existing is None:
        row = repository.add_slot_budget(session, name=name, drugs=sorted(drugs), total=total)
        registry.audit(
            session,
            at=at,
            action="slot_budget.open",
            entity="slot_budget",
            entity_id=row.id,
            study_id=None,
            before=None,
            after=_budget_view(row),
        )
        return
    if existing.total == total and existing.drugs == sorted(drugs):
        return
    if total < existing.used:
        raise ConflictError(
            f"the protocol gives slot budget '{name}' {total} slots but {existing.used} are already used; "
            f"a budget cannot shrink below the slots used: give it at least {existing.used} slots in the protocol "
            "(and a new version)"
        )
    before = _budget_view(existing)
    existing.total = total
    existing.drugs = sorted(drugs)
    session.flush()
    registry.audit(
        session,
        at=at,
        action="slot_budget.resize",
        entity="slot_budget",
        entity_id=existing.id,
        study_id=None,
        before=before,
        after=_budget_view(existing),
    )


def _budget_view(row: SlotBudget) -> dict[str, Any]:
    return {
        "name": row.name,
        "drugs": list(row.drugs),
        "total": row.total,
        "used": row.used,
        "left": row.total - row.used,
    }
