from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.term import BNode, Literal, URIRef

from relgraph.errors import QueryError, UsageError
from relgraph.prefixes import PREFIXES
from relgraph.results import MAX_CELL_WIDTH, QueryResult, format_table, render
from relgraph.store import KnowledgeGraph
from relgraph.terms import to_n3, to_oxigraph

# rdflib's own parsers use its deprecated ConjunctiveGraph API
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")

RGD = PREFIXES["rgd"]
XSD = PREFIXES["xsd"]
RDFS = PREFIXES["rdfs"]

ROWS = [
    (
        URIRef(RGD + "ann"),
        Literal("Ann", lang="en"),
        Literal("1970-01-02", datatype=URIRef(XSD + "date")),
        None,
        BNode("b0"),
        Literal('says "hi", then\nleaves'),
    ),
    (
        URIRef("https://example.org/a/b"),
        Literal("Bob"),
        Literal("3", datatype=URIRef(XSD + "integer")),
        Literal("x"),
        None,
        Literal("tab\there"),
    ),
]
VARIABLES = ["person", "name", "born", "missing", "node", "note"]


@pytest.fixture
def result() -> QueryResult:
    return QueryResult("select", list(VARIABLES), list(ROWS))


def test_table(result: QueryResult) -> None:
    assert render(result, "table") == (
        "person                     name  born        missing  node  note\n"
        "-------------------------  ----  ----------  -------  ----  -----------------------\n"
        'rgd:ann                    Ann   1970-01-02           _:b0  says "hi", then\\nleaves\n'
        "<https://example.org/a/b>  Bob   3           x              tab\\there\n"
        "2 rows\n"
    )


def test_table_row_counts_and_empty_result() -> None:
    assert render(QueryResult("select", ["x"], []), "table") == "x\n-\n0 rows\n"
    assert render(QueryResult("select", ["x"], [(Literal("a"),)]), "table").endswith("\n1 row\n")


def test_table_aligns_wide_characters() -> None:
    text = format_table(["name", "n"], [["日本", "1"], ["ab", "2"]])
    lines = text.splitlines()
    assert lines[2] == "日本  1"  # two wide characters take four columns
    assert lines[3] == "ab    2"


# what a terminal acts on without showing it, beyond control characters, and how a table cell writes it
HIDDEN = [
    ("\u00ad", "\\u00ad"),  # SOFT HYPHEN (Cf)
    ("\u061c", "\\u061c"),  # ARABIC LETTER MARK
    ("\u200b", "\\u200b"),  # ZERO WIDTH SPACE
    ("\u200e", "\\u200e"),  # LEFT-TO-RIGHT MARK
    ("\u202a", "\\u202a"),  # LEFT-TO-RIGHT EMBEDDING
    ("\u202e", "\\u202e"),  # RIGHT-TO-LEFT OVERRIDE
    ("\u2028", "\\u2028"),  # LINE SEPARATOR (Zl)
    ("\u2029", "\\u2029"),  # PARAGRAPH SEPARATOR (Zp)
    ("\u2060", "\\u2060"),  # WORD JOINER
    ("\u2066", "\\u2066"),  # LEFT-TO-RIGHT ISOLATE
    ("\u2069", "\\u2069"),  # POP DIRECTIONAL ISOLATE
    ("\ufeff", "\\ufeff"),  # BYTE ORDER MARK
    ("\ufff9", "\\ufff9"),  # INTERLINEAR ANNOTATION ANCHOR
    ("\U000e0001", "\\U000e0001"),  # LANGUAGE TAG
    ("\U000e0041", "\\U000e0041"),  # TAG LATIN CAPITAL LETTER A
]


def hidden_characters(text: str) -> list[str]:
    kept = "\n\u200c\u200d"  # the zero-width non-joiner and joiner are part of writing (below)
    return [c for c in text if c not in kept and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]


@pytest.mark.parametrize(("char", "escape"), HIDDEN)
def test_table_writes_out_what_a_terminal_would_act_on(char: str, escape: str) -> None:
    # only C0, DEL and C1 were written out: bidi controls reordered the row, zero-width characters
    # hid in it and shifted the columns after them; in IRIs nothing at all was written out
    try:  # an IRI may hold the format characters from U+00A0 to U+FFEF
        ox.NamedNode(f"https://example.org/a{char}b")
        iri, shown = URIRef(f"https://example.org/a{char}b"), escape
    except ValueError:
        iri, shown = URIRef("https://example.org/ab"), ""
    rows = [
        (Literal(f"x{char}y\x1b[2J\x9b\x00"), iri, Literal("end")),  # control characters as before
        (Literal("plain"), URIRef(RGD + "ann"), Literal("2")),
    ]
    text = render(QueryResult("select", ["lit", "iri", "n"], rows), "table")
    assert hidden_characters(text) == []
    lines = text.splitlines()
    assert lines[2].startswith(f"x{escape}y\\x1b[2J\\x9b\\x00  ")
    assert f"<https://example.org/a{shown}b>" in lines[2]
    start = len(lines[0]) - 1  # every column where its header is (the escapes are ASCII)
    assert [line[start:] for line in lines[2:4]] == ["end", "2"]
    assert [line[lines[0].index("iri") :].split()[0] for line in lines[2:4]] == [
        f"<https://example.org/a{shown}b>",
        "rgd:ann",
    ]


