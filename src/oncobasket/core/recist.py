"""RECIST 1.1 time-point responses computed from tumour measurements.

Source throughout: Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST
guideline (version 1.1). Eur J Cancer 2009;45:228-247 ("RECIST 1.1"), and the RECIST working group's
published questions and clarifications (recist.eortc.org, "EORTC Q&A").

The module is pure: frozen values in, frozen values out. Sizes are :class:`~decimal.Decimal` millimetres so
that the thresholds (-30 %, +20 %, +5 mm, 10 mm) are compared exactly: with binary floats 30 mm x 0.7 is
20.999... mm and a decrease of exactly 30 % would not be a partial response.

Best overall response, iRECIST and the week-16 benefit build on these time points in
:mod:`oncobasket.core.response`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from oncobasket.core.errors import InputError

#: RECIST 1.1 section 3.1.1: "lymph node" is the one site whose lesions are measured by their short axis.
LYMPH_NODE_SITE = "lymph_node"
#: RECIST 1.1 section 4.3.1: a target lymph node below 10 mm short axis is normal (needed for CR).
NORMAL_NODE_BELOW_MM = Decimal(10)
#: RECIST 1.1 section 4.3.1: PR is at least a 30 % decrease of the sum of diameters from the baseline sum.
PARTIAL_RESPONSE_FRACTION = Decimal("0.7")
#: RECIST 1.1 section 4.3.1: PD is at least a 20 % increase over the nadir ...
PROGRESSION_FRACTION = Decimal("1.2")
#: ... and an absolute increase of at least 5 mm.
PROGRESSION_MINIMUM_MM = Decimal(5)


class NonTargetStatus(StrEnum):
    """What a reader records for one non-target lesion at a follow-up (RECIST 1.1 section 4.3.3).

    ``absent`` for a lymph node means it is normal again (< 10 mm short axis).
    """

    ABSENT = "absent"
    PRESENT = "present"
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    NOT_EVALUATED = "not_evaluated"


class TargetResponse(StrEnum):
    """Target lesion response at one time point (RECIST 1.1 section 4.3.1)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"
    NE = "NE"


class NonTargetResponse(StrEnum):
    """Non-target lesion response at one time point (RECIST 1.1 section 4.3.3)."""

    CR = "CR"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"


class OverallResponse(StrEnum):
    """Overall response at one time point (RECIST 1.1 section 4.4.1, Tables 1 and 2)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"


class Criteria(StrEnum):
    """Response criteria. RECIST 1.1 is computed; the others are entered as judged by the radiologist."""

    RECIST = "RECIST 1.1"
    IRECIST = "iRECIST"
    RANO = "RANO"
    LUGANO = "Lugano"


@dataclass(frozen=True)
class TargetLesion:
    """A baseline target lesion: its longest diameter, or its short axis at site ``lymph_node``."""

    id: str
    site: str
    diameter_mm: Decimal

    @property
    def is_lymph_node(self) -> bool:
        """RECIST 1.1 section 3.1.1: nodes are measured and judged by their short axis."""
        return self.site == LYMPH_NODE_SITE


@dataclass(frozen=True)
class NonTargetLesion:
    """A baseline non-target lesion (RECIST 1.1 section 4.2): followed qualitatively."""

    id: str
    site: str


@dataclass(frozen=True)
class Baseline:
    """The baseline assessment (RECIST 1.1 section 4.2)."""

    date: dt.date
    target_lesions: tuple[TargetLesion, ...]
    non_target_lesions: tuple[NonTargetLesion, ...] = ()

    @property
    def target_sum_mm(self) -> Decimal | None:
        """The baseline sum of diameters, the reference for PR (RECIST 1.1 section 4.2)."""
        if not self.target_lesions:
            return None
        return sum((lesion.diameter_mm for lesion in self.target_lesions), Decimal(0))

    @property
    def has_lesions(self) -> bool:
        return bool(self.target_lesions or self.non_target_lesions)


@dataclass(frozen=True)
class EnteredResponse:
    """A response judged clinically and entered directly, with the criteria it was judged by."""

    criteria: Criteria
    response: str


@dataclass(frozen=True)
class Assessment:
    """One follow-up assessment.

    ``target_measurements`` maps each baseline target lesion id to its size in mm, or None when it was not
    assessed; ``non_target_statuses`` maps each baseline non-target lesion id to its status;
    ``new_lesions`` is True when an unequivocal new lesion was found (RECIST 1.1 section 4.3.2).
    """

    date: dt.date
    target_measurements: Mapping[str, Decimal | None] = field(default_factory=dict)
    non_target_statuses: Mapping[str, NonTargetStatus] = field(default_factory=dict)
    new_lesions: bool = False
    responses: tuple[EnteredResponse, ...] = ()

    def entered(self, criteria: Criteria) -> str | None:
        for entry in self.responses:
            if entry.criteria is criteria:
                return entry.response
        return None


@dataclass(frozen=True)
class AssessmentRecord:
    """A patient's baseline and follow-up assessments, as in the assessment file."""

    treatment_start: dt.date
    baseline: Baseline
    assessments: tuple[Assessment, ...]


