from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib.term import Literal, URIRef

from relgraph.catalogue import CannedQuery, Catalogue, Param, convert_value
from relgraph.errors import ConfigurationError, ExitCode, UsageError
from relgraph.prefixes import PREFIXES
from relgraph.store import KnowledgeGraph

RGD = PREFIXES["rgd"]
XSD = PREFIXES["xsd"]


@pytest.fixture
def catalogue(fixtures: Path) -> Catalogue:
    return Catalogue.load(fixtures / "queries_good")


@pytest.fixture
def fixture_kg(shipped: Path) -> KnowledgeGraph:
    return KnowledgeGraph.default()


def test_only_top_level_rq_files_are_canned_queries(catalogue: Catalogue) -> None:
    # checks/not-a-canned-query.rq and README.txt are not read
    assert catalogue.names() == ["co-chairs", "has-people", "labelled", "session-graph", "sessions-since"]
    assert [q.name for q in catalogue] == catalogue.names()
    assert len(catalogue) == 5
    assert "labelled" in catalogue


def test_default_folder_is_the_shipped_one(shipped: Path) -> None:
    assert Catalogue.load().names() == Catalogue.load(shipped / "queries_good").names()


def test_header_is_parsed(catalogue: Catalogue, fixtures: Path) -> None:
    query = catalogue.get("co-chairs")
    assert query.path == fixtures / "queries_good" / "co-chairs.rq"
    assert query.summary == "Who co-chaired a session, for which country and organisation"
    assert query.description == (
        "Lists the co-chairs of a dialogue session with the post they held, "
        "the organisation of that post and its country."
    )
    assert query.params == (
        Param("session", "iri", default="rgd:session-07", required=False, description="the dialogue session"),
    )
    assert query.tags == ("sessions", "people")
    assert query.text == query.path.read_text(encoding="utf-8")


def test_param_defaults_and_required(catalogue: Catalogue) -> None:
    since, minimum = catalogue.get("sessions-since").params
    assert (since.type, since.default, since.required) == ("date", "2023-01-01", False)
    assert (minimum.type, minimum.default) == ("integer", "0")  # YAML's 0 comes back as text
    (label,) = catalogue.get("labelled").params
    assert (label.default, label.required) == (None, False)
    (session,) = catalogue.get("session-graph").params
    assert (session.default, session.required) == (None, True)
    assert catalogue.get("has-people").params == ()
    assert catalogue.get("has-people").tags == ()


