"""Append one clinical entry (a cycle, an end of treatment, a follow-up, an adverse event) or its correction,
with its audit event: the one way every treatment use case writes.

Entries are never edited: a correction is a new row whose ``corrects_id`` names the row it supersedes (set by
the caller), and the audit event carries both, before and after (docs/registry.md, corrections).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from oncobasket.core.errors import InputError
from oncobasket.db import treatment_records
from oncobasket.db.models import AdverseEventRecord, FollowUp, PriorTreatment, TreatmentCycle, TreatmentEnd
from oncobasket.services.registry import Registry

_Entry = TypeVar("_Entry", TreatmentCycle, TreatmentEnd, FollowUp, AdverseEventRecord, PriorTreatment)


def append_entry(
    registry: Registry,
    session: Session,
    row: _Entry,
    *,
    view: Callable[[_Entry], dict[str, Any]],
    corrected: _Entry | None,
    action: str,
    entity: str,
    study_id: str,
    at: datetime,
) -> dict[str, Any]:
    """Insert ``row`` and audit it as ``action`` (``action.correct`` when it corrects ``corrected``); its view."""
    treatment_records.add(session, row)
    after = view(row)
    registry.audit(
        session,
        at=at,
        action=f"{action}.correct" if corrected is not None else action,
        entity=entity,
        entity_id=row.id,
        study_id=study_id,
        before=view(corrected) if corrected is not None else None,
        after=after,
    )
    return after


def entry_to_correct(
    rows_in_force: Sequence[_Entry], entry_id: int | None, *, study_id: str, what: str
) -> _Entry | None:
    """The entry in force that ``--correct ENTRY_ID`` names (None without a correction); an id that is not one of
    the patient's entries in force (another patient's, or one already superseded) is refused."""
    if entry_id is None:
        return None
    found = next((row for row in rows_in_force if row.id == entry_id), None)
    if found is None:
        raise InputError(
            f"patient '{study_id}' has no {what} {entry_id} in force",
            field="--correct",
            fix="name an entry id that `oncobasket patient show` lists",
        )
    return found
