"""CTML matches of many samples as one match table: the columns of the batch screen's table
(:data:`oncobasket.core.screening.MATCH_COLUMNS`), so that a centre's nightly re-match against external
trials is read like its protocol re-screen (docs/ctml.md, "Re-matching a patient list")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl

from oncobasket.core.errors import FormatError
from oncobasket.core.tumour_types import TumourTypes
from oncobasket.io.ctml.model import EXTERNAL_EVIDENCE, CtmlTrial, describe
from oncobasket.io.ctml.reader import load_ctml_trials

#: file names read from a directory of CTML trials.
CTML_SUFFIXES = frozenset({".json", ".yaml", ".yml"})


def load_ctml_directory(path: Path, tumour_types: TumourTypes) -> tuple[CtmlTrial, ...]:
    """Every trial of every ``.json`` / ``.yaml`` / ``.yml`` file of a directory (in name order), or of
    one file. A malformed file stops the whole run with its one-line error: a nightly re-match must
    not silently drop a trial."""
    if path.is_file():
        return load_ctml_trials(path, tumour_types)
    if not path.is_dir():
        raise FormatError("no such CTML file or directory", source=str(path), fix="check the path")
    files = sorted(item for item in path.iterdir() if item.is_file() and item.suffix.lower() in CTML_SUFFIXES)
    if not files:
        raise FormatError(
            "the directory holds no CTML file (.json, .yaml, .yml)", source=str(path), fix="check the path"
        )
    return tuple(trial for item in files for trial in load_ctml_trials(item, tumour_types))


def column_match_table(matches: pl.DataFrame, trials: Iterable[CtmlTrial], entered: Mapping[str, str]) -> pl.DataFrame:
    """The match table of ``screen --ctml`` from :func:`oncobasket.io.ctml.columns.screen_ctml`'s frame:
    each row's ``biomarker`` is its target's criteria as written, its ``reasons`` the eligibility and,
    for a closed target, why; the full explanation of one sample is ``match --ctml``. ``entered`` maps
    sample_id -> the tumour type as given (before a retired code is read as its successor)."""
    targets = [
        {
            "trial": trial.trial_id,
            "cohort": arm.label,
            "biomarker": describe(arm.criteria),
            "evidence_source": trial.source,
            "closed": "" if arm.open else f"; {arm.label} of {trial.trial_id} is closed or suspended ({arm.closed_by})",
        }
        for trial in trials
        for arm in trial.arms
    ]
    info = pl.DataFrame(
        targets,
        schema=dict.fromkeys(("trial", "cohort", "biomarker", "evidence_source", "closed"), pl.String),
    ).unique(subset=["trial", "cohort"], keep="first", maintain_order=True)
    table = matches.join(info, on=["trial", "cohort"], how="left", maintain_order="left")
    return table.select(
        "sample_id",
        "drug",
        "biomarker",
        "cohort",
        pl.lit(EXTERNAL_EVIDENCE).alias("evidence"),
        "eligibility",
        pl.lit(False).alias("on_label"),
        pl.concat_str(
            [
                pl.lit("CTML criteria "),
                pl.col("eligibility").str.replace_all("_", " "),
                pl.col("closed"),
                pl.lit(" (column-wise re-match; oncobasket match --ctml gives every reason)"),
            ]
        ).alias("reasons"),
        (pl.col("eligibility") == "eligible").alias("eligible"),
        pl.concat_str([pl.col("trial"), pl.lit(" / "), pl.col("cohort")]).alias("cohort_name"),
        "tumour_type",
        pl.lit(None, dtype=pl.String).alias("tumour_group"),
        "evidence_source",
        pl.lit("", dtype=pl.String).alias("alterations"),
        pl.col("sample_id")
        .replace_strict(dict(entered), default=None, return_dtype=pl.String)
        .alias("entered_tumour_type"),
    )
