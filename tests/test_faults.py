"""The fault catalogue (docs/faults.md): bad, hostile and interrupted input through the real CLI.

Each test feeds real input to the real command and asserts the one-line message, the exit code, that
no traceback is printed and that nothing changed. docs/faults.md names one test here per case.
"""

from __future__ import annotations

import csv
import datetime
import errno
import fcntl
import io
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from relgraph import export as export_module
from relgraph import guard, resources, synth
from relgraph.cli import cli
from relgraph.errors import ConfigurationError, ExitCode, UsageError
from relgraph.export import export as export_graph
from relgraph.prefixes import PREFIXES
from relgraph.results import MAX_CELL_WIDTH
from relgraph.store import KnowledgeGraph
from relgraph.synth import generate, session_iter

ROOT = Path(__file__).resolve().parent.parent
READOUT = resources.data_dir() / "readouts" / "ani-2023-09-27-us-india-2plus2-intersessional.ttl"
RG, RGD, RDFS, OWL = PREFIXES["rg"], PREFIXES["rgd"], PREFIXES["rdfs"], PREFIXES["owl"]
RDF_NS = PREFIXES["rdf"]
ASK = "ASK { ?s ?p ?o }"
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=input)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_error(result: Result, code: int, *fragments: str) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def load_fails(tmp_path: Path, name: str, content: bytes, code: int, *fragments: str) -> str:
    """Give ``content`` as ``--data`` to a query: a one-line error, and the folder unchanged."""
    path = tmp_path / name
    path.write_bytes(content)
    before = snapshot(tmp_path)
    line = assert_error(run("sparql", ASK, "--data", str(path)), code, str(path), *fragments)
    assert snapshot(tmp_path) == before
    return line


def own_children() -> set[int]:
    """The processes whose parent is this one (running or not yet reaped)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            children.add(int(stat.parent.name))
    return children


RELGRAPH = Path(sys.executable).parent / "relgraph"


@dataclass
class Unwritable:
    """A folder of this user's that ``run`` (relgraph, as another user if need be) cannot write into.

    ``seal`` makes the folders in it read-only for ``run``; until then this user fills it.
    """

    folder: Path
    run: Callable[..., Any]
    seal: Callable[[], None]


@pytest.fixture
def unwritable() -> Iterator[Unwritable]:
    folder = Path(tempfile.mkdtemp(prefix="relgraph-unwritable-"))
    folder.chmod(0o755)
    folders = lambda: [folder, *(p for p in folder.rglob("*") if p.is_dir())]  # noqa: E731
    try:
        if os.geteuid() != 0:  # folders made read-only stop this user

            def seal() -> None:
                for path in folders():
                    path.chmod(0o555)

            yield Unwritable(folder, run, seal)
        else:  # nothing stops root: relgraph runs as nobody, in a subprocess
            setpriv = shutil.which("setpriv")
            command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", str(RELGRAPH)]
            if setpriv is None or subprocess.run([*command, "--version"], capture_output=True).returncode:
                pytest.skip("relgraph cannot run as another user here (setpriv, a checkout others can read)")

            def as_nobody(*args: str) -> SimpleNamespace:
                env = {**os.environ, "RELGRAPH_PROGRESS": "0"}
                done = subprocess.run([*command, *args], capture_output=True, text=True, cwd=folder, env=env)
                return SimpleNamespace(
                    exit_code=done.returncode, output=done.stdout + done.stderr, stderr=done.stderr
                )

            yield Unwritable(folder, as_nobody, lambda: None)
    finally:
        for path in folders():
            path.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


# --- strict, located parsing -------------------------------------------------------------------


def test_turtle_syntax_error_is_located(tmp_path: Path) -> None:
    load_fails(
        tmp_path, "bad.ttl", b"<http://ex/a> <http://ex/p> 1 .\n<http://ex/a> <http://ex/p> .\n", 2, ":2:"
    )


def test_ntriples_syntax_error_is_located(tmp_path: Path) -> None:
    # N-Triples has no bare numbers
    data = b'<http://ex/a> <http://ex/p> "1" .\n<http://ex/a> <http://ex/p> 2 .\n'
    load_fails(tmp_path, "bad.nt", data, 2, "bad.nt:2:29:")


def test_trig_syntax_error_is_located(tmp_path: Path) -> None:
    data = b"<http://ex/g> {\n  <http://ex/a> <http://ex/p> 1 .\n  <http://ex/a> <http://ex/p> ; \n}\n"
    load_fails(tmp_path, "bad.trig", data, 2, "bad.trig:3:")


def test_jsonld_syntax_error_is_located(tmp_path: Path) -> None:
    load_fails(tmp_path, "bad.jsonld", b'{"@id": "http://ex/a",\n "http://ex/p": [1,}', 2, "bad.jsonld:2:20:")


def test_rdfxml_syntax_error_is_located(tmp_path: Path) -> None:
    data = (
        f'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://ex/">\n'
        '<rdf:Description rdf:about="http://ex/a">\n  <ex:p>1</ex:q>\n</rdf:Description>\n</rdf:RDF>\n'
    ).encode()
    load_fails(tmp_path, "bad.rdf", data, 2, "bad.rdf:4:", "XML syntax error")


def test_iri_with_space_is_rejected(tmp_path: Path) -> None:
    load_fails(tmp_path, "space.ttl", b"<http://ex/a b> <http://ex/p> 1 .\n", 2, "space.ttl:1:1:", "IRI")


def test_bad_escape_is_rejected(tmp_path: Path) -> None:
    load_fails(
        tmp_path, "escape.ttl", b'<http://ex/a> <http://ex/p> "a\\qb" .\n', 2, "escape.ttl:1:", "escape"
    )


def test_literal_subject_is_rejected(tmp_path: Path) -> None:
    load_fails(tmp_path, "literal.nt", b'"x" <http://ex/p> "1" .\n', 2, "literal.nt:1:1:", "subject")


def test_not_utf8_is_located(tmp_path: Path) -> None:
    data = b'<http://ex/a> <http://ex/p> "ok" .\n<http://ex/a> <http://ex/p> "caf\xe9" .\n'
    load_fails(tmp_path, "latin1.ttl", data, 2, "latin1.ttl:2:33: not UTF-8 text (byte 0xe9)")


def test_utf16_is_refused(tmp_path: Path) -> None:
    data = "<http://ex/a> <http://ex/p> 1 .\n".encode("utf-16")
    load_fails(tmp_path, "wide.ttl", data, 2, "UTF-16", "UTF-8 text only")


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.ttl"
    path.write_bytes(b"\xef\xbb\xbf<http://ex/a> <http://ex/p> 1 .\n")
    result = run("sparql", "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }", "--data", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == "1"


def test_empty_file_is_refused(tmp_path: Path) -> None:
    load_fails(tmp_path, "empty.ttl", b"  \n", 2, "the file is empty")


def test_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.ttl").mkdir()
    assert_error(run("sparql", ASK, "--data", str(tmp_path / "folder.ttl")), 2, "is a directory")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert_error(run("sparql", ASK, "--data", str(tmp_path / "gone.ttl")), 2, "gone.ttl: no such file")


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    load_fails(
        tmp_path, "data.xyz", b"<http://ex/a> <http://ex/p> 1 .\n", 2, "unknown RDF file extension '.xyz'"
    )


# --- limits ------------------------------------------------------------------------------------


def test_file_too_big_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped: Path
) -> None:
    monkeypatch.setenv("RELGRAPH_MAX_FILE_BYTES", "1000")
    line = load_fails(tmp_path, "big.ttl", b"<http://ex/a> <http://ex/p> 1 .\n" * 100, 2, "too big")
    assert "(3200 bytes, limit 1000 bytes)" in line
    assert "use the on-disk store (--store DIR)" in line


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_data_of_no_known_size_is_held_to_the_file_size_limit_as_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a device or a pipe has no size to check before reading: /dev/zero filled 18 GB in 20 s
    monkeypatch.setenv("RELGRAPH_MAX_FILE_BYTES", "3000000")
    zeros = tmp_path / "zeros.ttl"
    zeros.symlink_to("/dev/zero")
    before = snapshot(tmp_path)
    result = run("sparql", "ASK { ?s ?p ?o }", "--data", str(zeros))
    line = assert_error(result, 2, f"{zeros}: file too big to load into memory (", "limit 3000000 bytes)")
    assert "use the on-disk store (--store DIR)" in line
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_query_text_from_a_device_or_standard_input_is_held_to_the_file_size_limit() -> None:
    # `relgraph sparql /dev/zero` and `yes | relgraph sparql -` read until the memory ran out
    limit = {"RELGRAPH_MAX_FILE_BYTES": "1000000"}
    assert_error(
        run("sparql", "/dev/zero", env=limit),
        2,
        "/dev/zero: the query is longer than 1000000 bytes (RELGRAPH_MAX_FILE_BYTES)",
    )
    endless = "y\n" * 600_000
    assert_error(
        run("sparql", "-", env=limit, input=endless),
        2,
        "<stdin>: the query is longer than 1000000 bytes (RELGRAPH_MAX_FILE_BYTES)",
    )


def test_long_literal_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped: Path) -> None:
    monkeypatch.setenv("RELGRAPH_MAX_LITERAL_CHARS", "100")
    data = b'<http://ex/a> <http://ex/p> "' + b"x" * 500 + b'" .\n'
    load_fails(tmp_path, "long.ttl", data, 2, "a literal of <http://ex/a> <http://ex/p> is 500 characters")
    as_jsonld = b'{"@id": "http://ex/a", "http://ex/p": "' + b"x" * 500 + b'"}'
    load_fails(
        tmp_path, "long.jsonld", as_jsonld, 2, "a literal of <http://ex/a> <http://ex/p> is 500 characters"
    )


@pytest.mark.parametrize("padding", [0, 200], ids=["small file", "file checked after loading"])
def test_triple_terms_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped: Path, padding: int
) -> None:
    monkeypatch.setenv("RELGRAPH_MAX_LITERAL_CHARS", "100")  # a file over 100 bytes is checked after loading
    data = b'<http://ex/a> <http://ex/p> "' + b"x" * padding + b'" .\n'
    data += b"<http://ex/a> <http://ex/q> <<( <http://ex/a> <http://ex/p> <http://ex/b> )>> .\n"
    load_fails(tmp_path, "rdf12.ttl", data, 2, "RDF 1.2 triple terms are not supported")


def test_triple_terms_are_refused_by_the_store_build(tmp_path: Path) -> None:
    data = tmp_path / "data" / "rdf12.nt"
    data.parent.mkdir()
    data.write_bytes(b"<http://ex/a> <http://ex/q> <<( <http://ex/a> <http://ex/p> <http://ex/b> )>> .\n")
    store = tmp_path / "store"
    result = run("sparql", ASK, "--store", str(store), "--data", str(data))
    assert_error(result, 2, str(data), "RDF 1.2 triple terms are not supported")
    assert not list(store.glob("store-*")) and not (store / "manifest.json").exists()  # nothing built


def _assert_jsonld_refused(
    tmp_path: Path, cases: list[tuple[bytes, str]], store: bool, *, validate: bool = False
) -> None:
    """Each JSON-LD text is refused in one line with its message, by a query (into ``--store`` too) and
    by ``validate``; no store is built."""
    for number, (content, message) in enumerate(cases):
        data = tmp_path / "data" / f"case{number}.jsonld"
        data.parent.mkdir(exist_ok=True)
        data.write_bytes(content)
        where = ["--store", str(tmp_path / "store")] if store else []
        assert_error(run("sparql", ASK, *where, "--data", str(data)), 2, f"{data}: {message}")
        if validate:
            assert_error(run("validate", str(data)), 2, f"{data}: {message}")
    assert not (tmp_path / "store" / "manifest.json").exists()  # nothing built


@pytest.mark.parametrize("store", [False, True], ids=["in-memory", "store"])
def test_jsonld_that_would_load_nothing_is_refused(tmp_path: Path, store: bool) -> None:
    # JSON-LD drops a node with a relative @id, and a key no @context maps: such a file loaded
    # nothing, and `validate` said it conformed
    cases = [
        (b'{"@id": "officials/1", "http://ex/p": "v"}', 'a relative IRI, "officials/1": give absolute IRIs'),
        (b'{"@id": "http://ex/a", "http://ex/p": {"@id": "#b"}}', 'a relative IRI, "#b"'),
        (b'{"@id": "http://ex/a", "@type": "Official"}', 'a relative IRI, "Official"'),
        # one naming a host kept the scheme of an http: base, and was loaded as http://other.example/x
        (b'{"@id": "//other.example/x", "http://ex/p": "v"}', 'a relative IRI, "//other.example/x"'),
        (b'{"@context": {"name": "http://ex/name"}}', "no triples: JSON-LD drops a key"),
    ]
    _assert_jsonld_refused(tmp_path, cases, store, validate=True)
    # absolute IRIs, or a @base and @vocab that make them so: loaded
    good = tmp_path / "good.jsonld"
    good.write_text(
        '{"@context": {"@base": "https://w3id.org/relgraph/id/", "@vocab": "http://www.w3.org/2000/01/rdf-schema#"},'
        ' "@id": "officials/1", "label": "A"}'
    )
    ask = "ASK { <https://w3id.org/relgraph/id/officials/1> rdfs:label 'A' }"
    assert (
        run(
            "sparql", f"PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> {ask}", "--data", str(good)
        ).stdout
        == "true\n"
    )


@pytest.mark.parametrize("store", [False, True], ids=["in-memory", "store"])
def test_jsonld_that_would_drop_some_triples_is_refused(tmp_path: Path, store: bool) -> None:
    # such a file loaded with those triples missing, exit 0
    cases = [
        (
            b'{"@id": "http://ex/a", "http://ex/p": "v", "name": "A"}',
            'the key "name" is mapped to no IRI (no @context defines it, and there is no @vocab)',
        ),
        (
            b'{"@id": "http://ex/a", "http://ex/p": {"@id": "http://ex/has space"}}',
            "\"http://ex/has space\" is not an IRI (it contains ' '): JSON-LD would drop it",
        ),
        (
            b'{"@context": {"@base": null}, "@graph": [{"@id": "http://ex/a", "http://ex/p": "v"},'
            b' {"@id": "dropped", "http://ex/p": "w"}]}',
            'a relative IRI, "dropped", where "@base" is null: JSON-LD would drop it',
        ),
        # a graph container holds a node (its keys are terms), and a keyword alias is the keyword
        (
            b'{"@context": {"g": {"@id": "http://ex/g", "@container": "@graph"}}, "@id": "http://ex/a",'
            b' "g": {"@id": "http://ex/b", "http://ex/p": 1, "name": "x"}}',
            'the key "name" is mapped to no IRI',
        ),
        (
            b'{"@context": {"type": "@type"}, "@id": "http://ex/a", "http://ex/p": 1, "type": "a b"}',
            "\"a b\" is not an IRI (it contains ' ')",
        ),
    ]
    _assert_jsonld_refused(tmp_path, cases, store)
    # terms of any @context (scoped ones too), keyword aliases, language and index maps (their keys are
    # data), a @json value, @reverse, @list and compact IRIs: every triple JSON-LD makes is loaded
    rich = tmp_path / "rich.jsonld"
    rich.write_text(
        json.dumps(
            {
                "@context": {
                    "ex": "http://ex/",
                    "id": "@id",
                    "My Type": "http://ex/MyType",
                    "label": {"@id": "http://www.w3.org/2000/01/rdf-schema#label", "@container": "@language"},
                    "tags": {"@id": "ex:tag", "@container": "@index"},
                    "data": {"@id": "ex:data", "@type": "@json"},
                    "scoped": {"@id": "ex:scoped", "@context": {"inner": "ex:inner"}},
                    "knows": {"@reverse": "ex:knownBy"},
                },
                "@graph": [
                    {
                        "id": "ex:a",
                        "@type": "My Type",
                        "label": {"en": "A", "fr": "Ah"},
                        "tags": {"one": "x", "two": {"@id": "ex:t"}},
                        "data": {"any key": [1, {"x": 2}]},
                        "scoped": {"inner": 5},
                        "knows": {"@id": "ex:b"},
                        "ex:direct": {"@list": [1, 2]},
                    },
                    {"@id": "_:b1", "@reverse": {"ex:q": {"@id": "ex:c"}}},
                ],
            }
        )
    )
    made = len(list(ox.parse(path=str(rich))))
    count = run("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--data", str(rich), "-f", "csv")
    shipped = run("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-f", "csv")
    # a type, 2 labels, 2 tags, the JSON, scoped 2, the reverse 2, the list 5 (direct, 2 first, 2 rest)
    assert made == 15 and int(count.stdout.split()[1]) == int(shipped.stdout.split()[1]) + made


def test_jsonld_nesting_is_refused(tmp_path: Path) -> None:
    data = b'{"@id": "http://ex/a",\n "http://ex/p": ' + b"[" * 5000 + b"1" + b"]" * 5000 + b"}"
    load_fails(tmp_path, "deep.jsonld", data, 2, "deep.jsonld:2: nested too deeply (more than 200 levels")


def test_rdfxml_nesting_is_refused(tmp_path: Path) -> None:
    inner = b"<ex:p><rdf:Description>" * 5000 + b"</rdf:Description></ex:p>" * 5000
    data = (
        f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://ex/">\n<rdf:Description rdf:about="http://ex/a">'.encode()
        + inner
        + b"</rdf:Description></rdf:RDF>"
    )
    load_fails(tmp_path, "deep.rdf", data, 2, "deep.rdf:2:", "nested too deeply (more than 200 levels")


def _relgraph(*args: str, isolate: bool = False, **env: str) -> subprocess.Popen[bytes]:
    """Start the real ``relgraph`` command in its own process group (runaway queries end with it)."""
    environ = {**os.environ, **env, "RELGRAPH_ISOLATE_QUERIES": "1" if isolate else "0"}
    return subprocess.Popen(
        [sys.executable, "-c", "from relgraph.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=environ,
    )


def _assert_stopped(process: subprocess.Popen[bytes], code: int, message: str, within: float) -> None:
    """``process`` ends within ``within`` seconds with ``code`` and ``message`` on one stderr line."""
    started = time.monotonic()
    try:
        out, err = process.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"relgraph still ran after {within} s") from None
    assert time.monotonic() - started < within
    assert process.returncode == code, err
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert out == b""


def test_runaway_query_ends_the_command_at_the_timeout() -> None:
    process = _relgraph("sparql", SLOW_QUERY, "--timeout", "1")
    _assert_stopped(process, int(ExitCode.TIMEOUT), "Error: query stopped after the timeout of 1 s", 30)
    assert not Path(f"/proc/{process.pid}").exists()  # ended, with its query thread, and reaped


def test_runaway_query_in_a_worker_is_killed_with_no_orphan() -> None:
    before = own_children()
    result = run("sparql", SLOW_QUERY, "--timeout", "1", env={"RELGRAPH_ISOLATE_QUERIES": "1"})
    assert_error(result, int(ExitCode.TIMEOUT), "query stopped after the timeout of 1 s")
    assert own_children() == before


def test_runaway_query_is_stopped_by_default_timeout() -> None:
    process = _relgraph("sparql", SLOW_QUERY, RELGRAPH_TIMEOUT="0.5")
    _assert_stopped(process, int(ExitCode.TIMEOUT), "timeout of 0.5 s", 30)


@pytest.mark.parametrize(
    ("command", "what"),
    [
        (("validate", str(READOUT)), "validation"),  # --timeout was accepted and did nothing
        (("report",), "query"),  # these two said 3, a broken canned query
        (("explain", "rgd:ely-ratner"), "query"),
        (("check",), "query"),
    ],
)
def test_every_command_with_a_timeout_stops_at_it_with_exit_5(command: tuple[str, ...], what: str) -> None:
    result = run(*command, "--timeout", "0.000001")
    assert_error(result, int(ExitCode.TIMEOUT), f"{what} stopped after the timeout of 1e-06 s")


def test_timeout_must_be_positive() -> None:
    assert_error(run("sparql", ASK, "--timeout", "0"), 2, "--timeout 0: must be a positive number of seconds")


@pytest.mark.parametrize("command", [("sparql", ASK), ("export", "--format", "ntriples")])
def test_infinite_timeout_is_a_usage_error_not_a_traceback(command: tuple[str, ...]) -> None:
    # float("inf") is positive: it used to reach the wait and end in an OverflowError traceback
    assert_error(run(*command, "--timeout", "inf"), 2, "--timeout inf: must be a positive number of seconds")


@pytest.mark.parametrize("value", ["inf", "soon"])
@pytest.mark.parametrize(
    "variable",
    ["RELGRAPH_TIMEOUT", "RELGRAPH_MAX_FILE_BYTES", "RELGRAPH_MAX_DEPTH", "RELGRAPH_MAX_MEMORY_BYTES"],
)
def test_bad_limit_in_the_environment_is_a_usage_error(variable: str, value: str) -> None:
    # "inf" used to end in an OverflowError traceback; either was reported as a broken shipped graph (3);
    # a bad RELGRAPH_MAX_MEMORY_BYTES was ignored (the workers' default cap used instead)
    result = run("sparql", ASK, env={variable: value})
    assert_error(result, int(ExitCode.USAGE), f"{variable}='{value}': must be a positive number")


@pytest.mark.parametrize("value", ["0.5", "1e19", "1000.9", "0", str(2**62 + 1)])
@pytest.mark.parametrize(
    "variable",
    [
        "RELGRAPH_MAX_FILE_BYTES",
        "RELGRAPH_MAX_LITERAL_CHARS",
        "RELGRAPH_MAX_DEPTH",
        "RELGRAPH_MAX_MEMORY_BYTES",
    ],
)
def test_a_size_limit_must_be_a_whole_number_of_one_or_more(variable: str, value: str) -> None:
    # 0.5 passed as positive and became 0: a file limit of 0 bytes failed on the shipped ontology (exit 3);
    # 1e19 overflowed the worker's memory limit ("its worker process stopped without an answer"); 2**62 + 1,
    # read as a float, became 2**62 and passed
    result = run("sparql", ASK, env={variable: value})
    assert_error(result, int(ExitCode.USAGE), f"{variable}='{value}': must be a whole number from 1 to 2**62")


@pytest.mark.parametrize("where", ["comment", "iri", "literal"])
@pytest.mark.parametrize("store", [False, True], ids=["in memory", "on-disk store"])
def test_a_token_longer_than_the_parser_buffer_is_one_line(tmp_path: Path, where: str, store: bool) -> None:
    # pyoxigraph's parser holds a token in a buffer of 16 MiB: a longer comment, IRI or literal (of
    # multi-byte characters, under the character limit) ended in a MemoryError traceback
    big = {
        "comment": "#" + "x" * 17_000_000 + '\n<http://ex/a> <http://ex/b> "c" .\n',
        "iri": "<http://ex/" + "a" * 17_000_000 + '> <http://ex/b> "c" .\n',
        "literal": '<http://ex/a> <http://ex/b> "' + "\u00e9" * 9_000_000 + '" .\n',
    }[where]
    data = tmp_path / "long.ttl"
    data.write_text(big, encoding="utf-8")
    options = ["--store", str(tmp_path / "store")] if store else []
    result = run("sparql", ASK, "--data", str(data), *options)
    assert_error(
        result, int(ExitCode.USAGE), f"{data}: a comment, IRI or literal is longer than the parser can hold"
    )


def test_a_symlink_loop_or_a_control_character_in_a_file_name_is_one_line(tmp_path: Path) -> None:
    # a loop of symbolic links was a RuntimeError traceback with --data, and read as query text by
    # sparql; a line break or terminal escape in a file name was written out raw, on two lines
    loop = tmp_path / "l1.ttl"
    loop.symlink_to(tmp_path / "l2.ttl")
    (tmp_path / "l2.ttl").symlink_to(loop)
    assert_error(
        run("sparql", ASK, "--data", str(loop)), int(ExitCode.USAGE), f"{loop}: a loop of symbolic links"
    )
    assert_error(run("sparql", str(loop)), int(ExitCode.USAGE), f"{loop}: cannot read the file")
    odd = tmp_path / "bad\nname\x1b[31m.ttl"
    odd.write_text("junk\n")
    line = assert_error(run("validate", str(odd)), int(ExitCode.USAGE), "bad\\x0aname\\x1b[31m.ttl:1:1: ")
    assert "\x1b" not in line


@pytest.mark.parametrize(
    "query",
    [
        "ASK { " + "{" * 5000 + "}" * 5000 + " }",
        "ASK { FILTER(" + "(" * 10000 + "1" + ")" * 10000 + ") }",
        "ASK { FILTER(" + "!" * 30000 + "true) }",
        "ASK { FILTER(1<" + "(" * 10000 + "1" + ")" * 10000 + ">2) }",  # no IRI, though it looks like one
        "ASK { FILTER(" + "+".join(["1"] * 20000) + " > 0) }",  # a chain: read recursively too
        "ASK { " + " UNION ".join(["{ ?s ?p ?o }"] * 5000) + " }",
        "ASK { " + " . ".join(f"<urn:s{i}> a <urn:c>" for i in range(3000)) + " }",  # 2,600 crashed
        "ASK { <urn:s> <urn:p> " + ",".join(["1"] * 10000) + " }",
    ],
    ids=[
        "braces",
        "parentheses",
        "negations",
        "hidden-in-an-iri",
        "plus-chain",
        "unions",
        "patterns",
        "objects",
    ],
)
def test_a_query_nested_too_deeply_for_the_parser_is_one_line(tmp_path: Path, query: str) -> None:
    # Oxigraph's recursive parser overflowed the stack: relgraph died of SIGSEGV (exit 139, no message)
    source = tmp_path / "deep.rq"
    source.write_text(query)
    result = subprocess.run(
        [sys.executable, "-m", "relgraph", "sparql", str(source)], capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout) == (int(ExitCode.USAGE), "")
    assert result.stderr.startswith(f"Error: {source}: the query nests too deeply for Oxigraph's parser")
    assert len(result.stderr.splitlines()) == 1
    # a query nested deeper than the budget but within the parser's reach is checked aside, and runs
    fine = "ASK { " + "{" * 450 + "}" * 450 + " }"
    assert (run("sparql", fine).exit_code, run("sparql", fine).output) == (0, "true\n")


def test_synth_writes_a_temporary_file_of_its_own_and_leaves_none(tmp_path: Path) -> None:
    # it wrote through the fixed name .c.nt.tmp, following a symbolic link found there (overwriting
    # what it pointed to), and Ctrl-C left the half-written file behind
    from relgraph.synth import generate

    victim = tmp_path / "victim.txt"
    victim.write_text("VICTIM\n")
    (tmp_path / ".c.nt.tmp").symlink_to(victim)
    result = run("synth", "--sessions", "1", "-o", str(tmp_path / "c.nt"))
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "VICTIM\n"
    assert (tmp_path / "c.nt").read_text().startswith("# Synthetic relgraph readouts")
    assert (tmp_path / "c.nt").stat().st_mode & 0o777 == export_module.new_file_mode()

    def interrupt(written: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "d.nt", sessions=3, progress=interrupt)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".d.nt")) == []
    assert not (tmp_path / "d.nt").exists()


def test_a_timeout_beyond_what_the_platform_can_wait_is_waited_in_full() -> None:
    # 1e12 s is more than threading.TIMEOUT_MAX and time_t: the wait is capped, not an error
    result = run("sparql", ASK, "--timeout", "1e12")
    assert (result.exit_code, result.output) == (0, "true\n")


def test_ctrl_c_during_query_exits_130_at_once() -> None:
    process = _relgraph("sparql", SLOW_QUERY)
    _wait_for_query_thread(process.pid)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    _assert_stopped(process, int(ExitCode.INTERRUPTED), "Interrupted.", 30)


def test_ctrl_c_in_a_worker_exits_130_with_no_orphan() -> None:
    process = _relgraph("sparql", SLOW_QUERY, isolate=True)
    worker = _wait_for_child(process.pid)
    os.killpg(process.pid, signal.SIGINT)  # the terminal sends it to relgraph and its worker
    _assert_stopped(process, int(ExitCode.INTERRUPTED), "Interrupted.", 30)
    assert not Path(f"/proc/{worker}").exists() or "Z" in Path(f"/proc/{worker}/stat").read_text().split()[2]


def test_ctrl_c_to_relgraph_alone_kills_and_reaps_its_query_worker() -> None:
    process = _relgraph("sparql", SLOW_QUERY, isolate=True)
    worker = _wait_for_child(process.pid)
    os.kill(process.pid, signal.SIGINT)  # only relgraph gets it, not its worker
    _assert_stopped(process, int(ExitCode.INTERRUPTED), "Interrupted.", 30)
    assert not Path(f"/proc/{worker}").exists()  # killed and reaped by relgraph, not left running


def _wait_for_query_thread(pid: int) -> None:
    """Wait until process ``pid`` runs its query on a second thread."""
    for _ in range(6000):
        if len(list(Path(f"/proc/{pid}/task").iterdir())) > 1:
            return
        time.sleep(0.01)
    raise AssertionError("the query thread never started")


def _wait_for_child(pid: int) -> int:
    """Wait until process ``pid`` has forked its query worker; return the worker's pid."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for _ in range(6000):
        found = children.read_text().split() if children.exists() else []
        if found:
            return int(found[0])
        time.sleep(0.01)
    raise AssertionError("the query worker never started")


