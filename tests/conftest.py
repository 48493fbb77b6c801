"""Shared fixtures of the engine tests (fixture files live in tests/fixtures/)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the fixture ontology, data and queries_good the 'shipped' resources."""
    from relgraph import resources

    monkeypatch.setattr(resources, "ontology_dir", lambda: FIXTURES / "ontology")
    monkeypatch.setattr(resources, "data_dir", lambda: FIXTURES / "data")
    monkeypatch.setattr(resources, "queries_dir", lambda: FIXTURES / "queries_good")
    return FIXTURES


@pytest.fixture(scope="session")
def kg():
    """The embedded default graph (ontology, reference data, readouts), loaded once per session."""
    from relgraph.store import KnowledgeGraph

    return KnowledgeGraph.default()


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root (tests run from a checkout)."""
    return Path(__file__).resolve().parent.parent


def _one_line_error(result: Result, code: int) -> str:
    """The single line a failed command wrote, after checking its exit code and that it is alone."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def one_line_error() -> Callable[[Result, int], str]:
    """``one_line_error(result, code)``: the single line on stderr of a command run with CliRunner."""
    return _one_line_error
