"""Rule semantics beyond the shipped protocol: a small protocol written here exercises every leaf and combinator."""

from __future__ import annotations

import pytest

from oncobasket.core.matching import EligibilityStatus, PatientFacts, ProfileMatches, evaluate_profile
from oncobasket.core.profiles import (
    Alteration,
    AlterationKind,
    MolecularProfile,
    QcResult,
    ResultArea,
    Tmb,
    TmbClass,
)
from oncobasket.core.protocol import Protocol
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import parse_protocol

PROTOCOL = """\
protocol: 1
name: Rules test
version: "1"
fallback_group: Other
tumour_groups:
  - {name: NSCLC, oncotree: [NSCLC]}
  - {name: CUP, oncotree: [CUP], icd10: [C80]}
knowledge:
  exons:
    source: test
    genes:
      EGFR:
        20: {codons: [762, 823]}
biomarkers:
  - name: EGFR exon 20 variant
    rule: {gene: EGFR, exon: 20}
  - name: KRAS any mutation
    rule: {gene: KRAS, mutation: any}
  - name: MDM2 amplification
    rule: {gene: MDM2, amplification: true}
  - name: CCND1 amplification >= 8 copies
    rule: {gene: CCND1, amplification: {min_copy_number: 8}}
  - name: NRG1 fusion with CD74 or SLC3A2
    rule: {fusion: {gene: NRG1, partner: [CD74, SLC3A2]}}
  - name: PTEN bi-allelic loss
    rule: {gene: PTEN, biallelic_loss: {loh_min_vaf: 0.7}}
  - name: NF1 truncating without KRAS
    rule:
      all:
        - {gene: NF1, truncating: true}
        - not: {gene: KRAS, mutation: any}
  - name: TMB 20
    rule: {tmb: {at_least: 20}}
drugs:
  - generic_names: [testinib]
    supplier: Test
    route: oral
    eligibility:
      ecog: {at_most: 1}
    profiles:
      - {biomarker: EGFR exon 20 variant, evidence: clinical, source: test}
      - {biomarker: KRAS any mutation, evidence: preclinical, source: test}
      - {biomarker: MDM2 amplification, evidence: clinical, source: test}
      - {biomarker: CCND1 amplification >= 8 copies, evidence: clinical, source: test}
      - {biomarker: NRG1 fusion with CD74 or SLC3A2, evidence: clinical, source: test}
      - {biomarker: PTEN bi-allelic loss, evidence: clinical, source: test}
      - {biomarker: NF1 truncating without KRAS, evidence: clinical, source: test}
      - {biomarker: TMB 20, evidence: clinical, source: test, tumour_groups: [NSCLC]}
"""

MUT = AlterationKind.MUTATION


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


@pytest.fixture(scope="module")
def protocol(tumour_types: TumourTypes) -> Protocol:
    return parse_protocol(PROTOCOL, source="rules.yaml", tumour_types=tumour_types)


def run(
    protocol: Protocol,
    tumour_types: TumourTypes,
    *alterations: Alteration,
    tumour_type: str = "CUP",
    **profile: object,
) -> ProfileMatches:
    facts = PatientFacts(tumour_type=tumour_type, age=50, ecog=0, labs={}, prior_therapies=())
    sample = MolecularProfile("S", alterations=alterations, **profile)  # type: ignore[arg-type]
    return evaluate_profile(sample, facts, protocol, tumour_types)


def biomarkers(result: ProfileMatches) -> list[str]:
    return [match.biomarker for match in result.matches]


def test_exon_any_edit(protocol: Protocol, tumour_types: TumourTypes) -> None:
    assert biomarkers(run(protocol, tumour_types, Alteration("EGFR", MUT, protein_change="p.T790M"))) == [
        "EGFR exon 20 variant"
    ]
    assert biomarkers(run(protocol, tumour_types, Alteration("EGFR", MUT, protein_change="p.L858R"))) == []


def test_exon_falls_back_on_the_lab_exon_field(protocol: Protocol, tumour_types: TumourTypes) -> None:
    unplaced = Alteration("EGFR", MUT, exon="20/28", variant_classification="In_Frame_Ins")
    assert biomarkers(run(protocol, tumour_types, unplaced)) == ["EGFR exon 20 variant"]


