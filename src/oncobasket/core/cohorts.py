"""The per-cohort state machine of a DRUP/IMPRESS basket trial under a two-stage rule.

Source of the rule: DOMAIN.md section 3, after the Drug Rediscovery Protocol (van der Velden et al.,
Nature 2019;574:127-131) and the IMPRESS-Norway protocol (Helland et al., J Transl Med 2022;20:225):
"Simon two-stage-like admissible monitoring plan". Stage 1 enrols 8 patients and holds further enrolment
until they are evaluated at week 16; 0 of 8 with clinical benefit closes the cohort for futility; at least
1 of 8 opens stage 2 (16 more, 24 in total); at least 5 of 24 with benefit makes the cohort *promising*
(it may become an expansion cohort), otherwise it closes as negative. In Simon's (1989) notation that is
r1 = 0, n1 = 8, r = 4, n = 24 (:data:`DRUP_RULE`); any other rule can be given.

Choices this module makes, each because the sources leave it open (docs/cohorts.md explains them):

- **Decisions are taken as soon as they are certain** (issue 4: "The decision is taken as soon as it is
  certain (for example one benefit already seen among the first eight)"). Stage 2 opens once the stage-1
  benefits exceed r1, even if other stage-1 patients still await evaluation: no later result can undo it.
  The cohort closes for futility once even benefit in every pending patient and every unfilled stage-1
  place could not lift the stage-1 benefits above r1. It is promising once the benefits exceed r, and
  negative once benefit in every pending patient and unfilled place could not lift them above r.
- **Patients who are not evaluable do not use a place**: a place reopens for a replacement (DOMAIN.md
  section 5: the DCR is computed among evaluable patients). Stage 1 is full when evaluable plus pending
  patients reach n1; enrolment is then held until they are evaluated (DOMAIN.md section 3, step 1).
- **Pooled counts** from sister trials (DOMAIN.md section 3, last point) count toward the stage that is
  under way when they are added: their evaluable patients take places and their benefits count toward
  the decision. They are shown separately in every transition's counts.
- **Final decisions end a suspension.** Outcomes of patients already enrolled are still recorded while a
  cohort is suspended; if they make a final decision (futility, negative, promising) certain, the decision
  applies at once. Opening stage 2 or a place while suspended is recorded but takes effect on resume.
- Outcomes may still be recorded after a final decision (for the report), but never change the status:
  there is no transition out of a closed cohort.
- **Corrections** of a recorded outcome (:func:`correct_outcome`) are applied only when every decision
  already taken still holds on the corrected counts; the rule then moves on from there. A correction that
  would reverse a decision (or overfill a stage) is refused: the decision stands and must be reviewed.

Patients are identified by their index in enrolment order, starting at 0. The module is pure: every
function returns a new state and the transitions it made, each with the counts that justified it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, NamedTuple

from oncobasket.core.errors import ConflictError, InputError, NotFoundError
from oncobasket.core.simon import OperatingCharacteristics, check_rule, operating_characteristics


class CohortStatus(StrEnum):
    """Where a cohort is in its two-stage life (the ``status`` stored by the registry)."""

    STAGE1_OPEN = "stage1_open"
    STAGE1_FULL = "stage1_full"
    STAGE2_OPEN = "stage2_open"
    STAGE2_FULL = "stage2_full"
    PROMISING = "promising"
    EXPANSION = "expansion"
    CLOSED_FUTILITY = "closed_futility"
    CLOSED_NEGATIVE = "closed_negative"
    SUSPENDED = "suspended"


class Outcome(StrEnum):
    """A patient's result for the cohort decision: clinical benefit (CR, PR or SD) at week 16 or not.

    Source: DOMAIN.md sections 3 and 5 (benefit = W16 time-point response CR, PR or SD). ``not_evaluable``
    patients (e.g. less than one full treatment cycle) do not count and are replaced.
    """

    PENDING = "pending"
    BENEFIT = "benefit"
    NO_BENEFIT = "no_benefit"
    NOT_EVALUABLE = "not_evaluable"


STAGE1_STATUSES = frozenset({CohortStatus.STAGE1_OPEN, CohortStatus.STAGE1_FULL})
STAGE2_STATUSES = frozenset({CohortStatus.STAGE2_OPEN, CohortStatus.STAGE2_FULL})
#: Statuses in which the two-stage rule is still running.
RUNNING_STATUSES = STAGE1_STATUSES | STAGE2_STATUSES
#: Statuses a cohort never leaves.
CLOSED_STATUSES = frozenset({CohortStatus.CLOSED_FUTILITY, CohortStatus.CLOSED_NEGATIVE})
#: Statuses that end the two-stage rule (they also end a suspension).
FINAL_STATUSES = CLOSED_STATUSES | {CohortStatus.PROMISING}
#: Stage number given to patients enrolled in an expansion cohort (they do not count toward the rule).
EXPANSION_STAGE = 3

_RULE_TEXT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*,\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class TwoStageRule:
    """A two-stage rule in Simon's notation: stop after ``n1`` patients if benefits <= ``r1``; after ``n``
    patients the drug is promising if benefits > ``r``.

    The default is the DRUP/IMPRESS rule (DOMAIN.md section 3; van der Velden et al., Nature 2019):
    8 patients, continue on >= 1 of 8, promising on >= 5 of 24, i.e. r1 = 0, n1 = 8, r = 4, n = 24.
    It prints as ``0/8, 4/24`` and :meth:`parse` reads that text back.
    """

    r1: int = 0
    n1: int = 8
    r: int = 4
    n: int = 24

    def __post_init__(self) -> None:
        check_rule(self.r1, self.n1, self.r, self.n)

    def __str__(self) -> str:
        return f"{self.r1}/{self.n1}, {self.r}/{self.n}"

    @classmethod
    def parse(cls, text: str, *, source: str | None = None) -> TwoStageRule:
        """Read Simon's text form ``r1/n1, r/n`` (e.g. ``0/8, 4/24``)."""
        match = _RULE_TEXT.match(text)
        if match is None:
            raise InputError(
                f"{text!r} is not a two-stage rule",
                source=source,
                field="rule",
                fix="write it as r1/n1, r/n: 0/8, 4/24",
            )
        r1, n1, r, n = (int(group) for group in match.groups())
        check_rule(r1, n1, r, n, source=source)
        return cls(r1=r1, n1=n1, r=r, n=n)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str | None = None) -> TwoStageRule:
        """Build a rule from a protocol's mapping with keys r1, n1, r, n (missing keys take the DRUP values)."""
        unknown = sorted(set(data) - {"r1", "n1", "r", "n"})
        if unknown:
            raise InputError(
                f"unknown key(s) {', '.join(unknown)} in a two-stage rule",
                source=source,
                field=unknown[0],
                fix="use only r1, n1, r and n",
            )
        default = cls()
        values = {name: data.get(name, getattr(default, name)) for name in ("r1", "n1", "r", "n")}
        check_rule(values["r1"], values["n1"], values["r"], values["n"], source=source)
        return cls(**values)

    def as_dict(self) -> dict[str, int]:
        return {"r1": self.r1, "n1": self.n1, "r": self.r, "n": self.n}

    def operating_characteristics(self, p: float) -> OperatingCharacteristics:
        """Exact PET, probability of a *promising* decision and expected size at true benefit rate ``p``."""
        return operating_characteristics(self.r1, self.n1, self.r, self.n, p)


