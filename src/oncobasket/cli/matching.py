"""``oncobasket match``: match profiles to the protocol's drugs and cohorts, or to MatchMiner CTML trials."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncobasket.cli.app import JsonOption, _warn, app, emit_json, emit_json_items, emit_table
from oncobasket.cli.profiles import MsiMinSitesOption, MsiUnstablePercentOption, TmbCutoffsOption, _profile_settings
from oncobasket.cli.protocol import OncotreeOption
from oncobasket.core.errors import InputError
from oncobasket.core.matching import PatientFacts
from oncobasket.core.profiles import GenomeBuild, ProfileSettings

if TYPE_CHECKING:
    from oncobasket.io.match_table import ClinicalRow


@app.command("match")
def match(  # noqa: PLR0917 - Typer maps each parameter to an option
    files: Annotated[list[Path], typer.Argument(help="CombinedVariantOutput files, TSO500 folders, VCF or MAF.")],
    tumour_type: Annotated[
        str | None,
        typer.Option("--tumour-type", help="The tumour's OncoTree code, e.g. CHOL (or per sample: --clinical)."),
    ] = None,
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
        typer.Option(
            "--ctml", help="Match against the MatchMiner CTML trials of this file (YAML/JSON) instead of the protocol."
        ),
    ] = None,
    clinical: Annotated[
        Path | None,
        typer.Option(
            "--clinical",
            help="TSV of sample_id, tumour_type, age or birth_date, sex, ecog, receptor statuses, signatures, tmb.",
        ),
    ] = None,
    tmb_cutoffs: TmbCutoffsOption = None,
    msi_min_sites: MsiMinSitesOption = None,
    msi_unstable_percent: MsiUnstablePercentOption = None,
) -> None:
    """Match each sample's profile to the protocol's drugs and cohorts, with the reasons."""
    from oncobasket.core.matching import compile_protocol, evaluate_profile
    from oncobasket.core.registry import parse_labs, parse_prior_therapies
    from oncobasket.core.validation import check_age
    from oncobasket.io.oncotree import load_tumour_types
    from oncobasket.io.protocol_file import default_protocol_path, load_protocol
    from oncobasket.io.readers import read_profiles

    if tumour_type is None and clinical is None:
        # A usage error (exit 2), as when the option was required: every sample needs a tumour type.
        raise typer.BadParameter(
            "give --tumour-type, or --clinical with a tumour_type per sample", param_hint="--tumour-type"
        )
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
    patient = (
        None
        if tumour_type is None
        else PatientFacts(
            tumour_type=tumour_type.strip().upper(),
            icd10=icd10,
            age=check_age(age) if age is not None else None,
            ecog=ecog,
            labs=dict(parse_labs(lab or [])),  # the one lab parser, shared with patient add and update
            prior_therapies=parse_prior_therapies(prior_therapy),
        )
    )
    patients = PatientTable(patient, _clinical_rows(clinical))
    if ctml is not None:
        _match_ctml(
            files, ctml, patients, settings, tumour_types, with_protocol=protocol_file is not None, as_json=as_json
        )
        return
    results = [
        evaluate_profile(item, patients.facts(item.sample_id), compiled, tumour_types)
        for item in read_profiles(files, settings)
    ]
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


def _clinical_rows(path: Path | None) -> dict[str, ClinicalRow]:
    from oncobasket.io.match_table import read_clinical_rows

    # The clinical table's birth dates are read against today: the only clock read, at the shell.
    return {} if path is None else read_clinical_rows(path, as_of=date.today())


@dataclass(frozen=True, slots=True)
class PatientTable:
    """The patient of each sample: its row of the --clinical table, else the one given by options."""

    default: PatientFacts | None
    rows: dict[str, ClinicalRow]

    def facts(self, sample_id: str) -> PatientFacts:
        row = self.rows.get(sample_id)
        if row is not None:
            return row.facts
        if self.default is None:
            raise InputError(
                f"sample '{sample_id}' has no row in the --clinical table and no --tumour-type was given",
                field="--clinical" if self.rows else "--tumour-type",
                fix="add the sample to the table, or give --tumour-type for samples without a row",
            )
        return self.default

    def markers(self, sample_id: str) -> dict[str, str]:
        row = self.rows.get(sample_id)
        return dict(row.markers) if row is not None else {}


def _match_ctml(
    files: list[Path],
    ctml: Path,
    patients: PatientTable,
    settings: ProfileSettings,
    tumour_types: Any,
    *,
    with_protocol: bool,
    as_json: bool,
) -> None:
    """``match --ctml``: the CTML trials' arms replace the protocol (docs/ctml.md); unsupported CTML keys
    are printed as warnings on stderr and listed under ``unsupported`` in the JSON. A file of several
    trials gives one result per sample and trial, samples first."""
    from oncobasket.io.ctml import CtmlMatcher, load_ctml_trials
    from oncobasket.io.readers import read_profiles

    if with_protocol:
        raise InputError(
            "--ctml matches against the CTML trial instead of the protocol",
            field="--protocol",
            fix="give either --ctml or --protocol",
        )
    trials = load_ctml_trials(ctml, tumour_types)
    for trial in trials:
        for item in trial.unsupported:
            sys.stderr.write(f"warning: {item}\n")
    matchers = [CtmlMatcher(trial, tumour_types) for trial in trials]
    results = [
        matcher.match(profile, patients.facts(profile.sample_id), patients.markers(profile.sample_id))
        for profile in read_profiles(files, settings)
        for matcher in matchers
    ]
    _warn([line for result in results for line in result.warnings])
    if as_json:
        emit_json_items(result.as_dict() for result in results)
        return
    for result in results:
        trial = result.trial
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
