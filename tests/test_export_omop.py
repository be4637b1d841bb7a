"""``oncobasket export omop``: the tables loaded into SQLite with the OMOP CDM v5.4 definitions (columns, types
and NOT NULL as the official DDL, OHDSI CommonDataModel inst/ddl/5.4, writes them; primary and foreign keys as
its constraint files), then keys, dates and counts checked against the registry read with plain SQL."""

from __future__ import annotations

import csv
import json
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

TODAY = datetime.now(UTC).date().isoformat()

#: The v5.4 definitions of the exported tables, transcribed from the specification: "name type", "!" = NOT NULL.
CDM = {
    "person": "person_id integer! gender_concept_id integer! year_of_birth integer! month_of_birth integer "
    "day_of_birth integer birth_datetime text race_concept_id integer! ethnicity_concept_id integer! "
    "location_id integer provider_id integer care_site_id integer person_source_value text "
    "gender_source_value text gender_source_concept_id integer race_source_value text race_source_concept_id "
    "integer ethnicity_source_value text ethnicity_source_concept_id integer",
    "observation_period": "observation_period_id integer! person_id integer! observation_period_start_date date! "
    "observation_period_end_date date! period_type_concept_id integer!",
    "condition_occurrence": "condition_occurrence_id integer! person_id integer! condition_concept_id integer! "
    "condition_start_date date! condition_start_datetime text condition_end_date date condition_end_datetime text "
    "condition_type_concept_id integer! condition_status_concept_id integer stop_reason text provider_id integer "
    "visit_occurrence_id integer visit_detail_id integer condition_source_value text condition_source_concept_id "
    "integer condition_status_source_value text",
    "drug_exposure": "drug_exposure_id integer! person_id integer! drug_concept_id integer! "
    "drug_exposure_start_date date! drug_exposure_start_datetime text drug_exposure_end_date date! "
    "drug_exposure_end_datetime text verbatim_end_date date drug_type_concept_id integer! stop_reason text "
    "refills integer quantity real days_supply integer sig text route_concept_id integer lot_number text "
    "provider_id integer visit_occurrence_id integer visit_detail_id integer drug_source_value text "
    "drug_source_concept_id integer route_source_value text dose_unit_source_value text",
    "measurement": "measurement_id integer! person_id integer! measurement_concept_id integer! measurement_date date! "
    "measurement_datetime text measurement_time text measurement_type_concept_id integer! operator_concept_id "
    "integer value_as_number real value_as_concept_id integer unit_concept_id integer range_low real range_high "
    "real provider_id integer visit_occurrence_id integer visit_detail_id integer measurement_source_value text "
    "measurement_source_concept_id integer unit_source_value text unit_source_concept_id integer "
    "value_source_value text measurement_event_id integer meas_event_field_concept_id integer",
    "observation": "observation_id integer! person_id integer! observation_concept_id integer! observation_date date! "
    "observation_datetime text observation_type_concept_id integer! value_as_number real value_as_string text "
    "value_as_concept_id integer qualifier_concept_id integer unit_concept_id integer provider_id integer "
    "visit_occurrence_id integer visit_detail_id integer observation_source_value text "
    "observation_source_concept_id integer unit_source_value text qualifier_source_value text value_source_value "
    "text observation_event_id integer obs_event_field_concept_id integer",
    "death": "person_id integer! death_date date! death_datetime text death_type_concept_id integer cause_concept_id "
    "integer cause_source_value text cause_source_concept_id integer",
    "specimen": "specimen_id integer! person_id integer! specimen_concept_id integer! specimen_type_concept_id "
    "integer! specimen_date date! specimen_datetime text quantity real unit_concept_id integer "
    "anatomic_site_concept_id integer disease_status_concept_id integer specimen_source_id text "
    "specimen_source_value text unit_source_value text anatomic_site_source_value text "
    "disease_status_source_value text",
    "episode": "episode_id integer! person_id integer! episode_concept_id integer! episode_start_date date! "
    "episode_start_datetime text episode_end_date date episode_end_datetime text episode_parent_id integer "
    "episode_number integer episode_object_concept_id integer! episode_type_concept_id integer! "
    "episode_source_value text episode_source_concept_id integer",
    "episode_event": "episode_id integer! event_id integer! episode_event_field_concept_id integer!",
}
PRIMARY_KEYS = {table: f"{table}_id" for table in CDM if table not in {"death", "episode_event"}} | {
    "death": "person_id"
}


