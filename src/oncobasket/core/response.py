"""Best overall response, the week-16 clinical benefit and the evaluation of one patient's assessments.

Sources: Eisenhauer et al., Eur J Cancer 2009;45:228-247 (RECIST 1.1) sections 4.4.2 and 4.6 with Table 3;
Seymour et al., Lancet Oncol 2017;18:e143-e152 (iRECIST); DOMAIN.md section 5 (IMPRESS / PRIME-ROSE
definitions: benefit at week 16, iRECIST precedence, RANO and Lugano).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from oncobasket.core.errors import InputError
from oncobasket.core.irecist import irecist_time_points
from oncobasket.core.recist import (
    AssessmentRecord,
    Criteria,
    ResponseSettings,
    TimePoint,
    recist_time_points,
)
from oncobasket.core.response_series import (
    DISEASE_CONTROL,
    LABEL_CATEGORIES,
    Category,
    JudgedTimePoint,
    Vocabulary,
    vocabulary,
)

#: RECIST 1.1 section 3.2.1: baseline "never more than 4 weeks before the beginning of the treatment".
BASELINE_MAX_DAYS_BEFORE_START = 28


@dataclass(frozen=True)
class BestOverallResponse:
    """Best overall response, unconfirmed and confirmed, with every step's reason."""

    criteria: Criteria
    unconfirmed: str
    confirmed: str
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "criteria": str(self.criteria),
            "unconfirmed": self.unconfirmed,
            "confirmed": self.confirmed,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Week16Benefit:
    """Clinical benefit at week 16: True, False, or None while not known, with the deciding date and why."""

    benefit: bool | None
    date: dt.date | None
    reason: str
    criteria: Criteria
    response: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "benefit": self.benefit,
            "date": None if self.date is None else self.date.isoformat(),
            "reason": self.reason,
            "criteria": str(self.criteria),
            "response": self.response,
        }


def _until_first_progression(series: Sequence[JudgedTimePoint]) -> tuple[list[JudgedTimePoint], str | None]:
    kept = []
    for point in series:
        kept.append(point)
        if point.category is Category.PROGRESSION:
            left = len(series) - len(kept)
            note = (
                f"{left} time point(s) after the progression of {point.date} not considered (RECIST 1.1 4.4.2)"
                if left
                else None
            )
            return kept, note
    return kept, None


def _confirmed_by(
    series: Sequence[JudgedTimePoint], index: int, allowed: frozenset[Category], settings: ResponseSettings
) -> JudgedTimePoint | None:
    """The later time point that confirms ``series[index]``, or None (RECIST 1.1 section 4.6).

    The confirming assessment is >= ``confirmation_min_days`` later with a response in ``allowed``; NE time
    points in between are passed over, any other response in between breaks the confirmation.
    """
    first = series[index]
    for later in series[index + 1 :]:
        if later.category is Category.NOT_EVALUABLE:
            continue
        if later.category not in allowed:
            return None
        if later.day - first.day >= settings.confirmation_min_days:
            return later
    return None


