"""``oncobasket consent``, ``enrol``, ``not-treated`` and ``outcome record``: from decision to cohort place."""

from __future__ import annotations

from typing import Annotated

import typer

from oncobasket.cli.app import (
    DatabaseUrlOption,
    JsonOption,
    UserOption,
    _emit_registry,
    _on_registry,
    _transition_lines,
    app,
)

outcome_app = typer.Typer(help="Record week-16 outcomes for the cohort rule.", no_args_is_help=True)


app.add_typer(outcome_app, name="outcome")


@app.command("consent")
def consent(
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    consent_date: Annotated[str, typer.Option("--date", help="Date the consent was signed, YYYY-MM-DD.")],
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record informed consent to trial treatment."""
    from oncobasket.core.registry import parse_date
    from oncobasket.services import record_consent

    signed = parse_date(consent_date, field_name="--date")
    result = _on_registry(database_url, user, record_consent, study_id, signed)
    _emit_registry(result, as_json, [f"consent of {result['study_id']} on {result['consent_date']}"])


@app.command("enrol")
def enrol(
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    override_reason: Annotated[
        str | None, typer.Option("--override-reason", help="Why an ineligible patient is enrolled anyway.")
    ] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enrol a patient into the cohort of the tumour board's decision."""
    from oncobasket.services import enrol_patient

    result = _on_registry(database_url, user, enrol_patient, study_id, override_reason=override_reason)
    lines = [f"enrolled {result['study_id']} in {result['cohort']}: place {result['place']}, stage {result['stage']}"]
    if result["slot_budget"] is not None:
        lines.append(f"slot budget {result['slot_budget']}: {result['slots_left']} left")
    lines += _transition_lines(result)
    _emit_registry(result, as_json, lines)


@app.command("not-treated")
def not_treated(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="declined, deteriorated, died, other_trial, early_access, palliative_care_only or ineligible.",
        ),
    ],
    criterion: Annotated[
        str | None, typer.Option("--criterion", help="The criterion failed (reason 'ineligible').")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free text.")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record why a matched patient was not treated."""
    from oncobasket.core.registry import parse_not_treated_reason
    from oncobasket.services import record_not_treated

    why = parse_not_treated_reason(reason)
    result = _on_registry(database_url, user, record_not_treated, study_id, why, criterion=criterion, note=note)
    _emit_registry(result, as_json, [f"{result['study_id']} not treated: {result['reason']}"])


@outcome_app.command("record")
def outcome_record(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    outcome: Annotated[str, typer.Option("--outcome", help="benefit, no_benefit or not_evaluable.")],
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Why the outcome is entered by hand, e.g. 'central radiology re-read' (required: week-16 "
            "outcomes are computed by `oncobasket assess`).",
        ),
    ] = None,
    correct: Annotated[
        bool,
        typer.Option("--correct", help="Correct the recorded outcome (the earlier value is kept)."),
    ] = False,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enter or correct a week-16 outcome by hand, with the reason, and apply the cohort's two-stage rule.

    Week-16 outcomes are computed from the tumour assessments (`oncobasket assess`); this command is the
    path for a judgement the measurements cannot give (a central radiology re-read, clinical progression
    without imaging) and for corrections. The reason is kept in the audit trail.
    """
    from oncobasket.core.errors import InputError
    from oncobasket.core.registry import correction_reason, parse_outcome
    from oncobasket.services import record_outcome

    result_of_w16 = parse_outcome(outcome)
    if reason is None or not reason.strip():
        raise InputError(
            "an outcome entered by hand needs its reason",
            field="--reason",
            fix="week-16 outcomes are computed from tumour assessments (`oncobasket assess`); to enter or correct "
            "one by hand add --reason TEXT (e.g. 'central radiology re-read'), and --correct to replace one",
        )
    why = correction_reason(correct=correct, reason=reason) if correct else None
    result = _on_registry(
        database_url,
        user,
        record_outcome,
        study_id,
        result_of_w16,
        correction_reason=why,
        entry_reason=None if correct else reason.strip(),
    )
    lines = [f"{result['study_id']}: {result['outcome']} in {result['cohort']} (cohort {result['cohort_status']})"]
    if result["corrected"]:
        lines[0] += f"; corrected from {result['previous_outcome']}: {result['correction_reason']}"
    lines += _transition_lines(result)
    _emit_registry(result, as_json, lines)
