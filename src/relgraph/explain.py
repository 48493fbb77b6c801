"""Explain a resource: what the graph says about it, each fact with the sentence it comes from.

The SPARQL lives in ``queries/internal/*.rq`` (the same header format as the canned queries); this
module binds the resource as an RDF term, runs them and lays out the answer.

The text form is for people at a terminal: whatever in it comes from the data (a label, a quote, a
file name, an IRI) is written out with the escapes of a table of query results
(:func:`relgraph.results.format_table`), so that no label can colour the terminal, set its title or
forge a line. The JSON form gives the data as it is, a blank node written ``_:id`` (as
:func:`~relgraph.terms.lexical` writes it), never to be taken for an IRI.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

from rdflib import RDF, RDFS, XSD, BNode, Literal, URIRef

from relgraph import resources
from relgraph.catalogue import CannedQuery, convert_value
from relgraph.errors import UsageError
from relgraph.namespaces import RG
from relgraph.results import QueryResult, terminal_text
from relgraph.store import KnowledgeGraph
from relgraph.terms import RdfTerm, english_first, lexical, shorten, to_oxigraph

__all__ = ["Evidence", "Explanation", "Fact", "explain", "resolve"]


@dataclass(frozen=True)
class Evidence:
    r"""A span of a source text that states facts: where it is and what it says.

    :param iri: the evidence node (an IRI, or a blank node).
    :param source: the label of its source (English first), or the source's IRI where it has none.
    :param file: the source's text file.
    :param start: the offset of the quote's first character in the text.
    :param end: the offset after its last character.
    :param exact: the quote.
    :param offsets_problem: why the data's offsets are left out (``start`` and ``end`` are then
        :data:`None`): not ``xsd:integer`` values of 0 or more, or a start after the end.

    >>> ev = Evidence(URIRef("https://w3id.org/relgraph/id/e"), "S", "s.txt", 0, 9, "Hi\x1b[2J\nNo")
    >>> print(ev.line())
    s.txt[0:9]: "Hi\x1b[2J\nNo"
    >>> print(Evidence(BNode("e"), "S", None, None, None, "Hi", 'oa:start "x" is not an xsd:integer').line())
    S (offsets left out: oa:start "x" is not an xsd:integer): "Hi"
    """

    iri: URIRef | BNode
    source: str
    file: str | None
    start: int | None
    end: int | None
    exact: str | None
    offsets_problem: str | None = None

    def line(self) -> str:
        """Return ``file[start:end]: "exact text"``, every character a terminal would act on escaped."""
        where = _text(self.file or self.source)
        if self.start is not None and self.end is not None:
            where += f"[{self.start}:{self.end}]"
        if self.offsets_problem:
            where += f" (offsets left out: {_text(self.offsets_problem, turtle=True)})"
        return f'{where}: "{_text(self.exact)}"' if self.exact else where

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form: ``iri`` is the IRI, or ``_:id`` for a blank node."""
        return {
            "iri": lexical(self.iri),
            "source": self.source,
            "file": self.file,
            "start": self.start,
            "end": self.end,
            "exact": self.exact,
            "offsets_problem": self.offsets_problem,
        }


@dataclass(frozen=True)
class Fact:
    """One triple about the explained resource, with the evidence that states it.

    For an outgoing fact ``(entity, property, value)`` the evidence is the entity's own; for an
    incoming fact ``(subject, property, entity)`` it is the subject's (a session role, post holding,
    outcome or status record stating the relation). No evidence means reference data.
    """

    subject: RdfTerm
    property: RdfTerm
    value: RdfTerm
    other_label: str | None
    evidence: tuple[Evidence, ...]


