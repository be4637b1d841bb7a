"""Golden cases for treatment records and per-patient outcomes, written from the published rules.

Day numbers count the treatment start as day 1 (CDISC study day), so an event on day N is N days of PFS.
Rules: evaluability from the PRIME-ROSE/IMPRESS definition (DOMAIN.md section 5); PFS from the FDA 2018
guidance (Appendix 3, Table A) and iRECIST (Seymour et al. 2017); duration of response from RECIST 1.1
section 4.5; the PFS ratio from Von Hoff et al. 2010.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncobasket.core.errors import InputError
from oncobasket.core.outcomes import (
    OutcomeSettings,
    ResponseAssessment,
    TimePointResponse,
    duration_of_benefit,
    duration_of_response,
    evaluability,
    overall_survival,
    pfs_ratio,
    progression_free_survival,
    time_on_treatment,
)
from oncobasket.core.treatment import (
    AdministrationRoute,
    Cycle,
    DoseChange,
    DrugAdministration,
    EndOfTreatment,
    EndReason,
    FollowUpContact,
    TreatmentRecord,
    VitalStatus,
)

START = date(2026, 1, 5)


def day(number: int) -> date:
    """The date of study day ``number`` (day 1 is the treatment start)."""
    return START + timedelta(days=number - 1)


ORAL = (DrugAdministration("olaparib", 300, "mg", AdministrationRoute.ORAL),)
INTRAVENOUS = (DrugAdministration("atezolizumab", 1200, "mg", AdministrationRoute.INTRAVENOUS),)


def record(
    *cycle_days: int,
    drugs: tuple[DrugAdministration, ...] = ORAL,
    end: tuple[int, EndReason] | None = None,
    death: int | None = None,
    follow_up: tuple[tuple[int, VitalStatus], ...] = (),
    lost: bool = False,
) -> TreatmentRecord:
    return TreatmentRecord(
        cycles=tuple(Cycle(number, day(start), drugs) for number, start in enumerate(cycle_days or (1,), start=1)),
        end=None if end is None else EndOfTreatment(day(end[0]), end[1]),
        follow_up=tuple(FollowUpContact(day(when), status) for when, status in follow_up),
        death_date=None if death is None else day(death),
        lost_to_follow_up=lost,
    )


def series(*items: tuple[int, str]) -> list[ResponseAssessment]:
    return [ResponseAssessment.of(day(when), response) for when, response in items]


# --- evaluability -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end_day", "expected", "days"),
    [(28, True, 28), (27, False, 27)],
)
def test_oral_evaluable_after_28_days(end_day: int, expected: bool, days: int) -> None:
    result = evaluability(record(1, end=(end_day, EndReason.TOXICITY)))
    assert (result.evaluable, result.rule, result.days, result.required) == (expected, "oral", days, 28)


@pytest.mark.parametrize(("as_of_day", "expected"), [(27, None), (28, True)])
def test_oral_ongoing_is_not_yet_known_before_day_28(as_of_day: int, expected: bool | None) -> None:
    assert evaluability(record(1), as_of=day(as_of_day)).evaluable is expected


def test_oral_ongoing_needs_the_cut_off() -> None:
    with pytest.raises(InputError) as raised:
        evaluability(record(1))
    assert raised.value.field == "as_of"


def test_oral_death_without_end_ends_the_count() -> None:
    assert evaluability(record(1, death=20)).evaluable is False


@pytest.mark.parametrize(
    ("second_cycle_day", "ended", "expected"),
    [(22, True, True), (21, True, False), (21, False, None)],
)
def test_intravenous_needs_21_days_between_cycle_starts(
    second_cycle_day: int, ended: bool, expected: bool | None
) -> None:
    # Cycle 2 on day 22 starts 21 days after cycle 1; on day 21 only 20 days after.
    end = (second_cycle_day + 5, EndReason.PROGRESSION) if ended else None
    result = evaluability(record(1, second_cycle_day, drugs=INTRAVENOUS, end=end))
    assert (result.evaluable, result.rule) == (expected, "cycle_starts")
    assert result.days == second_cycle_day - 1


def test_intravenous_single_cycle_then_end_is_not_evaluable() -> None:
    result = evaluability(record(1, drugs=INTRAVENOUS, end=(40, EndReason.TOXICITY)))
    assert result.evaluable is False
    assert "cycle 1 alone" in result.reason


def test_weekly_cycles_count_from_the_first_to_the_latest_start() -> None:
    assert evaluability(record(1, 8, 15, 22, drugs=INTRAVENOUS)).evaluable is True


def test_combination_with_an_intravenous_drug_uses_cycle_starts() -> None:
    mixed = (ORAL[0], DrugAdministration("trastuzumab", 6, "mg/kg", AdministrationRoute.INTRAVENOUS))
    assert evaluability(record(1, drugs=mixed, end=(60, EndReason.TOXICITY))).rule == "cycle_starts"
    subcutaneous = (DrugAdministration("pertuzumab", 600, "mg", AdministrationRoute.SUBCUTANEOUS),)
    assert evaluability(record(1, 22, drugs=subcutaneous)).evaluable is True


def test_evaluability_settings_are_configurable() -> None:
    settings = OutcomeSettings(oral_minimum_days=21, cycle_start_minimum_days=14)
    assert evaluability(record(1, end=(21, EndReason.TOXICITY)), settings=settings).evaluable is True
    assert evaluability(record(1, 15, drugs=INTRAVENOUS), settings=settings).evaluable is True


# --- PFS ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessments", "death", "end_day", "event", "reason_part"),
    [
        # first PD is the event
        (((57, "SD"), (113, "PD"), (169, "PD")), None, 113, True, "PD"),
        # no progression: censored at the last adequate assessment
        (((57, "SD"), (113, "PR")), None, 113, False, "last adequate"),
        # NE is not adequate: censored at the SD before it
        (((57, "SD"), (113, "NE")), None, 57, False, "last adequate"),
        # NON-CR/NON-PD (non-target disease only) is adequate
        (((57, "NON-CR/NON-PD"),), None, 57, False, "last adequate"),
        # no post-baseline assessment: censored at day 1
        ((), None, 1, False, "day 1"),
        # death before any assessment is an event (Table A)
        ((), 40, 40, True, "death"),
        # death without progression is an event
        (((57, "SD"),), 90, 90, True, "death"),
        # progression before death: the progression date
        (((57, "PD"),), 90, 57, True, "PD"),
    ],
)
def test_pfs_rules(
    assessments: tuple[tuple[int, str], ...], death: int | None, end_day: int, event: bool, reason_part: str
) -> None:
    result = progression_free_survival(record(1, death=death), series(*assessments))
    assert (result.end, result.days, result.event) == (day(end_day), end_day, event)
    assert reason_part in result.reason


def test_pfs_new_anticancer_therapy_censors_at_the_last_assessment_before_it() -> None:
    result = progression_free_survival(
        record(1, end=(115, EndReason.TOXICITY), death=300),
        series((57, "SD"), (113, "SD"), (150, "PD")),
        new_anticancer_therapy=day(120),
    )
    assert (result.end, result.event) == (day(113), False)
    assert "new anticancer therapy" in result.reason


@pytest.mark.parametrize(("death_day", "event"), [(57 + 112, True), (57 + 113, False)])
def test_pfs_death_after_two_missed_assessments_is_censored(death_day: int, event: bool) -> None:
    settings = OutcomeSettings(missed_assessment_interval_days=56)
    result = progression_free_survival(record(1, death=death_day), series((57, "SD")), settings=settings)
    assert result.event is event
    assert result.end == (day(death_day) if event else day(57))


def test_irecist_confirmed_progression_dates_from_the_first_iupd() -> None:
    result = progression_free_survival(record(1), series((57, "iSD"), (113, "iUPD"), (141, "iUPD"), (169, "iCPD")))
    assert (result.end, result.event) == (day(113), True)
    assert "Seymour" in result.reason


def test_irecist_an_isd_after_iupd_resets_the_bar() -> None:
    result = progression_free_survival(record(1), series((57, "iUPD"), (85, "iSD"), (141, "iUPD"), (169, "iCPD")))
    assert result.end == day(141)


def test_irecist_unconfirmed_iupd_while_treated_is_censored_before_it() -> None:
    result = progression_free_survival(record(1), series((57, "iPR"), (113, "iUPD")))
    assert (result.end, result.event) == (day(57), False)
    assert "awaiting confirmation" in result.reason


def test_irecist_unconfirmed_iupd_after_treatment_ended_is_progression() -> None:
    result = progression_free_survival(record(1, end=(120, EndReason.PROGRESSION)), series((57, "iPR"), (113, "iUPD")))
    assert (result.end, result.event) == (day(113), True)


@pytest.mark.parametrize(
    ("assessments", "rule"),
    [
        (((57, "iCPD"),), "iCPD without an earlier iUPD"),
        (((57, "SD"), (113, "iUPD")), "mixed"),
        (((1, "SD"),), "on or before the treatment start"),
        (((57, "SD"), (57, "PD")), "same date"),
    ],
)
def test_pfs_bad_series_are_refused(assessments: tuple[tuple[int, str], ...], rule: str) -> None:
    with pytest.raises(InputError, match=rule):
        progression_free_survival(record(1), series(*assessments))


def test_new_anticancer_therapy_before_the_study_treatment_is_refused() -> None:
    with pytest.raises(InputError) as raised:
        progression_free_survival(record(1), series((57, "SD")), new_anticancer_therapy=day(1))
    assert raised.value.field == "new_anticancer_therapy"


def test_assessment_after_death_is_refused() -> None:
    with pytest.raises(InputError, match="after the death date"):
        progression_free_survival(record(1, death=50), series((57, "SD")))


def test_unknown_response_category_names_the_choices() -> None:
    with pytest.raises(InputError, match="use one of CR, PR"):
        ResponseAssessment.of(day(57), "MR")


# --- OS, time on treatment, durations -----------------------------------------------------------------------


def test_os_death_is_the_event() -> None:
    result = overall_survival(record(1, end=(100, EndReason.DEATH), death=100))
    assert (result.days, result.event) == (100, True)


def test_os_censored_at_the_last_date_known_alive() -> None:
    alive = record(1, 22, end=(60, EndReason.PROGRESSION), follow_up=((120, VitalStatus.ALIVE),))
    assert (overall_survival(alive).end, overall_survival(alive).event) == (day(120), False)
    assert overall_survival(alive, known_alive=[day(150)]).end == day(150)
    lost = record(1, end=(30, EndReason.LOST_TO_FOLLOW_UP), lost=True)
    assert "lost to follow-up" in overall_survival(lost).reason
    assert overall_survival(lost).end == day(30)


def test_time_on_treatment() -> None:
    ended = time_on_treatment(record(1, 22, end=(43, EndReason.PROGRESSION)))
    assert (ended.days, ended.event) == (43, True)
    ongoing = time_on_treatment(record(1, 22), as_of=day(50))
    assert (ongoing.days, ongoing.event) == (50, False)
    with pytest.raises(InputError):
        time_on_treatment(record(1, 22))


def test_duration_of_response_from_first_response_to_progression() -> None:
    result = duration_of_response(record(1), series((57, "SD"), (113, "PR"), (141, "PR"), (169, "PD")))
    assert result is not None
    assert (result.start, result.end, result.days, result.event) == (day(113), day(169), 57, True)
    assert duration_of_response(record(1), series((57, "SD"), (113, "PD"))) is None
    censored = duration_of_response(record(1), series((57, "CR"), (113, "CR")))
    assert censored is not None
    assert (censored.days, censored.event) == (57, False)


def test_duration_of_benefit_only_for_patients_with_benefit() -> None:
    pfs = progression_free_survival(record(1), series((57, "SD"), (113, "SD"), (169, "PD")))
    benefit = duration_of_benefit(pfs, benefit=True)
    assert benefit is not None
    assert (benefit.days, benefit.event) == (169, True)
    assert duration_of_benefit(pfs, benefit=False) is None
    assert duration_of_benefit(pfs, benefit=None) is None


# --- PFS ratio ------------------------------------------------------------------------------------------------

PRIOR = {"prior_line_start": date(2025, 6, 1), "prior_line_progression": date(2025, 9, 8)}  # day 100


@pytest.mark.parametrize(
    ("pd_day", "meets"),
    [(130, True), (129, False)],
)
def test_pfs_ratio_at_exactly_the_threshold(pd_day: int, meets: bool) -> None:
    pfs = progression_free_survival(record(1), series((57, "SD"), (pd_day, "PD")))
    result = pfs_ratio(pfs, **PRIOR)
    assert result.prior_days == 100
    assert result.meets_threshold is meets
    assert result.ratio == pytest.approx(pd_day / 100)


def test_pfs_ratio_censored_below_threshold_is_not_yet_known() -> None:
    pfs = progression_free_survival(record(1), series((57, "SD")))
    assert pfs_ratio(pfs, **PRIOR).meets_threshold is None
    above = progression_free_survival(record(1), series((57, "SD"), (141, "SD")))
    assert pfs_ratio(above, **PRIOR).meets_threshold is True


def test_pfs_ratio_guards() -> None:
    pfs = progression_free_survival(record(1), series((57, "SD")))
    with pytest.raises(InputError, match="before its start"):
        pfs_ratio(pfs, prior_line_start=date(2025, 9, 8), prior_line_progression=date(2025, 6, 1))
    with pytest.raises(InputError, match="after the study treatment started"):
        pfs_ratio(pfs, prior_line_start=date(2025, 6, 1), prior_line_progression=day(10))


# --- record guards --------------------------------------------------------------------------------------------


def _cycle(number: int, start_day: int, **changes: object) -> Cycle:
    return Cycle(number, day(start_day), ORAL, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "rule"),
    [
        (lambda: TreatmentRecord(cycles=()), "at least cycle 1"),
        (lambda: TreatmentRecord(cycles=(_cycle(2, 1),)), "first cycle recorded is cycle 2"),
        (lambda: TreatmentRecord(cycles=(_cycle(1, 1), _cycle(1, 22))), "recorded twice"),
        (lambda: TreatmentRecord(cycles=(_cycle(1, 1), _cycle(3, 22), _cycle(2, 43))), "jump"),
        (lambda: TreatmentRecord(cycles=(_cycle(1, 1), _cycle(2, 22), _cycle(1, 43))), "out of order"),
        (lambda: TreatmentRecord(cycles=(_cycle(1, 1), _cycle(2, 1))), "same date"),
        (lambda: TreatmentRecord(cycles=(_cycle(1, 22), _cycle(2, 1))), "starts before"),
        (lambda: record(1, end=(-5, EndReason.TOXICITY)), "end of treatment is before the treatment start"),
        (lambda: record(1, 22, end=(10, EndReason.TOXICITY)), "starts after the end of treatment"),
        (lambda: record(1, end=(10, EndReason.DEATH)), "no death date"),
        (lambda: record(1, death=-3), "death date is before the treatment start"),
        (lambda: record(1, 22, death=15), "starts after the death date"),
        (lambda: record(1, end=(40, EndReason.TOXICITY), death=30), "end of treatment is after the death date"),
        (lambda: record(1, death=30, follow_up=((40, VitalStatus.ALIVE),)), "alive after the death date"),
        (lambda: record(1, follow_up=((40, VitalStatus.DEAD),)), "no death date"),
        (lambda: record(1, follow_up=((-2, VitalStatus.ALIVE),)), "before the treatment start"),
        (
            lambda: record(1, follow_up=((40, VitalStatus.ALIVE), (40, VitalStatus.ALIVE))),
            "same date",
        ),
        (lambda: _cycle(1, 1, dose_change=DoseChange.REDUCED), "needs its reason"),
        (lambda: _cycle(1, 1, delay_days=7), "delay's reason"),
        (lambda: _cycle(1, 1, delay_days=-1), "delay is a whole number"),
        (lambda: DrugAdministration("olaparib", 0, "mg", AdministrationRoute.ORAL), "dose is a number above 0"),
        (lambda: Cycle(1, START, ()), "at least one study drug"),
        (lambda: OutcomeSettings(oral_minimum_days=0), "days >= 1"),
        (lambda: OutcomeSettings(pfs_ratio_threshold=0), "above 0"),
    ],
)
def test_bad_records_are_refused(build: object, rule: str) -> None:
    with pytest.raises(InputError, match=rule):
        build()  # type: ignore[operator]


def test_a_valid_record_with_changes_and_delays() -> None:
    cycles = (
        _cycle(1, 1),
        _cycle(2, 29, dose_change=DoseChange.REDUCED, dose_change_reason="grade 3 anaemia"),
        _cycle(3, 64, delay_days=7, delay_reason="neutropenia"),
    )
    treated = TreatmentRecord(cycles=cycles, end=EndOfTreatment(day(90), EndReason.PROGRESSION))
    assert treated.start == START
    assert treated.routes == {AdministrationRoute.ORAL}
    assert treated.last_known_alive == day(90)


# --- properties -----------------------------------------------------------------------------------------------

responses = st.sampled_from([item.value for item in TimePointResponse if not item.is_irecist])


@given(
    st.lists(st.tuples(st.integers(min_value=2, max_value=400), responses), max_size=8, unique_by=lambda x: x[0]),
    st.one_of(st.none(), st.integers(min_value=1, max_value=500)),
)
def test_pfs_never_outlasts_os(items: list[tuple[int, str]], death: int | None) -> None:
    if death is not None:
        items = [item for item in items if item[0] <= death]
    treated = record(1, death=death)
    assessments = series(*items)
    pfs = progression_free_survival(treated, assessments)
    survival = overall_survival(treated, known_alive=[item.date for item in assessments])
    assert pfs.days <= survival.days
    assert pfs.days >= 1
    if survival.event and not pfs.event:
        # A death censors PFS only through a progression-free censoring, never after the death.
        assert pfs.end <= survival.end


@given(st.lists(st.tuples(st.integers(min_value=2, max_value=400), responses), max_size=8, unique_by=lambda x: x[0]))
def test_a_later_progression_never_shortens_pfs(items: list[tuple[int, str]]) -> None:
    base = progression_free_survival(record(1), series(*items))
    later = max([when for when, _ in items], default=1) + 30
    extended = progression_free_survival(record(1), series(*items, (later, "PD")))
    assert extended.days >= base.days
