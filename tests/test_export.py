from __future__ import annotations

import importlib
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from relgraph.errors import RelgraphError, UsageError
from relgraph.export import EXPORT_FORMATS, atomic_write, export, serialize, turtle_from_lines
from relgraph.prefixes import PREFIXES
from relgraph.store import KnowledgeGraph

# the module under test (its functions are also imported by name above)
export_module = importlib.import_module("relgraph.export")

# rdflib's own parsers use its deprecated ConjunctiveGraph API
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")

RDFLIB_FORMATS = {
    "turtle": "turtle",
    "ntriples": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "xml": "xml",
}


def source_files(fixtures: Path) -> list[Path]:
    return [
        fixtures / "ontology" / "relgraph.ttl",
        fixtures / "data" / "reference" / "organisations.ttl",
        fixtures / "data" / "reference" / "people.ttl",
        fixtures / "data" / "readouts" / "session-07.ttl",
        fixtures / "rdf" / "good.ttl",  # has a blank node, as has session-07.ttl
        fixtures / "rdf" / "people.jsonld",
    ]


def graph_from(files: list[Path]) -> KnowledgeGraph:
    kg = KnowledgeGraph()
    for path in files:  # one file at a time, in the given order
        kg.load(path)
    return kg


# no blank nodes; literals that look like N-Triples syntax, and values that sort differently as text
TRICKY = """<http://ex/b> <http://ex/p> "x > <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> y" .
<http://ex/a> a <http://ex/C> ; <http://ex/p> "z", "a"@en, "a", 10, 9, "a b", "a\\"b", "\\u0001" ;
  <http://ex/q> <http://ex/b>, <http://ex/ab> .
<http://ex/ab> a <http://ex/C> .
"""


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_graph_without_blank_nodes_is_sorted_as_lines_to_the_same_bytes(tmp_path: Path, fmt: str) -> None:
    tricky = tmp_path / "tricky.ttl"
    # XML 1.0 cannot hold U+0001 (test_rdf_xml_export_of_what_xml_cannot_hold_keeps_the_old_file)
    tricky.write_text(TRICKY.replace(', "\\u0001"', "") if fmt == "xml" else TRICKY)
    kg = KnowledgeGraph.default(extra_files=[tricky])
    lines = export_module._serialize_sorted_lines(kg, fmt)
    assert lines is not None  # the N-Triples line sort was used
    assert lines == export_module.serialize_triples(kg.quads(), fmt)  # the term-by-term canonical order
    assert serialize(kg, fmt) == lines
    reversed_order = KnowledgeGraph()
    for path in [tricky, *KnowledgeGraph.default().files][::-1]:
        reversed_order.load(path)
    assert serialize(reversed_order, fmt) == lines


def test_text_that_looks_like_a_blank_node_takes_the_canonical_path(tmp_path: Path) -> None:
    data = tmp_path / "looks.ttl"
    data.write_text('<http://ex/a> <http://ex/p> "see _:b1" .\n<http://ex/a> a <http://ex/C> .\n')
    kg = KnowledgeGraph()
    kg.load(data)
    assert export_module._serialize_sorted_lines(kg, "ntriples") is None
    assert serialize(kg, "ntriples") == (
        b"<http://ex/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex/C> .\n"
        b'<http://ex/a> <http://ex/p> "see _:b1" .\n'
    )


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_same_bytes_whatever_the_load_order(fixtures: Path, fmt: str) -> None:
    files = source_files(fixtures)
    shuffled = list(files)
    random.Random(7).shuffle(shuffled)
    outputs = {serialize(graph_from(order), fmt) for order in (files, files[::-1], shuffled)}
    assert len(outputs) == 1
    assert len(outputs.pop()) > 100


