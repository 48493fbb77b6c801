"""`explain`: what the graph says about a resource, each fact with the sentence it comes from."""

from __future__ import annotations

import json
import re

import pytest
from rdflib import BNode, URIRef

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
            (blank, "blank node", None, None),  # "_:id", as the subject of a fact is written
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


PREFIXES_TTL = (
    "@prefix rg: <https://w3id.org/relgraph/ontology#> . @prefix rgd: <https://w3id.org/relgraph/id/> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix oa: <http://www.w3.org/ns/oa#> .\n"
    "@prefix prov: <http://www.w3.org/ns/prov#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
)


def graph_with(tmp_path, turtle: str) -> KnowledgeGraph:
    data = tmp_path / "extra.ttl"
    data.write_text(PREFIXES_TTL + turtle, encoding="utf-8")
    return KnowledgeGraph.default(extra_files=[data])


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        ("1.5", "3", 'oa:start "1.5"^^xsd:decimal is not an xsd:integer of 0 or more'),
        ('"twelve"', "30", 'oa:start "twelve" is not an xsd:integer of 0 or more'),
        ("2", '"3"', 'oa:end "3" is not an xsd:integer of 0 or more'),
        ("-3", "30", 'oa:start "-3"^^xsd:integer is not an xsd:integer of 0 or more'),
        # int() takes these: "1_000" is 1000, and 5000 digits are a ValueError
        ('"1_000"^^xsd:integer', "2000", 'oa:start "1_000"^^xsd:integer is not an xsd:integer of 0 or more'),
        ("9" * 5000, "3", f'oa:start "{"9" * 5000}"^^xsd:integer is not an xsd:integer of 0 or more'),
        ("30", "3", "oa:start 30 is after oa:end 3"),
    ],
    ids=["decimal", "text", "string", "negative", "underscore", "5000 digits", "start after end"],
)
def test_evidence_whose_offsets_are_not_offsets_is_shown_without_them(tmp_path, start, end, problem):
    # int(lexical(start)): a ValueError traceback for 1.5 or "twelve", even when explaining a resource
    # only pointing to the one stated there; "1_000" became 1000 and -3 an offset
    kg = graph_with(
        tmp_path,
        'rgd:thing-y rdfs:label "Thing Y"@en ; rg:statedIn rgd:ev-y ; rdfs:seeAlso rgd:vani-rao .\n'
        "rgd:ev-y oa:hasSource rgd:report-ani-2023-09-27 ; oa:hasSelector rgd:pos-y, rgd:quote-y .\n"
        f"rgd:pos-y a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} .\n"
        'rgd:quote-y a oa:TextQuoteSelector ; oa:exact "the quote" .\n',
    )
    [evidence] = explain(kg, "Thing Y").evidence
    assert (evidence.iri, evidence.start, evidence.end, evidence.exact) == (
        RGD["ev-y"],
        None,
        None,
        "the quote",
    )
    assert evidence.file == "ani-2023-09-27-us-india-2plus2-intersessional.txt"
    assert evidence.offsets_problem == problem
    assert evidence.line() == (
        f'ani-2023-09-27-us-india-2plus2-intersessional.txt (offsets left out: {problem}): "the quote"'
    )
    referrer = next(f for f in explain(kg, "Vani Rao").incoming if f.subject == RGD["thing-y"])
    assert referrer.evidence == (evidence,)
    assert json.loads(explain(kg, "Thing Y").render("json"))["evidence"] == [
        {
            "iri": str(RGD["ev-y"]),
            "source": "ANI report on the seventh US-India 2+2 Intersessional Dialogue (2023-09-27)",
            "file": "ani-2023-09-27-us-india-2plus2-intersessional.txt",
            "start": None,
            "end": None,
            "exact": "the quote",
            "offsets_problem": problem,
        }
    ]


def test_good_offsets_are_taken_before_bad_ones_and_a_plus_sign_is_a_number(tmp_path):
    kg = graph_with(
        tmp_path,
        'rgd:thing-y rdfs:label "Thing Y"@en ; rg:statedIn rgd:ev-y .\n'
        "rgd:ev-y oa:hasSource rgd:report-ani-2023-09-27 ; oa:hasSelector rgd:pos-a, rgd:pos-b .\n"
        'rgd:pos-a a oa:TextPositionSelector ; oa:start "x" ; oa:end 3 .\n'
        'rgd:pos-b a oa:TextPositionSelector ; oa:start "+4"^^xsd:integer ; oa:end 9 .\n',
    )
    [evidence] = explain(kg, "Thing Y").evidence
    assert (evidence.start, evidence.end, evidence.offsets_problem) == (4, 9, None)


NFD_E = "e\u0301"  # é decomposed


