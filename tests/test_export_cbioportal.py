"""``oncobasket export cbioportal``: the study folder parsed back, every count checked against the registry
(read with plain SQL, not through the exporter's code), the files in cBioPortal's shapes (docs.cbioportal.org
"File Formats"), owner-only, and never written over without --force."""

from __future__ import annotations

import csv
import json
import sqlite3
import stat
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

TODAY = datetime.now(UTC).date().isoformat()
DAYS_PER_MONTH = 30.4375


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's registry: five screened patients, two treated with scans, fusions, amplifications."""
    workdir = tmp_path_factory.mktemp("demo")
    result = _cli("demo", "--workdir", str(workdir / "demo"), cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir / "demo" / "trial.db"


@pytest.fixture(scope="module")
def study(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "study"
    result = _cli(
        "export", "cbioportal", "--as-of", TODAY, "--out", str(out),
        "--database-url", f"sqlite:///{demo_database}", "--json",
        cwd=out.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patients"] == 5
    return out


def _meta(path: Path) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return dict(pairs)


def _table(path: Path, comment_rows: int = 0) -> tuple[list[str], list[dict[str, str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(line.startswith("#") for line in lines[:comment_rows])
    body = lines[comment_rows:]
    reader = csv.DictReader(body, delimiter="\t", quoting=csv.QUOTE_NONE)
    rows = list(reader)
    assert all(len(row) == len(reader.fieldnames or []) and None not in row for row in rows)
    return list(reader.fieldnames or []), rows


def _registry(database: Path) -> dict[str, Any]:
    """What the registry holds, read with SQL: the latest screening per patient and the treated patients."""
    with sqlite3.connect(database) as connection:
        screenings = connection.execute(
            "SELECT p.study_id, s.sample_id, s.profile FROM screenings s JOIN patients p ON p.id = s.patient_id"
            " WHERE s.id IN (SELECT max(id) FROM screenings GROUP BY patient_id)"
        ).fetchall()
        treated = {row[0] for row in connection.execute(
            "SELECT p.study_id FROM treatments t JOIN patients p ON p.id = t.patient_id"
        )}  # fmt: skip
        # Baselines and follow-up scans in force (an entry a later correction replaced is not counted).
        scans = connection.execute(
            "SELECT count(*) FROM tumour_assessments WHERE id NOT IN"
            " (SELECT corrects_id FROM tumour_assessments WHERE corrects_id IS NOT NULL)"
        ).fetchone()[0]
    profiles = {study_id: json.loads(profile) for study_id, _, profile in screenings}
    calls: Counter[str] = Counter()
    for profile in profiles.values():
        for alteration in profile["alterations"]:
            if alteration["usable"] and alteration["filter"] == "PASS":
                calls[alteration["kind"]] += 1
    samples = {study_id: f"{study_id}_{sample_id}" for study_id, sample_id, _ in screenings}
    return {"profiles": profiles, "calls": calls, "treated": treated, "samples": samples, "scans": scans}


def test_meta_files_name_their_data_files_and_the_study(study: Path) -> None:
    meta_study = _meta(study / "meta_study.txt")
    identifier = meta_study["cancer_study_identifier"]
    assert identifier.startswith("oncobasket_")
    assert identifier == identifier.lower()
    assert meta_study["reference_genome"] == "hg19"  # TSO500 Local App results are GRCh37
    assert {"type_of_cancer", "name", "description"} <= meta_study.keys()
    for meta in study.glob("meta_*.txt"):
        values = _meta(meta)
        assert values["cancer_study_identifier"] == identifier, meta.name
        if meta.name != "meta_study.txt":
            assert (study / values["data_filename"]).is_file(), meta.name
    assert _meta(study / "meta_mutations.txt")["genetic_alteration_type"] == "MUTATION_EXTENDED"
    assert (_meta(study / "meta_cna.txt")["datatype"], _meta(study / "meta_sv.txt")["datatype"]) == ("DISCRETE", "SV")
    for data in study.glob("data_*.txt"):
        assert any(_meta(meta).get("data_filename") == data.name for meta in study.glob("meta_*.txt")), data.name


def test_clinical_files_carry_one_row_per_screened_patient_and_the_survival_values(
    study: Path, demo_database: Path
) -> None:
    registry = _registry(demo_database)
    columns, patients = _table(study / "data_clinical_patient.txt", comment_rows=4)
    header = (study / "data_clinical_patient.txt").read_text(encoding="utf-8").splitlines()[:4]
    assert all(len(line[1:].split("\t")) == len(columns) for line in header)
    assert set(header[2][1:].split("\t")) <= {"STRING", "NUMBER", "BOOLEAN"}
    assert {row["PATIENT_ID"] for row in patients} == set(registry["profiles"])
    treated = {row["PATIENT_ID"] for row in patients if row["TREATED"] == "TRUE"}
    assert treated == registry["treated"]
    for row in patients:
        if row["PATIENT_ID"] in treated:
            assert row["OS_STATUS"] in {"0:LIVING", "1:DECEASED"}
            assert row["PFS_STATUS"] in {"0:CENSORED", "1:PROGRESSION"}
            assert float(row["OS_MONTHS"]) >= float(row["PFS_MONTHS"]) >= 0
        else:
            assert (row["OS_STATUS"], row["OS_MONTHS"], row["PFS_STATUS"]) == ("NA", "NA", "NA")
    by_id = {row["PATIENT_ID"]: row for row in patients}
    # The demo: the BRAF V600E cholangiocarcinoma has a partial response and benefit at week 16; the
    # tepotinib patient progressed at the first scan (docs of the demo, test_demo.py).
    assert (by_id["OB-0001"]["BEST_OVERALL_RESPONSE"], by_id["OB-0001"]["BENEFIT_W16"]) == ("PR", "TRUE")
    assert (by_id["OB-0006"]["PFS_STATUS"], by_id["OB-0006"]["BENEFIT_W16"]) == ("1:PROGRESSION", "FALSE")

    _, samples = _table(study / "data_clinical_sample.txt", comment_rows=4)
    assert {row["SAMPLE_ID"]: row["PATIENT_ID"] for row in samples} == {
        sample: study_id for study_id, sample in registry["samples"].items()
    }
    for row in samples:
        tmb = registry["profiles"][row["PATIENT_ID"]]["tmb"]
        expected = str(tmb["per_mb"]) if tmb is not None and tmb["usable"] else "NA"
        assert row["TMB"] == expected
        assert row["MSI_TYPE"] in {"Stable", "Instable", "Indeterminate", "NA"}


def test_molecular_files_hold_every_usable_call_of_the_stored_profiles(study: Path, demo_database: Path) -> None:
    registry = _registry(demo_database)
    columns, mutations = _table(study / "data_mutations.txt")
    assert {"Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short"} <= set(columns)
    assert len(mutations) == registry["calls"]["mutation"]
    assert {row["Tumor_Sample_Barcode"] for row in mutations} <= set(registry["samples"].values())
    braf = next(row for row in mutations if row["Hugo_Symbol"] == "BRAF")
    # BRAF c.1799T>A on the minus strand: the genomic allele is A>T at chr7:140453136 (GRCh37).
    assert (braf["HGVSp_Short"], braf["Chromosome"], braf["Start_Position"]) == ("p.V600E", "7", "140453136")
    assert (braf["Reference_Allele"], braf["Tumor_Seq_Allele2"], braf["Variant_Type"]) == ("A", "T", "SNP")

    cna_columns, cna = _table(study / "data_cna.txt")
    assert cna_columns[0] == "Hugo_Symbol"
    assert set(cna_columns[1:]) == set(registry["samples"].values())
    values = Counter(value for row in cna for column, value in row.items() if column != "Hugo_Symbol")
    assert set(values) <= {"-2", "-1", "0", "1", "2"}
    assert values["2"] == registry["calls"]["amplification"]
    assert values["-2"] + values["-1"] == registry["calls"]["copy_loss"]

    _, structural = _table(study / "data_sv.txt")
    assert len(structural) == registry["calls"]["fusion"] + registry["calls"]["splice_variant"]
    assert {(row["Site1_Hugo_Symbol"], row["Site2_Hugo_Symbol"]) for row in structural} >= {("KIF5B", "RET")}
    assert all(row["SV_Status"] == "SOMATIC" for row in structural)


def test_timelines_and_case_lists(study: Path, demo_database: Path) -> None:
    registry = _registry(demo_database)
    _, treatment = _table(study / "data_timeline_treatment.txt")
    assert {row["PATIENT_ID"] for row in treatment} == registry["treated"]
    _, imaging = _table(study / "data_timeline_imaging.txt")
    # One row per baseline and one per follow-up scan.
    assert len(imaging) == registry["scans"]
    assert sum(row["RESPONSE"] == "Baseline" for row in imaging) == len(registry["treated"])
    for name in ("treatment", "imaging", "status", "specimen"):
        header, rows = _table(study / f"data_timeline_{name}.txt")
        assert header[:4] == ["PATIENT_ID", "START_DATE", "STOP_DATE", "EVENT_TYPE"]
        assert all(row["EVENT_TYPE"] == name.upper() and int(row["START_DATE"]) >= 0 for row in rows)
        assert all(row["STOP_DATE"] == "" or int(row["STOP_DATE"]) >= int(row["START_DATE"]) for row in rows)

    identifier = _meta(study / "meta_study.txt")["cancer_study_identifier"]
    categories = {}
    for path in (study / "case_lists").glob("*.txt"):
        values = _meta(path)
        assert values["stable_id"].startswith(f"{identifier}_")
        assert set(values["case_list_ids"].split("\t")) == set(registry["samples"].values())
        categories[values["case_list_category"]] = path.name
    assert set(categories) == {
        "all_cases_in_study",
        "all_cases_with_mutation_data",
        "all_cases_with_cna_data",
        "all_cases_with_sv_data",
    }


def test_the_folder_is_owner_only_and_not_written_over_without_force(study: Path, demo_database: Path) -> None:
    for path in [study, *study.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    args = (
        "export",
        "cbioportal",
        "--as-of",
        TODAY,
        "--out",
        str(study),
        "--database-url",
        f"sqlite:///{demo_database}",
    )
    refused = _cli(*args, cwd=study.parent)
    assert refused.returncode == 1
    assert "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _cli(*args, "--force", cwd=study.parent).returncode == 0


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2026-13-01", "--as-of"), ("2999-01-01", "in the future"), ("yesterday", "--as-of")],
)
def test_a_bad_cut_off_is_refused_in_one_line(demo_database: Path, tmp_path: Path, as_of: str, expected: str) -> None:
    result = _cli(
        "export", "cbioportal", "--as-of", as_of, "--out", str(tmp_path / "study"),
        "--database-url", f"sqlite:///{demo_database}",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "study").exists()


def test_an_empty_registry_exports_a_valid_empty_study(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    assert _cli("trial", "init", "--database-url", database, cwd=tmp_path).returncode == 0
    result = _cli(
        "export",
        "cbioportal",
        "--as-of",
        TODAY,
        "--out",
        str(tmp_path / "study"),
        "--database-url",
        database,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    _, patients = _table(tmp_path / "study" / "data_clinical_patient.txt", comment_rows=4)
    _, mutations = _table(tmp_path / "study" / "data_mutations.txt")
    assert patients == []
    assert mutations == []
    assert not (tmp_path / "study" / "data_cna.txt").exists()
    assert _meta(tmp_path / "study" / "case_lists" / "cases_all.txt")["case_list_ids"] == ""
