"""Validation of new data together with the existing graph: results, locations, formats, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import SH, Literal, URIRef

from relgraph.errors import InputError
from relgraph.namespaces import RGD, RGSH
from relgraph.resources import data_dir, ontology_dir
from relgraph.terms import shorten
from relgraph.validate import validate

READOUT = data_dir() / "readouts" / "ani-2023-09-27-us-india-2plus2-intersessional.ttl"

NEW_OUTCOME = """\
@prefix rg: <https://w3id.org/relgraph/ontology#> .
@prefix rgd: <https://w3id.org/relgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

# an outcome of the seventh session that cites no sentence and has a session role as its type
rgd:test-outcome a rg:Outcome ;
    rdfs:label "Agreed to meet again"@en ;
    rg:outcomeOf rgd:us-india-2plus2-intersessional-07 ;
    rg:outcomeType rg:spokesperson ;
    rg:actor rgd:ely-ratner ;
    rg:concerns rgd:domain-space ;
    rg:eventCode rgd:cameo-036 .
"""


def test_the_shipped_readout_conforms_with_no_result_at_all(kg):
    report = validate([READOUT], kg=kg, strict=True)
    assert report.conforms
    assert report.results == []


def test_new_data_is_checked_against_the_existing_graph(tmp_path, kg):
    new = tmp_path / "new-readout.ttl"
    new.write_text(NEW_OUTCOME)
    report = validate([new], kg=kg)
    assert not report.conforms
    # references to the known session, official, domain and CAMEO code resolve: only the 2 real faults remain
    shapes = sorted(str(r.source_shape) for r in report.results)
    assert shapes == [str(RGSH["Outcome-outcomeType"]), str(RGSH["Outcome-statedIn"])]
    for result in report.results:
        assert result.focus == RGD["test-outcome"]
        assert result.focus_label == "Agreed to meet again"
        assert result.location == f"{new}:6"
        assert result.severity == SH.Violation
    by_shape = {str(r.source_shape): r for r in report.results}
    assert by_shape[str(RGSH["Outcome-statedIn"])].path == "rg:statedIn"
    assert by_shape[str(RGSH["Outcome-outcomeType"])].value == URIRef(
        "https://w3id.org/relgraph/ontology#spokesperson"
    )


def test_text_report_is_one_line_per_result_and_a_summary(tmp_path, kg):
    new = tmp_path / "new.ttl"
    new.write_text(NEW_OUTCOME)
    lines = validate([new], kg=kg).render("text").splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f'{new}:6: Violation: rgd:test-outcome ("Agreed to meet again") ')
    assert "Outcome: rg:" in lines[0]
    assert lines[-1] == f"{new}: does not conform (2 violations, 0 warnings, 0 infos)"


def test_json_and_turtle_reports(tmp_path, kg):
    new = tmp_path / "new.ttl"
    new.write_text(NEW_OUTCOME)
    report = validate([new], kg=kg)
    body = json.loads(report.render("json"))
    assert body["conforms"] is False
    assert body["counts"] == {"Violation": 2, "Warning": 0, "Info": 0}
    assert {r["location"] for r in body["results"]} == {f"{new}:6"}
    assert "sh:ValidationReport" in report.render("turtle")


def test_warnings_do_not_fail_unless_strict(tmp_path, kg):
    new = tmp_path / "warn.ttl"
    # an official without foaf:name: a warning, not a violation
    new.write_text(
        "@prefix rg: <https://w3id.org/relgraph/ontology#> . @prefix rgd: <https://w3id.org/relgraph/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'rgd:test-official a rg:Official ; rdfs:label "Test Official"@en .\n'
    )
    report = validate([new], kg=kg)
    assert report.conforms
    assert [r.severity_name for r in report.results] == ["Warning"]
    assert not validate([new], kg=kg, strict=True).conforms


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.ttl", "@prefix rg: <https://w3id.org/relgraph/ontology#> .\nrg:a rg:b .\n", "broken.ttl:2"),
        ("missing.ttl", None, "missing.ttl"),
        ("data.csv", "a,b\n", "data.csv"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(tmp_path, kg, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as caught:
        validate([path], kg=kg)
    message = caught.value.message
    assert expected in message
    assert "\n" not in message


def test_other_rdf_formats_are_validated_by_extension(tmp_path, kg):
    new = tmp_path / "new.jsonld"
    new.write_text(
        json.dumps(
            {
                "@id": "https://w3id.org/relgraph/id/test-region",
                "@type": "https://w3id.org/relgraph/ontology#Region",
            }
        )
    )
    report = validate([new], kg=kg)
    assert [str(r.source_shape) for r in report.results] == [str(RGSH.EnglishLabel)]
    assert report.results[0].location == f"{new}:1"


def test_validating_does_not_change_the_graph(tmp_path, kg):
    before = len(kg)
    new = tmp_path / "new.ttl"
    new.write_text(NEW_OUTCOME)
    validate([new], kg=kg)
    assert len(kg) == before


def test_report_names_files_in_the_existing_graph_when_the_fault_is_there(tmp_path, kg):
    # a second country on the US Department of Defense makes the existing organisation fail
    new = tmp_path / "extra.ttl"
    new.write_text(
        "@prefix rg: <https://w3id.org/relgraph/ontology#> . @prefix rgd: <https://w3id.org/relgraph/id/> .\n"
        "rgd:us-dod rg:country rgd:india .\n"
    )
    report = validate([new], kg=kg)
    assert [str(r.source_shape) for r in report.results] == [str(RGSH["Organization-country"])]
    assert report.results[0].location == f"{new}:2"
    assert Path(report.results[0].location.split(":")[0]).name == "extra.ttl"


@pytest.mark.parametrize("engine", ["auto", "pyshacl"])
def test_validation_stops_at_the_timeout_and_leaves_the_graph_as_it_was(tmp_path, engine):
    import time

    from relgraph.limits import QueryTimeoutError, abandoned_work, use_timeout
    from relgraph.store import KnowledgeGraph

    kg = KnowledgeGraph.default()  # not the shared one: the new triples go into its store for a while
    before = len(kg)
    new = tmp_path / "new-readout.ttl"
    new.write_text(NEW_OUTCOME)
    with (
        use_timeout(0.000001),
        pytest.raises(QueryTimeoutError, match=r"^validation stopped after the timeout of 1e-06 s"),
    ):
        validate([new], kg=kg, engine=engine)
    assert len(kg) == before  # the new triples are taken out at the timeout, not when the checks end
    assert not kg.query("ASK { ?s ?p ?o FILTER(?s = <https://w3id.org/relgraph/id/test-outcome>) }").boolean
    for _ in range(600):  # the checks left behind end on their own
        if abandoned_work() == 0:
            break
        time.sleep(0.05)
    assert abandoned_work() == 0
    report = validate([new], kg=kg, engine=engine)  # and the graph still validates as before
    assert sorted(str(r.source_shape) for r in report.results) == [
        str(RGSH["Outcome-outcomeType"]),
        str(RGSH["Outcome-statedIn"]),
    ]
    assert len(kg) == before


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        (  # rdf:about="..." ends with > or /> (the line was not found: "(no file)")
            "new.rdf",
            '<?xml version="1.0"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
            '         xmlns:rg="https://w3id.org/relgraph/ontology#">\n'
            '  <rg:Region rdf:about="https://w3id.org/relgraph/id/test-region"/>\n'
            "</rdf:RDF>\n",
            4,
        ),
        (
            "new.ttl",  # an IRI relative to the file's @base
            "@base <https://w3id.org/relgraph/id/> .\n@prefix rg: <https://w3id.org/relgraph/ontology#> .\n\n"
            "<test-region> a rg:Region .\n",
            4,
        ),
        (
            "new.rdf",  # relative to xml:base, on a line of its own
            '<?xml version="1.0"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
            '         xmlns:rg="https://w3id.org/relgraph/ontology#" xml:base="https://w3id.org/relgraph/id/">\n'
            "  <rg:Region\n"
            '      rdf:about="test-region">\n'
            "  </rg:Region>\n"
            "</rdf:RDF>\n",
            5,
        ),
    ],
)
def test_results_are_located_in_rdfxml_and_relative_iris(tmp_path, kg, name, content, line):
    new = tmp_path / name
    new.write_text(content)
    report = validate([new], kg=kg)
    assert [str(r.source_shape) for r in report.results] == [str(RGSH.EnglishLabel)]
    assert report.results[0].focus == RGD["test-region"]
    assert report.results[0].location == f"{new}:{line}"


def _without_the_readout():
    from relgraph.store import KnowledgeGraph, default_files

    base = KnowledgeGraph()
    base.load(*[f for f in default_files() if f != READOUT])
    return base


@pytest.mark.parametrize("engine", ["auto", "pyshacl"])
def test_a_quote_that_is_not_its_source_text_is_a_violation(tmp_path, engine):
    # the shapes check the quote's length against its offsets, not its text: a readout whose quote
    # said "US-China" where the source says "US-India" conformed, and `add --strict` took it
    forged = tmp_path / "forged.ttl"
    text = READOUT.read_text(encoding="utf-8")
    forged.write_text(text.replace("US-India ties", "US-China ties"), encoding="utf-8")
    report = validate([forged], kg=_without_the_readout(), engine=engine, strict=True)
    assert not report.conforms
    (result,) = report.results
    assert result.severity == SH.Violation and result.focus == URIRef(RGD + "ani-2023-09-27-s01")
    assert result.source_shape == RGSH["Evidence-quote"]
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("rgd:ani-2023-09-27-s01 "))
    assert result.location == f"{forged}:{line}"
    assert result.message.startswith("Evidence: oa:exact must be the text its source's rg:textFile holds")
    source = (data_dir() / "sources" / "ani-2023-09-27-us-india-2plus2-intersessional.txt").read_text("utf-8")
    sentence = source[source.index("Top US Defence") : source.index("on Wednesday.") + len("on Wednesday.")]
    assert result.value == Literal(sentence.replace("US-India ties", "US-China ties"))
    # in detail (relgraph.quotes): where the quote first differs from the text
    from relgraph.quotes import check_quotes
    from relgraph.store import KnowledgeGraph

    new = KnowledgeGraph()
    new.load(forged)
    (problem,) = check_quotes(new.oxigraph, [data_dir() / "sources"])
    start, first = source.index(sentence), sentence.index("US-India ties") + len("US-")
    assert (problem.shape, problem.severity) == ("Evidence-quote", "Violation")
    assert problem.message == (
        "Evidence: the quote is not what ani-2023-09-27-us-india-2plus2-intersessional.txt holds at "
        f'{start}-{start + len(sentence)}: from its character {first}, "…tive momentum in US-China ties '
        'and reiterated the need to up…" where the text has "…tive momentum in US-India ties and '
        'reiterated the need to up…"'
    )
    assert "Evidence-quote" in report.render("turtle")
    # the same file, its quote as the source has it, conforms
    genuine = tmp_path / "genuine.ttl"
    genuine.write_text(text, encoding="utf-8")
    assert validate([genuine], kg=_without_the_readout(), engine=engine, strict=True).results == []


def test_a_source_text_not_found_is_one_warning(tmp_path):
    moved = tmp_path / "moved.ttl"
    text = READOUT.read_text(encoding="utf-8")
    moved.write_text(text.replace("intersessional.txt", "intersessional-elsewhere.txt"), encoding="utf-8")
    report = validate([moved], kg=_without_the_readout())
    assert report.conforms  # a warning
    (result,) = report.results
    assert result.severity == SH.Warning and result.source_shape == RGSH["Evidence-sourceText"]
    from relgraph.quotes import check_quotes
    from relgraph.store import KnowledgeGraph

    new = KnowledgeGraph()
    new.load(moved)
    folders = [tmp_path, tmp_path / "moved-sources", data_dir() / "sources"]
    (problem,) = check_quotes(new.oxigraph, folders)
    assert problem.message == (
        "Evidence: its source text ani-2023-09-27-us-india-2plus2-intersessional-elsewhere.txt was not found "
        f"(looked in {tmp_path}, {tmp_path / 'moved-sources'}, {data_dir() / 'sources'}), so its quote is "
        "not checked, nor those of 12 more evidence of it"
    )
    assert not validate([moved], kg=_without_the_readout(), strict=True).conforms
    # found next to the file, in its -sources folder (where relgraph synth writes them)
    (tmp_path / "moved-sources").mkdir()
    original = data_dir() / "sources" / "ani-2023-09-27-us-india-2plus2-intersessional.txt"
    (tmp_path / "moved-sources" / "ani-2023-09-27-us-india-2plus2-intersessional-elsewhere.txt").write_bytes(
        original.read_bytes()
    )
    assert validate([moved], kg=_without_the_readout(), strict=True).results == []


def test_library_callers_may_give_one_file_and_paths_as_text():
    # a str was taken as a list of one-letter file names ("t: unknown RDF file extension"), and a str
    # shapes path was an AttributeError traceback
    report = validate(str(READOUT), shapes=str(ontology_dir() / "shapes.ttl"))
    assert report.conforms and report.files == [READOUT]
    with pytest.raises(InputError, match=r"^missing-shapes\.ttl: "):
        validate([READOUT], shapes="missing-shapes.ttl")


def test_offsets_outside_the_source_text_are_never_its_quote(tmp_path):
    # text[-3:6] is "def": a negative start must not make a quote of the end of the text
    import pyoxigraph as ox

    from relgraph.namespaces import OA, RG
    from relgraph.quotes import check_quotes

    (tmp_path / "s.txt").write_text("abcdef", encoding="utf-8")
    store = ox.Store()
    store.load(
        f"""@prefix rg: <{RG}> . @prefix oa: <{OA}> .
        <http://ex/e> a rg:Evidence ; oa:hasSource <http://ex/r> ;
          oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "def" ] ,
                         [ a oa:TextPositionSelector ; oa:start -3 ; oa:end 6 ] .
        <http://ex/r> rg:textFile "s.txt" .""",
        ox.RdfFormat.TURTLE,
    )
    (problem,) = check_quotes(store, [tmp_path])
    assert problem.message == "Evidence: the offsets -3-6 are not within s.txt (6 characters)"


