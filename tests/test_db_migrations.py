"""Upgrading a registry written by revision 0001 to 0002 (decision C option, corrections), on SQLite and
PostgreSQL: the schema check asks for `trial init`, which migrates in place; every row stays; the migrated
tables equal the models; and the new use cases work on the old rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from oncobasket.core.cohorts import Outcome
from oncobasket.core.errors import ConflictError
from oncobasket.db.models import Base
from oncobasket.db.session import Database, SchemaError, alembic_config, head_revision, known_revisions
from oncobasket.services import Registry, Settings, init_trial, record_outcome, show_cohort, show_patient
from registry_database import database_url, protocol_file  # noqa: F401 - fixtures

NOW = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
COHORT = "ERBB2 amplification / Pancreatic / Pertuzumab+Trastuzumab"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:  # noqa: F811 - the imported fixture
    db = Database(database_url)
    yield db
    db.dispose()


def _upgrade_to(database: Database, revision: str) -> None:
    with database.engine.connect() as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def _revision_0001_rows(database: Database) -> dict[str, int]:
    """What OncoBasket 0001 wrote: a patient with decision C, one enrolled in a cohort with an outcome.

    Returns the row IDs (PostgreSQL's sequences give them, so later inserts by the services do not clash).
    """
    at = "2024-04-30 10:00:00"
    with database.engine.begin() as connection:

        def insert(statement: str) -> int:
            return int(connection.execute(text(f"{statement} RETURNING id")).scalar_one())

        insert(
            "INSERT INTO protocol_versions (name, version, sha256, text, loaded_at, loaded_by) "
            f"VALUES ('old', 'old-1', 'x', 'protocol: 1', '{at}', 'lead')"
        )
        patients = [
            insert(
                "INSERT INTO patients (study_id, site, sex, birth_year, oncotree_code, oncotree_version, labs, "
                f"registered_at) VALUES ('IMP-000{number}', 'OUS', 'F', 1960, 'PAAD', 'v', '{{}}', '{at}')"
            )
            for number in (1, 2)
        ]
        cohort = insert(
            "INSERT INTO cohorts (name, tumour_group, biomarker, drug, status, stage, r1, n1, r, n, opened_at, "
            f"version) VALUES ('{COHORT}', 'Pancreatic', 'ERBB2 amplification', 'pertuzumab+trastuzumab', "
            f"'stage1_open', 1, 0, 2, 1, 4, '{at}', 1)"
        )
        decision_c = insert(
            "INSERT INTO mtb_decisions (patient_id, code, failed_criteria, rationale, meeting_date, recorded_at) "
            f"VALUES ({patients[0]}, 'C', '[]', 'standard care', '2024-04-30', '{at}')"
        )
        decision_b = insert(
            "INSERT INTO mtb_decisions (patient_id, code, drug, biomarker, cohort_id, eligible, failed_criteria, "
            f"rationale, meeting_date, recorded_at) VALUES ({patients[1]}, 'B', 'pertuzumab+trastuzumab', "
            f"'ERBB2 amplification', {cohort}, true, '[]', 'ERBB2 amplified', '2024-04-30', '{at}')"
        )
        insert(
            "INSERT INTO enrolments (cohort_id, patient_id, decision_id, position, stage, outcome, enrolled_at, "
            f"outcome_recorded_at) VALUES ({cohort}, {patients[1]}, {decision_b}, 0, 1, 'no_benefit', '{at}', '{at}')"
        )
    return {"decision_c": decision_c, "decision_b": decision_b}


def test_this_oncobasket_knows_both_revisions() -> None:
    assert head_revision() == "0005"
    assert {"0001", "0002", "0003", "0004", "0005"} <= known_revisions()


def test_a_revision_0001_database_is_refused_until_trial_init_migrates_it(
    database: Database,
    database_url: str,  # noqa: F811
    protocol_file: Path,  # noqa: F811
) -> None:
    _upgrade_to(database, "0001")
    _revision_0001_rows(database)
    with pytest.raises(SchemaError, match=r"revision 0001\) is older .*run `oncobasket trial init` to migrate it"):
        database.check_schema()

    registry = Registry.open(Settings(database_url=database_url, user="lead", clock=lambda: NOW))
    try:
        initialised = init_trial(registry, protocol_file)
        assert initialised["schema_revision"] == head_revision()
        database.check_schema()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        assert "outcome_corrections" in database.table_names()

        # The old rows are all there; the C decision recorded before 0002 has no option.
        decision = show_patient(registry, "IMP-0001")["decision"]
        assert (decision["decision"], decision["non_trial_option"], decision["corrects"]) == ("C", None, None)
        (enrolment,) = show_patient(registry, "IMP-0002")["enrolments"]
        assert (enrolment["outcome"], enrolment["outcome_corrections"]) == ("no_benefit", [])

        # The new use cases work on the migrated rows.
        with pytest.raises(ConflictError, match="--correct --reason TEXT"):
            record_outcome(registry, "IMP-0002", Outcome.BENEFIT)
        corrected = record_outcome(registry, "IMP-0002", Outcome.BENEFIT, correction_reason="W16 scan re-read")
        assert corrected["cohort_status"] == "stage2_open"
        assert show_cohort(registry, COHORT)["status"] == "stage2_open"
        # Running trial init again changes nothing.
        assert init_trial(registry, protocol_file)["schema_revision"] == head_revision()
    finally:
        registry.close()


@pytest.mark.parametrize(
    ("assignment", "row", "message"),
    [
        ("non_trial_option = 'standard_care'", "decision_b", r"(?i)check"),
        ("non_trial_option = 'palliative'", "decision_c", r"(?i)check"),
        ("corrects_id = decision_id_b", "decision_c", r"(?i)check"),
        ("corrects_id = 999999, correction_reason = 'x'", "decision_c", r"(?i)foreign key"),
    ],
)
def test_the_migrated_constraints_hold(database: Database, assignment: str, row: str, message: str) -> None:
    _upgrade_to(database, "0001")
    ids = _revision_0001_rows(database)
    database.upgrade()
    change = assignment.replace("decision_id_b", str(ids["decision_b"]))
    with pytest.raises(DBAPIError, match=message), database.engine.begin() as connection:
        connection.execute(text(f"UPDATE mtb_decisions SET {change} WHERE id = {ids[row]}"))
    with database.engine.begin() as connection:
        connection.execute(
            text(f"UPDATE mtb_decisions SET non_trial_option = 'other_trial' WHERE id = {ids['decision_c']}")
        )
