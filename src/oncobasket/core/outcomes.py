"""Outcomes of one treated patient: evaluability, time on treatment, PFS, OS, durations and the PFS ratio.

Every function takes plain values (a checked :class:`~oncobasket.core.treatment.TreatmentRecord`, response
assessments, dates) and returns a small frozen result with the value, the event or censoring flag, the
dates used and a reason text that names the rule applied. Days count the treatment start as day 1
(:func:`~oncobasket.core.treatment.study_days`).

Sources, per definition (each function's docstring names the clause it implements):

- Evaluability: one full treatment cycle, >= 28 days for oral drugs or >= 21 days between cycle starts for
  intravenous drugs (PRIME-ROSE harmonisation of the IMPRESS eCRF, DOMAIN.md section 5; *configurable*).
- PFS: the FDA guidance "Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics" (December
  2018), its section on PFS and Appendix 3, Table A (dates of progression and censoring).
- iRECIST: Seymour L et al., Lancet Oncol 2017;18:e143-e152 (iUPD confirmed as iCPD; the progression date
  is the first iUPD's).
- Duration of response: Eisenhauer EA et al., Eur J Cancer 2009;45:228-247 (RECIST 1.1), section 4.5.
- Duration of benefit: van der Velden DL et al., Nature 2019;574:127-131 (DRUP).
- PFS ratio: Von Hoff DD et al., J Clin Oncol 2010;28:4877-4883 (PFS on the matched therapy over time to
  progression on the last prior line, benefit when >= 1.3); DRUP and IMPRESS use the same threshold.

Response categories are accepted as the strings of RECIST 1.1 (``CR``, ``PR``, ``SD``, ``NON-CR/NON-PD``,
``PD``, ``NE``) and iRECIST (``iCR``, ``iPR``, ``iSD``, ``iNN`` for non-iCR/non-iUPD, ``iUPD``, ``iCPD``); this
module keeps its own small enum rather than depend on the time-point engine in ``core/recist.py``.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from oncobasket.core.errors import InputError
from oncobasket.core.treatment import AdministrationRoute, TreatmentRecord, study_days


@dataclass(frozen=True, slots=True)
class OutcomeSettings:
    """The settings a trial's protocol may change, each default with its source.

    - ``oral_minimum_days`` (28): days on treatment that make a patient on oral drugs evaluable; one full
      28-day cycle (PRIME-ROSE/IMPRESS, DOMAIN.md section 5).
    - ``cycle_start_minimum_days`` (21): days from the first to a later cycle start that make a patient on
      intravenous (or other parenteral) drugs evaluable; one full 21-day cycle (PRIME-ROSE/IMPRESS).
    - ``pfs_ratio_threshold`` (1.3): the PFS ratio at or above which a patient benefits (Von Hoff et al.,
      J Clin Oncol 2010; DRUP/IMPRESS practice).
    - ``missed_assessment_interval_days`` (None): the planned interval between tumour assessments. When set,
      a progression or death more than two intervals after the last adequate assessment (two or more
      missed assessments) is censored at that assessment (FDA 2018, Appendix 3, Table A). Off by default
      because the schedule is protocol-specific (the Danish sister trial scans every 8 weeks, then every 12).
    """

    oral_minimum_days: int = 28
    cycle_start_minimum_days: int = 21
    pfs_ratio_threshold: float = 1.3
    missed_assessment_interval_days: int | None = None

    def __post_init__(self) -> None:
        for name in ("oral_minimum_days", "cycle_start_minimum_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"a number of days >= 1, not {value!r}", field=name)
        threshold = self.pfs_ratio_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold):
            raise InputError(f"a finite number, not {threshold!r}", field="pfs_ratio_threshold")
        if threshold <= 0:
            raise InputError("the PFS-ratio threshold must be above 0", field="pfs_ratio_threshold")
        interval = self.missed_assessment_interval_days
        if interval is not None and (isinstance(interval, bool) or not isinstance(interval, int) or interval < 1):
            raise InputError(
                f"a number of days >= 1 or None, not {interval!r}", field="missed_assessment_interval_days"
            )


class TimePointResponse(StrEnum):
    """The overall response at one assessment, under RECIST 1.1 (Table 4/5) or iRECIST (Seymour 2017)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"
    ICR = "iCR"
    IPR = "iPR"
    ISD = "iSD"
    INN = "iNN"
    IUPD = "iUPD"
    ICPD = "iCPD"

    @property
    def is_irecist(self) -> bool:
        """True for the iRECIST categories (they start with a lower-case i)."""
        return self.value.startswith("i")

    @property
    def is_response(self) -> bool:
        """Complete or partial response."""
        return self in {TimePointResponse.CR, TimePointResponse.PR, TimePointResponse.ICR, TimePointResponse.IPR}

    @property
    def is_adequate_without_progression(self) -> bool:
        """An evaluable assessment that shows no progression: the PFS censoring date candidates."""
        return self not in {
            TimePointResponse.PD,
            TimePointResponse.NE,
            TimePointResponse.IUPD,
            TimePointResponse.ICPD,
        }


