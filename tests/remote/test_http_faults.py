"""Every way an endpoint can fail gives one line naming it (credentials scrubbed) and exit code 4.

The endpoints are loopback stub HTTP servers (http.server in a thread on 127.0.0.1).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from click.testing import CliRunner

from relgraph.cli import cli
from relgraph.errors import ExitCode, RemoteError
from relgraph.remote import Endpoint, SparqlClient, post_graph, scrub

ASK_TRUE = json.dumps({"head": {}, "boolean": True}).encode()
#: answers whose terms the store would not take (each was a ValueError traceback when written)
BAD_TERMS = {
    "iri-with-space": {"type": "uri", "value": "a b"},
    "bad-datatype": {"type": "literal", "value": "5", "datatype": "not an iri"},
    "empty-bnode": {"type": "bnode", "value": ""},
    "bad-language": {"type": "literal", "value": "x", "xml:lang": "not a tag!"},
}
#: a blank node id pyoxigraph does not take, as Virtuoso writes them: fine, given another id
ODD_BNODE = {"type": "bnode", "value": "nodeID://b10"}
#: a valid ASK answer long enough to take 6 s at one byte every 0.1 s (JSON allows the leading spaces)
TRICKLED = b" " * (60 - len(ASK_TRUE)) + ASK_TRUE
TRICKLE_DELAY = 0.1
SELECT = json.dumps(
    {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "1"}}] * 50}}
).encode()


class Stub(BaseHTTPRequestHandler):
    """Answers according to the first path segment."""

    seen_auth: ClassVar[list[str | None]] = []
    seen_paths: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._answer()

    def _send(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.wfile.write(body)

    def _trickle(self, data: bytes, delay: float) -> bool:
        """Write one byte every ``delay`` seconds; False if the client gave up."""
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            return False
        return True

    def _answer(self) -> None:
        Stub.seen_auth.append(self.headers.get("Authorization"))
        Stub.seen_paths.append(self.path)
        kind = self.path.strip("/").split("/")[0].split("?")[0]
        port = self.server.server_address[1]
        if kind in BAD_TERMS or kind == "odd-bnode":
            term = BAD_TERMS.get(kind, ODD_BNODE)
            body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": term}]}}).encode()
            self._send(200, body, "application/sparql-results+json")
        elif kind == "deep":  # valid JSON nested deeper than Python's recursion limit
            self._send(200, b"[" * 100_000 + b"]" * 100_000, "application/sparql-results+json")
        elif kind == "big":  # a valid answer of 300 kB
            rows = [{"x": {"type": "literal", "value": "y" * 1000}}] * 300
            body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": rows}}).encode()
            self._send(200, body, "application/sparql-results+json")
        elif kind == "redirect":  # to another host name, as a proxy or a moved endpoint does
            self._send(302, b"", "text/plain", {"Location": f"http://localhost:{port}/ok-elsewhere"})
        elif kind.isdigit():
            self._send(int(kind), b"Something went wrong\nsecond line", "text/plain")
        elif kind == "ok":
            self._send(200, ASK_TRUE, "application/sparql-results+json")
        elif kind == "odd-vars":  # a column name with a terminal escape and a line break
            body = json.dumps({"head": {"vars": ["a\x1b[31mRED\nb"]}, "results": {"bindings": []}}).encode()
            self._send(200, body, "application/sparql-results+json")
        elif kind == "odd-chunks":  # chunk numbers push --resume cannot have written
            odd = [{"i": {"type": "literal", "value": value}} for value in ("\u00b2", "9" * 5000, "3")]
            body = json.dumps({"head": {"vars": ["i"]}, "results": {"bindings": odd}}).encode()
            self._send(200, body, "application/sparql-results+json")
        elif kind == "html":
            self._send(200, b"<!DOCTYPE html><html><body>Please log in</body></html>", "text/html")
        elif kind == "html-as-json":
            self._send(200, b"<html><body>proxy</body></html>", "application/sparql-results+json")
        elif kind == "truncated":  # Oxigraph's way when its own timeout hits: 200, then a cut body
            self._send(200, SELECT[: len(SELECT) // 2], "application/sparql-results+json")
        elif kind == "short":  # promises more bytes than it sends, then closes
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(SELECT)))
            self.end_headers()
            self.wfile.write(SELECT[:100])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        elif kind == "not-results":
            self._send(200, b'{"hello": "world"}', "application/sparql-results+json")
        elif kind == "s1tat":
            self._send(
                200,
                SELECT,
                "application/sparql-results+json",
                {
                    "X-SQL-State": "S1TAT",
                    "X-SQL-Message": "RC...: Returning incomplete results, query interrupted",
                },
            )
        elif kind == "maxrows":
            self._send(200, SELECT, "application/sparql-results+json", {"X-SPARQL-MaxRows": "50"})
        elif kind == "slow":
            time.sleep(3)
            self._send(200, ASK_TRUE, "application/sparql-results+json")
        elif kind == "trickle":  # headers at once, then a valid body one byte at a time (6 s in all)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(TRICKLED)))
            self.end_headers()
            self._trickle(TRICKLED, TRICKLE_DELAY)
        elif kind == "stall":  # headers at once, 5 s of the body a byte at a time, then nothing more
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(TRICKLED)))
            self.end_headers()
            if self._trickle(TRICKLED[:50], TRICKLE_DELAY):
                time.sleep(10)
        elif kind == "slow-headers":  # the status line and headers a byte at a time (4 s), then nothing
            head = (
                "HTTP/1.0 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                f"Content-Length: {len(ASK_TRUE)}\r\n\r\n"
            )
            if self._trickle(head.encode("ascii"), 0.05):
                time.sleep(10)
        elif kind == "auth":
            if self.headers.get("Authorization") is None:
                self._send(401, b"", "text/plain", {"WWW-Authenticate": 'Basic realm="x"'})
            else:
                self._send(200, ASK_TRUE, "application/sparql-results+json")
        else:
            self._send(404, b"", "text/plain")


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run(url: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["sparql", "ASK { ?s ?p ?o }", "--endpoint", url, *extra])
    assert not isinstance(result.exception, RemoteError) or result.exit_code == ExitCode.REMOTE
    return result.exit_code, result.output


def assert_one_line_error(output: str, where: str, *phrases: str) -> None:
    lines = output.splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"Error: {where}: "), output
    assert "Traceback" not in output
    for phrase in phrases:
        assert phrase in lines[0], output


def test_ok_stub_answers(stub):
    code, output = run(f"{stub}/ok")
    assert (code, output) == (0, "true\n")


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        (400, "refused the request: Something went wrong second line"),
        (401, "RELGRAPH_ENDPOINT_USER"),
        (403, "not allowed"),
        (404, "no SPARQL endpoint at this URL"),
        (413, "smaller --chunk-size"),
        (500, "server error"),
        (502, "server error"),
        (503, "server error"),
        (418, "HTTP 418"),
    ],
)
def test_http_status(stub, status, phrase):
    url = f"{stub}/{status}"
    code, output = run(url)
    assert code == ExitCode.REMOTE == 4
    assert_one_line_error(output, url, f"HTTP {status}", phrase)


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("html", "HTML page"),
        ("html-as-json", "HTML page"),
        ("truncated", "truncated or unparseable SPARQL JSON"),
        ("short", "closed before the whole answer"),
        ("not-results", "invalid SPARQL JSON results"),
        ("s1tat", "partial result (X-SQL-State: S1TAT"),
        ("maxrows", "cut the result at 50 rows"),
        ("iri-with-space", "invalid SPARQL JSON results"),
        ("bad-datatype", "invalid SPARQL JSON results"),
        ("empty-bnode", "invalid SPARQL JSON results: a blank node with an empty id"),
        ("bad-language", "invalid SPARQL JSON results"),
        ("deep", "truncated or unparseable SPARQL JSON"),
    ],
)
def test_bad_answers(stub, path, phrase):
    url = f"{stub}/{path}"
    code, output = run(url)
    assert code == 4
    assert_one_line_error(output, url, phrase)


def test_timeout(stub):
    url = f"{stub}/slow"
    code, output = run(url, "--timeout", "1")
    assert code == 4
    assert_one_line_error(output, url, "no answer within 1 s", "--timeout")


@pytest.mark.parametrize(
    "path",
    [
        "trickle",  # a valid answer, too slowly: each byte came well within the timeout (exit 0 after 6 s)
        "stall",  # part of the body, slowly, then nothing: the timeout started again after each byte
        "slow-headers",  # the headers a byte at a time, then nothing
    ],
)
def test_timeout_bounds_the_whole_answer(stub, path):
    url = f"{stub}/{path}"
    started = time.monotonic()
    code, output = run(url, "--timeout", "1")
    elapsed = time.monotonic() - started
    assert code == 4
    assert_one_line_error(output, url, "no answer within 1 s (raise it with --timeout)")
    assert elapsed < 1 + 3, elapsed


def test_timeout_bounds_the_whole_answer_of_a_select(stub):
    url = f"{stub}/trickle"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["sparql", "SELECT ?x {?x ?p ?o}", "--endpoint", url, "--timeout", "2"])
    elapsed = time.monotonic() - started
    assert result.exit_code == 4
    assert_one_line_error(result.output, url, "no answer within 2 s (raise it with --timeout)")
    assert elapsed < 2 + 3, elapsed


@pytest.mark.parametrize(
    "command",
    [
        ["query", "is-co-chair"],
        ["sparql", "ASK {}"],
        ["push", "--store-endpoint", "{stub}/slow"],  # chunks to the slow store
    ],
)
def test_relgraph_timeout_bounds_the_wait_for_an_endpoint(stub, command, monkeypatch):
    # RELGRAPH_TIMEOUT was read for local queries only: with --endpoint the wait was 60 s, whatever it said
    monkeypatch.setenv("RELGRAPH_TIMEOUT", "1")
    endpoint = f"{stub}/ok" if command[0] == "push" else f"{stub}/slow"
    args = [part.replace("{stub}", stub) for part in command]
    started = time.monotonic()
    result = CliRunner().invoke(cli, [*args, "--endpoint", endpoint])
    elapsed = time.monotonic() - started
    assert result.exit_code == 4, result.output
    assert "no answer within 1 s (raise it with --timeout)" in result.output
    assert elapsed < 1 + 3, elapsed


def test_update_timeout_of_its_own_bounds_the_whole_answer(stub):
    """push gives its final MOVE a longer timeout than the client's: that is the request's deadline."""
    url = f"{stub}/trickle"
    client = SparqlClient(Endpoint.parse(url), timeout=1)
    started = time.monotonic()
    with pytest.raises(RemoteError) as caught:
        client.update("CLEAR ALL", timeout=2)
    elapsed = time.monotonic() - started
    assert caught.value.message == f"{url}: no answer within 2 s (raise it with --timeout)"
    assert 1.5 < elapsed < 2 + 3, elapsed


def test_graph_store_post_timeout_bounds_the_whole_answer(stub):
    url = f"{stub}/trickle"
    started = time.monotonic()
    with pytest.raises(RemoteError) as caught:
        post_graph(
            Endpoint.parse(url),
            "http://example.org/g",
            b"<http://ex/a> <http://ex/b> <http://ex/c> .\n",
            timeout=1,
        )
    elapsed = time.monotonic() - started
    assert caught.value.message == f"{url}: no answer within 1 s (raise it with --timeout)"
    assert caught.value.exit_code == 4
    assert elapsed < 1 + 3, elapsed


def test_push_to_a_trickling_graph_store(stub):
    store = f"{stub}/trickle"
    result = CliRunner().invoke(
        cli,
        [
            "push",
            "--endpoint",
            f"{stub}/ok",
            "--store-endpoint",
            store,
            "--chunk-size",
            "100000",
            "--timeout",
            "1",
        ],
    )
    assert result.exit_code == 4, result.output
    assert f"Error: {store}: no answer within 1 s (raise it with --timeout)\n" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("options", [(), ("--timeout", "1e300")])
def test_connection_refused(options):
    # a timeout longer than a socket can wait (about 292 years) is capped: it was an OverflowError traceback
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}/query"
    code, output = run(url, *options)
    assert code == 4
    assert_one_line_error(output, url, "connection refused")


def test_dns_failure(monkeypatch):
    """The resolver is replaced, so that no DNS request leaves the machine."""

    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    url = "http://sparql.invalid/query"
    code, output = run(url)
    assert code == 4
    assert_one_line_error(output, url, "cannot resolve the host name 'sparql.invalid'")


def test_credentials_never_printed(stub):
    url = f"http://alice:s3cr3t-pw@{stub.removeprefix('http://')}/403"
    code, output = run(url)
    assert code == 4
    assert "s3cr3t-pw" not in output and "alice" not in output
    assert_one_line_error(output, f"{stub}/403", "HTTP 403")
    result = CliRunner().invoke(cli, ["push", "--endpoint", url, "--chunk-size", "100"])
    assert result.exit_code == 4
    assert "s3cr3t-pw" not in result.output and "alice" not in result.output


def _last_basic_auth() -> tuple[str, str]:
    header = Stub.seen_auth[-1]
    assert header is not None and header.startswith("Basic ")
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def test_credentials_from_url_environment_and_netrc(stub, tmp_path, monkeypatch):
    host = stub.removeprefix("http://")
    assert run(f"http://u1:p1@{host}/auth")[0] == 0
    assert _last_basic_auth() == ("u1", "p1")
    monkeypatch.setenv("RELGRAPH_ENDPOINT_USER", "u2")
    monkeypatch.setenv("RELGRAPH_ENDPOINT_PASSWORD", "p2")
    assert run(f"{stub}/auth")[0] == 0
    assert _last_basic_auth() == ("u2", "p2")
    monkeypatch.delenv("RELGRAPH_ENDPOINT_USER")
    monkeypatch.delenv("RELGRAPH_ENDPOINT_PASSWORD")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login u3 password p3\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert run(f"{stub}/auth")[0] == 0
    assert _last_basic_auth() == ("u3", "p3")
    monkeypatch.setenv("NETRC", str(tmp_path / "absent"))
    code, output = run(f"{stub}/auth")
    assert code == 4
    assert_one_line_error(output, f"{stub}/auth", "HTTP 401")


def test_bad_netrc_names_the_file_not_its_content(stub, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login u3 password\nbogus-token secret-value\n", encoding="utf-8")
    monkeypatch.setenv("NETRC", str(netrc))
    code, output = run(f"{stub}/auth")
    assert code == 2
    assert str(netrc) in output and "secret-value" not in output


def test_bad_endpoint_options():
    assert run("ftp://127.0.0.1/x")[0] == 2
    assert run("http://127.0.0.1:1/query", "--timeout", "0")[0] == 2
    assert run("http://127.0.0.1:1/query", "--graph", "not an iri")[0] == 2


def test_scrub():
    assert scrub("see http://a:b@h/x and https://c@h2:8/y") == "see http://h/x and https://h2:8/y"
    endpoint = Endpoint.parse("http://a:b%40c@127.0.0.1:1/query", environ={})
    assert (endpoint.url, endpoint.user, endpoint.password) == ("http://127.0.0.1:1/query", "a", "b@c")
    assert "b@c" not in repr(endpoint)


def test_client_raises_remote_error_with_exit_code_4(stub):
    with pytest.raises(RemoteError) as caught:
        SparqlClient(Endpoint.parse(f"{stub}/500"), timeout=5).update("CLEAR ALL")
    assert caught.value.exit_code == 4


def test_an_answer_longer_than_the_file_size_limit_is_refused_as_it_comes(stub, monkeypatch):
    # a server streaming gigabytes filled the memory (5.9 GB in 20 s)
    def select(url: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["sparql", "SELECT ?x WHERE { ?x ?p ?o }", "--endpoint", url])
        return result.exit_code, result.output

    assert select(f"{stub}/big")[0] == 0
    monkeypatch.setenv("RELGRAPH_MAX_FILE_BYTES", "100000")
    code, output = select(f"{stub}/big")
    assert code == 4
    assert_one_line_error(
        output, f"{stub}/big", "the answer is longer than 100000 bytes (RELGRAPH_MAX_FILE_BYTES)"
    )


def test_a_blank_node_id_the_store_would_not_take_is_given_one_of_its_own(stub):
    result = CliRunner().invoke(
        cli, ["sparql", "SELECT ?x WHERE {}", "--endpoint", f"{stub}/odd-bnode", "-f", "csv"]
    )
    assert result.exit_code == 0, result.output
    (header, value) = result.stdout.splitlines()
    assert header == "x" and value.startswith("_:b") and len(value) == len("_:b") + 32


def test_redirects_are_not_followed_and_credentials_go_nowhere_else(stub):
    # urllib followed a 302 to another host, as a GET, with the Authorization header
    Stub.seen_paths.clear()
    host = stub.removeprefix("http://")
    code, output = run(f"http://alice:s3cret@{host}/redirect")
    assert code == 4
    port = host.rsplit(":", 1)[1]
    assert_one_line_error(
        output,
        f"{stub}/redirect",
        f"HTTP 302: the endpoint redirects to http://localhost:{port}/ok-elsewhere",
    )
    assert "s3cret" not in output and "alice" not in output
    assert Stub.seen_paths == ["/redirect"]  # nothing went to the other URL


def test_a_password_in_a_url_that_cannot_be_parsed_is_not_printed():
    # "http://bob:pa/ss@…" was echoed whole in "not a valid endpoint URL"
    code, output = run("http://bob:pa/ss#x@127.0.0.1:1/q")
    assert code == 2
    assert "pa/ss" not in output and "bob" not in output, output


def test_push_to_an_empty_graph_name_is_refused(stub):
    # --graph "" replaced the default graph (an unset $GRAPH in a script)
    Stub.seen_paths.clear()
    result = CliRunner().invoke(cli, ["push", "--endpoint", f"{stub}/ok", "--graph", ""])
    assert result.exit_code == 2, result.output
    assert "--graph" in result.output and "not a valid IRI" in result.output


@pytest.mark.parametrize(
    "query",
    [
        "# Labels\n# (removed the language filter)\nASK { ?s ?p ?o }",  # "move" in "removed"
        "prefix ex: <http://example.org/address#>\nASK { ?s ?p ?o }",  # "add" in "address"
        "PREFIX ex: <http://ex/> # we may add more\nASK { ?s ?p ?o }",
    ],
    ids=["comment", "prefix", "comment after a prefix"],
)
def test_a_read_only_query_is_never_taken_for_an_update(stub, query):
    # SPARQLWrapper's keyword scan decided it was an update: refused, "updates are not allowed here"
    Stub.seen_paths.clear()
    result = CliRunner().invoke(cli, ["sparql", query, "--endpoint", f"{stub}/ok"])
    assert (result.exit_code, result.output) == (0, "true\n")
    assert Stub.seen_paths == ["/ok"]


@pytest.mark.parametrize(
    "url",
    [
        "http://ann:top secret@127.0.0.1:99999/query",
        "ann:s3cret@127.0.0.1:7878/query",
        "//ann:s3cret@127.0.0.1:7878/query",
        "http:/ann:s3cret@127.0.0.1:7878/query",
        "ftp://ann:top secret@127.0.0.1/x",
    ],
)
def test_a_password_in_a_url_of_any_shape_is_not_printed(url):
    # only scheme://user:password@ without spaces was scrubbed: these printed the password
    for option in ("--endpoint", "--update-endpoint", "--store-endpoint"):
        args = ["push", "--endpoint", "http://127.0.0.1:1/q", option, url]
        if option == "--endpoint":
            args = ["sparql", "ASK {}", "--endpoint", url]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "secret" not in result.output and "s3cret" not in result.output and "ann" not in result.output


def test_an_endpoint_s_column_names_must_be_names(stub):
    # a name with a terminal escape and a line break reached the terminal as the table's header
    code, output = run(f"{stub}/odd-vars")
    assert code == 4
    assert_one_line_error(output, f"{stub}/odd-vars", "is not a SPARQL variable name")
    assert "\x1b" not in output


@pytest.mark.parametrize(
    ("head", "phrase"),
    [
        ({"vars": "xy"}, "'vars' is not a list"),  # it was taken letter by letter: columns x and y
        ({"vars": ["x", "x"]}, "a variable is declared twice"),
        ({"vars": [5]}, "5 is not a SPARQL variable name"),
    ],
    ids=["text", "twice", "number"],
)
def test_an_endpoint_s_variables_must_be_a_list_of_names(head, phrase):
    from relgraph.errors import QueryError
    from relgraph.results import QueryResult

    with pytest.raises(QueryError, match=phrase):
        QueryResult.from_sparql_json({"head": head, "results": {"bindings": []}})


def test_an_answer_of_the_wrong_kind_is_refused(stub):
    # a SELECT answered with a boolean printed "true"; an ASK answered with rows printed a table
    result = CliRunner().invoke(cli, ["sparql", "SELECT ?x { ?x ?p ?o }", "--endpoint", f"{stub}/ok"])
    assert result.exit_code == 4
    assert_one_line_error(result.output, f"{stub}/ok", "answered a boolean to a SELECT query")
    code, output = run(f"{stub}/big")  # run() asks ASK { ?s ?p ?o }
    assert code == 4
    assert_one_line_error(output, f"{stub}/big", "answered rows to an ASK query")


def test_push_resume_takes_only_chunk_numbers_it_could_have_written(stub):
    # "²" and 5,000 digits passed str.isdigit() and then failed int(): a ValueError traceback, exit 1;
    # now they are not chunk numbers, and the stub's answer to the count that follows is the error
    result = CliRunner().invoke(cli, ["push", "--endpoint", f"{stub}/odd-chunks", "--resume", "--data-only"])
    assert result.exit_code == 4, result.output
    assert_one_line_error(result.output, f"{stub}/odd-chunks", "a COUNT query answered")
