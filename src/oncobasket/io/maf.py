"""Read a Mutation Annotation Format file (GDC / cBioPortal dialect) into one profile per sample.

A MAF is tab-separated, may start with ``#`` lines (``#version 2.4``) and may be gzipped. Each row
is one variant of one tumour sample (``Tumor_Sample_Barcode``); rows are grouped into one
:class:`MolecularProfile` per sample in the order samples first appear. The choices the reader makes
(which protein column, how the allele fraction is found, which variant classes are matched on) are
documented in ``docs/formats-vcf-maf.md``.

Sources: GDC MAF format specification (docs.gdc.cancer.gov, "Mutation Annotation Format"); cBioPortal
"Mutation data" file format (docs.cbioportal.org); maftools ``read.maf`` (Mayakonda et al., Genome
Res 2018), whose default non-synonymous classes decide what goes into ``alterations``.
"""

from __future__ import annotations

import gzip
import math
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oncobasket.core.errors import FormatError, InputError, shown
from oncobasket.core.genes import current_symbol
from oncobasket.core.profiles import Alteration, AlterationKind, GenomeBuild, MolecularProfile, ProfileSettings
from oncobasket.core.protein import ProteinChange, parse_protein_change
from oncobasket.io.files import check_regular_file, read_regular_bytes
from oncobasket.io.sample_statuses import SampleStatuses, status_columns

#: Variant_Classification values that change the protein: maftools' default ``vc_nonSyn``
#: (Mayakonda et al. 2018), the set cBioPortal also counts as mutated.
CODING_CLASSES = frozenset(
    {
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "Splice_Site",
        "Translation_Start_Site",
        "Nonsense_Mutation",
        "Nonstop_Mutation",
        "In_Frame_Del",
        "In_Frame_Ins",
        "Missense_Mutation",
    }
)

#: classes that do not change the protein (GDC MAF specification vocabulary). They are kept in
#: ``filtered`` with the filter ``Silent`` or ``NonCoding``, never dropped.
SILENT_CLASSES = frozenset({"Silent"})
NON_CODING_CLASSES = frozenset(
    {
        "Intron",
        "3'UTR",
        "5'UTR",
        "3'Flank",
        "5'Flank",
        "IGR",
        "RNA",
        "lincRNA",
        "Splice_Region",
        "Targeted_Region",
        "De_novo_Start_InFrame",
        "De_novo_Start_OutOfFrame",
    }
)

#: protein-change columns, in order of preference: the short form matching uses, then cBioPortal's
#: and maftools' names, then the full HGVSp (used when the earlier cells are empty or not HGVS).
PROTEIN_COLUMNS = ("HGVSp_Short", "Protein_Change", "amino_acid_change", "HGVSp")

#: allele-fraction columns when read counts are absent: (column, divisor). ``i_TumorVAF_WU`` is the
#: Washington University percent column of the TCGA-LAML MAF; ``tumor_f`` is Oncotator/MuTect's fraction.
FRACTION_COLUMNS = (("t_vaf", 1.0), ("tumor_f", 1.0), ("i_TumorVAF_WU", 100.0))

TRANSCRIPT_COLUMNS = ("Transcript_ID", "RefSeq", "i_transcript_name", "transcript_name", "Annotation_Transcript")

#: NCBI_Build spellings seen in MAFs -> build.
BUILD_NAMES: Mapping[str, GenomeBuild] = {
    "37": GenomeBuild.GRCH37,
    "GRCH37": GenomeBuild.GRCH37,
    "HG19": GenomeBuild.GRCH37,
    "GRCH37-LITE": GenomeBuild.GRCH37,
    "38": GenomeBuild.GRCH38,
    "GRCH38": GenomeBuild.GRCH38,
    "HG38": GenomeBuild.GRCH38,
}

