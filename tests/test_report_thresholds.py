"""TMB classes and the MSI call are configurable (--tmb-cutoffs, --msi-min-sites, --msi-unstable-percent on
profile, match and screen); defaults follow InPreD Norway and the TSO500 Local App; bad values are one-line
errors."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from oncobasket.core.profiles import (
    MsiStatus,
    MsiThresholds,
    ProfileSettings,
    TmbClass,
    TmbThresholds,
    call_msi,
    classify_tmb,
)


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.fixture
def results(examples: Path) -> Path:
    return examples / "tso500" / "run_2026-01" / "Results"


# --- core ------------------------------------------------------------------------------------------------


def test_defaults_are_the_inpred_and_tso500_rules() -> None:
    settings = ProfileSettings()
    assert (settings.tmb_thresholds.intermediate_from, settings.tmb_thresholds.high_above) == (5.0, 20.0)
    assert (settings.msi_thresholds.min_usable_sites, settings.msi_thresholds.msi_high_percent) == (40, 20.0)
    # DOMAIN.md section 7: low < 5, intermediate 5-20, high > 20; at least 40 usable loci.
    assert [classify_tmb(value) for value in (4.99, 5.0, 20.0, 20.01)] == [
        TmbClass.LOW,
        TmbClass.INTERMEDIATE,
        TmbClass.INTERMEDIATE,
        TmbClass.HIGH,
    ]
    assert call_msi(39, 50.0) is MsiStatus.NOT_EVALUABLE
    assert call_msi(40, 20.0) is MsiStatus.MSI_H
    assert call_msi(40, 19.99) is MsiStatus.MSS


@pytest.mark.parametrize(
    ("text", "low", "high"), [("5,20", 5.0, 20.0), (" 10 , 10 ", 10.0, 10.0), ("0,1e1", 0.0, 10.0)]
)
def test_tmb_cutoffs_parse(text: str, low: float, high: float) -> None:
    parsed = TmbThresholds.parse(text)
    assert (parsed.intermediate_from, parsed.high_above) == (low, high)
    assert parsed.describe() == f"low < {low:g} <= intermediate <= {high:g} < high mutations/Mb"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("5", "is not two cut-offs"),
        ("5,10,20", "is not two cut-offs"),
        ("", "is not two cut-offs"),
        ("five,20", "is not two numbers"),
        ("5,", "is not two numbers"),
        ("20,5", "must satisfy 0 <= intermediate_from (20) <= high_above (5)"),
        ("-1,5", "must satisfy"),
        ("nan,5", "must satisfy"),
        ("5,inf", "must satisfy"),
    ],
)
def test_bad_tmb_cutoffs(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        TmbThresholds.parse(text)


@pytest.mark.parametrize(
    ("sites", "percent", "words"),
    [
        (0, 20.0, "fewest usable MSI sites must be a whole number >= 1"),
        (-5, 20.0, "fewest usable MSI sites"),
        (True, 20.0, "fewest usable MSI sites"),
        (40, 0.0, "MSI-H threshold must be a percentage"),
        (40, 100.5, "MSI-H threshold"),
        (40, math.nan, "MSI-H threshold"),
    ],
)
def test_bad_msi_thresholds(sites: int, percent: float, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        MsiThresholds(min_usable_sites=sites, msi_high_percent=percent)


# --- the command line ----------------------------------------------------------------------------------


def _profile(*arguments: str) -> dict[str, Any]:
    done = _run("profile", *arguments, "--json")
    assert done.returncode == 0, done.stderr
    return {item["sample_id"]: item for item in json.loads(done.stdout)}


def test_profile_thresholds_change_the_tmb_class_and_msi_call(results: Path) -> None:
    default = _profile(str(results / "OB-0001"), str(results / "OB-0003"))
    assert (default["OB-0001"]["tmb"]["per_mb"], default["OB-0001"]["tmb"]["class"]) == (6.3, "intermediate")
    assert default["OB-0003"]["msi"]["status"] == "MSI-H"
    changed = _profile(
        str(results / "OB-0001"),
        str(results / "OB-0003"),
        "--tmb-cutoffs",
        "2,6",
        "--msi-unstable-percent",
        "50",
    )
    assert changed["OB-0001"]["tmb"]["class"] == "high"
    assert changed["OB-0003"]["msi"]["status"] == "MSS"  # 42.86 % unstable < 50 %
    strict = _profile(str(results / "OB-0003"), "--msi-min-sites", "120")
    msi = strict["OB-0003"]["msi"]
    assert msi["status"] == "not_evaluable"
    assert msi["usable"] is False
    assert msi["unusable_reason"] == "112 usable MSI sites; at least 120 are needed to call a status"


def test_match_uses_the_msi_threshold(results: Path) -> None:
    sample = str(results / "OB-0003")

    def biomarkers(*extra: str) -> set[str]:
        done = _run("match", sample, "--tumour-type", "COAD", "--json", *extra)
        assert done.returncode == 0, done.stderr
        return {item["biomarker"] for item in json.loads(done.stdout)[0]["matches"]}

    assert "MSI-H" in biomarkers()
    assert "MSI-H" not in biomarkers("--msi-unstable-percent", "50")


def test_screen_uses_the_thresholds(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "matches.tsv"
    done = _run("screen", str(results / "OB-0003"), "--tumour-type", "COAD", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "MSI-H" in set(pl.read_csv(out, separator="\t").get_column("biomarker"))
    # The first run's table is replaced on purpose: never without --force (issue 13).
    again = ["--out", str(out), "--msi-min-sites", "120", "--force"]
    done = _run("screen", str(results / "OB-0003"), "--tumour-type", "COAD", *again)
    assert done.returncode == 0, done.stderr
    assert "MSI-H" not in set(pl.read_csv(out, separator="\t").get_column("biomarker"))


@pytest.mark.parametrize(
    ("command", "option", "value", "words"),
    [
        ("profile", "--tmb-cutoffs", "20,5", "error: field '--tmb-cutoffs': TMB thresholds must satisfy"),
        ("profile", "--tmb-cutoffs", "high", "error: field '--tmb-cutoffs': 'high' is not two cut-offs"),
        ("match", "--tmb-cutoffs", "5;20", "error: field '--tmb-cutoffs': '5;20' is not two cut-offs"),
        ("profile", "--msi-min-sites", "0", "error: field '--msi-min-sites': the fewest usable MSI sites"),
        ("screen", "--msi-unstable-percent", "150", "error: field '--msi-unstable-percent': the MSI-H threshold"),
        ("match", "--msi-unstable-percent", "-1", "error: field '--msi-unstable-percent': the MSI-H threshold"),
    ],
)
def test_bad_threshold_options_are_one_line_errors(
    results: Path, tmp_path: Path, command: str, option: str, value: str, words: str
) -> None:
    extra = {"profile": [], "match": ["--tumour-type", "COAD"], "screen": ["--out", str(tmp_path / "m.tsv")]}[command]
    done = _run(command, str(results / "OB-0003"), *extra, option, value)
    assert done.returncode == 1, done.stdout
    assert done.stdout == ""
    assert done.stderr.startswith(words), done.stderr
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "m.tsv").exists()


def test_a_threshold_of_the_wrong_type_is_a_usage_error(results: Path) -> None:
    done = _run("profile", str(results / "OB-0003"), "--msi-min-sites", "forty")
    assert done.returncode == 2
