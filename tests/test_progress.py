"""Progress bars: on standard error, only when enabled, only once work has run for progress.DELAY."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from relgraph import progress
from relgraph.cli import cli
from relgraph.synth import generate


def run(*args: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def readout(tmp_path: Path) -> Path:
    path = tmp_path / "readout.nt"
    generate(path, sessions=1, seed=5, prefix="bar")
    return path


def test_load_and_validation_show_bars_on_stderr(readout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    result = run("validate", str(readout), env={"RELGRAPH_PROGRESS": "1"})
    assert result.exit_code == 0, result.output
    assert "loading readout.nt" in result.stderr
    assert "checking the shapes" in result.stderr
    assert result.stdout == f"{readout}: conforms (0 violations, 0 warnings, 0 infos)\n"


@pytest.mark.parametrize(
    ("setting", "delay"),
    [("0", 0.0), ("1", 3600.0)],
    ids=["turned off", "quicker than the delay"],
)
def test_no_bar_when_off_or_quick(
    readout: Path, monkeypatch: pytest.MonkeyPatch, setting: str, delay: float
) -> None:
    monkeypatch.setattr(progress, "DELAY", delay)
    result = run("validate", str(readout), env={"RELGRAPH_PROGRESS": setting})
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_no_bar_when_stderr_is_not_a_terminal(readout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.delenv("RELGRAPH_PROGRESS", raising=False)
    result = CliRunner().invoke(cli, ["validate", str(readout)])  # click's runner: not a terminal
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_located_error_with_a_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://ex/a> <http://ex/p> <http://ex/b> .\n<http://ex/a> <http://ex/p> .\n")
    result = run("validate", str(bad), env={"RELGRAPH_PROGRESS": "1"})
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"Error: {bad}:2:")


def test_a_large_export_shows_a_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    corpus = tmp_path / "corpus.nt"
    generate(corpus, triples=60_000, seed=7, prefix="bars")  # more lines than the writer joins at once
    target = tmp_path / "out.ttl"
    result = run("export", "--data", str(corpus), "-o", str(target), env={"RELGRAPH_PROGRESS": "1"})
    assert result.exit_code == 0, result.output
    assert "exporting as turtle" in result.stderr
    assert result.stdout == ""
    assert target.read_bytes().startswith(b"@prefix rg: <https://w3id.org/relgraph/ontology#> .\n")
    quiet = tmp_path / "quiet.ttl"
    assert run("export", "--data", str(corpus), "-o", str(quiet), env={"RELGRAPH_PROGRESS": "0"}).stderr == ""
    assert quiet.read_bytes() == target.read_bytes()  # the bar changes nothing in the output


def test_an_unsorted_export_counts_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    target = tmp_path / "out.nt"
    result = run("export", "--no-sort", "-f", "ntriples", "-o", str(target), env={"RELGRAPH_PROGRESS": "1"})
    assert result.exit_code == 0, result.output
    assert "exporting as ntriples (bytes)" in result.stderr
    assert target.stat().st_size > 100_000  # the shipped graph, written through the counting writer
    assert result.stdout == ""


def test_a_count_without_an_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    target = tmp_path / "synth.nt"
    result = run("synth", "--sessions", "3", "-o", str(target), env={"RELGRAPH_PROGRESS": "1"})
    assert result.exit_code == 0, result.output  # a total of 0 (sessions, not triples) once crashed
    assert result.stderr.startswith("synth")
    assert result.stdout.startswith(f"{target}: ")
