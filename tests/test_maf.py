"""The MAF reader: bundled example, real GDC/cBioPortal/maftools files, classification rules, bad input."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from oncobasket.core.errors import FormatError
from oncobasket.core.profiles import GenomeBuild, ProfileSettings
from oncobasket.io.maf import read_maf

COLUMNS = (
    "Hugo_Symbol",
    "NCBI_Build",
    "Variant_Classification",
    "Tumor_Sample_Barcode",
    "HGVSp_Short",
    "t_ref_count",
    "t_alt_count",
)


def write_maf(folder: Path, rows: list[str], *, columns: tuple[str, ...] = COLUMNS, name: str = "cohort.maf") -> Path:
    """Rows are written with single spaces between cells; use '_' for nothing but '' via the NA token."""
    text = "#version 2.4\n" + "\t".join(columns) + "\n"
    text += "".join(row.replace(" ", "\t") + "\n" for row in rows)
    path = folder / name
    path.write_text(text)
    return path


# -- the bundled example ----------------------------------------------------------------------------


def test_bundled_example(examples: Path) -> None:
    profiles = read_maf(examples / "maf" / "OB-study.maf", ProfileSettings(build=GenomeBuild.GRCH37))
    assert [profile.sample_id for profile in profiles] == ["OB-0501", "OB-0502", "OB-0503"]
    by_sample = {profile.sample_id: profile for profile in profiles}
    assert {profile.build for profile in profiles} == {GenomeBuild.GRCH37}

    first = by_sample["OB-0501"]
    assert [(a.gene, a.protein_change, a.vaf, a.depth) for a in first.alterations] == [
        ("PIK3CA", "p.H1047R", round(122 / 412, 6), 412),
        ("TP53", "p.R175H", round(187 / 388, 6), 388),
    ]
    assert [(a.gene, a.protein_change, a.filter) for a in first.filtered] == [("PIK3CA", "p.K539=", "Silent")]
    pik3ca = first.alterations[0]
    assert (pik3ca.protein_change_hgvs, pik3ca.coding_change, pik3ca.transcript, pik3ca.exon) == (
        "p.His1047Arg",
        "c.3140A>G",
        "ENST00000263967",
        "21",
    )
    assert (pik3ca.chrom, pik3ca.pos, pik3ca.ref, pik3ca.alt) == ("3", 178952085, "A", "G")
    assert pik3ca.variant_classification == "Missense_Mutation"

    second = by_sample["OB-0502"]
    assert [a.label for a in second.alterations] == ["ERBB2 p.S310F"]
    assert [(a.label, a.filter) for a in second.filtered] == [
        ("ERBB2 c.2307+45T>C", "NonCoding"),
        ("KRAS p.G12V", "weak_evidence"),
    ]

    third = by_sample["OB-0503"]
    brca2, splice, mycl = third.alterations
    assert (brca2.protein_change, brca2.protein_change_hgvs) == ("p.I1859fs", "p.Ile1859LysfsTer3")
    assert (splice.gene, splice.protein_change, splice.coding_change) == ("BRCA2", None, "c.9256+1G>A")
    assert (mycl.gene, mycl.reported_gene) == ("MYCL", "MYCL1")
    [warning] = third.warnings
    assert "OB-study.maf:11: field 'HGVSp_Short': 'p.X3086_splice'" in warning
    assert "kept without a protein change" in warning


def test_gzipped_copy_reads_the_same(examples: Path, tmp_path: Path) -> None:
    plain = examples / "maf" / "OB-study.maf"
    packed = tmp_path / "OB-study.maf.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    expected = [profile.alterations + profile.filtered for profile in read_maf(plain)]
    assert [profile.alterations + profile.filtered for profile in read_maf(packed)] == expected


# -- rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classification", "filter_value"),
    [
        ("Missense_Mutation", "PASS"),
        ("Nonsense_Mutation", "PASS"),
        ("Frame_Shift_Del", "PASS"),
        ("Frame_Shift_Ins", "PASS"),
        ("In_Frame_Del", "PASS"),
        ("In_Frame_Ins", "PASS"),
        ("Splice_Site", "PASS"),
        ("Translation_Start_Site", "PASS"),
        ("Nonstop_Mutation", "PASS"),
        ("Silent", "Silent"),
        ("Intron", "NonCoding"),
        ("3'UTR", "NonCoding"),
        ("5'UTR", "NonCoding"),
        ("3'Flank", "NonCoding"),
        ("5'Flank", "NonCoding"),
        ("IGR", "NonCoding"),
        ("RNA", "NonCoding"),
        ("Splice_Region", "NonCoding"),
    ],
)
def test_variant_classification_decides_alterations_or_filtered(
    tmp_path: Path, classification: str, filter_value: str
) -> None:
    [profile] = read_maf(write_maf(tmp_path, [f"KRAS GRCh37 {classification} OB-1 p.G12D 80 20"]))
    [alteration] = profile.alterations + profile.filtered
    assert alteration.filter == filter_value
    assert alteration.variant_classification == classification
    assert len(profile.alterations) == (filter_value == "PASS")


def test_unknown_classification_is_kept_and_reported(tmp_path: Path) -> None:
    [profile] = read_maf(write_maf(tmp_path, ["FLT3 GRCh37 ITD OB-1 NA 80 20"]))
    assert [a.gene for a in profile.alterations] == ["FLT3"]
    assert any("'ITD' (1 rows)" in warning for warning in profile.warnings)


@pytest.mark.parametrize(
    ("columns", "row", "vaf", "depth"),
    [
        (("t_ref_count", "t_alt_count"), "75 25", 0.25, 100),
        (("t_depth", "t_ref_count", "t_alt_count"), "120 75 25", 0.25, 120),
        (("i_TumorVAF_WU",), "45.66", 0.4566, None),
        (("tumor_f", "t_depth"), "0.125 400", 0.125, 400),
        (("t_ref_count", "t_alt_count", "tumor_f"), "NA NA 0.3", 0.3, None),
        (("t_ref_count", "t_alt_count"), "NA NA", None, None),
    ],
)
def test_fraction_and_depth_columns(
    tmp_path: Path, columns: tuple[str, ...], row: str, vaf: float | None, depth: int | None
) -> None:
    header = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", *columns)
    [profile] = read_maf(write_maf(tmp_path, [f"KRAS OB-1 Missense_Mutation {row}"], columns=header))
    assert (profile.alterations[0].vaf, profile.alterations[0].depth) == (vaf, depth)


@pytest.mark.parametrize(
    ("cell", "short"),
    [("p.V600E", "p.V600E"), ("V600E", "p.V600E"), ("p.Q61X", "p.Q61*"), ("p.WQ288fs", "p.W288fs"), ("NA", None)],
)
def test_protein_cells(tmp_path: Path, cell: str, short: str | None) -> None:
    [profile] = read_maf(write_maf(tmp_path, [f"BRAF GRCh37 Missense_Mutation OB-1 {cell} 80 20"]))
    assert profile.alterations[0].protein_change == short
    assert profile.warnings == ()


def test_later_protein_column_is_used_when_the_first_is_not_hgvs(tmp_path: Path) -> None:
    columns = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short", "HGVSp")
    [profile] = read_maf(
        write_maf(tmp_path, ["EGFR OB-1 In_Frame_Del p.746_750del p.Glu746_Ala750del"], columns=columns)
    )
    assert profile.alterations[0].protein_change == "p.E746_A750del"
    assert profile.warnings == ()


def test_protein_columns_that_disagree_are_reported(tmp_path: Path) -> None:
    columns = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short", "HGVSp")
    rows = [
        "FGFR2 OB-1 Missense_Mutation p.Q212K p.Gln121Lys",
        "BRAF OB-1 Missense_Mutation p.V600E ENSP00000288602.6:p.Val600Glu",
        "BRCA2 OB-1 Frame_Shift_Del p.I1859Kfs*3 p.Ile1859LysfsTer3",
    ]
    [profile] = read_maf(write_maf(tmp_path, rows, columns=columns))
    assert [a.protein_change for a in profile.alterations] == ["p.Q212K", "p.V600E", "p.I1859fs"]
    [warning] = profile.warnings  # only the row that disagrees; the same change in two notations is no conflict
    assert warning.startswith(f"{tmp_path / 'cohort.maf'}:3: field 'HGVSp': 'p.Gln121Lys' (p.Q121K) disagrees")
    assert "with HGVSp_Short 'p.Q212K' (p.Q212K); HGVSp_Short was used" in warning
    assert "HGVSp_Short, Protein_Change, amino_acid_change, HGVSp" in warning
    assert "\n" not in warning


def test_a_later_protein_column_that_is_not_hgvs_is_no_conflict(tmp_path: Path) -> None:
    columns = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short", "HGVSp")
    [profile] = read_maf(write_maf(tmp_path, ["NF1 OB-1 Missense_Mutation p.R1276Q p.X1445_splice"], columns=columns))
    assert profile.alterations[0].protein_change == "p.R1276Q"
    assert profile.warnings == ()


def test_protein_conflict_warnings_are_capped_per_sample(tmp_path: Path) -> None:
    columns = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "HGVSp_Short", "HGVSp")
    rows = [f"KRAS OB-1 Missense_Mutation p.G{12 + i}D p.Gly{13 + i}Asp" for i in range(53)]
    [profile] = read_maf(write_maf(tmp_path, rows, columns=columns))
    assert len(profile.warnings) == 51
    assert profile.warnings[-1].endswith(
        "3 more rows of this sample have protein columns that disagree; the first column in the order "
        "HGVSp_Short, Protein_Change, amino_acid_change, HGVSp was used"
    )


@pytest.mark.parametrize(
    ("spelling", "build"),
    [
        ("37", GenomeBuild.GRCH37),
        ("GRCh37", GenomeBuild.GRCH37),
        ("hg19", GenomeBuild.GRCH37),
        ("38", GenomeBuild.GRCH38),
    ],
)
def test_build_spellings(tmp_path: Path, spelling: str, build: GenomeBuild) -> None:
    [profile] = read_maf(write_maf(tmp_path, [f"KRAS {spelling} Missense_Mutation OB-1 p.G12D 80 20"]))
    assert profile.build is build


def test_build_from_settings_without_build_column(tmp_path: Path) -> None:
    columns = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification")
    [profile] = read_maf(
        write_maf(tmp_path, ["KRAS OB-1 Missense_Mutation"], columns=columns), ProfileSettings(build=GenomeBuild.GRCH38)
    )
    assert profile.build is GenomeBuild.GRCH38


def test_samples_keep_the_order_they_first_appear(tmp_path: Path) -> None:
    rows = [
        "KRAS GRCh37 Missense_Mutation OB-3 p.G12D 80 20",
        "BRAF GRCh37 Missense_Mutation OB-1 p.V600E 80 20",
        "TP53 GRCh37 Missense_Mutation OB-3 p.R175H 80 20",
    ]
    profiles = read_maf(write_maf(tmp_path, rows))
    assert [(p.sample_id, [a.gene for a in p.alterations]) for p in profiles] == [
        ("OB-3", ["KRAS", "TP53"]),
        ("OB-1", ["BRAF"]),
    ]


# -- bad input --------------------------------------------------------------------------------------


def assert_one_line(error: pytest.ExceptionInfo[FormatError], path: Path) -> None:
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(str(path))


@pytest.mark.parametrize("missing", ["Tumor_Sample_Barcode", "Hugo_Symbol", "Variant_Classification"])
def test_missing_required_column(tmp_path: Path, missing: str) -> None:
    columns = tuple(name for name in COLUMNS if name != missing)
    path = write_maf(tmp_path, ["KRAS GRCh37 OB-1 p.G12D 80 20"], columns=columns)
    with pytest.raises(
        FormatError, match=rf"cohort\.maf:2: field '{missing}': the header has no '{missing}' column; a MAF needs"
    ) as error:
        read_maf(path)
    assert_one_line(error, path)
    assert "copy-number" not in str(error.value)


def test_variant_classification_is_required_even_with_a_protein_column(tmp_path: Path) -> None:
    """A table of genes and protein changes without classes cannot be told coding from silent."""
    columns = ("Hugo_Symbol", "Tumor_Sample_Barcode", "HGVSp_Short")
    path = write_maf(tmp_path, ["BRAF OB-1 p.V600E"], columns=columns)
    with pytest.raises(
        FormatError, match=r"field 'Variant_Classification': the header has no 'Variant_Classification'"
    ):
        read_maf(path)


@pytest.mark.parametrize(
    ("header", "row", "missing"),
    [
        # oncokb-annotator's individual CNA table
        ("Tumor_Sample_Barcode Hugo_Symbol Copy_Number_Alteration", "OB-1 ERBB2 2", "'Variant_Classification'"),
        # cBioPortal's discrete data_CNA.txt: Hugo_Symbol, gene annotations, one column per sample
        (
            "Hugo_Symbol Entrez_Gene_Id OB-1 OB-2",
            "ERBB2 2064 2 0",
            "'Tumor_Sample_Barcode' or 'Variant_Classification'",
        ),
        # GISTIC's by-gene calls
        (
            "Gene Symbol\tLocus ID\tCytoband\tOB-1",
            "ERBB2\t2064\t17q12\t2",
            "'Hugo_Symbol', 'Tumor_Sample_Barcode' or 'Variant_Classification'",
        ),
    ],
)
def test_copy_number_table_is_named_as_such(tmp_path: Path, header: str, row: str, missing: str) -> None:
    path = tmp_path / "calls.txt"
    separator = "\t" if "\t" in header else " "
    path.write_text(header.replace(separator, "\t") + "\n" + row.replace(separator, "\t") + "\n")
    with pytest.raises(FormatError) as error:
        read_maf(path)
    message = str(error.value)
    assert_one_line(error, path)
    assert "calls.txt:1: field '" in message
    assert f"the header has no {missing} column: this looks like a copy-number table" in message
    assert "give copy-number calls as a TSO500 output or a VCF with <DUP>/<DEL> records" in message


def test_empty_variant_classification_cell(tmp_path: Path) -> None:
    path = write_maf(tmp_path, ["KRAS GRCh37 Missense_Mutation OB-1 p.G12D 80 20", "BRAF GRCh37 NA OB-1 p.V600E 80 20"])
    with pytest.raises(
        FormatError, match=r"cohort\.maf:4: field 'Variant_Classification': empty Variant_Classification"
    ):
        read_maf(path)


def test_non_numeric_count_names_the_line(tmp_path: Path) -> None:
    rows = ["KRAS GRCh37 Missense_Mutation OB-1 p.G12D 80 20", "BRAF GRCh37 Missense_Mutation OB-1 p.V600E 80 twelve"]
    path = write_maf(tmp_path, rows)
    with pytest.raises(FormatError, match=r"cohort\.maf:4: field 't_alt_count': 'twelve' is not a number") as error:
        read_maf(path)
    assert_one_line(error, path)


def test_fractional_count_is_refused(tmp_path: Path) -> None:
    path = write_maf(tmp_path, ["KRAS GRCh37 Missense_Mutation OB-1 p.G12D 80 2.5"])
    with pytest.raises(FormatError, match=r":3: field 't_alt_count': '2.5' is not a read count"):
        read_maf(path)


def test_percent_fraction_out_of_range(tmp_path: Path) -> None:
    columns = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification", "i_TumorVAF_WU")
    path = write_maf(tmp_path, ["KRAS OB-1 Missense_Mutation 145"], columns=columns)
    with pytest.raises(FormatError, match=r":3: field 'i_TumorVAF_WU': allele fraction '145' is out of range"):
        read_maf(path)


@pytest.mark.parametrize("content", ["", "#version 2.4\n", "#version 2.4\n\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.maf"
    path.write_text(content)
    with pytest.raises(FormatError, match=r"empty\.maf:1: the MAF is empty") as error:
        read_maf(path)
    assert_one_line(error, path)


def test_header_without_rows(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"cohort\.maf:2: the MAF has a header but no variant rows"):
        read_maf(write_maf(tmp_path, []))


def test_empty_gene_and_sample_cells(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r":3: field 'Hugo_Symbol': empty gene symbol"):
        read_maf(write_maf(tmp_path, ["NA GRCh37 Missense_Mutation OB-1 p.G12D 80 20"]))
    with pytest.raises(FormatError, match=r":3: field 'Tumor_Sample_Barcode': empty sample barcode"):
        read_maf(write_maf(tmp_path, ["KRAS GRCh37 Missense_Mutation NA p.G12D 80 20"]))


def test_unknown_and_mixed_builds(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r":3: field 'NCBI_Build': unknown genome build 'NCBI36'"):
        read_maf(write_maf(tmp_path, ["KRAS NCBI36 Missense_Mutation OB-1 p.G12D 80 20"]))
    rows = ["KRAS GRCh37 Missense_Mutation OB-1 p.G12D 80 20", "KRAS GRCh38 Missense_Mutation OB-2 p.G12D 80 20"]
    with pytest.raises(
        FormatError, match=r":4: field 'NCBI_Build': mixed genome builds: GRCh38 here but GRCh37 at line 3"
    ):
        read_maf(write_maf(tmp_path, rows))


def test_wrong_build(tmp_path: Path) -> None:
    path = write_maf(tmp_path, ["KRAS GRCh38 Missense_Mutation OB-1 p.G12D 80 20"])
    with pytest.raises(
        FormatError, match=r":3: field 'NCBI_Build': wrong genome build: the MAF says GRCh38 but GRCh37"
    ):
        read_maf(path, ProfileSettings(build=GenomeBuild.GRCH37))


def test_truncated_gzip(examples: Path, tmp_path: Path) -> None:
    packed = tmp_path / "OB-study.maf.gz"
    packed.write_bytes(gzip.compress((examples / "maf" / "OB-study.maf").read_bytes())[:300])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        read_maf(packed)


def test_plain_maf_cut_inside_its_last_row(examples: Path, tmp_path: Path) -> None:
    text = (examples / "maf" / "OB-study.maf").read_text().rstrip("\n")
    path = tmp_path / "cut.maf"
    path.write_text(text[: text.rindex("\tOB-0503\t") + len("\tOB-0503\t")])
    lines = len(path.read_text().splitlines())
    with pytest.raises(
        FormatError, match=rf"cut\.maf:{lines}: the last row has 13 of the header's 21 columns"
    ) as error:
        read_maf(path)
    assert "\n" not in str(error.value)


def test_a_complete_last_row_without_a_line_end_is_read(examples: Path, tmp_path: Path) -> None:
    path = tmp_path / "no_newline.maf"
    path.write_text((examples / "maf" / "OB-study.maf").read_text().rstrip("\n"))
    whole = read_maf(examples / "maf" / "OB-study.maf")
    assert [p.alterations for p in read_maf(path)] == [p.alterations for p in whole]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        read_maf(tmp_path / "absent.maf")


# -- real files -------------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_tcga_laml(shared_data: Path) -> None:
    """maftools' TCGA-LAML MAF: 2,207 rows in 193 samples, Protein_Change and i_TumorVAF_WU in percent."""
    profiles = read_maf(shared_data / "maf" / "maftools__tcga_laml.maf.gz", ProfileSettings(build=GenomeBuild.GRCH37))
    assert len(profiles) == 193
    assert {profile.build for profile in profiles} == {GenomeBuild.GRCH37}
    alterations = [a for profile in profiles for a in profile.alterations]
    filtered = [a for profile in profiles for a in profile.filtered]
    assert len(alterations) + len(filtered) == 2207
    # 449 Silent + 5 IGR + 8 Intron + 3 5'Flank + 10 RNA rows are not matched on.
    assert Counter(a.filter for a in filtered) == {"Silent": 449, "NonCoding": 26}
    assert len(alterations) == 1732
    changes = Counter((a.gene, a.protein_change) for a in alterations)
    assert changes["DNMT3A", "p.R882H"] == 19
    assert changes["DNMT3A", "p.R882C"] == 7
    assert changes["FLT3", "p.D835Y"] == 10
    assert changes["IDH2", "p.R140Q"] == 16
    assert changes["IDH1", "p.R132C"] == 12
    # NPM1's frameshift is written p.WQ288fs (26) and p.W288fs (4) in this file.
    assert changes["NPM1", "p.W288fs"] == 30
    assert sum(1 for a in alterations if a.gene == "FLT3") == 52
    first = profiles[0].alterations[0]
    assert (profiles[0].sample_id, first.gene, first.protein_change, first.vaf) == (
        "TCGA-AB-2988",
        "ABCA10",
        "p.K960R",
        0.4566,
    )
    assert first.transcript == "NM_080282.3"
    # FLT3 ITD cells such as p.599_600insDFREYEY name no residues: kept, without protein change, with a warning.
    itd = [a for a in alterations if a.gene == "FLT3" and a.variant_classification == "In_Frame_Ins"]
    assert len(itd) == 33
    assert all(a.protein_change is None for a in itd)
    assert any("p.599_600insDFREYEY" in warning for profile in profiles for warning in profile.warnings)
    with pytest.raises(FormatError, match="wrong genome build"):
        read_maf(shared_data / "maf" / "maftools__tcga_laml.maf.gz", ProfileSettings(build=GenomeBuild.GRCH38))


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("oncokb-annotator__example_maf.txt", GenomeBuild.GRCH37),
        ("oncokb-annotator__example_maf_grch38.txt", GenomeBuild.GRCH38),
    ],
)
def test_oncokb_annotator_examples(shared_data: Path, name: str, build: GenomeBuild) -> None:
    profiles = read_maf(shared_data / "maf" / name)
    by_sample = {profile.sample_id: profile for profile in profiles}
    assert {profile.build for profile in profiles} == {build}
    tcga_02 = by_sample["TCGA-02-0033-01"]
    assert [a.label for a in tcga_02.alterations] == [
        "PIK3CA p.E542K",
        "FGFR2 p.Q212K",
        "RB1 p.Q702*",
        "TP53 p.R248Q",
        "NF1 mutation",
    ]
    nf1 = tcga_02.alterations[-1]
    assert (nf1.protein_change, nf1.variant_classification, nf1.pos) == (
        None,
        "Splice_Site",
        29586049 if build is GenomeBuild.GRCH37 else 31259031,
    )
    # FGFR2's HGVSp_Short p.Q212K and HGVSp Gln121Lys disagree: HGVSp_Short is used, with a warning.
    conflict, splice = tcga_02.warnings
    assert f"{name}:8: field 'HGVSp': 'Gln121Lys' (p.Q121K) disagrees with HGVSp_Short 'p.Q212K'" in conflict
    assert "p.X1445_splice" in splice
    tcga_05 = by_sample["TCGA-05-4417-01"]
    labels = [a.label for a in tcga_05.alterations]
    assert "AKT3 p.E182*" in labels
    assert "KRAS p.G12C" in labels
    assert ("MYD88 p.M232T" if build is GenomeBuild.GRCH37 else "MYD88 p.M219T") in labels


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name",
    [
        "maftools__APL_primary.maf.gz",
        "maftools__brca.maf.gz",
        "maftools__tcga_laml.maf.gz",
        "oncokb-annotator__example_maf.txt",
        "oncokb-annotator__example_maf_grch38.txt",
    ],
)
def test_every_real_maf_has_the_required_columns(shared_data: Path, name: str) -> None:
    """Requiring Variant_Classification refuses none of the published MAFs."""
    profiles = read_maf(shared_data / "maf" / name)
    assert profiles
    assert all(a.variant_classification for p in profiles for a in p.alterations + p.filtered)


