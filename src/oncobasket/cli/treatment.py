"""``oncobasket treatment start|cycle|end`` and ``oncobasket follow-up``: trial treatment and follow-up contacts."""

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
)

treatment_app = typer.Typer(
    help="Record trial treatment: cycle 1 day 1, further cycles, the end.", no_args_is_help=True
)
app.add_typer(treatment_app, name="treatment")

DateOption = Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD.")]
DoseOption = Annotated[
    list[str] | None,
    typer.Option("--dose", help="DRUG=DOSE as given, e.g. 'dabrafenib=150 mg twice daily' (repeat per drug)."),
]
CorrectOption = Annotated[
    bool, typer.Option("--correct", help="Correct the recorded entry (needs --reason; the earlier one is kept).")
]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="With --correct: why it is corrected.")]


def settled_lines(result: dict[str, Any]) -> list[str]:
    """What a command changed in the week-16 outcome and the cohort, and its warnings."""
    lines: list[str] = []
    week16 = result.get("week16")
    if week16 is not None:
        benefit = {True: "benefit", False: "no benefit", None: "not yet known"}[week16["benefit"]]
        lines.append(f"week 16: {benefit} ({week16['reason']})")
    outcome = result.get("outcome")
    if outcome is not None:
        lines.append(
            f"outcome in the cohort: {outcome['value']} (computed: {outcome['computed']}: {outcome['reason']})"
        )
    lines += _transition_lines(result)
    lines += [f"warning: {warning}" for warning in result.get("warnings", [])]
    return lines


