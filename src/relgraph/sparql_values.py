r"""Bind query parameters for a remote SPARQL endpoint: a ``VALUES`` block of strictly serialized terms.

SPARQL over HTTP has no SEP-0007 substitution, so parameters travel inside the query as a
SPARQL 1.1 ``VALUES`` block. Each value is written by :func:`sparql_term` from an rdflib term that
the caller has already converted and checked (:func:`relgraph.catalogue.convert_value`): IRIs are
validated and written ``<...>``, literals are fully escaped, so no text given by a user is ever
pasted into the query.

The block goes at the **start of the query's outermost WHERE group**, not after the query. A
trailing ``VALUES`` is joined with the answer of the whole WHERE clause (after ``GROUP BY``), so a
``FILTER`` inside the WHERE clause would not see the parameter (``posts-as-of`` compares
``?attested <= ?date``); at the start of the group the variable is bound before anything else,
which gives the same answer as SEP-0007 substitution.

>>> from rdflib import Literal, URIRef
>>> print(with_values("SELECT ?who WHERE { ?who a ?c }", {"who": URIRef("https://w3id.org/relgraph/id/ann")}))
SELECT ?who WHERE {
VALUES (?who) { (<https://w3id.org/relgraph/id/ann>) }
 ?who a ?c }
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib.term import BNode, Literal, URIRef

from relgraph.prefixes import PREFIXES
from relgraph.sparql_tokens import TOKEN
from relgraph.terms import RdfTerm, iri_problem

__all__ = ["sparql_term", "values_block", "with_values"]

_XSD_STRING = PREFIXES["xsd"] + "string"
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LANGTAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_TO_ESCAPE = re.compile(r'[\\"\n\r\t\b\f\x00-\x1f\x7f\u2028\u2029]')


def sparql_term(term: RdfTerm | None) -> str:
    r"""Return the SPARQL form of an RDF term for a ``VALUES`` block; :data:`None` is ``UNDEF``.

    :param term: an rdflib IRI or literal (blank nodes cannot be bound), or :data:`None`.
    :raises ValueError: for an invalid IRI, datatype or language tag, or a blank node.

    >>> print(sparql_term(Literal('say "hi" } UNION { ?s ?p ?o \\u0022\n', lang="en")))
    "say \"hi\" } UNION { ?s ?p ?o \\u0022\n"@en
    >>> sparql_term(URIRef("http://ex/a> } ; DROP ALL ; <x"))
    Traceback (most recent call last):
    ...
    ValueError: not a valid IRI: 'http://ex/a> } ; DROP ALL ; <x': it contains '>'
    """
    if term is None:
        return "UNDEF"
    if isinstance(term, URIRef):
        return _iri(str(term))
    if isinstance(term, BNode):
        raise ValueError("a blank node cannot be bound as a parameter")
    if isinstance(term, Literal):
        text = '"' + _TO_ESCAPE.sub(_escape, str(term)) + '"'
        if term.language is not None:
            if not _LANGTAG.fullmatch(term.language):
                raise ValueError(f"not a valid language tag: {term.language!r}")
            return f"{text}@{term.language}"
        if term.datatype is None or str(term.datatype) == _XSD_STRING:
            return text
        return f"{text}^^{_iri(str(term.datatype))}"
    raise ValueError(f"not an RDF term: {term!r}")


def values_block(bindings: Mapping[str, RdfTerm]) -> str:
    """Return a one-row ``VALUES (?a ?b) { (term term) }`` block binding the variables.

    :param bindings: variable name (without ``?``) -> rdflib term.
    :raises ValueError: for an invalid variable name or term.

    >>> values_block({"n": Literal(3)})
    'VALUES (?n) { ("3"^^<http://www.w3.org/2001/XMLSchema#integer>) }'
    """
    names = list(bindings)
    for name in names:
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a valid variable name: {name!r}")
    terms = " ".join(sparql_term(bindings[name]) for name in names)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }}"


def with_values(query: str, bindings: Mapping[str, RdfTerm]) -> str:
    """Return the query with a ``VALUES`` block binding the variables at the start of its WHERE group.

    With no bindings the query is returned unchanged.

    :param query: a ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` query.
    :param bindings: variable name (without ``?``) -> rdflib term.
    :raises ValueError: for an invalid variable name or term, or a query without a WHERE group.

    >>> with_values("ASK { ?s ?p ?o }", {})
    'ASK { ?s ?p ?o }'
    """
    if not bindings:
        return query
    block = values_block(bindings)
    position = _where_group_start(query)
    return f"{query[:position]}\n{block}\n{query[position:]}"


def _where_group_start(query: str) -> int:
    """Return the offset just after the ``{`` that opens the query's outermost WHERE group."""
    form: str | None = None
    after_where = False
    parens = 0
    skip_template = False
    depth = 0
    for match in TOKEN.finditer(query):
        token = match.group()
        word = token.upper()
        if form is None:
            if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
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
