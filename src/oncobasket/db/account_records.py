"""Data access for accounts and for the lists the web pages show (the repository's other half)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncobasket.db.models import Patient, UserAccount


def get_user(session: Session, *, username: str) -> UserAccount | None:
    """The account with this user name, or None."""
    return session.scalars(select(UserAccount).where(UserAccount.username == username)).one_or_none()


def add_user(
    session: Session, *, username: str, password_hash: str, role: str, site: str | None, created_at: datetime
) -> UserAccount:
    """Create an account."""
    row = UserAccount(username=username, password_hash=password_hash, role=role, site=site, created_at=created_at)
    session.add(row)
    session.flush()
    return row


def list_patients(session: Session, *, site: str | None = None) -> Sequence[Patient]:
    """Registered patients in study-ID order, of one site when ``site`` is given."""
    query = select(Patient).order_by(Patient.study_id)
    if site is not None:
        query = query.where(Patient.site == site)
    return session.scalars(query).all()
