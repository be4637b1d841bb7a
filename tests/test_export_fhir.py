"""``oncobasket export fhir STUDY_ID``: every resource of the bundle validated with fhir.resources (FHIR R4B
models, R4's structures for these resources), the codes bound to required value sets checked against R4's
lists, the content checked against the registry (plain SQL), and no personal data beyond the study ID and
birth year."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

#: FHIR R4 required bindings: AdministrativeGender and ResearchSubjectStatus.
GENDERS = {"male", "female", "other", "unknown"}
SUBJECT_STATUSES = {
    "candidate", "eligible", "follow-up", "ineligible", "not-registered", "off-study", "on-study",
    "on-study-intervention", "on-study-observation", "pending-on-study", "potential-candidate", "screening",
    "withdrawn",
}  # fmt: skip


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("demo")
    result = _cli("demo", "--workdir", str(workdir / "demo"), cwd=workdir)
    assert result.returncode == 0, result.stderr
    return workdir / "demo" / "trial.db"


def _bundle(database: Path, study_id: str) -> dict[str, Any]:
    result = _cli("export", "fhir", study_id, "--database-url", f"sqlite:///{database}", cwd=database.parent)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _validated(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Validate the bundle and each resource with its fhir.resources model; the resources by type."""
    Bundle.model_validate(bundle)
    by_type: dict[str, list[dict[str, Any]]] = {}
    urls = {entry["fullUrl"] for entry in bundle["entry"]}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        by_type.setdefault(resource["resourceType"], []).append(resource)
        # Every reference inside the bundle resolves to an entry of it.
        text = json.dumps(resource)
        for part in text.split('"reference": "')[1:]:
            assert part.split('"', 1)[0] in urls
    return by_type


def test_every_demo_patient_has_a_valid_bundle_that_agrees_with_the_registry(demo: Path) -> None:
    with sqlite3.connect(demo) as connection:
        patients = connection.execute("SELECT id, study_id FROM patients").fetchall()
        for patient_id, study_id in patients:
            bundle = _bundle(demo, study_id)
            resources = _validated(bundle)
            (patient,) = resources["Patient"]
            assert patient["identifier"][0]["value"] == study_id
            assert patient["gender"] in GENDERS
            assert set(patient) <= {"resourceType", "id", "meta", "identifier", "gender", "birthDate"}
            (subject,) = resources["ResearchSubject"]
            assert subject["status"] in SUBJECT_STATUSES
            cohort = connection.execute(
                "SELECT c.name FROM enrolments e JOIN cohorts c ON c.id = e.cohort_id WHERE e.patient_id = ?"
                " ORDER BY e.id DESC LIMIT 1",
                (patient_id,),
            ).fetchone()
            assert subject.get("assignedArm") == (cohort[0] if cohort else None)
            profile = connection.execute(
                "SELECT profile FROM screenings WHERE patient_id = ? ORDER BY id DESC LIMIT 1", (patient_id,)
            ).fetchone()
            alterations = [
                item for item in json.loads(profile[0])["alterations"] if item["usable"] and item["filter"] == "PASS"
            ]
            variants = [item for item in resources["Observation"] if item["code"]["coding"][0]["code"] == "69548-6"]
            assert len(variants) == len(alterations)
            (report,) = resources["DiagnosticReport"]
            assert report["code"]["coding"][0]["code"] == "51969-4"
            assert len(report["result"]) >= len(variants)


def test_the_treated_patient_carries_variants_tmb_msi_and_the_boards_recommendation(demo: Path) -> None:
    resources = _validated(_bundle(demo, "OB-0001"))
    codes = [item["code"]["coding"][0]["code"] for item in resources["Observation"]]
    # ECOG (mCODE), TMB and MSI (Genomics Reporting), the therapeutic implication of the board's decision.
    assert {"89247-1", "94076-7", "81695-9", "therapeutic-implication"} <= set(codes)
    braf = next(
        item
        for item in resources["Observation"]
        if any(
            part["code"]["coding"][0]["code"] == "48005-3" and "Val600Glu" in json.dumps(part)
            for part in item.get("component", [])
        )
    )
    genes = [
        part["valueCodeableConcept"]["text"]
        for part in braf["component"]
        if part["code"]["coding"][0]["code"] == "48018-6"
    ]
    assert genes == ["BRAF"]
    (subject,) = resources["ResearchSubject"]
    assert subject["status"] == "on-study-intervention"
    assert subject["assignedArm"] == "BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib"
    (study,) = resources["ResearchStudy"]
    assert study["identifier"][0]["value"] == "NCT04817956"
    recommendation = next(
        item for item in resources["Observation"] if item["code"]["coding"][0]["code"] == "therapeutic-implication"
    )
    assert "dabrafenib+trametinib" in recommendation["note"][0]["text"]


def test_a_patient_with_missing_values_and_no_screening_is_valid(demo: Path, tmp_path: Path) -> None:
    database = tmp_path / "copy.db"
    database.write_bytes(demo.read_bytes())
    added = _cli(
        "patient", "add", "IMP-9001", "--site", "OUS", "--sex", "O", "--birth-year", "1950", "--tumour-type", "CUP",
        "--database-url", f"sqlite:///{database}",
        cwd=tmp_path,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    resources = _validated(_bundle(database, "IMP-9001"))
    assert "DiagnosticReport" not in resources
    assert resources["Patient"][0]["gender"] == "other"
    assert resources["ResearchSubject"][0]["status"] == "screening"


def test_the_bundle_is_the_same_on_rerun_and_written_owner_only(demo: Path, tmp_path: Path) -> None:
    assert _bundle(demo, "OB-0006") == _bundle(demo, "OB-0006")
    out = tmp_path / "ob6.json"
    args = ("export", "fhir", "OB-0006", "--out", str(out), "--database-url", f"sqlite:///{demo}")
    assert _cli(*args, cwd=tmp_path).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    _validated(json.loads(out.read_text()))
    refused = _cli(*args, cwd=tmp_path)
    assert refused.returncode == 1
    assert "--force" in refused.stderr
    assert _cli(*args, "--force", cwd=tmp_path).returncode == 0


def test_an_unknown_study_id_is_one_line(demo: Path, tmp_path: Path) -> None:
    result = _cli("export", "fhir", "NOPE-1", "--database-url", f"sqlite:///{demo}", cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
