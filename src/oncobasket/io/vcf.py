"""Read a generic single-sample somatic VCF (plain or bgzipped) into a :class:`MolecularProfile`.

The file is read with cyvcf2 (htslib), in the manner the field's readers use: one pass over the
records, field names from the VCF 4.x specification, values copied out at once. What the reader
takes from each record, and in which order of precedence, is documented in
``docs/formats-vcf-maf.md``; in short:

- one :class:`Alteration` per ALT allele (multi-allelic records are split, each with its own AF);
- gVCF reference blocks (ALT ``.``, ``<NON_REF>`` or ``<*>`` only) are skipped and counted;
- PASS (or ``.``) calls go to ``alterations``, the others to ``filtered`` with their FILTER value;
- gene and protein change come from VEP ``CSQ``, SnpEff ``ANN`` or simple INFO keys; records
  without a gene are not used for matching and are counted in ``profile.warnings``;
- ``<DUP>``/``<DEL>`` with a gene become amplifications and copy losses;
- the genome build comes from the contig lengths (or the ``##reference`` name) and must agree with
  the build given at upload.

Sources: VCF 4.2/4.3 specification (samtools/hts-specs); Ensembl VEP documentation, "VCF output"
(CSQ ``Format:`` header and allele trimming); SnpEff "ANN field" specification (VCF annotation
standard, Cingolani et al.); GRC assembly reports for the chr1 lengths (GRCh37 249,250,621 bp;
GRCh38 248,956,422 bp).
"""

from __future__ import annotations

import gzip
import math
import os
import re
import threading
import zlib
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import unquote

from oncobasket.core.errors import FormatError, InputError, shown
from oncobasket.core.genes import current_symbol
from oncobasket.core.profiles import (
    Alteration,
    AlterationKind,
    GenomeBuild,
    MolecularProfile,
    ProfileSettings,
    copy_number_from_fold_change,
)
from oncobasket.core.protein import parse_protein_change
from oncobasket.io.files import check_regular_file

#: chr1 length -> build (GRC assembly reports); the most reliable build signal a VCF header carries.
CHR1_LENGTH_TO_BUILD = {249250621: GenomeBuild.GRCH37, 248956422: GenomeBuild.GRCH38}

#: names seen in ``##reference=``/``##assembly=`` lines, checked when no chr1 contig length is given.
_REFERENCE_NAME_TO_BUILD = (
    (re.compile(r"grch38|hg38|hs38|b38", re.IGNORECASE), GenomeBuild.GRCH38),
    (re.compile(r"grch37|hg19|hs37|b37|human_g1k_v37", re.IGNORECASE), GenomeBuild.GRCH37),
)

#: ALT alleles that only say "no variant here" (gVCF reference blocks, VCF 4.2 section 5.5).
_REFERENCE_ALLELES = frozenset({"<NON_REF>", "<*>", "*", "."})
#: the short and HGVS forms of "no protein change".
_NO_PROTEIN: tuple[str | None, str | None] = (None, None)

#: symbolic ALT alleles of copy-number calls (VCF 4.2 section 1.4.5 reserved IDs; Craft writes DUP/DEL).
_GAIN_ALLELES = frozenset({"<DUP>", "<DUP:TANDEM>", "<AMP>", "<GAIN>"})
_LOSS_ALLELES = frozenset({"<DEL>", "<LOSS>"})

#: simple INFO keys that name the gene or the protein change (first present wins). ANT is the
#: Illumina Craft CNV caller's gene key (TSO500 CopyNumberVariants.vcf).
_GENE_KEYS = ("GENE", "Gene", "gene", "SYMBOL", "Gene_Name", "ANT")
_PROTEIN_KEYS = ("HGVSp", "HGVS_P", "HGVSP", "PROTEIN", "Protein", "Protein_Change", "AA_CHANGE")
_CODING_KEYS = ("HGVSc", "HGVS_C", "HGVSC", "CDNA")

#: FORMAT keys holding the allele fraction, in order of precedence (see docs/formats-vcf-maf.md):
#: AF (Mutect2, VarDict, DRAGEN), VAF, VF (Pisces / TSO500 gVCF), FREQ (VarScan, a percent string).
_FORMAT_FRACTION_KEYS = ("AF", "VAF", "VF")

#: SnpEff's fixed ANN layout, used when the header does not spell it out.
_SNPEFF_FIELDS = (
    "Allele",
    "Annotation",
    "Annotation_Impact",
    "Gene_Name",
    "Gene_ID",
    "Feature_Type",
    "Feature_ID",
    "Transcript_BioType",
    "Rank",
    "HGVS.c",
    "HGVS.p",
)

_HEADER_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,>]*)')
_GENERIC_TUMOUR_COLUMNS = frozenset({"TUMOR", "TUMOUR", "tumor", "tumour", "Tumor", "Tumour"})

#: htslib's log levels (htslib/hts_log.h): HTS_LOG_OFF says nothing, HTS_LOG_WARNING is its default.
_HTS_LOG_OFF = 0
_HTS_LOG_WARNING = 3


class _HtslibSilence:
    """Keeps htslib's own logging off while a VCF is read, then gives it back its configured level.

    htslib writes its view of a bad record to stderr (``[W::vcf_parse_format_fill5] ...``,
    ``[E::vcf_parse_format_fill5] Invalid character ...``) before cyvcf2 raises, and the reader then
    names the line and field itself (``_record_problem``): htslib's lines would only turn the command
    line's one-line error (ARCHITECTURE.md, exit codes) into three. Its other messages (an
    undeclared contig, a header oddity) concern nothing the reader takes from the file, and a cut
    BGZF file is caught before htslib opens it. The level is process-wide (cyvcf2's
    ``set_htslib_log_level``), so a count under a lock keeps it off until the last of several
    concurrent reads ends; then it goes back to the level cyvcf2 starts with: the
    ``CYVCF2_HTSLIB_LOG_LEVEL`` environment variable when that holds a level, else htslib's default.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads = 0

    def __enter__(self) -> None:
        from cyvcf2.cyvcf2 import set_htslib_log_level

        with self._lock:
            if self._reads == 0:
                set_htslib_log_level(_HTS_LOG_OFF)
            self._reads += 1

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        from cyvcf2.cyvcf2 import set_htslib_log_level

        with self._lock:
            self._reads -= 1
            if self._reads == 0:
                set_htslib_log_level(_configured_htslib_level())


def _configured_htslib_level() -> int:
    configured = os.environ.get("CYVCF2_HTSLIB_LOG_LEVEL", "").strip()
    return int(configured) if configured.isdigit() else _HTS_LOG_WARNING


_HTSLIB_SILENCE = _HtslibSilence()


#: The Types an INFO or FORMAT field may have (VCF 4.3, section 1.4.2).
_FIELD_TYPES = frozenset({"Integer", "Float", "Flag", "Character", "String"})


@dataclass(frozen=True, slots=True)
class FieldDefinition:
    """One ``##INFO`` or ``##FORMAT`` header line: ID, Number, Type and Description."""

    id: str
    number: str
    type: str
    description: str = ""

    @property
    def numeric(self) -> bool:
        return self.type in {"Integer", "Float"}


