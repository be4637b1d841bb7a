"""Adverse events: the CTCAE v5.0 vocabulary, one recorded adverse event and its rules, worst-grade roll-ups.

Sources (each rule below names the one it implements):

- CTCAE v5.0: Common Terminology Criteria for Adverse Events, version 5.0, 27 November 2017, U.S. Department
  of Health and Human Services, NIH, National Cancer Institute (a U.S. Government work). Its introduction
  defines an AE term as a MedDRA Lowest Level Term grouped by its primary System Organ Class, grades 1-5
  ("Grade 5 (Death) is not appropriate for some AEs and therefore is not an option"; a '-' in a grade cell
  means the grade is not available for the term), and the "Other, specify" term of each SOC for an event
  the list does not name, "to be used only when no CTCAE term is suitable", with the event named in the
  specification.
- ICH E2A (1994), section II.B: a serious adverse event is one that results in death, is life-threatening,
  requires or prolongs hospitalisation, results in persistent or significant disability, or is a congenital
  anomaly; "serious" (outcome-based) is not the same as "severe" (intensity), so only the grade that *is*
  death (CTCAE grade 5) makes an event serious by itself.
- Causality: the five-point investigator scale of common oncology eCRFs and the NCI CTEP adverse-event
  reporting guidelines (CTEP-AERS "attribution": unrelated, unlikely, possible, probable, definite).
  For reporting, possible/probable/definite count as related and unrelated/unlikely as not related, as
  NCI CTEP and most trial safety tables do. The WHO-UMC causality system grades the same ladder (certain,
  probable/likely, possible, unlikely) and adds conditional and unassessable, which a trial eCRF does not use.
- Outcome: CDISC SDTM Implementation Guide, AE domain, variable AEOUT, controlled terminology codelist
  OUT (C66768): RECOVERED/RESOLVED, RECOVERING/RESOLVING, NOT RECOVERED/NOT RESOLVED, RECOVERED/RESOLVED
  WITH SEQUELAE, FATAL, UNKNOWN; here in lower-case words.
- Worst grade per patient and term: CTCAE-based safety tables count each patient once per term at the
  highest grade recorded for that term (NCI CTEP, "Adverse event reporting requirements"; the convention
  of every published phase 1-2 toxicity table).

The vocabulary is passed in (like the tumour types, :mod:`oncobasket.core.tumour_types`); the shipped CTCAE
v5.0 table and its reader live in :mod:`oncobasket.io.ctcae`.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from oncobasket.core.errors import InputError

#: CTCAE grades: 1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death related to the AE.
GRADES = (1, 2, 3, 4, 5)
GRADE_DEATH = 5
#: The suffix CTCAE gives the catch-all term of each SOC ("Cardiac disorders - Other, specify").
OTHER_SPECIFY = "Other, specify"


class DrugRelation(StrEnum):
    """The investigator's causality assessment of an adverse event against one study drug (five-point scale)."""

    NOT_RELATED = "not_related"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"

    @property
    def related(self) -> bool:
        """Collapsed for reporting: possible, probable and definite count as related (NCI CTEP attribution)."""
        return self in {DrugRelation.POSSIBLE, DrugRelation.PROBABLE, DrugRelation.DEFINITE}


class AdverseEventOutcome(StrEnum):
    """The outcome of an adverse event (CDISC SDTM AEOUT, codelist OUT)."""

    RECOVERED = "recovered"
    RECOVERING = "recovering"
    NOT_RECOVERED = "not_recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae"
    FATAL = "fatal"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CtcaeTerm:
    """One CTCAE term: its MedDRA System Organ Class, MedDRA code (None when the source has none) and the
    grades CTCAE defines for it, ascending."""

    term: str
    soc: str
    meddra_code: str | None
    grades: tuple[int, ...]

    @property
    def other_specify(self) -> bool:
        """An SOC's catch-all term, which needs the event named in a specification (CTCAE v5.0 introduction)."""
        return self.term.endswith(OTHER_SPECIFY)

    @property
    def allows_death(self) -> bool:
        return GRADE_DEATH in self.grades


