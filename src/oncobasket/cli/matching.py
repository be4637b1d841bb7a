"""``oncobasket match``: match profiles to the protocol's drugs and cohorts, or to MatchMiner CTML trials."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from oncobasket.cli.app import JsonOption, _warn, app, emit_json, emit_table
from oncobasket.cli.profiles import MsiMinSitesOption, MsiUnstablePercentOption, TmbCutoffsOption, _profile_settings
from oncobasket.cli.protocol import OncotreeOption
from oncobasket.core.profiles import GenomeBuild, ProfileSettings


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