@dataclass(slots=True)
class VcfHeader:
    """What the header says, looked up once so that the record loop does no header work."""

    info: dict[str, FieldDefinition] = field(default_factory=dict)
    format: dict[str, FieldDefinition] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    contig_lengths: dict[str, int] = field(default_factory=dict)
    line_count: int = 0
    has_column_line: bool = False

    @classmethod
    def parse(cls, raw_header: str) -> VcfHeader:
        header = cls()
        lines = raw_header.splitlines()
        header.line_count = len(lines)
        for line in lines:
            if line.startswith("#CHROM"):
                header.has_column_line = True
            if not line.startswith("##"):
                continue
            key, _, value = line[2:].partition("=")
            if value.startswith("<") and key in {"INFO", "FORMAT", "contig"}:
                parts = {name: text.strip('"') for name, text in _HEADER_FIELD.findall(value[1:-1])}
                if key == "contig":
                    if "ID" in parts and parts.get("length", "").isdigit():
                        header.contig_lengths[parts["ID"]] = int(parts["length"])
                    continue
                definition = FieldDefinition(
                    parts.get("ID", ""),
                    parts.get("Number", "."),
                    parts.get("Type", "String"),
                    parts.get("Description", ""),
                )
                if "Type" not in parts or definition.type not in _FIELD_TYPES:
                    # htslib keeps an unknown Type and cyvcf2 then fails on the field with a bare
                    # Exception; say which header line is wrong instead.
                    raise ValueError(f"##{key} {shown(definition.id)} has Type '{shown(definition.type)}'")
                (header.info if key == "INFO" else header.format)[definition.id] = definition
            else:
                header.meta.setdefault(key, value)
        return header

    def build(self) -> tuple[GenomeBuild | None, str | None]:
        """The genome build the header declares and the header line that says so."""
        for name in ("1", "chr1"):
            length = self.contig_lengths.get(name)
            if length is not None and length in CHR1_LENGTH_TO_BUILD:
                return CHR1_LENGTH_TO_BUILD[length], f"##contig {name} length {length}"
        for key in ("reference", "assembly"):
            text = self.meta.get(key)
            if text is None:
                continue
            for pattern, build in _REFERENCE_NAME_TO_BUILD:
                if pattern.search(text):
                    return build, f"##{key}={text}"
        return None, None

    def annotation_fields(self, key: str) -> tuple[str, ...] | None:
        """The ``|``-separated sub-field names of a CSQ/ANN INFO key, from its description."""
        definition = self.info.get(key)
        if definition is None:
            return None
        description = definition.description
        if key == "ANN":
            quoted = re.search(r"'([^']*)'", description)
            names = tuple(part.strip() for part in quoted.group(1).split("|")) if quoted else ()
            return names if "Allele" in names else _SNPEFF_FIELDS
        _, found, layout = description.partition("Format: ")
        if not found:
            return None
        return tuple(part.strip() for part in layout.strip().rstrip('"').split("|"))


class _Annotation(NamedTuple):
    """The parts of one transcript annotation the profile uses.

    A named tuple rather than a frozen dataclass: one is built per annotated record, and building a
    tuple costs a quarter of a frozen dataclass's ``__init__`` (0.26 against 1 us).
    """

    gene: str | None = None
    protein: str | None = None
    coding: str | None = None
    transcript: str | None = None
    consequences: tuple[str, ...] = ()
    exon: str | None = None


def read_vcf(path: Path, settings: ProfileSettings = ProfileSettings()) -> MolecularProfile:
    """Read one sample's somatic calls from a VCF (``.vcf``, ``.vcf.gz``, bgzipped or plain gzip).

    Raises :class:`FormatError` (one line naming the file, line and field) for an empty or
    truncated file, a file without the ``#CHROM`` line, values that are not numbers where the header
    says they are, allele fractions outside 0-1, a multi-sample file whose tumour sample cannot be
    identified, and a genome build that contradicts ``settings.build``.
    """
    return _VcfReader(path, settings).read()


