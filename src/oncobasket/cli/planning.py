"""``oncobasket simulate plan`` (how many cohorts reach stage 2 and a promising result, by seeded simulation) and
``oncobasket simulate trial`` (a synthetic trial written through the registry's services)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _on_registry, app, emit_json

simulate_app = typer.Typer(
    help="Simulated trials: plan cohorts under the two-stage rule (seeded, vectorised).", no_args_is_help=True
)
app.add_typer(simulate_app, name="simulate")


@simulate_app.command("plan")
def simulate_plan(  # noqa: PLR0917 - Typer maps each parameter to an option
    cohort: Annotated[
        list[str],
        typer.Option(
            "--cohort",
            help="NAME:MATCH_RATE:BENEFIT_RATE, e.g. BRAF-pancreas:0.01:0.3 (share of screened patients treated "
            "in the cohort, true benefit rate at week 16); repeat for each cohort.",
        ),
    ],
    accrual: Annotated[float, typer.Option("--accrual", help="Patients screened per month, e.g. 39.")],
    months: Annotated[int, typer.Option("--months", help="Length of the period, months.")] = 36,
    evaluable: Annotated[
        float, typer.Option("--evaluable", help="Share of treated patients evaluable (IMPRESS: 145/170).")
    ] = 145 / 170,
    rule: Annotated[str, typer.Option("--rule", help="Two-stage rule r1/n1, r/n.")] = "0/8, 4/24",
    trials: Annotated[int, typer.Option("--trials", help="Number of simulated trials.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random numbers (same seed, same answer).")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Forecast each planned cohort's stage 2, promising and closed shares over the period, with exact OCs."""
    from oncobasket.core.cohorts import TwoStageRule
    from oncobasket.core.planning import CohortScenario, PlanningSettings
    from oncobasket.core.planning import simulate_plan as simulate

    settings = PlanningSettings(
        screened_per_month=accrual,
        months=months,
        evaluable_rate=evaluable,
        rule=TwoStageRule.parse(rule, source="--rule"),
        trials=trials,
        seed=seed,
    )
    forecast = simulate([CohortScenario.parse(text) for text in cohort], settings)
    if as_json:
        emit_json(forecast.as_dict())
        return
    typer.echo(forecast.summary())


@simulate_app.command("trial")
def simulate_trial(  # noqa: PLR0917 - Typer maps each parameter to an option
    patients: Annotated[int, typer.Option("--patients", help="Number of synthetic patients screened (SYN-00001 ...).")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random numbers (same seed, same trial).")],
    database_url: DatabaseUrlOption,
    months: Annotated[int, typer.Option("--months", help="Length of the screening period, months, ending today.")] = 30,
    frequencies: Annotated[
        Path | None,
        typer.Option("--frequencies", help="Alteration frequency table (default: the shipped, cited one)."),
    ] = None,
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a seeded synthetic trial through the registry's own services into a database of its own.

    Every patient is labelled synthetic (study IDs SYN-00001 ..., the audit event trial.simulate, and
    'synthetic data' on every report); a database that already holds patients is refused.
    """
    from oncobasket.io.simulation_sources import load_frequencies
    from oncobasket.services import simulate_trial as simulate

    result = _on_registry(
        database_url,
        user,
        simulate,
        patients=patients,
        seed=seed,
        months=months,
        frequencies=load_frequencies(frequencies),
    )
    if as_json:
        emit_json(result)
        return
    typer.echo(
        f"Synthetic trial (seed {result['seed']}): {result['patients']} patients screened "
        f"{result['start']} to {result['end']}."
    )
    for step, count in result["recorded"].items():
        typer.echo(f"  {step:<34} {count}")
    for reason, count in result["refused"].items():
        typer.echo(f"  refused by the services ({count}): {reason}")
