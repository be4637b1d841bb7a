"""Conformance with MatchMiner: one golden row per CTML construct that matchengine-V2 evaluates.

The expected verdicts are written from MatchMiner's documented semantics (the CTML documentation and
matchengine-V2's configuration: which field each CTML key is compared with, and how), not from
OncoBasket's output:

- ``protein_change`` is compared with the variant's protein change as written; ``wildcard_protein_change:
  p.V600`` is any amino acid at the codon; ``variant_classification`` (alone or with ``exon``) is the MAF
  Variant_Classification as written, so ``Nonsense_Mutation`` is not met by a frameshift;
- ``variant_category``: Mutation, Copy Number Variation (any call), Structural Variation;
  ``Any Variation`` is a mutation or a copy-number call, not a structural variant;
- ``cnv_call``: High Amplification = "High level amplification", Low Amplification = "Gain", Homozygous
  Deletion, Heterozygous Deletion;
- structural variants: ``hugo_symbol`` and ``fusion_partner_hugo_symbol`` in either orientation; a side
  left out is not constrained; ``any_gene`` is some gene, ``intergenic`` none;
- ``mmr_status`` / ``ms_status``: MMR-Deficient and MSI-H are "Deficient", MMR-Proficient, MSS and
  MSI-L are "Proficient"; signatures compared as written (``Yes``); a profile without them does not match;
- ``tmb_numerical`` with the operators ==, >=, >, <=, <;
- ``age_numerical``: ``>=18`` from the 18th birthday on, ``>18`` after it, ``<18`` before it;
- ``gender`` as written; receptor statuses with True / False read as Positive / Negative;
- ``oncotree_primary_diagnosis`` by name or code with the descendants, ``_SOLID_`` / ``_LIQUID_``;
- a ``!`` negates; ``and`` / ``or`` trees; step, arm and dose-level targets; closed or suspended levels
  are still matched and reported as closed.

Where OncoBasket deliberately differs (docs/ctml.md, "Conformance with MatchMiner"), the row says so
and checks our documented answer: a low-level CNV call is met by the laboratory's call of either level,
``==18`` is the 18th year of life, an unknown receptor status or sex is "to be confirmed".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from oncobasket.core.matching import PatientFacts
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile, Msi, MsiStatus, Tmb, TmbClass
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml import load_ctml_trials, match_ctml, parse_ctml
from oncobasket.io.oncotree import load_shipped_tumour_types

NO_MATCH = "no match"


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


def mutation(gene: str, protein: str | None, classification: str | None = None, exon: str | None = None) -> Alteration:
    return Alteration(
        gene=gene,
        kind=AlterationKind.MUTATION,
        protein_change=protein,
        variant_classification=classification,
        exon=exon,
    )


def fusion(*genes: str) -> Alteration:
    return Alteration(gene=genes[0], kind=AlterationKind.FUSION, genes=genes)


def amplification(gene: str) -> Alteration:
    return Alteration(gene=gene, kind=AlterationKind.AMPLIFICATION, fold_change=3.0)


def copy_loss(gene: str) -> Alteration:
    return Alteration(gene=gene, kind=AlterationKind.COPY_LOSS)


@dataclass(frozen=True)
class Case:
    """One CTML construct: the arm's match tree, the patient, and MatchMiner's verdict for the arm."""

    construct: str
    match: list[Any]
    expected: str
    alterations: tuple[Alteration, ...] = ()
    patient: dict[str, Any] = field(default_factory=lambda: {"tumour_type": "LUAD", "age": 60.0})
    markers: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)
    tmb: float | None = 3.0
    msi: MsiStatus | None = MsiStatus.MSS
    arm: dict[str, Any] = field(default_factory=dict)


def genomic(**keys: Any) -> dict[str, Any]:
    return {"genomic": keys}


def clinical(**keys: Any) -> dict[str, Any]:
    return {"clinical": keys}


KRAS_G12C = genomic(hugo_symbol="KRAS", protein_change="p.G12C")
LUNG = clinical(oncotree_primary_diagnosis="Non-Small Cell Lung Cancer")

CASES = [
    # -- trees and negation ---------------------------------------------------------------------
    Case("and: every node holds", [{"and": [KRAS_G12C, LUNG]}], "eligible", (mutation("KRAS", "p.G12C"),)),
    Case("and: one node fails", [{"and": [KRAS_G12C, LUNG]}], NO_MATCH, (mutation("KRAS", "p.G12D"),)),
    Case(
        "or: one alternative holds",
        [{"or": [KRAS_G12C, genomic(hugo_symbol="EGFR", protein_change="p.L858R")]}],
        "eligible",
        (mutation("EGFR", "p.L858R"),),
    ),
    Case("! negates: gene without mutation", [genomic(hugo_symbol="STK11", variant_category="!Mutation")], "eligible"),
    Case(
        "! negates: gene with mutation",
        [genomic(hugo_symbol="STK11", variant_category="!Mutation")],
        NO_MATCH,
        (mutation("STK11", "p.Q37*"),),
    ),
    # -- protein changes, codons, exons, classifications ----------------------------------------
    Case("protein_change exact", [KRAS_G12C], "eligible", (mutation("KRAS", "p.G12C"),)),
    Case("protein_change another change", [KRAS_G12C], NO_MATCH, (mutation("KRAS", "p.G12D"),)),
    Case(
        "wildcard_protein_change any amino acid at the codon",
        [genomic(hugo_symbol="BRAF", wildcard_protein_change="p.V600")],
        "eligible",
        (mutation("BRAF", "p.V600K"),),
    ),
    Case(
        "wildcard_protein_change another codon",
        [genomic(hugo_symbol="BRAF", wildcard_protein_change="p.V600")],
        NO_MATCH,
        (mutation("BRAF", "p.K601E"),),
    ),
    Case(
        "exon with variant_classification",
        [genomic(hugo_symbol="EGFR", exon=19, variant_classification="In_Frame_Del")],
        "eligible",
        (mutation("EGFR", "p.E746_A750del", "In_Frame_Del", "19"),),
    ),
    Case(
        "variant_classification alone: In_Frame_Del",
        [genomic(hugo_symbol="EGFR", variant_category="Mutation", variant_classification="In_Frame_Del")],
        "eligible",
        (mutation("EGFR", "p.E746_A750del", "In_Frame_Del"),),
    ),
    Case(
        "variant_classification alone: another class",
        [genomic(hugo_symbol="EGFR", variant_classification="In_Frame_Del")],
        NO_MATCH,
        (mutation("EGFR", "p.L858R", "Missense_Mutation"),),
    ),
    Case(
        "variant_classification alone: Nonsense_Mutation",
        [genomic(hugo_symbol="TP53", variant_classification="Nonsense_Mutation")],
        "eligible",
        (mutation("TP53", "p.R213*", "Nonsense_Mutation"),),
    ),
    Case(
        "variant_classification alone: Nonsense_Mutation is not a frameshift",
        [genomic(hugo_symbol="TP53", variant_classification="Nonsense_Mutation")],
        NO_MATCH,
        (mutation("TP53", "p.P72fs", "Frame_Shift_Del"),),
    ),
    Case(
        "variant_classification alone: read from the protein change without a MAF class",
        [genomic(hugo_symbol="TP53", variant_classification="Nonsense_Mutation")],
        "eligible",
        (mutation("TP53", "p.R213*"),),
    ),
    Case(
        "variant_category Mutation alone",
        [genomic(hugo_symbol="TP53", variant_category="Mutation")],
        "eligible",
        (mutation("TP53", "p.R175H"),),
    ),
    # -- copy number ----------------------------------------------------------------------------
    Case(
        "cnv_call High Amplification",
        [genomic(hugo_symbol="ERBB2", variant_category="Copy Number Variation", cnv_call="High Amplification")],
        "eligible",
        (amplification("ERBB2"),),
    ),
    Case(
        "cnv_call High level amplification: a copy loss does not meet it",
        [genomic(hugo_symbol="ERBB2", cnv_call="High level amplification")],
        NO_MATCH,
        (copy_loss("ERBB2"),),
    ),
    Case(
        "cnv_call Low Amplification (difference: the laboratory's call of either level)",
        [genomic(hugo_symbol="MET", variant_category="Copy Number Variation", cnv_call="Low Amplification")],
        "eligible",
        (amplification("MET"),),
    ),
    Case("cnv_call Gain", [genomic(hugo_symbol="MET", cnv_call="Gain")], "eligible", (amplification("MET"),)),
    Case(
        "cnv_call Homozygous Deletion",
        [genomic(hugo_symbol="CDKN2A", cnv_call="Homozygous Deletion")],
        "eligible",
        (copy_loss("CDKN2A"),),
    ),
    Case(
        "cnv_call Heterozygous Deletion (difference: the laboratory's call of either level)",
        [genomic(hugo_symbol="PTEN", cnv_call="Heterozygous Deletion")],
        "eligible",
        (copy_loss("PTEN"),),
    ),
    Case(
        "Copy Number Variation without a call: any call",
        [genomic(hugo_symbol="CDKN2A", variant_category="Copy Number Variation")],
        "eligible",
        (copy_loss("CDKN2A"),),
    ),
    # -- structural variants ----------------------------------------------------------------------
    Case(
        "structural variant with partner, as written",
        [genomic(hugo_symbol="FGFR3", variant_category="Structural Variation", fusion_partner_hugo_symbol="TACC3")],
        "eligible",
        (fusion("FGFR3", "TACC3"),),
    ),
    Case(
        "structural variant with partner, other orientation",
        [genomic(hugo_symbol="FGFR3", variant_category="Structural Variation", fusion_partner_hugo_symbol="TACC3")],
        "eligible",
        (fusion("TACC3", "FGFR3"),),
    ),
    Case(
        "structural variant with only fusion_partner_hugo_symbol",
        [genomic(variant_category="Structural Variation", fusion_partner_hugo_symbol="ALK")],
        "eligible",
        (fusion("EML4", "ALK"),),
    ),
    Case(
        "structural variant partner any_gene: a gene partner",
        [genomic(hugo_symbol="ALK", variant_category="Structural Variation", fusion_partner_hugo_symbol="any_gene")],
        "eligible",
        (fusion("EML4", "ALK"),),
    ),
    Case(
        "structural variant partner any_gene: an intergenic event does not meet it",
        [genomic(hugo_symbol="ALK", variant_category="Structural Variation", fusion_partner_hugo_symbol="any_gene")],
        NO_MATCH,
        (fusion("ALK"),),
    ),
    Case(
        "structural variant partner intergenic",
        [genomic(hugo_symbol="ALK", variant_category="Structural Variation", fusion_partner_hugo_symbol="intergenic")],
        "eligible",
        (fusion("ALK"),),
    ),
    Case(
        "structural variant partner intergenic: a gene partner does not meet it",
        [genomic(hugo_symbol="ALK", variant_category="Structural Variation", fusion_partner_hugo_symbol="intergenic")],
        NO_MATCH,
        (fusion("EML4", "ALK"),),
    ),
    Case(
        "Any Variation: a mutation",
        [genomic(hugo_symbol="ALK", variant_category="Any Variation")],
        "eligible",
        (mutation("ALK", "p.F1174L"),),
    ),
    Case(
        "Any Variation: not a structural variant",
        [genomic(hugo_symbol="ALK", variant_category="Any Variation")],
        NO_MATCH,
        (fusion("EML4", "ALK"),),
    ),
    # -- signatures, MMR/MSI, TMB -------------------------------------------------------------------
    *(
        Case(f"{key} Yes", [genomic(**{key: "Yes"})], "eligible", signatures={key: "Yes"})
        for key in (
            "apobec_signature",
            "pole_signature",
            "tobacco_signature",
            "temozolomide_signature",
            "uva_signature",
        )
    ),
    Case(
        "signature No against Yes", [genomic(apobec_signature="Yes")], NO_MATCH, signatures={"apobec_signature": "No"}
    ),
    Case("signature absent from the profile", [genomic(pole_signature="Yes")], NO_MATCH),
    Case("mmr_status MMR-Deficient", [genomic(mmr_status="MMR-Deficient")], "eligible", msi=MsiStatus.MSI_H),
    Case("mmr_status MMR-Deficient against MSS", [genomic(mmr_status="MMR-Deficient")], NO_MATCH),
    Case("mmr_status MMR-Proficient", [genomic(mmr_status="MMR-Proficient")], "eligible"),
    Case("ms_status MSI-H", [genomic(ms_status="MSI-H")], "eligible", msi=MsiStatus.MSI_H),
    Case("ms_status MSI-L is proficient", [genomic(ms_status="MSI-L")], "eligible"),
    Case("tmb_numerical ==40 at 40", [clinical(tmb_numerical="==40")], "eligible", tmb=40.0),
    Case("tmb_numerical ==40 at 41", [clinical(tmb_numerical="==40")], NO_MATCH, tmb=41.0),
    Case("tmb_numerical >=10 at 10", [genomic(tmb_numerical=">=10")], "eligible", tmb=10.0),
    Case("tmb_numerical >10 at 10", [genomic(tmb_numerical=">10")], NO_MATCH, tmb=10.0),
    Case("tmb_numerical >10 at 10.5", [genomic(tmb_numerical=">10")], "eligible", tmb=10.5),
    Case("tmb_numerical <=10 at 10", [clinical(tmb_numerical="<=10")], "eligible", tmb=10.0),
    Case("tmb_numerical <10 at 10", [clinical(tmb_numerical="<10")], NO_MATCH, tmb=10.0),
    Case("tmb_numerical without a TMB", [clinical(tmb_numerical=">=10")], NO_MATCH, tmb=None),
    Case(
        "tmb_numerical from the clinical table",
        [clinical(tmb_numerical=">=10")],
        "eligible",
        tmb=None,
        markers={"tmb": "12"},
    ),
    # -- clinical ---------------------------------------------------------------------------------
    Case("oncotree name with descendants", [LUNG], "eligible"),
    Case("oncotree name, another tumour", [LUNG], NO_MATCH, patient={"tumour_type": "COAD"}),
    Case("oncotree code", [clinical(oncotree_primary_diagnosis="COAD")], "eligible", patient={"tumour_type": "COAD"}),
    Case("oncotree negated", [clinical(oncotree_primary_diagnosis="!COAD")], "eligible"),
    Case("_SOLID_ with a carcinoma", [clinical(oncotree_primary_diagnosis="_SOLID_")], "eligible"),
    Case(
        "_LIQUID_ with a leukaemia",
        [clinical(oncotree_primary_diagnosis="_LIQUID_")],
        "eligible",
        patient={"tumour_type": "AML"},
    ),
    Case("_LIQUID_ with a carcinoma", [clinical(oncotree_primary_diagnosis="_LIQUID_")], NO_MATCH),
    Case(
        "age >=18 on the 18th birthday",
        [clinical(age_numerical=">=18")],
        "eligible",
        patient={"tumour_type": "LUAD", "age": 18.0},
    ),
    Case(
        "age >=18 the day before",
        [clinical(age_numerical=">=18")],
        "ineligible",
        patient={"tumour_type": "LUAD", "age": 17.997},
    ),
    Case(
        "age >18 on the 18th birthday",
        [clinical(age_numerical=">18")],
        "ineligible",
        patient={"tumour_type": "LUAD", "age": 18.0},
    ),
    Case(
        "age >18 the day after",
        [clinical(age_numerical=">18")],
        "eligible",
        patient={"tumour_type": "LUAD", "age": 18.003},
    ),
    Case(
        "age <18 on the 18th birthday",
        [clinical(age_numerical="<18")],
        "ineligible",
        patient={"tumour_type": "LUAD", "age": 18.0},
    ),
    Case(
        "age <=18 on the 18th birthday",
        [clinical(age_numerical="<=18")],
        "eligible",
        patient={"tumour_type": "LUAD", "age": 18.0},
    ),
    Case(
        "age ==18 (difference: the 18th year of life)",
        [clinical(age_numerical="==18")],
        "eligible",
        patient={"tumour_type": "LUAD", "age": 18.5},
    ),
    Case("age unknown", [clinical(age_numerical=">=18")], "to_be_confirmed", patient={"tumour_type": "LUAD"}),
    Case("gender Female", [clinical(gender="Female")], "eligible", patient={"tumour_type": "LUAD", "sex": "F"}),
    Case(
        "gender Female against a man",
        [clinical(gender="Female")],
        NO_MATCH,
        patient={"tumour_type": "LUAD", "sex": "M"},
    ),
    Case("her2_status Positive", [clinical(her2_status="Positive")], "eligible", markers={"her2_status": "Positive"}),
    Case(
        "her2_status True is Positive", [clinical(her2_status="True")], "eligible", markers={"her2_status": "Positive"}
    ),
    Case(
        "er_status Negative against Positive",
        [clinical(er_status="Negative")],
        NO_MATCH,
        markers={"er_status": "Positive"},
    ),
    Case("pr_status False is Negative", [clinical(pr_status=False)], "eligible", markers={"pr_status": "Negative"}),
    Case("her2_status unknown (difference: to be confirmed)", [clinical(her2_status="Positive")], "to_be_confirmed"),
    # -- levels and their status ------------------------------------------------------------------
    Case(
        "arm_suspended Y is reported as closed",
        [KRAS_G12C],
        "ineligible",
        (mutation("KRAS", "p.G12C"),),
        arm={"arm_suspended": "Y"},
    ),
]


def _verdict(case: Case, tumour_types: TumourTypes) -> tuple[str, Any]:
    document = {
        "protocol_no": "T-1",
        "treatment_list": {
            "step": [{"arm": [{"arm_code": "A", "drugs": [[{"name": "examplinib"}]], "match": case.match, **case.arm}]}]
        },
    }
    trial = parse_ctml(document, source="t.yaml", tumour_types=tumour_types)
    profile = MolecularProfile(
        sample_id="S1",
        alterations=case.alterations,
        tmb=None if case.tmb is None else Tmb(per_mb=case.tmb, tmb_class=TmbClass.LOW),
        msi=None if case.msi is None else Msi(100, 1, 1.0, case.msi),
        signatures=case.signatures,
    )
    result = match_ctml(profile, PatientFacts(**case.patient), trial, tumour_types, case.markers)
    if not result.matches:
        return NO_MATCH, result
    return str(result.matches[0].match.eligibility), result


@pytest.mark.parametrize("case", CASES, ids=[case.construct for case in CASES])
def test_conformance_with_matchminer(case: Case, tumour_types: TumourTypes) -> None:
    verdict, result = _verdict(case, tumour_types)
    assert verdict == case.expected, (result.notes, [item.match.reasons for item in result.matches])
    if verdict == NO_MATCH:
        # Every non-match names the leaf that decided it.
        assert result.notes


def test_every_construct_of_the_issue_has_a_row() -> None:
    constructs = " | ".join(case.construct for case in CASES)
    for construct in (
        "and:",
        "or:",
        "! negates",
        "protein_change",
        "wildcard_protein_change",
        "exon",
        "variant_classification alone",
        "variant_category Mutation",
        "High Amplification",
        "Low Amplification",
        "Homozygous Deletion",
        "Heterozygous Deletion",
        "only fusion_partner_hugo_symbol",
        "any_gene",
        "intergenic",
        *("apobec", "pole", "tobacco", "temozolomide", "uva"),
        "mmr_status",
        "ms_status",
        *("==40", ">=10", ">10", "<=10", "<10"),
        "oncotree name",
        "oncotree code",
        "_SOLID_",
        "_LIQUID_",
        *("age >=18", "age >18", "age <18", "age <=18", "age ==18"),
        "gender",
        *("her2_status", "er_status", "pr_status"),
        "arm_suspended",
    ):
        assert construct in constructs, construct


# ---------------------------------------------------------------------------------------------
# Explanations: the deciding leaf with its operator as written
# ---------------------------------------------------------------------------------------------


def test_age_greater_than_is_explained_as_greater_than(tumour_types: TumourTypes) -> None:
    case = Case("age", [clinical(age_numerical=">18")], "ineligible", patient={"tumour_type": "LUAD", "age": 18.0})
    _verdict_text, result = _verdict(case, tumour_types)
    reasons = result.matches[0].match.reasons
    assert "age 18: fails age_numerical '>18' (age > 18 years)" in reasons
    assert not any(">= 18" in reason for reason in reasons)


def test_a_match_names_the_leaves_that_held(tumour_types: TumourTypes) -> None:
    case = Case(
        "tmb",
        [{"and": [clinical(tmb_numerical="==40"), clinical(age_numerical=">18")]}],
        "eligible",
        tmb=40.0,
        patient={"tumour_type": "LUAD", "age": 50.0},
    )
    _verdict_text, result = _verdict(case, tumour_types)
    reasons = result.matches[0].match.reasons
    assert "CTML tmb_numerical '==40': TMB 40 mut/Mb TMB == 40" in reasons
    assert "CTML age_numerical '>18': age 50 meets age > 18 years" in reasons


def test_a_match_names_the_genomic_leaf_that_held_as_written(tumour_types: TumourTypes) -> None:
    case = Case(
        "or",
        [{"or": [KRAS_G12C, genomic(hugo_symbol="BRAF", wildcard_protein_change="p.V600")]}],
        "eligible",
        (mutation("BRAF", "p.V600E"),),
    )
    _verdict_text, result = _verdict(case, tumour_types)
    reasons = result.matches[0].match.reasons
    assert "CTML hugo_symbol 'BRAF', wildcard_protein_change 'p.V600': met" in reasons
    assert not any("KRAS" in reason for reason in reasons)


@pytest.mark.parametrize(
    ("leaf", "patient", "tmb", "expected"),
    [
        (
            clinical(tmb_numerical="<10"),
            {"tumour_type": "LUAD"},
            12.0,
            "tmb_numerical '<10': TMB 12 mut/Mb fails TMB < 10",
        ),
        (clinical(gender="Male"), {"tumour_type": "LUAD", "sex": "F"}, 3.0, "gender 'Male': the patient's sex is F"),
        (
            genomic(hugo_symbol="EGFR", variant_classification="In_Frame_Ins"),
            {"tumour_type": "LUAD"},
            3.0,
            "hugo_symbol 'EGFR', variant_classification 'In_Frame_Ins': no In_Frame_Ins in EGFR",
        ),
        (genomic(uva_signature="Yes"), {"tumour_type": "LUAD"}, 3.0, "uva_signature 'Yes': no uva_signature"),
    ],
)
def test_a_non_match_names_the_deciding_leaf_as_written(
    leaf: dict[str, Any], patient: dict[str, Any], tmb: float, expected: str, tumour_types: TumourTypes
) -> None:
    verdict, result = _verdict(Case("leaf", [leaf], NO_MATCH, patient=patient, tmb=tmb), tumour_types)
    assert verdict == NO_MATCH
    assert any(expected in note for note in result.notes), result.notes


def test_a_low_level_cnv_call_says_how_it_was_read(tumour_types: TumourTypes) -> None:
    case = Case("cnv", [genomic(hugo_symbol="MET", cnv_call="Low Amplification")], "eligible", (amplification("MET"),))
    _verdict_text, result = _verdict(case, tumour_types)
    assert any(reason.startswith("note: cnv_call 'Low Amplification'") for reason in result.matches[0].match.reasons)


# ---------------------------------------------------------------------------------------------
# Levels: steps without arms, match: [] and dose levels, closed levels, files of several trials
# ---------------------------------------------------------------------------------------------


def test_a_step_match_without_arms_is_a_target(tumour_types: TumourTypes) -> None:
    document = {"protocol_no": "T-2", "treatment_list": {"step": [{"step_code": "1", "match": [KRAS_G12C]}]}}
    trial = parse_ctml(document, source="t.yaml", tumour_types=tumour_types)
    profile = MolecularProfile(sample_id="S1", alterations=(mutation("KRAS", "p.G12C"),))
    result = match_ctml(profile, PatientFacts(tumour_type="LUAD"), trial, tumour_types)
    assert [(item.arm.label, item.match.drug) for item in result.matches] == [("step 1", "t-2 step 1")]


def test_an_empty_arm_match_leaves_the_dose_levels_as_targets(tumour_types: TumourTypes) -> None:
    document = {
        "protocol_no": "T-3",
        "treatment_list": {
            "step": [
                {
                    "arm": [
                        {
                            "arm_code": "A",
                            "match": [],
                            "dose_level": [
                                {"level_code": "1", "match": [KRAS_G12C]},
                                {"level_code": "2", "match": [], "level_suspended": "Y"},
                                {"level_code": "3", "match": [KRAS_G12C], "level_suspended": "Y"},
                            ],
                        }
                    ]
                }
            ]
        },
    }
    trial = parse_ctml(document, source="t.yaml", tumour_types=tumour_types)
    assert [(arm.label, arm.open) for arm in trial.arms] == [
        ("arm A dose level 1", True),
        ("arm A dose level 3", False),
    ]
    profile = MolecularProfile(sample_id="S1", alterations=(mutation("KRAS", "p.G12C"),))
    result = match_ctml(profile, PatientFacts(tumour_type="LUAD"), trial, tumour_types)
    closed = result.matches[1].as_dict()
    assert (closed["cohort"], closed["arm_status"], closed["eligible"]) == ("arm A dose level 3", "closed", False)
    assert "arm A dose level 3 of T-3 is closed or suspended (level_suspended: Y)" in closed["reasons"]


def test_a_closed_trial_reports_its_arms_as_closed(tumour_types: TumourTypes) -> None:
    document = {
        "protocol_no": "T-4",
        "status": "Closed to Accrual",
        "treatment_list": {"step": [{"arm": [{"arm_code": "A", "match": [KRAS_G12C]}]}]},
    }
    trial = parse_ctml(document, source="t.yaml", tumour_types=tumour_types)
    profile = MolecularProfile(sample_id="S1", alterations=(mutation("KRAS", "p.G12C"),))
    found = match_ctml(profile, PatientFacts(tumour_type="LUAD"), trial, tumour_types).matches[0].as_dict()
    assert found["arm_status"] == "closed"
    assert "arm A of T-4 is closed or suspended (trial status 'Closed to Accrual')" in found["reasons"]


def _trial(number: int) -> dict[str, Any]:
    return {
        "protocol_no": f"T-{number}",
        "treatment_list": {"step": [{"arm": [{"arm_code": "A", "match": [KRAS_G12C]}]}]},
    }


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_file_of_several_trials_is_read_whole(suffix: str, tmp_path: Path, tumour_types: TumourTypes) -> None:
    path = tmp_path / f"trials{suffix}"
    trials = [_trial(1), _trial(2)]
    path.write_text(json.dumps(trials) if suffix == ".json" else yaml.safe_dump(trials), encoding="utf-8")
    assert [trial.protocol_no for trial in load_ctml_trials(path, tumour_types)] == ["T-1", "T-2"]


def test_an_error_in_the_second_trial_names_it(tmp_path: Path, tumour_types: TumourTypes) -> None:
    path = tmp_path / "trials.json"
    path.write_text(json.dumps([_trial(1), {"protocol_no": "T-2"}]), encoding="utf-8")
    with pytest.raises(Exception, match=r"field '\[1\]\.treatment_list': a CTML trial needs a treatment_list"):
        load_ctml_trials(path, tumour_types)