_MISSING = frozenset({"", "NA", "N/A", ".", "-", "NaN", "nan", "None"})
#: the columns every MAF row needs (FORMATS.md "MAF": Hugo_Symbol, Tumor_Sample_Barcode and
#: Variant_Classification; the GDC MAF specification marks all three required). Without
#: Variant_Classification a row cannot be told coding from silent or non-coding, and a table of
#: genes per sample (a copy-number table) would read as a list of mutations.
REQUIRED_COLUMNS = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification")
#: gene-annotation columns that lead a cBioPortal discrete copy-number table (``data_CNA.txt``,
#: GISTIC ``all_thresholded.by_genes``) before its one column per sample.
_CNA_GENE_COLUMNS = frozenset({"Hugo_Symbol", "Entrez_Gene_Id", "Cytoband", "Locus ID", "Gene Symbol"})
_CNA_FIRST_COLUMNS = frozenset({"Hugo_Symbol", "Gene Symbol"})
#: the columns this reader reads: a header with one of them is a MAF with a column missing, not a
#: copy-number table with sample columns.
_MAF_COLUMNS = frozenset(
    {
        *REQUIRED_COLUMNS,
        *PROTEIN_COLUMNS,
        *(name for name, _divisor in FRACTION_COLUMNS),
        *TRANSCRIPT_COLUMNS,
        "NCBI_Build",
        "Chromosome",
        "Start_Position",
        "End_Position",
        "Variant_Type",
        "Reference_Allele",
        "Tumor_Seq_Allele1",
        "Tumor_Seq_Allele2",
        "HGVSc",
        "Consequence",
        "Exon_Number",
        "t_depth",
        "t_ref_count",
        "t_alt_count",
        "FILTER",
    }
)
_MAX_WARNINGS_PER_SAMPLE = 50
#: More reads than any sequencer run yields at one position (a NovaSeq X 25B flow cell gives about
#: 2.6e10 reads in all): a larger count is a damaged cell, not a depth.
_MAX_READ_COUNT = 1e12


@dataclass(slots=True)
class _Sample:
    statuses: SampleStatuses = field(default_factory=SampleStatuses)
    alterations: list[Alteration] = field(default_factory=list)
    filtered: list[Alteration] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unparsed_proteins: int = 0
    conflicting_proteins: int = 0


def read_maf(path: Path, settings: ProfileSettings = ProfileSettings()) -> list[MolecularProfile]:
    """One profile per ``Tumor_Sample_Barcode``, in the order the samples first appear.

    Raises :class:`FormatError` naming the file, line and column for a missing file, an empty file,
    a header without ``Hugo_Symbol``, ``Tumor_Sample_Barcode`` or ``Variant_Classification`` (saying
    so when the file is a copy-number table), an empty gene, sample or class cell, counts or
    fractions that are not numbers, an unknown or mixed ``NCBI_Build``, and a build that contradicts
    ``settings.build``.
    """
    source = str(path)
    check_regular_file(path)
    if not path.is_file():
        raise FormatError("no such file", source=source, fix="check the path")
    text = _read_text(path, source)
    rows = _data_lines(text)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise FormatError(
            "the MAF is empty (no header row)",
            source=source,
            line=1,
            fix="give a MAF whose first non-'#' line names the columns (Hugo_Symbol, Tumor_Sample_Barcode, ...)",
        ) from None
    columns = {name.strip(): index for index, name in enumerate(header)}
    _check_required_columns([name.strip() for name in header], source, header_line)
    _check_last_row(text, len(header), source)
    reader = _RowReader(columns, source, settings)
    samples: dict[str, _Sample] = {}
    row_count = 0
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        row_count += 1
        barcode = reader.required_text(
            cells, "Tumor_Sample_Barcode", line, "empty sample barcode", "every row must name its tumour sample"
        )
        sample = samples.setdefault(barcode, _Sample())
        sample.statuses.read(reader.status_cells(cells), source, line)
        alteration = reader.alteration(cells, line, sample)
        if alteration.filter == "PASS":
            sample.alterations.append(alteration)
        else:
            sample.filtered.append(alteration)
    if row_count == 0:
        raise FormatError(
            "the MAF has a header but no variant rows",
            source=source,
            line=header_line,
            fix="give the MAF with the sample's mutations",
        )
    build = reader.build or settings.build
    file_warnings = reader.file_warnings()
    profiles = []
    for barcode, sample in samples.items():
        warnings = list(file_warnings)
        if sample.unparsed_proteins > _MAX_WARNINGS_PER_SAMPLE:
            warnings.append(
                f"{source}: {sample.unparsed_proteins - _MAX_WARNINGS_PER_SAMPLE} more protein changes of this sample "
                "were not HGVS protein notation; kept without a protein change"
            )
        if sample.conflicting_proteins > _MAX_WARNINGS_PER_SAMPLE:
            warnings.append(
                f"{source}: {sample.conflicting_proteins - _MAX_WARNINGS_PER_SAMPLE} more rows of this sample have "
                f"protein columns that disagree; the first column in the order {', '.join(PROTEIN_COLUMNS)} was used"
            )
        msi = sample.statuses.msi()
        profiles.append(
            MolecularProfile(
                sample_id=barcode,
                msi=msi,
                signatures=sample.statuses.signatures(),
                alterations=tuple(sample.alterations),
                filtered=tuple(sample.filtered),
                build=build,
                details={"format": "MAF", "rows": str(len(sample.alterations) + len(sample.filtered))},
                sources=(source,),
                tumour_purity_percent=settings.tumour_purity_percent,
                warnings=tuple(sample.warnings + warnings),
            )
        )
    return profiles


