"""Enrolment under concurrency: worker processes race for the last place of a stage or the last treatment
slot, on SQLite and on PostgreSQL. Exactly one wins; every other gets a ConflictError; counts stay
consistent. (Row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite; docs/registry.md.)"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from oncobasket.core.errors import ConflictError
from oncobasket.core.registry import DecisionForm, MtbDecisionCode
from oncobasket.services import (
    Registry,
    Settings,
    add_patient,
    enrol_patient,
    init_trial,
    list_cohorts,
    patient_form,
    record_consent,
    record_decision,
)
from registry_database import BRAF, ERBB2, TEST_PROTOCOL, database_url  # noqa: F401 - a fixture

WORKERS = 8
NOW = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)


def _open(url: str, user: str = "coordinator") -> Registry:
    return Registry.open(Settings(database_url=url, user=user, clock=lambda: NOW))


def _ready(registry: Registry, study_id: str, target: tuple[str, str]) -> None:
    add_patient(
        registry,
        patient_form(study_id=study_id, site="OUS", sex="M", birth_year=1955, oncotree_code="PAAD", ecog=0),
    )
    record_decision(
        registry,
        DecisionForm(
            study_id=study_id,
            code=MtbDecisionCode.B,
            rationale="board",
            meeting_date=date(2024, 4, 30),
            drug=target[0],
            biomarker=target[1],
        ),
    )
    record_consent(registry, study_id, date(2024, 5, 1))


def _race(url: str, study_id: str, barrier: Barrier, results: multiprocessing.Queue[str]) -> None:
    """One coordinator: wait until every worker is ready, then enrol."""
    registry = _open(url, user=f"coordinator-{study_id}")
    try:
        barrier.wait(timeout=60)
        enrol_patient(registry, study_id)
        results.put(f"enrolled {study_id}")
    except ConflictError as error:
        results.put(f"conflict {error}")
    except Exception as error:
        results.put(f"error {type(error).__name__}: {error}")
    finally:
        registry.close()


def _run_race(url: str, study_ids: list[str]) -> list[str]:
    # A fork server imports OncoBasket once and forks each worker from it: no engine or connection of
    # this process is inherited, and workers start together instead of importing one after another.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["oncobasket.services", "test_concurrency"])
    barrier = context.Barrier(len(study_ids))
    results: multiprocessing.Queue[str] = context.Queue()
    workers = [context.Process(target=_race, args=(url, study_id, barrier, results)) for study_id in study_ids]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return outcomes


def _setup(url: str, protocol: Path, *, target: tuple[str, str], enrolled: int) -> None:
    registry = _open(url)
    try:
        init_trial(registry, protocol)
        for number in range(enrolled):
            _ready(registry, f"IMP-E{number:02d}", target)
            enrol_patient(registry, f"IMP-E{number:02d}")
        for number in range(WORKERS):
            _ready(registry, f"IMP-R{number:02d}", target)
    finally:
        registry.close()


def _cohort(url: str) -> dict[str, Any]:
    registry = _open(url)
    try:
        (cohort,) = list_cohorts(registry)
        return cohort
    finally:
        registry.close()


def test_eight_coordinators_race_for_the_last_place_of_stage_one(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(TEST_PROTOCOL, encoding="utf-8")
    _setup(database_url, protocol, target=BRAF, enrolled=7)

    outcomes = _run_race(database_url, [f"IMP-R{number:02d}" for number in range(WORKERS)])

    winners = [item for item in outcomes if item.startswith("enrolled")]
    losers = [item for item in outcomes if item.startswith("conflict")]
    assert len(winners) == 1, outcomes
    assert len(losers) == WORKERS - 1, outcomes
    # The locks serialise the race, so every loser sees the winner's place taken (not a backstop error).
    assert all("does not accept patients: stage 1 is full" in item for item in losers), losers
    cohort = _cohort(database_url)
    assert cohort["status"] == "stage1_full"
    assert cohort["counts"]["enrolled"] == 8
    assert cohort["slots"]["used"] == 8


def test_eight_coordinators_race_for_the_last_treatment_slot(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    protocol = tmp_path / "protocol.yaml"
    # The same agreement of 3 slots, but the DRUP rule: places are plenty, slots are not.
    protocol.write_text(
        TEST_PROTOCOL.replace("cohort_rule: {r1: 0, n1: 2, r: 1, n: 4}", "cohort_rule: {r1: 0, n1: 8, r: 4, n: 24}"),
        encoding="utf-8",
    )
    _setup(database_url, protocol, target=ERBB2, enrolled=2)

    outcomes = _run_race(database_url, [f"IMP-R{number:02d}" for number in range(WORKERS)])

    winners = [item for item in outcomes if item.startswith("enrolled")]
    losers = [item for item in outcomes if item.startswith("conflict")]
    assert len(winners) == 1, outcomes
    assert len(losers) == WORKERS - 1, outcomes
    assert all("no treatment slot left in budget 'Roche agreement' (3 of 3 used)" in item for item in losers), losers
    cohort = _cohort(database_url)
    assert cohort["status"] == "stage1_open"
    assert cohort["counts"]["enrolled"] == 3
    assert cohort["slots"] == {
        "name": "Roche agreement",
        "drugs": ["pertuzumab+trastuzumab"],
        "total": 3,
        "used": 3,
        "left": 0,
    }


def test_two_coordinators_enrol_the_same_patient_at_once(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(TEST_PROTOCOL, encoding="utf-8")
    _setup(database_url, protocol, target=BRAF, enrolled=0)

    outcomes = _run_race(database_url, ["IMP-R00", "IMP-R00"])

    winners = [item for item in outcomes if item.startswith("enrolled")]
    losers = [item for item in outcomes if item.startswith("conflict")]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    # The patient's row lock serialises the two: the second sees the first's place, not a backstop error.
    assert "is already enrolled" in losers[0], losers
    assert _cohort(database_url)["counts"]["enrolled"] == 1
