"""`oncobasket match` and `oncobasket protocol check`, run as a user runs them: exit codes and the JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oncobasket.io.protocol_file import default_protocol_path

MAF = (
    "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\tt_alt_count\tt_ref_count\n"
    "BRAF\tPT-001\tMissense_Mutation\tp.V600E\t30\t70\n"
    "TP53\tPT-001\tMissense_Mutation\tp.R175H\t40\t60\n"
    "KRAS\tPT-002\tMissense_Mutation\tp.G12C\t25\t75\n"
)


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def maf(tmp_path: Path) -> Path:
    path = tmp_path / "two_patients.maf"
    path.write_text(MAF, encoding="utf-8")
    return path


def test_match_json_contract(maf: Path) -> None:
    done = _run(
        "match",
        str(maf),
        "--tumour-type",
        "CHOL",
        "--age",
        "61",
        "--ecog",
        "1",
        "--lab",
        "anc=2.1",
        "--lab",
        "platelets=210",
        "--lab",
        "haemoglobin=12",
        "--lab",
        "bilirubin_uln=0.8",
        "--lab",
        "alt_uln=1",
        "--lab",
        "ast_uln=1",
        "--lab",
        "creatinine_clearance=80",
        "--prior-therapy",
        "none",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    samples = json.loads(done.stdout)
    assert [sample["sample_id"] for sample in samples] == ["PT-001", "PT-002"]
    first = samples[0]
    assert first["tumour_type"] == "CHOL"
    dabrafenib = next(m for m in first["matches"] if m["drug"] == "dabrafenib+trametinib")
    assert dabrafenib["biomarker"] == "BRAF V600 mutation"
    assert dabrafenib["cohort"] == "BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib"
    assert dabrafenib["evidence"] == "label"
    assert dabrafenib["eligible"] is True
    assert dabrafenib["eligibility"] == "eligible"
    assert any("BRAF p.V600E" in reason for reason in dabrafenib["reasons"])
    sotorasib = next(m for m in samples[1]["matches"] if m["drug"] == "sotorasib")
    assert sotorasib["cohort"] == "KRAS G12C mutation / Cholangiocarcinoma / Sotorasib"


def test_match_ecog_3_and_unknowns(maf: Path) -> None:
    done = _run("match", str(maf), "--tumour-type", "chol", "--ecog", "3", "--json")
    assert done.returncode == 0, done.stderr
    matches = [m for sample in json.loads(done.stdout) for m in sample["matches"]]
    assert matches
    for item in matches:
        assert item["eligible"] is False
        assert item["eligibility"] == "ineligible"
        assert any("ECOG 3: fails ECOG <= 2" in reason for reason in item["reasons"])


def test_match_on_label_text_output(maf: Path) -> None:
    done = _run("match", str(maf), "--tumour-type", "SKCM", "--age", "50", "--ecog", "0")
    assert done.returncode == 0, done.stderr
    assert "on-label: standard treatment" in done.stdout
    assert "Sample PT-001: SKCM (tumour group Melanoma)" in done.stdout


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (("--tumour-type", "NOPE"), "unknown OncoTree code 'NOPE'"),
        (("--tumour-type", "CHOL", "--lab", "sodium=140"), "field '--lab'"),
        (("--tumour-type", "CHOL", "--lab", "anc=lots"), "'lots' in 'anc=lots' is not a number"),
        # The same parser as `patient add` and `patient update` (core.registry.parse_labs).
        (("--tumour-type", "CHOL", "--lab", "platelet=200"), "did you mean platelets?"),
        (("--tumour-type", "CHOL", "--lab", "anc=-5"), "anc = -5 is negative"),
        (("--tumour-type", "CHOL", "--lab", "anc=1", "--lab", "ANC=2"), "'anc' is given twice"),
        # The same prior-therapy parser as `patient add` (core.registry.parse_prior_therapies).
        (("--tumour-type", "CHOL", "--prior-therapy", " "), "a prior therapy name is empty"),
        (
            ("--tumour-type", "CHOL", "--prior-therapy", "none", "--prior-therapy", "trametinib"),
            "'none' cannot be given with other prior therapies",
        ),
    ],
)
def test_match_bad_input_exit_1(maf: Path, arguments: tuple[str, ...], words: str) -> None:
    done = _run("match", str(maf), *arguments)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert words in lines[0], done.stderr


def test_match_without_tumour_type_is_a_usage_error(maf: Path) -> None:
    assert _run("match", str(maf)).returncode == 2


def test_protocol_check_default() -> None:
    done = _run("protocol", "check", str(default_protocol_path()), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["valid"] is True
    assert summary["drugs"] >= 22
    assert "Cholangiocarcinoma" in summary["tumour_groups"]
    text = _run("protocol", "check", str(default_protocol_path()))
    assert text.returncode == 0
    assert "valid protocol" in text.stdout


def test_protocol_check_bad_file_exit_1(tmp_path: Path) -> None:
    text = default_protocol_path().read_text(encoding="utf-8")
    broken = text.replace("rule: {gene: KRAS, protein: [G12C]}", "rule: {gen: KRAS, protein: [G12C]}")
    assert broken != text
    path = tmp_path / "protocol.yaml"
    path.write_text(broken, encoding="utf-8")
    line = next(number for number, row in enumerate(broken.splitlines(), start=1) if "gen: KRAS" in row)
    done = _run("protocol", "check", str(path))
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"error: {path}:{line}: field 'biomarkers[")
    assert "unknown key 'gen'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_match_with_a_user_protocol(tmp_path: Path, maf: Path) -> None:
    protocol = tmp_path / "mini.yaml"
    protocol.write_text(
        "protocol: 1\nname: Mini\nversion: '1'\n"
        "tumour_groups: [{name: Biliary, oncotree: [CHOL, GBC]}]\n"
        "drugs:\n"
        "  - generic_names: [trametinib]\n    supplier: Novartis\n    route: oral\n"
        "    profiles: [{biomarker: BRAF any, rule: {gene: BRAF, codon: V600}, evidence: clinical, source: test}]\n",
        encoding="utf-8",
    )
    done = _run("match", str(maf), "--tumour-type", "CHOL", "--protocol", str(protocol), "--json")
    assert done.returncode == 0, done.stderr
    samples = json.loads(done.stdout)
    assert [m["cohort"] for m in samples[0]["matches"]] == ["BRAF any / Biliary / Trametinib"]
    assert samples[1]["matches"] == []
