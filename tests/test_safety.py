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
