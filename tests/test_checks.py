"""ODK-style quality checks: queries/checks/*-violation.rq return no rows on the shipped graph.

Each check has a bad example tests/checks/<check>.ttl that it must catch, so no check is a test that
cannot fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from relgraph.resources import queries_dir
from relgraph.store import KnowledgeGraph

CHECKS = sorted((queries_dir() / "checks").glob("*-violation.rq"))
EXAMPLES = Path(__file__).parent / "checks"


def test_there_are_checks_and_each_has_a_bad_example():
    assert len(CHECKS) >= 5
    assert {c.stem for c in CHECKS} == {e.stem for e in EXAMPLES.glob("*.ttl")}


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_finds_nothing_in_the_shipped_graph(kg, check):
    rows = kg.query(check.read_text(encoding="utf-8")).rows
    assert rows == []


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_catches_its_bad_example(check):
    kg = KnowledgeGraph.default(extra_files=[EXAMPLES / f"{check.stem}.ttl"])
    rows = kg.query(check.read_text(encoding="utf-8")).rows
    assert len(rows) >= 1
    assert any(
        "test-" in str(cell)
        or "Unlabelled" in str(cell)
        or "Undefined" in str(cell)
        or "Orphan" in str(cell)
        or "donald-lu" in str(cell)
        for row in rows
        for cell in row
    )
