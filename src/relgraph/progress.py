"""Progress bars for long loads, builds and validations: on standard error, only where a person sees them.

A bar is shown when standard error is a terminal, or when ``RELGRAPH_PROGRESS=1`` asks for one;
``RELGRAPH_PROGRESS=0`` turns them off. It appears only once the work has run for :data:`DELAY`
seconds, so quick work shows none. Output on standard output is never touched.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["DELAY", "CountingReader", "CountingWriter", "enabled", "progress"]

#: seconds of work before a bar appears
DELAY = 1.0


def enabled() -> bool:
    """Return whether progress bars are shown (``RELGRAPH_PROGRESS``, else whether stderr is a terminal).

    >>> os.environ["RELGRAPH_PROGRESS"] = "0"; enabled()
    False
    >>> del os.environ["RELGRAPH_PROGRESS"]
    """
    setting = os.environ.get("RELGRAPH_PROGRESS")
    if setting is not None:
        return setting.strip().lower() not in ("", "0", "no", "false", "off")
    return sys.stderr.isatty()


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Yield ``update(done)``, which moves a bar on standard error to ``done`` out of ``total``.

    With bars disabled, ``update`` does nothing; enabled, the bar appears at the first update after
    :data:`DELAY` seconds. A ``total`` of 0 shows a count without an end.

    :param total: the amount of work (items, triples, bytes).
    :param label: what is being done, shown before the bar.

    >>> with progress(10, "test") as update:
    ...     update(5)
    >>> with progress(0, "no end") as update:
    ...     update(5)
    """
    if not enabled():
        yield lambda _done: None
        return
    import click

    started = time.monotonic()
    bar: Any = None
    position = 0

    def update(done: int) -> None:
        nonlocal bar, position
        if bar is None:
            if time.monotonic() - started < DELAY:
                return
            bar = click.progressbar(
                iterable=None if total else itertools.count(),  # no length: a count without an end
                length=total or None,
                label=label,
                file=sys.stderr,
                show_pos=True,
                show_eta=total > 0,
            )
            bar.__enter__()
        if done > position:
            bar.update(done - position)
            position = done

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


class CountingReader:
    """A binary reader that reports how many bytes were read so far (for a progress bar).

    :param raw: the reader.
    :param report: called with the number of bytes read; its errors are ignored.

    >>> import io
    >>> seen = []
    >>> CountingReader(io.BytesIO(b"abcdef"), seen.append).read(4), seen
    (b'abcd', [4])
    """

    def __init__(self, raw: IO[bytes], report: Callable[[int], None]) -> None:
        self._raw = raw
        self._report = report
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        """Read and report."""
        data = self._raw.read(size)
        self._count(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer`` and report."""
        count = int(self._raw.readinto(buffer) or 0)  # type: ignore[attr-defined]
        self._count(count)
        return count

    def _count(self, count: int) -> None:
        self._read += count
        with contextlib.suppress(Exception):
            self._report(self._read)


class CountingWriter:
    """A binary writer that reports how many bytes were written so far (for a progress bar).

    :param raw: the writer.
    :param report: called with the number of bytes written; its errors are ignored.

    >>> import io
    >>> seen = []
    >>> writer = CountingWriter(io.BytesIO(), seen.append)
    >>> writer.write(b"abc"), seen
    (3, [3])
    >>> writer.close()
    >>> writer.write(b"d")
    Traceback (most recent call last):
    ...
    ValueError: write to a closed writer
    """

    def __init__(self, raw: IO[bytes], report: Callable[[int], None]) -> None:
        self._raw = raw
        self._report = report
        self._written = 0
        self._closed = False

    def close(self) -> None:
        """Refuse any further write (``raw`` stays open): stops work left running on another thread.

        A write already under way on another thread when this is called still completes, unreported.
        """
        self._closed = True

    def write(self, data: bytes) -> int:
        """Write and report.

        :raises ValueError: once closed.
        """
        if self._closed:
            raise ValueError("write to a closed writer")
        count = self._raw.write(data)
        self._written += len(data)
        if not self._closed:
            with contextlib.suppress(Exception):
                self._report(self._written)
        return count

    def flush(self) -> None:
        """Flush the writer."""
        self._raw.flush()
