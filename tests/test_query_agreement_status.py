"""The canned query ``agreement-status``: the latest status of each agreement as of a date.

The expected answers are worked out here, from the status records themselves (the shipped readout's,
a small made-up readout written below, and generated ones), not copied from the query's output. The
query must give them on the embedded graph, when its parameters reach it only as the ``VALUES`` block
an endpoint gets (so that a subquery which cannot see them would be caught), and with rdflib.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Mapping
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from relgraph import resources
from relgraph.catalogue import CannedQuery, Catalogue
from relgraph.cli import cli
from relgraph.prefixes import PREFIXES
from relgraph.sparql_values import with_values
from relgraph.store import KnowledgeGraph, default_files
from test_canned_queries import S08  # the sentence that states both agreements' status

RG = PREFIXES["rg"]
RGD = PREFIXES["rgd"]
NAME = "agreement-status"
COLUMNS = [
    "date",
    "agreement",
    "agreementLabel",
    "status",
    "statusLabel",
    "recordDate",
    "record",
    "sentence",
    "source",
]
FIRST_READOUT = "ani-2023-09-27-us-india-2plus2-intersessional"
SOSA = f"{RGD}agreement-security-of-supply"
RDP = f"{RGD}agreement-reciprocal-defence-procurement"
ALPHA = f"{RGD}test-agreement-alpha"
# every status record of the graph, for the answers worked out in Python
RECORDS = f"""
PREFIX rg: <{RG}>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?agreement ?record ?date WHERE {{
  ?record a rg:StatusRecord ; rg:statusOf ?agreement ; rg:status ?status ; dcterms:date ?date .
}}
"""

# A made-up readout: Test Agreement Alpha changes status over two years (two days in one month, two
# statuses on one day, one record stated in two sentences), the shipped Security of Supply Arrangement
# gets a later record, Test Agreement Beta has none.
FIXTURE = """\
@prefix rg: <https://w3id.org/relgraph/ontology#> .
@prefix rgd: <https://w3id.org/relgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

