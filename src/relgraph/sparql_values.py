r"""Bind query parameters as a ``VALUES`` block of strictly serialized terms.

SPARQL over HTTP has no SEP-0007 substitution, so parameters travel inside the query as a
SPARQL 1.1 ``VALUES`` block. The embedded store uses the same block as well as the substitution
(:meth:`relgraph.store.KnowledgeGraph.query`): Oxigraph plans a query before it sees substituted
values, while a one-row ``VALUES`` block lets it start from the bound term. Each value is written by
:func:`sparql_term` from an RDF term (pyoxigraph or rdflib) that the caller has already converted
and checked (:func:`relgraph.catalogue.convert_value`): IRIs are validated and written ``<...>``,
literals are fully escaped, so no text given by a user is ever pasted into the query.

The block goes at the **start of the query's outermost WHERE group**, not after the query. A
trailing ``VALUES`` is joined with the answer of the whole WHERE clause (after ``GROUP BY``), so a
``FILTER`` inside the WHERE clause would not see the parameter (``posts-as-of`` compares
``?attested <= ?date``); at the start of the group the variable is bound before anything else,
which gives the same answer as SEP-0007 substitution. It is written on the line of the ``{``, so
the query keeps its line numbers.

>>> import pyoxigraph as ox
>>> print(with_values("SELECT ?who WHERE { ?who a ?c }", {"who": ox.NamedNode("https://w3id.org/relgraph/id/ann")}))
SELECT ?who WHERE { VALUES (?who) { (<https://w3id.org/relgraph/id/ann>) }  ?who a ?c }
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyoxigraph as ox

from relgraph.prefixes import PREFIXES
from relgraph.sparql_tokens import QUERY_FORMS, TOKEN
from relgraph.terms import iri_problem

if TYPE_CHECKING:
    from relgraph.terms import OxTerm, RdfTerm

    Bindable = RdfTerm | OxTerm | ox.Triple

__all__ = ["sparql_term", "values_block", "where_group_start", "with_values"]

_XSD_STRING = PREFIXES["xsd"] + "string"
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LANGTAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_TO_ESCAPE = re.compile(r'[\\"\n\r\t\b\f\x00-\x1f\x7f\u2028\u2029]')


def sparql_term(term: Bindable | None) -> str:
    r"""Return the SPARQL form of an RDF term for a ``VALUES`` block; :data:`None` is ``UNDEF``.

    :param term: a pyoxigraph or rdflib IRI or literal (blank nodes and triple terms cannot be
        bound), or :data:`None`.
    :raises ValueError: for an invalid IRI, datatype or language tag, a blank node or a triple term.

    >>> from rdflib import Literal, URIRef
    >>> print(sparql_term(Literal('say "hi" } UNION { ?s ?p ?o \\u0022\n', lang="en")))
    "say \"hi\" } UNION { ?s ?p ?o \\u0022\n"@en
    >>> sparql_term(URIRef("http://ex/a> } ; DROP ALL ; <x"))
    Traceback (most recent call last):
    ...
    ValueError: not a valid IRI: 'http://ex/a> } ; DROP ALL ; <x': it contains '>'
    >>> sparql_term(ox.Literal("2023-09-26", datatype=ox.NamedNode(PREFIXES["xsd"] + "date")))
    '"2023-09-26"^^<http://www.w3.org/2001/XMLSchema#date>'
    """
    if term is None:
        return "UNDEF"
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.Literal):
        return _literal(term.value, term.language, term.datatype.value)
    if isinstance(term, ox.BlankNode):
        raise ValueError("a blank node cannot be bound as a parameter")
    if isinstance(term, ox.Triple):
        raise ValueError("a triple term cannot be bound as a parameter")
    from rdflib.term import BNode, Literal, URIRef  # only when the caller works with rdflib terms

    if isinstance(term, URIRef):
        return _iri(str(term))
    if isinstance(term, BNode):
        raise ValueError("a blank node cannot be bound as a parameter")
    if isinstance(term, Literal):
        datatype = None if term.datatype is None else str(term.datatype)
        return _literal(str(term), term.language, datatype)
    raise ValueError(f"not an RDF term: {term!r}")


def _literal(value: str, language: str | None, datatype: str | None) -> str:
    text = '"' + _TO_ESCAPE.sub(_escape, value) + '"'
    if language is not None:
        if not _LANGTAG.fullmatch(language):
            raise ValueError(f"not a valid language tag: {language!r}")
        return f"{text}@{language}"
    if datatype is None or datatype == _XSD_STRING:
        return text
    return f"{text}^^{_iri(datatype)}"


def values_block(bindings: Mapping[str, Bindable]) -> str:
    """Return a one-row ``VALUES (?a ?b) { (term term) }`` block binding the variables.

    :param bindings: variable name (without ``?``) -> pyoxigraph or rdflib term.
    :raises ValueError: for an invalid variable name or term.

    >>> values_block({"n": ox.Literal(3)})
    'VALUES (?n) { ("3"^^<http://www.w3.org/2001/XMLSchema#integer>) }'
    """
    names = list(bindings)
    for name in names:
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a valid variable name: {name!r}")
    terms = " ".join(sparql_term(bindings[name]) for name in names)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }}"


def with_values(query: str, bindings: Mapping[str, Bindable]) -> str:
    """Return the query with a ``VALUES`` block binding the variables at the start of its WHERE group.

    With no bindings the query is returned unchanged.

    :param query: a ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` query.
    :param bindings: variable name (without ``?``) -> pyoxigraph or rdflib term.
    :raises ValueError: for an invalid variable name or term, or a query without a WHERE group.

    >>> with_values("ASK { ?s ?p ?o }", {})
    'ASK { ?s ?p ?o }'
    """
    if not bindings:
        return query
    block = values_block(bindings)
    position = where_group_start(query)
    return f"{query[:position]} {block} {query[position:]}"


@functools.lru_cache(maxsize=256)  # a canned query is scanned once, not at every run
def where_group_start(query: str) -> int:
    """Return the offset just after the ``{`` that opens the query's outermost WHERE group.

    :param query: a ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` query.
    :raises ValueError: if it has no WHERE group.

    >>> text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p '{' }"
    >>> text[where_group_start(text):]
    " ?s ?p '{' }"
    """
    form: str | None = None
    after_where = False
    parens = 0
    skip_template = False
    depth = 0
    for match in TOKEN.finditer(query):
        token = match.group()
        word = token.upper()
        if form is None:
            if word in QUERY_FORMS:
                form = word
            continue
        if skip_template:  # inside a CONSTRUCT template
            depth += token == "{"
            depth -= token == "}"
            if depth == 0:
                skip_template = False
            continue
        if word == "WHERE":
            after_where = True
        elif token == "(":
            parens += 1
        elif token == ")":
            parens -= 1
        elif token == "{" and parens == 0:
            if form == "CONSTRUCT" and not after_where:
                skip_template, depth = True, 1
                continue
            return match.end()
    raise ValueError("the query has no WHERE group to bind parameters in")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\u{ord(char):04X}"


def _iri(text: str) -> str:
    problem = iri_problem(text)
    if problem is not None:
        raise ValueError(f"not a valid IRI: {text!r}: {problem}")
    return f"<{text}>"