@dataclass(frozen=True, slots=True)
class ResponseAssessment:
    """One post-baseline tumour assessment: its date and the overall time-point response."""

    date: date
    response: TimePointResponse

    @classmethod
    def of(cls, when: datetime.date, response: str | TimePointResponse) -> ResponseAssessment:
        """Build from the response's text (``"PR"``, ``"NON-CR/NON-PD"``, ``"iUPD"``...)."""
        try:
            category = TimePointResponse(response)
        except ValueError:
            known = ", ".join(item.value for item in TimePointResponse)
            raise InputError(
                f"unknown response category {response!r}", field="response", fix=f"use one of {known}"
            ) from None
        return cls(date=when, response=category)


@dataclass(frozen=True, slots=True)
class Evaluability:
    """Whether a treated patient is evaluable for efficacy; None while treatment goes on and it is not yet met.

    ``rule`` is ``oral`` (days on treatment) or ``cycle_starts`` (days from the first to the latest cycle
    start); ``days`` is what was measured and ``required`` the setting it was held against.
    """

    evaluable: bool | None
    rule: str
    days: int
    required: int
    first: date
    last: date
    reason: str


@dataclass(frozen=True, slots=True)
class TimeToEvent:
    """A time-to-event value of one patient: ``days`` from ``start`` to ``end`` (start = day 1).

    ``event`` is True for an event (progression, death, end of treatment) and False when censored at
    ``end``. ``reason`` names the rule that chose the end date.
    """

    endpoint: str
    start: date
    end: date
    days: int
    event: bool
    reason: str


@dataclass(frozen=True, slots=True)
class PfsRatio:
    """PFS on the trial over time to progression on the last prior line, judged against the threshold.

    ``meets_threshold`` is None while the trial PFS is censored below the threshold: it may still reach it.
    """

    ratio: float
    trial_days: int
    trial_event: bool
    prior_days: int
    prior_start: date
    prior_progression: date
    threshold: float
    meets_threshold: bool | None
    reason: str


def evaluability(
    record: TreatmentRecord, *, as_of: date | None = None, settings: OutcomeSettings = OutcomeSettings()
) -> Evaluability:
    """At least one full treatment cycle (PRIME-ROSE harmonisation of the IMPRESS eCRF; DOMAIN.md section 5).

    - Only oral drugs: days on treatment, from cycle 1 day 1 to the end of treatment (or death, or ``as_of``
      while treatment goes on), counting the start as day 1, must reach ``oral_minimum_days`` (28).
    - Any intravenous, subcutaneous or other non-oral drug (combinations included, as the protocol file does):
      the time from the first cycle start to the latest cycle start must reach ``cycle_start_minimum_days``
      (21). For a three-weekly schedule this is the gap between cycles 1 and 2; for shorter schedules it
      counts a full 21 days of cycles.

    A patient whose treatment has ended (or who died) without meeting the rule is not evaluable; one still
    on treatment who has not yet met it is None (not yet known). ``as_of`` (the data cut-off) is needed only
    for oral treatment that goes on.
    """
    ended = record.end.date if record.end is not None else record.death_date
    if record.routes == {AdministrationRoute.ORAL}:
        required = settings.oral_minimum_days
        if ended is not None:
            last = ended
        elif as_of is None:
            raise InputError(
                "oral treatment goes on, so days on treatment need the data cut-off",
                field="as_of",
                fix="pass the cut-off date",
            )
        elif as_of < record.cycles[-1].start:
            raise InputError("the cut-off is before the last cycle's start", field="as_of")
        else:
            last = as_of
        days = study_days(record.start, last)
        if days >= required:
            verdict: bool | None = True
            reason = f"oral treatment for {days} days (>= {required}): one full cycle"
        elif ended is not None:
            verdict = False
            reason = f"oral treatment ended after {days} days (< {required}): no full cycle"
        else:
            verdict = None
            reason = f"oral treatment for {days} days so far (< {required}): goes on, not yet known"
        return Evaluability(verdict, "oral", days, required, record.start, last, reason)

    required = settings.cycle_start_minimum_days
    latest = record.cycles[-1]
    days = (latest.start - record.start).days
    if days >= required:
        verdict = True
        reason = f"cycle {latest.number} started {days} days after cycle 1 (>= {required}): one full cycle"
    elif ended is not None:
        verdict = False
        reason = (
            f"treatment ended with the last cycle start {days} days after cycle 1 (< {required}): no full cycle"
            if latest.number > 1
            else f"treatment ended after cycle 1 alone (a later cycle start >= {required} days on is needed)"
        )
    else:
        verdict = None
        reason = f"latest cycle start {days} days after cycle 1 (< {required}): goes on, not yet known"
    return Evaluability(verdict, "cycle_starts", days, required, record.start, latest.start, reason)


