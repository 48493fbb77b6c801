"""The SHACL shapes: each named shape rejects its invalid examples, and the shipped graph conforms.

``tests/shapes/invalid/<Shape>.ttl`` (more examples: ``<Shape>--2.ttl`` ...) is new data that, validated
together with the shipped ontology, reference data and readouts, must make ``rgsh:<Shape>`` report a result
with the shape's own ``sh:message`` and ``sh:severity``, on a node the example adds. An example should trip
no other shape; where that cannot be helped, a comment line ``# also: OtherShape, ...`` names the others.
Adding a shape without an example fails :func:`test_every_shape_has_an_invalid_example`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.namespace import SH

from relgraph import resources
from relgraph.namespaces import RGD, RGSH
from relgraph.store import KnowledgeGraph
from relgraph.validate import ValidationResult, validate

INVALID = Path(__file__).resolve().parent / "shapes" / "invalid"
EXAMPLES = sorted(INVALID.glob("*.ttl"))
#: new nodes of an example are named under this prefix
TEST_PREFIX = f"{RGD}test-"
_ALSO = re.compile(r"^#\s*also:\s*([A-Za-z0-9-]+(?:\s*,\s*[A-Za-z0-9-]+)*)", re.MULTILINE)
_SEVERITIES = {SH.Violation, SH.Warning, SH.Info}


# --- helpers ---------------------------------------------------------------------------------------


@cache
def shapes_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(resources.ontology_dir() / "shapes.ttl", format="turtle")


@cache
def shipped_graph() -> KnowledgeGraph:
    return KnowledgeGraph.default()


def named_shapes() -> set[URIRef]:
    """Return the named shapes (``rgsh:...`` node and property shapes) of the shapes graph."""
    g = shapes_graph()
    typed = {s for kind in (SH.NodeShape, SH.PropertyShape) for s in g.subjects(RDF.type, kind)}
    with_message = set(g.subjects(SH.message, None))
    return {s for s in typed | with_message if isinstance(s, URIRef) and str(s).startswith(str(RGSH))}


def shape_of(example: Path) -> URIRef:
    """Return the shape an example file is for: the part of its name before ``--``."""
    return RGSH[example.stem.split("--")[0]]


def also_of(example: Path) -> set[URIRef]:
    """Return the other shapes the example's ``# also:`` comment line says it trips."""
    match = _ALSO.search(example.read_text(encoding="utf-8"))
    return {RGSH[name] for name in re.split(r"\s*,\s*", match.group(1))} if match else set()


def message_of(shape: URIRef) -> str:
    return str(shapes_graph().value(shape, SH.message))


def severity_of(shape: URIRef) -> URIRef:
    severity = shapes_graph().value(shape, SH.severity)
    assert isinstance(severity, URIRef), shape
    return severity


def has_inverse_path(shape: URIRef) -> bool:
    path = shapes_graph().value(shape, SH.path)
    return isinstance(path, BNode) and shapes_graph().value(path, SH.inversePath) is not None


@cache
def results_of(example: Path) -> tuple[bool, tuple[ValidationResult, ...]]:
    """Validate one example against the shipped graph, counting warnings as failures (strict)."""
    report = validate([example], kg=shipped_graph(), strict=True)
    return report.conforms, tuple(report.results)


def conforms_leniently(results: tuple[ValidationResult, ...]) -> bool:
    """Whether the report would conform when warnings and infos are allowed (the default)."""
    return not any(r.severity == SH.Violation for r in results)


