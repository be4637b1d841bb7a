"""Illumina TruSight Oncology 500 results: a CombinedVariantOutput file, a sample folder or a run folder.

Formats (FORMATS.md; Illumina TSO500 Local App v2.2 and DRAGEN TSO500 v2.x output file descriptions):

- ``<Sample>_CombinedVariantOutput.tsv``: banner line, notice line, then ``[Section]`` blocks. Key/value
  sections ``[Analysis Details]``, ``[Sequencing Run Details]``, ``[TMB]``, ``[MSI]``; table sections
  ``[Gene Amplifications]``, ``[Splice Variants]``, ``[Fusions]``, ``[Small Variants]``. Any other section
  (DRAGEN 2.6 ``[GIS]``, large rearrangements, loss of heterozygosity) is kept as raw rows and reported.
- Side files in a sample folder: ``<S>_CopyNumberVariants.vcf`` (Craft), ``<S>_AllFusions.csv`` (RNA),
  ``<S>_Fusions.csv`` (DNA/ctDNA), ``<S>.tmb.json``, ``<S>.msi.json``; and the run's
  ``Results/MetricsOutput.tsv`` for QC (:mod:`oncobasket.io.tso500_metrics`).

The combined output is what the lab reports, so it wins: side files only add what it does not list
(copy losses, calls of a ctDNA folder without a combined output, and the filtered candidates).
docs/formats-tso500.md records every choice this reader makes.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oncobasket.core.errors import FormatError, InputError, shown
from oncobasket.core.genes import current_symbol
from oncobasket.core.profiles import (
    Alteration,
    AlterationKind,
    GenomeBuild,
    MolecularProfile,
    Msi,
    MsiStatus,
    ProfileSettings,
    Tmb,
    call_msi,
    classify_tmb,
    copy_number_from_fold_change,
)
from oncobasket.core.protein import parse_protein_change
from oncobasket.io.files import check_regular_file
from oncobasket.io.tso500_metrics import (
    MISSING,
    MetricsOutput,
    Row,
    Section,
    parse_number,
    read_metrics_output,
    read_text,
    split_sections,
)

__all__ = ["UNKNOWN_GENE", "read_combined_variant_output", "read_tso500"]

#: Gene of a call whose Gene cell is empty (an intergenic small variant): the MAF convention
#: (GDC MAF specification, Hugo_Symbol "Unknown"), which no drug rule can match.
UNKNOWN_GENE = "Unknown"

#: No count or position of a TSO500 result comes near this (a genome has 3.1e9 bases): larger is damage.
_LARGEST_WHOLE_NUMBER = 10**15

COMBINED_SUFFIX = "_CombinedVariantOutput.tsv"
CNV_SUFFIX = "_CopyNumberVariants.vcf"
ALL_FUSIONS_SUFFIX = "_AllFusions.csv"
DNA_FUSIONS_SUFFIX = "_Fusions.csv"
TMB_SUFFIX = ".tmb.json"
MSI_SUFFIX = ".msi.json"
METRICS_NAME = "MetricsOutput.tsv"
_SIDE_SUFFIXES = (CNV_SUFFIX, ALL_FUSIONS_SUFFIX, DNA_FUSIONS_SUFFIX, TMB_SUFFIX, MSI_SUFFIX)

LOCAL_APP = "TSO500 Local App"
DRAGEN = "DRAGEN TSO500"

_KEY_VALUE_SECTIONS = ("Analysis Details", "Sequencing Run Details", "TMB", "MSI")
_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Gene Amplifications": ("Gene", "Fold Change"),
    "Splice Variants": ("Gene", "Affected Exon", "Breakpoint 1", "Breakpoint 2", "Splice Supporting Reads"),
    "Fusions": ("Gene Pair", "Breakpoint 1", "Breakpoint 2", "Fusion Supporting Reads"),
    "Small Variants": (
        "Gene",
        "Chromosome",
        "Genomic Position",
        "Reference Call",
        "Alternative Call",
        "Allele Frequency",
        "Depth",
        "P-Dot Notation",
        "C-Dot Notation",
        "Consequence(s)",
        "Affected Exon(s)",
    ),
}
_KNOWN_SECTIONS = (*_KEY_VALUE_SECTIONS, *_TABLE_COLUMNS)
_LAST_SECTION = "Small Variants"
_NO_QC = "QC not judged: a CombinedVariantOutput carries no QC metrics; read the run folder to apply MetricsOutput.tsv"


# ---------------------------------------------------------------------------------------------
# What one sample's files add up to, before it becomes a frozen MolecularProfile
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parts:
    sample_id: str
    build: GenomeBuild | None
    ids: list[str] = field(default_factory=list)
    alterations: list[Alteration] = field(default_factory=list)
    filtered: list[Alteration] = field(default_factory=list)
    tmb: Tmb | None = None
    msi: Msi | None = None
    details: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    combined: bool = False

    def profile(self, settings: ProfileSettings) -> MolecularProfile:
        return MolecularProfile(
            sample_id=self.sample_id,
            alterations=tuple(self.alterations),
            tmb=self.tmb,
            msi=self.msi,
            build=self.build,
            filtered=tuple(self.filtered),
            details=dict(self.details),
            unknown_sections=dict(self.unknown),
            sources=tuple(self.sources),
            tumour_purity_percent=settings.tumour_purity_percent,
            warnings=tuple(self.warnings),
        )


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def _read_sample_with_own_metrics(folder: Path, settings: ProfileSettings) -> list[MolecularProfile]:
    """A sample folder judged by the ``*MetricsOutput.tsv`` inside it (or ``../MetricsOutput.tsv``), if any."""
    metrics_path = _sample_metrics_path(folder)
    metrics = read_metrics_output(metrics_path) if metrics_path is not None else None
    return _read_sample_folder(folder, settings, metrics)


def read_tso500(path: Path, settings: ProfileSettings = ProfileSettings()) -> list[MolecularProfile]:
    """Read a ``*_CombinedVariantOutput.tsv``, a sample folder (``Results/<S>/``) or a run folder.

    A run folder has ``Results/`` with one folder per sample and the run's ``Results/MetricsOutput.tsv``;
    the Results folder itself may be given too. A sample folder's QC comes from a ``*MetricsOutput.tsv``
    inside it or, failing that, from ``../MetricsOutput.tsv``. A single file is read on its own (no QC).
    """
    _check_settings(settings)
    check_regular_file(path)
    if path.is_file():
        parts = _read_combined(path, settings)
        parts.warnings.append(_NO_QC)
        return [parts.profile(settings)]
    if not path.is_dir():
        raise FormatError("no such file or folder", source=str(path), fix="check the path")
    results = path / "Results" if (path / "Results").is_dir() else path
    if results is path and _recognised_files(path, recursive=False):
        return _read_sample_with_own_metrics(path, settings)
    sample_folders = [
        folder for folder in sorted(results.iterdir()) if folder.is_dir() and _recognised_files(folder, recursive=True)
    ]
    if results is path and not _file_there(path / METRICS_NAME):
        # A folder of runs (e.g. one per sequencing run, as a lab archives them): each run keeps its own
        # MetricsOutput.tsv, so read each run folder on its own rather than as one sample with no QC.
        runs = [folder for folder in sample_folders if _is_run_folder(folder)]
        if runs:
            found = [profile for run in runs for profile in read_tso500(run, settings)]
            for folder in sample_folders:
                if folder not in runs:
                    found.extend(_read_sample_with_own_metrics(folder, settings))
            return found
    if not sample_folders:
        raise FormatError(
            "no TSO500 results in this folder (no *_CombinedVariantOutput.tsv, CNV VCF, fusion CSV or TMB/MSI JSON)",
            source=str(path),
            fix="give a TSO500 run folder, its Results folder, a sample folder or a CombinedVariantOutput file",
        )
    metrics_file = results / METRICS_NAME
    metrics = read_metrics_output(metrics_file) if _file_there(metrics_file) else None
    profiles: list[MolecularProfile] = []
    for folder in sample_folders:
        profiles.extend(_read_sample_folder(folder, settings, metrics))
    return profiles


def read_combined_variant_output(path: Path, settings: ProfileSettings = ProfileSettings()) -> MolecularProfile:
    """Read one ``*_CombinedVariantOutput.tsv`` into a profile (no side files, no QC)."""
    _check_settings(settings)
    parts = _read_combined(path, settings)
    parts.warnings.append(_NO_QC)
    return parts.profile(settings)


def _check_settings(settings: ProfileSettings) -> None:
    purity = settings.tumour_purity_percent
    if purity is not None and not 0 < purity <= 100:
        raise InputError(
            f"tumour purity must be in (0, 100] percent, got {purity:g}",
            field="tumour purity",
            fix="give the pathologist's estimate in percent, e.g. 40",
        )


# ---------------------------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------------------------


def _recognised_files(folder: Path, *, recursive: bool) -> list[Path]:
    """The result files in ``folder``; one named like a result but not a regular file (a FIFO) is refused."""
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    found = []
    for item in candidates:
        if not (item.name.endswith(COMBINED_SUFFIX) or item.name.endswith(_SIDE_SUFFIXES)) or item.is_dir():
            continue
        check_regular_file(item)
        if item.exists():  # a dangling symbolic link is no result
            found.append(item)
    return sorted(found)


def _file_there(path: Path) -> bool:
    """Something other than a folder is at ``path``: reading it refuses a FIFO or device (io/files.py)."""
    return path.exists() and not path.is_dir()


def _is_run_folder(folder: Path) -> bool:
    """A run folder (``Results/`` inside) or a run's Results folder (``MetricsOutput.tsv`` inside)."""
    return (folder / "Results").is_dir() or _file_there(folder / METRICS_NAME)


