"""The column-wise CTML re-match (io/ctml/columns.py) agrees with the per-profile path (CtmlMatcher):
the same (sample, trial, target, drug, eligibility) for random profiles and random CTML trees."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncobasket.core.matching import PatientFacts
from oncobasket.core.profiles import (
    Alteration,
    AlterationKind,
    MolecularProfile,
    Msi,
    MsiStatus,
    QcResult,
    ResultArea,
    Tmb,
    TmbClass,
)
from oncobasket.io.ctml import CtmlMatcher, CtmlTrial, parse_ctml
from oncobasket.io.ctml.columns import screen_ctml
from oncobasket.io.oncotree import load_shipped_tumour_types

TUMOUR_TYPES = load_shipped_tumour_types()

ALTERATIONS = [
    Alteration(
        gene="KRAS", kind=AlterationKind.MUTATION, protein_change="p.G12C", variant_classification="Missense_Mutation"
    ),
    Alteration(gene="KRAS", kind=AlterationKind.MUTATION, protein_change="p.G12D"),
    Alteration(
        gene="BRAF", kind=AlterationKind.MUTATION, protein_change="p.V600K", variant_classification="Missense_Mutation"
    ),
    Alteration(
        gene="EGFR",
        kind=AlterationKind.MUTATION,
        protein_change="p.E746_A750del",
        variant_classification="In_Frame_Del",
        exon="19",
    ),
    Alteration(gene="EGFR", kind=AlterationKind.MUTATION, protein_change=None, variant_classification="In_Frame_Del"),
    Alteration(gene="TP53", kind=AlterationKind.MUTATION, protein_change="p.R213*"),
    Alteration(
        gene="TP53", kind=AlterationKind.MUTATION, protein_change="p.P72fs", variant_classification="Frame_Shift_Del"
    ),
    Alteration(
        gene="STK11", kind=AlterationKind.MUTATION, protein_change="p.Q37*", variant_classification="Nonsense_Mutation"
    ),
    Alteration(
        gene="STK11", kind=AlterationKind.MUTATION, protein_change="p.Q37*", usable=False, unusable_reason="low depth"
    ),
    Alteration(gene="ERBB2", kind=AlterationKind.AMPLIFICATION, fold_change=4.0),
    Alteration(gene="CDKN2A", kind=AlterationKind.COPY_LOSS),
    Alteration(gene="ALK", kind=AlterationKind.FUSION, genes=("EML4", "ALK")),
    Alteration(gene="ALK", kind=AlterationKind.FUSION, genes=("ALK",)),
    Alteration(gene="RET", kind=AlterationKind.FUSION, genes=("RET", "KIF5B")),
]
GENOMIC = [
    {"hugo_symbol": "KRAS", "protein_change": "p.G12C"},
    {"hugo_symbol": "BRAF", "wildcard_protein_change": "p.V600"},
    {"hugo_symbol": "EGFR", "exon": 19, "variant_classification": "In_Frame_Del"},
    {"hugo_symbol": "EGFR", "variant_classification": "In_Frame_Del"},
    {"hugo_symbol": "TP53", "variant_classification": "!Nonsense_Mutation"},
    {"hugo_symbol": "TP53", "variant_classification": "Nonsense_Mutation"},
    {"hugo_symbol": "STK11", "variant_category": "!Mutation"},
    {"hugo_symbol": "STK11", "variant_category": "Mutation"},
    {"hugo_symbol": "ERBB2", "cnv_call": "High Amplification"},
    {"hugo_symbol": "CDKN2A", "cnv_call": "Heterozygous Deletion"},
    {"hugo_symbol": "KRAS", "variant_category": "Any Variation"},
    {"hugo_symbol": "ALK", "variant_category": "Structural Variation"},
    {"variant_category": "Structural Variation", "fusion_partner_hugo_symbol": "KIF5B"},
    {"hugo_symbol": "ALK", "variant_category": "Structural Variation", "fusion_partner_hugo_symbol": "intergenic"},
    {"hugo_symbol": "ALK", "variant_category": "Structural Variation", "fusion_partner_hugo_symbol": "!any_gene"},
    {"mmr_status": "MMR-Deficient"},
    {"ms_status": "MSS"},
    {"apobec_signature": "Yes"},
    {"pole_signature": "!Yes"},
    {"tmb_numerical": ">=10"},
    {"tmb_numerical": "<5"},
    {"hugo_symbol": "KRAS", "cnv_call": "LOH"},
]
CLINICAL = [
    {"oncotree_primary_diagnosis": "_SOLID_"},
    {"oncotree_primary_diagnosis": "Non-Small Cell Lung Cancer"},
    {"oncotree_primary_diagnosis": "!COAD"},
    {"age_numerical": ">=18"},
    {"age_numerical": ">18"},
    {"age_numerical": "<40"},
    {"age_numerical": "==18"},
    {"gender": "Female"},
    {"her2_status": "Positive"},
    {"er_status": "!Negative"},
    {"tmb_numerical": "==12"},
    {"disease_status": "Metastatic"},
]

leaves = st.one_of(
    st.sampled_from(GENOMIC).map(lambda leaf: {"genomic": dict(leaf)}),
    st.sampled_from(CLINICAL).map(lambda leaf: {"clinical": dict(leaf)}),
    st.just({"prior_treatment": {"drug": "x"}}),
)
trees = st.recursive(
    leaves,
    lambda children: st.builds(
        lambda key, items: {key: items}, st.sampled_from(["and", "or"]), st.lists(children, min_size=1, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def trials(draw: st.DrawFn) -> CtmlTrial:
    arms = [
        {
            "arm_code": f"A{index}",
            "drugs": [[{"name": f"drug{index}"}]],
            "arm_suspended": draw(st.sampled_from(["N", "N", "Y"])),
            "match": [draw(trees)],
        }
        for index in range(draw(st.integers(1, 3)))
    ]
    document = {"protocol_no": "T-1", "treatment_list": {"step": [{"arm": arms}]}}
    return parse_ctml(document, source="t.json", tumour_types=TUMOUR_TYPES)


@st.composite
def patients(draw: st.DrawFn, index: int) -> tuple[MolecularProfile, PatientFacts, dict[str, str]]:
    unusable = draw(st.sets(st.sampled_from([ResultArea.SMALL_VARIANTS, ResultArea.CNV, ResultArea.RNA]), max_size=1))
    tmb = draw(st.sampled_from([None, 3.0, 10.0, 12.0]))
    profile = MolecularProfile(
        sample_id=f"S{index}",
        alterations=tuple(draw(st.lists(st.sampled_from(ALTERATIONS), max_size=5))),
        tmb=None if tmb is None else Tmb(per_mb=tmb, tmb_class=TmbClass.LOW),
        msi=draw(st.sampled_from([None, Msi(100, 1, 1.0, MsiStatus.MSS), Msi(100, 40, 40.0, MsiStatus.MSI_H)])),
        signatures=draw(st.sampled_from([{}, {"apobec_signature": "Yes"}, {"pole_signature": "No"}])),
    )
    if unusable:
        profile = profile.with_qc(QcResult(passed=False, failures=("QC",), unusable_areas=tuple(unusable)))
    facts = PatientFacts(
        tumour_type=draw(st.sampled_from(["LUAD", "COAD", "BRCA", "AML", "PAAD"])),
        age=draw(st.sampled_from([None, 17.5, 18.0, 18.5, 60.0])),
        sex=draw(st.sampled_from([None, "M", "F"])),
    )
    markers = draw(st.sampled_from([{}, {"her2_status": "Positive"}, {"er_status": "Negative", "tmb": "12"}]))
    return profile, facts, markers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trial=trials(), data=st.data())
def test_column_wise_agrees_with_the_per_profile_path(trial: CtmlTrial, data: Any) -> None:
    drawn = [data.draw(patients(index)) for index in range(data.draw(st.integers(1, 6)))]
    profiles = [profile for profile, _, _ in drawn]
    facts = {profile.sample_id: patient for profile, patient, _ in drawn}
    markers = {profile.sample_id: marker for profile, _, marker in drawn}
    matcher = CtmlMatcher(trial, TUMOUR_TYPES)
    expected = [
        (result.sample_id, trial.trial_id, found.arm.label, found.match.drug, str(found.match.eligibility))
        for profile, patient, marker in drawn
        for result in [matcher.match(profile, patient, marker)]
        for found in result.matches
    ]
    frame = screen_ctml(profiles, facts, [trial], TUMOUR_TYPES, markers)
    found = list(frame.select("sample_id", "trial", "cohort", "drug", "eligibility").iter_rows())
    assert found == expected