@dataclass(frozen=True, slots=True)
class AdverseEventTerms:
    """A CTCAE vocabulary of one version. Terms are matched case-insensitively and exactly.

    Building checks that no term is given twice and that every term defines grades within 1-5, ascending
    (raises ValueError; the reader turns that into a line-numbered error).
    """

    terms: tuple[CtcaeTerm, ...]
    version: str
    source: str = "NCI CTCAE v5.0 (27 November 2017), U.S. Government work"
    _by_key: Mapping[str, CtcaeTerm] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, CtcaeTerm] = {}
        for item in self.terms:
            key = _key(item.term)
            if not key:
                raise ValueError("a CTCAE term is empty")
            if key in by_key:
                raise ValueError(f"CTCAE term '{item.term}' is given twice")
            if not item.grades or any(grade not in GRADES for grade in item.grades):
                raise ValueError(f"CTCAE term '{item.term}' has grades {list(item.grades)}, not a choice of 1-5")
            if list(item.grades) != sorted(set(item.grades)):
                raise ValueError(f"CTCAE term '{item.term}' lists grades {list(item.grades)} out of order or twice")
            by_key[key] = item
        object.__setattr__(self, "terms", tuple(self.terms))
        object.__setattr__(self, "_by_key", MappingProxyType(by_key))

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[CtcaeTerm]:
        return iter(self.terms)

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and _key(term) in self._by_key

    @property
    def socs(self) -> tuple[str, ...]:
        """The System Organ Classes, in the order the vocabulary first names them."""
        return tuple(dict.fromkeys(item.soc for item in self.terms))

    def get(self, term: str) -> CtcaeTerm | None:
        """The term spelt ``term`` in any letter case (outer and repeated spaces ignored), or None."""
        return self._by_key.get(_key(term))

    def suggestions(self, term: str, *, limit: int = 3) -> tuple[str, ...]:
        """The nearest valid terms to a misspelt one (difflib ratio >= 0.6), closest first."""
        keys = difflib.get_close_matches(_key(term), list(self._by_key), n=limit, cutoff=0.6)
        return tuple(self._by_key[key].term for key in keys)

    def lookup(self, term: str, *, field: str = "term") -> CtcaeTerm:
        """The CTCAE term, or :class:`InputError` naming the nearest valid terms.

        Rule (CTCAE v5.0 introduction): an adverse event is reported under a CTCAE term; an event the list
        does not name goes under its SOC's "Other, specify" term.
        """
        found = self.get(term)
        if found is not None:
            return found
        shown = " ".join(term.split())
        if not shown:
            raise InputError(
                "the adverse event term is empty",
                field=field,
                fix=f"give a CTCAE v{self.version} term, e.g. 'Nausea' or 'Diarrhea'",
            )
        near = self.suggestions(term)
        hint = f"did you mean {', '.join(repr(item) for item in near)}? " if near else ""
        raise InputError(
            f"'{shown}' is not a CTCAE v{self.version} term",
            field=field,
            fix=f"{hint}use the term exactly as CTCAE spells it, or the SOC's '... - {OTHER_SPECIFY}' term "
            "with a specification",
        )


