"""The patient's side of CTML matching: the clinical table (shared with ``screen``), the MAF's signature
and MMR columns, and ``oncobasket match FILES... --clinical TABLE --ctml FILE`` for a whole patient list."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from oncobasket.core.errors import FormatError
from oncobasket.core.profiles import MsiStatus
from oncobasket.io.maf import read_maf
from oncobasket.io.match_table import read_clinical_rows, read_clinical_table

MAF_HEADER = "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short"


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments], capture_output=True, text=True, check=False, timeout=120
    )


# ---------------------------------------------------------------------------------------------
# The clinical table
# ---------------------------------------------------------------------------------------------


def test_the_clinical_table_reads_markers_sex_and_birth_dates(tmp_path: Path) -> None:
    table = _write(
        tmp_path / "clinical.tsv",
        "sample_id\ttumour_type\tbirth_date\tsex\tHER2_status\tapobec_signature\ttmb",
        "S1\tBRCA\t2008-06-15\tFemale\tTrue\tyes\t12.5",
        "S2\tluad\t2000-01-01\tM\tNA\t\t",
    )
    rows = read_clinical_rows(table, as_of=date(2026, 6, 15))
    assert rows["S1"].facts.age == 18.0  # the 18th birthday: exactly 18
    assert rows["S1"].facts.sex == "F"
    assert dict(rows["S1"].markers) == {"her2_status": "Positive", "apobec_signature": "Yes", "tmb": "12.5"}
    assert rows["S2"].facts.tumour_type == "LUAD"
    assert dict(rows["S2"].markers) == {}
    # The day before the birthday the patient is not yet 18; the day after, more than 18.
    assert read_clinical_rows(table, as_of=date(2026, 6, 14))["S1"].facts.age < 18  # type: ignore[operator]
    assert read_clinical_rows(table, as_of=date(2026, 6, 16))["S1"].facts.age > 18  # type: ignore[operator]


def test_a_leap_day_birthday_is_reached_on_the_first_of_march(tmp_path: Path) -> None:
    table = _write(tmp_path / "c.tsv", "sample_id\ttumour_type\tbirth_date", "S1\tLUAD\t2008-02-29")
    assert read_clinical_table(table, as_of=date(2026, 2, 28))["S1"].age < 18  # type: ignore[operator]
    assert read_clinical_table(table, as_of=date(2026, 3, 1))["S1"].age == 18.0


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        (
            "sample_id\ttumour_type\tbirth_date",
            "S1\tLUAD\t15.06.2008",
            r"c.tsv:2: field 'birth_date': '15.06.2008' is not a date",
        ),
        (
            "sample_id\ttumour_type\tbirth_date",
            "S1\tLUAD\t2030-01-01",
            r"field 'birth_date': birth date 2030-01-01 is after",
        ),
        ("sample_id\ttumour_type\tage\tbirth_date", "S1\tLUAD\t50\t1976-01-01", r"both 'age' and 'birth_date'"),
        ("sample_id\ttumour_type\tsex", "S1\tLUAD\tX", r"field 'sex': 'X' is not a sex"),
        ("sample_id\ttumour_type\ter_status", "S1\tLUAD\tweak", r"field 'er_status': 'weak' is not a receptor status"),
        (
            "sample_id\ttumour_type\tpole_signature",
            "S1\tLUAD\tmaybe",
            r"field 'pole_signature': 'maybe' is not Yes or No",
        ),
        ("sample_id\ttumour_type\ttmb", "S1\tLUAD\thigh", r"field 'tmb': 'high' is not a number"),
    ],
)
def test_malformed_clinical_cells_are_one_line(header: str, row: str, message: str, tmp_path: Path) -> None:
    table = _write(tmp_path / "c.tsv", header, row)
    with pytest.raises(FormatError, match=message):
        read_clinical_rows(table, as_of=date(2026, 6, 15))


def test_birth_dates_need_the_day_to_read_them_against(tmp_path: Path) -> None:
    table = _write(tmp_path / "c.tsv", "sample_id\ttumour_type\tbirth_date", "S1\tLUAD\t2000-01-01")
    with pytest.raises(FormatError, match="needs the day to read it against"):
        read_clinical_table(table)


# ---------------------------------------------------------------------------------------------
# MAF signature and MMR columns
# ---------------------------------------------------------------------------------------------


def test_a_maf_carries_its_signature_and_mmr_columns(tmp_path: Path) -> None:
    maf = _write(
        tmp_path / "s.maf",
        f"{MAF_HEADER}\tAPOBEC_STATUS\tMMR_STATUS\tTABACCO_STATUS",
        "KRAS\tS1\tMissense_Mutation\tp.G12C\tYes\tDeficient (MMR-D / MSI-H)\t",
        "TP53\tS1\tMissense_Mutation\tp.R175H\tYes\tDeficient (MMR-D / MSI-H)\tNo",
        "KRAS\tS2\tMissense_Mutation\tp.G12D\tNo\tMSS\t",
    )
    first, second = read_maf(maf)
    assert dict(first.signatures) == {"apobec_signature": "Yes", "tobacco_signature": "No"}
    assert first.msi is not None
    assert first.msi.status is MsiStatus.MSI_H
    assert second.msi is not None
    assert second.msi.status is MsiStatus.MSS
    assert first.as_dict()["signatures"] == {"apobec_signature": "Yes", "tobacco_signature": "No"}


def test_a_maf_without_those_columns_keeps_its_profile_shape(tmp_path: Path) -> None:
    (profile,) = read_maf(_write(tmp_path / "s.maf", MAF_HEADER, "KRAS\tS1\tMissense_Mutation\tp.G12C"))
    assert profile.msi is None
    assert dict(profile.signatures) == {}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ("KRAS\tS1\tMissense_Mutation\tp.G12C\tUnclear",),
            r"s.maf:2: field 'MMR_STATUS': 'Unclear' is not an MMR/MSI status",
        ),
        (
            ("KRAS\tS1\tMissense_Mutation\tp.G12C\tMSS", "TP53\tS1\tMissense_Mutation\tp.R175H\tMSI-H"),
            r"s.maf:3: field 'MMR_STATUS': the sample has 'MSS' and 'MSI-H'",
        ),
    ],
)
def test_bad_mmr_cells_are_one_line(rows: tuple[str, ...], message: str, tmp_path: Path) -> None:
    maf = _write(tmp_path / "s.maf", f"{MAF_HEADER}\tMMR_STATUS", *rows)
    with pytest.raises(FormatError, match=message):
        read_maf(maf)


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def test_match_a_patient_list_against_a_file_of_trials(tmp_path: Path) -> None:
    maf = _write(
        tmp_path / "cohort.maf",
        f"{MAF_HEADER}\tAPOBEC_STATUS",
        "KRAS\tP1\tMissense_Mutation\tp.G12C\tYes",
        "KRAS\tP2\tMissense_Mutation\tp.G12C\tNo",
    )
    clinical = _write(
        tmp_path / "clinical.tsv",
        "sample_id\ttumour_type\tage\tsex\ther2_status",
        "P1\tLUAD\t18\tF\tPositive",
        "P2\tCOAD\t70\tM\tNegative",
    )
    kras = {"genomic": {"hugo_symbol": "KRAS", "protein_change": "p.G12C"}}
    trials = [
        {
            "protocol_no": "T-ADULT",
            "treatment_list": {
                "step": [
                    {"arm": [{"arm_code": "A", "match": [{"and": [kras, {"clinical": {"age_numerical": ">18"}}]}]}]}
                ]
            },
        },
        {
            "protocol_no": "T-SIG",
            "treatment_list": {
                "step": [
                    {
                        "arm": [
                            {"arm_code": "APOBEC", "match": [{"genomic": {"apobec_signature": "Yes"}}]},
                            {"arm_code": "HER2", "match": [{"clinical": {"her2_status": "Positive"}}]},
                        ]
                    }
                ]
            },
        },
    ]
    ctml = tmp_path / "trials.json"
    ctml.write_text(json.dumps(trials), encoding="utf-8")
    done = _run("match", str(maf), "--clinical", str(clinical), "--ctml", str(ctml), "--json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    verdicts = {
        (item["sample_id"], item["trial"]["protocol_no"]): [
            (match["cohort"], match["eligibility"]) for match in item["matches"]
        ]
        for item in results
    }
    assert verdicts == {
        ("P1", "T-ADULT"): [("arm A", "ineligible")],  # 18 is not > 18
        ("P1", "T-SIG"): [("arm APOBEC", "eligible"), ("arm HER2", "eligible")],
        ("P2", "T-ADULT"): [("arm A", "eligible")],
        ("P2", "T-SIG"): [],
    }
    adult = next(item for item in results if item["sample_id"] == "P1" and item["trial"]["protocol_no"] == "T-ADULT")
    assert "age 18: fails age_numerical '>18' (age > 18 years)" in adult["matches"][0]["reasons"]
    signatures = next(item for item in results if item["sample_id"] == "P2" and item["trial"]["protocol_no"] == "T-SIG")
    assert "arm HER2: not matched: her2_status 'Positive': the patient's her2_status is Negative" in signatures["notes"]


def test_a_sample_missing_from_the_clinical_table_is_named(tmp_path: Path) -> None:
    maf = _write(tmp_path / "m.maf", MAF_HEADER, "KRAS\tP9\tMissense_Mutation\tp.G12C")
    clinical = _write(tmp_path / "c.tsv", "sample_id\ttumour_type", "P1\tLUAD")
    done = _run("match", str(maf), "--clinical", str(clinical))
    assert done.returncode == 1
    assert "sample 'P9' has no row in the --clinical table" in done.stderr