class _VcfReader:
    """One read of one file; holds the header lookups the record loop uses."""

    def __init__(self, path: Path, settings: ProfileSettings) -> None:
        self.path = path
        self.source = str(path)
        self.settings = settings
        self.warnings: list[str] = []
        self.unparsed_proteins = 0
        self._raw = _RawLines(path)
        self._proteins: dict[str, tuple[str | None, str | None]] = {}

    # -- opening and the header -------------------------------------------------------------------

    def read(self) -> MolecularProfile:
        check_regular_file(self.path)
        with _HTSLIB_SILENCE:
            try:
                return self._read()
            except UnicodeDecodeError:
                # htslib hands cyvcf2 raw bytes and cyvcf2 decodes them as UTF-8 when a field is read
                # (VCF 4.3 section 1.2: the file is UTF-8): find the line, say so in one line.
                raise FormatError(
                    "not UTF-8 text (VCF 4.3, section 1.2: a VCF is UTF-8)",
                    source=self.source,
                    line=_first_non_utf8_line(self.path),
                    fix="give the VCF as the caller wrote it; convert other encodings to UTF-8 first",
                ) from None
            finally:
                self._raw.close()

    def _read(self) -> MolecularProfile:
        from cyvcf2 import VCF

        if not self.path.is_file():
            raise FormatError("no such file", source=self.source, fix="check the path")
        if self.path.stat().st_size == 0:
            raise FormatError("the file is empty (zero bytes)", source=self.source, fix="give the VCF the caller wrote")
        if _is_bgzf(self.path) and not _has_bgzf_end(self.path):
            # htslib only warns on stderr and reads the complete blocks: the cut would go unnoticed.
            raise FormatError(
                "the compressed file is truncated or corrupt (no BGZF end-of-file block)",
                source=self.source,
                fix="copy the file again from its source; check it with 'bgzip -t'",
            )
        try:
            vcf = VCF(self.source, lazy=True)
        except Exception:  # cyvcf2 raises plain Exception/OSError for every header problem
            raise self._header_problem() from None
        try:
            try:
                header = VcfHeader.parse(vcf.raw_header)
            except ValueError as error:
                raise FormatError(
                    f"{error}, not one of {', '.join(sorted(_FIELD_TYPES))} (VCF 4.3, section 1.4.2)",
                    source=self.source,
                    field="header",
                    fix="give the VCF as the caller wrote it",
                ) from None
            # htslib adds lines of its own (the PASS filter), so line numbers come from the file itself.
            header.line_count = _header_line_count(self.path)
            if not _is_gzip(self.path):
                self._check_last_line(len(vcf.samples))
            return self._read_records(vcf, header)
        finally:
            vcf.close()

    def _check_last_line(self, samples: int) -> None:
        """Refuse a plain VCF cut inside its last record.

        htslib reads a record that stops short (no FORMAT or sample columns, or half an INFO) without a
        word, so a copy cut mid-line would silently lose the record's annotation or allele fraction. A
        complete record has the 8 fixed columns, plus FORMAT and one per sample (VCF 4.2, section 1.6).
        """
        with self.path.open("rb") as handle:
            size = handle.seek(0, 2)
            window = 65536
            while True:
                # Widen the window until it holds the whole last line: a long record (a big CSQ) cut
                # from its start would be counted short and wrongly called truncated.
                handle.seek(max(0, size - window))
                tail = handle.read()
                if b"\n" in tail or window >= size:
                    break
                window *= 4
        if tail.endswith(b"\n"):
            return
        last = tail.rsplit(b"\n", 1)[-1]
        expected = 8 + (1 + samples if samples else 0)
        cells = last.count(b"\t") + 1
        if last.startswith(b"#") or cells >= expected:
            return
        with self.path.open("rb") as handle:
            line = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) + 1
        raise FormatError(
            f"the last record has {cells} of {expected} columns and no line end; the file looks truncated",
            source=self.source,
            line=line,
            fix="copy the whole file again from the caller's output",
        )

    def _header_problem(self) -> FormatError:
        """Say why htslib refused the header: truncated compression, no ``#CHROM`` line, or not VCF."""
        try:
            text = _read_text(self.path)
        except (EOFError, OSError, zlib.error):
            return FormatError(
                "the compressed file is truncated or corrupt",
                source=self.source,
                fix="copy the file again from its source; check it with 'bgzip -t'",
            )
        lines = text.splitlines()
        if not lines or not lines[0].startswith("##fileformat=VCF"):
            return FormatError(
                "not a VCF: the first line is not '##fileformat=VCFv4.x'",
                source=self.source,
                line=1,
                fix="give a VCF file",
            )
        if not any(line.startswith("#CHROM") for line in lines):
            last_header = sum(1 for line in lines if line.startswith("##"))
            return FormatError(
                "the header has no '#CHROM' column line (file truncated or header cut)",
                source=self.source,
                line=last_header + 1,
                fix="the line '#CHROM POS ID REF ALT QUAL FILTER INFO [FORMAT sample...]' must end the header",
            )
        return FormatError(
            "htslib cannot parse the VCF header", source=self.source, fix="validate it with bcftools view"
        )

    def _choose_sample(self, samples: Sequence[str], header: VcfHeader) -> tuple[int | None, str]:
        """Index of the tumour sample's column and the sample ID to report.

        A multi-sample VCF (tumour/normal) names its tumour in ``##tumor_sample=`` (GATK Mutect2)
        or by a column called TUMOR (Strelka); otherwise ``--sample`` must say which column it is.
        """
        wanted = self.settings.sample_id
        stem = _stem(self.path)
        if not samples:
            return None, wanted or stem
        if len(samples) == 1:
            name = samples[0]
            return 0, (wanted or stem) if name in _GENERIC_TUMOUR_COLUMNS else name
        if wanted is not None:
            if wanted in samples:
                return list(samples).index(wanted), wanted
            raise FormatError(
                f"no sample column '{wanted}' (the columns are {_shown(samples)})",
                source=self.source,
                line=header.line_count,
                field="sample",
                fix="use --sample with one of the VCF's sample column names",
            )
        tumour = header.meta.get("tumor_sample") or header.meta.get("tumour_sample")
        if tumour is not None and tumour in samples:
            return list(samples).index(tumour), tumour
        generic = [index for index, name in enumerate(samples) if name in _GENERIC_TUMOUR_COLUMNS]
        if len(generic) == 1:
            return generic[0], wanted or stem
        raise FormatError(
            f"{len(samples)} sample columns ({_shown(samples)}) and no '##tumor_sample=' line naming the tumour",
            source=self.source,
            line=header.line_count,
            field="sample",
            fix="name the tumour sample with --sample",
        )

    def _check_build(self, header: VcfHeader) -> GenomeBuild | None:
        declared, evidence = header.build()
        expected = self.settings.build
        if declared is not None and expected is not None and declared is not expected:
            raise FormatError(
                f"wrong genome build: the header says {declared} ({evidence}) but {expected} was given",
                source=self.source,
                field="##contig",
                fix=f"give a VCF called on {expected}, or set --build {declared} if the file is right",
            )
        return declared or expected

    # -- the record loop --------------------------------------------------------------------------

    def _read_records(self, vcf: Any, header: VcfHeader) -> MolecularProfile:
        if not header.has_column_line:
            raise self._header_problem()
        build = self._check_build(header)
        sample_index, sample_id = self._choose_sample(vcf.samples, header)
        values = _ValueReader(header, sample_index, self)
        csq_fields = header.annotation_fields("CSQ")
        vep = _VepLayout(csq_fields) if csq_fields is not None else None
        ann_fields = header.annotation_fields("ANN")
        for key, fields in (("CSQ", csq_fields), ("ANN", ann_fields)):
            if fields is not None and header.info[key].type != "String":
                # cyvcf2 hands back a flag or a number for another Type, not the text the layout splits.
                raise FormatError(
                    f"INFO {key} is declared Type={shown(header.info[key].type)}; VEP and SnpEff annotations are "
                    "Type=String",
                    source=self.source,
                    field=f"##INFO {key}",
                    fix="give the VCF as the annotator wrote it",
                )
        snpeff = _SnpEffLayout(ann_fields) if ann_fields is not None else None
        gene_keys = tuple(key for key in _GENE_KEYS if key in header.info)
        protein_keys = tuple(key for key in _PROTEIN_KEYS if key in header.info)
        coding_keys = tuple(key for key in _CODING_KEYS if key in header.info)
        has_fold_change = "FC" in header.format and sample_index is not None
        has_copy_number = "CN" in header.format and sample_index is not None
        purity = self.settings.tumour_purity_percent

        alterations: list[Alteration] = []
        filtered: list[Alteration] = []
        reference_blocks = 0
        without_gene = 0
        first_without_gene: str | None = None
        unsupported = 0
        line = header.line_count
        # Reported symbol -> current symbol, genes and one shared copy of the reported symbol: looked
        # up once per distinct gene, not once per allele.
        genes: dict[str, tuple[str, tuple[str, ...], str]] = {}
        proteins = self._proteins
        # Module constants and bound methods as locals: the loop below runs once per record.
        reference_alleles = _REFERENCE_ALLELES
        mutation = AlterationKind.MUTATION
        fractions_of = values.fractions
        depth_of = values.depth
        iterator: Iterator[Any] = iter(vcf)
        while True:
            try:
                variant = next(iterator)
            except StopIteration:
                break
            except Exception:  # htslib reports a bad record as a plain Exception; say where and why
                raise self._record_problem(header, line + 1) from None
            line += 1
            all_alts = variant.ALT
            alt_count = len(all_alts)
            if alt_count == 0 or (alt_count == 1 and all_alts[0] in reference_alleles):
                reference_blocks += 1
                continue
            info = variant.INFO
            annotations: list[_Annotation | None] | None = None
            if vep is not None and (csq := info.get("CSQ")) is not None:
                annotations = vep.annotations(_annotation_text(csq, "CSQ", self.source, line), variant.REF, all_alts)
            elif snpeff is not None and (ann := info.get("ANN")) is not None:
                annotations = snpeff.annotations(_annotation_text(ann, "ANN", self.source, line), all_alts)
            elif gene_keys and (simple := _simple_annotation(info, gene_keys, protein_keys, coding_keys)) is not None:
                annotations = [simple] * alt_count
            if annotations is None or not any(annotations):
                # Nothing to match on: count it (reported in warnings) without reading its values.
                # A lone ALT is a call here: a lone reference allele was skipped above.
                if alt_count == 1 or reference_alleles.isdisjoint(all_alts):
                    without_gene += alt_count
                else:
                    called = [alt for alt in all_alts if alt not in reference_alleles]
                    if not called:
                        reference_blocks += 1
                        continue
                    without_gene += len(called)
                if first_without_gene is None:
                    first_without_gene = f"line {line} {variant.CHROM}:{variant.POS} {variant.REF}>{','.join(all_alts)}"
                continue
            filter_value = variant.FILTER or "PASS"
            fractions = fractions_of(variant, alt_count, line)
            depth = depth_of(variant, line)
            chrom, pos, ref = variant.CHROM, variant.POS, variant.REF
            kept = alterations if filter_value == "PASS" else filtered
            for allele_index, alt in enumerate(all_alts):
                if alt in reference_alleles:
                    continue
                annotation = annotations[allele_index]
                if annotation is None or not annotation.gene:
                    without_gene += 1
                    if first_without_gene is None:
                        first_without_gene = f"line {line} {chrom}:{pos} {ref}>{alt}"
                    continue
                names = genes.get(annotation.gene)
                if names is None:
                    current = current_symbol(annotation.gene)
                    names = genes[annotation.gene] = (current, (current,), annotation.gene)
                kind = mutation
                fold_change: float | None = None
                copy_number: float | None = None
                protein = _NO_PROTEIN
                vaf: float | None = None
                if alt.startswith("<") or "[" in alt or "]" in alt:
                    if alt in _GAIN_ALLELES:
                        kind = AlterationKind.AMPLIFICATION
                    elif alt in _LOSS_ALLELES:
                        kind = AlterationKind.COPY_LOSS
                    else:
                        unsupported += 1
                        continue
                    if has_fold_change:
                        fold_change = values.first_format_float(variant, "FC", line)
                    if has_copy_number:
                        copy_number = values.first_format_float(variant, "CN", line)
                    if copy_number is None and fold_change is not None and purity:
                        copy_number = copy_number_from_fold_change(fold_change, purity)
                else:
                    vaf = fractions[allele_index]
                    if text := annotation.protein:
                        protein = proteins.get(text) or self._protein(text, line)
                kept.append(
                    _new_alteration(
                        names[0],
                        kind,
                        names[2],
                        names[1],
                        protein[0],
                        protein[1],
                        annotation.transcript,
                        annotation.coding,
                        annotation.consequences,
                        annotation.exon,
                        vaf,
                        depth,
                        fold_change,
                        copy_number,
                        chrom,
                        pos,
                        ref,
                        alt,
                        filter_value,
                    )
                )

        records = line - header.line_count
        if records == 0:
            raise FormatError(
                "the VCF holds a header but no variant records",
                source=self.source,
                line=header.line_count,
                fix="give the caller's output for the sample; a header-only file usually means a failed run",
            )
        if without_gene:
            self.warnings.append(
                f"{without_gene} ALT allele(s) without a gene annotation were not used (first: {first_without_gene}); "
                "annotate the VCF with VEP (CSQ) or SnpEff (ANN) to match them"
            )
        if unsupported:
            self.warnings.append(f"{unsupported} structural ALT allele(s) other than <DUP>/<DEL> were not used")
        if self.unparsed_proteins:
            self.warnings.append(
                f"{self.unparsed_proteins} protein change(s) were not HGVS protein notation; "
                "those variants are kept without a protein change"
            )
        details = {
            "format": header.meta.get("fileformat", "VCF"),
            "records": str(records),
            "reference_blocks_skipped": str(reference_blocks),
            "annotation": "VEP CSQ"
            if csq_fields
            else "SnpEff ANN"
            if ann_fields
            else "INFO keys"
            if gene_keys
            else "none",
        }
        if sample_index is not None:
            details["sample_column"] = vcf.samples[sample_index]
        return MolecularProfile(
            sample_id=sample_id,
            alterations=tuple(alterations),
            filtered=tuple(filtered),
            build=build,
            details=details,
            sources=(self.source,),
            tumour_purity_percent=self.settings.tumour_purity_percent,
            warnings=tuple(self.warnings),
        )

    def _protein(self, text: str, line: int) -> tuple[str | None, str | None]:
        """The short and HGVS forms of one protein change; remembered per distinct text."""
        try:
            # VEP escapes '=' in HGVSp as %3D (p.Leu858%3D)
            change = parse_protein_change(unquote(text) if "%" in text else text)
        except InputError as error:
            # Not remembered, so that every occurrence is counted (and the first 20 named with their line).
            self.unparsed_proteins += 1
            if self.unparsed_proteins <= 20:
                self.warnings.append(f"{self.source}:{line}: {error.rule}")
            return _NO_PROTEIN
        forms = (change.short, change.hgvs) if change is not None else _NO_PROTEIN
        self._proteins[text] = forms
        return forms

    def raw_line(self, line: int) -> str | None:
        """The file's own text of one line; reads forward, so checks in record order cost one pass."""
        return self._raw.line(line)

    def _record_problem(self, header: VcfHeader, line: int) -> FormatError:
        """Re-read the one record htslib refused and name the field that breaks its header Type."""
        try:
            if _is_gzip(self.path):
                _read_text(self.path)  # a truncated stream fails here, before a partial line misleads
            record = _line_of(self.path, line)
        except (EOFError, OSError, zlib.error):
            return FormatError(
                "the compressed file is truncated or corrupt",
                source=self.source,
                line=line,
                fix="copy the file again from its source; check it with 'bgzip -t'",
            )
        if record is None:
            return FormatError(
                "the file ends inside a record (truncated)", source=self.source, line=line, fix="copy the file again"
            )
        return _diagnose_record(record, header, self.source, line)