def _sample_metrics_path(folder: Path) -> Path | None:
    own = sorted(item for item in folder.glob(f"*{METRICS_NAME}") if _file_there(item))
    if own:
        return own[0]
    parent = folder.parent / METRICS_NAME
    return parent if _file_there(parent) else None


def _side_prefix(name: str) -> tuple[str, str]:
    for suffix in _SIDE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    raise AssertionError(name)  # only called on recognised side files


def _read_sample_folder(
    folder: Path, settings: ProfileSettings, metrics: MetricsOutput | None
) -> list[MolecularProfile]:
    files = _recognised_files(folder, recursive=True)
    combined = [_read_combined(item, settings) for item in files if item.name.endswith(COMBINED_SUFFIX)]
    groups: list[_Parts] = list(combined)
    for item in files:
        if item.name.endswith(COMBINED_SUFFIX):
            continue
        prefix, suffix = _side_prefix(item.name)
        target = next((parts for parts in combined if prefix in parts.ids), None)
        if target is None and len(combined) == 1:
            target = combined[0]
            target.warnings.append(
                f"{item}: file name does not carry the sample's Pair, DNA or RNA Sample ID; read as part of "
                f"{target.sample_id}, the only sample in {folder}"
            )
        if target is None:
            target = next((parts for parts in groups if not parts.combined and prefix in parts.ids), None)
        if target is None:
            target = _side_only_parts(prefix, settings)
            groups.append(target)
        _merge(target, _read_side_file(item, suffix, settings, target.build))
    profiles: list[MolecularProfile] = []
    for parts in groups:
        if metrics is None:
            parts.warnings.append(f"QC not judged: no {METRICS_NAME} in or above {folder}")
        profile = parts.profile(settings)
        if metrics is not None:
            qc = metrics.qc_for([*parts.ids, parts.sample_id])
            if qc is None:
                profile = _with_warning(profile, f"{metrics.source}: no QC column for {parts.sample_id}; QC not judged")
            else:
                profile = profile.with_qc(qc)
            profile = _with_source(profile, metrics.source, metrics.warnings)
        profiles.append(profile)
    return profiles


def _with_warning(profile: MolecularProfile, warning: str) -> MolecularProfile:
    return replace(profile, warnings=(*profile.warnings, warning))


def _with_source(profile: MolecularProfile, source: str, warnings: tuple[str, ...]) -> MolecularProfile:
    return replace(profile, sources=(*profile.sources, source), warnings=(*profile.warnings, *warnings))


def _side_only_parts(prefix: str, settings: ProfileSettings) -> _Parts:
    build, note = _resolve_build(settings, None, None)
    parts = _Parts(sample_id=prefix, build=build, ids=[prefix])
    parts.warnings.append(f"no CombinedVariantOutput for {prefix}: profile built from the side files alone")
    if note:
        parts.warnings.append(note)
    return parts


def _merge(parts: _Parts, side: _Parts) -> None:
    """Add a side file's calls; a call the combined output (or an earlier file) already lists is skipped."""
    copy_keys = {
        (alteration.kind, alteration.gene)
        for alteration in parts.alterations
        if alteration.kind in (AlterationKind.AMPLIFICATION, AlterationKind.COPY_LOSS)
    }
    fusions = [alteration for alteration in parts.alterations if alteration.kind is AlterationKind.FUSION]
    for alteration in side.alterations:
        if alteration.kind in (AlterationKind.AMPLIFICATION, AlterationKind.COPY_LOSS):
            if (alteration.kind, alteration.gene) in copy_keys:
                continue
            copy_keys.add((alteration.kind, alteration.gene))
        elif alteration.kind is AlterationKind.FUSION:
            if any(_same_fusion(alteration, other) for other in fusions):
                continue
            fusions.append(alteration)
        if parts.combined and alteration.kind is not AlterationKind.COPY_LOSS:
            parts.warnings.append(
                f"{side.sources[0]}: {alteration.label} is not in the CombinedVariantOutput; added from the side file"
            )
        parts.alterations.append(alteration)
    # Filtered candidates are only ever listed by the side files, each by its own caller: kept as they are.
    parts.filtered.extend(side.filtered)
    if parts.tmb is None:
        parts.tmb = side.tmb
    if parts.msi is None:
        parts.msi = side.msi
    for name, value in side.details.items():
        parts.details.setdefault(name, value)
    parts.sources.extend(side.sources)
    parts.warnings.extend(side.warnings)


