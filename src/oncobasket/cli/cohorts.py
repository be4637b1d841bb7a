"""``oncobasket cohort list|show|pool|suspend|resume|expand``: cohorts under their two-stage rule."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oncobasket.cli.app import (
    DatabaseUrlOption,
    JsonOption,
    UserOption,
    _emit_registry,
    _on_registry,
    _transition_lines,
    app,
    emit_json,
    emit_table,
)

cohort_app = typer.Typer(help="List, show and pool cohorts.", no_args_is_help=True)


app.add_typer(cohort_app, name="cohort")


@cohort_app.command("list")
def cohort_list(
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the cohorts with status, counts and slots."""
    from oncobasket.services import list_cohorts

    result = _on_registry(database_url, user, list_cohorts)
    if as_json:
        emit_json(result)
        return
    if not result:
        typer.echo("no cohorts yet")
        return
    emit_table(
        ["id", "cohort", "status", "enrolled", "benefit/evaluable", "pooled", "slots left", "next decision"],
        [
            [
                str(c["id"]),
                c["name"],
                c["status"],
                str(c["counts"]["enrolled"]),
                f"{c['counts']['benefit']}/{c['counts']['evaluable']}",
                f"{c['counts']['pooled_benefit']}/{c['counts']['pooled_evaluable']}",
                f"{c['slots']['left']}/{c['slots']['total']}" if c["slots"] else "uncapped",
                # Last and whole: what the cohort waits for is what a coordinator opens this list to see.
                c["next_decision"],
            ]
            for c in result
        ],
    )


@cohort_app.command("show")
def cohort_show(
    cohort: Annotated[str, typer.Argument(help="Cohort ID or exact name.")],
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a cohort: stage, counts (own and pooled), slots, next decision and what it waits for."""
    from oncobasket.services import show_cohort

    result = _on_registry(database_url, user, show_cohort, cohort)
    counts = result["counts"]
    rule = result["rule"]
    lines = [
        f"cohort {result['id']}: {result['name']}",
        f"  status {result['status']} (stage {result['stage']}), "
        f"rule {rule['r1']}/{rule['n1']}, {rule['r']}/{rule['n']}",
        f"  patients: {counts['enrolled']} enrolled, {counts['benefit']} benefit, {counts['no_benefit']} no benefit, "
        f"{counts['pending']} pending, {counts['not_evaluable']} not evaluable",
        f"  pooled: {counts['pooled_benefit']} benefit among {counts['pooled_evaluable']} evaluable"
        + "".join(f"; {p['source']} {p['benefit']}/{p['evaluable']}" for p in result["pooled"]),
        f"  places left: {result['places_left']}",
        "  slots: "
        + (
            f"{result['slots']['left']} of {result['slots']['total']} left in budget {result['slots']['name']}"
            if result["slots"]
            else "uncapped"
        ),
        f"  next decision: {result['next_decision']}",
    ]
    lines += [f"  place {p['place']}: {p['study_id']} stage {p['stage']} {p['outcome']}" for p in result["patients"]]
    lines += [f"  {t['at'][:10]} {t['from'] or '-'} -> {t['to']}: {t['reason']}" for t in result["transitions"]]
    _emit_registry(result, as_json, lines)


@cohort_app.command("pool")
def cohort_pool(  # noqa: PLR0917 - Typer maps each parameter to an option
    cohort: Annotated[str, typer.Argument(help="Cohort ID or exact name.")],
    source: Annotated[str, typer.Option("--source", help="The sister trial, e.g. DRUP.")],
    evaluable: Annotated[int, typer.Option("--evaluable", help="Evaluable patients in the sister trial.")],
    benefit: Annotated[int, typer.Option("--benefit", help="Of them, patients with clinical benefit at W16.")],
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a sister trial's evaluable patients and benefits to a cohort (shown separately)."""
    from oncobasket.services import pool_counts

    result = _on_registry(database_url, user, pool_counts, cohort, source=source, evaluable=evaluable, benefit=benefit)
    lines = [f"pooled {result['benefit']}/{result['evaluable']} from {result['source']} into {result['cohort']}"]
    lines += _transition_lines(result)
    _emit_registry(result, as_json, lines)


@cohort_app.command("suspend")
def cohort_suspend(
    cohort: Annotated[str, typer.Argument(help="Cohort ID or exact name.")],
    reason: Annotated[str, typer.Option("--reason", help="Why enrolment is held (safety review, supply, ...).")],
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hold enrolment in a cohort until it is resumed."""
    from oncobasket.services import suspend_cohort

    _emit_cohort_step(_on_registry(database_url, user, suspend_cohort, cohort, reason=reason), as_json)


@cohort_app.command("resume")
def cohort_resume(
    cohort: Annotated[str, typer.Argument(help="Cohort ID or exact name.")],
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """End a cohort's suspension."""
    from oncobasket.services import resume_cohort

    _emit_cohort_step(_on_registry(database_url, user, resume_cohort, cohort), as_json)


@cohort_app.command("expand")
def cohort_expand(
    cohort: Annotated[str, typer.Argument(help="Cohort ID or exact name.")],
    places: Annotated[
        int | None, typer.Option("--places", help="Size of the expansion (default: the rule's n).")
    ] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open an expansion cohort for a promising cohort."""
    from oncobasket.services import expand_cohort

    _emit_cohort_step(_on_registry(database_url, user, expand_cohort, cohort, places=places), as_json)


def _emit_cohort_step(result: dict[str, Any], as_json: bool) -> None:
    lines = [f"cohort {result['cohort']}: {result['cohort_status']}"]
    lines += _transition_lines(result)
    _emit_registry(result, as_json, lines)
