"""The generic VCF reader: bundled example, dialects of AF/DP and annotation, gVCF blocks, bad input."""

from __future__ import annotations

import gzip
from dataclasses import fields
from pathlib import Path

import pysam
import pytest

from oncobasket.core.errors import FormatError
from oncobasket.core.profiles import Alteration, AlterationKind, GenomeBuild, ProfileSettings
from oncobasket.io.vcf import _ALTERATION_FIELDS, _new_alteration, read_vcf

GRCH37_CONTIG = "##contig=<ID=chr1,length=249250621>"
GRCH38_CONTIG = "##contig=<ID=chr1,length=248956422>"
VEP_FORMAT = "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|CANONICAL"
ANN_LAYOUT = (
    "Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
    "Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | "
    "AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO"
)
META = f"""##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">
##INFO=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
##INFO=<ID=END,Number=1,Type=Integer,Description="End of a reference block">
##INFO=<ID=GENE,Number=1,Type=String,Description="Gene symbol">
##INFO=<ID=HGVSp,Number=1,Type=String,Description="Protein change">
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: {VEP_FORMAT}">
##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '{ANN_LAYOUT}'">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fraction">
##FORMAT=<ID=VF,Number=1,Type=Float,Description="Variant frequency (Pisces)">
##FORMAT=<ID=FREQ,Number=1,Type=String,Description="Variant allele frequency (VarScan)">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FILTER=<ID=LowDP,Description="Depth below 100">
"""


def write_vcf(
    folder: Path,
    records: list[str],
    *,
    samples: tuple[str, ...] = ("OB-0201",),
    contig: str = GRCH37_CONTIG,
    extra_meta: str = "",
    name: str = "calls.vcf",
) -> Path:
    columns = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO" + ("\tFORMAT\t" + "\t".join(samples) if samples else "")
    text = "##fileformat=VCFv4.2\n" + contig + "\n" + META + extra_meta + columns + "\n"
    text += "".join(record.replace(" ", "\t") + "\n" for record in records)
    path = folder / name
    path.write_text(text)
    return path


def one(path: Path, settings: ProfileSettings = ProfileSettings()):  # type: ignore[no-untyped-def]
    profile = read_vcf(path, settings)
    assert len(profile.alterations) == 1, profile
    return profile.alterations[0]


# -- the bundled example ----------------------------------------------------------------------------


def test_bundled_example_reads_every_kind_of_record(examples: Path) -> None:
    profile = read_vcf(examples / "vcf" / "OB-0101.vcf", ProfileSettings(build=GenomeBuild.GRCH37))
    assert profile.sample_id == "OB-0101"
    assert profile.build is GenomeBuild.GRCH37
    called = {(a.gene, a.kind, a.protein_change, a.vaf, a.depth) for a in profile.alterations}
    assert called == {
        ("IDH1", AlterationKind.MUTATION, "p.R132H", 0.393, 412),
        ("EGFR", AlterationKind.MUTATION, "p.E746_A750del", 0.377, 655),
        ("KRAS", AlterationKind.MUTATION, "p.G12C", 0.307, 512),
        ("TP53", AlterationKind.MUTATION, "p.R248Q", 0.29, 590),
        ("TP53", AlterationKind.MUTATION, "p.R248L", 0.059, 590),
        ("ERBB2", AlterationKind.AMPLIFICATION, None, None, None),
    }
    [pik3ca] = profile.filtered
    assert (pik3ca.gene, pik3ca.protein_change, pik3ca.filter, pik3ca.vaf) == (
        "PIK3CA",
        "p.E545K",
        "weak_evidence",
        0.011,
    )
    # The intergenic call has no gene: not matched on, but counted where a reader sees it.
    assert len(profile.warnings) == 1
    assert "1 ALT allele(s) without a gene annotation" in profile.warnings[0]
    assert "chr5:12345678" in profile.warnings[0]


