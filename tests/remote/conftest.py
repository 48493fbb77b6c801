"""Real SPARQL servers for the remote tests: Oxigraph and Virtuoso, on free 127.0.0.1 ports.

Each server runs in its own temporary directory, is started by the fixture and stopped by its PID.
Virtuoso tests skip, with the reason shown, only when ``virtuoso-t`` is not installed (``.ci/run``
installs the Debian package ``virtuoso-opensource``).

Also the helpers the test files share, as fixtures that return them (tests/remote is no package, and
every conftest.py is imported as ``conftest``: a test file cannot import from this one): ``serving``
runs a stub HTTP handler, ``served`` runs ``relgraph serve`` and ``stop_server`` stops a process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
RELGRAPH = Path(sys.executable).parent / "relgraph"
READY_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` with ASK {} until it answers 200; fail if the process exits or time runs out."""
    request = url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} not ready after {READY_SECONDS} s")


def stop(process: subprocess.Popen[Any], sig: int = signal.SIGTERM, grace: float = 30) -> None:
    """Stop a server by its PID: ``sig``, then SIGKILL if it has not exited after ``grace`` seconds."""
    if process.poll() is None:
        os.kill(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class OxigraphServer:
    """An ``oxigraph serve`` process on a store directory; ``kill`` and ``start`` reuse the same store."""

    location: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def start(self) -> None:
        log = self.location.parent / f"{self.location.name}.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(OXIGRAPH),
                    "serve",
                    "--location",
                    str(self.location),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_ready(self.url, self.process, log)

    def kill(self) -> None:
        assert self.process is not None
        stop(self.process, signal.SIGKILL, grace=10)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def start_oxigraph(location: Path) -> OxigraphServer:
    if not OXIGRAPH.is_file():
        pytest.fail(
            f"the oxigraph server is not installed at {OXIGRAPH} (it is a dependency: pip install oxigraph)"
        )
    server = OxigraphServer(location)
    server.start()
    return server


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """An Oxigraph server shared by the session, with its own temporary store."""
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph") / "store")
    yield server
    server.stop()


@pytest.fixture
def fresh_oxigraph(tmp_path: Path) -> Iterator[OxigraphServer]:
    """An Oxigraph server of its own, for tests that kill it."""
    server = start_oxigraph(tmp_path / "store")
    yield server
    server.stop()


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = ., {dir}
CaseMode = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/vsp
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


@dataclass
class VirtuosoServer:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A Virtuoso Open Source server with its own ini and database in a temporary directory.

    The anonymous SPARQL user is granted SPARQL_UPDATE (with isql), so that relgraph push works.
    """
    program, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
    if program is None or isql is None:
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("virtuoso")
    (folder / "vsp").mkdir()
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, sql_port=sql_port, http_port=http_port), encoding="utf-8")
    log = folder / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [program, "+foreground", "+configfile", str(ini)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{http_port}/sparql"
    try:
        wait_until_ready(url, process, log)
        grant = "GRANT SPARQL_UPDATE TO \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);"
        subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={grant}"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield VirtuosoServer(url, process)
    finally:
        stop(process, signal.SIGTERM, grace=60)


# --- helpers shared by the test files, given by fixtures ---------------------------------------------


def _no_request_log(handler: BaseHTTPRequestHandler, *args: Any) -> None:
    """Write no line a request (a stub's log would only crowd the report of a failure)."""


@contextlib.contextmanager
def serve_stub(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Run a handler, its request log not written, on a free 127.0.0.1 port in a thread; yield its base URL;
    stop it."""
    quiet = type(handler.__name__, (handler,), {"log_message": _no_request_log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), quiet)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def serving() -> Callable[[type[BaseHTTPRequestHandler]], AbstractContextManager[str]]:
    """``with serving(Handler) as url:`` a stub HTTP server on loopback (see ``serve_stub``)."""
    return serve_stub


@contextlib.contextmanager
def serve_relgraph(
    tmp_path: Path, *options: str, port: int | None = None, **popen: Any
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run `relgraph serve` on ``tmp_path``/store and ``port`` (a free one if None) until it announces its
    query page; yield it and its query URL; stop it (SIGTERM, by its PID) if it is left.

    ``popen`` goes to subprocess.Popen (``stderr``, ``env``, ``preexec_fn``...); stdout is read as text.
    """
    port = free_port() if port is None else port
    server = subprocess.Popen(
        [str(RELGRAPH), "serve", "--port", str(port), "--store", str(tmp_path / "store"), *options],
        stdout=subprocess.PIPE,
        text=True,
        **popen,
    )
    try:
        assert server.stdout is not None
        while not server.stdout.readline().startswith("Query page:"):
            assert server.poll() is None
        yield server, f"http://127.0.0.1:{port}/query"
    finally:
        stop(server)


@pytest.fixture
def served() -> Callable[..., AbstractContextManager[tuple[subprocess.Popen[str], str]]]:
    """``with served(tmp_path, *options, port=None, **popen) as (server, url):`` (see ``serve_relgraph``)."""
    return serve_relgraph


@pytest.fixture
def stop_server() -> Callable[[subprocess.Popen[Any]], None]:
    """``stop_server(process)``: if it runs, SIGTERM (so that `relgraph serve` stops its oxigraph child too),
    then SIGKILL after 30 s."""
    return stop