@dataclass
class Explanation:
    """Everything the graph says about one resource."""

    entity: URIRef
    label: str | None
    types: list[RdfTerm]
    outgoing: list[Fact] = field(default_factory=list)
    incoming: list[Fact] = field(default_factory=list)
    evidence: tuple[Evidence, ...] = ()

    def render(self, fmt: str = "text") -> str:
        """Render as ``text`` (for people) or ``json``.

        :param fmt: ``text`` or ``json``.
        :raises ValueError: for another format.
        """
        if fmt == "json":
            return json.dumps(self._json(), indent=2, ensure_ascii=False) + "\n"
        if fmt != "text":
            raise ValueError(f"unknown explain format {fmt!r}")
        entity = _turtle(self.entity)
        out = [f"{_text(self.label) if self.label else entity} = {entity}"]
        if self.types:
            out.append("  a " + ", ".join(_turtle(t) for t in self.types))
        out.append("")
        out.append("Stated in:" if self.evidence else "Stated in: (reference data: no source sentence)")
        out.extend(f"  {e.line()}" for e in self.evidence)
        out.append("")
        out.append("Facts:")
        for fact in self.outgoing:
            if fact.property == RDF.type:
                continue
            out.append(f"  {_turtle(fact.property)} {_term(fact.value, fact.other_label)}")
        if self.incoming:
            out.append("")
            out.append("Referred to by:")
            for fact in self.incoming:
                out.append(f"  {_term(fact.subject, fact.other_label)} {_turtle(fact.property)}")
                out.extend(f"      stated in {e.line()}" for e in fact.evidence)
        return "\n".join(out) + "\n"

    def _json(self) -> dict[str, Any]:
        def fact(f: Fact) -> dict[str, Any]:
            return {
                "subject": lexical(f.subject),
                "property": lexical(f.property),
                "value": lexical(f.value),
                **_kind(f.value),
                "label": f.other_label,
                "evidence": [e.to_json() for e in f.evidence],
            }

        return {
            "entity": lexical(self.entity),
            "label": self.label,
            "types": [lexical(t) for t in self.types],
            "evidence": [e.to_json() for e in self.evidence],
            "facts": [fact(f) for f in self.outgoing],
            "referred_to_by": [fact(f) for f in self.incoming],
        }


def _term(term: RdfTerm, label: str | None) -> str:
    """Write a term as Turtle does: a literal with its language or datatype, a blank node as ``_:id``.

    (A literal was written as its text alone: the integer 5 and the string "5", and a blank node and
    a string, could not be told apart.) An IRI is followed by its label, if it has one.
    """
    if isinstance(term, URIRef):
        return f"{_turtle(term)} ({_text(label)})" if label else _turtle(term)
    return _turtle(term)


def _text(text: str, *, turtle: bool = False) -> str:
    r"""Write text of the data for a terminal (:func:`relgraph.results.terminal_text`).

    :param turtle: the text is a term as :func:`~relgraph.terms.shorten` writes it, whose backslashes
        are escapes already.

    >>> print(_text("a\x1b[31m\u202e"))
    a\x1b[31m\u202e
    """
    return terminal_text(text, escape_backslashes=not turtle)


def _turtle(term: RdfTerm) -> str:
    r"""Write a term as Turtle does (:func:`~relgraph.terms.shorten`), escaped for a terminal (:func:`_text`).

    >>> print(_turtle(Literal("a\\b\x9b\u202e")))
    "a\\b\x9b\u202e"
    """
    return _text(shorten(term), turtle=True)


def _kind(term: RdfTerm) -> dict[str, str | None]:
    """Return what a term is, for the JSON form: ``value_kind`` (iri, literal, blank node) and more.

    >>> _kind(Literal("5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")))
    {'value_kind': 'literal', 'datatype': 'http://www.w3.org/2001/XMLSchema#integer', 'language': None}
    """
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype is not None else None
        if datatype is None:
            datatype = str(RDF.langString) if term.language else str(XSD.string)
        return {"value_kind": "literal", "datatype": datatype, "language": term.language}
    return {"value_kind": "iri" if isinstance(term, URIRef) else "blank node"}


@cache
def _internal(name: str) -> CannedQuery:
    return CannedQuery.from_file(Path(resources.queries_dir(), "internal", f"{name}.rq"))


def _run(kg: KnowledgeGraph, name: str, **terms: RdfTerm) -> QueryResult:
    """Run an internal query with its parameters bound to these terms.

    The terms come from the graph: they are bound as they are, not through the text a user types
    for a parameter (whose IRIs must be http(s) or urn; the graph's may be tag:, mailto: ...).
    """
    query = _internal(name)
    return kg.query(query.text, terms, source=str(query.path))