def time_on_treatment(record: TreatmentRecord, *, as_of: date | None = None) -> TimeToEvent:
    """Days from cycle 1 day 1 to the end of treatment; censored at ``as_of`` while treatment goes on.

    The event is the end of study treatment for any reason (or death when no end was recorded), as the
    swimmer plot of issue 9 draws it; ``as_of`` (the data cut-off) is needed only while treatment goes on.
    """
    if record.end is not None:
        end, reason = record.end.date, f"treatment ended ({record.end.reason})"
        return TimeToEvent("time_on_treatment", record.start, end, study_days(record.start, end), True, reason)
    if record.death_date is not None:
        end = record.death_date
        return TimeToEvent(
            "time_on_treatment", record.start, end, study_days(record.start, end), True, "died on treatment"
        )
    if as_of is None:
        raise InputError(
            "treatment goes on, so time on treatment needs the data cut-off", field="as_of", fix="pass the cut-off"
        )
    if as_of < record.cycles[-1].start:
        raise InputError("the cut-off is before the last cycle's start", field="as_of")
    return TimeToEvent(
        "time_on_treatment",
        record.start,
        as_of,
        study_days(record.start, as_of),
        False,
        "treatment goes on: censored at the cut-off",
    )


def _ordered_assessments(
    record: TreatmentRecord, assessments: Iterable[ResponseAssessment]
) -> list[ResponseAssessment]:
    """Assessments in date order, refused when dated on or before the start, twice on a day, after death or mixed."""
    ordered = sorted(assessments, key=lambda item: item.date)
    for before, after in itertools.pairwise(ordered):
        if before.date == after.date:
            raise InputError(
                "two response assessments on the same date", field="assessments", fix="record one per date"
            )
    for item in ordered:
        if item.date <= record.start:
            raise InputError(
                "a response assessment on or before the treatment start",
                field="assessments",
                fix="the baseline assessment is not a response; pass post-baseline assessments only",
            )
        if record.death_date is not None and item.date > record.death_date:
            raise InputError("a response assessment after the death date", field="assessments")
    kinds = {item.response.is_irecist for item in ordered if item.response is not TimePointResponse.NE}
    if len(kinds) > 1:
        raise InputError(
            "RECIST 1.1 and iRECIST responses mixed in one series",
            field="assessments",
            fix="pass one series; iRECIST takes precedence over RECIST when both exist (DOMAIN.md section 5)",
        )
    return ordered


