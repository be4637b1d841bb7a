"""``oncobasket ae add`` and ``oncobasket assess``: adverse events and tumour assessments in the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _emit_registry, _on_registry, app
from oncobasket.cli.treatment import ReasonOption, settled_lines

ae_app = typer.Typer(help="Record adverse events (CTCAE v5.0).", no_args_is_help=True)
app.add_typer(ae_app, name="ae")


@ae_app.command("add")
def ae_add(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    term: Annotated[str, typer.Option("--term", help="The CTCAE v5.0 term, e.g. 'Nausea'.")],
    grade: Annotated[str, typer.Option("--grade", help="CTCAE grade 1-5 (the grades the term defines).")],
    start: Annotated[str, typer.Option("--start", help="Start date, YYYY-MM-DD.")],
    related: Annotated[
        list[str],
        typer.Option(
            "--related",
            help="DRUG=RELATION for each study drug: not_related, unlikely, possible, probable or definite.",
        ),
    ],
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="recovered, recovering, not_recovered, recovered_with_sequelae, fatal or unknown.",
        ),
    ],
    end: Annotated[str | None, typer.Option("--end", help="End date, YYYY-MM-DD (leave out while ongoing).")] = None,
    serious: Annotated[bool, typer.Option("--serious", help="A serious adverse event (ICH E2A).")] = False,
    specify: Annotated[
        str | None, typer.Option("--specify", help="For an 'Other, specify' term: the event's name.")
    ] = None,
    correct: Annotated[
        int | None, typer.Option("--correct", help="The id of the event this entry corrects (needs --reason).")
    ] = None,
    reason: ReasonOption = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an adverse event: CTCAE term and grade, seriousness, relation to each study drug, outcome."""
    from oncobasket.core.errors import InputError
    from oncobasket.core.registry import parse_date
    from oncobasket.services import add_adverse_event

    relations: dict[str, str] = {}
    for entry in related:
        drug, separator, relation = entry.partition("=")
        if not separator or not drug.strip() or not relation.strip():
            raise InputError("a relation is DRUG=RELATION", field="--related", fix="e.g. --related dabrafenib=possible")
        if drug.strip().lower() in relations:
            raise InputError("a drug's relation is given twice", field="--related", fix="give it once")
        relations[drug.strip().lower()] = relation
    result = _on_registry(
        database_url,
        user,
        add_adverse_event,
        study_id,
        term=term,
        grade=grade,
        serious=serious,
        relations=relations,
        start_date=parse_date(start, field_name="--start"),
        end_date=parse_date(end, field_name="--end") if end is not None else None,
        outcome=outcome,
        specification=specify,
        corrects=correct,
        correction_reason=reason,
    )
    label = result["term"] if result["specification"] is None else f"{result['term']}: {result['specification']}"
    line = f"{result['study_id']}: adverse event {result['id']} {label}, grade {result['grade']}"
    if result["serious"]:
        line += ", serious"
    _emit_registry(result, as_json, [line])


@app.command("assess")
def assess(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    file: Annotated[Path, typer.Option("--file", help="The assessment file (docs/recist.md).")],
    correct: Annotated[
        bool, typer.Option("--correct", help="Correct assessments already recorded (needs --reason).")
    ] = False,
    reason: ReasonOption = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a patient's baseline and follow-up tumour assessments; the week-16 benefit it makes known runs the
    cohort's rule."""
    from oncobasket.core.registry import correction_reason
    from oncobasket.services import record_assessments

    why = correction_reason(correct=correct, reason=reason)
    result = _on_registry(database_url, user, record_assessments, study_id, file, correction_reason=why)
    lines = [
        f"{result['study_id']}: {result['recorded']} assessment(s) recorded, {result['unchanged']} already recorded"
    ]
    for point in result["evaluation"]["time_points"]:
        lines.append(
            f"  {point['date']} (day {point['day']}): {point['overall_response']}"
            + (f", target sum {point['target_sum_mm']:g} mm" if point["target_sum_mm"] is not None else "")
        )
    best = result["evaluation"]["best_overall_response"]
    lines.append(f"best overall response: {best['confirmed']} confirmed, {best['unconfirmed']} unconfirmed")
    lines += settled_lines(result)
    _emit_registry(result, as_json, lines)
