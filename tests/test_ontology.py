"""The ontology: header, term annotations, the namespace module, and consistency under OWL RL."""

from __future__ import annotations

import owlrl
import rdflib
from rdflib import OWL, RDF, RDFS, SKOS, XSD, URIRef
from rdflib.namespace import DCTERMS

from relgraph.namespaces import ONTOLOGY_IRI, RG
from relgraph.store import default_files

ONTOLOGY = default_files()[0]
ERRORS = URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")


def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY)


def test_header_has_title_description_creator_licence_and_one_version():
    g = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g
    assert g.value(ONTOLOGY_IRI, DCTERMS.title).language == "en"
    assert len(str(g.value(ONTOLOGY_IRI, DCTERMS.description))) > 100
    assert g.value(ONTOLOGY_IRI, DCTERMS.creator) is not None
    assert g.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    versions = list(g.objects(ONTOLOGY_IRI, OWL.versionInfo))
    assert len(versions) == 1
    version_iri = g.value(ONTOLOGY_IRI, OWL.versionIRI)
    assert str(version_iri) == f"{ONTOLOGY_IRI}/{versions[0]}"
    assert not list(g.objects(ONTOLOGY_IRI, OWL.imports)), (
        "owl:imports would make tools fetch over the network"
    )


def test_every_term_has_english_label_definition_and_is_defined_by():
    g = ontology()
    terms = {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(str(RG._NS))}
    assert len(terms) >= 60
    for term in terms:
        labels = [lit for lit in g.objects(term, RDFS.label) if lit.language == "en"]
        definitions = [lit for lit in g.objects(term, SKOS.definition) if lit.language == "en"]
        assert len(labels) == 1, term
        assert len(definitions) == 1, term
        assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in g, term


def test_own_classes_are_aligned_to_w3c_vocabularies():
    g = ontology()
    expected = {
        RG.Post: "http://www.w3.org/ns/org#Post",
        RG.PostHolding: "http://www.w3.org/ns/org#Membership",
        RG.DialogueSession: "http://www.w3.org/ns/prov#Activity",
        RG.SessionRole: "http://www.w3.org/ns/prov#Association",
        RG.Evidence: "http://www.w3.org/ns/oa#SpecificResource",
        RG.CooperationDomain: str(SKOS.Concept),
        RG.Official: "http://xmlns.com/foaf/0.1/Person",
        RG.Initiative: "http://www.w3.org/ns/prov#Plan",
    }
    for cls, parent in expected.items():
        assert (cls, RDFS.subClassOf, URIRef(parent)) in g, cls


def test_namespace_module_lists_exactly_the_ontology_terms():
    g = ontology()
    in_turtle = {str(s)[len(str(RG._NS)) :] for s in g.subjects() if str(s).startswith(str(RG._NS))}
    in_code = set(RG.__annotations__)
    assert in_code == in_turtle


def closure(*files) -> rdflib.Graph:
    g = rdflib.Graph()
    for f in files:
        g.parse(f)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    return g


def assert_consistent(g: rdflib.Graph) -> None:
    errors = [
        str(g.value(m, URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")))
        for m in g.subjects(RDF.type, ERRORS)
    ]
    assert errors == []
    assert list(g.subjects(RDF.type, OWL.Nothing)) == []
    # relgraph's own individuals follow the unique-name assumption: no two of them may be inferred equal
    same = [
        (s, o)
        for s, o in g.subject_objects(OWL.sameAs)
        if s != o
        and str(s).startswith("https://w3id.org/relgraph/")
        and str(o).startswith("https://w3id.org/relgraph/")
    ]
    assert same == []


def test_ontology_and_data_are_consistent_under_owl_rl():
    g = closure(*default_files())
    assert_consistent(g)
    # the alignment axioms really infer: a co-chair role is a prov:Association, a session a prov:Activity
    assert (RG.coChair, RDF.type, URIRef("http://www.w3.org/ns/prov#Role")) in g
    session = URIRef("https://w3id.org/relgraph/id/us-india-2plus2-intersessional-07")
    assert (session, RDF.type, URIRef("http://www.w3.org/ns/prov#Activity")) in g


def test_the_consistency_check_can_fail(tmp_path):
    # an organisation in two countries makes the functional rg:country equate India and the US
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix rg: <https://w3id.org/relgraph/ontology#> . @prefix rgd: <https://w3id.org/relgraph/id/> .\n"
        "rgd:us-dod rg:country rgd:india .\n"
    )
    g = closure(*default_files(), bad)
    try:
        assert_consistent(g)
    except AssertionError:
        return
    raise AssertionError("an organisation in two countries went unnoticed")


# the datatypes of the OWL 2 datatype map (OWL 2 Structural Specification, section 4), which OWL 2 DL
# reasoners such as HermiT support, "all and only"
OWL2_DATATYPES = {
    RDF.PlainLiteral, RDF.XMLLiteral, RDFS.Literal, OWL.real, OWL.rational,
    *(XSD[name] for name in (
        "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
        "negativeInteger",
        "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
        "double", "float", "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN",
        "boolean", "hexBinary", "base64Binary", "anyURI", "dateTime", "dateTimeStamp",
    )),
}  # fmt: skip


def test_datatype_ranges_are_in_the_owl2_datatype_map():
    # rg:placeAsReported and rg:inferenceNote were ranged over rdf:langString (RDF 1.1), which OWL 2 does
    # not know: HermiT stops on the ontology with UnsupportedDatatypeException
    g = ontology()
    ranges = {
        (prop, rng)
        for prop in g.subjects(RDF.type, OWL.DatatypeProperty)
        for rng in g.objects(prop, RDFS.range)
        if str(prop).startswith(str(RG._NS))
    }
    assert len(ranges) == 5  # rg:ordinal, rg:placeAsReported, rg:platform, rg:textFile, rg:inferenceNote
    assert {(p, r) for p, r in ranges if r not in OWL2_DATATYPES} == set()
    assert (RG.placeAsReported, RDF.PlainLiteral) in ranges
