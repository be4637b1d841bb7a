"""Gene symbols in protocol files: unknown symbols fail, previous symbols warn, errors name the path as given.

docs/protocol.md, "Gene symbols": every gene a rule or a knowledge list names is checked against the genes
OncoBasket knows (core/genes.py: the TSO500 panel, the HGNC previous-symbol map, recurrent fusion partners)
and the protocol's own ``knowledge.gene_symbols``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oncobasket.core.errors import ProtocolError
from oncobasket.core.genes import KNOWN_GENES
from oncobasket.core.matching import PatientFacts, evaluate_profile
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile
from oncobasket.core.protocol import AmplificationRule, CodonRule, FusionRule, HotspotRule, Protocol
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.oncotree import load_shipped_tumour_types
from oncobasket.io.protocol_file import default_protocol_path, load_protocol, parse_protocol

PROTOCOL = """\
protocol: 1
name: Gene test protocol
version: "1"
tumour_groups:
  - {name: NSCLC, oncotree: [NSCLC]}
knowledge:
  hotspots:
    source: test list
    genes:
      PIK3CA: [E545, H1047]
biomarkers:
  - name: BRAF V600 mutation
    rule: {gene: BRAF, codon: V600}
  - name: RET fusion
    rule: {fusion: {gene: RET, partner: [KIF5B, CCDC6]}}
drugs:
  - generic_names: [dabrafenib, trametinib]
    supplier: Novartis
    route: oral
    profiles:
      - biomarker: BRAF V600 mutation
        evidence: label
        source: EMA SmPC Tafinlar 4.1
  - generic_names: [selpercatinib]
    supplier: Eli Lilly
    route: oral
    profiles:
      - biomarker: RET fusion
        evidence: label
        source: EMA SmPC Retsevmo 4.1
