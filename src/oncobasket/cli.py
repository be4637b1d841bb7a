"""The command line: Typer commands that parse options, call a service or reader, and print.

Contract (docs/cli.md, ARCHITECTURE.md): exit code 0 on success, 1 on bad input with a one-line
reason on stderr, 2 on a usage error. ``--json`` prints machine-readable output whose keys other
programs depend on: extend, never break.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from oncobasket.core.errors import OncoBasketError
from oncobasket.core.profiles import GenomeBuild, MolecularProfile, ProfileSettings

app = typer.Typer(
    name="oncobasket",
    help="Run a precision-cancer-medicine basket trial from TSO500 results to cohort decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Run a precision-cancer-medicine basket trial from TSO500 results to cohort decisions."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def emit_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (the only thing on stdout with ``--json``)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False))
    sys.stdout.write("\n")


def emit_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print a plain, aligned text table for people."""
    widths = [len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    line = "  ".join(header.ljust(widths[index]) for index, header in enumerate(headers))
    typer.echo(line.rstrip())
    typer.echo("  ".join("-" * width for width in widths))
    for row in rows:
        typer.echo("  ".join(cell.ljust(widths[index]) for index, cell in enumerate(row)).rstrip())


def _number(value: float | None, digits: int = 3) -> str:
    return "NA" if value is None else f"{value:.{digits}g}"


# ---------------------------------------------------------------------------------------------
# oncobasket profile
# ---------------------------------------------------------------------------------------------


@app.command()
def profile(
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
) -> None:
    """Read molecular results and print each sample's normalised profile."""
    from oncobasket.io.readers import read_profiles

    settings = ProfileSettings(build=build, tumour_purity_percent=purity, sample_id=sample)
    profiles = read_profiles(files, settings)
    if as_json:
        emit_json([item.as_dict() for item in profiles])
        return
    for item in profiles:
        _print_profile(item)


def _print_profile(item: MolecularProfile) -> None:
    typer.echo(f"Sample {item.sample_id}" + (f" ({item.build})" if item.build else ""))
    if item.tmb is not None:
        note = "" if item.tmb.usable else f"  NOT USABLE: {item.tmb.unusable_reason}"
        typer.echo(f"  TMB  {item.tmb.per_mb:g} mut/Mb ({item.tmb.tmb_class}){note}")
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
    typer.echo("  QC   " + ("passed" if item.qc.passed else "FAILED: " + "; ".join(item.qc.failures)))
    if item.alterations:
        rows = [
            [
                alteration.gene,
                str(alteration.kind),
                alteration.protein_change or ("/".join(alteration.genes) if len(alteration.genes) > 1 else ""),
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


def main() -> None:
    """Entry point: run the app, turning OncoBasket errors into one line on stderr and exit code 1."""
    try:
        app(standalone_mode=False)
    except OncoBasketError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(1) from None
    except typer.Exit as stop:
        raise SystemExit(stop.exit_code) from None
    except typer.Abort:
        sys.stderr.write("aborted\n")
        raise SystemExit(1) from None
    except Exception as error:
        import click

        if isinstance(error, click.exceptions.UsageError):
            error.show()
            raise SystemExit(2) from None
        if isinstance(error, click.exceptions.ClickException):
            error.show()
            raise SystemExit(1) from None
        raise


if __name__ == "__main__":
    main()
