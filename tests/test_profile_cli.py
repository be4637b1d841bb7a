"""`oncobasket profile` end to end: the JSON contract of ARCHITECTURE.md, the table, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", "profile", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_json_keys_follow_the_contract(examples: Path) -> None:
    result = _run(str(examples / "tso500" / "run_2026-01"), "--json")
    assert result.returncode == 0, result.stderr
    profiles = {item["sample_id"]: item for item in json.loads(result.stdout)}
    assert {"OB-0001", "OB-0002", "OB-0003"} <= set(profiles)
    for item in profiles.values():
        assert {"sample_id", "tmb", "msi", "qc", "alterations"} <= set(item)
        assert {"passed", "failures", "judged"} <= set(item["qc"])
        for alteration in item["alterations"]:
            assert {"gene", "kind", "protein_change", "vaf", "depth", "fold_change", "genes", "exon"} <= set(alteration)
            assert alteration["kind"] in {"mutation", "amplification", "copy_loss", "fusion", "splice_variant"}
        if item["tmb"] is not None:
            assert {"per_mb", "class"} <= set(item["tmb"])
        if item["msi"] is not None:
            assert item["msi"]["status"] in {"MSI-H", "MSS", "not_evaluable"}


def test_sample_filter_keeps_one(examples: Path) -> None:
    result = _run(str(examples / "tso500" / "run_2026-01"), "--sample", "OB-0002", "--json")
    assert result.returncode == 0, result.stderr
    assert [item["sample_id"] for item in json.loads(result.stdout)] == ["OB-0002"]


def test_table_says_qc_not_judged_without_metrics(examples: Path) -> None:
    # A lone VCF carries no QC metrics: "passed" would claim a check that never ran.
    result = _run(str(examples / "vcf" / "OB-0101.vcf"))
    assert result.returncode == 0, result.stderr
    assert "QC   not judged" in result.stdout
    assert "QC   passed" not in result.stdout


def test_table_names_failed_metrics(examples: Path) -> None:
    result = _run(str(examples / "tso500" / "run_2026-01"))
    assert result.returncode == 0, result.stderr
    assert "QC   FAILED: " in result.stdout
    # Read counts print as whole numbers, as the lab wrote them.
    assert "e+0" not in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("this is not a sequencing result\n", "not"),
        ("", "empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "OB-9999_CombinedVariantOutput.tsv"
    path.write_text(content, encoding="utf-8")
    result = _run(str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path.name) in lines[0]
    assert expected in lines[0].lower()


@pytest.mark.shared_data
def test_copy_number_table_is_exit_1_naming_the_column(shared_data: Path) -> None:
    """A copy-number table used to exit 0 with changeless 'mutation' rows."""
    result = _run(str(shared_data / "maf" / "oncokb-annotator__example_individual_cna.txt"), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "field 'Variant_Classification': the header has no 'Variant_Classification' column" in line
    assert "this looks like a copy-number table" in line


def test_vcf_with_a_bad_number_is_one_line_without_htslib_messages(tmp_path: Path) -> None:
    """htslib logs the record it refuses on stderr ([W::vcf_parse_format...], [E::...]); only ours may show."""
    path = tmp_path / "calls.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n"
        '##INFO=<ID=GENE,Number=1,Type=String,Description="Gene">\n'
        '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tOB-1\n"
        "chr7\t140453136\t.\tA\tT\t.\tPASS\tGENE=BRAF\tAF\tabc\n"
    )
    result = _run(str(path))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "calls.vcf:5: field 'FORMAT/AF': 'abc' is not a number" in line
    assert "[E::" not in result.stderr
    assert "[W::" not in result.stderr


def test_missing_file_is_exit_1(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "absent.vcf"))
    assert result.returncode == 1
    assert "no such file" in result.stderr


def test_unknown_option_is_usage_error(examples: Path) -> None:
    result = _run(str(examples / "vcf" / "OB-0101.vcf"), "--no-such-option")
    assert result.returncode == 2
