"""Treatment, adverse events and tumour assessments in the registry, on SQLite and PostgreSQL (issue 8).

The week-16 outcome that drives a cohort's two-stage rule is computed from the recorded measurements and
treatment in the same transaction as the entry that makes it known; bad entries are refused with one line
naming the field and the rule, and leave nothing written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oncobasket.core.cohorts import Outcome
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.registry import DecisionForm, MtbDecisionCode
from oncobasket.core.treatment import DoseChange, EndReason
from oncobasket.core.treatment_entries import DoseEntry, FollowUpStatus
from oncobasket.services import (
    Registry,
    Settings,
    add_adverse_event,
    add_patient,
    audit_trail,
    end_treatment,
    enrol_patient,
    init_trial,
    list_cohorts,
    patient_form,
    record_assessments,
    record_consent,
    record_cycle,
    record_decision,
    record_follow_up,
    record_outcome,
    record_prior_treatment,
    show_patient,
    start_treatment,
)
from registry_database import BRAF, ERBB2, database_url, protocol_file  # noqa: F401 - fixtures

NOW = datetime(2024, 12, 2, 10, 0, tzinfo=UTC)
MEETING = date(2024, 4, 30)
CONSENT = date(2024, 5, 1)
START = date(2024, 5, 6)
BRAF_DOSES = (DoseEntry("dabrafenib", 150, "mg"), DoseEntry("trametinib", 2, "mg"))
ERBB2_DOSES = (DoseEntry("pertuzumab", 840, "mg"), DoseEntry("trastuzumab", 8, "mg/kg"))


def day(number: int) -> str:
    """The date ``number`` days after treatment start (day 0 = cycle 1 day 1, as the week-16 window counts)."""
    return (START + timedelta(days=number)).isoformat()


@pytest.fixture
def trial(database_url: str, protocol_file: Path) -> Iterator[Registry]:  # noqa: F811 - imported fixtures
    registry = Registry.open(Settings(database_url=database_url, user="coordinator-1", clock=lambda: NOW))
    init_trial(registry, protocol_file)
    yield registry
    registry.close()


def enrolled(registry: Registry, study_id: str, target: tuple[str, str] = BRAF) -> None:
    add_patient(
        registry, patient_form(study_id=study_id, site="OUS", sex="F", birth_year=1960, oncotree_code="PAAD", ecog=1)
    )
    drug, biomarker = target
    record_decision(
        registry,
        DecisionForm(
            study_id=study_id,
            code=MtbDecisionCode.B,
            rationale="tumour board consensus",
            meeting_date=MEETING,
            drug=drug,
            biomarker=biomarker,
        ),
    )
    record_consent(registry, study_id, CONSENT)
    enrol_patient(registry, study_id)


def treated(registry: Registry, study_id: str, target: tuple[str, str] = BRAF) -> None:
    enrolled(registry, study_id, target)
    doses = BRAF_DOSES if target == BRAF else ERBB2_DOSES
    start_treatment(registry, study_id, start_date=START, doses=doses)


def assessment_file(tmp_path: Path, follow_ups: list[dict[str, Any]], *, name: str = "scan.json") -> Path:
    """Two liver target lesions (sum 50 mm) and one non-target bone lesion at baseline, three days before start."""
    document = {
        "baseline": {
            "date": (START - timedelta(days=3)).isoformat(),
            "target_lesions": [
                {"id": "T1", "site": "liver", "diameter_mm": 30},
                {"id": "T2", "site": "lung", "diameter_mm": 20},
            ],
            "non_target_lesions": [{"id": "NT1", "site": "bone"}],
        },
        "assessments": follow_ups,
    }
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def scan(when: int, t1: float | None, t2: float | None, *, nt: str = "present", new: bool = False) -> dict[str, Any]:
    return {
        "date": day(when),
        "target_lesions": {"T1": t1, "T2": t2},
        "non_target_lesions": {"NT1": nt},
        "new_lesions": new,
    }


def outcome_of(registry: Registry, study_id: str) -> str:
    return str(show_patient(registry, study_id)["enrolments"][0]["outcome"])


def test_a_week_16_partial_response_is_benefit_and_runs_the_cohort_rule_in_the_same_transaction(
    trial: Registry, tmp_path: Path
) -> None:
    treated(trial, "IMP-0001")
    record_cycle(trial, "IMP-0001", start_date=START + timedelta(days=28))
    path = assessment_file(tmp_path, [scan(56, 20, 14), scan(112, 18, 12)])
    result = record_assessments(trial, "IMP-0001", path)
    assert result["week16"]["benefit"] is True
    assert result["week16"]["date"] == day(112)
    assert result["outcome"]["value"] == "benefit"
    # One benefit among the first eight opens stage 2 at once (DRUP rule 0/8, 4/24).
    assert [(item["from"], item["to"]) for item in result["transitions"]] == [("stage1_open", "stage2_open")]
    assert result["evaluation"]["best_overall_response"]["confirmed"] == "PR"
    shown = show_patient(trial, "IMP-0001")
    assert shown["week16"]["benefit"] is True
    assert shown["enrolments"][0]["outcome"] == "benefit"
    assert [point["overall_response"] for point in shown["responses"]["time_points"]] == ["PR", "PR"]
    assert shown["treatment"]["cycles"][1]["doses"] == shown["treatment"]["cycles"][0]["doses"]
    actions = [event["action"] for event in audit_trail(trial, "IMP-0001")]
    assert actions[-3:] == ["assessment.record", "cohort.transition", "outcome.compute"]
    assert [cohort["status"] for cohort in list_cohorts(trial)] == ["stage2_open"]


def test_progression_before_the_window_is_no_benefit_once_evaluable(trial: Registry, tmp_path: Path) -> None:
    treated(trial, "IMP-0002")
    result = record_assessments(trial, "IMP-0002", assessment_file(tmp_path, [scan(42, 40, 25)]))
    assert result["week16"]["benefit"] is False
    assert result["outcome"]["value"] == "no_benefit"
    shown = show_patient(trial, "IMP-0002")
    assert shown["pfs"]["event"] is True
    assert shown["pfs"]["end"] == day(42)


def test_nothing_in_the_window_keeps_the_outcome_pending(trial: Registry, tmp_path: Path) -> None:
    treated(trial, "IMP-0003")
    result = record_assessments(trial, "IMP-0003", assessment_file(tmp_path, [scan(56, 28, 18)]))
    assert result["week16"]["benefit"] is None
    assert result["outcome"]["value"] == "pending"
    assert result["transitions"] == []


def test_treatment_ended_before_one_full_cycle_is_not_evaluable_and_the_place_is_replaced(
    trial: Registry,
) -> None:
    treated(trial, "IMP-0004")
    result = end_treatment(trial, "IMP-0004", end_date=START + timedelta(days=20), reason=EndReason.TOXICITY)
    assert result["outcome"]["value"] == "not_evaluable"
    assert "no full cycle" in result["outcome"]["reason"]
    assert outcome_of(trial, "IMP-0004") == "not_evaluable"


def test_intravenous_evaluability_counts_cycle_starts(trial: Registry) -> None:
    treated(trial, "IMP-0005", ERBB2)
    record_cycle(trial, "IMP-0005", start_date=START + timedelta(days=21))
    result = end_treatment(trial, "IMP-0005", end_date=START + timedelta(days=30), reason=EndReason.TOXICITY)
    # Evaluable (cycle 2 started 21 days after cycle 1) but nothing known about week 16 yet.
    assert result["outcome"]["value"] == "pending"
    shown = show_patient(trial, "IMP-0005")
    assert shown["evaluable"]["evaluable"] is True
    assert shown["treatment"]["route"] == "intravenous"


def test_a_death_before_week_16_without_benefit_is_no_benefit(trial: Registry, tmp_path: Path) -> None:
    treated(trial, "IMP-0006")
    record_assessments(trial, "IMP-0006", assessment_file(tmp_path, [scan(42, 29, 19)]))
    died = START + timedelta(days=70)
    result = record_follow_up(
        trial, "IMP-0006", contact_date=died + timedelta(days=2), status=FollowUpStatus.DEAD, death_date=died
    )
    assert result["outcome"]["value"] == "no_benefit"
    assert "died on day 70" in result["outcome"]["reason"]
    shown = show_patient(trial, "IMP-0006")
    assert (shown["os"]["event"], shown["os"]["end"]) == (True, died.isoformat())
    with pytest.raises(ConflictError, match="no later contact"):
        record_follow_up(trial, "IMP-0006", contact_date=NOW.date(), status=FollowUpStatus.ALIVE)


def test_assessments_already_recorded_are_kept_and_corrected_only_with_a_reason(
    trial: Registry, tmp_path: Path
) -> None:
    treated(trial, "IMP-0007")
    first = assessment_file(tmp_path, [scan(56, 25, 17)], name="first.json")
    assert record_assessments(trial, "IMP-0007", first)["recorded"] == 2
    # The same file again (30 and 30.0 are the same measurement) changes nothing.
    again = record_assessments(trial, "IMP-0007", first)
    assert (again["recorded"], again["unchanged"]) == (0, 2)
    # A later file with the earlier scan repeated and a new one adds only the new one.
    later = assessment_file(tmp_path, [scan(56, 25, 17), scan(112, 24, 16)], name="later.json")
    assert record_assessments(trial, "IMP-0007", later)["recorded"] == 1
    # A different measurement for a recorded date is refused without --correct, nothing written.
    reread = assessment_file(tmp_path, [scan(56, 25, 17), scan(112, 14, 10)], name="reread.json")
    before = audit_trail(trial)
    with pytest.raises(ConflictError, match="already recorded for " + day(112)):
        record_assessments(trial, "IMP-0007", reread)
    assert audit_trail(trial) == before
    corrected = record_assessments(trial, "IMP-0007", reread, correction_reason="central radiology re-read")
    assert corrected["corrected"] == 1
    shown = show_patient(trial, "IMP-0007")
    assert shown["responses"]["time_points"][-1]["target_sum_mm"] == 24
    last = [event for event in audit_trail(trial, "IMP-0007") if event["action"] == "assessment.correct"]
    assert last[0]["before"]["target_lesions"] == {"T1": 24, "T2": 16}


@pytest.mark.parametrize(
    ("follow_ups", "message"),
    [
        ([scan(-10, 30, 20)], "not after the baseline"),
        ([scan(-1, 30, 20)], "treatment start"),
        ([{**scan(56, 30, 20), "target_lesions": {"T1": 30, "T2": 20, "T9": 5}}], "T9"),
        ([scan(56, 600, 20)], "500"),
        ([scan(56, -1, 20)], "assessments[0].target_lesions.T1"),
        ([scan(56, 30, 20), scan(56, 30, 20)], "a second assessment on"),
        ([scan(4000, 30, 20)], "future"),
    ],
)
def test_bad_assessments_are_refused_with_the_field_and_nothing_is_saved(
    trial: Registry, tmp_path: Path, follow_ups: list[dict[str, Any]], message: str
) -> None:
    treated(trial, "IMP-0008")
    before = audit_trail(trial)
    with pytest.raises(InputError) as caught:
        record_assessments(trial, "IMP-0008", assessment_file(tmp_path, follow_ups))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert audit_trail(trial) == before
    assert show_patient(trial, "IMP-0008")["assessments"] == []


def test_more_than_five_target_lesions_are_refused(trial: Registry, tmp_path: Path) -> None:
    treated(trial, "IMP-0009")
    document = {
        "baseline": {
            "date": day(-2),
            "target_lesions": [
                {"id": f"T{index}", "site": site, "diameter_mm": 20}
                for index, site in enumerate(["liver", "liver", "lung", "lung", "bone", "adrenal"])
            ],
        },
        "assessments": [],
    }
    path = tmp_path / "six.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError, match="5"):
        record_assessments(trial, "IMP-0009", path)


def test_an_assessment_for_a_patient_never_treated_is_refused(trial: Registry, tmp_path: Path) -> None:
    enrolled(trial, "IMP-0010")
    with pytest.raises(ConflictError, match="never treated"):
        record_assessments(trial, "IMP-0010", assessment_file(tmp_path, [scan(56, 25, 17)]))


def test_treatment_entries_are_checked_against_what_the_registry_knows(trial: Registry) -> None:
    enrolled(trial, "IMP-0011")
    with pytest.raises(InputError, match="before informed consent"):
        start_treatment(trial, "IMP-0011", start_date=CONSENT - timedelta(days=1), doses=BRAF_DOSES)
    with pytest.raises(InputError, match="no dose of trametinib"):
        start_treatment(trial, "IMP-0011", start_date=START, doses=BRAF_DOSES[:1])
    with pytest.raises(InputError, match="not a study drug"):
        start_treatment(trial, "IMP-0011", start_date=START, doses=(*BRAF_DOSES, DoseEntry("olaparib", 300, "mg")))
    start_treatment(trial, "IMP-0011", start_date=START, doses=BRAF_DOSES)
    with pytest.raises(ConflictError, match="started treatment"):
        start_treatment(trial, "IMP-0011", start_date=START, doses=BRAF_DOSES)
    with pytest.raises(InputError, match="not after cycle 1"):
        record_cycle(trial, "IMP-0011", start_date=START)
    with pytest.raises(InputError, match="needs the reason"):
        record_cycle(trial, "IMP-0011", start_date=START + timedelta(days=35), delay_days=7)
    with pytest.raises(InputError, match="needs its reason"):
        record_cycle(trial, "IMP-0011", start_date=START + timedelta(days=28), dose_change=DoseChange.REDUCED)
    record_cycle(
        trial,
        "IMP-0011",
        start_date=START + timedelta(days=35),
        doses=(DoseEntry("dabrafenib", 100, "mg"),),
        dose_change=DoseChange.REDUCED,
        dose_change_reason="grade 3 pyrexia",
        delay_days=7,
        delay_reason="pyrexia",
    )
    cycles = show_patient(trial, "IMP-0011")["treatment"]["cycles"]
    assert [item["dose"] for item in cycles[1]["doses"]] == [100, 2]
    with pytest.raises(ConflictError, match="already recorded"):
        record_cycle(trial, "IMP-0011", cycle_number=2, start_date=START + timedelta(days=36))
    corrected = record_cycle(
        trial, "IMP-0011", cycle_number=2, start_date=START + timedelta(days=36), correction_reason="typo"
    )
    assert corrected["corrected"] is True
    end_treatment(trial, "IMP-0011", end_date=START + timedelta(days=60), reason=EndReason.PROGRESSION)
    with pytest.raises(InputError, match="after the end of treatment"):
        record_cycle(trial, "IMP-0011", start_date=START + timedelta(days=63))
    with pytest.raises(InputError, match="in the future"):
        end_treatment(
            trial, "IMP-0011", end_date=NOW.date() + timedelta(days=1), reason=EndReason.OTHER, correction_reason="x"
        )


def test_adverse_events_are_ctcae_terms_with_a_relation_to_each_study_drug(trial: Registry) -> None:
    treated(trial, "IMP-0012")
    recorded = add_adverse_event(
        trial,
        "IMP-0012",
        term="fever",
        grade="2",
        serious=False,
        relations={"dabrafenib": "probable", "trametinib": "possible"},
        start_date=START + timedelta(days=10),
        end_date=START + timedelta(days=14),
        outcome="recovered",
    )
    assert (recorded["term"], recorded["meddra_code"], recorded["grade"]) == ("Fever", "10016558", 2)
    before = audit_trail(trial)
    for arguments, message in [
        ({"term": "Nausia"}, "did you mean 'Nausea'"),
        ({"grade": "6"}, "grade 6"),
        ({"relations": {"dabrafenib": "possible"}}, "trametinib"),
        ({"start_date": CONSENT - timedelta(days=2)}, "before informed consent"),
    ]:
        values: dict[str, Any] = {
            "term": "Nausea",
            "grade": "2",
            "serious": False,
            "relations": {"dabrafenib": "possible", "trametinib": "possible"},
            "start_date": START + timedelta(days=3),
            "outcome": "recovered",
            **arguments,
        }
        with pytest.raises(InputError, match=message):
            add_adverse_event(trial, "IMP-0012", **values)
    assert audit_trail(trial) == before
    corrected = add_adverse_event(
        trial,
        "IMP-0012",
        term="Fever",
        grade="3",
        serious=False,
        relations={"dabrafenib": "probable", "trametinib": "possible"},
        start_date=START + timedelta(days=10),
        outcome="recovered",
        corrects=recorded["id"],
        correction_reason="grade re-assessed",
    )
    events = show_patient(trial, "IMP-0012")["adverse_events"]
    assert [(item["id"], item["grade"]) for item in events] == [(corrected["id"], 3)]
    # The superseded entry and an id the patient never had cannot be corrected; nothing is written.
    before = audit_trail(trial)
    for stale in (recorded["id"], 999):
        with pytest.raises(InputError, match=f"no adverse event {stale} in force"):
            add_adverse_event(
                trial,
                "IMP-0012",
                term="Fever",
                grade="1",
                serious=False,
                relations={"dabrafenib": "probable", "trametinib": "possible"},
                start_date=START + timedelta(days=10),
                outcome="recovered",
                corrects=stale,
                correction_reason="again",
            )
    assert audit_trail(trial) == before


def test_a_computed_outcome_never_replaces_a_recorded_one_but_warns(trial: Registry, tmp_path: Path) -> None:
    treated(trial, "IMP-0013")
    record_outcome(trial, "IMP-0013", Outcome.NO_BENEFIT, entry_reason="external review")
    result = record_assessments(trial, "IMP-0013", assessment_file(tmp_path, [scan(56, 20, 14), scan(112, 19, 13)]))
    assert result["outcome"]["value"] == "no_benefit"
    assert result["outcome"]["computed"] == "benefit"
    assert "outcome record IMP-0013 --outcome benefit --correct" in result["warnings"][0]


def test_the_pfs_ratio_is_against_the_last_prior_line(trial: Registry, tmp_path: Path) -> None:
    enrolled(trial, "IMP-0014")
    record_prior_treatment(
        trial, "IMP-0014", regimen="FOLFOX", start_date=date(2023, 1, 10), progression_date=date(2023, 6, 1)
    )
    record_prior_treatment(
        trial, "IMP-0014", regimen="FOLFIRI", start_date=date(2023, 7, 1), progression_date=date(2023, 9, 8)
    )
    with pytest.raises(InputError, match="before the line's start"):
        record_prior_treatment(
            trial, "IMP-0014", regimen="x", start_date=date(2023, 7, 1), progression_date=date(2023, 6, 1)
        )
    start_treatment(trial, "IMP-0014", start_date=START, doses=BRAF_DOSES)
    with pytest.raises(InputError, match="not before the trial treatment"):
        record_prior_treatment(trial, "IMP-0014", regimen="late", start_date=START)
    # Progression on the trial at day 140 (PFS 141 days counting the start as day 1) against 70 days on
    # FOLFIRI (2023-07-01 to 2023-09-08, day 1 to day 70): ratio 141 / 70 = 2.01 >= 1.3.
    record_assessments(trial, "IMP-0014", assessment_file(tmp_path, [scan(56, 25, 17), scan(140, 40, 25)]))
    shown = show_patient(trial, "IMP-0014")
    assert [item["regimen"] for item in shown["prior_treatments"]] == ["FOLFOX", "FOLFIRI"]
    assert shown["pfs"]["days"] == 141
    assert shown["pfs_ratio"]["ratio"] == pytest.approx(141 / 70)
    assert shown["pfs_ratio"]["meets_threshold"] is True
