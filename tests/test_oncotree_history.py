"""Retired OncoTree codes (OncoTree history modeling): mapped to their one successor with a warning naming
both codes, the entered code kept; ambiguous and unknown codes are errors naming the field and the fix."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from oncobasket.core.errors import FormatError, InputError, ProtocolError
from oncobasket.core.matching import PatientFacts, evaluate_profile, resolve_patient, tumour_group
from oncobasket.core.profiles import Alteration, AlterationKind, MolecularProfile
from oncobasket.core.screening import MATCH_COLUMNS, screen_profiles
from oncobasket.core.tumour_types import CodeChange, TumourType, TumourTypes
from oncobasket.io.ctml import load_ctml, match_ctml
from oncobasket.io.oncotree import load_shipped_tumour_types, read_oncotree_json, read_subset
from oncobasket.io.protocol_file import default_protocol_path, load_protocol, parse_protocol

SUBSET_HEADER = "code\tparent\tlevel\tmain_type\ttissue\tname\thistory\tprecursors\trevocations\n"

PROTOCOL = """\
protocol: 1
name: Retired codes
version: "1"
tumour_groups:
  - name: Glioma
    oncotree: [DIFG]
  - name: Glioblastoma
    oncotree: [GBM]
drugs:
  - generic_names: [dabrafenib, trametinib]
    supplier: Novartis
    route: oral
    profiles:
      - biomarker: BRAF V600 mutation
        rule: {gene: BRAF, codon: V600}
        evidence: label
        source: EMA SmPC Tafinlar 4.1
        excluded_tumour_types: [DIPG]