@dataclass(frozen=True)
class ResponseSettings:
    """The configurable numbers of response evaluation, each default with its source.

    - ``confirmation_min_days`` = 28: RECIST 1.1 section 4.6, a CR or PR is confirmed by a repeat assessment
      "performed no less than 4 weeks after the criteria for response are first met".
    - ``sd_min_days`` = 42: RECIST 1.1 section 4.6, SD must be met at least once after study entry at a
      minimum interval "in general not less than 6-8 weeks" defined by the protocol; 6 weeks, counted from
      treatment start.
    - ``week16_window_start_day`` = 98, ``week16_target_day`` = 112, ``week16_window_end_day`` = 126:
      DOMAIN.md section 5 (PRIME-ROSE harmonisation of the IMPRESS eCRF: V03 is week 16, a window of +/- 2
      weeks); days are counted from treatment start (day 0 = cycle 1 day 1).
    - ``irecist_confirmation_min_days`` = 28, ``irecist_confirmation_max_days`` = 56: Seymour et al. 2017,
      iUPD is confirmed at the next assessment 4-8 weeks later (outside it the time point is noted).
    """

    confirmation_min_days: int = 28
    sd_min_days: int = 42
    week16_window_start_day: int = 98
    week16_target_day: int = 112
    week16_window_end_day: int = 126
    irecist_confirmation_min_days: int = 28
    irecist_confirmation_max_days: int = 56

    def __post_init__(self) -> None:
        for name in ("confirmation_min_days", "sd_min_days", "week16_window_start_day"):
            if getattr(self, name) < 0:
                raise InputError("must not be negative", field=name, fix="give a number of days >= 0")
        if not self.week16_window_start_day <= self.week16_target_day <= self.week16_window_end_day:
            raise InputError(
                "the week-16 target day must lie inside its window",
                field="week16_target_day",
                fix="give week16_window_start_day <= week16_target_day <= week16_window_end_day",
            )
        if not 0 <= self.irecist_confirmation_min_days <= self.irecist_confirmation_max_days:
            raise InputError(
                "the iRECIST confirmation interval is empty",
                field="irecist_confirmation_max_days",
                fix="give 0 <= irecist_confirmation_min_days <= irecist_confirmation_max_days",
            )


@dataclass(frozen=True)
class TargetResult:
    """The target lesion response at one time point with the sums it was judged on."""

    response: TargetResponse
    sum_mm: Decimal | None
    measured_sum_mm: Decimal
    reasons: tuple[str, ...]


def _mm(value: Decimal) -> str:
    return f"{value.normalize():f} mm"


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole == 0:
        return None
    return ((part - whole) * 100 / whole).quantize(Decimal("0.1"))


def percent_change(value: Decimal | None, reference: Decimal | None) -> float | None:
    """Percent change of a sum from a reference sum, one decimal, None when undefined (reference 0)."""
    if value is None or reference is None:
        return None
    change = _percent(value, reference)
    return None if change is None else float(change)


def _progression(measured_sum: Decimal, nadir: Decimal) -> bool:
    """RECIST 1.1 section 4.3.1: >= 20 % over the nadir AND >= 5 mm absolute increase."""
    return measured_sum >= nadir * PROGRESSION_FRACTION and measured_sum - nadir >= PROGRESSION_MINIMUM_MM


def _lesion_is_gone(lesion: TargetLesion, size: Decimal) -> bool:
    """RECIST 1.1 section 4.3.1: a non-nodal target has disappeared (0 mm); a node is < 10 mm short axis."""
    return size < NORMAL_NODE_BELOW_MM if lesion.is_lymph_node else size == 0