def test_table_keeps_the_joiners_writing_needs_and_gives_them_no_column() -> None:
    # Devanagari (क्‍ष, a half form) and emoji sequences are written with the zero-width (non-)joiner,
    # which neither reorders nor hides text; a Turtle local name and a blank node label may hold them
    rows = [(Literal("\u0915\u094d\u200d\u0937"), URIRef(RGD + "a\u200db"), BNode("b\u200cc"))]
    text = render(QueryResult("select", ["w", "x", "y"], rows), "table")
    assert text.splitlines()[2] == "\u0915\u094d\u200d\u0937  rgd:a\u200db  _:b\u200cc"
    assert text.splitlines()[0] == "w   x       y"  # क्‍ष takes two columns (the virama and joiner none)


def test_table_aligns_by_the_columns_a_terminal_gives() -> None:
    # marks that Unicode gives no combining class (Thai's MAI HAN-AKAT, an enclosing circle) took a column
    text = format_table(["name", "n"], [["\u0e01\u0e31", "1"], ["x\u20dd", "2"], ["ab", "3"], ["日", "4"]])
    assert text.splitlines()[2:] == ["\u0e01\u0e31     1", "x\u20dd     2", "ab    3", "日    4"]


def test_table_cuts_a_long_cell_and_pads_no_more_than_the_cut() -> None:
    # one value padded every row of its column to its width: a 4 MB one made 1.2 GB of table for 300 rows
    long = "x" * 400_000
    rows = [[long if i == 0 else f"r{i}", str(i % 10)] for i in range(300)]
    text = format_table(["value", "n"], rows)
    lines = text.splitlines()
    assert len(text) < 300 * (MAX_CELL_WIDTH + 10)
    assert lines[2] == "x" * (MAX_CELL_WIDTH - 1) + "\u2026  0"
    assert lines[3] == "r1" + " " * (MAX_CELL_WIDTH - 2) + "  1"
    assert lines[1] == "-" * MAX_CELL_WIDTH + "  -"
    # a value as wide as the limit is whole; wide characters are cut whole, escapes too
    assert format_table(["v"], [["y" * MAX_CELL_WIDTH]]).splitlines()[2] == "y" * MAX_CELL_WIDTH
    wide = format_table(["v"], [["日" * 300]]).splitlines()[2]
    assert wide == "日" * ((MAX_CELL_WIDTH - 1) // 2) + "\u2026"
    nul = format_table(["v"], [["\x00" * 300]]).splitlines()[2]
    assert nul == "\\x00" * ((MAX_CELL_WIDTH - 1) // 4) + "\u2026"
    # a flood of combining marks takes no column, yet a cell holds at most twice the limit in characters
    marks = format_table(["v"], [["a" + "\u0301" * 100_000]]).splitlines()[2]
    assert len(marks) == 2 * MAX_CELL_WIDTH + 1 and marks.endswith("\u2026")


def test_table_says_how_many_values_it_cut_and_the_other_formats_keep_them_whole() -> None:
    long, iri = "y" * 100_000, URIRef(RGD + "z" * 5000)
    rows = [(Literal(long), iri), (Literal("short"), URIRef(RGD + "ann"))]
    result = QueryResult("select", ["v", "who"], rows)
    lines = render(result, "table").splitlines()
    assert (
        lines[2]
        == "y" * (MAX_CELL_WIDTH - 1) + "\u2026  <" + RGD + "z" * (MAX_CELL_WIDTH - 2 - len(RGD)) + "\u2026"
    )
    assert lines[3].split() == ["short", "rgd:ann"]
    assert lines[4:] == [
        "2 rows",
        f"2 values cut to {MAX_CELL_WIDTH} columns (ending with \u2026); "
        "the csv, tsv and json formats give values in full",
    ]
    assert render(QueryResult("select", ["v"], [(Literal("y" * MAX_CELL_WIDTH),)]), "table").endswith(
        "\n1 row\n"
    )
    # CSV, TSV and JSON are faithful: whole values, every character as it is
    odd = Literal("a\u202eb\u200b\x1b[31m")
    faithful = QueryResult("select", ["v", "who", "o"], [(*rows[0], odd)])
    assert f"{long},{iri},a\u202eb\u200b\x1b[31m\r\n" in render(faithful, "csv")
    assert f'"{long}"\t<{iri}>\t"a\u202eb\u200b\\u001B[31m"\n' in render(faithful, "tsv")  # N-Triples escapes
    binding = json.loads(render(faithful, "json"))["results"]["bindings"][0]
    assert [binding[v]["value"] for v in ("v", "who", "o")] == [long, str(iri), str(odd)]


def test_csv_follows_w3c(result: QueryResult) -> None:
    text = render(result, "csv")
    assert text == (
        "person,name,born,missing,node,note\r\n"
        f'{RGD}ann,Ann,1970-01-02,,_:b0,"says ""hi"", then\nleaves"\r\n'
        "https://example.org/a/b,Bob,3,x,,tab\there\r\n"
    )
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[1][5] == 'says "hi", then\nleaves'
    assert parsed[2] == ["https://example.org/a/b", "Bob", "3", "x", "", "tab\there"]


def test_tsv_follows_w3c(result: QueryResult) -> None:
    text = render(result, "tsv")
    assert text == (
        "?person\t?name\t?born\t?missing\t?node\t?note\n"
        f'<{RGD}ann>\t"Ann"@en\t"1970-01-02"^^<{XSD}date>\t\t_:b0\t"says \\"hi\\", then\\nleaves"\n'
        f'<https://example.org/a/b>\t"Bob"\t"3"^^<{XSD}integer>\t"x"\t\t"tab\\there"\n'
    )
    # pyoxigraph's TSV parser reads back the same terms
    solutions = ox.parse_query_results(text, ox.QueryResultsFormat.TSV)
    assert isinstance(solutions, ox.QuerySolutions)
    assert [v.value for v in solutions.variables] == VARIABLES
    expected = [[None if t is None else to_oxigraph(t) for t in row] for row in ROWS]
    assert [list(s) for s in solutions] == expected


def test_json_follows_w3c(result: QueryResult) -> None:
    text = render(result, "json")
    data = json.loads(text)
    assert data == {
        "head": {"vars": VARIABLES},
        "results": {
            "bindings": [
                {
                    "person": {"type": "uri", "value": RGD + "ann"},
                    "name": {"type": "literal", "value": "Ann", "xml:lang": "en"},
                    "born": {"type": "literal", "value": "1970-01-02", "datatype": XSD + "date"},
                    "node": {"type": "bnode", "value": "b0"},
                    "note": {"type": "literal", "value": 'says "hi", then\nleaves'},
                },
                {
                    "person": {"type": "uri", "value": "https://example.org/a/b"},
                    "name": {"type": "literal", "value": "Bob"},
                    "born": {"type": "literal", "value": "3", "datatype": XSD + "integer"},
                    "missing": {"type": "literal", "value": "x"},
                    "note": {"type": "literal", "value": "tab\there"},
                },
            ]
        },
    }
    assert text.startswith('{\n  "head": {\n    "vars": [\n      "person",')  # indent 2, head first
    assert text == render(QueryResult("select", list(VARIABLES), list(ROWS)), "json")
    solutions = ox.parse_query_results(text, ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)
    assert [list(s) for s in solutions] == [
        [None if t is None else to_oxigraph(t) for t in row] for row in ROWS
    ]


def test_ask_in_every_format() -> None:
    yes, no = QueryResult("ask", boolean=True), QueryResult("ask", boolean=False)
    assert render(yes, "table") == "true\n"
    assert render(no, "table") == "false\n"
    assert render(yes, "csv") == "true\r\n"
    assert render(no, "tsv") == "false\n"
    assert json.loads(render(yes, "json")) == {"head": {}, "boolean": True}
    assert render(no, "json") == '{\n  "head": {},\n  "boolean": false\n}\n'
    assert QueryResult.from_sparql_json(json.loads(render(no, "json"))) == no


def test_from_sparql_json_round_trip(result: QueryResult) -> None:
    again = QueryResult.from_sparql_json(json.loads(render(result, "json")))
    assert again == result
    for fmt in ("table", "csv", "tsv", "json"):
        assert render(again, fmt) == render(result, fmt)


def test_from_sparql_json_accepts_endpoint_variants() -> None:
    data = {
        "head": {"vars": ["a", "b", "c", "d"]},
        "results": {
            "bindings": [
                {
                    "a": {"type": "typed-literal", "value": "01", "datatype": XSD + "integer"},
                    "b": {"type": "literal", "value": "s", "datatype": XSD + "string"},
                    "c": {"type": "literal", "value": "x", "xml:lang": "EN"},
                }
            ]
        },
    }
    parsed = QueryResult.from_sparql_json(data)
    assert parsed.rows == [
        (
            Literal("01", datatype=URIRef(XSD + "integer"), normalize=False),
            Literal("s"),
            Literal("x", lang="en"),
            None,
        )
    ]
    assert str(parsed.rows[0][0]) == "01"


def test_endpoint_json_equals_local_run(fixtures: Path) -> None:
    files = [fixtures / "rdf" / "good.ttl", fixtures / "rdf" / "people.nt"]
    files.append(fixtures / "data" / "readouts" / "session-07.ttl")
    query = f"PREFIX rdfs: <{RDFS}>\nSELECT ?s ?p ?o ?l WHERE {{ ?s ?p ?o OPTIONAL {{ ?o rdfs:label ?l }} }}"
    kg = KnowledgeGraph()
    kg.load(*files)
    local = kg.query(query)
    # what a SPARQL endpoint would send: pyoxigraph's own JSON serializer, independent of ours
    endpoint = ox.Store()
    for path in files:
        endpoint.load(
            path=path, format=ox.RdfFormat.TURTLE if path.suffix == ".ttl" else ox.RdfFormat.N_TRIPLES
        )
    solutions = endpoint.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    remote = QueryResult.from_sparql_json(json.loads(solutions.serialize(format=ox.QueryResultsFormat.JSON)))
    assert remote.variables == local.variables

    # blank node labels differ between two stores: compare with the labels left out
    def normalised(r: QueryResult) -> list[tuple[str, ...]]:
        return sorted(
            tuple("_:" if isinstance(t, BNode) else "" if t is None else to_n3(t) for t in row)
            for row in r.rows
        )

    assert any(isinstance(t, BNode) for row in local.rows for t in row)  # blank nodes are covered
    assert normalised(remote) == normalised(local)
    # without blank nodes, the rendered outputs are identical byte for byte
    no_blanks = (
        f"PREFIX rdfs: <{RDFS}>\nSELECT ?s ?l WHERE {{ ?s rdfs:label ?l FILTER(isIRI(?s)) }} ORDER BY ?s ?l"
    )
    local2 = kg.query(no_blanks)
    answer = endpoint.query(no_blanks)
    assert isinstance(answer, ox.QuerySolutions)
    remote2 = QueryResult.from_sparql_json(json.loads(answer.serialize(format=ox.QueryResultsFormat.JSON)))
    for fmt in ("table", "csv", "tsv", "json"):
        assert render(remote2, fmt) == render(local2, fmt)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"head": {"vars": ["x"]}},
        {
            "head": {"vars": ["x"]},
            "results": {"bindings": [{"y": {"type": "uri", "value": "http://x.org/"}}]},
        },
        {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "triple", "value": {}}}]}},
        {"head": {}, "boolean": "yes"},
    ],
)
def test_from_sparql_json_rejects_invalid(data: dict[str, object]) -> None:
    with pytest.raises(QueryError, match="invalid SPARQL JSON results"):
        QueryResult.from_sparql_json(data)


