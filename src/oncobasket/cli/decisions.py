"""``oncobasket mtb decide``: molecular tumour board decisions."""

from __future__ import annotations

from typing import Annotated

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _emit_registry, _on_registry, _warn, app

mtb_app = typer.Typer(help="Record molecular tumour board decisions.", no_args_is_help=True)


app.add_typer(mtb_app, name="mtb")


@mtb_app.command("decide")
def mtb_decide(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    decision: Annotated[str, typer.Option("--decision", help="A, B, C or D.")],
    rationale: Annotated[str, typer.Option("--rationale", help="Why the tumour board decided so.")],
    meeting_date: Annotated[str, typer.Option("--meeting-date", help="YYYY-MM-DD.")],
    drug: Annotated[str | None, typer.Option("--drug", help="Trial drug key, e.g. dabrafenib+trametinib.")] = None,
    biomarker: Annotated[str | None, typer.Option("--biomarker", help="Biomarker name as in the protocol.")] = None,
    option: Annotated[
        str | None,
        typer.Option("--option", help="Decision C only: other_trial, early_access or standard_care."),
    ] = None,
    correct: Annotated[
        bool, typer.Option("--correct", help="Correct the decision in force (a new decision that supersedes it).")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="With --correct: why it is corrected.")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a tumour-board decision: A confirm the match, B another alteration, C non-trial option, D none."""
    from oncobasket.core.registry import (
        DecisionForm,
        correction_reason,
        parse_date,
        parse_decision_code,
        parse_non_trial_option,
    )
    from oncobasket.services import record_decision

    form = DecisionForm(
        study_id=study_id,
        code=parse_decision_code(decision),
        rationale=rationale,
        meeting_date=parse_date(meeting_date, field_name="--meeting-date"),
        drug=drug,
        biomarker=biomarker,
        option=parse_non_trial_option(option) if option is not None else None,
        correction_reason=correction_reason(correct=correct, reason=reason),
    )
    result = _on_registry(database_url, user, record_decision, form)
    line = f"decision {result['decision']} for {result['study_id']} ({result['meeting_date']})"
    if result["non_trial_option"]:
        line += f": {result['non_trial_option']}"
    if result["cohort"]:
        line += f": cohort {result['cohort']}" + (" (opened now)" if result["cohort_opened"] else "")
    if result["corrects"] is not None:
        line += f"; corrects decision {result['corrects']} ({result['correction_reason']})"
    _warn(result["warnings"])
    _emit_registry(result, as_json, [line])
