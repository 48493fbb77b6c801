"""Property tests (hypothesis): parameters are data, never query text; random bytes never crash the loader;
what pyoxigraph would fetch is refused."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relgraph.cli import cli
from relgraph.errors import InputError
from relgraph.store import FORMATS_BY_EXTENSION, KnowledgeGraph

LABELS = ["Department of Defense", "Ministry of Defence", "Assistant Secretary of Defense", "Joint Secretary"]
# characters that would change a query if a value were pasted into its text
HOSTILE = st.text(alphabet=st.sampled_from(list("\"'{}<>\\?$#.;,()*uU0123456789abcdefx \n\t")), max_size=40)
TRICKS = st.sampled_from(
    [
        '" } UNION { ?thing ?p ?label } #',
        "\\u0022 } UNION { ?thing ?p ?label } #",
        'x\\" . ?thing ?p ?label . #',
        "'''",
        '"""',
        "} } }",
        "\\",
        "Department of Defense\\u0022",
        'Department of Defense" || true || "',
    ]
)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(value=st.one_of(st.sampled_from(LABELS), HOSTILE, TRICKS, st.text(max_size=30)))
def test_a_string_parameter_is_data_never_query_text(value: str, shipped: Path) -> None:
    result = CliRunner().invoke(cli, ["query", "labelled", "-p", "label", value, "-f", "json"])
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        return
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]["bindings"]
    # the same rows as a literal match, or none: every row has exactly that label
    assert all(row["label"]["value"] == value for row in rows)
    assert bool(rows) == (value in LABELS)


@SETTINGS
@given(value=st.one_of(HOSTILE, TRICKS, st.text(max_size=30)))
def test_an_iri_parameter_is_data_never_query_text(value: str, shipped: Path) -> None:
    result = CliRunner().invoke(cli, ["query", "co-chairs", "-p", "session", value, "-f", "json"])
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        assert json.loads(result.stdout)["results"]["bindings"] == []  # no such session
    else:
        assert result.stderr.startswith("Error: ")
        assert len(result.stderr.splitlines()) == 1


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), extension=st.sampled_from(sorted(FORMATS_BY_EXTENSION)))
def test_random_bytes_never_crash_the_loader(data: bytes, extension: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, f"random{extension}")
        path.write_bytes(data)
        kg = KnowledgeGraph()
        try:
            kg.load(path)
        except InputError as error:
            assert str(path) in error.message
            assert "\n" not in error.message
        else:
            assert kg.files == [path]
        assert path.read_bytes() == data


JSONLD_KEYS = st.sampled_from(
    [
        "@id",
        "@type",
        "@context",
        "@graph",
        "@list",
        "@value",
        "@vocab",
        "@base",
        "@reverse",
        "@container",
        "@language",
        "@index",
        "@json",
        "name",
        "http://ex/p",
        "ex:p",
        "ex",
        "_:b",
        "a b",
    ]
)
JSONLD = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.sampled_from(["http://ex/a", "rel", "_:b", "a b", "@id"])
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(JSONLD_KEYS, inner, max_size=4)),
    max_leaves=25,
)


@SETTINGS
@given(document=JSONLD)
def test_random_jsonld_gives_one_line_or_loads(document: object) -> None:
    # the check of what JSON-LD would drop walks any JSON without a traceback: it refuses in one line, or
    # the file loads (what pyoxigraph makes of it, all of it; the cases it drops are in test_faults.py)
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "random.jsonld")
        path.write_text(json.dumps(document))
        kg = KnowledgeGraph()
        try:
            kg.load(path)
        except InputError as error:
            assert str(path) in error.message and "\n" not in error.message
        else:
            assert len(kg) == len(set(ox.parse(path=str(path)))) > 0  # a graph: no duplicates


SYNTAX_PIECES = st.sampled_from(
    [
        "<http://ex/a>",
        "<http://ex/p>",
        '"x"',
        "1",
        ".",
        ";",
        ",",
        "[",
        "]",
        "(",
        ")",
        "{",
        "}",
        "@prefix",
        ":",
        "_:b",
    ]
)


@settings(max_examples=100, deadline=None)
@given(pieces=st.lists(SYNTAX_PIECES, max_size=20), extension=st.sampled_from([".ttl", ".trig", ".nt"]))
def test_random_rdf_like_text_gives_one_line_or_loads(pieces: list[str], extension: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, f"random{extension}")
        path.write_text(" ".join(pieces))
        result = CliRunner().invoke(cli, ["sparql", "ASK {}", "--data", str(path)])
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 2), result.output
        if result.exit_code == 2:
            assert len(result.stderr.splitlines()) == 1
            assert str(path) in result.stderr


@pytest.mark.parametrize("value", ["\\u0022 } ", 'x" . ?s ?p ?o . "'])
def test_escape_lookalikes_match_only_themselves(value: str, kg: KnowledgeGraph) -> None:
    from rdflib import Literal

    sparql = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    assert kg.query(sparql, {"label": Literal(value)}).rows == []