def target_response(
    lesions: Sequence[TargetLesion],
    measurements: Mapping[str, Decimal | None],
    *,
    baseline_sum_mm: Decimal,
    nadir_mm: Decimal,
    after_complete_response: bool = False,
) -> TargetResult:
    """Target lesion response (RECIST 1.1 sections 4.3.1-4.3.2), checked in this order:

    1. PD: the sum of the measured lesions is >= 20 % and >= 5 mm above the nadir (the smallest sum so far,
       baseline included). Lesions not assessed can only add to the sum, so the measured ones alone may
       already prove PD (RECIST 1.1 section 4.3.1 on missing measurements; EORTC Q&A "lesions that disappear
       and reappear": the sum rule applies even to nodes back below 10 mm).
    2. PD: after an overall CR, any target lesion that reappears (a non-nodal lesion > 0 mm or a node
       >= 10 mm) is progression (RECIST 1.1 Table 3, footnote a).
    3. NE: a target lesion was not assessed and PD is not proven (RECIST 1.1 section 4.3.1).
    4. CR: every non-nodal target lesion is gone and every nodal target is < 10 mm short axis; the sum then
       still counts the nodes' short axes, so a CR can have a sum above zero (section 4.3.1, lymph nodes).
    5. PR: the sum is at least 30 % below the baseline sum.
    6. SD: otherwise.
    """
    sized = [(lesion, measurements.get(lesion.id)) for lesion in lesions]
    measured = [(lesion, size) for lesion, size in sized if size is not None]
    missing = [lesion.id for lesion, size in sized if size is None]
    measured_sum = sum((size for _, size in measured), Decimal(0))
    reasons = []
    if _progression(measured_sum, nadir_mm):
        scope = "sum" if not missing else f"sum of the measured lesions ({', '.join(missing)} not assessed)"
        relative = _percent(measured_sum, nadir_mm)
        above = "" if relative is None else f"+{relative} % and "
        reasons.append(
            f"target PD: {scope} {_mm(measured_sum)} is {above}{_mm(measured_sum - nadir_mm)} above the nadir "
            f"{_mm(nadir_mm)} (>= 20 % and >= 5 mm; RECIST 1.1 section 4.3.1)"
        )
        return TargetResult(TargetResponse.PD, None if missing else measured_sum, measured_sum, tuple(reasons))
    if after_complete_response:
        reappeared = [lesion.id for lesion, size in measured if not _lesion_is_gone(lesion, size)]
        if reappeared:
            reasons.append(
                f"target PD: {', '.join(reappeared)} reappeared after an overall CR (RECIST 1.1 Table 3, footnote a)"
            )
            return TargetResult(TargetResponse.PD, None if missing else measured_sum, measured_sum, tuple(reasons))
    if missing:
        reasons.append(
            f"target NE: {', '.join(missing)} not assessed and the measured lesions (sum {_mm(measured_sum)}) do "
            f"not prove PD against the nadir {_mm(nadir_mm)} (RECIST 1.1 section 4.3.1)"
        )
        return TargetResult(TargetResponse.NE, None, measured_sum, tuple(reasons))
    change = _percent(measured_sum, baseline_sum_mm)
    if all(_lesion_is_gone(lesion, size) for lesion, size in measured):
        reasons.append(
            f"target CR: every non-nodal target lesion gone and every nodal target < 10 mm short axis "
            f"(sum {_mm(measured_sum)}; RECIST 1.1 section 4.3.1)"
        )
        return TargetResult(TargetResponse.CR, measured_sum, measured_sum, tuple(reasons))
    if measured_sum <= baseline_sum_mm * PARTIAL_RESPONSE_FRACTION:
        reasons.append(
            f"target PR: sum {_mm(measured_sum)} is {change} % from the baseline sum {_mm(baseline_sum_mm)} "
            "(<= -30 %; RECIST 1.1 section 4.3.1)"
        )
        return TargetResult(TargetResponse.PR, measured_sum, measured_sum, tuple(reasons))
    reasons.append(
        f"target SD: sum {_mm(measured_sum)} is {change} % from baseline (not <= -30 %) and "
        f"{_mm(measured_sum - nadir_mm)} from the nadir {_mm(nadir_mm)} (not >= 20 % and >= 5 mm; "
        "RECIST 1.1 section 4.3.1)"
    )
    return TargetResult(TargetResponse.SD, measured_sum, measured_sum, tuple(reasons))