def resolve(kg: KnowledgeGraph, entity: str) -> URIRef:
    """Turn an IRI, ``<IRI>``, prefixed name or name (label) into the IRI of one resource.

    An IRI or a prefixed name is taken as typed: RDF compares IRIs code point by code point, so an IRI
    written decomposed (NFD) is another IRI than the one written composed (NFC) (the message says so
    when only the other is in the graph). A name is compared in Unicode NFC: it is looked up composed
    and decomposed at once, so a label written either way is found, and two labels that differ only
    in that both are (the name is then ambiguous).

    :param kg: the knowledge graph.
    :param entity: what the user typed.
    :raises UsageError: if nothing, or more than one resource, has that name, an IRI is invalid, or the
        text is not text (a byte that is not UTF-8 on the command line).

    >>> kg = KnowledgeGraph.default()
    >>> resolve(kg, "vani rao")
    rdflib.term.URIRef('https://w3id.org/relgraph/id/vani-rao')
    """
    if not isinstance(cast(object, entity), str):  # a library caller's None was an AttributeError
        raise UsageError(f"the resource to explain must be text, not {type(entity).__name__}")
    _check_text(entity)
    text = entity.strip()
    if text.startswith("<") or "://" in text or text.startswith("urn:"):
        try:
            return URIRef(str(convert_value(text, "iri")))
        except ValueError as error:
            raise UsageError(str(error)) from None
    not_a_name = ""  # why text that looks like a prefixed name is not one, for the message
    iri: URIRef | None = None
    if ":" in text and " " not in text:
        try:
            iri = URIRef(str(convert_value(text, "iri")))
        except ValueError as error:
            not_a_name = f"; as a prefixed name: {error}"
        else:
            if _mentioned(kg, iri) or _property_uses(kg, iri):
                return iri
    forms = {"name": unicodedata.normalize("NFC", text), "decomposed": unicodedata.normalize("NFD", text)}
    rows = _internal("resolve-name").run(kg, forms).rows
    found = list(dict.fromkeys(row[0] for row in rows if isinstance(row[0], URIRef)))
    if not found:
        raise UsageError(
            f"nothing in the graph is called {entity!r} (give an IRI, a prefixed name or a label){not_a_name}"
            + (_other_form(kg, iri) if iri is not None else "")
        )
    if len(found) > 1:
        names = ", ".join(_turtle(f) for f in found)
        raise UsageError(f"{entity!r} names {len(found)} resources: {names}; give one of them")
    return found[0]


def _check_text(entity: str) -> None:
    r"""Refuse a lone surrogate: how Python gives a byte of the command line that is not UTF-8.

    :raises UsageError: naming the byte.

    >>> _check_text("Jos\udce9")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.errors.UsageError: ENTITY is not UTF-8 text (byte 0xe9 at character 4); give a name, ...
    """
    bad = _SURROGATE.search(entity)
    if bad is None:
        return
    code = ord(bad.group())
    what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"a lone surrogate U+{code:04X}"
    raise UsageError(
        f"ENTITY is not UTF-8 text ({what} at character {bad.start() + 1}); "
        "give a name, an IRI or a prefixed name in UTF-8"
    )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _other_form(kg: KnowledgeGraph, iri: URIRef) -> str:
    """Return, for a message, the IRI of the graph that differs from ``iri`` only in Unicode normalisation.

    :returns: ``"; rgd:josé is in the graph, ..."``, or ``""`` if there is none.
    """
    for form in ("NFC", "NFD"):
        other = URIRef(unicodedata.normalize(form, str(iri)))
        if other == iri:
            continue
        try:
            to_oxigraph(other)
        except ValueError:
            continue
        if _mentioned(kg, other) or _property_uses(kg, other):
            return (
                f"; {_turtle(other)} ({str(other)!a}) is in the graph: the same IRI written in Unicode "
                f"{form}, which RDF takes for another (IRIs are compared code point by code point)"
            )
    return ""


