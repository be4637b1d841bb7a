"""Use cases on patients, consent, reasons for not treating and the audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from oncobasket.core.errors import ConflictError, InputError, NotFoundError
from oncobasket.core.registry import NotTreatedReason, PatientForm
from oncobasket.db import repository
from oncobasket.db.session import SchemaError
from oncobasket.services import (
    Registry,
    Settings,
    add_patient,
    audit_trail,
    patient_form,
    record_consent,
    record_not_treated,
    show_patient,
)
from registry_database import database_url  # noqa: F401 - a fixture

NOW = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def registry(database_url: str) -> Iterator[Registry]:  # noqa: F811 - the imported fixture
    opened = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    opened.database.upgrade()
    yield opened
    opened.close()


def _form(study_id: str = "IMP-0001", **changes: Any) -> PatientForm:
    values: dict[str, Any] = {
        "study_id": study_id,
        "site": "OUS",
        "sex": "f",
        "birth_year": 1961,
        "oncotree_code": "paad",
        "icd10": "c25.0",
        "ecog": 1,
        "labs": ["anc=1.8", "platelets=210"],
        "prior_lines": 2,
    }
    values.update(changes)
    return patient_form(**values)


def test_a_patient_is_registered_with_the_oncotree_version_and_audited(registry: Registry) -> None:
    stored = add_patient(registry, _form())
    assert stored["study_id"] == "IMP-0001"
    assert stored["oncotree_code"] == "PAAD"
    assert stored["icd10"] == "C25.0"
    assert stored["oncotree_version"]
    assert stored["labs"] == {"anc": 1.8, "platelets": 210.0}
    assert stored["prior_therapies"] is None
    (event,) = audit_trail(registry, "IMP-0001")
    assert event["actor"] == "coordinator-1"
    assert event["action"] == "patient.add"
    assert event["before"] is None
    assert event["after"]["site"] == "OUS"
    assert event["at"] == NOW.isoformat()


@pytest.mark.parametrize(
    ("given", "stored"),
    [(None, None), (["none"], []), (["Olaparib", " carboplatin ", "olaparib"], ["olaparib", "carboplatin"])],
)
def test_prior_therapies_are_unknown_none_or_named(
    registry: Registry, given: list[str] | None, stored: list[str] | None
) -> None:
    assert add_patient(registry, _form(prior_therapies=given))["prior_therapies"] == stored


def test_a_duplicate_study_id_is_refused_and_nothing_is_written(registry: Registry) -> None:
    add_patient(registry, _form())
    with pytest.raises(ConflictError, match="study ID 'IMP-0001' is already registered"):
        add_patient(registry, _form(site="HUS"))
    assert show_patient(registry, "IMP-0001")["site"] == "OUS"
    assert len(audit_trail(registry)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"labs": ["anc:1.5"]}, "field '--lab': 'anc:1.5' is not a laboratory value; write it as name=value"),
        ({"labs": ["anc=high"]}, "'high' in 'anc=high' is not a number"),
        ({"labs": ["anc=1", "ANC=2"]}, "'anc' is given twice"),
        ({"sex": "female"}, "field '--sex': 'female' is not a sex code"),
        ({"ecog": 6}, "ECOG 6 is outside 0-5"),
        ({"oncotree_code": "NOTATYPE"}, "'NOTATYPE' is not an OncoTree code"),
        ({"icd10": "pancreas"}, "'PANCREAS' is not an ICD-10 code"),
        ({"study_id": "Ola Nordmann"}, "field 'STUDY_ID': is not a pseudonymous study ID"),
        ({"prior_lines": -1}, "prior lines is negative"),
        ({"birth_year": 1850}, "birth year 1850 is before 1900"),
        ({"prior_therapies": ["none", "olaparib"]}, "'none' cannot be given with other prior therapies"),
    ],
)
def test_malformed_patient_forms_are_refused_with_the_field_and_the_fix(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        _form(**changes)


def test_a_birth_year_in_the_future_is_refused(registry: Registry) -> None:
    with pytest.raises(InputError, match="birth year 2030 is in the future"):
        add_patient(registry, _form(birth_year=2030))
    assert audit_trail(registry) == []


def test_a_consent_correction_appends_and_keeps_the_first_record(registry: Registry) -> None:
    add_patient(registry, _form())
    record_consent(registry, "IMP-0001", date(2024, 4, 1))
    record_consent(registry, "IMP-0001", date(2024, 4, 3))
    assert show_patient(registry, "IMP-0001")["consent_date"] == "2024-04-03"
    events = [event for event in audit_trail(registry, "IMP-0001") if event["action"] == "consent.record"]
    assert [event["before"] for event in events] == [None, {"consent_date": "2024-04-01"}]
    assert [event["after"] for event in events] == [{"consent_date": "2024-04-01"}, {"consent_date": "2024-04-03"}]
    with registry.database.transaction(write=False) as session:
        patient = repository.get_patient_or_raise(session, study_id="IMP-0001")
        assert repository.latest_consent(session, patient_id=patient.id) is not None


def test_consent_for_an_unknown_patient_or_in_the_future_is_refused(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match="no patient with study ID 'IMP-0404'"):
        record_consent(registry, "IMP-0404", date(2024, 4, 1))
    add_patient(registry, _form())
    with pytest.raises(InputError, match="consent date 2024-06-01 is in the future"):
        record_consent(registry, "IMP-0001", date(2024, 6, 1))
    assert show_patient(registry, "IMP-0001")["consent_date"] is None


def test_reasons_for_not_treating(registry: Registry) -> None:
    add_patient(registry, _form())
    with pytest.raises(InputError, match="reason 'ineligible' needs the criterion"):
        record_not_treated(registry, "IMP-0001", NotTreatedReason.INELIGIBLE)
    with pytest.raises(InputError, match="--criterion is only for reason 'ineligible'"):
        record_not_treated(registry, "IMP-0001", NotTreatedReason.DIED, criterion="ecog")
    record_not_treated(registry, "IMP-0001", NotTreatedReason.INELIGIBLE, criterion="ecog <= 2")
    record_not_treated(registry, "IMP-0001", NotTreatedReason.PALLIATIVE_CARE_ONLY, note="family decision")
    shown = show_patient(registry, "IMP-0001")["not_treated"]
    assert [item["reason"] for item in shown] == ["ineligible", "palliative_care_only"]
    assert shown[0]["criterion"] == "ecog <= 2"


def test_the_audit_of_an_unknown_patient_is_an_error(registry: Registry) -> None:
    with pytest.raises(NotFoundError):
        audit_trail(registry, "IMP-9999")


def test_services_refuse_a_database_that_was_never_initialised(database_url: str) -> None:  # noqa: F811
    fresh = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    try:
        with pytest.raises(SchemaError, match="run `oncobasket trial init` first"):
            add_patient(fresh, _form())
    finally:
        fresh.close()


def test_the_clock_must_carry_a_time_zone(database_url: str) -> None:  # noqa: F811
    naive = Registry.open(Settings(database_url=database_url, user="x", clock=lambda: datetime(2024, 1, 1)))
    try:
        with pytest.raises(ValueError, match="aware"):
            naive.now()
    finally:
        naive.close()