rgd:test-agreement-alpha a rg:Agreement ; rdfs:label "Test Agreement Alpha"@en .
rgd:test-agreement-beta a rg:Agreement ; rdfs:label "Test Agreement Beta"@en .
rgd:test-report a rg:Source ; rdfs:label "Test report"@en .
"""
# record -> (agreement, status, date, sentences)
FIXTURE_RECORDS = {
    "test-alpha-1": (ALPHA, "proposed", "2022-11-05", ["Alpha was proposed."]),
    "test-alpha-2": (ALPHA, "underNegotiation", "2023-02-14", ["Talks on Alpha opened."]),
    "test-alpha-3": (ALPHA, "underNegotiation", "2023-02-20", ["Talks on Alpha went on."]),
    "test-alpha-4": (ALPHA, "concluded", "2024-06-01", ["Alpha was concluded."]),
    "test-alpha-5": (ALPHA, "signed", "2024-06-01", ["Alpha was signed the same day."]),
    "test-alpha-6": (ALPHA, "inForce", "2025-01-15", ["Alpha entered into force.", "Alpha now binds both."]),
    "test-sosa-1": (SOSA, "concluded", "2024-03-31", ["The Security of Supply Arrangement was concluded."]),
}


def _fixture_text() -> str:
    lines = [FIXTURE]
    for record, (agreement, status, date, sentences) in FIXTURE_RECORDS.items():
        evidence = " , ".join(f"rgd:{record}-e{i}" for i in range(len(sentences)))
        lines.append(
            f'rgd:{record} a rg:StatusRecord ; rdfs:label "{record}"@en ; rg:statusOf <{agreement}> ;\n'
            f'    rg:status rg:{status} ; dcterms:date "{date}"^^xsd:date ; rg:statedIn {evidence} .'
        )
        for i, sentence in enumerate(sentences):
            lines.append(
                f"rgd:{record}-e{i} a rg:Evidence ; oa:hasSource rgd:test-report ;\n"
                f"    oa:hasSelector rgd:{record}-e{i}-quote .\n"
                f'rgd:{record}-e{i}-quote a oa:TextQuoteSelector ; oa:exact "{sentence}" .'
            )
    return "\n".join(lines) + "\n"


# (agreement, status, record date, record) of each record, as brief() gives a row: the shipped ones
RDP_2023 = (
    "agreement-reciprocal-defence-procurement",
    "underNegotiation",
    "2023-09-26",
    "status-reciprocal-defence-procurement-2023-09-26",
)
SOSA_2023 = (
    "agreement-security-of-supply",
    "underNegotiation",
    "2023-09-26",
    "status-security-of-supply-2023-09-26",
)
# and the made-up readout's
SOSA_2024 = ("agreement-security-of-supply", "concluded", "2024-03-31", "test-sosa-1")
ALPHA_1 = ("test-agreement-alpha", "proposed", "2022-11-05", "test-alpha-1")
ALPHA_2 = ("test-agreement-alpha", "underNegotiation", "2023-02-14", "test-alpha-2")
ALPHA_3 = ("test-agreement-alpha", "underNegotiation", "2023-02-20", "test-alpha-3")
ALPHA_4 = ("test-agreement-alpha", "concluded", "2024-06-01", "test-alpha-4")
ALPHA_5 = ("test-agreement-alpha", "signed", "2024-06-01", "test-alpha-5")
ALPHA_6 = ("test-agreement-alpha", "inForce", "2025-01-15", "test-alpha-6")


# --------------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def query() -> CannedQuery:
    return Catalogue.load().get(NAME)  # with its SPARQL checked


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agreement-status") / "status-changes.ttl"
    path.write_text(_fixture_text(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fixture_kg(fixture_file: Path) -> KnowledgeGraph:
    """The shipped graph with the made-up readout."""
    return KnowledgeGraph.default(extra_files=[fixture_file])


@pytest.fixture(scope="module")
def first_readout_kg() -> KnowledgeGraph:
    """The ontology, the reference data and the first readout, without any later readout."""
    readouts = resources.data_dir() / "readouts"
    kg = KnowledgeGraph()
    kg.load(*[f for f in default_files() if not f.is_relative_to(readouts) or f.stem == FIRST_READOUT])
    return kg


def plain(term: object) -> str | None:
    """The lexical form of an rdflib or pyoxigraph term (None if unbound)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    return str(term)


def answer(query: CannedQuery, kg: KnowledgeGraph, **params: str) -> list[dict[str, str | None]]:
    """Run the query as relgraph does; rows as dicts of column -> lexical form."""
    result = query.run(kg, params)
    assert result.variables == COLUMNS
    return [dict(zip(COLUMNS, map(plain, row), strict=True)) for row in result.rows]


def brief(rows: list[dict[str, str | None]]) -> list[tuple[str | None, ...]]:
    """(agreement, status, record date, record) of each row, local names for IRIs."""

    def local(iri: str | None) -> str | None:
        return None if iri is None else iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    return [(local(r["agreement"]), local(r["status"]), r["recordDate"], local(r["record"])) for r in rows]


def expected_records(
    kg: KnowledgeGraph, date: str | None, agreement: str | None = None
) -> set[tuple[str, str]]:
    """(agreement, record) of each agreement's latest records on or before ``date``, worked out in Python."""
    latest: dict[str, tuple[dt.date, set[str]]] = {}
    for agreement_term, record, day in kg.query(RECORDS).rows:
        when = dt.date.fromisoformat(str(day))
        if (date is not None and when > dt.date.fromisoformat(date)) or (
            agreement is not None and str(agreement_term) != agreement
        ):
            continue
        best, records = latest.get(str(agreement_term), (dt.date.min, set()))
        if when > best:
            latest[str(agreement_term)] = (when, {str(record)})
        elif when == best:
            records.add(str(record))
    return {(a, r) for a, (_, records) in latest.items() for r in records}


