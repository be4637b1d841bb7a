"""The TSO500 reader on the real published files, on our bundled examples, and on broken input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncobasket.core.errors import FormatError, InputError
from oncobasket.core.profiles import (
    AlterationKind,
    GenomeBuild,
    MolecularProfile,
    MsiStatus,
    ProfileSettings,
    ResultArea,
    TmbClass,
)
from oncobasket.core.protein import ProteinEdit, parse_protein_change
from oncobasket.io.readers import read_profiles
from oncobasket.io.tso500 import (
    UNKNOWN_GENE,
    fusion_partners,
    maf_classification,
    read_combined_variant_output,
    read_tso500,
)

TSO = "tso500"
DNA_FILE = "AWGL__tests_test_data_tsv2b_12345_CombinedVariantOutput.tsv"
BLANKS_FILE = "AWGL__tests_test_data_tsv2db_sample_CombinedVariantOutput_blanks.tsv"
RNA_FILE = "AWGL__tests_test_data_fusion_check_sample_CombinedVariantOutput.tsv"
NTC_FILE = "AWGL__tests_test_data_fusion_check_NTC-RNA_CombinedVariantOutput.tsv"
ALL_FUSIONS_FILE = "AWGL__tests_test_data_fusion_check_sample_AllFusions.csv"
CTDNA = "YinanWang16__FusionMix_DNA_1pct_rep1"


def _only(profiles: list[MolecularProfile]) -> MolecularProfile:
    assert len(profiles) == 1
    return profiles[0]


def _kind(profile: MolecularProfile, kind: AlterationKind) -> list:  # type: ignore[type-arg]
    return [alteration for alteration in profile.alterations if alteration.kind is kind]


# ---------------------------------------------------------------------------------------------
# Real files
# ---------------------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_dna_file_tmb_msi_and_amplifications(shared_data: Path) -> None:
    profile = _only(read_tso500(shared_data / TSO / DNA_FILE, ProfileSettings()))
    assert profile.sample_id == "12345"
    assert profile.details["DNA Sample ID"] == "12345"
    assert "RNA Sample ID" not in profile.details  # NA values are missing, not the text "NA"
    assert profile.tmb is not None
    assert profile.tmb.per_mb == 275.6
    assert profile.tmb.tmb_class is TmbClass.HIGH
    assert profile.tmb.coding_region_mb == 1.28
    assert profile.tmb.eligible_variants == 352
    assert profile.msi is not None
    assert (profile.msi.usable_sites, profile.msi.unstable_sites, profile.msi.percent_unstable) == (125, 81, 64.8)
    assert profile.msi.status is MsiStatus.MSI_H
    amplifications = {a.gene: a.fold_change for a in _kind(profile, AlterationKind.AMPLIFICATION)}
    assert amplifications == {"MYCN": 4.464, "MET": 2.173, "MYC": 4.76}
    assert _kind(profile, AlterationKind.FUSION) == []
    assert _kind(profile, AlterationKind.SPLICE_VARIANT) == []


@pytest.mark.shared_data
def test_dna_file_small_variants(shared_data: Path) -> None:
    profile = _only(read_tso500(shared_data / TSO / DNA_FILE, ProfileSettings()))
    mutations = _kind(profile, AlterationKind.MUTATION)
    assert len(mutations) == 35  # 38 calls in all with the 3 amplifications
    assert len(profile.alterations) == 38
    first = mutations[0]
    assert (first.gene, first.chrom, first.pos, first.ref, first.alt) == ("TNFRSF14", "chr1", 2488153, "A", "G")
    assert (first.protein_change, first.protein_change_hgvs) == ("p.K17R", "NP_003811.2:p.(Lys17Arg)")
    assert (first.transcript, first.coding_change) == ("NM_003820.3", "c.50A>G")
    assert (first.vaf, first.depth, first.exon) == (0.3967, 910, "1/8")
    assert first.variant_classification == "Missense_Mutation"
    # The row with an empty Gene cell is kept, under the MAF placeholder, with a warning naming its line.
    (no_gene,) = [m for m in mutations if m.gene == UNKNOWN_GENE]
    assert (no_gene.chrom, no_gene.pos, no_gene.reported_gene) == ("chr9", 19072413, None)
    assert any(":49: small variant chr9:19072413 C>T has no gene" in w for w in profile.warnings)
    # Synonymous: kept as a call, but Silent and not protein-altering.
    synonymous = next(m for m in mutations if m.pos == 11288758)
    assert synonymous.protein_change == "p.N999="
    assert synonymous.variant_classification == "Silent"
    # P-Dot 'NM_004958.3:c.2997C>T(p.(Asn999=))': the NM_ accession is the transcript, never put before p.
    assert (synonymous.protein_change_hgvs, synonymous.transcript) == ("p.(Asn999=)", "NM_004958.3")
    assert not any((m.protein_change_hgvs or "").startswith("NM_") for m in mutations)
    change = parse_protein_change(synonymous.protein_change)
    assert change is not None
    assert change.edit is ProteinEdit.SYNONYMOUS
    # Empty P-Dot: no protein change, the c. notation is kept.
    splice = next(m for m in mutations if m.pos == 11174511)
    assert splice.protein_change is None
    assert splice.coding_change == "c.7165-1G>T"
    assert splice.variant_classification == "Splice_Site"
    nonsense = next(m for m in mutations if m.pos == 41566447)
    assert (nonsense.protein_change, nonsense.variant_classification) == ("p.E1442*", "Nonsense_Mutation")
    frameshift = next(m for m in mutations if m.pos == 41566524)
    assert (frameshift.protein_change, frameshift.variant_classification) == ("p.M1470fs", "Frame_Shift_Del")
    assert frameshift.protein_change_hgvs == "NP_001420.2:p.(Met1470CysfsTer26)"
    upstream = next(m for m in mutations if m.pos == 36991098)
    assert (upstream.gene, upstream.coding_change, upstream.variant_classification) == ("NKX2-1", None, "5'Flank")
    synonymous_count = sum(1 for m in mutations if m.variant_classification == "Silent")
    assert synonymous_count == 14


@pytest.mark.shared_data
def test_dna_file_build_is_recorded_with_a_note(shared_data: Path) -> None:
    profile = _only(read_tso500(shared_data / TSO / DNA_FILE, ProfileSettings()))
    assert profile.build is GenomeBuild.GRCH37
    assert any("genome build not given" in w and "GRCh37" in w for w in profile.warnings)
    given = _only(read_tso500(shared_data / TSO / DNA_FILE, ProfileSettings(build=GenomeBuild.GRCH37)))
    assert given.build is GenomeBuild.GRCH37
    assert not any("genome build" in w for w in given.warnings)


@pytest.mark.shared_data
def test_local_app_file_declared_grch38_is_an_error(shared_data: Path) -> None:
    with pytest.raises(FormatError, match=r":1: field 'genome build': TSO500 Local App 2.x output is GRCh37"):
        read_tso500(shared_data / TSO / DNA_FILE, ProfileSettings(build=GenomeBuild.GRCH38))


@pytest.mark.shared_data
def test_blanks_file_with_bom_reads_like_the_plain_one(shared_data: Path) -> None:
    plain = _only(read_tso500(shared_data / TSO / DNA_FILE, ProfileSettings()))
    blanks = _only(read_tso500(shared_data / TSO / BLANKS_FILE, ProfileSettings()))
    assert blanks.sample_id == "12345"
    assert blanks.details["Banner"] == "TruSight Oncology 500 - Combined Variant Output"  # BOM stripped
    assert blanks.alterations == plain.alterations
    assert (blanks.tmb, blanks.msi) == (plain.tmb, plain.msi)


@pytest.mark.shared_data
def test_rna_file_fusions_and_splice_variants(shared_data: Path) -> None:
    profile = _only(read_tso500(shared_data / TSO / RNA_FILE, ProfileSettings()))
    assert profile.sample_id == "21M81042-1"
    assert profile.tmb is None
    assert profile.msi is None
    assert _kind(profile, AlterationKind.MUTATION) == []
    fusions = _kind(profile, AlterationKind.FUSION)
    assert len(fusions) == 16
    by_pair = {f.reported_gene: f for f in fusions}
    eml4_alk = by_pair["EML4-ALK"]
    assert (eml4_alk.gene, eml4_alk.genes, eml4_alk.supporting_reads) == ("EML4", ("EML4", "ALK"), 75)
    assert (eml4_alk.chrom, eml4_alk.pos) == ("chr2", 42522654)
    assert by_pair["KIF5B-RET"].genes == ("KIF5B", "RET")
    assert by_pair["KIF5B-RET"].supporting_reads == 339
    assert by_pair["SLC34A2-ROS1;GOPC"].genes == ("SLC34A2", "ROS1", "GOPC")
    assert by_pair["CD74-ROS1;GOPC"].genes == ("CD74", "ROS1", "GOPC")
    assert by_pair["PPARG/AC016683.6;PAX8"].genes == ("PPARG", "AC016683.6", "PAX8")
    assert by_pair["EGFR-SEPT14"].genes == ("EGFR", "SEPTIN14")  # HGNC current symbol
    splices = {s.gene: s for s in _kind(profile, AlterationKind.SPLICE_VARIANT)}
    assert splices["EGFR"].exon == "2-7/28"  # EGFRvIII
    assert splices["EGFR"].supporting_reads == 64
    assert splices["MET"].exon == "14/21"  # MET exon 14 skipping
    assert (splices["MET"].chrom, splices["MET"].pos, splices["MET"].supporting_reads) == ("chr7", 116411708, 91)


@pytest.mark.shared_data
def test_ntc_file_has_no_dna_results(shared_data: Path) -> None:
    profile = _only(read_tso500(shared_data / TSO / NTC_FILE, ProfileSettings()))
    assert profile.sample_id == "NTC-RNA-1"
    assert profile.tmb is None
    assert profile.msi is None
    assert profile.filtered == ()
    # Every section is NA except one fusion row this published control carries.
    assert [(a.kind, a.reported_gene) for a in profile.alterations] == [(AlterationKind.FUSION, "TPM3-NTRK1")]
    assert profile.details["Run Name"] == "210219_A00748_0082_AHT3KKDMXX"


@pytest.mark.shared_data
def test_all_fusions_csv_beside_the_combined_output_adds_no_duplicate(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "21M81042-1"
    folder.mkdir()
    shutil.copy(shared_data / TSO / RNA_FILE, folder / "21M81042-1_CombinedVariantOutput.tsv")
    shutil.copy(shared_data / TSO / ALL_FUSIONS_FILE, folder / "21M81042-1_AllFusions.csv")
    profile = _only(read_tso500(folder, ProfileSettings()))
    assert len(_kind(profile, AlterationKind.FUSION)) == 16
    assert len(profile.filtered) == 152 - 16
    assert all(f.kind is AlterationKind.FUSION and f.filter != "PASS" for f in profile.filtered)
    assert not any("added from the side file" in w for w in profile.warnings)
    assert str(folder / "21M81042-1_AllFusions.csv") in profile.sources


@pytest.mark.shared_data
def test_all_fusions_csv_alone_gives_the_same_calls(shared_data: Path, tmp_path: Path) -> None:
    combined = _only(read_tso500(shared_data / TSO / RNA_FILE, ProfileSettings()))
    folder = tmp_path / "S1"
    folder.mkdir()
    shutil.copy(shared_data / TSO / ALL_FUSIONS_FILE, folder / "21M81042-1_AllFusions.csv")
    alone = _only(read_tso500(folder, ProfileSettings()))
    assert alone.sample_id == "21M81042-1"
    expected = {(f.reported_gene, f.genes, f.supporting_reads, f.pos) for f in _kind(combined, AlterationKind.FUSION)}
    got = {(f.reported_gene, f.genes, f.supporting_reads, f.pos) for f in _kind(alone, AlterationKind.FUSION)}
    assert got == expected
    # KeepFusion=True decides, whatever the caller's Filter says (ETV6-NTRK3 is NoReferenceReads).
    etv6 = next(f for f in alone.alterations if f.reported_gene == "ETV6-NTRK3")
    assert etv6.filter == "PASS"


def _ctdna_folder(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "FusionMix_DNA_1pct_rep1"
    folder.mkdir()
    for suffix in (".tmb.json", ".msi.json", "_CopyNumberVariants.vcf", "_Fusions.csv"):
        shutil.copy(shared_data / TSO / f"{CTDNA}{suffix}", folder / f"FusionMix_DNA_1pct_rep1{suffix}")
    return folder


@pytest.mark.shared_data
def test_ctdna_folder_without_combined_output(shared_data: Path, tmp_path: Path) -> None:
    profile = _only(read_tso500(_ctdna_folder(shared_data, tmp_path), ProfileSettings()))
    assert profile.sample_id == "FusionMix_DNA_1pct_rep1"
    assert any("no CombinedVariantOutput" in w for w in profile.warnings)
    assert profile.tmb is not None
    assert profile.tmb.per_mb == pytest.approx(78.45, abs=0.01)
    assert profile.tmb.tmb_class is TmbClass.HIGH
    assert profile.tmb.coding_region_mb == pytest.approx(1.147172)
    assert profile.tmb.eligible_variants == 90
    assert profile.msi is not None
    assert (profile.msi.usable_sites, profile.msi.unstable_sites) == (2103, 2)
    assert profile.msi.status is MsiStatus.MSS
    assert profile.msi.usable
    amplifications = {a.gene: (a.fold_change, a.pos) for a in _kind(profile, AlterationKind.AMPLIFICATION)}
    assert amplifications == {"CDK6": (1.261, 92243231), "MYC": (1.95, 128743612)}  # '.' ALT records ignored
    assert _kind(profile, AlterationKind.COPY_LOSS) == []
    fusions = _kind(profile, AlterationKind.FUSION)
    # 9 PASS rows; the two ALK-NPM1 breakends of one translocation count once.
    assert len(fusions) == 8
    assert sorted(f.genes for f in fusions) == sorted(
        [
            ("ALK", "NPM1"),
            ("ALK", "EML4"),
            ("FGFR3",),
            ("BAIAP2L1", "FGFR3"),
            ("COL14A1", "FGFR2"),
            ("RET",),
            ("RET", "CCDC6"),
            ("FGFR2",),
        ]
    )
    ret_nongene = next(f for f in fusions if f.genes == ("RET",))
    assert (ret_nongene.reported_gene, ret_nongene.supporting_reads) == ("RET-NonGene", 8)
    assert profile.build is GenomeBuild.GRCH37


@pytest.mark.shared_data
def test_ctdna_fusions_csv_only_pass_rows_are_calls(shared_data: Path, tmp_path: Path) -> None:
    folder = _ctdna_folder(shared_data, tmp_path)
    fusions_csv = folder / "FusionMix_DNA_1pct_rep1_Fusions.csv"
    lines = fusions_csv.read_text().split("\n")
    index = next(i for i, line in enumerate(lines) if ",ALK,EML4," in line)
    lines[index] = lines[index].replace(",PASS,", ",MinAltDepth,")
    fusions_csv.write_text("\n".join(lines))
    profile = _only(read_tso500(folder, ProfileSettings()))
    assert ("ALK", "EML4") not in [f.genes for f in _kind(profile, AlterationKind.FUSION)]
    (filtered,) = [f for f in profile.filtered if f.kind is AlterationKind.FUSION]
    assert (filtered.genes, filtered.filter) == (("ALK", "EML4"), "MinAltDepth")


@pytest.mark.shared_data
def test_ctdna_cnv_vcf_declared_grch38_is_an_error(shared_data: Path, tmp_path: Path) -> None:
    folder = _ctdna_folder(shared_data, tmp_path)
    vcf = folder / "FusionMix_DNA_1pct_rep1_CopyNumberVariants.vcf"
    line = _line_of(vcf.read_text(), "##reference=")  # .../hg19_decoy/genome.fa
    with pytest.raises(FormatError, match=rf"_CopyNumberVariants.vcf:{line}: field '##reference'"):
        read_tso500(folder, ProfileSettings(build=GenomeBuild.GRCH38))


@pytest.mark.shared_data
def test_msi_json_result_not_valid_is_not_usable(shared_data: Path, tmp_path: Path) -> None:
    folder = _ctdna_folder(shared_data, tmp_path)
    msi = folder / "FusionMix_DNA_1pct_rep1.msi.json"
    msi.write_text(msi.read_text().replace('"ResultIsValid":true', '"ResultIsValid":false'))
    profile = _only(read_tso500(folder, ProfileSettings()))
    assert profile.msi is not None
    assert profile.msi.status is MsiStatus.NOT_EVALUABLE
    assert not profile.msi.usable
    assert profile.msi.unusable_reason is not None
    assert "ResultIsValid is false" in profile.msi.unusable_reason


@pytest.mark.shared_data
def test_read_profiles_dispatches_tso500(shared_data: Path) -> None:
    profiles = read_profiles([shared_data / TSO / DNA_FILE, shared_data / TSO / RNA_FILE])
    assert [p.sample_id for p in profiles] == ["12345", "21M81042-1"]


# ---------------------------------------------------------------------------------------------
# Bundled examples
# ---------------------------------------------------------------------------------------------


def _run(examples: Path) -> Path:
    return examples / "tso500" / "run_2026-01"


def test_example_run_folder(examples: Path) -> None:
    profiles = {p.sample_id: p for p in read_tso500(_run(examples), ProfileSettings())}
    assert sorted(profiles) == ["NTC-2601", "OB-0001", "OB-0002", "OB-0003", "OB-0004", "OB-0005"]
    metrics_source = str(_run(examples) / "Results" / "MetricsOutput.tsv")
    assert all(metrics_source in p.sources for p in profiles.values())
    patients = [p for name, p in profiles.items() if name.startswith("OB-")]
    assert [p.sample_id for p in patients if not p.qc.passed] == ["OB-0004"]


def test_example_ob0001_cholangiocarcinoma(examples: Path) -> None:
    profile = next(p for p in read_tso500(_run(examples), ProfileSettings()) if p.sample_id == "OB-0001")
    braf = next(a for a in profile.alterations if a.gene == "BRAF")
    assert (braf.kind, braf.protein_change, braf.exon) == (AlterationKind.MUTATION, "p.V600E", "15/18")
    amplifications = [(a.gene, a.reported_gene, a.fold_change) for a in _kind(profile, AlterationKind.AMPLIFICATION)]
    # Listed by the combined output and by the CNV VCF: counted once.
    assert amplifications == [("ERBB2", "ERBB2", 4.21), ("MYCL", "MYCL1", 1.91)]
    (loss,) = [a for a in profile.filtered if a.kind is AlterationKind.COPY_LOSS]
    assert (loss.gene, loss.filter, loss.fold_change) == ("CDKN2A", "LowValidation", 0.412)
    assert len([a for a in profile.filtered if a.kind is AlterationKind.FUSION]) == 3
    bap1 = next(a for a in profile.alterations if a.gene == "BAP1")
    assert bap1.consequences == ("splice_region_variant", "synonymous_variant")
    assert profile.tmb is not None
    assert profile.tmb.tmb_class is TmbClass.INTERMEDIATE
    assert profile.msi is not None
    assert profile.msi.status is MsiStatus.MSS
    assert profile.qc.passed
    assert not any("added from the side file" in w for w in profile.warnings)


def test_example_fusion_samples(examples: Path) -> None:
    profiles = {p.sample_id: p for p in read_tso500(_run(examples), ProfileSettings())}
    (ret,) = _kind(profiles["OB-0002"], AlterationKind.FUSION)
    assert (ret.genes, ret.supporting_reads) == (("KIF5B", "RET"), 214)
    (alk,) = _kind(profiles["OB-0005"], AlterationKind.FUSION)
    assert alk.genes == ("EML4", "ALK")


def test_example_msi_high_and_failed_qc(examples: Path) -> None:
    profiles = {p.sample_id: p for p in read_tso500(_run(examples), ProfileSettings())}
    msi_high = profiles["OB-0003"]
    assert msi_high.msi is not None
    assert msi_high.msi.status is MsiStatus.MSI_H
    assert msi_high.msi.usable
    assert msi_high.tmb is not None
    assert msi_high.tmb.tmb_class is TmbClass.HIGH
    failed = profiles["OB-0004"]
    assert not failed.qc.passed
    assert any(f.startswith("USABLE_MSI_SITES = 22") for f in failed.qc.failures)
    assert any(f.startswith("MEDIAN_EXON_COVERAGE = 96") for f in failed.qc.failures)
    assert set(failed.qc.unusable_areas) == {ResultArea.SMALL_VARIANTS, ResultArea.TMB, ResultArea.MSI}
    assert failed.msi is not None
    assert not failed.msi.usable
    assert failed.msi.status is MsiStatus.NOT_EVALUABLE
    assert failed.tmb is not None
    assert not failed.tmb.usable
    assert all(not a.usable for a in failed.alterations)


def test_example_ntc_is_empty(examples: Path) -> None:
    ntc = next(p for p in read_tso500(_run(examples), ProfileSettings()) if p.sample_id == "NTC-2601")
    assert (ntc.alterations, ntc.filtered, ntc.tmb, ntc.msi) == ((), (), None, None)
    assert not ntc.qc.passed  # a blank has no library to speak of


def test_example_results_and_sample_folders(examples: Path) -> None:
    whole = read_tso500(_run(examples), ProfileSettings())
    results = read_tso500(_run(examples) / "Results", ProfileSettings())
    assert [p.sample_id for p in results] == [p.sample_id for p in whole]
    sample = _only(read_tso500(_run(examples) / "Results" / "OB-0004", ProfileSettings()))
    assert not sample.qc.passed  # ../MetricsOutput.tsv found
    assert sample == next(p for p in whole if p.sample_id == "OB-0004")


def test_example_single_file_is_read_without_qc(examples: Path) -> None:
    path = _run(examples) / "Results" / "OB-0004" / "OB-0004_CombinedVariantOutput.tsv"
    profile = read_combined_variant_output(path)
    assert profile.qc.passed
    assert profile.qc.metrics == ()
    assert any(w.startswith("QC not judged") for w in profile.warnings)
    assert profile.msi is not None
    assert profile.msi.status is MsiStatus.NOT_EVALUABLE
    assert not profile.msi.usable
    assert profile.msi.unusable_reason == "22 usable MSI sites; at least 40 are needed to call a status"


def test_example_copy_number_from_purity(examples: Path) -> None:
    profile = next(
        p for p in read_tso500(_run(examples), ProfileSettings(tumour_purity_percent=50)) if p.sample_id == "OB-0001"
    )
    erbb2 = next(a for a in profile.alterations if a.gene == "ERBB2")
    assert erbb2.copy_number == pytest.approx((200 * 4.21 - 2 * 50) / 50, abs=0.01)
    assert profile.tumour_purity_percent == 50


def test_purity_out_of_range_is_an_error(examples: Path) -> None:
    with pytest.raises(InputError, match="tumour purity"):
        read_tso500(_run(examples), ProfileSettings(tumour_purity_percent=0))


def test_example_dragen_file_with_gis(examples: Path) -> None:
    path = examples / "tso500" / "dragen" / "OB-0006_CombinedVariantOutput.tsv"
    profile = _only(read_tso500(path, ProfileSettings()))
    assert profile.details["Software"] == "DRAGEN TSO500"
    assert profile.unknown_sections == {
        "GIS": (("Genomic Instability Score", "17"), ("Tumor Fraction", "41.5"), ("Ploidy", "2.08"))
    }
    assert any("section [GIS] is not read" in w for w in profile.warnings)
    (met,) = _kind(profile, AlterationKind.SPLICE_VARIANT)
    assert (met.gene, met.exon, met.supporting_reads) == ("MET", "14/21", 143)
    # DRAGEN: a declared GRCh38 is kept, with a note (the Local App case is an error).
    grch38 = _only(read_tso500(path, ProfileSettings(build=GenomeBuild.GRCH38)))
    assert grch38.build is GenomeBuild.GRCH38
    assert any("GRCh38, is kept" in w for w in grch38.warnings)


# ---------------------------------------------------------------------------------------------
# Broken input: one line naming file, line and field
# ---------------------------------------------------------------------------------------------


def _example_text(examples: Path) -> str:
    return (_run(examples) / "Results" / "OB-0001" / "OB-0001_CombinedVariantOutput.tsv").read_text()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "OB-9999_CombinedVariantOutput.tsv"
    path.write_text(text)
    return path


def _line_of(text: str, fragment: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if fragment in line)


def _error(path: Path, settings: ProfileSettings = ProfileSettings()) -> str:
    with pytest.raises(FormatError) as caught:
        read_tso500(path, settings)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def test_truncated_mid_row(examples: Path, tmp_path: Path) -> None:
    text = _example_text(examples)
    cut = text.index("NM_000546.5:c.818G>A")
    path = _write(tmp_path, text[:cut])
    line = _line_of(text, "NM_000546.5:c.818G>A")
    assert f":{line}: the file ends inside a line (no line end after the last one)" in _error(path)
    path = _write(tmp_path, text[:cut] + "\n")
    assert f":{line}: field '[Small Variants]': row has 9 cells, the header has 11" in _error(path)


def test_cut_inside_the_last_cell(examples: Path, tmp_path: Path) -> None:
    # Issue 13: a copy cut inside its last cell kept every column and gave a corrupted value (exon 24/2).
    text = _example_text(examples).rstrip("\t\n")
    path = _write(tmp_path, text[:-1])
    assert "the file ends inside a line" in _error(path)


def test_truncated_after_a_section_header(examples: Path, tmp_path: Path) -> None:
    text = _example_text(examples)
    path = _write(tmp_path, text[: text.index("\n", text.index("[Small Variants]")) + 1])
    line = _line_of(text, "[Small Variants]")
    assert f":{line}: field '[Small Variants]': section [Small Variants] has no rows" in _error(path)


def test_truncated_after_a_table_header(examples: Path, tmp_path: Path) -> None:
    text = _example_text(examples)
    end = text.index("\n", text.index("Gene\tChromosome")) + 1
    path = _write(tmp_path, text[:end])
    assert "has a header but no rows, not even NA; the file looks truncated" in _error(path)


@pytest.mark.parametrize("before", ["[Gene Amplifications]", "[Fusions]", "[Small Variants]", "Percent Unstable MSI"])
def test_truncated_at_a_line_end_before_small_variants(examples: Path, tmp_path: Path, before: str) -> None:
    # A copy cut at a line end leaves no half row to notice; the missing closing section still shows it.
    text = _example_text(examples)
    kept = text[: text.index(before)]
    path = _write(tmp_path, kept)
    message = _error(path)
    assert f":{len(kept.splitlines())}: field '[Small Variants]': the file ends here without" in message
    assert "it looks truncated" in message


def test_cut_at_a_row_boundary_in_the_last_section_is_not_detected(examples: Path, tmp_path: Path) -> None:
    """Known limitation (docs/formats-tso500.md): the file has no end marker, and a real published file
    ends right after its last small-variant row, so a cut at a row end inside [Small Variants] reads as
    a complete file with fewer calls."""
    lines = (_run(examples) / "Results" / "OB-0003" / "OB-0003_CombinedVariantOutput.tsv").read_text().splitlines()
    cut = lines[: lines.index(next(line for line in lines if line.startswith("TGFBR2\t"))) + 1]
    profile = _only(read_tso500(_write(tmp_path, "\n".join(cut) + "\n"), ProfileSettings()))
    assert [a.gene for a in _kind(profile, AlterationKind.MUTATION)] == ["ACVR2A", "MSH6", "TGFBR2"]


def test_a_folder_of_run_folders_applies_each_runs_metrics(examples: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(_run(examples), archive / "run_2026-01")
    shutil.copytree(examples / "tso500" / "dragen", archive / "dragen")
    profiles = {p.sample_id: p for p in read_tso500(archive, ProfileSettings())}
    assert sorted(profiles) == ["NTC-2601", "OB-0001", "OB-0002", "OB-0003", "OB-0004", "OB-0005", "OB-0006"]
    assert [name for name, p in profiles.items() if name.startswith("OB-") and not p.qc.passed] == ["OB-0004"]
    metrics = str(archive / "run_2026-01" / "Results" / "MetricsOutput.tsv")
    assert all(metrics in p.sources for name, p in profiles.items() if name != "OB-0006")
    assert any("QC not judged" in warning for warning in profiles["OB-0006"].warnings)


def test_not_a_tso500_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "Gene\tFold Change\nERBB2\t4.2\n")
    assert ":1: field 'banner': not a TSO500 CombinedVariantOutput" in _error(path)


def test_empty_file(tmp_path: Path) -> None:
    assert "the file is empty" in _error(_write(tmp_path, ""))
    assert "the file is empty" in _error(_write(tmp_path, "\n\t\n"))


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("ERBB2\t4.21", "ERBB2\tabc", "Fold Change"),
        ("\t0.3124\t1245\t", "\tx\t1245\t", "Allele Frequency"),
        ("\t0.3124\t1245\t", "\t0.3124\t12.5\t", "Depth"),
        ("140453136", "14045313b", "Genomic Position"),
        ("NP_004324.2:p.(Val600Glu)", "NP_004324.2:p.(Foo600Bar)", "P-Dot Notation"),
        ("Total TMB\t6.3", "Total TMB\thigh", "Total TMB"),
        ("Usable MSI Sites\t116", "Usable MSI Sites\t116.5", "Usable MSI Sites"),
        ("Percent Unstable MSI Sites\t2.59", "Percent Unstable MSI Sites\tnan", "Percent Unstable MSI Sites"),
    ],
)
def test_bad_values(examples: Path, tmp_path: Path, old: str, new: str, field: str) -> None:
    text = _example_text(examples)
    assert old in text
    changed = text.replace(old, new, 1)
    message = _error(_write(tmp_path, changed))
    assert f":{_line_of(changed, new)}: field '{field}'" in message


@pytest.mark.parametrize(
    ("p_dot", "short", "hgvs"),
    [
        ("NM_004333.4:c.1800T>C(p.(Val600=))", "p.V600=", "p.(Val600=)"),  # synonymous: NM_ is no protein accession
        ("p.(Val600fs)", "p.V600fs", "p.(Val600fs)"),  # no stop position: no 'Ter'
        ("NP_004324.2:p.(Val600GlyfsTer12)", "p.V600fs", "NP_004324.2:p.(Val600GlyfsTer12)"),
    ],
)
def test_stored_hgvs_protein_form_is_valid(examples: Path, tmp_path: Path, p_dot: str, short: str, hgvs: str) -> None:
    text = _example_text(examples).replace("NP_004324.2:p.(Val600Glu)", p_dot, 1)
    braf = next(
        a for a in _only(read_tso500(_write(tmp_path, text), ProfileSettings())).alterations if a.gene == "BRAF"
    )
    assert (braf.protein_change, braf.protein_change_hgvs, braf.transcript) == (short, hgvs, "NM_004333.4")


def test_duplicated_section(examples: Path, tmp_path: Path) -> None:
    text = _example_text(examples)
    tmb = text[text.index("[TMB]") : text.index("[MSI]")]
    changed = text + tmb
    message = _error(_write(tmp_path, changed))
    second = len(text.split("\n"))  # the text ends with a newline: the copy starts on the next line
    assert f":{second}: field '[TMB]': section [TMB] appears twice (first at line {_line_of(text, '[TMB]')})" in message


def test_row_with_more_cells_than_the_header(examples: Path, tmp_path: Path) -> None:
    text = _example_text(examples)
    changed = text.replace("ERBB2\t4.21\t", "ERBB2\t4.21\tx\t", 1)
    message = _error(_write(tmp_path, changed))
    assert f":{_line_of(changed, 'ERBB2')}: field '[Gene Amplifications]': row has 3 cells, the header has 2" in message


def test_missing_column(examples: Path, tmp_path: Path) -> None:
    changed = _example_text(examples).replace("Fold Change", "Fold", 1)
    assert "field 'Fold Change': column 'Fold Change' missing from the [Gene Amplifications] header" in _error(
        _write(tmp_path, changed)
    )


def test_row_outside_a_section(examples: Path, tmp_path: Path) -> None:
    text = _example_text(examples)
    changed = text.replace("[TMB]", "stray\n[TMB]", 1)
    message = _error(_write(tmp_path, changed))
    assert f":{_line_of(changed, 'stray')}: a row outside any section" in message


def test_unknown_sections_are_kept_and_reported(examples: Path, tmp_path: Path) -> None:
    text = _example_text(examples)
    extra = (
        "[Gene-level Loss of Heterozygosity]\t\t\nGene\tLOH Status\t\nBRCA2\tLOH\t\n\t\t\n"
        "[Large Rearrangements]\t\t\nNA\t\t\n\t\t\n"
    )
    changed = text.replace("[Gene Amplifications]", extra + "[Gene Amplifications]", 1)
    profile = _only(read_tso500(_write(tmp_path, changed), ProfileSettings()))
    assert profile.unknown_sections == {
        "Gene-level Loss of Heterozygosity": (("Gene", "LOH Status"), ("BRCA2", "LOH")),
        "Large Rearrangements": (("NA",),),
    }
    assert sum("is not read by OncoBasket" in w for w in profile.warnings) == 2
    assert any(a.gene == "BRAF" for a in profile.alterations)


def test_crlf_line_ends_read_the_same(examples: Path, tmp_path: Path) -> None:
    text = _example_text(examples)
    plain = _only(read_tso500(_write(tmp_path, text), ProfileSettings()))
    other = tmp_path / "crlf"
    other.mkdir()
    crlf_path = other / "OB-9999_CombinedVariantOutput.tsv"
    crlf_path.write_bytes(text.replace("\n", "\r\n").encode())
    crlf = _only(read_tso500(crlf_path, ProfileSettings()))
    assert crlf.alterations == plain.alterations


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "X_CombinedVariantOutput.tsv"
    path.write_bytes(b"TruSight Oncology 500 - Combined Variant Output\n\xff\xfe\n")
    with pytest.raises(FormatError, match=r"X_CombinedVariantOutput.tsv:2: not UTF-8 text"):
        read_tso500(path, ProfileSettings())


def test_folder_without_results(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(FormatError, match="no TSO500 results in this folder"):
        read_tso500(tmp_path, ProfileSettings())


def _side_folder(examples: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "OB-0001"
    shutil.copytree(_run(examples) / "Results" / "OB-0001", folder)
    return folder


def test_cnv_vcf_bad_fold_change(examples: Path, tmp_path: Path) -> None:
    folder = _side_folder(examples, tmp_path)
    vcf = folder / "OB-0001-D_CopyNumberVariants.vcf"
    text = vcf.read_text().replace("ANT=ERBB2\tFC\t4.210", "ANT=ERBB2\tFC\tabc")
    vcf.write_text(text)
    with pytest.raises(FormatError, match=rf"CopyNumberVariants.vcf:{_line_of(text, 'ERBB2')}: field 'FORMAT/FC'"):
        read_tso500(folder, ProfileSettings())


def test_cnv_vcf_truncated_record(examples: Path, tmp_path: Path) -> None:
    folder = _side_folder(examples, tmp_path)
    vcf = folder / "OB-0001-D_CopyNumberVariants.vcf"
    text = vcf.read_text()
    vcf.write_text(text[: text.index("ANT=CCNE1")] + "\n")
    with pytest.raises(FormatError, match="record has 8 columns, the header has 10"):
        read_tso500(folder, ProfileSettings())
    vcf.write_text(text[: text.index("ANT=CCNE1")])
    with pytest.raises(FormatError, match="the file ends inside a line"):
        read_tso500(folder, ProfileSettings())


def test_cnv_vcf_pass_deletion_is_a_copy_loss(examples: Path, tmp_path: Path) -> None:
    folder = _side_folder(examples, tmp_path)
    vcf = folder / "OB-0001-D_CopyNumberVariants.vcf"
    vcf.write_text(vcf.read_text().replace("LowValidation\tSVTYPE", "PASS\tSVTYPE"))
    profile = _only(read_tso500(folder, ProfileSettings()))
    (loss,) = _kind(profile, AlterationKind.COPY_LOSS)
    assert (loss.gene, loss.fold_change, loss.filter) == ("CDKN2A", 0.412, "PASS")


def test_side_file_call_missing_from_the_combined_output_is_added_with_a_warning(
    examples: Path, tmp_path: Path
) -> None:
    folder = _side_folder(examples, tmp_path)
    vcf = folder / "OB-0001-D_CopyNumberVariants.vcf"
    vcf.write_text(
        vcf.read_text().replace(
            "C\t.\t5\tPASS\tEND=30314953;ANT=CCNE1\tFC\t1.083", "C\t<DUP>\t90\tPASS\tEND=30314953;ANT=CCNE1\tFC\t2.983"
        )
    )
    profile = _only(read_tso500(folder, ProfileSettings()))
    assert [a.gene for a in _kind(profile, AlterationKind.AMPLIFICATION)] == ["ERBB2", "MYCL", "CCNE1"]
    assert any("CCNE1 amplification is not in the CombinedVariantOutput" in w for w in profile.warnings)


def test_side_file_with_an_unknown_prefix_joins_the_only_sample(examples: Path, tmp_path: Path) -> None:
    folder = _side_folder(examples, tmp_path)
    (folder / "OB-0001-D_CopyNumberVariants.vcf").rename(folder / "LIB-7_CopyNumberVariants.vcf")
    profile = _only(read_tso500(folder, ProfileSettings()))
    assert profile.sample_id == "OB-0001"
    assert any(a.gene == "CDKN2A" for a in profile.filtered)
    assert any("LIB-7_CopyNumberVariants.vcf: file name does not carry" in w for w in profile.warnings)


def test_all_fusions_bad_keep_fusion(examples: Path, tmp_path: Path) -> None:
    folder = _side_folder(examples, tmp_path)
    csv_path = folder / "OB-0001-R_AllFusions.csv"
    text = csv_path.read_text().replace(",False,5,212,", ",Maybe,5,212,")
    csv_path.write_text(text)
    with pytest.raises(FormatError, match=rf"AllFusions.csv:{_line_of(text, 'Maybe')}: field 'KeepFusion'"):
        read_tso500(folder, ProfileSettings())


def test_tmb_json_errors(examples: Path, tmp_path: Path) -> None:
    folder = _side_folder(examples, tmp_path)
    tmb = folder / "OB-0001-D.tmb.json"
    tmb.write_text('{"TmbPerMb": 12.5,\n "CodingRegionSizeMb": "big"}')
    with pytest.raises(FormatError, match=r"tmb.json: field 'CodingRegionSizeMb': 'big' is not a number"):
        read_tso500(folder, ProfileSettings())
    tmb.write_text('{"TmbPerMb": 12.5,\n "CodingRegionSizeMb": }')
    with pytest.raises(FormatError, match=r"tmb.json:2: not valid JSON"):
        read_tso500(folder, ProfileSettings())
    tmb.write_text("{}")
    with pytest.raises(FormatError, match=r"tmb.json: field 'TmbPerMb': missing"):
        read_tso500(folder, ProfileSettings())


def test_tmb_json_does_not_override_the_combined_output(examples: Path, tmp_path: Path) -> None:
    folder = _side_folder(examples, tmp_path)
    (folder / "OB-0001-D.tmb.json").write_text('{"TmbPerMb": 12.5, "CodingRegionSizeMb": 1.27}')
    profile = _only(read_tso500(folder, ProfileSettings()))
    assert profile.tmb is not None
    assert profile.tmb.per_mb == 6.3


# ---------------------------------------------------------------------------------------------
# Gene pairs and consequences
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("EML4-ALK", (("EML4",), ("ALK",))),
        ("SLC34A2-ROS1;GOPC", (("SLC34A2",), ("ROS1", "GOPC"))),
        ("PPARG/AC016683.6;PAX8", (("PPARG",), ("AC016683.6", "PAX8"))),
        ("NKX2-1-ALK", (("NKX2-1",), ("ALK",))),
        ("ALK-NKX2-1", (("ALK",), ("NKX2-1",))),
        ("ALK", (("ALK",), ())),
    ],
)
def test_fusion_partners(pair: str, expected: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
    assert fusion_partners(pair) == expected


_SYMBOL = st.from_regex(r"[A-Z][A-Z0-9]{1,6}", fullmatch=True)


@given(
    st.lists(_SYMBOL, min_size=1, max_size=3),
    st.lists(_SYMBOL, min_size=1, max_size=3),
    st.sampled_from(["-", "/"]),
)
def test_fusion_partners_round_trip(left: list[str], right: list[str], joiner: str) -> None:
    pair = ";".join(left) + joiner + ";".join(right)
    assert fusion_partners(pair) == (tuple(left), tuple(right))


@pytest.mark.parametrize(
    ("consequences", "ref", "alt", "expected"),
    [
        (("missense_variant",), "A", "T", "Missense_Mutation"),
        (("splice_region_variant", "synonymous_variant"), "G", "A", "Splice_Region"),
        (("synonymous_variant",), "G", "A", "Silent"),
        (("frameshift_variant",), "CA", "C", "Frame_Shift_Del"),
        (("frameshift_variant",), "C", "CA", "Frame_Shift_Ins"),
        (("inframe_deletion",), "CAAG", "C", "In_Frame_Del"),
        (("stop_gained", "splice_region_variant"), "G", "T", "Nonsense_Mutation"),
        (("intron_variant",), "G", "T", "Intron"),
        (("made_up_variant",), "G", "T", None),
        ((), "G", "T", None),
    ],
)
def test_maf_classification(consequences: tuple[str, ...], ref: str, alt: str, expected: str | None) -> None:
    assert maf_classification(consequences, ref, alt) == expected
