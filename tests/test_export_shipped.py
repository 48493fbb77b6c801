"""The exported shipped graph is read by an independent parser (rdflib) as the same graph."""

from __future__ import annotations

import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from relgraph.cli import cli
from relgraph.store import default_files

RDFLIB_FORMATS = {
    "turtle": "turtle",
    "ntriples": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "xml": "xml",
    "jsonld": "json-ld",
}


def rdflib_graph(files) -> rdflib.Graph:
    graph = rdflib.Graph()
    for f in files:
        graph.parse(f, format="turtle")
    return graph


@pytest.fixture(scope="module")
def source_graph() -> rdflib.Graph:
    """The shipped files as rdflib itself reads them, without relgraph's store in between."""
    return rdflib_graph(default_files())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own quad parsers use deprecated APIs
@pytest.mark.parametrize("order", ["--sort", "--no-sort"])
@pytest.mark.parametrize("fmt", sorted(RDFLIB_FORMATS))
def test_export_is_the_same_graph_for_an_independent_parser(tmp_path, source_graph, fmt, order):
    out = tmp_path / f"relgraph.{fmt}"
    result = CliRunner().invoke(
        cli, ["export", order, "--format", fmt, "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    exported = rdflib.Dataset() if fmt in ("nquads", "trig") else rdflib.Graph()
    exported.parse(out, format=RDFLIB_FORMATS[fmt])
    merged = rdflib.Graph()
    for triple in (
        exported.triples((None, None, None))
        if fmt not in ("nquads", "trig")
        else ((s, p, o) for s, p, o, _g in exported.quads((None, None, None, None)))
    ):
        merged.add(triple)
    assert len(merged) == len(source_graph) > 1000
    assert isomorphic(merged, source_graph)


def test_turtle_export_binds_prefixes_and_is_deterministic(tmp_path):
    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    for out in (first, second):
        CliRunner().invoke(cli, ["export", "-o", str(out)], catch_exceptions=False)
    text = first.read_text(encoding="utf-8")
    assert first.read_bytes() == second.read_bytes()
    assert "@prefix rgd: <https://w3id.org/relgraph/id/> ." in text
    assert "rgd:ely-ratner" in text


def test_data_only_export_leaves_out_the_ontology(tmp_path):
    out = tmp_path / "data.nt"
    CliRunner().invoke(
        cli, ["export", "--data-only", "-f", "ntriples", "-o", str(out)], catch_exceptions=False
    )
    graph = rdflib.Graph().parse(out, format="nt")
    assert rdflib.URIRef("https://w3id.org/relgraph/ontology") not in set(graph.subjects())
    assert isomorphic(graph, rdflib_graph(default_files(data_only=True)))


def test_unsorted_export_to_stdout(source_graph):
    result = CliRunner().invoke(cli, ["export", "--no-sort", "-f", "ntriples"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    exported = rdflib.Graph().parse(data=result.stdout_bytes, format="nt")
    assert isomorphic(exported, source_graph)


@pytest.mark.parametrize("order", ["--sort", "--no-sort"])
def test_output_dash_is_standard_output_and_dot_slash_dash_a_file(tmp_path, monkeypatch, source_graph, order):
    # "-o -" wrote a file named "-"; "./-" still names that file
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["export", order, "-f", "ntriples", "-o", "-"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert isomorphic(rdflib.Graph().parse(data=result.stdout_bytes, format="nt"), source_graph)
    assert list(tmp_path.iterdir()) == []
    result = CliRunner().invoke(cli, ["export", order, "-f", "ntriples", "-o", "./-"], catch_exceptions=False)
    assert (result.exit_code, result.stdout_bytes) == (0, b"")
    assert isomorphic(rdflib.Graph().parse(tmp_path / "-", format="nt"), source_graph)


def test_unsorted_export_past_its_timeout_exits_5_and_keeps_the_file(tmp_path, monkeypatch):
    import importlib
    import threading

    export_module = importlib.import_module("relgraph.export")
    released = threading.Event()
    dump = export_module._dump

    def slow_dump(*args):  # past the timeout, whatever the machine's speed
        released.wait(5)
        return dump(*args)

    monkeypatch.setattr(export_module, "_dump", slow_dump)
    out = tmp_path / "relgraph.ttl"
    out.write_text("old\n")
    try:
        result = CliRunner().invoke(cli, ["export", "--no-sort", "--timeout", "0.05", "-o", str(out)])
    finally:
        released.set()
    assert result.exit_code == 5
    assert result.stderr.startswith(f"Error: {out}: export as turtle stopped after the timeout")
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["relgraph.ttl"]
