"""``oncobasket screen``: screen a registered patient, or re-screen many profiles at once into a match table."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from oncobasket.cli.app import (
    DatabaseUrlOption,
    JsonOption,
    UserOption,
    _emit_registry,
    _on_registry,
    _warn,
    app,
    emit_json,
)
from oncobasket.cli.profiles import (
    MsiMinSitesOption,
    MsiUnstablePercentOption,
    TmbCutoffsOption,
    _profile_settings,
    _qc_text,
)
from oncobasket.core.profiles import GenomeBuild, ProfileSettings

if TYPE_CHECKING:
    from oncobasket.core.tumour_types import TumourTypes


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
    ctml: Annotated[
        Path | None,
        typer.Option("--ctml", help="Batch: re-match against every MatchMiner CTML trial of this directory or file."),
    ] = None,
    tmb_cutoffs: TmbCutoffsOption = None,
    msi_min_sites: MsiMinSitesOption = None,
    msi_unstable_percent: MsiUnstablePercentOption = None,
    force: Annotated[bool, typer.Option("--force", help="Batch: replace the --out table if it exists.")] = False,
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
        batch = BatchOptions(out, tumour_type, clinical, protocol_file, table_format, oncotree, ctml, force)
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


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """The batch-only options of ``screen`` (the --patient path ignores them)."""

    out: Path | None
    tumour_type: str | None
    clinical: Path | None
    protocol_file: Path | None
    table_format: str
    oncotree: Path | None = None
    ctml: Path | None = None
    force: bool = False


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
    if options.ctml is not None:
        _screen_ctml(files, options, settings, tumour_types, as_json=as_json, started=started)
        return
    protocol = load_protocol(options.protocol_file or default_protocol_path(), tumour_types)
    profiles = read_profiles(files, settings)
    # A birth_date column is read against today: the clock is read here, in the shell.
    today = date.today()
    clinical = read_clinical_table(options.clinical, as_of=today) if options.clinical is not None else {}
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
    write_matches(result.matches, options.out, TableFormat(options.table_format), replace=options.force)
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


def _screen_ctml(
    files: list[Path],
    options: BatchOptions,
    settings: ProfileSettings,
    tumour_types: TumourTypes,
    *,
    as_json: bool,
    started: float,
) -> None:
    """``screen --ctml DIR``: every profile against every CTML trial of DIR at once, compiled into columns
    (io/ctml/columns.py), one match table (docs/ctml.md).
    Patients as for the protocol re-screen: the --clinical row (with its markers), else the MAF's
    ONCOTREE_CODE, else --tumour-type; a sample with none is an error naming it."""
    import time

    from oncobasket.core.errors import InputError
    from oncobasket.core.matching import PatientFacts
    from oncobasket.io.ctml.columns import screen_ctml
    from oncobasket.io.ctml.table import column_match_table, load_ctml_directory
    from oncobasket.io.match_table import TableFormat, read_clinical_rows, read_maf_tumour_types, write_matches
    from oncobasket.io.readers import read_profiles, sniff

    if options.protocol_file is not None:
        raise InputError(
            "--ctml re-matches against the CTML trials instead of the protocol",
            field="--protocol",
            fix="give either --ctml or --protocol",
        )
    if options.out is None or options.ctml is None:
        raise InputError("--ctml needs --out FILE", field="--out", fix="give --out matches.tsv")
    trials = load_ctml_directory(options.ctml, tumour_types)
    for trial in trials:
        for item in trial.unsupported:
            sys.stderr.write(f"warning: {trial.trial_id}: {item}\n")
    profiles = read_profiles(files, settings)
    rows = read_clinical_rows(options.clinical, as_of=date.today()) if options.clinical is not None else {}
    maf_codes: dict[str, str] = {}
    for path in files:
        if not path.is_dir() and sniff(path) == "maf":
            maf_codes.update(read_maf_tumour_types(path))
    default_type = options.tumour_type.strip().upper() if options.tumour_type else None
    missing = [
        item.sample_id
        for item in profiles
        if item.sample_id not in rows and item.sample_id not in maf_codes and default_type is None
    ]
    if missing:
        raise InputError(
            f"{len(missing)} sample(s) without a tumour type: {', '.join(missing[:10])}",
            field="tumour type",
            fix="give --tumour-type CODE, a --clinical TSV with sample_id and tumour_type, or a MAF ONCOTREE_CODE",
        )
    patients: dict[str, PatientFacts] = {}
    markers: dict[str, dict[str, str]] = {}
    for profile in profiles:
        row = rows.get(profile.sample_id)
        if row is not None:
            patients[profile.sample_id] = row.facts
            markers[profile.sample_id] = dict(row.markers)
        else:
            code = maf_codes.get(profile.sample_id, default_type or "")
            patients[profile.sample_id] = PatientFacts(tumour_type=code)
    found = screen_ctml(profiles, patients, trials, tumour_types, markers)
    entered = {sample: facts.tumour_type.upper() for sample, facts in patients.items()}
    matches = column_match_table(found, trials, entered)
    write_matches(matches, options.out, TableFormat(options.table_format), replace=options.force)
    _warn([warning for trial in trials for warning in trial.warnings])
    summary = {
        "profiles": len(profiles),
        "trials": len(trials),
        "matches": matches.height,
        "samples_with_matches": matches.get_column("sample_id").n_unique(),
        "seconds": round(time.perf_counter() - started, 3),
        "out": str(options.out),
        "format": options.table_format,
    }
    if as_json:
        emit_json(summary)
        return
    typer.echo(
        f"re-matched {summary['profiles']} profiles against {summary['trials']} CTML trials: "
        f"{summary['matches']} matches in {summary['samples_with_matches']} samples, "
        f"{summary['seconds']:.2f} s -> {options.out}"
    )