@treatment_app.command("start")
def treatment_start(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    start_date: DateOption,
    dose: DoseOption = None,
    route: Annotated[
        str | None,
        typer.Option(
            "--route", help="oral, intravenous, subcutaneous, intramuscular or other (default: the protocol's)."
        ),
    ] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record cycle 1 day 1 of the enrolled cohort's drug."""
    from oncobasket.core.registry import parse_date
    from oncobasket.core.treatment import AdministrationRoute
    from oncobasket.core.treatment_entries import parse_choice, parse_doses
    from oncobasket.services import start_treatment

    day = parse_date(start_date, field_name="--date")
    chosen = str(parse_choice(AdministrationRoute, route, field="--route")) if route is not None else None
    doses = parse_doses(dose or [], field="--dose")
    result = _on_registry(database_url, user, start_treatment, study_id, start_date=day, doses=doses, route=chosen)
    _emit_registry(
        result,
        as_json,
        [f"{result['study_id']}: {result['drug']} ({result['route']}) started {result['start_date']}, cycle 1"],
    )


@treatment_app.command("cycle")
def treatment_cycle(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    start_date: DateOption,
    cycle: Annotated[int | None, typer.Option("--cycle", help="Cycle number (default: the next one).")] = None,
    dose: DoseOption = None,
    dose_change: Annotated[
        str, typer.Option("--dose-change", help="none, reduced, increased or interrupted.")
    ] = "none",
    dose_change_reason: Annotated[
        str | None, typer.Option("--dose-change-reason", help="Why the dose changed (needed with a change).")
    ] = None,
    delay_days: Annotated[int, typer.Option("--delay-days", help="Days the cycle was delayed.")] = 0,
    delay_reason: Annotated[str | None, typer.Option("--delay-reason", help="Why it was delayed.")] = None,
    correct: CorrectOption = False,
    reason: ReasonOption = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the start of a treatment cycle, with dose changes and delays."""
    from oncobasket.core.registry import correction_reason, parse_date
    from oncobasket.core.treatment import DoseChange
    from oncobasket.core.treatment_entries import parse_choice, parse_doses
    from oncobasket.services import record_cycle

    day = parse_date(start_date, field_name="--date")
    doses = parse_doses(dose or [], field="--dose")
    change = parse_choice(DoseChange, dose_change, field="--dose-change")
    why = correction_reason(correct=correct, reason=reason)
    result = _on_registry(
        database_url,
        user,
        record_cycle,
        study_id,
        start_date=day,
        cycle_number=cycle,
        doses=doses,
        dose_change=change,
        dose_change_reason=dose_change_reason,
        delay_days=delay_days,
        delay_reason=delay_reason,
        correction_reason=why,
    )
    head = f"{result['study_id']}: cycle {result['cycle']} started {result['start_date']}"
    if result["corrected"]:
        head += f" (corrected: {result['correction_reason']})"
    _emit_registry(result, as_json, [head, *settled_lines(result)])


@treatment_app.command("end")
def treatment_end(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    end_date: DateOption,
    why: Annotated[
        str,
        typer.Option(
            "--why",
            help="progression, toxicity, patient_decision, death, investigator_decision, completed, "
            "lost_to_follow_up or other.",
        ),
    ],
    note: Annotated[str | None, typer.Option("--note", help="Free text.")] = None,
    correct: CorrectOption = False,
    reason: ReasonOption = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record the end of trial treatment and why it ended."""
    from oncobasket.core.registry import correction_reason, parse_date
    from oncobasket.core.treatment import EndReason
    from oncobasket.core.treatment_entries import parse_choice
    from oncobasket.services import end_treatment

    day = parse_date(end_date, field_name="--date")
    end_reason = parse_choice(EndReason, why, field="--why")
    correction = correction_reason(correct=correct, reason=reason)
    result = _on_registry(
        database_url,
        user,
        end_treatment,
        study_id,
        end_date=day,
        reason=end_reason,
        note=note,
        correction_reason=correction,
    )
    head = f"{result['study_id']}: treatment ended {result['end_date']} ({result['reason']})"
    _emit_registry(result, as_json, [head, *settled_lines(result)])


@app.command("follow-up")
def follow_up(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    contact_date: DateOption,
    status: Annotated[str, typer.Option("--status", help="alive, dead or lost_to_follow_up.")],
    death_date: Annotated[str | None, typer.Option("--death-date", help="With --status dead: YYYY-MM-DD.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free text.")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a follow-up contact: alive, dead (with the death date) or lost to follow-up."""
    from oncobasket.core.registry import parse_date
    from oncobasket.core.treatment_entries import FollowUpStatus, parse_choice
    from oncobasket.services import record_follow_up

    day = parse_date(contact_date, field_name="--date")
    found = parse_choice(FollowUpStatus, status, field="--status")
    died = parse_date(death_date, field_name="--death-date") if death_date is not None else None
    result = _on_registry(
        database_url, user, record_follow_up, study_id, contact_date=day, status=found, death_date=died, note=note
    )
    head = f"{result['study_id']}: {result['status']} on {result['contact_date']}"
    _emit_registry(result, as_json, [head, *settled_lines(result)])


@treatment_app.command("prior")
def treatment_prior(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    regimen: Annotated[str, typer.Option("--regimen", help="The regimen, e.g. 'FOLFIRINOX'.")],
    start: Annotated[str, typer.Option("--start", help="Start of the line, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option("--end", help="End of the line, YYYY-MM-DD.")] = None,
    progression: Annotated[
        str | None, typer.Option("--progression", help="Progression on the line, YYYY-MM-DD (for the PFS ratio).")
    ] = None,
    correct: Annotated[
        int | None, typer.Option("--correct", help="The id of the entry this one corrects (needs --reason).")
    ] = None,
    reason: ReasonOption = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a line of treatment before the trial; the last one is the reference of the PFS ratio."""
    from oncobasket.core.registry import parse_date
    from oncobasket.services import record_prior_treatment

    result = _on_registry(
        database_url,
        user,
        record_prior_treatment,
        study_id,
        regimen=regimen,
        start_date=parse_date(start, field_name="--start"),
        end_date=parse_date(end, field_name="--end") if end is not None else None,
        progression_date=parse_date(progression, field_name="--progression") if progression is not None else None,
        corrects=correct,
        correction_reason=reason,
    )
    line = f"{result['study_id']}: prior treatment {result['id']} {result['regimen']} from {result['start_date']}"
    if result["progression_date"] is not None:
        line += f", progression {result['progression_date']}"
    _emit_registry(result, as_json, [line])