MISSPELLED = """\
@prefix rg: <https://w3id.org/relgraph/ontology#> .
@prefix rgd: <https://w3id.org/relgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <http://example.org/vocabulary#> .

rgd:test-note a rg:SourceNote ;
    rdfs:label "A note (test)"@en ;
    rg:sourceNote "Dated by the report."@en ;
    ex:mood "hopeful" .
rgd:test-role rdfs:label "A role (test)"@en ;
    prov:hadRole rg:cochair .
rgd:test-other-role rdfs:label "Another role (test)"@en ;
    prov:hadRole rg:cochair ;
    rg:newlyDeclared "declared below" .
rg:newlyDeclared a owl:DatatypeProperty .
"""


@pytest.mark.parametrize("engine", ["auto", "pyshacl"])
def test_terms_the_ontology_does_not_declare_are_reported_on_their_first_user(tmp_path, kg, engine):
    new = tmp_path / "misspelled.ttl"
    new.write_text(MISSPELLED, encoding="utf-8")
    report = validate([new], kg=kg, engine=engine)
    assert not report.conforms
    found = [
        (
            r.severity_name,
            str(r.source_shape).split("#")[1],
            r.location,
            shorten(r.focus),
            r.path,
            r.value,
            r.detail,
        )
        for r in report.results
    ]
    role = URIRef("https://w3id.org/relgraph/ontology#cochair")
    assert found == [
        (
            "Violation",
            "Term-defined",
            f"{new}:8",
            "rgd:test-note",
            "rdf:type",
            URIRef("https://w3id.org/relgraph/ontology#SourceNote"),
            "rg:SourceNote is not defined by the ontology: the class of 1 node; did you mean rg:Source?",
        ),
        (
            "Violation",
            "Term-defined",
            f"{new}:8",
            "rgd:test-note",
            "rg:sourceNote",
            None,
            "rg:sourceNote is not defined by the ontology: a property of 1 node",
        ),
        (
            "Violation",
            "Term-defined",
            f"{new}:14",
            "rgd:test-other-role",
            "prov:hadRole",
            role,
            "rg:cochair is not defined by the ontology: the value of prov:hadRole on 2 nodes; "
            "did you mean rg:coChair?",
        ),
        (
            "Violation",
            "Term-defined",
            f"{new}:14",
            "rgd:test-other-role",
            "rg:newlyDeclared",
            None,
            "rg:newlyDeclared is not defined by the ontology: a property of 1 node",
        ),
        (
            "Violation",
            "Term-defined",
            f"{new}:16",
            "rg:newlyDeclared",
            None,
            None,
            "rg:newlyDeclared is not defined by the ontology: described here",
        ),
        (
            "Warning",
            "Term-declared",
            f"{new}:8",
            "rgd:test-note",
            "<http://example.org/vocabulary#mood>",
            None,
            "<http://example.org/vocabulary#mood> is not declared in the ontology: a property of 1 node",
        ),
    ]  # a file cannot define an rg: term (rg:newlyDeclared a owl:DatatypeProperty): only the ontology does
    line = report.results[2].line()
    assert line.startswith(
        f'{new}:14: Violation: rgd:test-other-role ("Another role (test)") prov:hadRole value '
    )
    assert line.endswith(f"rdfs:isDefinedBy. [{found[2][6]}]")  # the shape's message, then the detail
    body = json.loads(report.render("json"))
    assert body["results"][2]["detail"] == found[2][6]
    assert "rg:cochair is not defined by the ontology" in report.render("turtle")  # the result's rdfs:comment


