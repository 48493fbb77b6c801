"""Ontology 1.1.0 and shapes 1.5.0: the session role rg:delegate and the outcome type rg:launched.

A newcomer adding a second readout found two gaps in the closed vocabularies: a member of a delegation who
neither co-chairs a session nor speaks on it ("the Indian delegation included Joint Secretary X") could be
given no role, so an outcome that names them as its actor got the warning of
``rgsh:Outcome-actorInSession`` whatever the readout did; and a session launching a new initiative had no
outcome type (``rg:advanced`` was used). A readout using both validates clean with both engines, and the
canned queries that list roles or outcome types answer with the new terms.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from rdflib import OWL, RDF, RDFS, SKOS, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from relgraph import resources
from relgraph.catalogue import Catalogue
from relgraph.checks import run_checks
from relgraph.cli import cli
from relgraph.namespaces import ONTOLOGY_IRI, RG, RGD, RGSH
from relgraph.store import KnowledgeGraph
from relgraph.validate import validate
from test_faults_shapes import of_shape, write  # a readout written in a test; the results of one shape

SEVENTH = "rgd:us-india-2plus2-intersessional-07"  # held on 2023-09-26
SESSION = f"{RGD}us-india-2plus2-intersessional-07"

# A readout of the seventh session: a member of the Indian delegation, in the capacity of a post she holds
# on the day, who is an actor of the session's launch of a new initiative. Its sentences are the shipped
# report's (s03 names the delegation, s07 the launch), as in tests/test_faults_shapes.py.
READOUT = f"""\
rgd:test-post-in-mea-joint-secretary a rg:Post ;
    rdfs:label "Joint Secretary, Ministry of External Affairs of India (test)"@en ;
    org:postIn rgd:in-mea .

rgd:test-meera-iyer a rg:Official ;
    rdfs:label "Meera Iyer (test)"@en ;
    foaf:name "Meera Iyer" ;
    org:holds rgd:test-post-in-mea-joint-secretary .

rgd:test-holding-meera-iyer a rg:PostHolding ;
    rdfs:label "Meera Iyer as Joint Secretary, Ministry of External Affairs of India (test)"@en ;
    org:member rgd:test-meera-iyer ;
    rg:ofPost rgd:test-post-in-mea-joint-secretary ;
    org:organization rgd:in-mea ;
    org:memberDuring rgd:test-holding-meera-iyer-term ;
    rg:statedIn rgd:ani-2023-09-27-s03 .
rgd:test-holding-meera-iyer-term a time:Interval ;
    time:inside rgd:day-2023-09-26 .

{SEVENTH} prov:qualifiedAssociation rgd:test-delegate-meera-iyer .
rgd:test-delegate-meera-iyer a rg:SessionRole ;
    rdfs:label "Meera Iyer, delegate to the seventh US-India 2+2 Intersessional Dialogue (test)"@en ;
    prov:agent rgd:test-meera-iyer ;
    prov:hadRole rg:delegate ;
    rg:inCapacityOf rgd:test-post-in-mea-joint-secretary ;
    rg:statedIn rgd:ani-2023-09-27-s03 .

rgd:test-initiative-space-awareness a rg:Initiative ;
    rdfs:label "US-India space situational awareness initiative (test)"@en ;
    rg:inDomain rgd:domain-space ;
    rg:participantCountry rgd:usa , rgd:india .

rgd:test-outcome-launched a rg:Outcome ;
    rdfs:label "Launched a space situational awareness initiative (test)"@en ;
    rg:outcomeOf {SEVENTH} ;
    rg:outcomeType rg:launched ;
    rg:actor rgd:test-meera-iyer , rgd:ely-ratner ;
    rg:concerns rgd:test-initiative-space-awareness , rgd:domain-space ;
    rg:eventCode rgd:cameo-050 ;
    rg:statedIn rgd:ani-2023-09-27-s07 .
