"""Best overall response, iRECIST, RANO/Lugano and the week-16 benefit, from the published rules.

RECIST 1.1 (Eisenhauer et al. 2009) sections 4.4.2 and 4.6, Table 3; iRECIST (Seymour et al. 2017);
DOMAIN.md section 5 for week 16 (day 98..126, target day 112) and iRECIST precedence.
"""

from __future__ import annotations

import pytest

from oncobasket.core.errors import InputError
from oncobasket.core.recist import Criteria, ResponseSettings
from oncobasket.core.response import evaluate
from recist_cases import baseline, record, visit

IR = Criteria.IRECIST
LIVER = baseline({"T1": ("liver", 50)})


def _liver(*days_and_sizes: tuple[int, float | None], new_on: int | None = None) -> object:
    return record(LIVER, *(visit(day, {"T1": size}, new=day == new_on) for day, size in days_and_sizes))


def bor(*days_and_sizes: tuple[int, float | None]) -> tuple[str, str]:
    best = evaluate(record(LIVER, *(visit(day, {"T1": size}) for day, size in days_and_sizes))).best_overall_response
    return best.unconfirmed, best.confirmed


# --- best overall response (RECIST 1.1 sections 4.4.2, 4.6; Table 3) ------------------------------------
# 50 mm baseline: 30 is PR (-40 %), 0 is CR, 45 is SD, a rise to >= nadir x 1.2 and +5 mm is PD.
@pytest.mark.parametrize(
    ("visits", "expected"),
    [
        (((56, 30), (84, 30)), ("PR", "PR")),  # PR then PR 28 days later: confirmed
        (((56, 30), (83, 30)), ("PR", "SD")),  # 27 days: not confirmed; SD at day 56 >= 42
        (((56, 0), (84, 0)), ("CR", "CR")),  # CR then CR
        (((56, 30), (84, 0)), ("CR", "PR")),  # Table 3: PR then CR -> PR
        (((56, 0), (70, 0)), ("CR", "SD")),  # CR not confirmed (14 days): SD, minimum met
        (((28, 30), (56, 50)), ("PR", "PD")),  # Table 3: PR then PD, SD minimum not met at day 28 -> PD
        (((56, 30), (84, 50)), ("PR", "SD")),  # Table 3: PR then PD, SD minimum met -> SD
        (((28, 30), (56, None)), ("PR", "NE")),  # Table 3: PR then NE, SD minimum not met -> NE
        (((30, 45), (60, 60)), ("PD", "PD")),  # SD too early, then PD
        (((30, 45),), ("NE", "NE")),  # SD too early, nothing else
        (((42, 45),), ("SD", "SD")),  # SD exactly at the minimum day 42
        (((41, 45),), ("NE", "NE")),  # one day short of the SD minimum
        (((56, 30), (70, None), (90, 30)), ("PR", "PR")),  # NE in between does not break confirmation
        (((56, 30), (70, 40), (90, 30)), ("PR", "SD")),  # SD in between breaks it
        (((56, 60), (84, 30), (112, 30)), ("PD", "PD")),  # nothing after the first PD counts
    ],
)
def test_best_overall_response(visits: tuple[tuple[int, float | None], ...], expected: tuple[str, str]) -> None:
    assert bor(*visits) == expected


def test_best_overall_response_without_assessments_is_ne() -> None:
    best = evaluate(record(LIVER)).best_overall_response
    assert (best.unconfirmed, best.confirmed) == ("NE", "NE")


def test_non_target_only_disease_best_response_is_non_cr_non_pd() -> None:
    base = baseline(non_targets={"NT1": "bone"})
    best = evaluate(record(base, visit(56, statuses={"NT1": "present"}))).best_overall_response
    assert (best.unconfirmed, best.confirmed) == ("NON-CR/NON-PD", "NON-CR/NON-PD")


def test_settings_change_confirmation_and_sd_minimum() -> None:
    strict = ResponseSettings(confirmation_min_days=35, sd_min_days=60)
    best = evaluate(record(LIVER, visit(56, {"T1": 30}), visit(84, {"T1": 30})), strict).best_overall_response
    assert (best.unconfirmed, best.confirmed) == ("PR", "SD")  # 28 < 35 days; SD at day 84 >= 60


def test_settings_refuse_a_target_day_outside_its_window() -> None:
    with pytest.raises(InputError, match="week16_target_day"):
        ResponseSettings(week16_target_day=130)


# --- week-16 benefit (DOMAIN.md section 5) --------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "benefit"),
    [(97, None), (98, True), (112, True), (126, True), (127, None)],
)
def test_week16_window_edges(day: int, benefit: bool | None) -> None:
    week16 = evaluate(record(LIVER, visit(day, {"T1": 45}))).week16
    assert week16.benefit is benefit
    assert week16.date == (None if benefit is None else week16.date)