@pytest.mark.shared_data
def test_oncokb_individual_cna_table_is_not_a_maf(shared_data: Path) -> None:
    """The reviewer's case: this copy-number table used to read as changeless 'mutation' rows."""
    path = shared_data / "maf" / "oncokb-annotator__example_individual_cna.txt"
    with pytest.raises(
        FormatError,
        match=r"example_individual_cna\.txt:1: field 'Variant_Classification': the header has no "
        r"'Variant_Classification' column: this looks like a copy-number table",
    ):
        read_maf(path)


@pytest.mark.shared_data
def test_oncokb_example_flank_row_is_filtered(shared_data: Path) -> None:
    profiles = read_maf(shared_data / "maf" / "oncokb-annotator__example_maf.txt")
    filtered = [(p.sample_id, a.gene, a.filter) for p in profiles for a in p.filtered]
    assert filtered == [("TCGA-05-4417-01", "TERT", "NonCoding")]


@pytest.mark.shared_data
def test_maftools_apl_old_mac_line_ends_and_amino_acid_change(shared_data: Path) -> None:
    """APL_primary.maf ends lines with a bare CR, builds 'hg19', and writes amino_acid_change without 'p.'."""
    profiles = read_maf(shared_data / "maf" / "maftools__APL_primary.maf.gz")
    assert len(profiles) == 124
    assert sum(len(p.alterations) + len(p.filtered) for p in profiles) == 269
    assert {p.build for p in profiles} == {GenomeBuild.GRCH37}
    ds12 = next(p for p in profiles if p.sample_id == "DS12D")
    grip2 = next(a for a in ds12.alterations if a.gene == "GRIP2")
    assert (grip2.protein_change, grip2.chrom, grip2.pos) == ("p.E946*", "chr3", 14547151)


@pytest.mark.shared_data
def test_maftools_brca_without_protein_column(shared_data: Path) -> None:
    [profile] = read_maf(shared_data / "maf" / "maftools__brca.maf.gz")
    assert profile.sample_id == "TCGA-A8-A08B"
    assert len(profile.alterations) == 31
    assert len(profile.alterations) + len(profile.filtered) == 1913
    assert any("no protein-change column" in warning for warning in profile.warnings)


def test_protein_warnings_are_capped_per_sample(tmp_path: Path) -> None:
    rows = [f"FLT3 GRCh37 In_Frame_Ins OB-1 p.{600 + i}_{601 + i}insDFREYEY 80 20" for i in range(55)]
    [profile] = read_maf(write_maf(tmp_path, rows))
    assert len(profile.alterations) == 55
    assert len(profile.warnings) == 51
    assert profile.warnings[-1].endswith(
        "5 more protein changes of this sample were not HGVS protein notation; kept without a protein change"
    )
