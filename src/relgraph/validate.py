"""Validate new data against the SHACL shapes, together with the graph it adds to.

New files are parsed strictly, merged with the existing graph (so that references to known officials,
sessions and sources resolve) and checked with pyshacl against ``ontology/shapes.ttl``. Each result
names its severity, the focus node (by label where it has one), the path, the shape's message and the
``file:line`` where the focus node is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import FOAF, RDF, RDFS, SH, SKOS, BNode, Literal, URIRef
from rdflib.term import Node

from relgraph import guard, resources
from relgraph.errors import ConfigurationError, InputError, RelgraphError, UsageError
from relgraph.locate import find_line, find_literal_line
from relgraph.namespaces import RGSH
from relgraph.reading import one_line
from relgraph.results import terminal_text
from relgraph.store import KnowledgeGraph, as_path, as_paths, default_files
from relgraph.terms import english_first, shorten, to_rdflib

__all__ = ["ENGINES", "ValidationReport", "ValidationResult", "load_shapes", "validate"]

#: the validation engines :func:`validate` can use
ENGINES = ("auto", "pyshacl")

_SEVERITY_RANK = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL validation result, ready to show a person.

    :param severity: ``sh:Violation``, ``sh:Warning`` or ``sh:Info``.
    :param focus: the node that failed the shape.
    :param focus_label: its ``rdfs:label`` (or preferred label), if it has one.
    :param path: the property path, written with prefixes (``rg:statedIn``, ``^prov:qualifiedAssociation``).
    :param message: the shape's message.
    :param source_shape: the shape that produced the result.
    :param value: the offending value, if the constraint names one.
    :param location: ``file:line`` where the focus node is written, if found.
    :param detail: what exactly is wrong, where the shape's message is general: where a quote differs
        from its source text (:mod:`relgraph.quotes`), which term is not declared and what was probably
        meant (:mod:`relgraph.vocabulary`).
    """

    severity: URIRef
    focus: Node
    focus_label: str | None
    path: str | None
    message: str
    source_shape: Node
    value: Node | None = None
    location: str | None = None
    detail: str | None = None

    @property
    def severity_name(self) -> str:
        """Return the severity without its namespace: ``Violation``, ``Warning`` or ``Info``."""
        return str(self.severity).rsplit("#", 1)[-1]

    def line(self) -> str:
        """Return the one-line text form of this result, what a terminal acts on written out.

        >>> x, shape = URIRef("https://w3id.org/relgraph/id/x"), URIRef("https://w3id.org/relgraph/shapes#S")
        >>> r = ValidationResult(SH.Violation, x, "X", "rg:actor", "Outcome: bad.", shape, None, "a.ttl:3")
        >>> r.line()
        'a.ttl:3: Violation: rgd:x ("X") rg:actor: Outcome: bad.'
        >>> ValidationResult(SH.Warning, x, None, None, "Term: bad.", shape, detail="rg:y is unknown").line()
        '(no file): Warning: rgd:x: Term: bad. [rg:y is unknown]'
        """
        focus = shorten(self.focus)  # type: ignore[arg-type]
        if self.focus_label:
            focus += f' ("{self.focus_label}")'
        parts = [self.location or "(no file)", self.severity_name, focus]
        if self.path:
            parts[-1] += f" {self.path}"
        if self.value is not None and not (isinstance(self.value, URIRef) and self.value == self.focus):
            parts[-1] += f" value {shorten(self.value)}"  # type: ignore[arg-type]
        message = f"{self.message} [{self.detail}]" if self.detail else self.message
        # for a terminal: a label's escape sequence or U+202E written out, as a table does (Turtle
        # terms keep their own backslash escapes)
        return terminal_text(": ".join([*parts, message]), escape_backslashes=False)

    def to_json(self) -> dict[str, Any]:
        """Return this result as a JSON-ready dict."""
        return {
            "severity": self.severity_name,
            "focus": str(self.focus),
            "focus_label": self.focus_label,
            "path": self.path,
            "message": self.message,
            "source_shape": str(self.source_shape),
            "value": None if self.value is None else str(self.value),
            "location": self.location,
            "detail": self.detail,
        }