"""

NEW_TERMS = {
    # term: (its class, its scheme, how its definition begins, as its neighbours' do)
    RG.delegate: (RG.SessionRoleType, RG.SessionRoleScheme, "A session role type of an official who "),
    RG.launched: (RG.OutcomeType, RG.OutcomeTypeScheme, "An outcome type of an act of "),
}
# each shape with a closed list (sh:in) and the scheme whose top concepts the list must be
CLOSED_LISTS = {
    RGSH["SessionRole-hadRole"]: RG.SessionRoleScheme,
    RGSH["Outcome-outcomeType"]: RG.OutcomeTypeScheme,
    RGSH["StatusRecord-status"]: RG.AgreementStatusScheme,
}


# --- helpers ---------------------------------------------------------------------------------------


@cache
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(resources.ontology_dir() / "relgraph.ttl", format="turtle")


@cache
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(resources.ontology_dir() / "shapes.ttl", format="turtle")


def rows(kg: KnowledgeGraph, name: str, **params: str) -> list[dict[str, str | None]]:
    """Run a canned query; return its rows as dicts of variable -> lexical form (None if unbound)."""
    result = Catalogue.load().get(name).run(kg, params)
    assert result.kind == "select"
    return [
        {var: (None if term is None else str(term)) for var, term in zip(result.variables, row, strict=True)}
        for row in result.rows
    ]


def col(table: list[dict[str, str | None]], *names: str) -> list[tuple[str | None, ...]]:
    return [tuple(row[n] for n in names) for row in table]


def in_session(table: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    return [row for row in table if row["session"] == SESSION]


@pytest.fixture(scope="module")
def readout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("readout") / "delegate-and-launch.ttl", READOUT)


@pytest.fixture(scope="module")
def kg(readout: Path) -> KnowledgeGraph:
    """The shipped graph with the readout added."""
    return KnowledgeGraph.default(extra_files=[readout])


# --- the ontology and the shapes -------------------------------------------------------------------


@pytest.mark.parametrize("term", sorted(NEW_TERMS), ids=lambda t: str(t).split("#")[-1])
def test_a_new_term_is_written_as_its_neighbours_are(term: URIRef) -> None:
    g = ontology()
    cls, scheme, genus = NEW_TERMS[term]
    assert {cls, OWL.NamedIndividual} <= set(g.objects(term, RDF.type))
    labels = [lit for lit in g.objects(term, RDFS.label) if isinstance(lit, Literal) and lit.language == "en"]
    preferred = [lit for lit in g.objects(term, SKOS.prefLabel) if isinstance(lit, Literal)]
    assert len(labels) == 1 and preferred == labels, term
    (definition,) = g.objects(term, SKOS.definition)
    assert isinstance(definition, Literal) and definition.language == "en"
    assert str(definition).startswith(genus), definition
    assert list(g.objects(term, SKOS.inScheme)) == [scheme]
    assert (scheme, SKOS.hasTopConcept, term) in g
    assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in g
    assert str(term).removeprefix(str(RG._NS)) in RG.__annotations__


def test_every_member_of_a_scheme_is_in_it_as_its_top_concept() -> None:
    g = ontology()
    for cls, scheme in (
        (RG.SessionRoleType, RG.SessionRoleScheme),
        (RG.OutcomeType, RG.OutcomeTypeScheme),
        (RG.AgreementStatus, RG.AgreementStatusScheme),
    ):
        members = set(g.subjects(RDF.type, cls))
        assert members == set(g.subjects(SKOS.inScheme, scheme)) == set(g.objects(scheme, SKOS.hasTopConcept))


@pytest.mark.parametrize("shape", sorted(CLOSED_LISTS), ids=lambda s: str(s).split("#")[-1])
def test_the_closed_lists_of_the_shapes_are_their_schemes(shape: URIRef) -> None:
    # a term added to a scheme but not to the shape's sh:in (or its message) would be refused by validation
    head = shapes().value(shape, SH["in"])
    assert head is not None, shape
    listed = list(Collection(shapes(), head))
    scheme = set(ontology().objects(CLOSED_LISTS[shape], SKOS.hasTopConcept))
    assert set(listed) == scheme and len(listed) == len(scheme)
    message = str(shapes().value(shape, SH.message))
    for term in listed:
        assert f"rg:{str(term).removeprefix(str(RG._NS))}" in message, (shape, term)


def test_the_actor_in_session_shape_is_a_warning_that_names_the_delegate_role() -> None:
    shape = RGSH["Outcome-actorInSession"]
    assert shapes().value(shape, SH.severity) == SH.Warning
    assert "rg:delegate" in str(shapes().value(shape, SH.message))


# --- a readout with a delegate and a launch ----------------------------------------------------------


@pytest.mark.parametrize("engine", ["auto", "pyshacl"])
def test_a_readout_with_a_delegate_and_a_launch_validates_clean(readout: Path, engine: str) -> None:
    report = validate([readout], engine=engine, strict=True)
    assert report.results == [], "\n" + "\n".join(r.line() for r in report.results)
    assert report.conforms


def test_a_readout_with_a_delegate_and_a_launch_passes_the_cli_and_the_checks(readout: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "--strict", str(readout)])
    assert result.exit_code == 0, result.output
    assert [o.name for o in run_checks(extra_files=[readout]) if o.result.rows] == []


def test_a_delegate_as_actor_gets_no_warning_and_an_actor_with_no_role_still_does(
    tmp_path: Path, readout: Path
) -> None:
    # the delegate's role is a role in the session like any other; an official with none is still reported
    other = write(
        tmp_path / "actors.ttl",
        f"""rgd:test-official a rg:Official ; rdfs:label "An official with no role (test)"@en ;
    foaf:name "An Official" .