def test_example_vep_choice_and_kept_parts(examples: Path) -> None:
    profile = read_vcf(examples / "vcf" / "OB-0101.vcf")
    egfr = next(a for a in profile.alterations if a.gene == "EGFR")
    # Two transcripts: the CANONICAL one wins over the first one listed.
    assert egfr.transcript == "ENST00000275493.2"
    assert egfr.exon == "19"
    assert egfr.protein_change_hgvs == "ENSP00000275493.2:p.Glu746_Ala750del"
    assert egfr.coding_change == "ENST00000275493.2:c.2235_2249del"
    assert egfr.consequences == ("inframe_deletion",)
    assert (egfr.chrom, egfr.pos, egfr.ref, egfr.alt) == ("chr7", 55242464, "AGGAATTAAGAGAAGC", "A")
    erbb2 = next(a for a in profile.alterations if a.gene == "ERBB2")
    assert erbb2.fold_change == 4.1
    assert erbb2.alt == "<DUP>"


def test_example_copy_number_from_purity(examples: Path) -> None:
    profile = read_vcf(examples / "vcf" / "OB-0101.vcf", ProfileSettings(tumour_purity_percent=50.0))
    erbb2 = next(a for a in profile.alterations if a.gene == "ERBB2")
    assert erbb2.copy_number == pytest.approx((200 * 4.1 - 2 * 50) / 50)


@pytest.mark.parametrize("compress", ["bgzip", "gzip"])
def test_compressed_copies_read_the_same(examples: Path, tmp_path: Path, compress: str) -> None:
    plain = examples / "vcf" / "OB-0101.vcf"
    packed = tmp_path / "OB-0101.vcf.gz"
    if compress == "bgzip":
        pysam.tabix_compress(str(plain), str(packed))
    else:
        packed.write_bytes(gzip.compress(plain.read_bytes()))
    expected = read_vcf(plain).as_dict()
    got = read_vcf(packed).as_dict()
    expected.pop("sources"), got.pop("sources")
    assert got == expected


# -- records ----------------------------------------------------------------------------------------


def test_gvcf_reference_blocks_are_skipped_and_counted(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path,
        [
            "chr1 100 . A . . PASS END=199;DP=300 GT:DP 0/0:300",
            "chr1 200 . A <NON_REF> . PASS END=299;DP=300 GT:DP 0/0:300",
            "chr1 300 . A <*> . PASS END=399 GT:DP 0/0:300",
            "chr1 400 . A C,<NON_REF> . PASS GENE=BRAF GT:AD:DP 0/1:200,100,0:300",
        ],
    )
    profile = read_vcf(path)
    assert [(a.gene, a.alt, a.vaf, a.depth) for a in profile.alterations] == [("BRAF", "C", pytest.approx(1 / 3), 300)]
    assert profile.details["reference_blocks_skipped"] == "3"
    assert profile.warnings == ()


def test_multiallelic_record_is_split_with_each_allele_fraction(tmp_path: Path) -> None:
    csq = (
        "CSQ=T|missense_variant|MODERATE|KRAS|G|Transcript|ENST1|protein_coding|2/6||ENST1:c.35G>A|ENSP1:p.Gly12Asp|YES,"
        "A|missense_variant|MODERATE|KRAS|G|Transcript|ENST1|protein_coding|2/6||ENST1:c.35G>T|ENSP1:p.Gly12Val|YES"
    )
    path = write_vcf(tmp_path, [f"chr12 25398284 . C T,A . PASS {csq} GT:AF:DP 0/1/2:0.25,0.05:400"])
    profile = read_vcf(path)
    assert [(a.protein_change, a.alt, a.vaf) for a in profile.alterations] == [
        ("p.G12D", "T", 0.25),
        ("p.G12V", "A", 0.05),
    ]


def test_vep_indel_alleles_are_matched_after_first_base_trimming(tmp_path: Path) -> None:
    csq = (
        "CSQ=-|frameshift_variant|HIGH|BRCA2|G|Transcript|ENST2|protein_coding|11/27||c.1del|p.Lys400ArgfsTer5|YES,"
        "TT|frameshift_variant|HIGH|BRCA2|G|Transcript|ENST2|protein_coding|11/27||c.1dup|p.Lys400GlufsTer9|YES"
    )
    path = write_vcf(tmp_path, [f"chr13 32900000 . AT A,ATT . PASS {csq} GT:AF:DP 0/1/2:0.3,0.1:200"])
    profile = read_vcf(path)
    assert [(a.alt, a.protein_change, a.vaf) for a in profile.alterations] == [
        ("A", "p.K400fs", 0.3),
        ("ATT", "p.K400fs", 0.1),
    ]
    assert [a.protein_change_hgvs for a in profile.alterations] == ["p.Lys400ArgfsTer5", "p.Lys400GlufsTer9"]