def endpoint_like_rows(
    query: CannedQuery, kg: KnowledgeGraph, params: Mapping[str, str]
) -> list[tuple[str | None, ...]]:
    """Rows of the query with its parameters only as a VALUES block at the start of its WHERE group,
    as an endpoint gets them (no substitution, which also binds them inside subqueries)."""
    bound = query.bind_terms(params)
    solutions = kg.oxigraph.query(with_values(query.text, bound) if bound else query.text)
    assert isinstance(solutions, ox.QuerySolutions)
    return [tuple(plain(s[c]) for c in COLUMNS) for s in solutions]


def rdflib_rows(
    query: CannedQuery, graph: rdflib.Graph, params: Mapping[str, str]
) -> list[tuple[str | None, ...]]:
    """Rows of the query on rdflib, its parameters as initBindings (as benchmarks/run.py runs it).

    Not as a VALUES block: rdflib's OPTIONAL checks a left row again without the bindings made
    before it in the group, so it drops rows when a VALUES block binds ?date there.
    """
    result = graph.query(query.text, initBindings=query.bind(params))
    return [tuple(plain(row[c]) for c in COLUMNS) for row in result]  # type: ignore[call-overload,index]


# --------------------------------------------------------------------------------------------------
# The header
# --------------------------------------------------------------------------------------------------


def test_header_declares_two_optional_parameters(query: CannedQuery) -> None:
    assert [(p.name, p.type, p.default, p.required) for p in query.params] == [
        ("date", "date", None, False),
        ("agreement", "iri", None, False),
    ]
    assert {"agreements", "time"} <= set(query.tags)
    assert "latest status" in query.summary


# --------------------------------------------------------------------------------------------------
# The shipped graph
# --------------------------------------------------------------------------------------------------


def test_first_readout_both_agreements_under_negotiation(
    query: CannedQuery, first_readout_kg: KnowledgeGraph
) -> None:
    # the readout records both agreements under negotiation on the day of the session, in sentence 8
    for params in ({}, {"date": "2023-09-26"}, {"date": "2030-01-01"}):
        rows = answer(query, first_readout_kg, **params)
        assert brief(rows) == [
            RDP_2023,
            SOSA_2023,
        ]
        assert [r["agreementLabel"] for r in rows] == [
            "Reciprocal Defence Procurement agreement",
            "Security of Supply Arrangement",
        ]
        assert {(r["statusLabel"], r["sentence"], r["source"]) for r in rows} == {
            ("under negotiation", S08, f"{RGD}report-ani-2023-09-27")
        }
        assert {r["date"] for r in rows} == {params.get("date")}  # the date asked about, if any


def test_first_readout_nothing_before_the_session(
    query: CannedQuery, first_readout_kg: KnowledgeGraph
) -> None:
    assert answer(query, first_readout_kg, date="2023-09-25") == []


def test_first_readout_one_agreement(query: CannedQuery, first_readout_kg: KnowledgeGraph) -> None:
    rows = answer(query, first_readout_kg, date="2023-09-26", agreement="rgd:agreement-security-of-supply")
    assert brief(rows) == [
        (
            "agreement-security-of-supply",
            "underNegotiation",
            "2023-09-26",
            "status-security-of-supply-2023-09-26",
        )
    ]


def test_shipped_graph_latest_records_of_every_agreement(query: CannedQuery, kg: KnowledgeGraph) -> None:
    # whatever readouts are shipped: the records listed are each agreement's latest, on any date
    days = sorted({str(row[2]) for row in kg.query(RECORDS).rows})
    assert days, "the shipped graph has status records"
    before = (dt.date.fromisoformat(days[0]) - dt.timedelta(days=1)).isoformat()
    for date in [None, before, *days]:
        params = {} if date is None else {"date": date}
        rows = answer(query, kg, **params)
        assert {(r["agreement"], r["record"]) for r in rows} == expected_records(kg, date), date
    assert answer(query, kg, date=before) == []


