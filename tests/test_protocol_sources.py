"""Every biomarker profile cites its source; every tumour group of the default protocol has ICD-10 codes, and an
ICD-10 code never overrules an OncoTree diagnosis of the same tissue."""

from __future__ import annotations

import subprocess
import sys

import pytest

from oncobasket.core.errors import ProtocolError
from oncobasket.core.matching import PatientFacts, tumour_group
from oncobasket.core.protocol import Protocol
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol, parse_protocol

PROTOCOL = """\
protocol: 1
name: Sources
version: "1"
tumour_groups:
  - {name: NSCLC, oncotree: [NSCLC], icd10: [C34]}
  - {name: CUP, oncotree: [CUP], icd10: [C80]}
  - {name: Brain, icd10: [C71]}
drugs:
  - generic_names: [dabrafenib, trametinib]
    supplier: Novartis
    route: oral
    profiles:
      - biomarker: BRAF V600 mutation
        rule: {gene: BRAF, codon: V600}
        evidence: label
        source: EMA SmPC Tafinlar 4.1
"""
SOURCE_LINE = "        source: EMA SmPC Tafinlar 4.1\n"


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


@pytest.fixture(scope="module")
def default(tumour_types: TumourTypes) -> Protocol:
    return load_protocol(default_protocol_path(), tumour_types)


def _error(text: str, tumour_types: TumourTypes) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, source="p.yaml", tumour_types=tumour_types)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- sources ------------------------------------------------------------------------------------------------


def test_a_profile_without_source_names_file_line_path_and_fix(tumour_types: TumourTypes) -> None:
    message = _error(PROTOCOL.replace(SOURCE_LINE, ""), tumour_types)
    assert message.startswith(
        "p.yaml:13: field 'drugs[0].profiles[0].source': biomarker profile 'BRAF V600 mutation' has no source; "
    )
    assert "cite the label section or guideline" in message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "is nothing (null)"),
        ("~", "is nothing (null)"),
        ('""', "is empty, not a citation"),
        ("TODO", "is 'TODO', not a citation"),
        ("tbd.", "is 'tbd.', not a citation"),
        ("n/a", "is 'n/a', not a citation"),
        ("'?'", "is '?', not a citation"),
        ("[EMA]", "is a list"),
        ("{label: x}", "is a mapping"),
    ],
)
def test_a_blank_or_placeholder_source_is_refused(tumour_types: TumourTypes, value: str, words: str) -> None:
    text = PROTOCOL.replace(SOURCE_LINE, f"        source: {value}\n")
    message = _error(text, tumour_types)
    assert message.startswith("p.yaml:16: field 'drugs[0].profiles[0].source': the source of biomarker profile")
    assert words in message


def test_a_real_citation_is_kept(tumour_types: TumourTypes) -> None:
    text = PROTOCOL.replace(SOURCE_LINE, "        source: '  NCCN NSCLC v3.2025  '\n")
    protocol = parse_protocol(text, source="p.yaml", tumour_types=tumour_types)
    assert protocol.drugs[0].profiles[0].source == "NCCN NSCLC v3.2025"


def test_every_default_profile_cites_a_label_or_guideline(default: Protocol) -> None:
    for drug in default.drugs:
        for profile in drug.profiles:
            assert len(profile.source) > 10, (drug.key, profile.biomarker.name)


def test_protocol_check_passes_on_the_default_protocol() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", "protocol", "check", str(default_protocol_path())],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no retired codes, nothing to warn about
    assert "valid protocol" in done.stdout


# --- ICD-10 ---------------------------------------------------------------------------------------------------


def test_every_default_group_lists_icd10_codes(default: Protocol) -> None:
    for group in default.tumour_groups:
        assert group.icd10, group.name
    icd10 = {group.name: set(group.icd10) for group in default.tumour_groups}
    assert icd10["NSCLC"] == {"C34"}
    assert icd10["Glioma"] == {"C71"}
    assert icd10["Sarcoma"] == {"C40", "C41", "C48.0", "C49"}
    assert {"C00", "C06", "C09", "C14", "C30", "C31", "C32"} <= icd10["Head and neck"]
    assert not {"C07", "C08"} & icd10["Head and neck"]  # the salivary glands are their own group
    assert {"C07", "C08"} == icd10["Salivary gland"]
    listed = [code for group in default.tumour_groups for code in group.icd10]
    assert len(listed) == len(set(listed))


def test_an_icd10_code_in_two_groups_is_refused(tumour_types: TumourTypes) -> None:
    text = PROTOCOL.replace("icd10: [C71]", "icd10: [C71, C34]")
    message = _error(text, tumour_types)
    assert message.startswith("p.yaml:7: field 'tumour_groups[2].icd10[1]': ICD-10 code C34 is already in group")


@pytest.mark.parametrize(
    ("code", "icd10", "group"),
    [
        ("LUNG", "C34.1", "NSCLC"),  # a less specific OncoTree code: ICD-10 places it
        ("LUAD", None, "NSCLC"),
        ("SCLC", "C34.1", "Small Cell Lung Cancer"),  # same tissue, another diagnosis: OncoTree decides
        ("SKCM", "C80.9", "CUP"),  # another tissue: ICD-10 places it
        ("MBL", "C71.6", "Brain"),  # the group lists no OncoTree code: ICD-10 alone decides
    ],
)
def test_icd10_places_but_never_overrules_the_oncotree_diagnosis(
    tumour_types: TumourTypes, code: str, icd10: str | None, group: str
) -> None:
    protocol = parse_protocol(PROTOCOL, source="p.yaml", tumour_types=tumour_types)
    assert tumour_group(protocol, tumour_types, PatientFacts(tumour_type=code, icd10=icd10)) == group


@pytest.mark.parametrize(
    ("code", "icd10", "group"),
    [
        ("LUNG", "C34.9", "NSCLC"),
        ("SCLC", "C34.9", "Small Cell Lung Cancer"),
        ("BRAIN", "C71.9", "Glioma"),
        ("MBL", "C71.6", "Embryonal Tumor"),
        ("HEAD_NECK", "C32.0", "Head and neck"),
        ("TISSUE", "C07", "Salivary gland"),
        ("SOFT_TISSUE", "C49.2", "Sarcoma"),
        ("PANET", "C25.4", "Pancreatic Cancer"),  # its OncoTree main type, not the adenocarcinoma group
        ("OVARY", "C57.0", "Ovarian"),
    ],
)
def test_default_groups_by_icd10(
    default: Protocol, tumour_types: TumourTypes, code: str, icd10: str, group: str
) -> None:
    assert tumour_group(default, tumour_types, PatientFacts(tumour_type=code, icd10=icd10)) == group
