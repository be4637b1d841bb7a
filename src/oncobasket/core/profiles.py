"""The molecular profile: one sample's alterations, TMB, MSI and QC, normalised.

Every reader (TSO500, VCF, MAF) produces these values and nothing else, so the matching engine, the
registry and the reports share one shape. Values are frozen; a step returns a new value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class AlterationKind(StrEnum):
    """The kinds of alteration the trial matches on (the ``kind`` key of the command-line contract)."""

    MUTATION = "mutation"
    AMPLIFICATION = "amplification"
    COPY_LOSS = "copy_loss"
    FUSION = "fusion"
    SPLICE_VARIANT = "splice_variant"


class GenomeBuild(StrEnum):
    GRCH37 = "GRCh37"
    GRCH38 = "GRCh38"


class TmbClass(StrEnum):
    LOW = "low"
    INTERMEDIATE = "intermediate"
    HIGH = "high"


class MsiStatus(StrEnum):
    MSI_H = "MSI-H"
    MSS = "MSS"
    NOT_EVALUABLE = "not_evaluable"


class ResultArea(StrEnum):
    """Parts of a TSO500 result that a QC metric can invalidate (MetricsOutput.tsv section names)."""

    SMALL_VARIANTS = "small_variants"
    TMB = "tmb"
    MSI = "msi"
    CNV = "cnv"
    RNA = "rna"  # fusions and splice variants


@dataclass(frozen=True, slots=True)
class TmbThresholds:
    """Report classes for TMB in mutations per megabase.

    Source: InPreD Norway TSO500 reporting rules (DOMAIN.md section 7): low < 5, intermediate 5-20,
    high > 20 mutations/Mb. Configurable because trials use other cut-offs (the cohort cut-off for
    "TMB-high" is a protocol rule, not this report class).
    """

    intermediate_from: float = 5.0
    high_above: float = 20.0

    def __post_init__(self) -> None:
        if not (
            math.isfinite(self.intermediate_from)
            and math.isfinite(self.high_above)
            and 0 <= self.intermediate_from <= self.high_above
        ):
            raise ValueError(
                f"TMB thresholds must satisfy 0 <= intermediate_from ({self.intermediate_from:g}) "
                f"<= high_above ({self.high_above:g}), in mutations/Mb"
            )

    @classmethod
    def parse(cls, text: str) -> TmbThresholds:
        """``"LOW,HIGH"`` (mutations/Mb): low < LOW <= intermediate <= HIGH < high, e.g. ``"5,20"``."""
        parts = [part.strip() for part in text.split(",")]
        if len(parts) != 2:
            raise ValueError(f"'{text}' is not two cut-offs LOW,HIGH")
        try:
            low, high = (float(part) for part in parts)
        except ValueError:
            raise ValueError(f"'{text}' is not two numbers LOW,HIGH") from None
        return cls(intermediate_from=low, high_above=high)

    def describe(self) -> str:
        return f"low < {self.intermediate_from:g} <= intermediate <= {self.high_above:g} < high mutations/Mb"


@dataclass(frozen=True, slots=True)
class MsiThresholds:
    """When an MSI result is called and how.

    ``min_usable_sites``: InPreD reporting rule, at least 40 usable loci (of the assay's 130) are needed
    to call a status (DOMAIN.md section 7; Illumina's DRAGEN panel guidance: 130 sites, at least 40
    qualified for a valid score). ``msi_high_percent``: the TSO500 Local App calls MSI-High when at least
    20 % of usable sites are unstable (Illumina TSO500 Local App v2 user guide, MSI section; neither
    DOMAIN.md nor FORMATS.md fixes it, so it is configurable).
    """

    min_usable_sites: int = 40
    msi_high_percent: float = 20.0

    def __post_init__(self) -> None:
        if isinstance(self.min_usable_sites, bool) or self.min_usable_sites < 1:
            raise ValueError(f"the fewest usable MSI sites must be a whole number >= 1, not {self.min_usable_sites}")
        if not (math.isfinite(self.msi_high_percent) and 0 < self.msi_high_percent <= 100):
            raise ValueError(
                f"the MSI-H threshold must be a percentage of unstable sites in (0, 100], not {self.msi_high_percent:g}"
            )


def classify_tmb(per_mb: float, thresholds: TmbThresholds = TmbThresholds()) -> TmbClass:
    """Class of a TMB value under the report thresholds (low < 5 <= intermediate <= 20 < high)."""
    if per_mb < thresholds.intermediate_from:
        return TmbClass.LOW
    if per_mb > thresholds.high_above:
        return TmbClass.HIGH
    return TmbClass.INTERMEDIATE


def call_msi(
    usable_sites: int | None,
    percent_unstable: float | None,
    thresholds: MsiThresholds = MsiThresholds(),
) -> MsiStatus:
    """MSI status from the site counts; too few usable sites is ``not_evaluable``, never MSS."""
    if usable_sites is None or percent_unstable is None or usable_sites < thresholds.min_usable_sites:
        return MsiStatus.NOT_EVALUABLE
    return MsiStatus.MSI_H if percent_unstable >= thresholds.msi_high_percent else MsiStatus.MSS


def copy_number_from_fold_change(fold_change: float, tumour_purity_percent: float) -> float:
    """Estimated absolute copy number in tumour cells.

    Source: Illumina TSO500 Craft CNV caller documentation (FORMATS.md): for fold change Y at tumour
    purity X %, n = (200*Y - 2*(100-X)) / X. The normal cells are assumed diploid.
    """
    if not 0 < tumour_purity_percent <= 100:
        raise ValueError(f"tumour purity must be in (0, 100] percent, got {tumour_purity_percent}")
    return (200.0 * fold_change - 2.0 * (100.0 - tumour_purity_percent)) / tumour_purity_percent


@dataclass(frozen=True, slots=True)
class Alteration:
    """One somatic alteration as the trial sees it.

    ``gene`` is the current HGNC symbol; ``reported_gene`` keeps what the file said (e.g. MYCL1) so
    nothing a lab reported is lost. ``genes`` lists every gene involved (both fusion partners, or
    several for multi-gene partners such as ``SLC34A2-ROS1;GOPC``). ``protein_change`` is the
    normalised short form (``p.V600E``) and ``protein_change_hgvs`` the full three-letter HGVS form
    with its transcript when known. ``filter`` is ``PASS`` for calls; non-PASS calls are kept in
    :attr:`MolecularProfile.filtered` so that nothing is silently dropped.
    """

    gene: str
    kind: AlterationKind
    reported_gene: str | None = None
    genes: tuple[str, ...] = ()
    protein_change: str | None = None
    protein_change_hgvs: str | None = None
    transcript: str | None = None
    coding_change: str | None = None
    consequences: tuple[str, ...] = ()
    variant_classification: str | None = None
    exon: str | None = None
    vaf: float | None = None
    depth: int | None = None
    supporting_reads: int | None = None
    fold_change: float | None = None
    copy_number: float | None = None
    chrom: str | None = None
    pos: int | None = None
    ref: str | None = None
    alt: str | None = None
    filter: str = "PASS"
    usable: bool = True
    unusable_reason: str | None = None

    def __post_init__(self) -> None:
        if not self.genes:
            object.__setattr__(self, "genes", (self.gene,))

    @property
    def label(self) -> str:
        """Short human-readable name, e.g. ``BRAF p.V600E`` or ``EML4-ALK fusion``."""
        if self.kind is AlterationKind.FUSION:
            return f"{'-'.join(self.genes)} fusion"
        if self.kind is AlterationKind.SPLICE_VARIANT:
            return f"{self.gene} exon {self.exon} splice variant" if self.exon else f"{self.gene} splice variant"
        if self.kind is AlterationKind.AMPLIFICATION:
            return f"{self.gene} amplification"
        if self.kind is AlterationKind.COPY_LOSS:
            return f"{self.gene} copy loss"
        return f"{self.gene} {self.protein_change or self.coding_change or 'mutation'}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of the command-line contract, with the extra keys after the contract's."""
        return {
            "gene": self.gene,
            "kind": str(self.kind),
            "protein_change": self.protein_change,
            "vaf": self.vaf,
            "depth": self.depth,
            "fold_change": self.fold_change,
            "genes": list(self.genes),
            "exon": self.exon,
            "reported_gene": self.reported_gene if self.reported_gene is not None else self.gene,
            "protein_change_hgvs": self.protein_change_hgvs,
            "transcript": self.transcript,
            "coding_change": self.coding_change,
            "consequences": list(self.consequences),
            "variant_classification": self.variant_classification,
            "copy_number": self.copy_number,
            "supporting_reads": self.supporting_reads,
            "chrom": self.chrom,
            "pos": self.pos,
            "ref": self.ref,
            "alt": self.alt,
            "filter": self.filter,
            "usable": self.usable,
            "unusable_reason": self.unusable_reason,
        }


@dataclass(frozen=True, slots=True)
class Tmb:
    """Tumour mutational burden. ``usable`` is False when a QC metric it depends on failed."""

    per_mb: float
    tmb_class: TmbClass
    coding_region_mb: float | None = None
    eligible_variants: int | None = None
    usable: bool = True
    unusable_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "per_mb": self.per_mb,
            "class": str(self.tmb_class),
            "coding_region_mb": self.coding_region_mb,
            "eligible_variants": self.eligible_variants,
            "usable": self.usable,
            "unusable_reason": self.unusable_reason,
        }


