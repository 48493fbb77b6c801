"""``relgraph serve``: a real Oxigraph server on loopback with the graph, stopped cleanly by Ctrl-C."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from relgraph.catalogue import Catalogue
from relgraph.cli import cli
from relgraph.remote import Endpoint, RemoteError, SparqlClient, query_endpoint

RELGRAPH = Path(sys.executable).parent / "relgraph"
_FORM = "application/x-www-form-urlencoded"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_nothing_answers(url: str) -> None:
    try:
        SparqlClient(Endpoint.parse(url), timeout=5).query("ASK {}")
        raise AssertionError("the oxigraph child still answers")
    except Exception as error:
        assert "connection refused" in str(error)


def test_serve_answers_like_the_embedded_graph_and_stops_on_ctrl_c(kg, tmp_path, stop_server):
    port = free_port()
    store = tmp_path / "store"
    server = subprocess.Popen(
        [str(RELGRAPH), "serve", "--port", str(port), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        while not any(line.startswith("Query page:") for line in lines):
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else ""
            lines.append(line.rstrip("\n"))
        url = f"http://127.0.0.1:{port}/query"
        assert f"SPARQL endpoint: {url}" in lines
        assert lines[0] == f"Loaded {len(kg)} triples into {store}"
        deadline = time.monotonic() + 60
        while True:  # the server takes a moment to listen
            try:
                SparqlClient(Endpoint.parse(url), timeout=5).query("ASK {}")
                break
            except Exception:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.1)
        for query in Catalogue.load():
            local = query.run(kg)
            assert query_endpoint(url, query.text, query.bind({})).rows == local.rows, query.name
        # the query page (YASGUI) is served at the root
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
        # read-only: an update is refused with a one-line error and exit code 4
        result = CliRunner().invoke(cli, ["push", "--endpoint", url])
        assert result.exit_code == 4, result.output
        assert result.output.splitlines()[-1].startswith(f"Error: http://127.0.0.1:{port}/update: HTTP ")
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=30)
        assert server.returncode == 0
        assert "Server stopped." in out
        assert_nothing_answers(url)
    finally:
        stop_server(server)


def test_serve_refuses_a_bad_port(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--port", "70000", "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "70000" in result.output
    assert not (tmp_path / "s").exists()  # refused before anything was loaded


def test_serve_refuses_an_empty_bind_address(tmp_path):
    # the socket took "" for every interface, and the announced URL was http://:7878/query
    result = CliRunner().invoke(cli, ["serve", "--bind", "", "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "--bind '': give an address" in result.output
    assert not (tmp_path / "s").exists()


def test_sigterm_stops_serve_and_its_oxigraph_child(tmp_path, served):
    with served(tmp_path) as (server, url):
        assert SparqlClient(Endpoint.parse(url), timeout=5).query("ASK {}").boolean is True
        server.terminate()
        assert server.wait(timeout=30) == 0
        assert_nothing_answers(url)


def test_sighup_stops_serve_and_its_oxigraph_child(tmp_path, served):
    # the terminal closed: relgraph ended at once and its oxigraph child went on serving, orphaned
    with served(tmp_path) as (server, url):
        server.send_signal(signal.SIGHUP)
        assert server.wait(timeout=30) == 0
        assert_nothing_answers(url)


def test_a_reader_gone_before_the_announcement_stops_the_oxigraph_child(tmp_path, stop_server):
    # `relgraph serve | head -1`: the broken pipe ended relgraph (exit 1) with the server left running
    # and its temporary store deleted under it
    port = free_port()
    server = subprocess.Popen(
        [str(RELGRAPH), "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith(b"Loaded ")  # as head -1 reads it, then goes
        server.stdout.close()
        assert server.wait(timeout=60) == 1
        assert_nothing_answers(f"http://127.0.0.1:{port}/query")
    finally:
        stop_server(server)


def test_a_second_serve_of_a_store_in_use_is_refused(tmp_path, served):
    # it cleared and rewrote the folder under the running server and started a second one
    with served(tmp_path) as (server, url):
        store = tmp_path / "store"
        before = {p.relative_to(store): p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()}
        second = subprocess.run(
            [str(RELGRAPH), "serve", "--port", str(free_port()), "--store", str(store)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 6, second.stderr
        locked = "locked: another relgraph process is writing to it; try again when it is done"
        assert second.stderr == f"Error: {store}: {locked}\n"
        after = {p.relative_to(store): p.stat().st_mtime_ns for p in store.rglob("*") if p.is_file()}
        assert after == before  # the running server's store untouched
        assert SparqlClient(Endpoint.parse(url), timeout=5).query("ASK { ?s ?p ?o }").boolean is True
        server.terminate()
        assert server.wait(timeout=30) == 0


def test_serve_refuses_a_port_in_use_before_loading_anything(tmp_path):
    # it printed the endpoint of the other server, then oxigraph's error and its own
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: 127.0.0.1:{port}: the port is in use (another server?); choose another with --port\n"
    )
    assert not (tmp_path / "s").exists()


def test_serve_in_the_background_stops_on_sigterm_even_sent_twice(tmp_path, served):
    # a background job ignores SIGINT, which was all its oxigraph child got: 10 s to stop, and a
    # second SIGTERM meanwhile ended relgraph with the server left running
    ignore_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)  # noqa: E731 - as `relgraph serve &`
    with served(tmp_path, preexec_fn=ignore_sigint) as (server, url):
        client = SparqlClient(Endpoint.parse(url), timeout=5)
        assert client.query("ASK { ?s ?p ?o }").boolean is True  # it answers as soon as it is announced
        started = time.monotonic()
        server.terminate()
        time.sleep(0.2)
        server.terminate()
        assert server.wait(timeout=30) == 0
        assert time.monotonic() - started < 8  # not the 10 s wait for a child that ignored the signal
        assert_nothing_answers(url)


def test_serve_on_a_damaged_store_is_one_line(tmp_path):
    # a RuntimeError traceback from RocksDB before
    from relgraph.serve import build_store

    store = tmp_path / "store"
    build_store(store, [])
    (store / "CURRENT").write_text("junk\n")
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port()), "--store", str(store)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {store}: the Oxigraph store is damaged (Corruption: CURRENT file corrupted); "
        "delete the folder and serve again\n"
    )


class _Target(http.server.BaseHTTPRequestHandler):
    """An HTTP server a SERVICE or LOAD would fetch from: it notes every request it gets."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.end_headers()

    do_POST = do_GET  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_serve_refuses_service_and_load_and_passes_everything_else_on(tmp_path, served):
    # Oxigraph's server evaluated SERVICE and LOAD for its clients: any of them could make it fetch a URL
    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    elsewhere = f"http://127.0.0.1:{target.server_address[1]}"
    try:
        with served(tmp_path, "--writable", stderr=subprocess.PIPE) as (server, url):
            base = url.removesuffix("/query")

            def ask(method: str, path: str, body: bytes | None = None, kind: str | None = None):
                request = urllib.request.Request(
                    base + path, data=body, method=method, headers={"Content-Type": kind} if kind else {}
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        return answer.status, answer.read().decode(), answer.headers
                except urllib.error.HTTPError as error:
                    return error.code, error.read().decode(), error.headers

            service = f"SELECT * WHERE {{ SERVICE <{elsewhere}/sparql> {{ ?s ?p ?o }} }}"
            refused = "SERVICE is refused: this server never queries other endpoints\n"
            quoted = urllib.parse.quote
            assert ask("GET", "/query?query=" + quoted(service))[:2] == (403, refused)
            assert ask("GET", "/query?query=" + quoted(service.lower()))[:2] == (403, refused)
            assert ask("POST", "/query", service.encode(), "application/sparql-query")[:2] == (403, refused)
            assert (
                ask("POST", "/query", service.encode(), "Application/SPARQL-Query; charset=utf-8")[0] == 403
            )
            form = f"default-graph-uri=&query={quoted(service)}".encode()
            assert ask("POST", "/query", form, "application/x-www-form-urlencoded")[:2] == (403, refused)
            load = f"LOAD <{elsewhere}/data.ttl> INTO GRAPH <urn:x>"
            assert ask("POST", "/update", load.encode(), "application/sparql-update")[:2] == (
                403,
                "LOAD is refused: this server never fetches data from a URL\n",
            )
            update = f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{elsewhere}/sparql> {{ ?s ?p ?o }} }}"
            assert ask("POST", "/update", f"update={quoted(update)}".encode(), _FORM)[:2] == (403, refused)
            # a chunked body is read as Oxigraph would read it
            connection = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=30)
            connection.request(
                "POST",
                "/query",
                body=iter([service[:20].encode(), service[20:].encode()]),
                headers={"Content-Type": "application/sparql-query"},
                encode_chunked=True,
            )
            assert connection.getresponse().status == 403
            connection.close()
            assert _Target.requests == []  # nothing was fetched
            # the rest is passed on: the words as data, an update, the graph store, the query page
            insert = 'INSERT DATA { <urn:relgraph:a> <urn:relgraph:says> "SERVICE and LOAD" }'
            assert ask("POST", "/update", insert.encode(), "application/sparql-update")[0] == 204
            status, body, _headers = ask(
                "GET", "/query?query=" + quoted('ASK { ?s <urn:relgraph:says> "SERVICE and LOAD" }')
            )
            assert (status, json.loads(body)["boolean"]) == (200, True)
            status, _body, headers = ask(
                "POST",
                "/store",
                b"<urn:relgraph:b> <urn:relgraph:p> <urn:relgraph:c> .",
                "application/n-triples",
            )
            assert status == 201 and headers["Location"].startswith(f"{base}/store/")  # this front's address
            status, page, _headers = ask("GET", "/")
            assert status == 200 and "<html" in page.lower()
            assert ask("HEAD", "/")[0] == 200
            server.terminate()
            _out, err = server.communicate(timeout=30)
            assert server.returncode == 0
            # each refusal said on standard error, in one line; the port behind the front never named
            refusals = [line for line in err.splitlines() if line.startswith("refused ")]
            assert (
                len(refusals) == 8 and refusals[0] == f"refused GET /query from 127.0.0.1: {refused.strip()}"
            )
            assert "Listening for requests" not in err
    finally:
        target.shutdown()
        target.server_close()


