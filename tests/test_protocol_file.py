"""The protocol file: the shipped default validates, and every malformed file fails with file, line and path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oncobasket.core.errors import ProtocolError
from oncobasket.core.protocol import (
    AllOf,
    AmplificationRule,
    CodonRule,
    EvidenceLevel,
    FusionRule,
    Not,
    ProteinChangeRule,
    Route,
    cohort_name,
    drug_display_name,
    drug_key,
)
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol, parse_protocol, summarise

MINIMAL = """\
protocol: 1
name: Test protocol
version: "1"
tumour_groups:
  - name: Cholangiocarcinoma
    oncotree: [CHOL]
  - name: NSCLC
    oncotree: [NSCLC]
knowledge:
  hotspots:
    source: test list
    genes:
      PIK3CA: [E545, H1047]
biomarkers:
  - name: BRAF V600 mutation
    rule: {gene: BRAF, codon: V600}
drugs:
  - generic_names: [dabrafenib, trametinib]
    supplier: Novartis
    route: oral
    profiles:
      - biomarker: BRAF V600 mutation
        evidence: label
        source: EMA SmPC Tafinlar 4.1
  - generic_names: [alpelisib]
    supplier: Novartis
    route: oral
    profiles:
      - biomarker: PIK3CA hotspot
        rule: {gene: PIK3CA, hotspot: true}
        evidence: label
        source: EMA SmPC Piqray 4.1