@dataclass
class ValidationReport:
    r"""The outcome of :func:`validate`.

    :param conforms: no result of severity ``sh:Violation`` (or, when strict, no result at all).
    :param results: the results, sorted: violations first, then by file, line and focus.
    :param files: the files that were validated.
    :param graph: the SHACL validation report as an RDF graph.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     new = Path(tmp, "new.ttl")
    ...     _ = new.write_text(
    ...         "@prefix rg: <https://w3id.org/relgraph/ontology#> .\n"
    ...         "<https://w3id.org/relgraph/id/jane-doe> a rg:Official ; rg:coChiar rg:coChair .\n"
    ...     )
    ...     report = validate(new)
    >>> report.conforms, [(r.severity_name, r.path) for r in report.results]
    (False, [('Violation', 'rdfs:label'), ('Violation', 'rg:coChiar'), ('Warning', 'foaf:name')])
    """

    conforms: bool
    results: list[ValidationResult]
    files: list[Path]
    graph: rdflib.Graph = field(repr=False)

    def counts(self) -> dict[str, int]:
        """Return the number of results by severity name.

        >>> ValidationReport(True, [], [], rdflib.Graph()).counts()
        {'Violation': 0, 'Warning': 0, 'Info': 0}
        """
        counts = {"Violation": 0, "Warning": 0, "Info": 0}
        for result in self.results:
            counts[result.severity_name] = counts.get(result.severity_name, 0) + 1
        return counts

    def summary(self) -> str:
        """Return the closing line of the text report.

        >>> ValidationReport(True, [], [Path("new.ttl")], rdflib.Graph()).summary()
        'new.ttl: conforms (0 violations, 0 warnings, 0 infos)'
        """
        counts = self.counts()
        names = ", ".join(str(f) for f in self.files) or "the default graph"
        verdict = "conforms" if self.conforms else "does not conform"
        return (
            f"{names}: {verdict} ({counts['Violation']} violations, {counts['Warning']} warnings, "
            f"{counts['Info']} infos)"
        )

    def render(self, fmt: str = "text") -> str:
        """Render the report as ``text`` (one line per result), ``turtle`` (the SHACL report) or ``json``.

        :param fmt: ``text``, ``turtle`` or ``json``.
        :raises ValueError: for another format.

        >>> print(ValidationReport(True, [], [], rdflib.Graph()).render("json"))
        {
          "conforms": true,
          "counts": {
            "Violation": 0,
            "Warning": 0,
            "Info": 0
          },
          "files": [],
          "results": []
        }
        <BLANKLINE>
        """
        if fmt == "text":
            return "\n".join([*(r.line() for r in self.results), self.summary()]) + "\n"
        if fmt == "turtle":
            return str(self.graph.serialize(format="turtle"))
        if fmt == "json":
            body = {
                "conforms": self.conforms,
                "counts": self.counts(),
                "files": [str(f) for f in self.files],
                "results": [r.to_json() for r in self.results],
            }
            return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        raise ValueError(f"unknown report format {fmt!r}")


def load_shapes(path: Path | None = None) -> rdflib.Graph:
    """Parse the SHACL shapes graph.

    :param path: a shapes file (``--shapes``); by default the shipped ``ontology/shapes.ttl``.
    :raises InputError: if the given path is not a file that can be read (a usage error).
    :raises ConfigurationError: if the shapes are not valid RDF (``file:line:column``), or use
        SHACL-JavaScript or SHACL-SPARQL that could reach the network (:func:`guard.check_shapes`).

    >>> len(load_shapes()) > 100
    True
    """
    shipped = path is None
    path = path or resources.ontology_dir() / "shapes.ttl"
    shapes = KnowledgeGraph()
    try:
        shapes.load(path)  # pyoxigraph's strict, located parse (rdflib's parser accepts invalid RDF)
    except InputError as error:
        if not shipped and not (path.is_file() and os.access(path, os.R_OK)):
            raise  # --shapes names no file it can read: a usage error (2), not broken shapes (3)
        raise ConfigurationError(f"{error.message} (the shapes are broken)") from error
    try:
        graph = shapes.to_rdflib()  # copied, not parsed again
    except ValueError as error:
        raise ConfigurationError(f"{path}: cannot read the shapes: {error}") from error
    guard.check_shapes(graph, path)
    return graph