def _mentioned(kg: KnowledgeGraph, iri: URIRef) -> bool:
    return bool(_run(kg, "explain-outgoing", entity=iri).rows) or bool(
        _run(kg, "explain-incoming", entity=iri).rows
    )


def _property_uses(kg: KnowledgeGraph, iri: URIRef) -> int:
    """Return how many triples have ``iri`` as their property."""
    rows = _run(kg, "property-uses", property=iri).rows
    return sum(int(str(row[1])) for row in rows)  # no row: no triple


def _evidence(kg: KnowledgeGraph, query: str, entity: URIRef) -> dict[RdfTerm, tuple[Evidence, ...]]:
    """Return the evidence resources are stated in (``rg:statedIn``), one for each evidence node.

    :param kg: the knowledge graph.
    :param query: ``explain-evidence`` (what the resource itself is stated in) or
        ``explain-referrers-evidence`` (what each resource referring to it is stated in, blank nodes
        too: one query for all of them, where a query for each would bind a blank node by
        substitution alone, which the store does not plan for: it read every ``rg:statedIn`` triple).
    :param entity: the resource explained.
    :returns: resource -> its evidence (see :func:`_one_evidence`), in the order of their offsets, then
        of their nodes.
    """
    rows: dict[RdfTerm, dict[RdfTerm, list[Sequence[RdfTerm | None]]]] = {}
    for row in _run(kg, query, entity=entity).rows:
        node, evidence = cast(RdfTerm, row[7]), cast(RdfTerm, row[0])
        rows.setdefault(node, {}).setdefault(evidence, []).append(row)
    return {
        node: tuple(
            sorted(
                (_one_evidence(evidence, its) for evidence, its in found.items()),
                key=lambda e: (e.start is not None, e.start or 0, e.end or 0, lexical(e.iri)),
            )
        )
        for node, found in rows.items()
    }


def _one_evidence(evidence: RdfTerm, rows: Sequence[Sequence[RdfTerm | None]]) -> Evidence:
    """Make one :class:`Evidence` of the rows about one evidence node (see :func:`_evidence`).

    Where the data has more than one value, the least one is taken (a label in English first), so that
    the answer does not depend on the order of the rows.
    """
    source = min((cast(RdfTerm, row[1]) for row in rows), key=lexical)
    own = [row for row in rows if row[1] == source]
    label = _preferred(row[2] for row in own)
    files = sorted({lexical(row[3]) for row in own if row[3] is not None})
    quotes = sorted({lexical(row[6]) for row in rows if row[6] is not None})
    offsets = [
        _offsets(start, end)
        for start, end in {(row[4], row[5]) for row in rows if row[4] is not None and row[5] is not None}
    ]
    spans = sorted(o for o in offsets if isinstance(o, tuple))
    problems = sorted(o for o in offsets if isinstance(o, str))
    start, end = spans[0] if spans else (None, None)
    return Evidence(
        iri=cast(URIRef | BNode, evidence),
        source=label if label is not None else shorten(source),
        file=files[0] if files else None,
        start=start,
        end=end,
        exact=quotes[0] if quotes else None,
        offsets_problem=None if spans or not problems else problems[0],
    )


def _offsets(start: RdfTerm, end: RdfTerm) -> tuple[int, int] | str:
    """Return the offsets of a position selector, or why they are not offsets (the data may be invalid).

    >>> _offsets(Literal(3), Literal(10))
    (3, 10)
    >>> _offsets(Literal("1.5", datatype=XSD.decimal), Literal(3))
    'oa:start "1.5"^^xsd:decimal is not an xsd:integer of 0 or more'
    >>> _offsets(Literal(9), Literal(3))
    'oa:start 9 is after oa:end 3'
    """
    numbers = []
    for name, term in (("oa:start", start), ("oa:end", end)):
        text = lexical(term).strip(" \t\n\r")  # xsd:integer collapses white space
        # not int(): it takes "1_000", Arabic-Indic digits, and refuses more than 4300 digits
        if not (isinstance(term, Literal) and term.datatype in _INTEGER_TYPES and _OFFSET.fullmatch(text)):
            return f"{name} {shorten(term)} is not an xsd:integer of 0 or more"
        numbers.append(int(text))
    if numbers[0] > numbers[1]:
        return f"oa:start {numbers[0]} is after oa:end {numbers[1]}"
    return numbers[0], numbers[1]