"""


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


def parse(text: str, tumour_types: TumourTypes):  # type: ignore[no-untyped-def]
    return parse_protocol(text, source="test.yaml", tumour_types=tumour_types)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle`` (so tests do not hard-code line numbers)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_minimal_protocol_parses(tumour_types: TumourTypes) -> None:
    protocol = parse(MINIMAL, tumour_types)
    assert protocol.name == "Test protocol"
    assert protocol.authority == "EMA"
    assert [drug.key for drug in protocol.drugs] == ["dabrafenib+trametinib", "alpelisib"]
    drug = protocol.drugs[0]
    assert drug.route is Route.ORAL
    assert drug.display_name == "Dabrafenib+Trametinib"
    assert drug.profiles[0].biomarker.rule == CodonRule("BRAF", ("V600",))
    assert drug.profiles[0].evidence is EvidenceLevel.LABEL
    assert protocol.cohort_rule.r1 == 0
    assert protocol.cohort_rule.n1 == 8
    assert protocol.cohort_rule.r == 4
    assert protocol.cohort_rule.n == 24


def test_drug_key_and_display_are_sorted_lower_case() -> None:
    assert drug_key(["Trametinib", "dabrafenib"]) == "dabrafenib+trametinib"
    assert drug_display_name(["trastuzumab", "pertuzumab"]) == "Pertuzumab+Trastuzumab"
    assert (
        cohort_name("BRAF V600 mutation", "Cholangiocarcinoma", "Dabrafenib+Trametinib")
        == "BRAF V600 mutation / Cholangiocarcinoma / Dabrafenib+Trametinib"
    )


def test_default_protocol_is_valid_and_complete(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    summary = summarise(protocol)
    assert 22 <= summary["drugs"] <= 26
    assert protocol.authority == "EMA"
    # The required coverage, by biomarker name.
    names = {profile.biomarker.name for drug in protocol.drugs for profile in drug.profiles}
    for required in (
        "BRAF V600 mutation",
        "BRAF non-V600 mutation",
        "ERBB2 amplification",
        "ERBB2 activating mutation",
        "ALK fusion",
        "ROS1 fusion",
        "RET fusion",
        "NTRK fusion",
        "FGFR2 fusion",
        "MET amplification",
        "MET exon 14 skipping",
        "PIK3CA activating mutation",
        "PIK3CA/AKT1/PTEN alteration",
        "CDK4/6 pathway amplification",
        "BRCA1/2 mutation",
        "BRCA1/2 bi-allelic loss",
        "HRR gene mutation",
        "MSI-H",
        "TMB-high",
        "KRAS G12C mutation",
        "IDH1 R132 mutation",
        "EGFR sensitising mutation",
    ):
        assert required in names, required
    # Every profile and indication cites a source; every drug names supplier and route.
    for drug in protocol.drugs:
        assert drug.supplier
        assert drug.route in set(Route)
        for profile in drug.profiles:
            assert profile.source.strip()
    for indication in protocol.on_label:
        assert indication.source.strip()
    for kind in ("hotspots", "variant_classes", "exons"):
        assert protocol.knowledge.sources[kind].strip()
    groups = {group.name for group in protocol.tumour_groups}
    assert {"Pancreatic", "Cholangiocarcinoma", "Colorectal", "NSCLC", "Breast", "Urothelial"} <= groups
    assert {"Salivary gland", "CUP"} <= groups
    dabrafenib = protocol.drug("dabrafenib+trametinib")
    assert dabrafenib is not None
    assert protocol.slot_budget(dabrafenib) == ("dabrafenib+trametinib", 100)
    selpercatinib = protocol.drug("selpercatinib")
    assert selpercatinib is not None
    assert protocol.slot_budget(selpercatinib) == ("selpercatinib", 24)
    talazoparib = protocol.drug("talazoparib")
    assert talazoparib is not None
    assert protocol.slot_budget(talazoparib) == ("Pfizer PARP/CDK agreement", 48)


def test_default_protocol_rules_have_expected_shape(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    erbb2 = protocol.biomarker("ERBB2 amplification")
    assert erbb2 is not None
    assert isinstance(erbb2.rule, AllOf)
    assert erbb2.rule.rules[0] == AmplificationRule("ERBB2", min_fold_change=2.0, min_copy_number=6.0)
    assert isinstance(erbb2.rule.rules[1], Not)
    kras = protocol.biomarker("KRAS G12C mutation")
    assert kras is not None
    assert kras.rule == ProteinChangeRule("KRAS", ("p.G12C",))
    tacc3 = protocol.biomarker("FGFR3-TACC3 fusion")
    assert tacc3 is not None
    assert tacc3.rule == FusionRule("FGFR3", ("TACC3",))


def test_eligibility_override_takes_precedence(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    olaparib = protocol.drug("olaparib")
    assert olaparib is not None
    merged = protocol.eligibility_for(olaparib)
    clearance = merged.criterion("creatinine_clearance")
    assert clearance is not None
    assert clearance.limit == 31
    ecog = merged.criterion("ecog")
    assert ecog is not None
    assert ecog.limit == 2


# --- malformed files: each error names file, line and YAML path --------------------------------


def _expect_error(text: str, tumour_types: TumourTypes, line: int, path: str, words: str) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse(text, tumour_types)
    message = str(caught.value)
    assert message.startswith(f"test.yaml:{line}: "), message
    assert f"field '{path}'" in message, message
    assert words in message, message
    assert "\n" not in message
    return message


def test_unknown_key_names_line_path_and_allowed_keys(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("rule: {gene: BRAF, codon: V600}", "rule: {gen: BRAF, codon: V600}")
    message = _expect_error(text, tumour_types, line_of(text, "gen: BRAF"), "biomarkers[0].rule", "unknown key 'gen'")
    assert "allowed keys:" in message
    assert "gene" in message


def test_unknown_key_in_drug_profile_rule(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("rule: {gene: PIK3CA, hotspot: true}", "rule: {gene: PIK3CA, hotspots: true}")
    _expect_error(text, tumour_types, line_of(text, "hotspots: true"), "drugs[1].profiles[0].rule", "unknown key")


def test_wrong_type(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace(
        "    supplier: Novartis\n    route: oral\n", "    supplier: Novartis\n    route: oral\n    slots: many\n", 1
    )
    _expect_error(text, tumour_types, line_of(text, "slots: many"), "drugs[0].slots", "expected a whole number")


def test_missing_drug_name(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("  - generic_names: [alpelisib]\n    supplier", "  - supplier")
    _expect_error(text, tumour_types, line_of(text, "  - supplier"), "drugs[1]", "missing required key 'generic_names'")


def test_bad_yaml_syntax(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("name: Test protocol", "name: [Test protocol")
    with pytest.raises(ProtocolError) as caught:
        parse(text, tumour_types)
    message = str(caught.value)
    assert re.match(r"^test\.yaml:\d+: not valid YAML", message), message


def test_duplicate_drug(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("generic_names: [alpelisib]", "generic_names: [trametinib, dabrafenib]")
    _expect_error(
        text,
        tumour_types,
        line_of(text, "generic_names: [trametinib, dabrafenib]"),
        "drugs[1].generic_names",
        "duplicate drug 'dabrafenib+trametinib'",
    )


def test_unknown_tumour_type_code(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("oncotree: [CHOL]", "oncotree: [CHOLX]")
    _expect_error(
        text, tumour_types, line_of(text, "CHOLX"), "tumour_groups[0].oncotree[0]", "unknown OncoTree code 'CHOLX'"
    )


def test_reference_to_undefined_group(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace(
        "        source: EMA SmPC Tafinlar 4.1\n",
        "        source: EMA SmPC Tafinlar 4.1\n        tumour_groups: [Pancreatic]\n",
    )
    message = _expect_error(
        text,
        tumour_types,
        line_of(text, "tumour_groups: [Pancreatic]"),
        "drugs[0].profiles[0].tumour_groups",
        "no tumour group named 'Pancreatic'",
    )
    assert "Cholangiocarcinoma" in message


def test_reference_to_undefined_biomarker(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("      - biomarker: BRAF V600 mutation", "      - biomarker: BRAF V601 mutation")
    _expect_error(
        text,
        tumour_types,
        line_of(text, "BRAF V601"),
        "drugs[0].profiles[0].biomarker",
        "no biomarker named 'BRAF V601 mutation'",
    )


def test_bad_protein_change(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("rule: {gene: BRAF, codon: V600}", "rule: {gene: BRAF, protein: [V600Q9]}")
    _expect_error(text, tumour_types, line_of(text, "V600Q9"), "biomarkers[0].rule.protein[0]", "not HGVS")


def test_gene_rule_needs_exactly_one_kind(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("rule: {gene: BRAF, codon: V600}", "rule: {gene: BRAF, codon: V600, hotspot: true}")
    _expect_error(text, tumour_types, line_of(text, "hotspot: true}"), "biomarkers[0].rule", "exactly one of")


def test_hotspot_rule_needs_knowledge(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("rule: {gene: PIK3CA, hotspot: true}", "rule: {gene: AKT1, hotspot: true}")
    _expect_error(
        text, tumour_types, line_of(text, "AKT1, hotspot"), "drugs[1].profiles[0].rule.hotspot", "no hotspot codons"
    )


def test_bad_cohort_rule(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace('version: "1"\n', 'version: "1"\ncohort_rule: {r1: 3, n1: 2, r: 4, n: 24}\n')
    _expect_error(text, tumour_types, line_of(text, "cohort_rule"), "cohort_rule", "two-stage rule needs")


def test_bad_evidence_level(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace(
        "evidence: label\n        source: EMA SmPC Tafinlar", "evidence: strong\n        source: EMA SmPC Tafinlar"
    )
    message = _expect_error(
        text, tumour_types, line_of(text, "evidence: strong"), "drugs[0].profiles[0].evidence", "'strong' is not one of"
    )
    assert "label, guideline, clinical, preclinical" in message


def test_bad_route(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("route: oral", "route: rectal", 1)
    _expect_error(text, tumour_types, line_of(text, "rectal"), "drugs[0].route", "'rectal' is not one of")


def test_code_in_two_groups(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("oncotree: [NSCLC]", "oncotree: [NSCLC, CHOL]")
    _expect_error(
        text, tumour_types, line_of(text, "[NSCLC, CHOL]"), "tumour_groups[1].oncotree[1]", "already in group"
    )


def test_on_label_needs_known_biomarker(tumour_types: TumourTypes) -> None:
    text = MINIMAL + "on_label:\n  - {drug: dabrafenib+trametinib, biomarker: Nope, tumour_types: [MEL], source: x}\n"
    _expect_error(text, tumour_types, line_of(text, "biomarker: Nope"), "on_label[0].biomarker", "no biomarker named")


def test_on_label_tumour_agnostic(tumour_types: TumourTypes) -> None:
    text = (
        MINIMAL
        + "on_label:\n  - {drug: trametinib+dabrafenib, biomarker: BRAF V600 mutation, tumour_types: any, source: x}\n"
    )
    protocol = parse(text, tumour_types)
    assert protocol.on_label[0].tumour_agnostic
    assert protocol.on_label[0].drug == "dabrafenib+trametinib"


def test_empty_file(tumour_types: TumourTypes) -> None:
    with pytest.raises(ProtocolError, match=r"^test\.yaml: the file is empty"):
        parse("", tumour_types)


def test_missing_file(tmp_path: Path, tumour_types: TumourTypes) -> None:
    with pytest.raises(ProtocolError, match="no such protocol file"):
        load_protocol(tmp_path / "absent.yaml", tumour_types)


def test_bad_icd10_code(tumour_types: TumourTypes) -> None:
    text = MINIMAL.replace("    oncotree: [CHOL]\n", "    oncotree: [CHOL]\n    icd10: [C22.1, X2]\n")
    _expect_error(text, tumour_types, line_of(text, "icd10: [C22.1, X2]"), "tumour_groups[0].icd10[1]", "'X2' is not")
