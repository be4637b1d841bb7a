"""``oncobasket patient add|update|show``: register and show patients (pseudonymous study IDs only)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oncobasket.cli.app import DatabaseUrlOption, JsonOption, UserOption, _emit_registry, _on_registry, _warn, app

patient_app = typer.Typer(help="Register and show patients (pseudonymous study IDs only).", no_args_is_help=True)


app.add_typer(patient_app, name="patient")


@patient_app.command("add")
def patient_add(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Pseudonymous study ID, e.g. IMP-0001.")],
    site: Annotated[str, typer.Option("--site", help="Treating hospital.")],
    sex: Annotated[str, typer.Option("--sex", help="F, M, O (other) or U (unknown).")],
    birth_year: Annotated[int, typer.Option("--birth-year", help="Year of birth (no full dates).")],
    tumour_type: Annotated[str, typer.Option("--tumour-type", help="OncoTree code, e.g. PAAD.")],
    icd10: Annotated[str | None, typer.Option("--icd10", help="ICD-10 code, e.g. C25.0.")] = None,
    ecog: Annotated[int | None, typer.Option("--ecog", help="ECOG performance status 0-5.")] = None,
    lab: Annotated[list[str] | None, typer.Option("--lab", help="Laboratory value name=value, repeatable.")] = None,
    prior_lines: Annotated[int | None, typer.Option("--prior-lines", help="Prior lines of treatment.")] = None,
    prior_therapy: Annotated[
        list[str] | None,
        typer.Option("--prior-therapy", help="Prior drug (generic name), repeatable; 'none' for none."),
    ] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a patient under a pseudonymous study ID."""
    from oncobasket.services import add_patient, patient_form

    form = patient_form(
        study_id=study_id,
        site=site,
        sex=sex,
        birth_year=birth_year,
        oncotree_code=tumour_type,
        icd10=icd10,
        ecog=ecog,
        labs=lab or [],
        prior_lines=prior_lines,
        prior_therapies=prior_therapy,
    )
    result = _on_registry(database_url, user, add_patient, form, entered_oncotree_code=tumour_type)
    _warn(result.get("warnings", []))
    _emit_registry(
        result,
        as_json,
        [f"registered {result['study_id']} ({result['oncotree_code']}, OncoTree {result['oncotree_version']})"],
    )