def non_target_response(
    lesions: Sequence[NonTargetLesion],
    statuses: Mapping[str, NonTargetStatus],
    *,
    after_complete_response: bool = False,
) -> tuple[NonTargetResponse | None, str | None]:
    """Non-target response (RECIST 1.1 section 4.3.3), None without non-target lesions at baseline.

    PD when any lesion shows unequivocal progression, or when a lesion is present again after an overall
    CR (Table 3 footnote a: after a CR "any disease seen at a subsequent time point" is PD; EORTC Q&A on
    non-target nodes that disappear and reappear); otherwise NE when any lesion was not evaluated (its
    status is unknown, so neither CR nor NON-CR/NON-PD is proven: Table 1 "not all evaluated"); CR when
    all are absent (nodes normal, < 10 mm); otherwise NON-CR/NON-PD.
    """
    if not lesions:
        return None, None
    by_status: dict[NonTargetStatus, list[str]] = {}
    for lesion in lesions:
        by_status.setdefault(statuses.get(lesion.id, NonTargetStatus.NOT_EVALUATED), []).append(lesion.id)
    if progressed := by_status.get(NonTargetStatus.UNEQUIVOCAL_PROGRESSION):
        return NonTargetResponse.PD, (
            f"non-target PD: unequivocal progression of {', '.join(progressed)} (RECIST 1.1 section 4.3.3)"
        )
    if after_complete_response and (reappeared := by_status.get(NonTargetStatus.PRESENT)):
        return NonTargetResponse.PD, (
            f"non-target PD: {', '.join(reappeared)} present again after an overall CR (RECIST 1.1 Table 3, footnote a)"
        )
    if unknown := by_status.get(NonTargetStatus.NOT_EVALUATED):
        return NonTargetResponse.NE, f"non-target NE: {', '.join(unknown)} not evaluated (RECIST 1.1 section 4.3.3)"
    if present := by_status.get(NonTargetStatus.PRESENT):
        return NonTargetResponse.NON_CR_NON_PD, (
            f"non-target NON-CR/NON-PD: {', '.join(present)} still present (RECIST 1.1 section 4.3.3)"
        )
    return NonTargetResponse.CR, "non-target CR: every non-target lesion absent (RECIST 1.1 section 4.3.3)"


#: The rows of RECIST 1.1 Table 1 (patients with target disease) and Table 2 (non-target disease only),
#: as (table, row) -> the overall response the row gives. ``overall_response`` names the row it used.
COMBINATION_ROWS: Mapping[tuple[int, int], OverallResponse] = {
    (1, 1): OverallResponse.CR,  # CR, CR, no
    (1, 2): OverallResponse.PR,  # CR, non-CR/non-PD, no
    (1, 3): OverallResponse.PR,  # CR, not evaluated, no
    (1, 4): OverallResponse.PR,  # PR, non-PD or not all evaluated, no
    (1, 5): OverallResponse.SD,  # SD, non-PD or not all evaluated, no
    (1, 6): OverallResponse.NE,  # not all evaluated, non-PD, no
    (1, 7): OverallResponse.PD,  # PD, any, yes or no
    (1, 8): OverallResponse.PD,  # any, PD, yes or no
    (1, 9): OverallResponse.PD,  # any, any, yes
    (2, 1): OverallResponse.CR,  # CR, no
    (2, 2): OverallResponse.NON_CR_NON_PD,  # non-CR/non-PD, no
    (2, 3): OverallResponse.NE,  # not all evaluated, no
    (2, 4): OverallResponse.PD,  # unequivocal PD, yes or no
    (2, 5): OverallResponse.PD,  # any, yes
}


