"""Issue 13, files: the registry and exports are created 0600 (folders 0700) whatever the umask, and
``demo --workdir`` never empties a folder it did not create.

Before: the SQLite database was created 0644 under the usual umask (0666 under umask 0), and ``demo
--workdir DIR`` deleted DIR and everything in it (``--workdir ~`` would have wiped a home folder).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from oncobasket.cli.demo import DEMO_MARKER, _prepare_workdir
from oncobasket.core.errors import InputError
from oncobasket.db.session import Database
from oncobasket.io.match_table import write_matches


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: whatever OncoBasket creates is then only as open as it asks for."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_sqlite_registry_created_0600_in_folders_0700(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "trial.db"
    database = Database(f"sqlite:///{path}")
    try:
        database.upgrade()
    finally:
        database.dispose()
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(path.parent.parent) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_match_table_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "matches.tsv"
    write_matches(pl.DataFrame({"sample_id": ["OB-0001"], "drug": ["dabrafenib+trametinib"]}), path)
    assert _mode(path) == 0o600
    assert path.read_text().startswith("sample_id\tdrug")


def test_demo_refuses_a_folder_it_did_not_create(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="not made by `oncobasket demo`; nothing was deleted"):
        _prepare_workdir(home, force=False)
    assert (home / "thesis.tex").read_text() == "years of work"


def test_demo_empties_its_own_folder_and_a_forced_one(tmp_path: Path) -> None:
    own = tmp_path / "demo-output"
    _prepare_workdir(own, force=False)
    assert (own / DEMO_MARKER).is_file()
    assert _mode(own) == 0o700
    (own / "trial.db").write_text("last run")
    _prepare_workdir(own, force=False)
    assert sorted(item.name for item in own.iterdir()) == [DEMO_MARKER]
    other = tmp_path / "scratch"
    (other / "sub").mkdir(parents=True)
    (other / "sub" / "old.txt").write_text("x")
    _prepare_workdir(other, force=True)
    assert sorted(item.name for item in other.iterdir()) == [DEMO_MARKER]


def test_demo_uses_an_empty_existing_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    _prepare_workdir(empty, force=False)
    assert (empty / DEMO_MARKER).is_file()


def test_demo_command_refuses_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    done = subprocess.run(
        [sys.executable, "-m", "oncobasket.cli", "demo", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_match_table_not_overwritten_without_force(tmp_path: Path) -> None:
    path = tmp_path / "matches.tsv"
    path.write_text("someone's table")
    table = pl.DataFrame({"sample_id": ["OB-0001"]})
    with pytest.raises(InputError, match="the file exists; nothing was written"):
        write_matches(table, path)
    assert path.read_text() == "someone's table"
    write_matches(table, path, replace=True)
    assert path.read_text().startswith("sample_id")
