"""``oncobasket screen`` in batch (no --patient): match tables, tumour types, clinical TSV, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from oncobasket.core.errors import FormatError
from oncobasket.core.matching import PatientFacts, match_profile
from oncobasket.core.profiles import ProfileSettings
from oncobasket.core.screening import MATCH_COLUMNS, screen_profiles
from oncobasket.io.maf import read_maf
from oncobasket.io.match_table import read_clinical_table, read_maf_tumour_types
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol


def _run(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments], capture_output=True, text=True, check=False, cwd=cwd
    )


@pytest.fixture
def run_folder(examples: Path) -> Path:
    return examples / "tso500" / "run_2026-01"


def test_batch_table_holds_every_match_of_oncobasket_match(run_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "matches.tsv"
    completed = _run("screen", str(run_folder), "--out", str(out), "--tumour-type", "PAAD", "--json")
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    table = pl.read_csv(out, separator="\t")
    assert tuple(table.columns) == MATCH_COLUMNS
    assert summary["matches"] == table.height > 0
    assert summary["profiles"] == 6
    single = _run("match", str(run_folder), "--tumour-type", "PAAD", "--json")
    expected = sorted(
        (result["sample_id"], item["drug"], item["biomarker"], item["cohort"] or "", item["eligible"])
        for result in json.loads(single.stdout)
        for item in result["matches"]
    )
    found = sorted(
        (row["sample_id"], row["drug"], row["biomarker"], row["cohort"] or "", row["eligible"])
        for row in table.iter_rows(named=True)
    )
    assert found == expected


def test_parquet_output_and_the_human_summary(run_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "matches.parquet"
    completed = _run("screen", str(run_folder), "--out", str(out), "--tumour-type", "CHOL", "--format", "parquet")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("screened 6 profiles (")
    table = pl.read_parquet(out)
    assert table.schema["on_label"] == pl.Boolean
    assert set(table.get_column("tumour_group")) == {"Cholangiocarcinoma"}


def test_clinical_table_gives_each_sample_its_tumour_type_age_and_ecog(run_folder: Path, tmp_path: Path) -> None:
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text(
        "# pseudonymous sample IDs only\nsample_id\ttumour_type\tage\tecog\n"
        "OB-0001\tSKCM\t71\t1\nOB-0002\tLUAD\t64\t3\nOB-0003\tCOAD\tNA\t0\n",
        encoding="utf-8",
    )
    out = tmp_path / "matches.tsv"
    completed = _run("screen", str(run_folder), "--out", str(out), "--clinical", str(clinical), "--tumour-type", "CUP")
    assert completed.returncode == 0, completed.stderr
    table = pl.read_csv(out, separator="\t")
    types = dict(table.select("sample_id", "tumour_type").unique().iter_rows())
    assert types.get("OB-0001") == "SKCM"
    assert all(code == "CUP" for sample, code in types.items() if sample not in {"OB-0001", "OB-0002", "OB-0003"})


def test_batch_errors_are_one_line(run_folder: Path, tmp_path: Path) -> None:
    no_out = _run("screen", str(run_folder), "--tumour-type", "PAAD")
    assert no_out.returncode == 1
    assert "needs --out FILE" in no_out.stderr
    no_type = _run("screen", str(run_folder), "--out", str(tmp_path / "m.tsv"))
    assert no_type.returncode == 1
    assert no_type.stderr.startswith("error: field 'tumour type': 6 sample(s) without a tumour type: NTC-2601, OB-0001")
    assert not (tmp_path / "m.tsv").exists()
    bad_format = _run(
        "screen", str(run_folder), "--out", str(tmp_path / "m.x"), "--tumour-type", "PAAD", "--format", "xlsx"
    )
    assert bad_format.returncode == 1
    assert "unknown table format 'xlsx'" in bad_format.stderr
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text("sample_id\ttumour_type\tage\nOB-0001\tPAAD\t61\nOB-0002\tLUAD\tsixty\n", encoding="utf-8")
    bad_tsv = _run("screen", str(run_folder), "--out", str(tmp_path / "m.tsv"), "--clinical", str(clinical))
    assert bad_tsv.returncode == 1
    assert bad_tsv.stderr == "error: clinical.tsv:3: field 'age': 'sixty' is not a number; use a number 0-130\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sample\ttumour_type\nA\tPAAD\n", r"c\.tsv:1: field 'sample_id': the header has no 'sample_id' column"),
        ("sample_id\ttumour_type\nA\tPAAD\textra\n", r"c\.tsv:2: 3 cells where the header has 2"),
        ("sample_id\ttumour_type\nA\tPAAD\nA\tLUAD\n", r"c\.tsv:3: field 'sample_id': sample 'A' appears twice"),
        ("sample_id\ttumour_type\nA\t\n", r"c\.tsv:2: field 'tumour_type': sample 'A' has no tumour type"),
        ("sample_id\ttumour_type\tecog\nA\tPAAD\t1.5\n", r"c\.tsv:2: field 'ecog': '1.5' is not a whole ECOG grade"),
        ("sample_id\ttumour_type\tecog\nA\tPAAD\t7\n", r"c\.tsv:2: field 'ecog': 7 is outside 0-5"),
        ("", r"c\.tsv: field 'sample_id': the header has no 'sample_id' column"),
    ],
)
def test_bad_clinical_tables(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError, match=message):
        read_clinical_table(path)


def test_clinical_table_accepts_cbioportal_column_names(tmp_path: Path) -> None:
    path = tmp_path / "data_clinical_sample.txt"
    path.write_text("SAMPLE_ID\tONCOTREE_CODE\tAGE\nS-1\tluad\t61\nS-2\tCOAD\t\n", encoding="utf-8")
    assert read_clinical_table(path) == {
        "S-1": PatientFacts(tumour_type="LUAD", age=61.0),
        "S-2": PatientFacts(tumour_type="COAD"),
    }


def _maf(tmp_path: Path) -> Path:
    columns = ("Hugo_Symbol", "Variant_Classification", "Tumor_Sample_Barcode", "HGVSp_Short", "ONCOTREE_CODE")
    rows = [
        ("BRAF", "Missense_Mutation", "S-1", "p.V600E", "COAD"),
        ("KRAS", "Missense_Mutation", "S-2", "p.G12C", "LUAD"),
        ("TP53", "Missense_Mutation", "S-2", "p.R273H", "LUAD"),
        ("PIK3CA", "Missense_Mutation", "S-3", "p.H1047R", "BRCA"),
    ]
    path = tmp_path / "cohort.maf"
    path.write_text(
        "#version 2.4\n" + "\t".join(columns) + "\n" + "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8"
    )
    return path


def test_multi_sample_maf_uses_its_oncotree_codes(tmp_path: Path) -> None:
    maf = _maf(tmp_path)
    assert read_maf_tumour_types(maf) == {"S-1": "COAD", "S-2": "LUAD", "S-3": "BRCA"}
    out = tmp_path / "m.tsv"
    completed = _run("screen", str(maf), "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    table = pl.read_csv(out, separator="\t")
    kras = table.filter(pl.col("sample_id") == "S-2")
    assert "sotorasib" in kras.get_column("drug").to_list()
    assert set(kras.get_column("tumour_group")) == {"NSCLC"}


def test_maf_with_two_codes_for_one_sample_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "two.maf"
    path.write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tONCOTREE_CODE\nKRAS\tS-1\tLUAD\nTP53\tS-1\tCOAD\n", encoding="utf-8"
    )
    with pytest.raises(
        FormatError, match=r"two\.maf:3: field 'ONCOTREE_CODE': sample 'S-1' has ONCOTREE_CODE LUAD and COAD"
    ):
        read_maf_tumour_types(path)


@pytest.mark.shared_data
def test_real_tcga_maf_batch_equals_the_per_profile_engine(shared_data: Path) -> None:
    """193 TCGA-LAML samples: every sample's matches from the batch equal match_profile's."""
    tumour_types = load_shipped_tumour_types()
    protocol = load_protocol(default_protocol_path(), tumour_types)
    profiles = read_maf(shared_data / "maf" / "maftools__tcga_laml.maf.gz", ProfileSettings())
    patients = {item.sample_id: PatientFacts(tumour_type="AML", age=55, ecog=1) for item in profiles}
    result = screen_profiles(profiles, patients, protocol, tumour_types)
    assert result.profiles == len(profiles) > 100
    found = sorted(
        (row["sample_id"], row["drug"], row["biomarker"], row["eligibility"])
        for row in result.matches.iter_rows(named=True)
    )
    expected = sorted(
        (item.sample_id, match.drug, match.biomarker, str(match.eligibility))
        for item in profiles
        for match in match_profile(item, patients[item.sample_id], protocol, tumour_types)
    )
    assert found == expected
    assert expected  # LAML carries IDH1/IDH2, KRAS/NRAS and FLT3 alterations: some must match