@dataclass(frozen=True, slots=True)
class StudyDrugRelation:
    """The causality of an adverse event against one study drug (generic name, lower case)."""

    drug: str
    relation: DrugRelation


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One adverse event as recorded, after :func:`record_adverse_event` checked every rule.

    ``term`` is CTCAE's own spelling; ``specification`` names the event of an "Other, specify" term and is
    None otherwise; ``end`` is None while the event is ongoing; ``relations`` has one entry per study drug,
    in drug-name order.
    """

    term: str
    soc: str
    meddra_code: str | None
    grade: int
    serious: bool
    relations: tuple[StudyDrugRelation, ...]
    start: date
    end: date | None
    outcome: AdverseEventOutcome
    specification: str | None = None

    @property
    def label(self) -> str:
        """The term as reports show it: "Other, specify" terms carry their specification."""
        return self.term if self.specification is None else f"{self.term}: {self.specification}"

    @property
    def related(self) -> bool:
        """Related (possible, probable or definite) to at least one study drug."""
        return any(item.relation.related for item in self.relations)

    def relation_to(self, drug: str) -> DrugRelation | None:
        """The assessed relation to ``drug`` (any letter case), or None when the drug was not assessed."""
        wanted = drug.strip().lower()
        return next((item.relation for item in self.relations if item.drug == wanted), None)

    def related_to(self, drug: str) -> bool:
        relation = self.relation_to(drug)
        return relation is not None and relation.related


def parse_relation(text: str, *, field: str = "relation") -> DrugRelation:
    """A causality word: not_related, unlikely, possible, probable or definite ('-' and spaces as '_')."""
    value = "_".join(text.strip().lower().replace("-", " ").split())
    try:
        return DrugRelation(value)
    except ValueError:
        raise InputError(
            f"'{text}' is not a relation to a study drug",
            field=field,
            fix=f"use one of: {', '.join(item.value for item in DrugRelation)}",
        ) from None


def parse_adverse_event_outcome(text: str, *, field: str = "outcome") -> AdverseEventOutcome:
    """An adverse-event outcome word (CDISC AEOUT): recovered, recovering, not_recovered, ..."""
    value = "_".join(text.strip().lower().replace("-", " ").split())
    try:
        return AdverseEventOutcome(value)
    except ValueError:
        raise InputError(
            f"'{text}' is not an adverse-event outcome",
            field=field,
            fix=f"use one of: {', '.join(item.value for item in AdverseEventOutcome)}",
        ) from None


def parse_grade(value: int | str, *, field: str = "grade") -> int:
    """A whole-number grade as given (range and term checks are :func:`check_grade`'s)."""
    if isinstance(value, bool):
        raise InputError(f"{value!r} is not a CTCAE grade", field=field, fix="give a whole number 1-5")
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.lstrip("+-").isdigit():
        raise InputError(f"'{value}' is not a CTCAE grade", field=field, fix="give a whole number 1-5")
    return int(text)


def check_grade(term: CtcaeTerm, grade: int, *, field: str = "grade") -> None:
    """Rule (CTCAE v5.0 introduction): grades run 1-5, and a term allows only the grades it defines; "Grade 5
    (Death) is not appropriate for some AEs and therefore is not an option", and many terms stop at 2 or 3."""
    allowed = ", ".join(str(item) for item in term.grades)
    if grade not in GRADES:
        raise InputError(
            f"grade {grade} is not a CTCAE grade (1 mild to 5 death); '{term.term}' allows grades {allowed}",
            field=field,
            fix=f"give one of {allowed}",
        )
    if grade not in term.grades:
        extra = ""
        if grade == GRADE_DEATH:
            extra = "; record a death as grade 5 under a term that allows it (or 'Death NOS')"
        raise InputError(
            f"'{term.term}' has no grade {grade} in CTCAE; it allows grades {allowed}",
            field=field,
            fix=f"give one of {allowed}{extra}",
        )


def record_adverse_event(
    terms: AdverseEventTerms,
    *,
    term: str,
    grade: int | str,
    serious: bool,
    relations: Mapping[str, DrugRelation | str],
    start: date,
    outcome: AdverseEventOutcome | str,
    end: date | None = None,
    specification: str | None = None,
    study_drugs: Collection[str] | None = None,
) -> AdverseEvent:
    """Check one adverse event against every rule and return it; the first broken rule raises InputError.

    Rules, in the order they are checked:

    1. The term is a CTCAE term, matched case-insensitively and exactly; otherwise the error names the
       nearest valid terms (CTCAE v5.0 introduction).
    2. An "Other, specify" term needs the event named in ``specification``, and only such a term takes one
       (CTCAE v5.0 introduction: "Other, specify" is used only when no CTCAE term is suitable, naming the
       event).
    3. The grade is 1-5 and one the term defines (:func:`check_grade`).
    4. Grade 5 is death related to the AE (CTCAE v5.0 grade definitions), so grade 5 and outcome ``fatal``
       go together: grade 5 needs outcome fatal, and a fatal outcome needs grade 5.
    5. A grade-5 event is serious (ICH E2A II.B: an event that results in death is serious).
    6. The event does not end before it starts (an end date before the start date is a data error; CDISC
       SDTM AE: AESTDTC, AEENDTC).
    7. Every study drug has exactly one causality assessment on the five-point scale; with ``study_drugs``
       given (the enrolled cohort's drugs), those and only those are assessed (eCRF: relation to each
       study drug).
    """
    found = terms.lookup(term)
    detail = " ".join(specification.split()) if specification is not None else ""
    if found.other_specify and not detail:
        raise InputError(
            f"'{found.term}' needs the event named in a specification",
            field="specification",
            fix="name the event (e.g. 'appendagitis'), or use the CTCAE term that describes it",
        )
    if not found.other_specify and detail:
        raise InputError(
            f"a specification is only for an '{OTHER_SPECIFY}' term, not '{found.term}'",
            field="specification",
            fix="leave the specification out",
        )
    level = parse_grade(grade)
    check_grade(found, level)
    result = parse_adverse_event_outcome(outcome) if isinstance(outcome, str) else outcome
    if level == GRADE_DEATH and result is not AdverseEventOutcome.FATAL:
        raise InputError(
            f"grade 5 is death related to the adverse event, but the outcome is '{result.value}'",
            field="outcome",
            fix="record the outcome as fatal, or give the grade the event reached before recovery",
        )
    if result is AdverseEventOutcome.FATAL and level != GRADE_DEATH:
        raise InputError(
            f"a fatal outcome is grade 5 in CTCAE, but the grade is {level}",
            field="grade",
            fix="record grade 5 (under the term that caused death, or 'Death NOS'), or correct the outcome",
        )
    if level == GRADE_DEATH and not serious:
        raise InputError(
            "a grade-5 (fatal) adverse event is serious (ICH E2A: results in death)",
            field="serious",
            fix="mark the event serious",
        )
    if end is not None and end < start:
        raise InputError(
            f"the end date {end.isoformat()} is before the start date {start.isoformat()}",
            field="end",
            fix="give an end date on or after the start date, or leave it out while the event is ongoing",
        )
    return AdverseEvent(
        term=found.term,
        soc=found.soc,
        meddra_code=found.meddra_code,
        grade=level,
        serious=serious,
        relations=_relations(relations, study_drugs),
        start=start,
        end=end,
        outcome=result,
        specification=detail or None,
    )


def _relations(
    relations: Mapping[str, DrugRelation | str], study_drugs: Collection[str] | None
) -> tuple[StudyDrugRelation, ...]:
    """The relation to each study drug, checked: one per drug, none empty, and (given ``study_drugs``) exactly
    the study drugs."""
    assessed: dict[str, DrugRelation] = {}
    for name, value in relations.items():
        drug = name.strip().lower()
        if not drug:
            raise InputError("a study drug name is empty", field="relation", fix="name the drug, e.g. dabrafenib")
        if drug in assessed:
            raise InputError(f"the relation to {drug} is given twice", field="relation", fix="give it once")
        assessed[drug] = parse_relation(value, field=f"relation to {drug}") if isinstance(value, str) else value
    if not assessed:
        raise InputError(
            "no relation to a study drug is given",
            field="relation",
            fix=f"assess the event against each study drug: {', '.join(item.value for item in DrugRelation)}",
        )
    if study_drugs is not None:
        expected = {name.strip().lower() for name in study_drugs}
        missing = sorted(expected - set(assessed))
        extra = sorted(set(assessed) - expected)
        if missing:
            raise InputError(
                f"no relation to study drug {', '.join(missing)} is given",
                field="relation",
                fix="assess the event against every study drug of the cohort",
            )
        if extra:
            raise InputError(
                f"{', '.join(extra)} is not a study drug of this patient's cohort",
                field="relation",
                fix=f"assess only the study drugs: {', '.join(sorted(expected))}",
            )
    return tuple(StudyDrugRelation(drug, assessed[drug]) for drug in sorted(assessed))


def _key(term: str) -> str:
    return " ".join(term.split()).casefold()


# --- Roll-ups for reports ---------------------------------------------------------------------------


def worst_grade(events: Iterable[AdverseEvent]) -> int | None:
    """The highest grade among ``events``, or None when there are none."""
    return max((event.grade for event in events), default=None)


def related_events(events: Iterable[AdverseEvent], *, drug: str | None = None) -> tuple[AdverseEvent, ...]:
    """The events related (possible, probable, definite) to ``drug``, or to any study drug when ``drug`` is
    None (NCI CTEP attribution collapsed to related / not related)."""
    if drug is None:
        return tuple(event for event in events if event.related)
    return tuple(event for event in events if event.related_to(drug))


def worst_grade_per_patient(
    events_by_patient: Mapping[str, Iterable[AdverseEvent]], *, related_to: str | None = None, related: bool = False
) -> dict[str, int]:
    """Each patient's worst grade over all their events (patients without a counted event are left out).

    With ``related=True`` only events related to any study drug count; with ``related_to`` only those related
    to that drug.
    """
    worst: dict[str, int] = {}
    for patient, events in events_by_patient.items():
        counted = _counted(events, related_to=related_to, related=related)
        grade = worst_grade(counted)
        if grade is not None:
            worst[patient] = grade
    return worst


def worst_grade_per_term(
    events_by_patient: Mapping[str, Iterable[AdverseEvent]], *, related_to: str | None = None, related: bool = False
) -> dict[str, dict[str, int]]:
    """For each term (its report label), each patient's worst grade of that term: a patient counts once per
    term, at the highest grade recorded (CTCAE safety-table convention)."""
    table: dict[str, dict[str, int]] = {}
    for patient, events in events_by_patient.items():
        for event in _counted(events, related_to=related_to, related=related):
            row = table.setdefault(event.label, {})
            row[patient] = max(row.get(patient, 0), event.grade)
    return table


@dataclass(frozen=True, slots=True)
class TermSummary:
    """A safety-table row: patients by worst grade of one term. ``patients_by_grade[g - 1]`` is the number of
    patients whose worst grade of this term is g."""

    label: str
    soc: str
    patients_by_grade: tuple[int, int, int, int, int]

    @property
    def patients(self) -> int:
        """Patients with the term at any grade."""
        return sum(self.patients_by_grade)

    @property
    def patients_grade_3_or_worse(self) -> int:
        return sum(self.patients_by_grade[2:])


def summarise_by_term(
    events_by_patient: Mapping[str, Iterable[AdverseEvent]], *, related_to: str | None = None, related: bool = False
) -> tuple[TermSummary, ...]:
    """One row per term (label): patients counted once at their worst grade; rows by SOC, then most patients,
    then label."""
    grouped: dict[str, dict[str, int]] = {}
    socs: dict[str, str] = {}
    for patient, events in events_by_patient.items():
        for event in _counted(events, related_to=related_to, related=related):
            socs[event.label] = event.soc
            row = grouped.setdefault(event.label, {})
            row[patient] = max(row.get(patient, 0), event.grade)
    rows = []
    for label, worst in grouped.items():
        counts = [0, 0, 0, 0, 0]
        for grade in worst.values():
            counts[grade - 1] += 1
        rows.append(TermSummary(label, socs[label], (counts[0], counts[1], counts[2], counts[3], counts[4])))
    return tuple(sorted(rows, key=lambda row: (row.soc, -row.patients, row.label)))


def _counted(events: Iterable[AdverseEvent], *, related_to: str | None, related: bool) -> tuple[AdverseEvent, ...]:
    if related_to is not None:
        return related_events(events, drug=related_to)
    if related:
        return related_events(events)
    return tuple(events)