def test_non_pass_calls_are_kept_in_filtered(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path,
        [
            "chr1 100 . G A . LowDP GENE=NRAS;HGVSp=p.Gln61Lys GT:AF:DP 0/1:0.2:40",
            "chr1 200 . G A . . GENE=NRAS;HGVSp=p.Gly12Asp GT:AF:DP 0/1:0.2:400",
        ],
    )
    profile = read_vcf(path)
    assert [(a.protein_change, a.filter) for a in profile.filtered] == [("p.Q61K", "LowDP")]
    # FILTER '.' (filters not applied) counts as a call.
    assert [(a.protein_change, a.filter) for a in profile.alterations] == [("p.G12D", "PASS")]


def test_records_without_a_gene_are_counted_not_lost(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path,
        [
            "chr1 100 . G A . PASS DP=100 GT:AF 0/1:0.2",
            "chr1 200 . G A,T . LowDP DP=100 GT:AF 0/1:0.2,0.1",
            "chr1 300 . G A . PASS GENE=NRAS GT:AF 0/1:0.3",
        ],
    )
    profile = read_vcf(path)
    assert [a.gene for a in profile.alterations] == ["NRAS"]
    assert profile.alterations[0].protein_change is None
    assert profile.warnings == (
        "3 ALT allele(s) without a gene annotation were not used (first: line 18 chr1:100 G>A); "
        "annotate the VCF with VEP (CSQ) or SnpEff (ANN) to match them",
    )


def test_snpeff_ann_is_read(tmp_path: Path) -> None:
    ann = (
        "ANN=T|missense_variant|MODERATE|BRAF|ENSG1|transcript|NM_004333.4|protein_coding|15/18|"
        "c.1799T>A|p.Val600Glu|1860/2946|1799/2301|600/766||,"
        "T|upstream_gene_variant|MODIFIER|OTHER|ENSG2|transcript|NM_9|protein_coding||c.-5T>A|||||1000|"
    )
    alteration = one(write_vcf(tmp_path, [f"chr7 140453136 . A T . PASS {ann} GT:AF:DP 0/1:0.41:700"]))
    assert (alteration.gene, alteration.protein_change, alteration.transcript, alteration.exon) == (
        "BRAF",
        "p.V600E",
        "NM_004333.4",
        "15",
    )
    assert alteration.coding_change == "c.1799T>A"
    assert alteration.consequences == ("missense_variant",)


def test_snpeff_multiallelic_and_cancer_mode_alleles(tmp_path: Path) -> None:
    ann = (
        "ANN=A|missense_variant|MODERATE|NRAS|E|transcript|NM_002524.5|protein_coding|3/7|c.182A>T|p.Gln61Leu||||,"
        "T-C|missense_variant|MODERATE|NRAS|E|transcript|NM_002524.5|protein_coding|3/7|c.181C>A|p.Gln61Lys||||"
    )
    path = write_vcf(tmp_path, [f"chr1 115256529 . C A,T . PASS {ann} GT:AF:DP 0/1/2:0.2,0.1:500"])
    profile = read_vcf(path)
    assert [(a.alt, a.protein_change, a.vaf) for a in profile.alterations] == [
        ("A", "p.Q61L", 0.2),
        ("T", "p.Q61K", 0.1),
    ]


def test_copy_number_records(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path,
        [
            "chr9 21967751 . N <DEL> . PASS END=21995300;GENE=CDKN2A GT ./.",
            "chr9 21967751 . N <INV> . PASS END=21995300;GENE=CDKN2A GT ./.",
            "chr17 37844167 . N <DUP> . LowQ END=37886679;GENE=ERBB2 GT ./.",
        ],
    )
    profile = read_vcf(path)
    assert [(a.gene, a.kind, a.vaf) for a in profile.alterations] == [("CDKN2A", AlterationKind.COPY_LOSS, None)]
    assert [(a.gene, a.kind, a.filter) for a in profile.filtered] == [("ERBB2", AlterationKind.AMPLIFICATION, "LowQ")]
    assert profile.warnings == ("1 structural ALT allele(s) other than <DUP>/<DEL> were not used",)


