"""Faults of ``relgraph push`` and ``--endpoint`` found by a fault hunt, each fixed and kept fixed.

Two pushes at once (one held at its final MOVE by a loopback proxy in front of a real Oxigraph
server), a Fuseki-style update endpoint (``200 text/html`` "Update succeeded"), an update endpoint
that answers success without updating, huge HTTP error bodies, a user name without a password, RDF
1.2 triple terms in remote answers, and a long chain of blank nodes whose naming ran on past
``--timeout``, Ctrl-C and SIGTERM. The misbehaving servers are ``http.server`` on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

from relgraph.cli import cli
from relgraph.namespaces import RGG
from relgraph.push import ntriples_lines
from relgraph.remote import Endpoint, SparqlClient, post_graph

RELGRAPH = Path(sys.executable).parent / "relgraph"
ASK_TRUE = json.dumps({"head": {}, "boolean": True}).encode()
#: what Jena Fuseki's SPARQL_Update.executeForm answers (ServletOps.successPage) to a form-encoded update
FUSEKI_SUCCESS = (
    b"<html>\n<head>\n</head>\n<body>\n<h1>Success</h1>\n<p>\nUpdate succeeded\n</p>\n</body>\n</html>\n"
)
LOGIN_PAGE = b"<!DOCTYPE html><html><body>Please log in</body></html>"
TRIPLE = "TRIPLE(<http://ex/a>, <http://ex/b>, <http://ex/c>)"
SELECT_TRIPLE = f"SELECT ?x WHERE {{ BIND({TRIPLE} AS ?x) }}"
CONSTRUCT_TRIPLE = f"CONSTRUCT {{ <http://ex/a> <http://ex/b> ?x }} WHERE {{ BIND({TRIPLE} AS ?x) }}"
TRIPLE_TERM = {
    "type": "triple",
    "value": {
        "subject": {"type": "uri", "value": "http://ex/a"},
        "predicate": {"type": "uri", "value": "http://ex/b"},
        "object": {"type": "uri", "value": "http://ex/c"},
    },
}
MIB = 1 << 20
#: what a stub answers: a status, a content type and a body
Answer = tuple[int, str, bytes]


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def update_text(body: bytes) -> str:
    return urllib.parse.parse_qs(body.decode("utf-8")).get("update", [""])[0]


def forward(handler: BaseHTTPRequestHandler, target: str, path: str, body: bytes) -> Answer:
    """Pass a request on to ``target`` + ``path`` unchanged; return its status, content type and body."""
    request = urllib.request.Request(target + path, data=body, method=handler.command)
    for name in ("Content-Type", "Accept", "Authorization"):
        if handler.headers.get(name):
            request.add_header(name, handler.headers[name])
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers.get("Content-Type") or "", response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type") or "", error.read()


def send(handler: BaseHTTPRequestHandler, code: int, content_type: str, body: bytes) -> None:
    handler.send_response(code)
    if content_type:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        handler.wfile.write(body)


def base(server_url: str) -> str:
    """The Oxigraph server's URL without its /query."""
    return server_url.rsplit("/", 1)[0]


def proxy_to(
    server_url: str, own_answer: Callable[[str, bytes], Answer | None]
) -> type[BaseHTTPRequestHandler]:
    """A handler passing every POST on to the Oxigraph server of ``server_url`` unchanged, but those
    ``own_answer(path, body)`` answers itself."""
    target = base(server_url)

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = read_body(self)
            send(self, *(own_answer(self.path, body) or forward(self, target, self.path, body)))

    return Proxy


def holding_old(server_url: str, name: str) -> tuple[str, SparqlClient]:
    """Graph ``name`` of the server, made to hold one triple, whose object is "old"; and a client."""
    graph = str(RGG[name])
    client = SparqlClient(Endpoint.parse(server_url))
    client.update(f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> "old" }} }}')
    return graph, client


def count(client: SparqlClient, graph: str) -> int:
    rows = client.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").rows
    return int(str(rows[0][0]))


