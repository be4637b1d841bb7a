"""The engine over the real MAF and TSO500 files in ../shared/data: the results must make clinical sense."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from oncobasket.core.matching import PatientFacts, ProfileMatches, compile_protocol, evaluate_profile
from oncobasket.core.profiles import MolecularProfile
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.oncotree import load_shipped_tumour_types, read_oncotree_json
from oncobasket.io.protocol_file import default_protocol_path, load_protocol
from oncobasket.io.readers import read_profiles

pytestmark = pytest.mark.shared_data

FIT = {"age": 60.0, "ecog": 1, "prior_therapies": ()}


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


@pytest.fixture(scope="module")
def compiled(tumour_types: TumourTypes):  # type: ignore[no-untyped-def]
    return compile_protocol(load_protocol(default_protocol_path(), tumour_types))


def match(profile: MolecularProfile, code: str, compiled, tumour_types: TumourTypes) -> ProfileMatches:  # type: ignore[no-untyped-def]
    return evaluate_profile(profile, PatientFacts(tumour_type=code, **FIT), compiled, tumour_types)  # type: ignore[arg-type]


def pairs(result: ProfileMatches) -> set[tuple[str, str, bool]]:
    return {(m.drug, m.biomarker, m.on_label) for m in result.matches}


def test_oncokb_example_maf_with_its_clinical_tumour_types(shared_data: Path, tumour_types, compiled) -> None:  # type: ignore[no-untyped-def]
    maf = shared_data / "maf" / "oncokb-annotator__example_maf.txt"
    with (shared_data / "maf" / "oncokb-annotator__example_clinical.txt").open() as handle:
        codes = {row["SAMPLE_ID"]: row["ONCOTREE_CODE"] for row in csv.DictReader(handle, delimiter="\t")}
    profiles = {profile.sample_id: profile for profile in read_profiles([maf])}
    # The lung adenocarcinoma with KRAS G12C: sotorasib is standard treatment there (EMA), not a cohort.
    lung = match(profiles["TCGA-05-4417-01"], codes["TCGA-05-4417-01"], compiled, tumour_types)
    assert ("sotorasib", "KRAS G12C mutation", True) in pairs(lung)
    assert lung.tumour_group == "NSCLC"
    # The same profile in a pancreatic cancer is a trial cohort.
    pancreatic = match(profiles["TCGA-05-4417-01"], "PAAD", compiled, tumour_types)
    sotorasib = next(m for m in pancreatic.matches if m.drug == "sotorasib")
    assert sotorasib.cohort == "KRAS G12C mutation / Pancreatic / Sotorasib"
    assert sotorasib.eligibility == "to_be_confirmed"  # labs were not given
    # Every sample of the file can be matched with its own tumour type.
    for sample_id, profile in profiles.items():
        code = codes.get(sample_id, "CUP")
        result = match(profile, code if code in tumour_types else "CUP", compiled, tumour_types)
        assert result.sample_id == sample_id


def test_tso500_msi_h_tmb_high_sample_matches_checkpoint_inhibitors(shared_data: Path, tumour_types, compiled) -> None:  # type: ignore[no-untyped-def]
    path = shared_data / "tso500" / "AWGL__tests_test_data_tsv2b_12345_CombinedVariantOutput.tsv"
    (profile,) = read_profiles([path])
    result = match(profile, "PAAD", compiled, tumour_types)
    assert {m.cohort for m in result.matches} >= {
        "MSI-H / Pancreatic / Atezolizumab",
        "MSI-H / Pancreatic / Dostarlimab",
        "TMB-high / Pancreatic / Atezolizumab",
    }
    # MET fold change 2.17 is below the protocol's high-level amplification threshold, and the note says so.
    assert not any(m.biomarker == "MET amplification" for m in result.matches)
    assert any("MET amplification" in note and "below the threshold" in note for note in result.notes)
    # In urothelial cancer atezolizumab is approved regardless of MSI/TMB: on-label there.
    urothelial = match(profile, "BLCA", compiled, tumour_types)
    assert all(m.on_label for m in urothelial.matches if m.drug == "atezolizumab")
    assert any(not m.on_label for m in urothelial.matches if m.drug == "dostarlimab")


def test_tso500_rna_fusions_and_splice_variants(shared_data: Path, tumour_types, compiled) -> None:  # type: ignore[no-untyped-def]
    path = shared_data / "tso500" / "AWGL__tests_test_data_fusion_check_sample_CombinedVariantOutput.tsv"
    (profile,) = read_profiles([path])
    cup = match(profile, "CUP", compiled, tumour_types)
    found = pairs(cup)
    assert ("alectinib", "ALK fusion", False) in found  # EML4-ALK
    assert ("tepotinib", "MET exon 14 skipping", False) in found  # MET 14/21 splice variant
    assert ("crizotinib", "ROS1 fusion", False) in found
    assert ("larotrectinib", "NTRK fusion", True) in found  # tumour-agnostic approval
    assert ("selpercatinib", "RET fusion", True) in found  # EMA 2024 tumour-agnostic RET fusion
    assert ("pemigatinib", "FGFR3-TACC3 fusion", False) in found
    # In NSCLC the ALK, ROS1 and METex14 matches are standard treatment.
    lung = match(profile, "LUAD", compiled, tumour_types)
    assert all(
        m.on_label
        for m in lung.matches
        if m.biomarker in {"ALK fusion", "MET exon 14 skipping"} and m.drug in {"alectinib", "tepotinib"}
    )


def test_ctdna_cnv_vcf_cdk6_amplification(shared_data: Path, tumour_types, compiled) -> None:  # type: ignore[no-untyped-def]
    path = shared_data / "tso500" / "YinanWang16__FusionMix_DNA_1pct_rep1_CopyNumberVariants.vcf"
    (profile,) = read_profiles([path])
    result = match(profile, "CUP", compiled, tumour_types)
    assert {m.drug for m in result.matches if m.biomarker == "CDK4/6 pathway amplification"} == {
        "abemaciclib",
        "palbociclib",
        "ribociclib",
    }


def test_tcga_laml_idh1_r132_is_standard_care_in_aml(shared_data: Path, tumour_types, compiled) -> None:  # type: ignore[no-untyped-def]
    profiles = read_profiles([shared_data / "maf" / "maftools__tcga_laml.maf.gz"])
    assert len(profiles) > 150
    counts: Counter[tuple[str, str, bool]] = Counter()
    for profile in profiles:
        counts.update(pairs(match(profile, "AML", compiled, tumour_types)))
    # IDH1 R132 is the only druggable alteration of this protocol that is common in AML, and ivosidenib
    # is approved (EMA) for it there; nothing else should match in bulk.
    assert counts[("ivosidenib", "IDH1 R132 mutation", True)] >= 10
    assert sum(count for key, count in counts.items() if key[0] != "ivosidenib") <= 10


def test_full_oncotree_gives_the_same_groups(shared_data: Path, compiled) -> None:  # type: ignore[no-untyped-def]
    full = read_oncotree_json(shared_data / "oncotree" / "oncotree_2025_10_03.json")
    path = shared_data / "tso500" / "AWGL__tests_test_data_tsv2b_12345_CombinedVariantOutput.tsv"
    (profile,) = read_profiles([path])
    assert match(profile, "PAAD", compiled, full).tumour_group == "Pancreatic"