def test_simple_info_keys_and_previous_gene_symbols(tmp_path: Path) -> None:
    alteration = one(write_vcf(tmp_path, ["chr1 100 . G A . PASS GENE=MLL;HGVSp=p.(Arg10Gln) GT:AF:DP 0/1:0.2:90"]))
    assert (alteration.gene, alteration.reported_gene, alteration.protein_change) == ("KMT2A", "MLL", "p.R10Q")


def test_vep_escaped_equals_and_unparsable_protein(tmp_path: Path) -> None:
    synonymous = (
        "CSQ=A|synonymous_variant|LOW|EGFR|G|Transcript|ENST3|protein_coding|20/28||"
        "ENST3:c.2361G>A|ENSP3:p.Gln787%3D|YES"
    )
    odd = "CSQ=A|splice_donor_variant|HIGH|NF1|G|Transcript|ENST4|protein_coding|||ENST4:c.4332+1G>A|p.X1445_splice|YES"
    path = write_vcf(
        tmp_path,
        [
            f"chr7 55249063 . G A . PASS {synonymous} GT:AF:DP 0/1:0.5:300",
            f"chr17 29586049 . G A . PASS {odd} GT:AF:DP 0/1:0.4:300",
        ],
    )
    profile = read_vcf(path)
    assert [(a.gene, a.protein_change, a.coding_change) for a in profile.alterations] == [
        ("EGFR", "p.Q787=", "ENST3:c.2361G>A"),
        ("NF1", None, "ENST4:c.4332+1G>A"),
    ]
    assert any("p.X1445_splice" in warning and ":19:" in warning for warning in profile.warnings)


def test_repeated_protein_changes_are_parsed_once_but_counted_each_time(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path,
        [
            "chr1 100 . G A . PASS GENE=NRAS;HGVSp=p.Gln61Lys GT:AF:DP 0/1:0.2:300",
            "chr1 200 . G A . PASS GENE=NRAS;HGVSp=p.Gln61Lys GT:AF:DP 0/1:0.3:300",
            "chr1 300 . G A . PASS GENE=NF1;HGVSp=p.X1445_splice GT:AF:DP 0/1:0.2:300",
            "chr1 400 . G A . PASS GENE=NF1;HGVSp=p.X1445_splice GT:AF:DP 0/1:0.2:300",
        ],
    )
    profile = read_vcf(path)
    assert [a.protein_change for a in profile.alterations] == ["p.Q61K", "p.Q61K", None, None]
    named = [warning for warning in profile.warnings if "p.X1445_splice" in warning]
    assert len(named) == 2
    assert ":20:" in named[0]
    assert ":21:" in named[1]
    assert profile.warnings[-1].startswith("2 protein change(s) were not HGVS protein notation")


def test_the_readers_alteration_maker_equals_the_constructor() -> None:
    """The record loop fills Alteration's slots directly (see _alteration_builder); it must stay in
    step with the dataclass: same fields in the same order, same value as ``Alteration(...)``."""
    assert tuple(item.name for item in fields(Alteration)) == _ALTERATION_FIELDS
    expected = Alteration(
        gene="KMT2A",
        kind=AlterationKind.MUTATION,
        reported_gene="MLL",
        protein_change="p.R10Q",
        protein_change_hgvs="p.(Arg10Gln)",
        transcript="ENST1",
        coding_change="c.29G>A",
        consequences=("missense_variant",),
        exon="2",
        vaf=0.25,
        depth=400,
        fold_change=None,
        copy_number=None,
        chrom="chr11",
        pos=118307205,
        ref="G",
        alt="A",
        filter="LowDP",
    )
    built = _new_alteration(
        "KMT2A",
        AlterationKind.MUTATION,
        "MLL",
        ("KMT2A",),
        "p.R10Q",
        "p.(Arg10Gln)",
        "ENST1",
        "c.29G>A",
        ("missense_variant",),
        "2",
        0.25,
        400,
        None,
        None,
        "chr11",
        118307205,
        "G",
        "A",
        "LowDP",
    )
    assert built == expected
    assert built.as_dict() == expected.as_dict()
    assert hash(built) == hash(expected)


