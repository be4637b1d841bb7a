"""``oncobasket profile``: read TSO500, VCF and MAF results into molecular profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import JsonOption, _number, app, emit_json, emit_table
from oncobasket.core.profiles import GenomeBuild, MolecularProfile, ProfileSettings

# The laboratory's reporting rules for TMB classes and the MSI call (core.profiles; docs/cli.md).
TmbCutoffsOption = Annotated[
    str | None,
    typer.Option(
        "--tmb-cutoffs",
        metavar="LOW,HIGH",
        help="TMB classes in mut/Mb: low < LOW <= intermediate <= HIGH < high (default 5,20: InPreD Norway).",
    ),
]


MsiMinSitesOption = Annotated[
    int | None,
    typer.Option(
        "--msi-min-sites", help="Fewest usable MSI sites to call a status (default 40: InPreD Norway, TSO500)."
    ),
]


MsiUnstablePercentOption = Annotated[
    float | None,
    typer.Option(
        "--msi-unstable-percent",
        help="MSI-H when at least this percent of usable sites are unstable (default 20: TSO500 Local App).",
    ),
]


def _profile_settings(
    *,
    build: GenomeBuild | None,
    sample: str | None,
    purity: float | None = None,
    tmb_cutoffs: str | None = None,
    msi_min_sites: int | None = None,
    msi_unstable_percent: float | None = None,
) -> ProfileSettings:
    """Reader settings from the options; a bad threshold is a one-line input error (exit code 1)."""
    from oncobasket.core.errors import InputError
    from oncobasket.core.profiles import MsiThresholds, TmbThresholds

    tmb = TmbThresholds()
    if tmb_cutoffs is not None:
        try:
            tmb = TmbThresholds.parse(tmb_cutoffs)
        except ValueError as error:
            raise InputError(
                str(error),
                field="--tmb-cutoffs",
                fix="give LOW,HIGH in mutations/Mb with 0 <= LOW <= HIGH, e.g. --tmb-cutoffs 5,20 "
                "(InPreD Norway: low < 5, intermediate 5-20, high > 20)",
            ) from None
    msi = MsiThresholds()
    # One option at a time, so the error names the option whose value MsiThresholds refused.
    for option, change in (
        ("--msi-min-sites", {"min_usable_sites": msi_min_sites}),
        ("--msi-unstable-percent", {"msi_high_percent": msi_unstable_percent}),
    ):
        if None in change.values():
            continue
        try:
            msi = replace(msi, **change)
        except ValueError as error:
            raise InputError(
                str(error),
                field=option,
                fix="e.g. --msi-min-sites 40 (InPreD Norway: 40 of 130 loci) and --msi-unstable-percent 20 (TSO500)",
            ) from None
    return ProfileSettings(
        build=build, tumour_purity_percent=purity, sample_id=sample, tmb_thresholds=tmb, msi_thresholds=msi
    )


@app.command()
def profile(  # noqa: PLR0917 - Typer maps each parameter to an option
    files: Annotated[list[Path], typer.Argument(help="CombinedVariantOutput files, TSO500 folders, VCF or MAF.")],
    sample: Annotated[str | None, typer.Option("--sample", help="Only this sample ID.")] = None,
    build: Annotated[
        GenomeBuild | None,
        typer.Option("--build", help="Genome build of the files (TSO500 Local App 2.x: GRCh37)."),
    ] = None,
    purity: Annotated[
        float | None,
        typer.Option("--purity", min=0.0, max=100.0, help="Tumour purity in percent, for copy-number estimates."),
    ] = None,
    as_json: JsonOption = False,
    tmb_cutoffs: TmbCutoffsOption = None,
    msi_min_sites: MsiMinSitesOption = None,
    msi_unstable_percent: MsiUnstablePercentOption = None,
) -> None:
    """Read molecular results and print each sample's normalised profile."""
    from oncobasket.io.readers import read_profiles

    settings = _profile_settings(
        build=build,
        sample=sample,
        purity=purity,
        tmb_cutoffs=tmb_cutoffs,
        msi_min_sites=msi_min_sites,
        msi_unstable_percent=msi_unstable_percent,
    )
    profiles = read_profiles(files, settings)
    if as_json:
        emit_json([item.as_dict() for item in profiles])
        return
    for item in profiles:
        _print_profile(item)


def _qc_text(passed: bool, judged: bool, failures: Sequence[str]) -> str:
    """QC in words; a result that came without QC metrics is "not judged", never "passed"."""
    if not passed:
        return "FAILED" + (": " + "; ".join(failures) if failures else "")
    return "passed" if judged else "not judged (no QC metrics with this result)"


def _print_profile(item: MolecularProfile) -> None:
    typer.echo(f"Sample {item.sample_id}" + (f" ({item.build})" if item.build else ""))
    if item.tmb is not None:
        note = "" if item.tmb.usable else f"  NOT USABLE: {item.tmb.unusable_reason}"
        typer.echo(f"  TMB  {round(item.tmb.per_mb, 2):g} mut/Mb ({item.tmb.tmb_class}){note}")
    else:
        typer.echo("  TMB  not reported")
    if item.msi is not None:
        note = "" if item.msi.usable else f"  NOT USABLE: {item.msi.unusable_reason}"
        typer.echo(
            f"  MSI  {item.msi.status} ({_number(item.msi.percent_unstable)} % of "
            f"{item.msi.usable_sites if item.msi.usable_sites is not None else 'NA'} usable sites unstable){note}"
        )
    else:
        typer.echo("  MSI  not reported")
    typer.echo("  QC   " + _qc_text(item.qc.passed, item.qc.judged, item.qc.failures))
    if item.alterations:
        rows = [
            [
                alteration.gene,
                str(alteration.kind),
                alteration.protein_change
                or ("-".join(alteration.genes) if len(alteration.genes) > 1 else alteration.coding_change or ""),
                alteration.exon or "",
                _number(alteration.vaf),
                "" if alteration.depth is None else str(alteration.depth),
                _number(alteration.fold_change),
                "" if alteration.usable else "not usable",
            ]
            for alteration in item.alterations
        ]
        emit_table(["gene", "kind", "change", "exon", "vaf", "depth", "fold", "note"], rows)
    else:
        typer.echo("  no reportable alterations")
    if item.filtered:
        typer.echo(f"  {len(item.filtered)} filtered (non-PASS) call(s) kept, not used for matching")
    for name in item.unknown_sections:
        typer.echo(f"  note: unknown section [{name}] kept as raw rows")
    for warning in item.warnings:
        typer.echo(f"  warning: {warning}")
    typer.echo("")