class _ValueReader:
    """Allele fraction and depth of the chosen sample, from the keys the header declares.

    Precedence, per ALT allele (the first source with a value wins): FORMAT AF, VAF, VF; FORMAT FREQ
    (percent); FORMAT AD (alt / sum of all AD); INFO AF. Depth: FORMAT DP, the sum of FORMAT AD,
    INFO DP. The order puts the caller's own per-sample estimate first; INFO AF last because in
    multi-sample or population files it is not the tumour's fraction. INFO AF and DP are read, and
    checked against the line's text, only when the FORMAT keys give no value: when FORMAT wins they
    are not used, so they are not looked at (checking every record's text would cost the reader's
    speed, see benchmarks/bench_vcf.py).
    """

    def __init__(self, header: VcfHeader, sample_index: int | None, reader: _VcfReader) -> None:
        self.header = header
        self.sample = sample_index
        self.reader = reader
        has_format = sample_index is not None
        self.fraction_keys = tuple(
            key for key in _FORMAT_FRACTION_KEYS if has_format and key in header.format and header.format[key].numeric
        )
        self.first_fraction_key = self.fraction_keys[0] if self.fraction_keys else None
        self._rounded: dict[float, float] = {}
        self.freq = has_format and "FREQ" in header.format
        self.allelic_depths = has_format and "AD" in header.format and header.format["AD"].numeric
        self.format_depth = has_format and "DP" in header.format and header.format["DP"].numeric
        self.info_fraction = "AF" in header.info and header.info["AF"].numeric
        self.info_depth = "DP" in header.info and header.info["DP"].numeric

    def fractions(self, variant: Any, count: int, line: int) -> list[float | None]:
        key = self.first_fraction_key
        if key is not None:
            # The common case: the first FORMAT key holds one value per ALT, none missing.
            array = variant.format(key)
            if array is not None:
                row = array.tolist()[self.sample]
                # NaN (missing) and htslib's missing sentinel both fail 0 <= value.
                if len(row) == count:
                    if count == 1:
                        value = row[0]
                        if 0.0 <= value <= 1.0:
                            known = self._rounded.get(value)
                            return [known if known is not None else self.rounded(value)]
                    elif all(0.0 <= value <= 1.0 for value in row):
                        return [self.rounded(value) for value in row]
        return self._fractions_by_precedence(variant, count, line)

    def rounded(self, value: float) -> float:
        """``value`` to six decimals, which gives back a 32-bit Float as the caller wrote it.

        Remembered per value: ``round(x, 6)`` goes through decimal text and costs more than the rest
        of a fraction's reading, while callers write fractions to a few decimals, so values repeat.
        """
        known = self._rounded.get(value)
        if known is None:
            known = self._rounded[value] = round(value, 6)
        return known

    def _fractions_by_precedence(self, variant: Any, count: int, line: int) -> list[float | None]:
        result: list[float | None] = [None] * count
        missing = count
        sample = self.sample
        for key in self.fraction_keys:
            array = variant.format(key)
            if array is None:
                continue
            row = array[sample].tolist()
            if len(row) != count and not (len(row) == 1 and count == 1):
                row = row[:1] if count == 1 else row + [math.nan] * (count - len(row))
            for index in range(count):
                value = row[index] if index < len(row) else math.nan
                if result[index] is None and not math.isnan(value) and value > -1e30:  # htslib missing
                    result[index] = self._fraction(round(value, 6), key, "FORMAT", line)
                    missing -= 1
            if not missing:
                return result
        if self.freq:
            array = variant.format("FREQ")
            if array is not None:
                for index, text in enumerate(str(array[sample]).split(",")[:count]):
                    if result[index] is None and text not in {"", "."}:
                        result[index] = self._percent(text, line)
        if self.allelic_depths and any(value is None for value in result):
            array = variant.format("AD")
            if array is not None:
                depths = [value for value in array[sample].tolist() if value >= 0]
                total = sum(depths)
                if total > 0 and len(depths) == count + 1:
                    for index in range(count):
                        if result[index] is None:
                            result[index] = depths[index + 1] / total
        if self.info_fraction and any(value is None for value in result):
            raw = variant.INFO.get("AF")
            self._check_info_numeric("AF", line)
            if raw is not None:
                items = raw if isinstance(raw, tuple) else (raw,)
                for index, value in enumerate(items[:count]):
                    if result[index] is None and value is not None:
                        result[index] = self._fraction(round(float(value), 6), "AF", "INFO", line)
        return result

    def depth(self, variant: Any, line: int) -> int | None:
        sample = self.sample
        if self.format_depth:
            array = variant.format("DP")
            if array is not None:
                # item() gives a Python number at once, without an intermediate row and numpy scalar.
                value = array.item(sample, 0)
                if value >= 0:
                    return int(value)
        if self.allelic_depths:
            array = variant.format("AD")
            if array is not None:
                depths = [value for value in array[sample].tolist() if value >= 0]
                if depths:
                    return int(sum(depths))
        if self.info_depth:
            value = variant.INFO.get("DP")
            self._check_info_numeric("DP", line)
            return None if value is None else int(value)
        return None

    def first_format_float(self, variant: Any, key: str, line: int) -> float | None:
        array = variant.format(key)
        if array is None:
            return None
        value = float(array[self.sample][0])
        # htslib keeps Float as 32 bits: six decimals give back the value as written. Its missing value
        # is a NaN payload (and very old files used -FLT_MAX); an infinity, or 1e308 and the like, which
        # 32 bits turn into infinity, is damage: refused, so no profile carries a non-finite number.
        if math.isnan(value) or value < -1e30:
            return None
        if math.isinf(value):
            raise FormatError(
                f"FORMAT {key} is not a finite number",
                source=self.reader.source,
                line=line,
                field=f"FORMAT/{key}",
                fix="give the VCF as the caller wrote it",
            )
        return round(value, 6)

    def _fraction(self, value: float, key: str, where: str, line: int) -> float:
        if not 0.0 <= value <= 1.0:
            raise FormatError(
                f"allele fraction {value:g} is outside 0-1",
                source=self.reader.source,
                line=line,
                field=f"{where}/{key}",
                fix="write allele fractions as fractions (0.25), not percent",
            )
        return float(value)

    def _percent(self, text: str, line: int) -> float:
        try:
            value = float(text.strip().rstrip("%")) / 100.0
        except ValueError:
            raise FormatError(
                f"'{text}' is not a percentage",
                source=self.reader.source,
                line=line,
                field="FORMAT/FREQ",
                fix="write FREQ as a number with '%', e.g. 12.5%",
            ) from None
        return self._fraction(value, "FREQ", "FORMAT", line)

    def _check_info_numeric(self, key: str, line: int) -> None:
        """Check an INFO number the reader is about to use against the line's own text.

        htslib reads INFO numbers leniently and without a word: ``DP=4x2`` becomes 4 and ``DP=abc``
        missing (htslib ``vcf_parse_info``; FORMAT values, by contrast, make it refuse the record).
        Only values that are used are checked, in record order, so the file is read a second time
        only as far as the last such record (the INFO values are fallbacks, see :class:`_ValueReader`).
        """
        record = self.reader.raw_line(line)
        if record is None:
            return
        columns = record.split("\t", 8)
        if len(columns) < 8:
            return
        definition = self.header.info[key]
        for item in columns[7].split(";"):
            name, _, text = item.partition("=")
            if name == key:
                for part in text.split(","):
                    if not _is_number(part, definition.type):
                        raise _not_numeric(part, key, "INFO", definition.type, source=self.reader.source, line=line)
                return