#: The DRUP/IMPRESS rule: 0/8, 4/24 (DOMAIN.md section 3).
DRUP_RULE = TwoStageRule()


class EnrolledPatient(NamedTuple):
    """One enrolled patient: the stage they were enrolled in (1, 2 or 3 = expansion) and their outcome."""

    stage: int
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class PooledCount:
    """Evaluable patients and benefits from a sister trial added to a cohort's tally.

    Source: DOMAIN.md section 3 (cohorts may be completed with pooled data from DRUP, ProTarget,
    FINPROVE, ...; the source is recorded). ``stage`` is filled in by :func:`add_pooled` with the stage
    under way when the count was added; leave it unset when building a count.
    """

    source: str
    evaluable: int
    benefit: int
    stage: int | None = None

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise InputError("must name the sister trial", field="source", fix="give e.g. DRUP or ProTarget")
        for name in ("evaluable", "benefit"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InputError(f"must be a whole number, got {value!r}", field=name, fix="give an integer")
        if self.evaluable < 1:
            raise InputError(
                f"must be at least 1, got {self.evaluable}", field="evaluable", fix="give the evaluable patients"
            )
        if not 0 <= self.benefit <= self.evaluable:
            raise InputError(
                f"must be between 0 and evaluable ({self.evaluable}), got {self.benefit}",
                field="benefit",
                fix="benefits are counted among the evaluable patients",
            )


@dataclass(frozen=True, slots=True)
class CohortState:
    """Everything the two-stage rule needs about one cohort; each step returns a new value.

    ``outcomes`` has one entry per enrolled patient in enrolment order (index 0 first).
    ``status_before_suspension`` is the status to return to on resume (set only while suspended).
    ``expansion_places`` is the size of the expansion cohort once one is opened.
    """

    status: CohortStatus
    rule: TwoStageRule = DRUP_RULE
    stage: int = 1
    outcomes: tuple[EnrolledPatient, ...] = ()
    pooled: tuple[PooledCount, ...] = ()
    status_before_suspension: CohortStatus | None = None
    suspension_reason: str | None = None
    expansion_places: int | None = None

    @property
    def rule_status(self) -> CohortStatus:
        """The status the two-stage rule is in: the status itself, or the one kept under a suspension."""
        if self.status is CohortStatus.SUSPENDED and self.status_before_suspension is not None:
            return self.status_before_suspension
        return self.status


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of status, why it happened and the counts that justified it (see :func:`tally`)."""

    from_status: CohortStatus
    to_status: CohortStatus
    reason: str
    counts: Mapping[str, int]


# ---------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tally:
    """Counts by stage; ``evaluable`` and ``benefit`` include pooled counts of that stage."""

    evaluable: tuple[int, int, int, int]  # index = stage (0 unused)
    benefit: tuple[int, int, int, int]
    pending: tuple[int, int, int, int]
    not_evaluable: int
    local_evaluable: int
    local_benefit: int
    local_pending: int
    pooled_evaluable: int
    pooled_benefit: int

    def taken(self, stage: int) -> int:
        """Places used in ``stage``: evaluable (local and pooled) plus pending patients."""
        return self.evaluable[stage] + self.pending[stage]

    @property
    def rule_taken(self) -> int:
        """Places used toward the rule's total n (stages 1 and 2)."""
        return self.taken(1) + self.taken(2)

    @property
    def rule_benefit(self) -> int:
        return self.benefit[1] + self.benefit[2]

    @property
    def rule_evaluable(self) -> int:
        return self.evaluable[1] + self.evaluable[2]

    @property
    def rule_pending(self) -> int:
        return self.pending[1] + self.pending[2]


def _count(state: CohortState) -> _Tally:
    evaluable = [0, 0, 0, 0]
    benefit = [0, 0, 0, 0]
    pending = [0, 0, 0, 0]
    not_evaluable = local_evaluable = local_benefit = local_pending = 0
    for patient in state.outcomes:
        if patient.outcome is Outcome.PENDING:
            pending[patient.stage] += 1
            local_pending += 1
        elif patient.outcome is Outcome.NOT_EVALUABLE:
            not_evaluable += 1
        else:
            evaluable[patient.stage] += 1
            local_evaluable += 1
            if patient.outcome is Outcome.BENEFIT:
                benefit[patient.stage] += 1
                local_benefit += 1
    pooled_evaluable = pooled_benefit = 0
    for count in state.pooled:
        stage = count.stage or 1
        evaluable[stage] += count.evaluable
        benefit[stage] += count.benefit
        pooled_evaluable += count.evaluable
        pooled_benefit += count.benefit
    return _Tally(
        evaluable=(evaluable[0], evaluable[1], evaluable[2], evaluable[3]),
        benefit=(benefit[0], benefit[1], benefit[2], benefit[3]),
        pending=(pending[0], pending[1], pending[2], pending[3]),
        not_evaluable=not_evaluable,
        local_evaluable=local_evaluable,
        local_benefit=local_benefit,
        local_pending=local_pending,
        pooled_evaluable=pooled_evaluable,
        pooled_benefit=pooled_benefit,
    )


def _places_left(state: CohortState, counted: _Tally) -> int:
    rule = state.rule
    if state.status is CohortStatus.STAGE1_OPEN:
        return max(0, rule.n1 - counted.taken(1))
    if state.status is CohortStatus.STAGE2_OPEN:
        return max(0, rule.n - counted.rule_taken)
    if state.status is CohortStatus.EXPANSION:
        return max(0, (state.expansion_places or 0) - counted.taken(EXPANSION_STAGE))
    return 0


def tally(state: CohortState) -> dict[str, int]:
    """The counts recorded with every transition.

    ``enrolled``, ``evaluable``, ``benefit``, ``no_benefit``, ``pending`` and ``not_evaluable`` count this
    cohort's own patients (all stages, expansion included); ``pooled_evaluable`` and ``pooled_benefit``
    the sister-trial counts; ``rule_evaluable``, ``rule_benefit`` and ``rule_pending`` what the two-stage
    rule uses (stages 1 and 2, pooled included); ``stage1_*`` the same for stage 1 alone; ``places_left``
    how many patients the cohort can take now.
    """
    counted = _count(state)
    return {
        "enrolled": len(state.outcomes),
        "evaluable": counted.local_evaluable,
        "benefit": counted.local_benefit,
        "no_benefit": counted.local_evaluable - counted.local_benefit,
        "pending": counted.local_pending,
        "not_evaluable": counted.not_evaluable,
        "pooled_evaluable": counted.pooled_evaluable,
        "pooled_benefit": counted.pooled_benefit,
        "stage1_evaluable": counted.evaluable[1],
        "stage1_benefit": counted.benefit[1],
        "stage1_pending": counted.pending[1],
        "rule_evaluable": counted.rule_evaluable,
        "rule_benefit": counted.rule_benefit,
        "rule_pending": counted.rule_pending,
        "places_left": _places_left(state, counted),
    }


def places_left(state: CohortState) -> int:
    """How many more patients the cohort can enrol now (0 when it is full, held, suspended or decided)."""
    return _places_left(state, _count(state))


def accepting(state: CohortState) -> bool:
    """Whether :func:`enrol` would accept a patient now."""
    return places_left(state) > 0


# ---------------------------------------------------------------------------------------------
# The rule
# ---------------------------------------------------------------------------------------------


def _benefits(count: int) -> str:
    return f"{count} benefit" if count == 1 else f"{count} benefits"


def _patients(count: int) -> str:
    return f"{count} patient" if count == 1 else f"{count} patients"


def _rule_step(state: CohortState, counted: _Tally) -> tuple[CohortStatus, str] | None:
    """The next status the rule requires for ``state.rule_status`` and why, or None if it stays."""
    rule = state.rule
    current = state.rule_status
    if current in STAGE1_STATUSES:
        benefit = counted.benefit[1]
        unfilled = max(0, rule.n1 - counted.taken(1))
        best_case = benefit + counted.pending[1] + unfilled
        if benefit > rule.r1:
            still = counted.pending[1]
            note = f"; {still} stage-1 patient{'s' if still != 1 else ''} still awaiting evaluation" if still else ""
            target = CohortStatus.STAGE2_OPEN if counted.rule_taken < rule.n else CohortStatus.STAGE2_FULL
            return target, (
                f"stage 1: {_benefits(benefit)} among {counted.evaluable[1]} evaluable exceeds r1 = {rule.r1}; "
                f"stage 2 opens, {rule.n} patients in total (decision certain{note})"
            )
        if best_case <= rule.r1:
            return CohortStatus.CLOSED_FUTILITY, (
                f"stage 1: {_benefits(benefit)} among {counted.evaluable[1]} evaluable; even with benefit in "
                f"{counted.pending[1]} pending and {unfilled} unfilled places at most {best_case} <= r1 = "
                f"{rule.r1}: closed for futility"
            )
        if counted.taken(1) >= rule.n1:
            return (
                (
                    CohortStatus.STAGE1_FULL,
                    f"stage 1 full: {counted.taken(1)} of {rule.n1} places taken; "
                    f"enrolment held until {_patients(counted.pending[1])} are evaluated at week 16",
                )
                if current is CohortStatus.STAGE1_OPEN
                else None
            )
        return (
            (CohortStatus.STAGE1_OPEN, f"stage 1: {counted.taken(1)} of {rule.n1} places taken; {unfilled} open")
            if current is CohortStatus.STAGE1_FULL
            else None
        )
    if current in STAGE2_STATUSES:
        benefit = counted.rule_benefit
        unfilled = max(0, rule.n - counted.rule_taken)
        best_case = benefit + counted.rule_pending + unfilled
        if benefit > rule.r:
            return CohortStatus.PROMISING, (
                f"{_benefits(benefit)} among {counted.rule_evaluable} evaluable exceeds r = {rule.r}: promising"
            )
        if best_case <= rule.r:
            return CohortStatus.CLOSED_NEGATIVE, (
                f"{_benefits(benefit)} among {counted.rule_evaluable} evaluable; even with benefit in "
                f"{counted.rule_pending} pending and {unfilled} unfilled places at most {best_case} <= r = "
                f"{rule.r}: closed as negative"
            )
        if unfilled == 0:
            return (
                (
                    CohortStatus.STAGE2_FULL,
                    f"stage 2 full: {counted.rule_taken} of {rule.n} places taken; "
                    f"waiting for {_patients(counted.rule_pending)} to be evaluated at week 16",
                )
                if current is CohortStatus.STAGE2_OPEN
                else None
            )
        return (
            (CohortStatus.STAGE2_OPEN, f"stage 2: {counted.rule_taken} of {rule.n} places taken; {unfilled} open")
            if current is CohortStatus.STAGE2_FULL
            else None
        )
    return None


def _stage_of(status: CohortStatus, before: int) -> int:
    if status in STAGE1_STATUSES or status is CohortStatus.CLOSED_FUTILITY:
        return 1
    if status in STAGE2_STATUSES or status in {CohortStatus.PROMISING, CohortStatus.CLOSED_NEGATIVE}:
        return 2
    if status is CohortStatus.EXPANSION:
        return EXPANSION_STAGE
    return before


def _settle(state: CohortState, cause: str) -> tuple[CohortState, tuple[Transition, ...]]:
    """Apply every transition the rule now requires, each recorded with the counts after it."""
    transitions: list[Transition] = []
    counted = _count(state)
    # At most four steps can follow one event (e.g. a pooled count: stage 1 full, stage 2, full, promising).
    for _ in range(8):
        step = _rule_step(state, counted)
        if step is None:
            break
        target, why = step
        source = state.rule_status
        suspended = state.status is CohortStatus.SUSPENDED
        if suspended and target not in FINAL_STATUSES:
            state = replace(state, status_before_suspension=target, stage=_stage_of(target, state.stage))
            why += " (cohort suspended: takes effect on resume)"
        else:
            if suspended:
                why += " (ends the suspension)"
            state = replace(
                state,
                status=target,
                stage=_stage_of(target, state.stage),
                status_before_suspension=None,
                suspension_reason=None,
            )
        transitions.append(Transition(source, target, f"{cause}: {why}", tally(state)))
    return state, tuple(transitions)


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


def new_cohort(rule: TwoStageRule = DRUP_RULE) -> CohortState:
    """A newly opened cohort: stage 1, open, nobody enrolled."""
    return CohortState(status=CohortStatus.STAGE1_OPEN, rule=rule, stage=1)


def _rule_source(rule: TwoStageRule) -> str:
    """Where a hold comes from, for messages: the protocol's rule after Simon (1989), DOMAIN.md section 3."""
    return f"the protocol's two-stage rule {rule}, after Simon 1989; DOMAIN.md section 3"


def refusal(state: CohortState) -> str | None:
    """Why :func:`enrol` refuses a patient now, with what to do (None when the cohort accepts one).

    The holds follow the two-stage rule (DOMAIN.md section 3; Simon 1989): stage 1 waits for the week-16
    evaluation of its n1 patients, stage 2 for that of its n; a closed cohort never takes patients again.
    """
    if accepting(state):
        return None
    status = state.status
    rule = state.rule
    counted = _count(state)
    if status is CohortStatus.STAGE1_FULL:
        pending = counted.pending[1]
        return (
            f"stage 1 is full: enrolment is held until {_patients(pending)} of stage 1 "
            f"{'is' if pending == 1 else 'are'} evaluated at week 16 ({_rule_source(rule)}); record their "
            "tumour assessments (`oncobasket assess`), which compute the week-16 outcomes: enrolment reopens when "
            "stage 2 opens "
            f"({rule.r1 + 1} or more stage-1 benefits) or when a patient found not evaluable frees a place"
        )
    if status is CohortStatus.STAGE2_FULL:
        return (
            f"stage 2 is full: all {rule.n} places are taken and {counted.rule_pending} await week-16 evaluation "
            f"({_rule_source(rule)}); record their assessments (`oncobasket assess`) and treatment ends "
            "(`oncobasket treatment end`), which compute the outcomes: a patient found not evaluable frees a place "
            "for a replacement, and "
            "the cohort then becomes promising (and may open an expansion) or closes"
        )
    if status is CohortStatus.SUSPENDED:
        return (
            f"the cohort is suspended ({state.suspension_reason}); resume it first with `oncobasket cohort resume` "
            "once the reason for the hold is resolved"
        )
    if status is CohortStatus.PROMISING:
        return (
            "the cohort is promising: open an expansion cohort before enrolling more patients "
            "(`oncobasket cohort expand`)"
        )
    if status in CLOSED_STATUSES:
        why = next_decision(state).removeprefix("none: ")
        return (
            f"the cohort is {why}: a closed cohort takes no more patients and never reopens "
            f"({_rule_source(rule)}); take the case back to the tumour board for decision B, C or D, or record "
            "why the patient is not treated with `oncobasket not-treated`"
        )
    if status is CohortStatus.EXPANSION:
        return (
            f"the expansion cohort is full: its {state.expansion_places} places are taken; a patient found not "
            "evaluable frees a place (`oncobasket treatment end`), otherwise take the case back to the tumour board"
        )
    return f"no place is left in the cohort ({status.value}); record the pending week-16 outcomes first"


def enrol(state: CohortState) -> tuple[CohortState, tuple[Transition, ...]]:
    """Enrol one patient (outcome pending) in the stage under way.

    Raises :class:`ConflictError` when the cohort does not accept patients: stage 1 full (held until the
    stage-1 patients are evaluated), stage 2 full, suspended, promising without an expansion, or closed.
    """
    refused = refusal(state)
    if refused is not None:
        raise ConflictError(refused)
    index = len(state.outcomes)
    patient = EnrolledPatient(stage=state.stage, outcome=Outcome.PENDING)
    state = replace(state, outcomes=(*state.outcomes, patient))
    stage_name = "the expansion cohort" if state.stage == EXPANSION_STAGE else f"stage {state.stage}"
    return _settle(state, f"the patient at place {index + 1} enrolled in {stage_name}")


def _checked_outcome(state: CohortState, index: int, outcome: Outcome, pending_rule: str) -> Outcome:
    """The place must exist and the outcome must be a final one (pending is where every patient starts)."""
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(state.outcomes):
        raise NotFoundError(f"no patient at index {index!r} in this cohort ({len(state.outcomes)} enrolled)")
    try:
        checked = Outcome(outcome)
    except ValueError:
        raise InputError(
            f"unknown outcome {outcome!r}", field="outcome", fix="use benefit, no_benefit or not_evaluable"
        ) from None
    if checked is Outcome.PENDING:
        raise InputError(pending_rule, field="outcome", fix="use benefit, no_benefit or not_evaluable")
    return checked


def record_outcome(state: CohortState, index: int, outcome: Outcome) -> tuple[CohortState, tuple[Transition, ...]]:
    """Record the week-16 outcome of the patient at ``index`` (enrolment order, from 0).

    Recording the same outcome again changes nothing. A recorded outcome is never replaced: a decision
    may already rest on it (raise :class:`ConflictError`). Outcomes recorded after a final decision are
    kept for the report but change no status.
    """
    outcome = _checked_outcome(state, index, outcome, "cannot record 'pending' as an outcome")
    patient = state.outcomes[index]
    if patient.outcome is outcome:
        return state, ()
    if patient.outcome is not Outcome.PENDING:
        raise ConflictError(
            f"the patient at place {index + 1} already has outcome {patient.outcome.value}; a recorded outcome is not "
            "replaced because cohort decisions may rest on it; correct it instead, with the reason "
            "(`oncobasket outcome record --correct --reason TEXT`)"
        )
    outcomes = list(state.outcomes)
    outcomes[index] = patient._replace(outcome=outcome)
    state = replace(state, outcomes=tuple(outcomes))
    cause = f"the patient at place {index + 1} (stage {patient.stage}): {outcome.value.replace('_', ' ')}"
    if outcome is Outcome.NOT_EVALUABLE:
        cause += ", so the place is freed for a replacement"
    return _settle(state, cause)


#: Rule statuses reached only after stage 1 opened stage 2 (stage-1 benefits > r1).
_PAST_STAGE1 = STAGE2_STATUSES | {CohortStatus.PROMISING, CohortStatus.EXPANSION, CohortStatus.CLOSED_NEGATIVE}
#: Rule statuses reached only after the benefits exceeded r.
_PROMISING_TAKEN = frozenset({CohortStatus.PROMISING, CohortStatus.EXPANSION})


def _broken_decision(state: CohortState) -> str | None:
    """Why a decision the cohort has already taken no longer holds on the state's counts, or None.

    Each status the rule reached rests on counts (Simon 1989; DOMAIN.md section 3): stage 2 on stage-1
    benefits > r1, promising on benefits > r, futility on stage-1 benefits that could not exceed r1 even
    with benefit in every pending patient and unfilled place, negative likewise for r. Places are also
    never overfilled by the cohort's own patients (docs/cohorts.md).
    """
    rule = state.rule
    counted = _count(state)
    status = state.rule_status
    if status in _PAST_STAGE1 and counted.benefit[1] <= rule.r1:
        return (
            f"stage 2 was opened because the stage-1 benefits exceeded r1 = {rule.r1}; with the correction "
            f"stage 1 has {_benefits(counted.benefit[1])} among {counted.evaluable[1]} evaluable"
        )
    if status in _PROMISING_TAKEN and counted.rule_benefit <= rule.r:
        return (
            f"the cohort was found promising because the benefits exceeded r = {rule.r}; with the correction "
            f"it has {_benefits(counted.rule_benefit)} among {counted.rule_evaluable} evaluable"
        )
    if status is CohortStatus.CLOSED_FUTILITY:
        unfilled = max(0, rule.n1 - counted.taken(1))
        best_case = counted.benefit[1] + counted.pending[1] + unfilled
        if best_case > rule.r1:
            return (
                f"the cohort was closed for futility because stage 1 could not exceed r1 = {rule.r1} benefits; "
                f"with the correction it could reach {best_case} ({_benefits(counted.benefit[1])}, "
                f"{counted.pending[1]} pending, {unfilled} unfilled places)"
            )
    if status is CohortStatus.CLOSED_NEGATIVE:
        unfilled = max(0, rule.n - counted.rule_taken)
        best_case = counted.rule_benefit + counted.rule_pending + unfilled
        if best_case > rule.r:
            return (
                f"the cohort was closed as negative because it could not exceed r = {rule.r} benefits; with the "
                f"correction it could reach {best_case} ({_benefits(counted.rule_benefit)}, "
                f"{counted.rule_pending} pending, {unfilled} unfilled places)"
            )
    local_stage1 = local_rule = local_expansion = 0
    for patient in state.outcomes:
        if patient.outcome is Outcome.NOT_EVALUABLE:
            continue
        if patient.stage == EXPANSION_STAGE:
            local_expansion += 1
            continue
        local_rule += 1
        local_stage1 += patient.stage == 1
    if local_stage1 > rule.n1 or local_rule > rule.n or local_expansion > (state.expansion_places or 0):
        return (
            "the place the patient's not-evaluable outcome freed has been given to a replacement; counting the "
            "patient again would overfill the stage"
        )
    return None


def correct_outcome(state: CohortState, index: int, outcome: Outcome) -> tuple[CohortState, tuple[Transition, ...]]:
    """Correct the recorded week-16 outcome of the patient at ``index`` (a data correction, e.g. a W16 scan
    re-read), then re-apply the two-stage rule to the corrected counts.

    The rule's decisions are taken as soon as they are certain and a closed cohort never reopens
    (docs/cohorts.md; Simon 1989: the stage-1 decision is final). So a correction is applied only when
    every decision the cohort has already taken still holds on the corrected counts; the rule then moves on
    from there (a corrected outcome may open stage 2, free a place, or make futility, negative or promising
    certain). A correction that would reverse a decision already taken (stage 2 opened, promising, closed
    for futility or as negative) or overfill a stage is refused with :class:`ConflictError`: the cohort
    decision stands and must be reviewed by the trial team; nothing is recomputed behind its back, because
    patients may already have been enrolled, or turned away, on that decision.
    """
    outcome = _checked_outcome(state, index, outcome, "cannot correct an outcome to 'pending'")
    patient = state.outcomes[index]
    if patient.outcome is Outcome.PENDING:
        raise ConflictError(
            f"the patient at place {index + 1} has no week-16 outcome recorded yet; record it, there is nothing "
            "to correct"
        )
    if patient.outcome is outcome:
        raise InputError(
            f"the patient at place {index + 1} already has outcome {outcome.value}; there is nothing to correct",
            field="outcome",
            fix="give the corrected outcome",
        )
    outcomes = list(state.outcomes)
    outcomes[index] = patient._replace(outcome=outcome)
    corrected = replace(state, outcomes=tuple(outcomes))
    broken = _broken_decision(corrected)
    if broken is not None:
        raise ConflictError(
            f"correcting the patient at place {index + 1} from {patient.outcome.value} to {outcome.value} would "
            f"reverse a cohort decision already taken: {broken}; the cohort decision stands (a closed or "
            "advanced cohort never goes back, docs/cohorts.md) and must be reviewed by the trial team"
        )
    cause = (
        f"correction: the patient at place {index + 1} (stage {patient.stage}): "
        f"{patient.outcome.value.replace('_', ' ')} -> {outcome.value.replace('_', ' ')}"
    )
    return _settle(corrected, cause)


def add_pooled(state: CohortState, pooled: PooledCount) -> tuple[CohortState, tuple[Transition, ...]]:
    """Add a sister trial's count of evaluable patients and benefits to the stage under way."""
    if state.rule_status not in RUNNING_STATUSES:
        raise ConflictError(
            f"pooled counts can only be added while the two-stage rule runs; the cohort is {state.status.value}, "
            "its decision is taken and later counts cannot change it; report the sister trial's counts apart"
        )
    stage = 1 if state.rule_status in STAGE1_STATUSES else 2
    state = replace(state, pooled=(*state.pooled, replace(pooled, stage=stage)))
    cause = (
        f"pooled count from {pooled.source} added to stage {stage} "
        f"({_benefits(pooled.benefit)} among {pooled.evaluable} evaluable)"
    )
    return _settle(state, cause)


def suspend(state: CohortState, reason: str) -> tuple[CohortState, tuple[Transition, ...]]:
    """Stop enrolment for a reason (safety review, drug supply, ...) until :func:`resume`."""
    if not reason.strip():
        raise InputError("must say why the cohort is suspended", field="reason", fix="give a short reason")
    if state.status is CohortStatus.SUSPENDED:
        raise ConflictError(
            f"the cohort is already suspended ({state.suspension_reason}); there is nothing to suspend: resume "
            "it with `oncobasket cohort resume` when the reason is resolved, then suspend it again for a new reason"
        )
    if state.status in CLOSED_STATUSES:
        raise ConflictError(
            f"the cohort is closed ({state.status.value}) and cannot be suspended; a closed cohort takes no "
            "patients, so there is no enrolment to hold"
        )
    before = state.status
    state = replace(
        state, status=CohortStatus.SUSPENDED, status_before_suspension=before, suspension_reason=reason.strip()
    )
    return state, (Transition(before, CohortStatus.SUSPENDED, f"suspended: {reason.strip()}", tally(state)),)


def resume(state: CohortState) -> tuple[CohortState, tuple[Transition, ...]]:
    """End a suspension: the cohort returns to the status the rule reached meanwhile."""
    if state.status is not CohortStatus.SUSPENDED or state.status_before_suspension is None:
        raise ConflictError(
            f"the cohort is not suspended ({state.status.value}); there is nothing to resume: check the cohort "
            "with `oncobasket cohort show`"
        )
    target = state.status_before_suspension
    state = replace(state, status=target, status_before_suspension=None, suspension_reason=None)
    resumed = Transition(CohortStatus.SUSPENDED, target, "resumed", tally(state))
    state, more = _settle(state, "after resuming")
    return state, (resumed, *more)


def open_expansion(state: CohortState, places: int | None = None) -> tuple[CohortState, tuple[Transition, ...]]:
    """Turn a promising cohort into an expansion cohort with ``places`` places (default: the rule's n).

    DOMAIN.md section 3: a promising cohort *may* become an expansion cohort (pay-for-performance). The
    published sources do not fix its size; the default gives it as many places as the two-stage cohort.
    """
    if state.status is not CohortStatus.PROMISING:
        raise ConflictError(
            f"only a promising cohort can open an expansion; the cohort is {state.status.value}: an expansion "
            f"opens once the two-stage rule finds the cohort promising (more than {state.rule.r} benefits; "
            "see `oncobasket cohort show` for what it waits for)"
        )
    size = state.rule.n if places is None else places
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise InputError(f"must be a whole number >= 1, got {size!r}", field="places", fix="give the expansion size")
    state = replace(state, status=CohortStatus.EXPANSION, stage=EXPANSION_STAGE, expansion_places=size)
    reason = f"expansion cohort opened with {_patients(size).replace('patient', 'place')}"
    return state, (Transition(CohortStatus.PROMISING, CohortStatus.EXPANSION, reason, tally(state)),)


def next_decision(state: CohortState) -> str:
    """What the cohort waits for, in words (e.g. ``3 of 8 stage-1 patients awaiting week-16 evaluation``)."""
    rule = state.rule
    counted = _count(state)
    status = state.status
    prefix = ""
    if status is CohortStatus.SUSPENDED:
        prefix = f"suspended ({state.suspension_reason}); on resume: "
        status = state.rule_status
    if status in STAGE1_STATUSES:
        taken, pending = counted.taken(1), counted.pending[1]
        need = rule.r1 + 1
        text = (
            f"stage 1: {taken} of {rule.n1} places taken, {_benefits(counted.benefit[1])} so far; "
            f"{pending} of {rule.n1} stage-1 patients awaiting week-16 evaluation; "
            f"{need} benefit{'s' if need != 1 else ''} open stage 2"
        )
        if status is CohortStatus.STAGE1_FULL:
            text += "; enrolment held until they are evaluated"
        else:
            text += f"; {max(0, rule.n1 - taken)} places open"
        return prefix + text
    if status in STAGE2_STATUSES:
        need = rule.r + 1
        text = (
            f"stage 2: {counted.rule_taken} of {rule.n} places taken, {_benefits(counted.rule_benefit)} so far "
            f"({need} make the cohort promising); {counted.rule_pending} awaiting week-16 evaluation"
        )
        if status is CohortStatus.STAGE2_OPEN:
            text += f"; {max(0, rule.n - counted.rule_taken)} places open"
        return prefix + text
    if status is CohortStatus.PROMISING:
        return prefix + (
            f"promising ({_benefits(counted.rule_benefit)} among {counted.rule_evaluable} evaluable > r = {rule.r}): "
            "decide whether to open an expansion cohort"
        )
    if status is CohortStatus.EXPANSION:
        return prefix + (
            f"expansion cohort: {counted.taken(EXPANSION_STAGE)} of {state.expansion_places} places taken, "
            f"{counted.pending[EXPANSION_STAGE]} awaiting week-16 evaluation"
        )
    if status is CohortStatus.CLOSED_FUTILITY:
        return f"none: closed for futility ({_benefits(counted.benefit[1])} in stage 1, r1 = {rule.r1})"
    return f"none: closed as negative ({_benefits(counted.rule_benefit)} in {counted.rule_evaluable}, r = {rule.r})"