def _same_fusion(one: Alteration, other: Alteration) -> bool:
    """One fusion per set of partner genes: breakpoints alone are shared by different partners
    (FGFR3-TACC3 and FGFR3-BAIAP2L1 break at the same FGFR3 base), and the two breakends of one
    translocation list the same genes."""
    return set(one.genes) == set(other.genes)


# ---------------------------------------------------------------------------------------------
# The combined output
# ---------------------------------------------------------------------------------------------


def _software(banner: str) -> str | None:
    """Which software wrote the file, from the banner (line 1); None when it is not a TSO500 file."""
    if "TruSight Oncology 500" not in banner or not banner.endswith("Combined Variant Output"):
        return None
    return DRAGEN if banner.startswith("DRAGEN") else LOCAL_APP


def _resolve_build(settings: ProfileSettings, software: str | None, source: str | None) -> tuple[GenomeBuild, str]:
    """The genome build of the results and a note saying how it was decided.

    The files carry no build. TSO500 Local App 2.x and DRAGEN TSO500 2.x align to hg19 (GRCh37): Illumina
    TSO500 Local App v2.2 user guide (reference genome) and the ``##reference=.../hg19...`` lines of their
    VCFs. A Local App file declared GRCh38 is therefore an error; for DRAGEN the declared build is kept.
    """
    given = settings.build
    if given is None:
        return GenomeBuild.GRCH37, (
            f"genome build not given; {software or 'TSO500'} output is GRCh37 (hg19), recorded as GRCh37"
        )
    if given is GenomeBuild.GRCH38 and software == LOCAL_APP:
        raise FormatError(
            "TSO500 Local App 2.x output is GRCh37, but the genome build given is GRCh38",
            source=source,
            line=1,
            field="genome build",
            fix="give --build GRCh37 (or leave it out) for TSO500 Local App results",
        )
    if given is GenomeBuild.GRCH38:
        return given, f"{software or 'TSO500'} ships a GRCh37 (hg19) reference; the build given, GRCh38, is kept"
    return given, ""


def _read_combined(path: Path, settings: ProfileSettings) -> _Parts:
    source = str(path)
    text = read_text(path)
    if not text.strip():
        raise FormatError(
            "the file is empty; a CombinedVariantOutput always has at least its banner and section headers",
            source=source,
            fix="give the *_CombinedVariantOutput.tsv the TSO500 software wrote; check that the copy finished",
        )
    preamble, sections = split_sections(text, source)
    banner = preamble[0].cell(0) if preamble and preamble[0].line == 1 else ""
    software = _software(banner)
    if software is None:
        raise FormatError(
            "not a TSO500 CombinedVariantOutput: line 1 must be the banner "
            "'TruSight Oncology 500 - Combined Variant Output' (or the DRAGEN TSO500 one)",
            source=source,
            line=1,
            field="banner",
            fix="give the *_CombinedVariantOutput.tsv the TSO500 software wrote, unedited",
        )
    build, note = _resolve_build(settings, software, source)
    name_id = path.name[: -len(COMBINED_SUFFIX)] if path.name.endswith(COMBINED_SUFFIX) else path.stem
    parts = _Parts(sample_id=name_id, build=build, combined=True, sources=[source])
    parts.details["Software"] = software
    parts.details["Banner"] = banner
    if note:
        parts.warnings.append(note)
    for name, section in sections.items():
        if name in _KEY_VALUE_SECTIONS:
            values = _key_values(section, source)
            if name == "TMB":
                parts.tmb = _tmb(values, settings, source)
            elif name == "MSI":
                parts.msi = _msi(values, settings, source)
            else:
                parts.details.update({key: value for key, (_, value) in values.items() if value != MISSING})
        elif name in _TABLE_COLUMNS:
            _read_table(name, section, parts, settings, source)
        else:
            parts.unknown[name] = tuple(tuple(row.values()) for row in section.rows)
            parts.warnings.append(
                f"{source}:{section.line}: section [{name}] is not read by OncoBasket; kept as raw rows"
            )
    if _LAST_SECTION not in sections:
        # [Small Variants] closes every Local App 2.x and DRAGEN 2.x output (FORMATS.md), even an RNA-only or
        # empty one (as a lone NA row): without it the file stops early, and its missing sections would
        # otherwise read as "no alterations" for a patient who may have some.
        raise FormatError(
            f"the file ends here without the [{_LAST_SECTION}] section that closes every TSO500 "
            "CombinedVariantOutput; it looks truncated",
            source=source,
            line=max(1, len(text.splitlines())),
            field=f"[{_LAST_SECTION}]",
            fix="copy the whole file again from the TSO500 output folder",
        )
    for name in _KNOWN_SECTIONS:
        if name not in sections and name != "Sequencing Run Details":
            parts.warnings.append(f"{source}: no [{name}] section; nothing read for it")
    pair, dna, rna = (_present(parts.details.get(key)) for key in ("Pair ID", "DNA Sample ID", "RNA Sample ID"))
    sample_id = pair or dna or rna
    if sample_id is None:
        sample_id = name_id
        parts.warnings.append(
            f"{source}: [Analysis Details] names no Pair, DNA or RNA Sample ID; sample ID taken from the file name"
        )
    parts.sample_id = sample_id
    parts.ids = [item for item in dict.fromkeys((sample_id, pair, dna, rna, name_id)) if item]
    return parts


def _present(value: str | None) -> str | None:
    return value if value and value != MISSING else None


def _key_values(section: Section, source: str) -> dict[str, tuple[int, str]]:
    if not section.rows:
        raise _empty_section(section, source)
    values: dict[str, tuple[int, str]] = {}
    for row in section.rows:
        cells = row.values()
        if len(cells) == 1 and cells[0] == MISSING and len(section.rows) == 1:
            return {}
        if len(cells) > 2:
            raise FormatError(
                f"key/value row has {len(cells)} cells, expected 2",
                source=source,
                line=row.line,
                field=f"[{section.name}]",
                fix="give the file as the TSO500 software wrote it",
            )
        key = cells[0]
        if key in values:
            raise FormatError(
                f"key '{key}' appears twice in [{section.name}] (first at line {values[key][0]})",
                source=source,
                line=row.line,
                field=key,
                fix="give the file as the TSO500 software wrote it",
            )
        values[key] = (row.line, cells[1] if len(cells) == 2 else "")
    return values


