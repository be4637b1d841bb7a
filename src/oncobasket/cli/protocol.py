"""``oncobasket protocol check``: validate trial protocol files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import JsonOption, _warn, app, emit_json

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