# -- allele fraction and depth precedence ------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "format_keys", "sample", "vaf", "depth"),
    [
        pytest.param("GENE=X;AF=0.9;DP=50", "AF:DP:AD", "0.25:400:300,100", 0.25, 400, id="FORMAT AF and DP win"),
        pytest.param("GENE=X;AF=0.9;DP=50", "VF:AD", "0.125:700,100", 0.125, 800, id="Pisces VF, depth from AD"),
        pytest.param("GENE=X;DP=50", "FREQ:DP", "12.5%:200", 0.125, 200, id="VarScan FREQ percent"),
        pytest.param("GENE=X;DP=50", "AD", "60,20", 0.25, 80, id="AD-derived fraction and depth"),
        pytest.param("GENE=X;AF=0.3;DP=50", "GT", "0/1", 0.3, 50, id="INFO AF and DP last"),
        pytest.param("GENE=X;AF=0.3;DP=50", "AF:DP", ".:.", 0.3, 50, id="missing FORMAT values fall through"),
        pytest.param("GENE=X", "GT", "0/1", None, None, id="nothing known"),
    ],
)
def test_fraction_and_depth_precedence(
    tmp_path: Path, info: str, format_keys: str, sample: str, vaf: float | None, depth: int | None
) -> None:
    alteration = one(write_vcf(tmp_path, [f"chr1 100 . G A . PASS {info} {format_keys} {sample}"]))
    assert alteration.vaf == (pytest.approx(vaf) if vaf is not None else None)
    assert alteration.depth == depth


def test_sites_only_vcf_uses_info_and_the_file_name(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, ["chr1 100 . G A . PASS GENE=NRAS;AF=0.2;DP=300"], samples=(), name="OB-0300.vcf")
    profile = read_vcf(path)
    assert profile.sample_id == "OB-0300"
    assert (profile.alterations[0].vaf, profile.alterations[0].depth) == (0.2, 300)
    assert read_vcf(path, ProfileSettings(sample_id="OB-0301")).sample_id == "OB-0301"


# -- samples ----------------------------------------------------------------------------------------

PAIR = ["chr1 100 . G A . PASS GENE=NRAS GT:AF:DP 0/0:0.0:300 0/1:0.3:500"]


def test_tumour_sample_from_header(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, PAIR, samples=("OB-0401-N", "OB-0401-T"), extra_meta="##tumor_sample=OB-0401-T\n")
    profile = read_vcf(path)
    assert profile.sample_id == "OB-0401-T"
    assert (profile.alterations[0].vaf, profile.alterations[0].depth) == (0.3, 500)


def test_tumour_sample_from_settings(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, PAIR, samples=("OB-0401-N", "OB-0401-T"))
    profile = read_vcf(path, ProfileSettings(sample_id="OB-0401-N"))
    assert profile.sample_id == "OB-0401-N"
    assert profile.alterations[0].depth == 300


def test_sample_not_in_the_columns(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, PAIR, samples=("OB-0401-N", "OB-0401-T"))
    with pytest.raises(
        FormatError, match=r"field 'sample': no sample column 'OB-9999' \(the columns are OB-0401-N, OB-0401-T\)"
    ):
        read_vcf(path, ProfileSettings(sample_id="OB-9999"))


def test_strelka_style_tumor_column(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, PAIR, samples=("NORMAL", "TUMOR"), name="OB-0402.vcf")
    profile = read_vcf(path)
    assert profile.sample_id == "OB-0402"
    assert profile.alterations[0].vaf == 0.3


def test_unidentified_tumour_in_multi_sample_vcf_asks_for_sample(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, PAIR, samples=("OB-0401-N", "OB-0401-T"))
    with pytest.raises(FormatError, match=r"calls\.vcf:\d+: field 'sample': 2 sample columns .*--sample"):
        read_vcf(path)


# -- genome build -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contig", "expected"),
    [
        (GRCH37_CONTIG, GenomeBuild.GRCH37),
        (GRCH38_CONTIG, GenomeBuild.GRCH38),
        ("##contig=<ID=1,length=249250621>", GenomeBuild.GRCH37),
        ("##reference=file:///refs/GRCh38_full_analysis_set.fa", GenomeBuild.GRCH38),
        ("##reference=/opt/illumina/resources/hg19_decoy/genome.fa", GenomeBuild.GRCH37),
        ("##source=caller", None),
    ],
)
def test_build_from_header(tmp_path: Path, contig: str, expected: GenomeBuild | None) -> None:
    path = write_vcf(tmp_path, ["chr1 100 . G A . PASS GENE=NRAS GT:AF 0/1:0.2"], contig=contig)
    assert read_vcf(path).build is expected