def _empty_section(section: Section, source: str) -> FormatError:
    return FormatError(
        f"section [{section.name}] has no rows, not even NA; the file looks truncated",
        source=source,
        line=section.line,
        field=f"[{section.name}]",
        fix="copy the whole file again from the TSO500 output folder",
    )


def _number(values: dict[str, tuple[int, str]], key: str, source: str) -> float | None:
    if key not in values:
        return None
    line, text = values[key]
    return parse_number(text, source=source, line=line, field=key)


def _integer(text: str, *, source: str, line: int, field: str) -> int | None:
    value = text.strip()
    if not value or value == MISSING:
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or abs(number) > _LARGEST_WHOLE_NUMBER:
        raise FormatError(
            f"'{shown(value)}' is not a whole number (at most {_LARGEST_WHOLE_NUMBER:.0e})",
            source=source,
            line=line,
            field=field,
            fix="write a whole number or NA",
        )
    return number


def _integer_value(values: dict[str, tuple[int, str]], key: str, source: str) -> int | None:
    if key not in values:
        return None
    line, text = values[key]
    return _integer(text, source=source, line=line, field=key)


def _tmb(values: dict[str, tuple[int, str]], settings: ProfileSettings, source: str) -> Tmb | None:
    per_mb = _number(values, "Total TMB", source)
    if per_mb is None:
        return None
    coding_region_mb = _number(values, "Coding Region Size in Megabases", source)
    eligible_variants = _integer_value(values, "Number of Passing Eligible Variants", source)
    _check_tmb(
        per_mb,
        coding_region_mb,
        eligible_variants,
        source=source,
        lines={key: line for key, (line, _) in values.items()},
    )
    return Tmb(
        per_mb=per_mb,
        tmb_class=classify_tmb(per_mb, settings.tmb_thresholds),
        coding_region_mb=coding_region_mb,
        eligible_variants=eligible_variants,
    )


def _check_tmb(
    per_mb: float,
    coding_region_mb: float | None,
    eligible_variants: int | None,
    *,
    source: str,
    lines: dict[str, int],
    names: tuple[str, str, str] = (
        "Total TMB",
        "Coding Region Size in Megabases",
        "Number of Passing Eligible Variants",
    ),
) -> None:
    """TMB is a count of variants per megabase of coding region (Chalmers et al., Genome Med 2017;9:34;
    FORMATS.md [TMB]): the count and the rate are 0 or more, and the region is more than 0 Mb (a zero
    region gives no rate at all, so a file that says so is damaged)."""
    checks = (
        (names[0], per_mb, per_mb < 0, "a TMB is 0 or more mutations per megabase"),
        (
            names[1],
            coding_region_mb,
            coding_region_mb is not None and coding_region_mb <= 0,
            "the coding region over which TMB is counted is more than 0 megabases",
        ),
        (
            names[2],
            eligible_variants,
            eligible_variants is not None and eligible_variants < 0,
            "a count of variants is 0 or more",
        ),
    )
    for name, value, broken, rule in checks:
        if broken:
            raise FormatError(
                f"{shown(value)} is out of range: {rule}",
                source=source,
                line=lines.get(name),
                field=name,
                fix="give the file the TSO500 software wrote; it may have been edited or damaged",
            )


def _msi(values: dict[str, tuple[int, str]], settings: ProfileSettings, source: str) -> Msi | None:
    usable = _integer_value(values, "Usable MSI Sites", source)
    unstable = _integer_value(values, "Total MSI Sites Unstable", source)
    percent = _number(values, "Percent Unstable MSI Sites", source)
    _check_msi(usable, unstable, percent, source=source, lines={key: line for key, (line, _) in values.items()})
    return _make_msi(usable, unstable, percent, settings)


def _check_msi(
    usable: int | None,
    unstable: int | None,
    percent: float | None,
    *,
    source: str,
    lines: dict[str, int],
    names: tuple[str, str, str] = ("Usable MSI Sites", "Total MSI Sites Unstable", "Percent Unstable MSI Sites"),
) -> None:
    """MSI is the share of usable microsatellite sites found unstable (FORMATS.md [MSI]; Illumina TSO500
    MSI caller): site counts are 0 or more, the unstable ones are among the usable ones, and the share
    is a percentage, 0-100. A value outside these is a damaged file, never a result."""
    checks = (
        (names[0], usable, usable is not None and usable < 0, "a count of sites is 0 or more"),
        (names[1], unstable, unstable is not None and unstable < 0, "a count of sites is 0 or more"),
        (
            names[1],
            unstable,
            unstable is not None and usable is not None and unstable > usable,
            f"more unstable sites than the {usable} usable ones",
        ),
        (names[2], percent, percent is not None and not 0 <= percent <= 100, "a percentage is 0-100"),
    )
    for name, value, broken, rule in checks:
        if broken:
            raise FormatError(
                f"{shown(value)} is out of range: {rule}",
                source=source,
                line=lines.get(name),
                field=name,
                fix="give the file the TSO500 software wrote; it may have been edited or damaged",
            )


def _make_msi(
    usable: int | None,
    unstable: int | None,
    percent: float | None,
    settings: ProfileSettings,
    reason: str | None = None,
) -> Msi | None:
    if usable is None and unstable is None and percent is None:
        return None
    status = MsiStatus.NOT_EVALUABLE if reason else call_msi(usable, percent, settings.msi_thresholds)
    if status is MsiStatus.NOT_EVALUABLE and reason is None:
        needed = settings.msi_thresholds.min_usable_sites
        reason = (
            f"{usable if usable is not None else 'no'} usable MSI sites; at least {needed} are needed to call a status"
            if usable is None or usable < needed
            else "the percentage of unstable sites is not reported"
        )
    return Msi(
        usable_sites=usable,
        unstable_sites=unstable,
        percent_unstable=percent,
        status=status,
        usable=reason is None,
        unusable_reason=reason,
    )


