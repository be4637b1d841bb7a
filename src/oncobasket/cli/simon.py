"""``oncobasket simon design|evaluate``: Simon (1989) two-stage designs and their operating characteristics."""

from __future__ import annotations

from typing import Annotated

import typer

from oncobasket.cli.app import JsonOption, app, emit_json, emit_table

simon_app = typer.Typer(
    help="Simon (1989) two-stage designs: optimal and minimax rules, and exact operating characteristics.",
    no_args_is_help=True,
)


app.add_typer(simon_app, name="simon")


@simon_app.command("design")
def simon_design(
    *,
    p0: Annotated[float, typer.Option("--p0", help="Uninteresting response rate (H0), e.g. 0.10.")],
    p1: Annotated[float, typer.Option("--p1", help="Response rate of interest (H1), e.g. 0.30.")],
    alpha: Annotated[float, typer.Option("--alpha", help="Largest type I error allowed, e.g. 0.05.")],
    beta: Annotated[float, typer.Option("--beta", help="Largest type II error allowed (1 - power), e.g. 0.20.")],
    nmax: Annotated[int, typer.Option("--nmax", help="Largest total sample size searched.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Find Simon's optimal and minimax two-stage designs (the same designs as R's clinfun::ph2simon)."""
    from oncobasket.core.simon import design

    designs = design(p0, p1, alpha, beta, nmax)
    if as_json:
        emit_json(designs.as_dict())
        return
    typer.echo(designs.summary())
    typer.echo("Stop after stage 1 if responses <= r1 of n1; the drug is promising if responses > r of n.")


@simon_app.command("evaluate")
def simon_evaluate(
    *,
    r1: Annotated[int, typer.Option("--r1", help="Stop after stage 1 if responses <= r1.")],
    n1: Annotated[int, typer.Option("--n1", help="Patients in stage 1.")],
    r: Annotated[int, typer.Option("--r", help="Promising if total responses > r.")],
    n: Annotated[int, typer.Option("--n", help="Patients in both stages together.")],
    p: Annotated[list[float], typer.Option("--p", help="True response rate; repeat for several.")],
    as_json: JsonOption = False,
) -> None:
    """Exact probability of stopping early, of a promising result and the expected size at each rate p."""
    from oncobasket.core.simon import evaluate

    results = evaluate(r1, n1, r, n, p)
    if as_json:
        emit_json([item.as_dict() for item in results])
        return
    typer.echo(f"Simon two-stage rule r1/n1 = {r1}/{n1}, r/n = {r}/{n}")
    emit_table(
        ["p", "P(stop after stage 1)", "P(promising)", "expected n"],
        [
            [f"{item.p:g}", f"{item.pet:.4f}", f"{item.prob_reject_null:.4f}", f"{item.expected_n:.2f}"]
            for item in results
        ],
    )
