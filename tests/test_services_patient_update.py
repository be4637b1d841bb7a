"""Updating a registered patient's clinical values, on SQLite and PostgreSQL: the update is an audited event
with the values before and after (nothing deleted), and later screenings, decisions and enrolments judge
eligibility on the values in force, not on those of the registration or the screening."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from oncobasket.core.errors import ConflictError, InputError, NotFoundError
from oncobasket.core.registry import PatientUpdate
from oncobasket.services import (
    Registry,
    Settings,
    add_patient,
    audit_trail,
    enrol_patient,
    init_trial,
    patient_form,
    record_consent,
    screen_patient,
    show_patient,
    update_patient,
)
from oncobasket.services.decisions import _match_standing
from registry_database import BRAF, TEST_PROTOCOL, database_url  # noqa: F401 - a fixture
from test_services_cohorts import NOW, decide

#: The registry test protocol with a laboratory criterion and a prior-therapy exclusion, so that every
#: kind of clinical value can change a verdict.
LAB_PROTOCOL = TEST_PROTOCOL.replace(
    "  ecog: {at_most: 2, source: IMPRESS-Norway protocol}\n",
    "  ecog: {at_most: 2, source: IMPRESS-Norway protocol}\n"
    "  anc: {at_least: 1.5, source: IMPRESS-Norway protocol}\n"
    "  excluded_prior_therapies: [dabrafenib]\n",
).replace("version: test-1", "version: test-labs")


@pytest.fixture
def trial(database_url: str, tmp_path: Path) -> Iterator[Registry]:  # noqa: F811 - the imported fixture
    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(LAB_PROTOCOL, encoding="utf-8")
    registry = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    init_trial(registry, protocol)
    yield registry
    registry.close()


def register(registry: Registry, study_id: str = "IMP-0001", **changes: Any) -> None:
    values: dict[str, Any] = {
        "study_id": study_id,
        "site": "OUS",
        "sex": "F",
        "birth_year": 1961,
        "oncotree_code": "PAAD",
        "ecog": 1,
        "labs": ["anc=1.8", "platelets=210"],
        "prior_lines": 2,
        "prior_therapies": ["gemcitabine"],
    }
    values.update(changes)
    add_patient(registry, patient_form(**values))


def update(registry: Registry, study_id: str = "IMP-0001", **values: Any) -> dict[str, Any]:
    if "labs" in values:
        values["labs"] = MappingProxyType(values["labs"])
    return update_patient(registry, PatientUpdate(study_id=study_id, **values))


def test_an_update_stores_the_new_values_and_audits_before_and_after(trial: Registry) -> None:
    register(trial)
    result = update(trial, ecog=3, labs={"anc": 0.9}, reason="pre-enrolment visit")
    assert result["changed"] == ["ecog", "labs"]
    assert result["before"] == {"ecog": 1, "labs": {"anc": 1.8, "platelets": 210.0}}
    assert result["after"] == {"ecog": 3, "labs": {"anc": 0.9, "platelets": 210.0}}
    assert result["values"] == {
        "ecog": 3,
        "labs": {"anc": 0.9, "platelets": 210.0},
        "prior_lines": 2,
        "prior_therapies": ["gemcitabine"],
    }
    assert result["reason"] == "pre-enrolment visit"
    assert result["updated_at"] == NOW.isoformat()
    assert result["eligibility"] is None
    shown = show_patient(trial, "IMP-0001")
    assert (shown["ecog"], shown["labs"]) == (3, {"anc": 0.9, "platelets": 210.0})

    added, updated = audit_trail(trial, "IMP-0001")
    # Nothing is deleted: the registration's event still holds the first values.
    assert (added["action"], added["after"]["ecog"], added["after"]["labs"]["anc"]) == ("patient.add", 1, 1.8)
    assert updated["action"] == "patient.update"
    assert updated["actor"] == "coordinator-1"
    assert updated["before"] == {"ecog": 1, "labs": {"anc": 1.8, "platelets": 210.0}}
    assert updated["after"] == {"ecog": 3, "labs": {"anc": 0.9, "platelets": 210.0}, "reason": "pre-enrolment visit"}


def test_prior_therapies_given_replace_the_registered_list(trial: Registry) -> None:
    register(trial)
    result = update(trial, prior_lines=3, prior_therapies=("gemcitabine", "dabrafenib"))
    assert result["changed"] == ["prior_lines", "prior_therapies"]
    assert result["after"]["prior_therapies"] == ["gemcitabine", "dabrafenib"]
    assert update(trial, prior_therapies=())["after"] == {"prior_therapies": []}


def test_an_update_to_the_registered_values_writes_nothing(trial: Registry) -> None:
    register(trial)
    before = audit_trail(trial)
    result = update(trial, ecog=1, labs={"anc": 1.8}, reason="checked again")
    assert (result["changed"], result["before"], result["after"], result["updated_at"]) == ([], {}, {}, None)
    assert audit_trail(trial) == before


def test_an_update_of_an_unknown_patient_is_refused_without_repeating_a_bad_id(trial: Registry) -> None:
    before = audit_trail(trial)
    with pytest.raises(NotFoundError, match="no patient with study ID 'IMP-0404'"):
        update(trial, "IMP-0404", ecog=1)
    with pytest.raises(InputError, match="field 'STUDY_ID': is not a pseudonymous study ID") as refused:
        update(trial, "Kari Nordmann", ecog=1)
    assert "Nordmann" not in str(refused.value)
    assert audit_trail(trial) == before


@pytest.mark.parametrize(
    ("labs", "message"),
    [
        (["platelet=200"], "field '--lab': 'platelet' is not a laboratory name the eligibility criteria use; did you"),
        (["anc=-5"], "field '--lab': anc = -5 is negative"),
        (["anc=nan"], "field '--lab': anc = nan is not a finite number"),
    ],
)
def test_registration_refuses_lab_values_the_criteria_cannot_use_and_writes_nothing(
    trial: Registry, labs: list[str], message: str
) -> None:
    before = audit_trail(trial)
    with pytest.raises(InputError) as refused:
        register(trial, labs=["platelets=200", *labs])
    assert message in str(refused.value)
    assert audit_trail(trial) == before


def test_enrolment_judges_eligibility_on_the_values_in_force(trial: Registry) -> None:
    register(trial)
    decided = decide(trial, "IMP-0001", "B", BRAF)
    assert decided["eligible"] is True
    record_consent(trial, "IMP-0001", date(2024, 5, 1))
    worse = update(trial, ecog=3, labs={"anc": 0.9}, reason="pre-enrolment visit")
    assert worse["eligibility"]["eligible_at_decision"] is True
    assert worse["eligibility"]["eligible"] is False
    assert any("ECOG 3" in reason for reason in worse["eligibility"]["failed_criteria"])
    before = audit_trail(trial)
    with pytest.raises(ConflictError) as refused:
        enrol_patient(trial, "IMP-0001")
    message = str(refused.value)
    assert "is not confirmed eligible for dabrafenib+trametinib (ECOG 3" in message
    assert "ANC 0.9" in message
    assert "`oncobasket patient update IMP-0001`" in message
    assert audit_trail(trial) == before

    better = update(trial, ecog=1, labs={"anc": 2.0}, reason="recovered")
    assert better["eligibility"]["eligible"] is True
    enrolled = enrol_patient(trial, "IMP-0001")
    assert (enrolled["eligible"], enrolled["failed_criteria"]) == (True, [])
    (event,) = [item for item in audit_trail(trial, "IMP-0001") if item["action"] == "enrolment.add"]
    assert event["after"]["eligible"] is True


def test_a_patient_ineligible_at_the_decision_enrols_once_the_values_change(trial: Registry) -> None:
    register(trial, ecog=3)
    assert decide(trial, "IMP-0001", "B", BRAF)["eligible"] is False
    record_consent(trial, "IMP-0001", date(2024, 5, 1))
    update(trial, ecog=2, reason="ECOG re-assessed")
    assert enrol_patient(trial, "IMP-0001")["override_reason"] is None


def test_a_prior_therapy_recorded_later_excludes_at_enrolment(trial: Registry) -> None:
    register(trial)
    decide(trial, "IMP-0001", "B", BRAF)
    record_consent(trial, "IMP-0001", date(2024, 5, 1))
    update(trial, prior_therapies=("gemcitabine", "dabrafenib"), reason="treated abroad, letter received")
    with pytest.raises(ConflictError, match="prior therapy with dabrafenib excludes"):
        enrol_patient(trial, "IMP-0001")


def test_screening_and_decision_a_use_the_values_in_force(trial: Registry, ob0001: Path) -> None:
    register(trial, ecog=3)
    screened = screen_patient(trial, "IMP-0001", [ob0001])
    assert not any(match["eligible"] for match in screened["matches"])
    update(trial, ecog=1, reason="ECOG re-assessed")
    # The stored match judged ECOG 3; decision A judges the criteria again on ECOG 1.
    decided = decide(trial, "IMP-0001", "A", BRAF)
    assert (decided["eligible"], decided["failed_criteria"]) == (True, [])
    # A new screening reads the values in force too.
    register(trial, "IMP-0002", ecog=3)
    update(trial, "IMP-0002", ecog=0)
    assert all(match["eligible"] for match in screen_patient(trial, "IMP-0002", [ob0001])["matches"])


def test_the_match_verdict_apart_from_the_criteria_stays_with_the_screening(
    database_url: str,  # noqa: F811
    tmp_path: Path,
    ob0001: Path,
) -> None:
    """A tumour type the protocol excludes for the biomarker is not cured by better clinical values."""
    protocol = tmp_path / "excluding.yaml"
    protocol.write_text(
        LAB_PROTOCOL.replace(
            "        source: EMA SmPC Tafinlar\n",
            "        source: EMA SmPC Tafinlar\n        excluded_tumour_types: [PAAD]\n"
            "        exclusion_reason: test exclusion\n",
        ),
        encoding="utf-8",
    )
    registry = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    try:
        init_trial(registry, protocol)
        register(registry)
        screened = screen_patient(registry, "IMP-0001", [ob0001])
        (braf,) = [match for match in screened["matches"] if match["drug"] == BRAF[0]]
        assert (braf["eligibility"], braf["eligibility_without_criteria"]) == ("ineligible", "ineligible")
        decided = decide(registry, "IMP-0001", "A", BRAF)
        assert decided["eligible"] is False
        assert decided["failed_criteria"] == [
            "the screening's match is ineligible apart from the clinical criteria (biomarker, tumour type or "
            "cohort: see the screening's reasons)"
        ]
        record_consent(registry, "IMP-0001", date(2024, 5, 1))
        update(registry, ecog=0, reason="better")
        with pytest.raises(ConflictError, match="the screening's match is ineligible apart from the clinical"):
            enrol_patient(registry, "IMP-0001")
    finally:
        registry.close()


@pytest.mark.parametrize(
    ("detail", "standing"),
    [
        ({"eligibility_without_criteria": "to_be_confirmed", "eligibility": "ineligible"}, "to_be_confirmed"),
        ({"eligibility": "eligible", "criteria": []}, "eligible"),
        ({"eligible": True}, "eligible"),
        # Worse overall than its criteria: the match itself failed.
        ({"eligibility": "ineligible", "criteria": [{"status": "eligible"}]}, "ineligible"),
        ({"eligibility": "to_be_confirmed", "criteria": [{"status": "eligible"}]}, "to_be_confirmed"),
        # As bad as its criteria: cannot be told apart, so to be confirmed (a new screening judges it).
        ({"eligibility": "ineligible", "criteria": [{"status": "ineligible"}]}, "to_be_confirmed"),
        ({"eligible": False, "criteria": [{"status": "ineligible"}]}, "to_be_confirmed"),
    ],
)
def test_matches_stored_before_the_verdict_was_kept_apart_are_read_safely(
    detail: dict[str, Any], standing: str
) -> None:
    assert _match_standing(detail) == standing
