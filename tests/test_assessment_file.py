"""The assessment file reader: the contract's example, the published schema, and every refusal."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from oncobasket.core.errors import InputError
from oncobasket.core.recist import Criteria, NonTargetStatus
from oncobasket.core.response import evaluate
from oncobasket.io.assessment_file import (
    assessment_file_schema,
    parse_assessment_mapping,
    read_assessment_file,
    schema_text,
)

REPOSITORY = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPOSITORY / "docs" / "assessment-file.schema.json"

#: The example of the command-line contract (../shared/ARCHITECTURE.md, "Outcomes (RECIST)").
CONTRACT_EXAMPLE = """\
{"treatment_start": "2026-01-05",
 "baseline": {"date": "2026-01-02",
              "target_lesions": [{"id": "T1", "site": "liver", "diameter_mm": 30},
                                 {"id": "N1", "site": "lymph_node", "diameter_mm": 20}],
              "non_target_lesions": [{"id": "NT1", "site": "bone"}]},
 "assessments": [{"date": "2026-03-02", "target_lesions": {"T1": 20, "N1": 9},
                  "non_target_lesions": {"NT1": "present"}, "new_lesions": false}]}
"""
EXAMPLE: dict[str, Any] = json.loads(CONTRACT_EXAMPLE)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "assessments.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_the_contract_example(tmp_path: Path) -> None:
    record = read_assessment_file(write(tmp_path, CONTRACT_EXAMPLE))
    assert record.treatment_start == dt.date(2026, 1, 5)
    assert [lesion.id for lesion in record.baseline.target_lesions] == ["T1", "N1"]
    assert record.baseline.target_lesions[1].is_lymph_node
    (assessment,) = record.assessments
    assert assessment.target_measurements == {"T1": Decimal(20), "N1": Decimal(9)}
    assert assessment.non_target_statuses == {"NT1": NonTargetStatus.PRESENT}
    result = evaluate(record).to_json()
    point = result["time_points"][0]
    assert point["day"] == 56
    assert point["target_sum_mm"] == 29.0
    assert (point["target_response"], point["non_target_response"], point["overall_response"]) == (
        "PR",
        "NON-CR/NON-PD",
        "PR",
    )
    assert set(result) >= {"time_points", "best_overall_response", "week16"}
    assert set(result["best_overall_response"]) >= {"unconfirmed", "confirmed"}
    assert set(result["week16"]) >= {"benefit", "date", "reason"}
    assert set(point) >= {
        "date",
        "day",
        "target_sum_mm",
        "target_response",
        "non_target_response",
        "new_lesions",
        "overall_response",
        "reasons",
    }


def test_published_schema_equals_the_models() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "docs/assessment-file.schema.json differs from the pydantic models; regenerate it with "
        "python -c 'from oncobasket.io.assessment_file import schema_text; "
        'open("docs/assessment-file.schema.json", "w").write(schema_text())\''
    )
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == assessment_file_schema()


def test_treatment_start_may_come_from_the_registry() -> None:
    data = copy.deepcopy(EXAMPLE)
    del data["treatment_start"]
    record = parse_assessment_mapping(data, treatment_start=dt.date(2026, 1, 5))
    assert record.treatment_start == dt.date(2026, 1, 5)
    same = parse_assessment_mapping(EXAMPLE, treatment_start=dt.date(2026, 1, 5))
    assert same.treatment_start == dt.date(2026, 1, 5)


def test_entered_responses_are_read() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["assessments"][0]["responses"] = [{"criteria": "iRECIST", "response": "iPR"}]
    record = parse_assessment_mapping(data)
    assert record.assessments[0].entered(Criteria.IRECIST) == "iPR"


def test_a_null_measurement_is_not_assessed() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["assessments"][0]["target_lesions"]["T1"] = None
    assert parse_assessment_mapping(data).assessments[0].target_measurements["T1"] is None


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()
NODE = {"id": "N2", "site": "lymph_node", "diameter_mm": 16}


def _add_targets(*lesions: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for lesion in lesions:
            data["baseline"]["target_lesions"].append(lesion)
            data["assessments"][0]["target_lesions"][lesion["id"]] = lesion["diameter_mm"]

    return change


def _second_assessment(date: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        later = copy.deepcopy(data["assessments"][0])
        later["date"] = date
        data["assessments"].append(later)

    return change


# (name, change, JSON path in the message, words of the rule in the message)
REFUSALS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "six target lesions",
        _add_targets(
            {"id": "T2", "site": "lung", "diameter_mm": 20},
            {"id": "T3", "site": "adrenal", "diameter_mm": 20},
            {"id": "T4", "site": "spleen", "diameter_mm": 20},
            {"id": "T5", "site": "kidney", "diameter_mm": 20},
        ),
        "baseline.target_lesions",
        "at most 5",
    ),
    (
        "three targets in one organ",
        _add_targets(
            {"id": "T2", "site": "liver", "diameter_mm": 20}, {"id": "T3", "site": "liver", "diameter_mm": 20}
        ),
        "baseline.target_lesions[3].site",
        "at most 2 per organ",
    ),
    (
        "three lymph nodes are one organ",
        _add_targets(NODE, {"id": "N3", "site": "lymph_node", "diameter_mm": 16}),
        "baseline.target_lesions[3].site",
        "at most 2 per organ",
    ),
    (
        "target below 10 mm",
        _set("baseline/target_lesions/0/diameter_mm", 9.9),
        "baseline.target_lesions[0].diameter_mm",
        "not measurable",
    ),
    (
        "node below 15 mm short axis",
        _set("baseline/target_lesions/1/diameter_mm", 14.9),
        "baseline.target_lesions[1].diameter_mm",
        "needs >= 15 mm",
    ),
    (
        "follow-up lesion not at baseline",
        _set("assessments/0/target_lesions/T9", 12),
        "assessments[0].target_lesions.T9",
        "new lesion",
    ),
    (
        "non-target lesion listed as target",
        _set("assessments/0/target_lesions/NT1", 12),
        "assessments[0].target_lesions.NT1",
        "is a non-target lesion",
    ),
    (
        "non-target follow-up lesion not at baseline",
        _set("assessments/0/non_target_lesions/NT7", "present"),
        "assessments[0].non_target_lesions.NT7",
        "new lesion",
    ),
    (
        "baseline target missing at follow-up",
        _set("assessments/0/target_lesions/T1", _DELETE),
        "assessments[0].target_lesions.T1",
        "missing",
    ),
    (
        "baseline non-target missing at follow-up",
        _set("assessments/0/non_target_lesions/NT1", _DELETE),
        "assessments[0].non_target_lesions.NT1",
        "missing",
    ),
    (
        "negative size",
        _set("assessments/0/target_lesions/T1", -1),
        "assessments[0].target_lesions.T1",
        "greater than or equal to 0",
    ),
    ("absurd size", _set("assessments/0/target_lesions/T1", 501), "assessments[0].target_lesions.T1", "500"),
    ("absurd baseline size", _set("baseline/target_lesions/0/diameter_mm", 900), "baseline.target_lesions[0]", "500"),
    (
        "size not a finite number",
        _set("assessments/0/target_lesions/T1", float("nan")),
        "assessments[0].target_lesions.T1",
        "finite",
    ),
    ("size as text", _set("assessments/0/target_lesions/T1", "20"), "assessments[0].target_lesions.T1", "number"),
    ("size as boolean", _set("baseline/target_lesions/0/diameter_mm", True), "baseline.target_lesions[0]", "number"),
    ("duplicate assessment dates", _second_assessment("2026-03-02"), "assessments[1].date", "second assessment"),
    ("assessment on the baseline date", _set("assessments/0/date", "2026-01-02"), "assessments[0].date", "baseline"),
    (
        "assessment before treatment start",
        lambda data: (_set("baseline/date", "2025-12-20")(data), _set("assessments/0/date", "2026-01-03")(data)),
        "assessments[0].date",
        "before treatment start",
    ),
    ("baseline after treatment start", _set("baseline/date", "2026-01-07"), "baseline.date", "after treatment"),
    (
        "duplicated lesion id",
        _set("baseline/non_target_lesions/0/id", "T1"),
        "baseline.non_target_lesions[0].id",
        "used twice",
    ),
    ("unknown top-level key", _set("treatment_started", "2026-01-05"), "treatment_started", "unknown key"),
    (
        "unknown lesion key",
        _set("baseline/target_lesions/0/diameter", 30),
        "baseline.target_lesions[0].diameter",
        "unknown",
    ),
    ("typo in new_lesions", _set("assessments/0/new_lesion", True), "assessments[0].new_lesion", "unknown key"),
    ("new_lesions missing", _set("assessments/0/new_lesions", _DELETE), "assessments[0].new_lesions", "missing"),
    ("new_lesions as text", _set("assessments/0/new_lesions", "no"), "assessments[0].new_lesions", "boolean"),
    ("baseline missing", _set("baseline", _DELETE), "baseline", "missing"),
    ("bad date", _set("assessments/0/date", "2026-02-30"), "assessments[0].date", "date"),
    ("date not ISO", _set("assessments/0/date", "02.03.2026"), "assessments[0].date", "YYYY-MM-DD"),
    ("date as number", _set("baseline/date", 20260102), "baseline.date", "YYYY-MM-DD"),
    ("date with time", _set("baseline/date", "2026-01-02T10:00:00"), "baseline.date", "YYYY-MM-DD"),
    (
        "unknown non-target status",
        _set("assessments/0/non_target_lesions/NT1", "gone"),
        "assessments[0].non_target_lesions.NT1",
        "absent",
    ),
    ("site in capitals", _set("baseline/target_lesions/0/site", "Liver"), "baseline.target_lesions[0].site", "pattern"),
    (
        "site with a space",
        _set("baseline/target_lesions/1/site", "lymph node"),
        "baseline.target_lesions[1].site",
        "pattern",
    ),
    (
        "unknown criteria",
        _set("assessments/0/responses", [{"criteria": "RECIST", "response": "PD"}]),
        "assessments[0].responses[0].criteria",
        "iRECIST",
    ),
    (
        "response not of its criteria",
        _set("assessments/0/responses", [{"criteria": "iRECIST", "response": "PD"}]),
        "assessments[0].responses[0].response",
        "iUPD",
    ),
    (
        "two responses of one criteria",
        _set(
            "assessments/0/responses", [{"criteria": "RANO", "response": "PD"}, {"criteria": "RANO", "response": "SD"}]
        ),
        "assessments[0].responses[1]",
        "two RANO",
    ),
    (
        "two criteria for one patient",
        lambda data: (
            _second_assessment("2026-04-02")(data),
            _set("assessments/0/responses", [{"criteria": "RANO", "response": "SD"}])(data),
            _set("assessments/1/responses", [{"criteria": "iRECIST", "response": "iSD"}])(data),
        ),
        "assessments[1].responses[0]",
        "one criteria",
    ),
    (
        "RANO missing at one assessment",
        lambda data: (
            _second_assessment("2026-04-02")(data),
            _set("assessments/1/responses", [{"criteria": "RANO", "response": "SD"}])(data),
        ),
        "assessments[0].responses",
        "no RANO response",
    ),
    ("targets not a list", _set("baseline/target_lesions", {"T1": 30}), "baseline.target_lesions", "list"),
    ("assessments not a list", _set("assessments", {}), "assessments", "list"),
]


@pytest.mark.parametrize(("name", "change", "path", "words"), REFUSALS, ids=[case[0] for case in REFUSALS])
def test_refusals_name_the_file_path_rule_and_fix(
    tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None], path: str, words: str
) -> None:
    data = copy.deepcopy(EXAMPLE)
    change(data)
    file = write(tmp_path, json.dumps(data))
    with pytest.raises(InputError) as caught:
        read_assessment_file(file)
    message = str(caught.value)
    assert message.startswith(str(file)), message
    assert f"field '{path}" in message, message
    assert words in message, message
    assert "; " in message, f"no fix in: {message}"
    assert "\n" not in message


def test_missing_treatment_start_without_the_registry_is_refused() -> None:
    data = copy.deepcopy(EXAMPLE)
    del data["treatment_start"]
    with pytest.raises(InputError, match="treatment_start"):
        parse_assessment_mapping(data)


def test_a_treatment_start_other_than_the_registry_is_refused() -> None:
    with pytest.raises(InputError, match="differs from the registry"):
        parse_assessment_mapping(EXAMPLE, treatment_start=dt.date(2026, 1, 6))


def test_baseline_one_day_after_start_is_accepted() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["baseline"]["date"] = "2026-01-06"
    assert parse_assessment_mapping(data).baseline.date == dt.date(2026, 1, 6)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"baseline": ', "truncated"),
        (CONTRACT_EXAMPLE[: len(CONTRACT_EXAMPLE) // 2], "truncated"),
        ('{"baseline": {"date": "2026-01-02",}}', "not valid JSON"),
        ("", "truncated"),
        ("[1, 2]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        (CONTRACT_EXAMPLE.replace('"T1": 20,', '"T1": 20, "T1": 21,'), "appears twice"),
    ],
)
def test_bad_json_is_refused(tmp_path: Path, text: str, words: str) -> None:
    file = write(tmp_path, text)
    with pytest.raises(InputError, match=words) as caught:
        read_assessment_file(file)
    assert str(caught.value).startswith(str(file))


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_assessment_file(tmp_path / "nothing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{")
    with pytest.raises(InputError, match="UTF-8"):
        read_assessment_file(binary)