def test_the_term_check_finds_nothing_in_generated_readouts(tmp_path, kg):
    from relgraph.store import KnowledgeGraph
    from relgraph.synth import generate
    from relgraph.vocabulary import check_terms

    corpus = tmp_path / "corpus.ttl"
    generate(corpus, sessions=3, seed=11)
    new = KnowledgeGraph()
    new.load(corpus)
    assert len(new) > 800
    assert check_terms(new.oxigraph, kg.oxigraph) == []
    assert check_terms(kg.oxigraph) == []  # nor in the shipped graph (the ontology declares what it uses)


def test_with_other_shapes_the_term_checks_keep_their_severity(tmp_path, kg):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:Nothing ; sh:closed false .\n",
        encoding="utf-8",
    )
    new = tmp_path / "foreign.ttl"
    new.write_text(
        "@prefix ex: <http://example.org/vocabulary#> .\n"
        '<https://w3id.org/relgraph/id/test-x> ex:mood "hopeful" .\n',
        encoding="utf-8",
    )
    report = validate([new], kg=kg, shapes=shapes)
    (result,) = report.results
    assert report.conforms and result.severity == SH.Warning  # as rgsh:Term-declared says, not a violation
    assert result.source_shape == RGSH["Term-declared"] and result.message == result.detail
    assert (
        result.message
        == "<http://example.org/vocabulary#mood> is not declared in the ontology: a property of 1 node"
    )


