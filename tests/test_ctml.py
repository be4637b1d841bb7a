"""MatchMiner CTML import (io/ctml/): mapping to criteria trees, matching, unsupported keys, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from oncobasket.core.errors import FormatError
from oncobasket.core.matching import PatientFacts
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile, Msi, MsiStatus, Tmb, TmbClass
from oncobasket.core.protocol import (
    AllOf,
    AmplificationRule,
    AnyOf,
    CodonRule,
    CopyLossRule,
    ExonEdit,
    ExonRule,
    FusionRule,
    MsiRule,
    MutationRule,
    Not,
    ProteinChangeRule,
)
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml import CtmlTrial, Genomic, load_ctml, match_ctml, parse_ctml, resolve_arm
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path

CTML = Path(__file__).parent / "data" / "ctml"


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


@pytest.fixture(scope="module")
def kras(tumour_types: TumourTypes) -> CtmlTrial:
    return load_ctml(CTML / "kras_g12c.yaml", tumour_types)


@pytest.fixture(scope="module")
def basket(tumour_types: TumourTypes) -> CtmlTrial:
    return load_ctml(CTML / "basket.json", tumour_types)


def _profile(*alterations: Alteration, msi: MsiStatus = MsiStatus.MSS) -> MolecularProfile:
    return MolecularProfile(
        sample_id="OB-9",
        alterations=alterations,
        tmb=Tmb(per_mb=3.0, tmb_class=TmbClass.LOW),
        msi=Msi(usable_sites=100, unstable_sites=1, percent_unstable=1.0, status=msi),
    )


def _mutation(gene: str, protein: str) -> Alteration:
    return Alteration(gene=gene, kind=AlterationKind.MUTATION, protein_change=protein)


def _arms(result: Any) -> list[tuple[str, str, str]]:
    return [(item.arm.label, item.match.drug, str(item.match.eligibility)) for item in result.matches]


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------


def test_yaml_trial_imports_arms_drugs_and_status(kras: CtmlTrial) -> None:
    assert kras.trial_id == "NCT90000001"
    assert kras.protocol_no == "OB-EXT-001"
    assert [(arm.label, arm.drugs, arm.open) for arm in kras.arms] == [
        ("arm A", (("sotorasib",),), True),
        ("arm B", (("sotorasib", "panitumumab"),), False),
    ]
    assert kras.unsupported == ()


def test_json_trial_reports_every_unsupported_key_with_its_path(basket: CtmlTrial) -> None:
    messages = [str(item) for item in basket.unsupported]
    assert messages[0].startswith(
        "unsupported CTML key allele_fraction at treatment_list.step[0].arm[0].match[0].and[0].genomic.allele_fraction"
    )
    keys = [(item.key, item.path) for item in basket.unsupported]
    assert keys == [
        ("allele_fraction", "treatment_list.step[0].arm[0].match[0].and[0].genomic.allele_fraction"),
        ("prior_treatment", "treatment_list.step[0].arm[1].match[2].prior_treatment"),
        ("variant_category", "treatment_list.step[0].arm[2].match[0].and[0].or[1].genomic.variant_category"),
    ]


GENOMIC_CASES = [
    (
        {"hugo_symbol": "KRAS", "variant_category": "Mutation", "protein_change": "p.G12C"},
        ProteinChangeRule("KRAS", ("p.G12C",)),
    ),
    ({"hugo_symbol": "KRAS", "protein_change": "G12C"}, ProteinChangeRule("KRAS", ("p.G12C",))),
    (
        {"hugo_symbol": "BRAF", "variant_category": "Mutation", "wildcard_protein_change": "p.V600"},
        CodonRule("BRAF", ("V600",)),
    ),
    (
        {"hugo_symbol": "EGFR", "variant_category": "Mutation", "exon": 19, "variant_classification": "In_Frame_Del"},
        ExonRule("EGFR", 19, ExonEdit.DELETION),
    ),
    (
        {"hugo_symbol": "ERBB2", "variant_category": "Mutation", "exon": 20, "variant_classification": "In_Frame_Ins"},
        ExonRule("ERBB2", 20, ExonEdit.INSERTION),
    ),
    ({"hugo_symbol": "MET", "variant_category": "Mutation", "exon": 14}, ExonRule("MET", 14, ExonEdit.ANY)),
    ({"hugo_symbol": "TP53", "variant_category": "Mutation"}, MutationRule("TP53")),
    ({"hugo_symbol": "TP53", "variant_category": "!Mutation"}, Not(MutationRule("TP53"))),
    (
        {"hugo_symbol": "!KEAP1"},
        Not(AnyOf((MutationRule("KEAP1"), AmplificationRule("KEAP1"), CopyLossRule("KEAP1")))),
    ),
    (
        {"hugo_symbol": "ERBB2", "variant_category": "Copy Number Variation", "cnv_call": "High level amplification"},
        AmplificationRule("ERBB2"),
    ),
    (
        {"hugo_symbol": "CDKN2A", "variant_category": "Copy Number Variation", "cnv_call": "Homozygous deletion"},
        CopyLossRule("CDKN2A"),
    ),
    ({"hugo_symbol": "ALK", "variant_category": "Structural Variation"}, FusionRule("ALK")),
    (
        {"hugo_symbol": "FGFR3", "variant_category": "Structural Variation", "fusion_partner_hugo_symbol": "TACC3"},
        FusionRule("FGFR3", ("TACC3",)),
    ),
    (
        {"hugo_symbol": "MYCL1", "variant_category": "Copy Number Variation", "cnv_call": "High Amplification"},
        AmplificationRule("MYCL"),
    ),
    ({"ms_status": "MSI-H"}, MsiRule()),
    ({"mmr_status": "MMR-Deficient"}, MsiRule()),
    ({"ms_status": "MSS"}, Not(MsiRule())),
]


def _one_arm(match: list[Any], **arm: Any) -> dict[str, Any]:
    return {
        "protocol_no": "T-1",
        "treatment_list": {"step": [{"step_code": "1", "arm": [{"arm_code": "A", "match": match, **arm}]}]},
    }


@pytest.mark.parametrize(("genomic", "expected"), GENOMIC_CASES, ids=[json.dumps(case[0]) for case in GENOMIC_CASES])
def test_genomic_leaves_become_the_same_criteria_tree_nodes(
    genomic: dict[str, Any], expected: object, tumour_types: TumourTypes
) -> None:
    trial = parse_ctml(_one_arm([{"genomic": genomic}]), source="t.yaml", tumour_types=tumour_types)
    assert trial.arms[0].criteria == Genomic(expected)  # type: ignore[arg-type]
    assert trial.unsupported == ()


@pytest.mark.parametrize(
    ("genomic", "key"),
    [
        ({"hugo_symbol": "BRAF", "variant_category": "Signature"}, "variant_category"),
        (
            {"hugo_symbol": "MET", "variant_category": "Copy Number Variation", "cnv_call": "Loss of heterozygosity"},
            "cnv_call",
        ),
        ({"hugo_symbol": "BRAF", "protein_change": "V600 mutation"}, "protein_change"),
        ({"hugo_symbol": "BRAF", "wildcard_protein_change": "p.600"}, "wildcard_protein_change"),
        ({"ms_status": "Indeterminate"}, "ms_status"),
        ({"hugo_symbol": "KRAS", "tier": 1}, "tier"),
    ],
)
def test_unsupported_values_are_reported_not_ignored(
    genomic: dict[str, Any], key: str, tumour_types: TumourTypes
) -> None:
    trial = parse_ctml(_one_arm([{"genomic": genomic}]), source="t.yaml", tumour_types=tumour_types)
    assert [item.key for item in trial.unsupported] == [key]
    assert trial.unsupported[0].path.startswith("treatment_list.step[0].arm[0].match[0].genomic")


def test_step_and_dose_level_criteria_are_combined(tumour_types: TumourTypes) -> None:
    document = {
        "protocol_no": "T-2",
        "status": "Closed to Accrual",
        "treatment_list": {
            "step": [
                {"step_code": "1", "match": [{"clinical": {"age_numerical": ">=18"}}], "arm": []},
                {
                    "step_code": "2",
                    "match": [{"genomic": {"hugo_symbol": "KRAS", "protein_change": "p.G12C"}}],
                    "arm": [
                        {
                            "arm_code": "B",
                            "arm_description": "Arm B",
                            "dose_level": [
                                {
                                    "level_code": "2",
                                    "level_suspended": "N",
                                    "match": [{"genomic": {"hugo_symbol": "STK11"}}],
                                }
                            ],
                        }
                    ],
                },
            ]
        },
    }
    trial = parse_ctml(document, source="t.yaml", tumour_types=tumour_types)
    assert [(arm.label, arm.open) for arm in trial.arms] == [
        ("step 1", False),
        ("arm B", False),
        ("arm B dose level 2", False),
    ]
    # The step's criteria apply to its arms, and an arm's to its dose levels.
    facts = PatientFacts(tumour_type="LUAD")
    assert resolve_arm(trial.arms[1], facts, tumour_types).rule == ProteinChangeRule("KRAS", ("p.G12C",))
    assert resolve_arm(trial.arms[2], facts, tumour_types).rule == AllOf(
        (
            ProteinChangeRule("KRAS", ("p.G12C",)),
            AnyOf((MutationRule("STK11"), AmplificationRule("STK11"), CopyLossRule("STK11"))),
        )
    )


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------


def test_kras_g12c_adult_lung_cancer_matches_arm_a_only(kras: CtmlTrial, tumour_types: TumourTypes) -> None:
    result = match_ctml(
        _profile(_mutation("KRAS", "p.G12C")), PatientFacts(tumour_type="LUAD", age=64), kras, tumour_types
    )
    assert _arms(result) == [("arm A", "sotorasib", "eligible")]
    assert any("not Colorectal Adenocarcinoma" in note for note in result.notes)


def test_the_exclusion_removes_the_match(kras: CtmlTrial, tumour_types: TumourTypes) -> None:
    profile = _profile(_mutation("KRAS", "p.G12C"), _mutation("KEAP1", "p.R470C"))
    result = match_ctml(profile, PatientFacts(tumour_type="LUAD", age=64), kras, tumour_types)
    assert result.matches == ()
    assert any("excluded: KEAP1 p.R470C" in note for note in result.notes)


def test_age_is_an_eligibility_criterion(kras: CtmlTrial, tumour_types: TumourTypes) -> None:
    profile = _profile(_mutation("KRAS", "p.G12C"))
    young = match_ctml(profile, PatientFacts(tumour_type="LUAD", age=16), kras, tumour_types)
    assert _arms(young) == [("arm A", "sotorasib", "ineligible")]
    assert "age 16: fails age_numerical '>=18' (age >= 18 years)" in young.matches[0].match.reasons
    unknown = match_ctml(profile, PatientFacts(tumour_type="LUAD"), kras, tumour_types)
    assert _arms(unknown) == [("arm A", "sotorasib", "to_be_confirmed")]


def test_a_suspended_arm_matches_but_is_not_open(kras: CtmlTrial, tumour_types: TumourTypes) -> None:
    result = match_ctml(
        _profile(_mutation("KRAS", "p.G12C")), PatientFacts(tumour_type="COAD", age=50), kras, tumour_types
    )
    assert _arms(result) == [("arm A", "sotorasib", "eligible"), ("arm B", "panitumumab+sotorasib", "ineligible")]
    assert "arm B of NCT90000001 is closed or suspended (arm_suspended: Y)" in result.matches[1].match.reasons
    assert result.matches[1].as_dict()["arm_status"] == "closed"


def test_wildcard_basket_and_negated_diagnosis(basket: CtmlTrial, tumour_types: TumourTypes) -> None:
    profile = _profile(_mutation("BRAF", "p.V600K"))
    assert _arms(match_ctml(profile, PatientFacts(tumour_type="CHOL", age=70), basket, tumour_types)) == [
        ("arm BRAF", "dabrafenib+trametinib", "eligible")
    ]
    assert match_ctml(profile, PatientFacts(tumour_type="SKCM", age=70), basket, tumour_types).matches == ()


def test_msi_arm_is_to_be_confirmed_for_the_unchecked_criteria(basket: CtmlTrial, tumour_types: TumourTypes) -> None:
    result = match_ctml(_profile(msi=MsiStatus.MSI_H), PatientFacts(tumour_type="COAD", age=55), basket, tumour_types)
    assert _arms(result) == [("arm MSI", "pembrolizumab", "to_be_confirmed")]
    reasons = result.matches[0].match.reasons
    assert any("her2_status" in reason for reason in reasons)
    assert any("prior-treatment" in reason for reason in reasons)


def test_erbb2_amplification_arm_checks_sex_when_known(basket: CtmlTrial, tumour_types: TumourTypes) -> None:
    amplified = _profile(Alteration(gene="ERBB2", kind=AlterationKind.AMPLIFICATION, fold_change=3.0))
    woman = match_ctml(amplified, PatientFacts(tumour_type="STAD", age=60, sex="F"), basket, tumour_types)
    assert _arms(woman) == [("arm HER2", "trastuzumab deruxtecan", "eligible")]
    man = match_ctml(amplified, PatientFacts(tumour_type="STAD", age=60, sex="M"), basket, tumour_types)
    assert man.matches == ()
    lost = _profile(Alteration(gene="ERBB2", kind=AlterationKind.COPY_LOSS))
    assert match_ctml(lost, PatientFacts(tumour_type="STAD", sex="F"), basket, tumour_types).matches == ()


def test_age_under_or_is_decided_with_the_patient(tumour_types: TumourTypes) -> None:
    document = _one_arm(
        [
            {
                "or": [
                    {
                        "and": [
                            {"genomic": {"hugo_symbol": "IDH1", "protein_change": "p.R132H"}},
                            {"clinical": {"age_numerical": "<40"}},
                        ]
                    },
                    {"genomic": {"hugo_symbol": "IDH2", "protein_change": "p.R140Q"}},
                ]
            }
        ]
    )
    trial = parse_ctml(document, source="t.yaml", tumour_types=tumour_types)
    assert resolve_arm(trial.arms[0], PatientFacts(tumour_type="ACC", age=30), tumour_types).rule == AnyOf(
        (ProteinChangeRule("IDH1", ("p.R132H",)), ProteinChangeRule("IDH2", ("p.R140Q",)))
    )
    assert resolve_arm(trial.arms[0], PatientFacts(tumour_type="ACC", age=50), tumour_types).rule == ProteinChangeRule(
        "IDH2", ("p.R140Q",)
    )


# ---------------------------------------------------------------------------------------------
# Malformed input: one line naming the file and the path
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], r"t\.yaml: field '\(document\)': expected a mapping, found a list"),
        ({"protocol_no": "X"}, r"field 'treatment_list': a CTML trial needs a treatment_list"),
        ({"treatment_list": {}}, r"field 'treatment_list.step': the treatment_list has no step"),
        ({"treatment_list": {"step": [{"arm": [{"arm_code": "A"}]}]}}, r"no step, arm or dose level has a match tree"),
        (
            _one_arm([{"and": "KRAS"}]),
            r"field 'treatment_list.step\[0\].arm\[0\].match\[0\].and': expected a list, found 'KRAS'",
        ),
        (
            _one_arm([{"genomic": {"hugo_symbol": "KRAS"}, "clinical": {"age_numerical": ">=18"}}]),
            r"field 'treatment_list.step\[0\].arm\[0\].match\[0\]': a match node needs exactly one of",
        ),
        (_one_arm([{"genomics": {"hugo_symbol": "KRAS"}}]), r"unknown match node 'genomics'"),
        (
            _one_arm([{"genomic": {"variant_category": "Mutation"}}]),
            r"\.genomic\.hugo_symbol': a genomic criterion needs",
        ),
        (_one_arm([]), r"no step, arm or dose level has a match tree"),
        (_one_arm([{"or": []}]), r"an empty 'or' list"),
        (
            _one_arm([{"genomic": {"hugo_symbol": "A"}}], drugs=[[{"ncit_code": "C1"}]]),
            r"drugs\[0\]\[0\]': a drug needs a name",
        ),
    ],
)
def test_malformed_ctml_is_one_line_with_file_and_path(document: Any, message: str, tumour_types: TumourTypes) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        parse_ctml(document, source="t.yaml", tumour_types=tumour_types)
    assert "\n" not in str(caught.value)


def test_invalid_yaml_and_json_name_the_line(tmp_path: Path, tumour_types: TumourTypes) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("protocol_no: X\ntreatment_list:\n  step: [\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.yaml:\d+: not valid YAML"):
        load_ctml(bad_yaml, tumour_types)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"protocol_no": "X",\n "treatment_list": }', encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.json:2: not valid JSON"):
        load_ctml(bad_json, tumour_types)
    with pytest.raises(FormatError, match="no such CTML file"):
        load_ctml(tmp_path / "missing.yaml", tumour_types)


def test_the_yaml_and_json_forms_import_alike(tmp_path: Path, basket: CtmlTrial, tumour_types: TumourTypes) -> None:
    as_yaml = tmp_path / "basket.yaml"
    as_yaml.write_text(
        yaml.safe_dump(sort_keys=False, data=json.loads((CTML / "basket.json").read_text(encoding="utf-8"))),
        encoding="utf-8",
    )
    again = load_ctml(as_yaml, tumour_types)
    assert again.arms == basket.arms
    assert [str(item) for item in again.unsupported] == [str(item) for item in basket.unsupported]


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments], capture_output=True, text=True, check=False
    )


def test_cli_match_ctml_json_keeps_the_contract_keys(examples: Path) -> None:
    sample = examples / "tso500" / "run_2026-01" / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv"
    completed = _run(
        "match", str(sample), "--tumour-type", "PAAD", "--age", "60", "--ctml", str(CTML / "basket.json"), "--json"
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)[0]
    first = result["matches"][0]
    assert list(first)[:6] == ["drug", "biomarker", "cohort", "evidence", "eligible", "reasons"]
    assert (first["drug"], first["cohort"], first["evidence"], first["eligible"]) == (
        "dabrafenib+trametinib",
        "arm BRAF",
        "external trial",
        True,
    )
    assert first["trial"] == "NCT90000002"
    assert len(result["unsupported"]) == 3
    assert completed.stderr.count("warning: unsupported CTML key") == 3


def test_cli_match_ctml_rejects_a_protocol_too_and_bad_files(examples: Path, tmp_path: Path) -> None:
    sample = examples / "tso500" / "run_2026-01" / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv"
    both = _run(
        "match",
        str(sample),
        "--tumour-type",
        "PAAD",
        "--ctml",
        str(CTML / "basket.json"),
        "--protocol",
        str(default_protocol_path()),
    )
    assert both.returncode == 1
    assert "give either --ctml or --protocol" in both.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "treatment_list:\n  step:\n    - arm:\n        - match:\n            - {genomic: {}, clinical: {}}\n",
        encoding="utf-8",
    )
    failed = _run("match", str(sample), "--tumour-type", "PAAD", "--ctml", str(broken))
    assert failed.returncode == 1
    assert failed.stderr.startswith(f"error: {broken}: field 'treatment_list.step[0].arm[0].match[0]'")
    assert failed.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------------------
# Gene symbols: unknown symbols and previous symbols warn (docs/ctml.md, "Genomic leaves")
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("genomic", "key", "hint"),
    [
        ({"hugo_symbol": "BRAFF", "wildcard_protein_change": "p.V600"}, "hugo_symbol", "BRAF"),
        ({"hugo_symbol": "!BRAFF"}, "hugo_symbol", "BRAF"),
        ({"hugo_symbol": "NOTAGENE1", "variant_category": "Mutation"}, "hugo_symbol", None),
        (
            {
                "hugo_symbol": "FGFR3",
                "variant_category": "Structural Variation",
                "fusion_partner_hugo_symbol": "TACC33",
            },
            "fusion_partner_hugo_symbol",
            "TACC3",
        ),
    ],
)
def test_an_unknown_gene_symbol_is_kept_with_a_warning_naming_file_and_path(
    genomic: dict[str, Any], key: str, hint: str | None, tumour_types: TumourTypes
) -> None:
    # An external trial may name any gene; refusing the document would lose the whole trial.
    trial = parse_ctml(_one_arm([{"and": [{"genomic": genomic}]}]), source="trials/t.yaml", tumour_types=tumour_types)
    (message,) = [w for w in trial.warnings if "not a gene OncoBasket knows" in w]
    assert message.startswith(f"trials/t.yaml: field 'treatment_list.step[0].arm[0].match[0].and[0].genomic.{key}': ")
    assert "kept as written" in message
    assert ("did you mean" in message) == (hint is not None)
    if hint is not None:
        assert f"did you mean {hint}" in message
    assert "\n" not in message


def test_a_previous_symbol_is_read_as_the_current_one_with_a_warning(tumour_types: TumourTypes) -> None:
    document = _one_arm(
        [{"genomic": {"hugo_symbol": "MYCL1", "variant_category": "Copy Number Variation", "cnv_call": "Gain"}}],
        drugs=[[{"name": "examplinib"}]],
    )
    trial = parse_ctml(document, source="t.yaml", tumour_types=tumour_types)
    assert isinstance(trial.arms[0].criteria, Genomic)
    assert trial.arms[0].criteria.rule == AmplificationRule("MYCL")
    warning = (
        "t.yaml: field 'treatment_list.step[0].arm[0].match[0].genomic.hugo_symbol': "
        "MYCL1 is a previous HGNC symbol of MYCL: matching uses MYCL"
    )
    assert trial.warnings == (warning,)
    assert trial.unsupported == ()
    amplified = _profile(Alteration(gene="MYCL", reported_gene="MYCL1", kind=AlterationKind.AMPLIFICATION))
    result = match_ctml(amplified, PatientFacts(tumour_type="LUAD", age=60), trial, tumour_types)
    assert _arms(result) == [("arm A", "examplinib", "eligible")]
    assert result.warnings == (warning,)
    assert result.as_dict()["warnings"] == [warning]


def test_load_ctml_names_the_path_as_given(tmp_path: Path, tumour_types: TumourTypes) -> None:
    path = tmp_path / "trials" / "bad.yaml"
    path.parent.mkdir()
    path.write_text("treatment_list: [", encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        load_ctml(path, tumour_types)
    assert str(caught.value).startswith(f"{path}:")
    assert load_ctml(CTML / "kras_g12c.yaml", tumour_types).source == str(CTML / "kras_g12c.yaml")


def test_cli_match_ctml_names_the_relative_path(examples: Path, tmp_path: Path) -> None:
    sample = examples / "tso500" / "run_2026-01" / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv"
    (tmp_path / "trials").mkdir()
    (tmp_path / "trials" / "t1.json").write_text(
        json.dumps(_one_arm([{"genomic": {"hugo_symbol": "BRAFF"}}])), encoding="utf-8"
    )
    (tmp_path / "trials" / "broken.json").write_text("{", encoding="utf-8")

    def run(trial: str) -> subprocess.CompletedProcess[str]:
        arguments = ["match", str(sample), "--tumour-type", "PAAD", "--ctml", trial]
        return subprocess.run(
            [sys.executable, "-m", "oncobasket.cli", *arguments],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )

    warned = run("trials/t1.json")
    assert warned.returncode == 0, warned.stderr
    assert "trials/t1.json: field 'treatment_list.step[0].arm[0].match[0].genomic.hugo_symbol'" in warned.stderr
    assert "'BRAFF' is not a gene OncoBasket knows" in warned.stderr
    failed = run("trials/broken.json")
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: trials/broken.json")
    assert failed.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------------------
# Notes on arms not matched name the leaves that decided (docs/ctml.md, "Why an arm did not match")
# ---------------------------------------------------------------------------------------------

_UNCHECKED = {"clinical": {"weird_key": "yes"}}
_LOH = {"genomic": {"hugo_symbol": "MET", "variant_category": "Copy Number Variation", "cnv_call": "LOH"}}
_COLORECTAL = {"clinical": {"oncotree_primary_diagnosis": "COAD"}}
_WOMEN = {"clinical": {"gender": "Female"}}
_UNDER_40 = {"clinical": {"age_numerical": "<40"}}
_KRAS = {"genomic": {"hugo_symbol": "KRAS", "protein_change": "p.G12C"}}


def _notes(match: list[Any], patient: PatientFacts, tumour_types: TumourTypes, *alterations: Alteration) -> Any:
    trial = parse_ctml(_one_arm(match, drugs=[[{"name": "examplinib"}]]), source="t.yaml", tumour_types=tumour_types)
    return match_ctml(_profile(*alterations), patient, trial, tumour_types)


def test_an_unsupported_value_not_an_unchecked_sibling_is_blamed(tumour_types: TumourTypes) -> None:
    """The reviewer's case: the unsupported cnv_call decided, the unknown clinical key did not."""
    result = _notes([{"and": [_UNCHECKED, _LOH]}], PatientFacts(tumour_type="LUAD"), tumour_types)
    assert result.matches == ()
    assert result.notes == (
        "arm A: not matched: unsupported genomic criterion cnv_call 'LOH' at "
        "treatment_list.step[0].arm[0].match[0].and[1].genomic.cnv_call (treated as not met)",
    )
    assert not any("weird_key" in note or "to be confirmed" in note for note in result.notes)


