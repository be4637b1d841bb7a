"""Queries that tell a simulated registry from a real one (``oncobasket simulate trial``, docs/simulation.md)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncobasket.db.models import AuditEvent, Patient


def has_audit_action(session: Session, *, action: str) -> bool:
    """Whether the audit trail holds at least one event of this action."""
    return session.scalar(select(AuditEvent.id).where(AuditEvent.action == action).limit(1)) is not None


def count_patients(session: Session, *, outside_prefix: str | None = None) -> int:
    """How many patients are registered (only those whose study ID does not start with ``outside_prefix``)."""
    query = select(func.count()).select_from(Patient)
    if outside_prefix is not None:
        query = query.where(~Patient.study_id.startswith(outside_prefix, autoescape=True))
    return int(session.scalar(query) or 0)