"""


@pytest.fixture(scope="module")
def tumour_types() -> TumourTypes:
    return load_shipped_tumour_types()


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", *arguments], capture_output=True, text=True, check=False, timeout=120
    )


def _braf_profile(sample_id: str = "S1") -> MolecularProfile:
    return MolecularProfile(
        sample_id=sample_id,
        alterations=(Alteration(gene="BRAF", kind=AlterationKind.MUTATION, protein_change="p.V600E"),),
    )


# --- the hierarchy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "current", "change"),
    [
        ("GBM", "GB", CodeChange.REVOKED),  # WHO CNS5: glioblastoma is now IDH-wildtype only
        ("gbm", "GB", CodeChange.REVOKED),
        (" AODG ", "ODG", CodeChange.REVOKED),
        ("DIPG", "DMG", CodeChange.MERGED),
        ("TALL", "TLL", CodeChange.MERGED),
        ("BLOOD", "MYELOID", CodeChange.RENAMED),
        ("MFT", "FT", CodeChange.RENAMED),
    ],
)
def test_a_retired_code_maps_to_its_one_successor_with_a_warning(
    tumour_types: TumourTypes, entered: str, current: str, change: CodeChange
) -> None:
    resolved = tumour_types.resolve(entered)
    assert resolved.entered == entered.strip().upper()
    assert resolved.code == current
    assert resolved.mapped
    assert resolved.warning is not None
    assert resolved.entered in resolved.warning
    assert current in resolved.warning
    assert tumour_types.version in resolved.warning
    retired = tumour_types.retired(entered)
    assert retired is not None
    assert retired.change is change
    assert retired.successors == (current,)


def test_a_current_code_is_kept_as_it_is(tumour_types: TumourTypes) -> None:
    resolved = tumour_types.resolve("luad")
    assert (resolved.entered, resolved.code, resolved.warning, resolved.mapped) == ("LUAD", "LUAD", None, False)
    # SpCC is in SPCC's history: the same code in another case is current, never "retired".
    assert tumour_types.resolve("SpCC").code == "SPCC"
    assert tumour_types.retired("SPCC") is None
    assert "GBM" not in tumour_types
    assert tumour_types.lineage("GBM") == ()


def test_a_code_split_in_two_is_a_choice_for_the_user(tumour_types: TumourTypes) -> None:
    with pytest.raises(InputError) as caught:
        tumour_types.resolve("ALL", field="--tumour-type")
    message = str(caught.value)
    assert message.startswith("field '--tumour-type': 'ALL' is a retired OncoTree code")
    assert "BLL" in message
    assert "TLL" in message
    assert "give the one of BLL or TLL" in message


@pytest.mark.parametrize(
    ("code", "words"), [("XYZ", "unknown OncoTree code 'XYZ'"), ("  ", "the tumour type is empty")]
)
def test_unknown_and_empty_codes_are_errors_naming_field_and_fix(
    tumour_types: TumourTypes, code: str, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        tumour_types.resolve(code, field="--tumour-type")
    message = str(caught.value)
    assert message.startswith(f"field '--tumour-type': {words}")
    assert "; " in message  # the fix follows
    assert "\n" not in message


def test_successors_are_current_codes_only() -> None:
    types = TumourTypes(
        {
            "TISSUE": TumourType("TISSUE", "Tissue", None),
            "A": TumourType("A", "a", "TISSUE", history=("OLDA", "B"), revocations=("A",)),
            "B": TumourType("B", "b", "TISSUE", precursors=("OLDB",)),
            "C": TumourType("C", "c", "TISSUE", revocations=("OLDB",)),
        },
        version="test",
    )
    # A current code listed as history (B) or as its own revocation (A) is not retired.
    assert [item.code for item in types.retired_codes()] == ["OLDA", "OLDB"]
    old_b = types.retired("oldb")
    assert old_b is not None
    assert old_b.successors == ("B", "C")
    assert old_b.change is CodeChange.REVOKED  # the weakest tie named


# --- readers ---------------------------------------------------------------------------------------------


def test_the_shipped_subset_carries_the_history_of_its_codes(tumour_types: TumourTypes) -> None:
    retired = {item.code: item.successors for item in tumour_types.retired_codes()}
    assert retired["GBM"] == ("GB",)
    assert retired["ALL"] == ("BLL", "TLL")
    assert tumour_types.types["GNOS"].revocations == ("AOAST", "OAST")


def test_the_full_oncotree_json_gives_the_same_history(shared_data: Path, tumour_types: TumourTypes) -> None:
    full = read_oncotree_json(shared_data / "oncotree" / "oncotree_2025_10_03.json")
    for item in tumour_types:
        other = full.types[item.code]
        assert (other.history, other.precursors, other.revocations) == (
            item.history,
            item.precursors,
            item.revocations,
        ), item.code
    # PTCL lists itself among its revocations; it stays a current code.
    assert full.resolve("PTCL").code == "PTCL"
    assert full.resolve("PTCLNOS").code == "PTCL"
    assert full.resolve("CLL").code == "CLLSLL"


def test_a_subset_without_history_columns_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "types.tsv"
    path.write_text(
        "# version: v1\ncode\tparent\tlevel\tmain_type\ttissue\tname\nTISSUE\t\t0\t\t\tTissue\n", encoding="utf-8"
    )
    types = read_subset(path)
    assert types.version == "v1"
    assert types.retired_codes() == ()


def test_subset_history_cells_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "types.tsv"
    path.write_text(
        SUBSET_HEADER + "TISSUE\t\t0\t\t\tTissue\r\nGB\tTISSUE\t1\tGlioma\tCNS/Brain\tGlioblastoma\t\t\tGBM\r\n",
        encoding="utf-8",
    )
    types = read_subset(path)  # a row may leave empty trailing history cells off; CRLF is fine
    assert types.resolve("GBM").code == "GB"


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("GB\tTISSUE\t1\tGlioma\tCNS/Brain\tGlioblastoma\t\t\tGB M\n", "field 'revocations': 'GB M' is not"),
        ("GB\tTISSUE\t1\tGlioma\tCNS/Brain\tGlioblastoma\tA,,B\t\t\n", "field 'history': '' is not"),
        ("GB\tTISSUE\tone\tGlioma\tCNS/Brain\tGlioblastoma\t\t\t\n", "field 'level': 'one' is not a whole number"),
        ("GB\tTISSUE\t1\tGlioma\tCNS/Brain\tGlioblastoma\t\t\t\textra\n", "10 cells, expected 9"),
    ],
)
def test_malformed_subset_history(tmp_path: Path, row: str, words: str) -> None:
    path = tmp_path / "types.tsv"
    path.write_text(SUBSET_HEADER + "TISSUE\t\t0\t\t\tTissue\n" + row, encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        read_subset(path)
    assert str(caught.value).startswith(f"{path}:3: ")
    assert words in str(caught.value)


@pytest.mark.parametrize("history", ["GBM", [1], ["GB M"], {"a": 1}])
def test_malformed_history_in_oncotree_json(tmp_path: Path, history: object) -> None:
    path = tmp_path / "tree.json"
    tree = {"TISSUE": {"code": "TISSUE", "name": "Tissue", "history": history, "children": {}}}
    path.write_text(json.dumps(tree), encoding="utf-8")
    with pytest.raises(FormatError, match=rf"^{re.escape(str(path))}: field 'TISSUE\.history': 'history' of node"):
        read_oncotree_json(path)


def test_null_history_in_oncotree_json_is_none(tmp_path: Path) -> None:
    path = tmp_path / "tree.json"
    tree = {"TISSUE": {"code": "TISSUE", "name": "Tissue", "history": None, "children": {}}}
    path.write_text(json.dumps(tree), encoding="utf-8")
    assert read_oncotree_json(path).types["TISSUE"].history == ()


# --- the patient's tumour type in matching -----------------------------------------------------------------


def test_matching_a_retired_code_reports_both_codes(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    result = evaluate_profile(_braf_profile(), PatientFacts(tumour_type="GBM"), protocol, tumour_types)
    assert result.tumour_type == "GB"
    assert result.entered_tumour_type == "GBM"
    assert result.tumour_group == "Glioma"
    assert len(result.warnings) == 1
    assert "GBM" in result.warnings[0]
    assert "GB (Glioblastoma, IDH-Wildtype)" in result.warnings[0]
    data = result.as_dict()
    assert (data["tumour_type"], data["entered_tumour_type"]) == ("GB", "GBM")
    assert data["warnings"] == list(result.warnings)
    assert all("/ Glioma /" in (match.cohort or match.cohort_name) for match in result.matches)
    # The same profile entered with the current code gives the same matches, without a warning.
    current = evaluate_profile(_braf_profile(), PatientFacts(tumour_type="GB"), protocol, tumour_types)
    assert [m.as_dict() for m in current.matches] == [m.as_dict() for m in result.matches]
    assert current.warnings == ()
    assert current.as_dict()["entered_tumour_type"] == "GB"
    assert tumour_group(protocol, tumour_types, PatientFacts(tumour_type="gbm")) == "Glioma"


def test_resolve_patient_keeps_facts_other_than_the_code(tumour_types: TumourTypes) -> None:
    facts = PatientFacts(tumour_type="DIPG", age=9, ecog=1)
    resolved, resolution = resolve_patient(facts, tumour_types)
    assert (resolved.tumour_type, resolved.age, resolved.ecog) == ("DMG", 9, 1)
    assert resolution.entered == "DIPG"
    same, _ = resolve_patient(PatientFacts(tumour_type="DMG"), tumour_types)
    assert same.tumour_type == "DMG"


def test_matching_an_ambiguous_or_unknown_code_fails(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    with pytest.raises(InputError, match=r"^field 'tumour type': 'ALL' is a retired OncoTree code"):
        evaluate_profile(_braf_profile(), PatientFacts(tumour_type="ALL"), protocol, tumour_types)
    with pytest.raises(InputError, match=r"^field 'tumour type': unknown OncoTree code 'NOPE'"):
        evaluate_profile(_braf_profile(), PatientFacts(tumour_type="NOPE"), protocol, tumour_types)


def test_match_cli_warns_on_stderr_and_keeps_the_entered_code(tmp_path: Path) -> None:
    maf = tmp_path / "one.maf"
    maf.write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\n"
        "BRAF\tPT-1\tMissense_Mutation\tp.V600E\n",
        encoding="utf-8",
    )
    done = _run("match", str(maf), "--tumour-type", "gbm", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)[0]
    assert (result["tumour_type"], result["entered_tumour_type"], result["tumour_group"]) == ("GB", "GBM", "Glioma")
    assert done.stderr.startswith("warning: tumour type: OncoTree code GBM is retired")
    assert done.stderr.count("\n") == 1
    people = _run("match", str(maf), "--tumour-type", "GBM")
    assert "Sample PT-1: GB, entered as GBM (tumour group Glioma)" in people.stdout
    for code, words in (("ALL", "'ALL' is a retired OncoTree code"), ("XYZ", "unknown OncoTree code 'XYZ'")):
        bad = _run("match", str(maf), "--tumour-type", code)
        assert bad.returncode == 1
        assert bad.stderr.startswith(f"error: field 'tumour type': {words}")
        assert bad.stderr.count("\n") == 1


# --- the protocol's tumour types ------------------------------------------------------------------------------


def test_protocol_codes_map_with_a_warning_naming_line_and_both_codes(tumour_types: TumourTypes) -> None:
    protocol = parse_protocol(PROTOCOL, source="p.yaml", tumour_types=tumour_types)
    assert protocol.group("Glioblastoma") is not None
    assert protocol.group("Glioblastoma").oncotree == ("GB",)  # type: ignore[union-attr]
    assert protocol.drugs[0].profiles[0].excluded_tumour_types == ("DMG",)
    assert len(protocol.warnings) == 2
    first, second = protocol.warnings
    assert first.startswith("p.yaml:8: field 'tumour_groups[1].oncotree[0]': OncoTree code GBM is retired")
    assert first.endswith("write GB in the protocol")
    assert second.startswith("p.yaml:18: field 'drugs[0].profiles[0].excluded_tumour_types[0]': OncoTree code DIPG")
    # GB is the nearer listed code: a GB patient is in the Glioblastoma group, an astrocytoma in Glioma.
    assert tumour_group(protocol, tumour_types, PatientFacts(tumour_type="GB")) == "Glioblastoma"
    assert tumour_group(protocol, tumour_types, PatientFacts(tumour_type="ASTR")) == "Glioma"


def test_protocol_with_an_ambiguous_retired_code_fails_with_line_and_path(tumour_types: TumourTypes) -> None:
    text = PROTOCOL.replace("oncotree: [GBM]", "oncotree: [ALL]")
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, source="p.yaml", tumour_types=tumour_types)
    message = str(caught.value)
    assert message.startswith("p.yaml:8: field 'tumour_groups[1].oncotree[0]': 'ALL' is a retired OncoTree code")
    assert "BLL or TLL" in message


def test_a_retired_code_and_its_successor_in_two_groups_collide(tumour_types: TumourTypes) -> None:
    text = PROTOCOL.replace("oncotree: [DIFG]", "oncotree: [GB]")
    with pytest.raises(ProtocolError, match=r"^p\.yaml:8: .*OncoTree code GB is already in group 'Glioma'"):
        parse_protocol(text, source="p.yaml", tumour_types=tumour_types)


def test_protocol_check_prints_the_warning_and_passes(tmp_path: Path) -> None:
    path = tmp_path / "retired.yaml"
    path.write_text(PROTOCOL, encoding="utf-8")
    done = _run("protocol", "check", str(path), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert len(summary["warnings"]) == 2
    assert done.stderr.splitlines()[0].startswith(f"warning: {path}:8: field 'tumour_groups[1].oncotree[0]'")


# --- batch screening ------------------------------------------------------------------------------------------------


def test_batch_screening_maps_retired_codes_and_keeps_them_in_the_table(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    profiles = [_braf_profile("S1"), _braf_profile("S2"), _braf_profile("S3")]
    patients = {
        "S1": PatientFacts(tumour_type="GBM"),
        "S2": PatientFacts(tumour_type="GB"),
        "S3": PatientFacts(tumour_type="GBM"),
    }
    result = screen_profiles(profiles, patients, protocol, tumour_types)
    assert tuple(result.matches.columns) == MATCH_COLUMNS
    rows = result.matches.select("sample_id", "tumour_type", "entered_tumour_type", "tumour_group").unique()
    by_sample = {row["sample_id"]: row for row in rows.iter_rows(named=True)}
    assert by_sample["S1"] == {
        "sample_id": "S1",
        "tumour_type": "GB",
        "entered_tumour_type": "GBM",
        "tumour_group": "Glioma",
    }
    assert by_sample["S2"]["entered_tumour_type"] == "GB"
    assert len(result.warnings) == 1
    assert "OncoTree code GBM is retired" in result.warnings[0]
    assert result.warnings[0].endswith("(2 sample(s))")
    # Same matches as the samples entered with the current code.
    plain = screen_profiles(profiles, dict.fromkeys(patients, PatientFacts(tumour_type="GB")), protocol, tumour_types)
    assert result.matches.drop("entered_tumour_type").equals(plain.matches.drop("entered_tumour_type"))


def test_batch_screening_refuses_an_ambiguous_code_naming_the_samples(tumour_types: TumourTypes) -> None:
    protocol = load_protocol(default_protocol_path(), tumour_types)
    with pytest.raises(InputError) as caught:
        screen_profiles([_braf_profile("S9")], {"S9": PatientFacts(tumour_type="ALL")}, protocol, tumour_types)
    message = str(caught.value)
    assert message.startswith("field 'tumour type': 'ALL' is a retired OncoTree code")
    assert "(sample(s) S9)" in message


def test_screen_cli_warns_and_reports_the_mapping(tmp_path: Path) -> None:
    maf = tmp_path / "study.maf"
    maf.write_text(
        "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\tONCOTREE_CODE\n"
        "BRAF\tPT-1\tMissense_Mutation\tp.V600E\tGBM\n"
        "BRAF\tPT-2\tMissense_Mutation\tp.V600E\tLUAD\n",
        encoding="utf-8",
    )
    out = tmp_path / "matches.tsv"
    done = _run("screen", str(maf), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert len(summary["warnings"]) == 1
    assert "warning: tumour type: OncoTree code GBM is retired" in done.stderr
    table = pl.read_csv(out, separator="\t")
    first = table.filter(pl.col("sample_id") == "PT-1").row(0, named=True)
    assert (first["tumour_type"], first["entered_tumour_type"]) == ("GB", "GBM")


def test_ctml_matching_reads_a_retired_code_as_its_successor(tumour_types: TumourTypes) -> None:
    trial = load_ctml(Path(__file__).parent / "data" / "ctml" / "kras_g12c.yaml", tumour_types)
    profile = MolecularProfile(
        sample_id="K1",
        alterations=(Alteration(gene="KRAS", kind=AlterationKind.MUTATION, protein_change="p.G12C"),),
    )
    retired = match_ctml(profile, PatientFacts(tumour_type="DIPG"), trial, tumour_types)
    current = match_ctml(profile, PatientFacts(tumour_type="DMG"), trial, tumour_types)
    assert (retired.tumour_type, retired.entered_tumour_type) == ("DMG", "DIPG")
    assert retired.as_dict()["warnings"] == list(retired.warnings)
    assert "OncoTree code DIPG is retired" in retired.warnings[0]
    assert [item.as_dict() for item in retired.matches] == [item.as_dict() for item in current.matches]
    assert current.warnings == ()