def test_every_failing_leaf_of_an_and_is_named(tumour_types: TumourTypes) -> None:
    result = _notes(
        [{"and": [_UNCHECKED, _LOH, _COLORECTAL, _WOMEN, _KRAS]}],
        PatientFacts(tumour_type="LUAD", sex="M"),
        tumour_types,
    )
    assert [note.split(": not matched: ")[1].split(" at ")[0] for note in result.notes] == [
        "unsupported genomic criterion cnv_call 'LOH'",
        "tumour type LUAD is not COAD (oncotree_primary_diagnosis 'COAD')",
        "gender 'Female': the patient's sex is M",
    ]


def test_every_leaf_of_an_or_that_none_satisfies_is_named(tumour_types: TumourTypes) -> None:
    result = _notes(
        [{"or": [_LOH, _COLORECTAL, _UNDER_40, {"and": [_WOMEN, _UNCHECKED]}]}],
        PatientFacts(tumour_type="LUAD", age=52, sex="M"),
        tumour_types,
    )
    assert result.matches == ()
    assert len(result.notes) == 4
    assert "cnv_call 'LOH'" in result.notes[0]
    assert result.notes[1] == "arm A: not matched: tumour type LUAD is not COAD (oncotree_primary_diagnosis 'COAD')"
    assert result.notes[2] == "arm A: not matched: age 52: fails age_numerical '<40' (age < 40 years)"
    assert result.notes[3] == "arm A: not matched: gender 'Female': the patient's sex is M"