"""


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


def _parse(text: str, tumour_types: TumourTypes) -> Protocol:
    return parse_protocol(text, source="prot/genes.yaml", tumour_types=tumour_types)


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def _error(text: str, tumour_types: TumourTypes) -> str:
    with pytest.raises(ProtocolError) as caught:
        _parse(text, tumour_types)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_plain_protocol_passes_without_warnings(tumour_types: TumourTypes) -> None:
    protocol = _parse(PROTOCOL, tumour_types)
    assert protocol.warnings == ()
    assert protocol.biomarkers[0].rule == CodonRule("BRAF", ("V600",))
    assert protocol.biomarkers[1].rule == FusionRule("RET", ("KIF5B", "CCDC6"))


# --- unknown symbols ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "written", "hint"),
    [
        ("{gene: BRAF, codon: V600}", "{gene: BRAFF, codon: V600}", "biomarkers[0].rule.gene", "BRAFF", "BRAF"),
        ("{fusion: {gene: RET,", "{fusion: {gene: RETT,", "biomarkers[1].rule.fusion.gene", "RETT", "RET"),
        ("[KIF5B, CCDC6]", "[KIF5B, CCDC66]", "biomarkers[1].rule.fusion.partner[1]", "CCDC66", "CCDC6"),
        ("      PIK3CA: [E545", "      PIK3CAA: [E545", "knowledge.hotspots.genes.PIK3CAA", "PIK3CAA", "PIK3CA"),
        ("{gene: BRAF, codon: V600}", "{gene: NOTAGENE1, codon: V600}", "biomarkers[0].rule.gene", "NOTAGENE1", None),
        ("{gene: BRAF, codon: V600}", "{gene: 123, codon: V600}", "biomarkers[0].rule.gene", "123", None),
    ],
)
def test_an_unknown_symbol_is_an_error_naming_file_line_and_path(
    old: str, new: str, path: str, written: str, hint: str | None, tumour_types: TumourTypes
) -> None:
    text = PROTOCOL.replace(old, new)
    assert text != PROTOCOL
    message = _error(text, tumour_types)
    line = _line_of(text, new.strip())
    assert message.startswith(f"prot/genes.yaml:{line}: field '{path}': unknown gene symbol '{written}' "), message
    assert "write the current HGNC symbol" in message
    assert "knowledge.gene_symbols" in message
    if hint is None:
        assert "did you mean" not in message
    else:
        assert f"(did you mean {hint}" in message


def test_an_inline_profile_rule_is_checked_too(tumour_types: TumourTypes) -> None:
    text = PROTOCOL.replace(
        "      - biomarker: RET fusion\n",
        "      - biomarker: KRAS G12C\n        rule: {gene: KRASS, protein: [G12C]}\n",
    )
    message = _error(text, tumour_types)
    assert "field 'drugs[1].profiles[0].rule.gene': unknown gene symbol 'KRASS'" in message
    assert "did you mean KRAS" in message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("BRAF V600", "'BRAF V600' is not a gene symbol"),
        ("'-BRAF'", "'-BRAF' is not a gene symbol"),
        ("[BRAF]", "expected text, found a list"),
        ("null", "expected text, found nothing (null)"),
    ],
)
def test_a_malformed_symbol_is_an_error(value: str, words: str, tumour_types: TumourTypes) -> None:
    text = PROTOCOL.replace("{gene: BRAF, codon: V600}", f"{{gene: {value}, codon: V600}}")
    message = _error(text, tumour_types)
    assert "field 'biomarkers[0].rule.gene'" in message
    assert words in message


# --- previous symbols -----------------------------------------------------------------------------------------------


def test_a_previous_symbol_is_accepted_with_a_warning_and_matched_as_the_current_one(
    tumour_types: TumourTypes,
) -> None:
    text = PROTOCOL.replace("{gene: BRAF, codon: V600}", "{gene: MYCL1, amplification: true}").replace(
        "BRAF V600 mutation", "MYCL amplification"
    )
    protocol = _parse(text, tumour_types)
    assert protocol.biomarkers[0].rule == AmplificationRule("MYCL")
    line = _line_of(text, "MYCL1")
    assert protocol.warnings == (
        f"prot/genes.yaml:{line}: field 'biomarkers[0].rule.gene': MYCL1 is a previous HGNC symbol of MYCL: "
        "matching uses MYCL; write MYCL in the protocol",
    )
    # A reader reports MYCL1 as MYCL (keeping MYCL1 as reported_gene): the rule matches it.
    amplified = Alteration(
        gene="MYCL", reported_gene="MYCL1", kind=AlterationKind.AMPLIFICATION, fold_change=4.0, copy_number=8.0
    )
    result = evaluate_profile(
        MolecularProfile(sample_id="S1", alterations=(amplified,)),
        PatientFacts(tumour_type="LUAD", age=60, ecog=0),
        protocol,
        tumour_types,
    )
    assert [(match.drug, match.biomarker) for match in result.matches] == [
        ("dabrafenib+trametinib", "MYCL amplification")
    ]


@pytest.mark.parametrize(
    ("written", "current"),
    [("C11orf30", "EMSY"), ("FAM123B", "AMER1"), ("HIST1H3A", "H3C1"), ("MLL", "KMT2A"), ("SEPT14", "SEPTIN14")],
)
def test_previous_symbols_in_any_place_become_current(written: str, current: str, tumour_types: TumourTypes) -> None:
    text = PROTOCOL.replace("partner: [KIF5B, CCDC6]", f"partner: [KIF5B, {written}]")
    protocol = _parse(text, tumour_types)
    assert protocol.biomarkers[1].rule == FusionRule("RET", ("KIF5B", current))
    assert len(protocol.warnings) == 1
    assert f"{written} is a previous HGNC symbol of {current}" in protocol.warnings[0]
    assert "field 'biomarkers[1].rule.fusion.partner[1]'" in protocol.warnings[0]


# --- genes declared by the protocol ---------------------------------------------------------------------------------

DECLARED = """\
  gene_symbols:
    source: "HGNC (genenames.org), 2025-06"
    genes: [CCDC170]
