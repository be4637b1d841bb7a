"""Opening input files safely, and creating output files privately.

Only regular files are read, and opening never blocks.

A FIFO, a socket or a device named like a result file (``OB-0001_CombinedVariantOutput.tsv`` made by
``mkfifo``) would make a plain ``open()`` wait forever for a writer, and ``/dev/zero`` would be read
without end. Every reader therefore opens through :func:`open_regular`: the file is opened without
blocking and checked with ``fstat`` on the descriptor it was opened as (not on the name, which could be
swapped between a check and the open), and anything but a regular file is refused with one line.

Files OncoBasket writes that hold patient data (the SQLite registry, exports, backups) are created
0600 and the folders it creates for them 0700, whatever the umask (GDPR art. 32: access to personal
data limited to those who need it; a shared research server's other users do not).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from oncobasket.core.errors import FormatError

__all__ = [
    "PRIVATE_FILE_MODE",
    "PRIVATE_FOLDER_MODE",
    "check_regular_file",
    "create_private_file",
    "is_regular_file",
    "make_private_folders",
    "open_regular",
    "read_regular_bytes",
]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(path: Path, mode: int) -> FormatError:
    return FormatError(
        f"is {_kind(mode)}, not a regular file; OncoBasket reads only regular files",
        source=str(path),
        fix="give the result file itself (a copy on disk), not a pipe, socket or device",
    )


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` names a regular file (symbolic links followed); False when it does not exist."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def check_regular_file(path: Path) -> None:
    """Refuse a path that exists but is not a regular file (a FIFO, socket or device).

    A missing path and a folder are left to the caller, which knows what it expected there.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise _not_regular(path, mode)


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading; a FIFO, socket or device is refused without waiting on it."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise FormatError(
            f"cannot open the file ({error.strerror})", source=str(path), fix="check the path and its permissions"
        ) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        # Regular files never block; clear the flag so later reads behave as usual.
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular_bytes(path: Path) -> bytes:
    """The whole content of a regular file (see :func:`open_regular`)."""
    with open_regular(path) as handle:
        try:
            return handle.read()
        except OSError as error:
            raise FormatError(
                f"cannot read the file ({error.strerror})", source=str(path), fix="check the path"
            ) from None


# ---------------------------------------------------------------------------------------------
# Files OncoBasket creates: patient data is for the owner's eyes only, whatever the umask
# ---------------------------------------------------------------------------------------------

#: Files holding patient data (the SQLite registry, exports, backups): owner read/write only.
PRIVATE_FILE_MODE = 0o600
#: Folders OncoBasket creates for such files: owner only.
PRIVATE_FOLDER_MODE = 0o700


def make_private_folders(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each 0700 (``Path.mkdir(parents=True)`` would give the
    parents the umask's mode, often 0755: a listing of patient files readable by every local user)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for item in reversed(missing):
        try:
            item.mkdir(mode=PRIVATE_FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process: its mode is its maker's choice
        except OSError as error:
            raise FormatError(
                f"cannot create the folder ({error.strerror})", source=str(item), fix="check the path and permissions"
            ) from None


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (the umask can only take bits away), parents 0700.

    An existing file is left as it is: the caller decides whether it may be replaced.
    """
    make_private_folders(path.parent)
    try:
        descriptor = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE_MODE
        )
    except FileExistsError:
        return
    except OSError as error:
        raise FormatError(
            f"cannot create the file ({error.strerror})", source=str(path), fix="check the path and permissions"
        ) from None
    os.close(descriptor)
