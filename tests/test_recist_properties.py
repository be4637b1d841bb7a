"""Property tests of RECIST 1.1: a new lesion never improves a response; shrinking never worsens one."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from oncobasket.core.recist import Assessment, AssessmentRecord, recist_time_points
from oncobasket.core.response import evaluate
from recist_cases import baseline, record, visit

#: Time-point responses from best to worst; NE is better than PD (it proves nothing).
TIME_POINT_RANK = {"CR": 5, "PR": 4, "SD": 3, "NON-CR/NON-PD": 3, "NE": 1, "PD": 0}
#: Best overall responses from best to worst.
BEST_RANK = {"CR": 5, "PR": 4, "SD": 3, "NON-CR/NON-PD": 3, "NE": 1, "PD": 0}

SITES = ["liver", "lung", "lymph_node", "adrenal", "peritoneum"]
STATUSES = ["absent", "present", "unequivocal_progression", "not_evaluated"]


@st.composite
def records(draw: st.DrawFn) -> AssessmentRecord:
    count = draw(st.integers(min_value=0, max_value=5))
    targets = {}
    for index in range(count):
        site = SITES[index]
        low = 15 if site == "lymph_node" else 10
        targets[f"T{index}"] = (site, draw(st.integers(min_value=low, max_value=120)))
    non_target_count = draw(st.integers(min_value=0 if count else 1, max_value=2))
    non_targets = {f"NT{index}": "bone" for index in range(non_target_count)}
    base = baseline(targets, non_targets)
    days = sorted(draw(st.sets(st.integers(min_value=1, max_value=400), min_size=1, max_size=6)))
    visits = []
    for day in days:
        sizes = {
            lesion_id: draw(
                st.one_of(st.none(), st.integers(min_value=0, max_value=200)) if index == 0 else st.integers(0, 200)
            )
            for index, lesion_id in enumerate(targets)
        }
        statuses = {lesion_id: draw(st.sampled_from(STATUSES)) for lesion_id in non_targets}
        visits.append(visit(day, sizes, statuses, new=draw(st.booleans())))
    return record(base, *visits)


def _with_visit(source: AssessmentRecord, index: int, changed: Assessment) -> AssessmentRecord:
    visits = list(source.assessments)
    visits[index] = changed
    return replace(source, assessments=tuple(visits))


@settings(max_examples=300, deadline=None)
@given(records(), st.data())
def test_a_new_lesion_never_improves_a_response(source: AssessmentRecord, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(source.assessments) - 1))
    with_new = _with_visit(source, index, replace(source.assessments[index], new_lesions=True))
    before = recist_time_points(source)[index]
    after = recist_time_points(with_new)[index]
    assert str(after.overall_response) == "PD"
    assert TIME_POINT_RANK[str(after.overall_response)] <= TIME_POINT_RANK[str(before.overall_response)]
    best_before, best_after = evaluate(source).best_overall_response, evaluate(with_new).best_overall_response
    assert BEST_RANK[best_after.unconfirmed] <= BEST_RANK[best_before.unconfirmed]
    assert BEST_RANK[best_after.confirmed] <= BEST_RANK[best_before.confirmed]


@settings(max_examples=300, deadline=None)
@given(records(), st.data())
def test_shrinking_every_lesion_never_worsens_a_response(source: AssessmentRecord, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(source.assessments) - 1))
    factor = Decimal(data.draw(st.integers(min_value=0, max_value=100))) / 100
    chosen = source.assessments[index]
    shrunk = {
        lesion_id: None if size is None else size * factor for lesion_id, size in chosen.target_measurements.items()
    }
    smaller = _with_visit(source, index, replace(chosen, target_measurements=shrunk))
    before = recist_time_points(source)[index]
    after = recist_time_points(smaller)[index]
    assert TIME_POINT_RANK[str(after.overall_response)] >= TIME_POINT_RANK[str(before.overall_response)]
    if before.target_response is not None and after.target_response is not None:
        assert TIME_POINT_RANK[str(after.target_response)] >= TIME_POINT_RANK[str(before.target_response)]


@settings(max_examples=300, deadline=None)
@given(records())
def test_week16_agrees_with_the_time_points(source: AssessmentRecord) -> None:
    """DOMAIN.md section 5: PD before day 98 means no benefit; benefit needs disease control in day 98..126."""
    result = evaluate(source)
    points = result.time_points
    progressed_before = any(p.day < 98 and str(p.overall_response) == "PD" for p in points)
    in_window = [p for p in points if 98 <= p.day <= 126 and str(p.overall_response) != "NE"]
    week16 = result.week16
    if progressed_before:
        assert week16.benefit is False
    elif not in_window:
        assert week16.benefit is None
    else:
        assert week16.benefit is (week16.response in {"CR", "PR", "SD", "NON-CR/NON-PD"})
        assert week16.date in {p.date for p in in_window}
    if week16.benefit is not None:
        assert week16.date is not None