rgd:test-outcome-underscored a rg:Outcome ; rdfs:label "Underscored the momentum (test)"@en ;
    rg:outcomeOf {SEVENTH} ; rg:outcomeType rg:underscored ;
    rg:actor rgd:test-meera-iyer , rgd:test-official , rgd:vani-rao ;
    rg:concerns rgd:us-india-partnership ; rg:eventCode rgd:cameo-010 ; rg:statedIn rgd:ani-2023-09-27-s04 .
""",
    )
    base = KnowledgeGraph.default(extra_files=[readout])
    compiled = validate([other], kg=base, whole_graph=True)
    reference = validate([other], kg=base, engine="pyshacl")
    assert sorted(r.line() for r in compiled.results) == sorted(r.line() for r in reference.results)
    assert of_shape(compiled.results, "Outcome-actorInSession") == {
        ("test-outcome-underscored", "test-official")
    }
    (warning,) = [r for r in compiled.results if r.source_shape == RGSH["Outcome-actorInSession"]]
    assert warning.severity == SH.Warning and "rg:delegate" in warning.message
    assert {r.source_shape for r in compiled.results} == {RGSH["Outcome-actorInSession"]}
    assert compiled.conforms  # a warning


def test_a_misspelled_delegate_role_is_refused_by_the_closed_list_and_named(tmp_path: Path) -> None:
    misspelled = write(
        tmp_path / "typo.ttl", READOUT.replace("prov:hadRole rg:delegate", "prov:hadRole rg:delegat")
    )
    # the closed list names the new role, and the closest defined term is it
    results = validate([misspelled]).results
    assert {r.source_shape for r in results} == {RGSH["SessionRole-hadRole"], RGSH["Term-defined"]}
    (term,) = [r for r in results if r.source_shape == RGSH["Term-defined"]]
    assert term.detail is not None and term.detail.endswith("did you mean rg:delegate?")


# --- the canned queries ------------------------------------------------------------------------------


def test_country_officials_lists_the_delegate_in_her_role(kg: KnowledgeGraph) -> None:
    table = in_session(rows(kg, "country-officials", country="rgd:india"))
    assert col(table, "personLabel", "roleLabel", "postLabel", "organisationLabel") == [
        (
            "Meera Iyer (test)",
            "delegate",
            "Joint Secretary, Ministry of External Affairs of India (test)",
            "Ministry of External Affairs of India",
        ),
        ("Vani Rao", "co-chair", "Additional Secretary, Ministry of External Affairs of India",
         "Ministry of External Affairs of India"),
        ("Vishwesh Negi", "co-chair", "Joint Secretary, Ministry of Defence of India",
         "Ministry of Defence of India"),
    ]  # fmt: skip
    assert col(table, "roleType")[0] == (str(RG.delegate),)
    # the US officials are not of India
    us = in_session(rows(kg, "country-officials", country="rgd:usa"))
    assert f"{RGD}test-meera-iyer" not in {row["person"] for row in us}


def test_person_activity_lists_the_delegate_role_then_the_launch(kg: KnowledgeGraph) -> None:
    table = in_session(rows(kg, "person-activity", person="rgd:test-meera-iyer"))
    assert col(table, "kindLabel", "activity", "type", "typeLabel", "postLabel") == [
        (
            "session role",
            f"{RGD}test-delegate-meera-iyer",
            str(RG.delegate),
            "delegate",
            "Joint Secretary, Ministry of External Affairs of India (test)",
        ),
        ("outcome", f"{RGD}test-outcome-launched", str(RG.launched), "launched", None),
    ]
    # a co-chair who is an actor of the launch has it among his outcomes
    ratner = in_session(rows(kg, "person-activity", person="rgd:ely-ratner"))
    assert ("outcome", "launched") in col(ratner, "kindLabel", "typeLabel")


def test_initiatives_reviewed_lists_an_initiative_a_session_launched(kg: KnowledgeGraph) -> None:
    table = rows(kg, "initiatives-reviewed", session=f"<{SESSION}>")
    assert col(table, "initiativeLabel", "outcomeType", "outcomeTypeLabel", "outcome") == [
        # the test outcome's IRI sorts before the readout's
        ("US-India space situational awareness initiative (test)", str(RG.launched), "launched",
         f"{RGD}test-outcome-launched"),
        ("Major bilateral initiatives on defence industrial cooperation", str(RG.reviewedProgress),
         "reviewed progress on", f"{SESSION}-outcome-03"),
        ("Major bilateral initiatives on information-sharing", str(RG.reviewedProgress),
         "reviewed progress on", f"{SESSION}-outcome-03"),
        ("Major bilateral initiatives on joint service engagements", str(RG.reviewedProgress),
         "reviewed progress on", f"{SESSION}-outcome-03"),
        ("Roadmap for US-India Defence Industrial Cooperation", str(RG.reviewedProgress),
         "reviewed progress on", f"{SESSION}-outcome-07"),
        ("New US-India co-production initiatives", str(RG.welcomed), "welcomed", f"{SESSION}-outcome-08"),
    ]  # fmt: skip
    assert in_session(rows(kg, "initiatives-reviewed")) == table  # all sessions


def test_initiatives_reviewed_on_the_command_line(readout: Path) -> None:
    args = ["query", "initiatives-reviewed", "--data", str(readout), "-p", "session", SEVENTH, "-f", "csv"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    launched = [line for line in result.output.splitlines() if str(RG.launched) in line]
    assert len(launched) == 1 and "US-India space situational awareness initiative (test)" in launched[0]


def test_the_role_and_outcome_queries_that_name_one_type_leave_the_new_terms_out(kg: KnowledgeGraph) -> None:
    # a delegate neither co-chairs nor speaks; a launch is no commitment
    delegate = f"{RGD}test-meera-iyer"
    assert delegate not in {row["person"] for row in rows(kg, "session-co-chairs", session=f"<{SESSION}>")}
    assert delegate not in {row["person"] for row in rows(kg, "spokespersons", session=f"<{SESSION}>")}
    counterparts = rows(kg, "counterparts", session=f"<{SESSION}>", country="rgd:usa")
    assert counterparts and delegate not in {row["counterpart"] for row in counterparts}
    query = Catalogue.load().get("is-co-chair")
    assert query.run(kg, {"person": "rgd:test-meera-iyer"}).boolean is False
    commitments = rows(kg, "commitments", session=f"<{SESSION}>")
    assert commitments and f"{RGD}test-outcome-launched" not in {row["outcome"] for row in commitments}


def test_the_queries_over_every_outcome_type_show_the_launch(kg: KnowledgeGraph) -> None:
    outcomes = rows(kg, "session-outcomes", session=f"<{SESSION}>")
    assert ("launched", "050") in col(
        [r for r in outcomes if r["outcome"] == f"{RGD}test-outcome-launched"],
        "outcomeTypeLabel",
        "cameoCode",
    )
    domains = rows(kg, "domains-discussed", session=f"<{SESSION}>")
    assert ("space", "launched", f"{RGD}test-outcome-launched") in col(
        domains, "domainLabel", "outcomeTypeLabel", "outcome"
    )