class _RowReader:
    """Turns one MAF row into an :class:`Alteration`; the column lookups are done once."""

    def __init__(self, columns: dict[str, int], source: str, settings: ProfileSettings) -> None:
        self.columns = columns
        self.source = source
        self.settings = settings
        self.protein_columns = tuple(name for name in PROTEIN_COLUMNS if name in columns)
        self.fraction_columns = tuple((name, divisor) for name, divisor in FRACTION_COLUMNS if name in columns)
        self.transcript_column = next((name for name in TRANSCRIPT_COLUMNS if name in columns), None)
        self.status_columns = status_columns(columns)
        self.build: GenomeBuild | None = None
        self.build_line: int | None = None
        self.unknown_classes: dict[str, int] = {}

    def status_cells(self, cells: Sequence[str]) -> list[tuple[str, str, str]]:
        """(column, CTML key, value) of the row's non-empty status cells."""
        found = []
        for column, key in self.status_columns:
            value = self.text(cells, column)
            if value is not None:
                found.append((column, key, value))
        return found

    def text(self, cells: Sequence[str], name: str) -> str | None:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return None
        value = cells[index].strip()
        return None if value in _MISSING else value

    def required_text(self, cells: Sequence[str], name: str, line: int, rule: str, fix: str) -> str:
        """A cell every row must fill (:meth:`text`), else a format error naming the line and column."""
        value = self.text(cells, name)
        if value is None:
            raise FormatError(rule, source=self.source, line=line, field=name, fix=fix)
        return value

    def number(self, cells: Sequence[str], name: str, line: int, *, integer: bool) -> float | None:
        value = self.text(cells, name)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise FormatError(
                f"'{shown(value)}' is not a number",
                source=self.source,
                line=line,
                field=name,
                fix=f"write {name} as a {'whole number' if integer else 'number'}, or leave it empty",
            )
        if integer and (number < 0 or number != int(number) or number > _MAX_READ_COUNT):
            raise FormatError(
                f"'{shown(value)}' is not a read count",
                source=self.source,
                line=line,
                field=name,
                fix="read counts are whole numbers >= 0",
            )
        return number

    def alteration(self, cells: Sequence[str], line: int, sample: _Sample) -> Alteration:
        reported_gene = self.required_text(
            cells,
            "Hugo_Symbol",
            line,
            "empty gene symbol",
            "every row must name its gene (GDC writes 'Unknown' for intergenic rows)",
        )
        self._check_build(cells, line)
        classification = self.required_text(
            cells,
            "Variant_Classification",
            line,
            "empty Variant_Classification",
            "every row must name its class (Missense_Mutation, Frame_Shift_Del, Silent, Intron, ...)",
        )
        filter_value = self._filter(cells, classification)
        protein = self._protein(cells, line, sample)
        vaf, depth = self._fraction_and_depth(cells, line)
        ref = self.text(cells, "Reference_Allele")
        alt = self.text(cells, "Tumor_Seq_Allele2")
        if alt is None or alt == ref:
            alt = self.text(cells, "Tumor_Seq_Allele1") or alt
        position = self.number(cells, "Start_Position", line, integer=True)
        consequence = self.text(cells, "Consequence") or ""
        exon = self.text(cells, "Exon_Number")
        transcript = self.text(cells, self.transcript_column) if self.transcript_column else None
        return Alteration(
            gene=current_symbol(reported_gene),
            kind=AlterationKind.MUTATION,
            reported_gene=reported_gene,
            protein_change=protein.short if protein is not None else None,
            protein_change_hgvs=protein.hgvs if protein is not None else None,
            transcript=transcript or (protein.transcript if protein is not None else None),
            coding_change=self.text(cells, "HGVSc"),
            consequences=tuple(term for term in consequence.replace("&", ",").replace(";", ",").split(",") if term),
            variant_classification=classification,
            exon=exon.split("/", 1)[0] if exon else None,
            vaf=vaf,
            depth=depth,
            supporting_reads=None,
            chrom=self.text(cells, "Chromosome"),
            pos=int(position) if position is not None else None,
            ref=ref,
            alt=alt,
            filter=filter_value,
        )

    def _filter(self, cells: Sequence[str], classification: str) -> str:
        """``PASS``, the class filter (``Silent``/``NonCoding``) or the row's own FILTER value."""
        if classification in SILENT_CLASSES:
            return "Silent"
        if classification in NON_CODING_CLASSES:
            return "NonCoding"
        if classification not in CODING_CLASSES:
            self.unknown_classes[classification] = self.unknown_classes.get(classification, 0) + 1
        row_filter = self.text(cells, "FILTER")
        return "PASS" if row_filter is None or row_filter == "PASS" else row_filter

    def _protein(self, cells: Sequence[str], line: int, sample: _Sample) -> ProteinChange | None:
        """The first protein column, in the order of :data:`PROTEIN_COLUMNS`, that holds HGVS protein
        notation.

        A cell that is not HGVS (``p.X1445_splice``, Oncotator's ``p.WQ288fs``) does not stop the
        row: the variant is kept with its coding change and without a protein change, and the
        sample gets a warning naming the line, column and value. When a later column names another
        change (oncokb-annotator's example: ``HGVSp_Short`` ``p.Q212K``, ``HGVSp`` ``p.Gln121Lys``),
        the first is kept and the sample gets a warning naming both: ``HGVSp_Short`` is the column
        cBioPortal displays and OncoKB annotates by default (cBioPortal "Mutation data" format;
        oncokb-annotator MafAnnotator), so matching on it agrees with those tools.
        """
        rejected: tuple[str, str, str] | None = None
        chosen: tuple[str, str, ProteinChange] | None = None
        for name in self.protein_columns:
            value = self.text(cells, name)
            if value is None:
                continue
            try:
                parsed = parse_protein_change(value)
            except InputError as refusal:
                if rejected is None and chosen is None:
                    rejected = (name, value, refusal.rule)
                continue
            if parsed is None:
                continue
            if chosen is None:
                chosen = (name, value, parsed)
            elif parsed.short != chosen[2].short:
                self._conflict(sample, line, chosen, (name, value, parsed))
                break
        if chosen is not None:
            return chosen[2]
        if rejected is not None:
            name, _value, rule = rejected
            sample.unparsed_proteins += 1
            if sample.unparsed_proteins <= _MAX_WARNINGS_PER_SAMPLE:
                sample.warnings.append(f"{self.source}:{line}: field '{name}': {rule}; kept without a protein change")
        return None

    def _conflict(
        self,
        sample: _Sample,
        line: int,
        used: tuple[str, str, ProteinChange],
        other: tuple[str, str, ProteinChange],
    ) -> None:
        sample.conflicting_proteins += 1
        if sample.conflicting_proteins > _MAX_WARNINGS_PER_SAMPLE:
            return
        used_name, used_value, used_change = used
        other_name, other_value, other_change = other
        sample.warnings.append(
            f"{self.source}:{line}: field '{other_name}': '{other_value}' ({other_change.short}) disagrees with "
            f"{used_name} '{used_value}' ({used_change.short}); {used_name} was used, as it comes first in the "
            f"reader's order {', '.join(PROTEIN_COLUMNS)} (HGVSp_Short is the column cBioPortal and OncoKB read); "
            "check the row's annotation"
        )

    def _fraction_and_depth(self, cells: Sequence[str], line: int) -> tuple[float | None, int | None]:
        """VAF = t_alt_count / (t_alt_count + t_ref_count), else a fraction column; depth = t_depth
        or alt + ref (GDC MAF specification: t_depth, t_ref_count, t_alt_count)."""
        alt_count = self.number(cells, "t_alt_count", line, integer=True)
        ref_count = self.number(cells, "t_ref_count", line, integer=True)
        depth_value = self.number(cells, "t_depth", line, integer=True)
        vaf: float | None = None
        if alt_count is not None and ref_count is not None and alt_count + ref_count > 0:
            vaf = round(alt_count / (alt_count + ref_count), 6)
        else:
            for name, divisor in self.fraction_columns:
                value = self.number(cells, name, line, integer=False)
                if value is None:
                    continue
                vaf = round(value / divisor, 6)
                if not 0.0 <= vaf <= 1.0:
                    unit = "percent (0-100)" if divisor == 100.0 else "a fraction (0-1)"
                    raise FormatError(
                        f"allele fraction '{self.text(cells, name)}' is out of range",
                        source=self.source,
                        line=line,
                        field=name,
                        fix=f"{name} is read as {unit}",
                    )
                break
        depth: int | None = None
        if depth_value is not None:
            depth = int(depth_value)
        elif alt_count is not None and ref_count is not None:
            depth = int(alt_count + ref_count)
        return vaf, depth

    def _check_build(self, cells: Sequence[str], line: int) -> None:
        text = self.text(cells, "NCBI_Build")
        if text is None:
            return
        build = BUILD_NAMES.get(text.upper())
        if build is None:
            raise FormatError(
                f"unknown genome build '{text}'",
                source=self.source,
                line=line,
                field="NCBI_Build",
                fix="write GRCh37 (37, hg19) or GRCh38 (38, hg38)",
            )
        if self.build is None:
            expected = self.settings.build
            if expected is not None and build is not expected:
                raise FormatError(
                    f"wrong genome build: the MAF says {build} but {expected} was given",
                    source=self.source,
                    line=line,
                    field="NCBI_Build",
                    fix=f"give a MAF on {expected}, or set --build {build} if the file is right",
                )
            self.build, self.build_line = build, line
        elif build is not self.build:
            raise FormatError(
                f"mixed genome builds: {build} here but {self.build} at line {self.build_line}",
                source=self.source,
                line=line,
                field="NCBI_Build",
                fix="a MAF must be on one build; lift the rows over or split the file",
            )

    def file_warnings(self) -> list[str]:
        warnings = []
        if not self.protein_columns:
            warnings.append(
                f"{self.source}: no protein-change column ({', '.join(PROTEIN_COLUMNS)}); "
                "variants are kept without protein changes"
            )
        for name, count in sorted(self.unknown_classes.items()):
            warnings.append(
                f"{self.source}: Variant_Classification '{name}' ({count} rows) is not in the MAF vocabulary; "
                "kept as a coding change"
            )
        return warnings


