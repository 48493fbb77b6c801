"""Faults of the checks ``relgraph serve``'s front and the local query paths share, found by a fault hunt.

The keyword scan kept a record of every place it read (1 GB for a text of 16 MiB); the nesting check ran the
query it was to parse (a worker of 1 GB for a string doubled by CONCAT, then "nests too deeply"), let a check
past its time pass, and called any crash a nesting; ``serve --bind`` with a name IDNA cannot encode was a
traceback.
"""

from __future__ import annotations

import tracemalloc

import pytest
from click.testing import CliRunner

from relgraph.cli import cli
from relgraph.errors import QueryError
from relgraph.limits import QueryTimeoutError, check_nesting, use_timeout

MIB = 1024 * 1024
# a comment of 401 dots: more than 400 characters that may open a level, so the text is checked aside
DEEP_ENOUGH = "# " + "." * 401 + "\n"
TOO_DEEP = "the query nests too deeply for Oxigraph's parser"


def concat_bomb(where: str = "ASK") -> str:
    """A query whose evaluation doubles a string 40 times (16 TB), and which nests only one level."""
    binds = ['BIND("xxxxxxxxxxxxxxxx" AS ?a0)']
    binds += [f"BIND(CONCAT(?a{i - 1}, ?a{i - 1}) AS ?a{i})" for i in range(1, 41)]
    return f"{DEEP_ENOUGH}{where} {{ {' '.join(binds)} }}"


def many_values(count: int) -> str:
    """A query of ``count`` integers in a VALUES block, checked aside: a parse of a few seconds, or MiBs."""
    return f"{DEEP_ENOUGH}SELECT * {{ VALUES ?x {{ {'1 ' * count}}} }}"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ASK {}" + "\n" * (4 * MIB) + "'SERVICE'", id="line breaks"),
        pytest.param("ASK { " + "<a>" * (4 * MIB // 3) + " 'SERVICE' }", id="IRIs"),
        pytest.param("ASK { " + "<" * (4 * MIB) + " 'SERVICE' }", id="less-than"),
        pytest.param("ASK {}" + "#\n" * (2 * MIB) + "'SERVICE'", id="comments"),
    ],
)
def test_the_keyword_scan_keeps_no_record_of_each_place_it_reads(text):
    # the scan of relgraph serve's front kept a set of the places it read and a list of the line breaks:
    # 0.7 to 1.2 GB (20 to 35 s) for a body of 16 MiB, 4.1 GB for four at once
    from relgraph.gateway import refusal

    tracemalloc.start()
    try:
        assert refusal(text) is None  # SERVICE is in a string
        assert refusal(text.replace("'SERVICE'", "SERVICE <http://127.0.0.1:1/> {}")) is not None
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB  # bytes taken beyond the text: a few hundred now; 150 MB to 400 MB before


def test_an_escaped_backslash_before_u_in_a_string_hides_no_service():
    # '\\uD800' is a string of a backslash and "uD800" to Oxigraph; the scan of relgraph serve's front read a
    # \uD800 escape in it, took the string for one Oxigraph cannot read, and the SERVICE after it got through
    import pyoxigraph as ox

    from relgraph.gateway import refusal

    query = r"SELECT * WHERE { ?s ?p ?o FILTER(?o != '\\uD800') SERVICE <http://127.0.0.1:1/> { } }"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o")))
    with pytest.raises(OSError, match="port 1 is not allowed"):  # pyoxigraph runs it: a SERVICE call
        list(store.query(query))
    assert refusal(query) == "SERVICE is refused: this server never queries other endpoints"
    assert refusal(query.replace("\\\\uD800", "\\uD800")) is None  # a string Oxigraph cannot read: no query


@pytest.fixture
def updates(tmp_path):
    """The folder of an empty Oxigraph store, for the check of updates (relgraph serve's front has one)."""
    import pyoxigraph as ox

    folder = tmp_path / "updates"
    ox.Store(str(folder))
    return str(folder)


