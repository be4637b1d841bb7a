"""``oncobasket recist evaluate``: RECIST 1.1 / iRECIST responses and week-16 benefit from one assessment file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import JsonOption, _warn, app, emit_json, emit_table

recist_app = typer.Typer(
    help="Compute RECIST 1.1 / iRECIST responses from tumour measurements (no database).", no_args_is_help=True
)


app.add_typer(recist_app, name="recist")


def _date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; write YYYY-MM-DD") from None


@recist_app.command("evaluate")
def recist_evaluate(
    file: Annotated[Path, typer.Argument(help="Assessment file (JSON; see docs/recist.md).")],
    *,
    treatment_start: Annotated[
        str | None,
        typer.Option("--treatment-start", help="Cycle 1 day 1 (YYYY-MM-DD) when the file has no treatment_start."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Time-point responses with their reasons, best overall response and the week-16 benefit."""
    from oncobasket.core.errors import InputError
    from oncobasket.core.recist import Criteria
    from oncobasket.core.response import evaluate
    from oncobasket.io.assessment_file import read_assessment_file

    record = read_assessment_file(file, treatment_start=_date_option(treatment_start))
    try:
        result = evaluate(record)
    except InputError as error:
        # the rules checked while evaluating (iRECIST sequence) know the date, not the file: add it
        raise InputError(error.rule, source=str(file), field=error.field, fix=error.fix) from None
    _warn(result.warnings)
    shape = result.to_json()
    if as_json:
        emit_json(shape)
        return
    typer.echo(
        f"Treatment start {shape['treatment_start']}; baseline {shape['baseline']['date']}, "
        f"sum of diameters {_mm(shape['baseline']['target_sum_mm'])}"
    )
    headers = ["date", "day", "sum", "vs baseline", "vs nadir", "target", "non-target", "new", "overall"]
    if result.criteria is not Criteria.RECIST:
        headers.append(str(result.criteria))
    rows = []
    for index, point in enumerate(shape["time_points"]):
        row = [
            point["date"],
            str(point["day"]),
            _mm(point["target_sum_mm"]),
            _percent(point["percent_change_from_baseline"]),
            _percent(point["percent_change_from_nadir"]),
            point["target_response"] or "-",
            point["non_target_response"] or "-",
            "yes" if point["new_lesions"] else "no",
            point["overall_response"] or "-",
        ]
        if len(headers) > len(row):
            row.append(result.series[result.criteria][index].response)
        rows.append(row)
    emit_table(headers, rows)
    typer.echo("")
    for point in shape["time_points"]:
        typer.echo(f"{point['date']}:")
        for reason in point["reasons"]:
            typer.echo(f"  {reason}")
        for response in point["responses"]:
            for reason in response["reasons"]:
                typer.echo(f"  {reason}")
    best = shape["best_overall_response"]
    typer.echo("")
    typer.echo(
        f"Best overall response ({best['criteria']}): {best['confirmed']} confirmed, {best['unconfirmed']} unconfirmed"
    )
    for reason in best["reasons"]:
        typer.echo(f"  {reason}")
    week16 = shape["week16"]
    benefit = {True: "yes", False: "no", None: "not yet known"}[week16["benefit"]]
    typer.echo(f"Week-16 clinical benefit: {benefit}")
    typer.echo(f"  {week16['reason']}")


def _mm(value: float | None) -> str:
    return "-" if value is None else f"{value:g} mm"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %"
