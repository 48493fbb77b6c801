"""One writer at a time: an exclusive, non-blocking lock on a folder.

The folder itself is locked with :func:`fcntl.flock` (no lock file is created, none is left behind
by a crash: the kernel releases the lock when the process ends). A second writer is refused at once
with "locked" (exit code 6) instead of waiting.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from relgraph.errors import ExitCode, InputError, RelgraphError

__all__ = ["LockedError", "locked"]


class LockedError(RelgraphError):
    """Another relgraph process is writing to the same data folder or store."""

    exit_code = int(ExitCode.LOCKED)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder``; refuse at once if another process holds it.

    :param folder: the folder to lock.
    :raises LockedError: if another process holds the lock.
    :raises InputError: if the folder cannot be opened.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, locked(Path(tmp)):
    ...     print("writing")
    writing
    """
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as error:
        raise InputError(f"{folder}: cannot open the folder: {error.strerror or error}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"{folder}: locked: another relgraph process is writing to it; try again when it is done"
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
