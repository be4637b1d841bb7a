"""``oncobasket export``: the registry's data in the formats other programs read (the analysis dataset first)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _emit_registry, _on_registry, app

export_app = typer.Typer(
    help="Export the registry: the analysis dataset, a cBioPortal study, CTML of our cohorts, FHIR, OMOP CDM.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")


@export_app.command("analysis")
def export_analysis(
    as_of: Annotated[str, typer.Option("--as-of", help="Data cut-off YYYY-MM-DD: the registry as it stood that day.")],
    out: Annotated[Path, typer.Option("--out", help="The table to write: CSV, or Parquet when it ends in .parquet.")],
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the analysis dataset: one row per screened patient as the registry stood at the cut-off
    (docs/analysis-dataset.md)."""
    from oncobasket.core.registry import parse_date
    from oncobasket.io.analysis_table import write_analysis_table
    from oncobasket.services.analysis import build_analysis_dataset

    cut_off = parse_date(as_of, field_name="--as-of")
    dataset = _on_registry(database_url, user, build_analysis_dataset, as_of=cut_off)
    write_analysis_table(dataset, out)
    summary = {
        "out": str(out),
        "cut_off": cut_off.isoformat(),
        "rows": len(dataset.rows),
        "treated": sum(row.treated for row in dataset.rows),
    }
    _emit_registry(
        summary, as_json, [f"{summary['rows']} screened patients ({summary['treated']} treated) as of {as_of}: {out}"]
    )


@export_app.command("cbioportal")
def export_cbioportal(  # noqa: PLR0917 - Typer maps each parameter to an option
    as_of: Annotated[str, typer.Option("--as-of", help="Data cut-off YYYY-MM-DD: the registry as it stood that day.")],
    out: Annotated[Path, typer.Option("--out", help="The study folder to write (new or empty; owner-only).")],
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that already holds files.")] = False,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a cBioPortal study folder: clinical patient and sample files, mutations (MAF), discrete CNA,
    structural variants, timelines, meta files and case lists (docs/interop.md)."""
    from oncobasket.core.registry import parse_date
    from oncobasket.services.exports import export_cbioportal as export

    cut_off = parse_date(as_of, field_name="--as-of")
    summary = _on_registry(database_url, user, export, as_of=cut_off, out=out, force=force)
    _emit_registry(
        summary,
        as_json,
        [
            f"cBioPortal study {summary['study_id']}: {summary['patients']} patients, "
            f"{len(summary['files'])} files: {out}"
        ],
    )


@export_app.command("ctml")
def export_ctml(  # noqa: PLR0917 - Typer maps each parameter to an option
    out: Annotated[Path, typer.Option("--out", help="The folder to write the CTML trial into (new or empty).")],
    protocol: Annotated[
        Path | None,
        typer.Option("--protocol", help="Export this protocol file's cohorts instead of the registry's (none closed)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that already holds files.")] = False,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the protocol's cohorts that are not closed as a MatchMiner CTML trial, and the rules CTML cannot
    express in unexpressed.tsv (docs/interop.md)."""
    from oncobasket.services import exports

    if protocol is not None:
        summary = exports.export_protocol_ctml(protocol, out=out, force=force)
    else:
        summary = _on_registry(database_url, user, exports.export_ctml, out=out, force=force)
    unexpressed = summary["unexpressed"]
    lines = [f"CTML trial with {summary['arms']} cohorts: {out / summary['files'][0]}"]
    if unexpressed:
        lines.append(
            f"{len(unexpressed)} rules CTML cannot express (written as said there): {out / summary['files'][1]}"
        )
    _emit_registry(summary, as_json, lines)


@export_app.command("fhir")
def export_fhir(
    study_id: Annotated[str, typer.Argument(help="The patient's study ID.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the bundle to this file (owner-only) instead of stdout.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
) -> None:
    """Print (or write) the patient's FHIR R4 Bundle: pseudonymous Patient, tumour, ECOG, genomic report with
    variant, TMB and MSI observations, tumour-board recommendation, ResearchStudy and ResearchSubject
    (docs/interop.md)."""
    from oncobasket.cli.app import emit_json
    from oncobasket.services.exports import export_fhir as export

    bundle = _on_registry(database_url, user, export, study_id, out=out, force=force)
    if out is None:
        emit_json(bundle)
    else:
        typer.echo(f"FHIR bundle of {study_id} ({len(bundle['entry'])} resources): {out}")


@export_app.command("omop")
def export_omop(  # noqa: PLR0917 - Typer maps each parameter to an option
    out: Annotated[Path, typer.Option("--out", help="The folder to write one CSV per OMOP table into (new or empty).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Data cut-off YYYY-MM-DD (default: today, UTC).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that already holds files.")] = False,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the registry as OMOP CDM v5.4 tables (person, observation_period, condition_occurrence, specimen,
    measurement, drug_exposure, observation, episode, episode_event, death), owner-only (docs/interop.md)."""
    from datetime import UTC, datetime

    from oncobasket.core.registry import parse_date
    from oncobasket.services.omop_export import export_omop as export

    cut_off = parse_date(as_of, field_name="--as-of") if as_of is not None else datetime.now(UTC).date()
    summary = _on_registry(database_url, user, export, as_of=cut_off, out=out, force=force)
    counts = ", ".join(f"{table} {count}" for table, count in summary["rows"].items())
    _emit_registry(summary, as_json, [f"OMOP CDM v5.4 tables as of {summary['cut_off']} in {out}: {counts}"])