def test_week16_progression_before_the_window_is_no_benefit() -> None:
    week16 = evaluate(record(LIVER, visit(56, {"T1": 70}), visit(112, {"T1": 30}))).week16
    assert week16.benefit is False
    assert week16.date is not None
    assert "before the week-16 window" in week16.reason


def test_week16_progression_in_the_window_is_no_benefit() -> None:
    assert evaluate(record(LIVER, visit(56, {"T1": 45}), visit(112, {"T1": 60}))).week16.benefit is False


def test_week16_nothing_in_the_window_is_not_yet_known() -> None:
    week16 = evaluate(record(LIVER, visit(56, {"T1": 45}))).week16
    assert week16.benefit is None
    assert "not yet known" in week16.reason
    skipped = evaluate(record(LIVER, visit(56, {"T1": 45}), visit(140, {"T1": 45}))).week16
    assert skipped.benefit is None
    assert "day 140" in skipped.reason


def test_week16_ne_in_the_window_is_not_known() -> None:
    week16 = evaluate(record(baseline({"T1": ("liver", 50), "T2": ("lung", 20)}), visit(112, {"T1": 40, "T2": None})))
    assert week16.week16.benefit is None
    assert "NE" in week16.week16.reason


def test_week16_ne_is_passed_over_for_an_evaluable_assessment_in_the_window() -> None:
    base = baseline({"T1": ("liver", 50), "T2": ("lung", 20)})
    week16 = evaluate(record(base, visit(112, {"T1": 40, "T2": None}), visit(124, {"T1": 40, "T2": 20}))).week16
    assert week16.benefit is True
    assert week16.date is not None
    assert (week16.date - record(base).treatment_start).days == 124


@pytest.mark.parametrize(
    ("days", "chosen_day"),
    [((100, 115), 115), ((105, 119), 105), ((98, 126), 98), ((111, 112, 113), 112)],
)
def test_week16_several_in_the_window_closest_to_day_112_decides(days: tuple[int, ...], chosen_day: int) -> None:
    visits = [visit(day, {"T1": 45}) for day in days]
    week16 = evaluate(record(LIVER, *visits)).week16
    assert week16.response == "SD"
    assert week16.date is not None
    assert (week16.date - record(LIVER).treatment_start).days == chosen_day
    assert "closest to day 112" in week16.reason


def test_week16_non_target_only_non_cr_non_pd_is_benefit() -> None:
    base = baseline(non_targets={"NT1": "bone"})
    assert evaluate(record(base, visit(112, statuses={"NT1": "present"}))).week16.benefit is True


# --- iRECIST (Seymour et al. 2017) ----------------------------------------------------------------------
def test_irecist_iupd_confirmed_as_icpd_at_the_next_assessment() -> None:
    result = evaluate(
        record(
            LIVER,
            visit(56, {"T1": 45}, entered=[(IR, "iSD")]),
            visit(84, {"T1": 70}, entered=[(IR, "iUPD")]),
            visit(112, {"T1": 80}, entered=[(IR, "iCPD")]),
        )
    )
    assert result.criteria is Criteria.IRECIST
    assert (result.best_overall_response.unconfirmed, result.best_overall_response.confirmed) == ("iSD", "iSD")
    assert result.week16.benefit is False
    assert result.week16.response == "iCPD"


def test_irecist_unconfirmed_iupd_before_the_window_is_not_progression() -> None:
    # RECIST alone would say PD at day 56 (no benefit); iRECIST takes precedence (DOMAIN.md section 5)
    result = evaluate(
        record(
            LIVER,
            visit(56, {"T1": 70}, entered=[(IR, "iUPD")]),
            visit(112, {"T1": 40}, entered=[(IR, "iSD")]),
        )
    )
    assert result.week16.benefit is True
    assert result.week16.criteria is Criteria.IRECIST
    assert result.best_by_criteria[Criteria.RECIST].confirmed == "PD"


def test_irecist_reset_then_new_iupd_needs_its_own_confirmation() -> None:
    result = evaluate(
        record(
            LIVER,
            visit(56, {"T1": 70}, entered=[(IR, "iUPD")]),
            visit(84, {"T1": 45}, entered=[(IR, "iSD")]),
            visit(112, {"T1": 70}, entered=[(IR, "iUPD")]),
        )
    )
    assert result.week16.benefit is None
    assert "awaiting confirmation" in result.week16.reason
    with pytest.raises(InputError, match="no unconfirmed iUPD"):
        evaluate(
            record(
                LIVER,
                visit(56, {"T1": 70}, entered=[(IR, "iUPD")]),
                visit(84, {"T1": 45}, entered=[(IR, "iSD")]),
                visit(112, {"T1": 80}, entered=[(IR, "iCPD")]),
            )
        )


def test_irecist_icpd_without_iupd_is_refused() -> None:
    with pytest.raises(InputError, match="iCPD"):
        evaluate(record(LIVER, visit(56, {"T1": 70}, entered=[(IR, "iCPD")])))