def best_overall_response(
    series: Sequence[JudgedTimePoint], words: Vocabulary, settings: ResponseSettings
) -> BestOverallResponse:
    """Best overall response, unconfirmed and confirmed (RECIST 1.1 sections 4.4.2 and 4.6, Table 3).

    - Only time points up to the first (confirmed) progression count (section 4.4.2); iRECIST's iUPD does
      not end the series (Seymour 2017).
    - SD (and NON-CR/NON-PD, iSD) counts only at or after ``sd_min_days`` from treatment start (section 4.6).
    - Unconfirmed: the best time point (CR > PR > SD).
    - Confirmed: CR needs a later CR >= ``confirmation_min_days`` after it; PR needs a later PR or CR (PR then
      CR confirms PR; CR then PR is PR, Table 3 footnote a); a response not confirmed counts as SD when it
      meets the SD minimum (Table 3: "SD provided minimum criteria for SD duration met").
    - Otherwise PD when progression was seen (Table 3 "otherwise PD"), iUPD when only unconfirmed
      progression was, else NE.
    """
    kept, cut_note = _until_first_progression(series)
    reasons = [cut_note] if cut_note else []
    if not kept:
        reasons.append("no follow-up assessment")
        return BestOverallResponse(words.criteria, words.not_evaluable, words.not_evaluable, tuple(reasons))
    order = {Category.COMPLETE: 3, Category.PARTIAL: 2, Category.STABLE: 1}

    def counts(point: JudgedTimePoint) -> bool:
        return point.category in (Category.COMPLETE, Category.PARTIAL) or (
            point.category is Category.STABLE and point.day >= settings.sd_min_days
        )

    for point in kept:
        if point.category is Category.STABLE and point.day < settings.sd_min_days:
            reasons.append(
                f"{point.response} on {point.date} (day {point.day}) is before the SD minimum of day "
                f"{settings.sd_min_days} (RECIST 1.1 section 4.6)"
            )
    fallback = _no_response(kept, words)
    candidates = [point for point in kept if counts(point)]
    if candidates:
        best = max(candidates, key=lambda point: (order[point.category], -point.day))
        unconfirmed = best.response
        reasons.append(f"unconfirmed {unconfirmed}: best time point {best.date} (day {best.day})")
    else:
        unconfirmed = fallback
        reasons.append(f"unconfirmed {unconfirmed}: no time point with CR, PR or SD meeting the SD minimum")

    confirmed: str | None = None
    for wanted, allowed, label in (
        (frozenset({Category.COMPLETE}), frozenset({Category.COMPLETE}), words.complete),
        (
            frozenset({Category.COMPLETE, Category.PARTIAL}),
            frozenset({Category.COMPLETE, Category.PARTIAL}),
            words.partial,
        ),
    ):
        for index, point in enumerate(kept):
            if point.category not in wanted:
                continue
            confirming = _confirmed_by(kept, index, allowed, settings)
            if confirming is not None:
                confirmed = label
                reasons.append(
                    f"confirmed {label}: {point.response} on {point.date} confirmed by {confirming.response} on "
                    f"{confirming.date}, {confirming.day - point.day} days later (>= "
                    f"{settings.confirmation_min_days}; RECIST 1.1 section 4.6, Table 3)"
                )
                break
        if confirmed is not None:
            break
    if confirmed is None:
        unconfirmed_responses = [p for p in kept if p.category in (Category.COMPLETE, Category.PARTIAL)]
        if unconfirmed_responses:
            reasons.append(
                "no CR or PR confirmed by a later assessment >= "
                f"{settings.confirmation_min_days} days after it (RECIST 1.1 section 4.6)"
            )
        # Table 3: a response not confirmed is SD "provided minimum criteria for SD duration met".
        stable = [p for p in kept if p.category in DISEASE_CONTROL and p.day >= settings.sd_min_days]
        if stable:
            confirmed = words.stable
            reasons.append(
                f"confirmed {confirmed}: {stable[0].response} on {stable[0].date} (day {stable[0].day}) meets the "
                f"SD minimum of day {settings.sd_min_days} (RECIST 1.1 section 4.6, Table 3)"
            )
        else:
            confirmed = fallback
            reasons.append(
                f"confirmed {confirmed}: no response or SD meeting the minimum; Table 3 falls back to "
                "PD when progression followed, otherwise NE"
            )
    return BestOverallResponse(words.criteria, unconfirmed, confirmed, tuple(reasons))


def _no_response(kept: Sequence[JudgedTimePoint], words: Vocabulary) -> str:
    if any(point.category is Category.PROGRESSION for point in kept):
        return words.progression
    if words.unconfirmed_progression and any(p.category is Category.UNCONFIRMED_PROGRESSION for p in kept):
        return words.unconfirmed_progression
    return words.not_evaluable