def _check_required_columns(header: Sequence[str], source: str, line: int) -> None:
    """Refuse a header without the MAF's required columns, and say so when the table is copy numbers.

    Two copy-number layouts carry MAF-like column names: cBioPortal's discrete ``data_CNA.txt`` (and
    GISTIC's ``all_thresholded.by_genes``), ``Hugo_Symbol`` (GISTIC: ``Gene Symbol``) first, then gene
    annotations and one column per sample; and oncokb-annotator's individual CNA table
    (``Tumor_Sample_Barcode``, ``Hugo_Symbol``, ``Copy_Number_Alteration``). Read as a MAF, either
    would give one "mutation" without a change per gene and sample.
    """
    present = set(header)
    missing = [name for name in REQUIRED_COLUMNS if name not in present]
    if not missing:
        return
    quoted = [f"'{name}'" for name in missing]
    names = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    fix = (
        "a MAF needs Hugo_Symbol, Tumor_Sample_Barcode and Variant_Classification (GDC/cBioPortal names, tab-separated)"
    )
    others = [name for name in header[1:] if name and name not in _CNA_GENE_COLUMNS]
    gene_by_sample = header[0] in _CNA_FIRST_COLUMNS and bool(others) and _MAF_COLUMNS.isdisjoint(others)
    if "Copy_Number_Alteration" in present or gene_by_sample:
        raise FormatError(
            f"the header has no {names} column: this looks like a copy-number table (genes with a copy-number "
            "value per sample), not a MAF of mutations",
            source=source,
            line=line,
            field=", ".join(missing),
            fix="give copy-number calls as a TSO500 output or a VCF with <DUP>/<DEL> records; " + fix,
        )
    raise FormatError(f"the header has no {names} column", source=source, line=line, field=", ".join(missing), fix=fix)


