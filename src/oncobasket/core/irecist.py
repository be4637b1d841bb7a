"""iRECIST time-point responses: entered ones checked, missing ones derived from RECIST 1.1.

Source: Seymour L et al. iRECIST: guidelines for response criteria for use in trials testing
immunotherapeutics. Lancet Oncol 2017;18:e143-e152 ("Seymour 2017").

The rules used:

- Until progression, iRECIST follows RECIST 1.1: CR, PR, SD, NON-CR/NON-PD and NE become iCR, iPR, iSD,
  NON-iCR/NON-iUPD and NE; the first RECIST PD is iUPD, unconfirmed progression.
- iUPD is not final. It is confirmed as iCPD at the next assessment (recommended 4-8 weeks later) when
  the target sum has grown by a further >= 5 mm since the iUPD (increases add up over assessments), or
  progression now shows in a lesion category (target, non-target, new lesions) that had not progressed
  at the iUPD (EORTC iRECIST Q&A: "new" progression in another category confirms). A scan less than 4
  weeks after the iUPD does not confirm it. Further growth of
  non-target lesions or of new lesions already present needs the radiologist's judgement: the time point
  stays iUPD and a confirmed progression must be entered as ``iCPD``.
- A following iCR, iPR or iSD resets the bar: the earlier iUPD is not confirmed, and a later progression
  is a new iUPD that needs its own confirmation.
- A response entered directly (``{"criteria": "iRECIST", "response": ...}``) takes precedence over the
  derived one; an entered iCPD needs an unconfirmed iUPD before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from oncobasket.core.errors import InputError
from oncobasket.core.recist import (
    PROGRESSION_MINIMUM_MM,
    Assessment,
    Criteria,
    NonTargetResponse,
    OverallResponse,
    ResponseSettings,
    TargetResponse,
    TimePoint,
)
from oncobasket.core.response_series import LABEL_CATEGORIES, Category, JudgedTimePoint

_FROM_RECIST = {
    OverallResponse.CR: "iCR",
    OverallResponse.PR: "iPR",
    OverallResponse.SD: "iSD",
    OverallResponse.NON_CR_NON_PD: "NON-iCR/NON-iUPD",
    OverallResponse.NE: "NE",
    OverallResponse.PD: "iUPD",
}


def progression_categories(point: TimePoint) -> frozenset[str]:
    """The lesion categories in which RECIST 1.1 found progression at this time point."""
    found = set()
    if point.target_response is TargetResponse.PD:
        found.add("target lesions")
    if point.non_target_response is NonTargetResponse.PD:
        found.add("non-target lesions")
    if point.new_lesions:
        found.add("new lesions")
    return frozenset(found)


def _derive_after_unconfirmed(point: TimePoint, pending: TimePoint, min_days: int) -> tuple[str, str]:
    """The derived response at an assessment after an unconfirmed iUPD (Seymour 2017, confirmation of iUPD).

    A scan less than ``min_days`` after the iUPD does not confirm it (EORTC iRECIST Q&A, "can imaging be
    used to confirm progression less than four weeks after iUPD": only an additional new lesion found on
    a scan done for a new symptom may, which the radiologist enters as iCPD).
    """
    if point.overall_response is OverallResponse.NE or point.overall_response is None:
        return "NE", f"iRECIST NE: not evaluable; the iUPD of {pending.date} stays unconfirmed"
    if point.overall_response is not OverallResponse.PD:
        label = _FROM_RECIST[point.overall_response]
        return label, (
            f"iRECIST {label} (RECIST {point.overall_response}): resets the bar, the iUPD of {pending.date} is "
            "not confirmed (Seymour 2017)"
        )
    if point.day - pending.day < min_days:
        return "iUPD", (
            f"iRECIST iUPD: {point.day - pending.day} days after the iUPD of {pending.date}, too early to confirm "
            f"it (< {min_days} days; EORTC iRECIST Q&A); enter iCPD if an additional new lesion was found"
        )
    if (
        point.target_sum_mm is not None
        and pending.target_sum_mm is not None
        and point.target_sum_mm - pending.target_sum_mm >= PROGRESSION_MINIMUM_MM
    ):
        return "iCPD", (
            f"iRECIST iCPD: the target sum grew by {point.target_sum_mm - pending.target_sum_mm} mm (>= 5 mm) since "
            f"the iUPD of {pending.date} (Seymour 2017)"
        )
    newly = progression_categories(point) - progression_categories(pending)
    if newly:
        return "iCPD", (
            f"iRECIST iCPD: progression now also in {', '.join(sorted(newly))}, not progressing at the iUPD of "
            f"{pending.date} (Seymour 2017)"
        )
    return "iUPD", (
        f"iRECIST iUPD: still progression but no further increase that confirms the iUPD of {pending.date}; "
        "enter iCPD if the radiologist judges non-target or new lesions to have grown further (Seymour 2017)"
    )


def irecist_time_points(
    points: Sequence[TimePoint], assessments: Sequence[Assessment], settings: ResponseSettings
) -> tuple[JudgedTimePoint, ...]:
    """iRECIST response per assessment (Seymour 2017), ``points`` and ``assessments`` in the same date order."""
    judged = []
    pending: TimePoint | None = None
    for point, assessment in zip(points, assessments, strict=True):
        entered = assessment.entered(Criteria.IRECIST)
        reasons: list[str] = []
        if entered is not None:
            if entered == "iCPD" and pending is None:
                raise InputError(
                    f"iRECIST iCPD entered on {point.date} but there is no unconfirmed iUPD before it "
                    "(Seymour 2017: iCPD confirms an earlier iUPD)",
                    field=f"assessments[date={point.date}].responses",
                    fix="enter iUPD at the first progression and iCPD at the assessment that confirms it",
                )
            label = entered
            reasons.append(f"iRECIST {entered}: entered")
        elif pending is None:
            if point.overall_response is None:
                label = "NE"
                reasons.append("iRECIST NE: no RECIST 1.1 response to derive from and none entered")
            else:
                label = _FROM_RECIST[point.overall_response]
                note = " (first progression is unconfirmed)" if label == "iUPD" else ""
                reasons.append(f"iRECIST {label}: from RECIST 1.1 {point.overall_response}{note} (Seymour 2017)")
        else:
            label, reason = _derive_after_unconfirmed(point, pending, settings.irecist_confirmation_min_days)
            reasons.append(reason)
        category = LABEL_CATEGORIES[Criteria.IRECIST][label]
        if pending is not None and category is not Category.NOT_EVALUABLE:
            interval = point.day - pending.day
            if not settings.irecist_confirmation_min_days <= interval <= settings.irecist_confirmation_max_days:
                reasons.append(
                    f"note: {interval} days after the iUPD of {pending.date}; Seymour 2017 recommends the next "
                    f"assessment {settings.irecist_confirmation_min_days}-{settings.irecist_confirmation_max_days} "
                    "days later"
                )
        if category is Category.UNCONFIRMED_PROGRESSION:
            if pending is None:
                pending = point
        elif category is not Category.NOT_EVALUABLE:
            if pending is not None and entered is not None and category is not Category.PROGRESSION:
                reasons.append(f"resets the bar: the iUPD of {pending.date} is not confirmed (Seymour 2017)")
            pending = None
        judged.append(
            JudgedTimePoint(
                date=point.date,
                day=point.day,
                response=label,
                category=category,
                entered=entered is not None,
                reasons=tuple(reasons),
            )
        )
    return tuple(judged)
