"""Pure checks of what coordinators type: laboratory values (one parser for `patient add`, `patient update` and
`match`), prior therapies, the patient update form, and the cohort state machine's refusals, each of which says
what to do."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncobasket.core import cohorts
from oncobasket.core.cohorts import Outcome, TwoStageRule
from oncobasket.core.errors import ConflictError, InputError
from oncobasket.core.matching import LAB_NAMES
from oncobasket.core.registry import (
    PatientUpdate,
    check_lab,
    parse_lab,
    parse_labs,
    parse_prior_therapies,
)


def test_every_lab_name_the_matcher_reads_is_accepted() -> None:
    typed = [f"{name.upper()}=1.5" for name in LAB_NAMES]
    assert dict(parse_labs(typed)) == dict.fromkeys(LAB_NAMES, 1.5)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("platelet=200", "field '--lab': 'platelet' is not a laboratory name the eligibility criteria use; "
                         "did you mean platelets? use one of anc (10^9/L), platelets (10^9/L)"),
        ("sodium=140", "'sodium' is not a laboratory name the eligibility criteria use; use one of anc"),
        ("anc=-5", "field '--lab': anc = -5 is negative; a laboratory value is 0 or more; give the measured value in "
                   "10^9/L (check the sign)"),
        ("anc=-0.1", "anc = -0.1 is negative"),
        ("anc=nan", "field '--lab': anc = nan is not a finite number; give the measured value in 10^9/L"),
        ("anc=inf", "anc = inf is not a finite number"),
        ("anc=-inf", "anc = -inf is not a finite number"),
        ("anc:1.5", "field '--lab': 'anc:1.5' is not a laboratory value; write it as name=value"),
        ("anc=", "'anc=' is not a laboratory value"),
        ("=1.5", "'=1.5' is not a laboratory value"),
        ("anc=1.5=2", "'anc=1.5=2' is not a laboratory value"),
        ("anc=high", "'high' in 'anc=high' is not a number"),
    ],
)  # fmt: skip
def test_malformed_or_impossible_lab_values_name_the_field_the_rule_and_the_fix(typed: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_lab(typed)
    assert message in str(refused.value)
    assert str(refused.value).startswith("field '--lab': ")


def test_zero_is_a_measured_value() -> None:
    assert parse_lab("anc=0") == ("anc", 0.0)
    assert parse_lab(" creatinine_clearance=12.5 ") == ("creatinine_clearance", 12.5)


def test_a_lab_given_twice_is_refused() -> None:
    with pytest.raises(InputError, match="laboratory value 'anc' is given twice; give each value once"):
        parse_labs(["anc=1", "ANC=2"])


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_lab_value_is_accepted_exactly_when_it_is_finite_and_not_negative(value: float) -> None:
    if math.isfinite(value) and value >= 0:
        check_lab("platelets", value)
    else:
        with pytest.raises(InputError, match="field '--lab': platelets = "):
            check_lab("platelets", value)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (None, None),
        ([], None),
        (["none"], ()),
        (["NONE"], ()),
        (["Olaparib", "olaparib", " carboplatin"], ("olaparib", "carboplatin")),
    ],
)
def test_prior_therapies_are_unknown_none_or_named(typed: list[str] | None, stored: tuple[str, ...] | None) -> None:
    assert parse_prior_therapies(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (["none", "olaparib"], "'none' cannot be given with other prior therapies"),
        (["  "], "a prior therapy name is empty"),
    ],
)
def test_malformed_prior_therapies_are_refused(typed: list[str], message: str) -> None:
    with pytest.raises(InputError, match=f"field '--prior-therapy': {message}"):
        parse_prior_therapies(typed)


def test_an_update_merges_labs_and_replaces_prior_therapies() -> None:
    current = {
        "ecog": 1,
        "labs": {"anc": 1.8, "platelets": 210.0},
        "prior_lines": 2,
        "prior_therapies": ["gemcitabine"],
    }
    update = PatientUpdate(
        study_id="IMP-0001", labs=MappingProxyType({"anc": 0.9}), prior_therapies=("gemcitabine", "cisplatin")
    )
    assert update.applied_to(current) == {
        "ecog": 1,
        "labs": {"anc": 0.9, "platelets": 210.0},
        "prior_lines": 2,
        "prior_therapies": ["gemcitabine", "cisplatin"],
    }
    assert current["labs"] == {"anc": 1.8, "platelets": 210.0}
    assert PatientUpdate(study_id="IMP-0001", prior_therapies=()).applied_to(current)["prior_therapies"] == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "no new value is given: an update changes --ecog, --lab, --prior-lines or --prior-therapy; give at least"),
        ({"reason": "re-assessed"}, "no new value is given"),
        ({"ecog": 6}, "field '--ecog': ECOG 6 is outside 0-5"),
        ({"ecog": -1}, "field '--ecog': ECOG -1 is outside 0-5"),
        ({"prior_lines": -1}, "field '--prior-lines': -1 prior lines is negative"),
        ({"labs": MappingProxyType({"anc": -5.0})}, "field '--lab': anc = -5 is negative"),
        ({"labs": MappingProxyType({"platelet": 200.0})}, "'platelet' is not a laboratory name"),
        ({"ecog": 1, "reason": "   "}, "field '--reason': the reason is empty"),
        ({"ecog": 1, "study_id": "01019012345"}, "field 'STUDY_ID': looks like a national identity number"),
    ],
)
def test_malformed_updates_are_refused_before_anything_is_read(values: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"study_id": "IMP-0001", **values}
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        PatientUpdate(**arguments)
    assert "01019012345" not in str(refused.value)


# ---------------------------------------------------------------------------------------------
# The state machine's refusals: each names the rule and what to do
# ---------------------------------------------------------------------------------------------

RULE = TwoStageRule(r1=0, n1=2, r=1, n=4)


def _full_stage1() -> cohorts.CohortState:
    state = cohorts.new_cohort(RULE)
    for _ in range(2):
        state, _ = cohorts.enrol(state)
    return state


def _states() -> dict[str, cohorts.CohortState]:
    stage1_full = _full_stage1()
    futility = stage1_full
    for index in range(2):
        futility, _ = cohorts.record_outcome(futility, index, Outcome.NO_BENEFIT)
    stage2 = cohorts.record_outcome(stage1_full, 0, Outcome.BENEFIT)[0]
    stage2 = cohorts.enrol(cohorts.enrol(stage2)[0])[0]
    promising = cohorts.record_outcome(stage2, 2, Outcome.BENEFIT)[0]
    negative = stage2
    for index in (1, 2, 3):
        negative = cohorts.record_outcome(negative, index, Outcome.NO_BENEFIT)[0]
    expansion = cohorts.open_expansion(promising, 1)[0]
    expansion = cohorts.enrol(expansion)[0]
    return {
        "stage1_full": stage1_full,
        "stage2_full": stage2,
        "suspended": cohorts.suspend(cohorts.new_cohort(RULE), "safety review")[0],
        "promising": promising,
        "closed_futility": futility,
        "closed_negative": negative,
        "expansion": expansion,
    }


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("stage1_full", ["stage 1 is full", "2 patients of stage 1 are evaluated at week 16",
                         "the protocol's two-stage rule 0/2, 1/4, after Simon 1989; DOMAIN.md section 3",
                         "record their tumour assessments (`oncobasket assess`), which compute the week-16 outcomes",
                         "enrolment reopens when stage 2 opens (1 or more stage-1 benefits)"]),
        ("stage2_full", ["stage 2 is full: all 4 places are taken", "`oncobasket assess`"]),
        ("suspended", ["the cohort is suspended (safety review); resume it first with `oncobasket cohort resume`"]),
        ("promising", ["promising: open an expansion cohort", "`oncobasket cohort expand`"]),
        ("closed_futility", ["closed for futility (0 benefits in stage 1, r1 = 0)", "never reopens",
                             "decision B, C or D", "`oncobasket not-treated`"]),
        ("closed_negative", ["closed as negative", "never reopens", "decision B, C or D"]),
        ("expansion", ["the expansion cohort is full: its 1 places are taken", "take the case back"]),
    ],
)  # fmt: skip
def test_every_refusal_to_enrol_names_the_rule_and_what_to_do(status: str, words: list[str]) -> None:
    state = _states()[status]
    assert state.status == status
    with pytest.raises(ConflictError) as refused:
        cohorts.enrol(state)
    assert str(refused.value) == cohorts.refusal(state)
    for word in words:
        assert word in str(refused.value)


def test_an_open_cohort_has_no_refusal() -> None:
    assert cohorts.refusal(cohorts.new_cohort(RULE)) is None


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (lambda s: cohorts.suspend(cohorts.suspend(s, "a")[0], "b"), "resume it with `oncobasket cohort resume`"),
        (cohorts.resume, "there is nothing to resume"),
        (cohorts.open_expansion, "an expansion opens once the two-stage rule finds the cohort promising"),
        (lambda s: cohorts.record_outcome(cohorts.record_outcome(cohorts.enrol(s)[0], 0, Outcome.BENEFIT)[0], 0,
                                          Outcome.NO_BENEFIT), "`oncobasket outcome record --correct --reason TEXT`"),
    ],
)  # fmt: skip
def test_other_state_machine_conflicts_say_what_to_do(
    step: Callable[[cohorts.CohortState], object], words: str
) -> None:
    with pytest.raises(ConflictError) as refused:
        step(cohorts.new_cohort(RULE))
    assert words in str(refused.value)


def test_closed_cohorts_refuse_suspension_and_pooled_counts_with_the_reason() -> None:
    closed = _states()["closed_futility"]
    with pytest.raises(ConflictError, match="cannot be suspended; a closed cohort takes no patients"):
        cohorts.suspend(closed, "review")
    with pytest.raises(ConflictError, match="its decision is taken and later counts cannot change it"):
        cohorts.add_pooled(closed, cohorts.PooledCount(source="DRUP", evaluable=2, benefit=1))