@dataclass(frozen=True, slots=True)
class Msi:
    """Microsatellite instability. ``usable`` is False when a QC metric it depends on failed."""

    usable_sites: int | None
    unstable_sites: int | None
    percent_unstable: float | None
    status: MsiStatus
    usable: bool = True
    unusable_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "usable_sites": self.usable_sites,
            "unstable_sites": self.unstable_sites,
            "percent_unstable": self.percent_unstable,
            "status": str(self.status),
            "usable": self.usable,
            "unusable_reason": self.unusable_reason,
        }


@dataclass(frozen=True, slots=True)
class QcMetric:
    """One metric of MetricsOutput.tsv judged against its guideline limits (LSL <= value <= USL)."""

    section: str
    name: str
    value: float | None
    lsl: float | None
    usl: float | None
    affects: tuple[ResultArea, ...] = ()

    @property
    def passed(self) -> bool:
        if self.value is None:
            return True
        if self.lsl is not None and self.value < self.lsl:
            return False
        return not (self.usl is not None and self.value > self.usl)

    def describe_failure(self) -> str:
        bounds = []
        if self.lsl is not None:
            bounds.append(f">= {_plain(self.lsl)}")
        if self.usl is not None:
            bounds.append(f"<= {_plain(self.usl)}")
        value = "NA" if self.value is None else _plain(self.value)
        return f"{self.name} = {value} (guideline {' and '.join(bounds)})"