def _read_table(name: str, section: Section, parts: _Parts, settings: ProfileSettings, source: str) -> None:
    if not section.rows:
        raise _empty_section(section, source)
    header = section.rows[0].values()
    width = len(header)
    index: dict[str, int] = {}
    for position, column in enumerate(header):
        index.setdefault(column, position)
    for column in _TABLE_COLUMNS[name]:
        if column not in index:
            raise FormatError(
                f"column '{column}' missing from the [{name}] header",
                source=source,
                line=section.rows[0].line,
                field=column,
                fix="give the file as the TSO500 software wrote it",
            )
    body = section.rows[1:]
    if len(body) == 1 and body[0].width == 1 and body[0].cell(0) == MISSING:
        return
    if not body:
        raise FormatError(
            f"section [{name}] has a header but no rows, not even NA; the file looks truncated",
            source=source,
            line=section.rows[0].line,
            field=f"[{name}]",
            fix="copy the whole file again from the TSO500 output folder",
        )
    for row in body:
        if row.width > width or row.written < width:
            raise FormatError(
                f"row has {row.width if row.width > width else row.written} cells, the header has {width}",
                source=source,
                line=row.line,
                field=f"[{name}]",
                fix="the file is truncated or was edited; copy it again from the TSO500 output folder",
            )
    reader = _ROW_READERS[name]
    for row in body:
        reader(row, index, parts, settings, source)


def _gene(cell: str, parts: _Parts, source: str, line: int, what: str) -> tuple[str, str | None]:
    if cell and cell != MISSING:
        return current_symbol(cell), cell
    parts.warnings.append(f"{source}:{line}: {what} has no gene; kept with gene '{UNKNOWN_GENE}'")
    return UNKNOWN_GENE, None


def _amplification_row(row: Row, index: dict[str, int], parts: _Parts, settings: ProfileSettings, source: str) -> None:
    cells = row.cells
    fold_change = parse_number(cells[index["Fold Change"]], source=source, line=row.line, field="Fold Change")
    gene, reported = _gene(cells[index["Gene"]].strip(), parts, source, row.line, "amplification")
    parts.alterations.append(
        Alteration(
            gene=gene,
            kind=AlterationKind.AMPLIFICATION,
            reported_gene=reported,
            fold_change=fold_change,
            copy_number=_copy_number(fold_change, settings),
        )
    )


def _copy_number(fold_change: float | None, settings: ProfileSettings) -> float | None:
    if fold_change is None or settings.tumour_purity_percent is None:
        return None
    return round(copy_number_from_fold_change(fold_change, settings.tumour_purity_percent), 2)


def _breakpoint(text: str, *, source: str, line: int, field: str) -> tuple[str | None, int | None]:
    value = text.strip()
    if not value or value == MISSING:
        return None, None
    chrom, _, position = value.rpartition(":")
    if not chrom or not position.isdigit():
        raise FormatError(
            f"'{value}' is not a breakpoint of the form chrom:position",
            source=source,
            line=line,
            field=field,
            fix="write it as chr7:55087058",
        )
    return chrom, int(position)


def _splice_row(row: Row, index: dict[str, int], parts: _Parts, settings: ProfileSettings, source: str) -> None:
    cells = row.cells
    gene, reported = _gene(cells[index["Gene"]].strip(), parts, source, row.line, "splice variant")
    exon = cells[index["Affected Exon"]].strip()
    chrom, pos = _breakpoint(cells[index["Breakpoint 1"]], source=source, line=row.line, field="Breakpoint 1")
    _breakpoint(cells[index["Breakpoint 2"]], source=source, line=row.line, field="Breakpoint 2")
    reads = _integer(
        cells[index["Splice Supporting Reads"]], source=source, line=row.line, field="Splice Supporting Reads"
    )
    parts.alterations.append(
        Alteration(
            gene=gene,
            kind=AlterationKind.SPLICE_VARIANT,
            reported_gene=reported,
            exon=exon if exon and exon != MISSING else None,
            supporting_reads=reads,
            chrom=chrom,
            pos=pos,
        )
    )


