"""``oncobasket export ctml``: our cohorts as MatchMiner CTML. Matching the real profiles against the exported
CTML gives the protocol's cohorts, and every cohort where it does not is one the export reported as holding a
rule CTML cannot express (never dropped silently)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from oncobasket.core.matching import PatientFacts, compile_protocol, evaluate_profile
from oncobasket.core.profiles import MolecularProfile
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
    Rule,
    TmbRule,
)
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml.matching import CtmlMatcher
from oncobasket.io.ctml.reader import parse_ctml
from oncobasket.io.ctml.writer import CtmlExport, protocol_to_ctml, rule_to_ctml
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol
from oncobasket.io.readers import read_profiles

FIT = {"age": 60.0, "ecog": 1, "prior_therapies": ()}


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


@pytest.fixture(scope="module")
def exported(tumour_types: TumourTypes) -> CtmlExport:
    return protocol_to_ctml(load_protocol(default_protocol_path(), tumour_types), tumour_types)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def _explained(exported: CtmlExport, cohort: str, group_listed: bool) -> bool:
    """A difference is allowed only where the export said so: a cohort with an unexpressed rule, or a tumour
    outside the protocol's listed groups (reported once for the protocol)."""
    return not group_listed or any(item.cohort == cohort for item in exported.unexpressed)


# -- golden leaves: each protocol rule as CTML writes it (MatchMiner's keys and values) ----------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            ProteinChangeRule("KRAS", ("p.G12C",)),
            {"genomic": {"hugo_symbol": "KRAS", "variant_category": "Mutation", "protein_change": "p.G12C"}},
        ),
        (
            CodonRule("BRAF", ("V600",)),
            {"genomic": {"hugo_symbol": "BRAF", "variant_category": "Mutation", "wildcard_protein_change": "p.V600"}},
        ),
        (
            ExonRule("EGFR", 19, ExonEdit.DELETION),
            {
                "genomic": {
                    "hugo_symbol": "EGFR",
                    "variant_category": "Mutation",
                    "exon": "19",
                    "variant_classification": "In_Frame_Del",
                }
            },
        ),
        (MutationRule("KRAS"), {"genomic": {"hugo_symbol": "KRAS", "variant_category": "Mutation"}}),
        (
            AmplificationRule("ERBB2"),
            {
                "genomic": {
                    "hugo_symbol": "ERBB2",
                    "variant_category": "Copy Number Variation",
                    "cnv_call": "High Amplification",
                }
            },
        ),
        (
            CopyLossRule("CDKN2A"),
            {
                "genomic": {
                    "hugo_symbol": "CDKN2A",
                    "variant_category": "Copy Number Variation",
                    "cnv_call": "Homozygous Deletion",
                }
            },
        ),
        (FusionRule("ALK"), {"genomic": {"hugo_symbol": "ALK", "variant_category": "Structural Variation"}}),
        (TmbRule(10.0), {"genomic": {"tmb_numerical": ">=10"}}),
        (MsiRule(), {"genomic": {"ms_status": "MSI-H"}}),
        # CTML has no "not" node: a negated "any" is "and" of negated leaves (De Morgan), "!" on a value.
        (
            Not(AnyOf((MutationRule("KRAS"), MutationRule("NRAS")))),
            {
                "and": [
                    {"genomic": {"hugo_symbol": "!KRAS", "variant_category": "Mutation"}},
                    {"genomic": {"hugo_symbol": "!NRAS", "variant_category": "Mutation"}},
                ]
            },
        ),
        (
            AllOf((FusionRule("ALK", ("EML4", "NPM1")), Not(MsiRule()))),
            {
                "and": [
                    {
                        "or": [
                            {
                                "genomic": {
                                    "hugo_symbol": "ALK",
                                    "variant_category": "Structural Variation",
                                    "fusion_partner_hugo_symbol": "EML4",
                                }
                            },
                            {
                                "genomic": {
                                    "hugo_symbol": "ALK",
                                    "variant_category": "Structural Variation",
                                    "fusion_partner_hugo_symbol": "NPM1",
                                }
                            },
                        ]
                    },
                    {"genomic": {"ms_status": "!MSI-H"}},
                ]
            },
        ),
    ],
)
def test_each_rule_is_written_with_matchminer_keys(
    rule: Rule, expected: dict[str, Any], tumour_types: TumourTypes
) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    node, unexpressed = rule_to_ctml(rule, protocol)
    assert node == expected
    assert unexpressed == ()


def test_the_export_reads_back_without_unsupported_keys(exported: CtmlExport, tumour_types: TumourTypes) -> None:
    trial = parse_ctml(json.loads(json.dumps(exported.document)), source="export", tumour_types=tumour_types)
    assert trial.unsupported == ()
    assert [arm.description for arm in trial.arms] == list(exported.cohorts)
    assert trial.nct_id == "NCT04817956"
    # Entrectinib's NTRK approval is tumour-agnostic (EMA): no cohort, and the export says why.
    assert not any(name.startswith("NTRK fusion /") and name.endswith("/ Entrectinib") for name in exported.cohorts)
    assert any(item.rule == "on-label in every tumour type" for item in exported.unexpressed)
    # What CTML cannot say is listed: organ-function criteria, exon skipping, ICD-10 placement.
    rules = {item.rule for item in exported.unexpressed}
    assert {"ECOG <= 2", "MET exon 14 skipping", "tumour groups also place patients by ICD-10 code"} <= rules


