"""``oncobasket screen --ctml DIR``: a patient list re-matched against a directory of CTML trials, written
as the batch screen's match table; the real MAFs of ../shared/data through it, agreeing with ``match``."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from oncobasket.core.errors import FormatError
from oncobasket.core.screening import MATCH_COLUMNS
from oncobasket.io.ctml.table import load_ctml_directory
from oncobasket.io.oncotree import load_shipped_tumour_types


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments], capture_output=True, text=True, check=False, timeout=300
    )


def _arm(code: str, match: list[Any], **extra: Any) -> dict[str, Any]:
    return {"arm_code": code, "drugs": [[{"name": f"drug-{code.lower()}"}]], "match": match, **extra}


LEUKAEMIA_TRIALS: list[dict[str, Any]] = [
    {
        "protocol_no": "T-FLT3",
        "treatment_list": {
            "step": [
                {
                    "arm": [
                        _arm(
                            "FLT3",
                            [
                                {
                                    "and": [
                                        {"genomic": {"hugo_symbol": "FLT3", "variant_category": "Mutation"}},
                                        {"clinical": {"oncotree_primary_diagnosis": "_LIQUID_"}},
                                    ]
                                }
                            ],
                        ),
                        _arm(
                            "IDH",
                            [
                                {
                                    "or": [
                                        {"genomic": {"hugo_symbol": "IDH1", "wildcard_protein_change": "p.R132"}},
                                        {"genomic": {"hugo_symbol": "IDH2", "wildcard_protein_change": "p.R140"}},
                                    ]
                                }
                            ],
                            arm_suspended="Y",
                        ),
                    ]
                }
            ]
        },
    },
    {
        "protocol_no": "T-NPM1",
        "treatment_list": {
            "step": [
                {
                    "match": [
                        {"genomic": {"hugo_symbol": "NPM1", "variant_classification": "Frame_Shift_Ins"}},
                        {"genomic": {"hugo_symbol": "DNMT3A", "variant_category": "!Mutation"}},
                    ]
                }
            ]
        },
    },
]


@pytest.fixture
def trial_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "trials"
    folder.mkdir()
    (folder / "flt3.json").write_text(json.dumps(LEUKAEMIA_TRIALS[0]), encoding="utf-8")
    (folder / "npm1.json").write_text(json.dumps([LEUKAEMIA_TRIALS[1]]), encoding="utf-8")
    (folder / "README.txt").write_text("not a trial", encoding="utf-8")
    return folder


def test_a_directory_of_trials_is_read_in_name_order(trial_dir: Path) -> None:
    trials = load_ctml_directory(trial_dir, load_shipped_tumour_types())
    assert [trial.protocol_no for trial in trials] == ["T-FLT3", "T-NPM1"]


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="the directory holds no CTML file"):
        load_ctml_directory(tmp_path, load_shipped_tumour_types())


def test_the_real_laml_maf_through_screen_ctml_agrees_with_match(
    shared_data: Path, trial_dir: Path, tmp_path: Path
) -> None:
    maf = tmp_path / "laml.maf"
    maf.write_bytes(gzip.decompress((shared_data / "maf" / "maftools__tcga_laml.maf.gz").read_bytes()))
    out = tmp_path / "matches.tsv"
    done = _run("screen", str(maf), "--tumour-type", "AML", "--ctml", str(trial_dir), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    table = pl.read_csv(out, separator="\t")
    assert table.columns == list(MATCH_COLUMNS)
    assert (summary["profiles"], summary["trials"], summary["matches"]) == (193, 2, table.height)
    assert table.height > 0
    # The closed IDH arm is reported as closed (ineligible), not hidden.
    idh = table.filter(pl.col("cohort") == "arm IDH")
    assert idh.height > 0
    assert set(idh.get_column("eligibility").to_list()) == {"ineligible"}
    # The same answers as match --ctml, sample by sample and trial by trial.
    for trial in ("flt3.json", "npm1.json"):
        matched = _run("match", str(maf), "--tumour-type", "AML", "--ctml", str(trial_dir / trial), "--json")
        assert matched.returncode == 0, matched.stderr
        expected = sorted(
            (result["sample_id"], item["cohort"], item["drug"], item["eligibility"])
            for result in json.loads(matched.stdout)
            for item in result["matches"]
        )
        name = "T-FLT3" if trial == "flt3.json" else "T-NPM1"
        rows = table.filter(pl.col("cohort_name").str.starts_with(name))
        found = sorted(rows.select("sample_id", "cohort", "drug", "eligibility").iter_rows())
        assert found == expected


def test_screen_ctml_refuses_a_protocol_too(trial_dir: Path, tmp_path: Path) -> None:
    maf = tmp_path / "m.maf"
    maf.write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\nFLT3\tS1\tMissense_Mutation\n", encoding="utf-8"
    )
    done = _run(
        "screen", str(maf), "--tumour-type", "AML", "--ctml", str(trial_dir), "--protocol", "p.yaml", "--out", "x.tsv"
    )
    assert done.returncode == 1
    assert "give either --ctml or --protocol" in done.stderr