"""


def test_a_declared_gene_may_be_named_by_rules_and_lists(tumour_types: TumourTypes) -> None:
    # gene_symbols comes after hotspots in the file, yet the hotspot list may name the declared gene.
    text = (
        PROTOCOL.replace(
            "      PIK3CA: [E545, H1047]\n", "      PIK3CA: [E545, H1047]\n      CCDC170: [R30]\n" + DECLARED
        )
        .replace("partner: [KIF5B, CCDC6]", "partner: [KIF5B, CCDC170]")
        .replace("{gene: BRAF, codon: V600}", "{gene: CCDC170, hotspot: true}")
    )
    protocol = _parse(text, tumour_types)
    assert protocol.knowledge.gene_symbols == frozenset({"CCDC170"})
    assert protocol.knowledge.sources["gene_symbols"] == "HGNC (genenames.org), 2025-06"
    assert protocol.biomarkers[0].rule == HotspotRule("CCDC170")
    assert protocol.biomarkers[1].rule == FusionRule("RET", ("KIF5B", "CCDC170"))
    assert protocol.warnings == ()


def test_an_undeclared_gene_off_the_panel_is_an_error(tumour_types: TumourTypes) -> None:
    message = _error(PROTOCOL.replace("partner: [KIF5B, CCDC6]", "partner: [KIF5B, CCDC170]"), tumour_types)
    assert "unknown gene symbol 'CCDC170'" in message


@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        ("  gene_symbols:\n    genes: [CCDC170]\n", "knowledge.gene_symbols", "missing required key 'source'"),
        ("  gene_symbols:\n    source: HGNC\n", "knowledge.gene_symbols", "missing required key 'genes'"),
        ("  gene_symbols:\n    source: HGNC\n    genes: [CCDC 170]\n", "knowledge.gene_symbols.genes[0]", "not a gene"),
        (
            "  gene_symbols:\n    source: HGNC\n    genes: [MYCL1]\n",
            "knowledge.gene_symbols.genes[0]",
            "MYCL1 is a previous HGNC symbol of MYCL; write MYCL in the rules",
        ),
        ("  gene_symbols:\n    source: HGNC\n    genes: {CCDC170: 1}\n", "knowledge.gene_symbols.genes", "a list"),
    ],
)
def test_malformed_declarations_are_errors(section: str, path: str, words: str, tumour_types: TumourTypes) -> None:
    text = PROTOCOL.replace("knowledge:\n", "knowledge:\n" + section)
    message = _error(text, tumour_types)
    assert f"field '{path}'" in message, message
    assert words in message, message


# --- the shipped default --------------------------------------------------------------------------------------------


def test_every_gene_of_the_default_protocol_is_known_and_current(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    assert protocol.warnings == ()
    assert protocol.knowledge.gene_symbols == frozenset()
    named: set[str] = set()
    for leaf in protocol.leaves():
        gene = getattr(leaf, "gene", None)
        if isinstance(gene, str):
            named.add(gene)
        named.update(getattr(leaf, "partners", ()))
    named.update(protocol.knowledge.hotspots, protocol.knowledge.variant_classes, protocol.knowledge.exons)
    assert len(named) > 30
    assert named <= KNOWN_GENES, sorted(named - KNOWN_GENES)


# --- the command line: the path as the user gave it -----------------------------------------------------------------


def _check(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", "protocol", "check", *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_protocol_check_rejects_an_unknown_gene_naming_the_path_as_given(tmp_path: Path) -> None:
    text = default_protocol_path().read_text(encoding="utf-8")
    broken = text.replace("{gene: BRAF, codon: V600}", "{gene: BRAFF, codon: V600}", 1)
    assert broken != text
    (tmp_path / "prot").mkdir()
    (tmp_path / "prot" / "p1.yaml").write_text(broken, encoding="utf-8")
    done = _check(tmp_path, "prot/p1.yaml")
    assert done.returncode == 1
    assert done.stdout == ""
    line = _line_of(broken, "gene: BRAFF")
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: prot/p1.yaml:{line}: field 'biomarkers["), lines[0]
    assert "unknown gene symbol 'BRAFF'" in lines[0]
    assert "did you mean BRAF?" in lines[0]
    # An absolute path stays absolute.
    absolute = _check(tmp_path, str(tmp_path / "prot" / "p1.yaml"))
    assert absolute.stderr.startswith(f"error: {tmp_path / 'prot' / 'p1.yaml'}:{line}: ")


def test_protocol_check_warns_about_a_previous_symbol_and_passes(tmp_path: Path) -> None:
    text = default_protocol_path().read_text(encoding="utf-8")
    # One rule written with a previous symbol: MLL is KMT2A's.
    changed = text.replace("{gene: BRAF, codon: V600}", "{gene: MLL, mutation: any}", 1)
    assert changed != text
    (tmp_path / "prot").mkdir()
    (tmp_path / "prot" / "p2.yaml").write_text(changed, encoding="utf-8")
    done = _check(tmp_path, "prot/p2.yaml", "--json")
    assert done.returncode == 0, done.stderr
    line = _line_of(changed, "gene: MLL,")
    warning = done.stderr.strip().splitlines()[0]
    assert warning.startswith(f"warning: prot/p2.yaml:{line}: field 'biomarkers["), warning
    assert "MLL is a previous HGNC symbol of KMT2A: matching uses KMT2A; write KMT2A in the protocol" in warning
    assert json.loads(done.stdout)["warnings"] == [warning.removeprefix("warning: ")]


def test_load_protocol_names_the_path_it_was_given(tmp_path: Path, tumour_types: TumourTypes) -> None:
    path = tmp_path / "nested" / "p3.yaml"
    path.parent.mkdir()
    path.write_text(PROTOCOL.replace('version: "1"\n', ""), encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path, tumour_types)
    assert str(caught.value).startswith(f"{path}:1: ")
    assert load_protocol(default_protocol_path(), tumour_types).source == str(default_protocol_path())