def test_irecist_derived_from_recist_where_not_entered() -> None:
    result = evaluate(
        record(
            LIVER,
            visit(56, {"T1": 30}, entered=[(IR, "iPR")]),
            visit(84, {"T1": 40}),  # RECIST PD (+10 mm, +33 % over nadir 30): iUPD
            visit(112, {"T1": 46}),  # further +6 mm since the iUPD: iCPD
        )
    )
    labels = [point.response for point in result.series[IR]]
    assert labels == ["iPR", "iUPD", "iCPD"]
    assert result.week16.benefit is False


def test_irecist_derived_reset_after_iupd() -> None:
    result = evaluate(
        record(
            LIVER,
            visit(56, {"T1": 70}, entered=[(IR, "iUPD")]),
            visit(84, {"T1": 30}),  # RECIST PR vs baseline: iPR resets
            visit(112, {"T1": 30}),
        )
    )
    assert [point.response for point in result.series[IR]] == ["iUPD", "iPR", "iPR"]
    assert result.best_overall_response.confirmed == "iPR"
    assert result.week16.benefit is True


def test_irecist_iupd_at_week16_followed_by_reset_is_no_benefit() -> None:
    result = evaluate(
        record(
            LIVER,
            visit(112, {"T1": 70}, entered=[(IR, "iUPD")]),
            visit(140, {"T1": 45}, entered=[(IR, "iSD")]),
        )
    )
    assert result.week16.benefit is False
    assert "resets the bar" in result.week16.reason


def test_irecist_stays_iupd_without_further_growth() -> None:
    result = evaluate(record(LIVER, visit(56, {"T1": 70}, entered=[(IR, "iUPD")]), visit(112, {"T1": 72})))
    assert [point.response for point in result.series[IR]] == ["iUPD", "iUPD"]
    assert result.best_overall_response.confirmed == "iUPD"
    assert result.week16.benefit is None


# --- RANO and Lugano, entered directly ------------------------------------------------------------------
def test_rano_entered_responses_decide_with_no_recist_lesions() -> None:
    rano = Criteria.RANO
    result = evaluate(
        record(
            baseline(),
            visit(56, entered=[(rano, "PR")]),
            visit(84, entered=[(rano, "PR")]),
            visit(112, entered=[(rano, "SD")]),
        )
    )
    assert result.criteria is rano
    assert (result.best_overall_response.unconfirmed, result.best_overall_response.confirmed) == ("PR", "PR")
    assert result.week16.benefit is True
    assert result.to_json()["time_points"][0]["overall_response"] == "PR"
    assert result.to_json()["time_points"][0]["criteria"] == "RANO"


def test_lugano_progression_before_week16() -> None:
    lugano = Criteria.LUGANO
    result = evaluate(record(baseline(), visit(56, entered=[(lugano, "PD")]), visit(112, entered=[(lugano, "SD")])))
    assert result.week16.benefit is False


def test_rano_missing_at_one_assessment_is_refused() -> None:
    with pytest.raises(InputError, match="no RANO response"):
        evaluate(record(baseline(), visit(56, entered=[(Criteria.RANO, "PR")]), visit(84)))


def test_two_criteria_for_one_patient_are_refused() -> None:
    with pytest.raises(InputError, match="one criteria"):
        evaluate(
            record(
                LIVER,
                visit(56, {"T1": 45}, entered=[(Criteria.RANO, "SD")]),
                visit(84, {"T1": 45}, entered=[(IR, "iSD")]),
            )
        )


def test_no_lesions_and_no_entered_responses_is_refused() -> None:
    with pytest.raises(InputError, match="no target and no non-target lesions"):
        evaluate(record(baseline(), visit(56)))


def test_baseline_long_before_treatment_is_a_warning() -> None:
    from dataclasses import replace

    early = replace(LIVER, date=LIVER.date.replace(month=1, day=1).replace(year=2025))
    assert evaluate(record(early, visit(56, {"T1": 45}))).warnings
    assert not evaluate(record(LIVER, visit(56, {"T1": 45}))).warnings


def test_irecist_increases_add_up_and_a_scan_too_early_does_not_confirm() -> None:
    result = evaluate(
        record(
            LIVER,
            visit(56, {"T1": 30}, entered=[(IR, "iPR")]),
            visit(84, {"T1": 40}),  # RECIST PD over the nadir 30: iUPD
            visit(98, {"T1": 50}),  # +10 mm but only 14 days later: too early, still iUPD
            visit(126, {"T1": 44}),  # +4 mm since the iUPD: not yet
            visit(154, {"T1": 46}),  # +6 mm in all since the iUPD: iCPD (EORTC Q&A: increases add up)
        )
    )
    assert [point.response for point in result.series[IR]] == ["iPR", "iUPD", "iUPD", "iUPD", "iCPD"]
    assert "too early" in result.series[IR][2].reasons[0]
