"""`oncobasket recist evaluate`, run as a user runs it: exit codes 0/1/2 and the JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_assessment_file import CONTRACT_EXAMPLE

EXAMPLE = json.loads(CONTRACT_EXAMPLE)


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _file(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_json_contract(tmp_path: Path) -> None:
    data = dict(EXAMPLE)
    data["assessments"] = [
        *EXAMPLE["assessments"],
        {
            "date": "2026-04-27",
            "target_lesions": {"T1": 0, "N1": 8},
            "non_target_lesions": {"NT1": "absent"},
            "new_lesions": False,
        },
    ]
    done = _run("recist", "evaluate", str(_file(tmp_path, data)), "--json")
    assert done.returncode == 0, done.stderr
    shape = json.loads(done.stdout)
    first, second = shape["time_points"]
    expected = {
        "date": "2026-03-02",
        "day": 56,
        "target_sum_mm": 29.0,
        "target_response": "PR",
        "non_target_response": "NON-CR/NON-PD",
        "new_lesions": False,
        "overall_response": "PR",
    }
    assert {key: first[key] for key in expected} == expected
    assert first["reasons"]
    assert (second["day"], second["target_sum_mm"], second["overall_response"]) == (112, 8.0, "CR")
    # PR at day 56 confirmed by CR 56 days later: PR (RECIST 1.1 Table 3)
    assert (shape["best_overall_response"]["unconfirmed"], shape["best_overall_response"]["confirmed"]) == ("CR", "PR")
    assert shape["week16"]["benefit"] is True
    assert shape["week16"]["date"] == "2026-04-27"
    assert shape["week16"]["reason"]


def test_text_for_people(tmp_path: Path) -> None:
    done = _run("recist", "evaluate", str(_file(tmp_path, EXAMPLE)))
    assert done.returncode == 0, done.stderr
    assert "2026-03-02" in done.stdout
    assert "Table 1 row 4" in done.stdout
    assert "Week-16 clinical benefit: not yet known" in done.stdout


def test_treatment_start_option_and_bad_input_exit_1(tmp_path: Path) -> None:
    data = {key: value for key, value in EXAMPLE.items() if key != "treatment_start"}
    path = _file(tmp_path, data)
    missing = _run("recist", "evaluate", str(path), "--json")
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert "treatment_start" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    given = _run("recist", "evaluate", str(path), "--treatment-start", "2026-01-05", "--json")
    assert given.returncode == 0, given.stderr
    assert json.loads(given.stdout)["time_points"][0]["day"] == 56


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _run("recist", "evaluate").returncode == 2
    bad_date = _run("recist", "evaluate", str(_file(tmp_path, EXAMPLE)), "--treatment-start", "5.1.2026")
    assert bad_date.returncode == 2


def test_an_evaluation_rule_names_the_file(tmp_path: Path) -> None:
    data = dict(EXAMPLE)
    data["assessments"] = [{**EXAMPLE["assessments"][0], "responses": [{"criteria": "iRECIST", "response": "iCPD"}]}]
    path = _file(tmp_path, data)
    done = _run("recist", "evaluate", str(path))
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {path}: field 'assessments[date=2026-03-02].responses'")
    assert "iUPD" in done.stderr