def _not_numeric(text: str, key: str, where: str, type_name: str, *, source: str, line: int) -> FormatError:
    return FormatError(
        f"'{text}' is not a number (the header declares {where} {key} Type={type_name})",
        source=source,
        line=line,
        field=f"{where}/{key}",
        fix=f"write {key} as a number, or '.' when it is unknown",
    )


def _is_number(text: str, type_name: str) -> bool:
    if text in {"", "."}:
        return True
    try:
        if type_name == "Integer":
            int(text)
        else:
            float(text)
    except ValueError:
        return False
    return True


def _diagnose_record(record: str, header: VcfHeader, source: str, line: int) -> FormatError:
    columns = record.rstrip("\n").split("\t")
    if len(columns) < 8:
        return FormatError(
            f"a record needs at least 8 tab-separated columns, found {len(columns)}",
            source=source,
            line=line,
            fix="separate the columns with tabs; the file may be truncated",
        )
    if not columns[1].isdigit():
        return FormatError(f"'{columns[1]}' is not a position", source=source, line=line, field="POS")
    for item in columns[7].split(";"):
        key, _, text = item.partition("=")
        definition = header.info.get(key)
        if definition is not None and definition.numeric:
            for part in text.split(","):
                if not _is_number(part, definition.type):
                    return _not_numeric(part, key, "INFO", definition.type, source=source, line=line)
    if len(columns) > 9:
        keys = columns[8].split(":")
        for sample_column in columns[9:]:
            for key, text in zip(keys, sample_column.split(":"), strict=False):
                definition = header.format.get(key)
                if definition is not None and definition.numeric:
                    for part in text.split(","):
                        if not _is_number(part, definition.type):
                            return _not_numeric(part, key, "FORMAT", definition.type, source=source, line=line)
    return FormatError(
        "htslib cannot parse this record",
        source=source,
        line=line,
        fix="check it against the header definitions with 'bcftools view'",
    )


