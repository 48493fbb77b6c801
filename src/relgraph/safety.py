r"""Refuse SPARQL that could touch the network or change data, before it is run.

pyoxigraph executes ``SERVICE`` by making HTTP requests, and the SPARQL grammar has dataset
clauses (``FROM``/``FROM NAMED``) that name graphs outside the local default graph. relgraph only
ever queries its own local default graph, so both are refused, as are update operations.

``SERVICE`` is looked for first as Oxigraph could read it, whatever the spacing
(:func:`relgraph.sparql_tokens.code_keyword`: ``SERVICE:x`` is a call of ``:x``). The query is then
parsed with rdflib's SPARQL parser (independent of pyoxigraph, which runs it), for dataset clauses and
updates, given the text as Oxigraph splits it (:func:`_for_rdflib`: rdflib expands ``\u`` escapes
everywhere and ends comments at a line feed only, which hid a ``FROM`` or an ``INSERT`` from it). When
``FROM`` could be a keyword as Oxigraph reads the text and rdflib cannot parse it (pyoxigraph accepts
some newer syntax, ``LATERAL``), the query is refused. A query with ``\u`` escapes is checked once
more with them expanded in the whole text, as the grammar says and an endpoint may read it
(``\u0046ROM``, a syntax error to Oxigraph, is ``FROM`` there).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from relgraph.errors import QueryError
from relgraph.sparql_tokens import TOKEN, code_keyword

__all__ = ["check_read_only_local"]

SERVICE_REFUSED = (
    "SERVICE is not allowed: relgraph never queries over the network (a prefixed name with 'service' in "
    "it counts: write its IRI in full, <...>)"
)
DATASET_REFUSED = "FROM / FROM NAMED is not allowed: relgraph only queries the local default graph"
DATASET_MAYBE = (
    DATASET_REFUSED + " (this query may hold one as pyoxigraph reads it: a prefixed name with 'from' in "
    "it counts when the query also has syntax that cannot be checked, such as LATERAL; write its IRI in "
    "full, <...>)"
)
UPDATE_REFUSED = (
    "updates (INSERT, DELETE, LOAD, CLEAR, ...) are not allowed: relgraph only runs read-only queries"
)


def check_read_only_local(query_text: str) -> None:
    """Raise :class:`QueryError` unless the query is a read-only query of the local graph.

    :param query_text: the SPARQL text.
    :raises QueryError: if it uses ``SERVICE``, ``FROM``/``FROM NAMED``, or is an update.

    >>> check_read_only_local("SELECT ?s WHERE { ?s ?p 'SERVICE' }")
    >>> check_read_only_local("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.errors.QueryError: SERVICE is not allowed: relgraph never queries over the network ...
    """
    message = _refusal(query_text)
    if message is not None:
        raise QueryError(message)


# bare words that only an update, a SERVICE call or a dataset clause can contain
_SUSPECT_WORDS = frozenset(
    {"SERVICE", "FROM", "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)


# the escapes rdflib expands in the whole text before parsing (Oxigraph only in strings and IRIs), and
# those with an escaped backslash, which is no start of one
_UNICODE_ESCAPE = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")
_BACKSLASHED = re.compile(r"\\\\|" + _UNICODE_ESCAPE.pattern)


@functools.lru_cache(maxsize=256)
def _refusal(query_text: str) -> str | None:
    found = _refusal_as_read(query_text)
    if found is None and _UNICODE_ESCAPE.search(query_text):
        # Oxigraph reads \u escapes in strings and IRIs only, but the grammar has them expanded in
        # the whole text first, as an endpoint may do: "\u0046ROM <g>" is FROM to such a server
        found = _refusal_as_read(_UNICODE_ESCAPE.sub(_character, query_text))
    return found


def _character(escape: re.Match[str]) -> str:
    r"""Return the character of a ``\uXXXX`` or ``\UXXXXXXXX`` escape (a surrogate or beyond: U+FFFD)."""
    code = int(escape[0][2:], 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _refusal_as_read(query_text: str) -> str | None:
    # SERVICE, the one that reaches the network, as Oxigraph could read it: a token scan missed
    # "SERVICE:x" (a prefixed name to the scan, the keyword and :x to Oxigraph)
    words = {match.group().upper() for match in TOKEN.finditer(query_text)}
    if "SERVICE" in words or code_keyword(query_text, ("SERVICE",)) is not None:  # the scan as a backstop
        return SERVICE_REFUSED
    # Fast path: the token scan ignores strings, IRIs, comments, variables and prefixed names, so a
    # query with none of these words as a bare token cannot name a dataset or update. Only a suspect
    # query pays for rdflib's parser (hundreds of milliseconds to import and run), which tells an
    # update from a query for the message.
    # FROM is looked for as Oxigraph could read it too ("FROM:g" is FROM and :g)
    maybe_from = code_keyword(query_text, ("FROM",)) is not None
    if not maybe_from and words.isdisjoint(_SUSPECT_WORDS):
        return None
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    as_oxigraph_reads = _for_rdflib(query_text)
    try:
        tree = parseQuery(as_oxigraph_reads)
    except Exception:  # rdflib could not parse it: maybe an update, maybe syntax rdflib lacks
        try:
            parseUpdate(as_oxigraph_reads)
        except Exception:
            return DATASET_MAYBE if maybe_from else None
        return UPDATE_REFUSED
    return _walk(tree)


def _for_rdflib(query_text: str) -> str:
    r"""Return the text for rdflib's parser, so that it splits it where Oxigraph does.

    rdflib expands ``\u`` escapes in the whole text before parsing (``"\u0022"`` then ends a string
    where Oxigraph, which expands them in strings and IRIs only, reads on), and ends a comment at a line
    feed only (Oxigraph at a carriage return too: ``# note\rFROM <g>`` holds a FROM). Escapes lose
    their backslash (a string or an IRI stays one), an escaped backslash becomes two other characters,
    and a carriage return a line feed.

    >>> print(_for_rdflib('SELECT ("\\u0022" AS ?x) # a\rFROM <g> { }'))
    SELECT ("u0022" AS ?x) # a
    FROM <g> { }
    """
    return _BACKSLASHED.sub(lambda m: "__" if m[0] == "\\\\" else m[0][1:], query_text).replace("\r", "\n")


def _walk(node: Any) -> str | None:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            return SERVICE_REFUSED
        if "datasetClause" in node and dict.__getitem__(node, "datasetClause"):
            return DATASET_REFUSED
        children: Any = dict.values(node)
    elif isinstance(node, ParseResults | list | tuple):
        children = node
    else:
        return None
    for child in children:
        found = _walk(child)
        if found is not None:
            return found
    return None
