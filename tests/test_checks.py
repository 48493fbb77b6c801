"""ODK-style quality checks: queries/checks/*-violation.rq return no rows on the shipped graph.

Each check has a bad example tests/checks/<check>.ttl that it must catch, so no check is a test that
cannot fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from relgraph.resources import queries_dir
from relgraph.store import KnowledgeGraph

CHECKS = sorted((queries_dir() / "checks").glob("*-violation.rq"))
EXAMPLES = Path(__file__).parent / "checks"


def test_there_are_checks_and_each_has_a_bad_example():
    assert len(CHECKS) >= 5
    assert {c.stem for c in CHECKS} == {e.stem for e in EXAMPLES.glob("*.ttl")}


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_finds_nothing_in_the_shipped_graph(kg, check):
    rows = kg.query(check.read_text(encoding="utf-8")).rows
    assert rows == []


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_catches_its_bad_example(check):
    kg = KnowledgeGraph.default(extra_files=[EXAMPLES / f"{check.stem}.ttl"])
    rows = kg.query(check.read_text(encoding="utf-8")).rows
    assert len(rows) >= 1
    assert any(
        "test-" in str(cell)
        or "Unlabelled" in str(cell)
        or "Undefined" in str(cell)
        or "Orphan" in str(cell)
        or "donald-lu" in str(cell)
        for row in rows
        for cell in row
    )


def rows_with(tmp_path, check: str, turtle: str) -> list:
    """Run a check on the shipped graph with this Turtle added; return its rows."""
    data = tmp_path / "data.ttl"
    data.write_text(turtle, encoding="utf-8")
    kg = KnowledgeGraph.default(extra_files=[data])
    return kg.query((queries_dir() / "checks" / f"{check}.rq").read_text(encoding="utf-8")).rows


def test_duplicate_labels_on_blank_nodes_are_found(tmp_path):
    # STR() of a blank node is an error, which dropped every pair with one from the results
    rows = rows_with(
        tmp_path,
        "duplicate-label-violation",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '[] rdfs:label "Ely Ratner"@en .\n'
        '[] rdfs:label "Two of a kind"@en .\n'
        '[] rdfs:label "Two of a kind"@en .\n',
    )
    pairs = [(str(label), type(first).__name__, type(second).__name__) for label, first, second in rows]
    assert pairs == [
        ("Ely Ratner", "URIRef", "BNode"),  # the IRI first, once
        ("Two of a kind", "BNode", "BNode"),  # two blank nodes cannot be put in order: both ways round
        ("Two of a kind", "BNode", "BNode"),
    ]
    assert str(rows[0][1]) == "https://w3id.org/relgraph/id/ely-ratner"


def test_a_literal_rdf_type_is_not_an_undefined_term(tmp_path):
    # the class branch had no isIRI: a literal type was listed as a term, and made `add` fail the check
    rows = rows_with(
        tmp_path,
        "undefined-term-violation",
        "<https://w3id.org/relgraph/id/test-x> a "
        '"https://w3id.org/relgraph/ontology#Official" , <https://w3id.org/relgraph/ontology#Offical> .\n',
    )
    assert [(str(term), str(use)) for term, use, _example in rows] == [
        ("https://w3id.org/relgraph/ontology#Offical", "class")
    ]


def test_a_data_file_cannot_define_the_rg_term_it_uses(tmp_path):
    # the check took any rdf:type for a definition: a readout saying rg:concern a owl:ObjectProperty,
    # and using it for rg:concerns, passed it and `relgraph validate`
    rows = rows_with(
        tmp_path,
        "undefined-term-violation",
        "<https://w3id.org/relgraph/ontology#concern> a <http://www.w3.org/2002/07/owl#ObjectProperty> .\n"
        "<https://w3id.org/relgraph/id/test-x> <https://w3id.org/relgraph/ontology#concern> "
        "<https://w3id.org/relgraph/id/domain-space> .\n",
    )
    assert [(str(term), str(use)) for term, use, _example in rows] == [
        ("https://w3id.org/relgraph/ontology#concern", "property"),
        ("https://w3id.org/relgraph/ontology#concern", "subject"),
    ]
