"""An export folder that holds patient data: owner-only, and never written over unless asked.

Issue 11 and issue 13 (hardening): every export holding patient data is written owner-only (folders 0700, files
0600, set at creation so there is no moment another user can open them), and an export never replaces what it
did not create: a folder that already holds files is refused unless the caller passes ``force``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from oncobasket.core.errors import InputError
from oncobasket.io.files import PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE, make_private_folders

FOLDER_MODE = PRIVATE_FOLDER_MODE
FILE_MODE = PRIVATE_FILE_MODE


class ExportFolder:
    """A folder the export writes into; :meth:`write_text` creates each file owner-only."""

    def __init__(self, root: Path, *, force: bool = False) -> None:
        if root.exists() and not root.is_dir():
            raise InputError("the export folder is a file", source=str(root), field="--out", fix="give a folder path")
        if root.is_dir() and any(root.iterdir()) and not force:
            raise InputError(
                "the export folder already holds files this export did not create",
                source=str(root),
                field="--out",
                fix="give a new or empty folder, or add --force to write over it",
            )
        self.root = root
        self.written: list[Path] = []
        self._make_folder(root)

    @staticmethod
    def _make_folder(folder: Path) -> None:
        # New parents too are owner-only (io.files); an existing folder keeps its own mode, so set it explicitly.
        make_private_folders(folder)
        folder.chmod(FOLDER_MODE)

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` (UTF-8, no newline translation) to ``name`` below the root, owner-only."""
        path = self.root / name
        if path.parent != self.root:
            self._make_folder(path.parent)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        path.chmod(FILE_MODE)
        self.written.append(path)
        return path


def write_private_json(path: Path, value: Any, *, force: bool = False) -> None:
    """One JSON file holding patient data, owner-only; an existing file is replaced only with ``force``."""
    if path.exists() and not force:
        raise InputError(
            "the file already exists", source=str(path), field="--out", fix="give a new file name, or add --force"
        )
    if path.parent != Path() and not path.parent.is_dir():
        raise InputError("no such folder", source=str(path.parent), field="--out", fix="create the folder first")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags, FILE_MODE), "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    path.chmod(FILE_MODE)
