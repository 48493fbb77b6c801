"""Explain a resource: what the graph says about it, each fact with the sentence it comes from.

The SPARQL lives in ``queries/internal/*.rq`` (the same header format as the canned queries); this
module binds the resource as an RDF term, runs them and lays out the answer.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, XSD, Literal, URIRef

from relgraph import resources
from relgraph.catalogue import CannedQuery, convert_value
from relgraph.errors import UsageError
from relgraph.namespaces import RG
from relgraph.results import QueryResult
from relgraph.store import KnowledgeGraph
from relgraph.terms import RdfTerm, lexical, shorten

__all__ = ["Evidence", "Explanation", "Fact", "explain", "resolve"]


@dataclass(frozen=True)
class Evidence:
    """A span of a source text that states facts: where it is and what it says."""

    iri: URIRef
    source: str
    file: str | None
    start: int | None
    end: int | None
    exact: str | None

    def line(self) -> str:
        """Return ``file[start:end]: "exact text"``."""
        where = self.file or self.source
        if self.start is not None and self.end is not None:
            where += f"[{self.start}:{self.end}]"
        return f'{where}: "{self.exact}"' if self.exact else where


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
        out = [f"{self.label or shorten(self.entity)} = {shorten(self.entity)}"]
        if self.types:
            out.append("  a " + ", ".join(shorten(t) for t in self.types))
        out.append("")
        out.append("Stated in:" if self.evidence else "Stated in: (reference data: no source sentence)")
        out.extend(f"  {e.line()}" for e in self.evidence)
        out.append("")
        out.append("Facts:")
        for fact in self.outgoing:
            if fact.property == RDF.type:
                continue
            out.append(f"  {shorten(fact.property)} {_term(fact.value, fact.other_label)}")
        if self.incoming:
            out.append("")
            out.append("Referred to by:")
            for fact in self.incoming:
                out.append(f"  {_term(fact.subject, fact.other_label)} {shorten(fact.property)}")
                out.extend(f"      stated in {e.line()}" for e in fact.evidence)
        return "\n".join(out) + "\n"

    def _json(self) -> dict[str, Any]:
        def fact(f: Fact) -> dict[str, Any]:
            return {
                "subject": str(f.subject),
                "property": str(f.property),
                "value": str(f.value),
                **_kind(f.value),
                "label": f.other_label,
                "evidence": [e.__dict__ | {"iri": str(e.iri)} for e in f.evidence],
            }

        return {
            "entity": str(self.entity),
            "label": self.label,
            "types": [str(t) for t in self.types],
            "evidence": [e.__dict__ | {"iri": str(e.iri)} for e in self.evidence],
            "facts": [fact(f) for f in self.outgoing],
            "referred_to_by": [fact(f) for f in self.incoming],
        }


def _term(term: RdfTerm, label: str | None) -> str:
    """Write a term as Turtle does: a literal with its language or datatype, a blank node as ``_:id``.

    (A literal was written as its text alone: the integer 5 and the string "5", and a blank node and
    a string, could not be told apart.)
    """
    if isinstance(term, URIRef):
        return f"{shorten(term)} ({label})" if label else shorten(term)
    return shorten(term)


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

    :param kg: the knowledge graph.
    :param entity: what the user typed.
    :raises UsageError: if nothing, or more than one resource, has that name, or an IRI is invalid.

    >>> kg = KnowledgeGraph.default()
    >>> resolve(kg, "vani rao")
    rdflib.term.URIRef('https://w3id.org/relgraph/id/vani-rao')
    """
    text = unicodedata.normalize("NFC", entity.strip())  # "José" typed decomposed (NFD) is found too
    if text.startswith("<") or "://" in text or text.startswith("urn:"):
        try:
            return URIRef(str(convert_value(text, "iri")))
        except ValueError as error:
            raise UsageError(str(error)) from None
    not_a_name = ""  # why text that looks like a prefixed name is not one, for the message
    if ":" in text and " " not in text:
        try:
            iri = URIRef(str(convert_value(text, "iri")))
        except ValueError as error:
            iri, not_a_name = None, f"; as a prefixed name: {error}"
        if iri is not None and (_mentioned(kg, iri) or _property_uses(kg, iri)):
            return iri
    rows = _internal("resolve-name").run(kg, {"name": text}).rows
    decomposed = unicodedata.normalize("NFD", text)
    if not rows and decomposed != text:  # a label written decomposed in the data
        rows = _internal("resolve-name").run(kg, {"name": decomposed}).rows
    found = [row[0] for row in rows if isinstance(row[0], URIRef)]
    if not found:
        raise UsageError(
            f"nothing in the graph is called {entity!r} (give an IRI, a prefixed name or a label){not_a_name}"
        )
    if len(found) > 1:
        names = ", ".join(shorten(f) for f in found)
        raise UsageError(f"{entity!r} names {len(found)} resources: {names}; give one of them")
    return found[0]


def _mentioned(kg: KnowledgeGraph, iri: URIRef) -> bool:
    return bool(_run(kg, "explain-outgoing", entity=iri).rows) or bool(
        _run(kg, "explain-incoming", entity=iri).rows
    )


def _property_uses(kg: KnowledgeGraph, iri: URIRef) -> int:
    """Return how many triples have ``iri`` as their property."""
    rows = _run(kg, "property-uses", property=iri).rows
    return sum(int(str(row[1])) for row in rows)  # no row: no triple


def _evidence(
    kg: KnowledgeGraph, node: RdfTerm, cache: dict[RdfTerm, tuple[Evidence, ...]]
) -> tuple[Evidence, ...]:
    if node in cache:
        return cache[node]
    found: tuple[Evidence, ...] = ()
    if isinstance(node, URIRef):
        rows = _run(kg, "explain-evidence", node=node).rows
        found = tuple(
            Evidence(
                iri=URIRef(str(evidence)),
                source=lexical(source_label) if source_label is not None else shorten(source),  # type: ignore[arg-type]
                file=None if file is None else lexical(file),
                start=None if start is None else int(lexical(start)),
                end=None if end is None else int(lexical(end)),
                exact=None if exact is None else lexical(exact),
            )
            for evidence, source, source_label, file, start, end, exact, _node in rows
        )
    cache[node] = found
    return found


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
    cache: dict[RdfTerm, tuple[Evidence, ...]] = {}
    own = _evidence(kg, iri, cache)
    outgoing = [
        Fact(iri, prop, value, None if label is None else lexical(label), own)  # type: ignore[arg-type]
        for prop, value, label, _entity in _run(kg, "explain-outgoing", entity=iri).rows
    ]
    incoming = [
        Fact(subject, prop, iri, None if label is None else lexical(label), _evidence(kg, subject, cache))  # type: ignore[arg-type]
        for subject, prop, label, _entity in _run(kg, "explain-incoming", entity=iri).rows
        if prop != RG.statedIn
    ]
    if not outgoing and not incoming:
        uses = _property_uses(kg, iri)
        if uses:  # rdf:type: "nothing in the graph is called 'rdf:type'", though every node has one
            raise UsageError(
                f"{shorten(iri)} is used only as a property, in {uses} triple{'s' if uses > 1 else ''}: "
                "the graph says nothing "
                "about it itself (relgraph sparql can ask about its uses)"
            )
        raise UsageError(f"the graph says nothing about {shorten(iri)}")
    labels = [f.value for f in outgoing if f.property == RDFS.label]
    types = [f.value for f in outgoing if f.property == RDF.type]
    return Explanation(
        entity=iri,
        label=lexical(labels[0]) if labels else None,
        types=types,
        outgoing=outgoing,
        incoming=incoming,
        evidence=own,
    )