def _plain(value: float) -> str:
    """A metric as the lab wrote it: read counts like 9000000 stay whole numbers, never 9e+06."""
    return f"{value:.0f}" if value.is_integer() else f"{value:g}"


@dataclass(frozen=True, slots=True)
class QcResult:
    """The sample's QC. ``failures`` are one-line descriptions of failed metrics or missing results."""

    passed: bool = True
    failures: tuple[str, ...] = ()
    metrics: tuple[QcMetric, ...] = ()
    unusable_areas: tuple[ResultArea, ...] = ()

    @property
    def judged(self) -> bool:
        """Whether any QC was applied: a lone CombinedVariantOutput, VCF or MAF carries no QC metrics, and
        its ``passed`` only means "nothing failed", not "checked and passed" (FORMATS.md, MetricsOutput.tsv)."""
        return bool(self.metrics or self.failures)

    def reason_for(self, area: ResultArea) -> str:
        """Why ``area`` is not usable: the failed metrics that affect it, else every failure."""
        own = [metric.describe_failure() for metric in self.metrics if not metric.passed and area in metric.affects]
        return "; ".join(own or self.failures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failures": list(self.failures),
            "unusable": [str(area) for area in self.unusable_areas],
            "judged": self.judged,
        }


def judge_qc(metrics: tuple[QcMetric, ...], extra_failures: tuple[str, ...] = ()) -> QcResult:
    """Judge every metric against its limits; collect the result areas that failed metrics affect."""
    failed = [metric for metric in metrics if not metric.passed]
    areas: list[ResultArea] = []
    for metric in failed:
        for area in metric.affects:
            if area not in areas:
                areas.append(area)
    failures = tuple(metric.describe_failure() for metric in failed) + extra_failures
    return QcResult(passed=not failures, failures=failures, metrics=metrics, unusable_areas=tuple(areas))


