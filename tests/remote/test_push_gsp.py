"""``relgraph push --store-endpoint``: chunks POSTed with the Graph Store Protocol, still all or nothing.

The graph goes to real servers (Oxigraph's ``/store``, Virtuoso's ``/sparql-graph-crud``) and every
canned query must answer as on the embedded graph. A loopback proxy in front of Oxigraph's ``/store``
fails the Nth POST (after or before passing it on) to interrupt a push; ``--resume`` then completes
it without duplicates. Loopback stubs answering 413, 500 or an HTML page give one line and exit 4.
"""

from __future__ import annotations

import contextlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from test_push import BIG_TRIPLES, count, graphs, write_big_graph
from test_remote_queries import CASES, CATALOGUE, _params

from relgraph.cli import cli
from relgraph.namespaces import RGG
from relgraph.push import PROGRESS_GRAPH, PushPlan, ntriples_lines, push
from relgraph.remote import Endpoint, SparqlClient, query_endpoint
from relgraph.results import SELECT_FORMATS

GSP_GRAPH = str(RGG["test-gsp"])


def store_url(query_url: str) -> str:
    """Oxigraph's Graph Store endpoint beside its query endpoint."""
    return query_url.rsplit("/", 1)[0] + "/store"


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def gsp_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real server holding the graph pushed through its Graph Store endpoint into ``GSP_GRAPH``."""
    server = request.getfixturevalue(request.param)
    url = str(server.url)
    store = store_url(url) if request.param == "oxigraph" else url + "-graph-crud"
    result = CliRunner().invoke(
        cli,
        ["push", "--endpoint", url, "--store-endpoint", store, "--graph", GSP_GRAPH, "--chunk-size", "300"],
    )
    assert result.exit_code == 0, result.output
    assert f"{GSP_GRAPH}: " in result.output
    yield url
    SparqlClient(Endpoint.parse(url)).update(f"DROP SILENT GRAPH <{GSP_GRAPH}>")


def test_gsp_push_holds_exactly_the_graph(kg, gsp_endpoint):
    client = SparqlClient(Endpoint.parse(gsp_endpoint))
    assert count(client, GSP_GRAPH) == len(ntriples_lines(kg.quads())) == len(kg)
    # this push's staging graph and progress records are gone (the server is shared with other tests)
    staging = PushPlan(ntriples_lines(kg.quads()), 300).staging_graph
    assert staging not in graphs(client)
    assert not client.query(f"ASK {{ GRAPH <{PROGRESS_GRAPH}> {{ <{staging}> ?p ?o }} }}").boolean


@pytest.mark.parametrize(("name", "raw"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_canned_query_same_after_gsp_push(kg, gsp_endpoint, name, raw):
    query = CATALOGUE.get(name)
    raw = _params(name, raw)
    local = query.run(kg, raw)
    remote = query_endpoint(gsp_endpoint, query.text, query.bind(raw), graph=GSP_GRAPH)
    assert (remote.kind, remote.variables, remote.boolean) == (local.kind, local.variables, local.boolean)
    assert remote.rows == local.rows
    for fmt in SELECT_FORMATS:
        assert remote.render(fmt) == local.render(fmt), fmt


class FlakyStore(BaseHTTPRequestHandler):
    """Passes POSTs on to a real Graph Store endpoint, but answers 500 to the ``fail_at``-th one.

    With ``forward_failed`` the failed POST reached the store first: the chunk is staged but the
    client saw an error, so it was never recorded, which is what an interruption between the POST
    and its progress record leaves behind.
    """

    target: ClassVar[str] = ""
    fail_at: ClassVar[int] = 0
    forward_failed: ClassVar[bool] = False
    posts: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        FlakyStore.posts += 1
        failing = FlakyStore.posts == FlakyStore.fail_at
        code = 500
        if not failing or FlakyStore.forward_failed:
            query = self.path.partition("?")[2]
            request = urllib.request.Request(f"{FlakyStore.target}?{query}", data=body, method="POST")
            request.add_header("Content-Type", self.headers.get("Content-Type") or "")
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    code = response.status
            except urllib.error.HTTPError as error:
                code = error.code
        if failing:
            code = 500
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


class BadStore(BaseHTTPRequestHandler):
    """Answers every POST by its first path segment: a status code, or ``html`` for a 200 login page."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kind = self.path.strip("/").split("/")[0].split("?")[0]
        if kind == "html":
            code, body, content_type = 200, b"<!DOCTYPE html><html>Please log in</html>", "text/html"
        else:
            code, body, content_type = int(kind), b"Something broke\nhere", "text/plain"
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


def _markers(client: SparqlClient) -> int:
    rows = client.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PROGRESS_GRAPH}> {{ ?s ?p ?o }} }}").rows
    return int(str(rows[0][0]))


