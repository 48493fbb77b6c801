"""Where the shipped ontology, data and queries are, and which data folder the default graph reads.

In a source checkout they are the top-level folders ``ontology/``, ``data/`` and ``queries/``;
in an installed wheel they are copied into ``relgraph/_resources/``. The data folder of the default
graph is the shipped ``data/`` unless :func:`use_data_dir` (the ``--data-dir DIR`` option, or
``RELGRAPH_DATA_DIR``) names another one: a copy, or a fork's data. The ontology and shapes stay the
shipped ones.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path

from relgraph.errors import UsageError

__all__ = [
    "check_data_dir",
    "data_dir",
    "ontology_dir",
    "queries_dir",
    "resource_root",
    "shipped_data_dir",
    "use_data_dir",
]

_PACKAGE = Path(__file__).resolve().parent
# the folders a data folder must have (its ``sources/`` is optional: texts are also found beside a file)
_DATA_FOLDERS = ("reference", "readouts")
_chosen: contextvars.ContextVar[Path | None] = contextvars.ContextVar("relgraph_data_dir", default=None)


def resource_root() -> Path:
    """Return the folder that holds ``ontology/``, ``data/`` and ``queries/``.

    >>> (resource_root() / "ontology" / "relgraph.ttl").is_file()
    True
    """
    installed = _PACKAGE / "_resources"
    if (installed / "ontology").is_dir():
        return installed
    return _PACKAGE.parent.parent


def ontology_dir() -> Path:
    """Return the folder of the ontology and shapes (always the shipped ones)."""
    return resource_root() / "ontology"


def shipped_data_dir() -> Path:
    """Return the shipped folder of the reference data, readouts and sources, ``data/``."""
    return resource_root() / "data"


def data_dir() -> Path:
    """Return the data folder of the default graph: its ``reference/``, ``readouts/`` and ``sources/``.

    It is the folder set by :func:`use_data_dir` (the ``--data-dir`` option), else the shipped ``data/``.
    Every command reads the default graph's data through this function
    (:func:`relgraph.store.default_files`, the source texts of ``validate``, ``add``).

    >>> data_dir() == shipped_data_dir()
    True
    """
    chosen = _chosen.get()
    return shipped_data_dir() if chosen is None else chosen


def check_data_dir(folder: Path, origin: str | None = None) -> Path:
    """Return ``folder`` if it is a data folder: a folder with ``reference/`` and ``readouts/`` in it.

    :param folder: the folder.
    :param origin: where it was given (``--data-dir``, ``RELGRAPH_DATA_DIR``), for the message.
    :raises UsageError: one line naming the folder, if it does not exist, is not a folder, or lacks one
        of those folders.

    >>> check_data_dir(Path("/nonexistent"), "--data-dir")
    Traceback (most recent call last):
    ...
    relgraph.errors.UsageError: /nonexistent: no such data folder (--data-dir)
    """
    given = "" if origin is None else f" ({origin})"
    if not folder.exists():
        raise UsageError(f"{folder}: no such data folder{given}")
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a data folder but a file{given}")
    missing = [f"{name}/" for name in _DATA_FOLDERS if not (folder / name).is_dir()]
    if missing:
        raise UsageError(
            f"{folder}: not a data folder{given}: it has no {' and no '.join(missing)} folder "
            f"(a data folder holds {'/, '.join(_DATA_FOLDERS)}/ and sources/)"
        )
    return folder


@contextlib.contextmanager
def use_data_dir(folder: Path | None, origin: str | None = None) -> Iterator[None]:
    """Make the default graph read its data from ``folder`` inside the ``with`` block.

    :param folder: the data folder (None: the shipped ``data/``).
    :param origin: where it was given, for the message if it is not a data folder.
    :raises UsageError: if ``folder`` is not a data folder (see :func:`check_data_dir`).
    """
    token = _chosen.set(None if folder is None else check_data_dir(folder, origin))
    try:
        yield
    finally:
        _chosen.reset(token)


def queries_dir() -> Path:
    """Return the folder of the canned queries (``*.rq``) and quality checks (``checks/``)."""
    return resource_root() / "queries"
