"""Real SPARQL servers for the remote tests: Oxigraph and Virtuoso, on free 127.0.0.1 ports.

Each server runs in its own temporary directory, is started by the fixture and stopped by its PID.
Virtuoso tests skip, with the reason shown, only when ``virtuoso-t`` is not installed (``.ci/run``
installs the Debian package ``virtuoso-opensource``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
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


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 30) -> None:
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
