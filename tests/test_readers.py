"""One way in: files are recognised by name or content and handed to their reader; --sample filters."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from oncobasket.core.errors import FormatError
from oncobasket.core.profiles import ProfileSettings
from oncobasket.io.readers import read_profiles, sniff

MAF_HEADER = "Hugo_Symbol\tVariant_Classification\tTumor_Sample_Barcode\tHGVSp_Short\n"
VCF_TEXT = (
    "##fileformat=VCFv4.2\n"
    '##INFO=<ID=GENE,Number=1,Type=String,Description="Gene">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    "chr7\t140453136\t.\tA\tT\t.\tPASS\tGENE=BRAF\n"
)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("OB-1.vcf", "vcf"),
        ("OB-1.vcf.gz", "vcf"),
        ("OB-1.VCF.BGZ", "vcf"),
        ("cohort.maf", "maf"),
        ("cohort.maf.gz", "maf"),
        ("data_mutations.maf.txt", "maf"),
    ],
)
def test_sniff_by_name(tmp_path: Path, name: str, kind: str) -> None:
    path = tmp_path / name
    path.write_text("whatever the content")
    assert sniff(path) == kind


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("calls.txt", VCF_TEXT, "vcf"),
        ("mutations.tsv", MAF_HEADER + "KRAS\tMissense_Mutation\tOB-1\tp.G12D\n", "maf"),
        # gene-per-row copy-number tables go to the MAF reader, which names them and refuses them
        ("data_CNA.txt", "Hugo_Symbol\tEntrez_Gene_Id\tOB-1\nERBB2\t2064\t2\n", "maf"),
        ("all_thresholded.by_genes.txt", "Gene Symbol\tLocus ID\tCytoband\tOB-1\nERBB2\t2064\t17q12\t2\n", "maf"),
        ("notes.txt", "a letter to the tumour board\n", None),
        ("empty.txt", "", None),
    ],
)
def test_sniff_by_content(tmp_path: Path, name: str, content: str, kind: str | None) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert sniff(path) == kind
    packed = tmp_path / (name + ".gz")
    packed.write_bytes(gzip.compress(content.encode()))
    assert sniff(packed) == kind


def test_sniff_folder_is_tso500(tmp_path: Path) -> None:
    assert sniff(tmp_path) == "tso500"


def test_vcf_and_maf_together_in_the_order_given(examples: Path) -> None:
    paths = [examples / "vcf" / "OB-0101.vcf", examples / "maf" / "OB-study.maf"]
    profiles = read_profiles(paths)
    assert [profile.sample_id for profile in profiles] == ["OB-0101", "OB-0501", "OB-0502", "OB-0503"]


def test_sample_filter(examples: Path) -> None:
    paths = [examples / "vcf" / "OB-0101.vcf", examples / "maf" / "OB-study.maf"]
    [profile] = read_profiles(paths, ProfileSettings(sample_id="OB-0502"))
    assert profile.sample_id == "OB-0502"
    assert [a.label for a in profile.alterations] == ["ERBB2 p.S310F"]


def test_unknown_sample_is_an_error(examples: Path) -> None:
    with pytest.raises(FormatError, match=r"field '--sample': no sample 'OB-9999' in the files given"):
        read_profiles([examples / "maf" / "OB-study.maf"], ProfileSettings(sample_id="OB-9999"))


def test_renamed_files_are_recognised_by_content(examples: Path, tmp_path: Path) -> None:
    vcf = tmp_path / "calls.txt"
    shutil.copy(examples / "vcf" / "OB-0101.vcf", vcf)
    maf = tmp_path / "mutations.tsv"
    shutil.copy(examples / "maf" / "OB-study.maf", maf)
    assert [profile.sample_id for profile in read_profiles([vcf, maf])] == ["OB-0101", "OB-0501", "OB-0502", "OB-0503"]


def test_unknown_file_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("a letter to the tumour board\n")
    with pytest.raises(FormatError, match=r"notes\.txt: not a recognised molecular result") as error:
        read_profiles([path])
    assert "\n" not in str(error.value)


def test_missing_path_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"absent\.vcf: no such file or folder"):
        read_profiles([tmp_path / "absent.vcf"])


def test_copy_number_table_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "data_CNA.txt"
    path.write_text("Hugo_Symbol\tEntrez_Gene_Id\tOB-1\tOB-2\nERBB2\t2064\t2\t0\n")
    with pytest.raises(FormatError, match=r"data_CNA\.txt:1: .* this looks like a copy-number table") as error:
        read_profiles([path])
    assert "\n" not in str(error.value)


@pytest.mark.shared_data
def test_real_individual_cna_table_is_not_read_as_mutations(shared_data: Path) -> None:
    """It has Hugo_Symbol and Tumor_Sample_Barcode, so it is sniffed as a MAF, and refused there."""
    path = shared_data / "maf" / "oncokb-annotator__example_individual_cna.txt"
    assert sniff(path) == "maf"
    with pytest.raises(
        FormatError, match=r"field 'Variant_Classification': the header has no 'Variant_Classification'"
    ):
        read_profiles([path])


@pytest.mark.shared_data
def test_real_maf_named_txt_is_read_as_maf(shared_data: Path) -> None:
    profiles = read_profiles([shared_data / "maf" / "oncokb-annotator__example_maf.txt"])
    assert len(profiles) == 4


def test_a_cut_short_gzip_of_unknown_kind_is_a_format_error(tmp_path: Path) -> None:
    whole = gzip.compress(b"Hugo_Symbol\tTumor_Sample_Barcode\n" * 5000)
    damaged = tmp_path / "results.gz"
    damaged.write_bytes(whole[:200])
    with pytest.raises(FormatError, match=r"results\.gz: the gzip stream is damaged or cut short"):
        read_profiles([damaged])