def example_graph(example: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(example, format="turtle")


def allowed_focus_nodes(example: Path, shape: URIRef) -> set[URIRef]:
    """Return the nodes a result of ``shape`` may be about: the example's new ``test-`` nodes, and for a
    shape with an inverse path also the existing nodes the example points to."""
    g = example_graph(example)
    nodes = {n for triple in g for n in (triple[0], triple[2]) if isinstance(n, URIRef)}
    allowed = {n for n in nodes if str(n).startswith(TEST_PREFIX)}
    if has_inverse_path(shape):
        allowed |= {o for o in g.objects() if isinstance(o, URIRef)}
    return allowed


def example_id(example: Path) -> str:
    return example.stem


# --- the shapes file ------------------------------------------------------------------------------


def test_shapes_are_found():
    assert len(named_shapes()) >= 50


def test_every_shape_has_one_english_message_and_one_severity():
    g = shapes_graph()
    for shape in named_shapes():
        messages = list(g.objects(shape, SH.message))
        assert len(messages) == 1, f"{shape}: needs exactly one sh:message, has {len(messages)}"
        message = messages[0]
        assert isinstance(message, Literal) and message.language == "en", f"{shape}: sh:message must be @en"
        assert str(message).strip(), f"{shape}: empty sh:message"
        severities = list(g.objects(shape, SH.severity))
        assert len(severities) == 1, f"{shape}: needs exactly one sh:severity, has {len(severities)}"
        assert severities[0] in _SEVERITIES, f"{shape}: unknown severity {severities[0]}"


def test_messages_are_unique():
    messages = [message_of(shape) for shape in named_shapes()]
    duplicates = sorted({m for m in messages if messages.count(m) > 1})
    assert not duplicates, f"shapes share a message, so results cannot be told apart: {duplicates}"


# --- the examples: coverage and form --------------------------------------------------------------


def test_every_shape_has_an_invalid_example():
    covered = {shape_of(example) for example in EXAMPLES}
    missing = sorted(str(shape).removeprefix(str(RGSH)) for shape in named_shapes() - covered)
    assert not missing, f"shapes without tests/shapes/invalid/<Shape>.ttl: {missing}"


def test_every_example_names_an_existing_shape():
    shapes = named_shapes()
    for example in EXAMPLES:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*(--[0-9]+)?\.ttl", example.name), (
            example.name
        )
        assert shape_of(example) in shapes, (
            f"{example.name}: no shape rgsh:{shape_of(example).split('#')[-1]}"
        )
        for other in also_of(example):
            assert other in shapes, f"{example.name}: '# also:' names no shape: {other}"
            assert other != shape_of(example), f"{example.name}: '# also:' repeats its own shape"


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_example_says_what_is_wrong_and_adds_only_new_or_known_nodes(example: Path):
    first = example.read_text(encoding="utf-8").splitlines()[0]
    assert re.fullmatch(r"# \S.{10,}", first), (
        f"{example.name}: must start with a comment saying what is wrong"
    )
    g = example_graph(example)
    assert not any(isinstance(n, BNode) for triple in g for n in triple), (
        f"{example.name}: use test- IRIs, not blank nodes, so results can be traced to the file"
    )
    new = {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(TEST_PREFIX)}
    assert new or any(str(o).startswith(TEST_PREFIX) for o in g.objects()), f"{example.name}: no test- node"
    shipped = shipped_graph()
    for node in {n for triple in g for n in (triple[0], triple[2]) if isinstance(n, URIRef)}:
        if str(node).startswith(str(RGD)) and not str(node).startswith(TEST_PREFIX):
            assert shipped.query("ASK { ?node ?p ?o }", {"node": node}).boolean, (
                f"{example.name}: {node} is neither a new test- node nor in the shipped graph (a typo?)"
            )


# --- the examples: each is rejected by its shape --------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_shape_rejects_its_invalid_example(example: Path):
    shape = shape_of(example)
    conforms, results = results_of(example)
    assert not conforms, f"{example.name}: the report conforms; {shape} let the data through"
    mine = [r for r in results if r.source_shape == shape]
    assert mine, (
        f"{example.name}: no result from {shape}; got {sorted({str(r.source_shape) for r in results})}"
    )
    allowed = allowed_focus_nodes(example, shape)
    expected_message = message_of(shape)
    expected_severity = severity_of(shape)
    matching = [
        r
        for r in mine
        if r.message == expected_message and r.severity == expected_severity and r.focus in allowed
    ]
    assert matching, (
        f"{example.name}: no result with the shape's message and severity on a node of the example; got "
        + "; ".join(f"{r.focus} {r.severity_name}: {r.message}" for r in mine)
    )
    if expected_severity == SH.Violation:
        assert not conforms_leniently(results), f"{example.name}: a violation must fail non-strict too"


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_example_trips_no_other_shape(example: Path):
    _conforms, results = results_of(example)
    expected = {shape_of(example)} | also_of(example)
    got = {r.source_shape for r in results}
    assert got == expected, (
        f"{example.name}: shapes reporting results {sorted(map(str, got))} differ from the expected "
        f"{sorted(map(str, expected))}; fix the example or add a '# also:' line"
    )


# --- the shipped graph ----------------------------------------------------------------------------


def test_shipped_graph_conforms_without_warnings():
    report = validate([], kg=shipped_graph(), strict=True)
    assert report.results == [], "\n" + "\n".join(r.line() for r in report.results)
    assert report.conforms