# -- annotations ----------------------------------------------------------------------------------


class _VepLayout:
    """Where each VEP CSQ sub-field sits, from the header's ``Format:`` list; chooses annotations.

    VEP writes the allele without the first base when REF and every ALT share it (``-`` when that
    leaves nothing), so an entry is matched to its ALT by ``ALLELE_NUM`` when present, else by the
    ALT as written or trimmed. Within one allele the entry flagged ``PICK`` wins, then ``CANONICAL``,
    then ``MANE_SELECT``, then the first with a gene symbol and a protein change (Ensembl VEP
    documentation, "VCF output" and "Summary of --pick options").
    """

    def __init__(self, names: Sequence[str]) -> None:
        position = {name: index for index, name in enumerate(names)}
        self.width = len(names)
        self.allele = position.get("Allele")
        self.allele_number = position.get("ALLELE_NUM")
        self.symbol = position.get("SYMBOL")
        self.protein = position.get("HGVSp")
        self.coding = position.get("HGVSc")
        self.feature = position.get("Feature")
        self.consequence = position.get("Consequence")
        self.exon = position.get("EXON")
        self.preferences = tuple(
            (index, wanted)
            for name, wanted in (("PICK", "1"), ("CANONICAL", "YES"), ("MANE_SELECT", None))
            if (index := position.get(name)) is not None
        )
        self.vocabulary = _Vocabulary()

    def annotations(self, csq: str, ref: str, alts: Sequence[str]) -> list[_Annotation | None]:
        symbol = self.symbol
        if symbol is None:
            return [None] * len(alts)
        width = self.width
        allele_number = self.allele_number
        single = len(alts) == 1
        if single and allele_number is None:
            # The common case: every entry that names a gene is about the one ALT.
            entries: list[list[str]] = []
            for entry in csq.split(","):
                values = entry.split("|")
                if len(values) < width:
                    values.extend([""] * (width - len(values)))
                if values[symbol]:
                    entries.append(values)
            return [self._pick(entries) if entries else None]
        by_allele: list[list[list[str]]] = [[] for _ in alts]
        keys: dict[str, int] | None = None
        for entry in csq.split(","):
            values = entry.split("|")
            if len(values) < width:
                values.extend([""] * (width - len(values)))
            if not values[symbol]:
                continue
            if allele_number is not None and values[allele_number].isdigit():
                index = int(values[allele_number]) - 1
                if not 0 <= index < len(alts):
                    continue
            elif single:
                index = 0
            elif self.allele is not None:
                if keys is None:
                    keys = _vep_allele_keys(ref, alts)
                found = keys.get(values[self.allele])
                if found is None:
                    continue
                index = found
            else:
                continue
            by_allele[index].append(values)
        return [self._pick(entries) if entries else None for entries in by_allele]

    def _pick(self, entries: list[list[str]]) -> _Annotation:
        chosen = entries[0]
        if len(entries) > 1:
            preferred = [
                values
                for index, wanted in self.preferences
                for values in entries
                if (values[index] == wanted if wanted is not None else values[index])
            ]
            with_protein = [values for values in entries if self.protein is not None and values[self.protein]]
            chosen = (preferred or with_protein or entries)[0]
        symbol = chosen[self.symbol] if self.symbol is not None else ""
        protein = chosen[self.protein] if self.protein is not None else ""
        coding = chosen[self.coding] if self.coding is not None else ""
        transcript = chosen[self.feature] if self.feature is not None else ""
        exon = chosen[self.exon] if self.exon is not None else ""
        consequence = chosen[self.consequence] if self.consequence is not None else ""
        return _Annotation(
            symbol,
            protein or None,
            (unquote(coding) if "%" in coding else coding) or None,
            self.vocabulary.text(transcript) if transcript else None,
            self.vocabulary.consequences(consequence),
            self.vocabulary.exon_number(exon) if exon else None,
        )


