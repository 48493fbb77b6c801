"""Where the shipped ontology, data and queries are.

In a source checkout they are the top-level folders ``ontology/``, ``data/`` and ``queries/``;
in an installed wheel they are copied into ``relgraph/_resources/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_dir", "ontology_dir", "queries_dir", "resource_root"]

_PACKAGE = Path(__file__).resolve().parent


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
    """Return the folder of the ontology and shapes."""
    return resource_root() / "ontology"


def data_dir() -> Path:
    """Return the folder of the reference data, readouts and sources."""
    return resource_root() / "data"


def queries_dir() -> Path:
    """Return the folder of the canned queries (``*.rq``) and quality checks (``checks/``)."""
    return resource_root() / "queries"
