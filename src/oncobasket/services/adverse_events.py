"""Use cases: adverse events (CTCAE v5.0 term and grade, seriousness, relation to each study drug, outcome).

The rules are ``core.adverse_events.record_adverse_event``'s (an unknown term is refused with the nearest
valid terms, a grade the term does not define is refused, grade 5 is fatal and serious, ...). Here the
registry adds what it knows: the patient is on trial treatment, the event starts on or after informed
consent and not after today or a recorded death, and the relations name exactly the cohort's study drugs.
A correction is a new row naming the event it supersedes, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from oncobasket.core.adverse_events import AdverseEventTerms, DrugRelation, record_adverse_event
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.registry import check_study_id
from oncobasket.core.treatment_entries import check_correction_reason, check_free_text, check_not_future
from oncobasket.db import repository, treatment_records
from oncobasket.db.models import AdverseEventRecord
from oncobasket.io.ctcae import load_shipped_ctcae
from oncobasket.services.entries import append_entry, entry_to_correct
from oncobasket.services.registry import Registry
from oncobasket.services.treatment_views import adverse_event_view


@cache
def _ctcae() -> AdverseEventTerms:
    """The CTCAE v5.0 vocabulary OncoBasket ships, read once (package data)."""
    return load_shipped_ctcae()


def add_adverse_event(
    registry: Registry,
    study_id: str,
    *,
    term: str,
    grade: str,
    serious: bool,
    relations: Mapping[str, DrugRelation | str],
    start_date: date,
    outcome: str,
    end_date: date | None = None,
    specification: str | None = None,
    corrects: int | None = None,
    correction_reason: str | None = None,
) -> dict[str, Any]:
    """Record an adverse event of a treated patient (``oncobasket ae add``), or correct one (``--correct ID``)."""
    check_study_id(study_id)
    registry.database.check_schema()
    now = registry.now()
    check_not_future(start_date, today=now.date(), field="--start")
    if end_date is not None:
        check_not_future(end_date, today=now.date(), field="--end")
    reason = check_correction_reason(correction_reason)
    if (corrects is None) != (reason is None):
        raise InputError(
            "a correction names the event it corrects and why",
            field="--correct",
            fix="give --correct EVENT_ID --reason TEXT together, or neither",
        )
    detail = check_free_text(specification, field="--specify")
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id, lock=True)
        treatment = treatment_records.treatment_of(session, patient_id=patient.id)
        if treatment is None:
            raise ConflictError(
                f"patient '{study_id}' has no trial treatment recorded; adverse events are recorded from the "
                f"first dose: run `oncobasket treatment start {study_id} --date DATE` first"
            )
        consent = repository.latest_consent(session, patient_id=patient.id)
        if consent is not None and start_date < consent.consent_date:
            raise InputError(
                f"the adverse event starts {start_date.isoformat()}, before informed consent "
                f"({consent.consent_date.isoformat()})",
                field="--start",
                fix="events before consent are medical history, not adverse events of the trial",
            )
        for contact in treatment_records.follow_ups_in_force(session, patient_id=patient.id):
            if contact.death_date is not None and start_date > contact.death_date:
                raise InputError(
                    f"the adverse event starts after the recorded death ({contact.death_date.isoformat()})",
                    field="--start",
                    fix="check the date",
                )
        event = record_adverse_event(
            _ctcae(),
            term=term,
            grade=grade,
            serious=serious,
            relations=relations,
            start=start_date,
            outcome=outcome,
            end=end_date,
            specification=detail,
            # The drug key is the generic names joined by '+' (core.protocol.drug_key).
            study_drugs=treatment.drug.split("+"),
        )
        corrected = entry_to_correct(
            treatment_records.adverse_events_in_force(session, patient_id=patient.id),
            corrects,
            study_id=study_id,
            what="adverse event",
        )
        row = AdverseEventRecord(
            patient_id=patient.id,
            term=event.term,
            meddra_code=event.meddra_code,
            specification=event.specification,
            grade=event.grade,
            serious=event.serious,
            relations={item.drug: str(item.relation) for item in event.relations},
            start_date=event.start,
            end_date=event.end,
            outcome=str(event.outcome),
            recorded_at=now,
            corrects_id=corrected.id if corrected is not None else None,
            correction_reason=reason,
        )
        after = append_entry(
            registry,
            session,
            row,
            view=adverse_event_view,
            corrected=corrected,
            action="adverse_event.add",
            entity="adverse_event",
            study_id=study_id,
            at=now,
        )
        return {"study_id": study_id, **after, "soc": event.soc, "corrected": corrected is not None}