def _columns(table: str) -> list[tuple[str, str, bool]]:
    words = CDM[table].split()
    return [(name, kind.rstrip("!"), kind.endswith("!")) for name, kind in zip(words[::2], words[1::2], strict=True)]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def _load(folder: Path) -> sqlite3.Connection:
    """The CSVs in an in-memory SQLite database with the CDM's columns, NOT NULL, primary and foreign keys."""
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA foreign_keys = ON")
    for table in CDM:
        columns = _columns(table)
        definitions = [f"{name} {kind.upper()}{' NOT NULL' if required else ''}" for name, kind, required in columns]
        definitions.append(f"PRIMARY KEY ({PRIMARY_KEYS[table]})" if table in PRIMARY_KEYS else "")
        if table not in {"person", "episode_event"} and any(name == "person_id" for name, _, _ in columns):
            definitions.append("FOREIGN KEY (person_id) REFERENCES person (person_id)")
        if table == "episode_event":
            definitions.append("FOREIGN KEY (episode_id) REFERENCES episode (episode_id)")
            definitions.append("FOREIGN KEY (event_id) REFERENCES drug_exposure (drug_exposure_id)")
        connection.execute(f"CREATE TABLE {table} ({', '.join(item for item in definitions if item)})")
    for table in CDM:
        with (folder / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            assert header == [name for name, _, _ in _columns(table)], table
            rows = [[cell if cell != "" else None for cell in row] for row in reader]
        if rows:
            marks = ", ".join("?" for _ in header)
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    return connection


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("demo")
    result = _cli("demo", "--workdir", str(workdir / "demo"), cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir / "demo" / "trial.db"


@pytest.fixture(scope="module")
def exported(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("omop") / "omop"
    result = _cli(
        "export", "omop", "--as-of", TODAY, "--out", str(out), "--database-url", f"sqlite:///{demo}", cwd=out.parent
    )
    assert result.returncode == 0, result.stderr
    return out


def test_the_export_loads_with_the_cdm_definitions_and_its_keys_hold(exported: Path) -> None:
    connection = _load(exported)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    # Every date is an ISO date, no period ends before it starts, and nothing lies after the cut-off.
    for table, columns in ((table, _columns(table)) for table in CDM):
        for name, kind, _ in columns:
            if kind == "date":
                for (value,) in connection.execute(f"SELECT {name} FROM {table} WHERE {name} IS NOT NULL"):
                    assert date.fromisoformat(value) <= date.fromisoformat(TODAY), (table, name, value)
    assert connection.execute(
        "SELECT count(*) FROM observation_period WHERE observation_period_end_date < observation_period_start_date"
    ).fetchone() == (0,)
    assert connection.execute(
        "SELECT count(*) FROM drug_exposure WHERE drug_exposure_end_date < drug_exposure_start_date"
    ).fetchone() == (0,)
    # Every event lies inside its person's observation period.
    for table, day in (
        ("drug_exposure", "drug_exposure_start_date"),
        ("measurement", "measurement_date"),
        ("specimen", "specimen_date"),
    ):
        outside = connection.execute(
            f"SELECT count(*) FROM {table} t JOIN observation_period p ON p.person_id = t.person_id"
            f" WHERE t.{day} < p.observation_period_start_date OR t.{day} > p.observation_period_end_date"
        ).fetchone()
        assert outside == (0,), table


def test_counts_and_source_values_agree_with_the_registry(exported: Path, demo: Path) -> None:
    connection = _load(exported)
    with sqlite3.connect(demo) as registry:
        screened = {row[0]: row[1:] for row in registry.execute(
            "SELECT p.study_id, p.sex, p.birth_year, p.icd10, p.oncotree_code FROM patients p"
            " WHERE p.id IN (SELECT patient_id FROM screenings)"
        )}  # fmt: skip
        doses = sum(
            len(json.loads(doses))
            for (doses,) in registry.execute(
                "SELECT doses FROM treatment_cycles WHERE id NOT IN"
                " (SELECT corrects_id FROM treatment_cycles WHERE corrects_id IS NOT NULL)"
            )
        )
        treated = registry.execute("SELECT count(*) FROM treatments").fetchone()[0]
        profiles = [json.loads(profile) for (profile,) in registry.execute(
            "SELECT profile FROM screenings WHERE id IN (SELECT max(id) FROM screenings GROUP BY patient_id)"
        )]  # fmt: skip
    persons = {row[0]: row[1:] for row in connection.execute(
        "SELECT person_source_value, gender_source_value, year_of_birth FROM person"
    )}  # fmt: skip
    assert persons == {study_id: (sex, year) for study_id, (sex, year, _, _) in screened.items()}
    conditions = {value for (value,) in connection.execute("SELECT condition_source_value FROM condition_occurrence")}
    assert all(any(oncotree in value for value in conditions) for _, _, _, oncotree in screened.values())
    assert connection.execute("SELECT count(*) FROM drug_exposure").fetchone() == (doses,)
    assert connection.execute("SELECT count(*) FROM episode WHERE episode_concept_id = 32531").fetchone() == (treated,)
    assert connection.execute("SELECT count(*) FROM episode_event").fetchone() == (doses,)
    calls = sum(
        1 for profile in profiles for item in profile["alterations"] if item["usable"] and item["filter"] == "PASS"
    )
    variant_rows = connection.execute(
        "SELECT count(*) FROM measurement WHERE measurement_source_value NOT LIKE 'LOINC:%'"
        " AND measurement_source_value NOT LIKE 'RECIST%'"
    ).fetchone()[0]
    assert variant_rows == calls
    # Standard concepts only where fixed and known: the demo's patients have sex U, so gender concept 0.
    assert {row[0] for row in connection.execute("SELECT gender_concept_id FROM person")} == {0}
    assert {row[0] for row in connection.execute("SELECT route_concept_id FROM drug_exposure")} <= {4132161, 4171047, 0}


def test_files_are_owner_only_and_a_used_folder_needs_force(exported: Path, demo: Path) -> None:
    assert stat.S_IMODE(exported.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in exported.iterdir())
    args = ("export", "omop", "--out", str(exported), "--database-url", f"sqlite:///{demo}")
    refused = _cli(*args, cwd=exported.parent)
    assert refused.returncode == 1
    assert "--force" in refused.stderr


def test_an_empty_registry_gives_header_only_tables(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    assert _cli("trial", "init", "--database-url", database, cwd=tmp_path).returncode == 0
    assert (
        _cli("export", "omop", "--out", str(tmp_path / "omop"), "--database-url", database, cwd=tmp_path).returncode
        == 0
    )
    connection = _load(tmp_path / "omop")
    assert connection.execute("SELECT count(*) FROM person").fetchone() == (0,)


def test_a_bad_cut_off_is_one_line(demo: Path, tmp_path: Path) -> None:
    result = _cli(
        "export",
        "omop",
        "--as-of",
        "2026-02-30",
        "--out",
        str(tmp_path / "o"),
        "--database-url",
        f"sqlite:///{demo}",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