def test_an_iri_or_prefixed_name_is_taken_code_point_by_code_point(tmp_path):
    # the whole argument was made NFC before it was taken for an IRI: rgd:jose\u0301 found rgd:jos\u00e9,
    # another resource, or was "nothing in the graph is called 'rgd:josé'" though it is in the graph
    both = graph_with(
        tmp_path,
        f'rgd:jos{NFD_E} rdfs:label "Decomposed IRI"@en .\nrgd:jos\u00e9 rdfs:label "Composed IRI"@en .\n',
    )
    nfd, nfc = RGD[f"jos{NFD_E}"], RGD["jos\u00e9"]
    assert nfd != nfc
    for typed in (f"rgd:jos{NFD_E}", f"<{nfd}>", str(nfd)):
        assert resolve(both, typed) == nfd
        assert explain(both, typed).label == "Decomposed IRI"
    for typed in ("rgd:jos\u00e9", f"<{nfc}>", str(nfc)):
        assert resolve(both, typed) == nfc
        assert explain(both, typed).label == "Composed IRI"


def test_an_iri_in_the_other_normal_form_is_named_when_nothing_is_found(tmp_path):
    only_nfd = graph_with(tmp_path, f'rgd:jos{NFD_E} rdfs:label "Decomposed IRI"@en .\n')
    hint = (
        f"rgd:jos{NFD_E} ('https://w3id.org/relgraph/id/jose\\u0301') is in the graph: the same IRI written "
        "in Unicode NFD, which RDF takes for another (IRIs are compared code point by code point)"
    )
    with pytest.raises(UsageError) as caught:
        resolve(only_nfd, "rgd:jos\u00e9")
    assert caught.value.message == (
        "nothing in the graph is called 'rgd:jos\u00e9' (give an IRI, a prefixed name or a label); " + hint
    )
    with pytest.raises(UsageError) as caught:
        explain(only_nfd, "<https://w3id.org/relgraph/id/jos\u00e9>")
    assert caught.value.message == "the graph says nothing about rgd:jos\u00e9; " + hint
    assert explain(only_nfd, f"rgd:jos{NFD_E}").entity == RGD[f"jos{NFD_E}"]


def test_labels_equal_in_nfc_are_one_name_and_so_ambiguous(tmp_path):
    # NFD was tried only when NFC found nothing: one of the two was explained without a word
    kg = graph_with(
        tmp_path,
        f'rgd:twin-nfd a rg:Official ; rdfs:label "{"E" + chr(0x301)}ly Ratner"@en .\n'
        'rgd:twin-nfc a rg:Official ; rdfs:label "\u00c9ly Ratner"@en .\n',
    )
    for typed in ("\u00c9ly Ratner", "E\u0301ly Ratner", "\u00e9ly ratner"):
        with pytest.raises(UsageError) as caught:
            resolve(kg, typed)
        assert (
            caught.value.message
            == f"{typed!r} names 2 resources: rgd:twin-nfc, rgd:twin-nfd; give one of them"
        )


def test_a_blank_node_is_stated_in_its_sentence_and_written_as_one_in_json(tmp_path):
    # only an IRI's evidence was looked up: a session role written [ ... ] lost its sentence, and its
    # subject in the JSON was the bare id, an IRI to a reader
    kg = graph_with(
        tmp_path,
        'rgd:test-person a rg:Official ; rdfs:label "Test Person"@en .\n'
        "rgd:us-india-2plus2-intersessional-07 prov:qualifiedAssociation [\n"
        "    a rg:SessionRole ; prov:agent rgd:test-person ; prov:hadRole rg:coChair ;\n"
        "    rg:statedIn rgd:ani-2023-09-27-s03 ] .\n"
        "[] prov:agent rgd:test-person ; rg:statedIn [ oa:hasSource rgd:report-ani-2023-09-27 ;\n"
        '    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "a quote" ] ] .\n',
    )
    ex = explain(kg, "Test Person")
    roles = {f.subject: f for f in ex.incoming}
    assert len(roles) == 2 and all(isinstance(s, BNode) for s in roles)
    spans = sorted(
        (e.exact[:14], e.start, e.end, isinstance(e.iri, BNode)) for f in ex.incoming for e in f.evidence
    )
    assert spans == [("The dialogue w", 535, 923, False), ("a quote", None, None, True)]
    text = ex.render("text")
    assert text.count("      stated in ani-2023-09-27-us-india-2plus2-intersessional.txt[535:923]: ") == 1
    assert '      stated in ani-2023-09-27-us-india-2plus2-intersessional.txt: "a quote"' in text.splitlines()
    body = json.loads(ex.render("json"))
    subjects = sorted(f["subject"] for f in body["referred_to_by"])
    assert subjects == sorted(f"_:{s}" for s in roles)
    iris = [e["iri"] for f in body["referred_to_by"] for e in f["evidence"]]
    assert sorted(iri.startswith("_:") for iri in iris) == [False, True]
    assert str(RGD["ani-2023-09-27-s03"]) in iris


