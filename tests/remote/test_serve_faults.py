"""``relgraph serve``'s front, as a fault hunt found it: a body it refused unread, memory spent on the scan
of a large body, and a nesting check that ran the query it was to parse, or passed it when out of time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

MIB = 1024 * 1024
DEEP_ENOUGH = "# " + "." * 401 + "\n"  # more than 400 characters that may open a level: checked aside
#: what ``with served(...) as (server, url):`` enters
Served = AbstractContextManager[tuple[subprocess.Popen[str], str]]


def port_in_range() -> int:
    """Return a free port of 127.0.0.1 among those these tests may use (18410 to 18499)."""
    for port in range(18410, 18500):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port of 127.0.0.1 from 18410 to 18499")


@pytest.fixture
def served(served: Callable[..., Served]) -> Callable[..., Served]:
    """``with served(tmp_path, **environment) as (server, url):`` `relgraph serve` as the conftest's
    ``served`` runs it, on a port from 18410 to 18499, its stderr read, ``environment`` added to its own."""

    def in_range(tmp_path: Path, **environment: str) -> Served:
        return served(
            tmp_path, port=port_in_range(), stderr=subprocess.PIPE, env={**os.environ, **environment}
        )

    return in_range


def post(url: str, body: bytes, **headers: str) -> tuple[int, bytes]:
    """POST a SPARQL query body with urllib (as SPARQLWrapper does); return the status and the answer."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/sparql-query", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def peak_memory(pid: int) -> int:
    """Return the most memory the process has had resident (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_a_stock_client_reads_the_413_and_the_415(tmp_path, served):
    # the front answered before it read the body and closed the connection with the body unread: urllib
    # (under SPARQLWrapper) saw "Broken pipe", never the status
    with served(tmp_path) as (_server, url):
        for _attempt in range(3):
            status, answer = post(url, b"ASK {} #" + b"x" * (17 * MIB))
            assert (status, answer) == (413, b"SPARQL bodies are limited to 16777216 bytes\n")
        status, answer = post(url, os.urandom(4 * MIB), **{"Content-Encoding": "gzip"})
        assert (status, answer) == (415, b"compressed SPARQL (gzip) is refused: send it as it is\n")
        assert post(url, b"ASK {}")[0] == 200  # and the front goes on


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the front's memory from /proc")
def test_the_front_scans_a_large_body_in_little_memory(tmp_path, served):
    # the scan for SERVICE and LOAD kept every place it read and every line break: 0.7 to 1.2 GB for a body
    # of 16 MiB (4.1 GB for four at once, and 32 are served at once)
    size = 16 * MIB - 100
    with served(tmp_path) as (server, url):
        before = peak_memory(server.pid)
        breaks = b"ASK {}" + b"\n" * (size - 40) + b"SERVICE <http://127.0.0.1:1/> {}"
        assert post(url, breaks) == (403, b"SERVICE is refused: this server never queries other endpoints\n")
        iris = b"ASK { " + b"<a>" * ((size - 20) // 3) + b" 'SERVICE' }"
        assert post(url, iris)[0] == 400  # passed on: Oxigraph reads no such query
        grown = peak_memory(server.pid) - before
    assert grown < 300 * MIB  # about 70 MB: the body and its text, while it is checked


def test_the_front_refuses_a_query_whose_nesting_check_runs_past_its_time(tmp_path, served):
    # a check past its time (5 s, or the timeout) counted as a pass: the query went on to Oxigraph
    values = f"{DEEP_ENOUGH}ASK {{ VALUES ?x {{ {'1 ' * 1_000_000}}} }}".encode()  # parsed in about 1 s
    with served(tmp_path, RELGRAPH_TIMEOUT="0.2") as (_server, url):
        assert post(url, values) == (
            400,
            b"the query was not run: it could nest deeper than 400 levels, and parsing and planning it to "
            b"check took more than 0.2 s; make it smaller or less nested\n",
        )
        assert post(url, b"ASK {}")[0] == 200


def test_a_memory_bomb_past_the_nesting_count_is_left_to_the_servers_memory_limit(tmp_path, served):
    # the check ran the query in a worker of its own: a string doubled by CONCAT took the worker to its
    # limit, and the answer was "nests too deeply" (past 5 s, the query passed unparsed). Parsed only, it is
    # not too deep: Oxigraph runs it, and its memory limit ends it, as it ends the same query sent bare
    binds = " ".join(
        ['BIND("xxxxxxxxxxxxxxxx" AS ?a0)']
        + [f"BIND(CONCAT(?a{i - 1}, ?a{i - 1}) AS ?a{i})" for i in range(1, 41)]
    )
    bomb = f"{DEEP_ENOUGH}ASK {{ {binds} }}".encode()
    with served(tmp_path, RELGRAPH_MAX_MEMORY_BYTES=str(600 * MIB)) as (server, url):
        status, answer = post(url, bomb)
        assert status == 502, answer  # the server ran out of memory, and is started again
        assert b"nests too deeply" not in answer
        deadline = time.monotonic() + 60
        while True:  # 503 while it starts again
            status, answer = post(url, b"ASK {}")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert (status, json.loads(answer)["boolean"]) == (200, True)
        server.terminate()
        _out, err = server.communicate(timeout=30)
    assert "the Oxigraph server stopped (killed by SIGABRT); starting it again on the same store" in err
    assert "refused" not in err
