"""``oncobasket endpoints`` and ``oncobasket report``: trial endpoints and the trial report from an analysis dataset.

Both read one analysis dataset, either a table (``--table FILE``, e.g. a sister trial's) or the registry as
it stood at a cut-off (``--as-of DATE``, through ``services.analysis.build_analysis_dataset``), and go
through the same code from there (ARCHITECTURE.md "Endpoints").
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _on_registry, app, emit_json, emit_table
from oncobasket.core.analysis import AnalysisDataset
from oncobasket.core.errors import InputError

AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Data cut-off YYYY-MM-DD: the registry as it stood that day.")
]
TableOption = Annotated[
    Path | None, typer.Option("--table", help="An analysis dataset (CSV, or .parquet) instead of the registry.")
]


def _dataset(as_of: str | None, table: Path | None, database_url: str, user: str | None) -> AnalysisDataset:
    """The analysis dataset of exactly one of ``--as-of`` and ``--table``."""
    if (as_of is None) == (table is None):
        raise typer.BadParameter("give exactly one of --as-of DATE and --table FILE")
    if table is not None:
        from oncobasket.io.analysis_table import read_analysis_table

        return read_analysis_table(table)
    assert as_of is not None
    try:
        cut_off = datetime.date.fromisoformat(as_of)
    except ValueError:
        raise InputError(f"{as_of!r} is not a date", field="--as-of", fix="write the cut-off as YYYY-MM-DD") from None
    from oncobasket.services.analysis import build_analysis_dataset

    dataset: AnalysisDataset = _on_registry(database_url, user, build_analysis_dataset, as_of=cut_off)
    return dataset


def endpoints(  # noqa: PLR0917 - Typer maps each parameter to an option
    as_of: AsOfOption = None,
    table: TableOption = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Also per value of this column: tumour_group, drug, biomarker, site.")
    ] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """The funnel, DCR at week 16, ORR with exact intervals, PFS/OS medians, PFS ratio and adverse events."""
    from oncobasket.core.endpoints import endpoint_report

    dataset = _dataset(as_of, table, database_url, user)
    report = endpoint_report(dataset.rows, by=by)
    if as_json:
        emit_json(report.as_dict())
        return
    typer.echo(report.overall.summary())
    if report.by is not None:
        typer.echo("")
        emit_table(
            [report.by, "treated", "evaluable", "DCR W16 evaluable", "DCR W16 all treated", "ORR"],
            [
                [
                    "(not recorded)" if value is None else value,
                    str(group.funnel_count("treated")),
                    str(group.funnel_count("evaluable")),
                    group.dcr_w16_evaluable.summary(),
                    group.dcr_w16_all_treated.summary(),
                    group.orr.summary(),
                ]
                for value, group in report.groups
            ],
        )


app.command("endpoints")(endpoints)

report_app = typer.Typer(
    help="The trial report (HTML, PDF and CSV tables) from the registry or an analysis dataset.",
    invoke_without_command=True,
)
app.add_typer(report_app, name="report")


@report_app.callback()
def report(  # noqa: PLR0917 - Typer maps each parameter to an option
    context: typer.Context,
    as_of: AsOfOption = None,
    table: TableOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the report files (created if missing).")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
) -> None:
    """Write the trial report: funnel with reasons, endpoints overall and by group, cohorts, plots."""
    if context.invoked_subcommand is not None:
        return
    if out is None:
        raise typer.BadParameter("give the report folder with --out DIR")
    from oncobasket import __version__
    from oncobasket.io.report import ReportSource, write_trial_report

    dataset = _dataset(as_of, table, database_url, user)
    if table is not None:
        source = ReportSource(
            data_source=f"table {table.name}"
            + (f" ({dataset.metadata.data_source})" if dataset.metadata.data_source else ""),
            software_version=__version__,
            table_file=table.name,
        )
    else:
        source = ReportSource(data_source=f"registry {_safe_url(database_url)}", software_version=__version__)
    files = write_trial_report(dataset, out, source)
    typer.echo(f"wrote {files.html}")
    typer.echo(f"wrote {files.pdf}")
    for path in files.tables:
        typer.echo(f"wrote {path}")


def _safe_url(database_url: str) -> str:
    """The database URL without its password, for the report's first page."""
    scheme, separator, rest = database_url.partition("://")
    if not separator or "@" not in rest:
        return database_url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


@report_app.command("patient")
def report_patient(
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for STUDY_ID.html and STUDY_ID.pdf.")],
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
) -> None:
    """The per-patient tumour-board report: profile with QC caveats, matches with reasons and evidence,
    decision history, treatment and responses."""
    from oncobasket import __version__
    from oncobasket.io.patient_report import write_patient_report
    from oncobasket.services.patient_report import patient_report_data

    data = _on_registry(database_url, user, patient_report_data, study_id)
    files = write_patient_report(data, out, software=f"oncobasket {__version__}")
    typer.echo(f"wrote {files.html}")
    typer.echo(f"wrote {files.pdf}")