class _Vocabulary:
    """One shared copy of the annotation texts that recur across a file's records.

    Transcripts repeat for every call in a gene, consequence terms come from the Sequence Ontology's
    few dozen, exon numbers from a short list: each distinct text is split once, and the profile holds
    one copy of it instead of one per call (which also keeps the reader's memory, and time, down).
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._consequences: dict[str, tuple[str, ...]] = {}
        self._exon_numbers: dict[str, str] = {}

    def text(self, value: str) -> str:
        return self._texts.setdefault(value, value)

    def consequences(self, value: str) -> tuple[str, ...]:
        """``missense_variant&splice_region_variant`` -> its terms."""
        terms = self._consequences.get(value)
        if terms is None:
            terms = self._consequences[value] = tuple(filter(None, value.split("&")))
        return terms

    def exon_number(self, value: str) -> str:
        """``5/10`` (exon 5 of 10, VEP EXON and SnpEff Rank) -> ``5``."""
        number = self._exon_numbers.get(value)
        if number is None:
            number = self._exon_numbers[value] = value.split("/", 1)[0]
        return number


def _vep_allele_keys(ref: str, alts: Sequence[str]) -> dict[str, int]:
    """ALT as VEP writes it -> its index; both the written and the first-base-trimmed forms."""
    keys: dict[str, int] = {}
    first_bases = {allele[:1] for allele in (ref, *alts) if not allele.startswith("<")}
    trim = len(first_bases) == 1 and any(len(alt) != len(ref) for alt in alts)
    for index, alt in enumerate(alts):
        keys.setdefault(alt, index)
        if trim:
            keys.setdefault(alt[1:] or "-", index)
    return keys


class _SnpEffLayout:
    """Where each SnpEff ANN sub-field sits; chooses the first (most severe) annotation of each ALT
    that names a gene.

    SnpEff sorts a record's annotations by impact and writes the ALT as given (``ALT-REF`` in cancer
    mode, matched by its first part) (SnpEff "ANN field" specification).
    """

    def __init__(self, names: Sequence[str]) -> None:
        position = {name: index for index, name in enumerate(names)}
        self.allele = position.get("Allele", 0)
        self.gene = position.get("Gene_Name", 3)
        self.protein = position.get("HGVS.p")
        self.coding = position.get("HGVS.c")
        self.feature = position.get("Feature_ID")
        self.consequence = position.get("Annotation")
        self.rank = position.get("Rank")
        self.vocabulary = _Vocabulary()

    def annotations(self, ann: str, alts: Sequence[str]) -> list[_Annotation | None]:
        allele_at, gene_at = self.allele, self.gene
        chosen: list[_Annotation | None] = [None] * len(alts)
        index_of = {alt: index for index, alt in enumerate(alts)}
        for entry in ann.split(","):
            values = [value.strip() for value in entry.split("|")]
            if len(values) <= gene_at or not values[gene_at]:
                continue
            allele = values[allele_at].split("-", 1)[0] if allele_at < len(values) else ""
            index = 0 if len(alts) == 1 else index_of.get(allele)
            if index is None or chosen[index] is not None:
                continue
            rank = _sub_field(values, self.rank)
            transcript = _sub_field(values, self.feature)
            chosen[index] = _Annotation(
                values[gene_at],
                _sub_field(values, self.protein) or None,
                _sub_field(values, self.coding) or None,
                self.vocabulary.text(transcript) if transcript else None,
                self.vocabulary.consequences(_sub_field(values, self.consequence)),
                self.vocabulary.exon_number(rank) if rank else None,
            )
        return chosen


def _sub_field(values: Sequence[str], at: int | None) -> str:
    return values[at] if at is not None and at < len(values) else ""


def _simple_annotation(
    info: Any, gene_keys: Sequence[str], protein_keys: Sequence[str], coding_keys: Sequence[str]
) -> _Annotation | None:
    gene = next((value for key in gene_keys if (value := info.get(key))), None)
    if gene is None:
        return None
    protein = next((value for key in protein_keys if (value := info.get(key))), None)
    coding = next((value for key in coding_keys if (value := info.get(key))), None)
    return _Annotation(
        gene=str(gene), protein=str(protein) if protein else None, coding=str(coding) if coding else None
    )


#: Alteration's fields, in order; tests/test_vcf.py checks them against the dataclass so that a field
#: added there is added to :func:`_new_alteration` too.
_ALTERATION_FIELDS = (
    "gene",
    "kind",
    "reported_gene",
    "genes",
    "protein_change",
    "protein_change_hgvs",
    "transcript",
    "coding_change",
    "consequences",
    "variant_classification",
    "exon",
    "vaf",
    "depth",
    "supporting_reads",
    "fold_change",
    "copy_number",
    "chrom",
    "pos",
    "ref",
    "alt",
    "filter",
    "usable",
    "unusable_reason",
)

#: The setters of Alteration's slots (see :func:`_new_alteration`).
(
    _set_gene,
    _set_kind,
    _set_reported_gene,
    _set_genes,
    _set_protein_change,
    _set_protein_change_hgvs,
    _set_transcript,
    _set_coding_change,
    _set_consequences,
    _set_variant_classification,
    _set_exon,
    _set_vaf,
    _set_depth,
    _set_supporting_reads,
    _set_fold_change,
    _set_copy_number,
    _set_chrom,
    _set_pos,
    _set_ref,
    _set_alt,
    _set_filter,
    _set_usable,
    _set_unusable_reason,
) = (Alteration.__dict__[name].__set__ for name in _ALTERATION_FIELDS)


def _new_alteration(  # noqa: PLR0917 - positional on purpose: keyword arguments cost more than the slots
    gene: str,
    kind: AlterationKind,
    reported_gene: str,
    genes: tuple[str, ...],
    protein_change: str | None,
    protein_change_hgvs: str | None,
    transcript: str | None,
    coding_change: str | None,
    consequences: tuple[str, ...],
    exon: str | None,
    vaf: float | None,
    depth: int | None,
    fold_change: float | None,
    copy_number: float | None,
    chrom: str,
    pos: int,
    ref: str,
    alt: str,
    filter_value: str,
) -> Alteration:
    """An :class:`Alteration` of a VCF call, made by filling its slots directly.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, one Python-level
    call per field: for Alteration's 23 fields 2.5 us, the largest single cost of reading an annotated
    allele (benchmarks/bench_vcf.py). The slots' own setters do the same work in half the time. This
    skips ``__post_init__``, whose one rule (``genes`` is ``(gene,)`` when not given) the caller
    follows; tests/test_vcf.py checks that the result equals the constructor's.
    """
    alteration = object.__new__(Alteration)
    _set_gene(alteration, gene)
    _set_kind(alteration, kind)
    _set_reported_gene(alteration, reported_gene)
    _set_genes(alteration, genes)
    _set_protein_change(alteration, protein_change)
    _set_protein_change_hgvs(alteration, protein_change_hgvs)
    _set_transcript(alteration, transcript)
    _set_coding_change(alteration, coding_change)
    _set_consequences(alteration, consequences)
    _set_variant_classification(alteration, None)
    _set_exon(alteration, exon)
    _set_vaf(alteration, vaf)
    _set_depth(alteration, depth)
    _set_supporting_reads(alteration, None)
    _set_fold_change(alteration, fold_change)
    _set_copy_number(alteration, copy_number)
    _set_chrom(alteration, chrom)
    _set_pos(alteration, pos)
    _set_ref(alteration, ref)
    _set_alt(alteration, alt)
    _set_filter(alteration, filter_value)
    _set_usable(alteration, True)
    _set_unusable_reason(alteration, None)
    return alteration


# -- raw text, only on the error path -------------------------------------------------------------


#: the empty block every BGZF file ends with (SAM/BAM specification, section 4.1.2).
_BGZF_END = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def _is_bgzf(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    return head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def _has_bgzf_end(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() < len(_BGZF_END):
            return False
        handle.seek(-len(_BGZF_END), 2)
        return handle.read() == _BGZF_END


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _read_text(path: Path) -> str:
    raw = gzip.decompress(path.read_bytes()) if _is_gzip(path) else path.read_bytes()
    return raw.decode("utf-8", errors="replace")


def _annotation_text(value: object, key: str, source: str, line: int) -> str:
    """The text of a CSQ or ANN value; written without ``=`` htslib reads it as a flag (True)."""
    if isinstance(value, str):
        return value
    raise FormatError(
        f"INFO {key} has no value", source=source, line=line, field=f"INFO/{key}", fix=f"write it as {key}=..."
    )


def _first_non_utf8_line(path: Path) -> int | None:
    """The number of the first line that is not UTF-8 (only asked after a decoding error)."""
    try:
        for number, text in enumerate(_file_lines(path), 1):
            try:
                text.decode("utf-8")
            except UnicodeDecodeError:
                return number
    except (EOFError, OSError, zlib.error):
        return None
    return None


def _header_line_count(path: Path) -> int:
    """Lines up to and including ``#CHROM``, reading only the header (cheap even for large files)."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
        for number, text in enumerate(handle, 1):
            if not text.startswith(b"#"):
                return number - 1
            if text.startswith(b"#CHROM"):
                return number
    return 0