def progression_free_survival(
    record: TreatmentRecord,
    assessments: Iterable[ResponseAssessment],
    *,
    new_anticancer_therapy: date | None = None,
    settings: OutcomeSettings = OutcomeSettings(),
) -> TimeToEvent:
    """PFS from treatment start to the first documented progression or death from any cause.

    Rules (FDA 2018 guidance, PFS section and Appendix 3, Table A, unless said otherwise):

    - Progression date: the first assessment whose overall response is PD. Under iRECIST (Seymour 2017) an
      iUPD is progression only once confirmed as iCPD at a later assessment, and then dates from the first
      iUPD; an iSD, iPR, iCR or iNN in between resets it. An iUPD never confirmed dates the progression too
      when treatment has ended or the patient died without a confirming assessment (Seymour 2017); while
      treatment goes on it is awaiting confirmation and PFS is censored at the last assessment before it.
    - Death from any cause before progression is an event at the death date, including death before the
      first assessment.
    - No progression and no death: censored at the last adequate assessment (CR, PR, SD, NON-CR/NON-PD or
      their iRECIST kin; NE does not count). Treatment stopped for clinical (undocumented) progression or
      toxicity is censored the same way.
    - No adequate post-baseline assessment: censored at the treatment start (day 1). Deviation: Table A
      censors missing baseline at randomisation; a single-arm trial has no randomisation, so day 1.
    - A new anticancer therapy: assessments and death on or after its start are ignored (censored at the
      last adequate assessment before it).
    - With ``settings.missed_assessment_interval_days`` set, a progression or death more than two intervals
      after the last adequate assessment (or day 1) is censored there.
    """
    start = record.start
    ordered = _ordered_assessments(record, assessments)
    death = record.death_date
    if new_anticancer_therapy is not None:
        if new_anticancer_therapy <= start:
            raise InputError(
                "a new anticancer therapy starts on or before the study treatment", field="new_anticancer_therapy"
            )
        ordered = [item for item in ordered if item.date < new_anticancer_therapy]
        if death is not None and death >= new_anticancer_therapy:
            death = None

    last_adequate: date | None = None
    pending_unconfirmed: date | None = None
    progression: date | None = None
    progression_reason = ""
    for item in ordered:
        response = item.response
        if response is TimePointResponse.PD:
            progression, progression_reason = item.date, "first assessment with overall response PD"
            break
        if response is TimePointResponse.IUPD:
            pending_unconfirmed = pending_unconfirmed or item.date
        elif response is TimePointResponse.ICPD:
            if pending_unconfirmed is None:
                raise InputError(
                    "iCPD without an earlier iUPD",
                    field="assessments",
                    fix="iCPD confirms an iUPD at a later assessment (Seymour 2017); record the iUPD",
                )
            progression = pending_unconfirmed
            progression_reason = "iUPD confirmed as iCPD: progression dated at the first iUPD (Seymour 2017)"
            break
        elif response.is_adequate_without_progression:
            last_adequate = item.date
            pending_unconfirmed = None

    if progression is None and pending_unconfirmed is not None:
        treatment_ended = record.end is not None or death is not None
        if treatment_ended:
            progression = pending_unconfirmed
            progression_reason = (
                "iUPD never confirmed because treatment ended or the patient died: progression dated at the iUPD "
                "(Seymour 2017)"
            )

    event_date: date | None = None
    event_reason = ""
    if progression is not None:
        event_date, event_reason = progression, progression_reason
    elif death is not None:
        event_date = death
        event_reason = (
            "death from any cause before any adequate assessment"
            if last_adequate is None
            else "death from any cause without documented progression"
        )

    censor_date = last_adequate if last_adequate is not None else start
    if event_date is not None:
        interval = settings.missed_assessment_interval_days
        if interval is not None and (event_date - censor_date).days > 2 * interval:
            return TimeToEvent(
                "pfs",
                start,
                censor_date,
                study_days(start, censor_date),
                False,
                f"{event_reason}, but after two or more missed assessments (more than {2 * interval} days after "
                "the last adequate one): censored at the last adequate assessment (FDA 2018, Table A)",
            )
        return TimeToEvent("pfs", start, event_date, study_days(start, event_date), True, event_reason)

    if pending_unconfirmed is not None:
        reason = "iUPD awaiting confirmation: censored at the last adequate assessment before it"
    elif last_adequate is None:
        reason = "no adequate post-baseline assessment: censored at the treatment start (day 1)"
    else:
        reason = "no documented progression: censored at the last adequate assessment"
    if new_anticancer_therapy is not None:
        reason += " before the new anticancer therapy"
    return TimeToEvent("pfs", start, censor_date, study_days(start, censor_date), False, reason)


def overall_survival(record: TreatmentRecord, *, known_alive: Sequence[date] = ()) -> TimeToEvent:
    """OS from treatment start to death from any cause; censored at the last date known alive.

    The last date known alive is the latest of the cycle starts, the end of treatment (unless by death),
    follow-up contacts that found the patient alive and ``known_alive`` (e.g. assessment dates) (FDA 2018
    guidance, overall survival: censored at the last date the patient was known to be alive).
    """
    start = record.start
    for index, when in enumerate(known_alive):
        if when < start:
            raise InputError("a date known alive is before the treatment start", field=f"known_alive[{index}]")
        if record.death_date is not None and when > record.death_date:
            raise InputError("a date known alive is after the death date", field=f"known_alive[{index}]")
    if record.death_date is not None:
        death = record.death_date
        return TimeToEvent("os", start, death, study_days(start, death), True, "death from any cause")
    last = max([record.last_known_alive, *known_alive])
    reason = "alive: censored at the last date known alive"
    if record.lost_to_follow_up:
        reason = "lost to follow-up: censored at the last date known alive"
    return TimeToEvent("os", start, last, study_days(start, last), False, reason)


