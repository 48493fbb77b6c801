"""`explain`: what the graph says about a resource, each fact with the sentence it comes from."""

from __future__ import annotations

import json
import re

import pytest
from rdflib import URIRef

from relgraph.errors import UsageError
from relgraph.explain import explain, resolve
from relgraph.namespaces import RG, RGD
from relgraph.store import KnowledgeGraph

PROV_AGENT = URIRef("http://www.w3.org/ns/prov#agent")


@pytest.mark.parametrize(
    "text",
    [
        "John Supple",
        "john supple",
        "rgd:john-supple",
        "https://w3id.org/relgraph/id/john-supple",
        "<https://w3id.org/relgraph/id/john-supple>",
    ],
)
def test_resolve_accepts_label_prefixed_name_and_iri(kg, text):
    assert resolve(kg, text) == RGD["john-supple"]


def test_resolve_by_alternative_label(kg):
    assert resolve(kg, "Pentagon") == RGD["us-dod"]
    assert resolve(kg, "SOSA") == RGD["agreement-security-of-supply"]


def test_unknown_and_ambiguous_names_are_usage_errors(kg, tmp_path):
    with pytest.raises(UsageError, match="nothing in the graph is called 'Jane Doe'"):
        resolve(kg, "Jane Doe")
    with pytest.raises(UsageError, match="nothing in the graph is called 'rgd:nobody'"):
        explain(kg, "rgd:nobody")
    twins = tmp_path / "twins.ttl"
    twins.write_text(
        "@prefix rgd: <https://w3id.org/relgraph/id/> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        'rgd:test-a foaf:name "Ely Ratner" .\n'
    )
    with pytest.raises(UsageError, match="'ely ratner' names 2 resources: rgd:ely-ratner, rgd:test-a"):
        resolve(KnowledgeGraph.default(extra_files=[twins]), "ely ratner")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("http://example.org/a b", "'http://example.org/a b' is not an IRI: it contains ' '"),
        ("<http://a b>", "'<http://a b>' is not an IRI: it contains ' '"),
        ("<rgd:ely-ratner>", "rgd: is a prefix here; write rgd:ely-ratner without <...>"),
        ("file:///etc/passwd", "unknown prefix 'file:'"),
    ],
)
def test_an_invalid_iri_is_a_usage_error_not_a_traceback(kg, text, message):
    # these raised ValueError out of the command (exit 1 with a traceback)
    from click.testing import CliRunner

    from relgraph.cli import cli

    with pytest.raises(UsageError, match=re.escape(message)):
        resolve(kg, text)
    result = CliRunner().invoke(cli, ["explain", text])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and message in line


def test_person_is_explained_through_roles_holdings_and_outcomes_with_sentences(kg):
    ex = explain(kg, "Donald Lu")
    assert ex.entity == RGD["donald-lu"]
    assert ex.label == "Donald Lu"
    assert ex.types == [RG.Official]
    assert ex.evidence == ()  # a person is reference data
    by_subject = {f.subject: f for f in ex.incoming}
    role = by_subject[RGD["us-india-2plus2-intersessional-07-co-chair-donald-lu"]]
    assert role.property == PROV_AGENT
    assert [(e.start, e.end) for e in role.evidence] == [(535, 923)]
    assert (
        "Assistant Secretary of State for South and Central Asian Affairs Donald Lu" in role.evidence[0].exact
    )
    # Lu is an actor of the four outcomes of the first readout credited to all four co-chairs: 01, 02,
    # 03 and 11
    first = str(RGD["us-india-2plus2-intersessional-07-outcome-"])
    outcomes = sorted(str(s).rsplit("-", 1)[-1] for s in by_subject if str(s).startswith(first))
    assert outcomes == ["01", "02", "03", "11"]


def test_outcome_is_explained_with_its_own_sentence(kg):
    ex = explain(kg, "rgd:us-india-2plus2-intersessional-07-outcome-08")
    assert [e.iri for e in ex.evidence] == [RGD["ani-2023-09-27-s08"]]
    assert ex.evidence[0].file == "ani-2023-09-27-us-india-2plus2-intersessional.txt"
    facts = {(str(f.property), str(f.value)) for f in ex.outgoing}
    assert (str(RG.outcomeType), str(RG.welcomed)) in facts
    assert (str(RG.concerns), str(RGD["co-production-initiatives"])) in facts
    text = ex.render("text")
    assert "welcomed progress on new co-production initiatives" in text
    body = json.loads(ex.render("json"))
    assert body["evidence"][0]["start"] == 1742