# --- no fetching, ever, unless allowed ---------------------------------------------------------


def test_jsonld_remote_context_is_refused(tmp_path: Path) -> None:
    data = b'{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://ex/a", "label": "A"}'
    load_fails(tmp_path, "remote.jsonld", data, 2, "remote JSON-LD contexts are never loaded")


def test_jsonld_file_context_is_refused(tmp_path: Path) -> None:
    (tmp_path / "context.jsonld").write_text('{"@context": {"label": "http://ex/label"}}')
    data = f'{{"@context": "{(tmp_path / "context.jsonld").as_uri()}", "@id": "http://ex/a", "label": "A"}}'
    load_fails(tmp_path, "local.jsonld", data.encode(), 2, "remote JSON-LD contexts are never loaded")


def test_xml_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://ex/">\n'
        '<rdf:Description rdf:about="http://ex/a"><ex:p>&xxe;</ex:p></rdf:Description></rdf:RDF>\n'
    ).encode()
    line = load_fails(tmp_path, "xxe.rdf", data, 2, "xxe.rdf:2:", "external XML entity 'xxe' refused")
    assert "top secret" not in line


def test_xml_entity_expansion_bomb_is_refused(tmp_path: Path) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://ex/">\n'
        '<rdf:Description rdf:about="http://ex/a"><ex:p>&j;</ex:p></rdf:Description></rdf:RDF>\n'
    ).encode()
    load_fails(tmp_path, "lol.rdf", data, 2, "lol.rdf:2:", "XML entity 'b' refers to another entity")


def test_xml_internal_entities_still_work(tmp_path: Path) -> None:
    path = tmp_path / "entities.rdf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ex "http://ex/">]>\n'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://ex/">\n'
        '<rdf:Description rdf:about="&ex;a"><ex:p>v</ex:p></rdf:Description></rdf:RDF>\n'
    )
    result = run("sparql", "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }", "--data", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == "v"


def _importer(tmp_path: Path, target: str) -> Path:
    path = tmp_path / "importer.ttl"
    path.write_text(f"<http://ex/onto> a <{OWL}Ontology> ; <{OWL}imports> <{target}> .\n")
    return path


def test_owl_imports_are_not_followed(tmp_path: Path) -> None:
    imported = tmp_path / "imported.ttl"
    imported.write_text("<http://ex/imported> <http://ex/p> 1 .\n")
    importer = _importer(tmp_path, imported.as_uri())
    result = run("sparql", "ASK { <http://ex/imported> ?p ?o }", "--data", str(importer), "-f", "json")
    assert result.exit_code == 0, result.output
    assert '"boolean": false' in result.stdout


def test_owl_imports_of_local_files_are_followed_with_allow_imports(tmp_path: Path) -> None:
    imported = tmp_path / "imported.ttl"
    imported.write_text("<http://ex/imported> <http://ex/p> 1 .\n")
    importer = _importer(tmp_path, imported.as_uri())
    query = "ASK { <http://ex/imported> ?p ?o }"
    result = run("sparql", query, "--data", str(importer), "--allow-imports", "-f", "json")
    assert result.exit_code == 0, result.output
    assert '"boolean": true' in result.stdout


def test_owl_imports_over_the_network_are_refused_even_with_allow_imports(tmp_path: Path) -> None:
    importer = _importer(tmp_path, "http://127.0.0.1:9/onto.ttl")
    before = snapshot(tmp_path)
    result = run("sparql", ASK, "--data", str(importer), "--allow-imports")
    assert_error(result, 2, "importer.ttl: owl:imports <http://127.0.0.1:9/onto.ttl> is not followed")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE is not allowed"),
        ("SELECT * FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }", "FROM / FROM NAMED is not allowed"),
        ("SELECT * FROM NAMED <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }", "FROM / FROM NAMED is not allowed"),
        ("LOAD <http://127.0.0.1:9/data.ttl>", "updates (INSERT, DELETE, LOAD"),
        ("PREFIX : <http://127.0.0.1:9/> SELECT * { SERVICE:x { ?s ?p ?o } }", "SERVICE is not allowed"),
    ],
    ids=["service", "from", "from-named", "load", "service-glued"],
)
def test_sparql_that_would_fetch_is_refused(query: str, fragment: str) -> None:
    assert_error(run("sparql", query), 2, fragment)


# a FROM rdflib did not see: in what rdflib, expanding \u0022 everywhere, read as a string; and glued to a
# prefixed name in a query rdflib cannot parse (LATERAL), where a token scan found no bare FROM
_HIDDEN_FROM = {
    "escape": 'SELECT (STR("\\u0022") AS ?y) FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o '
    'BIND(\'""") AS ?y) WHERE { } #\' AS ?z) }',
    "glued": "PREFIX : <http://127.0.0.1:9/> SELECT (COUNT(*) AS ?n) FROM:g "
    "{ ?s ?p ?o LATERAL { BIND(1 AS ?x) } }",
    # a comment ended by a carriage return (rdflib read on to the line feed, FROM in the comment)
    "carriage-return": "SELECT (COUNT(*) AS ?n) # note\rFROM <http://127.0.0.1:9/g> \nWHERE { ?s ?p ?o }",
    # an escape in code: a syntax error to Oxigraph, FROM to an endpoint that expands escapes first
    "escaped-keyword": "SELECT (COUNT(*) AS ?n) \\u0046ROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }",
}


@pytest.mark.parametrize("case", list(_HIDDEN_FROM))
def test_a_from_hidden_from_rdflib_is_refused(case: str) -> None:
    # both ran (0 rows where the graph has 1,188 triples), and --endpoint sent the FROM to the server
    query = _HIDDEN_FROM[case]
    assert_error(run("sparql", query), 2, "FROM / FROM NAMED is not allowed")
    assert_error(run("sparql", query, "--endpoint", "http://127.0.0.1:9/sparql"), 2, "FROM / FROM NAMED")
    unhidden = query.replace("\\u0046ROM", "FROM").replace("FROM <http://127.0.0.1:9/g> ", "")
    unhidden = unhidden.replace("FROM:g ", "")
    assert unhidden != query
    assert run("sparql", unhidden).exit_code == 0  # the same query without its FROM runs


def test_sparql_reads_a_query_file_with_a_brace_in_its_name_and_text_with_a_byte_order_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # q{1}.rq was read as query text (a syntax error at 1:8), and a mark before pasted text was one at 1:10
    monkeypatch.chdir(tmp_path)
    Path("q{1}.rq").write_text("SELECT (1 AS ?x) {}\n")
    assert run("sparql", "q{1}.rq", "-f", "csv").stdout == "x\n1\n"
    assert run("sparql", "\ufeffSELECT (2 AS ?x) {}", "-f", "csv").stdout == "x\n2\n"


def test_a_long_run_of_digits_is_scanned_at_once() -> None:
    # the token scan of the read-only check was quadratic on a run of digits: 40 kB took a minute
    started = time.monotonic()
    result = run("sparql", "ASK { " + "1" * 400_000 + " }")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: SPARQL syntax error")
    assert time.monotonic() - started < 30  # seconds, where the quadratic scan took hours


def test_an_undeclared_prefix_is_named_with_its_declaration() -> None:
    # Oxigraph said "expected one of Prefix not found, ['%'], ['-' | '0' ..= '9' | '\u{00B7}' ..." (700
    # characters), or, in a FILTER or a property path, listed keywords and did not mention the prefix
    result = run("sparql", "SELECT ?s WHERE {\n  ?s a rg:Official }")
    assert_error(
        result,
        2,
        "SPARQL syntax error at line 2, column 8: the prefix rg: is not declared: "
        "add PREFIX rg: <https://w3id.org/relgraph/ontology#> before the query",
    )
    result = run("sparql", "PREFIX rg: <https://w3id.org/relgraph/ontology#>\nASK { ?s rg:p/ex:q ?o }")
    assert_error(result, 2, "line 2, column 15: the prefix ex: is not declared: add PREFIX ex: <...>")
    result = run("sparql", "ASK { ?s ?p ?o FILTER(?o = :x) }")
    assert_error(result, 2, "line 1, column 28: the prefix : is not declared")
    # a string, an IRI, a comment and a blank node label are not prefixed names
    result = run("sparql", "ASK { <x:y> <x:a> 'ex:z' . # ex:w\n ?s ?p")
    line = assert_error(result, 2, "SPARQL syntax error at line 2, column 7: expected one of ")
    assert "prefix" not in line and len(line) < 400 and line.endswith(", ...")  # 572 characters
    assert "prefix" not in assert_error(run("sparql", "ASK { _:b ?p ?o FILTER(?o = ) }"), 2)


def test_query_file_with_a_byte_order_mark_empty_or_missing(tmp_path: Path) -> None:
    # a UTF-8 byte order mark was a syntax error at 1:8, an empty file "SPARQL syntax error: expected
    # [_]", and a missing file whose name has a space was read as query text
    marked = tmp_path / "marked.rq"
    marked.write_bytes(b"\xef\xbb\xbfASK { ?s ?p ?o }")
    result = run("sparql", str(marked), "-f", "json")
    assert (result.exit_code, json.loads(result.stdout)["boolean"]) == (0, True)
    result = run("sparql", "-", "-f", "json", input="\ufeffASK { ?s ?p ?o }")
    assert (result.exit_code, json.loads(result.stdout)["boolean"]) == (0, True)
    empty = tmp_path / "empty.rq"
    empty.write_text(" \n")
    assert_error(run("sparql", str(empty)), 2, f"{empty}: the query is empty")
    assert_error(run("sparql", "-", input=""), 2, "<stdin>: the query is empty")
    missing = tmp_path / "my query.rq"
    assert_error(run("sparql", str(missing)), 2, f"{missing}: no such file")


def test_sparql_is_read_only() -> None:
    update = f"INSERT DATA {{ <{RGD}x> <{RDFS}label> 'x' }}"
    assert_error(run("sparql", update), 2, "updates (INSERT, DELETE, LOAD, CLEAR, ...) are not allowed")