def test_same_bytes_in_another_process(fixtures: Path) -> None:
    src = Path(__file__).resolve().parent.parent / "src"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from pathlib import Path\n"
        "from relgraph.export import serialize\n"
        "from relgraph.store import KnowledgeGraph\n"
        "kg = KnowledgeGraph(); kg.load(*[Path(p) for p in sys.argv[3:]])\n"
        "sys.stdout.buffer.write(serialize(kg, sys.argv[2]))\n"
    )
    files = [str(p) for p in source_files(fixtures)]
    for fmt in ("turtle", "xml"):
        runs = set()
        for seed, order in (("1", files), ("2", files[::-1])):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            done = subprocess.run(
                [sys.executable, "-c", script, str(src), fmt, *order],
                env=env,
                capture_output=True,
                check=True,
            )
            runs.add(done.stdout)
        assert len(runs) == 1, fmt
        assert runs.pop() == serialize(graph_from(source_files(fixtures)), fmt)


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_rdflib_reads_back_an_isomorphic_graph(fixtures: Path, fmt: str) -> None:
    kg = graph_from(source_files(fixtures))
    data = serialize(kg, fmt)
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format=RDFLIB_FORMATS[fmt])
    parsed = rdflib.Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        parsed.add((s, p, o))
    assert len(parsed) == len(kg)
    assert isomorphic(parsed, kg.to_rdflib())


def test_turtle_is_readable(fixtures: Path) -> None:
    text = serialize(graph_from(source_files(fixtures)), "turtle").decode("utf-8")
    assert "@prefix rgd: <https://w3id.org/relgraph/id/> ." in text
    assert "\nrgd:ann a rg:Person ;\n" in text  # grouped by subject, rdf:type first
    assert "_:c14n0" in text  # canonical blank node labels
    assert text.index("rgd:ann a") < text.index("rgd:bob a")  # sorted subjects


def test_blank_node_labels_are_canonical(tmp_path: Path) -> None:
    one, two = tmp_path / "one.ttl", tmp_path / "two.ttl"
    one.write_text('<http://example.org/a> <http://example.org/p> [ <http://example.org/q> "x" ] .\n')
    two.write_text(
        '<http://example.org/a> <http://example.org/p> _:zzz .\n_:zzz <http://example.org/q> "x" .\n'
    )
    assert (
        serialize(graph_from([one]), "ntriples")
        == serialize(graph_from([two]), "ntriples")
        == (
            b'<http://example.org/a> <http://example.org/p> _:c14n0 .\n_:c14n0 <http://example.org/q> "x" .\n'
        )
    )


def test_unknown_format(fixtures: Path) -> None:
    with pytest.raises(UsageError, match="unknown export format 'n3'"):
        serialize(KnowledgeGraph(), "n3")


def test_export_to_a_file(fixtures: Path, tmp_path: Path) -> None:
    kg = graph_from(source_files(fixtures))
    target = tmp_path / "out.nt"
    export(kg, "ntriples", target)
    assert target.read_bytes() == serialize(kg, "ntriples")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nt"]


def test_export_to_stdout(fixtures: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    kg = graph_from(source_files(fixtures)[:2])
    export(kg, "ntriples")
    assert capsysbinary.readouterr().out == serialize(kg, "ntriples")


def test_failed_serialization_keeps_the_old_file(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "graph.ttl"
    target.write_bytes(b"old content\n")

    def broken(*args: object, **kwargs: object) -> bytes:
        raise ValueError("the serializer broke")

    monkeypatch.setattr(export_module, "serialize_triples", broken)
    with pytest.raises(
        RelgraphError, match=f"^{target}: cannot serialize the graph as turtle: the serializer broke"
    ):
        export(graph_from(source_files(fixtures)), "turtle", target)
    assert target.read_bytes() == b"old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.ttl"]


@pytest.mark.parametrize("sort", [True, False], ids=["sorted", "unsorted"])
def test_failed_write_keeps_the_old_file_and_removes_the_temp(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: bool
) -> None:
    target = tmp_path / "graph.ttl"
    target.write_bytes(b"old content\n")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_module.os, "fsync", no_space)
    with pytest.raises(RelgraphError, match=f"^{target}: cannot write: No space left on device"):
        export(graph_from(source_files(fixtures)), "turtle", target, sort=sort)
    assert target.read_bytes() == b"old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.ttl"]


