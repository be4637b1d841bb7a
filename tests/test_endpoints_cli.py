"""``oncobasket endpoints`` and ``oncobasket report`` as a user runs them: exit codes and the JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis_tables import published_funnel_rows, random_dataset
from oncobasket.core.analysis import AnalysisDataset
from oncobasket.io.analysis_table import write_analysis_table


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def published_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tables") / "impress.parquet"
    write_analysis_table(AnalysisDataset(rows=tuple(published_funnel_rows())), path)
    return path


def test_endpoints_json_contract(published_table: Path) -> None:
    done = _run("endpoints", "--table", str(published_table), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["funnel"] == {
        "screened": 1167,
        "qc_passed": 1167 - 81,
        "matched": 358,
        "offered": 186,
        "treated": 186,
        "followed_w16": 170,
        "evaluable": 145,
    }
    evaluable = result["dcr_w16"]["evaluable"]
    assert set(evaluable) == {"k", "n", "rate", "ci_low", "ci_high"}
    assert (evaluable["k"], evaluable["n"], round(evaluable["ci_low"], 3), round(evaluable["ci_high"], 3)) == (
        58,
        145,
        0.320,
        0.485,
    )
    assert result["dcr_w16"]["all_treated"]["n"] == 170
    assert set(result["orr"]) == {"k", "n", "rate", "ci_low", "ci_high"}
    for endpoint in ("pfs", "os"):
        assert set(result[endpoint]) == {"n", "events", "median", "median_ci_low", "median_ci_high"}
    assert "groups" not in result


def test_endpoints_by_a_column(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.csv"
    write_analysis_table(random_dataset(200, seed=5), path)
    done = _run("endpoints", "--table", str(path), "--by", "drug", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["by"] == "drug"
    assert sum(group["funnel"]["treated"] for group in result["groups"].values()) == result["funnel"]["treated"]
    text = _run("endpoints", "--table", str(path), "--by", "drug")
    assert text.returncode == 0, text.stderr
    assert "DCR at week 16, evaluable" in text.stdout
    assert "olaparib" in text.stdout


def test_bad_input_exits_1_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "study_id,qc_passed,matched,offered,treated,followed_w16,evaluable\nP1,true,false,false,true,false,false\n",
        encoding="utf-8",
    )
    done = _run("endpoints", "--table", str(path))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: bad.csv:2: field 'treated': treated is true but offered is false")
    unknown = _run("endpoints", "--table", str(path), "--by", "tumor_group")
    assert unknown.returncode == 1


def test_usage_errors_exit_2(published_table: Path) -> None:
    assert _run("endpoints").returncode == 2
    assert _run("endpoints", "--table", str(published_table), "--as-of", "2026-01-01").returncode == 2
    assert _run("report", "--table", str(published_table)).returncode == 2


def test_as_of_without_the_registry_export_says_what_to_do(tmp_path: Path) -> None:
    done = _run("endpoints", "--as-of", "2026-01-01", "--database-url", f"sqlite:///{tmp_path / 'none.db'}")
    try:
        import oncobasket.services.analysis  # noqa: F401
    except ModuleNotFoundError:
        assert done.returncode == 1
        assert "--table FILE" in done.stderr
        assert done.stderr.count("\n") == 1
    else:  # the registry's export has landed: --as-of then reads the registry
        assert done.returncode in (0, 1)
    assert _run("endpoints", "--as-of", "31.12.2026").returncode == 1


def test_report_writes_html_pdf_and_tables(tmp_path: Path, published_table: Path) -> None:
    out = tmp_path / "report"
    done = _run("report", "--table", str(published_table), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "trial_report.html").is_file()
    assert (out / "trial_report.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "funnel.csv").is_file()
    assert "table impress.parquet" in (out / "trial_report.html").read_text(encoding="utf-8")
