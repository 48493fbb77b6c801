"""Conversion between pyoxigraph terms and rdflib terms, and their text forms.

The store works with pyoxigraph terms; everything relgraph hands to users (query results,
:meth:`relgraph.store.KnowledgeGraph.to_rdflib`) uses rdflib terms. Literals keep their lexical
form both ways (rdflib's normalisation is switched off), as the store holds it: Oxigraph keeps
numbers, booleans and dates in their canonical form (``"01"^^xsd:integer`` is stored as ``1``). A
``xsd:string`` literal is a plain rdflib literal (no datatype). pyoxigraph lower-cases language
tags, so ``"x"@EN`` comes back as ``"x"@en``. RDF 1.2 triple terms and base directions have no
rdflib equivalent and are refused with :class:`ValueError`.

rdflib is imported only when an rdflib term is made or met, so a command that works with
pyoxigraph terms throughout (``relgraph query``) does not pay for importing it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import pyoxigraph as ox

from relgraph.prefixes import PREFIXES

if TYPE_CHECKING:
    from rdflib.term import BNode, Literal, URIRef

__all__ = [
    "OxTerm",
    "RdfTerm",
    "english_first",
    "iri_problem",
    "lexical",
    "quad_to_rdflib",
    "shorten",
    "to_n3",
    "to_oxigraph",
    "to_rdflib",
    "triple_to_oxigraph",
    "triple_to_rdflib",
]

_Term = TypeVar("_Term")
#: a pyoxigraph RDF term as stored (triple terms are never stored by relgraph)
OxTerm: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal
_OX_TERMS = (ox.NamedNode, ox.BlankNode, ox.Literal)
if TYPE_CHECKING:
    #: an rdflib RDF term: what query results and ``to_rdflib()`` contain
    RdfTerm: TypeAlias = URIRef | BNode | Literal


def __getattr__(name: str) -> Any:
    """Make ``RdfTerm`` on first use (importing rdflib)."""
    if name == "RdfTerm":
        from rdflib.term import BNode, Literal, URIRef

        return URIRef | BNode | Literal
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_XSD_STRING = PREFIXES["xsd"] + "string"
# characters an IRI may not contain (RFC 3987 and the N-Triples IRIREF production)
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')


def iri_problem(text: str) -> str | None:
    """Return why ``text`` is not a valid absolute IRI, or :data:`None` if it is one.

    :param text: the IRI, without angle brackets.

    >>> iri_problem("https://w3id.org/relgraph/id/ann") is None
    True
    >>> iri_problem("http://ex/a b")
    "it contains ' '"
    """
    bad = _IRI_FORBIDDEN.search(text)
    if bad is not None:
        return f"it contains {bad.group()!r}"
    try:
        ox.NamedNode(text)
    except ValueError as error:
        return str(error)
    return None


# Turtle / SPARQL PN_LOCAL, without backslash escapes (a local name needing them is written <iri>).
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PERCENT = "%[0-9A-Fa-f]{2}"


@functools.cache
def _pn_local() -> re.Pattern[str]:
    """Return the PN_LOCAL pattern, compiled on first use (its Unicode ranges take 15 ms)."""
    return re.compile(f"(?:(?:[{_PN_CHARS_U}:0-9]|{_PERCENT})(?:[{_PN_CHARS}.:]|{_PERCENT})*)?")


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> RdfTerm:
    """Convert a pyoxigraph term to the equal rdflib term.

    :param term: a pyoxigraph named node, blank node or literal.
    :raises ValueError: for a triple term or a literal with a base direction (no rdflib equivalent).

    >>> to_rdflib(ox.Literal("hi", language="en"))
    rdflib.term.Literal('hi', lang='en')
    >>> to_rdflib(ox.Literal("01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))).n3()
    '"01"^^<http://www.w3.org/2001/XMLSchema#integer>'
    """
    from rdflib.term import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.direction is not None:
            raise ValueError(f"literal with a base direction is not supported: {term}")
        if term.language is not None:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype), normalize=False)
    raise ValueError(f"RDF term not supported by relgraph: {term!r}")


def to_oxigraph(term: RdfTerm | OxTerm) -> OxTerm:
    """Convert an rdflib term to the equal pyoxigraph term (a pyoxigraph term is returned as it is).

    :param term: an rdflib URIRef, BNode or Literal.
    :raises ValueError: if the term is not valid RDF (an invalid IRI or language tag).

    >>> from rdflib import Literal, URIRef
    >>> to_oxigraph(Literal("x"))
    <Literal value=x datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#string>>
    >>> to_oxigraph(URIRef("https://w3id.org/relgraph/id/x"))
    <NamedNode value=https://w3id.org/relgraph/id/x>
    """
    if isinstance(term, _OX_TERMS):
        return term
    from rdflib.term import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language is not None:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is None:
            return ox.Literal(str(term))
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    raise ValueError(f"RDF term not supported by relgraph: {term!r}")


def triple_to_rdflib(triple: ox.Triple | ox.Quad) -> tuple[RdfTerm, RdfTerm, RdfTerm]:
    """Convert a pyoxigraph triple (or the triple of a quad) to a tuple of rdflib terms.

    :param triple: a pyoxigraph ``Triple`` or ``Quad``.
    :raises ValueError: if a term has no rdflib equivalent.

    >>> t = ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("1"))
    >>> triple_to_rdflib(t)
    (rdflib.term.URIRef('http://ex/a'), rdflib.term.URIRef('http://ex/p'), rdflib.term.Literal('1'))
    """
    return (_node(triple.subject), to_rdflib(triple.predicate), _node(triple.object))


def quad_to_rdflib(quad: ox.Quad) -> tuple[RdfTerm, RdfTerm, RdfTerm, RdfTerm | None]:
    """Convert a pyoxigraph quad to rdflib terms; the default graph becomes :data:`None`.

    :param quad: a pyoxigraph ``Quad``.
    :raises ValueError: if a term has no rdflib equivalent.

    >>> q = ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.BlankNode("b"))
    >>> quad_to_rdflib(q)[2:]
    (rdflib.term.BNode('b'), None)
    """
    graph = quad.graph_name
    graph_term = None if isinstance(graph, ox.DefaultGraph) else to_rdflib(graph)
    return (*triple_to_rdflib(quad), graph_term)


def triple_to_oxigraph(triple: tuple[RdfTerm, RdfTerm, RdfTerm]) -> ox.Triple:
    """Convert a tuple of three rdflib terms to a pyoxigraph triple.

    :param triple: subject, predicate and object as rdflib terms.
    :raises ValueError: if the terms do not make a valid RDF triple.

    >>> from rdflib import Literal, URIRef
    >>> str(triple_to_oxigraph((URIRef("http://ex/a"), URIRef("http://ex/p"), Literal("1"))))
    '<http://ex/a> <http://ex/p> "1"'
    """
    subject, predicate, obj = (to_oxigraph(t) for t in triple)
    if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
        raise ValueError(f"not a valid RDF triple: {triple!r}")
    return ox.Triple(subject, predicate, obj)


def to_n3(term: RdfTerm | OxTerm) -> str:
    r"""Return the N-Triples form of a term (as also used by Turtle, SPARQL and SPARQL TSV).

    :param term: an rdflib or pyoxigraph term.
    :raises ValueError: if the term is not valid RDF.

    >>> from rdflib import Literal, URIRef
    >>> to_n3(Literal('say "hi"\n', lang="en"))
    '"say \\"hi\\"\\n"@en'
    >>> to_n3(URIRef("http://ex/a"))
    '<http://ex/a>'
    """
    if isinstance(term, _OX_TERMS):
        return str(term)
    return str(to_oxigraph(term))


def lexical(term: RdfTerm | OxTerm | None) -> str:
    """Return the plain text of a term: the IRI, the literal's lexical form, ``_:label`` or ``""``.

    This is the form of W3C SPARQL CSV results.

    :param term: an rdflib or pyoxigraph term, or :data:`None` for an unbound value.

    >>> from rdflib import BNode, Literal, URIRef
    >>> lexical(Literal("5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")))
    '5'
    >>> lexical(BNode("b1")), lexical(ox.BlankNode("b1")), lexical(None)
    ('_:b1', '_:b1', '')
    """
    if term is None:
        return ""
    if isinstance(term, _OX_TERMS):
        return str(term) if isinstance(term, ox.BlankNode) else term.value
    from rdflib.term import BNode

    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def english_first(terms: Iterable[_Term]) -> _Term | None:
    """Return the one of several labels or messages to show a person: English first.

    In English (``@en``, then ``@en-*``), else without a language, else any; of several as good, the
    least text, so that the choice does not depend on the order they came in.

    :param terms: rdflib terms (literals, mostly), or anything with a ``language``.

    >>> from rdflib import Literal
    >>> str(english_first([Literal("Rapport", lang="fr"), Literal("Report", lang="en-GB"), Literal("x")]))
    'Report'
    >>> english_first([]) is None
    True
    """

    def rank(term: _Term) -> tuple[int, str]:
        language = (getattr(term, "language", None) or "").lower()
        order = 0 if language == "en" else 1 if language.startswith("en-") else 2 if not language else 3
        return order, str(term)

    return min(terms, key=rank, default=None)


def shorten(term: RdfTerm | OxTerm, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """Return a term in Turtle form with IRIs written as prefixed names where possible.

    An IRI becomes ``prefix:local`` when it starts with one of the namespaces (the longest one
    wins) and the rest is a valid Turtle local name without escapes; otherwise it is ``<iri>``.
    A literal's datatype is shortened the same way.

    :param term: an rdflib or pyoxigraph term.
    :param prefixes: prefix -> namespace IRI.

    >>> from rdflib import Literal, URIRef
    >>> shorten(URIRef("https://w3id.org/relgraph/id/session-07"))
    'rgd:session-07'
    >>> shorten(URIRef("https://w3id.org/relgraph/id/a/b"))
    '<https://w3id.org/relgraph/id/a/b>'
    >>> shorten(Literal("2024-01-02", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")))
    '"2024-01-02"^^xsd:date'
    """
    if not isinstance(term, _OX_TERMS):
        term = to_oxigraph(term)
    if isinstance(term, ox.NamedNode):
        return _shorten_iri(term.value, prefixes)
    if isinstance(term, ox.Literal) and term.language is None and term.datatype.value != _XSD_STRING:
        return f"{ox.Literal(term.value)}^^{_shorten_iri(term.datatype.value, prefixes)}"
    return to_n3(term)


def _shorten_iri(iri: str, prefixes: Mapping[str, str]) -> str:
    best: tuple[int, str] | None = None
    for prefix, namespace in sorted(prefixes.items()):
        if iri.startswith(namespace) and (best is None or len(namespace) > best[0]):
            local = iri[len(namespace) :]
            if _pn_local().fullmatch(local) and not local.endswith("."):
                best = (len(namespace), f"{prefix}:{local}")
    return best[1] if best is not None else f"<{iri}>"


def _node(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> RdfTerm:
    if isinstance(term, ox.Triple):
        raise ValueError(f"RDF 1.2 triple terms are not supported: {term}")
    return to_rdflib(term)
