"""Adverse events: the shipped CTCAE v5.0 vocabulary, the recording rules, suggestions and worst-grade roll-ups.

Expected values come from the published CTCAE v5.0 (NCI, 27 November 2017) and the rules cited in
``oncobasket.core.adverse_events``, not from this code's output.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncobasket.core.adverse_events import (
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventTerms,
    CtcaeTerm,
    DrugRelation,
    StudyDrugRelation,
    parse_adverse_event_outcome,
    parse_relation,
    record_adverse_event,
    related_events,
    summarise_by_term,
    worst_grade,
    worst_grade_per_patient,
    worst_grade_per_term,
)
from oncobasket.core.errors import InputError
from oncobasket.io.ctcae import load_shipped_ctcae

TERMS = load_shipped_ctcae()
START = date(2026, 3, 2)

# --- the vocabulary -------------------------------------------------------------------------------------

# CTCAE v5.0 has 837 terms in 26 MedDRA System Organ Classes, one "Other, specify" term per SOC.
PUBLISHED_TERM_COUNT = 837
PUBLISHED_SOCS = {
    "Blood and lymphatic system disorders",
    "Cardiac disorders",
    "Congenital, familial and genetic disorders",
    "Ear and labyrinth disorders",
    "Endocrine disorders",
    "Eye disorders",
    "Gastrointestinal disorders",
    "General disorders and administration site conditions",
    "Hepatobiliary disorders",
    "Immune system disorders",
    "Infections and infestations",
    "Injury, poisoning and procedural complications",
    "Investigations",
    "Metabolism and nutrition disorders",
    "Musculoskeletal and connective tissue disorders",
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
    "Nervous system disorders",
    "Pregnancy, puerperium and perinatal conditions",
    "Psychiatric disorders",
    "Renal and urinary disorders",
    "Reproductive system and breast disorders",
    "Respiratory, thoracic and mediastinal disorders",
    "Skin and subcutaneous tissue disorders",
    "Social circumstances",
    "Surgical and medical procedures",
    "Vascular disorders",
}

# Rows of the published CTCAE v5.0 table: term, MedDRA code, SOC, the grades that are not "-".
PUBLISHED_ROWS = [
    ("Alopecia", "10001760", "Skin and subcutaneous tissue disorders", (1, 2)),
    ("Nausea", "10028813", "Gastrointestinal disorders", (1, 2, 3)),
    ("Vomiting", "10047700", "Gastrointestinal disorders", (1, 2, 3, 4, 5)),
    ("Diarrhea", "10012727", "Gastrointestinal disorders", (1, 2, 3, 4, 5)),
    ("Fatigue", "10016256", "General disorders and administration site conditions", (1, 2, 3)),
    ("Anemia", "10002272", "Blood and lymphatic system disorders", (1, 2, 3, 4, 5)),
    ("Febrile neutropenia", "10016288", "Blood and lymphatic system disorders", (3, 4, 5)),
    ("Neutrophil count decreased", "10029366", "Investigations", (1, 2, 3, 4)),
    ("Platelet count decreased", "10035528", "Investigations", (1, 2, 3, 4)),
    ("Alanine aminotransferase increased", "10001551", "Investigations", (1, 2, 3, 4)),
    ("Rash maculo-papular", "10037868", "Skin and subcutaneous tissue disorders", (1, 2, 3)),
    ("Peripheral sensory neuropathy", "10034620", "Nervous system disorders", (1, 2, 3, 4)),
    ("Hypertension", "10020772", "Vascular disorders", (1, 2, 3, 4, 5)),
    ("Pneumonitis", "10035742", "Respiratory, thoracic and mediastinal disorders", (1, 2, 3, 4, 5)),
    ("Death NOS", "10011914", "General disorders and administration site conditions", (5,)),
    ("Eosinophilia", "10014950", "Blood and lymphatic system disorders", (1, 3)),
    ("Vaginal stricture", "10053496", "Reproductive system and breast disorders", (1, 2, 3, 5)),
    ("Sepsis", "10040047", "Infections and infestations", (3, 4, 5)),
    (
        "Cardiac disorders - Other, specify",
        "10007541",
        "Cardiac disorders",
        (1, 2, 3, 4, 5),
    ),
]


def test_shipped_vocabulary_is_complete() -> None:
    assert TERMS.version == "5.0"
    assert len(TERMS) == PUBLISHED_TERM_COUNT
    assert set(TERMS.socs) == PUBLISHED_SOCS
    others = Counter(item.soc for item in TERMS if item.other_specify)
    assert set(others) == PUBLISHED_SOCS
    assert set(others.values()) == {1}
    codes = [item.meddra_code for item in TERMS]
    assert all(code is not None and re.fullmatch(r"\d{8}", code) for code in codes)
    assert len(set(codes)) == PUBLISHED_TERM_COUNT


@pytest.mark.parametrize(("term", "code", "soc", "grades"), PUBLISHED_ROWS)
def test_shipped_vocabulary_matches_published_rows(term: str, code: str, soc: str, grades: tuple[int, ...]) -> None:
    item = TERMS.get(term)
    assert item is not None
    assert (item.term, item.meddra_code, item.soc, item.grades) == (term, code, soc, grades)


def test_terms_match_case_insensitively_and_exactly() -> None:
    assert TERMS.lookup("  nAUSEA ").term == "Nausea"
    assert TERMS.lookup("rash   maculo-papular").term == "Rash maculo-papular"
    assert "NAUSEA" in TERMS
    assert "Nause" not in TERMS  # a prefix is not a match
    assert TERMS.get("Neutropenia") is None  # CTCAE has "Neutrophil count decreased", not "Neutropenia"


@pytest.mark.parametrize(
    ("misspelt", "first"),
    [
        ("Nausia", "Nausea"),
        ("Vomitting", "Vomiting"),
        ("diarrhoea", "Diarrhea"),  # British spelling; CTCAE uses US spelling
        ("Fatige", "Fatigue"),
        ("Hypertention", "Hypertension"),
        ("Pnemonitis", "Pneumonitis"),
    ],
)
def test_misspellings_are_refused_with_the_nearest_terms(misspelt: str, first: str) -> None:
    assert TERMS.suggestions(misspelt)[0] == first
    with pytest.raises(InputError) as raised:
        TERMS.lookup(misspelt)
    message = str(raised.value)
    assert f"'{misspelt}' is not a CTCAE v5.0 term" in message
    assert f"did you mean '{first}'" in message
    assert "\n" not in message


def test_unknown_term_without_near_terms_names_other_specify() -> None:
    with pytest.raises(InputError, match="Other, specify") as raised:
        TERMS.lookup("Qqqqqqqq zzzzz")
    assert "did you mean" not in str(raised.value)
    with pytest.raises(InputError, match="term is empty"):
        TERMS.lookup("   ")


# --- recording rules: golden accepted and refused cases ---------------------------------------------------


def _record(**changes: object) -> AdverseEvent:
    form: dict[str, object] = {
        "term": "Diarrhea",
        "grade": 2,
        "serious": False,
        "relations": {"dabrafenib": "possible", "trametinib": "unlikely"},
        "start": START,
        "outcome": "recovered",
        "end": date(2026, 3, 9),
    }
    form.update(changes)
    return record_adverse_event(TERMS, **form)  # type: ignore[arg-type]


ACCEPTED = [
    ("ordinary grade 2", {}),
    ("term in another case", {"term": "DIARRHEA"}),
    ("grade given as text", {"grade": " 3 "}),
    ("ongoing event has no end", {"end": None, "outcome": "not_recovered"}),
    ("ends the day it starts", {"end": START}),
    ("grade 5 fatal serious", {"term": "Sepsis", "grade": 5, "serious": True, "outcome": "fatal"}),
    ("serious grade 3 (hospitalised)", {"grade": 3, "serious": True}),
    ("grade 4 need not be serious", {"grade": 4, "serious": False}),
    ("term that stops at grade 2 at its top", {"term": "Alopecia", "grade": 2}),
    ("grade 1 with a gap at 2", {"term": "Eosinophilia", "grade": 3}),
    (
        "other, specify with its event named",
        {"term": "Gastrointestinal disorders - Other, specify", "specification": "appendagitis"},
    ),
    ("outcome words with hyphens", {"outcome": "recovered-with-sequelae"}),
    ("death-only term", {"term": "Death NOS", "grade": 5, "serious": True, "outcome": "fatal", "end": START}),
]


@pytest.mark.parametrize(("case", "changes"), ACCEPTED, ids=[case for case, _ in ACCEPTED])
def test_golden_accepted(case: str, changes: dict[str, object]) -> None:
    event = _record(**changes)
    assert event.term == TERMS.lookup(str(changes.get("term", "Diarrhea"))).term
    assert 1 <= event.grade <= 5


# (case, changes, field named, words the one-line message must carry)
REFUSED = [
    ("unknown term", {"term": "Diarhea"}, "term", "did you mean 'Diarrhea'"),
    ("grade 6", {"grade": 6}, "grade", "grade 6 is not a CTCAE grade"),
    ("grade 0", {"grade": 0}, "grade", "grade 0 is not a CTCAE grade"),
    ("grade as a word", {"grade": "severe"}, "grade", "'severe' is not a CTCAE grade"),
    ("grade above the term's top", {"term": "Nausea", "grade": 4}, "grade", "allows grades 1, 2, 3"),
    (
        "grade 5 for a term without death",
        {"term": "Alopecia", "grade": 5, "serious": True, "outcome": "fatal"},
        "grade",
        "'Alopecia' has no grade 5",
    ),
    ("grade in a term's gap", {"term": "Eosinophilia", "grade": 2}, "grade", "allows grades 1, 3"),
    ("grade 5 not fatal", {"term": "Sepsis", "grade": 5, "serious": True}, "outcome", "grade 5 is death"),
    ("fatal not grade 5", {"grade": 4, "serious": True, "outcome": "fatal"}, "grade", "a fatal outcome is grade 5"),
    (
        "grade 5 not serious",
        {"term": "Sepsis", "grade": 5, "serious": False, "outcome": "fatal"},
        "serious",
        "is serious",
    ),
    ("end before start", {"end": date(2026, 3, 1)}, "end", "before the start date"),
    (
        "other, specify without the event",
        {"term": "Cardiac disorders - Other, specify"},
        "specification",
        "needs the event named",
    ),
    (
        "other, specify with a blank event",
        {"term": "Cardiac disorders - Other, specify", "specification": "   "},
        "specification",
        "needs the event named",
    ),
    ("specification on a listed term", {"specification": "watery"}, "specification", "only for an 'Other, specify'"),
    ("no relation", {"relations": {}}, "relation", "no relation to a study drug"),
    ("relation word", {"relations": {"dabrafenib": "maybe"}}, "relation to dabrafenib", "'maybe' is not a relation"),
    (
        "drug twice",
        {"relations": {"Dabrafenib": "possible", "dabrafenib ": "unlikely"}},
        "relation",
        "given twice",
    ),
    ("empty drug name", {"relations": {" ": "possible"}}, "relation", "drug name is empty"),
    ("outcome word", {"outcome": "resolved"}, "outcome", "'resolved' is not an adverse-event outcome"),
]


@pytest.mark.parametrize(("case", "changes", "field", "words"), REFUSED, ids=[case for case, *_ in REFUSED])
def test_golden_refused(case: str, changes: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(InputError) as raised:
        _record(**changes)
    assert raised.value.field == field
    assert words in str(raised.value)
    assert "\n" not in str(raised.value)


def test_relations_checked_against_the_cohort_drugs() -> None:
    drugs = ["Dabrafenib", "trametinib"]
    event = _record(study_drugs=drugs)
    assert event.relations == (
        StudyDrugRelation("dabrafenib", DrugRelation.POSSIBLE),
        StudyDrugRelation("trametinib", DrugRelation.UNLIKELY),
    )
    with pytest.raises(InputError, match="no relation to study drug trametinib"):
        _record(relations={"dabrafenib": "possible"}, study_drugs=drugs)
    extra = {"dabrafenib": "possible", "trametinib": "unlikely", "olaparib": "definite"}
    with pytest.raises(InputError, match="olaparib is not a study drug"):
        _record(relations=extra, study_drugs=drugs)


def test_relation_scale_collapses_to_related() -> None:
    # NCI CTEP attribution: possible, probable and definite are related; unrelated and unlikely are not.
    assert [item.related for item in DrugRelation] == [False, False, True, True, True]
    assert parse_relation(" Not related ") is DrugRelation.NOT_RELATED
    assert parse_relation("DEFINITE") is DrugRelation.DEFINITE
    event = _record()
    assert event.related
    assert event.related_to("Dabrafenib")
    assert not event.related_to("trametinib")
    assert event.relation_to("olaparib") is None
    assert not _record(relations={"dabrafenib": "unlikely"}).related


def test_outcome_words_follow_cdisc_aeout() -> None:
    assert [item.value for item in AdverseEventOutcome] == [
        "recovered",
        "recovering",
        "not_recovered",
        "recovered_with_sequelae",
        "fatal",
        "unknown",
    ]
    assert parse_adverse_event_outcome("Not Recovered") is AdverseEventOutcome.NOT_RECOVERED


def test_other_specify_label_carries_the_event() -> None:
    event = _record(term="gastrointestinal disorders - other, specify", specification="  typhlitis  like ")
    assert event.term == "Gastrointestinal disorders - Other, specify"
    assert event.specification == "typhlitis like"
    assert event.label == "Gastrointestinal disorders - Other, specify: typhlitis like"
    assert _record().label == "Diarrhea"


# --- roll-ups ---------------------------------------------------------------------------------------------


def _event(term: str, grade: int, relation: str = "possible", drug: str = "olaparib") -> AdverseEvent:
    fatal = grade == 5
    return record_adverse_event(
        TERMS,
        term=term,
        grade=grade,
        serious=fatal,
        relations={drug: relation},
        start=START,
        outcome="fatal" if fatal else "recovered",
    )


def test_worst_grade_per_patient_and_term_golden() -> None:
    events = {
        "OB-0001": [_event("Nausea", 1), _event("Nausea", 3), _event("Fatigue", 2, "not_related")],
        "OB-0002": [_event("Nausea", 2, "unlikely"), _event("Anemia", 4)],
        "OB-0003": [],
    }
    assert worst_grade_per_patient(events) == {"OB-0001": 3, "OB-0002": 4}
    assert worst_grade_per_patient(events, related=True) == {"OB-0001": 3, "OB-0002": 4}
    assert worst_grade_per_term(events) == {
        "Nausea": {"OB-0001": 3, "OB-0002": 2},
        "Fatigue": {"OB-0001": 2},
        "Anemia": {"OB-0002": 4},
    }
    assert worst_grade_per_term(events, related=True) == {"Nausea": {"OB-0001": 3}, "Anemia": {"OB-0002": 4}}
    rows = {row.label: row for row in summarise_by_term(events)}
    # Each patient counts once per term, at the worst grade: nausea is one grade 2 and one grade 3 patient.
    assert rows["Nausea"].patients_by_grade == (0, 1, 1, 0, 0)
    assert rows["Nausea"].patients == 2
    assert rows["Nausea"].patients_grade_3_or_worse == 1
    assert rows["Anemia"].soc == "Blood and lymphatic system disorders"
    assert summarise_by_term(events)[0].label == "Anemia"  # SOCs in alphabetical order


def test_related_roll_up_per_drug() -> None:
    events = {
        "OB-0001": [_event("Diarrhea", 3, "probable", "dabrafenib"), _event("Fever", 2, "definite", "trametinib")],
    }
    assert worst_grade_per_patient(events, related_to="trametinib") == {"OB-0001": 2}
    assert worst_grade_per_patient(events, related_to="dabrafenib") == {"OB-0001": 3}
    assert worst_grade_per_patient(events, related_to="olaparib") == {}
    assert related_events(events["OB-0001"], drug="TRAMETINIB")[0].term == "Fever"


GRADED = st.sampled_from([("Vomiting", g) for g in (1, 2, 3, 4)] + [("Nausea", g) for g in (1, 2, 3)])


@given(st.lists(GRADED, max_size=12), st.randoms(use_true_random=False))
def test_worst_grade_is_the_maximum_and_order_independent(picks: list[tuple[str, int]], rng: random.Random) -> None:
    events = [_event(term, grade) for term, grade in picks]
    shuffled = list(events)
    rng.shuffle(shuffled)
    expected = max((grade for _, grade in picks), default=None)
    assert worst_grade(events) == expected
    assert worst_grade(shuffled) == expected
    assert worst_grade_per_patient({"p": events}) == worst_grade_per_patient({"p": shuffled})
    assert worst_grade_per_term({"p": events}) == worst_grade_per_term({"p": shuffled})
    assert summarise_by_term({"p": events}) == summarise_by_term({"p": shuffled})
    for row in summarise_by_term({"p": events}):
        assert row.patients == 1  # one patient counts once per term, whatever the number of events


def test_vocabulary_refuses_bad_terms_when_built() -> None:
    good = CtcaeTerm("Nausea", "Gastrointestinal disorders", "10028813", (1, 2, 3))
    with pytest.raises(ValueError, match="given twice"):
        AdverseEventTerms((good, CtcaeTerm("NAUSEA", "x", None, (1,))), version="t")
    with pytest.raises(ValueError, match="not a choice of 1-5"):
        AdverseEventTerms((CtcaeTerm("X", "x", None, (6,)),), version="t")
    with pytest.raises(ValueError, match="out of order"):
        AdverseEventTerms((CtcaeTerm("X", "x", None, (3, 1)),), version="t")
    with pytest.raises(ValueError, match="empty"):
        AdverseEventTerms((CtcaeTerm(" ", "x", None, (1,)),), version="t")