def test_build_from_settings_when_the_file_is_silent(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, ["chr1 100 . G A . PASS GENE=NRAS GT:AF 0/1:0.2"], contig="##source=caller")
    assert read_vcf(path, ProfileSettings(build=GenomeBuild.GRCH38)).build is GenomeBuild.GRCH38


def test_wrong_build_is_refused(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, ["chr1 100 . G A . PASS GENE=NRAS GT:AF 0/1:0.2"], contig=GRCH38_CONTIG)
    with pytest.raises(FormatError, match=r"calls\.vcf: field '##contig': wrong genome build: the header says GRCh38"):
        read_vcf(path, ProfileSettings(build=GenomeBuild.GRCH37))


# -- bad input: one line naming the file, line and field ---------------------------------------------


def assert_one_line(error: pytest.ExceptionInfo[FormatError], path: Path) -> None:
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(str(path))


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.vcf"
    path.write_bytes(b"")
    with pytest.raises(FormatError, match="empty") as error:
        read_vcf(path)
    assert_one_line(error, path)


def test_header_without_records(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, [])
    with pytest.raises(FormatError, match=r"calls\.vcf:17: the VCF holds a header but no variant records") as error:
        read_vcf(path)
    assert_one_line(error, path)


def test_missing_column_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.vcf"
    path.write_text("##fileformat=VCFv4.2\n" + META + "chr1\t100\t.\tG\tA\t.\tPASS\tGENE=NRAS\n")
    with pytest.raises(FormatError, match=r"cut\.vcf:\d+: the header has no '#CHROM' column line") as error:
        read_vcf(path)
    assert_one_line(error, path)


def test_not_a_vcf(tmp_path: Path) -> None:
    path = tmp_path / "notes.vcf"
    path.write_text("Hugo_Symbol\tTumor_Sample_Barcode\nKRAS\tOB-1\n")
    with pytest.raises(FormatError, match=r"notes\.vcf:1: not a VCF"):
        read_vcf(path)


@pytest.mark.parametrize("compress", ["bgzip", "gzip"])
def test_truncated_compressed_file(tmp_path: Path, compress: str) -> None:
    records = [f"chr1 {1000 + 10 * i} . G A . PASS GENE=NRAS GT:AF:DP 0/1:0.2:300" for i in range(20_000)]
    plain = write_vcf(tmp_path, records)
    packed = tmp_path / "calls.vcf.gz"
    if compress == "bgzip":
        pysam.tabix_compress(str(plain), str(packed))
    else:
        packed.write_bytes(gzip.compress(plain.read_bytes()))
    data = packed.read_bytes()
    packed.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated or corrupt") as error:
        read_vcf(packed)
    assert_one_line(error, packed)


@pytest.mark.parametrize("keep", ["CSQ=", "\tPASS\t", "\tGT:AD:AF:DP"])
def test_plain_vcf_cut_inside_its_last_record(examples: Path, tmp_path: Path, keep: str) -> None:
    # htslib reads a short last record silently; the reader must say the file is cut.
    text = (examples / "vcf" / "OB-0101.vcf").read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[0] + "\n"  # drop the ERBB2 record, end on the TP53 one
    cut = last.rstrip("\n")
    cut = cut[: cut.rindex(keep)]
    path = tmp_path / "cut.vcf"
    path.write_text(cut)
    with pytest.raises(
        FormatError, match=r"cut\.vcf:\d+: the last record has [0-9] of 10 columns and no line end"
    ) as error:
        read_vcf(path)
    assert_one_line(error, path)
    assert f":{cut.count(chr(10)) + 1}:" in str(error.value)


def test_plain_vcf_without_a_final_line_end_is_still_read(examples: Path, tmp_path: Path) -> None:
    path = tmp_path / "no_newline.vcf"
    path.write_text((examples / "vcf" / "OB-0101.vcf").read_text().rstrip("\n"))
    whole = read_vcf(examples / "vcf" / "OB-0101.vcf")
    assert read_vcf(path).alterations == whole.alterations
    assert len(whole.alterations) == 6