def test_mutation_any_ignores_synonymous(protocol: Protocol, tumour_types: TumourTypes) -> None:
    assert biomarkers(run(protocol, tumour_types, Alteration("KRAS", MUT, protein_change="p.A146T"))) == [
        "KRAS any mutation"
    ]
    assert biomarkers(run(protocol, tumour_types, Alteration("KRAS", MUT, protein_change="p.A146="))) == []


def test_amplification_without_threshold_uses_the_lab_call(protocol: Protocol, tumour_types: TumourTypes) -> None:
    result = run(protocol, tumour_types, Alteration("MDM2", AlterationKind.AMPLIFICATION))
    assert biomarkers(result) == ["MDM2 amplification"]
    assert "amplification called by the laboratory" in result.matches[0].reasons[0]


def test_amplification_threshold_not_verifiable_is_said(protocol: Protocol, tumour_types: TumourTypes) -> None:
    result = run(protocol, tumour_types, Alteration("CCND1", AlterationKind.AMPLIFICATION, fold_change=3.0))
    assert biomarkers(result) == ["CCND1 amplification >= 8 copies"]
    assert "threshold not verified" in result.matches[0].reasons[0]
    low = run(protocol, tumour_types, Alteration("CCND1", AlterationKind.AMPLIFICATION, copy_number=5.0))
    assert biomarkers(low) == []
    assert any("below the threshold" in note for note in low.notes)


def test_fusion_partner_list(protocol: Protocol, tumour_types: TumourTypes) -> None:
    cd74 = Alteration("NRG1", AlterationKind.FUSION, genes=("CD74", "NRG1"))
    other = Alteration("NRG1", AlterationKind.FUSION, genes=("SDC4", "NRG1"))
    assert biomarkers(run(protocol, tumour_types, cd74)) == ["NRG1 fusion with CD74 or SLC3A2"]
    assert biomarkers(run(protocol, tumour_types, other)) == []


def test_biallelic_by_deep_loss_and_by_two_truncating(protocol: Protocol, tumour_types: TumourTypes) -> None:
    deep = Alteration("PTEN", AlterationKind.COPY_LOSS, copy_number=0.0)
    assert biomarkers(run(protocol, tumour_types, deep)) == ["PTEN bi-allelic loss"]
    two = (
        Alteration("PTEN", MUT, protein_change="p.R130*", vaf=0.3),
        Alteration("PTEN", MUT, protein_change="p.K267fs", vaf=0.3),
    )
    result = run(protocol, tumour_types, *two)
    assert biomarkers(result) == ["PTEN bi-allelic loss"]
    assert "two truncating variants" in result.matches[0].reasons[0]
    # The protocol's own LOH threshold (0.7) applies: VAF 0.65 is one hit only.
    assert biomarkers(run(protocol, tumour_types, Alteration("PTEN", MUT, protein_change="p.R130*", vaf=0.65))) == []


def test_copy_loss_without_copy_number_is_to_be_confirmed(protocol: Protocol, tumour_types: TumourTypes) -> None:
    result = run(protocol, tumour_types, Alteration("PTEN", AlterationKind.COPY_LOSS))
    assert biomarkers(result) == ["PTEN bi-allelic loss"]
    match = result.matches[0]
    assert match.eligibility is EligibilityStatus.TO_BE_CONFIRMED
    assert any("homozygous loss to be confirmed" in reason for reason in match.reasons)


def test_exclusion_that_cannot_be_decided_makes_the_match_to_be_confirmed(
    protocol: Protocol, tumour_types: TumourTypes
) -> None:
    nf1 = Alteration("NF1", MUT, protein_change="p.R1362*")
    kras = Alteration("KRAS", MUT, protein_change="p.G12D", usable=False, unusable_reason="small_variants QC failed")
    clean = run(protocol, tumour_types, nf1)
    assert biomarkers(clean) == ["NF1 truncating without KRAS"]
    assert clean.matches[0].eligibility is EligibilityStatus.ELIGIBLE  # this protocol has no lab criteria
    unsure = run(protocol, tumour_types, nf1, kras)
    match = next(m for m in unsure.matches if m.biomarker == "NF1 truncating without KRAS")
    assert match.eligibility is EligibilityStatus.TO_BE_CONFIRMED
    assert any("biomarker to be confirmed: exclusion (KRAS mutation) not decidable" in r for r in match.reasons)
    excluded = run(protocol, tumour_types, nf1, Alteration("KRAS", MUT, protein_change="p.G12D"))
    assert "NF1 truncating without KRAS" not in biomarkers(excluded)
    assert any("excluded: KRAS p.G12D" in note for note in excluded.notes)