@pytest.mark.parametrize("forward_failed", [True, False], ids=["staged-unrecorded", "not-staged"])
def test_interrupted_gsp_push_resumes_without_duplicates(fresh_oxigraph, kg, forward_failed, serving):
    client = SparqlClient(Endpoint.parse(fresh_oxigraph.url))
    graph = str(RGG["test-gsp-resume"])
    client.update(f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> "before" }} }}')
    lines = ntriples_lines(kg.quads())
    plan = PushPlan(lines, 100)
    FlakyStore.target, FlakyStore.fail_at, FlakyStore.posts = store_url(fresh_oxigraph.url), 4, 0
    FlakyStore.forward_failed = forward_failed
    command = ["push", "--endpoint", fresh_oxigraph.url, "--graph", graph, "--chunk-size", "100"]
    with serving(FlakyStore) as proxy:
        failed = CliRunner().invoke(cli, [*command, "--store-endpoint", f"{proxy}/store"])
        assert failed.exit_code == 4, failed.output
        assert failed.output.splitlines()[-1].startswith(f"Error: {proxy}/store: HTTP 500")
        # the target graph is untouched; three chunks recorded; the fourth staged only if it got through
        rows = client.query(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").rows
        assert [str(r[0]) for r in rows] == ["before"]
        assert _markers(client) == 3
        assert count(client, plan.staging_graph) == (400 if forward_failed else 300)
        resumed = CliRunner().invoke(cli, [*command, "--store-endpoint", f"{proxy}/store", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert f"{plan.chunk_count} chunks, 3 already uploaded" in resumed.output
    assert FlakyStore.posts == 4 + plan.chunk_count - 3  # the unrecorded fourth chunk was sent again
    assert count(client, graph) == len(lines) == len(kg)  # everything, exactly once
    assert not client.query(f'ASK {{ GRAPH <{graph}> {{ ?s ?p "before" }} }}').boolean
    assert graphs(client) == {graph}  # no staging or progress graph left


@pytest.mark.parametrize(
    ("path", "phrases"),
    [
        ("413", ["HTTP 413", "smaller --chunk-size"]),
        ("500", ["HTTP 500", "server error: Something broke here"]),
        ("html", ["HTML page", "--store-endpoint"]),
        ("404", ["HTTP 404"]),
    ],
)
def test_gsp_failure_is_one_line_and_leaves_the_target(oxigraph, path, phrases, serving):
    client = SparqlClient(Endpoint.parse(oxigraph.url))
    graph = str(RGG["test-gsp-untouched"])
    client.update(
        f'DROP SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> "old" }} }}'
    )
    try:
        with serving(BadStore) as stub:
            host = stub.removeprefix("http://")
            store = f"http://bob:s3cr3t-pw@{host}/{path}"
            result = CliRunner().invoke(
                cli, ["push", "--endpoint", oxigraph.url, "--graph", graph, "--store-endpoint", store]
            )
        assert result.exit_code == 4, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and errors == result.output.splitlines()[-1:], result.output
        assert errors[0].startswith(f"Error: {stub}/{path}: "), result.output
        assert "Traceback" not in result.output
        assert "s3cr3t-pw" not in result.output and "bob" not in result.output
        for phrase in phrases:
            assert phrase in errors[0], result.output
        rows = client.query(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").rows
        assert [str(r[0]) for r in rows] == ["old"]
    finally:
        client.update(f"DROP SILENT GRAPH <{graph}>")
        staged = [g for g in graphs(client) if "/staging/" in g]
        client.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in [*staged, PROGRESS_GRAPH]))


def test_gsp_credentials_are_sent(oxigraph, serving):
    """The store endpoint gets the --endpoint URL's credentials unless it has its own (Basic auth)."""
    seen: list[str | None] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.headers.get("Authorization"))
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

    host = oxigraph.url.removeprefix("http://")
    with serving(Recorder) as stub:
        result = CliRunner().invoke(
            cli, ["push", "--endpoint", f"http://ann:pw1@{host}", "--store-endpoint", f"{stub}/store"]
        )
    assert result.exit_code == 4 and "HTTP 403" in result.output, result.output
    assert seen == ["Basic YW5uOnB3MQ=="]  # ann:pw1


@pytest.mark.skipif(os.environ.get("RELGRAPH_BENCH") is None, reason="benchmark: set RELGRAPH_BENCH=1")
@pytest.mark.parametrize("size", [2000, 10000])
@pytest.mark.parametrize("method", ["INSERT DATA", "GSP POST"])
def test_bench_gsp_against_insert_data(fresh_oxigraph, tmp_path, method, size):
    """The same 200k-triple graph into an empty server: the chunk uploads, then the MOVE, timed apart."""
    big = tmp_path / "big.nt"
    write_big_graph(big, BIG_TRIPLES)
    plan = PushPlan(ntriples_lines(ox.parse(path=str(big))), size)
    client = SparqlClient(Endpoint.parse(fresh_oxigraph.url), timeout=600)
    store = Endpoint.parse(store_url(fresh_oxigraph.url)) if method == "GSP POST" else None
    marks: list[float] = []
    started = time.monotonic()
    report = push(client, plan, progress=lambda _: marks.append(time.monotonic()), store=store)
    total = time.monotonic() - started
    assert report.triples == BIG_TRIPLES
    upload = marks[-1] - started
    print(
        f"\n{method:11} chunk {size:5}: {report.triples} triples, upload {upload:.1f} s "
        f"({report.triples / upload:,.0f} triples/s), count+MOVE {total - upload:.1f} s, total {total:.1f} s"
    )