def validate(
    files: Sequence[Path | str] | Path | str,
    *,
    kg: KnowledgeGraph | None = None,
    shapes: Path | str | None = None,
    strict: bool = False,
    engine: str = "auto",
    sources: Path | str | None = None,
    whole_graph: bool = False,
) -> ValidationReport:
    """Validate RDF files against the shapes, together with the existing graph.

    The quotes of the files' evidence are then compared with their source texts
    (:mod:`relgraph.quotes`), which the shapes cannot read: a quote that is not the text at its offsets
    is a violation, a source text not found a warning.

    :param files: the new data files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML by extension),
        or one file.
    :param kg: the graph the files add to; by default the shipped ontology, reference data and readouts.
    :param shapes: a shapes file instead of the shipped ``ontology/shapes.ttl``.
    :param strict: count warnings and infos as failures too.
    :param engine: ``auto`` compiles the shapes to SPARQL run on Oxigraph (:mod:`relgraph.shacl_sparql`,
        the same results as pyshacl, much faster), falling back to pyshacl for shapes it does not
        cover; ``pyshacl`` always uses pyshacl. With new files, the compiled engine reports only the
        nodes the files mention and the nodes that point to those, not the whole graph.
    :param sources: the data's folder of source texts (default: ``sources/`` of
        :func:`relgraph.resources.data_dir`, the shipped ``data/sources`` unless ``--data-dir`` names
        another data folder), looked in after each file's folder and its ``<stem>-sources`` folder
        (:func:`relgraph.quotes.source_folders`).
    :param whole_graph: with the compiled engine, report every node of the graph with the files added,
        as pyshacl does (an existing node the files make invalid further away: a session whose
        ordinal a new one takes too), not only the nodes near the new triples; slower on a big graph.
    :raises InputError: if a file is missing or not valid RDF (one line with ``file:line:column``).
    :raises ConfigurationError: if the shapes are broken.
    :raises QueryTimeoutError: if it runs past the query timeout (``--timeout``, :mod:`relgraph.limits`).
    :raises UsageError: if a file name is not a path, or the engine is not one of :data:`ENGINES`.

    >>> report = validate([])
    >>> report.conforms, report.results
    (True, [])
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown validation engine {engine!r} (known: {', '.join(ENGINES)})")
    new_files = as_paths(files)
    shapes = None if shapes is None else as_path(shapes, "shapes")
    sources = None if sources is None else as_path(sources, "sources")
    new = KnowledgeGraph()
    new.load(*new_files)
    base = kg if kg is not None else KnowledgeGraph.default()
    shapes_graph = load_shapes(shapes)
    if engine != "pyshacl":  # SHACL compiled to SPARQL on Oxigraph; None when a shape is not compiled
        from relgraph.shacl_sparql import validate_kg

        compiled = validate_kg(base, new, shapes_graph, strict=strict, whole_graph=whole_graph)
        if compiled is not None:
            return _report(compiled[0], shapes_graph, compiled[1], base, new, new_files, strict, sources)
    data = base.to_rdflib()
    for triple in new.to_rdflib():
        data.add(triple)

    import logging

    import pyshacl  # imported here: it is slow to import and only this command needs it

    # pyshacl logs to standard error through a handler of its own, set at each call: a shape it cannot
    # load printed two lines of its own before relgraph's one
    logging.getLogger("pyshacl-validate").disabled = True

    from relgraph.limits import QueryTimeoutError, run_in_thread

    try:
        with guard.sandbox(new_files):  # no network, whatever the shapes say
            _conforms, report_graph, _text = run_in_thread(  # with the query timeout
                lambda: pyshacl.validate(
                    data,
                    shacl_graph=shapes_graph,
                    inference="none",
                    advanced=True,
                    allow_warnings=not strict,
                    allow_infos=not strict,
                ),
                what="validation",
            )
    except (QueryTimeoutError, RelgraphError):
        raise
    except Exception as error:  # pyshacl raises its own errors for broken shapes
        where = shapes if shapes is not None else resources.ontology_dir() / "shapes.ttl"
        lines = str(error).strip().splitlines()
        said = f"{type(error).__name__}: {one_line(lines[0])}" if lines else type(error).__name__
        raise ConfigurationError(f"{where}: the shapes are broken: {said}") from error
    return _report(report_graph, shapes_graph, data, base, new, new_files, strict, sources)


def _report(
    report: rdflib.Graph,
    shapes_graph: rdflib.Graph,
    data: rdflib.Graph,
    base: KnowledgeGraph,
    new: KnowledgeGraph,
    new_files: list[Path],
    strict: bool,
    sources: Path | None,
) -> ValidationReport:
    """Add the quote and term checks of the new files to a SHACL report, and make the report a person reads.

    :param data: the graph the focus nodes' labels are read from (it gets those of the checks' results).
    """
    (root,) = report.subjects(RDF.type, SH.ValidationReport)

    def add(
        shape: str,
        severity: str,
        component: str,
        focus: ox.NamedNode | ox.BlankNode,
        *,
        path: ox.NamedNode | None = None,
        value: ox.NamedNode | ox.Literal | None = None,
        detail: str,
    ) -> BNode:
        """Add a result of a deactivated shape that relgraph checks in Python, and return it.

        It has the shape's own message and severity, as the other results do (with shapes that lack it,
        ``severity`` and the detail as its message), and the constraint component
        ``rgsh:<component>ConstraintComponent``; what exactly is wrong is its ``rdfs:comment`` (the
        result's detail). The focus node's literals are copied into ``data``, for its label.
        """
        node, shape_node, subject = BNode(), RGSH[shape], to_rdflib(focus)
        for quad in new.oxigraph.quads_for_pattern(focus, None, None):
            if isinstance(quad.object, ox.Literal):
                data.add((subject, to_rdflib(quad.predicate), to_rdflib(quad.object)))
        report.add((root, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.focusNode, subject))
        report.add((node, SH.resultSeverity, shapes_graph.value(shape_node, SH.severity) or SH[severity]))
        report.add((node, SH.sourceShape, shape_node))
        report.add((node, SH.sourceConstraintComponent, RGSH[f"{component}ConstraintComponent"]))
        message = shapes_graph.value(shape_node, SH.message) or Literal(detail, lang="en")
        report.add((node, SH.resultMessage, message))
        report.add((node, RDFS.comment, Literal(detail, lang="en")))
        if path is not None:
            report.add((node, SH.resultPath, to_rdflib(path)))
        if value is not None:
            report.add((node, SH.value, to_rdflib(value)))
        return node

    if new_files:
        from relgraph.quotes import check_quotes, source_folders
        from relgraph.vocabulary import check_terms

        folders = source_folders(new_files, sources or resources.data_dir() / "sources")
        for problem in check_quotes(new.oxigraph, folders, base.oxigraph):
            add(
                problem.shape,
                problem.severity,
                "SourceText",
                problem.evidence,
                value=problem.value,
                detail=problem.message,
            )
        for term in check_terms(new.oxigraph, base.oxigraph):
            add(
                term.shape,
                term.severity,
                "Declaration",
                term.focus,
                path=term.term if term.use == "property" else term.predicate,
                value=None if term.use in ("property", "subject") else term.term,
                detail=term.detail,
            )
    search_files = [*new_files, *(f for f in (base.files or default_files()) if f not in new_files)]

    def has(node: URIRef, predicates: Iterable[URIRef]) -> bool:  # in the graph or the new files
        term = ox.NamedNode(str(node))
        return any(
            next(iter(kg.oxigraph.quads_for_pattern(term, ox.NamedNode(str(predicate)), None)), None)
            for kg in (base, new)
            for predicate in predicates
        )

    def unknown(node: URIRef) -> str | None:
        """Say what a value of the wrong class lacks, if nothing gives it a class.

        That is a typo, or a person, post or initiative not yet in the reference data. Triples of the
        new files that only use it (the readout's ``org:holds`` of a new co-chair) describe nothing:
        the test is its ``rdf:type``.
        """
        if has(node, [RDF.type]):
            return None  # described, as something else: the shape's message says what it should be
        if has(node, [RDFS.label, SKOS.prefLabel, FOAF.name]):
            return (
                f"{shorten(node)} has a name but no rdf:type anywhere in the graph: give it its class where "
                "it is described, or add it to the reference data (data/reference/)"
            )
        return (
            f"{shorten(node)} is not described anywhere in the graph: check its spelling, or add it to the "
            "reference data (data/reference/)"
        )

    results = _results(report, data, search_files, unknown, _class_shapes(shapes_graph))
    failing = [r for r in results if strict or r.severity == SH.Violation]
    report.set((root, SH.conforms, Literal(not failing)))  # the quote and term checks' results count too
    return ValidationReport(not failing, results, new_files, report)


def _class_shapes(shapes: rdflib.Graph) -> set[Node]:
    """Return the shapes whose ``sh:or`` lists only ``sh:class`` shapes: a value fails them for its class.

    >>> from relgraph.namespaces import RGSH
    >>> RGSH["Outcome-concerns"] in _class_shapes(load_shapes())
    True
    """
    found = set()
    for shape, members in shapes.subject_objects(SH["or"]):
        items = list(rdflib.collection.Collection(shapes, members))
        if items and all(set(shapes.predicates(item)) - {RDF.type} == {SH["class"]} for item in items):
            found.add(shape)
    return found


def _results(
    report: rdflib.Graph,
    data: rdflib.Graph,
    files: Iterable[Path],
    unknown: Callable[[URIRef], str | None],
    class_shapes: AbstractSet[Node] = frozenset(),
) -> list[ValidationResult]:
    """Return the report's results, at the line where each focus node is written.

    :param unknown: says what a value lacks when nothing in the graph or the new files gives it a class
        (None when something does).
    :param class_shapes: the shapes whose ``sh:or`` asks only for classes (:func:`_class_shapes`).
    """
    files = list(files)
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(node, SH.focusNode)
        severity = report.value(node, SH.resultSeverity)
        path = report.value(node, SH.resultPath)
        message = english_first(report.objects(node, SH.resultMessage))  # a shape may give several
        shape = report.value(node, SH.sourceShape)
        value = report.value(node, SH.value)
        assert focus is not None and isinstance(severity, URIRef) and shape is not None
        detail = report.value(node, RDFS.comment)
        component = report.value(node, SH.sourceConstraintComponent)
        if (
            detail is None
            and isinstance(value, URIRef)
            and value != focus
            and (
                component == SH.ClassConstraintComponent
                or (component == SH.OrConstraintComponent and shape in class_shapes)
            )
        ):
            # sh:class (or an sh:or of classes) of a value nothing gives a class: a typo, or a person,
            # post or initiative not yet in the data
            lacking = unknown(value)
            detail = None if lacking is None else Literal(lacking)
        location = None
        if isinstance(focus, URIRef):
            for file in files:
                line = find_line(file, str(focus))
                if line is not None:
                    location = f"{file}:{line}"
                    break
        elif isinstance(focus, BNode):  # no name to look for: the line of one of its literals
            location = _blank_node_location(data, focus, files)
        results.append(
            ValidationResult(
                severity=severity,
                focus=focus,
                focus_label=_label(data, focus),
                path=None if path is None else _path_text(report, path),
                message=str(message) if message is not None else "(no message)",
                source_shape=shape,
                value=value,
                location=location,
                detail=None if detail is None else str(detail),
            )
        )
    results = list(dict.fromkeys(results))  # one line each: two constraints of a shape can say the same
    results.sort(
        key=lambda r: (
            _SEVERITY_RANK.get(r.severity, 9),
            _place(r.location),
            str(r.focus),
            r.path or "",
            r.message,
            str(r.value),
        )
    )
    return results


def _place(location: str | None) -> tuple[bool, str, int]:
    """Return a sort key for ``file:line`` that puts line 8 before line 12, and no location last.

    >>> sorted(["a.ttl:12", None, "a.ttl:8"], key=_place)
    ['a.ttl:8', 'a.ttl:12', None]
    """
    if location is None:
        return (True, "", 0)
    file, _colon, line = location.rpartition(":")
    return (False, file, int(line)) if line.isdigit() else (False, location, 0)


def _blank_node_location(data: rdflib.Graph, node: BNode, files: list[Path]) -> str | None:
    """Return ``file:line`` where a literal of the blank node ``node`` is written, if one is found."""
    texts = sorted({str(o) for o in data.objects(node) if isinstance(o, Literal)}, key=lambda t: (-len(t), t))
    for file in files:
        for text in texts:  # the longest first: the least likely to be written elsewhere too
            line = find_literal_line(file, text)
            if line is not None:
                return f"{file}:{line}"
    return None


def _label(graph: rdflib.Graph, node: Node) -> str | None:
    labels = [
        o for p in (RDFS.label, SKOS.prefLabel) for o in graph.objects(node, p) if isinstance(o, Literal)
    ]
    if not labels:
        return None
    labels.sort(key=lambda lit: (lit.language != "en", str(lit)))
    return str(labels[0])


def _path_text(graph: rdflib.Graph, path: Node) -> str:
    """Write a SHACL property path the way SPARQL would."""
    if isinstance(path, URIRef):
        return shorten(path)
    if isinstance(path, BNode):
        inverse = graph.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + _path_text(graph, inverse)
        alternatives = graph.value(path, SH.alternativePath)
        if alternatives is not None:
            items = rdflib.collection.Collection(graph, alternatives)
            return "(" + "|".join(_path_text(graph, item) for item in items) + ")"
        for operator, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
            inner = graph.value(path, operator)
            if inner is not None:
                return _path_text(graph, inner) + suffix
        if graph.value(path, RDF.first) is not None:
            return "/".join(_path_text(graph, item) for item in rdflib.collection.Collection(graph, path))
    return str(path)
