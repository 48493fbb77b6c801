"""The read-only/local check: sound refusals, and a fast path that needs no SPARQL parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from relgraph.errors import QueryError
from relgraph.safety import check_read_only_local


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("SELECT * WHERE { ?s ?p 'SERVICE FROM INSERT' }", None),
        ("SELECT ?from ?service WHERE { ?from <http://ex/service> ?service }", None),
        ("SELECT * WHERE { ?s ?p ?o } # FROM <http://ex/g> in a comment", None),
        ("SELECT * WHERE { service <http://ex/sparql> { ?s ?p ?o } }", "SERVICE is not allowed"),
        ("SELECT * FROM <http://ex/g> WHERE { ?s ?p ?o }", "FROM / FROM NAMED is not allowed"),
        ("INSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> }", "updates (INSERT"),
        ("LOAD <http://ex/data.ttl>", "updates (INSERT"),
        # a \u escape or a prefixed name with 'from' in it alone is no FROM
        ("SELECT ?s WHERE { ?s ?p '\\u00e9' }", None),
        ("PREFIX ex: <http://ex/> SELECT ?s WHERE { ?s ex:from ?o }", None),
        # nor both: rdflib is given the text as Oxigraph splits it (prov:wasQuotedFrom was refused)
        ("PREFIX ex: <http://ex/> SELECT ?s WHERE { ?s ex:wasQuotedFrom '\\u00e9' }", None),
        # a comment ends at a carriage return for Oxigraph, and now for rdflib's reading too
        ("SELECT (COUNT(*) AS ?n) # note\rFROM <http://ex/g>\nWHERE { ?s ?p ?o }", "FROM / FROM NAMED"),
        ("# note\rINSERT { ?s ?p 1 } WHERE {\nSELECT * WHERE { ?s ?p ?o } # \r}", "updates (INSERT"),
        # an escape in code: a syntax error to Oxigraph, the keyword to an endpoint that expands escapes
        # in the whole text first, as the grammar says
        ("SELECT * \\u0046ROM <http://ex/g> WHERE { ?s ?p ?o }", "FROM / FROM NAMED"),
        ("SELECT * WHERE { \\u0053ERVICE <http://ex/s> { ?s ?p ?o } }", "SERVICE is not allowed"),
        ("\\u0049NSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> }", "updates (INSERT"),
        ("SELECT ?s WHERE { ?s ?p '\\u0046ROM \\u00e9' }", None),  # in a string, still data
    ],
)
def test_refusals(query, refused):
    if refused is None:
        check_read_only_local(query)
    else:
        with pytest.raises(QueryError, match=refused.replace("(", r"\(")):
            check_read_only_local(query)


def test_a_plain_query_is_checked_without_importing_a_sparql_parser():
    code = (
        "import sys; from relgraph.safety import check_read_only_local; "
        "check_read_only_local('SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s'); "
        "print('rdflib.plugins.sparql' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# SPARQL that makes pyoxigraph call SERVICE although a token scan saw no SERVICE keyword: Oxigraph needs no
# space after a keyword, reads < after an operand as less-than, and takes \u escapes in IRIs. The target,
# port 1 of 127.0.0.1, is one pyoxigraph refuses to connect to, so running them fetches nothing.
FETCHING = [
    "PREFIX : <http://127.0.0.1:1/> SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    "PREFIX x: <http://127.0.0.1:1/> SELECT * WHERE { SERVICEx:y { ?s ?p ?o } }",
    "PREFIX : <http://127.0.0.1:1/> SELECT * WHERE { ?s ?p ?o FILTER(1<2)SERVICE:x#>\n{ ?a ?b ?c } }",
    "PREFIX e: <http://e/\\u0041#> SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o.SERVICE <http://127.0.0.1:1/> { } }",
    "SELECT * WHERE { VALUES ?x { <http://127.0.0.1:1/> } LATERAL { FILTER(1<2)SERVICE?x#>\n{ ?s ?p ?o } } }",
    # a name escape: ex:p\' is a name, not the start of a string
    "PREFIX ex: <http://ex/> SELECT * { { ?s ex:p\\' ?o } UNION { SERVICE <http://127.0.0.1:1/> { } } }",
    # a long string Oxigraph cannot read (unterminated, or with an escape it refuses) is '' and a string
    "SELECT * WHERE { VALUES ?a { ''' ' } SERVICE <http://127.0.0.1:1/> { } }",
    "SELECT * WHERE { ?s ?p ?o VALUES ?a { ''' ' } # \\x\nSERVICE <http://127.0.0.1:1/> { } } # '''",
    'SELECT * WHERE { ?s ?p ?o VALUES ?a { """ " } # \\uD800\nSERVICE <http://127.0.0.1:1/> { } } # """',
]


def _fetches(query: str, value: str = "urn:o") -> bool:
    """Run the query on a store of one triple; tell whether pyoxigraph tried to fetch from port 1."""
    import pyoxigraph as ox

    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode(value)))
    try:
        list(store.query(query))
    except OSError as error:
        return "port 1 is not allowed" in str(error)
    except (SyntaxError, RuntimeError):
        return False
    return False


@pytest.mark.parametrize("query", FETCHING)
def test_service_is_refused_however_it_is_written(query):
    assert _fetches(query)  # a SERVICE call, as pyoxigraph reads it
    with pytest.raises(QueryError, match=r"^SERVICE is not allowed"):
        check_read_only_local(query)
    from relgraph.gateway import refusal  # relgraph serve's front refuses it too

    assert refusal(query) == "SERVICE is refused: this server never queries other endpoints"


def test_a_prefixed_name_with_service_in_it_is_refused():
    # when the prefix's IRI and the local name make no IRI, Oxigraph reads p: and then the keyword
    query = "PREFIX p: <http://127.0.0.1:8080> SELECT * WHERE { ?s ?p p:SERVICE <http://127.0.0.1:1/> { } }"
    assert _fetches(query, value="http://127.0.0.1:8080")
    with pytest.raises(QueryError, match=r"^SERVICE is not allowed: .* write its IRI in full"):
        check_read_only_local(query)
    from relgraph.gateway import refusal

    assert refusal(query) is not None
    assert refusal("PREFIX ex: <http://ex/> SELECT * WHERE { ?s ex:download ?o }") is not None


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service WHERE { ?s <http://www.w3.org/ns/sparql-service-description#endpoint> ?service }",
        "SELECT * WHERE { ?s <http://ex/download> ?my_service . ?s ?p 'LOAD' } # no SERVICE here",
        "SELECT * WHERE { ?s ?p '''it's a service''' }",
        'SELECT * WHERE { ?s ?p """SERVICE <http://ex/> { }""" }',
    ],
)
def test_service_in_names_strings_iris_and_comments_is_not_refused(query):
    check_read_only_local(query)
    from relgraph.gateway import refusal

    assert refusal(query) is None


def test_the_token_scan_is_linear():
    # the prefixed-name pattern could start on a digit and rescan the run at every place: 40 kB of digits
    # took a minute (a denial of service of relgraph serve's front, and of relgraph sparql)
    import time

    from relgraph.sparql_tokens import TOKEN, code_keyword

    for text in ["1" * 400_000, "a1" * 200_000, "_" * 400_000, "?" + "service" * 60_000]:
        started = time.monotonic()
        assert sum(1 for _ in TOKEN.finditer(text)) >= 1
        assert code_keyword(text) is None
        assert time.monotonic() - started < 10  # about 0.1 s; the quadratic scans took hours at this size
