"""Use cases: reading the append-only audit trail."""

from __future__ import annotations

from typing import Any

from oncobasket.core.registry import (
    check_study_id,
)
from oncobasket.db import repository
from oncobasket.db.models import (
    AuditEvent,
)
from oncobasket.services.registry import Registry


def audit_view(row: AuditEvent) -> dict[str, Any]:
    """One audit event."""
    return {
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "study_id": row.study_id,
        "before": row.before,
        "after": row.after,
    }


def audit_trail(registry: Registry, study_id: str | None = None) -> list[dict[str, Any]]:
    """The audit trail, oldest first; one patient's events with ``study_id``."""
    if study_id is not None:
        check_study_id(study_id, field_name="--patient")
    registry.database.check_schema()
    with registry.database.transaction(write=False) as session:
        if study_id is not None:
            repository.get_patient_or_raise(session, study_id=study_id)
        return [audit_view(row) for row in repository.audit_events(session, study_id=study_id)]