def test_failed_small_variant_area_makes_absence_uninformative(protocol: Protocol, tumour_types: TumourTypes) -> None:
    qc = QcResult(passed=False, failures=("PCT_EXON_50X = 40",), unusable_areas=(ResultArea.SMALL_VARIANTS,))
    nf1 = Alteration("NF1", MUT, protein_change="p.R1362*")
    result = run(protocol, tumour_types, nf1, qc=qc)
    match = next(m for m in result.matches if m.biomarker == "NF1 truncating without KRAS")
    assert match.eligibility is EligibilityStatus.TO_BE_CONFIRMED
    assert any("small_variants results failed QC" in reason for reason in match.reasons)


def test_group_restriction_and_fallback_group(protocol: Protocol, tumour_types: TumourTypes) -> None:
    tmb = Tmb(per_mb=30.0, tmb_class=TmbClass.HIGH)
    in_cup = run(protocol, tumour_types, tmb=tmb)
    assert biomarkers(in_cup) == []
    assert any("offered only in NSCLC" in note for note in in_cup.notes)
    in_lung = run(protocol, tumour_types, tmb=tmb, tumour_type="LUSC")
    assert [m.cohort for m in in_lung.matches] == ["TMB 20 / NSCLC / Testinib"]
    melanoma = run(protocol, tumour_types, Alteration("MDM2", AlterationKind.AMPLIFICATION), tumour_type="SKCM")
    assert melanoma.tumour_group == "Other"


def test_unusable_tmb_is_never_matched(protocol: Protocol, tumour_types: TumourTypes) -> None:
    tmb = Tmb(per_mb=30.0, tmb_class=TmbClass.HIGH, usable=False, unusable_reason="TMB QC failed: X")
    result = run(protocol, tumour_types, tmb=tmb, tumour_type="LUAD")
    assert biomarkers(result) == []
    assert any("TMB result not usable: TMB QC failed: X" in note for note in result.notes)


def test_drug_ecog_override(protocol: Protocol, tumour_types: TumourTypes) -> None:
    facts = PatientFacts(tumour_type="CUP", age=50, ecog=2, prior_therapies=())
    sample = MolecularProfile("S", alterations=(Alteration("MDM2", AlterationKind.AMPLIFICATION),))
    match = evaluate_profile(sample, facts, protocol, tumour_types).matches[0]
    assert match.eligibility is EligibilityStatus.INELIGIBLE
    assert any("ECOG 2: fails ECOG <= 1 (drug-specific criterion)" in reason for reason in match.reasons)


def test_mutation_any_without_protein_change_uses_the_classification(
    protocol: Protocol, tumour_types: TumourTypes
) -> None:
    intronic = Alteration("KRAS", MUT, variant_classification="Intron")
    splice = Alteration("KRAS", MUT, variant_classification="Splice_Site")
    assert biomarkers(run(protocol, tumour_types, intronic)) == []
    assert biomarkers(run(protocol, tumour_types, splice)) == ["KRAS any mutation"]


def test_icd10_decides_when_no_oncotree_code_does(protocol: Protocol, tumour_types: TumourTypes) -> None:
    facts = PatientFacts(tumour_type="SKCM", icd10="C80.9", age=50, ecog=0, prior_therapies=())
    sample = MolecularProfile("S", alterations=(Alteration("MDM2", AlterationKind.AMPLIFICATION),))
    result = evaluate_profile(sample, facts, protocol, tumour_types)
    assert result.tumour_group == "CUP"
    assert [m.cohort for m in result.matches] == ["MDM2 amplification / CUP / Testinib"]