def test_get_suggests_close_names(catalogue: Catalogue) -> None:
    with pytest.raises(UsageError, match=r"no canned query 'co-chair'; did you mean 'co-chairs'\?"):
        catalogue.get("co-chair")
    with pytest.raises(UsageError) as caught:
        catalogue.get("zzzz")
    assert "did you mean" not in caught.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("rgd:ann", URIRef(RGD + "ann")),
        ("<https://example.org/x#y>", URIRef("https://example.org/x#y")),
        ("https://example.org/x", URIRef("https://example.org/x")),
        ("http://example.org/x", URIRef("http://example.org/x")),
        ("urn:isbn:0451450523", URIRef("urn:isbn:0451450523")),
        ("xsd:date", URIRef(XSD + "date")),
        ("<mailto:jane@example.org>", URIRef("mailto:jane@example.org")),  # any scheme, in <...>
        ("<tag:example.org,2023:n1>", URIRef("tag:example.org,2023:n1")),
    ],
)
def test_iri_conversion(value: str, expected: URIRef) -> None:
    assert convert_value(value, "iri") == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("nope:ann", "unknown prefix 'nope:'"),
        ("ann", "is not an IRI"),
        ("https://example.org/a b", "contains ' '"),
        ("<https://example.org/a>b>", "contains '>'"),
        ('https://example.org/"x"', "contains '\"'"),
        ("https://example.org/{x}", "contains '{'"),
        ("https://example.org/a|b", "contains '|'"),
        ("https://example.org/a^b", "contains '^'"),
        ("https://example.org/a`b", "contains '`'"),
        ("https://example.org/a\\b", "contains '\\\\'"),
        ("rgd:a b", "contains ' '"),
        ("<rgd:ann>", "rgd: is a prefix here; write rgd:ann without <...>"),
        ("<RDFS:label>", "rdfs: is a prefix here; write rdfs:label without <...>"),
        ("<>", "an IRI in <...> must be absolute"),
        ("<ann>", "an IRI in <...> must be absolute"),
        ("<mailto:a b>", "contains ' '"),
    ],
)
def test_iri_conversion_refuses(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        convert_value(value, "iri")


def test_other_conversions() -> None:
    tricky = 'He said "hi" } UNION { ?s ?p ?o } \\ done'
    assert convert_value(tricky, "string") == Literal(tricky)
    assert convert_value(tricky, "string").datatype is None
    assert convert_value("2024-02-29", "date") == Literal("2024-02-29", datatype=URIRef(XSD + "date"))
    assert convert_value("-0042", "integer") == Literal("-42", datatype=URIRef(XSD + "integer"))
    assert convert_value("TRUE", "boolean") == Literal("true", datatype=URIRef(XSD + "boolean"))
    assert convert_value("false", "boolean") == Literal("false", datatype=URIRef(XSD + "boolean"))
    for value, type_ in [
        ("2023-02-29", "date"),
        ("2023-2-3", "date"),
        ("02/03/2023", "date"),
        ("2023-02-03T00:00:00", "date"),
        ("4.5", "integer"),
        ("", "integer"),
        ("yes", "boolean"),
    ]:
        with pytest.raises(ValueError):
            convert_value(value, type_)


def test_bind_applies_defaults_and_leaves_optional_unbound(catalogue: Catalogue) -> None:
    assert catalogue.get("co-chairs").bind({}) == {"session": URIRef(RGD + "session-07")}
    assert catalogue.get("co-chairs").bind({"session": "rgd:session-06"}) == {
        "session": URIRef(RGD + "session-06")
    }
    assert catalogue.get("labelled").bind({}) == {}
    assert catalogue.get("sessions-since").bind({"minimum": "10"}) == {
        "since": Literal("2023-01-01", datatype=URIRef(XSD + "date")),
        "minimum": Literal("10", datatype=URIRef(XSD + "integer")),
    }


def test_bind_errors(catalogue: Catalogue) -> None:
    with pytest.raises(
        UsageError,
        match=r"query 'sessions-since' has no parameter 'sinse' \(its parameters: since, minimum\)",
    ):
        catalogue.get("sessions-since").bind({"sinse": "2020-01-01"})
    with pytest.raises(UsageError, match=r"has no parameter 'x' \(its parameters: none\)"):
        catalogue.get("has-people").bind({"x": "1"})
    with pytest.raises(UsageError, match=r"query 'session-graph' needs parameter 'session' \(iri\)"):
        catalogue.get("session-graph").bind({})
    with pytest.raises(UsageError, match=r"query 'sessions-since', parameter 'since' \(date\): '2023-13-01'"):
        catalogue.get("sessions-since").bind({"since": "2023-13-01"})
    with pytest.raises(UsageError) as caught:
        catalogue.get("co-chairs").bind({"session": "foo:bar"})
    assert caught.value.exit_code == ExitCode.USAGE


def test_run(catalogue: Catalogue, fixture_kg: KnowledgeGraph) -> None:
    result = catalogue.get("co-chairs").run(fixture_kg)
    assert result.variables == ["session", "person", "post", "organisation", "country"]
    assert [(r[1], r[4]) for r in result.rows] == [
        (URIRef(RGD + "ann"), URIRef(RGD + "usa")),
        (URIRef(RGD + "bob"), URIRef(RGD + "india")),
    ]
    assert {r[0] for r in result.rows} == {URIRef(RGD + "session-07")}
    only_06 = catalogue.get("co-chairs").run(fixture_kg, {"session": "rgd:session-06"})
    assert [r[1] for r in only_06.rows] == [URIRef(RGD + "ann")]
    assert catalogue.get("has-people").run(fixture_kg).boolean is True
    graph = catalogue.get("session-graph").run(fixture_kg, {"session": "rgd:session-06"})
    assert graph.kind == "graph"
    assert len(graph.triples) == 3


def test_optional_unbound_param_matches_everything(catalogue: Catalogue, fixture_kg: KnowledgeGraph) -> None:
    everything = catalogue.get("labelled").run(fixture_kg)
    assert len(everything.rows) > 5
    one = catalogue.get("labelled").run(fixture_kg, {"label": "Joint Secretary"})
    assert one.rows == [(URIRef(RGD + "post-bob"), Literal("Joint Secretary"))]
    # a language-tagged label is not equal to the plain string
    assert catalogue.get("labelled").run(fixture_kg, {"label": "India"}).rows == []


def test_date_and_integer_params(catalogue: Catalogue, fixture_kg: KnowledgeGraph) -> None:
    query = catalogue.get("sessions-since")
    assert [r[0] for r in query.run(fixture_kg).rows] == [
        URIRef(RGD + "session-06"),
        URIRef(RGD + "session-07"),
    ]
    assert [r[0] for r in query.run(fixture_kg, {"since": "2023-03-01"}).rows] == [URIRef(RGD + "session-07")]
    assert [r[0] for r in query.run(fixture_kg, {"minimum": "13"}).rows] == []


def test_header_values_stay_the_text_written(tmp_path: Path) -> None:
    # PyYAML reads YAML 1.1: a country code "no" became false, "010" the integer 8, "1.10" the number 1.1
    (tmp_path / "q.rq").write_text(
        "#+ summary: Officials of a country code\n"
        "#+ description: Norway is no.\n"
        "#+ params:\n"
        "#+   - name: code\n"
        "#+     type: string\n"
        "#+     default: no\n"
        "#+   - name: version\n"
        "#+     type: string\n"
        "#+     default: 1.10\n"
        "#+   - name: minimum\n"
        "#+     type: integer\n"
        "#+     default: 010\n"
        "#+   - name: flag\n"
        "#+     type: boolean\n"
        "#+     required: false\n"
        "#+ tags: [yes, 2023-09-26]\n"
        "SELECT ?code ?version ?minimum ?flag WHERE { BIND (1 AS ?x) } ORDER BY ?code\n",
        encoding="utf-8",
    )
    query = Catalogue.load(tmp_path).get("q")
    assert [(p.name, p.default, p.required) for p in query.params] == [
        ("code", "no", False),
        ("version", "1.10", False),
        ("minimum", "010", False),
        ("flag", None, False),
    ]
    assert query.tags == ("yes", "2023-09-26")
    assert query.bind({}) == {
        "code": Literal("no"),
        "version": Literal("1.10"),
        "minimum": Literal(10),
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int abc", r"q\.rq:1: invalid value in the '#\+' header: "),
        ("!!bool maybe", r"q\.rq:1: invalid value in the '#\+' header: "),
        ("[a, b]", r"q\.rq:4: parameter 'code': the default must be one value"),
        ("{a: 1}", r"q\.rq:4: parameter 'code': the default must be one value"),
    ],
)
def test_a_default_that_is_not_one_plain_value_is_a_configuration_error(
    tmp_path: Path, value: str, message: str
) -> None:
    # an explicit YAML tag with a bad value was a ValueError or KeyError traceback, and a list was
    # taken as the text "['a', 'b']"
    (tmp_path / "q.rq").write_text(
        "#+ summary: A query\n#+ description: One parameter.\n#+ params:\n#+   - name: code\n"
        f"#+     type: string\n#+     default: {value}\n"
        "SELECT ?code WHERE { BIND (1 AS ?x) } ORDER BY ?code\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError) as caught:
        Catalogue.load(tmp_path)
    assert re.search(message, caught.value.message), caught.value.message


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("queries_bad_yaml", r"q\.rq:5: invalid YAML in the '#\+' header: "),
        ("queries_missing_summary", r"q\.rq:1: the '#\+' header has no summary"),
        ("queries_unused_param", r"q\.rq:4: parameter 'who' is not used as \?who in the query"),
        ("queries_dup_param", r"q\.rq:7: duplicate parameter 's'"),
        ("queries_syntax", r"q\.rq:5:1: SPARQL syntax error: "),
        ("queries_service", r"q\.rq: SERVICE is not allowed"),
        ("queries_bad_default", r"q\.rq:4: parameter 'since': bad default: '2023-02-30' is not a valid date"),
        ("queries_unknown_key", r"q\.rq:3: unknown header key 'tag'"),
        ("queries_unprojected", r"q\.rq:4: parameter 'since' must be in the SELECT projection"),
    ],
)
def test_load_time_checks(fixtures: Path, folder: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Catalogue.load(fixtures / folder)
    assert re.search(message, caught.value.message), caught.value.message
    assert caught.value.message.startswith(str(fixtures / folder / "q.rq"))
    assert "\n" not in caught.value.message
    assert caught.value.exit_code == ExitCode.CONFIGURATION


def test_more_header_errors(tmp_path: Path) -> None:
    cases = {
        "SELECT * WHERE { ?s ?p ?o }": r":1: no '#\+' header",
        "#+ - a list\nASK {}": r":1: the '#\+' header must be a YAML mapping",
        "#+ summary: |\n#+   two\n#+   lines\n#+ description: d\nASK {}": r":1: summary must be one line",
        "#+ summary: s\n#+ description: d\n#+ params:\n#+   - name: x\n#+     type: float\nSELECT ?x {}": (
            r":4: parameter 'x' needs a type"
        ),
        "#+ summary: s\n#+ description: d\n#+ params:\n#+   - name: 1x\n#+     type: iri\nASK {}": (
            r":3: parameter 1 needs a name"
        ),
        "#+ summary: s\n#+ description: d\n#+ params:\n#+   - name: x\n#+     type: iri\n"
        "#+     default: rgd:a\n#+     required: true\nSELECT ?x {}": r":4: parameter 'x' has a default",
        "#+ summary: s\n#+ description: d\n#+ tags: oops\nASK {}": r":3: tags must be a list",
    }
    for number, (text, message) in enumerate(cases.items()):
        folder = tmp_path / str(number)
        folder.mkdir()
        (folder / "q.rq").write_text(text, encoding="utf-8")
        with pytest.raises(ConfigurationError, match=message):
            Catalogue.load(folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        Catalogue.load(tmp_path / "nowhere")


def test_canned_query_is_frozen(catalogue: Catalogue) -> None:
    query = catalogue.get("co-chairs")
    assert isinstance(query, CannedQuery)
    with pytest.raises(AttributeError):
        query.summary = "changed"  # type: ignore[misc]


def test_sparql_check_can_be_deferred(fixtures: Path) -> None:
    catalogue = Catalogue.load(fixtures / "queries_syntax", check_sparql=False)
    with pytest.raises(ConfigurationError, match=r"q\.rq:5:1: SPARQL syntax error"):
        catalogue.get("q").check_sparql()
    # the cheap checks of the header and parameters still run
    with pytest.raises(ConfigurationError, match="is not used"):
        Catalogue.load(fixtures / "queries_unused_param", check_sparql=False)


def test_a_parameter_value_that_is_not_text_is_a_usage_error(catalogue: Catalogue) -> None:
    # a library caller's {"session": 5} was an AttributeError traceback (int has no startswith)
    from relgraph.errors import UsageError

    query = next(q for q in catalogue if any(p.type == "iri" for p in q.params))
    param = next(p for p in query.params if p.type == "iri")
    with pytest.raises(UsageError, match=rf"parameter '{param.name}' \(iri\): 5 is not text \(an int\)"):
        query.bind_terms({param.name: 5})  # type: ignore[dict-item]