def test_bgzip_cut_at_a_block_boundary(examples: Path, tmp_path: Path) -> None:
    """htslib reads the whole blocks of a bgzip file that lost its end and only warns; we refuse it."""
    packed = tmp_path / "OB-0101.vcf.gz"
    pysam.tabix_compress(str(examples / "vcf" / "OB-0101.vcf"), str(packed))
    data = packed.read_bytes()
    assert data.endswith(bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000"))
    packed.write_bytes(data[:-28])
    with pytest.raises(FormatError, match="no BGZF end-of-file block"):
        read_vcf(packed)


def test_truncated_header_in_compressed_file(tmp_path: Path) -> None:
    plain = write_vcf(tmp_path, ["chr1 100 . G A . PASS GENE=NRAS GT:AF 0/1:0.2"])
    packed = tmp_path / "calls.vcf.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes())[:200])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        read_vcf(packed)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("chr1 100 . G A . PASS GENE=NRAS GT:AF:DP 0/1:abc:300", r":21: field 'FORMAT/AF': 'abc' is not a number"),
        ("chr1 100 . G A . PASS GENE=NRAS GT:AF:DP 0/1:0.2:3x0", r":21: field 'FORMAT/DP': '3x0' is not a number"),
        ("chr1 100 . G A . PASS GENE=NRAS;DP=many GT 0/1", r":21: field 'INFO/DP': 'many' is not a number"),
        ("chr1 100 . G A . PASS GENE=NRAS;AF=high GT 0/1", r":21: field 'INFO/AF': 'high' is not a number"),
        # htslib reads these as 4 and 0.2 without a word; used as the depth and fraction, they are refused
        ("chr1 100 . G A . PASS GENE=NRAS;DP=4x2 GT 0/1", r":21: field 'INFO/DP': '4x2' is not a number"),
        ("chr1 100 . G A . PASS GENE=NRAS;AF=0.2x GT 0/1", r":21: field 'INFO/AF': '0.2x' is not a number"),
        ("chr1 100 . G A . PASS GENE=NRAS;AF=0.2,abc GT 0/1", r":21: field 'INFO/AF': 'abc' is not a number"),
        ("chr1 100 . G A . PASS GENE=NRAS GT:AF 0/1:25", r":21: field 'FORMAT/AF': allele fraction 25 is outside 0-1"),
        ("chr1 100 . G A . PASS GENE=NRAS GT:FREQ 0/1:lots%", r":21: field 'FORMAT/FREQ': 'lots%' is not a percentage"),
    ],
)
def test_bad_values_name_line_and_field(tmp_path: Path, record: str, message: str) -> None:
    path = write_vcf(tmp_path, ["chr1 50 . G A . PASS GENE=NRAS GT:AF:DP 0/1:0.2:300", record])
    with pytest.raises(FormatError, match=message.replace(":21:", ":19:")) as error:
        read_vcf(path)
    assert_one_line(error, path)


@pytest.mark.parametrize("compress", [None, "bgzip", "gzip"])
def test_bad_info_number_used_far_into_a_file(tmp_path: Path, compress: str | None) -> None:
    """The line's own text is read forward to the record (plain, bgzip and gzip alike)."""
    records = [f"chr1 {1000 + 10 * i} . G A . PASS GENE=NRAS;DP=300 GT 0/1" for i in range(3000)]
    records.append("chr1 99999 . G A . PASS GENE=NRAS;DP=3OO GT 0/1")
    path = write_vcf(tmp_path, records)
    if compress == "bgzip":
        packed = tmp_path / "calls.vcf.gz"
        pysam.tabix_compress(str(path), str(packed))
        path = packed
    elif compress == "gzip":
        packed = tmp_path / "calls.vcf.gz"
        packed.write_bytes(gzip.compress(path.read_bytes()))
        path = packed
    with pytest.raises(FormatError, match=r"calls\.vcf(\.gz)?:3018: field 'INFO/DP': '3OO' is not a number"):
        read_vcf(path)


def test_info_numbers_are_not_read_when_format_gives_the_values(tmp_path: Path) -> None:
    """FORMAT AF and DP win (see the precedence table), so INFO AF and DP are not read, nor checked."""
    path = write_vcf(tmp_path, ["chr1 100 . G A . PASS GENE=NRAS;DP=4x2;AF=abc GT:AF:DP 0/1:0.25:400"])
    assert (one(path).vaf, one(path).depth) == (0.25, 400)


