"""Use cases: screen a registered patient's sequencing result against the stored protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from oncobasket.core.errors import InputError
from oncobasket.core.matching import (
    match_profile,
)
from oncobasket.core.profiles import MolecularProfile, ProfileSettings
from oncobasket.core.registry import (
    check_study_id,
)
from oncobasket.db import repository
from oncobasket.io.readers import read_profiles
from oncobasket.services.registry import Registry, _stored_protocol, _tumour_types, patient_facts, sha256_of


def _source_checksums(paths: Sequence[Path], profile: MolecularProfile) -> list[dict[str, Any]]:
    """SHA-256 of every file the profile was read from.

    Readers list the files they read in ``profile.sources`` (for a TSO500 folder: the sample's outputs
    and the run's MetricsOutput.tsv, never the large BAM files beside them); given files are added.
    """
    candidates = [Path(source) for source in profile.sources] + list(paths)
    files = [path for path in dict.fromkeys(candidates) if path.is_file()]
    return [{"file": str(path), "sha256": sha256_of(path)} for path in files]


def qc_warnings(profile: MolecularProfile) -> list[str]:
    """What a coordinator must see when a screened sample failed QC: the failed metrics, the result areas
    they make unusable (the matcher makes no match on those; TSO500 guideline limits of MetricsOutput.tsv,
    docs/formats-tso500.md) and what to do. Empty when QC passed or was not judged."""
    qc = profile.qc
    if qc.passed:
        return []
    areas = ", ".join(str(area) for area in qc.unusable_areas) or "none named"
    return [
        f"QC FAILED for sample {profile.sample_id}: {'; '.join(qc.failures)}; unusable result areas: {areas} "
        "(no match is made on them, so matches resting on them are missing or to be confirmed); the screening is "
        "stored, but re-test the sample (or check that this is the patient's tumour sample, not a control) "
        "before the tumour board decides on it"
    ]


def screen_patient(
    registry: Registry, study_id: str, paths: Sequence[Path], settings: ProfileSettings = ProfileSettings()
) -> dict[str, Any]:
    """Read the patient's molecular profile, match it against the protocol in force (with the current
    cohort statuses) and store the profile, its QC, its files' checksums and the matches as computed.

    A sample that failed QC is stored too (the record shows what was screened), with ``warnings`` naming
    the failed metrics and the unusable result areas (:func:`qc_warnings`). The patient's clinical values
    are read as registered now (``patient update`` changes them for later screenings).
    """
    check_study_id(study_id, field_name="--patient")
    registry.database.check_schema()
    profiles = read_profiles(list(paths), settings)
    if len(profiles) != 1:
        samples = ", ".join(item.sample_id for item in profiles)
        raise InputError(
            f"the files hold {len(profiles)} samples ({samples}); a screening is one sample",
            field="--sample",
            fix="pick the patient's sample with --sample",
        )
    (profile,) = profiles
    return screen_profile(registry, study_id, profile, source_files=_source_checksums(paths, profile))


def screen_profile(
    registry: Registry, study_id: str, profile: MolecularProfile, *, source_files: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """Store a molecular profile already read (or drawn by ``oncobasket simulate trial``) as the patient's
    screening: the same matching, storage and audit as :func:`screen_patient`, which reads the files first."""
    check_study_id(study_id, field_name="--patient")
    registry.database.check_schema()
    checksums = [dict(item) for item in source_files]
    tumour_types = _tumour_types()
    now = registry.now()
    with registry.database.transaction() as session:
        patient = repository.get_patient_or_raise(session, study_id=study_id)
        study_id = patient.study_id  # as registered: study IDs compare without letter case
        protocol_row, protocol = _stored_protocol(session)
        facts = patient_facts(patient, on=now.date())
        matches = match_profile(
            profile, facts, protocol, tumour_types, cohort_statuses=repository.cohort_statuses(session)
        )
        stored = profile.as_dict()
        screening = repository.add_screening(
            session,
            patient_id=patient.id,
            protocol_version_id=protocol_row.id,
            sample_id=profile.sample_id,
            profile=stored,
            qc_passed=profile.qc.passed,
            qc=stored["qc"],
            source_files=checksums,
            screened_at=now,
        )
        for match in matches:
            repository.add_match_suggestion(
                session,
                screening_id=screening.id,
                drug=match.drug,
                biomarker=match.biomarker,
                cohort_name=match.cohort_name,
                tumour_group=match.tumour_group,
                eligible=match.eligible,
                protocol_version=protocol_row.version,
                detail=match.as_dict(),
            )
        result = {
            "study_id": study_id,
            "screening_id": screening.id,
            "sample_id": profile.sample_id,
            "qc": stored["qc"],
            "source_files": checksums,
            "protocol_version": protocol_row.version,
            "matches": [match.as_dict() for match in matches],
            "warnings": qc_warnings(profile),
        }
        registry.audit(
            session,
            at=now,
            action="screening.add",
            entity="screening",
            entity_id=screening.id,
            study_id=study_id,
            before=None,
            after={
                "sample_id": profile.sample_id,
                "qc_passed": profile.qc.passed,
                "source_files": checksums,
                "protocol_version": protocol_row.version,
                "matches": [f"{match.drug} / {match.biomarker} / {match.cohort_name}" for match in matches],
            },
        )
        return result
