"""Tests of the canned SPARQL queries in ``queries/*.rq``.

The expected rows are those the first readout must give, worked out from the source text
``data/sources/ani-2023-09-27-us-india-2plus2-intersessional.txt`` and the readout, not copied
from query output. They are asked of that readout only (its session, its report or its
statements), so a later readout adds rows to the shipped graph but changes none of these.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relgraph import resources
from relgraph.catalogue import Catalogue
from relgraph.errors import UsageError
from relgraph.store import KnowledgeGraph, default_files

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
SOURCE_TEXT = ROOT / "data" / "sources" / "ani-2023-09-27-us-india-2plus2-intersessional.txt"
RG = "https://w3id.org/relgraph/ontology#"
RGD = "https://w3id.org/relgraph/id/"
SESSION = f"{RGD}us-india-2plus2-intersessional-07"
REPORT = f"{RGD}report-ani-2023-09-27"

EXPECTED_QUERIES = {
    "agreement-status",
    "agreements-under-negotiation",
    "commitments",
    "counterparts",
    "country-officials",
    "dialogue-sessions",
    "domain-hierarchy",
    "domains-discussed",
    "event-codes",
    "fact-sources",
    "initiatives-reviewed",
    "is-co-chair",
    "organisation-posts",
    "partnership-frameworks",
    "person-activity",
    "posts-as-of",
    "regions-referenced",
    "session-co-chairs",
    "session-outcomes",
    "session-sources",
    "spokespersons",
}

# the sentences of the source, as the readout's evidence gives them
S01_START, S01_END = 17, 340
S04_START, S04_END = 924, 1137
S08 = (
    "On the defence side, Assistant Secretary Ratner and his counterparts reviewed the progress the two "
    "countries have made on implementing the Roadmap for US-India Defence Industrial Cooperation; they "
    "welcomed progress on new co-production initiatives and committed to expeditiously conclude "
    "negotiations on Security of Supply Arrangement and Reciprocal Defence Procurement agreements, the "
    "statement said."
)
RATNER_X_POST = (
    "It was terrific to co-chair today's U.S.-India 2+2 Intersessional Dialogue, where we reviewed the "
    "progress we've made on ambitious initiatives across the Major Defense Partnership"
)


# --------------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return KnowledgeGraph.default()


def first_readout_files() -> list[Path]:
    """The ontology, the reference data and the first readout, without any later readout."""
    readouts = resources.data_dir() / "readouts"
    return [f for f in default_files() if not f.is_relative_to(readouts) or f.stem == SOURCE_TEXT.stem]


@pytest.fixture(scope="module")
def first_readout_kg() -> KnowledgeGraph:
    """The graph of :func:`first_readout_files`: for answers that span all sessions (counts, dates
    after the session) and so cannot be narrowed to the first readout's rows."""
    kg = KnowledgeGraph()
    kg.load(*first_readout_files())
    return kg


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.fixture(scope="module")
def first_readout_facts(catalogue: Catalogue, kg: KnowledgeGraph) -> set[str]:
    """What the first readout states: the resources with an rg:statedIn sentence of its report."""
    return {row["subject"] for row in rows(catalogue, kg, "fact-sources") if row["source"] == REPORT}


def rows(catalogue: Catalogue, kg: KnowledgeGraph, name: str, **params: str) -> list[dict[str, str | None]]:
    """Run a canned query; return its rows as dicts of variable -> lexical form (None if unbound)."""
    result = catalogue.get(name).run(kg, params)
    assert result.kind == "select"
    return [
        {var: (None if term is None else str(term)) for var, term in zip(result.variables, row, strict=True)}
        for row in result.rows
    ]


def col(table: list[dict[str, str | None]], *names: str) -> list:
    """Return one column (a list of values) or several (a list of tuples)."""
    if len(names) == 1:
        return [row[names[0]] for row in table]
    return [tuple(row[n] for n in names) for row in table]


def where(table: list[dict[str, str | None]], name: str, value: str) -> list[dict[str, str | None]]:
    """The rows whose column ``name`` is ``value`` (e.g. the first readout's session or report)."""
    return [row for row in table if row[name] == value]