def test_a_term_of_the_wrong_kind_or_a_misspelled_built_in_one_is_reported(tmp_path, kg):
    # rg:Country (a class) used as a property, rg:status (a property) as a class, rdfs:lable: all passed
    new = tmp_path / "kinds.ttl"
    new.write_text(
        "@prefix rg: <https://w3id.org/relgraph/ontology#> . @prefix rgd: <https://w3id.org/relgraph/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        'rgd:test-x rdfs:label "X"@en ;\n'
        "    rg:Country rgd:usa ;\n"
        '    rdfs:lable "x" ;\n'
        '    rdf:_3 "a container member, a term of RDF" .\n'
        'rgd:test-y a rg:status ; rdfs:label "Y"@en .\n',
        encoding="utf-8",
    )
    report = validate([new], kg=kg)
    assert [(r.severity_name, r.location, r.detail) for r in report.results] == [
        (
            "Violation",
            f"{new}:4",
            "rg:Country is declared as owl:Class, not as a property: a property of 1 node; "
            "did you mean rg:country?",
        ),
        (
            "Violation",
            f"{new}:8",
            "rg:status is declared as owl:ObjectProperty, not as a class: the class of 1 node",
        ),
        (
            "Warning",
            f"{new}:4",
            "rdfs:lable is not declared in the ontology: a property of 1 node; did you mean rdfs:label?",
        ),
    ]