def test_interrupted_write_removes_the_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "graph.ttl"

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(export_module.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"data")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "out.ttl"
    with pytest.raises(RelgraphError, match=f"^{target}: cannot write"):
        atomic_write(target, b"x")


def test_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.ttl"
    atomic_write(fresh, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


XSD = PREFIXES["xsd"]
RDF_TYPE = PREFIXES["rdf"] + "type"
_NAMESPACES = [
    "https://w3id.org/relgraph/id/",
    "https://w3id.org/relgraph/ontology#",
    "http://other.example/",
]
_LOCALS = st.lists(
    st.sampled_from(["a", "Z", "0", "9", "_", "-", ".", ":", "~", "%20", "é", "/"]), max_size=6
).map("".join)
# rdf:type as a subject or an object too, where it was written "a", which Turtle reads only as a predicate
_IRIS = st.one_of(
    st.builds(lambda ns, local: ns + local, st.sampled_from(_NAMESPACES), _LOCALS), st.just(RDF_TYPE)
)
_LEXICAL = st.one_of(
    st.from_regex(r"[+-]?[0-9]{0,3}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,2})?", fullmatch=True),
    st.sampled_from(["true", "false", "TRUE", "1", "0", "-0", "+1", "01", ".5", "1.", "abc", ""]),
    st.text(alphabet=st.sampled_from(list('a"\\\n\r\t\x01 >^<@é')), max_size=8),
)
_DATATYPES = st.sampled_from(
    [
        XSD + "integer",
        XSD + "decimal",
        XSD + "boolean",
        XSD + "double",
        XSD + "date",
        "http://other.example/dt",
    ]
)


@st.composite
def _triples(draw: st.DrawFn) -> list[ox.Triple]:
    out = []
    for _ in range(draw(st.integers(1, 12))):
        subject = ox.NamedNode(draw(_IRIS))
        predicate = ox.NamedNode(
            draw(st.sampled_from([_NAMESPACES[0] + "p", _NAMESPACES[1] + "q", RDF_TYPE]))
        )
        kind = draw(st.sampled_from(["iri", "plain", "lang", "typed"]))
        if kind == "iri":
            obj: ox.NamedNode | ox.Literal = ox.NamedNode(draw(_IRIS))
        elif kind == "plain":
            obj = ox.Literal(draw(_LEXICAL))
        elif kind == "lang":
            obj = ox.Literal(draw(_LEXICAL), language=draw(st.sampled_from(["en", "en-gb", "hi"])))
        else:
            obj = ox.Literal(draw(_LEXICAL), datatype=ox.NamedNode(draw(_DATATYPES)))
        out.append(ox.Triple(subject, predicate, obj))
    return out


@settings(max_examples=300, deadline=None)
@given(triples=_triples())
def test_turtle_writer_reads_back_as_the_same_triples(triples: list[ox.Triple]) -> None:
    lines = sorted({str(t).encode() + b" ." for t in triples})
    text = turtle_from_lines(lines)
    back = {str(t) for t in ox.parse(text, ox.RdfFormat.TURTLE)}
    assert back == {str(t) for t in triples}, text.decode()
    assert text.count(b"\n\t") + text.count(b" , ") + text.count(b" .\n") - len(PREFIXES) == len(back)


@pytest.mark.parametrize("fmt", ["turtle", "trig"])
def test_rdf_type_is_written_a_only_as_the_predicate(tmp_path: Path, fmt: str) -> None:
    # `ex:kind rdfs:subPropertyOf a .` and `a rdfs:comment "…" .`: Turtle no reader, relgraph included, took
    source = tmp_path / "type.ttl"
    source.write_text(
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<http://example.org/kind> rdfs:subPropertyOf rdf:type .\n"
        'rdf:type rdfs:comment "the class of a resource" ; a rdf:Property .\n'
        "<http://example.org/x> a rdfs:Class .\n"
    )
    kg = KnowledgeGraph()
    kg.load(source)
    text = serialize(kg, fmt)
    assert b"rdfs:subPropertyOf rdf:type ." in text and b"\nrdf:type a rdf:Property ;" in text
    back = {str(t.triple if isinstance(t, ox.Quad) else t) for t in ox.parse(text, EXPORT_FORMATS[fmt])}
    assert back == {str(q.triple) for q in kg.quads()}
    read = rdflib.Dataset().parse(data=text, format=fmt)
    assert isomorphic(read.default_graph, rdflib.Graph().parse(source))


def test_turtle_writer_refuses_what_is_not_a_triple() -> None:
    a, p = b"<http://ex/a>", b"<http://ex/p>"
    bad = [a, a + b" " + p + b" .", a + b" " + p + b"  .", b"<a> <b> <c>"]
    for line in bad:
        with pytest.raises(ValueError, match=r"^not an N-Triples triple: "):
            turtle_from_lines([line])


def test_turtle_writer_on_more_lines_than_it_joins_at_once() -> None:
    lines = sorted(
        f'<https://w3id.org/relgraph/id/s{i // 3}> <{RDF_TYPE if i % 3 == 0 else XSD + "p"}> "{i}" .'.encode()
        for i in range(150_000)
    )
    text = turtle_from_lines(lines)
    # the prefixes, a blank line, then two lines a subject: its type, and its two values of p
    assert len(text.splitlines()) == len(PREFIXES) + 1 + 2 * 50_000
    back = {str(t) for t in ox.parse(text, ox.RdfFormat.TURTLE)}
    assert back == {line.decode()[:-2] for line in lines}


# --- unsorted: pyoxigraph's serializer in the store's order (export --no-sort) ---------------------


def triples_of(data: bytes, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=RDFLIB_FORMATS[fmt])


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_unsorted_export_is_the_same_graph(fixtures: Path, fmt: str) -> None:
    kg = graph_from(source_files(fixtures))  # with blank nodes, which keep the store's labels
    unsorted = serialize(kg, fmt, sort=False)
    assert isomorphic(triples_of(unsorted, fmt), triples_of(serialize(kg, fmt), fmt))
    assert len(triples_of(unsorted, fmt)) == len(kg)
    if fmt in ("turtle", "trig"):  # prefixes bound as in the sorted export
        assert b"@prefix rg: <https://w3id.org/relgraph/ontology#> ." in unsorted
        assert b"a owl:Ontology" in unsorted


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_unsorted_export_of_an_empty_graph_is_the_sorted_one(
    fmt: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # Turtle and TriG: the prefix block (pyoxigraph alone wrote 0 bytes), to a file and to stdout
    kg = KnowledgeGraph()
    expected = serialize(kg, fmt)
    assert serialize(kg, fmt, sort=False) == expected
    export(kg, fmt, tmp_path / "out", sort=False)
    assert (tmp_path / "out").read_bytes() == expected
    export(kg, fmt, sort=False)
    assert capsysbinary.readouterr().out == expected
    if fmt in ("turtle", "trig"):
        assert expected.startswith(b"@prefix rg: <https://w3id.org/relgraph/ontology#> .")
        assert len(triples_of(expected, fmt)) == 0


def test_unsorted_export_follows_the_store_not_a_sort(tmp_path: Path) -> None:
    source = tmp_path / "tricky.ttl"
    source.write_text(TRICKY)
    kg = graph_from([source])
    unsorted = serialize(kg, "ntriples", sort=False)
    assert unsorted == kg.oxigraph.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    assert sorted(unsorted.splitlines()) == sorted(serialize(kg, "ntriples").splitlines())


def test_unsorted_export_to_a_file_and_to_stdout(
    fixtures: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    kg = graph_from(source_files(fixtures))
    target = tmp_path / "out.ttl"
    target.write_bytes(b"old content\n")
    export(kg, "turtle", target, sort=False)
    assert target.read_bytes() == serialize(kg, "turtle", sort=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl"]
    export(kg, "ntriples", sort=False)
    assert capsysbinary.readouterr().out == serialize(kg, "ntriples", sort=False)


def test_unsorted_export_past_the_timeout_keeps_the_old_file(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from relgraph.limits import QueryTimeoutError, use_timeout

    target = tmp_path / "graph.ttl"
    target.write_bytes(b"old content\n")
    kg = graph_from(source_files(fixtures))
    released = threading.Event()
    dump = export_module._dump

    def slow_dump(*args: Any) -> bytes | None:  # past the timeout, whatever the machine's speed
        released.wait(5)
        return dump(*args)

    monkeypatch.setattr(export_module, "_dump", slow_dump)
    stopped = f"^{target}: export as turtle stopped"
    try:
        with use_timeout(0.05), pytest.raises(QueryTimeoutError, match=stopped):
            export(kg, "turtle", target, sort=False)
    finally:
        released.set()
    assert target.read_bytes() == b"old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.ttl"]


def test_unsorted_export_serializer_error_names_the_file(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "graph.xml"

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("cannot write this predicate as RDF/XML")

    monkeypatch.setattr(export_module, "_dump", broken)
    with pytest.raises(
        RelgraphError, match=f"^{target}: cannot serialize the graph as xml: cannot write this predicate"
    ):
        export(graph_from(source_files(fixtures)), "xml", target, sort=False)
    assert list(tmp_path.iterdir()) == []


def test_unsorted_export_of_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown export format 'n3'"):
        export(KnowledgeGraph(), "n3", tmp_path / "out.n3", sort=False)
    with pytest.raises(UsageError, match="unknown export format 'n3'"):
        serialize(KnowledgeGraph(), "n3", sort=False)
    assert list(tmp_path.iterdir()) == []


def test_unsorted_export_writes_nothing_more_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import threading

    from relgraph.limits import QueryTimeoutError, use_timeout

    released, finished = threading.Event(), threading.Event()
    refused: list[str] = []

    def slow_dump(kg: KnowledgeGraph, fmt: str, writer: io.RawIOBase) -> None:  # past the timeout
        writer.write(b"<http://ex/a> <http://ex/p> 1 .\n")
        released.wait(5)
        try:
            writer.write(b"<http://ex/b> <http://ex/p> 2 .\n")
        except ValueError as error:
            refused.append(str(error))
        finally:
            finished.set()

    monkeypatch.setattr(export_module, "_dump", slow_dump)
    out = io.BytesIO()  # as standard output, which is not closed at the timeout
    with use_timeout(0.05), pytest.raises(QueryTimeoutError, match="export as ntriples stopped"):
        export_module._stream(KnowledgeGraph(), "ntriples", out)
    released.set()
    assert finished.wait(5)
    assert out.getvalue() == b"<http://ex/a> <http://ex/p> 1 .\n"
    assert refused == ["write to a closed writer"]


# --- where the output goes: links, pipes, standard output -----------------------------------------


@pytest.mark.parametrize("sort", [True, False], ids=["sorted", "unsorted"])
def test_export_through_a_symbolic_link_keeps_the_link(tmp_path: Path, sort: bool) -> None:
    real = tmp_path / "real.nt"
    real.write_bytes(b"old\n")
    link = tmp_path / "link.nt"
    link.symlink_to(real.name)
    kg = KnowledgeGraph()
    kg.oxigraph.add(ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("x")))
    export(kg, "ntriples", link, sort=sort)
    assert link.is_symlink() and link.readlink() == Path("real.nt")
    assert real.read_bytes() == b'<http://ex/a> <http://ex/p> "x" .\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.nt", "real.nt"]


@pytest.mark.parametrize("sort", [True, False], ids=["sorted", "unsorted"])
def test_export_to_a_named_pipe_writes_into_it(fixtures: Path, tmp_path: Path, sort: bool) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    kg = graph_from(source_files(fixtures)[:2])
    export(kg, "ntriples", fifo, sort=sort)
    reader.join(10)
    assert fifo.is_fifo()  # not replaced by a file
    assert sorted(received[0].splitlines()) == sorted(serialize(kg, "ntriples").splitlines())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


@pytest.mark.parametrize("sort", [True, False], ids=["sorted", "unsorted"])
def test_export_to_a_closed_standard_output(monkeypatch: pytest.MonkeyPatch, sort: bool) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    with pytest.raises(RelgraphError, match=r"^standard output: cannot write: it is closed$"):
        export(KnowledgeGraph(), "turtle", sort=sort)


class _Failing:
    """A binary standard output whose writes fail with ``error`` from the ``after``-th on."""

    def __init__(self, error: OSError, after: int = 0) -> None:
        self.error, self.after, self.written = error, after, []

    def write(self, data: bytes) -> int:
        if len(self.written) >= self.after:
            raise self.error
        self.written.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("sort", [True, False], ids=["sorted", "unsorted"])
def test_export_to_a_full_standard_output(
    fixtures: Path, monkeypatch: pytest.MonkeyPatch, sort: bool
) -> None:
    stdout = _Failing(OSError(28, "No space left on device"))
    monkeypatch.setattr(sys, "stdout", type("Out", (), {"buffer": stdout})())
    with pytest.raises(RelgraphError, match=r"^standard output: cannot write: No space left on device$"):
        export(graph_from(source_files(fixtures)), "turtle", sort=sort)


class _Partial(_Failing):
    """A raw standard output (unbuffered) that writes at most 1,000 bytes at a time."""

    def __init__(self) -> None:
        super().__init__(OSError(5, "unused"), after=10**9)

    def write(self, data: bytes) -> int:
        return super().write(data[:1000])


def test_a_reader_going_away_is_a_broken_pipe_in_both_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    kg = KnowledgeGraph.default()
    data = serialize(kg, "ntriples")
    stdout = _Failing(BrokenPipeError(32, "Broken pipe"), after=1)
    monkeypatch.setattr(sys, "stdout", type("Out", (), {"buffer": stdout})())
    big = data * (2_000_000 // len(data) + 1)  # more than one piece of 1 MiB
    with pytest.raises(BrokenPipeError):
        export_module._write_all(stdout, big)  # type: ignore[arg-type]
    assert stdout.written == [big[: 1 << 20]]
    partial = _Partial()
    export_module._write_all(partial, big)  # type: ignore[arg-type]
    assert b"".join(partial.written) == big and len(partial.written) > 2
    stdout.written.clear()
    with pytest.raises(BrokenPipeError):
        export(kg, "ntriples", sort=False)


def test_a_streaming_write_failure_is_a_write_error(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.nt"
    target.write_bytes(b"old\n")

    def too_large(kg: KnowledgeGraph, fmt: str, writer: object) -> None:
        raise OSError(27, "File too large")

    monkeypatch.setattr(export_module, "_dump", too_large)
    with pytest.raises(RelgraphError, match=f"^{target}: cannot write: File too large$"):
        export(graph_from(source_files(fixtures)), "ntriples", target, sort=False)
    assert target.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nt"]


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "command",
    [
        ["export", "--sort", "-f", "ntriples"],
        ["export", "--no-sort", "-f", "ntriples"],
        ["report", "-f", "json"],
    ],
    ids=["export", "export --no-sort", "report"],
)
def test_output_into_a_closed_pipe_stops_quietly_with_exit_1(command: list[str], unbuffered: str) -> None:
    # each writes more than a pipe holds (64 KiB) from the shipped graph; PYTHONUNBUFFERED as `python -u`
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    process = subprocess.Popen(
        [sys.executable, "-c", "from relgraph.cli import main; main()", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(1) in (b"<", b"{", b"[")
    process.stdout.close()
    assert process.wait(60) == 1
    assert process.stderr.read() == b""


def test_export_to_a_text_standard_output_writes_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # a notebook's stdout, or redirect_stdout(io.StringIO()), has no bytes under it: it said "closed"
    import contextlib
    import io

    kg = KnowledgeGraph()
    kg.oxigraph.add(ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("x")))
    for sort in (True, False):
        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            export(kg, "ntriples", sort=sort)
        assert text.getvalue() == '<http://ex/a> <http://ex/p> "x" .\n'