def _read_text(path: Path, source: str) -> str:
    raw = read_regular_bytes(path)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error):
            raise FormatError(
                "the compressed file is truncated or corrupt",
                source=source,
                fix="copy the file again from its source; check it with 'gzip -t'",
            ) from None
    return raw.decode("utf-8-sig", errors="replace")


def _check_last_row(text: str, header_cells: int, source: str) -> None:
    """Refuse a MAF cut inside its last row: no line end and fewer cells than the header.

    Only the last row is held to the header's width: real MAFs (maftools' examples among them) may
    leave trailing empty columns off ordinary rows, but a row that stops short at the very end of a
    file with no line end is what a cut copy leaves behind.
    """
    if not text or text.endswith(("\n", "\r")):
        return
    lines = text.splitlines()
    last = lines[-1]
    cells = last.count("\t") + 1
    if last.startswith("#") or cells >= header_cells:
        return
    raise FormatError(
        f"the last row has {cells} of the header's {header_cells} columns and no line end; the file looks truncated",
        source=source,
        line=len(lines),
        fix="copy the whole file again from its source",
    )


def _data_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every line that is not a ``#`` comment; handles \\n, \\r\\n and \\r.

    A MAF has no quoting (GDC MAF specification: tab-separated, one row per line), so a line is cut at
    its tabs, not by the ``csv`` module, which refuses a cell over 128 KiB and a NUL character with
    errors of its own.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n"), 1):
        if not line or line.startswith("#"):
            continue
        yield number, line.split("\t")