def local(iri: str | None) -> str | None:
    return None if iri is None else iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _body(text: str) -> str:
    """The query text after the '#+' header, without comments and string contents."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if not line.startswith("#+"))
    body = "\n".join(lines[start:])
    token = re.compile(
        r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
        r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*',
        re.DOTALL,
    )
    return token.sub(lambda m: {"#": "", '"': '""', "'": '""'}.get(m.group()[0], m.group()), body)


def _query_files() -> list[Path]:
    return sorted(QUERIES.glob("*.rq"))


# --------------------------------------------------------------------------------------------------
# The catalogue as a whole
# --------------------------------------------------------------------------------------------------


def test_catalogue_holds_the_expected_queries(catalogue: Catalogue) -> None:
    assert set(catalogue.names()) >= EXPECTED_QUERIES
    assert len(catalogue) >= 17
    assert [q.name for q in catalogue] == sorted(q.name for q in catalogue)


@pytest.mark.parametrize("path", _query_files(), ids=lambda p: p.stem)
def test_query_file_name_is_kebab_case(path: Path) -> None:
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", path.stem)


@pytest.mark.parametrize("path", _query_files(), ids=lambda p: p.stem)
def test_query_has_summary_and_description(catalogue: Catalogue, path: Path) -> None:
    query = catalogue.get(path.stem)
    assert query.summary.strip() and "\n" not in query.summary
    assert len(query.description.split()) >= 5
    assert query.tags, "every canned query has tags"


@pytest.mark.parametrize("path", _query_files(), ids=lambda p: p.stem)
def test_select_has_top_level_order_by(path: Path) -> None:
    body = _body(path.read_text("utf-8"))
    form = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
    assert form is not None
    if form.group(1).upper() != "SELECT":
        return
    order_by = [m.start() for m in re.finditer(r"\bORDER\s+BY\b", body, re.IGNORECASE)]
    assert order_by, "a SELECT needs ORDER BY"
    assert order_by[-1] > body.rindex("}"), "ORDER BY must be a solution modifier of the whole query"


@pytest.mark.parametrize("path", _query_files(), ids=lambda p: p.stem)
def test_query_declares_its_prefixes_and_stays_local(path: Path) -> None:
    body = _body(path.read_text("utf-8"))
    declared = set(re.findall(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", body, re.IGNORECASE))
    body_without_prefixes = re.sub(r"\bPREFIX\s+[\w.-]*:\s*<[^>]*>", "", body, flags=re.IGNORECASE)
    used = set(re.findall(r"(?<![\w?$<:])([A-Za-z][\w-]*):[A-Za-z_]", body_without_prefixes))
    assert used <= declared, f"undeclared prefixes: {sorted(used - declared)}"
    assert not re.search(r"\b(SERVICE|FROM)\b", body, re.IGNORECASE)


@pytest.mark.parametrize("path", _query_files(), ids=lambda p: p.stem)
def test_params_are_variables_bound_from_outside(
    catalogue: Catalogue, kg: KnowledgeGraph, path: Path
) -> None:
    query = catalogue.get(path.stem)
    body = _body(query.text)
    for param in query.params:
        assert re.search(rf"[?$]{param.name}(?![\w\u00b7])", body), f"?{param.name} not used"
        # never assigned inside the query: the value comes from outside (SEP-0007)
        assert not re.search(rf"\bAS\s+[?$]{param.name}\b", body, re.IGNORECASE)
        assert not re.search(rf"\bVALUES\s+[?$]{param.name}\b", body, re.IGNORECASE)
        assert not re.search(rf"\bVALUES\s*\([^)]*[?$]{param.name}\b", body, re.IGNORECASE)
    result = query.run(kg, {})
    if result.kind == "select":
        bound = {p.name for p in query.params if p.default is not None}
        assert bound <= set(result.variables), "a bound parameter must be in the SELECT projection"


@pytest.mark.parametrize("path", _query_files(), ids=lambda p: p.stem)
def test_query_answers_with_its_defaults(catalogue: Catalogue, kg: KnowledgeGraph, path: Path) -> None:
    result = catalogue.get(path.stem).run(kg, {})
    if result.kind == "select":
        assert result.rows, "every canned query finds something in the first readout"
        assert len(set(result.variables)) == len(result.variables)
    else:
        assert result.kind == "ask"


def test_results_do_not_depend_on_load_order(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    reversed_kg = KnowledgeGraph()
    reversed_kg.load(*reversed(default_files()))
    assert len(reversed_kg) == len(kg)
    for query in catalogue:
        first, second = query.run(kg, {}), query.run(reversed_kg, {})
        assert (first.variables, first.rows, first.boolean) == (
            second.variables,
            second.rows,
            second.boolean,
        ), query.name


def test_undeclared_parameter_is_refused(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    with pytest.raises(UsageError, match="sesion"):
        catalogue.get("session-co-chairs").run(kg, {"sesion": "rgd:us-india-2plus2-intersessional-07"})
    with pytest.raises(UsageError):
        catalogue.get("regions-referenced").run(kg, {"session": "rgd:us-india-2plus2-intersessional-07"})


def test_badly_typed_parameter_is_refused(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    with pytest.raises(UsageError):
        catalogue.get("posts-as-of").run(kg, {"date": "26 September 2023"})
    with pytest.raises(UsageError):
        catalogue.get("country-officials").run(kg, {"country": "nosuchprefix:usa"})


def test_unknown_query_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(UsageError):
        catalogue.get("session-cochairs")


# --------------------------------------------------------------------------------------------------
# One test (or more) per query, against the first readout
# --------------------------------------------------------------------------------------------------


def test_session_co_chairs(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "session-co-chairs")
    # sentence 3: Ratner (DoD) alongside Lu (State), Rao (MEA) and Negi (MoD); Supple only spoke
    assert col(table, "personLabel", "postLabel", "organisationLabel", "countryLabel") == [
        (
            "Vani Rao",
            "Additional Secretary, Ministry of External Affairs of India",
            "Ministry of External Affairs of India",
            "India",
        ),
        (
            "Vishwesh Negi",
            "Joint Secretary, Ministry of Defence of India",
            "Ministry of Defence of India",
            "India",
        ),
        (
            "Donald Lu",
            "Assistant Secretary of State for South and Central Asian Affairs",
            "US Department of State",
            "United States",
        ),
        (
            "Ely Ratner",
            "Assistant Secretary of Defense for Indo-Pacific Security Affairs",
            "US Department of Defense",
            "United States",
        ),
    ]
    assert set(col(table, "session")) == {SESSION}
    assert set(col(table, "sessionLabel")) == {"Seventh US-India 2+2 Intersessional Dialogue"}
    assert col(table, "person")[0] == f"{RGD}vani-rao"


def test_session_co_chairs_of_an_unknown_session_is_empty(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    assert rows(catalogue, kg, "session-co-chairs", session="rgd:us-india-2plus2-intersessional-99") == []


def test_posts_as_of_the_session_day(catalogue: Catalogue, first_readout_kg: KnowledgeGraph) -> None:
    kg = first_readout_kg  # another readout may attest other holdings on or before the day
    table = rows(catalogue, kg, "posts-as-of")
    assert col(table, "personLabel", "postLabel", "organisationLabel", "countryLabel") == [
        (
            "Donald Lu",
            "Assistant Secretary of State for South and Central Asian Affairs",
            "US Department of State",
            "United States",
        ),
        (
            "Ely Ratner",
            "Assistant Secretary of Defense for Indo-Pacific Security Affairs",
            "US Department of Defense",
            "United States",
        ),
        (
            "Vani Rao",
            "Additional Secretary, Ministry of External Affairs of India",
            "Ministry of External Affairs of India",
            "India",
        ),
        (
            "Vishwesh Negi",
            "Joint Secretary, Ministry of Defence of India",
            "Ministry of Defence of India",
            "India",
        ),
    ]
    assert set(col(table, "date")) == {"2023-09-26"}
    assert set(col(table, "lastAttested")) == {"2023-09-26"}
    # the spokesperson is attested on the day of his statement, the day after the session
    (supple,) = rows(catalogue, kg, "posts-as-of", date="2023-09-27", person="rgd:john-supple")
    assert (supple["postLabel"], supple["lastAttested"]) == (
        "Spokesperson of the US Department of Defense",
        "2023-09-27",
    )


def test_posts_as_of_other_dates(catalogue: Catalogue, first_readout_kg: KnowledgeGraph) -> None:
    # the first readout attests the holdings on 2023-09-26 (the co-chairs) and 2023-09-27 (the
    # spokesperson) only: nothing is known the day before
    kg = first_readout_kg
    assert rows(catalogue, kg, "posts-as-of", date="2023-09-25") == []
    # and no end is attested, so they still count later
    later = rows(catalogue, kg, "posts-as-of", date="2024-06-01")
    assert len(later) == 5
    assert sorted(col(later, "lastAttested")) == ["2023-09-26"] * 4 + ["2023-09-27"]


def test_posts_as_of_leaves_out_a_holding_ended_before_the_date(catalogue: Catalogue, tmp_path: Path) -> None:
    # a later readout states that Vani Rao's term ended on 2024-01-15 (test data, not a real fact)
    ended = tmp_path / "ended.ttl"
    ended.write_text(
        f"@prefix rgd: <{RGD}> .\n@prefix time: <http://www.w3.org/2006/time#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "rgd:holding-vani-rao-in-mea-additional-secretary-term time:hasEnd rgd:day-2024-01-15 .\n"
        'rgd:day-2024-01-15 a time:Instant ; time:inXSDDate "2024-01-15"^^xsd:date .\n'
    )
    kg = KnowledgeGraph()
    kg.load(*first_readout_files(), ended)
    others = ["Donald Lu", "Ely Ratner", "John Supple", "Vishwesh Negi"]
    on_the_day = [row["personLabel"] for row in rows(catalogue, kg, "posts-as-of", date="2024-01-15")]
    assert on_the_day == [*others[:3], "Vani Rao", others[3]]  # not ended *before* that day
    after = [row["personLabel"] for row in rows(catalogue, kg, "posts-as-of", date="2024-06-01")]
    assert after == others


def test_posts_as_of_one_person(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "posts-as-of", person="rgd:vani-rao")
    assert col(table, "person", "post", "organisation") == [
        (f"{RGD}vani-rao", f"{RGD}post-in-mea-additional-secretary", f"{RGD}in-mea")
    ]
    assert col(table, "holding") == [f"{RGD}holding-vani-rao-in-mea-additional-secretary"]


def test_country_officials_india(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    # the query lists every session: the first readout's rows are those of its session
    table = where(rows(catalogue, kg, "country-officials"), "session", SESSION)
    assert col(table, "personLabel", "roleLabel", "organisationLabel") == [
        ("Vani Rao", "co-chair", "Ministry of External Affairs of India"),
        ("Vishwesh Negi", "co-chair", "Ministry of Defence of India"),
    ]
    assert set(col(table, "countryLabel")) == {"India"}
    assert set(col(table, "sessionDate")) == {"2023-09-26"}


def test_country_officials_usa(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = where(rows(catalogue, kg, "country-officials", country="rgd:usa"), "session", SESSION)
    assert col(table, "personLabel", "roleLabel", "organisationLabel") == [
        ("Donald Lu", "co-chair", "US Department of State"),
        ("Ely Ratner", "co-chair", "US Department of Defense"),
        ("John Supple", "spokesperson", "US Department of Defense"),
    ]
    assert col(table, "roleType")[-1] == f"{RG}spokesperson"
    assert set(col(table, "country")) == {f"{RGD}usa"}


def test_spokespersons(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "spokespersons", session=f"<{SESSION}>")
    assert col(table, "personLabel", "postLabel", "organisationLabel", "countryLabel", "sessionDate") == [
        (
            "John Supple",
            "Spokesperson of the US Department of Defense",
            "US Department of Defense",
            "United States",
            "2023-09-26",
        )
    ]
    assert where(rows(catalogue, kg, "spokespersons"), "session", SESSION) == table  # all sessions
    assert rows(catalogue, kg, "spokespersons", session="rgd:no-such-session") == []


def test_agreements_under_negotiation(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    # the status records the first readout's report states (later reports add their own)
    table = where(rows(catalogue, kg, "agreements-under-negotiation"), "source", REPORT)
    assert col(table, "agreementLabel", "statusLabel", "date") == [
        ("Reciprocal Defence Procurement agreement", "under negotiation", "2023-09-26"),
        ("Security of Supply Arrangement", "under negotiation", "2023-09-26"),
    ]
    assert set(col(table, "sentence")) == {S08}
    assert set(col(table, "status")) == {f"{RG}underNegotiation"}


def test_agreements_with_other_status_or_date(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    concluded = rows(catalogue, kg, "agreements-under-negotiation", status="rg:concluded")
    assert where(concluded, "source", REPORT) == []
    assert len(rows(catalogue, kg, "agreements-under-negotiation", date="2023-09-26")) == 2
    assert rows(catalogue, kg, "agreements-under-negotiation", date="2023-09-27") == []


def test_commitments(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "commitments", session="rgd:us-india-2plus2-intersessional-07")
    # sentence 8: Ratner "and his counterparts" (the Indian co-chairs) committed to conclude both negotiations
    assert col(table, "concernedLabel", "actorLabel") == [
        ("Reciprocal Defence Procurement agreement", "Ely Ratner"),
        ("Reciprocal Defence Procurement agreement", "Vani Rao"),
        ("Reciprocal Defence Procurement agreement", "Vishwesh Negi"),
        ("Security of Supply Arrangement", "Ely Ratner"),
        ("Security of Supply Arrangement", "Vani Rao"),
        ("Security of Supply Arrangement", "Vishwesh Negi"),
    ]
    assert set(col(table, "kindLabel")) == {"agreement"}
    assert set(map(local, col(table, "outcome"))) == {"us-india-2plus2-intersessional-07-outcome-09"}
    assert where(rows(catalogue, kg, "commitments"), "session", SESSION) == table  # all sessions


def test_initiatives_reviewed(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "initiatives-reviewed", session=f"<{SESSION}>")
    assert col(table, "initiativeLabel", "outcomeTypeLabel") == [
        # sentence 2
        ("Major bilateral initiatives on defence industrial cooperation", "reviewed progress on"),
        ("Major bilateral initiatives on information-sharing", "reviewed progress on"),
        ("Major bilateral initiatives on joint service engagements", "reviewed progress on"),
        # sentence 8
        ("Roadmap for US-India Defence Industrial Cooperation", "reviewed progress on"),
        ("New US-India co-production initiatives", "welcomed"),
    ]
    assert [local(o)[-2:] for o in col(table, "outcome")] == ["03", "03", "03", "07", "08"]


def test_domains_discussed(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "domains-discussed", session=f"<{SESSION}>")
    assert col(table, "domainLabel", "outcomeTypeLabel", "broaderLabel") == [
        ("clean energy", "advanced", None),
        ("co-production", "welcomed", "defence industrial cooperation"),
        ("cyber", "discussed", "defence and security"),
        ("defence and security", "advanced", None),
        ("defence industrial cooperation", "reviewed progress on", "defence and security"),
        ("defence industrial cooperation", "reviewed progress on", "defence and security"),
        ("emerging technologies", "advanced", None),
        ("information-sharing", "reviewed progress on", "defence and security"),
        ("interoperability", "discussed", "defence and security"),
        ("joint service engagements", "reviewed progress on", "defence and security"),
        ("logistics", "discussed", "defence and security"),
        ("maritime", "discussed", "defence and security"),
        ("people-to-people ties", "advanced", None),
        ("regional security", "reaffirmed", "defence and security"),
        ("regional security", "discussed", "defence and security"),
        ("space", "discussed", "defence and security"),
        ("supply chain resilience", "advanced", None),
    ]
    assert len(set(col(table, "domain"))) == 15
    assert [local(o)[-2:] for o in col(table, "outcome")][4:6] == ["03", "07"]


def test_regions_referenced(catalogue: Catalogue, first_readout_kg: KnowledgeGraph) -> None:
    # the query counts over all sessions and has no session parameter: asked of the first readout alone
    table = rows(catalogue, first_readout_kg, "regions-referenced")
    # Indo-Pacific: outcomes 2 (sentence 4), 4 (sentence 5), 11 (sentence 10); Indian Ocean: outcome 10
    assert col(table, "regionLabel", "outcomes", "sessions", "sentences", "firstDate", "lastDate") == [
        ("Indo-Pacific", "3", "1", "3", "2023-09-26", "2023-09-26"),
        ("Indian Ocean region", "1", "1", "1", "2023-09-26", "2023-09-26"),
    ]
    assert col(table, "region") == [f"{RGD}indo-pacific", f"{RGD}indian-ocean-region"]


def test_partnership_frameworks(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "partnership-frameworks")
    # the members the first readout and the reference data give, in this order; a later readout may add
    # more (an initiative under the Major Defense Partnership) without changing these
    first = [
        ("Major Defense Partnership", "US-India partnership", "country", "India"),
        ("Major Defense Partnership", "US-India partnership", "country", "United States"),
        (
            "Major Defense Partnership",
            "US-India partnership",
            "initiative",
            "Roadmap for US-India Defence Industrial Cooperation",
        ),
        ("US-India partnership", None, "country", "India"),
        ("US-India partnership", None, "country", "United States"),
        ("US-India partnership", None, "partnership framework", "Major Defense Partnership"),
    ]
    shown = col(table, "frameworkLabel", "broaderLabel", "kindLabel", "memberLabel")
    assert [row for row in shown if row in first] == first
    only_mdp = rows(catalogue, kg, "partnership-frameworks", framework="rgd:major-defense-partnership")
    assert only_mdp == [row for row in table if row["frameworkLabel"] == "Major Defense Partnership"]


def test_dialogue_sessions(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = where(rows(catalogue, kg, "dialogue-sessions"), "session", SESSION)
    # sentence 1: "the seventh 2+2 Intersessional Dialogue ... here on September 26"
    assert col(table, "ordinal", "date", "placeAsReported", "sessionLabel", "mechanismLabel") == [
        (
            "7",
            "2023-09-26",
            "here",
            "Seventh US-India 2+2 Intersessional Dialogue",
            "US-India 2+2 Intersessional Dialogue",
        )
    ]
    assert rows(catalogue, kg, "dialogue-sessions", mechanism="rgd:no-such-dialogue") == []


def test_fact_sources_of_an_outcome(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "fact-sources", subject="rgd:us-india-2plus2-intersessional-07-outcome-01")
    # "underscored the transformative momentum": sentence 4 (sentence 1 says the US officials alone
    # "laid their emphasis on" it, and is not cited for an outcome of the four co-chairs)
    assert col(table, "start", "end") == [(str(S04_START), str(S04_END))]
    assert set(col(table, "source")) == {f"{RGD}report-ani-2023-09-27"}
    assert set(col(table, "publisherLabel")) == {"ANI"}
    assert set(col(table, "issued")) == {"2023-09-27"}
    assert set(col(table, "textFile")) == {SOURCE_TEXT.name}
    assert col(table, "exact")[0].startswith("The officials underscored the transformative momentum")
    # sentence 1 states the session itself: who held it, with whom, where and when
    session = rows(catalogue, kg, "fact-sources", subject=f"<{SESSION}>")
    assert col(session, "start", "end") == [(str(S01_START), str(S01_END))]


def test_fact_sources_quote_the_text_at_their_offsets(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "fact-sources")
    # every readout's rows quote the text of their own source file
    texts = {f: (SOURCE_TEXT.parent / f).read_text(encoding="utf-8") for f in set(col(table, "textFile"))}
    for row in table:
        assert texts[row["textFile"]][int(row["start"]) : int(row["end"])] == row["exact"], row["evidence"]
    # the first readout's statedIn links: report 2, statement 6, its attribution 1, X post 2, session 1,
    # roles 6, holdings 5, statuses 2, outcomes 11
    first = where(table, "source", REPORT)
    assert len(first) == 36
    assert set(col(first, "textFile")) == {SOURCE_TEXT.name}
    ratner_role = [r for r in table if r["subject"] == f"{SESSION}-co-chair-ely-ratner"]
    assert [local(r["evidence"]) for r in ratner_role] == ["ani-2023-09-27-s03", "ani-2023-09-27-s06"]


def test_session_outcomes(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "session-outcomes")
    assert [(local(o)[-2:], t, c) for o, t, c in col(table, "outcome", "outcomeTypeLabel", "cameoCode")] == [
        ("01", "underscored", "010"),
        ("02", "reaffirmed", "030"),
        ("03", "reviewed progress on", "040"),
        ("04", "reaffirmed", "030"),
        ("05", "reviewed progress on", "040"),
        ("06", "advanced", "050"),
        ("07", "reviewed progress on", "040"),
        ("08", "welcomed", "051"),
        ("09", "committed to", "036"),
        ("10", "discussed", "040"),
        ("11", "discussed", "040"),
    ]
    sentences = col(table, "sentence")
    assert sentences[0] == sentences[1] and sentences[0].startswith("The officials underscored")
    assert sentences[6] == sentences[7] == sentences[8] == S08
    assert sentences[10].startswith("The officials also discussed regional security developments")
    assert col(table, "cameoLabel")[8] == "Express intent to meet or negotiate"


def test_organisation_posts(
    catalogue: Catalogue, first_readout_kg: KnowledgeGraph, first_readout_facts: set[str]
) -> None:
    # the holdings the first readout states, and the dates it attests them on (the reference data may
    # hold posts that only later readouts fill)
    kg = first_readout_kg
    table = [
        row for row in rows(catalogue, kg, "organisation-posts") if row["holding"] in first_readout_facts
    ]
    assert col(table, "organisationLabel", "postLabel", "holderLabel", "firstAttested") == [
        (
            "Ministry of Defence of India",
            "Joint Secretary, Ministry of Defence of India",
            "Vishwesh Negi",
            "2023-09-26",
        ),
        (
            "Ministry of External Affairs of India",
            "Additional Secretary, Ministry of External Affairs of India",
            "Vani Rao",
            "2023-09-26",
        ),
        (
            "US Department of Defense",
            "Assistant Secretary of Defense for Indo-Pacific Security Affairs",
            "Ely Ratner",
            "2023-09-26",
        ),
        (
            "US Department of Defense",
            "Spokesperson of the US Department of Defense",
            "John Supple",
            "2023-09-27",
        ),
        (
            "US Department of State",
            "Assistant Secretary of State for South and Central Asian Affairs",
            "Donald Lu",
            "2023-09-26",
        ),
    ]
    dod = rows(catalogue, kg, "organisation-posts", organisation="rgd:us-dod")
    assert [r["holderLabel"] for r in dod if r["holding"] in first_readout_facts] == [
        "Ely Ratner",
        "John Supple",
    ]
    assert rows(catalogue, kg, "organisation-posts", organisation="rgd:ani") == []


def test_counterparts(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "counterparts")
    assert col(table, "personLabel", "countryLabel", "counterpartLabel", "counterpartCountryLabel") == [
        ("Donald Lu", "United States", "Vani Rao", "India"),
        ("Donald Lu", "United States", "Vishwesh Negi", "India"),
        ("Ely Ratner", "United States", "Vani Rao", "India"),
        ("Ely Ratner", "United States", "Vishwesh Negi", "India"),
    ]
    indian_side = rows(catalogue, kg, "counterparts", country="rgd:india")
    assert col(indian_side, "personLabel", "counterpartLabel") == [
        ("Vani Rao", "Donald Lu"),
        ("Vani Rao", "Ely Ratner"),
        ("Vishwesh Negi", "Donald Lu"),
        ("Vishwesh Negi", "Ely Ratner"),
    ]


def test_domain_hierarchy(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "domain-hierarchy")
    assert col(table, "broaderLabel", "conceptLabel") == [
        (None, "clean energy"),
        (None, "defence and security"),
        (None, "emerging technologies"),
        (None, "people-to-people ties"),
        (None, "supply chain resilience"),
        ("defence and security", "cyber"),
        ("defence and security", "defence industrial cooperation"),
        ("defence and security", "information-sharing"),
        ("defence and security", "interoperability"),
        ("defence and security", "joint service engagements"),
        ("defence and security", "logistics"),
        ("defence and security", "maritime"),
        ("defence and security", "regional security"),
        ("defence and security", "space"),
        ("defence industrial cooperation", "co-production"),
    ]
    cameo = rows(catalogue, kg, "domain-hierarchy", scheme="rgd:cameo")
    assert len(cameo) == 10
    assert col(cameo, "broader", "concept")[-1] == (f"{RGD}cameo-05", f"{RGD}cameo-051")


def test_session_sources(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "session-sources")
    assert col(
        table, "kindLabel", "issued", "organisationLabel", "personLabel", "personRole", "platform"
    ) == [
        ("social-media post", "2023-09-26", None, "Ely Ratner", "author", "X"),
        ("news report", "2023-09-27", "ANI", None, None, None),
        ("official statement", "2023-09-27", "US Department of Defense", "John Supple", "spokesperson", None),
    ]
    assert col(table, "source") == [
        f"{RGD}x-post-ely-ratner-2023-09-26",
        f"{RGD}report-ani-2023-09-27",
        f"{RGD}statement-dod-2023-09-27",
    ]
    assert col(table, "quote") == [RATNER_X_POST, None, None]


def test_event_codes(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    table = rows(catalogue, kg, "event-codes", session=f"<{SESSION}>")
    assert col(table, "outcome")[0] is None  # the session itself comes first
    assert col(table, "eventLabel")[0] == "Seventh US-India 2+2 Intersessional Dialogue"
    assert col(table, "notation") == [
        "040",
        "010",
        "030",
        "040",
        "030",
        "040",
        "050",
        "040",
        "051",
        "036",
        "040",
        "040",
    ]
    assert col(table, "rootNotation") == [
        "04",
        "01",
        "03",
        "04",
        "03",
        "04",
        "05",
        "04",
        "05",
        "03",
        "04",
        "04",
    ]
    assert set(col(table, "schemeLabel")) == {"CAMEO event codes"}
    assert set(col(table, "sessionDate")) == {"2023-09-26"}
    assert where(rows(catalogue, kg, "event-codes"), "session", SESSION) == table  # all sessions


def test_person_activity_ely_ratner(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    # what he did in the first readout's session (the query lists every session)
    table = where(rows(catalogue, kg, "person-activity"), "session", SESSION)
    assert col(table, "kindLabel", "typeLabel")[0] == ("session role", "co-chair")
    assert col(table, "postLabel")[0] == "Assistant Secretary of Defense for Indo-Pacific Security Affairs"
    # an actor of every outcome except 6, which the text credits to the dialogue as a whole
    assert [local(a)[-2:] for a in col(table, "activity")[1:]] == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "07",
        "08",
        "09",
        "10",
        "11",
    ]
    assert col(table, "typeLabel")[1:] == [
        "underscored",
        "reaffirmed",
        "reviewed progress on",
        "reaffirmed",
        "reviewed progress on",
        "reviewed progress on",
        "welcomed",
        "committed to",
        "discussed",
        "discussed",
    ]
    assert set(col(table, "kindLabel")[1:]) == {"outcome"}


def test_person_activity_others(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    lu = where(rows(catalogue, kg, "person-activity", person="rgd:donald-lu"), "session", SESSION)
    # Lu is one of "the officials" (sentences 1, 2, 4, 10), not of Ratner's defence-side counterparts
    assert [(k, local(a)[-2:]) for k, a in col(lu, "kindLabel", "activity")] == [
        ("session role", "lu"),
        ("outcome", "01"),
        ("outcome", "02"),
        ("outcome", "03"),
        ("outcome", "11"),
    ]
    supple = where(rows(catalogue, kg, "person-activity", person="rgd:john-supple"), "session", SESSION)
    assert col(supple, "typeLabel", "postLabel") == [
        ("spokesperson", "Spokesperson of the US Department of Defense")
    ]


def test_is_co_chair(catalogue: Catalogue, kg: KnowledgeGraph) -> None:
    query = catalogue.get("is-co-chair")
    assert query.run(kg, {}).boolean is True
    assert query.run(kg, {"person": "rgd:vishwesh-negi"}).boolean is True
    assert query.run(kg, {"person": "rgd:john-supple"}).boolean is False
    assert query.run(kg, {"session": "rgd:no-such-session"}).boolean is False