# --------------------------------------------------------------------------------------------------
# A made-up readout: an agreement whose status changes
# --------------------------------------------------------------------------------------------------

# as-of date -> rows (agreement, status, record date, record), in the query's order: by agreement label,
# then status label
FIXTURE_CASES: dict[str | None, list[tuple[str, ...]]] = {
    "2022-11-04": [],  # before any record
    "2022-11-05": [ALPHA_1],  # the day of a record counts
    "2023-02-13": [ALPHA_1],  # the day before the next
    "2023-02-14": [ALPHA_2],
    "2023-02-17": [ALPHA_2],  # between two records of one month
    "2023-02-20": [ALPHA_3],
    "2023-09-26": [RDP_2023, SOSA_2023, ALPHA_3],  # months without a record since
    "2024-03-30": [RDP_2023, SOSA_2023, ALPHA_3],
    "2024-03-31": [RDP_2023, SOSA_2024, ALPHA_3],  # a shipped agreement's status moves on
    "2024-06-01": [RDP_2023, SOSA_2024, ALPHA_4, ALPHA_5],  # two statuses on one day: both
    "2024-12-31": [RDP_2023, SOSA_2024, ALPHA_4, ALPHA_5],
    None: [RDP_2023, SOSA_2024, ALPHA_6, ALPHA_6],  # the latest of all; alpha-6 is in two sentences
}


@pytest.mark.parametrize("date", list(FIXTURE_CASES), ids=lambda d: d or "latest")
def test_status_as_of_a_date(query: CannedQuery, fixture_kg: KnowledgeGraph, date: str | None) -> None:
    rows = answer(query, fixture_kg, **({} if date is None else {"date": date}))
    assert brief(rows) == FIXTURE_CASES[date]
    assert {(r["agreement"], r["record"]) for r in rows} == expected_records(fixture_kg, date)
    for row in rows:
        record = row["record"]
        assert record is not None
        assert row["date"] == date
        assert row["statusLabel"] is not None and row["agreementLabel"] is not None
        if record.startswith(f"{RGD}test-"):
            sentences = FIXTURE_RECORDS[record.removeprefix(RGD)][3]
            assert row["sentence"] in sentences
            assert row["source"] == f"{RGD}test-report"


def test_two_sentences_give_two_rows_in_sentence_order(
    query: CannedQuery, fixture_kg: KnowledgeGraph
) -> None:
    rows = answer(query, fixture_kg, agreement="rgd:test-agreement-alpha")
    assert [(r["statusLabel"], r["recordDate"], r["sentence"]) for r in rows] == [
        ("in force", "2025-01-15", "Alpha entered into force."),
        ("in force", "2025-01-15", "Alpha now binds both."),
    ]


def test_the_agreement_parameter(query: CannedQuery, fixture_kg: KnowledgeGraph) -> None:
    rows = answer(query, fixture_kg, date="2024-06-01", agreement="rgd:test-agreement-alpha")
    assert brief(rows) == [ALPHA_4, ALPHA_5]
    assert [r["statusLabel"] for r in rows] == ["concluded", "signed"]
    assert brief(answer(query, fixture_kg, date="2024-03-31", agreement=SOSA)) == [SOSA_2024]
    assert brief(answer(query, fixture_kg, date="2024-03-30", agreement=f"<{SOSA}>")) == [SOSA_2023]
    assert answer(query, fixture_kg, date="2022-11-04", agreement="rgd:test-agreement-alpha") == []
    assert answer(query, fixture_kg, agreement="rgd:test-agreement-beta") == []  # no record at all
    assert answer(query, fixture_kg, agreement="rgd:no-such-agreement") == []