def test_an_or_that_holds_for_certain_needs_no_confirmation(tumour_types: TumourTypes) -> None:
    kras = _mutation("KRAS", "p.G12C")
    certain = _notes(
        [{"and": [_KRAS, {"or": [_UNCHECKED, _COLORECTAL]}]}],
        PatientFacts(tumour_type="COAD", age=60),
        tumour_types,
        kras,
    )
    assert _arms(certain) == [("arm A", "examplinib", "eligible")]
    assert not any("weird_key" in reason for reason in certain.matches[0].match.reasons)
    assumed = _notes(
        [{"and": [_KRAS, {"or": [_UNCHECKED, _COLORECTAL]}]}],
        PatientFacts(tumour_type="LUAD", age=60),
        tumour_types,
        kras,
    )
    assert _arms(assumed) == [("arm A", "examplinib", "to_be_confirmed")]
    assert "clinical criterion weird_key = yes not checked: to be confirmed" in assumed.matches[0].match.reasons
    assert assumed.notes == ()


def test_an_unchecked_leaf_under_a_failed_branch_is_not_a_reason(tumour_types: TumourTypes) -> None:
    result = _notes(
        [{"or": [{"and": [_UNCHECKED, _COLORECTAL]}, _KRAS]}],
        PatientFacts(tumour_type="LUAD", age=60),
        tumour_types,
        _mutation("KRAS", "p.G12C"),
    )
    assert _arms(result) == [("arm A", "examplinib", "eligible")]
    assert not any("weird_key" in reason for reason in result.matches[0].match.reasons)


def test_negated_unsupported_leaves_and_unknown_diagnoses_name_themselves(tumour_types: TumourTypes) -> None:
    negated = {"genomic": {"hugo_symbol": "MET", "cnv_call": "!LOH"}}
    unknown = {"clinical": {"oncotree_primary_diagnosis": "Made-up Cancer"}}
    result = _notes([{"and": [negated, unknown]}], PatientFacts(tumour_type="LUAD"), tumour_types)
    assert result.notes == (
        "arm A: not matched: unknown diagnosis 'Made-up Cancer' at "
        "treatment_list.step[0].arm[0].match[0].and[1].clinical.oncotree_primary_diagnosis (treated as not met)",
    )
    held = resolve_arm(
        parse_ctml(_one_arm([negated]), source="t.yaml", tumour_types=tumour_types).arms[0],
        PatientFacts(tumour_type="LUAD"),
        tumour_types,
    )
    assert held.unmet == ()
    assert held.unchecked == (
        "unsupported genomic criterion not cnv_call 'LOH' at treatment_list.step[0].arm[0].match[0].genomic.cnv_call: "
        "to be confirmed",
    )
