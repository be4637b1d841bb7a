"""Opening input files safely: only regular files are read, and opening never blocks.

A FIFO, a socket or a device named like a result file (``OB-0001_CombinedVariantOutput.tsv`` made by
``mkfifo``) would make a plain ``open()`` wait forever for a writer, and ``/dev/zero`` would be read
without end. Every reader therefore opens through :func:`open_regular`: the file is opened without
blocking and checked with ``fstat`` on the descriptor it was opened as (not on the name, which could be
swapped between a check and the open), and anything but a regular file is refused with one line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from oncobasket.core.errors import FormatError

__all__ = ["check_regular_file", "is_regular_file", "open_regular", "read_regular_bytes"]


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
