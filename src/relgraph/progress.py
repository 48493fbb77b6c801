"""Progress bars for long loads, builds and validations: on standard error, only where a person sees them.

A bar is shown when standard error is a terminal, or when ``RELGRAPH_PROGRESS=1`` asks for one;
``RELGRAPH_PROGRESS=0`` turns them off. Output on standard output is never touched.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["enabled", "progress"]


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

    With bars disabled, ``update`` does nothing. A ``total`` of 0 shows a count without an end.

    :param total: the amount of work (items, triples, bytes).
    :param label: what is being done, shown before the bar.

    >>> with progress(10, "test") as update:
    ...     update(5)
    """
    if not enabled():
        yield lambda _done: None
        return
    import click

    bar: Any
    with click.progressbar(
        length=total or None, label=label, file=sys.stderr, show_pos=True, show_eta=total > 0
    ) as bar:
        position = 0

        def update(done: int) -> None:
            nonlocal position
            if done > position:
                bar.update(done - position)
                position = done

        yield update
