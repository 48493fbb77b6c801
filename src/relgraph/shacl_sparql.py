r"""SHACL core constraints compiled to SPARQL and run on Oxigraph: the same results as pyshacl, much faster.

Each constraint of each shape becomes one SPARQL ``SELECT ?this ?value`` over the whole graph, so a
million triples are validated in seconds instead of pyshacl's per-focus-node evaluation. The compiler
covers what ``ontology/shapes.ttl`` uses: targets (``sh:targetClass`` with ``rdfs:subClassOf*``,
``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``), predicate, inverse, sequence and
alternative paths, ``sh:minCount``, ``sh:maxCount``, ``sh:datatype``, ``sh:class``, ``sh:in``,
``sh:languageIn``, ``sh:pattern``/``sh:flags``, ``sh:minLength``, ``sh:maxLength``,
``sh:minInclusive``/``sh:maxInclusive``/``sh:minExclusive``/``sh:maxExclusive``, ``sh:lessThan``,
``sh:or`` of class and ``minCount`` shapes, ``sh:qualifiedValueShape`` with ``sh:class`` and
``sh:qualifiedMinCount``/``sh:qualifiedMaxCount``, and SPARQL-based constraints (``sh:sparql`` with
``sh:select``). :func:`compile_shapes` raises :class:`NotCompilableError` for anything else, and the caller
falls back to pyshacl for the whole validation, so results never differ. Where SPARQL and pyshacl read
a value differently, the query only narrows down and pyshacl's own test decides, in Python:
``sh:datatype`` (rdflib's reading of a lexical form: ``"2023-02-30"^^xsd:date``, a year 10000, an
integer of 20 digits, which Oxigraph's casts read otherwise) and ``sh:pattern`` (Python's regular
expressions, which differ from Oxigraph's: ``$`` before a last line break, lookahead, ``\w``).

>>> from relgraph.validate import load_shapes
>>> checks = compile_shapes(load_shapes())
>>> len(checks) > 100
True
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import dataclasses
import datetime
import decimal
import functools
import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, SH, SKOS, XSD, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from relgraph import guard
from relgraph.errors import ConfigurationError, QueryError, RelgraphError
from relgraph.progress import progress
from relgraph.reading import one_line
from relgraph.sparql_values import where_group_start
from relgraph.terms import to_rdflib

if TYPE_CHECKING:
    from relgraph.store import KnowledgeGraph

__all__ = [
    "Check",
    "NotCompilableError",
    "ResultRow",
    "compile_shapes",
    "report_graph",
    "run_checks",
    "validate_kg",
    "validate_store",
]

SKOS_PREF_LABEL = SKOS.prefLabel
# datatypes whose every literal pyshacl takes: the query's datatype test is enough
_ALWAYS_WELL_TYPED = frozenset({XSD.string, RDF.langString, RDFS.Literal})
# for some datatypes, a SPARQL test that rdflib reads the value as well typed too (Oxigraph writes
# numbers, booleans and dates in their canonical form); the other values are given to pyshacl's test
_SURELY_WELL_TYPED = {
    XSD.integer: 'REGEX(STR(?value), "^-?[0-9]{{1,18}}$")',
    XSD.boolean: 'STR(?value) IN ("true", "false")',
    XSD.date: 'REGEX(STR(?value), "^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$") && !STRSTARTS(STR(?value), "0000") '
    "&& COALESCE(isLiteral(<{datatype}>(STR(?value))), false)",
}
# the Python type of a datatype's values that pyshacl asks for, beyond rdflib's ill_typed
_PYTHON_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: decimal.Decimal,
    XSD.boolean: bool,
    XSD.date: datetime.date,
    XSD.time: datetime.time,
    XSD.dateTime: datetime.datetime,
}
_IGNORED = {
    RDF.type, SH.severity, SH.message, SH.name, SH.description, RDFS.label, RDFS.comment, SH.order, SH.group,
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path, SH.flags,
    SH.qualifiedMinCount, SH.qualifiedMaxCount,
}  # fmt: skip
_CONSTRAINTS = {
    SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH["in"], SH.languageIn, SH.pattern, SH.minLength,
    SH.maxLength, SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive, SH.lessThan,
    SH["or"], SH.qualifiedValueShape, SH.sparql,
}  # fmt: skip
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}


_FRESH = itertools.count()
_BLANK_DEPTH = 12  # the nesting of blank nodes pyshacl's messages show (pyshacl.rdfutil.stringify)
_MAX_VALUES = 2000  # focus nodes tested one by one; above, the whole graph is validated and filtered
_TARGET = "#TARGET#"  # in a compiled query: a group that binds ?this to the focus nodes goes here
_FOCUS = "#FOCUS#"  # in a SPARQL constraint: the patterns that bind ?this go here
_SUBCLASS_OF = ox.NamedNode(str(RDFS.subClassOf))
_MARKER = re.compile(r"#SUBCLASSES (\?\w+) (<[^>]*>)#")


class NotCompilableError(Exception):
    """The shapes use a feature the compiler does not cover: validate with pyshacl instead."""


@dataclass(frozen=True)
class Check:
    """One compiled constraint.

    :param shape: the shape (``sh:sourceShape`` of its results).
    :param component: the SHACL constraint component.
    :param severity: ``sh:Violation``, ``sh:Warning`` or ``sh:Info``.
    :param messages: the shape's ``sh:message`` literals.
    :param path: the shape's ``sh:path`` node (in the shapes graph), or None for a node shape.
    :param query: the SPARQL ``SELECT ?this ?value``; ``#TARGET#`` marks where a group binding the
        focus nodes goes, ``#FOCUS#`` (at the start of a SPARQL constraint's WHERE group) where its
        patterns go, which may be a ``VALUES`` block that Oxigraph plans from.
    :param target: the SPARQL pattern that binds ``?this`` to the focus nodes of the shape's targets.
    :param reports_value: whether the results carry ``sh:value``.
    :param value_test: for a constraint the query only narrows down, pyshacl's own test of a value:
        a row whose value passes it is not a result (see :func:`_datatype_matches`, :func:`_pattern_test`).
    """

    shape: Node
    component: URIRef
    severity: URIRef
    messages: tuple[Literal, ...]
    path: Node | None
    query: str
    reports_value: bool
    target: str
    value_test: Callable[[Node], bool] | None = None


@dataclass(frozen=True)
class ResultRow:
    """One validation result found by a compiled check.

    :param messages: for a shape without ``sh:message``, the message pyshacl makes up for the result
        (see :func:`with_generic_messages`).
    """

    check: Check
    focus: Node
    value: Node | None
    messages: tuple[Literal, ...] = ()


def compile_shapes(shapes: rdflib.Graph) -> list[Check]:
    """Compile every shape of a shapes graph.

    :param shapes: the SHACL shapes graph.
    :raises NotCompilableError: if a shape uses a feature the compiler does not cover.
    """
    shape_nodes: set[Node] = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        shape_nodes.update(shapes.subjects(RDF.type, kind))
    for target in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        shape_nodes.update(shapes.subjects(target, None))
    checks: list[Check] = []
    for shape in sorted(shape_nodes, key=str):
        checks.extend(_compile_shape(shapes, shape))
    return checks


def _compile_shape(g: rdflib.Graph, shape: Node) -> list[Check]:
    deactivated = list(g.objects(shape, SH.deactivated))
    if deactivated == [Literal(True)]:
        return []  # skipped, as SHACL engines do (ontology/shapes.ttl: the ones relgraph.quotes checks)
    if deactivated or (shape, RDF.type, RDFS.Class) in g:
        raise NotCompilableError(f"{shape}: sh:deactivated other than true, or implicit class targets")
    for predicate in set(g.predicates(shape, None)):
        if predicate not in _IGNORED and predicate not in _CONSTRAINTS:
            raise NotCompilableError(f"{shape}: {predicate} is not compiled")
    target = _target(g, shape)
    if target is None:
        return []  # not a shape with targets: used only inside others
    severity = g.value(shape, SH.severity) or SH.Violation
    assert isinstance(severity, URIRef)
    messages = tuple(m for m in g.objects(shape, SH.message) if isinstance(m, Literal))
    path_node = g.value(shape, SH.path)
    path = None if path_node is None else _path(g, path_node)
    focus = _TARGET
    values = f"{focus} ?this {path} ?value ." if path else f"{focus} BIND (?this AS ?value)"
    out: list[Check] = []

    def add(
        component: URIRef, query: str, reports_value: bool = True, test: Callable[[Node], bool] | None = None
    ) -> None:
        out.append(Check(shape, component, severity, messages, path_node, query, reports_value, target, test))

    def per_value(component: str, condition: str, test: Callable[[Node], bool] | None = None) -> None:
        query = f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER ({condition}) }}"
        add(SH[component], query, test=test)

    for count, op, name in ((SH.minCount, "<", "MinCount"), (SH.maxCount, ">", "MaxCount")):
        limit = g.value(shape, count)
        if limit is not None:
            if path is None:
                raise NotCompilableError(f"{shape}: sh:minCount/sh:maxCount without sh:path")
            query = (
                f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) {op} {int(str(limit))})"
            )
            add(SH[f"{name}ConstraintComponent"], query, reports_value=False)
    datatype = g.value(shape, SH.datatype)
    if isinstance(datatype, URIRef):
        # the query finds every value that may fail, and pyshacl's test (rdflib's reading of the lexical
        # form: "2023-02-30"^^xsd:date, a year 10000, an integer of 20 digits) decides for those
        condition = f"!isLiteral(?value) || DATATYPE(?value) != <{datatype}>"
        if datatype not in _ALWAYS_WELL_TYPED:
            surely = _SURELY_WELL_TYPED.get(datatype)
            condition += " || true" if surely is None else f" || !({surely.format(datatype=datatype)})"
        per_value("DatatypeConstraintComponent", condition, functools.partial(_datatype_matches, datatype))
    elif datatype is not None:
        raise NotCompilableError(f"{shape}: sh:datatype {datatype} is not an IRI")
    for cls in g.objects(shape, SH["class"]):
        per_value("ClassConstraintComponent", f"!{_is_instance('?value', cls)}")
    members = g.value(shape, SH["in"])
    if members is not None:
        allowed = " || ".join(f"sameTerm(?value, {_term(m)})" for m in Collection(g, members)) or "false"
        per_value("InConstraintComponent", f"!({allowed})")
    languages = g.value(shape, SH.languageIn)
    if languages is not None:
        ranges = [str(m) for m in Collection(g, languages)]
        tests = " || ".join(f"LANGMATCHES(LANG(?value), {_term(Literal(r))})" for r in ranges)
        condition = f"!isLiteral(?value) || LANG(?value) = '' || !({tests or 'false'})"
        if any("-" in r for r in ranges):  # LANGMATCHES takes en-us-x for en-US, pyshacl does not
            condition += ' || CONTAINS(LANG(?value), "-")'
        per_value("LanguageInConstraintComponent", condition, _language_test(ranges))
    pattern = g.value(shape, SH.pattern)
    if pattern is not None:  # every value, tested in Python as pyshacl does: Python's regular expressions
        per_value(
            "PatternConstraintComponent", "true", _pattern_test(shape, pattern, g.value(shape, SH.flags))
        )
    for key, op, name in ((SH.minLength, "<", "MinLength"), (SH.maxLength, ">", "MaxLength")):
        length = g.value(shape, key)
        if length is not None:
            per_value(
                f"{name}ConstraintComponent",
                f"isBlank(?value) || STRLEN(STR(?value)) {op} {int(str(length))}",
            )
    for key, op in _COMPARISONS.items():
        bound = g.value(shape, key)
        if bound is not None:
            if not isinstance(bound, Literal):
                raise NotCompilableError(f"{shape}: {key} {bound} is not a literal")
            name = str(key).rsplit("#", 1)[1]
            component = f"{name[0].upper()}{name[1:]}ConstraintComponent"
            # SPARQL and pyshacl compare alike integers of up to 18 digits with an integer bound; pyshacl's
            # test decides the other values (dates with and without a time zone, a 20-digit integer)
            surely = "false"
            if bound.datatype == XSD.integer:
                surely = (
                    f'DATATYPE(?value) = <{XSD.integer}> && REGEX(STR(?value), "^-?[0-9]{{1,18}}$") '
                    f"&& COALESCE(?value {op} {_term(bound)}, false)"
                )
            per_value(component, f"!({surely})", functools.partial(_compares, bound, op))
    other = g.value(shape, SH.lessThan)
    if other is not None:
        add(
            SH.LessThanConstraintComponent,
            f"SELECT DISTINCT ?this ?value WHERE {{ {values} ?this <{other}> ?other "
            "FILTER (!COALESCE(?value < ?other, false)) }",
        )
    alternatives = g.value(shape, SH["or"])
    if alternatives is not None:
        member_tests = [_member_test(g, member) for member in Collection(g, alternatives)]
        per_value("OrConstraintComponent", f"!({' || '.join(member_tests) or 'false'})")
    qualified = g.value(shape, SH.qualifiedValueShape)
    if qualified is not None:
        if path is None:
            raise NotCompilableError(f"{shape}: sh:qualifiedValueShape without sh:path")
        test = _member_test(g, qualified)
        for key, op, name in ((SH.qualifiedMinCount, "<", "Min"), (SH.qualifiedMaxCount, ">", "Max")):
            limit = g.value(shape, key)
            if limit is not None:
                query = (
                    f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value FILTER ({test}) }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) {op} {int(str(limit))})"
                )
                add(SH[f"Qualified{name}CountConstraintComponent"], query, reports_value=False)
    for constraint in g.objects(shape, SH.sparql):
        add(SH.SPARQLConstraintComponent, _sparql_constraint(g, shape, constraint))
    return out


def _datatype_matches(datatype: URIRef, value: Node) -> bool:
    """Return whether ``value`` matches ``sh:datatype datatype`` as pyshacl decides it.

    A literal of that datatype matches unless rdflib reads its lexical form as ill-typed, or as a
    Python value of another type than the datatype's; ``rdfs:Literal`` matches every literal.

    >>> dates = [Literal(text, datatype=XSD.date) for text in ("2023-09-27", "2023-02-30")]
    >>> [_datatype_matches(XSD.date, date) for date in dates]
    [True, False]
    >>> _datatype_matches(XSD.string, Literal("x")), _datatype_matches(XSD.string, Literal("x", lang="en"))
    (True, False)
    """
    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        if value.ill_typed is True:
            return False
        python_type = _PYTHON_TYPES.get(datatype)
        return python_type is None or isinstance(value.value, python_type)
    if datatype == RDFS.Literal or (datatype == RDFS.Datatype and value.datatype is not None):
        return True
    if datatype == XSD.string and value.datatype is None and value.language is None:
        return isinstance(value.value, str | bytes)
    return datatype == RDF.langString and bool(value.language) and isinstance(value.value, str | bytes)


def _compares(bound: Literal, op: str, value: Node) -> bool:
    """Return whether ``value op bound`` holds as pyshacl decides ``sh:minInclusive`` and the others.

    A blank node, an IRI, or a string compared with a non-string (or the other way) fails; so do values
    rdflib cannot compare.

    >>> one = Literal(1)
    >>> _compares(one, ">=", Literal(12345678901234567890)), _compares(one, ">=", Literal(0))
    (True, False)
    """
    if not isinstance(value, Literal) or isinstance(bound.value, str) != isinstance(value.value, str):
        return False
    from pyshacl.rdfutil.compare import compare_literal  # slow to import: only for a value to decide

    try:
        order: int = compare_literal(value, bound)  # type: ignore[no-untyped-call]
    except (TypeError, NotImplementedError):
        return False
    return {">=": order >= 0, "<=": order <= 0, ">": order > 0, "<": order < 0}[op]


def _language_test(ranges: Sequence[str]) -> Callable[[Node], bool]:
    """Return pyshacl's ``sh:languageIn`` test: the tag, or its first subtag, is one of ``ranges`` (any case).

    >>> test = _language_test(["en-US"])
    >>> test(Literal("x", lang="en-us")), test(Literal("x", lang="en-US-x-y")), test(Literal("x"))
    (True, False, False)
    """
    wanted = {r.lower() for r in ranges}

    def test(value: Node) -> bool:
        if not isinstance(value, Literal) or not value.language:
            return False
        tag = value.language.lower()
        return "*" in wanted or tag in wanted or tag.split("-")[0] in wanted

    return test


def _pattern_test(shape: Node, pattern: Node, flags: Node | None) -> Callable[[Node], bool]:
    r"""Return pyshacl's ``sh:pattern`` test: ``re``, the flags ``i`` and ``m`` only, a blank node failing.

    :raises NotCompilableError: if Python cannot compile the pattern (pyshacl then says why).

    >>> test = _pattern_test(URIRef("http://ex/s"), Literal(r"^[a-z]+\.txt$"), None)
    >>> test(Literal("notes.txt")), test(Literal("notes.txt\n")), test(BNode())  # $ before a last line break
    (True, True, False)
    """
    re_flags = 0
    if flags is not None:
        letters = str(flags).lower()
        re_flags = (re.IGNORECASE if "i" in letters else 0) | (re.MULTILINE if "m" in letters else 0)
    try:
        matcher = re.compile(str(pattern), re_flags)
    except re.error as error:
        raise NotCompilableError(f"{shape}: sh:pattern {pattern!r}: {error}") from None

    def test(value: Node) -> bool:
        return not isinstance(value, BNode) and matcher.search(str(value)) is not None

    return test


def _target(g: rdflib.Graph, shape: Node) -> str | None:
    parts = [f"{{ {_is_instance_pattern('?this', c)} }}" for c in g.objects(shape, SH.targetClass)]
    parts += [f"{{ BIND ({_term(n)} AS ?this) }}" for n in g.objects(shape, SH.targetNode)]
    parts += [f"{{ ?this <{p}> ?targetObject }}" for p in g.objects(shape, SH.targetSubjectsOf)]
    parts += [f"{{ ?targetSubject <{p}> ?this }}" for p in g.objects(shape, SH.targetObjectsOf)]
    return " UNION ".join(parts) if parts else None


def _is_instance_pattern(variable: str, cls: Node) -> str:
    # rdf:type/rdfs:subClassOf* as a VALUES list of the subclasses, filled in by run_checks (faster)
    fresh = f"?type{next(_FRESH)}"
    return f"{variable} <{RDF.type}> {fresh} . #SUBCLASSES {fresh} {_term(cls)}#"


def _subclasses(store: ox.Store, query: str) -> str:
    """Replace each ``#SUBCLASSES ?v <C>#`` marker with ``VALUES ?v`` of the classes ``rdfs:subClassOf*`` C.

    A class that is a blank node cannot be written in ``VALUES``: with one among them (``[]
    rdfs:subClassOf rg:Official`` in the data), the marker becomes the path ``?v rdfs:subClassOf* <C>``.
    """
    cache: dict[str, list[ox.NamedNode | ox.BlankNode]] = {}

    def fill(match: re.Match[str]) -> str:
        variable, cls = match.groups()
        if cls not in cache:
            answer = store.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* {cls} }}")
            assert isinstance(answer, ox.QuerySolutions)
            try:
                cache[cls] = [row[0] for row in answer]
            finally:
                del answer  # freed on this thread (see run_checks)
        classes = cache[cls]
        if any(isinstance(c, ox.BlankNode) for c in classes):
            return f"{variable} <{RDFS.subClassOf}>* {cls} ."
        return f"VALUES {variable} {{ {' '.join(sorted({str(c) for c in classes} | {cls}))} }}"

    return _MARKER.sub(fill, query)


def _is_instance(variable: str, cls: Node) -> str:
    return f"EXISTS {{ {_is_instance_pattern(variable, cls)} }}"


def _member_test(g: rdflib.Graph, member: Node) -> str:
    """Return a SPARQL test that ?value conforms to ``member`` (sh:class, or sh:path + sh:minCount 1)."""
    keys = set(g.predicates(member, None)) - {RDF.type}
    if keys == {SH["class"]}:
        return " && ".join(_is_instance("?value", c) for c in g.objects(member, SH["class"]))
    if keys == {SH.path, SH.minCount} and str(g.value(member, SH.minCount)) == "1":
        return f"EXISTS {{ ?value {_path(g, g.value(member, SH.path))} ?memberValue }}"  # type: ignore[arg-type]
    raise NotCompilableError(f"{member}: only sh:class and sh:path + sh:minCount 1 are compiled inside sh:or")


def _path(g: rdflib.Graph, node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    inverse = g.value(node, SH.inversePath)
    if inverse is not None:
        return f"^({_path(g, inverse)})"
    alternatives = g.value(node, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path(g, item) for item in Collection(g, alternatives)) + ")"
    if g.value(node, RDF.first) is not None:
        return "(" + "/".join(_path(g, item) for item in Collection(g, node)) + ")"
    raise NotCompilableError(f"{node}: this kind of property path is not compiled")


def _sparql_constraint(g: rdflib.Graph, shape: Node, constraint: Node) -> str:
    select = g.value(constraint, SH.select)
    if select is None or (constraint, SH.deactivated, None) in g:
        raise NotCompilableError(f"{shape}: only sh:select SPARQL constraints are compiled")
    if set(g.objects(constraint, SH.message)):
        raise NotCompilableError(f"{shape}: messages on SPARQL constraints are not compiled")
    prologue = guard.declared_prefixes(g, constraint)
    text = str(select).replace("$this", "?this")
    if "$" in text or "?path" in text:
        raise NotCompilableError(
            f"{shape}: SPARQL constraints with other pre-bound variables are not compiled"
        )
    # the focus nodes also go at the start of the query's own WHERE group, as SHACL's pre-binding of
    # $this does: only joined from outside, the subquery would be evaluated for every node first
    # (the join outside stays, for a query that does not project $this)
    try:
        start = where_group_start(text)
    except ValueError:
        raise NotCompilableError(f"{shape}: a SPARQL constraint needs a SELECT with a WHERE group") from None
    inner = f"{text[:start]} {_FOCUS} {text[start:]}"
    query = f"{prologue} SELECT ?this ?value WHERE {{ {_TARGET} {{ {inner} }} }}"
    try:  # the whole text run, prefixes included (guard.check_shapes checked each part already)
        guard.check_query(query)
    except QueryError as error:
        raise ConfigurationError(f"{shape}: SHACL-SPARQL constraint: {error.message}") from error
    return query


def _term(node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return str(node.n3())
    raise NotCompilableError(f"{node}: blank nodes are not compiled as values")


def run_checks(
    store: ox.Store, checks: Sequence[Check], focus: Iterable[ox.NamedNode | ox.BlankNode] | None = None
) -> list[ResultRow]:
    """Run compiled checks on a store, optionally only for some focus nodes.

    :param store: the data (default graph).
    :param checks: from :func:`compile_shapes`.
    :param focus: report only these focus nodes (the target is still evaluated on the whole graph).
    """
    wanted = None if focus is None else set(focus)
    named = None if wanted is None else {n for n in wanted if isinstance(n, ox.NamedNode)}
    blank = None if wanted is None else {to_rdflib(n) for n in wanted if isinstance(n, ox.BlankNode)}
    # few named nodes: test each against the targets; many (a big new file): run the whole graph and
    # keep theirs. Blank nodes, which a query cannot name: the blank nodes of the whole target, theirs kept
    values = None if not named or len(named) > _MAX_VALUES else " ".join(str(n) for n in named)
    plans: list[tuple[str, AbstractSet[Node] | None]] = []  # a filter of the target, the focus nodes to keep
    if named is None:
        plans.append(("", None))
    elif values is not None:
        plans.append((f"VALUES ?this {{ {values} }}", None))
    elif named:
        plans.append(("", {to_rdflib(n) for n in named}))
    if blank:
        plans.append(("FILTER (isBlank(?this))", blank))

    def run(check: Check) -> list[ResultRow]:
        found = []
        for restriction, keep in plans:
            if restriction.startswith("VALUES"):  # each node tested against the target: far faster
                inline = f"{restriction} FILTER EXISTS {{ {check.target} }}"
                nodes = f"{{ SELECT DISTINCT ?this WHERE {{ {inline} }} }}"
            else:
                nodes = inline = f"{{ SELECT DISTINCT ?this WHERE {{ {check.target} {restriction} }} }}"
            query = check.query.replace(_TARGET, nodes).replace(_FOCUS, inline)
            try:
                answer = store.query(_subclasses(store, query))
            except SyntaxError as error:  # a shape's own sh:select (a traceback, exit 1: "not conforming")
                raise ConfigurationError(
                    f"{check.shape}: the shape's SPARQL is not valid: {one_line(str(error))}"
                ) from None
            assert isinstance(answer, ox.QuerySolutions)
            try:
                for solution in answer:
                    this = solution["this"]
                    value = solution["value"] if check.reports_value else None
                    assert this is not None and not isinstance(this, ox.Triple)
                    if isinstance(value, ox.Triple):
                        raise NotCompilableError("RDF 1.2 triple terms are not compiled")
                    row = ResultRow(check, to_rdflib(this), None if value is None else to_rdflib(value))
                    if check.value_test is not None and row.value is not None and check.value_test(row.value):
                        continue  # the query narrowed down, and pyshacl's test says the value passes
                    if keep is None or row.focus in keep:
                        found.append(row)
            finally:
                del answer  # pyoxigraph's solutions must be freed on the thread that made them, error or not
        return found

    # pyoxigraph lets go of the GIL while it evaluates, so the checks run on every core at once;
    # the rows keep the order of the checks
    workers = max(1, min(len(checks), os.cpu_count() or 1))
    context = contextvars.copy_context()  # the caller's sandbox (relgraph.guard) applies there too
    with (
        concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="relgraph-shacl") as pool,
        progress(len(checks), "checking the shapes") as update,  # a bar if it takes a while
    ):
        futures = [pool.submit(context.copy().run, run, check) for check in checks]
        for done, _future in enumerate(concurrent.futures.as_completed(futures), start=1):
            update(done)
        return [row for future in futures for row in future.result()]


def with_generic_messages(
    rows: Sequence[ResultRow], shapes: rdflib.Graph, store: ox.Store
) -> list[ResultRow]:
    """Give the results of shapes without ``sh:message`` the message pyshacl makes up for them.

    pyshacl's own constraint components write it ("Less than 1 values on rgd:x->rg:date"), from a
    graph with the prefixes of :data:`relgraph.prefixes.PREFIXES`, as the data it validates has, and
    the triples of the blank nodes it names; so both engines say the same. A component that cannot
    write one leaves the result without a message.

    :param rows: the results.
    :param shapes: the shapes graph.
    :param store: the data, for the blank nodes a message shows.
    """
    if all(row.check.messages for row in rows):
        return list(rows)  # the shipped shapes all have messages: pyshacl is not even imported
    import pyshacl
    from pyshacl.constraints import ALL_CONSTRAINT_COMPONENTS
    from pyshacl.constraints.core.shape_based_constraints import QualifiedValueShapeConstraintComponent

    from relgraph.prefixes import PREFIXES

    classes = {URIRef(f"{SH}{c.constraint_name()}"): c for c in ALL_CONSTRAINT_COMPONENTS}
    for bound in ("Min", "Max"):  # the two components of sh:qualifiedValueShape are one class in pyshacl
        classes[URIRef(f"{SH}Qualified{bound}CountConstraintComponent")] = (
            QualifiedValueShapeConstraintComponent
        )
    by_node = {shape.node: shape for shape in pyshacl.ShapesGraph(shapes).shapes}
    data = rdflib.Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        data.bind(prefix, namespace)
    described: set[Node] = set()

    def describe(node: Node | None, depth: int = 0) -> None:  # a blank node's triples, as pyshacl shows them
        if not isinstance(node, BNode) or node in described or depth > _BLANK_DEPTH:
            return
        described.add(node)
        for quad in store.quads_for_pattern(ox.BlankNode(str(node)), None, None, ox.DefaultGraph()):
            if isinstance(quad.object, ox.Triple):
                continue  # an RDF 1.2 triple term: not compiled (run_checks)
            value = to_rdflib(quad.object)
            data.add((node, to_rdflib(quad.predicate), value))
            describe(value, depth + 1)

    components: dict[tuple[Node, URIRef], object] = {}
    out = []
    for row in rows:
        if row.check.messages:
            out.append(row)
            continue
        describe(row.focus)
        describe(row.value)
        key = (row.check.shape, row.check.component)
        try:
            if key not in components:
                components[key] = classes[row.check.component](by_node[row.check.shape])
            made = components[key].make_generic_messages(data, row.focus, row.value)  # type: ignore[attr-defined]
        except Exception:  # a component pyshacl cannot load here: no message, as before
            made = []
        out.append(dataclasses.replace(row, messages=tuple(m for m in made if isinstance(m, Literal))))
    return out


def report_graph(rows: Sequence[ResultRow], shapes: rdflib.Graph, conforms: bool) -> rdflib.Graph:
    """Write results as a SHACL validation report graph, as pyshacl does.

    :param rows: the results.
    :param shapes: the shapes graph (paths are copied from it).
    :param conforms: the value of ``sh:conforms``.
    """
    report = rdflib.Graph()
    report.bind("sh", SH)
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, Literal(conforms)))
    for row in rows:
        node = BNode()
        report.add((root, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.focusNode, row.focus))
        report.add((node, SH.resultSeverity, row.check.severity))
        report.add((node, SH.sourceShape, row.check.shape))
        report.add((node, SH.sourceConstraintComponent, row.check.component))
        for message in row.check.messages or row.messages:
            report.add((node, SH.resultMessage, message))
        if row.value is not None:
            report.add((node, SH.value, row.value))
        if row.check.path is not None:
            report.add((node, SH.resultPath, row.check.path))
            if isinstance(row.check.path, BNode):
                for triple in shapes.cbd(row.check.path):
                    report.add(triple)
    return report


def validate_store(
    store: ox.Store,
    shapes: rdflib.Graph,
    *,
    focus: Iterable[ox.NamedNode | ox.BlankNode] | None = None,
    strict: bool = False,
    checks: Sequence[Check] | None = None,
) -> tuple[rdflib.Graph, rdflib.Graph]:
    """Validate the store's default graph with compiled checks.

    :param store: the data.
    :param shapes: the shapes graph.
    :param focus: report only these focus nodes (see :func:`run_checks`).
    :param strict: warnings and infos make the data not conform too.
    :param checks: the compiled shapes, if already compiled.
    :return: the SHACL report graph, and a graph of the labels of the focus nodes in it (and the
        literals of its blank nodes, to find where they are written).
    :raises NotCompilableError: if the shapes use a feature the compiler does not cover.
    """
    rows = with_generic_messages(
        run_checks(store, compile_shapes(shapes) if checks is None else checks, focus), shapes, store
    )
    conforms = not any(strict or row.check.severity == SH.Violation for row in rows)
    labels = rdflib.Graph()
    nodes = {row.focus for row in rows if isinstance(row.focus, URIRef)}
    if nodes:
        label_query = (
            "SELECT ?s ?p ?o WHERE { VALUES ?s { "
            + " ".join(f"<{n}>" for n in nodes)
            + f" }} VALUES ?p {{ <{RDFS.label}> <{SKOS_PREF_LABEL}> }} ?s ?p ?o }}"
        )
        answer = store.query(label_query)
        assert isinstance(answer, ox.QuerySolutions)
        for s, p, o in answer:
            assert isinstance(s, ox.NamedNode) and isinstance(p, ox.NamedNode) and isinstance(o, ox.Literal)
            labels.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    for blank in {
        row.focus for row in rows if isinstance(row.focus, BNode)
    }:  # their literals, to locate them
        for quad in store.quads_for_pattern(ox.BlankNode(str(blank)), None, None, ox.DefaultGraph()):
            if isinstance(quad.object, ox.Literal):
                labels.add((blank, to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return report_graph(rows, shapes, conforms), labels


def _remove_all(store: ox.Store, quads: list[ox.Quad]) -> None:
    for quad in quads:
        store.remove(quad)


def validate_kg(
    base: KnowledgeGraph,
    new: KnowledgeGraph,
    shapes: rdflib.Graph,
    *,
    strict: bool = False,
    whole_graph: bool = False,
) -> tuple[rdflib.Graph, rdflib.Graph] | None:
    """Validate ``base`` with ``new`` added; None if the shapes use a feature not compiled.

    Without new triples the whole graph is validated. With them, they are added to ``base``'s store
    for the validation and removed afterwards, and only the nodes ``new`` mentions (as subject or
    object) and the nodes of ``base`` that point to its subjects are reported: the nodes whose
    constraints the new triples can change, for shapes whose paths and SPARQL reach two steps. Named
    nodes are checked one by one; blank nodes, which a query cannot name, by running each check on the
    blank nodes of its whole target and keeping theirs (slower on a big graph). New ``rdfs:subClassOf``
    triples change which nodes every class's shapes target, at any distance: the whole graph is
    validated then, as with ``whole_graph``.

    :param base: the existing graph.
    :param new: the new data.
    :param shapes: the shapes graph.
    :param strict: warnings and infos make the data not conform too.
    :param whole_graph: report every node of the graph with ``new`` added, as pyshacl does, not only
        those near the new triples.
    :raises QueryTimeoutError: if the checks run past the query timeout (:mod:`relgraph.limits`).
    :raises RelgraphError: if ``base``'s store cannot be read (a damaged on-disk store).
    """
    try:
        checks = compile_shapes(shapes)
    except NotCompilableError:
        return None
    from relgraph.limits import run_in_thread

    store = base.oxigraph
    with contextlib.ExitStack() as cleanup:
        try:
            added = [q for q in new.quads() if q not in store]
            focus: set[ox.NamedNode | ox.BlankNode] | None = None
            schema = next(new.oxigraph.quads_for_pattern(None, _SUBCLASS_OF, None), None) is not None
            if len(new) and not whole_graph and not schema:
                nodes = (ox.NamedNode, ox.BlankNode)
                subjects = {q.subject for q in new.quads() if isinstance(q.subject, nodes)}
                focus = set(subjects) | {q.object for q in new.quads() if isinstance(q.object, nodes)}
                for subject in subjects:
                    focus.update(
                        q.subject
                        for q in store.quads_for_pattern(None, None, subject, ox.DefaultGraph())
                        if isinstance(q.subject, nodes)
                    )
            if added:
                try:
                    store.extend(added)
                    # at the end (at the timeout too) the new triples are taken out at once, while
                    # the checks, which cannot be interrupted, finish on their thread unawaited
                    cleanup.callback(_remove_all, store, added)
                except (OSError, RuntimeError):  # a read-only on-disk store (--store): a scratch copy
                    store = cleanup.enter_context(base.writable_copy())
                    try:
                        store.extend(added)
                    except (OSError, RuntimeError) as error:  # a full disk, say: not a damaged store
                        message = one_line(str(error))
                        raise RelgraphError(
                            f"cannot add the new triples to a copy of the store: {message}"
                        ) from error
        except (OSError, RuntimeError) as error:  # the store could not be read (a damaged on-disk store)
            raise RelgraphError(f"cannot read the graph: {one_line(str(error))}") from error
        try:
            return run_in_thread(  # with the query timeout
                lambda: validate_store(store, shapes, focus=focus, strict=strict, checks=checks),
                what="validation",
            )
        except NotCompilableError:
            return None
        finally:
            store = base.oxigraph  # a scratch copy is let go, so closed before its folder is deleted
