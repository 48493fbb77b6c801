"""ODK-style quality checks: every ``queries/checks/*-violation.rq`` must return no rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from relgraph import resources
from relgraph.catalogue import CannedQuery
from relgraph.results import QueryResult
from relgraph.store import KnowledgeGraph

__all__ = ["CheckOutcome", "check_files", "run_checks"]


@dataclass(frozen=True)
class CheckOutcome:
    """The rows one check returned: none means it passed."""

    name: str
    summary: str
    result: QueryResult


def check_files() -> list[Path]:
    """Return the check queries, sorted by name; hidden files (``._x-violation.rq``) are not checks.

    >>> [p.name for p in check_files()][:1]
    ['duplicate-label-violation.rq']
    """
    found = (resources.queries_dir() / "checks").glob("*-violation.rq")
    return sorted(path for path in found if not path.name.startswith("."))


def run_checks(kg: KnowledgeGraph | None = None, extra_files: Iterable[Path] = ()) -> list[CheckOutcome]:
    """Run every check on ``kg`` (default: the embedded graph plus ``extra_files``).

    :param kg: the graph to check.
    :param extra_files: files loaded with the embedded graph when ``kg`` is not given.
    :raises ConfigurationError: if a check file is broken.

    >>> [o.name for o in run_checks() if o.result.rows]
    []
    """
    graph = kg if kg is not None else KnowledgeGraph.default(extra_files=extra_files)
    outcomes = []
    for path in check_files():
        query = CannedQuery.from_file(path, check_sparql=False)
        outcomes.append(CheckOutcome(query.name, query.summary, query.run(graph)))
    return outcomes
