"""Standard output of the ``relgraph`` command: a write that fails is a one-line error, not a traceback.

:func:`take_over` replaces :data:`sys.stdout` at the start of the command:

* unbuffered output (``python -u``, ``PYTHONUNBUFFERED``) gets a buffered writer, because a raw
  file's write may write only part of the bytes without an error (to a pipe whose reader has gone),
  and the command would end with exit 0;
* a write or flush that fails (a full disk, ``/dev/full``, an I/O error) raises
  :class:`~relgraph.errors.RelgraphError` ``standard output: cannot write: ...`` (exit 2); a broken
  pipe stays :class:`BrokenPipeError`, which the command ends quietly with exit 1;
* closed standard output (``>&-``), which Python gives as ``None``, raises the same error at the
  first write instead of losing the output silently; a command that writes nothing there still works;
* closed standard error (``2>&-``) gets the null device: messages are dropped, the exit codes stay
  (every command failed with exit 1, and errors went to standard output);
* a closed descriptor 0, 1 or 2 is opened on the null device (Python's streams above are kept), so
  that no file the command opens takes its number: something written to standard error by native
  code (RocksDB, a Rust panic) would otherwise go into an exported file or a store.

:func:`settle` flushes what is left before the process exits; if that fails, the pending bytes are
dropped so that the interpreter does not print "Exception ignored" at exit.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import NoReturn, cast

from relgraph.errors import RelgraphError

__all__ = ["closed", "closed_error", "settle", "take_over"]


def closed(stream: object) -> bool:
    """Tell whether a standard stream is closed (``>&-``: Python's None, or the writer put for it).

    >>> import io
    >>> closed(None), closed(io.StringIO())
    (True, False)
    """
    return stream is None or isinstance(stream, _ClosedOutput)


def closed_error() -> RelgraphError:
    """Return the error for writing to closed standard output.

    >>> closed_error().message
    'standard output: cannot write: it is closed'
    """
    return RelgraphError("standard output: cannot write: it is closed")


def _write_error(error: OSError) -> RelgraphError:
    return RelgraphError(f"standard output: cannot write: {error.strerror or error}")


class _StandardOutput(io.TextIOWrapper):
    """Text standard output whose write errors, other than a broken pipe, are :class:`RelgraphError`."""

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _write_error(error) from None

    def flush(self) -> None:
        try:
            super().flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise _write_error(error) from None


class _ClosedOutput(io.TextIOBase):
    """Closed standard output: a write raises; it has no ``buffer`` (see :mod:`relgraph.export`)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> NoReturn:
        raise closed_error()

    def isatty(self) -> bool:
        return False


def take_over() -> None:
    """Replace :data:`sys.stdout` with the checked writer described in the module's docstring."""
    for descriptor in (0, 1, 2):  # the lowest free number is taken first, so they fill in order
        try:
            os.fstat(descriptor)
        except OSError:
            os.open(os.devnull, os.O_RDWR)
    if sys.stderr is None:
        sys.stderr = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 (for the process's life)
    stdout = sys.stdout
    if stdout is None:
        sys.stdout = _ClosedOutput()
        return
    if stdout is not sys.__stdout__ or not isinstance(stdout, io.TextIOWrapper):
        return  # replaced by someone else (a test runner capturing it): left as it is
    buffer = stdout.buffer
    if isinstance(buffer, io.RawIOBase):  # unbuffered
        buffer = io.BufferedWriter(buffer)
    sys.stdout = _StandardOutput(
        cast(io.BufferedWriter, buffer),
        encoding=stdout.encoding,
        errors=stdout.errors,
        line_buffering=stdout.line_buffering,
        write_through=True,
    )


def settle(code: int) -> int:
    """Flush standard output before exiting with ``code``; return the exit code to use.

    A flush that fails is reported on standard error (if nothing was reported yet: ``code`` is 0)
    and gives exit 2, or 1 for a broken pipe; the bytes it could not write are dropped.

    :param code: the exit code so far.
    """
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_pending()
        return code or 1
    except RelgraphError as error:
        _drop_pending()
        if code == 0:
            error.show()
            return error.exit_code
    return code


def _drop_pending() -> None:
    """Point standard output at the null device, so that flushing what is left cannot fail."""
    try:
        fileno = sys.stdout.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)