def test_values_keep_their_kind_datatype_and_language(tmp_path):
    # the integer 5 and the string "5", an IRI and a string of it, a blank node and a string: written
    # alike in text, and the JSON had no kind, datatype or language
    from relgraph.explain import explain
    from relgraph.store import KnowledgeGraph

    data = tmp_path / "kinds.ttl"
    data.write_text(
        "@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'ex:z rdfs:label "Zed"@en ; ex:p <http://example.org/q>, "http://example.org/q",\n'
        '  "5"^^<http://www.w3.org/2001/XMLSchema#integer>, "5", [ ex:v 1 ] .\n',
        encoding="utf-8",
    )
    result = explain(KnowledgeGraph.default(extra_files=[data]), "Zed")
    lines = result.render("text").splitlines()
    facts = sorted(line.strip() for line in lines if line.startswith("  <http://example.org/p>"))
    blank = next(line for line in facts if "_:" in line).split()[-1]
    assert facts == sorted(
        [
            "<http://example.org/p> <http://example.org/q>",
            '<http://example.org/p> "http://example.org/q"',
            '<http://example.org/p> "5"^^xsd:integer',
            '<http://example.org/p> "5"',
            f"<http://example.org/p> {blank}",
        ]
    )
    assert '  rdfs:label "Zed"@en' in lines
    kinds = sorted(
        (f["value"], f["value_kind"], f.get("datatype"), f.get("language"))
        for f in json.loads(result.render("json"))["facts"]
    )
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert kinds == sorted(
        [
            ("Zed", "literal", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString", "en"),
            ("http://example.org/q", "iri", None, None),
            ("http://example.org/q", "literal", xsd + "string", None),
            ("5", "literal", xsd + "integer", None),
            ("5", "literal", xsd + "string", None),
            (blank.removeprefix("_:"), "blank node", None, None),
        ]
    )


def test_a_name_typed_decomposed_is_found(tmp_path):
    # macOS input often gives "José Núñez" decomposed (NFD): "nothing in the graph is called" it
    import unicodedata

    from relgraph.explain import resolve
    from relgraph.store import KnowledgeGraph

    data = tmp_path / "jose.ttl"
    data.write_text(
        '<http://example.org/jose> <http://www.w3.org/2000/01/rdf-schema#label> "José Núñez"@en .\n',
        encoding="utf-8",
    )
    kg = KnowledgeGraph.default(extra_files=[data])
    typed = unicodedata.normalize("NFD", "José Núñez")
    assert typed != "José Núñez"
    assert str(resolve(kg, typed)) == str(resolve(kg, "José Núñez")) == "http://example.org/jose"


def test_an_unknown_prefix_is_named_when_nothing_is_called_that():
    # "unknown:foo" said only "nothing in the graph is called", where "file:///x" named the prefix
    from relgraph.errors import UsageError
    from relgraph.explain import resolve
    from relgraph.store import KnowledgeGraph

    with pytest.raises(
        UsageError,
        match=r"nothing in the graph is called 'unknown:foo' .*; as a prefixed "
        r"name: unknown prefix 'unknown:' in 'unknown:foo' \(known: rg, rgd, ",
    ):
        resolve(KnowledgeGraph.default(), "unknown:foo")


def test_a_property_is_said_to_be_one(kg):
    # `explain rdf:type` said "nothing in the graph is called 'rdf:type'", though every node has one
    from rdflib import RDF

    typed = len(list(kg.to_rdflib().triples((None, RDF.type, None))))
    assert typed > 200  # the people, posts, sessions, outcomes, evidence ... of the readout
    message = (
        f"rdf:type is used only as a property, in {typed} triples: the graph says nothing about it itself "
        "(relgraph sparql can ask about its uses)"
    )
    for text in ("rdf:type", f"<{RDF.type}>"):
        with pytest.raises(UsageError) as caught:
            explain(kg, text)
        assert caught.value.message == message
    with pytest.raises(UsageError, match="nothing in the graph is called 'rdf:nothing'"):
        explain(kg, "rdf:nothing")