def fusion_partners(pair: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The genes of each side of a TSO500 gene pair, as written (before symbol updates).

    ``EML4-ALK`` -> (EML4,), (ALK,); ``SLC34A2-ROS1;GOPC`` -> (SLC34A2,), (ROS1, GOPC) (a breakpoint
    inside overlapping genes lists them all, joined by ``;``); ``PPARG/AC016683.6;PAX8`` -> (PPARG,),
    (AC016683.6, PAX8): a ``/`` joins the sides when the fusion's direction is not known (AllFusions.csv
    ``Fusion Directionality Known`` = False). Gene symbols may hold a hyphen (``NKX2-1``): the pair is cut
    at the hyphen after which a symbol starts (not a digit).
    """
    text = pair.strip()
    if "/" in text:
        left, _, right = text.partition("/")
    else:
        cuts = [
            position
            for position, character in enumerate(text)
            if character == "-" and 0 < position < len(text) - 1 and not text[position + 1].isdigit()
        ]
        if not cuts:
            return _side(text), ()
        left, right = text[: cuts[0]], text[cuts[0] + 1 :]
    return _side(left), _side(right)


def _side(text: str) -> tuple[str, ...]:
    return tuple(gene.strip() for gene in text.split(";") if gene.strip())


def _fusion_genes(*sides: tuple[str, ...]) -> tuple[str, ...]:
    genes: list[str] = []
    for side in sides:
        for gene in side:
            symbol = current_symbol(gene)
            if gene != "NonGene" and symbol not in genes:
                genes.append(symbol)
    return tuple(genes)


def _fusion_row(row: Row, index: dict[str, int], parts: _Parts, settings: ProfileSettings, source: str) -> None:
    cells = row.cells
    pair = cells[index["Gene Pair"]].strip()
    genes = _fusion_genes(*fusion_partners(pair)) if pair and pair != MISSING else ()
    if not genes:
        parts.warnings.append(f"{source}:{row.line}: fusion has no gene pair; kept with gene '{UNKNOWN_GENE}'")
    chrom, pos = _breakpoint(cells[index["Breakpoint 1"]], source=source, line=row.line, field="Breakpoint 1")
    _breakpoint(cells[index["Breakpoint 2"]], source=source, line=row.line, field="Breakpoint 2")
    reads = _integer(
        cells[index["Fusion Supporting Reads"]], source=source, line=row.line, field="Fusion Supporting Reads"
    )
    parts.alterations.append(
        Alteration(
            gene=genes[0] if genes else UNKNOWN_GENE,
            kind=AlterationKind.FUSION,
            reported_gene=pair or None,
            genes=genes,
            supporting_reads=reads,
            chrom=chrom,
            pos=pos,
        )
    )


def _small_variant_row(row: Row, index: dict[str, int], parts: _Parts, settings: ProfileSettings, source: str) -> None:
    cells = row.cells
    line = row.line
    chrom = cells[index["Chromosome"]].strip()
    pos = _integer(cells[index["Genomic Position"]], source=source, line=line, field="Genomic Position")
    ref = cells[index["Reference Call"]].strip()
    alt = cells[index["Alternative Call"]].strip()
    gene, reported = _gene(
        cells[index["Gene"]].strip(), parts, source, line, f"small variant {chrom}:{pos} {ref}>{alt}"
    )
    vaf = parse_number(cells[index["Allele Frequency"]], source=source, line=line, field="Allele Frequency")
    depth = _integer(cells[index["Depth"]], source=source, line=line, field="Depth")
    p_dot = cells[index["P-Dot Notation"]].strip()
    try:
        change = parse_protein_change(p_dot)
    except InputError as error:
        raise FormatError(error.rule, source=source, line=line, field="P-Dot Notation", fix=error.fix) from None
    c_dot = cells[index["C-Dot Notation"]].strip()
    transcript: str | None = None
    coding: str | None = None
    if c_dot and c_dot != MISSING:
        transcript, _, coding = c_dot.rpartition(":")
        transcript = transcript or None
    elif change is not None and change.transcript and change.transcript.startswith("NM_"):
        transcript = change.transcript
    consequence = cells[index["Consequence(s)"]].strip()
    consequences = tuple(consequence.split(":")) if consequence and consequence != MISSING else ()
    exon = cells[index["Affected Exon(s)"]].strip()
    parts.alterations.append(
        Alteration(
            gene=gene,
            kind=AlterationKind.MUTATION,
            reported_gene=reported,
            protein_change=change.short if change is not None else None,
            protein_change_hgvs=change.hgvs if change is not None else None,
            transcript=transcript,
            coding_change=coding or None,
            consequences=consequences,
            variant_classification=maf_classification(consequences, ref, alt),
            exon=exon if exon and exon != MISSING else None,
            vaf=vaf,
            depth=depth,
            chrom=chrom or None,
            pos=pos,
            ref=ref or None,
            alt=alt or None,
        )
    )


_ROW_READERS = {
    "Gene Amplifications": _amplification_row,
    "Splice Variants": _splice_row,
    "Fusions": _fusion_row,
    "Small Variants": _small_variant_row,
}

# Sequence Ontology consequence -> (priority, MAF Variant_Classification); a lower priority is more severe.
# Source: mskcc/vcf2maf (GetEffectPriority and GetVariantClassification), the mapping GDC MAFs use.
_CONSEQUENCES: dict[str, tuple[int, str]] = {
    "transcript_ablation": (1, "Splice_Site"),
    "exon_loss_variant": (1, "Splice_Site"),
    "splice_donor_variant": (2, "Splice_Site"),
    "splice_acceptor_variant": (2, "Splice_Site"),
    "stop_gained": (3, "Nonsense_Mutation"),
    "frameshift_variant": (3, "Frame_Shift"),
    "stop_lost": (3, "Nonstop_Mutation"),
    "start_lost": (4, "Translation_Start_Site"),
    "initiator_codon_variant": (4, "Translation_Start_Site"),
    "disruptive_inframe_insertion": (5, "In_Frame_Ins"),
    "disruptive_inframe_deletion": (5, "In_Frame_Del"),
    "inframe_insertion": (5, "In_Frame_Ins"),
    "inframe_deletion": (5, "In_Frame_Del"),
    "protein_altering_variant": (5, "Missense_Mutation"),
    "missense_variant": (6, "Missense_Mutation"),
    "conservative_missense_variant": (6, "Missense_Mutation"),
    "rare_amino_acid_variant": (6, "Missense_Mutation"),
    "transcript_amplification": (7, "Intron"),
    "splice_region_variant": (8, "Splice_Region"),
    "start_retained_variant": (9, "Silent"),
    "stop_retained_variant": (9, "Silent"),
    "synonymous_variant": (9, "Silent"),
    "incomplete_terminal_codon_variant": (10, "Silent"),
    "coding_sequence_variant": (11, "Missense_Mutation"),
    "mature_miRNA_variant": (11, "RNA"),
    "exon_variant": (11, "RNA"),
    "5_prime_UTR_variant": (12, "5'UTR"),
    "5_prime_UTR_premature_start_codon_gain_variant": (12, "5'UTR"),
    "3_prime_UTR_variant": (12, "3'UTR"),
    "non_coding_exon_variant": (13, "RNA"),
    "non_coding_transcript_exon_variant": (13, "RNA"),
    "intron_variant": (14, "Intron"),
    "NMD_transcript_variant": (15, "Silent"),
    "non_coding_transcript_variant": (16, "RNA"),
    "upstream_gene_variant": (17, "5'Flank"),
    "downstream_gene_variant": (18, "3'Flank"),
    "intergenic_variant": (20, "IGR"),
}


def maf_classification(consequences: tuple[str, ...], ref: str, alt: str) -> str | None:
    """The MAF ``Variant_Classification`` of the most severe consequence (vcf2maf's rule), or None.

    Frameshifts become ``Frame_Shift_Del`` or ``Frame_Shift_Ins`` by the allele lengths, as in vcf2maf.
    Synonymous changes are ``Silent``: kept as calls, never protein-altering.
    """
    best: tuple[int, str] | None = None
    for consequence in consequences:
        entry = _CONSEQUENCES.get(consequence)
        if entry is not None and (best is None or entry[0] < best[0]):
            best = entry
    if best is None:
        return None
    if best[1] == "Frame_Shift":
        return "Frame_Shift_Ins" if len(alt) > len(ref) else "Frame_Shift_Del"
    return best[1]


# ---------------------------------------------------------------------------------------------
# Side files
# ---------------------------------------------------------------------------------------------


def _read_side_file(path: Path, suffix: str, settings: ProfileSettings, build: GenomeBuild | None) -> _Parts:
    parts = _Parts(sample_id=path.name, build=build, sources=[str(path)])
    if suffix == CNV_SUFFIX:
        _read_cnv_vcf(path, settings, parts)
    elif suffix in (ALL_FUSIONS_SUFFIX, DNA_FUSIONS_SUFFIX):
        _read_fusion_csv(path, parts)
    elif suffix == TMB_SUFFIX:
        _read_tmb_json(path, settings, parts)
    else:
        _read_msi_json(path, settings, parts)
    return parts


def _reference_build(value: str) -> GenomeBuild | None:
    lowered = value.lower()
    if any(name in lowered for name in ("hg19", "grch37", "hs37", "b37")):
        return GenomeBuild.GRCH37
    if any(name in lowered for name in ("hg38", "grch38")):
        return GenomeBuild.GRCH38
    return None


_VCF_COLUMNS = ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT")


def _read_cnv_vcf(path: Path, settings: ProfileSettings, parts: _Parts) -> None:
    """Craft CNV VCF: gene in INFO ANT, fold change in FORMAT FC; ``<DUP>`` gains, ``<DEL>`` losses.

    Only PASS records are calls (FORMATS.md: amplifications are PASS ``<DUP>`` calls; ``<DEL>`` records are
    filtered ``LowValidation`` in Local App 2.x and so stay in ``filtered``); ALT ``.`` is a reference call.
    """
    source = str(path)
    header: list[str] | None = None
    number = 0
    for number, line in enumerate(read_text(path).split("\n"), 1):
        if not line:
            continue
        if line.startswith("##"):
            if line.startswith("##reference="):
                found = _reference_build(line)
                if found is not None and parts.build is not None and found is not parts.build:
                    raise FormatError(
                        f"the VCF's reference is {found}, the profile's build is {parts.build}",
                        source=source,
                        line=number,
                        field="##reference",
                        fix="give the genome build the results were aligned to",
                    )
            continue
        fields = line.split("\t")
        if line.startswith("#"):
            header = fields
            if len(fields) < 10 or tuple(column.lstrip("#") for column in fields[:9]) != _VCF_COLUMNS:
                raise FormatError(
                    "the #CHROM header must name the 8 VCF columns, FORMAT and one sample",
                    source=source,
                    line=number,
                    field="#CHROM",
                    fix="give the CopyNumberVariants.vcf the TSO500 software wrote",
                )
            continue
        if header is None:
            raise FormatError(
                "a record before the #CHROM header line",
                source=source,
                line=number,
                fix="give the whole VCF, header included",
            )
        if len(fields) != len(header):
            raise FormatError(
                f"record has {len(fields)} columns, the header has {len(header)}",
                source=source,
                line=number,
                fix="the file is truncated or was edited; copy it again from the TSO500 output folder",
            )
        alt = fields[4]
        if alt == ".":
            continue
        if alt == "<DUP>":
            kind = AlterationKind.AMPLIFICATION
        elif alt == "<DEL>":
            kind = AlterationKind.COPY_LOSS
        else:
            parts.warnings.append(f"{source}:{number}: ALT '{alt}' is not <DUP> or <DEL>; record not read")
            continue
        info = dict(item.partition("=")[::2] for item in fields[7].split(";"))
        reported = info.get("ANT", "").strip()
        if not reported:
            raise FormatError(
                "no gene in INFO ANT", source=source, line=number, field="INFO/ANT", fix="give the Craft CNV VCF"
            )
        sample = dict(zip(fields[8].split(":"), fields[9].split(":"), strict=False))
        fold_change = parse_number(sample.get("FC", ""), source=source, line=number, field="FORMAT/FC")
        pos = _integer(fields[1], source=source, line=number, field="POS")
        alteration = Alteration(
            gene=current_symbol(reported),
            kind=kind,
            reported_gene=reported,
            fold_change=fold_change,
            copy_number=_copy_number(fold_change, settings),
            chrom=fields[0],
            pos=pos,
            ref=fields[3],
            alt=alt,
            filter=fields[6],
        )
        (parts.alterations if fields[6] == "PASS" else parts.filtered).append(alteration)
    if header is None:
        # An empty or cut CNV VCF beside a CombinedVariantOutput must not just add nothing: the reader
        # would then report no copy-number changes from a file that may have listed amplifications.
        raise FormatError(
            "no #CHROM header line: the CNV VCF is empty or cut short",
            source=source,
            line=max(1, number),
            field="#CHROM",
            fix="copy the whole CopyNumberVariants.vcf again from the TSO500 output folder",
        )


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    kept = [
        (number, line)
        for number, line in enumerate(read_text(path).split("\n"), 1)
        if line.strip() and not line.startswith("#")
    ]
    rows: list[tuple[int, list[str]]] = []
    cells_of = csv.reader(line for _, line in kept)
    for number, _ in kept:
        try:
            rows.append((number, next(cells_of)))
        except StopIteration:  # an opening quote never closed swallowed the lines after it
            raise FormatError(
                "a quoted cell is never closed: the lines after it were read into it",
                source=str(path),
                line=number,
                fix="give the fusion CSV the TSO500 software wrote",
            ) from None
        except csv.Error as error:  # a cell over the csv module's 128 KiB limit, a NUL character
            raise FormatError(
                f"not a CSV row the TSO500 software writes ({error})",
                source=str(path),
                line=number,
                fix="give the fusion CSV the TSO500 software wrote",
            ) from None
    return rows


def _read_fusion_csv(path: Path, parts: _Parts) -> None:
    """RNA ``AllFusions.csv`` (calls: ``KeepFusion=True``) or DNA ``Fusions.csv`` (calls: Filter PASS)."""
    source = str(path)
    rows = _csv_rows(path)
    if not rows:
        raise FormatError("no header row", source=source, fix="give the fusion CSV the TSO500 software wrote")
    header_line, header = rows[0]
    rna = "KeepFusion" in header
    required = (
        ("Gene A", "Gene B", "Gene A Breakpoint", "Gene B Breakpoint", "Filter", "KeepFusion")
        if rna
        else ("Chr1", "Pos1", "Chr2", "Pos2", "Alt_Depth", "Gene1", "Gene2", "Filter")
    )
    for column in required:
        if column not in header:
            raise FormatError(
                f"column '{column}' missing from the header",
                source=source,
                line=header_line,
                field=column,
                fix="give the AllFusions.csv (RNA) or Fusions.csv (DNA) the TSO500 software wrote",
            )
    index = {column: position for position, column in reversed(list(enumerate(header)))}
    for number, cells in rows[1:]:
        if len(cells) != len(header):
            raise FormatError(
                f"row has {len(cells)} cells, the header has {len(header)}",
                source=source,
                line=number,
                fix="the file is truncated or was edited; copy it again from the TSO500 output folder",
            )
        if rna:
            _all_fusions_row(cells, index, parts, source, number)
        else:
            _dna_fusion_row(cells, index, parts, source, number)


def _reads(cells: list[str], index: dict[str, int], columns: tuple[str, ...], source: str, line: int) -> int | None:
    total: int | None = None
    for column in columns:
        if column not in index:
            continue
        text = cells[index[column]].strip()
        if text in ("N/A", MISSING, ""):
            continue
        count = _integer(text, source=source, line=line, field=column)
        total = (total or 0) + (count or 0)
    return total


def _all_fusions_row(cells: list[str], index: dict[str, int], parts: _Parts, source: str, line: int) -> None:
    keep = cells[index["KeepFusion"]].strip().lower()
    if keep not in ("true", "false"):
        raise FormatError(
            f"'{cells[index['KeepFusion']]}' is not True or False",
            source=source,
            line=line,
            field="KeepFusion",
            fix="write True or False",
        )
    side_a, side_b = _side(cells[index["Gene A"]]), _side(cells[index["Gene B"]])
    known = cells[index["Fusion Directionality Known"]].strip() if "Fusion Directionality Known" in index else "True"
    joiner = "-" if known.lower() != "false" else "/"
    genes = _fusion_genes(side_a, side_b)
    chrom, pos = _breakpoint(cells[index["Gene A Breakpoint"]], source=source, line=line, field="Gene A Breakpoint")
    _breakpoint(cells[index["Gene B Breakpoint"]], source=source, line=line, field="Gene B Breakpoint")
    filter_value = cells[index["Filter"]].strip()
    alteration = Alteration(
        gene=genes[0] if genes else UNKNOWN_GENE,
        kind=AlterationKind.FUSION,
        reported_gene=";".join(side_a) + joiner + ";".join(side_b),
        genes=genes,
        supporting_reads=_reads(cells, index, ("Alt Split Dedup", "Alt Pair Dedup"), source, line),
        chrom=chrom,
        pos=pos,
        filter="PASS"
        if keep == "true"
        else (filter_value if filter_value not in ("", "N/A", "PASS") else "KeepFusion=False"),
    )
    (parts.alterations if keep == "true" else parts.filtered).append(alteration)


def _dna_fusion_row(cells: list[str], index: dict[str, int], parts: _Parts, source: str, line: int) -> None:
    gene_1, gene_2 = cells[index["Gene1"]].strip(), cells[index["Gene2"]].strip()
    genes = _fusion_genes(_side(gene_1), _side(gene_2))
    if not genes:
        parts.warnings.append(f"{source}:{line}: fusion with no gene on either side; kept with gene '{UNKNOWN_GENE}'")
    filter_value = cells[index["Filter"]].strip()
    alteration = Alteration(
        gene=genes[0] if genes else UNKNOWN_GENE,
        kind=AlterationKind.FUSION,
        reported_gene=f"{gene_1}-{gene_2}",
        genes=genes,
        supporting_reads=_integer(cells[index["Alt_Depth"]], source=source, line=line, field="Alt_Depth"),
        vaf=parse_number(cells[index["VAF"]], source=source, line=line, field="VAF") if "VAF" in index else None,
        chrom=cells[index["Chr1"]].strip() or None,
        pos=_integer(cells[index["Pos1"]], source=source, line=line, field="Pos1"),
        filter=filter_value or MISSING,
    )
    (parts.alterations if filter_value == "PASS" else parts.filtered).append(alteration)


class _NotJsonNumberError(ValueError):
    pass


def _not_json_number(name: str) -> float:
    """``NaN``, ``Infinity`` and ``-Infinity`` are not JSON numbers (RFC 8259, section 6), though Python
    reads them: refused, so that no non-finite value reaches a profile or the JSON we print."""
    raise _NotJsonNumberError(name)


def _json_object(path: Path) -> dict[str, Any]:
    source = str(path)
    try:
        value = json.loads(read_text(path, whole_lines=False), parse_constant=_not_json_number)
    except json.JSONDecodeError as error:
        raise FormatError(
            f"not valid JSON ({error.msg})",
            source=source,
            line=error.lineno,
            fix="give the file the TSO500 software wrote",
        ) from None
    except _NotJsonNumberError as error:
        raise FormatError(
            f"{error} is not a JSON number (RFC 8259)",
            source=source,
            fix="give the file the TSO500 software wrote; a missing value is null",
        ) from None
    except RecursionError:
        raise FormatError(
            "the JSON is nested too deeply to be a TSO500 result",
            source=source,
            fix="give the file the TSO500 software wrote",
        ) from None
    if not isinstance(value, dict):
        raise FormatError("not a JSON object", source=source, line=1, fix="give the file the TSO500 software wrote")
    return value


def _json_number(document: dict[str, Any], key: str, source: str, *, required: bool) -> float | None:
    value = document.get(key)
    if value is None:
        if required:
            raise FormatError(
                "missing", source=source, field=key, fix="give the file the TSO500 software wrote, with this key"
            )
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"'{shown(value)}' is not a number", source=source, field=key, fix="write a number")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        number = math.inf
    if not math.isfinite(number):
        raise FormatError(
            f"'{shown(value)}' is not a finite number", source=source, field=key, fix="write a finite number"
        )
    return number


def _read_tmb_json(path: Path, settings: ProfileSettings, parts: _Parts) -> None:
    """``<S>.tmb.json``: the adjusted TMB is the reported one (it equals TmbPerMb unless a correction applies)."""
    source = str(path)
    document = _json_object(path)
    raw = _json_number(document, "TmbPerMb", source, required=True)
    adjusted = _json_number(document, "AdjustedTmbPerMb", source, required=False)
    per_mb = adjusted if adjusted is not None else raw
    assert per_mb is not None
    count = _json_number(document, "SomaticCodingVariantsCount", source, required=False)
    coding_region_mb = _json_number(document, "CodingRegionSizeMb", source, required=False)
    eligible_variants = int(count) if count is not None else None
    names = (
        "AdjustedTmbPerMb" if adjusted is not None else "TmbPerMb",
        "CodingRegionSizeMb",
        "SomaticCodingVariantsCount",
    )
    _check_tmb(per_mb, coding_region_mb, eligible_variants, source=source, lines={}, names=names)
    parts.tmb = Tmb(
        per_mb=per_mb,
        tmb_class=classify_tmb(per_mb, settings.tmb_thresholds),
        coding_region_mb=coding_region_mb,
        eligible_variants=eligible_variants,
    )
    nonsynonymous = _json_number(document, "NonsynonymousTmbPerMb", source, required=False)
    if nonsynonymous is not None:
        parts.details["Nonsynonymous TMB per Mb"] = f"{nonsynonymous:g}"


def _read_msi_json(path: Path, settings: ProfileSettings, parts: _Parts) -> None:
    """``<S>.msi.json``: a result with ``ResultIsValid`` false is kept but not usable, with its message."""
    source = str(path)
    document = _json_object(path)
    usable = _json_number(document, "TotalMicrosatelliteSitesAssessed", source, required=True)
    unstable = _json_number(document, "TotalMicrosatelliteSitesUnstable", source, required=True)
    percent = _json_number(document, "PercentageUnstableSites", source, required=False)
    valid = document.get("ResultIsValid", True)
    if not isinstance(valid, bool):
        raise FormatError(
            f"'{valid}' is not true or false", source=source, field="ResultIsValid", fix="write true or false"
        )
    reason = None
    if not valid:
        message = document.get("ResultMessage")
        reason = "msi.json: ResultIsValid is false" + (f" ({message})" if message else "")
    usable_sites = int(usable) if usable is not None else None
    unstable_sites = int(unstable) if unstable is not None else None
    names = ("TotalMicrosatelliteSitesAssessed", "TotalMicrosatelliteSitesUnstable", "PercentageUnstableSites")
    _check_msi(usable_sites, unstable_sites, percent, source=source, lines={}, names=names)
    parts.msi = _make_msi(usable_sites, unstable_sites, percent, settings, reason)