def week16_benefit(series: Sequence[JudgedTimePoint], criteria: Criteria, settings: ResponseSettings) -> Week16Benefit:
    """Clinical benefit at week 16 (DOMAIN.md section 5; IMPRESS: CR, PR or SD at W16).

    1. Progression (RECIST PD, confirmed iCPD, RANO/Lugano PD) before the window: no benefit. An
       unconfirmed iUPD is not progression.
    2. The window is ``week16_window_start_day``..``week16_window_end_day`` from treatment start, both
       included. Among its assessments that are not NE, the one closest to ``week16_target_day`` decides
       (a tie goes to the earlier one, the first time the question could be answered).
    3. CR, PR, SD, NON-CR/NON-PD and their iRECIST/RANO/Lugano equivalents: benefit; progression: none.
    4. iUPD at the deciding assessment: no benefit once confirmed as iCPD; not yet known while unconfirmed;
       no benefit if a later assessment resets it (the week-16 response was still not disease control).
    5. Only NE in the window, or no assessment in it: not yet known (None), with the reason. An NE is not
       counted as failure: the trial decides with a re-read or a repeat scan.
    """
    start, end, target = (
        settings.week16_window_start_day,
        settings.week16_window_end_day,
        settings.week16_target_day,
    )
    window_text = f"day {start}-{end} from treatment start"
    for point in series:
        if point.day < start and point.category is Category.PROGRESSION:
            return Week16Benefit(
                False,
                point.date,
                f"{point.response} on {point.date} (day {point.day}) before the week-16 window ({window_text})",
                criteria,
                point.response,
            )
    in_window = [point for point in series if start <= point.day <= end]
    if not in_window:
        after = [point for point in series if point.day > end]
        if after:
            reason = (
                f"no assessment in the week-16 window ({window_text}) and no progression before it; the next "
                f"assessment was on {after[0].date} (day {after[0].day})"
            )
        else:
            reason = f"not yet known: no assessment in the week-16 window ({window_text}) yet, no progression before it"
        return Week16Benefit(None, None, reason, criteria)
    evaluable = [point for point in in_window if point.category is not Category.NOT_EVALUABLE]
    if not evaluable:
        dates = ", ".join(str(point.date) for point in in_window)
        return Week16Benefit(
            None,
            in_window[0].date,
            f"not known: the assessment(s) in the week-16 window ({dates}) are NE; a re-read or repeat scan decides",
            criteria,
            in_window[0].response,
        )
    chosen = min(evaluable, key=lambda point: (abs(point.day - target), point.day))
    why = f"{chosen.response} on {chosen.date} (day {chosen.day})"
    if len(evaluable) > 1:
        why += (
            f", of {len(evaluable)} evaluable assessments in the window the closest to day {target} "
            "(ties go to the earlier)"
        )
    if chosen.category in DISEASE_CONTROL:
        return Week16Benefit(True, chosen.date, f"{why}: disease control at week 16", criteria, chosen.response)
    if chosen.category is Category.PROGRESSION:
        return Week16Benefit(False, chosen.date, f"{why}: progression at week 16", criteria, chosen.response)
    later = [p for p in series if p.day > chosen.day and p.category is not Category.NOT_EVALUABLE]
    for point in later:
        if point.category is Category.PROGRESSION:
            return Week16Benefit(
                False, chosen.date, f"{why} confirmed by {point.response} on {point.date}", criteria, chosen.response
            )
        if point.category is not Category.UNCONFIRMED_PROGRESSION:
            return Week16Benefit(
                False,
                chosen.date,
                f"{why}: not disease control at week 16, although {point.response} on {point.date} resets the bar",
                criteria,
                chosen.response,
            )
    return Week16Benefit(
        None,
        chosen.date,
        f"{why}: unconfirmed progression, awaiting confirmation (Seymour 2017)",
        criteria,
        chosen.response,
    )


@dataclass(frozen=True)
class Evaluation:
    """Everything computed from one patient's assessments; ``to_json()`` is the command-line contract."""

    treatment_start: dt.date
    baseline_date: dt.date
    baseline_sum_mm: Decimal | None
    criteria: Criteria
    time_points: tuple[TimePoint, ...]
    series: dict[Criteria, tuple[JudgedTimePoint, ...]]
    best_overall_response: BestOverallResponse
    best_by_criteria: dict[Criteria, BestOverallResponse]
    week16: Week16Benefit
    warnings: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "criteria": str(self.criteria),
            "treatment_start": self.treatment_start.isoformat(),
            "baseline": {"date": self.baseline_date.isoformat(), "target_sum_mm": _number(self.baseline_sum_mm)},
            "time_points": [self._time_point_json(index, point) for index, point in enumerate(self.time_points)],
            "best_overall_response": self.best_overall_response.to_json(),
            "best_overall_response_by_criteria": {
                str(criteria): best.to_json() for criteria, best in self.best_by_criteria.items()
            },
            "week16": self.week16.to_json(),
            "warnings": list(self.warnings),
        }

    def _time_point_json(self, index: int, point: TimePoint) -> dict[str, Any]:
        reasons = list(point.reasons)
        overall: str | None = None if point.overall_response is None else str(point.overall_response)
        criteria = Criteria.RECIST
        if overall is None and self.criteria in self.series:
            judged = self.series[self.criteria][index]
            overall, criteria = judged.response, self.criteria
            reasons.append(f"overall {overall}: entered {self.criteria} response (no RECIST 1.1 lesions at baseline)")
        responses = [
            {
                "criteria": str(name),
                "response": series[index].response,
                "entered": series[index].entered,
                "reasons": list(series[index].reasons),
            }
            for name, series in self.series.items()
            if name is not Criteria.RECIST
        ]
        return {
            "date": point.date.isoformat(),
            "day": point.day,
            "target_sum_mm": _number(point.target_sum_mm),
            "nadir_mm": _number(point.nadir_mm),
            "percent_change_from_baseline": point.percent_change_from_baseline,
            "percent_change_from_nadir": point.percent_change_from_nadir,
            "target_response": None if point.target_response is None else str(point.target_response),
            "non_target_response": None if point.non_target_response is None else str(point.non_target_response),
            "new_lesions": point.new_lesions,
            "overall_response": overall,
            "criteria": str(criteria),
            "reasons": reasons,
            "responses": responses,
        }


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _entered_series(
    record: AssessmentRecord, points: Sequence[TimePoint], criteria: Criteria
) -> tuple[JudgedTimePoint, ...]:
    assessments = sorted(record.assessments, key=lambda item: item.date)
    judged = []
    for point, assessment in zip(points, assessments, strict=True):
        label = assessment.entered(criteria)
        if label is None:
            raise InputError(
                f"the assessment of {point.date} has no {criteria} response while others have one",
                field=f"assessments[date={point.date}].responses",
                fix=f"enter a {criteria} response at every assessment (NE when not evaluable)",
            )
        judged.append(
            JudgedTimePoint(
                point.date, point.day, label, LABEL_CATEGORIES[criteria][label], True, (f"{criteria} {label}: entered",)
            )
        )
    return tuple(judged)


