"""``oncobasket demo``: the trial flow on the bundled example results."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from oncobasket.cli.app import app

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
    (
        "9. Treatment: cycle 1 day 1 with the doses given, later cycles (a dose reduction), an adverse event",
        "treatment start OB-0001 --date 2026-02-10 --dose 'dabrafenib=150 mg' --dose 'trametinib=2 mg' {db}",
    ),
    ("", "treatment cycle OB-0001 --date 2026-03-10 {db}"),
    (
        "",
        "ae add OB-0001 --term Fever --grade 2 --start 2026-03-24 --end 2026-03-27"
        " --related dabrafenib=probable --related trametinib=possible --outcome recovered {db}",
    ),
    (
        "",
        "treatment cycle OB-0001 --date 2026-04-07 --dose 'dabrafenib=100 mg' --dose-change reduced"
        " --dose-change-reason 'recurrent grade 2 fever' {db}",
    ),
    ("", "treatment start OB-0006 --date 2026-02-12 --dose 'tepotinib=450 mg' {db}"),
    (
        "10. RECIST 1.1 computed from the measurements, every step with its rule (no database needed)",
        "recist evaluate {examples}/assessments/OB-0001.json",
    ),
    (
        "11. Recording the assessments computes week 16: early progression is no benefit; a PR at week 16 is"
        " benefit and opens stage 2 at once",
        "assess OB-0006 --file {examples}/assessments/OB-0006.json {db}",
    ),
    ("", "assess OB-0001 --file {examples}/assessments/OB-0001.json {db}"),
    ("", "patient show OB-0001 {db}"),
    ("12. Where every cohort stands", "cohort list {db}"),
    ("", "cohort show 1 {db}"),
    ("13. The audit trail of one patient", "audit --patient OB-0001 {db}"),
    (
        "14. The analysis dataset as the registry stands today, the endpoints with exact intervals, the trial report",
        "export analysis --as-of {today} --out {workdir}/analysis.csv {db}",
    ),
    ("", "endpoints --as-of {today} {db}"),
    ("", "report --as-of {today} --out {workdir}/report {db}"),
    ("15. The tumour board's report of one patient", "report patient OB-0001 --out {workdir}/report {db}"),
    (
        "16. A synthetic trial of 300 patients written through the same services into a second registry"
        " (study IDs SYN-..., every page marked synthetic), and its trial report",
        "simulate trial --patients {simulated_patients} --seed 2026 --months 30 {simulated_db}",
    ),
    ("", "report --as-of {today} --out {workdir}/simulated-report {simulated_db}"),
)

#: Patients of the demo's synthetic trial: enough for every report section, few enough for a 2-minute demo.
SIMULATED_PATIENTS = 300


def _demo_steps(examples: Path, workdir: Path) -> list[tuple[str, str, list[str]]]:
    """The demo script with its paths filled in: (title, command as shown, arguments)."""
    import shlex

    values = {
        "run": shlex.quote(str(examples / "tso500" / "run_2026-01")),
        "examples": shlex.quote(str(examples)),
        "workdir": shlex.quote(str(workdir)),
        "db": f"--database-url {shlex.quote('sqlite:///' + str(workdir / 'trial.db'))} --user demo-coordinator",
        "labs": _DEMO_LABS,
        "simulated_db": f"--database-url {shlex.quote('sqlite:///' + str(workdir / 'simulated.db'))}"
        " --user demo-coordinator",
        "simulated_patients": str(SIMULATED_PATIENTS),
        # The cut-off is today: the demo's registry is as it stands now.
        "today": datetime.now(UTC).date().isoformat(),
    }
    # Shown with the examples folder shortened; everything else as it is run.
    shown_values = {**values, "run": "examples/tso500/run_2026-01", "examples": "examples"}
    return [
        (title, command.format(**shown_values), shlex.split(command.format(**values)))
        for title, command in _DEMO_SCRIPT
    ]


#: Left in the folder the demo creates, so that a later run knows it may empty it again.
DEMO_MARKER = ".oncobasket-demo"


@app.command()
def demo(
    workdir: Annotated[
        Path,
        typer.Option(
            "--workdir",
            help="Folder for the demo's database and tables: created if missing, emptied only if the demo made it.",
        ),
    ] = Path("demo-output"),
    force: Annotated[
        bool, typer.Option("--force", help="Empty the --workdir folder even though the demo did not create it.")
    ] = False,
) -> None:
    """Run the trial flow on the bundled example results, printing each command and its output."""
    from importlib.resources import as_file, files

    _prepare_workdir(workdir, force=force)
    with as_file(files("oncobasket") / "data" / "examples") as examples:
        for title, shown, arguments in _demo_steps(Path(examples), workdir):
            if title:
                typer.echo(f"\n== {title}")
            typer.echo(f"$ oncobasket {shown}")
            app(arguments, standalone_mode=False)
    typer.echo(f"\nThe demo's registry is {workdir / 'trial.db'}; its batch screen is {workdir / 'matches.tsv'}.")
    typer.echo(f"The trial report is {workdir / 'report' / 'trial_report.pdf'} (and .html beside it).")
    typer.echo(
        f"The synthetic trial's registry is {workdir / 'simulated.db'}; its report (synthetic data) is "
        f"{workdir / 'simulated-report' / 'trial_report.pdf'} (and .html beside it)."
    )


def _prepare_workdir(workdir: Path, *, force: bool) -> None:
    """An empty folder for the demo. A folder the demo made before (it holds :data:`DEMO_MARKER`) is
    emptied; any other non-empty folder is refused unless ``force``: ``--workdir ~`` must never wipe a
    home folder (issue 13). A new folder is created 0700, as every folder holding patient data."""
    import shutil

    from oncobasket.core.errors import InputError
    from oncobasket.io.files import create_private_file, make_private_folders

    if workdir.exists() and not workdir.is_dir():
        raise InputError("is not a folder", source=str(workdir), field="--workdir", fix="give a folder for the demo")
    if workdir.is_dir() and any(workdir.iterdir()):
        if not (workdir / DEMO_MARKER).is_file() and not force:
            raise InputError(
                "the folder is not empty and was not made by `oncobasket demo`; nothing was deleted",
                source=str(workdir),
                field="--workdir",
                fix="give a new or empty folder, or add --force to empty this one",
            )
        for item in workdir.iterdir():
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item)
            else:
                item.unlink()
    make_private_folders(workdir)
    create_private_file(workdir / DEMO_MARKER)