# --------------------------------------------------------------------------------------------------
# The same answer as an endpoint's and as rdflib's
# --------------------------------------------------------------------------------------------------

ENGINE_CASES: list[dict[str, str]] = [
    {},
    {"date": "2022-11-04"},
    {"date": "2023-02-17"},
    {"date": "2024-06-01"},
    {"date": "2024-06-01", "agreement": "rgd:test-agreement-alpha"},
    {"agreement": "rgd:agreement-security-of-supply"},
]


@pytest.fixture(scope="module")
def fixture_rdflib(fixture_kg: KnowledgeGraph) -> rdflib.Graph:
    return fixture_kg.to_rdflib()


@pytest.mark.parametrize(
    "params", ENGINE_CASES, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "none"
)
def test_same_answer_as_an_endpoint_and_rdflib(
    query: CannedQuery, fixture_kg: KnowledgeGraph, fixture_rdflib: rdflib.Graph, params: dict[str, str]
) -> None:
    embedded = [tuple(r.values()) for r in answer(query, fixture_kg, **params)]
    assert embedded or params.get("date") == "2022-11-04"
    assert endpoint_like_rows(query, fixture_kg, params) == embedded
    assert rdflib_rows(query, fixture_rdflib, params) == embedded


def test_a_date_used_inside_a_subquery_would_be_caught(fixture_kg: KnowledgeGraph) -> None:
    # the check above is not vacuous: a subquery cannot see a VALUES block of the outer group, so an
    # endpoint answers this one as if no date were given, where the embedded run substitutes it
    text = (
        f"PREFIX rg: <{RG}> PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?date ?agreement ?latest WHERE {\n"
        "  { SELECT ?date ?agreement (MAX(?d) AS ?latest) WHERE {\n"
        "      ?r a rg:StatusRecord ; rg:statusOf ?agreement ; dcterms:date ?d FILTER (!(?d > ?date)) }\n"
        "    GROUP BY ?date ?agreement }\n"
        "} ORDER BY STR(?agreement) ?latest ?date ?agreement"
    )
    subquery = CannedQuery(NAME, Path("q.rq"), "s", "d", Catalogue.load().get(NAME).params[:1], (), text)
    embedded = subquery.run(fixture_kg, {"date": "2024-06-01"}).rows
    assert embedded  # substitution reaches inside the subquery
    bound = subquery.bind_terms({"date": "2024-06-01"})
    solutions = fixture_kg.oxigraph.query(with_values(text, bound))
    assert isinstance(solutions, ox.QuerySolutions)
    assert list(solutions) == []  # the block does not


# --------------------------------------------------------------------------------------------------
# Generated records: many agreements, days, months and years, ties
# --------------------------------------------------------------------------------------------------


def _generated_text() -> tuple[str, list[str]]:
    """Three agreements with 16 records each, dated around month and year ends (many on one day); and
    the dates to ask about: each day of the pool, the day before and the day after."""
    chooser = random.Random(20230926)
    pool = [dt.date(2023, 12, 27) + dt.timedelta(days=n) for n in range(10)]  # across a year end
    pool += [dt.date(2024, 1, 31), dt.date(2024, 2, 1), dt.date(2024, 2, 29), dt.date(2024, 3, 1)]
    pool += [dt.date(2019, 5, 5), dt.date(2031, 7, 15)]
    statuses = ["proposed", "underNegotiation", "concluded", "signed", "inForce"]
    lines = [FIXTURE.split("\n\n", 1)[0], ""]
    for a in range(3):
        agreement = f"rgd:test-generated-{a}"
        lines.append(f'{agreement} a rg:Agreement ; rdfs:label "Generated agreement {a}"@en .')
        for r in range(16):
            record = f"rgd:test-generated-{a}-{r:02d}"
            status, date = chooser.choice(statuses), chooser.choice(pool).isoformat()
            lines.append(
                f"{record} a rg:StatusRecord ; rg:statusOf {agreement} ; rg:status rg:{status} ;\n"
                f'    dcterms:date "{date}"^^xsd:date ; rg:statedIn {record}-e .\n'
                f"{record}-e oa:hasSource rgd:test-report ; oa:hasSelector {record}-q .\n"
                f'{record}-q a oa:TextQuoteSelector ; oa:exact "Sentence {r} on agreement {a}." .'
            )
    dates = sorted({(d + dt.timedelta(days=k)).isoformat() for d in pool for k in (-1, 0, 1)})
    return "\n".join(lines) + "\n", dates


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeGraph, list[str]]:
    """The shipped graph with :func:`_generated_text`'s records, and the dates to ask about."""
    text, dates = _generated_text()
    path = tmp_path_factory.mktemp("agreement-status") / "generated.ttl"
    path.write_text(text, encoding="utf-8")
    return KnowledgeGraph.default(extra_files=[path]), dates


