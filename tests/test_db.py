"""The registry database on SQLite and PostgreSQL: migrations, schema version checks, the append-only
audit trail and the repository's keyword-only access."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from oncobasket.core.cohorts import new_cohort
from oncobasket.core.errors import ConflictError, NotFoundError
from oncobasket.db import repository
from oncobasket.db.models import Base
from oncobasket.db.session import Database, SchemaError, head_revision
from registry_database import database_url  # noqa: F401 - a fixture

MOMENT = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:  # noqa: F811 - the imported fixture
    db = Database(database_url)
    yield db
    db.dispose()


def test_the_first_migration_creates_exactly_the_models_tables(database: Database) -> None:
    status = database.upgrade()
    assert status.current == head_revision() == status.head
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert "audit_events" in database.table_names()


def test_two_study_ids_differing_only_in_letter_case_cannot_both_be_stored(database: Database) -> None:
    """Migration 0004's unique index on lower(study_id) is the backstop of case-insensitive lookups, also where
    the expression index cannot be compared by reflection (SQLite)."""
    database.upgrade()
    insert = text(
        "INSERT INTO patients (study_id, site, sex, birth_year, oncotree_code, oncotree_version, labs, registered_at)"
        " VALUES (:study_id, 'OUS', 'F', 1960, 'PAAD', 'oncotree_2025_10_03', '{}', CURRENT_TIMESTAMP)"
    )
    with database.engine.begin() as connection:
        connection.execute(insert, {"study_id": "OB-0001"})
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(insert, {"study_id": "ob-0001"})


def test_upgrading_twice_changes_nothing(database: Database) -> None:
    database.upgrade()
    tables = database.table_names()
    assert database.upgrade().up_to_date
    assert database.table_names() == tables


def test_a_database_without_the_registry_is_refused_with_the_fix(database: Database) -> None:
    with pytest.raises(SchemaError, match="run `oncobasket trial init` first"):
        database.check_schema()


def test_a_database_from_a_newer_oncobasket_is_refused(database: Database) -> None:
    database.upgrade()
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match=r"newer than this OncoBasket knows .*; upgrade OncoBasket"):
        database.check_schema()
    with pytest.raises(SchemaError, match="upgrade OncoBasket"):
        database.upgrade()


def test_timestamps_come_back_in_utc(database: Database) -> None:
    database.upgrade()
    with database.transaction() as session:
        repository.add_audit_event(
            session,
            at=MOMENT,
            actor="coordinator",
            action="test",
            entity="none",
            entity_id=None,
            study_id=None,
            before=None,
            after={"x": 1},
        )
    with database.transaction(write=False) as session:
        (event,) = repository.audit_events(session)
    assert event.at == MOMENT
    assert event.at.tzinfo is not None


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_audit_events(database: Database, statement: str) -> None:
    database.upgrade()
    with database.transaction() as session:
        repository.add_audit_event(
            session,
            at=MOMENT,
            actor="coordinator",
            action="patient.add",
            entity="patient",
            entity_id=1,
            study_id="IMP-0001",
            before=None,
            after={"site": "OUS"},
        )
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as connection:
        connection.execute(text(statement))
    with database.transaction(write=False) as session:
        (event,) = repository.audit_events(session)
    assert event.actor == "coordinator"


def test_the_repository_has_no_way_to_delete() -> None:
    names = [name for name in dir(repository) if not name.startswith("_")]
    assert not [name for name in names if any(word in name for word in ("delete", "remove", "purge", "drop"))]


def test_every_repository_function_takes_its_values_by_keyword() -> None:
    functions = [
        value
        for name, value in vars(repository).items()
        if inspect.isfunction(value) and value.__module__ == repository.__name__ and not name.startswith("_")
    ]
    assert len(functions) > 20
    for function in functions:
        parameters = list(inspect.signature(function).parameters.values())
        positional = [item.name for item in parameters if item.kind is not inspect.Parameter.KEYWORD_ONLY]
        assert len(positional) <= 1, f"{function.__name__} takes {positional} by position"


def test_repository_functions_take_keyword_arguments_only(database: Database) -> None:
    database.upgrade()
    with database.transaction(write=False) as session:
        with pytest.raises(TypeError):
            repository.get_patient(session, "IMP-0001")  # type: ignore[misc]
        with pytest.raises(NotFoundError, match="no patient with study ID 'IMP-0001'"):
            repository.get_patient_or_raise(session, study_id="IMP-0001")
        with pytest.raises(NotFoundError, match="oncobasket cohort list"):
            repository.get_cohort_or_raise(session, name_or_id="7")


def test_a_failed_transaction_leaves_nothing_behind(database: Database) -> None:
    database.upgrade()
    values = {
        "study_id": "IMP-0001",
        "site": "OUS",
        "sex": "F",
        "birth_year": 1960,
        "oncotree_code": "PAAD",
        "oncotree_version": "oncotree_2021_11_02",
        "icd10": None,
        "ecog": 1,
        "labs": {},
        "prior_lines": 2,
    }

    def register_then_fail(session: Session) -> None:
        repository.add_patient(session, values=values, registered_at=MOMENT)
        raise RuntimeError("crash after the insert")

    with pytest.raises(RuntimeError), database.transaction() as session:
        register_then_fail(session)
    with database.transaction(write=False) as session:
        assert repository.list_patients(session) == []


def _cohort_with_patients(database: Database, count: int) -> tuple[int, list[int], int]:
    """A cohort, ``count`` patients and one decision; returns (cohort ID, patient IDs, decision ID)."""
    database.upgrade()
    with database.transaction() as session:
        cohort = repository.add_cohort(
            session,
            name="BRAF V600 mutation / Pancreatic / Dabrafenib+Trametinib",
            tumour_group="Pancreatic",
            biomarker="BRAF V600 mutation",
            drug="dabrafenib+trametinib",
            state=new_cohort(),
            slot_budget_id=None,
            opened_at=MOMENT,
        )
        patients = []
        for number in range(count):
            values = {
                "study_id": f"IMP-{number:04d}",
                "site": "OUS",
                "sex": "F",
                "birth_year": 1960,
                "oncotree_code": "PAAD",
                "oncotree_version": "test",
                "icd10": None,
                "ecog": 1,
                "labs": {},
                "prior_lines": None,
            }
            patients.append(repository.add_patient(session, values=values, registered_at=MOMENT).id)
        decision = repository.add_decision(
            session,
            patient_id=patients[0],
            screening_id=None,
            code="B",
            drug="dabrafenib+trametinib",
            biomarker="BRAF V600 mutation",
            cohort_id=cohort.id,
            eligible=True,
            failed_criteria=[],
            rationale="test",
            meeting_date=MOMENT.date(),
            recorded_at=MOMENT,
        )
        return cohort.id, patients, decision.id


def test_two_enrolments_in_the_same_place_are_refused_by_the_database(database: Database) -> None:
    cohort_id, patients, decision_id = _cohort_with_patients(database, 2)

    def both_in_place_one(session: Session) -> None:
        for patient_id in patients:
            repository.add_enrolment(
                session,
                cohort_id=cohort_id,
                patient_id=patient_id,
                decision_id=decision_id,
                position=0,
                stage=1,
                outcome="pending",
                override_reason=None,
                enrolled_at=MOMENT,
            )

    with (
        pytest.raises(ConflictError, match="conflicts with a record saved at the same time"),
        database.transaction() as session,
    ):
        both_in_place_one(session)
    with database.transaction(write=False) as session:
        assert repository.cohort_enrolments(session, cohort_id=cohort_id) == []


def test_a_stale_copy_of_a_cohort_cannot_overwrite_a_newer_one(database: Database) -> None:
    cohort_id, _, _ = _cohort_with_patients(database, 1)
    with database.transaction(write=False) as session:
        stale_row = repository.get_cohort_or_raise(session, name_or_id=cohort_id)
        session.expunge(stale_row)
    with database.transaction() as session:
        fresh = repository.get_cohort_or_raise(session, name_or_id=cohort_id)
        repository.store_cohort_status(fresh, state=new_cohort())

    def write_stale(session: Session) -> None:
        session.add(stale_row)
        repository.store_cohort_status(stale_row, state=new_cohort())

    with pytest.raises(ConflictError, match="changed the same cohort"), database.transaction() as session:
        write_stale(session)
