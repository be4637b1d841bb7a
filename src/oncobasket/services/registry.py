"""The registry handle every use case runs on: settings, the database session, the clock, and the helpers they share.

The entry point (CLI, API, a test) builds :class:`Settings` and opens a :class:`Registry` from them: the
database, the acting user and the clock. Nothing here reads the environment or the clock on its own.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from oncobasket.core.matching import (
    PatientFacts,
)
from oncobasket.core.protocol import Protocol
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.core.validation import check_user
from oncobasket.db import repository
from oncobasket.db.models import (
    Patient,
    ProtocolVersion,
)
from oncobasket.db.session import DEFAULT_DATABASE_URL, Database
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import parse_protocol

logger = logging.getLogger(__name__)


@cache
def _tumour_types() -> TumourTypes:
    """The OncoTree subset OncoBasket ships, read once (package data: it does not change while it runs)."""
    return load_shipped_tumour_types()


@lru_cache(maxsize=4)
def _parsed_protocol(text: str, version: str) -> Protocol:
    """A stored protocol's text parsed once per process (the text is immutable once stored)."""
    return parse_protocol(text, source=f"stored protocol {version}", tumour_types=_tumour_types())


def utc_now() -> datetime:
    """The wall clock in UTC: the clock entry points pass in (tests pass a fixed one)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Settings:
    """What the entry point decided: which database, who acts, which clock."""

    database_url: str = DEFAULT_DATABASE_URL
    user: str = "unknown"
    clock: Callable[[], datetime] = field(default=utc_now)


@dataclass(frozen=True, slots=True)
class Registry:
    """An open trial registry: the database plus the acting user and the clock (the unit of work's
    context). Each service function opens exactly one transaction on it."""

    database: Database
    actor: str
    clock: Callable[[], datetime]

    @classmethod
    def open(cls, settings: Settings) -> Registry:
        """Connect to the settings' database (nothing is created or migrated here)."""
        check_user(settings.user)
        return cls(database=Database(settings.database_url), actor=settings.user, clock=settings.clock)

    def close(self) -> None:
        """Release the database connections."""
        self.database.dispose()

    def now(self) -> datetime:
        """The clock's time, which must carry a zone (stored in UTC)."""
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the service clock must return an aware datetime")
        return moment.astimezone(UTC)

    def audit(
        self,
        session: Session,
        *,
        at: datetime,
        action: str,
        entity: str,
        entity_id: int | None,
        study_id: str | None,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """Append one event (who, what, when, before and after) to the trail; log the action, not the values."""
        logger.info("%s: %s %s by %s", action, entity, entity_id, self.actor)
        repository.add_audit_event(
            session,
            at=at,
            actor=self.actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            study_id=study_id,
            before=_jsonable(before),
            after=_jsonable(after),
        )


def _jsonable(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: _json_value(value) for key, value in values.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def sha256_of(path: Path) -> str:
    """The SHA-256 checksum of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cohort_name(session: Session, cohort_id: int) -> str:
    return repository.get_cohort_or_raise(session, name_or_id=cohort_id).name


def _stored_protocol(session: Session) -> tuple[ProtocolVersion, Protocol]:
    """The protocol in force, parsed from the text stored by ``trial init``."""
    row = repository.current_protocol_or_raise(session)
    return row, _parsed_protocol(row.text, row.version)


def patient_facts(row: Patient, *, on: date) -> PatientFacts:
    """What the matcher may know about a registered patient on a given day.

    Only the birth year is stored (privacy), so the age is the least the patient can be on that day
    (year difference minus one): an age criterion is never passed on a guess. Prior therapies not
    registered stay unknown ("to be confirmed").
    """
    return PatientFacts(
        tumour_type=row.oncotree_code,
        icd10=row.icd10,
        age=float(max(0, on.year - row.birth_year - 1)),
        ecog=row.ecog,
        labs=MappingProxyType(dict(row.labs)),
        prior_therapies=tuple(row.prior_therapies) if row.prior_therapies is not None else None,
        sex=row.sex,
    )