def test_generated_records_latest_as_of_every_date(
    query: CannedQuery, generated: tuple[KnowledgeGraph, list[str]]
) -> None:
    kg, dates = generated
    ties = 0
    for date in [None, *dates]:
        rows = answer(query, kg, **({} if date is None else {"date": date}))
        expected = expected_records(kg, date)
        assert {(r["agreement"], r["record"]) for r in rows} == expected, date
        assert len(rows) == len(expected), date  # one row a record (one sentence each)
        ties += len(expected) - len({a for a, _ in expected})
        order = [
            (r["agreementLabel"], r["agreement"], r["statusLabel"], r["status"], r["record"]) for r in rows
        ]
        assert order == sorted(order, key=lambda k: tuple("" if v is None else v for v in k)), date
    assert ties > 10  # days with two records or more of one agreement were asked about


def test_generated_records_same_on_an_endpoint_and_rdflib(
    query: CannedQuery, generated: tuple[KnowledgeGraph, list[str]]
) -> None:
    kg, dates = generated
    for date in [None, *dates]:
        params = {} if date is None else {"date": date}
        embedded = [tuple(r.values()) for r in answer(query, kg, **params)]
        assert endpoint_like_rows(query, kg, params) == embedded, date
    graph = kg.to_rdflib()
    for date in [None, "2024-01-01", "2024-02-29"]:  # rdflib takes a second a query here
        params = {} if date is None else {"date": date}
        embedded = [tuple(r.values()) for r in answer(query, kg, **params)]
        assert rdflib_rows(query, graph, params) == embedded, date


# --------------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------------


def test_cli_query_with_a_data_file(fixture_file: Path) -> None:
    result = CliRunner().invoke(
        cli, ["query", NAME, "--data", str(fixture_file), "-p", "date", "2024-06-01", "-f", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["agreement"], r["statusLabel"], r["recordDate"]) for r in rows] == [
        (RDP, "under negotiation", "2023-09-26"),
        (SOSA, "concluded", "2024-03-31"),
        (ALPHA, "concluded", "2024-06-01"),
        (ALPHA, "signed", "2024-06-01"),
    ]
    assert {r["date"] for r in rows} == {"2024-06-01"}


def test_cli_query_one_agreement_table(fixture_file: Path) -> None:
    args = ["query", NAME, "--data", str(fixture_file), "-p", "agreement", "rgd:test-agreement-alpha"]
    result = CliRunner().invoke(cli, [*args, "-p", "date", "2023-02-17"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == COLUMNS
    assert "Talks on Alpha opened." in lines[2] and "rgd:test-alpha-2" in lines[2]
    assert lines[-1] == "1 row"


def test_cli_refuses_a_date_that_is_not_one() -> None:
    result = CliRunner().invoke(cli, ["query", NAME, "-p", "date", "2024-02-30"])
    assert result.exit_code == 2
    assert "parameter 'date' (date)" in result.stderr
    assert result.stdout == ""