def test_serve_refuses_what_oxigraph_would_inflate_or_read_as_service_and_logs_safely(tmp_path, served):
    # found by a fault hunt: a gzip body went past the front (Oxigraph inflates it), SERVICE glued to the
    # next name was not seen, a client's terminal escapes reached the log, a huge chunk size got no answer
    import gzip

    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    elsewhere = f"http://127.0.0.1:{target.server_address[1]}/"
    _Target.requests.clear()
    try:
        with served(tmp_path, "--writable", stderr=subprocess.PIPE) as (server, url):
            port = int(url.rsplit(":", 1)[1].split("/")[0])

            def send(raw: bytes) -> tuple[int, bytes]:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                    sock.sendall(raw)
                    answer = b""
                    while piece := sock.recv(65536):
                        answer += piece
                head, _, body = answer.partition(b"\r\n\r\n")
                return int(head.split(b" ")[1]), body

            def post(path: str, kind: str, body: bytes, *headers: str) -> tuple[int, bytes]:
                lines = [f"POST {path} HTTP/1.1", "Host: x", f"Content-Type: {kind}", *headers]
                lines.append(f"Content-Length: {len(body)}")
                return send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

            service = f"SELECT * WHERE {{ SERVICE <{elsewhere}> {{ ?s ?p ?o }} }}".encode()
            status, body = post(
                "/query", "application/sparql-query", gzip.compress(service), "Content-Encoding: gzip"
            )
            assert (status, body) == (415, b"compressed SPARQL (gzip) is refused: send it as it is\n")
            load = f"LOAD <{elsewhere}data.ttl>".encode()
            assert (
                post("/update", "application/sparql-update", gzip.compress(load), "Content-Encoding: gzip")[0]
                == 415
            )
            glued = f"PREFIX : <{elsewhere}> SELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}".encode()
            assert post("/query", "application/sparql-query", glued)[0] == 403
            assert (
                post("/update", "application/sparql-update", f"PREFIX : <{elsewhere}> LOAD:d".encode())[0]
                == 403
            )
            assert _Target.requests == []  # nothing was fetched
            chunked = "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            chunked += "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nASK {}\r\n0\r\n\r\n"
            status, body = send(chunked.encode())
            assert status == 400 and body.startswith(b"a chunk of ")
            # a chunk size of -1 (int(x, 16) took it: read to the end), a body cut short, a tab in the
            # request line (http.client refused the target: no answer at all)
            negative = chunked.replace("FFFFFFFFFFFFFFFF", "-1")
            assert send(negative.encode()) == (400, b"invalid chunk size: b'-1\\r\\n'\n")
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                head = "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                sock.sendall(f"{head}Content-Length: 100\r\n\r\nASK {{ }}".encode())
                sock.shutdown(socket.SHUT_WR)
                answer = sock.makefile("rb").read()
            assert answer.startswith(b"HTTP/1.0 400 ") and answer.endswith(
                b"the body ended after 7 of its 100 bytes\n"
            )
            assert send(b"GET \t/query?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 200
            # the request target as the client wrote it: Oxigraph has no //query
            assert send(b"GET //query?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 404
            # a path with a terminal escape in it: logged with the escape written out, not acted on
            with_escape = (
                "GET /query\x1b[2K?query=ASK%7BSERVICE%3Ca%3A%3E%7B%7D%7D HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            assert send(with_escape.encode())[0] == 403
            server.terminate()
            _out, err = server.communicate(timeout=30)
            assert "\x1b" not in err and "/query\\x1b[2K from 127.0.0.1" in err
    finally:
        target.shutdown()
        target.server_close()


def test_serve_cancels_a_query_past_its_timeout(tmp_path, served):
    # an endless query of any client held a core of the server until it stopped
    with served(tmp_path, "--timeout", "1") as (server, url):
        endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        started = time.monotonic()
        with urllib.request.urlopen(url + "?query=" + urllib.parse.quote(endless), timeout=60) as answer:
            body = answer.read()
        assert time.monotonic() - started < 30  # seconds; the query would take hours
        assert b"The SPARQL operation has been cancelled" in body
        assert SparqlClient(Endpoint.parse(url), timeout=5).query("ASK { ?s ?p ?o }").boolean is True
        server.terminate()
        assert server.wait(timeout=30) == 0


def test_a_query_nested_too_deeply_is_refused_and_the_server_stays_up(tmp_path, served):
    # Oxigraph's recursive parser overflowed its stack on 2,500 nested braces: the server aborted, and
    # relgraph serve with it ("the oxigraph server stopped with exit code -6"): any client could stop it
    deep = "ASK { " + "{" * 5000 + "}" * 5000 + " }"
    deep_update = "INSERT { <urn:a> <urn:b> <urn:c> } WHERE { " + "{" * 5000 + "}" * 5000 + " }"
    with served(tmp_path, "--writable", stderr=subprocess.PIPE) as (server, url):
        for path, text, kind in [
            ("/query", deep, "application/sparql-query"),
            ("/update", deep_update, "application/sparql-update"),
        ]:
            request = urllib.request.Request(
                url.removesuffix("/query") + path, data=text.encode(), headers={"Content-Type": kind}
            )
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=60)
            assert caught.value.code == 400
            assert caught.value.read().decode().startswith("the query nests too deeply for Oxigraph's parser")
        # nested deeper than the budget, but not too deep: checked aside, then answered
        fine = "ASK { " + "{" * 450 + "}" * 450 + " }"
        with urllib.request.urlopen(url + "?query=" + urllib.parse.quote(fine), timeout=60) as answer:
            assert json.loads(answer.read())["boolean"] is True
        assert server.poll() is None  # still serving
        server.terminate()
        _out, err = server.communicate(timeout=30)
        assert server.returncode == 0
        assert len([line for line in err.splitlines() if line.startswith("refused POST")]) == 2


def _servers_of(store: Path) -> list[int]:
    """Return the Oxigraph servers running on the store (relgraph serve's children, or orphans)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            words = cmdline.read_bytes().split(b"\0")
            if words[0].endswith(b"oxigraph") and str(store).encode() in words:
                found.append(int(cmdline.parent.name))
    return found


def _from_another_thread(signum: int) -> None:
    """Send ``signum`` to this process as the kernel may deliver it: to a thread that is not the main one."""
    thread = threading.Thread(target=lambda: signal.pthread_kill(threading.get_ident(), signum))
    thread.start()
    thread.join()


class TerminatedError(Exception):
    """What the CLI's SIGTERM handler does (exit 143), raised instead: pytest's own would end the run."""


@contextlib.contextmanager
def cli_sigterm_handler() -> Iterator[None]:
    def terminated(_signum: int, _frame: object) -> None:
        raise TerminatedError

    before = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds the servers through /proc")
def test_sigterm_as_the_server_starts_leaves_no_server_behind(tmp_path, monkeypatch):
    # a SIGTERM between starting the Oxigraph child and setting the handlers (a few ms, hit 3 times in
    # 60 tries) ended relgraph (exit 143) and left the child serving, orphaned. Sent here at the worst
    # moment, just as the child has started, from another thread: it waits for the start to end, then
    # stops the server
    from relgraph import serve as serving

    store = tmp_path / "store"
    serving.build_store(store, [])
    started = []

    def start_then_terminate(*args: Any) -> subprocess.Popen[bytes]:
        process = real_start(*args)
        started.append(process)
        _from_another_thread(signal.SIGTERM)
        time.sleep(0.1)  # the main thread runs the handler at its next step, still inside the start
        return process

    real_start = serving._start
    monkeypatch.setattr(serving, "_start", start_then_terminate)
    announced: list[str] = []
    with cli_sigterm_handler():
        assert serving.serve(store, port=free_port(), announce=announced.append) == 0
    assert len(started) == 1 and started[0].returncode is not None  # stopped and waited for
    assert announced == []
    assert _servers_of(store) == []


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds the servers through /proc")
def test_a_sigterm_another_thread_takes_stops_the_server(tmp_path):
    # the kernel gives a process's signal to any thread that does not block it (RocksDB's, the
    # gateway's): the main thread, in a bare wait() for the server, never ran the handler, and serve
    # went on until a second SIGTERM
    from relgraph import serve as serving

    store = tmp_path / "store"
    serving.build_store(store, [])
    servers: list[int] = []

    def announce(line: str) -> None:
        if line.startswith("Query page:"):
            servers.extend(_servers_of(store))
            threading.Thread(target=lambda: (time.sleep(0.3), _from_another_thread(signal.SIGTERM))).start()
            rescue.start()  # no hang

    def kill_the_servers() -> None:
        for pid in servers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    rescue = threading.Timer(20, kill_the_servers)

    started = time.monotonic()
    with cli_sigterm_handler():
        assert serving.serve(store, port=free_port(), announce=announce) == 0
    rescue.cancel()
    assert time.monotonic() - started < 10  # not the 20 s after which the test kills the server
    assert len(servers) == 1 and _servers_of(store) == []


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds the servers through /proc")
def test_a_server_that_keeps_failing_to_start_again_is_given_up(tmp_path, monkeypatch):
    # killed after it had started, the server is started again; one killed again and again before it
    # listens (no memory to open the store, say) is given up after three tries, not retried forever
    from relgraph import serve as serving

    store = tmp_path / "store"
    serving.build_store(store, [])
    starts: list[subprocess.Popen[bytes]] = []

    def start(*args: Any) -> subprocess.Popen[bytes]:
        if starts:  # the starts again: a server killed before it listens
            starts.append(subprocess.Popen(["sh", "-c", "kill -KILL $$"], stderr=subprocess.PIPE))
        else:
            starts.append(real_start(*args))
        return starts[-1]

    def announce(line: str) -> None:
        if line.startswith("Query page:"):
            starts[0].kill()

    real_start = serving._start
    monkeypatch.setattr(serving, "_start", start)
    said: list[str] = []
    with cli_sigterm_handler():
        assert serving.serve(store, port=free_port(), announce=announce, log=said.append) == -signal.SIGKILL
    again = "the Oxigraph server stopped (killed by SIGKILL); starting it again on the same store"
    assert said == [again] * 3 + ["the Oxigraph server stopped (killed by SIGKILL) 3 times while starting"]
    assert len(starts) == 4 and _servers_of(store) == []
    assert serving.stop_reason(-signal.SIGKILL) == (
        "the oxigraph server was killed by SIGKILL (its last message, if any, is above)"
    )


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads the server's limits in /proc")
def test_the_server_keeps_a_lower_data_limit_and_writes_no_core_file(tmp_path, served):
    # the launcher raised a stricter `ulimit -d` the user had set to RELGRAPH_MAX_MEMORY_BYTES, and
    # every query that ran out of memory wrote a core file as large as the limit
    gib = 2**30

    def lower_limits() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (gib, resource.RLIM_INFINITY))
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    env = {**os.environ, "RELGRAPH_MAX_MEMORY_BYTES": str(4 * gib)}
    with served(tmp_path, env=env, preexec_fn=lower_limits) as (server, _url):
        (pid,) = _servers_of(tmp_path / "store")
        limits = {
            line[:26].strip(): line[26:].split()[:2]
            for line in Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
        }
        server.terminate()
        assert server.wait(timeout=30) == 0
    assert limits["Max data size"] == [str(gib), "unlimited"]
    assert limits["Max core file size"] == ["0", "unlimited"]


def test_too_little_memory_for_the_server_is_one_line_before_anything_is_loaded(tmp_path):
    # 100 MB, fine for a query worker, was "Loaded 1188 triples", then "the oxigraph server stopped
    # with exit code -11 (its message is above)"
    # with nothing above; 300 MB starts it, but 32 clients at once made it abort
    result = CliRunner(env={"RELGRAPH_MAX_MEMORY_BYTES": "300000000"}).invoke(
        cli, ["serve", "--port", str(free_port()), "--store", str(tmp_path / "s")]
    )
    assert result.exit_code == 2 and result.stdout == ""
    from relgraph.serve import MIN_SERVER_MEMORY

    assert 256 * 2**20 < 300000000 < MIN_SERVER_MEMORY
    assert result.stderr == (
        "Error: RELGRAPH_MAX_MEMORY_BYTES=300000000: relgraph serve's Oxigraph server needs at least "
        f"{MIN_SERVER_MEMORY} bytes ({MIN_SERVER_MEMORY // 2**20} MiB) to start and answer its clients\n"
    )
    assert not (tmp_path / "s").exists()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds the servers through /proc")
def test_a_server_stopped_on_purpose_stops_serve(tmp_path, served):
    # `kill -TERM` to the Oxigraph server alone: "the oxigraph server stopped with exit code -15 (its
    # message is above)", exit 2, with nothing above; a server stopped (SIGSTOP) held serve's stop 10 s
    with served(tmp_path, stderr=subprocess.PIPE) as (server, _url):
        (pid,) = _servers_of(tmp_path / "store")
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.03)  # then to relgraph too, as it stops: it ended "Interrupted.", exit 130
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0
    assert err.splitlines()[-1:] == ["the Oxigraph server was stopped by SIGTERM"]
    assert out.splitlines()[-1] == "Server stopped."
    with served(tmp_path) as (server, _url):
        (pid,) = _servers_of(tmp_path / "store")
        os.kill(pid, signal.SIGSTOP)
        started = time.monotonic()
        server.terminate()
        assert server.wait(timeout=30) == 0
        assert time.monotonic() - started < 5
    assert _servers_of(tmp_path / "store") == []


def test_a_query_that_fills_the_memory_stops_the_server_once_and_it_starts_again(tmp_path, served):
    # a 1.3 kB query doubling a string 40 times: Oxigraph, with no limit, took all the memory of the
    # machine until it aborted, and `relgraph serve` stopped with it, so any client could end the endpoint
    bomb = 'SELECT (STRLEN(?a40) AS ?n) WHERE { BIND("xxxxxxxx" AS ?a0) '
    bomb += " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(40)) + " }"
    env = {**os.environ, "RELGRAPH_MAX_MEMORY_BYTES": str(512 * 1024 * 1024)}
    with served(tmp_path, stderr=subprocess.PIPE, env=env) as (server, url):
        client = SparqlClient(Endpoint.parse(url), timeout=30)
        with pytest.raises(RemoteError, match=r"HTTP 502 Bad Gateway: .* the Oxigraph server did not answer"):
            client.query(bomb)
        answered = None
        deadline = time.monotonic() + 30
        while answered is None and time.monotonic() < deadline:
            try:
                answered = client.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            except RemoteError as error:  # while it starts again
                assert "HTTP 503 Service Unavailable" in str(error), error
                time.sleep(0.2)
        assert answered is not None and int(answered.rows[0][0]) > 1000  # the whole graph, still there
        assert server.poll() is None
        server.terminate()
        _out, err = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "the Oxigraph server stopped (killed by SIGABRT); starting it again on the same store" in err
    assert "memory allocation of" in err  # Oxigraph's own last words, passed on


def test_the_front_answers_503_while_the_server_starts_again():
    # nothing listens on the server's port while relgraph serve starts it again: a client is told to retry
    from relgraph.gateway import Gateway

    gateway = Gateway(("127.0.0.1", 0), ("127.0.0.1", free_port()))
    gateway.start()
    try:
        url = f"http://127.0.0.1:{gateway.server_address[1]}/query?query=" + urllib.parse.quote("ASK {}")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, timeout=10)
        assert caught.value.code == 503
        assert caught.value.headers["Retry-After"] == "1"
        assert caught.value.read() == b"the Oxigraph server is starting again; try again in a second\n"
    finally:
        gateway.stop()


def test_the_front_answers_503_beyond_its_connections():
    # each client connection took a thread, unbounded: clients that connected and sent nothing (or
    # 16 MiB bodies) could take every thread and the memory of relgraph serve
    from relgraph.gateway import Gateway

    class Upstream(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")

        def log_message(self, *_args: Any) -> None:
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    gateway = Gateway(("127.0.0.1", 0), ("127.0.0.1", upstream.server_address[1]))
    gateway.start()
    url = f"http://127.0.0.1:{gateway.server_address[1]}/query?query=" + urllib.parse.quote("ASK {}")
    idle = []
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.read() == b"ok\n"
        idle = [
            socket.create_connection(gateway.server_address, timeout=10)
            for _ in range(Gateway.max_connections)
        ]
        time.sleep(0.5)  # each taken by a thread of the gateway
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, timeout=10)
        assert caught.value.code == 503 and caught.value.headers["Retry-After"] == "1"
        assert caught.value.read() == b"the server is answering too many clients; try again later\n"
        for connection in idle:
            connection.close()
        deadline = time.monotonic() + 10
        while True:  # the slots are free again once the gateway has seen the clients go
            try:
                with urllib.request.urlopen(url, timeout=10) as answer:
                    assert answer.read() == b"ok\n"
                break
            except urllib.error.HTTPError as error:
                assert error.code == 503 and time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        for connection in idle:
            connection.close()
        gateway.stop()
        upstream.shutdown()
        upstream.server_close()


def test_ctrl_c_pressed_again_and_again_stops_serve_cleanly(tmp_path, stop_server):
    # a second Ctrl-C during the removal of the temporary store ended relgraph ("Interrupted.", exit 130,
    # or killed by SIGINT) and left the store, partly deleted
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    port = free_port()
    server = subprocess.Popen(
        [str(RELGRAPH), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temporary)},
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        assert server.stdout is not None
        while not server.stdout.readline().startswith("Query page:"):
            assert server.poll() is None
        for _ in range(60):  # Ctrl-C every 20 ms, to the whole group, as the terminal sends it
            if server.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGINT)
            time.sleep(0.02)
        out, _err = server.communicate(timeout=30)
        assert server.returncode == 0 and out.splitlines()[-1] == "Server stopped."
        assert list(temporary.iterdir()) == []  # the temporary store removed
    finally:
        stop_server(server)


def test_the_front_gives_a_request_a_deadline_whatever_its_pace():
    # 60 s a read, and no more: 64 clients sending a byte every 30 s kept every other client out
    from relgraph.gateway import Gateway

    gateway = Gateway(("127.0.0.1", 0), ("127.0.0.1", free_port()))
    gateway.request_seconds = 1.0
    gateway.start()
    try:
        for pace in (b"X: 1\r\n", b"X"):  # a header every 0.2 s; a byte every 0.2 s, the line never ending
            with socket.create_connection(gateway.server_address, timeout=10) as trickle:
                started = time.monotonic()
                trickle.sendall(b"GET /query?query=ASK%7B%7D HTTP/1.0\r\n")
                with contextlib.suppress(OSError):
                    while time.monotonic() - started < 10:
                        trickle.sendall(pace)  # each read well within 60 s
                        time.sleep(0.2)
                with contextlib.suppress(ConnectionResetError):
                    assert trickle.recv(100) == b""  # closed by the front, nothing answered
                assert 1.0 <= time.monotonic() - started < 3, pace
    finally:
        gateway.stop()


def test_the_front_lets_a_graph_store_body_take_its_time_but_not_forever():
    # a body of the graph store had 60 s a read and no more: a byte every 59 s held a connection (and one
    # of Oxigraph's) for ever; it now has the request's deadline again, and a second more for each 16 KiB
    from relgraph.gateway import Gateway

    class Upstream(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got = len(self.rfile.read(int(self.headers["Content-Length"])))
            answer = str(got).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: Any) -> None:
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    gateway = Gateway(("127.0.0.1", 0), ("127.0.0.1", upstream.server_address[1]))
    gateway.request_seconds = 1.0
    gateway.start()
    head = (
        b"POST /store?default HTTP/1.0\r\nContent-Type: application/n-triples\r\nContent-Length: %d\r\n\r\n"
    )
    try:
        with socket.create_connection(gateway.server_address, timeout=10) as slow:  # a byte every 0.2 s
            started = time.monotonic()
            slow.sendall(head % 10**9)
            with contextlib.suppress(OSError):
                while time.monotonic() - started < 10:
                    slow.sendall(b"x")
                    time.sleep(0.2)
            assert 1.0 <= time.monotonic() - started < 3
        body = b"<urn:a> <urn:b> <urn:c> .\n" * 40_000  # 1 MiB in 2 s: past the 1 s, within its pace
        with socket.create_connection(gateway.server_address, timeout=10) as upload:
            upload.sendall(head % len(body))
            for start in range(0, len(body), len(body) // 10):
                upload.sendall(body[start : start + len(body) // 10])
                time.sleep(0.2)
            answer = b""
            while piece := upload.recv(65536):
                answer += piece
        assert answer.startswith(b"HTTP/1.0 200") and answer.endswith(str(len(body)).encode())
    finally:
        gateway.stop()
        upstream.shutdown()
        upstream.server_close()
