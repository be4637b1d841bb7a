"""Every reader of a user's file refuses a FIFO (or any non-regular file) named like its input, in one line,
without opening it: opening a FIFO would hang the command forever (issue 13)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oncobasket.core.errors import InputError
from oncobasket.io.analysis_table import read_analysis_table
from oncobasket.io.assessment_file import read_assessment_file
from oncobasket.io.ctcae import read_ctcae
from oncobasket.io.ctml import load_ctml_trials
from oncobasket.io.oncotree import load_shipped_tumour_types, read_oncotree_json

READERS: dict[str, Callable[[Path], Any]] = {
    "assessment.json": read_assessment_file,
    "analysis.csv": read_analysis_table,
    "ctcae.tsv": read_ctcae,
    "oncotree.json": read_oncotree_json,
    "trial.yaml": lambda path: load_ctml_trials(path, load_shipped_tumour_types()),
}


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_fifo_is_refused_without_being_opened(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(InputError) as caught:
        READERS[name](fifo)
    assert str(fifo) in str(caught.value)
    assert "\n" not in str(caught.value)