_OFFSET = re.compile(r"\+?[0-9]{1,18}|-0{1,18}")
_INTEGER_TYPES = frozenset(
    XSD[name]
    for name in [
        "integer",
        "nonNegativeInteger",
        "positiveInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
)


def _preferred(labels: Iterable[RdfTerm | None]) -> str | None:
    """Return the label to show of a resource's labels: in English, else without a language, else any.

    Of several as good, the least text: the choice does not depend on the order of a query's rows.

    >>> _preferred([Literal("रिपोर्ट", lang="hi"), None, Literal("Report", lang="en"), Literal("Rapport")])
    'Report'
    >>> _preferred([None]) is None
    True
    """
    chosen = english_first(label for label in labels if label is not None)
    return None if chosen is None else lexical(chosen)


def _labelled(rows: Iterable[Sequence[RdfTerm | None]]) -> list[tuple[RdfTerm, RdfTerm, str | None]]:
    """Return the triples of ``explain-outgoing.rq`` or ``explain-incoming.rq``, each with its label.

    Their rows are one for each label of the other resource of a triple; the one shown is
    :func:`_preferred`.
    """
    labels: dict[tuple[RdfTerm, RdfTerm], list[RdfTerm | None]] = {}
    for first, second, label, *_entity in rows:
        labels.setdefault((cast(RdfTerm, first), cast(RdfTerm, second)), []).append(label)
    return [(first, second, _preferred(found)) for (first, second), found in labels.items()]


def explain(kg: KnowledgeGraph, entity: str) -> Explanation:
    """Say what the graph holds about a resource, each fact with its source sentence.

    :param kg: the knowledge graph.
    :param entity: an IRI, ``<IRI>``, prefixed name or label.
    :raises UsageError: if the resource cannot be found, or the name is ambiguous.

    >>> kg = KnowledgeGraph.default()
    >>> ex = explain(kg, "Vishwesh Negi")
    >>> agent = URIRef("http://www.w3.org/ns/prov#agent")
    >>> roles = [f for f in ex.incoming if f.property == agent and "-07-" in str(f.subject)]  # session 7
    >>> [shorten(f.subject) for f in roles]
    ['rgd:us-india-2plus2-intersessional-07-co-chair-vishwesh-negi']
    >>> roles[0].evidence[0].start
    535
    """
    iri = resolve(kg, entity)
    own = _evidence(kg, "explain-evidence", iri).get(iri, ())
    referrers = _evidence(kg, "explain-referrers-evidence", iri)
    outgoing = [
        Fact(iri, prop, value, label, own)
        for prop, value, label in _labelled(_run(kg, "explain-outgoing", entity=iri).rows)
    ]
    incoming = [
        Fact(subject, prop, iri, label, referrers.get(subject, ()))
        for subject, prop, label in _labelled(_run(kg, "explain-incoming", entity=iri).rows)
        if prop != RG.statedIn
    ]
    if not outgoing and not incoming:
        uses = _property_uses(kg, iri)
        if uses:  # rdf:type: "nothing in the graph is called 'rdf:type'", though every node has one
            raise UsageError(
                f"{_turtle(iri)} is used only as a property, in {uses} triple{'s' if uses > 1 else ''}: "
                "the graph says nothing "
                "about it itself (relgraph sparql can ask about its uses)"
            )
        raise UsageError(f"the graph says nothing about {_turtle(iri)}{_other_form(kg, iri)}")
    types = [f.value for f in outgoing if f.property == RDF.type]
    return Explanation(
        entity=iri,
        label=_preferred(f.value for f in outgoing if f.property == RDFS.label),
        types=types,
        outgoing=outgoing,
        incoming=incoming,
        evidence=own,
    )