def test_closed_cohorts_are_left_out_and_suspended_ones_marked(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    every = protocol_to_ctml(protocol, tumour_types)
    closed, suspended = every.cohorts[0], every.cohorts[1]
    export = protocol_to_ctml(
        protocol, tumour_types, cohort_statuses={closed: "closed_futility", suspended: "suspended"}
    )
    assert closed not in export.cohorts
    arms = export.document["treatment_list"]["step"][0]["arm"]
    assert next(arm for arm in arms if arm["arm_description"] == suspended)["arm_suspended"] == "Y"
    trial = parse_ctml(export.document, source="export", tumour_types=tumour_types)
    assert not next(arm for arm in trial.arms if arm.description == suspended).open


def _real_profiles(shared_data: Path) -> list[MolecularProfile]:
    files = [shared_data / "maf" / "oncokb-annotator__example_maf.txt", shared_data / "maf" / "maftools__brca.maf.gz"]
    files += sorted((shared_data / "tso500").glob("*CombinedVariantOutput.tsv"))
    profiles: list[MolecularProfile] = []
    for path in files:
        profiles.extend(read_profiles([path]))
    return profiles


@pytest.mark.shared_data
def test_real_profiles_in_every_tumour_group_match_the_same_cohorts(
    shared_data: Path, exported: CtmlExport, tumour_types: TumourTypes
) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    compiled = compile_protocol(protocol)
    matcher = CtmlMatcher(parse_ctml(exported.document, source="export", tumour_types=tumour_types), tumour_types)
    groups = {group.name for group in protocol.tumour_groups}
    compared = same = 0
    for profile in _real_profiles(shared_data):
        for group in protocol.tumour_groups:
            patient = PatientFacts(tumour_type=group.oncotree[0], **FIT)  # type: ignore[arg-type]
            result = evaluate_profile(profile, patient, compiled, tumour_types)
            ours = {(item.drug, item.cohort) for item in result.matches if item.cohort is not None}
            theirs = {(item.match.drug, item.arm.description) for item in matcher.match(profile, patient).matches}
            compared += len(ours)
            same += len(ours & theirs)
            for drug, cohort in ours ^ theirs:
                assert _explained(exported, cohort, result.tumour_group in groups), (profile.sample_id, drug, cohort)
    assert compared > 200
    assert same / compared > 0.8


@pytest.mark.shared_data
def test_match_ctml_on_the_exported_file_gives_the_protocols_cohorts(shared_data: Path, tmp_path: Path) -> None:
    maf = shared_data / "maf" / "oncokb-annotator__example_maf.txt"
    with (shared_data / "maf" / "oncokb-annotator__example_clinical.txt").open(newline="") as handle:
        codes = {row["SAMPLE_ID"]: row["ONCOTREE_CODE"] for row in csv.DictReader(handle, delimiter="\t")}
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text(
        "sample_id\ttumour_type\tage\tecog\n" + "".join(f"{sample}\t{code}\t60\t1\n" for sample, code in codes.items())
    )
    exported = _cli(
        "export",
        "ctml",
        "--out",
        str(tmp_path / "ctml"),
        "--protocol",
        str(default_protocol_path()),
        "--json",
        cwd=tmp_path,
    )
    assert exported.returncode == 0, exported.stderr
    summary = json.loads(exported.stdout)
    trial_file = tmp_path / "ctml" / summary["files"][0]
    assert yaml.safe_load(trial_file.read_text())["treatment_list"]["step"][0]["arm"]
    noted = {item["cohort"] for item in summary["unexpressed"]}

    protocol_run = _cli("match", str(maf), "--clinical", str(clinical), "--json", cwd=tmp_path)
    ctml_run = _cli("match", str(maf), "--clinical", str(clinical), "--ctml", str(trial_file), "--json", cwd=tmp_path)
    assert protocol_run.returncode == 0, protocol_run.stderr
    assert ctml_run.returncode == 0, ctml_run.stderr
    ours = {
        sample["sample_id"]: (
            sample["tumour_group"],
            {(m["drug"], m["cohort"]) for m in sample["matches"] if m["cohort"]},
        )
        for sample in json.loads(protocol_run.stdout)
    }
    theirs = {
        sample["sample_id"]: {(m["drug"], m["arm_description"]) for m in sample["matches"]}
        for sample in json.loads(ctml_run.stdout)
    }
    groups = {group.name for group in load_protocol(default_protocol_path(), load_shipped_tumour_types()).tumour_groups}
    assert any(cohorts for _, cohorts in ours.values())
    for sample_id, (group, cohorts) in ours.items():
        for _, cohort in cohorts ^ theirs[sample_id]:
            assert group not in groups or cohort in noted, (sample_id, cohort)
    # The KRAS G12C lung adenocarcinoma: sotorasib is on-label there, so neither side offers its cohort.
    assert not any(drug == "sotorasib" for drug, _ in theirs["TCGA-05-4417-01"])


def test_the_cli_refuses_a_bad_protocol_and_a_used_folder(tmp_path: Path) -> None:
    broken = tmp_path / "protocol.yaml"
    broken.write_text("protocol: 1\nname: [unclosed\n")
    result = _cli("export", "ctml", "--out", str(tmp_path / "out"), "--protocol", str(broken), cwd=tmp_path)
    assert result.returncode == 1
    assert "protocol.yaml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    used = tmp_path / "used"
    used.mkdir()
    (used / "theirs.txt").write_text("not ours")
    refused = _cli("export", "ctml", "--out", str(used), "--protocol", str(default_protocol_path()), cwd=tmp_path)
    assert refused.returncode == 1
    assert "--force" in refused.stderr
    assert (used / "theirs.txt").read_text() == "not ours"
