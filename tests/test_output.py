"""Standard output of the `relgraph` command that cannot be written: one line, exit 2, nothing after it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relgraph.resources import data_dir

READOUT = data_dir() / "readouts" / "ani-2023-09-27-us-india-2plus2-intersessional.ttl"

COMMANDS = {
    "queries": ["queries"],
    "query": ["query", "dialogue-sessions"],
    "sparql": ["sparql", "ASK { ?s ?p ?o }"],
    "report": ["report"],
    "explain": ["explain", "rgd:ely-ratner"],
    "check": ["check"],
    "validate": ["validate", str(READOUT)],
    "export": ["export", "-f", "ntriples"],
    "export --no-sort": ["export", "--no-sort", "-f", "ntriples"],
}


def relgraph(*args: str, unbuffered: str = "", **popen: object) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-c", "from relgraph.cli import main; main()", *args],
        stderr=subprocess.PIPE,
        env=env,
        timeout=120,
        check=False,
        **popen,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_full_standard_output_is_one_line_and_exit_2(command: str, unbuffered: str) -> None:
    # all but export were an OSError traceback (exit 1, or 120 from the flush at exit)
    with Path("/dev/full").open("wb") as full:
        done = relgraph(*COMMANDS[command], unbuffered=unbuffered, stdout=full)
    assert done.returncode == 2
    assert done.stderr == b"Error: standard output: cannot write: No space left on device\n"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_closed_standard_output_is_one_line_and_exit_2(command: str) -> None:
    # all but export exited 0 with their output lost
    done = relgraph(*COMMANDS[command], pass_fds=(), preexec_fn=lambda: os.close(1))
    assert (done.returncode, done.stderr) == (2, b"Error: standard output: cannot write: it is closed\n")


def test_a_closed_standard_output_is_no_matter_when_nothing_is_written_there(tmp_path: Path) -> None:
    target = tmp_path / "graph.nt"
    done = relgraph("export", "-f", "ntriples", "-o", str(target), preexec_fn=lambda: os.close(1))
    assert (done.returncode, done.stderr) == (0, b"")
    assert target.read_bytes().count(b"\n") > 1000  # the shipped graph


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_closed_standard_error_loses_only_the_messages(command: str) -> None:
    # every command failed with exit 1 and no output (progress bars asked None whether it was a terminal)
    normal = relgraph(*COMMANDS[command], stdout=subprocess.PIPE)
    closed = relgraph(*COMMANDS[command], stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2))
    assert (closed.returncode, closed.stdout) == (normal.returncode, normal.stdout)
    assert normal.returncode == 0 and normal.stdout


def test_errors_with_standard_error_closed_keep_their_exit_codes_and_stay_off_standard_output() -> None:
    # they went to standard output, and exit codes changed (2 became 1)
    for args, code in ((["query", "nonexistent"], 2), (["validate", "missing.ttl"], 2)):
        done = relgraph(*args, stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2))
        assert (done.returncode, done.stdout) == (code, b"")


def test_a_closed_standard_input_is_one_line_and_exit_2() -> None:
    done = relgraph("sparql", "-", preexec_fn=lambda: os.close(0))  # a traceback (None has no read)
    assert (done.returncode, done.stderr) == (2, b"Error: <stdin>: standard input is closed\n")


def test_answers_are_written_byte_for_byte_and_tables_escape_control_characters(tmp_path: Path) -> None:
    # click dropped what looked like terminal escapes when not writing to a terminal: a CSV lost them;
    # a table on a terminal printed them raw, for the terminal to act on
    data = tmp_path / "odd.nt"
    data.write_text('<http://ex/a> <http://ex/p> "\\u001b[31mred\\u001b[0m" .\n')
    query = "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }"
    csv = relgraph("sparql", query, "--data", str(data), "-f", "csv", stdout=subprocess.PIPE)
    assert csv.returncode == 0 and csv.stdout == b"o\r\n\x1b[31mred\x1b[0m\r\n"
    table = relgraph("sparql", query, "--data", str(data), stdout=subprocess.PIPE)
    assert table.returncode == 0 and b"\x1b" not in table.stdout
    assert b"\\x1b[31mred\\x1b[0m" in table.stdout
