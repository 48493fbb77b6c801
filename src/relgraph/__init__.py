r"""relgraph: a knowledge graph of US-India defence relations.

The public API is small: load the graph, run canned or ad-hoc read-only SPARQL, validate new data,
export the graph. Names are imported lazily, so ``import relgraph`` is fast.

>>> import relgraph
>>> kg = relgraph.load_default_graph()
>>> result = relgraph.run_query("session-co-chairs", kg=kg)
>>> sorted(str(row[result.variables.index("personLabel")]) for row in result.rows)
['Donald Lu', 'Ely Ratner', 'Vani Rao', 'Vishwesh Negi']
>>> relgraph.validate_files([], kg=kg).conforms
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from relgraph.errors import RelgraphError

if TYPE_CHECKING:
    from relgraph.catalogue import CannedQuery, Catalogue
    from relgraph.export import export as export_graph
    from relgraph.results import QueryResult
    from relgraph.store import KnowledgeGraph, load_default_graph
    from relgraph.validate import ValidationReport
    from relgraph.validate import validate as validate_files

__version__: str  # read from the package metadata on first use (importing importlib.metadata takes 80 ms)

__all__ = [
    "CannedQuery",
    "Catalogue",
    "KnowledgeGraph",
    "QueryResult",
    "RelgraphError",
    "ValidationReport",
    "__version__",
    "export_graph",
    "load_default_graph",
    "run_query",
    "validate_files",
]

# public name -> (module, name in that module); imported on first use
_LAZY = {
    "KnowledgeGraph": ("relgraph.store", "KnowledgeGraph"),
    "load_default_graph": ("relgraph.store", "load_default_graph"),
    "Catalogue": ("relgraph.catalogue", "Catalogue"),
    "CannedQuery": ("relgraph.catalogue", "CannedQuery"),
    "QueryResult": ("relgraph.results", "QueryResult"),
    "ValidationReport": ("relgraph.validate", "ValidationReport"),
    "validate_files": ("relgraph.validate", "validate"),
    "export_graph": ("relgraph.export", "export"),
}


def run_query(
    name: str, params: Mapping[str, str] | None = None, *, kg: KnowledgeGraph | None = None
) -> QueryResult:
    """Run a canned query by name, with parameters given as text, on the default graph or ``kg``.

    :param name: the query name (the ``.rq`` file name without extension).
    :param params: parameter name -> value, written as on the command line (``rgd:india``, ``2023-09-26``).
    :param kg: the graph; by default the embedded one (ontology, reference data, readouts).
    :raises UsageError: for an unknown query or a bad parameter.
    :raises QueryError: if the query fails.

    >>> run_query("is-co-chair", {"person": "rgd:donald-lu"}).boolean
    True
    >>> run_query("is-co-chair", {"person": "rgd:india"}).boolean
    False
    >>> run_query("is-co-chair", {"who": "rgd:donald-lu"})
    Traceback (most recent call last):
    ...
    relgraph.errors.UsageError: query 'is-co-chair' has no parameter 'who' (its parameters: person, session)
    """
    from relgraph.catalogue import Catalogue
    from relgraph.store import KnowledgeGraph

    query = Catalogue.load_one(name)
    return query.run(kg if kg is not None else KnowledgeGraph.default(), params or {})


def __getattr__(name: str) -> Any:
    """Import the public names lazily."""
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version("relgraph")
        except metadata.PackageNotFoundError:  # running from a source tree that is not installed
            version = "0+unknown"
        globals()["__version__"] = version
        return version
    if name not in _LAZY:
        raise AttributeError(f"module 'relgraph' has no attribute {name!r}")
    import importlib

    module_name, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names, including the lazy ones."""
    return sorted(set(globals()) | set(__all__))