def test_a_source_with_two_labels_gives_each_sentence_once_in_english(tmp_path):
    # explain-evidence.rq's OPTIONALs gave a row for each label of the source: every sentence twice,
    # and the Hindi label was as likely as the English one to be shown for the source
    kg = graph_with(tmp_path, 'rgd:report-ani-2023-09-27 rdfs:label "एएनआई रिपोर्ट"@hi .\n')
    english = "ANI report on the seventh US-India 2+2 Intersessional Dialogue (2023-09-27)"
    outcome = explain(kg, "rgd:us-india-2plus2-intersessional-07-outcome-08")
    assert [(e.iri, e.start, e.end, e.source) for e in outcome.evidence] == [
        (RGD["ani-2023-09-27-s08"], 1742, 2143, english)
    ]
    report = explain(kg, "rgd:report-ani-2023-09-27")
    assert report.label == english
    assert [(e.start, e.end, e.exact) for e in report.evidence] == [
        (1, 16, "date 2023-09-27"),
        (2511, 2516, "(ANI)"),
    ]
    sentence = explain(kg, "rgd:ani-2023-09-27-s08")
    [source] = [f for f in sentence.outgoing if str(f.property) == "http://www.w3.org/ns/oa#hasSource"]
    assert source.other_label == english
    role = next(
        f
        for f in explain(kg, "Vani Rao").incoming
        if f.subject == RGD["us-india-2plus2-intersessional-07-co-chair-vani-rao"]
    )
    assert [(e.start, e.end) for e in role.evidence] == [(535, 923)]


def test_text_output_writes_out_what_a_terminal_would_act_on(tmp_path):
    # labels and quotes were printed as they are: colours, a window title (OSC ... BEL), a line of
    # their own ("rgd:fake = <forged line>"), text turned right to left
    kg = graph_with(
        tmp_path,
        '<http://example.org/a> rdfs:label "Evil\\u001b[31mRED\\u001b[0m\\nrgd:fake = <forged line>" ;\n'
        "    <http://example.org/p> <http://example.org/b\u202ex> ; rg:statedIn <http://example.org/ev> .\n"
        '<http://example.org/b\u202ex> rdfs:label "B\\u001b]0;pwned-title\\u0007label\u2028x\\\\y" .\n'
        "<http://example.org/ev> oa:hasSource <http://example.org/src> ;\n"
        '    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "quote\\r\\u009b2J\u200b\u2029end" ] .\n'
        '<http://example.org/src> rg:textFile "file\\u001b[2J.txt" .\n',
    )
    text = explain(kg, "http://example.org/a").render("text")
    lines = text.splitlines()
    assert lines[0] == "Evil\\x1b[31mRED\\x1b[0m\\nrgd:fake = <forged line> = <http://example.org/a>"
    assert '  file\\x1b[2J.txt: "quote\\r\\x9b2J\\u200b\\u2029end"' in lines
    label = "B\\x1b]0;pwned-title\\x07label\\u2028x\\\\y"
    assert f"  <http://example.org/p> <http://example.org/b\\u202ex> ({label})" in lines
    assert '  rdfs:label "Evil\\u001B[31mRED\\u001B[0m\\nrgd:fake = <forged line>"' in lines
    assert not any(line.startswith("rgd:fake") for line in lines)
    hidden = {"\x1b", "\x07", "\x9b", "\r", "\u202e", "\u200b", "\u2028", "\u2029"}
    assert not hidden & set(text)
    back = explain(kg, "<http://example.org/b\u202ex>").render("text")
    assert back.startswith(f"{label} = <http://example.org/b\\u202ex>\n")
    assert not hidden & set(back)
    with pytest.raises(UsageError) as caught:  # and so are messages naming an IRI
        explain(kg, "<http://example.org/c\u202ex>")
    assert caught.value.message == "the graph says nothing about <http://example.org/c\\u202ex>"
    # the JSON is the data as it is
    body = json.loads(explain(kg, "http://example.org/a").render("json"))
    assert body["label"] == "Evil\x1b[31mRED\x1b[0m\nrgd:fake = <forged line>"
    assert body["evidence"][0]["exact"] == "quote\r\x9b2J\u200b\u2029end"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("\udcff", "byte 0xff at character 1"),
        ("rgd:jos\udce9", "byte 0xe9 at character 8"),
        ("a\ud800", "a lone surrogate U+D800 at character 2"),
    ],
)
def test_text_that_is_not_utf8_is_said_to_be(kg, text, where):
    # a byte of the command line that is not UTF-8 (Python's lone surrogate) was "query 'resolve-name',
    # parameter 'name' (string): The literal value must be ..."
    with pytest.raises(UsageError) as caught:
        resolve(kg, text)
    assert caught.value.message == (
        f"ENTITY is not UTF-8 text ({where}); give a name, an IRI or a prefixed name in UTF-8"
    )


def test_an_entity_that_is_not_text_is_a_usage_error(kg):
    with pytest.raises(UsageError, match="the resource to explain must be text, not NoneType"):
        explain(kg, None)  # type: ignore[arg-type]