def test_graph_results() -> None:
    triples = [
        (URIRef(RGD + "ann"), URIRef(RDFS + "label"), Literal("Ann", lang="en")),
        (URIRef(RGD + "ann"), URIRef(RDFS + "seeAlso"), BNode("x")),
        (BNode("x"), URIRef(RDFS + "label"), Literal("5", datatype=URIRef(XSD + "integer"))),
    ]
    graph_result = QueryResult("graph", triples=triples)
    expected = rdflib.Graph()
    for triple in triples:
        expected.add(triple)
    turtle = render(graph_result, "turtle")
    assert "rgd:ann" in turtle
    assert render(graph_result, "table") == turtle
    for fmt, rdflib_format in (("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld")):
        parsed = rdflib.Graph().parse(data=render(graph_result, fmt), format=rdflib_format)
        assert isomorphic(parsed, expected), fmt


def test_formats_must_fit_the_kind(result: QueryResult) -> None:
    with pytest.raises(UsageError, match="does not fit a SELECT/ASK result"):
        render(result, "turtle")
    with pytest.raises(UsageError, match="does not fit a CONSTRUCT/DESCRIBE result"):
        render(QueryResult("graph"), "csv")
    with pytest.raises(UsageError):
        QueryResult("graph").to_sparql_json()