def test_line_numbers_count_only_line_breaks(tmp_path, kg):
    # str.splitlines() also broke lines at U+2028, U+0085 and a form feed inside a literal, so every
    # line after one was reported too far down
    new = tmp_path / "separators.ttl"
    new.write_text(
        "@prefix rg: <https://w3id.org/relgraph/ontology#> . @prefix rgd: <https://w3id.org/relgraph/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'rgd:test-a rdfs:label "A\u2028B\u0085C\x0cD"@en .\n'
        'rgd:test-b rdfs:label "B"@en ;\n'
        "    rg:misspelt 1 .\n",
        encoding="utf-8",
    )
    (result,) = validate([new], kg=kg).results
    assert result.location == f"{new}:4"


def test_a_value_nothing_describes_is_named_and_a_result_is_shown_once(tmp_path, kg):
    # "prov:agent must be exactly one rg:Official" did not say that the person was in no file (a
    # newcomer had not added them to data/reference), and the two constraints of rg:ordinal that an
    # "8" string breaks (datatype, minimum) printed the same line twice
    new = tmp_path / "new.ttl"
    new.write_text(
        "@prefix rg: <https://w3id.org/relgraph/ontology#> .\n"
        "@prefix rgd: <https://w3id.org/relgraph/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
        "rgd:us-india-2plus2-intersessional-07 prov:qualifiedAssociation rgd:test-role .\n"
        'rgd:test-role a rg:SessionRole ; rdfs:label "A new co-chair (test)"@en ;\n'
        "    prov:agent rgd:test-nobody ; prov:hadRole rg:coChair ;\n"
        "    rg:inCapacityOf rgd:post-us-dod-spokesperson ; rg:statedIn rgd:ani-2023-09-27-s03 .\n"
        'rgd:test-session a rg:DialogueSession ; rdfs:label "Eighth session (test)"@en ;\n'
        '    rg:sessionOf rgd:us-india-2plus2-intersessional ; rg:ordinal "8" ;\n'
        '    <http://purl.org/dc/terms/date> "2023-09-26"^^<http://www.w3.org/2001/XMLSchema#date> ;\n'
        "    rg:eventCode rgd:cameo-040 ; rg:statedIn rgd:ani-2023-09-27-s01 .\n",
        encoding="utf-8",
    )
    report = validate([new], kg=kg)
    found = [(r.path, r.detail) for r in report.results]
    assert found.count(("rg:ordinal", None)) == 1
    assert (
        "prov:agent",
        "rgd:test-nobody is not described anywhere in the graph: check its spelling, or add it to the "
        "reference data (data/reference/)",
    ) in found
    lines = report.render("text").splitlines()
    assert len(lines) == len(set(lines)) == len(report.results) + 1
    assert lines[-1] == f"{new}: does not conform (3 violations, 0 warnings, 0 infos)"
    # values the graph describes, of the wrong class, get no such note (the compiled engine's label graph
    # held only the focus nodes, and said it of rgd:india and rgd:us-dod)
    known = tmp_path / "known.ttl"
    known.write_text(
        new.read_text()
        .replace("rgd:test-nobody", "rgd:india")
        .replace("rgd:post-us-dod-spokesperson", "rgd:us-dod"),
        encoding="utf-8",
    )
    for engine in ("auto", "pyshacl"):
        wrong_class = validate([known], kg=kg, engine=engine).results
        assert {r.path for r in wrong_class} >= {"prov:agent", "rg:inCapacityOf"}
        assert [r.detail for r in wrong_class if r.path in ("prov:agent", "rg:inCapacityOf")] == [None, None]