class _RawLines:
    """One file's lines as written, read forward only (gzip and bgzip included), for the checks that
    need the text htslib has already turned into values."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lines: Generator[bytes, None, None] | None = None
        self._position = 0
        self._last: str | None = None

    def line(self, number: int) -> str | None:
        """Line ``number`` (1-based) without its line end; None past the end or on a damaged stream."""
        # One record's INFO AF and DP checks ask for the same line in turn: answer the second from the
        # line just read instead of restarting the file (which made reading quadratic in the records).
        if number == self._position and self._lines is not None:
            return self._last
        try:
            if self._lines is None or number < self._position:
                self.close()
                self._lines = _file_lines(self.path)
                self._position = 0
            # islice skips the lines in between in C: much cheaper than a Python loop over them.
            text = next(islice(self._lines, number - self._position - 1, None), None)
        except (EOFError, OSError, zlib.error):
            return None
        self._position = number
        self._last = None if text is None else text.decode("utf-8", errors="replace").rstrip("\r\n")
        return self._last

    def close(self) -> None:
        if self._lines is not None:
            self._lines.close()
            self._lines = None


def _file_lines(path: Path) -> Generator[bytes, None, None]:
    with gzip.open(path, "rb") if _is_gzip(path) else path.open("rb") as handle:
        yield from handle


def _line_of(path: Path, line: int) -> str | None:
    for number, text in enumerate(_read_text(path).splitlines(), 1):
        if number == line:
            return text
    return None


def _shown(samples: Sequence[str]) -> str:
    return ", ".join(samples[:6]) + (", ..." if len(samples) > 6 else "")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".bgz", ".vcf"):
        name = name.removesuffix(suffix)
    return name
