"""The `oncobasket simon` commands, run as a user runs them: exit codes 0/1/2 and the JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_design_json_contract() -> None:
    done = _run("simon", "design", "--p0", "0.1", "--p1", "0.3", "--alpha", "0.05", "--beta", "0.2", "--json")
    assert done.returncode == 0, done.stderr
    shape = json.loads(done.stdout)
    for kind in ("optimal", "minimax"):
        assert {"r1", "n1", "r", "n", "en0", "pet0"} <= set(shape[kind])
    # Simon 1989, Table 1: optimal 1/10, 5/29 (EN0 15.0, PET0 0.74); minimax 1/15, 5/25 (EN0 19.5, PET0 0.55).
    assert [shape["optimal"][key] for key in ("r1", "n1", "r", "n")] == [1, 10, 5, 29]
    assert [shape["minimax"][key] for key in ("r1", "n1", "r", "n")] == [1, 15, 5, 25]
    assert round(shape["optimal"]["en0"], 1) == 15.0
    assert round(shape["minimax"]["pet0"], 2) == 0.55


def test_design_text_for_people() -> None:
    done = _run("simon", "design", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.1", "--beta", "0.1", "--nmax", "60")
    assert done.returncode == 0, done.stderr
    assert "3/17" in done.stdout
    assert "10/37" in done.stdout
    assert "3/19" in done.stdout


def test_evaluate_json_contract_for_the_drup_rule() -> None:
    done = _run(
        "simon", "evaluate", "--r1", "0", "--n1", "8", "--r", "4", "--n", "24", "--p", "0.1", "--p", "0.3", "--json"
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [row["p"] for row in rows] == [0.1, 0.3]
    for row in rows:
        assert {"p", "pet", "prob_reject_null", "expected_n"} <= set(row)
    # DOMAIN.md section 3: type I error about 7.8 %, power about 86 %.
    assert round(rows[0]["prob_reject_null"], 3) == 0.078
    assert round(rows[1]["prob_reject_null"], 2) == 0.86


def test_evaluate_table() -> None:
    done = _run("simon", "evaluate", "--r1", "0", "--n1", "8", "--r", "4", "--n", "24", "--p", "0.1")
    assert done.returncode == 0, done.stderr
    assert "0.0778" in done.stdout


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (("design", "--p0", "0.3", "--p1", "0.1", "--alpha", "0.05", "--beta", "0.2"), "p1"),
        (("design", "--p0", "10", "--p1", "30", "--alpha", "0.05", "--beta", "0.2"), "p0"),
        (("design", "--p0", "0.1", "--p1", "0.3", "--alpha", "1.5", "--beta", "0.2"), "alpha"),
        (("design", "--p0", "0.2", "--p1", "0.25", "--alpha", "0.05", "--beta", "0.05", "--nmax", "20"), "nmax"),
        (("evaluate", "--r1", "8", "--n1", "8", "--r", "4", "--n", "24", "--p", "0.1"), "n1"),
        (("evaluate", "--r1", "0", "--n1", "8", "--r", "24", "--n", "24", "--p", "0.1"), "r"),
        (("evaluate", "--r1", "0", "--n1", "8", "--r", "4", "--n", "24", "--p", "1.2"), "p"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_1(arguments: tuple[str, ...], field: str) -> None:
    done = _run("simon", *arguments)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert f"field '{field}'" in lines[0]


@pytest.mark.parametrize(
    "arguments",
    [
        ("design", "--p0", "0.1", "--p1", "0.3", "--alpha", "0.05"),  # --beta missing
        ("design", "--p0", "abc", "--p1", "0.3", "--alpha", "0.05", "--beta", "0.2"),
        ("evaluate", "--r1", "0", "--n1", "8", "--r", "4", "--n", "24"),  # no --p
        ("evaluate", "--r1", "0.5", "--n1", "8", "--r", "4", "--n", "24", "--p", "0.1"),
        ("nonsense",),
    ],
)
def test_usage_errors_exit_code_2(arguments: tuple[str, ...]) -> None:
    done = _run("simon", *arguments)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