class _Trickle:
    """A reader that returns at most ``step`` bytes a call, so characters are cut across reads."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._step, self._at = data, step, 0

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        chunk = self._data[self._at : self._at + size]
        self._at += len(chunk)
        return chunk


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from([b"a", b" ", b"\n", "é".encode(), "€".encode(), "😀".encode(), b"\xff", b"\xe2\x82"]),
        max_size=40,
    ),
    bom=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]),
    step=st.integers(min_value=1, max_value=7),
)
def test_streamed_checks_refuse_what_the_whole_file_checks_refuse(
    pieces: list[bytes], bom: bytes, step: int
) -> None:
    """The store build streams a file through CheckedReader: the same bytes, and the same one-line errors."""
    from relgraph.reading import CheckedReader, read_checked

    data = bom + b"".join(pieces)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "data.nt")
        path.write_bytes(data)
        try:
            expected: bytes | str = read_checked(path)
        except InputError as error:
            expected = error.message
    reader = CheckedReader(path, _Trickle(data, step))  # type: ignore[arg-type]
    try:
        streamed = b""
        while chunk := reader.read(step):
            streamed += chunk
        reader.check_not_empty()
        got: bytes | str = streamed
    except InputError as error:
        got = error.message
    assert got == expected


# pieces of SPARQL around a SERVICE call, glued at random: no spaces, operators, IRIs, comments, strings
SERVICE_PIECES = st.sampled_from(
    [
        "SERVICE",
        "service",
        "SILENT",
        ":x",
        "x:y",
        "<http://127.0.0.1:1/>",
        "<e:\\u0041#>",
        "<",
        ">",
        "#",
        "'",
        "'''",
        '"',
        "\n",
        " ",
        "1",
        "2",
        "(",
        ")",
        "{",
        "}",
        "{}",
        "?s ?p ?o",
        "FILTER(1<2)",
        ".",
        "?x",
        "true",
        "//",
        "SERVICE<http://127.0.0.1:1/>{}",
        "SERVICE:x{}",
        "x:y\\#",
        "x:y\\'",
        "x:y\\/",
        "/",
        "UNION",
        "{?s ?p ?o}",
        "VALUES ?a {",
        "\\x",
        "\\uD800",
        "' ",
        '" ',
        '"""',
        "p:SERVICE",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(pieces=st.lists(SERVICE_PIECES, max_size=12))
def test_whatever_pyoxigraph_would_fetch_is_refused(pieces: list[str]) -> None:
    # the check against pyoxigraph itself: a query it runs as a SERVICE call (to port 1 of 127.0.0.1,
    # which it refuses to connect to) must be refused by relgraph's check and by relgraph serve's front
    import pyoxigraph as ox

    from relgraph.errors import QueryError
    from relgraph.gateway import refusal
    from relgraph.safety import check_read_only_local

    query = (
        "PREFIX : <http://127.0.0.1:1/> PREFIX x: <http://127.0.0.1:1/> "
        "SELECT * WHERE { VALUES ?x { <http://127.0.0.1:1/> } ?s ?p ?o " + "".join(pieces) + " }"
    )
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o")))
    if _fetches_port_1(lambda: list(store.query(query))):
        assert refusal(query) is not None, query
        with pytest.raises(QueryError):
            check_read_only_local(query)


@settings(max_examples=500, deadline=None)
@given(
    pieces=st.lists(SERVICE_PIECES, max_size=10), load=st.sampled_from(["LOAD", "load", "LOAD:d", "LOADx:y"])
)
def test_whatever_pyoxigraph_would_load_is_refused(pieces: list[str], load: str) -> None:
    # the same for updates: an update pyoxigraph runs as a LOAD (or SERVICE) of port 1 must be refused
    # by relgraph serve's front
    import pyoxigraph as ox

    from relgraph.gateway import refusal

    update = (
        "PREFIX : <http://127.0.0.1:1/> PREFIX x: <http://127.0.0.1:1/> INSERT DATA { <urn:a> <urn:b> "
        + "".join(pieces)
        + " } ; "
        + load
        + " <http://127.0.0.1:1/d.ttl>"
    )
    store = ox.Store()
    if _fetches_port_1(lambda: store.update(update)):
        assert refusal(update) is not None, update


def _fetches_port_1(run: Callable[[], object]) -> bool:
    """Run pyoxigraph; tell whether it tried to fetch from port 1 of 127.0.0.1 (which it refuses)."""
    try:
        run()
    except OSError as error:
        return "port 1 is not allowed" in str(error)
    except (SyntaxError, RuntimeError, ValueError):
        return False
    return False


# what could open a level of Oxigraph's parser, with lookalikes: a non-ASCII letter that Python's
# case-insensitive matching takes for "i" but Oxigraph does not read as UNION, and characters of 2-4 bytes
NESTING_PIECES = st.sampled_from(
    [*"{([!^+-*/|&.;,<>uUnNiIoO \"'#", "union", "UnIoN", "un\u0131on", "un\u0130on", "\u00e9", "\U0001f600"]
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(NESTING_PIECES, max_size=60))
def test_the_nesting_bound_counts_every_opener_a_scan_finds(pieces: list[str]) -> None:
    # nesting_bound counts on UTF-8 bytes; the reference is a left-to-right scan of the text
    import re

    from relgraph.sparql_tokens import nesting_bound

    text = "".join(pieces)
    scan = re.compile(r"[{(\[!^+\-*/|&.;,]|<<|union", re.IGNORECASE | re.ASCII)
    assert nesting_bound(text) == len(scan.findall(text))
