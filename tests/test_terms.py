from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib.term import BNode, Literal, URIRef

from relgraph.prefixes import PREFIXES
from relgraph.terms import (
    lexical,
    quad_to_rdflib,
    shorten,
    to_n3,
    to_oxigraph,
    to_rdflib,
    triple_to_oxigraph,
    triple_to_rdflib,
)

XSD = PREFIXES["xsd"]
RG = PREFIXES["rg"]
RGD = PREFIXES["rgd"]


@pytest.mark.parametrize(
    "rdflib_term",
    [
        URIRef(RGD + "ann"),
        BNode("b0"),
        Literal("plain"),
        Literal("hallo", lang="de"),
        Literal("2024-01-02", datatype=URIRef(XSD + "date")),
        Literal("01", datatype=URIRef(XSD + "integer"), normalize=False),
        Literal('quote " backslash \\ newline \n tab \t', lang="en"),
        Literal("not a number", datatype=URIRef(XSD + "integer"), normalize=False),
    ],
)
def test_round_trip_both_ways(rdflib_term: URIRef | BNode | Literal) -> None:
    ox_term = to_oxigraph(rdflib_term)
    back = to_rdflib(ox_term)
    assert back == rdflib_term
    assert type(back) is type(rdflib_term)
    assert str(back) == str(rdflib_term)  # lexical form kept exactly


def test_literal_details_survive() -> None:
    lit = to_oxigraph(Literal("01", datatype=URIRef(XSD + "integer"), normalize=False))
    assert isinstance(lit, ox.Literal)
    assert lit.value == "01"
    assert lit.datatype == ox.NamedNode(XSD + "integer")
    tagged = to_oxigraph(Literal("hi", lang="en"))
    assert isinstance(tagged, ox.Literal)
    assert tagged.language == "en"


def test_xsd_string_is_a_plain_literal() -> None:
    back = to_rdflib(ox.Literal("x", datatype=ox.NamedNode(XSD + "string")))
    assert back == Literal("x")
    assert back.datatype is None
    assert to_oxigraph(Literal("x", datatype=URIRef(XSD + "string"))) == ox.Literal("x")


def test_language_tags_are_lower_cased_by_pyoxigraph() -> None:
    assert to_rdflib(to_oxigraph(Literal("x", lang="EN-GB"))) == Literal("x", lang="en-gb")


def test_invalid_terms_raise_value_error() -> None:
    with pytest.raises(ValueError):
        to_oxigraph(URIRef("not an iri"))
    inner = ox.Triple(ox.NamedNode(RGD + "a"), ox.NamedNode(RG + "p"), ox.Literal("x"))
    with pytest.raises(ValueError, match="triple terms"):
        triple_to_rdflib(ox.Triple(ox.NamedNode(RGD + "s"), ox.NamedNode(RG + "says"), inner))
    with pytest.raises(ValueError):
        triple_to_oxigraph((Literal("s"), URIRef(RG + "p"), Literal("o")))


def test_triples_and_quads() -> None:
    s, p, o = URIRef(RGD + "ann"), URIRef(RG + "holds"), URIRef(RGD + "post-ann")
    triple = triple_to_oxigraph((s, p, o))
    assert triple_to_rdflib(triple) == (s, p, o)
    quad = ox.Quad(triple.subject, triple.predicate, triple.object)
    assert quad_to_rdflib(quad) == (s, p, o, None)
    named = ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(RGD + "g"))
    assert quad_to_rdflib(named)[3] == URIRef(RGD + "g")


def test_to_n3_is_n_triples() -> None:
    assert to_n3(URIRef(RGD + "ann")) == f"<{RGD}ann>"
    assert to_n3(BNode("b1")) == "_:b1"
    assert to_n3(Literal("x")) == '"x"'
    assert to_n3(Literal('a"b\\c\nd', lang="en")) == '"a\\"b\\\\c\\nd"@en'
    assert to_n3(Literal("5", datatype=URIRef(XSD + "integer"))) == f'"5"^^<{XSD}integer>'
    assert to_n3(ox.NamedNode(RGD + "ann")) == f"<{RGD}ann>"


def test_lexical() -> None:
    assert lexical(URIRef(RGD + "ann")) == RGD + "ann"
    assert lexical(Literal("hallo", lang="de")) == "hallo"
    assert lexical(BNode("b1")) == "_:b1"
    assert lexical(None) == ""


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (RGD + "session-2plus2-07", "rgd:session-2plus2-07"),
        (RG + "Person", "rg:Person"),
        (RG, "rg:"),
        (RGD + "2023", "rgd:2023"),
        (RGD + "a.b", "rgd:a.b"),
        (RGD + "a%20b", "rgd:a%20b"),
        (RGD + "Dévora", "rgd:Dévora"),
        (RGD + "ends.", f"<{RGD}ends.>"),
        (RGD + "a/b", f"<{RGD}a/b>"),
        (RGD + "a~b", f"<{RGD}a~b>"),
        (RGD + "-starts", f"<{RGD}-starts>"),
        (XSD + "date", "xsd:date"),
        ("https://example.org/x", "<https://example.org/x>"),
    ],
)
def test_shorten_iris(iri: str, expected: str) -> None:
    assert shorten(URIRef(iri)) == expected
    assert shorten(ox.NamedNode(iri)) == expected


def test_shorten_picks_the_longest_namespace() -> None:
    prefixes = {"ex": "http://ex.org/", "exa": "http://ex.org/a/"}
    assert shorten(URIRef("http://ex.org/a/b"), prefixes) == "exa:b"
    # when the longest namespace leaves an invalid local name, a shorter one may still fit
    assert shorten(URIRef("http://ex.org/a/"), prefixes) == "exa:"


def test_shorten_literals_and_blank_nodes() -> None:
    assert shorten(Literal("2024-01-02", datatype=URIRef(XSD + "date"))) == '"2024-01-02"^^xsd:date'
    assert shorten(Literal("x", lang="en")) == '"x"@en'
    assert shorten(Literal("x")) == '"x"'
    assert shorten(BNode("b1")) == "_:b1"
    assert shorten(ox.Literal("3", datatype=ox.NamedNode(XSD + "integer"))) == '"3"^^xsd:integer'


def test_prefix_table_matches_rdflib_namespaces() -> None:
    from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, TIME, XSD

    from relgraph.prefixes import PREFIXES

    rdflib_namespaces = {
        "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS, "dcterms": DCTERMS,
        "foaf": FOAF, "org": ORG, "prov": PROV, "time": TIME, "sh": SH,
    }  # fmt: skip
    assert {prefix: PREFIXES[prefix] for prefix in rdflib_namespaces} == {
        prefix: str(namespace) for prefix, namespace in rdflib_namespaces.items()
    }


def test_xml_s_own_namespaces_are_the_xml_specification_s() -> None:
    import xml.dom

    from relgraph.prefixes import XML_NAMESPACES

    assert (xml.dom.XML_NAMESPACE, xml.dom.XMLNS_NAMESPACE) == XML_NAMESPACES