def _clinical_text(value: Any) -> str:
    """A clinical value as typed: labs as name=value, prior therapies as a list, None as unknown."""
    if value is None:
        return "unknown"
    if isinstance(value, dict):
        return ", ".join(f"{name}={number:g}" for name, number in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return str(value)


@patient_app.command("update")
def patient_update(  # noqa: PLR0917 - Typer maps each parameter to an option
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    ecog: Annotated[int | None, typer.Option("--ecog", help="New ECOG performance status 0-5.")] = None,
    lab: Annotated[
        list[str] | None,
        typer.Option("--lab", help="New laboratory value name=value, repeatable (the others stay as registered)."),
    ] = None,
    prior_lines: Annotated[int | None, typer.Option("--prior-lines", help="Prior lines of treatment.")] = None,
    prior_therapy: Annotated[
        list[str] | None,
        typer.Option("--prior-therapy", help="Prior drug, repeatable: replaces the registered list; 'none' for none."),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the values changed (kept in the audit).")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a registered patient's new ECOG, laboratory values or prior treatment (audited, before and after)."""
    from oncobasket.core.registry import PatientUpdate, parse_labs, parse_prior_therapies
    from oncobasket.services import update_patient

    update = PatientUpdate(
        study_id=study_id,
        ecog=ecog,
        labs=parse_labs(lab or []),
        prior_lines=prior_lines,
        prior_therapies=parse_prior_therapies(prior_therapy),
        reason=reason,
    )
    result = _on_registry(database_url, user, update_patient, update)
    changes = [
        f"{name} {_clinical_text(result['before'][name])} -> {_clinical_text(result['after'][name])}"
        for name in result["changed"]
    ]
    lines = [
        f"updated {result['study_id']}: " + "; ".join(changes)
        if changes
        else f"{result['study_id']}: no change (the values given are the registered ones)"
    ]
    found = result["eligibility"]
    if found is not None:
        verdict = "eligible" if found["eligible"] else "not confirmed eligible: " + "; ".join(found["failed_criteria"])
        lines.append(
            f"decision {found['decision']} ({found['drug']}, cohort {found['cohort']}), values in force: {verdict}"
            + ("" if found["enrolled"] else "; `oncobasket enrol` judges these values")
        )
    _emit_registry(result, as_json, lines)


@patient_app.command("show")
def patient_show(
    study_id: Annotated[str, typer.Argument(help="Study ID.")],
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a patient with the decision in force, consent, enrolments and reasons for not treating."""
    from oncobasket.services import show_patient

    result = _on_registry(database_url, user, show_patient, study_id)
    decision = result["decision"]
    lines = [
        f"{result['study_id']}: {result['site']}, {result['sex']}, born {result['birth_year']}, "
        f"{result['oncotree_code']}, ECOG {result['ecog'] if result['ecog'] is not None else 'NA'}",
        "decision: "
        + (
            f"{decision['decision']} {decision['non_trial_option'] or decision['drug'] or ''} "
            f"{decision['cohort'] or ''} ({decision['meeting_date']})"
            + (f", corrected: {decision['correction_reason']}" if decision["corrects"] is not None else "")
            if decision
            else "none"
        ),
        f"consent: {result['consent_date'] or 'none'}",
    ]
    for e in result["enrolments"]:
        lines.append(f"enrolled: {e['cohort']} place {e['place']}, {e['outcome']}")
        lines += [
            f"  outcome corrected {c['before']} -> {c['after']} ({c['recorded_at'][:10]}): {c['reason']}"
            for c in e["outcome_corrections"]
        ]
    lines += [f"not treated: {item['reason']}" for item in result["not_treated"]]
    lines += treatment_lines(result)
    _emit_registry(result, as_json, lines)


def treatment_lines(result: dict[str, Any]) -> list[str]:
    """Treatment, adverse events and every derived value of ``patient show``, with the reasons behind them."""
    treatment = result["treatment"]
    if treatment is None:
        return []
    end = treatment["end"]
    lines = [
        f"treatment: {treatment['drug']} ({treatment['route']}) from {treatment['start_date']}, "
        f"{len(treatment['cycles'])} cycle(s)"
        + (f", ended {end['end_date']} ({end['reason']})" if end is not None else ", ongoing")
    ]
    for contact in result["follow_up"]:
        died = f", died {contact['death_date']}" if contact["death_date"] else ""
        lines.append(f"follow-up {contact['contact_date']}: {contact['status']}{died}")
    for event in result["adverse_events"]:
        label = event["term"] if event["specification"] is None else f"{event['term']}: {event['specification']}"
        lines.append(
            f"adverse event {event['id']}: {label}, grade {event['grade']}{', serious' if event['serious'] else ''}, "
            f"from {event['start_date']}, {event['outcome']}"
        )
    responses = result["responses"]
    if responses is not None:
        for point in responses["time_points"]:
            lines.append(f"  {point['date']} (day {point['day']}): {point['overall_response']}")
            lines += [f"    {reason}" for reason in point["reasons"]]
        best = responses["best_overall_response"]
        lines.append(f"best overall response ({responses['criteria']}): {best['confirmed']} confirmed")
    week16 = result["week16"]
    benefit = {True: "benefit", False: "no benefit", None: "not yet known"}[week16["benefit"]]
    lines.append(f"week 16: {benefit} ({week16['reason']})")
    computed = result["computed_outcome"]
    lines.append(f"computed outcome: {computed['outcome']} ({computed['reason']})")
    if result["evaluable"] is not None:
        lines.append(f"evaluable: {result['evaluable']['reason']}")
    for name in ("pfs", "os"):
        value = result[name]
        if value is not None:
            state = "event" if value["event"] else "censored"
            lines.append(f"{name.upper()}: {value['days']} days, {state} ({value['reason']})")
    lines += [f"note: {note}" for note in result["notes"]]
    return lines