@dataclass(frozen=True, slots=True)
class MolecularProfile:
    """One sample's normalised molecular profile.

    ``alterations`` are the calls the trial may match on; ``filtered`` are the non-PASS calls kept for
    the record. ``unknown_sections`` keeps sections of a file the reader did not recognise, as raw
    rows, so they can be reported. ``details`` holds the file's key/value metadata (run, pipeline
    version, sample IDs). ``sources`` lists the files the profile was read from. ``signatures`` holds
    the per-sample statuses a MAF may carry, by their CTML names (``apobec_signature``,
    ``pole_signature``, ``tobacco_signature``, ``temozolomide_signature``, ``uva_signature``: ``Yes`` /
    ``No``; MatchMiner's genomic fields APOBEC_STATUS etc.); empty when the file has none.
    """

    sample_id: str
    alterations: tuple[Alteration, ...] = ()
    tmb: Tmb | None = None
    msi: Msi | None = None
    qc: QcResult = field(default_factory=QcResult)
    build: GenomeBuild | None = None
    filtered: tuple[Alteration, ...] = ()
    details: Mapping[str, str] = field(default_factory=dict)
    unknown_sections: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    tumour_purity_percent: float | None = None
    warnings: tuple[str, ...] = ()
    signatures: Mapping[str, str] = field(default_factory=dict)

    def with_qc(self, qc: QcResult) -> MolecularProfile:
        """Apply a QC judgement: results in the failed areas are marked not usable, with the reason."""
        areas = set(qc.unusable_areas)
        tmb = self.tmb
        if tmb is not None and ResultArea.TMB in areas:
            tmb = replace(tmb, usable=False, unusable_reason=f"TMB QC failed: {qc.reason_for(ResultArea.TMB)}")
        msi = self.msi
        if msi is not None and ResultArea.MSI in areas:
            msi = replace(msi, usable=False, unusable_reason=f"MSI QC failed: {qc.reason_for(ResultArea.MSI)}")
        alterations = tuple(_apply_area_qc(alteration, areas, qc) for alteration in self.alterations)
        return replace(self, qc=qc, tmb=tmb, msi=msi, alterations=alterations)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``oncobasket profile --json`` (contract keys first)."""
        return {
            "sample_id": self.sample_id,
            "tmb": self.tmb.as_dict() if self.tmb is not None else None,
            "msi": self.msi.as_dict() if self.msi is not None else None,
            "qc": self.qc.as_dict(),
            "alterations": [alteration.as_dict() for alteration in self.alterations],
            "filtered": [alteration.as_dict() for alteration in self.filtered],
            "build": str(self.build) if self.build is not None else None,
            "tumour_purity_percent": self.tumour_purity_percent,
            "details": dict(self.details),
            "unknown_sections": {name: [list(row) for row in rows] for name, rows in self.unknown_sections.items()},
            "sources": list(self.sources),
            "warnings": list(self.warnings),
            "signatures": dict(self.signatures),
        }


_AREA_OF_KIND = {
    AlterationKind.MUTATION: ResultArea.SMALL_VARIANTS,
    AlterationKind.AMPLIFICATION: ResultArea.CNV,
    AlterationKind.COPY_LOSS: ResultArea.CNV,
    AlterationKind.FUSION: ResultArea.RNA,
    AlterationKind.SPLICE_VARIANT: ResultArea.RNA,
}


def _apply_area_qc(alteration: Alteration, areas: set[ResultArea], qc: QcResult) -> Alteration:
    area = _AREA_OF_KIND[alteration.kind]
    if area in areas:
        return replace(alteration, usable=False, unusable_reason=f"{area} QC failed: {qc.reason_for(area)}")
    return alteration


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    """What a reader needs to know that the file may not say.

    ``build`` is the genome build recorded at upload (a TSO500 combined output carries none; Local
    App 2.x is GRCh37). ``tumour_purity_percent``, when given, turns CNV fold changes into
    estimated copy numbers. ``tmb_thresholds`` and ``msi_thresholds`` are the laboratory's reporting
    rules for the TMB class and the MSI call (defaults: InPreD Norway and the TSO500 Local App, see the
    classes); ``oncobasket profile``/``match``/``screen`` set them with ``--tmb-cutoffs``,
    ``--msi-min-sites`` and ``--msi-unstable-percent``.
    """

    build: GenomeBuild | None = None
    tumour_purity_percent: float | None = None
    tmb_thresholds: TmbThresholds = TmbThresholds()
    msi_thresholds: MsiThresholds = MsiThresholds()
    sample_id: str | None = None
