"""The command line: Typer commands that parse options, call a service or reader, and print.

Contract (docs/cli.md, ARCHITECTURE.md): exit code 0 on success, 1 on bad input with a one-line
reason on stderr, 2 on a usage error. ``--json`` prints machine-readable output whose keys other
programs depend on: extend, never break.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from oncobasket.core.errors import OncoBasketError
from oncobasket.core.profiles import GenomeBuild, MolecularProfile, ProfileSettings

app = typer.Typer(
    name="oncobasket",
    help="Run a precision-cancer-medicine basket trial from TSO500 results to cohort decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Run a precision-cancer-medicine basket trial from TSO500 results to cohort decisions."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def emit_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (the only thing on stdout with ``--json``)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False))
    sys.stdout.write("\n")


def emit_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print a plain, aligned text table for people."""
    widths = [len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    line = "  ".join(header.ljust(widths[index]) for index, header in enumerate(headers))
    typer.echo(line.rstrip())
    typer.echo("  ".join("-" * width for width in widths))
    for row in rows:
        typer.echo("  ".join(cell.ljust(widths[index]) for index, cell in enumerate(row)).rstrip())


def _number(value: float | None, digits: int = 3) -> str:
    return "NA" if value is None else f"{value:.{digits}g}"


def _warn(lines: Sequence[str]) -> None:
    """Warnings go to stderr, once each, so that ``--json`` output stays clean."""
    for line in dict.fromkeys(lines):
        sys.stderr.write(f"warning: {line}\n")


# The laboratory's reporting rules for TMB classes and the MSI call (core.profiles; docs/cli.md).
TmbCutoffsOption = Annotated[
    str | None,
    typer.Option(
        "--tmb-cutoffs",
        metavar="LOW,HIGH",
        help="TMB classes in mut/Mb: low < LOW <= intermediate <= HIGH < high (default 5,20: InPreD Norway).",
    ),
]
MsiMinSitesOption = Annotated[
    int | None,
    typer.Option(
        "--msi-min-sites", help="Fewest usable MSI sites to call a status (default 40: InPreD Norway, TSO500)."
    ),
]
MsiUnstablePercentOption = Annotated[
    float | None,
    typer.Option(
        "--msi-unstable-percent",
        help="MSI-H when at least this percent of usable sites are unstable (default 20: TSO500 Local App).",
    ),
]


def _profile_settings(
    *,
    build: GenomeBuild | None,
    sample: str | None,
    purity: float | None = None,
    tmb_cutoffs: str | None = None,
    msi_min_sites: int | None = None,
    msi_unstable_percent: float | None = None,
) -> ProfileSettings:
    """Reader settings from the options; a bad threshold is a one-line input error (exit code 1)."""
    from oncobasket.core.errors import InputError
    from oncobasket.core.profiles import MsiThresholds, TmbThresholds

    tmb = TmbThresholds()
    if tmb_cutoffs is not None:
        try:
            tmb = TmbThresholds.parse(tmb_cutoffs)
        except ValueError as error:
            raise InputError(
                str(error),
                field="--tmb-cutoffs",
                fix="give LOW,HIGH in mutations/Mb with 0 <= LOW <= HIGH, e.g. --tmb-cutoffs 5,20 "
                "(InPreD Norway: low < 5, intermediate 5-20, high > 20)",
            ) from None
    msi = MsiThresholds()
    # One option at a time, so the error names the option whose value MsiThresholds refused.
    for option, change in (
        ("--msi-min-sites", {"min_usable_sites": msi_min_sites}),
        ("--msi-unstable-percent", {"msi_high_percent": msi_unstable_percent}),
    ):
        if None in change.values():
            continue
        try:
            msi = replace(msi, **change)
        except ValueError as error:
            raise InputError(
                str(error),
                field=option,
                fix="e.g. --msi-min-sites 40 (InPreD Norway: 40 of 130 loci) and --msi-unstable-percent 20 (TSO500)",
            ) from None
    return ProfileSettings(
        build=build, tumour_purity_percent=purity, sample_id=sample, tmb_thresholds=tmb, msi_thresholds=msi
    )


# ---------------------------------------------------------------------------------------------
# oncobasket profile
# ---------------------------------------------------------------------------------------------


@app.command()
def profile(  # noqa: PLR0917 - Typer maps each parameter to an option
    files: Annotated[list[Path], typer.Argument(help="CombinedVariantOutput files, TSO500 folders, VCF or MAF.")],
    sample: Annotated[str | None, typer.Option("--sample", help="Only this sample ID.")] = None,
    build: Annotated[
        GenomeBuild | None,
        typer.Option("--build", help="Genome build of the files (TSO500 Local App 2.x: GRCh37)."),
    ] = None,
    purity: Annotated[
        float | None,
        typer.Option("--purity", min=0.0, max=100.0, help="Tumour purity in percent, for copy-number estimates."),
    ] = None,
    as_json: JsonOption = False,
    tmb_cutoffs: TmbCutoffsOption = None,
    msi_min_sites: MsiMinSitesOption = None,
    msi_unstable_percent: MsiUnstablePercentOption = None,
) -> None:
    """Read molecular results and print each sample's normalised profile."""
    from oncobasket.io.readers import read_profiles

    settings = _profile_settings(
        build=build,
        sample=sample,
        purity=purity,
        tmb_cutoffs=tmb_cutoffs,
        msi_min_sites=msi_min_sites,
        msi_unstable_percent=msi_unstable_percent,
    )
    profiles = read_profiles(files, settings)
    if as_json:
        emit_json([item.as_dict() for item in profiles])
        return
    for item in profiles:
        _print_profile(item)


def _qc_text(passed: bool, judged: bool, failures: Sequence[str]) -> str:
    """QC in words; a result that came without QC metrics is "not judged", never "passed"."""
    if not passed:
        return "FAILED" + (": " + "; ".join(failures) if failures else "")
    return "passed" if judged else "not judged (no QC metrics with this result)"


def _print_profile(item: MolecularProfile) -> None:
    typer.echo(f"Sample {item.sample_id}" + (f" ({item.build})" if item.build else ""))
    if item.tmb is not None:
        note = "" if item.tmb.usable else f"  NOT USABLE: {item.tmb.unusable_reason}"
        typer.echo(f"  TMB  {round(item.tmb.per_mb, 2):g} mut/Mb ({item.tmb.tmb_class}){note}")
    else:
        typer.echo("  TMB  not reported")
    if item.msi is not None:
        note = "" if item.msi.usable else f"  NOT USABLE: {item.msi.unusable_reason}"
        typer.echo(
            f"  MSI  {item.msi.status} ({_number(item.msi.percent_unstable)} % of "
            f"{item.msi.usable_sites if item.msi.usable_sites is not None else 'NA'} usable sites unstable){note}"
        )
    else:
        typer.echo("  MSI  not reported")
    typer.echo("  QC   " + _qc_text(item.qc.passed, item.qc.judged, item.qc.failures))
    if item.alterations:
        rows = [
            [
                alteration.gene,
                str(alteration.kind),
                alteration.protein_change
                or ("-".join(alteration.genes) if len(alteration.genes) > 1 else alteration.coding_change or ""),
                alteration.exon or "",
                _number(alteration.vaf),
                "" if alteration.depth is None else str(alteration.depth),
                _number(alteration.fold_change),
                "" if alteration.usable else "not usable",
            ]
            for alteration in item.alterations
        ]
        emit_table(["gene", "kind", "change", "exon", "vaf", "depth", "fold", "note"], rows)
    else:
        typer.echo("  no reportable alterations")
    if item.filtered:
        typer.echo(f"  {len(item.filtered)} filtered (non-PASS) call(s) kept, not used for matching")
    for name in item.unknown_sections:
        typer.echo(f"  note: unknown section [{name}] kept as raw rows")
    for warning in item.warnings:
        typer.echo(f"  warning: {warning}")
    typer.echo("")


# ---------------------------------------------------------------------------------------------
# oncobasket simon design | evaluate  (area: Simon two-stage designs, core/simon.py)
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# The trial registry (area: registry; services.py, db/): trial init, patient, screen, mtb decide,
# consent, enrol, not-treated, outcome record, cohort list|show|pool, audit
# ---------------------------------------------------------------------------------------------

DatabaseUrlOption = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="ONCOBASKET_DATABASE_URL",
        help="The trial database: sqlite:///FILE (default sqlite:///oncobasket.db) or postgresql+psycopg://...",
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option("--user", envvar="ONCOBASKET_USER", help="Who acts, for the audit trail (default: your login)."),
]


