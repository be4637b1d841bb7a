"""The registry stores exactly what the cohort state machine decides: after any sequence of enrolments,
outcomes and pooled counts driven through the services, the state rebuilt from the rows equals the state
core/cohorts.py reaches on its own, and refusals leave both unchanged (property-based, SQLite)."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncobasket.core import cohorts
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.registry import DecisionForm, MtbDecisionCode
from oncobasket.db import repository
from oncobasket.services import (
    Registry,
    Settings,
    add_patient,
    enrol_patient,
    init_trial,
    patient_form,
    pool_counts,
    record_consent,
    record_decision,
    record_outcome,
)
from registry_database import ERBB2, TEST_PROTOCOL

NOW = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
PATIENTS = 6
COHORT = "ERBB2 amplification / Pancreatic / Pertuzumab+Trastuzumab"

actions = st.lists(
    st.one_of(
        st.tuples(st.just("enrol")),
        st.tuples(
            st.just("outcome"),
            st.integers(0, PATIENTS - 1),
            st.sampled_from([cohorts.Outcome.BENEFIT, cohorts.Outcome.NO_BENEFIT, cohorts.Outcome.NOT_EVALUABLE]),
        ),
        st.tuples(st.just("pool"), st.integers(1, 3), st.integers(0, 3)),
    ),
    max_size=12,
)


def _trial(folder: Path) -> Registry:
    protocol = folder / "protocol.yaml"
    # Plenty of slots: this property is about the two-stage rule (0/2, 1/4), not the budget.
    protocol.write_text(TEST_PROTOCOL.replace("    slots: 3\n", "    slots: 30\n"), encoding="utf-8")
    registry = Registry.open(Settings(database_url=f"sqlite:///{folder / 'registry.db'}", user="t", clock=lambda: NOW))
    init_trial(registry, protocol)
    for number in range(PATIENTS):
        study_id = f"IMP-{number:04d}"
        add_patient(
            registry,
            patient_form(study_id=study_id, site="OUS", sex="F", birth_year=1960, oncotree_code="PAAD", ecog=0),
        )
        record_decision(
            registry,
            DecisionForm(
                study_id=study_id,
                code=MtbDecisionCode.B,
                rationale="board",
                meeting_date=date(2024, 4, 30),
                drug=ERBB2[0],
                biomarker=ERBB2[1],
            ),
        )
        record_consent(registry, study_id, date(2024, 5, 1))
    return registry


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=actions)
def test_the_stored_cohort_state_is_the_state_machines_state(steps: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        registry = _trial(Path(folder))
        try:
            expected = cohorts.new_cohort(cohorts.TwoStageRule(r1=0, n1=2, r=1, n=4))
            enrolled: list[str] = []  # study IDs in order of enrolment
            for step in steps:
                expected = _apply(registry, expected, enrolled, step)
            with registry.database.transaction(write=False) as session:
                row = repository.get_cohort_or_raise(session, name_or_id=COHORT)
                stored = repository.cohort_state(session, cohort=row)
            assert stored == expected
            assert cohorts.tally(stored) == cohorts.tally(expected)
        finally:
            registry.close()


def _apply(
    registry: Registry, expected: cohorts.CohortState, enrolled: list[str], step: tuple[object, ...]
) -> cohorts.CohortState:
    kind = step[0]
    if kind == "enrol":
        if len(enrolled) == PATIENTS:
            return expected
        study_id = f"IMP-{len(enrolled):04d}"
        try:
            after, _ = cohorts.enrol(expected)
        except ConflictError:
            try:
                enrol_patient(registry, study_id)
            except ConflictError:
                return expected
            raise AssertionError("the registry enrolled a patient the state machine refuses") from None
        enrol_patient(registry, study_id)
        enrolled.append(study_id)
        return after
    if kind == "outcome":
        index, outcome = step[1], step[2]
        assert isinstance(index, int)
        assert isinstance(outcome, cohorts.Outcome)
        if index >= len(enrolled):
            return expected
        try:
            after, _ = cohorts.record_outcome(expected, index, outcome)
        except ConflictError:
            try:
                record_outcome(registry, enrolled[index], outcome)
            except ConflictError:
                return expected
            raise AssertionError("the registry replaced an outcome the state machine keeps") from None
        record_outcome(registry, enrolled[index], outcome)
        return after
    evaluable, benefit = step[1], step[2]
    assert isinstance(evaluable, int)
    assert isinstance(benefit, int)
    try:
        after, _ = cohorts.add_pooled(expected, cohorts.PooledCount("DRUP", evaluable, benefit))
    except (ConflictError, InputError) as refused:
        try:
            pool_counts(registry, COHORT, source="DRUP", evaluable=evaluable, benefit=benefit)
        except type(refused):
            return expected
        raise AssertionError("the registry pooled counts the state machine refuses") from None
    pool_counts(registry, COHORT, source="DRUP", evaluable=evaluable, benefit=benefit)
    return after