def test_guard_refuses_network_and_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("x")
    with guard.sandbox([tmp_path / "named.ttl"]):
        with pytest.raises(guard.FetchRefusedError, match="never fetches"):
            urllib.request.urlopen("http://127.0.0.1:9/")
        with pytest.raises(guard.FetchRefusedError, match="never uses the network"):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
        with pytest.raises(guard.FetchRefusedError, match="only reads the files it is given"):
            other.read_text()
        with pytest.raises(guard.FetchRefusedError, match="runs no other programs"):
            subprocess.run(["true"], check=False)
    assert other.read_text() == "x"  # outside the sandbox, nothing is refused


def test_guard_allows_127_0_0_1_only_when_asked() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        with guard.sandbox():
            with pytest.raises(guard.FetchRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=5)
            with guard.allow_network("127.0.0.1"):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        server.close()


# --- nothing lost ------------------------------------------------------------------------------


def _old_export(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    target = tmp_path / "out" / "graph.ttl"
    target.parent.mkdir()
    target.write_bytes(b"<http://ex/old> <http://ex/p> 1 .\n")
    return target, snapshot(target.parent)


@pytest.mark.parametrize("sort", [[], ["--no-sort"]], ids=["sorted", "unsorted"])
@pytest.mark.parametrize(
    ("triple", "found"),
    [
        ('<http://ex/a> <urn:isbn:123> "y" .', "the predicate <urn:isbn:123> does not end with an XML name"),
        ('<http://ex/a> <http://ex/p/> "y" .', "the predicate <http://ex/p/> does not end with an XML name"),
        (
            '<http://ex/a> <http://ex/r> "\\u0001ctl" .',
            "the literal of <http://ex/a> <http://ex/r> holds U+0001",
        ),
        # the class of a typed node is an element name too; Python's \w took "²" for a name character
        (
            f"<http://ex/a> <{RDF_NS}type> <http://ex/C/> .",
            "the class <http://ex/C/> does not end with an XML name",
        ),
        ('<http://ex/a> <http://ex/p\u00b2> "y" .', "the predicate <http://ex/p\u00b2> does not end with"),
        # a regular expression took 21 s to find that 60,000 name characters did not end the IRI
        (f'<http://ex/a> <http://ex/{"a" * 60000}/> "y" .', f"the predicate <http://ex/{'a' * 190}…> does"),
        # one of RDF/XML's own terms: the serializer refused it without naming it ("cannot write")
        (
            f'<http://ex/a> <{RDF_NS}li> "y" .',
            f"the predicate <{RDF_NS}li> cannot be written in RDF/XML (RDF/XML reserved syntax term",
        ),
    ],
    ids=[
        "predicate ending with a digit",
        "predicate ending with a slash",
        "control character",
        "class ending with a slash",
        "predicate ending with a superscript",
        "long predicate",
        "reserved term",
    ],
)
def test_rdf_xml_export_of_what_xml_cannot_hold_keeps_the_old_file(
    tmp_path: Path, triple: str, found: str, sort: list[str]
) -> None:
    # pyoxigraph wrote `<oxprefix:>` or a raw U+0001, XML that no reader takes (relgraph's own included),
    # with exit 0
    data = tmp_path / "odd.nt"
    data.write_text(triple + "\n")
    target, before = _old_export(tmp_path)
    result = run("export", "--data", str(data), "-f", "xml", "-o", str(target), *sort)
    line = assert_error(result, 2, f"{target}: cannot serialize the graph as xml: {found}")
    assert line.endswith("; export as Turtle or N-Triples")
    assert snapshot(target.parent) == before


@pytest.mark.parametrize("sort", [[], ["--no-sort"]], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("to_file", [True, False], ids=["file", "stdout"])
def test_rdf_xml_export_keeps_carriage_returns(tmp_path: Path, sort: list[str], to_file: bool) -> None:
    # pyoxigraph wrote a literal's CR raw, which every XML reader (rdflib, Jena, Protégé) reads as LF:
    # "a\r\nb" came back "a\nb" (pyoxigraph's own reader kept it, so relgraph's round trip looked right)
    import rdflib

    data = tmp_path / "cr.nt"
    data.write_text('<http://ex/s> <http://ex/p> "a\\r\\nb\\rc" .\n<http://ex/s> <http://ex/q> "d\\ne" .\n')
    target = tmp_path / "cr.rdf"
    result = run(
        "export",
        "--data-only",
        "--data",
        str(data),
        "-f",
        "xml",
        *sort,
        *(["-o", str(target)] if to_file else []),
    )
    assert result.exit_code == 0, result.output
    written = target.read_bytes() if to_file else result.stdout_bytes
    assert b"\r" not in written
    graph = rdflib.Graph().parse(data=written, format="xml")
    assert graph.value(rdflib.URIRef("http://ex/s"), rdflib.URIRef("http://ex/p")) == rdflib.Literal(
        "a\r\nb\rc"
    )
    assert graph.value(rdflib.URIRef("http://ex/s"), rdflib.URIRef("http://ex/q")) == rdflib.Literal("d\ne")
    back = {(q.subject, q.predicate, q.object) for q in ox.parse(written, ox.RdfFormat.RDF_XML)}
    assert (ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p"), ox.Literal("a\r\nb\rc")) in back


def test_export_keeps_old_file_on_serializer_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object, **_kwargs: object) -> bytes:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(export_module.ox, "serialize", explode)  # both the line-sorted and canonical paths
    monkeypatch.setattr(export_module, "_turtle", explode)  # and relgraph's Turtle writer
    target, before = _old_export(tmp_path)
    assert_error(run("export", "-o", str(target)), 2, "graph.ttl: cannot serialize the graph as turtle")
    assert snapshot(target.parent) == before


def test_export_keeps_old_file_when_blank_node_chain_is_too_slow(tmp_path: Path) -> None:
    chain = tmp_path / "chain.nt"
    chain.write_text("".join(f"_:b{i} <http://ex/next> _:b{i + 1} .\n" for i in range(2000)))
    target, before = _old_export(tmp_path)
    result = run("export", "--data-only", "--data", str(chain), "-o", str(target), "--timeout", "1")
    assert_error(result, int(ExitCode.TIMEOUT), "graph.ttl: export as turtle stopped after the timeout")
    assert snapshot(target.parent) == before


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the shipped data folder to add readouts to."""
    folder = tmp_path / "data"
    shutil.copytree(resources.data_dir(), folder)
    return folder


NOTE = f'<{RGD}test-note> <{RDFS}comment> "a note about nothing" .\n'


def test_add_valid_readout(tmp_path: Path, data_copy: Path) -> None:
    new = tmp_path / "note.ttl"
    new.write_text(NOTE)
    result = run("add", str(new), "--data-dir", str(data_copy))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{new}: added as {data_copy / 'readouts' / 'note.ttl'} (1 triples)\n"
    assert (data_copy / "readouts" / "note.ttl").read_bytes() == new.read_bytes()
    shipped = [p.name for p in (resources.data_dir() / "readouts").iterdir()]
    assert "ani-2023-09-27-us-india-2plus2-intersessional.ttl" in shipped
    assert sorted(p.name for p in (data_copy / "readouts").iterdir()) == sorted([*shipped, "note.ttl"])


def test_add_writes_the_bytes_it_validated(tmp_path: Path, data_copy: Path) -> None:
    # add read the file three times (to parse, to copy, to validate): a file saved by an editor while it
    # was validated, or a named pipe, put bytes in the data that were never validated
    from relgraph.add import add_readout

    new = tmp_path / "note.ttl"
    new.write_text(NOTE)

    def edit_meanwhile(line: str) -> None:  # called as validation starts
        new.write_text("not turtle {{{\n")

    outcome = add_readout(new, data_dir=data_copy, progress=edit_meanwhile)
    assert outcome.added == data_copy / "readouts" / "note.ttl" and outcome.report is not None
    assert outcome.added.read_text() == NOTE  # what was validated, not what the file holds now
    assert outcome.report.files == [new]
    # a report names the file given, not the private copy it was validated from
    bad = tmp_path / "bad.ttl"
    bad.write_text(f"<{RGD}test-bad> a <https://w3id.org/relgraph/ontology#Official> .\n")
    refused = add_readout(bad, data_dir=data_copy)
    assert refused.added is None and refused.report is not None
    assert {r.location for r in refused.report.results} == {f"{bad}:1"}
    # a readout that cites itself as a source text (a pipe gave other bytes at each read) is refused
    from relgraph.synth import generate

    itself = tmp_path / "itself.ttl"
    generate(itself, sessions=1, seed=3, prefix="synthself")
    text = itself.read_text(encoding="utf-8")
    assert text.count('"synthself-3-000000.txt"') == 1
    itself.write_text(text.replace('"synthself-3-000000.txt"', '"itself.ttl"'), encoding="utf-8")
    result = run("add", str(itself), "--data-dir", str(data_copy))
    assert result.exit_code == int(ExitCode.USAGE) and "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == (
        f"Error: {itself}: it cites itself (itself.ttl) as a source text; cite the text it quotes"
    )
    syntax = tmp_path / "syntax.ttl"
    syntax.write_text("<a> <b> .\n")
    line = assert_error(run("add", str(syntax), "--data-dir", str(data_copy)), int(ExitCode.USAGE))
    assert line.startswith(f"Error: {syntax}:1:")
    assert (
        sorted(p.name for p in (data_copy / "readouts").iterdir() if p.name.startswith(("bad", "syntax")))
        == []
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_terminated_export_leaves_the_old_file_and_no_temporary_one(tmp_path: Path, sig: int) -> None:
    # SIGTERM or SIGHUP killed relgraph outright: the old output survived, but the temporary file it
    # was writing stayed behind, never removed
    from relgraph.synth import generate

    corpus = tmp_path / "corpus.nt"
    generate(corpus, sessions=400, seed=5)
    out = tmp_path / "out.ttl"
    out.write_text("OLD\n")
    command = [sys.executable, "-m", "relgraph", "export", "--no-sort", "--data", str(corpus), "-o", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".out.ttl.") for p in tmp_path.iterdir()):
        assert process.poll() is None, "the export ended before it was seen writing"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(sig)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + sig, err
    assert "Traceback" not in err.decode()
    assert out.read_text() == "OLD\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.ttl.")] == []


def test_add_saves_a_readout_named_in_capitals_as_ttl(tmp_path: Path, data_copy: Path) -> None:
    # it was saved as NOTE.TTL, which the graph never read (it reads *.ttl): its triples were not queried
    new = tmp_path / "NOTE.TTL"
    new.write_text(NOTE)
    result = run("add", str(new), "--data-dir", str(data_copy))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{new}: added as {data_copy / 'readouts' / 'NOTE.ttl'} (1 triples)\n"
    from relgraph.add import base_files

    assert data_copy / "readouts" / "NOTE.ttl" in base_files(data_copy)


def test_add_validates_against_the_readouts_in_subfolders(tmp_path: Path, data_copy: Path) -> None:
    # add read data/readouts/*.ttl and every other command data/readouts/**/*.ttl: a readout that clashed
    # with one in a subfolder was added (exit 0), and the graph then did not conform
    from relgraph.synth import generate

    (data_copy / "readouts" / "2024").mkdir()
    generate(data_copy / "readouts" / "2024" / "first.ttl", sessions=1, seed=5)
    generate(tmp_path / "second.ttl", sessions=1, seed=6)  # the same sessions' IRIs, other facts
    assert run("validate", str(tmp_path / "second.ttl")).exit_code == 0  # alone, it conforms
    before = snapshot(data_copy)
    result = run("add", str(tmp_path / "second.ttl"), "--data-dir", str(data_copy))
    assert result.exit_code == 1, result.output
    assert "second.ttl: does not conform" in result.output
    assert snapshot(data_copy) == before


def test_hidden_files_in_the_data_are_not_part_of_the_graph(tmp_path: Path, data_copy: Path) -> None:
    # macOS's AppleDouble ._x.ttl stopped every command (exit 3), and a Jupyter checkpoint (a copy of a
    # readout) was loaded beside the readout: add refused every new readout
    readouts = data_copy / "readouts"
    first = next(readouts.glob("*.ttl"))
    (readouts / f"._{first.name}").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    (readouts / ".ipynb_checkpoints").mkdir()
    (readouts / ".ipynb_checkpoints" / f"{first.stem}-checkpoint.ttl").write_text(
        first.read_text().replace("Ely Ratner", "Ely Ratner (draft)")  # a second label: a violation
    )
    from relgraph.add import base_files

    assert [f for f in base_files(data_copy) if f.name.startswith(".") or ".ipynb" in str(f)] == []
    new = tmp_path / "note.ttl"
    new.write_text(NOTE)
    result = run("add", str(new), "--data-dir", str(data_copy))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{new}: added as {readouts / 'note.ttl'} (1 triples)\n"
    # and a readout is not added under a hidden name, where the graph would never read it
    hidden = tmp_path / ".draft.ttl"
    hidden.write_text(NOTE)
    result = run("add", str(hidden), "--data-dir", str(data_copy))
    assert result.exit_code == ExitCode.USAGE, result.output
    assert result.stderr == (
        f"Error: {hidden}: a hidden file would not be read into the graph; give the readout a name without "
        "a leading '.'\n"
    )
    assert not (readouts / ".draft.ttl").exists()


def test_add_with_a_broken_file_in_the_data_is_a_configuration_error(tmp_path: Path, data_copy: Path) -> None:
    # it was exit 2, as if the new readout were at fault; every other command says exit 3
    (data_copy / "readouts" / "broken.ttl").write_text("<http://ex/a> <http://ex/b> ")
    new = tmp_path / "note.ttl"
    new.write_text(NOTE)
    result = run("add", str(new), "--data-dir", str(data_copy))
    assert result.exit_code == ExitCode.CONFIGURATION, result.output
    assert result.stderr.splitlines()[-1].startswith(f"Error: {data_copy / 'readouts' / 'broken.ttl'}:1:")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_an_added_readout_gets_the_mode_of_a_new_file(tmp_path: Path, data_copy: Path, umask: int) -> None:
    # it was 0o600 (mkstemp) whatever the umask: other users could not load the data any more
    new = tmp_path / "note.ttl"
    new.write_text(NOTE)
    old = os.umask(umask)
    try:
        result = run("add", str(new), "--data-dir", str(data_copy))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert (data_copy / "readouts" / "note.ttl").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("role", ["rgd:test-role", "_:role"], ids=["named", "blank node"])
def test_add_nonconforming_readout_changes_nothing(tmp_path: Path, data_copy: Path, role: str) -> None:
    # a role written as a blank node was not checked at all: "added", with 0 violations
    bad = tmp_path / "role.ttl"
    shipped = ROOT / "tests" / "shapes" / "invalid" / "SessionRole-hadRole.ttl"
    bad.write_text(shipped.read_text(encoding="utf-8").replace("rgd:test-role", role), encoding="utf-8")
    before = snapshot(data_copy)
    result = run("add", str(bad), "--data-dir", str(data_copy))
    assert result.exit_code == int(ExitCode.NOT_CONFORMING), result.output
    assert f"Violation: {role if role.startswith('rgd:') else '_:'}" in result.stdout
    assert (
        "SessionRole: prov:hadRole must be exactly one of rg:coChair, rg:spokesperson or rg:delegate."
        in result.stdout
    )
    assert result.stdout.endswith(f"{bad}: not added; the data is unchanged\n")
    assert snapshot(data_copy) == before


def test_add_refuses_a_readout_with_a_misspelled_term(tmp_path: Path, data_copy: Path) -> None:
    # a misspelled rg: term was seen only through what went missing, if a shape required it: a misspelled
    # role (rg:cochair) was one violation of the closed list, a misspelled optional property none at all
    from relgraph.synth import generate

    typo = tmp_path / "typo.ttl"
    generate(typo, sessions=1, seed=4, prefix="synthtypo")
    genuine = typo.read_text(encoding="utf-8")
    assert genuine.count("prov:hadRole rg:coChair .") == 4
    misspelled = genuine.replace("prov:hadRole rg:coChair .", "prov:hadRole rg:cochair .", 1)
    assert misspelled.count("rg:placeAsReported") == 1  # an optional property
    typo.write_text(misspelled.replace("rg:placeAsReported", "rg:placeReported"))
    lines = typo.read_text(encoding="utf-8").splitlines()
    before = snapshot(data_copy)
    result = run("add", str(typo), "--data-dir", str(data_copy))
    assert result.exit_code == int(ExitCode.NOT_CONFORMING), result.output
    terms = [line for line in result.stdout.splitlines() if ": Term: " in line]
    assert len(terms) == 2, result.stdout
    # each on the first node that uses it, at the line where that node is first written
    user = next(text.split()[0] for text in lines if text.endswith("prov:hadRole rg:cochair ."))
    role = next(n for n, text in enumerate(lines, 1) if text.startswith(f"{user} "))
    place = next(n for n, text in enumerate(lines, 1) if text.startswith("rgd:synthtypo-session-000000 "))
    assert place < role  # in the order of their lines
    assert terms[1].startswith(f"{typo}:{role}: Violation: {user} ")
    assert terms[1].endswith(
        "[rg:cochair is not defined by the ontology: the value of prov:hadRole on 1 node; "
        "did you mean rg:coChair?]"
    )
    assert terms[0].startswith(f"{typo}:{place}: Violation: rgd:synthtypo-session-000000 ")
    assert terms[0].endswith(
        "[rg:placeReported is not defined by the ontology: a property of 1 node; "
        "did you mean rg:placeAsReported?]"
    )
    assert result.stdout.endswith(f"{typo}: not added; the data is unchanged\n")
    assert snapshot(data_copy) == before
    # a property of another vocabulary that the ontology does not declare: a warning, refused by --strict
    altlabel = '<http://www.w3.org/2004/02/skos/core#altlabel> "the policy group"@en .'
    typo.write_text(f"{genuine}\nrgd:synthtypo-session-000000 {altlabel}\n")
    lenient = run("validate", str(typo))
    assert lenient.exit_code == 0, lenient.output
    assert lenient.stdout.splitlines()[0].endswith(
        "[skos:altlabel is not declared in the ontology: a property of 1 node; did you mean skos:altLabel?]"
    )
    strict = run("add", str(typo), "--data-dir", str(data_copy), "--strict")
    assert strict.exit_code == int(ExitCode.NOT_CONFORMING), strict.output
    assert ": Warning: " in strict.stdout and snapshot(data_copy) == before
    # without --strict it is added, and the warning is shown (it was added without a word)
    lenient_add = run("add", str(typo), "--data-dir", str(data_copy))
    assert lenient_add.exit_code == 0, lenient_add.output
    warning, *_copied, added = lenient_add.stdout.splitlines()
    assert warning == lenient.stdout.splitlines()[0]
    assert added == f"{typo}: added as {data_copy / 'readouts' / 'typo.ttl'} ({len(_triples(typo))} triples)"


def test_add_refuses_a_source_text_that_is_not_utf8(tmp_path: Path, data_copy: Path) -> None:
    # its quotes could not be checked (one warning) and `add` copied it into data/sources/ all the same
    from relgraph.synth import generate

    readout = tmp_path / "latin.ttl"
    generate(readout, sessions=1, seed=5, prefix="synthlatin")
    (text,) = (tmp_path / "latin-sources").iterdir()
    lines = text.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = "Caf\u00e9 " + lines[1]
    text.write_bytes("".join(lines).encode("latin-1"))
    before = snapshot(data_copy)
    result = run("add", str(readout), "--data-dir", str(data_copy))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.splitlines()[1:] == [  # after the line saying what it is doing
        f"Error: {text}:2:4: not UTF-8 text (byte 0xe9)"
    ]
    assert snapshot(data_copy) == before


def test_add_takes_a_source_text_with_a_byte_order_mark_as_the_same_text(
    tmp_path: Path, data_copy: Path
) -> None:
    # the text already in data/sources/, byte for byte, was refused as "another text" once read with its
    # byte order mark stripped; and a source text over the size limit was told to use --store
    from relgraph.synth import generate

    readout = tmp_path / "bom.ttl"
    generate(readout, sessions=1, seed=6, prefix="synthbom")
    (text,) = (tmp_path / "bom-sources").iterdir()
    text.write_bytes(b"\xef\xbb\xbf" + text.read_bytes() + b"\nMore of the report." * 3000)
    shutil.copy(text, data_copy / "sources" / text.name)
    assert readout.stat().st_size < 50_000 < text.stat().st_size
    limit = {"RELGRAPH_MAX_FILE_BYTES": "50000"}
    too_big = run("add", str(readout), "--data-dir", str(data_copy), env=limit)
    assert too_big.exit_code == 2 and too_big.stderr.splitlines()[1:] == [
        f"Error: {text}: source text too big to load into memory ({text.stat().st_size} bytes, limit 50000 "
        "bytes); raise RELGRAPH_MAX_FILE_BYTES (the limit is also at most 1/8 of the memory available)"
    ]
    added = run("add", str(readout), "--data-dir", str(data_copy), "--strict")
    assert added.exit_code == 0, added.output
    assert (data_copy / "readouts" / "bom.ttl").exists()
    assert (data_copy / "sources" / text.name).read_bytes() == text.read_bytes()  # as it was, BOM and all


def test_a_query_name_too_long_for_a_file_name_is_one_line() -> None:
    # OSError: [Errno 36] File name too long, as a traceback with exit 1
    result = run("query", "a" * 300)
    assert_error(result, 2, "no canned query 'aaaa")


def test_add_refuses_a_readout_whose_quote_is_not_its_source_text(tmp_path: Path, data_copy: Path) -> None:
    # the shapes check a quote's length against its offsets, not its text: `add --strict` took a
    # readout whose quotes no longer said what its source says
    from relgraph.synth import generate

    forged = tmp_path / "forged.ttl"
    generate(forged, sessions=1, seed=3, prefix="synthforged")  # its source texts in forged-sources/
    genuine = forged.read_text(encoding="utf-8")
    assert genuine.count('"US and Indian officials held') == 1
    forged.write_text(genuine.replace('"US and Indian officials held', '"UK and Indian officials held'))
    before = snapshot(data_copy)
    result = run("add", str(forged), "--data-dir", str(data_copy), "--strict")
    assert result.exit_code == int(ExitCode.NOT_CONFORMING), result.output
    (violation,) = [line for line in result.stdout.splitlines() if ": Violation: " in line]
    assert ' value "UK and Indian officials held ' in violation
    assert ": Evidence: oa:exact must be the text its source's rg:textFile holds from oa:start" in violation
    assert result.stdout.endswith(f"{forged}: not added; the data is unchanged\n")
    assert snapshot(data_copy) == before
    forged.write_text(genuine)  # the quotes as the source has them: added, with the source text
    text = tmp_path / "forged-sources" / "synthforged-3-000000.txt"
    other = data_copy / "sources" / text.name  # but not over another text of that name
    other.write_text("another text")
    before = snapshot(data_copy)
    clash = run("add", str(forged), "--data-dir", str(data_copy), "--strict")
    assert clash.exit_code == 2 and "Traceback" not in clash.output
    assert clash.stderr.splitlines()[1:] == [  # after the line saying what it is doing
        f"Error: {text}: {other} is already in the data with another text; give the source another name"
    ]
    assert snapshot(data_copy) == before
    other.unlink()
    added = run("add", str(forged), "--data-dir", str(data_copy), "--strict")
    assert (added.exit_code, added.stdout) == (
        0,
        f"{text}: source text copied to {data_copy / 'sources' / text.name}\n"
        f"{forged}: added as {data_copy / 'readouts' / 'forged.ttl'} ({len(_triples(forged))} triples)\n",
    )
    assert (data_copy / "sources" / text.name).read_bytes() == text.read_bytes()
    # the data it was added to now holds the source its quotes are checked against
    from relgraph.validate import validate

    readout = data_copy / "readouts" / "forged.ttl"
    assert validate([readout], sources=data_copy / "sources", strict=True).results == []


def _triples(path: Path) -> list[ox.Triple | ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def test_add_past_the_timeout_exits_5_and_changes_nothing(tmp_path: Path, data_copy: Path) -> None:
    new = tmp_path / "note.ttl"
    new.write_text(NOTE)
    before = snapshot(data_copy)
    result = run("add", str(new), "--data-dir", str(data_copy), "--timeout", "0.000001")
    assert result.exit_code == int(ExitCode.TIMEOUT), result.output
    assert result.stderr.splitlines() == [  # what it was doing, then the one-line error
        f"validating {new} (1 triples) against the graph",
        "Error: validation stopped after the timeout of 1e-06 s (raise it with --timeout SECONDS)",
    ]
    assert snapshot(data_copy) == before


def test_add_invalid_rdf_changes_nothing(tmp_path: Path, data_copy: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text(NOTE + "<http://ex/a> <http://ex/p> .\n")
    before = snapshot(data_copy)
    assert_error(run("add", str(bad), "--data-dir", str(data_copy)), 2, "broken.ttl:2:")
    assert snapshot(data_copy) == before


def test_add_never_replaces_a_readout(tmp_path: Path, data_copy: Path) -> None:
    same = tmp_path / "ani-2023-09-27-us-india-2plus2-intersessional.ttl"
    same.write_text(NOTE)
    before = snapshot(data_copy)
    assert_error(run("add", str(same), "--data-dir", str(data_copy)), 2, "is already in the data")
    assert snapshot(data_copy) == before


def test_add_second_writer_gets_store_locked(tmp_path: Path, data_copy: Path) -> None:
    new = tmp_path / "note.ttl"
    new.write_text(NOTE)
    before = snapshot(data_copy)
    holder = os.open(data_copy / "readouts", os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the first writer
        result = run("add", str(new), "--data-dir", str(data_copy))
    finally:
        os.close(holder)
    assert_error(result, int(ExitCode.LOCKED), "locked: another relgraph process is writing")
    assert snapshot(data_copy) == before


def test_add_interrupted_by_ctrl_c_changes_nothing(tmp_path: Path, data_copy: Path) -> None:
    new = tmp_path / "note.ttl"
    new.write_text(NOTE)
    before = snapshot(data_copy)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from relgraph.cli import main; main()",
            "add",
            str(new),
            "--data-dir",
            str(data_copy),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    first = process.stderr.readline().decode()  # printed once the file parsed, before validation
    assert first.startswith(f"validating {new}")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == int(ExitCode.INTERRUPTED), (out, err)
    assert err.decode().strip() == "Interrupted."
    assert snapshot(data_copy) == before


# --- bad shapes are not bad data ---------------------------------------------------------------


def _validate_with_shapes(tmp_path: Path, shapes: str) -> Result:
    path = tmp_path / "shapes.ttl"
    path.write_text(shapes)
    data = tmp_path / "data.ttl"
    data.write_text(NOTE)
    return run("validate", str(data), "--shapes", str(path))


SHAPES_HEAD = (
    f"@prefix sh: <{PREFIXES['sh']}> .\n@prefix rg: <{RG}> .\n@prefix rgsh: <{PREFIXES['rgsh']}> .\n"
)


@pytest.mark.parametrize("name", ["missing.ttl", "."])
def test_a_shapes_path_that_is_no_file_is_a_usage_error(tmp_path: Path, name: str) -> None:
    # it said "(the shapes are broken)" with exit 3, as for the shipped shapes
    data = tmp_path / "data.ttl"
    data.write_text(NOTE)
    result = run("validate", str(data), "--shapes", str(tmp_path / name))
    line = assert_error(result, int(ExitCode.USAGE), str(tmp_path / name))
    assert "broken" not in line


def test_broken_shapes_file_is_a_configuration_error(tmp_path: Path) -> None:
    result = _validate_with_shapes(
        tmp_path, SHAPES_HEAD + "rgsh:S a sh:NodeShape ;\n  sh:targetClass rg:Official\n"
    )
    line = assert_error(result, int(ExitCode.CONFIGURATION), "shapes.ttl:", "the shapes are broken")
    assert "does not conform" not in result.output and "conform" not in line


def test_shapes_pyshacl_cannot_load_are_named(tmp_path: Path) -> None:
    # a shape pyshacl refuses (a literal as sh:path) said "Error: shapes: ShapeLoadError: …": which shapes?
    result = _validate_with_shapes(
        tmp_path,
        SHAPES_HEAD + 'rgsh:S a sh:NodeShape ; sh:targetClass rg:Official ; sh:property [ sh:path "x" ] .\n',
    )
    line = assert_error(result, int(ExitCode.CONFIGURATION))
    assert line == (
        f"Error: {tmp_path / 'shapes.ttl'}: the shapes are broken: "
        "ShapeLoadError: Values of a property path cannot be a Literal."
    )
    # one pyshacl logged as well: two lines of its own ("ConstraintLoadError: …", "For reference, see …")
    result = _validate_with_shapes(
        tmp_path,
        SHAPES_HEAD + "rgsh:S a sh:NodeShape ; sh:targetClass rg:Official ;\n"
        '  sh:property [ sh:path rg:x ; sh:minCount "abc" ] .\n',
    )
    line = assert_error(result, int(ExitCode.CONFIGURATION))  # one line only
    assert line == (
        f"Error: {tmp_path / 'shapes.ttl'}: the shapes are broken: ConstraintLoadError: "
        "MinCountConstraintComponent sh:minCount must be a literal with datatype xsd:integer."
    )


def test_a_shape_whose_sparql_is_not_valid_is_named(tmp_path: Path) -> None:
    # a shape's sh:select with a syntax error was a 63-line traceback from the compiled engine, exit 1
    # (as for data that does not conform)
    result = _validate_with_shapes(
        tmp_path,
        SHAPES_HEAD + "rgsh:S a sh:NodeShape ; sh:targetClass rg:Official ;\n"
        '  sh:sparql [ sh:select """SELECT $this\nWHERE { $this ?p }""" ] .\n',
    )
    line = assert_error(result, int(ExitCode.CONFIGURATION))
    assert line.startswith(f"Error: {tmp_path / 'shapes.ttl'}: SHACL-SPARQL sh:select on _:")
    assert " is not valid SPARQL: at line 2, column 18: expected one of " in line  # the } after ?p


def test_a_shape_s_ask_is_checked_without_being_run() -> None:
    # the check ran an ASK to parse it: one doubling a string 26 times took 512 MiB in relgraph itself
    import resource

    import rdflib

    from relgraph.guard import check_shapes

    doubled = " ".join(f"BIND (CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(26))
    shapes = rdflib.Graph()
    shapes.parse(
        data=f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
        ex:Check a sh:SPARQLAskValidator ; sh:ask "ASK {{ BIND ('xxxxxxxx' AS ?a0) {doubled} }}" .""",
        format="turtle",
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    check_shapes(shapes, "shapes.ttl")  # valid: nothing to say
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB: not run
    broken = rdflib.Graph()
    broken.parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
        ex:Check a sh:SPARQLAskValidator ; sh:ask "ASK { ?s ?p }" .""",
        format="turtle",
    )
    with pytest.raises(
        ConfigurationError,
        match=r"^shapes.ttl: SHACL-SPARQL sh:ask on <http://ex/Check> is not valid SPARQL: at line 1, column 14: ",  # noqa: E501
    ):
        check_shapes(broken, "shapes.ttl")


def test_shapes_with_invalid_rdf_are_a_configuration_error(tmp_path: Path) -> None:
    result = _validate_with_shapes(
        tmp_path, SHAPES_HEAD + "rgsh:S a sh:NodeShape ; sh:targetClass <http://ex/a b> .\n"
    )
    assert_error(result, int(ExitCode.CONFIGURATION), "shapes.ttl:4:", "IRI")


def test_shacl_sparql_with_service_is_a_configuration_error(tmp_path: Path) -> None:
    shapes = SHAPES_HEAD + (
        "rgsh:S a sh:NodeShape ; sh:targetClass rg:Official ;\n"
        '  sh:sparql [ sh:select "SELECT $this WHERE { SERVICE <http://127.0.0.1:9/sparql> '
        '{ $this ?p ?o } }" ] .\n'
    )
    result = _validate_with_shapes(tmp_path, shapes)
    assert_error(
        result, int(ExitCode.CONFIGURATION), "shapes.ttl: SHACL-SPARQL sh:select", "SERVICE is not allowed"
    )


@pytest.mark.parametrize(
    ("declare", "fragment"),
    [
        (  # the namespace was pasted into "PREFIX ex: <...>" unchecked: this one called a SERVICE
            'sh:prefix "ex" ; sh:namespace "http://ex/> SELECT ?this ?value WHERE { SERVICE '
            '<http://127.0.0.1:9/sparql> { ?this ?p ?value } } #"',
            "sh:namespace 'http://ex/> SELECT ?this ?value WHERE { SERVICE <http://127.0.0.1:9/sparql> "
            "{ ?this ?p ?value } } #' is not an IRI",
        ),
        ('sh:prefix "ex: <http://ex/> SELECT" ; sh:namespace "http://ex/"', "not a SPARQL prefix name"),
        (  # which of two a reader took (one checked, the other written out) was rdflib's order
            'sh:prefix "ex" ; sh:namespace "http://ex/" , '
            '"http://ex/> SELECT * { SERVICE <http://127.0.0.1:9/> {} } #"',
            "sh:declare must have exactly one sh:prefix and one sh:namespace (it has 1 and 2)",
        ),
    ],
    ids=["namespace", "prefix", "two-namespaces"],
)
def test_shacl_sparql_prefix_declarations_cannot_add_code(
    tmp_path: Path, declare: str, fragment: str
) -> None:
    shapes = SHAPES_HEAD + (
        f"rgsh:d sh:declare [ {declare} ] .\n"
        "rgsh:S a sh:NodeShape ; sh:targetClass rg:Official ;\n"
        '  sh:sparql [ sh:prefixes rgsh:d ; sh:select "SELECT $this WHERE { $this ex:b ?o }" ] .\n'
    )
    result = _validate_with_shapes(tmp_path, shapes)
    assert_error(result, int(ExitCode.CONFIGURATION), "shapes.ttl: sh:declare", fragment)


def test_shacl_sparql_nested_too_deeply_is_a_configuration_error(tmp_path: Path) -> None:
    # the compiled engine ran a 5,000-deep sh:select as it was: relgraph validate died of SIGSEGV
    deep = "{" * 5000 + "}" * 5000
    shapes = SHAPES_HEAD + (
        "rgsh:S a sh:NodeShape ; sh:targetClass rg:Official ;\n"
        f'  sh:sparql [ sh:select "SELECT $this WHERE {{ {deep} $this ?p ?o }}" ] .\n'
    )
    result = _validate_with_shapes(tmp_path, shapes)
    assert_error(
        result, int(ExitCode.CONFIGURATION), "shapes.ttl: SHACL-SPARQL sh:select", "nests too deeply"
    )


def test_shacl_javascript_is_a_configuration_error(tmp_path: Path) -> None:
    shapes = SHAPES_HEAD + (
        "rgsh:S a sh:NodeShape ; sh:targetClass rg:Official ;\n"
        '  sh:js [ sh:jsFunctionName "evil" ;\n'
        '    sh:jsLibrary [ sh:jsLibraryURL "http://127.0.0.1:9/evil.js" ] ] .\n'
    )
    result = _validate_with_shapes(tmp_path, shapes)
    assert_error(result, int(ExitCode.CONFIGURATION), "shapes.ttl: SHACL-JavaScript", "may not run code")


def test_fault_catalogue_names_every_test_once() -> None:
    import re

    catalogue = (ROOT / "docs" / "faults.md").read_text()
    named = re.findall(r"`(test_\w+)`", catalogue)
    here = [
        name
        for name in globals()
        if name.startswith("test_") and name != "test_fault_catalogue_names_every_test_once"
    ]
    topics = sorted((ROOT / "tests").glob("test_faults_*.py"))  # one part's faults each
    here += [name for path in topics for name in re.findall(r"^def (test_\w+)\(", path.read_text(), re.M)]
    elsewhere = "".join(  # hypothesis, and the cases that need a real server
        path.read_text()
        for path in [ROOT / "tests" / "test_properties.py", *(ROOT / "tests" / "remote").glob("test_*.py")]
    )
    assert len(named) == len(set(named))
    assert len(here) == len(set(here))  # no test of the same name in two files
    for name in named:
        assert name in here or f"def {name}(" in elsewhere, name
    assert sorted(set(here) - set(named)) == []


def test_store_second_writer_gets_locked_and_nothing_changes(tmp_path: Path) -> None:
    from relgraph.locking import locked

    store = tmp_path / "store"
    store.mkdir()
    with locked(store):  # another process is (re)building this store
        result = CliRunner().invoke(cli, ["query", "session-co-chairs", "--store", str(store)])
    assert result.exit_code == int(ExitCode.LOCKED)
    assert result.output == (
        f"Error: {store}: locked: another relgraph process is writing to it; try again when it is done\n"
    )
    assert list(store.iterdir()) == []  # nothing was built or left behind


def test_store_is_read_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    from relgraph.locking import locked

    store = tmp_path / "store"
    args = ["query", "session-co-chairs", "--store", str(store), "-f", "csv"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    with locked(store):
        again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert again.output == first.output
    assert "Vishwesh Negi" in again.output


def test_a_store_built_under_older_load_checks_is_built_again(tmp_path: Path) -> None:
    # a store holding a JSON-LD file of relative IRIs (loaded as nothing before the check) was reused as
    # it was once relgraph refused such files
    store = tmp_path / "store"
    assert run("sparql", ASK, "--store", str(store)).exit_code == 0
    manifest = json.loads((store / "manifest.json").read_text())
    from relgraph.persist import _LOAD_CHECKS

    assert manifest["checks"] == _LOAD_CHECKS
    manifest["checks"] = _LOAD_CHECKS - 1  # a store built under the checks before (none: the same)
    (store / "manifest.json").write_text(json.dumps(manifest))
    assert run("sparql", ASK, "--store", str(store)).exit_code == 0
    rebuilt = json.loads((store / "manifest.json").read_text())
    assert rebuilt["checks"] == _LOAD_CHECKS and rebuilt["store"] != manifest["store"]


def test_store_bad_file_leaves_the_store_unchanged(tmp_path: Path) -> None:
    store = tmp_path / "store"
    args = ["query", "session-co-chairs", "--store", str(store), "-f", "csv"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    before = {p.relative_to(store): p.read_bytes() for p in store.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix rg: <https://w3id.org/relgraph/ontology#> .\nrg:a rg:b "open .\n')
    result = CliRunner().invoke(cli, [*args, "--data", str(bad)])
    assert result.exit_code == int(ExitCode.USAGE)
    assert result.output.startswith(f"Error: {bad}:2:")
    after = {p.relative_to(store): p.read_bytes() for p in store.rglob("*") if p.is_file()}
    assert after == before
    assert CliRunner().invoke(cli, args).output == first.output


def test_store_entity_bomb_is_refused_before_the_store_is_built(tmp_path: Path) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    bomb = tmp_path / "lol.rdf"
    bomb.write_bytes(
        (
            f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
            f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://ex/">\n'
            '<rdf:Description rdf:about="http://ex/a"><ex:p>&j;</ex:p></rdf:Description></rdf:RDF>\n'
        ).encode()
    )
    store = tmp_path / "store"
    result = CliRunner().invoke(
        cli, ["query", "session-co-chairs", "--store", str(store), "--data", str(bomb)]
    )
    assert result.exit_code == int(ExitCode.USAGE)
    assert result.output.startswith(f"Error: {bomb}:2:")
    assert "XML entity 'b' refers to another entity" in result.output
    assert not (store / "manifest.json").exists()
    assert [p.name for p in store.iterdir()] == []  # the temporary build folder is gone


def test_store_rebuild_interrupted_by_ctrl_c_keeps_the_old_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from relgraph import progress
    from relgraph.cli import main

    store = tmp_path / "store"
    args = ["query", "session-co-chairs", "--store", str(store), "-f", "csv"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    before = {p.relative_to(store): p.read_bytes() for p in store.rglob("*") if p.is_file()}
    extra = tmp_path / "extra.ttl"  # a new file makes the store stale, so the next run rebuilds it
    extra.write_text("<https://w3id.org/relgraph/id/test-a> <https://w3id.org/relgraph/id/test-p> 1 .\n")

    class Interrupted(progress.CountingReader):  # Ctrl-C arrives while a file streams into the new store
        def read(self, size: int = -1) -> bytes:
            raise KeyboardInterrupt

        def readinto(self, buffer: object) -> int:
            raise KeyboardInterrupt

    monkeypatch.setattr(progress, "CountingReader", Interrupted)
    with pytest.raises(SystemExit) as exited:
        main([*args, "--data", str(extra)])
    assert exited.value.code == int(ExitCode.INTERRUPTED)
    assert capsys.readouterr().err.strip() == "Interrupted."
    after = {p.relative_to(store): p.read_bytes() for p in store.rglob("*") if p.is_file()}
    assert after == before  # the old store and its manifest, byte for byte; no temporary folder left
    monkeypatch.undo()
    assert CliRunner().invoke(cli, args).output == first.output


# --- the on-disk store: the same answers and errors as in memory, never a traceback ----------------


def store_snapshot(store: Path) -> dict[str, bytes]:
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()}


def _biggest_table(store: Path) -> Path:
    (database,) = store.glob("store-*")
    return max(database.glob("*.sst"), key=lambda table: table.stat().st_size)


def _flip_bytes(path: Path, *, keep_time: bool) -> None:
    """Change bytes in the middle of ``path``, keeping its size (and, if asked, its modification time)."""
    info = path.stat()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0x55 for b in data[middle : middle + 64])
    path.write_bytes(bytes(data))
    if keep_time:
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


@pytest.mark.parametrize(
    ("damage", "found"),
    [
        ("CURRENT corrupted", "CURRENT is 5 bytes long, not 16"),
        ("CURRENT missing", "CURRENT is missing"),
        ("table changed in place", ".sst was changed"),
        ("CURRENT names no manifest, time kept", "it cannot be opened: "),
    ],
)
def test_damaged_store_is_rebuilt_with_a_warning(
    tmp_path: Path, shipped: Path, damage: str, found: str
) -> None:
    store = tmp_path / "store"
    args = ("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-f", "csv", "--store", str(store))
    first = run(*args)
    assert first.exit_code == 0, first.output
    (damaged,) = store.glob("store-*")
    current = damaged / "CURRENT"
    if damage == "CURRENT corrupted":
        current.write_text("junk\n")
    elif damage == "CURRENT missing":
        current.unlink()
    elif damage == "table changed in place":
        _flip_bytes(_biggest_table(store), keep_time=False)
    else:  # same size and time: only RocksDB's own check at opening finds it
        info = current.stat()
        assert len(current.read_bytes()) == len(b"MANIFEST-999999\n")
        current.write_bytes(b"MANIFEST-999999\n")
        os.utime(current, ns=(info.st_atime_ns, info.st_mtime_ns))
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert again.stdout == first.stdout  # the same count, from a store built again
    (warning,) = again.stderr.splitlines()
    assert warning.startswith(f"Warning: {store}: the store was damaged (")
    assert warning.endswith("); it was built again from the files")
    assert found in warning
    (rebuilt,) = store.glob("store-*")  # the damaged one is gone
    assert rebuilt != damaged
    assert sorted(p.name for p in store.iterdir()) == ["manifest.json", rebuilt.name]
    third = run(*args)  # the new store is used as it is
    assert (third.exit_code, third.stdout, third.stderr) == (0, first.stdout, "")
    assert list(store.glob("store-*")) == [rebuilt]


def test_store_copied_without_its_times_is_used_as_it_is(
    tmp_path: Path, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relgraph import persist

    store = tmp_path / "store"
    args = ["sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-f", "csv"]
    first = run(*args, "--store", str(store))
    assert first.exit_code == 0, first.output
    copy = tmp_path / "copy"
    shutil.copytree(store, copy, copy_function=shutil.copyfile)  # new modification times
    (database,) = copy.glob("store-*")
    assert _biggest_table(copy).stat().st_mtime_ns != _biggest_table(store).stat().st_mtime_ns
    read: list[str] = []
    sha256 = persist._sha256
    monkeypatch.setattr(persist, "_sha256", lambda path: read.append(path.name) or sha256(path))
    again = run(*args, "--store", str(copy))
    assert (again.exit_code, again.stdout, again.stderr) == (0, first.stdout, "")  # no warning
    assert list(copy.glob("store-*")) == [database]  # not rebuilt: the same bytes
    recorded = json.loads((copy / "manifest.json").read_text())["store_files"]
    assert _biggest_table(copy).name in read
    assert sorted(read) == sorted(e["name"] for e in recorded)  # each file of the database read once
    assert {e["name"]: e["mtime_ns"] for e in recorded} == {
        e["name"]: (database / e["name"]).stat().st_mtime_ns for e in recorded
    }  # the copy's times, now recorded
    read.clear()
    third = run(*args, "--store", str(copy))
    assert (third.exit_code, third.stdout, third.stderr) == (0, first.stdout, "")
    assert read == []  # the next start reads no file again
    assert sorted(p.name for p in copy.iterdir()) == ["manifest.json", database.name]


def test_store_found_damaged_while_read_is_one_line_and_rebuilt_next(
    tmp_path: Path, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RocksDB checks its blocks as it reads them; a store damaged with its sizes and times kept (a
    # disk's bit rot) opens, and the first query that reads the block fails (message as pyoxigraph's)
    from relgraph import store as store_module

    store = tmp_path / "store"
    query = ["sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-f", "csv", "--store", str(store)]
    first = run(*query)
    assert first.exit_code == 0, first.output
    (database,) = store.glob("store-*")
    corruption = (
        f"Corruption: block checksum mismatch: stored = 1501569605, computed = 3335791103, type = 4 in "
        f"{database}/000039.sst offset 0 size 4052, block_type = Data"
    )

    def damaged(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(corruption)

    with monkeypatch.context() as patch:
        patch.setattr(store_module, "run_query", damaged)
        line = assert_error(run(*query), 2, f"Error: {store}: the store is damaged ({corruption}); ")
    assert line.endswith("; the next command builds it again from the files")
    assert json.loads((store / "manifest.json").read_text())["damaged"] == corruption
    # export: the store marked damaged is rebuilt first (a warning); found damaged again, it is marked again
    out = tmp_path / "out.ttl"
    with monkeypatch.context() as patch:
        patch.setattr(export_module, "_serialize_sorted_lines", lambda *_: damaged())
        result = run("export", "--store", str(store), "-o", str(out))
    assert result.exit_code == 2, result.output
    damaged_line = f"{store}: the store is damaged ({corruption})"
    assert result.stderr.splitlines() == [
        f"Warning: {store}: the store was damaged ({corruption}); it was built again from the files",
        f"Error: {damaged_line}; the next command builds it again from the files",
    ]
    assert not out.exists()
    assert json.loads((store / "manifest.json").read_text())["damaged"] == corruption
    (database,) = store.glob("store-*")
    again = run(*query)
    assert again.exit_code == 0, again.output
    assert again.stdout == first.stdout
    assert (
        again.stderr
        == f"Warning: {store}: the store was damaged ({corruption}); it was built again from the files\n"
    )
    assert "damaged" not in json.loads((store / "manifest.json").read_text())
    assert list(store.glob("store-*")) != [database]
    assert run(*query).stderr == ""  # the new store is used as it is


def test_store_query_timeout_checks_the_store_for_damage(tmp_path: Path, shipped: Path) -> None:
    # a damaged block may be read as something else, and a query then runs until its timeout: on a
    # timeout the store's files are checked against their SHA-256, and damage is said rather than the timeout
    store = tmp_path / "store"
    count = ["sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-f", "csv", "--store", str(store)]
    slow = ["sparql", SLOW_QUERY, "--timeout", "0.5", "--store", str(store)]
    isolate = {"RELGRAPH_ISOLATE_QUERIES": "1"}  # the runaway query is killed, not left on a thread here
    first = run(*count)
    assert first.exit_code == 0, first.output
    timed_out = run(*slow, env=isolate)  # the store as built: the timeout, as usual
    assert_error(timed_out, int(ExitCode.TIMEOUT), "query stopped after the timeout of 0.5 s")
    table = _biggest_table(store)
    _flip_bytes(table, keep_time=True)
    line = assert_error(
        run(*slow, env=isolate), 2, f"Error: {store}: the store is damaged ({table.name} was changed); "
    )
    assert line.endswith("; the next command builds it again from the files")
    again = run(*count)
    assert (again.exit_code, again.stdout) == (0, first.stdout)
    damage = f"{store}: the store was damaged ({table.name} was changed)"
    assert again.stderr == f"Warning: {damage}; it was built again from the files\n"


def test_check_reads_the_store_against_its_sha256_before_any_verdict(tmp_path: Path) -> None:
    # a damaged block may be read as nothing: the checks failed (or passed) for no reason, exit 1
    store = tmp_path / "store"
    args = ["check", "--store", str(store)]
    first = run(*args)
    assert first.exit_code == 0, first.output
    checks = len(list((resources.queries_dir() / "checks").glob("*-violation.rq")))
    assert first.stdout.endswith(f"{checks} of {checks} checks passed\n")
    table = _biggest_table(store)
    _flip_bytes(table, keep_time=True)  # the size and time kept: opening the store does not see it
    line = assert_error(run(*args), 2, f"Error: {store}: the store is damaged ({table.name} was changed); ")
    assert line.endswith("; the next command builds it again from the files")
    again = run(*args)
    assert (again.exit_code, again.stdout) == (0, first.stdout)
    assert again.stderr.startswith(f"Warning: {store}: the store was damaged ({table.name} was changed)")


def test_validate_with_a_store_that_cannot_be_read_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # validating new data copies the read-only store into memory: a RuntimeError traceback from
    # RocksDB before (the message as pyoxigraph's, for a block damaged with its size and time kept)
    from relgraph.store import KnowledgeGraph

    store = tmp_path / "store"
    args = ["validate", str(READOUT), "--store", str(store)]
    assert run(*args).exit_code == 0
    corruption = "Corruption: block checksum mismatch: stored = 1, computed = 2, type = 4 in x.sst"

    class Damaged:
        def __init__(self, real: ox.Store) -> None:
            self.real = real

        def __contains__(self, quad: object) -> bool:
            return quad in self.real

        def quads_for_pattern(self, *_pattern: object) -> None:
            raise RuntimeError(corruption)

        def extend(self, _quads: object) -> None:
            raise OSError("read-only")

    real = KnowledgeGraph.oxigraph
    with monkeypatch.context() as patch:
        patch.setattr(KnowledgeGraph, "oxigraph", property(lambda kg: Damaged(real.fget(kg))))
        assert_error(run(*args), 2, f"Error: {store}: the store is damaged ({corruption}); ")
    assert json.loads((store / "manifest.json").read_text())["damaged"] == corruption
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert again.stdout == f"{READOUT}: conforms (0 violations, 0 warnings, 0 infos)\n"
    assert again.stderr.startswith(f"Warning: {store}: the store was damaged ({corruption})")


def test_export_of_a_store_that_cannot_be_read_is_one_line(
    tmp_path: Path, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it was a RuntimeError traceback from pyoxigraph's dump, sorted or not
    def unreadable(*_args: object) -> None:
        raise RuntimeError("IO error: No such file or directory: While open a file for random read: x.sst")

    monkeypatch.setattr(export_module, "_serialize_sorted_lines", unreadable)
    monkeypatch.setattr(export_module, "_dump", unreadable)
    out = tmp_path / "out.ttl"
    out.write_text("old\n")
    for extra in ([], ["--no-sort"]):
        line = assert_error(
            run("export", "-o", str(out), *extra), 2, f"{out}: cannot read the graph: IO error: "
        )
        assert "While open a file for random read: x.sst" in line
        assert out.read_text() == "old\n"


def test_store_build_clears_what_a_killed_build_left(tmp_path: Path, shipped: Path) -> None:
    # a build killed with SIGKILL left .build-* (a whole store) and a manifest's temporary file for ever
    store = tmp_path / "store"
    data = tmp_path / "note.nt"
    data.write_text(NOTE)
    args = ("sparql", "ASK { ?s ?p ?o }", "--data", str(data), "--store", str(store))
    assert run(*args).exit_code == 0
    (store / ".build-killed" / "store").mkdir(parents=True)
    (store / ".build-killed" / "store" / "000001.sst").write_bytes(b"x" * 1000)
    (store / ".manifest.json.killed").write_text("{")
    data.write_text(NOTE + NOTE.replace("test-note", "test-note-2"))  # changed: the store is rebuilt
    assert run(*args).exit_code == 0
    (rebuilt,) = store.glob("store-*")
    assert sorted(p.name for p in store.iterdir()) == ["manifest.json", rebuilt.name]


def test_store_folder_that_cannot_be_created_is_one_line(tmp_path: Path, unwritable: Unwritable) -> None:
    if Path("/proc/self").is_dir():  # no folder can be made in /proc, whoever asks
        nope = Path("/proc/relgraph-store")
        result = run("sparql", ASK, "--store", str(nope))
        assert_error(result, 2, f"{nope}: cannot create the store folder: No such file or directory")
    new = unwritable.folder / "new"
    unwritable.seal()
    result = unwritable.run("sparql", ASK, "--store", str(new))
    assert_error(result, 2, f"{new}: cannot create the store folder: permission denied")
    assert not new.exists()


@pytest.mark.parametrize("why", ["stale", "damaged"])
def test_store_that_must_be_rebuilt_where_it_cannot_be_written_is_one_line(
    unwritable: Unwritable, why: str
) -> None:
    store = unwritable.folder / "store"
    first = run("sparql", ASK, "--store", str(store))  # built by its owner
    assert first.exit_code == 0, first.output
    extra = unwritable.folder / "extra.ttl"
    extra.write_text("<http://ex/a> <http://ex/p> 1 .\n")
    extra.chmod(0o644)
    args = ["sparql", ASK, "--store", str(store)]
    if why == "stale":
        args += ["--data", str(extra)]
        expected = "(it must be rebuilt: the files or the settings changed): permission denied"
    else:
        (next(store.glob("store-*")) / "CURRENT").write_text("junk\n")
        expected = "(it is damaged and must be rebuilt: CURRENT is 5 bytes long, not 16): permission denied"
    before = store_snapshot(store)
    unwritable.seal()
    assert_error(unwritable.run(*args), 2, f"{store}: cannot write the store {expected}")
    assert store_snapshot(store) == before


@pytest.mark.parametrize(
    ("manifest", "fragment"),
    [
        ("{not json", "manifest.json is damaged (not JSON: "),
        ('{"name": "my web app", "version": "1.0"}', "manifest.json is not a relgraph store's"),
        (
            '{"format": "relgraph store", "version": 99}',
            "the store was made by a newer relgraph (store format 99,",
        ),
        (
            '{"format": "relgraph store", "version": 2, "kind": "serve"}',
            "this is the store of relgraph serve",
        ),
    ],
    ids=["not-json", "not-relgraph", "newer", "serve"],
)
def test_store_folder_with_a_manifest_it_cannot_use_says_what_is_wrong(
    tmp_path: Path, manifest: str, fragment: str
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "manifest.json").write_text(manifest)
    (folder / "index.html").write_text("mine")
    before = store_snapshot(folder)
    line = assert_error(run("sparql", ASK, "--store", str(folder)), 2, f"{folder}: {fragment}")
    assert "no manifest.json" not in line
    assert store_snapshot(folder) == before


def test_store_of_an_older_relgraph_is_rebuilt(tmp_path: Path, shipped: Path) -> None:
    import json

    store = tmp_path / "store"
    (store / "store-old").mkdir(parents=True)
    (store / "manifest.json").write_text(json.dumps({"version": 1, "store": "store-old", "files": []}))
    result = run("sparql", "ASK { ?s a ?type }", "-f", "json", "--store", str(store))
    assert result.exit_code == 0, result.output
    assert '"boolean": true' in result.stdout
    manifest = json.loads((store / "manifest.json").read_text())
    assert (manifest["format"], manifest["version"], manifest["kind"]) == ("relgraph store", 2, "query")
    assert [p.name for p in store.glob("store-*")] == [manifest["store"]]  # the old store is gone


def test_store_follows_local_imports_like_the_in_memory_load(tmp_path: Path, shipped: Path) -> None:
    imported = tmp_path / "imported.ttl"
    imported.write_text('<http://ex/imported> <http://ex/p> "first" .\n')
    importer = _importer(tmp_path, imported.as_uri())
    query = ("sparql", "SELECT ?o WHERE { <http://ex/imported> <http://ex/p> ?o }", "-f", "csv")
    store = ("--store", str(tmp_path / "store"))
    for allow in (["--allow-imports"], []):
        for text in ("first", "second"):  # a changed imported file makes the store stale
            imported.write_text(f'<http://ex/imported> <http://ex/p> "{text}" .\n')
            in_memory = run(*query, "--data", str(importer), *allow)
            stored = run(*query, "--data", str(importer), *allow, *store)
            assert in_memory.exit_code == stored.exit_code == 0, stored.output
            assert stored.output == in_memory.output == ("o\n" + (f"{text}\n" if allow else ""))


def test_store_build_applies_the_limits_of_the_in_memory_load(tmp_path: Path, shipped: Path) -> None:
    data = tmp_path / "long.nt"
    data.write_text('<http://ex/a> <http://ex/p> "' + "x" * 20_000 + '" .\n')
    store = tmp_path / "store"
    limit = {"RELGRAPH_MAX_LITERAL_CHARS": "10000"}
    expected = f"{data}: a literal of <http://ex/a> <http://ex/p> is 20000 characters long (limit 10000;"
    assert assert_error(run("sparql", ASK, "--data", str(data), env=limit), 2, expected)
    assert_error(run("sparql", ASK, "--data", str(data), "--store", str(store), env=limit), 2, expected)
    assert not (store / "manifest.json").exists()  # nothing built
    assert run("sparql", ASK, "--data", str(data), "--store", str(store)).exit_code == 0
    # a store built under a higher limit is not reused under a lower one
    assert_error(run("sparql", ASK, "--data", str(data), "--store", str(store), env=limit), 2, expected)
    # RDF/XML and JSON-LD are read whole for their checks, so the size limit holds for them too
    nested = tmp_path / "big.jsonld"
    nested.write_text('{"@id": "http://ex/a", "http://ex/p": "' + "x" * 2000 + '"}')
    small = {"RELGRAPH_MAX_FILE_BYTES": "1000"}
    for place in ([], ["--store", str(tmp_path / "store2")]):
        result = run("sparql", ASK, "--data", str(nested), *place, env=small)
        assert_error(result, 2, f"{nested}: file too big to load into memory")


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("empty.ttl", b"", "the file is empty"),
        ("blank.nt", b" \n\t\n", "the file is empty"),
        ("bom-blank.ttl", b"\xef\xbb\xbf \n", "the file is empty"),
        ("wide.ttl", "<http://ex/a> <http://ex/p> 1 .\n".encode("utf-16"), "UTF-8 text only"),
        (
            "latin1.nt",
            b'<http://ex/a> <http://ex/p> "ok" .\n<http://ex/a> <http://ex/p> "caf\xe9" .\n',
            ":2:33:",
        ),
        ("cut.nt", b'<http://ex/a> <http://ex/p> "ok" .\n<http://ex/a> <http://ex/p> "\xe2\x82', ":2:30:"),
        ("far.nt", b'<http://ex/a> <http://ex/p> "ok" .\n' * 5000 + b'<a> <b> "\xff" .\n', ":5001:10:"),
        ("data.xyz", b"<http://ex/a> <http://ex/p> 1 .\n", "(known: .json, .jsonld,"),
        ("folder.ttl", None, "is a directory, not an RDF file"),
        ("gone.ttl", "missing", "no such file"),
    ],
)
def test_store_build_refuses_a_bad_file_as_the_in_memory_load_does(
    tmp_path: Path, shipped: Path, name: str, content: bytes | str | None, fragment: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    store = tmp_path / "store"
    in_memory = assert_error(run("sparql", ASK, "--data", str(path)), 2, str(path), fragment)
    stored = assert_error(run("sparql", ASK, "--data", str(path), "--store", str(store)), 2)
    assert stored == in_memory
    assert not store.exists() or list(store.iterdir()) == []  # nothing built


def test_serve_refuses_a_folder_that_is_not_its_store(
    tmp_path: Path, shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relgraph import serve as serve_module
    from relgraph.serve import build_store

    monkeypatch.setattr(serve_module, "serve", lambda *args, **kwargs: 0)  # never start a server
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "LOG").write_text("my own log\n")  # RocksDB would have renamed it to LOG.old.*
    (mine / "notes.txt").write_text("mine\n")
    query_store = tmp_path / "query-store"
    assert run("sparql", ASK, "--store", str(query_store)).exit_code == 0
    for folder, fragment in [
        (mine, "not a relgraph store (no manifest.json); give an empty or new folder"),
        (
            query_store,
            "this is the store of --store DIR of the query commands, not the store of relgraph serve",
        ),
    ]:
        before = store_snapshot(folder)
        assert_error(run("serve", "--port", "9", "--store", str(folder)), 2, f"{folder}: {fragment}")
        assert store_snapshot(folder) == before
    # its own store is reused: marked when made, its content replaced
    own = tmp_path / "served"
    quad = ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("1"))
    assert build_store(own, [quad]) == 1
    assert build_store(own, [quad, ox.Quad(quad.subject, quad.predicate, ox.Literal("2"))]) == 2
    assert '"kind": "serve"' in (own / "manifest.json").read_text()


def test_explain_follows_iris_of_every_scheme_in_the_graph(tmp_path: Path) -> None:
    # a tag: or mailto: IRI anywhere near the entity stopped `explain` with exit 2, naming the internal
    # query ("query 'explain-evidence', parameter 'node' (iri): ... must start with http(s):// or urn:")
    data = tmp_path / "schemes.ttl"
    data.write_text(
        "<tag:example.org,2023:n1> <http://www.w3.org/2000/01/rdf-schema#seeAlso> "
        "<https://w3id.org/relgraph/id/vani-rao> .\n"
        '<mailto:jane@example.org> <http://www.w3.org/2000/01/rdf-schema#label> "Mail Jane" .\n',
        encoding="utf-8",
    )
    result = run("explain", "rgd:vani-rao", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert "<tag:example.org,2023:n1>" in result.stdout and "Vani Rao" in result.stdout
    for name in ("Mail Jane", "<mailto:jane@example.org>"):
        result = run("explain", name, "--data", str(data))
        assert result.exit_code == 0, result.output
        assert "mailto:jane@example.org" in result.stdout and "Mail Jane" in result.stdout
    # an IRI of another scheme is taken as a parameter too, in <...>; a known prefix there is a mistake
    assert run("query", "person-activity", "--param", "person", "<mailto:jane@example.org>").exit_code == 0
    assert_error(
        run("query", "person-activity", "--param", "person", "<rgd:vani-rao>"),
        2,
        "'<rgd:vani-rao>' is not an IRI: rgd: is a prefix here; write rgd:vani-rao without <...>",
    )


def test_explain_finds_a_label_stored_decomposed(tmp_path: Path) -> None:
    # only what the user typed was normalised (NFC): a label written decomposed (NFD) in the data was
    # "nothing in the graph is called" even when typed exactly as stored
    import unicodedata

    name = unicodedata.normalize("NFD", "José Pérez")
    data = tmp_path / "nfd.ttl"
    data.write_text(
        f'<https://w3id.org/relgraph/id/jose> <http://www.w3.org/2000/01/rdf-schema#label> "{name}"@en .\n'
    )
    for typed in (name, unicodedata.normalize("NFC", name)):
        result = run("explain", typed, "--data", str(data))
        assert result.exit_code == 0, result.output
        assert "rgd:jose" in result.stdout


@pytest.mark.parametrize("text_file", ['"sub/statement.txt"', '"a.txt" , "b.txt"'], ids=["path", "two names"])
def test_a_quote_whose_source_names_its_text_badly_is_not_left_unchecked(
    tmp_path: Path, data_copy: Path, text_file: str
) -> None:
    # only a news report's rg:textFile was checked: evidence citing a statement whose text file was a
    # path, or two names, had its quote skipped without a word, and `validate --strict` and `add
    # --strict` took it (with a bare name that is not found there is the Evidence-sourceText warning)
    from relgraph.synth import generate

    readout = tmp_path / "r.ttl"
    generate(readout, sessions=1, seed=3)
    with readout.open("a", encoding="utf-8") as out:
        out.write(
            f"rgd:synth-statement-000000 rg:textFile {text_file} .\n"
            'rgd:x1 a rg:Evidence ; rdfs:label "Statement 0, sentence x1"@en ;\n'
            "    oa:hasSource rgd:synth-statement-000000 ; oa:hasSelector rgd:x1-q , rgd:x1-p .\n"
            'rgd:x1-q a oa:TextQuoteSelector ; oa:exact "This text is nowhere at all" .\n'
            "rgd:x1-p a oa:TextPositionSelector ; oa:start 0 ; oa:end 27 .\n"
        )
    result = run("validate", "--strict", str(readout))
    assert result.exit_code == int(ExitCode.NOT_CONFORMING), result.output
    assert "rgd:synth-statement-000000 (" in result.stdout
    assert (
        "Source: rg:textFile must be one file name under data/sources/ ending in .txt (no folders)."
        in result.stdout
    )
    before = snapshot(data_copy)
    added = run("add", str(readout), "--data-dir", str(data_copy), "--strict")
    assert added.exit_code == int(ExitCode.NOT_CONFORMING), added.output
    assert snapshot(data_copy) == before


@pytest.mark.parametrize("where", ["export", "add", "synth"])
def test_a_signal_as_the_temporary_file_is_made_leaves_none(
    tmp_path: Path, data_copy: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # SIGTERM (an exception, see relgraph.cli) between tempfile.mkstemp's creating the file and
    # returning its name left the file behind: seen once in CI, in a terminated export
    from relgraph.store import KnowledgeGraph
    from relgraph.synth import generate

    real_open = os.open

    def open_then_terminated(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        handle = real_open(path, flags, *args, **kwargs)
        if str(path).endswith(".tmp") and flags & os.O_EXCL:
            os.close(handle)
            raise SystemExit(128 + signal.SIGTERM)
        return handle

    readout = tmp_path / "note.ttl"
    readout.write_text(NOTE)
    before = snapshot(tmp_path)
    monkeypatch.setattr(os, "open", open_then_terminated)
    with pytest.raises(SystemExit):
        if where == "export":
            export_module.export(KnowledgeGraph(), "ntriples", tmp_path / "out.nt")
        elif where == "add":
            from relgraph.add import add_readout

            add_readout(readout, data_dir=data_copy)
        else:
            generate(tmp_path / "corpus.nt", sessions=1, seed=1)
    monkeypatch.undo()
    after = snapshot(tmp_path)
    left = [name for name in after if name.endswith(".tmp")]
    assert left == []
    if where == "export":
        assert after == before


def test_a_store_is_stale_once_an_imported_link_points_elsewhere(tmp_path: Path) -> None:
    # an imported file was recorded with its symbolic links followed: re-pointing the link the import
    # names left the store answering with the old file's triples
    (tmp_path / "t1.ttl").write_text('<http://ex/a> <http://ex/p> "ONE" .\n')
    (tmp_path / "t2.ttl").write_text('<http://ex/a> <http://ex/p> "TWO" .\n')
    link = tmp_path / "current.ttl"
    link.symlink_to("t1.ttl")
    main = tmp_path / "main.ttl"
    main.write_text(f"<http://ex/o> <{PREFIXES['owl']}imports> <{link.as_uri()}> .\n")
    store = tmp_path / "store"
    query = ["sparql", "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o }", "-f", "csv", "--data", str(main)]
    first = run(*query, "--allow-imports", "--store", str(store))
    assert (first.exit_code, first.stdout.split()) == (0, ["o", "ONE"]), first.output
    link.unlink()
    link.symlink_to("t2.ttl")
    for args in ([], ["--store", str(store)]):
        again = run(*query, "--allow-imports", *args)
        assert (again.exit_code, again.stdout.split()) == (0, ["o", "TWO"]), again.output


@pytest.mark.parametrize("when", ["after the rename", "after the manifest"])
def test_an_interrupted_first_store_build_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    # SIGTERM between renaming the new store into place and writing the manifest left a folder that
    # held only store-*: "not a relgraph store (no manifest.json)" at every later command
    from relgraph import persist

    store = tmp_path / "store"
    args = ["query", "is-co-chair", "--store", str(store)]
    real_rename, real_write = Path.rename, persist.write_manifest

    def rename_then_terminated(self: Path, target: Any) -> Any:
        moved = real_rename(self, target)
        if Path(target).name.startswith("store-"):
            raise SystemExit(128 + signal.SIGTERM)
        return moved

    def write_then_terminated(*write_args: Any) -> None:
        real_write(*write_args)
        raise SystemExit(128 + signal.SIGTERM)

    with monkeypatch.context() as patch:
        if when == "after the rename":
            patch.setattr(Path, "rename", rename_then_terminated)
        else:
            patch.setattr(persist, "write_manifest", write_then_terminated)
        with pytest.raises(SystemExit):
            run_in_process = CliRunner().invoke(cli, args, catch_exceptions=False)
            raise SystemExit(run_in_process.exit_code)
    assert (store / "manifest.json").exists()  # the folder is marked as a store from the start
    result = run(*args)
    assert (result.exit_code, result.stdout) == (0, "true\n"), result.output
    assert [p.name for p in store.iterdir() if p.name.startswith("store-")] == [
        json.loads((store / "manifest.json").read_text())["store"]
    ]


def test_a_data_path_that_cannot_be_resolved_with_a_store_is_one_line(tmp_path: Path) -> None:
    # a loop of symbolic links given with --store was a RuntimeError traceback (exit 1); in memory it
    # was already "a loop of symbolic links"
    store = tmp_path / "store"
    assert run("query", "is-co-chair", "--store", str(store)).exit_code == 0
    (tmp_path / "a.ttl").symlink_to("b.ttl")
    (tmp_path / "b.ttl").symlink_to("a.ttl")
    for args in ([], ["--store", str(store)]):
        result = run("query", "is-co-chair", "--data", str(tmp_path / "a.ttl"), *args)
        assert_error(result, 2, f"{tmp_path / 'a.ttl'}: a loop of symbolic links")


def test_words_of_store_damage_in_a_file_name_are_not_damage(tmp_path: Path) -> None:
    # any error whose message held "Corruption: " was taken for RocksDB's: a missing file of that name
    # marked a sound store damaged, hid the real error, and had the next command rebuild it
    store = tmp_path / "store"
    assert run("query", "is-co-chair", "--store", str(store)).exit_code == 0
    manifest = (store / "manifest.json").read_text()
    missing = tmp_path / "Corruption: notes.ttl"
    result = run("query", "is-co-chair", "--store", str(store), "--data", str(missing))
    line = assert_error(result, 2, str(missing))
    assert "damaged" not in line
    assert (store / "manifest.json").read_text() == manifest
    again = run("query", "is-co-chair", "--store", str(store))
    assert (again.exit_code, again.stdout, again.stderr) == (0, "true\n", "")


@pytest.mark.parametrize(
    "edit",
    [
        "kind as a list",
        "a path with a NUL",
        "a store file with a NUL",
        "nested 100,000 deep",
        "damage with escapes",
    ],
)
def test_a_hand_edited_manifest_is_one_line_or_built_again(tmp_path: Path, edit: str) -> None:
    # each was a traceback with exit 1 (TypeError, ValueError: embedded null byte, RecursionError);
    # recorded damage holding a terminal escape was printed raw in the warning
    store = tmp_path / "store"
    args = ["query", "is-co-chair", "--store", str(store)]
    assert run(*args).exit_code == 0
    path = store / "manifest.json"
    manifest = json.loads(path.read_text())
    if edit == "kind as a list":
        manifest["kind"] = ["query"]
    elif edit == "a path with a NUL":
        manifest["files"][0]["path"] = "\u0000"
    elif edit == "a store file with a NUL":
        manifest["store_files"][0]["name"] = "\u0000"
    elif edit == "damage with escapes":
        manifest["damaged"] = "Corruption: \x1b]0;a title\x07\rhidden"  # click strips colours only
    path.write_text("[" * 100_000 + "]" * 100_000 if edit == "nested 100,000 deep" else json.dumps(manifest))
    result = run(*args)
    assert "Traceback" not in result.output
    if edit in ("kind as a list", "nested 100,000 deep"):
        assert_error(result, 2, f"{store}: ")
    else:
        assert (result.exit_code, result.stdout) == (0, "true\n"), result.output
        assert not any(c in result.stderr for c in "\x1b\x07\r")


def test_a_result_a_format_cannot_hold_is_one_line_and_json_keeps_a_direction() -> None:
    # JSON-LD has no RDF 1.2 triple term: an OSError traceback (exit 1); the JSON results dropped a
    # literal's base direction, which the TSV kept
    construct = (
        "CONSTRUCT { <http://a> <http://b> ?x } "
        "WHERE { BIND(TRIPLE(<http://a>, <http://b>, <http://c>) AS ?x) }"
    )
    assert_error(run("sparql", construct, "-f", "jsonld"), 2, "format 'jsonld' cannot hold this result")
    turtle = run("sparql", construct, "-f", "turtle")
    assert turtle.exit_code == 0 and "<<( <http://a> <http://b> <http://c> )>>" in turtle.stdout
    select = 'SELECT ?x WHERE { BIND(STRLANGDIR("a", "en", "rtl") AS ?x) }'
    result = run("sparql", select, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]["bindings"] == [
        {"x": {"type": "literal", "value": "a", "xml:lang": "en", "its:dir": "rtl"}}
    ]


def test_a_store_is_stale_once_a_second_link_to_an_imported_file_points_elsewhere(tmp_path: Path) -> None:
    # two imports naming one file through two links: the file was loaded and recorded once, under the
    # first name, so re-pointing the second link left the store answering without the other file
    (tmp_path / "t1.ttl").write_text('<http://ex/a> <http://ex/p> "ONE" .\n')
    (tmp_path / "t2.ttl").write_text('<http://ex/a> <http://ex/p> "TWO" .\n')
    current, alias = tmp_path / "current.ttl", tmp_path / "alias.ttl"
    current.symlink_to("t1.ttl")
    alias.symlink_to("t1.ttl")
    main = tmp_path / "main.ttl"
    main.write_text(f"<http://ex/o> <{PREFIXES['owl']}imports> <{current.as_uri()}> , <{alias.as_uri()}> .\n")
    store = tmp_path / "store"
    query = ["sparql", "SELECT ?o WHERE { <http://ex/a> <http://ex/p> ?o } ORDER BY ?o", "-f", "csv"]
    query += ["--data", str(main), "--allow-imports"]
    first = run(*query, "--store", str(store))
    assert (first.exit_code, first.stdout.split()) == (0, ["o", "ONE"]), first.output
    alias.unlink()
    alias.symlink_to("t2.ttl")
    for args in ([], ["--store", str(store)]):
        again = run(*query, *args)
        assert (again.exit_code, again.stdout.split()) == (0, ["o", "ONE", "TWO"]), again.output


def test_a_remote_literal_with_a_direction_is_refused_not_dropped() -> None:
    # an endpoint's JSON results with "its:dir" (SPARQL 1.2) gave the literal without its direction:
    # remote results are made of rdflib terms, which cannot hold one, so they say so
    from rdflib import Literal

    from relgraph.errors import QueryError
    from relgraph.results import QueryResult

    literal = {"type": "literal", "value": "a", "xml:lang": "en"}
    data = {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {**literal, "its:dir": "rtl"}}]}}
    with pytest.raises(QueryError, match="literal with a base direction is not supported: 'a'"):
        QueryResult.from_sparql_json(data)
    data["results"]["bindings"] = [{"x": literal}]
    assert QueryResult.from_sparql_json(data).rows == [(Literal("a", lang="en"),)]


def _library_calls() -> dict[str, Callable[[], object]]:
    import relgraph
    from relgraph.catalogue import Catalogue

    return {
        "one path as bytes": lambda: relgraph.load_default_graph(b"a.ttl"),  # type: ignore[arg-type]
        "files of None": lambda: relgraph.validate_files(None),  # type: ignore[arg-type]
        "a list of bytes": lambda: relgraph.validate_files([b"a.ttl"]),  # type: ignore[list-item]
        "shapes of 5": lambda: relgraph.validate_files([], shapes=5),  # type: ignore[arg-type]
        "an empty file name": lambda: relgraph.load_default_graph(""),
        "a misspelt engine": lambda: relgraph.validate_files([], engine="pyshcal"),
        "a query name of None": lambda: relgraph.run_query(None),  # type: ignore[arg-type]
        "a query name of 123": lambda: Catalogue.load_one(123),  # type: ignore[arg-type]
    }


@pytest.mark.parametrize("case", list(_library_calls()))
def test_library_calls_with_the_wrong_kind_of_argument_say_so(case: str) -> None:
    # they were TypeErrors from deep inside (bytes iterated into ints), "/: unknown RDF file extension",
    # or, for the engine, validation with the default engine without a word
    from relgraph.errors import UsageError

    with pytest.raises(UsageError) as caught:
        _library_calls()[case]()
    message = caught.value.message
    assert any(word in message for word in ("must be", "unknown validation engine")), message
    assert "\n" not in message


def test_library_calls_take_one_file_name_as_text(tmp_path: Path) -> None:
    # load_default_graph("a.ttl") took the text apart letter by letter ("/: unknown RDF file extension"),
    # and KnowledgeGraph.default(store="dir") was an AttributeError
    import relgraph
    from relgraph.store import KnowledgeGraph

    extra = tmp_path / "a.ttl"
    extra.write_text(NOTE)
    shipped = len(relgraph.load_default_graph())
    assert len(relgraph.load_default_graph(str(extra))) == shipped + 1
    assert len(KnowledgeGraph.default(str(extra), store=str(tmp_path / "store"))) == shipped + 1


_PREFIXES_TTL = "".join(f"@prefix {name}: <{PREFIXES[name]}> .\n" for name in ("rg", "rgd", "rdfs", "foaf"))


def _same_as_pyshacl(path: Path, shapes: Path | None = None, **options: Any) -> list[str]:
    """Validate ``path`` with both engines; assert the same results, and return them as sorted lines."""
    from relgraph.validate import validate

    compiled = validate([path], shapes=shapes, **options)
    reference = validate([path], shapes=shapes, engine="pyshacl")
    lines = sorted(r.line() for r in compiled.results)
    assert lines == sorted(r.line() for r in reference.results)
    assert compiled.conforms == reference.conforms
    return lines


def test_a_class_that_is_a_blank_node_is_validated(tmp_path: Path) -> None:
    # a blank node went into the VALUES list of a class's subclasses, which SPARQL does not allow: exit 3,
    # "https://w3id.org/relgraph/shapes#EnglishLabel: the shape's SPARQL is not valid", blaming the shapes
    new = tmp_path / "blank-class.ttl"
    new.write_text(
        _PREFIXES_TTL + 'rgd:test-official a [ rdfs:subClassOf rg:Official ] ; rdfs:label "T"@en .\n'
    )
    lines = _same_as_pyshacl(new)
    assert [line.split(": ", 2)[1] for line in lines] == ["Warning"]  # no foaf:name: an Official's shapes ran
    assert "foaf:name" in lines[0]
    assert run("validate", str(new)).exit_code == 0


def test_new_subclass_triples_are_validated_against_the_whole_graph(tmp_path: Path, data_copy: Path) -> None:
    # the instances of rg:Source became organisations, without a country: pyshacl found 3 violations on
    # nodes two steps from the new triple, the compiled engine none, and add added the file
    new = tmp_path / "subclass.ttl"
    new.write_text(_PREFIXES_TTL + "rg:Source rdfs:subClassOf rg:GovernmentOrganization .\n")
    lines = _same_as_pyshacl(new)
    assert len(lines) == 3 and all("rg:country must be exactly one rg:Country" in line for line in lines)
    before = snapshot(data_copy)
    result = run("add", str(new), "--data-dir", str(data_copy))
    assert result.exit_code == 1, result.output
    assert snapshot(data_copy) == before


def test_whole_graph_reports_the_existing_nodes_new_files_make_invalid() -> None:
    # a new session with the ordinal of the seventh: only the new one is near the new triples; with
    # --whole-graph the seventh is reported too, as pyshacl reports it
    new = Path(__file__).parent / "shapes" / "invalid" / "DialogueSession-ordinalUnique.ttl"
    lines = _same_as_pyshacl(new, whole_graph=True)
    assert len(lines) == 2 and any("rgd:us-india-2plus2-intersessional-07 " in line for line in lines)
    near = run("validate", str(new)).stdout
    assert "(1 violations" in near
    assert "(2 violations" in run("validate", str(new), "--whole-graph").stdout


_ODD_VALUES_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:Date a sh:PropertyShape ; sh:targetClass ex:D ; sh:path ex:p ; sh:datatype xsd:date ; sh:message "date" .
ex:Count a sh:PropertyShape ; sh:targetClass ex:I ; sh:path ex:p ; sh:datatype xsd:integer ;
    sh:minInclusive 1 ; sh:message "count" .
ex:File a sh:PropertyShape ; sh:targetClass ex:F ; sh:path ex:p ;
    sh:pattern "^[a-z]+\\\\.txt$" ; sh:message "file" .
ex:Code a sh:PropertyShape ; sh:targetClass ex:C ; sh:path ex:p ;
    sh:pattern "^(?!X)[A-Z]{3}$" ; sh:message "code" .
ex:Lang a sh:PropertyShape ; sh:targetClass ex:L ; sh:path ex:p ;
    sh:languageIn ( "en-US" ) ; sh:message "lang" .
"""
_ODD_VALUES = """\
@prefix ex: <http://ex/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:d1 a ex:D ; ex:p "2024-02-30"^^xsd:date , "10000-01-01"^^xsd:date , "0000-01-01"^^xsd:date ,
    "2024-01-01"^^xsd:date .
ex:d2 a ex:D ; ex:p "2024-01-01T10:00:00"^^xsd:date .
ex:i1 a ex:I ; ex:p 12345678901234567890 .
ex:i2 a ex:I ; ex:p 0 .
ex:f1 a ex:F ; ex:p "notes.txt\\n" .
ex:f2 a ex:F ; ex:p "notes.pdf" .
ex:c1 a ex:C ; ex:p "XAB" , "ABC" .
ex:l1 a ex:L ; ex:p "x"@en-us-x-y , "y"@en-US .
"""


def test_values_sparql_and_pyshacl_read_differently_are_judged_as_pyshacl_judges_them(tmp_path: Path) -> None:
    # Oxigraph's casts, comparisons and regular expressions decided: a year 10000 passed, a 20-digit
    # integer failed, "notes.txt\n" failed ($ before a last line break), a lookahead Oxigraph cannot
    # run passed every value (its error dropped the row), en-us-x-y passed languageIn ("en-US")
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(_ODD_VALUES_SHAPES)
    data = tmp_path / "odd.ttl"
    data.write_text(_ODD_VALUES)
    from relgraph.validate import validate

    _same_as_pyshacl(data, shapes)
    results = validate([data], shapes=shapes).results
    failed = {(str(r.focus), str(r.value)) for r in results if str(r.source_shape).startswith("http://ex/")}
    assert failed == {
        ("http://ex/d1", "2024-02-30"),
        ("http://ex/d1", "10000-01-01"),
        ("http://ex/d1", "0000-01-01"),
        ("http://ex/i2", "0"),
        ("http://ex/f2", "notes.pdf"),
        ("http://ex/c1", "XAB"),
        ("http://ex/l1", "x"),
    }


def test_a_pattern_python_cannot_compile_is_a_configuration_error(tmp_path: Path) -> None:
    # Oxigraph's REGEX failed on each value, which dropped the row: the data "conformed" (exit 0)
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(_ODD_VALUES_SHAPES.replace("^[a-z]+", "^[a-z"))
    data = tmp_path / "odd.ttl"
    data.write_text(_ODD_VALUES)
    assert_error(
        run("validate", "--shapes", str(shapes), str(data)), 3, "shapes.ttl", "the shapes are broken"
    )


# tables: bounded whatever the values, and nothing in them acts on the terminal
LONG = 200_000  # characters of the one long label (the report's case had 4 MB: 1.2 GB of table)
SESSIONS = 300
ELLIPSIS = "\u2026"


def sessions_with_one_long_label(path: Path, mechanism: str) -> Path:
    """``SESSIONS`` sessions of ``mechanism``, one with a label of ``LONG`` characters."""
    lines = []
    for n in range(SESSIONS):
        session = f"<{RGD}wide-s{n:03d}>"
        label = "x" * LONG if n == 0 else f"s{n}"
        lines.append(f"{session} <{RG}sessionOf> <{RGD}{mechanism}> .")
        lines.append(f'{session} <{RG}placeAsReported> "p{n}" .')
        lines.append(f'{session} <{RDFS}label> "{label}" .')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_bounded_table(result: Result, columns: int) -> list[str]:
    """A table of at most ``columns`` cells of MAX_CELL_WIDTH a line; the long label cut and said so."""
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = result.stdout.splitlines()
    longest = max(len(line) for line in lines)
    assert longest <= columns * (MAX_CELL_WIDTH + 2), longest
    assert len(result.stdout) < 1_000_000, len(result.stdout)  # it was LONG characters a row: 60 MB
    (cut,) = [line for line in lines if "x" * 100 in line]
    assert "x" * (MAX_CELL_WIDTH - 1) + ELLIPSIS in cut
    assert "x" * MAX_CELL_WIDTH not in cut
    note = f"1 value cut to {MAX_CELL_WIDTH} columns (ending with {ELLIPSIS}); "
    assert note + "the csv, tsv and json formats give values in full" in lines
    return lines


def test_a_long_value_in_a_table_is_cut_so_that_the_table_stays_small(tmp_path: Path) -> None:
    # one literal of 4 MB in one row of 300 padded every row to its width: 1.2 GB of table, 2.4 GB of
    # memory and 17 s, a MemoryError traceback under `ulimit -v 1500000`
    data = sessions_with_one_long_label(tmp_path / "wide.nt", "m")
    args = ("query", "dialogue-sessions", "-p", "mechanism", "rgd:m", "--data", str(data))
    started = time.monotonic()
    table = run(*args)
    assert time.monotonic() - started < 30
    lines = assert_bounded_table(table, columns=7)
    assert lines[-2] == f"{SESSIONS} rows"
    rows = lines[2:-2]
    assert len(rows) == SESSIONS
    assert any(row.startswith("rgd:m") and row.rstrip().endswith("p299") for row in rows)
    # the other formats are faithful: the whole label, once
    csv_text = run(*args, "-f", "csv").stdout_bytes.decode("utf-8")  # .stdout makes \r\n \n
    assert f"{RGD}wide-s000,{'x' * LONG},p0\r\n" in csv_text
    tsv = run(*args, "-f", "tsv").stdout
    assert f'\t"{"x" * LONG}"\t' in tsv
    bindings = json.loads(run(*args, "-f", "json").stdout)["results"]["bindings"]
    assert [b["sessionLabel"]["value"] for b in bindings if b["sessionLabel"]["value"][0] == "x"] == [
        "x" * LONG
    ]


def test_a_long_value_in_the_report_is_cut_so_that_the_report_stays_small(tmp_path: Path) -> None:
    data = sessions_with_one_long_label(tmp_path / "wide.nt", "us-india-2plus2-intersessional")
    report = run("report", "--data", str(data))
    lines = assert_bounded_table(report, columns=7)
    assert lines[0].startswith("agreement-status: ")  # the whole report, as it was
    full = json.loads(run("report", "--data", str(data), "--format", "json").stdout)
    (sessions,) = [q["result"] for q in full["queries"] if q["name"] == "dialogue-sessions"]
    labels = [b["sessionLabel"]["value"] for b in sessions["results"]["bindings"] if "sessionLabel" in b]
    assert "x" * LONG in labels


HIDDEN_IN_TABLES = {
    "\u202e": "\\u202e",  # RIGHT-TO-LEFT OVERRIDE: shows what follows reversed
    "\u202c": "\\u202c",  # POP DIRECTIONAL FORMATTING
    "\u2066": "\\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2069": "\\u2069",  # POP DIRECTIONAL ISOLATE
    "\u200b": "\\u200b",  # ZERO WIDTH SPACE
    "\ufeff": "\\ufeff",  # BYTE ORDER MARK
    "\u2028": "\\u2028",  # LINE SEPARATOR
    "\u2029": "\\u2029",  # PARAGRAPH SEPARATOR
}


@pytest.fixture
def spoofing(tmp_path: Path) -> Path:
    """Sessions whose labels, places and IRI hold bidi controls, zero-width characters, separators."""
    path = tmp_path / "bidi.ttl"
    path.write_text(
        f"@prefix rg: <{RG}> .\n@prefix rgd: <{RGD}> .\n@prefix rdfs: <{RDFS}> .\n"
        'rgd:m rdfs:label "Mechanism" .\n'
        'rgd:s1 rg:sessionOf rgd:m ; rg:ordinal 1 ; rdfs:label "Session one" ; rg:placeAsReported "here" .\n'
        'rgd:s2 rg:sessionOf rgd:m ; rg:ordinal 2 ; rdfs:label "Pay \\u202E0001$\\u202C to\\u200B\\u200B" ;\n'
        '  rg:placeAsReported "\\uFEFFthere\\u2066x\\u2069" .\n'
        "<https://w3id.org/relgraph/id/s\\u202Ex> rg:sessionOf rgd:m ; rg:ordinal 3 ;\n"
        '  rg:placeAsReported "x\\u2028y\\u2029z" .\n',
        encoding="utf-8",
    )
    return path


def test_format_characters_in_a_table_are_written_out(spoofing: Path) -> None:
    # bidi controls (U+202E showed "Pay 1000$" for "Pay 0001$"), zero-width characters, the byte
    # order mark and U+2028/U+2029 reached the terminal raw, in literals and in IRIs; a zero-width
    # character counted as a column, so the columns after it were shifted
    args = ("query", "dialogue-sessions", "-p", "mechanism", "rgd:m", "--data", str(spoofing))
    result = run(*args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    hidden = [c for c in out if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    assert hidden == []
    lines = out.splitlines()
    assert lines[-1] == "3 rows"
    assert "Pay \\u202e0001$\\u202c to\\u200b\\u200b" in lines[3]
    assert "\\ufeffthere\\u2066x\\u2069" in lines[3]
    assert "<https://w3id.org/relgraph/id/s\\u202ex>" in lines[4]
    assert lines[4].endswith("x\\u2028y\\u2029z")
    # aligned: every row's last column starts where its header does (the output is ASCII now)
    start = lines[0].index("placeAsReported")
    assert [line[start:] for line in lines[2:5]] == [
        "here",
        "\\ufeffthere\\u2066x\\u2069",
        "x\\u2028y\\u2029z",
    ]
    assert all(line[start - 2 : start] == "  " for line in lines[2:5])
    # the CSV, TSV and JSON results are faithful: every character as the data has it
    csv_text = run(*args, "-f", "csv").stdout_bytes.decode("utf-8")
    tsv_text = run(*args, "-f", "tsv").stdout
    json_text = run(*args, "-f", "json").stdout
    label = "Pay \u202e0001$\u202c to\u200b\u200b"
    for text in (csv_text, tsv_text, json_text):
        assert label in text
        assert "\\u202e" not in text.lower()
    assert "https://w3id.org/relgraph/id/s\u202ex" in csv_text
    rows = list(csv.reader(io.StringIO(csv_text, newline="")))
    assert [row[6] for row in rows[1:]] == ["here", "\ufeffthere\u2066x\u2069", "x\u2028y\u2029z"]
    bindings = json.loads(json_text)["results"]["bindings"]
    assert [b["placeAsReported"]["value"] for b in bindings] == [r[6] for r in rows[1:]]


def test_a_result_is_shown_with_the_english_message_of_several(tmp_path: Path) -> None:
    # rdflib's value() took any of them: every line showed the German one
    from relgraph.validate import validate

    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .\n"
        "ex:Named a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ex:name ; sh:minCount 1 ;\n"
        '  sh:message "Ein Name fehlt"@de , "A name is required"@en , "Il manque un nom"@fr .\n'
    )
    data = tmp_path / "data.ttl"
    data.write_text("<http://ex/a> a <http://ex/T> .\n")
    for engine in ("auto", "pyshacl"):
        results = validate([data], shapes=shapes, engine=engine).results
        assert {r.message for r in results if str(r.source_shape) == "http://ex/Named"} == {
            "A name is required"
        }
    assert (
        "<http://ex/name>: A name is required" in run("validate", "--shapes", str(shapes), str(data)).stdout
    )


# explain: what the graph says, right and safe to show
_EXPLAIN_PREFIXES = (
    "@prefix rg: <https://w3id.org/relgraph/ontology#> .\n"
    "@prefix rgd: <https://w3id.org/relgraph/id/> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix oa: <http://www.w3.org/ns/oa#> .\n"
    "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
)
_EXPLAIN_TEXT = "ani-2023-09-27-us-india-2plus2-intersessional.txt"
_CO_CHAIRS = "The dialogue was co-chaired by Assistant Secretary of Defence for Indo-Pacific Security Affairs"


def _explain_run(*args: str, color: bool = False) -> Result:
    return CliRunner().invoke(cli, list(args), color=color)


def _explain_data(tmp_path: Path, turtle: str) -> str:
    path = tmp_path / "extra.ttl"
    path.write_text(_EXPLAIN_PREFIXES + turtle, encoding="utf-8")
    return str(path)


def _explain_ok(result: Result) -> list[str]:
    assert result.exit_code == 0, (result.exit_code, result.output)
    assert "Traceback" not in result.output and result.stderr == ""
    return result.stdout.splitlines()


def _explain_error(result: Result, code: int, message: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output and result.stdout == ""
    assert result.stderr.splitlines() == [f"Error: {message}"]


def test_explain_shows_evidence_whose_offsets_are_not_integers_without_them(tmp_path: Path) -> None:
    # int(lexical(start)): a ValueError traceback for oa:start 1.5 or "twelve" (invalid per the shapes,
    # but --data loads it), even explaining Vani Rao, whom the resource stated there only points to
    for start, shown in [("1.5", '"1.5"^^xsd:decimal'), ('"twelve"', '"twelve"')]:
        extra = _explain_data(
            tmp_path,
            'rgd:thing-y rdfs:label "Thing Y"@en ; rg:statedIn rgd:ev-y ; rdfs:seeAlso rgd:vani-rao .\n'
            "rgd:ev-y oa:hasSource rgd:report-ani-2023-09-27 ; oa:hasSelector rgd:pos-y .\n"
            f"rgd:pos-y a oa:TextPositionSelector ; oa:start {start} ; oa:end 3 .\n",
        )
        evidence = f"{_EXPLAIN_TEXT} (offsets left out: oa:start {shown} is not an xsd:integer of 0 or more)"
        lines = _explain_ok(_explain_run("explain", "Vani Rao", "--data", extra))
        at = lines.index("  rgd:thing-y (Thing Y) rdfs:seeAlso")
        assert lines[at + 1] == f"      stated in {evidence}"
        lines = _explain_ok(_explain_run("explain", "Thing Y", "--data", extra))
        assert lines[:5] == ["Thing Y = rgd:thing-y", "", "Stated in:", f"  {evidence}", ""]
        body = json.loads(_explain_run("explain", "Thing Y", "--data", extra, "-f", "json").stdout)
        [(found, problem)] = [(e["start"], e["offsets_problem"]) for e in body["evidence"]]
        assert (found, problem) == (None, f"oa:start {shown} is not an xsd:integer of 0 or more")


def test_explain_takes_an_iri_as_typed_code_point_by_code_point(tmp_path: Path) -> None:
    # the whole argument was made NFC first: rgd:jose + U+0301 explained rgd:jos\u00e9, another resource,
    # or was "nothing in the graph is called 'rgd:josé'" where only the one typed is in the graph
    nfd, nfc = "jose\u0301", "jos\u00e9"
    both = _explain_data(
        tmp_path, f'rgd:{nfd} rdfs:label "Decomposed IRI"@en .\nrgd:{nfc} rdfs:label "Composed IRI"@en .\n'
    )
    for typed, first in [
        (f"rgd:{nfd}", f"Decomposed IRI = rgd:{nfd}"),
        (f"<https://w3id.org/relgraph/id/{nfd}>", f"Decomposed IRI = rgd:{nfd}"),
        (f"rgd:{nfc}", f"Composed IRI = rgd:{nfc}"),
        (f"https://w3id.org/relgraph/id/{nfc}", f"Composed IRI = rgd:{nfc}"),
    ]:
        assert _explain_ok(_explain_run("explain", typed, "--data", both))[0] == first
    only_nfd = _explain_data(tmp_path, f'rgd:{nfd} rdfs:label "Decomposed IRI"@en .\n')
    assert (
        _explain_ok(_explain_run("explain", f"rgd:{nfd}", "--data", only_nfd))[0]
        == f"Decomposed IRI = rgd:{nfd}"
    )
    hint = (
        f"rgd:{nfd} ('https://w3id.org/relgraph/id/jose\\u0301') is in the graph: the same IRI written in "
        "Unicode NFD, which RDF takes for another (IRIs are compared code point by code point)"
    )
    _explain_error(
        _explain_run("explain", f"rgd:{nfc}", "--data", only_nfd),
        2,
        f"nothing in the graph is called 'rgd:{nfc}' (give an IRI, a prefixed name or a label); {hint}",
    )
    _explain_error(
        _explain_run("explain", f"<https://w3id.org/relgraph/id/{nfc}>", "--data", only_nfd),
        2,
        f"the graph says nothing about rgd:{nfc}; {hint}",
    )


def test_explain_a_name_two_labels_have_in_nfc_is_ambiguous(tmp_path: Path) -> None:
    # the decomposed form was looked up only when the composed one found nothing: one of the two
    # resources was explained, without a word of the other
    composed = "\u00c9ly Ratner"
    extra = _explain_data(
        tmp_path,
        f'rgd:twin-nfd a rg:Official ; rdfs:label "{unicodedata.normalize("NFD", composed)}"@en .\n'
        f'rgd:twin-nfc a rg:Official ; rdfs:label "{composed}"@en .\n',
    )
    for typed in (composed, unicodedata.normalize("NFD", composed)):
        _explain_error(
            _explain_run("explain", typed, "--data", extra),
            2,
            f"{typed!r} names 2 resources: rgd:twin-nfc, rgd:twin-nfd; give one of them",
        )


def test_explain_gives_a_blank_node_its_sentence_and_marks_it_in_json(tmp_path: Path) -> None:
    # only an IRI's evidence was looked up: a session role written [ ... ] showed no "stated in", and
    # its "subject" in the JSON was a bare id, which reads as an IRI
    extra = _explain_data(
        tmp_path,
        'rgd:test-person a rg:Official ; rdfs:label "Test Person"@en .\n'
        "rgd:us-india-2plus2-intersessional-07 prov:qualifiedAssociation [\n"
        "    a rg:SessionRole ; prov:agent rgd:test-person ; prov:hadRole rg:coChair ;\n"
        "    rg:statedIn rgd:ani-2023-09-27-s03 ] , rgd:test-role-named .\n"
        "rgd:test-role-named a rg:SessionRole ; prov:agent rgd:test-person ; prov:hadRole rg:spokesperson ;\n"
        "    rg:statedIn rgd:ani-2023-09-27-s03 .\n",
    )
    lines = _explain_ok(_explain_run("explain", "Test Person", "--data", extra))
    at = lines.index("Referred to by:")
    blank, role = lines[at + 1], lines[at + 3]
    assert re.fullmatch(r"  _:[0-9a-f]+ prov:agent", blank), blank
    assert role == "  rgd:test-role-named prov:agent"
    for line in (lines[at + 2], lines[at + 4]):
        assert line.startswith(f'      stated in {_EXPLAIN_TEXT}[535:923]: "{_CO_CHAIRS}')
    assert len(lines) == at + 5
    body = json.loads(_explain_run("explain", "Test Person", "--data", extra, "-f", "json").stdout)
    referrers = [(f["subject"], [e["start"] for e in f["evidence"]]) for f in body["referred_to_by"]]
    assert len(referrers) == 2
    assert referrers[1] == ("https://w3id.org/relgraph/id/test-role-named", [535])
    assert re.fullmatch("_:[0-9a-f]+", referrers[0][0]) and referrers[0][1] == [535]


def test_explain_gives_each_sentence_once_when_a_source_has_two_labels(tmp_path: Path) -> None:
    # the evidence query gave a row for each label of the source: every "stated in" line twice
    extra = _explain_data(tmp_path, 'rgd:report-ani-2023-09-27 rdfs:label "एएनआई रिपोर्ट"@hi .\n')
    lines = _explain_ok(
        _explain_run("explain", "rgd:us-india-2plus2-intersessional-07-outcome-08", "--data", extra)
    )
    stated = [line for line in lines if line.startswith(f"  {_EXPLAIN_TEXT}")]
    assert [line.split(": ")[0] for line in stated] == [f"  {_EXPLAIN_TEXT}[1742:2143]"]
    lines = _explain_ok(_explain_run("explain", "rgd:report-ani-2023-09-27", "--data", extra))
    english = "ANI report on the seventh US-India 2+2 Intersessional Dialogue (2023-09-27)"
    assert lines[0] == f"{english} = rgd:report-ani-2023-09-27"
    assert lines[3:6] == [
        "Stated in:",
        f'  {_EXPLAIN_TEXT}[1:16]: "date 2023-09-27"',
        f'  {_EXPLAIN_TEXT}[2511:2516]: "(ANI)"',
    ]
    body = json.loads(_explain_run("explain", "Vani Rao", "--data", extra, "-f", "json").stdout)
    role = next(f for f in body["referred_to_by"] if f["subject"].endswith("-07-co-chair-vani-rao"))
    assert [(e["start"], e["source"]) for e in role["evidence"]] == [(535, english)]


def test_explain_writes_out_what_a_terminal_would_act_on(tmp_path: Path) -> None:
    # labels, quotes and file names were written as they are: a colour, a window title (OSC ... BEL),
    # a line break forging a line of its own, text turned right to left (U+202E)
    extra = _explain_data(
        tmp_path,
        '<http://example.org/a> rdfs:label "Evil\\u001b[31mRED\\u001b[0m\\nrgd:fake = <forged line>" ;\n'
        "    <http://example.org/p> <http://example.org/b> ; rg:statedIn <http://example.org/ev> .\n"
        '<http://example.org/b> rdfs:label "B\\u001b]0;pwned-title\\u0007label\u202etxt.exe" .\n'
        "<http://example.org/ev> oa:hasSource <http://example.org/src> ;\n"
        '    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "said\\u2028\\u001b[2J" ] .\n'
        '<http://example.org/src> rg:textFile "news\\n.txt" .\n',
    )
    # color=True: click writes what a terminal gets (else it takes out what looks like a colour)
    result = _explain_run("explain", "http://example.org/a", "--data", extra, color=True)
    lines = _explain_ok(result)
    assert lines[:4] == [
        "Evil\\x1b[31mRED\\x1b[0m\\nrgd:fake = <forged line> = <http://example.org/a>",
        "",
        "Stated in:",
        '  news\\n.txt: "said\\u2028\\x1b[2J"',
    ]
    assert (
        "  <http://example.org/p> <http://example.org/b> (B\\x1b]0;pwned-title\\x07label\\u202etxt.exe)"
        in lines
    )
    assert not {"\x1b", "\x07", "\u202e", "\u2028"} & set(result.stdout)
    # JSON is for programs: the data as it is
    body = json.loads(
        _explain_run("explain", "http://example.org/a", "--data", extra, "-f", "json", color=True).stdout
    )
    assert body["label"] == "Evil\x1b[31mRED\x1b[0m\nrgd:fake = <forged line>"
    assert (body["evidence"][0]["file"], body["evidence"][0]["exact"]) == ("news\n.txt", "said\u2028\x1b[2J")


def test_explain_an_argument_that_is_not_utf8_is_a_usage_error() -> None:
    # Python gives the byte 0xff of the command line as the lone surrogate U+DCFF: "query 'resolve-name',
    # parameter 'name' (string): The literal value must be a str, an int, a float or a bool"
    for typed, where in [
        ("\udcff", "byte 0xff at character 1"),
        ("rgd:vani\udce9", "byte 0xe9 at character 9"),
    ]:
        _explain_error(
            _explain_run("explain", typed),
            2,
            f"ENTITY is not UTF-8 text ({where}); give a name, an IRI or a prefixed name in UTF-8",
        )


# synth, and the files export and add write: no link followed, sizes bounded, errors naming the user's file
_SYNTH_HEADER = "# Synthetic relgraph readouts"


def _synth_run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"RELGRAPH_PROGRESS": "0"})


def _entries(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (hidden ones too): a file's bytes, a link's target, a folder."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            entries[name] = f"-> {path.readlink()}"
        elif path.is_dir():
            entries[name] = "folder"
        else:
            entries[name] = path.read_bytes()
    return entries


def test_synth_replaces_a_link_at_a_source_text_name_and_never_writes_through_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the source texts were written with Path.write_text at predictable names, following a symbolic
    # link planted there (and writing through a hard link): `ln -s ../victim.txt v-sources/synth-0-000000.txt`
    # overwrote victim.txt
    monkeypatch.chdir(tmp_path)
    victim, other = tmp_path / "victim.txt", tmp_path / "other.txt"
    victim.write_text("precious\n")
    other.write_text("also precious\n")
    sources = tmp_path / "v-sources"
    sources.mkdir()
    (sources / "synth-0-000000.txt").symlink_to("../victim.txt")
    os.link(other, sources / "synth-0-000001.txt")
    (sources / "synth-0-000002.txt").write_text("an older run's text\n")  # its own: replaced
    result = _synth_run("synth", "--sessions", "3", "-o", "v.nt")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious\n"
    assert other.read_text() == "also precious\n"
    texts = {p.name: p for p in sources.iterdir()}
    assert sorted(texts) == ["synth-0-000000.txt", "synth-0-000001.txt", "synth-0-000002.txt"]
    expected = {r.source_name: r.source_text for r in itertools.islice(session_iter(0), 3)}
    for name, path in texts.items():
        assert not path.is_symlink() and path.stat().st_nlink == 1, name
        assert path.read_text(encoding="utf-8") == expected[name]
    assert Path("v.nt").read_text().startswith(_SYNTH_HEADER)


def test_synth_refuses_a_size_too_large_in_one_line(tmp_path: Path) -> None:
    # --triples of 400 nines was an OverflowError traceback (float()); a size whose sessions would be
    # dated past 9999-12-31 was an OverflowError after hours of writing, some 5.8 million sessions in
    out = tmp_path / "c.nt"
    line = assert_error(_synth_run("synth", "--triples", "9" * 400, "-o", str(out)), 2)
    assert line.startswith("Error: invalid size '999999999999…': at most 1013781768 triples ("), line
    assert_error(_synth_run("synth", "--triples", "1.1G", "-o", str(out)), 2, "invalid size '1.1G'")
    assert_error(
        _synth_run("synth", "--sessions", "5826333", "-o", str(out)), 2, "at most 5826332 sessions ("
    )
    assert (synth.MAX_SESSIONS, synth.MAX_TRIPLES) == (5_826_332, 1_013_781_768)
    with pytest.raises(UsageError, match=r"^at most 1013781768 triples"):
        generate(out, triples=synth.MAX_TRIPLES + 1)
    assert list(tmp_path.iterdir()) == []
    # the maxima are right: the last session is reported on 9999-12-31, and every session holds at
    # least the triples the maximum counts on
    last_day = datetime.date(2024, 1, 8) + datetime.timedelta(days=(synth.MAX_SESSIONS - 1) // 2 + 1)
    assert last_day == datetime.date.max
    fewest = min(len(r.lines) for r in itertools.islice(session_iter(0), 1, 3000))
    assert fewest * synth.MAX_SESSIONS >= synth.MAX_TRIPLES


def test_synth_errors_name_the_output_not_its_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `Error: rodir/.x.nt.3190ffd4aa2b.tmp: cannot write: Permission denied`: the random temporary
    # name, not the output given (a read-only folder; here the refusal is made, as root is not refused)
    out = tmp_path / "x.nt"
    out.write_text("the old corpus\n")
    real_open = os.open

    def refused(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).parent == tmp_path and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    line = assert_error(_synth_run("synth", "--sessions", "1", "-o", str(out)), 2)
    assert line == f"Error: {out}: cannot write: Permission denied"
    assert out.read_text() == "the old corpus\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.nt"]  # no temporary file, no x-sources/


@pytest.mark.parametrize("sources", ["c.nt", "c.nt/texts"])
def test_synth_refuses_sources_that_are_the_output_or_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sources: str
) -> None:
    # --sources equal to the output made it a folder of source texts, then failed at the end on the
    # rename, naming the temporary file; the folder was left behind
    monkeypatch.chdir(tmp_path)
    result = _synth_run("synth", "--sessions", "1", "-o", "c.nt", "--sources", sources)
    assert_error(result, 2, f"{sources}: the source texts cannot go to the output c.nt")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("wide", [False, True], ids=["ascii", "two-byte characters"])
@pytest.mark.parametrize("command", ["synth", "export", "add"])
def test_an_output_name_of_238_bytes_or_more_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, wide: bool
) -> None:
    # the temporary file ".<name>.<12 hex>.tmp" beside it did not fit in a file name's 255 bytes:
    # "File name too long". A name of 255 bytes, the most there is (add: 251, as its working folder
    # <stem>-sources must fit too)
    size = 251 if command == "add" else 255
    stem = "é" * ((size - 4) // 2) + "x" * ((size - 4) % 2) if wide else "x" * (size - 4)
    name = stem + ".ttl"  # wide: cut short, the temporary name ends where a character does
    assert len(os.fsencode(name)) == size, len(os.fsencode(name))
    monkeypatch.chdir(tmp_path)
    if command == "synth":
        result = _synth_run("synth", "--sessions", "1", "-o", name, "--sources", "texts")
        written = tmp_path / name
    elif command == "export":
        result = _synth_run("export", "--format", "ntriples", "--data-only", "-o", name)
        written = tmp_path / name
    else:
        data = tmp_path / "data"
        shutil.copytree(resources.data_dir(), data)
        (tmp_path / name).write_text(f'<{RGD}test-note> <{RDFS}comment> "a note" .\n')
        result = _synth_run("add", name, "--data-dir", str(data))
        written = data / "readouts" / name
    assert result.exit_code == 0, result.output
    assert written.stat().st_size > 0
    assert [p for p in written.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_add_of_a_readout_whose_source_folder_name_would_be_too_long_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a name of 255 bytes fits, its <stem>-sources folder does not: an OSError traceback (exit 1)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    shutil.copytree(resources.data_dir(), data)
    name = "x" * 251 + ".ttl"
    (tmp_path / name).write_text(f'<{RGD}test-note> <{RDFS}comment> "a note" .\n')
    before = snapshot(data)
    result = run("add", name, "--data-dir", str(data))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[-1].endswith("-sources); give the readout a shorter name")
    assert snapshot(data) == before


def test_synth_through_a_symbolic_link_writes_the_file_it_points_to_and_keeps_its_mode(
    tmp_path: Path,
) -> None:
    # synth replaced a link with a regular file, and a chmod 600 output became 644; export does the
    # opposite, and says so (relgraph.export.atomic_write): synth now writes through the same function
    real = tmp_path / "real"
    real.mkdir()
    target = real / "target.nt"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "link.nt"
    link.symlink_to("real/target.nt")
    result = _synth_run("synth", "--sessions", "1", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.readlink() == Path("real/target.nt")
    assert target.read_text().startswith(_SYNTH_HEADER)
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in real.iterdir()) == ["target.nt"]


def test_generate_refuses_a_count_below_one_and_a_prefix_that_is_not_a_plain_name(tmp_path: Path) -> None:
    # triples=0 or -5 wrote a session; prefix="bad name>" wrote IRIs that are not RDF, and
    # prefix="../../x" a source text outside the sources folder
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    refused: list[tuple[dict[str, Any], str]] = [
        ({"triples": 0}, "the number of triples must be at least 1"),
        ({"triples": -5}, "the number of triples must be at least 1"),
        ({"sessions": 1, "prefix": "bad name>"}, "invalid prefix 'bad name>'"),
        ({"sessions": 1, "prefix": "../../x"}, "invalid prefix '../../x'"),
        ({"sessions": 1, "prefix": ""}, "invalid prefix ''"),
        ({"sessions": 1, "prefix": "x" * 65}, "invalid prefix 'xxx"),
        ({"sessions": 1, "prefix": 5}, "invalid prefix 5"),
    ]
    for arguments, message in refused:
        with pytest.raises(UsageError, match=f"^{re.escape(message)}"):
            generate(work / "c.nt", **arguments)
    assert _entries(tmp_path) == {"a": "folder", "a/b": "folder"}
    stats = generate(work / "c.ttl", sessions=1, prefix="Synth_2-b")  # a plain name is taken
    assert [p.name for p in stats.sources_dir.iterdir()] == ["Synth_2-b-0-000000.txt"]
    kg = KnowledgeGraph()
    kg.load(work / "c.ttl")
    assert kg.query(f"ASK {{ <{RGD}Synth_2-b-session-000000> ?p ?o }}").boolean


def test_an_empty_output_name_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # export(kg, "turtle", "") was `.: cannot write: Device or resource busy` (Path("") is the folder ".")
    monkeypatch.chdir(tmp_path)
    message = "^no file name in the output ''; give the name of a file to write$"
    with pytest.raises(UsageError, match=message):
        export_graph(KnowledgeGraph(), "turtle", "")
    with pytest.raises(UsageError, match=message):
        generate("", sessions=1)
    # the command line's "" reaches export as Path(".")
    assert_error(_synth_run("export", "--data-only", "-o", ""), 2, "no file name in the output")
    assert list(tmp_path.iterdir()) == []


def test_a_validation_report_writes_out_what_a_terminal_would_act_on(tmp_path: Path) -> None:
    # a label's escape sequence and U+202E reached the terminal in validate's (and add's) text report
    new = tmp_path / "escape.ttl"
    new.write_text(
        f"@prefix rg: <{RG}> . @prefix rgd: <{RGD}> . @prefix rdfs: <{RDFS}> .\n"
        'rgd:test-x a rg:Official ; rdfs:label "Evil\\u001b[31mRED \\u202Etxt.exe"@de .\n'
    )
    result = run("validate", str(new))
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert '("Evil\\x1b[31mRED \\u202etxt.exe")' in result.stdout


def test_validate_refuses_a_datatype_of_the_ontology_s_namespace_it_does_not_define(tmp_path: Path) -> None:
    # "x"^^rg:Strnig conformed: only properties, classes, values and subjects were looked up
    new = tmp_path / "datatype.ttl"
    new.write_text(f'@prefix rg: <{RG}> .\n<{RGD}test-note> <{RDFS}comment> "x"^^rg:Strnig .\n')
    result = run("validate", str(new))
    assert result.exit_code == 1, result.output
    detail = "[rg:Strnig is not defined by the ontology: the datatype of rdfs:comment on 1 node]"
    assert detail in result.stdout
    # the shape's message names the kinds of use it checks, a datatype among them (shapes 1.3.1)
    assert "not as what it is used as (a property, a class or a datatype)" in result.stdout


def test_a_shape_without_a_message_gets_pyshacl_s_message_with_either_engine(tmp_path: Path) -> None:
    # the compiled engine printed "(no message)" for every result of a --shapes file without sh:message,
    # where pyshacl (and so the fallback engine) makes one up
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        f"@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix rg: <{RG}> .\n@prefix rdfs: <{RDFS}> .\n"
        "<https://example.org/s#label> a sh:PropertyShape ; sh:targetClass rg:Person ; sh:path rdfs:label ;\n"
        '  sh:minCount 1 ; sh:maxCount 1 ; sh:pattern "^[A-Z]" .\n'
        "<https://example.org/s#note> a sh:PropertyShape ; sh:targetClass rg:Person ; sh:path rg:note ;\n"
        '  sh:in ( "a" ) .\n'  # one value: pyshacl lists a set, in no set order
        "<https://example.org/s#friend> a sh:PropertyShape ; sh:targetClass rg:Person ; sh:path rg:friend ;\n"
        "  sh:qualifiedValueShape [ sh:class rg:Person ] ; sh:qualifiedMinCount 1 .\n"
    )
    new = tmp_path / "new.ttl"
    new.write_text(
        f"@prefix rg: <{RG}> .\n@prefix rdfs: <{RDFS}> .\n"
        f'<{RGD}test-p> a rg:Person ; rdfs:label "ab" , "Cd" ; rg:note [ rg:q 1 ] .\n'
        f"<{RGD}test-q> a rg:Person .\n"
    )
    import rdflib

    from relgraph.shacl_sparql import compile_shapes
    from relgraph.validate import validate

    def messages(engine: str) -> list[tuple[str, str]]:
        report = validate([new], kg=KnowledgeGraph(), shapes=shapes, engine=engine)
        return sorted(
            (r.focus.removeprefix(RGD), r.message) for r in report.results if r.focus.startswith(RGD)
        )

    assert compile_shapes(rdflib.Graph().parse(shapes))  # the compiled engine runs these (no fallback)
    compiled = messages("auto")
    assert compiled == messages("pyshacl")
    assert ("test-q", "Less than 1 values on rgd:test-q->rdfs:label") in compiled
    assert ("test-p", "More than 1 values on rgd:test-p->rdfs:label") in compiled
    assert ("test-p", "Value does not match pattern '^[A-Z]'") in compiled
    # a blank node value is shown with its triples, as pyshacl shows it
    assert (
        "test-p",
        """Value [ rg:q Literal("1", datatype=xsd:integer) ] not in list ['Literal("a")']""",
    ) in compiled
    # a component of another name in pyshacl (sh:QualifiedMinCountConstraintComponent)
    assert ("test-q", "Focus node does not conform to shape MinCount 1: [ sh:class rg:Person ]") in compiled
    assert all(message != "(no message)" for _focus, message in compiled)