def overall_response(
    target: TargetResponse | None, non_target: NonTargetResponse | None, new_lesions: bool
) -> tuple[OverallResponse, tuple[int, int]]:
    """Overall time-point response from the combination tables (RECIST 1.1 section 4.4.1).

    Table 1 applies when the patient has target lesions, Table 2 when there is non-target disease only.
    Returns the response and the (table, row) used. Without non-target lesions (``non_target`` None) the
    non-target column reads as CR: there is no non-target disease left. A new lesion is PD (section 4.3.2).
    """
    if target is not None:
        if target is TargetResponse.PD:
            return OverallResponse.PD, (1, 7)
        if non_target is NonTargetResponse.PD:
            return OverallResponse.PD, (1, 8)
        if new_lesions:
            return OverallResponse.PD, (1, 9)
        if target is TargetResponse.CR:
            if non_target in (None, NonTargetResponse.CR):
                return OverallResponse.CR, (1, 1)
            if non_target is NonTargetResponse.NON_CR_NON_PD:
                return OverallResponse.PR, (1, 2)
            return OverallResponse.PR, (1, 3)
        if target is TargetResponse.PR:
            return OverallResponse.PR, (1, 4)
        if target is TargetResponse.SD:
            return OverallResponse.SD, (1, 5)
        return OverallResponse.NE, (1, 6)
    if non_target is None:
        raise InputError(
            "no target and no non-target lesions at baseline: RECIST 1.1 has nothing to follow",
            field="baseline",
            fix="record the baseline lesions, or enter RANO or Lugano responses",
        )
    if non_target is NonTargetResponse.PD:
        return OverallResponse.PD, (2, 4)
    if new_lesions:
        return OverallResponse.PD, (2, 5)
    if non_target is NonTargetResponse.CR:
        return OverallResponse.CR, (2, 1)
    if non_target is NonTargetResponse.NON_CR_NON_PD:
        return OverallResponse.NON_CR_NON_PD, (2, 2)
    return OverallResponse.NE, (2, 3)


@dataclass(frozen=True)
class TimePoint:
    """One follow-up assessment judged by RECIST 1.1, every step's reason kept.

    ``nadir_mm`` is the reference the PD check used (the smallest complete sum before this time point,
    baseline included); ``overall_response`` is None when the baseline has no lesions (RANO or Lugano only).
    """

    date: dt.date
    day: int
    target_sum_mm: Decimal | None
    nadir_mm: Decimal | None
    percent_change_from_baseline: float | None
    percent_change_from_nadir: float | None
    target_response: TargetResponse | None
    non_target_response: NonTargetResponse | None
    new_lesions: bool
    overall_response: OverallResponse | None
    combination_row: tuple[int, int] | None
    reasons: tuple[str, ...]


def recist_time_points(record: AssessmentRecord) -> tuple[TimePoint, ...]:
    """Every follow-up assessment's RECIST 1.1 response, in date order (sections 4.3-4.4.1).

    The nadir is the smallest sum of diameters so far, baseline included (section 4.3.1); a time point with
    a lesion not assessed has no complete sum and does not lower it.
    """
    baseline = record.baseline
    baseline_sum = baseline.target_sum_mm
    nadir = baseline_sum
    after_complete_response = False
    points = []
    for assessment in sorted(record.assessments, key=lambda item: item.date):
        day = (assessment.date - record.treatment_start).days
        reasons: list[str] = []
        target: TargetResult | None = None
        if baseline_sum is not None and nadir is not None:
            target = target_response(
                baseline.target_lesions,
                assessment.target_measurements,
                baseline_sum_mm=baseline_sum,
                nadir_mm=nadir,
                after_complete_response=after_complete_response,
            )
            reasons.extend(target.reasons)
        non_target, non_target_reason = non_target_response(
            baseline.non_target_lesions,
            assessment.non_target_statuses,
            after_complete_response=after_complete_response,
        )
        if non_target_reason:
            reasons.append(non_target_reason)
        if assessment.new_lesions:
            reasons.append("new lesion found: PD (RECIST 1.1 section 4.3.2)")
        overall: OverallResponse | None = None
        row: tuple[int, int] | None = None
        if baseline.has_lesions:
            overall, row = overall_response(
                None if target is None else target.response, non_target, assessment.new_lesions
            )
            reasons.append(f"overall {overall}: RECIST 1.1 Table {row[0]} row {row[1]} (section 4.4.1)")
        sum_mm = None if target is None else target.sum_mm
        points.append(
            TimePoint(
                date=assessment.date,
                day=day,
                target_sum_mm=sum_mm,
                nadir_mm=nadir,
                percent_change_from_baseline=percent_change(sum_mm, baseline_sum),
                percent_change_from_nadir=percent_change(sum_mm, nadir),
                target_response=None if target is None else target.response,
                non_target_response=non_target,
                new_lesions=assessment.new_lesions,
                overall_response=overall,
                combination_row=row,
                reasons=tuple(reasons),
            )
        )
        if sum_mm is not None and nadir is not None and sum_mm < nadir:
            nadir = sum_mm
        if overall is OverallResponse.CR:
            after_complete_response = True
    return tuple(points)