def test_htslib_says_nothing_on_stderr(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """htslib logs a record it refuses on file descriptor 2; the reader's FormatError is the one message."""
    path = write_vcf(tmp_path, ["chr1 100 . G A . PASS GENE=NRAS;DP=50 GT:AF:DP 0/1:abc:300"])
    capfd.readouterr()
    with pytest.raises(FormatError, match=r"calls\.vcf:18: field 'FORMAT/AF': 'abc' is not a number"):
        read_vcf(path)
    # an undeclared contig and an undeclared INFO key: htslib warns about both on an ordinary read
    quiet = write_vcf(tmp_path, ["chrUn 100 . G A . PASS GENE=NRAS;XX=1 GT:AF:DP 0/1:0.2:300"], name="quiet.vcf")
    assert one(quiet).vaf == 0.2
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_htslib_logging_is_given_back_after_a_read(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside the reader, htslib logs at its configured level again (cyvcf2's own reads keep their warnings)."""
    from cyvcf2 import VCF

    monkeypatch.delenv("CYVCF2_HTSLIB_LOG_LEVEL", raising=False)
    path = write_vcf(tmp_path, ["chrUn 100 . G A . PASS GENE=NRAS;XX=1 GT:AF:DP 0/1:0.2:300"])
    read_vcf(path)
    capfd.readouterr()
    list(VCF(str(path)))
    assert "[W::" in capfd.readouterr().err


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        read_vcf(tmp_path / "absent.vcf")


# -- a real file --------------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_tso500_craft_cnv_vcf(shared_data: Path) -> None:
    """Illumina Craft writes the gene in INFO ANT and the fold change in FORMAT FC; ALT '.' is reference."""
    path = shared_data / "tso500" / "YinanWang16__FusionMix_DNA_1pct_rep1_CopyNumberVariants.vcf"
    profile = read_vcf(path, ProfileSettings(build=GenomeBuild.GRCH37))
    assert profile.sample_id == "FusionMix_DNA_1pct_rep1"
    assert profile.build is GenomeBuild.GRCH37
    assert [(a.gene, a.kind, a.fold_change) for a in profile.alterations] == [
        ("CDK6", AlterationKind.AMPLIFICATION, 1.261),
        ("MYC", AlterationKind.AMPLIFICATION, 1.95),
    ]
    assert profile.details["reference_blocks_skipped"] == "57"
    assert profile.filtered == ()
    with pytest.raises(FormatError, match="wrong genome build"):
        read_vcf(path, ProfileSettings(build=GenomeBuild.GRCH38))


def test_raw_lines_answer_a_repeated_line_without_reading_the_file_again(tmp_path: Path) -> None:
    # One record's INFO AF and DP checks ask for the same line in turn; restarting the file for the
    # second made a whole read quadratic in the number of records.
    from oncobasket.io.vcf import _RawLines

    path = tmp_path / "lines.vcf"
    path.write_text("one\ntwo\nthree\n", encoding="utf-8")
    raw = _RawLines(path)
    try:
        assert raw.line(2) == "two"
        stream = raw._lines
        assert raw.line(2) == "two"
        assert raw._lines is stream
        assert raw.line(3) == "three"
        assert raw._lines is stream
        assert raw.line(1) == "one"  # backwards: read again from the start
        assert raw.line(4) is None
    finally:
        raw.close()


def test_a_complete_last_record_longer_than_64_kib_without_line_end_is_read(tmp_path: Path) -> None:
    # The truncation check reads the file's tail; a last record longer than its first window must still
    # be counted whole, not called truncated.
    annotation = "x" * 200_000
    path = tmp_path / "long.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n"
        '##INFO=<ID=GENE,Number=1,Type=String,Description="Gene">\n'
        '##INFO=<ID=NOTE,Number=1,Type=String,Description="Note">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chr7\t140453136\t.\tA\tT\t.\tPASS\tGENE=BRAF;NOTE={annotation}",
        encoding="utf-8",
    )
    profile = read_vcf(path, ProfileSettings())
    assert [alteration.gene for alteration in profile.alterations] == ["BRAF"]