def test_the_nesting_check_parses_a_query_without_running_it(monkeypatch, updates):
    # the check ran an ASK (and an update) on an empty store: a string doubled by CONCAT took its worker to
    # the memory limit, and the answer was "nests too deeply" (or, past 5 s, the query passed unparsed)
    import time

    import pyoxigraph as ox

    monkeypatch.setenv("RELGRAPH_MAX_MEMORY_BYTES", str(1024 * MIB))
    for text in [
        concat_bomb(),
        concat_bomb("ASKWHERE"),  # Oxigraph needs no space after a keyword: an ASK all the same
        concat_bomb("PREFIX ask: <http://ex/> # ASK\nask"),
        concat_bomb("CONSTRUCT { <urn:a> <urn:b> ?a40 } WHERE"),
        concat_bomb("DESCRIBE ?a40 WHERE"),
    ]:
        started = time.monotonic()
        check_nesting(text)  # parsed and planned, not too deep: passed
        assert time.monotonic() - started < 3  # seconds; about 0.05 (the run took 2 to 5)
    started = time.monotonic()
    check_nesting(concat_bomb("INSERT { <urn:a> <urn:b> ?a40 } WHERE"), updates=updates)  # relgraph serve's
    assert time.monotonic() - started < 3
    # what the check relies on: pyoxigraph plans a SELECT, CONSTRUCT or DESCRIBE without evaluating it,
    # and a read-only store parses an update before it refuses the transaction it would run in
    assert isinstance(ox.Store().query(concat_bomb("SELECT *")), ox.QuerySolutions)
    with pytest.raises(RuntimeError, match="read-write"):
        ox.Store.read_only(updates).update(concat_bomb("INSERT { <urn:a> <urn:b> ?a40 } WHERE"))
    # and still refuses what would overflow the parser, or the planner (a chain of 20,000 "+")
    deep_update = "INSERT { <urn:a> <urn:b> <urn:c> } WHERE { " + "{" * 5000 + "}" * 5000 + " }"
    with pytest.raises(QueryError, match=f"^{TOO_DEEP}"):
        check_nesting(deep_update, updates=updates)
    check_nesting(deep_update)  # as a query it is a syntax error at once: for the real run to report
    with pytest.raises(QueryError, match=f"^{TOO_DEEP}"):
        check_nesting("ASK { FILTER(" + "+".join(["1"] * 20000) + " > 0) }")


def test_a_nesting_check_past_its_time_refuses_the_query():
    # a worker still parsing at the end of its time counted as a pass: the query went on to be run
    with use_timeout(0.05), pytest.raises(QueryTimeoutError) as caught:
        check_nesting(many_values(1_000_000))  # parsed in about 1 s
    assert caught.value.message == (
        "the query was not run: it could nest deeper than 400 levels, and parsing and planning it to check "
        "took more than 0.05 s; make it smaller or less nested"
    )
    assert caught.value.exit_code == 5


def test_a_nesting_check_out_of_memory_is_not_called_too_deep(monkeypatch):
    # the worker could take all of RELGRAPH_MAX_MEMORY_BYTES, and any crash was "nests too deeply"
    monkeypatch.setenv("RELGRAPH_MAX_MEMORY_BYTES", str(1024 * MIB))
    with pytest.raises(QueryError) as caught:
        check_nesting(many_values(4_000_000))  # 7.6 MiB, over 256 MiB to parse
    assert not isinstance(caught.value, QueryTimeoutError)
    assert caught.value.message.startswith(
        "the query was not run: it could nest deeper than 400 levels, and the worker that parsed and planned "
        "it to check was killed by SIGABRT (Oxigraph aborts when it needs more memory than the 256 MiB the "
        "check allows)"
    )
    assert TOO_DEEP not in caught.value.message


def test_relgraph_sparql_refuses_a_query_whose_nesting_check_runs_past_its_time():
    # the local query paths share the check: the query went on to run, and stopped at its own timeout
    result = CliRunner().invoke(cli, ["sparql", "--timeout", "0.05", many_values(1_000_000)])
    assert result.exit_code == 5, result.output
    assert result.output.splitlines() == [
        "Error: the query was not run: it could nest deeper than 400 levels, and parsing and planning it to "
        "check took more than 0.05 s; make it smaller or less nested"
    ]


@pytest.mark.parametrize("bind", ["a.ü..b", "ü" * 70, "a\x00b"])
def test_serve_refuses_a_bind_name_idna_cannot_encode(bind, tmp_path):
    # socket.bind raised TypeError ("encoding of hostname failed"): a traceback, exit 1
    store = tmp_path / "store"
    result = CliRunner().invoke(cli, ["serve", "--bind", bind, "--port", "18404", "--store", str(store)])
    assert result.exit_code == 2, result.output
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith("Error: --bind ") and ": not an address or host name: " in result.output
    assert not store.exists()  # refused before anything was loaded
