"""Golden cases for RECIST 1.1 time-point responses, written from the published rules.

Source: Eisenhauer et al., Eur J Cancer 2009;45:228-247, sections 4.3.1-4.3.3 and 4.4.1 (Table 1: patients
with target disease; Table 2: non-target disease only). Each case states the expected target, non-target
and overall response and the combination-table row that gives the overall response, worked out by hand from
the rule quoted in its name. A test fails when a row of Table 1 or 2 has no case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from oncobasket.core.recist import (
    COMBINATION_ROWS,
    Assessment,
    Baseline,
    recist_time_points,
)
from recist_cases import baseline, record, visit


@dataclass(frozen=True)
class Golden:
    name: str
    base: Baseline
    visits: tuple[Assessment, ...]
    # expected (target, non-target, overall) at each visit
    expected: tuple[tuple[str | None, str | None, str], ...]
    # the combination row (table, row) of the last visit
    row: tuple[int, int]
    sums: tuple[float | None, ...] = field(default=())


LIVER_NODE = baseline({"T1": ("liver", 30), "N1": ("lymph_node", 20)}, {"NT1": "bone"})
LIVER = baseline({"T1": ("liver", 50)})

GOLDEN = [
    # --- Table 1, every row ---------------------------------------------------------------------------
    Golden(
        "T1 row 1: target CR (liver gone, node 9 mm), non-target CR, no new lesion -> CR",
        LIVER_NODE,
        (visit(56, {"T1": 0, "N1": 9}, {"NT1": "absent"}),),
        (("CR", "CR", "CR"),),
        (1, 1),
        (9.0,),
    ),
    Golden(
        "T1 row 2: target CR, non-target still present -> PR",
        LIVER_NODE,
        (visit(56, {"T1": 0, "N1": 5}, {"NT1": "present"}),),
        (("CR", "NON-CR/NON-PD", "PR"),),
        (1, 2),
    ),
    Golden(
        "T1 row 3: target CR, non-target not evaluated -> PR",
        LIVER_NODE,
        (visit(56, {"T1": 0, "N1": 5}, {"NT1": "not_evaluated"}),),
        (("CR", "NE", "PR"),),
        (1, 3),
    ),
    Golden(
        "T1 row 4: target PR (-40 %), non-target present -> PR",
        LIVER_NODE,
        (visit(56, {"T1": 20, "N1": 10}, {"NT1": "present"}),),
        (("PR", "NON-CR/NON-PD", "PR"),),
        (1, 4),
        (30.0,),
    ),
    Golden(
        "T1 row 4: target PR, non-target not all evaluated -> PR",
        LIVER_NODE,
        (visit(56, {"T1": 20, "N1": 10}, {"NT1": "not_evaluated"}),),
        (("PR", "NE", "PR"),),
        (1, 4),
    ),
    Golden(
        "T1 row 5: target SD (-10 %), non-target not all evaluated -> SD",
        LIVER_NODE,
        (visit(56, {"T1": 27, "N1": 18}, {"NT1": "not_evaluated"}),),
        (("SD", "NE", "SD"),),
        (1, 5),
    ),
    Golden(
        "T1 row 6: target not all evaluated, non-target non-PD -> NE",
        LIVER_NODE,
        (visit(56, {"T1": None, "N1": 18}, {"NT1": "present"}),),
        (("NE", "NON-CR/NON-PD", "NE"),),
        (1, 6),
        (None,),
    ),
    Golden(
        "T1 row 7: target PD (+20 % and +10 mm), non-target CR -> PD",
        LIVER_NODE,
        (visit(56, {"T1": 40, "N1": 20}, {"NT1": "absent"}),),
        (("PD", "CR", "PD"),),
        (1, 7),
        (60.0,),
    ),
    Golden(
        "T1 row 8: target SD, non-target unequivocal progression -> PD",
        LIVER_NODE,
        (visit(56, {"T1": 30, "N1": 20}, {"NT1": "unequivocal_progression"}),),
        (("SD", "PD", "PD"),),
        (1, 8),
    ),
    Golden(
        "T1 row 9: target PR, non-target present, new lesion -> PD",
        LIVER_NODE,
        (visit(56, {"T1": 10, "N1": 10}, {"NT1": "present"}, new=True),),
        (("PR", "NON-CR/NON-PD", "PD"),),
        (1, 9),
    ),
    # --- Table 2 (non-target disease only), every row --------------------------------------------------
    Golden(
        "T2 row 1: all non-target lesions absent -> CR",
        baseline(non_targets={"NT1": "bone", "NT2": "pleura"}),
        (visit(56, statuses={"NT1": "absent", "NT2": "absent"}),),
        ((None, "CR", "CR"),),
        (2, 1),
    ),
    Golden(
        "T2 row 2: a non-target lesion present -> NON-CR/NON-PD",
        baseline(non_targets={"NT1": "bone", "NT2": "pleura"}),
        (visit(56, statuses={"NT1": "absent", "NT2": "present"}),),
        ((None, "NON-CR/NON-PD", "NON-CR/NON-PD"),),
        (2, 2),
    ),
    Golden(
        "T2 row 3: a non-target lesion not evaluated -> NE",
        baseline(non_targets={"NT1": "bone", "NT2": "pleura"}),
        (visit(56, statuses={"NT1": "present", "NT2": "not_evaluated"}),),
        ((None, "NE", "NE"),),
        (2, 3),
    ),
    Golden(
        "T2 row 4: unequivocal progression of a non-target lesion -> PD",
        baseline(non_targets={"NT1": "bone"}),
        (visit(56, statuses={"NT1": "unequivocal_progression"}),),
        ((None, "PD", "PD"),),
        (2, 4),
    ),
    Golden(
        "T2 row 5: non-target present and a new lesion -> PD",
        baseline(non_targets={"NT1": "bone"}),
        (visit(56, statuses={"NT1": "present"}, new=True),),
        ((None, "NON-CR/NON-PD", "PD"),),
        (2, 5),
    ),
    # --- edge cases of sections 4.3.1-4.3.2 -----------------------------------------------------------
    Golden(
        "nadir below baseline: 50 -> 30 (PR) -> 36 is +20 % and +6 mm over the nadir 30, although -28 % vs baseline",
        LIVER,
        (visit(56, {"T1": 30}), visit(112, {"T1": 36})),
        (("PR", None, "PR"), ("PD", None, "PD")),
        (1, 7),
        (30.0, 36.0),
    ),
    Golden(
        "+20 % over the nadir but only +4 mm is not PD: 20 -> 10 (PR) -> 14 (+40 %, +4 mm; -30 % vs baseline: PR)",
        baseline({"T1": ("liver", 20)}),
        (visit(56, {"T1": 10}), visit(112, {"T1": 14})),
        (("PR", None, "PR"), ("PR", None, "PR")),
        (1, 4),
    ),
    Golden(
        "+20 % but < 5 mm from baseline 20 mm: 24 mm is SD",
        baseline({"T1": ("lung", 20)}),
        (visit(56, {"T1": 24}),),
        (("SD", None, "SD"),),
        (1, 5),
    ),
    Golden(
        "+20 % and exactly +5 mm is PD: 25 -> 30",
        baseline({"T1": ("lung", 25)}),
        (visit(56, {"T1": 30}),),
        (("PD", None, "PD"),),
        (1, 7),
    ),
    Golden(
        "a node shrinking below 10 mm short axis is CR, and the CR sum is not zero",
        baseline({"N1": ("lymph_node", 20)}),
        (visit(56, {"N1": 9.9}),),
        (("CR", None, "CR"),),
        (1, 1),
        (9.9,),
    ),
    Golden(
        "a node at exactly 10 mm is not normal: not CR, -50 % is PR",
        baseline({"N1": ("lymph_node", 20)}),
        (visit(56, {"N1": 10}),),
        (("PR", None, "PR"),),
        (1, 4),
    ),
    Golden(
        "-29.9 % is not PR: 100 -> 70.1 is SD",
        baseline({"T1": ("liver", 60), "T2": ("lung", 40)}),
        (visit(56, {"T1": 40.1, "T2": 30}),),
        (("SD", None, "SD"),),
        (1, 5),
    ),
    Golden(
        "-30.0 % is PR: 100 -> 70",
        baseline({"T1": ("liver", 60), "T2": ("lung", 40)}),
        (visit(56, {"T1": 40, "T2": 30}),),
        (("PR", None, "PR"),),
        (1, 4),
    ),
    Golden(
        "-30 % exactly with decimals that binary floats get wrong: 30 -> 21 is PR",
        baseline({"T1": ("liver", 30)}),
        (visit(56, {"T1": 21}),),
        (("PR", None, "PR"),),
        (1, 4),
    ),
    Golden(
        "a new lesion alone (targets unchanged) is PD",
        LIVER,
        (visit(56, {"T1": 50}, new=True),),
        (("SD", None, "PD"),),
        (1, 9),
    ),
    Golden(
        "a lesion not assessed makes the target response NE when the rest does not prove PD",
        baseline({"T1": ("liver", 30), "T2": ("lung", 30)}),
        (visit(56, {"T1": 10, "T2": None}),),
        (("NE", None, "NE"),),
        (1, 6),
    ),
    Golden(
        "a lesion not assessed, but the measured one alone is >= 20 % and >= 5 mm over the nadir 60: PD",
        baseline({"T1": ("liver", 30), "T2": ("lung", 30)}),
        (visit(56, {"T1": 72, "T2": None}),),
        (("PD", None, "PD"),),
        (1, 7),
        (None,),
    ),
    Golden(
        "a visit with a lesion not assessed does not lower the nadir: 60 -> NE (sum of the rest 20) -> 65 is SD",
        baseline({"T1": ("liver", 30), "T2": ("lung", 30)}),
        (visit(56, {"T1": 20, "T2": None}), visit(112, {"T1": 35, "T2": 30})),
        (("NE", None, "NE"), ("SD", None, "SD")),
        (1, 5),
    ),
    Golden(
        "after an overall CR a reappearing lesion is PD even below +5 mm (Table 3 footnote a)",
        baseline({"T1": ("liver", 30), "T2": ("lung", 30)}),
        (visit(56, {"T1": 0, "T2": 0}), visit(112, {"T1": 3, "T2": 0})),
        (("CR", None, "CR"), ("PD", None, "PD")),
        (1, 7),
    ),
    Golden(
        "after an overall CR a non-target lesion present again is PD (Table 3 footnote a)",
        baseline(non_targets={"NT1": "bone"}),
        (visit(56, statuses={"NT1": "absent"}), visit(112, statuses={"NT1": "present"})),
        ((None, "CR", "CR"), (None, "PD", "PD")),
        (2, 4),
    ),
    Golden(
        "from a nadir of 0 mm, +5 mm is PD (20 % of 0 is met)",
        baseline({"T1": ("liver", 30)}),
        (visit(56, {"T1": 0}), visit(84, {"T1": 5})),
        (("CR", None, "CR"), ("PD", None, "PD")),
        (1, 7),
    ),
    Golden(
        "nodes back below 10 mm still follow the sum rule: 20 -> 3 (CR) -> 9.5 is +6.5 mm and +217 %: PD",
        baseline({"N1": ("lymph_node", 20)}),
        (visit(56, {"N1": 3}), visit(112, {"N1": 9.5})),
        (("CR", None, "CR"), ("PD", None, "PD")),
        (1, 7),
    ),
]


@pytest.mark.parametrize("case", GOLDEN, ids=[case.name for case in GOLDEN])
def test_golden_time_point(case: Golden) -> None:
    points = recist_time_points(record(case.base, *case.visits))
    got = tuple(
        (
            None if point.target_response is None else str(point.target_response),
            None if point.non_target_response is None else str(point.non_target_response),
            str(point.overall_response),
        )
        for point in points
    )
    assert got == case.expected
    assert points[-1].combination_row == case.row
    if case.sums:
        assert tuple(None if p.target_sum_mm is None else float(p.target_sum_mm) for p in points) == case.sums


def test_every_combination_row_has_a_golden_case() -> None:
    covered = {case.row for case in GOLDEN}
    missing = sorted(set(COMBINATION_ROWS) - covered)
    assert not missing, f"RECIST 1.1 combination rows (table, row) without a golden case: {missing}"


def test_each_row_gives_the_published_response() -> None:
    for case in GOLDEN:
        assert case.expected[-1][2] == str(COMBINATION_ROWS[case.row]), case.name


def test_percent_changes_and_nadir_are_reported() -> None:
    points = recist_time_points(record(LIVER, visit(56, {"T1": 30}), visit(112, {"T1": 36})))
    assert points[0].percent_change_from_baseline == -40.0
    assert points[1].nadir_mm is not None
    assert float(points[1].nadir_mm) == 30.0
    assert points[1].percent_change_from_nadir == 20.0
    assert points[1].percent_change_from_baseline == -28.0