def evaluate(record: AssessmentRecord, settings: ResponseSettings | None = None) -> Evaluation:
    """Evaluate one patient's assessments: RECIST 1.1 time points, the entered criteria, BOR and week 16.

    The criteria that decide BOR and week 16 (DOMAIN.md section 5): iRECIST when any iRECIST response is
    entered (it takes precedence over RECIST for the same patient); RANO (brain tumours) or Lugano (lymphoma)
    when entered, at every assessment; otherwise RECIST 1.1. One patient is judged by one of iRECIST, RANO
    and Lugano, never two.
    """
    settings = settings or ResponseSettings()
    baseline = record.baseline
    points = recist_time_points(record)
    entered = {entry.criteria for assessment in record.assessments for entry in assessment.responses}
    if len(entered) > 1:
        raise InputError(
            f"responses entered under {', '.join(sorted(entered))}: one patient is judged by one criteria",
            field="assessments[].responses",
            fix="keep the responses of the criteria the trial uses for this patient",
        )
    if not baseline.has_lesions and not entered - {Criteria.IRECIST}:
        raise InputError(
            "the baseline has no target and no non-target lesions, and no RANO or Lugano responses are entered",
            field="baseline",
            fix="record the baseline lesions (RECIST 1.1 section 4.2), or enter RANO or Lugano responses",
        )
    non_target_only = not baseline.target_lesions
    series: dict[Criteria, tuple[JudgedTimePoint, ...]] = {}
    if baseline.has_lesions:
        series[Criteria.RECIST] = tuple(
            JudgedTimePoint(
                point.date,
                point.day,
                str(point.overall_response),
                LABEL_CATEGORIES[Criteria.RECIST][str(point.overall_response)],
                False,
                point.reasons,
            )
            for point in points
        )
    governing = Criteria.RECIST
    if Criteria.IRECIST in entered:
        assessments = sorted(record.assessments, key=lambda item: item.date)
        series[Criteria.IRECIST] = irecist_time_points(points, assessments, settings)
        governing = Criteria.IRECIST
    for criteria in (Criteria.RANO, Criteria.LUGANO):
        if criteria in entered:
            series[criteria] = _entered_series(record, points, criteria)
            governing = criteria
    best_by_criteria = {
        criteria: best_overall_response(judged, vocabulary(criteria, non_target_only=non_target_only), settings)
        for criteria, judged in series.items()
    }
    warnings = []
    days_before = (record.treatment_start - baseline.date).days
    if days_before > BASELINE_MAX_DAYS_BEFORE_START:
        warnings.append(
            f"baseline {baseline.date} is {days_before} days before treatment start; RECIST 1.1 section 3.2.1 asks "
            f"for no more than {BASELINE_MAX_DAYS_BEFORE_START}"
        )
    return Evaluation(
        treatment_start=record.treatment_start,
        baseline_date=baseline.date,
        baseline_sum_mm=baseline.target_sum_mm,
        criteria=governing,
        time_points=points,
        series=series,
        best_overall_response=best_by_criteria[governing],
        best_by_criteria=best_by_criteria,
        week16=week16_benefit(series[governing], governing, settings),
        warnings=tuple(warnings),
    )
