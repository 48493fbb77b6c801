"""ODK-style quality checks: queries/checks/*-violation.rq return no rows on the shipped graph.

Each check has a bad example tests/checks/<check>.ttl (more: <check>--2.ttl ...) that it must catch, so no
check is a test that cannot fail; tests/checks/valid/<check>.ttl (more: <check>--2.ttl ...), if there is
one, is data it must pass, near what it catches.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from relgraph.resources import queries_dir
from relgraph.store import KnowledgeGraph
from relgraph.terms import shorten

CHECKS = sorted((queries_dir() / "checks").glob("*-violation.rq"))
EXAMPLES = Path(__file__).parent / "checks"
BAD = sorted(EXAMPLES.glob("*.ttl"))
VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))


def check_of(example: Path) -> Path:
    """Return the check an example is for: the part of its name before ``--``."""
    return queries_dir() / "checks" / f"{example.stem.split('--')[0]}.rq"


def test_there_are_checks_and_each_has_a_bad_example():
    assert len(CHECKS) >= 5
    assert {c.stem for c in CHECKS} == {e.stem for e in BAD if "--" not in e.stem}
    assert {check_of(e) for e in BAD + VALID} <= set(CHECKS)  # no example of a check that is gone


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_finds_nothing_in_the_shipped_graph(kg, check):
    rows = kg.query(check.read_text(encoding="utf-8")).rows
    assert rows == []


@pytest.mark.parametrize("example", BAD, ids=lambda p: p.stem)
def test_check_catches_its_bad_example(example):
    kg = KnowledgeGraph.default(extra_files=[example])
    rows = kg.query(check_of(example).read_text(encoding="utf-8")).rows
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


@pytest.mark.parametrize("example", VALID, ids=lambda p: p.stem)
def test_check_passes_its_valid_example(example):
    kg = KnowledgeGraph.default(extra_files=[example])
    assert kg.query(check_of(example).read_text(encoding="utf-8")).rows == []


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
    pairs = [(str(label), type(first).__name__, type(second).__name__) for label, first, second, _ in rows]
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


@pytest.mark.parametrize(
    "label", ['"ely ratner"@en', '"Ely Ratner"', '"Ely Ratner"@en-GB', '"ELY RATNER"@fr'], ids=str
)
def test_duplicate_labels_are_compared_as_explain_compares_names(tmp_path, label):
    # the labels were compared as RDF terms: `relgraph explain` ignores case, language tag and datatype,
    # so "ely ratner" named two resources and the check passed it
    rows = rows_with(
        tmp_path,
        "duplicate-label-violation",
        f"<https://w3id.org/relgraph/id/test-twin> <http://www.w3.org/2000/01/rdf-schema#label> {label} .\n",
    )
    assert [(str(a), shorten(first), shorten(second), str(b)) for a, first, second, b in rows] == [
        ("Ely Ratner", "rgd:ely-ratner", "rgd:test-twin", label.split('"')[1])
    ]


def test_a_term_the_data_says_the_ontology_defines_is_not_defined_by_it(tmp_path):
    # rdfs:isDefinedBy the ontology was taken for a definition: a readout saying so of rg:concern (with a
    # label and a definition), and using it for rg:concerns, passed the check
    rows = rows_with(
        tmp_path,
        "undefined-term-violation",
        "@prefix rg: <https://w3id.org/relgraph/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        'rg:concern rdfs:isDefinedBy <https://w3id.org/relgraph/ontology> ; rdfs:label "concern"@en ;\n'
        '    skos:definition "x"@en .\n'
        "<https://w3id.org/relgraph/id/test-x> rg:concern <https://w3id.org/relgraph/id/india> .\n",
    )
    assert [(shorten(term), str(use), shorten(example)) for term, use, example in rows] == [
        ("rg:concern", "property", "rgd:test-x"),
        ("rg:concern", "subject", "rg:concern"),
    ]


def test_an_rg_datatype_must_be_defined(tmp_path):
    # the datatypes of literals were not looked at: "x"^^rg:Strnig passed
    rows = rows_with(
        tmp_path,
        "undefined-term-violation",
        "<https://w3id.org/relgraph/id/test-x> <http://www.w3.org/2000/01/rdf-schema#comment> "
        '"x"^^<https://w3id.org/relgraph/ontology#Strnig> , "y" , 1 , "z"@en .\n',
    )
    assert [(shorten(term), str(use), shorten(example)) for term, use, example in rows] == [
        ("rg:Strnig", "datatype", "rgd:test-x")
    ]


def test_an_rg_term_must_be_defined_as_what_it_is_used_as(tmp_path):
    # any definition passed any use: a class used as a property, a property as a class, an individual as a
    # datatype
    rows = rows_with(
        tmp_path,
        "undefined-term-violation",
        "@prefix rg: <https://w3id.org/relgraph/ontology#> .\n"
        "<https://w3id.org/relgraph/id/test-x> rg:Country <https://w3id.org/relgraph/id/india> .\n"
        "<https://w3id.org/relgraph/id/test-y> a rg:concerns .\n"
        '<https://w3id.org/relgraph/id/test-z> rg:ordinal "1"^^rg:coChair .\n',
    )
    assert [(shorten(term), str(use), shorten(example)) for term, use, example in rows] == [
        ("rg:Country", "property", "rgd:test-x"),
        ("rg:coChair", "datatype", "rgd:test-z"),
        ("rg:concerns", "class", "rgd:test-y"),
    ]


def test_a_text_file_name_validation_takes_passes_the_outcome_check(tmp_path):
    # validation reads rgsh:Source-textFile's pattern with Python's re ($ before a last line break), the
    # check read it with Oxigraph's: add refused a readout that validate passed
    valid = (Path(__file__).parent / "checks" / "valid" / "outcome-without-source-violation.ttl").read_text()
    turtle = valid.replace('rg:textFile "test-report.txt"', 'rg:textFile "test-report.txt\\n"')
    assert turtle != valid
    check = "outcome-without-source-violation"
    assert rows_with(tmp_path, check, turtle) == []
    assert rows_with(tmp_path, check, turtle.replace(".txt\\n", ".txt\\n\\n")) != []  # two breaks: no