def graphs(client: SparqlClient) -> set[str]:
    return {str(row[0]) for row in client.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows}


def objects(client: SparqlClient, graph: str) -> list[str]:
    return [str(row[0]) for row in client.query(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").rows]


def one_error_line(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors == output.splitlines()[-1:], output
    assert "Traceback" not in output
    return errors[0]


# --- Nothing lost: two pushes at once ------------------------------------------------------------


@pytest.mark.parametrize("same_graph", [False, True], ids=["other-graphs", "same-graph"])
def test_two_pushes_of_the_same_data_at_once_both_leave_every_triple(fresh_oxigraph, kg, same_graph, serving):
    # they shared one staging graph: the second push took it over (DROP, upload, MOVE), and the first
    # one's MOVE SILENT of the missing graph then emptied its target; it printed "0 triples", exit 0
    expected = len(ntriples_lines(kg.quads()))
    chunks = -(-expected // 100)  # 100-triple chunks, rounded up
    first = str(RGG["test-race-first"])
    second = first if same_graph else str(RGG["test-race-second"])
    holding, release = threading.Event(), threading.Event()
    target = base(fresh_oxigraph.url)

    class SlowMove(BaseHTTPRequestHandler):
        """Passes everything on to Oxigraph; holds the first MOVE back until released (a slow network)."""

        def do_POST(self) -> None:
            body = read_body(self)
            moving = self.path.startswith("/update") and update_text(body).lstrip().startswith("MOVE")
            if moving and not holding.is_set():
                holding.set()
                release.wait(60)
            send(self, *forward(self, target, self.path, body))

    with serving(SlowMove) as proxy:
        command = [
            str(RELGRAPH),
            "push",
            "--endpoint",
            f"{proxy}/query",
            "--graph",
            first,
            "--chunk-size",
            "100",
        ]
        pusher = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "RELGRAPH_PROGRESS": "0"},
        )
        try:
            assert holding.wait(60), pusher.communicate(timeout=60)  # the first push is at its MOVE
            other = CliRunner().invoke(
                cli, ["push", "--endpoint", fresh_oxigraph.url, "--graph", second, "--chunk-size", "100"]
            )
        finally:
            release.set()
            stdout, stderr = pusher.communicate(timeout=120)
    assert other.exit_code == 0, other.output
    said = f"{second}: {expected} triples at {fresh_oxigraph.url} ({chunks} chunks"
    assert other.output.startswith(said), other.output
    assert pusher.returncode == 0, stderr
    assert stdout.startswith(f"{first}: {expected} triples at {proxy}/query ({chunks} chunks"), stdout
    client = SparqlClient(Endpoint.parse(fresh_oxigraph.url))
    assert count(client, first) == count(client, second) == expected
    assert graphs(client) == {first, second}  # no staging graph, no progress record left


# --- Nothing lost: an update endpoint whose answers say nothing ---------------------------------


def test_push_to_a_fuseki_style_update_endpoint_succeeds(fresh_oxigraph, kg, serving):
    # Fuseki answers a form-encoded update sent with "Accept: */*" with 200 text/html "Update
    # succeeded" (SPARQL_Update.executeForm -> ServletOps.successPage); every update was refused as
    # "an HTML page", after the server ran it: push could never succeed
    expected = len(ntriples_lines(kg.quads()))
    graph, client = holding_old(fresh_oxigraph.url, "test-fuseki")
    target = base(fresh_oxigraph.url)

    class FusekiLike(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = read_body(self)
            path = {"/ds/query": "/query", "/ds/update": "/update"}.get(self.path, self.path)
            code, content_type, answer = forward(self, target, path, body)
            form = (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded")
            if path == "/update" and 200 <= code <= 299 and self.headers.get("Accept") == "*/*" and form:
                code, content_type, answer = 200, "text/html;charset=utf-8", FUSEKI_SUCCESS
            send(self, code, content_type, answer)

    with serving(FusekiLike) as fuseki:
        result = CliRunner().invoke(
            cli,
            [
                "push",
                "--endpoint",
                f"{fuseki}/ds/query",
                "--update-endpoint",
                f"{fuseki}/ds/update",
                "--graph",
                graph,
            ],
        )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{graph}: {expected} triples at {fuseki}/ds/query (1 chunks"), (
        result.output
    )
    assert count(client, graph) == expected
    assert "old" not in objects(client, graph)


def test_an_update_endpoint_answering_a_login_page_is_caught_by_the_count(fresh_oxigraph, kg, serving):
    # a 2xx answer to an update is success whatever its body: a login page answering 200 to every
    # update, running none, is then caught by counting the staging graph; the target is unchanged
    expected = len(ntriples_lines(kg.quads()))
    graph, client = holding_old(fresh_oxigraph.url, "test-login-page")

    def login_page(path: str, body: bytes) -> Answer | None:  # for every update
        return (200, "text/html", LOGIN_PAGE) if path.startswith("/update") else None

    with serving(proxy_to(fresh_oxigraph.url, login_page)) as proxy:
        result = CliRunner().invoke(cli, ["push", "--endpoint", f"{proxy}/query", "--graph", graph])
    assert result.exit_code == 4, result.output
    assert one_error_line(result.output) == (
        f"Error: {proxy}/update: the staging graph holds 0 triples, not {expected}, though every update "
        f"was answered as done; {graph} was not changed (is it the update endpoint? push again)"
    )
    assert objects(client, graph) == ["old"]


def test_the_target_graph_is_counted_after_the_move(fresh_oxigraph, kg, serving):
    # the count after the MOVE was printed, never compared: a MOVE the server answered but did not
    # run (or another push replacing the graph meanwhile) printed "<graph>: 1 triples", exit 0
    expected = len(ntriples_lines(kg.quads()))
    graph, client = holding_old(fresh_oxigraph.url, "test-swallowed-move")

    def swallow_the_move(path: str, body: bytes) -> Answer | None:
        moving = path.startswith("/update") and update_text(body).lstrip().startswith("MOVE")
        return (204, "", b"") if moving else None

    with serving(proxy_to(fresh_oxigraph.url, swallow_the_move)) as proxy:
        result = CliRunner().invoke(cli, ["push", "--endpoint", f"{proxy}/query", "--graph", graph])
    assert result.exit_code == 4, result.output
    assert one_error_line(result.output) == (
        f"Error: {proxy}/update: after the MOVE, {graph} holds 1 triples at {proxy}/query, not the "
        f"{expected} pushed (did another push replace it meanwhile? push again)"
    )
    assert objects(client, graph) == ["old"]


# --- Limits: HTTP error bodies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "phrase"),
    [(400, "Bad Request: the endpoint refused the request"), (500, "Internal Server Error: server error")],
)
def test_a_huge_error_body_is_read_64_kib_at_most(status, phrase, serving):
    # the body of a 400, 401, 404, 414 or 500 was read whole, then copied into SPARQLWrapper's
    # message and parsed back: a 200 MiB 500 body took 1 GB and 17 s with --timeout 5
    size = 96 * MIB
    sent: list[int] = []
    finished = threading.Event()

    class HugeError(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            read_body(self)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            written = 0
            try:
                for _ in range(size // MIB):
                    self.wfile.write(b"x" * MIB)
                    written += MIB
            except OSError:  # the client went away
                pass
            finally:
                sent.append(written)
                finished.set()

    with serving(HugeError) as stub:
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["sparql", "ASK {}", "--endpoint", f"{stub}/q", "--timeout", "5"])
        elapsed = time.monotonic() - started
        assert finished.wait(30)
    assert result.exit_code == 4, result.output
    assert one_error_line(result.output) == f"Error: {stub}/q: HTTP {status} {phrase}: {'x' * 199}…"
    assert elapsed < 20, elapsed
    assert sent[0] < 32 * MIB, sent  # what the socket buffers took: the client read 64 KiB and closed


# --- Credentials: a user name without a password --------------------------------------------------


@pytest.mark.parametrize("source", ["url", "environment", "netrc"])
def test_a_user_without_a_password_is_sent_on_every_request(source, tmp_path, monkeypatch, serving):
    # SPARQLWrapper sends Basic auth only "if self.user and self.passwd": a token as the user name
    # (http://mytoken@host/…, RELGRAPH_ENDPOINT_USER alone, a netrc entry without a password) went
    # with no Authorization header on queries and updates (401), while post_graph sent it
    seen: list[tuple[str, str | None]] = []

    class NeedsAuth(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            read_body(self)
            auth = self.headers.get("Authorization")
            seen.append((self.path.split("?")[0], auth))
            if auth is None:
                send(self, 401, "text/plain", b"")
            elif self.path.startswith("/query"):
                send(self, 200, "application/sparql-results+json", ASK_TRUE)
            else:
                send(self, 204, "", b"")

    monkeypatch.delenv("RELGRAPH_ENDPOINT_USER", raising=False)
    monkeypatch.delenv("RELGRAPH_ENDPOINT_PASSWORD", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "absent"))
    with serving(NeedsAuth) as stub:
        url = f"{stub}/query"
        if source == "url":
            url = f"http://mytoken@{stub.removeprefix('http://')}/query"
        elif source == "environment":
            monkeypatch.setenv("RELGRAPH_ENDPOINT_USER", "mytoken")
        else:
            netrc = tmp_path / "netrc"
            netrc.write_text("machine 127.0.0.1 login mytoken\n", encoding="utf-8")
            netrc.chmod(0o600)
            monkeypatch.setenv("NETRC", str(netrc))
        result = CliRunner().invoke(cli, ["sparql", "ASK {}", "--endpoint", url])
        endpoint = Endpoint.parse(url)
        SparqlClient(endpoint, timeout=10).update("CLEAR SILENT GRAPH <urn:x:g>")
        post_graph(
            endpoint.sibling(None, "store"), "urn:x:g", b"<urn:x:a> <urn:x:b> <urn:x:c> .\n", timeout=10
        )
    assert (result.exit_code, result.output) == (0, "true\n")
    token = "Basic bXl0b2tlbjo="  # base64("mytoken:")
    assert seen == [("/query", token), ("/update", token), ("/store", token)]


# --- Strict, located parsing: RDF 1.2 triple terms in remote answers -----------------------------


@pytest.mark.parametrize(
    ("query", "fmt", "code"),
    [
        (SELECT_TRIPLE, "table", 2),
        (SELECT_TRIPLE, "json", 2),
        (CONSTRUCT_TRIPLE, "turtle", 0),
        (CONSTRUCT_TRIPLE, "ntriples", 0),
        (CONSTRUCT_TRIPLE, "jsonld", 2),
    ],
)
def test_a_triple_term_in_a_remote_answer_gives_what_a_local_run_gives(oxigraph, query, fmt, code):
    # remotely, a SELECT was "invalid SPARQL JSON results: term value … is not a string" and a
    # CONSTRUCT "truncated or unparseable RDF answer" (exit 4): a broken server, for a valid answer
    local = CliRunner().invoke(cli, ["sparql", query, "-f", fmt])
    remote = CliRunner().invoke(cli, ["sparql", query, "-f", fmt, "--endpoint", oxigraph.url])
    assert local.exit_code == code, local.output
    assert (remote.exit_code, remote.output) == (local.exit_code, local.output)
    if query == CONSTRUCT_TRIPLE and code == 0:
        assert "<<( <http://ex/a> <http://ex/b> <http://ex/c> )>>" in remote.output


def test_a_triple_term_in_json_results_is_the_local_error_and_a_broken_one_the_server_s(serving):
    broken = {**TRIPLE_TERM, "value": {"subject": {"type": "uri", "value": "http://ex/a"}}}  # no predicate

    class Terms(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            read_body(self)
            term = TRIPLE_TERM if self.path.startswith("/valid") else broken
            body = {"head": {"vars": ["t"]}, "results": {"bindings": [{"t": term}]}}
            send(self, 200, "application/sparql-results+json", json.dumps(body).encode())

    with serving(Terms) as stub:
        valid = CliRunner().invoke(cli, ["sparql", "SELECT ?t {}", "--endpoint", f"{stub}/valid"])
        invalid = CliRunner().invoke(cli, ["sparql", "SELECT ?t {}", "--endpoint", f"{stub}/invalid"])
    assert valid.exit_code == 2, valid.output
    assert one_error_line(valid.output) == "Error: RDF 1.2 triple terms in results are not supported"
    assert invalid.exit_code == 4, invalid.output
    assert (
        one_error_line(invalid.output) == f"Error: {stub}/invalid: invalid SPARQL JSON results: 'predicate'"
    )


# --- Limits: naming the blank nodes of a push ---------------------------------------------------


def write_chain(path: Path, length: int = 800) -> Path:
    """A chain of ``length`` linked blank nodes: RDF Dataset Canonicalization takes minutes on it."""
    lines = ["<urn:x:s> <urn:x:next> _:b0 ."]
    lines += [f"_:b{i} <urn:x:next> _:b{i + 1} ." for i in range(length - 1)]
    lines.append(f"_:b{length - 1} <urn:x:next> <urn:x:e> .")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def leftovers(marker: str) -> list[int]:
    """PIDs of processes whose command line holds ``marker`` (a worker left behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def run_push(chain: Path, timeout: str, *, option: bool = False) -> subprocess.Popen[str]:
    # the endpoint is never reached: the blank nodes are named before the first request
    command = [
        str(RELGRAPH),
        "push",
        "--endpoint",
        "http://127.0.0.1:9/query",
        "--data-only",
        "--data",
        str(chain),
    ]
    env = {**os.environ, "RELGRAPH_PROGRESS": "0"}
    if option:
        command += ["--timeout", timeout]
    else:
        env["RELGRAPH_TIMEOUT"] = timeout
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process: subprocess.Popen[str], seconds: float) -> tuple[str, str]:
    """Wait for the process; kill it (by its PID) if it runs past ``seconds``, failing the test."""
    try:
        return process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"still running after {seconds} s")


@pytest.mark.parametrize("option", [False, True], ids=["RELGRAPH_TIMEOUT", "--timeout"])
def test_naming_a_long_blank_node_chain_stops_at_the_timeout(tmp_path, option):
    # push named the blank nodes (RDF Dataset Canonicalization) in-process with no deadline: 800
    # linked blank nodes ran for minutes whatever --timeout said (export runs it in a worker)
    chain = write_chain(tmp_path / "chain.nt")
    started = time.monotonic()
    pusher = run_push(chain, "3", option=option)
    stdout, stderr = finish(pusher, 60)
    assert pusher.returncode == 5, stderr
    assert stdout == ""
    assert stderr == (
        "Error: naming the 800 blank nodes to push stopped after the timeout of 3 s "
        "(raise it with --timeout SECONDS)\n"
    )
    assert time.monotonic() - started < 20
    assert leftovers(str(chain)) == []


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_ctrl_c_and_sigterm_stop_the_naming_of_blank_nodes(tmp_path, sig, code):
    # the naming ran in native code on the main thread, where no signal handler could run: Ctrl-C
    # and SIGTERM waited for it to finish, minutes later
    chain = write_chain(tmp_path / "chain.nt")
    pusher = run_push(chain, "600")
    time.sleep(3)  # loading takes well under a second: the naming has begun
    assert pusher.poll() is None
    pusher.send_signal(sig)
    _, stderr = finish(pusher, 20)
    assert pusher.returncode == code, stderr
    assert re.fullmatch(r"\s*Interrupted\.\n" if sig == signal.SIGINT else "", stderr), stderr
    assert leftovers(str(chain)) == []  # the worker was killed, not left running