def _registry(database_url: str, user: str | None) -> Any:
    """Open the registry with the acting user (``--user``, ONCOBASKET_USER, else the login name)."""
    import getpass

    from oncobasket.services import Registry, Settings, utc_now

    acting = user if user is not None else getpass.getuser()
    return Registry.open(Settings(database_url=database_url, user=acting, clock=utc_now))


_R = TypeVar("_R")


def _on_registry(database_url: str, user: str | None, service: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
    """Run one service on the registry and close it, also when the service fails (services own the transaction)."""
    registry = _registry(database_url, user)
    try:
        return service(registry, *args, **kwargs)
    finally:
        registry.close()


def _transition_lines(result: dict[str, Any]) -> list[str]:
    """One line per cohort status change a command caused (its ``transitions``)."""
    return [f"cohort {t['from']} -> {t['to']}: {t['reason']}" for t in result["transitions"]]


def _emit_registry(value: Any, as_json: bool, lines: list[str]) -> None:
    if as_json:
        emit_json(value)
        return
    for line in lines:
        typer.echo(line)


trial_app = typer.Typer(help="Create and migrate the trial database.", no_args_is_help=True)
app.add_typer(trial_app, name="trial")
patient_app = typer.Typer(help="Register and show patients (pseudonymous study IDs only).", no_args_is_help=True)
app.add_typer(patient_app, name="patient")
mtb_app = typer.Typer(help="Record molecular tumour board decisions.", no_args_is_help=True)
app.add_typer(mtb_app, name="mtb")
cohort_app = typer.Typer(help="List, show and pool cohorts.", no_args_is_help=True)
app.add_typer(cohort_app, name="cohort")
outcome_app = typer.Typer(help="Record week-16 outcomes for the cohort rule.", no_args_is_help=True)
app.add_typer(outcome_app, name="outcome")


@trial_app.command("init")
def trial_init(
    protocol_file: Annotated[
        Path | None, typer.Option("--protocol", help="Protocol YAML (default: the shipped example protocol).")
    ] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or migrate the trial database and load the protocol (its version and checksum are stored)."""
    from oncobasket.services import init_trial

    result = _on_registry(database_url, user, init_trial, protocol_file)
    protocol_info = result["protocol"]
    lines = [
        f"database {result['database']} at schema revision {result['schema_revision']}",
        f"protocol {protocol_info['name']} version {protocol_info['version']} "
        f"(sha256 {protocol_info['sha256'][:12]}...)" + ("" if result["protocol_loaded"] else " already loaded"),
    ]
    lines += [f"slot budget {b['name']}: {b['left']} of {b['total']} left" for b in result["slot_budgets"]]
    _emit_registry(result, as_json, lines)


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
    _emit_registry(result, as_json, lines)


def screen(  # noqa: PLR0917 - Typer maps each parameter to an option
    files: Annotated[list[Path], typer.Argument(help="TSO500 output, VCF or MAF of the patient's tumour.")],
    patient: Annotated[str | None, typer.Option("--patient", help="Study ID to screen (stores the result).")] = None,
    sample: Annotated[str | None, typer.Option("--sample", help="The sample ID, when the files hold several.")] = None,
    build: Annotated[GenomeBuild | None, typer.Option("--build", help="Genome build of the files.")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Batch: write every match of every profile to this table.")
    ] = None,
    tumour_type: Annotated[
        str | None, typer.Option("--tumour-type", help="Batch: OncoTree code for samples the --clinical table lacks.")
    ] = None,
    clinical: Annotated[
        Path | None, typer.Option("--clinical", help="Batch: TSV of sample_id, tumour_type, age, ecog.")
    ] = None,
    protocol_file: Annotated[
        Path | None, typer.Option("--protocol", help="Batch: protocol YAML (default: the shipped protocol).")
    ] = None,
    table_format: Annotated[str, typer.Option("--format", help="Batch: table format, tsv or parquet.")] = "tsv",
    oncotree: Annotated[
        Path | None, typer.Option("--oncotree", help="Batch: a full OncoTree JSON (default: the shipped subset).")
    ] = None,
    tmb_cutoffs: TmbCutoffsOption = None,
    msi_min_sites: MsiMinSitesOption = None,
    msi_unstable_percent: MsiUnstablePercentOption = None,
) -> None:
    """Screen a patient's molecular profile against the protocol and store it with its matches.

    Without --patient: batch re-screening of many profiles (a folder of results or a multi-sample MAF),
    every match written to --out (docs/screening.md).
    """
    settings = _profile_settings(
        build=build,
        sample=sample,
        tmb_cutoffs=tmb_cutoffs,
        msi_min_sites=msi_min_sites,
        msi_unstable_percent=msi_unstable_percent,
    )
    if patient is None:
        batch = BatchOptions(out, tumour_type, clinical, protocol_file, table_format, oncotree)
        _screen_batch(files, batch, settings, as_json=as_json)
        return
    _screen_patient(files, patient, settings=settings, database_url=database_url, user=user, as_json=as_json)


def _screen_patient(
    files: list[Path],
    study_id: str,
    *,
    settings: ProfileSettings,
    database_url: str,
    user: str | None,
    as_json: bool,
) -> None:
    from oncobasket.services import screen_patient

    result = _on_registry(database_url, user, screen_patient, study_id, files, settings)
    lines = [
        f"screened {result['study_id']}: sample {result['sample_id']}, QC "
        + _qc_text(result["qc"]["passed"], result["qc"].get("judged", True), ())
        + f", protocol {result['protocol_version']}"
    ]
    lines += [
        f"  {m['drug']}  {m['biomarker']}  {m['cohort'] or 'on-label'}  "
        + str(m.get("eligibility", "eligible" if m["eligible"] else "not eligible")).replace("_", " ")
        for m in result["matches"]
    ] or ["  no matches"]
    _warn(result["warnings"])
    _emit_registry(result, as_json, lines)


app.command("screen")(screen)


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
    correct: Annotated[
        bool,
        typer.Option("--correct", help="Correct the recorded outcome (needs --reason; the earlier value is kept)."),
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="With --correct: why it is corrected.")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a patient's week-16 outcome (benefit = CR, PR or SD) and apply the cohort's two-stage rule."""
    from oncobasket.core.registry import correction_reason, parse_outcome
    from oncobasket.services import record_outcome

    result_of_w16 = parse_outcome(outcome)
    why = correction_reason(correct=correct, reason=reason)
    result = _on_registry(database_url, user, record_outcome, study_id, result_of_w16, correction_reason=why)
    lines = [f"{result['study_id']}: {result['outcome']} in {result['cohort']} (cohort {result['cohort_status']})"]
    if result["corrected"]:
        lines[0] += f"; corrected from {result['previous_outcome']}: {result['correction_reason']}"
    lines += _transition_lines(result)
    _emit_registry(result, as_json, lines)


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


def _clip(text: str, width: int = 100) -> str:
    """Shorten a long value for the people's table (``--json`` prints it whole)."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _emit_cohort_step(result: dict[str, Any], as_json: bool) -> None:
    lines = [f"cohort {result['cohort']}: {result['cohort_status']}"]
    lines += _transition_lines(result)
    _emit_registry(result, as_json, lines)


@app.command("audit")
def audit(
    patient: Annotated[str | None, typer.Option("--patient", help="Only this study ID's events.")] = None,
    database_url: DatabaseUrlOption = "sqlite:///oncobasket.db",
    user: UserOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the append-only audit trail: who did what, when, before and after."""
    from oncobasket.services import audit_trail

    result = _on_registry(database_url, user, audit_trail, patient)
    if as_json:
        emit_json(result)
        return
    emit_table(
        ["at", "actor", "action", "study_id", "before", "after"],
        [
            [
                e["at"][:19],
                e["actor"],
                e["action"],
                e["study_id"] or "",
                _clip(json.dumps(e["before"], ensure_ascii=False), 60) if e["before"] is not None else "-",
                _clip(json.dumps(e["after"], ensure_ascii=False), 80) if e["after"] is not None else "-",
            ]
            for e in result
        ],
    )


# ---------------------------------------------------------------------------------------------
# oncobasket protocol check | oncobasket match  (area: the protocol file and the matching engine,
# core/protocol.py, core/matching.py, io/protocol_file.py, io/oncotree.py)
# ---------------------------------------------------------------------------------------------

protocol_app = typer.Typer(help="Validate and inspect trial protocol files.", no_args_is_help=True)
app.add_typer(protocol_app, name="protocol")

OncotreeOption = Annotated[
    Path | None,
    typer.Option("--oncotree", help="A full OncoTree JSON (default: the tumour types OncoBasket ships)."),
]


@protocol_app.command("check")
def protocol_check(
    file: Annotated[Path, typer.Argument(help="The protocol YAML file to validate.")],
    oncotree: OncotreeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a protocol file; print its summary, or the one-line error with file, line and YAML path."""
    from oncobasket.io.oncotree import load_tumour_types
    from oncobasket.io.protocol_file import load_protocol, summarise

    summary = summarise(load_protocol(file, load_tumour_types(oncotree)))
    _warn(summary["warnings"])
    if as_json:
        emit_json({"valid": True, **summary})
        return
    typer.echo(
        f"{file}: valid protocol '{summary['name']}' version {summary['version']} ({summary['authority']} labels)"
    )
    typer.echo(f"  drugs: {summary['drugs']} ({summary['profiles']} drug-biomarker profiles)")
    typer.echo(
        f"  biomarker rules: {summary['biomarkers']}; rule leaves: "
        + ", ".join(f"{kind} {count}" for kind, count in summary["rule_kinds"].items())
    )
    typer.echo(f"  tumour groups: {len(summary['tumour_groups'])} ({', '.join(summary['tumour_groups'])})")
    typer.echo(f"  on-label indications: {summary['on_label_indications']}; agreements: {summary['agreements']}")
    rule = summary["cohort_rule"]
    typer.echo(f"  cohort rule: r1={rule['r1']} n1={rule['n1']} r={rule['r']} n={rule['n']}")


@app.command("match")
def match(  # noqa: PLR0917 - Typer maps each parameter to an option
    files: Annotated[list[Path], typer.Argument(help="CombinedVariantOutput files, TSO500 folders, VCF or MAF.")],
    tumour_type: Annotated[str, typer.Option("--tumour-type", help="The tumour's OncoTree code, e.g. CHOL.")],
    age: Annotated[float | None, typer.Option("--age", min=0, help="Age in years.")] = None,
    ecog: Annotated[int | None, typer.Option("--ecog", min=0, max=5, help="ECOG performance status.")] = None,
    protocol_file: Annotated[
        Path | None, typer.Option("--protocol", help="Protocol YAML (default: the shipped example protocol).")
    ] = None,
    lab: Annotated[
        list[str] | None,
        typer.Option("--lab", help="A laboratory value NAME=VALUE (anc, platelets, haemoglobin, bilirubin_uln, ...)."),
    ] = None,
    prior_therapy: Annotated[
        list[str] | None,
        typer.Option("--prior-therapy", help="A prior therapy (generic name); 'none' when there was none."),
    ] = None,
    icd10: Annotated[str | None, typer.Option("--icd10", help="ICD-10 code of the tumour.")] = None,
    sample: Annotated[str | None, typer.Option("--sample", help="Only this sample ID.")] = None,
    build: Annotated[GenomeBuild | None, typer.Option("--build", help="Genome build of the files.")] = None,
    purity: Annotated[
        float | None, typer.Option("--purity", min=0.0, max=100.0, help="Tumour purity in percent.")
    ] = None,
    oncotree: OncotreeOption = None,
    as_json: JsonOption = False,
    ctml: Annotated[
        Path | None,
        typer.Option("--ctml", help="Match against this MatchMiner CTML trial (YAML/JSON) instead of the protocol."),
    ] = None,
    tmb_cutoffs: TmbCutoffsOption = None,
    msi_min_sites: MsiMinSitesOption = None,
    msi_unstable_percent: MsiUnstablePercentOption = None,
) -> None:
    """Match each sample's profile to the protocol's drugs and cohorts, with the reasons."""
    from oncobasket.core.matching import PatientFacts, compile_protocol, evaluate_profile
    from oncobasket.core.registry import parse_labs, parse_prior_therapies
    from oncobasket.io.oncotree import load_tumour_types
    from oncobasket.io.protocol_file import default_protocol_path, load_protocol
    from oncobasket.io.readers import read_profiles

    settings = _profile_settings(
        build=build,
        sample=sample,
        purity=purity,
        tmb_cutoffs=tmb_cutoffs,
        msi_min_sites=msi_min_sites,
        msi_unstable_percent=msi_unstable_percent,
    )
    tumour_types = load_tumour_types(oncotree)
    loaded = load_protocol(protocol_file or default_protocol_path(), tumour_types)
    compiled = compile_protocol(loaded)
    patient = PatientFacts(
        tumour_type=tumour_type.strip().upper(),
        icd10=icd10,
        age=age,
        ecog=ecog,
        labs=dict(parse_labs(lab or [])),  # the one lab parser, shared with patient add and update
        prior_therapies=parse_prior_therapies(prior_therapy),
    )
    if ctml is not None:
        _match_ctml(
            files, ctml, patient, settings, tumour_types, with_protocol=protocol_file is not None, as_json=as_json
        )
        return
    results = [evaluate_profile(item, patient, compiled, tumour_types) for item in read_profiles(files, settings)]
    _warn([*loaded.warnings, *(line for result in results for line in result.warnings)])
    if as_json:
        emit_json([result.as_dict() for result in results])
        return
    for result in results:
        entered = result.entered_tumour_type
        entered = f", entered as {entered}" if entered != result.tumour_type else ""
        typer.echo(f"Sample {result.sample_id}: {result.tumour_type}{entered} (tumour group {result.tumour_group})")
        if result.matches:
            emit_table(
                ["drug", "biomarker", "cohort", "evidence", "eligibility"],
                [
                    [
                        item.drug,
                        item.biomarker,
                        item.cohort or "on-label: standard treatment",
                        str(item.evidence),
                        str(item.eligibility),
                    ]
                    for item in result.matches
                ],
            )
            for item in result.matches:
                typer.echo(f"  {item.drug} / {item.biomarker}:")
                for reason in item.reasons:
                    typer.echo(f"    - {reason}")
        else:
            typer.echo("  no matches")
        for note in result.notes:
            typer.echo(f"  note: {note}")
        typer.echo("")


# ---------------------------------------------------------------------------------------------
# oncobasket screen (batch branch) | oncobasket match --ctml  (area: batch re-screening and CTML
# import; core/screening.py, io/match_table.py, io/ctml.py)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """The batch-only options of ``screen`` (the --patient path ignores them)."""

    out: Path | None
    tumour_type: str | None
    clinical: Path | None
    protocol_file: Path | None
    table_format: str
    oncotree: Path | None = None


def _screen_batch(files: list[Path], options: BatchOptions, settings: ProfileSettings, *, as_json: bool) -> None:
    """Re-screen many profiles at once; tumour types from --clinical, else the MAF's ONCOTREE_CODE, else
    --tumour-type."""
    import time

    from oncobasket.core.errors import InputError
    from oncobasket.core.matching import PatientFacts
    from oncobasket.core.screening import screen_profiles
    from oncobasket.io.match_table import TableFormat, read_clinical_table, read_maf_tumour_types, write_matches
    from oncobasket.io.oncotree import load_tumour_types
    from oncobasket.io.protocol_file import default_protocol_path, load_protocol
    from oncobasket.io.readers import read_profiles, sniff

    if options.out is None:
        raise InputError(
            "batch screening (no --patient) needs --out FILE for the match table",
            field="--out",
            fix="give --out matches.tsv, or --patient STUDY_ID to screen one registered patient",
        )
    formats = [item.value for item in TableFormat]
    if options.table_format not in formats:
        raise InputError(
            f"unknown table format '{options.table_format}'", field="--format", fix=f"use {' or '.join(formats)}"
        )
    started = time.perf_counter()
    tumour_types = load_tumour_types(options.oncotree)
    protocol = load_protocol(options.protocol_file or default_protocol_path(), tumour_types)
    profiles = read_profiles(files, settings)
    clinical = read_clinical_table(options.clinical) if options.clinical is not None else {}
    maf_codes: dict[str, str] = {}
    for path in files:
        if not path.is_dir() and sniff(path) == "maf":
            maf_codes.update(read_maf_tumour_types(path))
    default_type = options.tumour_type.strip().upper() if options.tumour_type else None
    patients: dict[str, PatientFacts] = {}
    for item in profiles:
        facts = clinical.get(item.sample_id)
        code = maf_codes.get(item.sample_id, default_type)
        if facts is None and code is not None:
            facts = PatientFacts(tumour_type=code)
        if facts is not None:
            patients[item.sample_id] = facts
    result = screen_profiles(profiles, patients, protocol, tumour_types)
    write_matches(result.matches, options.out, TableFormat(options.table_format))
    _warn([*protocol.warnings, *result.warnings])
    summary = {
        **result.summary(),
        "warnings": list(result.warnings),
        "seconds": round(time.perf_counter() - started, 3),
        "out": str(options.out),
        "format": options.table_format,
        "protocol": f"{protocol.name} {protocol.version}",
    }
    if as_json:
        emit_json(summary)
        return
    typer.echo(
        f"screened {summary['profiles']} profiles ({summary['alterations']} alterations) against "
        f"{summary['protocol']}: {summary['matches']} matches in {summary['samples_with_matches']} samples, "
        f"{summary['seconds']:.2f} s -> {options.out}"
    )


def _match_ctml(
    files: list[Path],
    ctml: Path,
    patient: Any,
    settings: ProfileSettings,
    tumour_types: Any,
    *,
    with_protocol: bool,
    as_json: bool,
) -> None:
    """``match --ctml``: the CTML trial's arms replace the protocol (docs/ctml.md); unsupported CTML keys
    are printed as warnings on stderr and listed under ``unsupported`` in the JSON."""
    from oncobasket.core.errors import InputError
    from oncobasket.io.ctml import load_ctml, match_ctml
    from oncobasket.io.readers import read_profiles

    if with_protocol:
        raise InputError(
            "--ctml matches against the CTML trial instead of the protocol",
            field="--protocol",
            fix="give either --ctml or --protocol",
        )
    trial = load_ctml(ctml, tumour_types)
    for item in trial.unsupported:
        sys.stderr.write(f"warning: {item}\n")
    results = [match_ctml(item, patient, trial, tumour_types) for item in read_profiles(files, settings)]
    _warn([line for result in results for line in result.warnings])
    if as_json:
        emit_json([result.as_dict() for result in results])
        return
    for result in results:
        title = f" ({trial.title})" if trial.title else ""
        typer.echo(f"Sample {result.sample_id}: {result.tumour_type} against CTML trial {trial.trial_id}{title}")
        if result.matches:
            emit_table(
                ["drug", "arm", "biomarker", "eligibility"],
                [
                    [found.match.drug, found.arm.label, found.match.biomarker, str(found.match.eligibility)]
                    for found in result.matches
                ],
            )
            for found in result.matches:
                typer.echo(f"  {found.match.drug} / {found.arm.label}:")
                for reason in found.match.reasons:
                    typer.echo(f"    - {reason}")
        else:
            typer.echo("  no matching arm")
        for note in result.notes:
            typer.echo(f"  note: {note}")
        typer.echo("")


# ---------------------------------------------------------------------------------------------
# oncobasket demo: the trial flow on the bundled examples
# ---------------------------------------------------------------------------------------------

_DEMO_LABS = (
    "--lab anc=2.1 --lab platelets=210 --lab haemoglobin=11.8 --lab bilirubin_uln=0.8 --lab alt_uln=1.2 "
    "--lab ast_uln=1.1 --lab creatinine_clearance=78"
)

#: The scripted session: what a coordinator types from sequencing result to cohort decision. Each step is
#: a title (empty: same section) and a command line; {run}, {examples}, {workdir}, {db} and {labs} are
#: filled in by :func:`_demo_steps`.
_DEMO_SCRIPT: tuple[tuple[str, str], ...] = (
    ("1. Read a TSO500 run folder: profiles, TMB, MSI and QC from MetricsOutput.tsv", "profile {run}"),
    (
        "2. Match one patient's result to the protocol's drugs and cohorts, with reasons",
        "match {run}/Results/OB-0001 --tumour-type CHOL --age 62 --ecog 1",
    ),
    (
        "3. Re-screen every bundled result at once (rules evaluated over columns)",
        "screen {examples}/tso500 {examples}/vcf/OB-0101.vcf {examples}/maf/OB-study.maf"
        " --clinical {examples}/clinical.tsv --out {workdir}/matches.tsv",
    ),
    (
        "4. The cohort rule 0/8, 4/24 at p0 = 10 % and p1 = 30 %, and Simon's designs for comparison",
        "simon evaluate --r1 0 --n1 8 --r 4 --n 24 --p 0.1 --p 0.3",
    ),
    ("", "simon design --p0 0.1 --p1 0.3 --alpha 0.05 --beta 0.2"),
    ("5. Create the trial registry from the default protocol", "trial init {db}"),
    (
        "6. Register patients (pseudonymous study IDs) and store their screenings",
        "patient add OB-0001 --site OUS --sex U --birth-year 1964 --tumour-type CHOL --icd10 C22.1 --ecog 1"
        " {labs} --prior-lines 2 --prior-therapy gemcitabine --prior-therapy cisplatin {db}",
    ),
    ("", "screen {run}/Results/OB-0001 --patient OB-0001 {db}"),
    (
        "",
        "patient add OB-0002 --site OUS --sex U --birth-year 1968 --tumour-type LUAD --icd10 C34.1 --ecog 0"
        " {labs} --prior-lines 1 --prior-therapy carboplatin --prior-therapy pemetrexed {db}",
    ),
    ("", "screen {run}/Results/OB-0002 --patient OB-0002 {db}"),
    (
        "",
        "patient add OB-0004 --site HUS --sex U --birth-year 1960 --tumour-type BRCA --icd10 C50.9 --ecog 2"
        " {labs} --prior-lines 3 --prior-therapy paclitaxel {db}",
    ),
    ("", "screen {run}/Results/OB-0004 --patient OB-0004 {db}"),
    (
        "",
        "patient add OB-0006 --site STO --sex U --birth-year 1962 --tumour-type PAAD --icd10 C25.0 --ecog 1"
        " {labs} --prior-lines 2 --prior-therapy gemcitabine --prior-therapy nab-paclitaxel {db}",
    ),
    ("", "screen {examples}/tso500/dragen/OB-0006_CombinedVariantOutput.tsv --patient OB-0006 {db}"),
    (
        "",
        "patient add OB-0501 --site UNN --sex U --birth-year 1958 --tumour-type PAAD --icd10 C25.0 --ecog 1"
        " {labs} --prior-lines 2 --prior-therapy folfirinox {db}",
    ),
    ("", "screen {examples}/maf/OB-study.maf --sample OB-0501 --patient OB-0501 {db}"),
    (
        "7. Tumour-board decisions (A trial match, C standard care, D no proposal)",
        "mtb decide OB-0001 --decision A --drug dabrafenib+trametinib --biomarker 'BRAF V600 mutation'"
        " --rationale 'BRAF V600E; no standard option left' --meeting-date 2026-02-03 {db}",
    ),
    (
        "",
        "mtb decide OB-0002 --decision C --option standard_care"
        " --rationale 'KIF5B-RET fusion: selpercatinib is standard care' --meeting-date 2026-02-03 {db}",
    ),
    (
        "",
        "mtb decide OB-0004 --decision D --rationale 'sequencing failed QC; new biopsy advised'"
        " --meeting-date 2026-02-03 {db}",
    ),
    (
        "",
        "mtb decide OB-0006 --decision A --drug tepotinib --biomarker 'MET exon 14 skipping'"
        " --rationale 'MET exon 14 skipping' --meeting-date 2026-02-03 {db}",
    ),
    (
        "",
        "mtb decide OB-0501 --decision A --drug alpelisib --biomarker 'PIK3CA activating mutation'"
        " --rationale 'PIK3CA H1047R' --meeting-date 2026-02-03 {db}",
    ),
    ("8. Consent and enrolment under each cohort's two-stage rule", "consent OB-0001 --date 2026-02-05 {db}"),
    ("", "enrol OB-0001 {db}"),
    ("", "consent OB-0006 --date 2026-02-06 {db}"),
    ("", "enrol OB-0006 {db}"),
    ("", "not-treated OB-0501 --reason deteriorated --note 'performance status fell before consent' {db}"),
    ("9. A week-16 benefit in stage 1 opens stage 2 at once", "outcome record OB-0001 --outcome benefit {db}"),
    ("10. Where every cohort stands", "cohort list {db}"),
    ("", "cohort show 1 {db}"),
    ("11. The audit trail of one patient", "audit --patient OB-0001 {db}"),
)


def _demo_steps(examples: Path, workdir: Path) -> list[tuple[str, str, list[str]]]:
    """The demo script with its paths filled in: (title, command as shown, arguments)."""
    import shlex

    values = {
        "run": shlex.quote(str(examples / "tso500" / "run_2026-01")),
        "examples": shlex.quote(str(examples)),
        "workdir": shlex.quote(str(workdir)),
        "db": f"--database-url {shlex.quote('sqlite:///' + str(workdir / 'trial.db'))} --user demo-coordinator",
        "labs": _DEMO_LABS,
    }
    # Shown with the examples folder shortened; everything else as it is run.
    shown_values = {**values, "run": "examples/tso500/run_2026-01", "examples": "examples"}
    return [
        (title, command.format(**shown_values), shlex.split(command.format(**values)))
        for title, command in _DEMO_SCRIPT
    ]


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Folder for the demo's database and tables (emptied first).")
    ] = Path("demo-output"),
) -> None:
    """Run the trial flow on the bundled example results, printing each command and its output."""
    import shutil
    from importlib.resources import as_file, files

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    with as_file(files("oncobasket") / "data" / "examples") as examples:
        for title, shown, arguments in _demo_steps(Path(examples), workdir):
            if title:
                typer.echo(f"\n== {title}")
            typer.echo(f"$ oncobasket {shown}")
            app(arguments, standalone_mode=False)
    typer.echo(f"\nThe demo's registry is {workdir / 'trial.db'}; its batch screen is {workdir / 'matches.tsv'}.")


def main() -> None:
    """Entry point: run the app, turning OncoBasket errors into one line on stderr and exit code 1."""
    try:
        app(standalone_mode=False)
    except OncoBasketError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(1) from None
    except typer.Exit as stop:
        raise SystemExit(stop.exit_code) from None
    except typer.Abort:
        sys.stderr.write("aborted\n")
        raise SystemExit(1) from None
    except Exception as error:
        # Typer >= 0.20 raises its vendored copy of click's exceptions (typer._click), which are not
        # click's classes: match them by class name so usage errors still exit with code 2.
        names = {base.__name__ for base in type(error).__mro__}
        show = getattr(error, "show", None)
        if "UsageError" in names and callable(show):
            show()
            raise SystemExit(2) from None
        if "ClickException" in names and callable(show):
            show()
            raise SystemExit(1) from None
        raise


if __name__ == "__main__":
    main()