def duration_of_response(
    record: TreatmentRecord,
    assessments: Iterable[ResponseAssessment],
    *,
    new_anticancer_therapy: date | None = None,
    settings: OutcomeSettings = OutcomeSettings(),
) -> TimeToEvent | None:
    """From the first CR or PR to progression or death (RECIST 1.1 section 4.5); None without a response.

    RECIST 1.1 section 4.5 starts the duration when the CR/PR criteria are first met and ends it at
    documented progression. The end date and censoring follow :func:`progression_free_survival`, so death
    ends a response too (as in the FDA 2018 guidance's PFS rules); a response judged after the PFS end
    (e.g. after a new therapy) does not count. Whether the response must be confirmed is the caller's
    choice: pass the patient's assessments and a confirmed best overall response decides who is counted.
    """
    items = list(assessments)
    pfs = progression_free_survival(record, items, new_anticancer_therapy=new_anticancer_therapy, settings=settings)
    responses = [
        item.date
        for item in sorted(items, key=lambda item: item.date)
        if item.response.is_response and (item.date < pfs.end if pfs.event else item.date <= pfs.end)
    ]
    if not responses:
        return None
    first = responses[0]
    return TimeToEvent(
        "duration_of_response",
        first,
        pfs.end,
        study_days(first, pfs.end),
        pfs.event,
        f"from the first CR/PR; {pfs.reason}",
    )


def duration_of_benefit(pfs: TimeToEvent, *, benefit: bool | None) -> TimeToEvent | None:
    """DRUP's duration of clinical benefit: treatment start to progression, for patients with benefit.

    van der Velden et al., Nature 2019 (DRUP): for patients with clinical benefit (CR, PR or SD at week 16)
    the time from treatment start to progression; here the PFS value with its censoring. None for patients
    without benefit or whose benefit is not yet known.
    """
    if pfs.endpoint != "pfs":
        raise InputError(f"duration of benefit is built from PFS, not {pfs.endpoint}", field="pfs")
    if benefit is not True:
        return None
    return TimeToEvent(
        "duration_of_benefit", pfs.start, pfs.end, pfs.days, pfs.event, f"clinical benefit at week 16; {pfs.reason}"
    )


def pfs_ratio(
    trial_pfs: TimeToEvent,
    *,
    prior_line_start: date,
    prior_line_progression: date,
    settings: OutcomeSettings = OutcomeSettings(),
) -> PfsRatio:
    """PFS on the trial divided by the time to progression on the last prior line (Von Hoff et al. 2010).

    Both durations count their start as day 1. The ratio meets the threshold when it is >= the threshold
    (compared as exact fractions, so 130/100 meets 1.3). A censored trial PFS below the threshold is not yet
    known (None); at or above it, it already meets it.
    """
    if trial_pfs.endpoint != "pfs":
        raise InputError(f"the PFS ratio needs the trial PFS, not {trial_pfs.endpoint}", field="trial_pfs")
    if prior_line_progression < prior_line_start:
        raise InputError(
            "the prior line's progression is before its start", field="prior_line_progression", fix="check both dates"
        )
    if prior_line_progression > trial_pfs.start:
        raise InputError(
            "the prior line's progression is after the study treatment started",
            field="prior_line_progression",
            fix="give the last line before the study treatment",
        )
    prior_days = study_days(prior_line_start, prior_line_progression)
    threshold = settings.pfs_ratio_threshold
    exact = Fraction(trial_pfs.days, prior_days)
    # The threshold is written in decimal (1.3); compare with its decimal value, not its binary neighbour.
    meets = exact >= Fraction(repr(float(threshold)))
    ratio_text = f"PFS {trial_pfs.days} / prior time to progression {prior_days} days = {float(exact):.3f}"
    if meets:
        verdict: bool | None = True
        reason = f"{ratio_text} >= {threshold:g}"
    elif trial_pfs.event:
        verdict = False
        reason = f"{ratio_text} < {threshold:g}"
    else:
        verdict = None
        reason = f"{ratio_text} < {threshold:g} so far, PFS censored: not yet known"
    return PfsRatio(
        ratio=float(exact),
        trial_days=trial_pfs.days,
        trial_event=trial_pfs.event,
        prior_days=prior_days,
        prior_start=prior_line_start,
        prior_progression=prior_line_progression,
        threshold=threshold,
        meets_threshold=verdict,
        reason=reason,
    )
