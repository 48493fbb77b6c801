from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic
from rdflib.term import Literal, URIRef

from relgraph import resources
from relgraph import store as store_module
from relgraph.errors import ConfigurationError, ExitCode, InputError, QueryError, UsageError
from relgraph.limits import QueryTimeoutError, abandoned_work, run_in_thread, use_timeout
from relgraph.namespaces import RG
from relgraph.prefixes import PREFIXES
from relgraph.safety import check_read_only_local
from relgraph.store import KnowledgeGraph, default_files, load_default_graph

RGD = PREFIXES["rgd"]
RDFS = PREFIXES["rdfs"]
PROLOGUE = f"PREFIX rgd: <{RGD}>\nPREFIX rdfs: <{RDFS}>\n"


def snapshot(kg: KnowledgeGraph) -> list[str]:
    return sorted(str(q) for q in kg.quads())


def labels(kg: KnowledgeGraph) -> set[str]:
    result = kg.query(PROLOGUE + "SELECT ?l WHERE { ?s rdfs:label ?l }")
    return {str(row[0]) for row in result.rows}


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("good.ttl", "Carol"),
        ("people.nt", "Gina"),
        ("people.jsonld", "Hank"),
        ("people.rdf", "Jack"),
        ("quads.nq", "Erin"),
        ("graphs.trig", "Frank"),
    ],
)
def test_load_each_format_into_the_default_graph(fixtures: Path, name: str, label: str) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / name)
    assert label in labels(kg)  # named graphs of N-Quads/TriG end up in the default graph
    assert kg.files == [fixtures / "rdf" / name]
    assert len(kg) == len(list(kg.triples())) > 0


def test_load_is_all_or_nothing(fixtures: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "people.nt")
    before, files_before = snapshot(kg), list(kg.files)
    bad = fixtures / "rdf" / "bad.ttl"
    with pytest.raises(InputError) as caught:
        kg.load(fixtures / "rdf" / "good.ttl", bad)
    message = caught.value.message
    assert message == f"{bad}:5:21: Unexpected end of file"
    assert "\n" not in message
    assert snapshot(kg) == before
    assert kg.files == files_before
    assert caught.value.exit_code == ExitCode.USAGE


def test_load_of_a_list_is_a_usage_error(fixtures: Path) -> None:
    # load(*paths) given one list was a TypeError traceback from pathlib
    kg = KnowledgeGraph()
    with pytest.raises(
        UsageError, match=r"^give the files as separate arguments \(load\(\*files\)\), not a list$"
    ):
        kg.load([fixtures / "rdf" / "people.nt"])  # type: ignore[arg-type]
    assert len(kg) == 0 and kg.files == []
    kg.load(*[fixtures / "rdf" / "people.nt"])
    assert len(kg) > 0


def test_syntax_error_location_mid_file(tmp_path: Path) -> None:
    bad = tmp_path / "mid.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b ex:c ;\n  ex:q zz .\n")
    with pytest.raises(InputError, match=re.escape(f"{bad}:4:8: ")):
        KnowledgeGraph().load(bad)


def test_unknown_extension(fixtures: Path) -> None:
    path = fixtures / "rdf" / "data.xyz"
    with pytest.raises(InputError, match=re.escape(f"{path}: unknown RDF file extension '.xyz'")):
        KnowledgeGraph().load(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.ttl"
    with pytest.raises(InputError, match=re.escape(f"{path}: no such file")):
        KnowledgeGraph().load(path)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    with pytest.raises(InputError, match=re.escape(f"{folder}: is a directory")):
        KnowledgeGraph().load(folder)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.ttl"
    path.write_text("")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(InputError, match=re.escape(f"{path}: cannot read the file: permission denied")):
        KnowledgeGraph().load(path)


def test_not_utf8(fixtures: Path) -> None:
    path = fixtures / "rdf" / "latin1.ttl"
    with pytest.raises(InputError, match=re.escape(f"{path}:3:22: not UTF-8 text (byte 0xe9)")):
        KnowledgeGraph().load(path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.nt"
    path.write_bytes(b'\xef\xbb\xbf<http://example.org/a> <http://example.org/p> "x" .\n')
    kg = KnowledgeGraph()
    kg.load(path)
    assert len(kg) == 1


def test_remote_json_ld_context_is_never_fetched(fixtures: Path) -> None:
    path = fixtures / "rdf" / "remote-context.jsonld"
    with pytest.raises(InputError, match=re.escape(f"{path}: remote JSON-LD contexts are never loaded")):
        KnowledgeGraph().load(path)


def test_blank_nodes_of_different_files_stay_apart(tmp_path: Path) -> None:
    one, two = tmp_path / "one.ttl", tmp_path / "two.ttl"
    one.write_text('_:b <http://example.org/p> "one" .\n')
    two.write_text('_:b <http://example.org/p> "two" .\n')
    kg = KnowledgeGraph()
    kg.load(one, two)
    subjects = {row[0] for row in kg.query("SELECT ?s WHERE { ?s ?p ?o }").rows}
    assert len(subjects) == 2


def test_a_file_is_loaded_once(fixtures: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "good.ttl")
    size = len(kg)
    kg.load(fixtures / "rdf" / "good.ttl", str(fixtures / "rdf" / "good.ttl"))
    assert len(kg) == size  # the blank node would have been duplicated
    assert kg.files == [fixtures / "rdf" / "good.ttl"]


def test_on_disk_store_keeps_its_triples(tmp_path: Path, fixtures: Path) -> None:
    kg = KnowledgeGraph(tmp_path / "db")
    kg.load(fixtures / "rdf" / "good.ttl")
    size = len(kg)
    assert size > 0
    del kg
    reopened = KnowledgeGraph(tmp_path / "db", read_only=True)
    assert len(reopened) == size


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT ?x { ?s ?p ?o } } }", "SERVICE"),
        ("ASK { FILTER EXISTS { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } } }", "SERVICE"),
        ("SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }", "FROM"),
        ("SELECT * FROM NAMED <http://127.0.0.1:9/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM"),
        ("CONSTRUCT { ?s ?p ?o } FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }", "FROM"),
        ("DESCRIBE <http://example.org/a> FROM <http://127.0.0.1:9/g>", "FROM"),
        ("INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }", "updates"),
        ("LOAD <http://127.0.0.1:9/data.ttl>", "updates"),
        ("DELETE WHERE { ?s ?p ?o }", "updates"),
        ("DROP ALL", "updates"),
    ],
)
def test_network_and_updates_are_refused(fixtures: Path, query: str, refusal: str) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "good.ttl")
    before = snapshot(kg)
    with pytest.raises(QueryError, match=f"^{refusal}"):
        kg.query(query)
    assert snapshot(kg) == before


def test_refusal_names_the_source() -> None:
    with pytest.raises(QueryError, match=r"^my\.rq: SERVICE is not allowed"):
        KnowledgeGraph().query("SELECT * WHERE { SERVICE <http://x.org/s> { ?s ?p ?o } }", source="my.rq")


def test_token_scan_when_rdflib_cannot_parse() -> None:
    # rdflib cannot parse these, so the conservative token scan decides
    with pytest.raises(QueryError, match="SERVICE"):
        check_read_only_local("SELECT * WHERE { service <http://x.org/s> { ?s ?p ?o } } (((")
    with pytest.raises(QueryError, match="FROM"):
        check_read_only_local("SELECT * from <http://x.org/g> WHERE { ?s ?p ?o } (((")
    # an escaped # in a local name does not start a comment that would hide the SERVICE
    with pytest.raises(QueryError, match="SERVICE"):
        check_read_only_local("SELECT * WHERE { ?s ex:a\\#b ?o . SERVICE <http://x.org/s> { ?s ?p ?o } } (((")
    # words inside strings, IRIs, comments and variables are not keywords
    check_read_only_local(
        "SELECT ?service WHERE { ?service <http://x.org/FROM> 'SERVICE' ; "
        '<http://x.org/p> """FROM""" } # SERVICE\n((('
    )
    # a prefixed name may hide FROM from what rdflib cannot parse ("FROM:g" is FROM and :g to Oxigraph)
    with pytest.raises(QueryError, match="may hold one as pyoxigraph reads it"):
        check_read_only_local("SELECT ?s WHERE { ?s ex:from 'x' } (((")


def test_words_in_data_positions_are_allowed() -> None:
    kg = KnowledgeGraph()
    result = kg.query("SELECT ?service WHERE { ?service <http://x.org/from> 'SERVICE FROM' }")
    assert result.variables == ["service"]
    assert result.rows == []


def test_syntax_error_becomes_query_error() -> None:
    with pytest.raises(QueryError, match=r"^SPARQL syntax error at line 2, column \d+: ") as caught:
        KnowledgeGraph().query("SELECT ?s\nWHERE { ?s ?p ")
    assert "\n" not in caught.value.message
    with pytest.raises(QueryError, match=r"^q\.rq:2:\d+: SPARQL syntax error: "):
        KnowledgeGraph().query("SELECT ?s\nWHERE { ?s ?p ", source="q.rq")


QUOTED = 'He said "hi" } UNION { ?s ?p ?o } \\ done'


def test_string_binding_is_data_not_syntax(fixtures: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "good.ttl")
    query = PROLOGUE + "SELECT ?s ?text WHERE { ?s rdfs:comment ?text }"
    result = kg.query(query, {"text": Literal(QUOTED)})
    assert result.rows == [(URIRef(RGD + "carol"), Literal(QUOTED))]
    # an injection attempt matches nothing (pasted into the text it would have matched everything)
    for attack in ['" } UNION { ?s ?p ?o } #', "} UNION { ?s ?p ?o", "\\", '"hi"']:
        assert kg.query(query, {"text": Literal(attack)}).rows == []
    assert len(kg.query(query).rows) == 1


def test_iri_binding(fixtures: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "good.ttl", fixtures / "rdf" / "people.nt")
    query = PROLOGUE + "SELECT ?s ?label WHERE { ?s rdfs:label ?label }"
    result = kg.query(query, {"s": URIRef(RGD + "gina")})
    assert result.rows == [(URIRef(RGD + "gina"), Literal("Gina", lang="en"))]
    assert kg.query("ASK { ?s ?p ?o }", {"s": URIRef(RGD + "nobody")}).boolean is False


def test_bindings_go_in_as_a_values_block_and_as_substitutions(monkeypatch, fixtures: Path) -> None:
    # Oxigraph plans from a VALUES block, not from substitutions (1 ms rather than 0.7 s at 1M)
    sent: list[tuple[str, dict[str, str]]] = []
    real = store_module.run_query

    def recording(store, sparql, substitutions=None, timeout=None, *, isolate=None):
        sent.append((sparql, {v.value: str(t) for v, t in (substitutions or {}).items()}))
        return real(store, sparql, substitutions, timeout, isolate=isolate)

    monkeypatch.setattr(store_module, "run_query", recording)
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "people.nt")
    query = PROLOGUE + "SELECT ?s ?label WHERE {\n ?s rdfs:label ?label }"
    result = kg.query(query, {"s": URIRef(RGD + "gina"), "label": Literal("Gina", lang="en")})
    assert result.rows == [(URIRef(RGD + "gina"), Literal("Gina", lang="en"))]
    text, substitutions = sent[-1]
    assert f'WHERE {{ VALUES (?s ?label) {{ (<{RGD}gina> "Gina"@en) }} ' in text
    assert text.count("\n") == query.count("\n")  # same line numbers
    assert substitutions == {"s": f"<{RGD}gina>", "label": '"Gina"@en'}


def test_bound_query_without_where_group_runs_with_substitution(fixtures: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "people.nt")
    described = kg.query("DESCRIBE ?s", {"s": URIRef(RGD + "gina")})
    assert (URIRef(RGD + "gina"), URIRef(RDFS + "label"), Literal("Gina", lang="en")) in described.triples
    assert {t[0] for t in described.triples} == {URIRef(RGD + "gina")}


def test_bound_query_syntax_error_keeps_its_position() -> None:
    text = "SELECT ?s WHERE { ?s ?p ?? }"
    with pytest.raises(QueryError) as unbound:
        KnowledgeGraph().query(text)
    with pytest.raises(QueryError) as bound:
        KnowledgeGraph().query(text, {"s": URIRef(RGD + "gina")})
    assert bound.value.message == unbound.value.message
    assert bound.value.message.startswith("SPARQL syntax error at line 1, column ")


def test_binding_must_be_projected() -> None:
    with pytest.raises(
        QueryError, match=r"\?o is bound as a parameter, so it must be in the SELECT projection"
    ):
        KnowledgeGraph().query("SELECT ?s WHERE { ?s ?p ?o }", {"o": Literal("x")})


def test_invalid_binding_name() -> None:
    with pytest.raises(QueryError, match="invalid variable name"):
        KnowledgeGraph().query("SELECT * WHERE { ?s ?p ?o }", {"o }": Literal("x")})


def test_result_kinds(fixtures: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "good.ttl")
    select = kg.query(PROLOGUE + "SELECT ?l ?none WHERE { rgd:carol rdfs:label ?l OPTIONAL { ?l ?x ?none } }")
    assert (select.kind, select.variables, select.rows) == (
        "select",
        ["l", "none"],
        [(Literal("Carol"), None)],
    )
    ask = kg.query("ASK { ?s ?p ?o }")
    assert (ask.kind, ask.boolean) == ("ask", True)
    graph = kg.query(PROLOGUE + "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l }")
    assert graph.kind == "graph"
    assert (URIRef(RGD + "carol"), URIRef(RDFS + "label"), Literal("Carol")) in graph.triples
    described = kg.query(PROLOGUE + "DESCRIBE rgd:carol")
    assert described.kind == "graph"
    assert len(described.triples) == 4  # its 3 triples and those of its blank node (CBD)


@pytest.mark.parametrize(
    "query",
    [
        PROLOGUE + "SELECT ?s ?l ?none WHERE { ?s rdfs:label ?l OPTIONAL { ?l ?x ?none } } ORDER BY ?s",
        "ASK { ?s ?p ?o }",
        PROLOGUE + "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l }",
    ],
)
def test_thread_and_worker_give_the_same_answer(fixtures: Path, query: str) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "good.ttl")
    on_thread, in_worker = kg.query(query, isolate=False), kg.query(query, isolate=True)
    assert on_thread == in_worker
    assert (on_thread.rows, on_thread.boolean, on_thread.triples) != ([], None, [])


def test_timed_out_query_returns_control_while_its_thread_finishes() -> None:
    kg = KnowledgeGraph()
    kg.oxigraph.extend(
        ox.Quad(ox.NamedNode(f"http://ex/{i}"), ox.NamedNode("http://ex/p"), ox.Literal(str(i)))
        for i in range(1500)
    )
    slow = "SELECT (COUNT(*) AS ?n) { ?a ?p ?b . ?c ?q ?d FILTER(STR(?b) < STR(?d)) }"  # seconds, bounded
    with use_timeout(0.05), pytest.raises(QueryTimeoutError, match=r"timeout of 0\.05 s") as raised:
        kg.query(slow)
    assert raised.value.exit_code == int(ExitCode.TIMEOUT)
    assert abandoned_work() >= 1  # the caller got control back while the query still ran
    for _ in range(600):
        if abandoned_work() == 0:
            break
        time.sleep(0.1)
    assert abandoned_work() == 0  # it finished on its own; the store still answers
    assert kg.query(slow).rows == [(Literal("1124250", datatype=URIRef(PREFIXES["xsd"] + "integer")),)]


def test_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    kg = KnowledgeGraph()
    kg.load(*default_files())  # some work, so that the query cannot end before the caller waits
    monkeypatch.setenv("RELGRAPH_TIMEOUT", "soon")
    with pytest.raises(InputError, match=r"^RELGRAPH_TIMEOUT='soon': must be a positive number$"):
        kg.query("ASK { }")
    monkeypatch.setenv("RELGRAPH_TIMEOUT", "0.000001")
    with pytest.raises(QueryTimeoutError, match=r"timeout of 1e-06 s"):
        kg.query("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f }")  # 1.4 million pairs


def test_worker_threads_are_reused_and_one_left_behind_ends_with_its_work() -> None:
    first = {run_in_thread(threading.get_ident) for _ in range(5)}
    assert len(first) == 1  # one thread served all five (no thread started per query)
    release = threading.Event()
    with pytest.raises(QueryTimeoutError, match=r"^stuck stopped after the timeout of 0\.05 s"):
        run_in_thread(lambda: release.wait(30), 0.05, "stuck")
    assert abandoned_work() >= 1
    stuck = next(iter(first))
    assert run_in_thread(threading.get_ident) != stuck  # new work never queues behind stuck work
    release.set()
    for _ in range(100):
        if abandoned_work() == 0:
            break
        time.sleep(0.05)
    assert abandoned_work() == 0  # the thread left behind ended with its work


SHARES_CPUS = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2, reason="Linux, 2 CPUs or more"
)


@SHARES_CPUS
def test_a_query_thread_shares_the_callers_cpu_at_first_then_both_get_their_cpus_back() -> None:
    # a hand-over to a thread on another (virtual) CPU took 0.1 to 0.2 ms, as long as a small query
    from relgraph.limits import SHARED_CPU_SECONDS

    mine = os.sched_getaffinity(0)
    seen = [run_in_thread(lambda: os.sched_getaffinity(0), share_cpu=True) for _ in range(20)]
    # the worker ran on one CPU, one of the caller's (a job that a busy machine kept past the first
    # 5 ms ran free to move: hence a few tries)
    assert any(len(quick) == 1 and quick < mine for quick in seen)
    assert os.sched_getaffinity(0) == mine  # and the caller has all of its own back

    def slow() -> set[int]:
        time.sleep(SHARED_CPU_SECONDS * 20)
        return os.sched_getaffinity(0)

    assert run_in_thread(slow, share_cpu=True) == mine  # past the first milliseconds, free to move
    assert run_in_thread(lambda: os.sched_getaffinity(0)) == mine  # no thread is left on one CPU
    assert os.sched_getaffinity(0) == mine


@SHARES_CPUS
def test_a_timed_out_thread_that_shared_the_callers_cpu_is_let_go() -> None:
    mine = os.sched_getaffinity(0)
    release, started = threading.Event(), []

    def stuck() -> None:
        started.append(threading.get_native_id())
        release.wait(30)

    try:
        with pytest.raises(QueryTimeoutError):  # a timeout within the time the CPU is shared
            run_in_thread(stuck, 0.001, "stuck", share_cpu=True)
        assert os.sched_getaffinity(0) == mine
        for _ in range(100):
            if started:
                break
            time.sleep(0.01)
        assert os.sched_getaffinity(started[0]) == mine  # the thread left running may move
    finally:
        release.set()


@SHARES_CPUS
@pytest.mark.parametrize("at", [2, 3], ids=["while pinning", "while giving back"])
def test_ctrl_c_while_the_cpu_is_shared_leaves_nothing_pinned(
    monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    # a KeyboardInterrupt between the two sched_setaffinity calls (or in the middle of giving the CPUs
    # back) left the caller on one CPU for good, and every thread it started after
    mine, real, calls = os.sched_getaffinity(0), os.sched_setaffinity, [0]

    def interrupted(who: int, mask: set[int]) -> None:
        real(who, mask)
        calls[0] += 1
        if calls[0] == at:  # 1: the worker pinned, 2: the caller; 3: the caller given back
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "sched_setaffinity", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_in_thread(lambda: time.sleep(0.001), 10, share_cpu=True)
    monkeypatch.undo()
    assert os.sched_getaffinity(0) == mine
    assert run_in_thread(lambda: os.sched_getaffinity(0)) == mine  # the worker too, free again


def test_a_thread_that_cannot_share_the_callers_cpu_runs_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    mine = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    monkeypatch.setattr(os, "sched_setaffinity", refused, raising=False)
    kg = load_default_graph()
    assert kg.query(f"ASK {{ ?s a <{RG.DialogueSession}> }}").boolean is True
    assert run_in_thread(lambda: 6 * 7, share_cpu=True) == 42
    if mine is not None:
        assert os.sched_getaffinity(0) == mine


def test_a_worker_thread_keeps_nothing_of_an_answer_once_handed_back() -> None:
    import gc
    import weakref

    class Answer:  # a stand-in for a big answer (a list of rows)
        pass

    answer = run_in_thread(Answer)
    kept = weakref.ref(answer)
    del answer
    gc.collect()
    assert kept() is None  # the idle thread holds no reference to the last answer it made


def test_to_rdflib_is_an_isomorphic_copy(fixtures: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(fixtures / "rdf" / "good.ttl")
    graph = kg.to_rdflib()
    assert len(graph) == len(kg)
    graph.remove((None, None, None))
    assert len(kg) == 4  # a copy: the store is untouched
    again = kg.to_rdflib()
    assert dict(again.namespaces())["rgd"] == URIRef(RGD)
    expected = type(again)().parse(fixtures / "rdf" / "good.ttl")
    assert isomorphic(again, expected)


def test_default_files_and_graph(shipped: Path) -> None:
    files = default_files()
    assert files == [
        shipped / "ontology" / "relgraph.ttl",
        shipped / "data" / "reference" / "organisations.ttl",
        shipped / "data" / "reference" / "people.ttl",
        shipped / "data" / "readouts" / "session-07.ttl",
    ]
    assert default_files(data_only=True) == files[1:]
    kg = KnowledgeGraph.default(extra_files=[shipped / "rdf" / "people.nt"])
    assert kg.files == [*files, shipped / "rdf" / "people.nt"]
    assert "Gina" in labels(kg)
    data_only = load_default_graph(data_only=True)
    assert data_only.files == files[1:]
    assert len(data_only) < len(kg)


def test_broken_shipped_file_is_a_configuration_error(
    shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "broken.ttl").write_text("this is not turtle")
    monkeypatch.setattr(store_module.resources, "data_dir", lambda: tmp_path)
    with pytest.raises(ConfigurationError, match=r"broken\.ttl:1:") as caught:
        KnowledgeGraph.default()
    assert caught.value.exit_code == ExitCode.CONFIGURATION
    with pytest.raises(ConfigurationError, match=r"broken\.ttl:1:"):  # the same with --store (it was 2)
        KnowledgeGraph.default(store=tmp_path / "store")
    # while a broken extra file is the user's input error
    monkeypatch.setattr(store_module.resources, "data_dir", lambda: shipped / "data")
    with pytest.raises(InputError, match=r"bad\.ttl:5:21"):
        KnowledgeGraph.default(extra_files=[shipped / "rdf" / "bad.ttl"])
    with pytest.raises(InputError, match=r"bad\.ttl:5:21"):
        KnowledgeGraph.default(extra_files=[shipped / "rdf" / "bad.ttl"], store=tmp_path / "store")


def _built_store(tmp_path: Path) -> tuple[Path, Path]:
    """Build the on-disk store of a one-triple file; return the file and the store folder."""
    from relgraph.persist import open_store

    data = tmp_path / "a.nt"
    data.write_text('<http://ex/a> <http://ex/p> "1" .\n')
    folder = tmp_path / "store"
    _store, built = open_store(folder, [data], progress=False)
    assert built
    del _store
    return data, folder


def test_store_marked_damaged_only_by_the_holder_of_its_lock(tmp_path: Path) -> None:
    import json

    from relgraph.locking import locked
    from relgraph.persist import mark_damaged, open_store, store_is_fresh, verify_store

    data, folder = _built_store(tmp_path)
    assert store_is_fresh(folder, [data]) and verify_store(folder) is None
    with locked(folder):  # another process is rebuilding it: nothing is written
        assert mark_damaged(folder, "Corruption: test") is False
    assert "damaged" not in json.loads((folder / "manifest.json").read_text())
    assert mark_damaged(folder, "Corruption: test") is True
    assert json.loads((folder / "manifest.json").read_text())["damaged"] == "Corruption: test"
    assert not store_is_fresh(folder, [data])
    _store, built = open_store(folder, [data], progress=False)
    assert built and store_is_fresh(folder, [data])
    assert mark_damaged(tmp_path / "missing", "Corruption: test") is False


def test_new_mtimes_with_the_same_content_are_recorded_once_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from relgraph import persist
    from relgraph.locking import locked

    data, folder = _built_store(tmp_path)
    read: list[str] = []
    sha256 = persist._sha256
    monkeypatch.setattr(persist, "_sha256", lambda path: read.append(path.name) or sha256(path))

    def recorded() -> int:
        (entry,) = json.loads((folder / "manifest.json").read_text())["files"]
        return int(entry["mtime_ns"])

    os.utime(data, ns=(10**18, 10**18))  # touched (a checkout): same bytes, a new time
    with locked(folder):  # another process holds the lock: used as it is, nothing recorded
        _store, built = persist.open_store(folder, [data], progress=False)
    del _store
    assert not built and read == ["a.nt"] and recorded() != 10**18
    read.clear()
    _store, built = persist.open_store(folder, [data], progress=False)
    del _store
    assert not built and read == ["a.nt"] and recorded() == 10**18  # read once more, and recorded
    read.clear()
    _store, built = persist.open_store(folder, [data], progress=False)
    del _store
    assert not built and read == []  # not read again
    data.write_text('<http://ex/a> <http://ex/p> "2" .\n')  # same size, new content and time
    _store, built = persist.open_store(folder, [data], progress=False)
    assert built and [str(t["o"]) for t in _store.query("SELECT ?o WHERE { ?s ?p ?o }")] == ['"2"']
    del _store


def test_times_are_not_recorded_over_another_build_or_a_damage_mark(tmp_path: Path) -> None:
    import json

    from relgraph import persist

    data, folder = _built_store(tmp_path)
    manifest = folder / "manifest.json"
    before = manifest.read_bytes()
    name = json.loads(before)["store"]
    touched = {("files", str(data.resolve())): 7}
    persist._record_times(folder, "store-another", touched)  # the store was built again meanwhile
    assert manifest.read_bytes() == before
    assert persist.mark_damaged(folder, "Corruption: test")
    marked = manifest.read_bytes()
    persist._record_times(folder, name, touched)  # another process found it damaged meanwhile
    assert manifest.read_bytes() == marked
    persist._record_times(tmp_path / "missing", name, touched)  # no folder: nothing, and no error
    assert not (tmp_path / "missing").exists()


def test_damage_found_in_a_store_is_not_recorded_against_a_newer_build(tmp_path: Path) -> None:
    import json

    from relgraph import persist
    from relgraph.locking import locked

    data = tmp_path / "a.nt"
    data.write_text('<http://ex/a> <http://ex/p> "1" .\n')
    folder = tmp_path / "store"
    old, built = persist.open_store(folder, [data], progress=False)  # this process reads it
    assert built
    data.write_text('<http://ex/a> <http://ex/p> "22" .\n')
    with locked(folder):  # meanwhile another process builds the store of the changed file
        newer = persist._build(folder, [data], progress=False, why="")
    manifest = folder / "manifest.json"
    assert json.loads(manifest.read_bytes())["store"] == newer["store"]
    before = manifest.read_bytes()
    # the damage this process then finds was in the store it opened, now gone: the new one is kept
    assert persist.verify_store(folder) is None
    assert persist.mark_damaged(folder, "Corruption: block checksum mismatch") is False
    error = persist.damaged_store_error(folder, "Corruption: block checksum mismatch")
    assert error.message == (
        f"{folder}: the store is damaged (Corruption: block checksum mismatch); "
        "another command has built it again since: run the command again"
    )
    assert manifest.read_bytes() == before and persist.store_is_fresh(folder, [data])
    del old
    again, built = persist.open_store(folder, [data], progress=False)  # now this process reads the new one
    assert not built and [str(t["o"]) for t in again.query("SELECT ?o WHERE { ?s ?p ?o }")] == ['"22"']
    del again
    assert persist.mark_damaged(folder, "Corruption: block checksum mismatch") is True


def test_an_edit_whose_mtime_was_set_back_is_found_by_its_ctime(tmp_path: Path) -> None:
    # an edit of the same size, with `touch -r` restoring the old mtime: the store gave the old answer
    from relgraph import persist

    data, folder = _built_store(tmp_path)
    before = data.stat()
    time.sleep(0.01)
    data.write_text('<http://ex/a> <http://ex/p> "2" .\n')
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert data.stat().st_mtime_ns == before.st_mtime_ns and data.stat().st_ctime_ns != before.st_ctime_ns
    assert not persist.store_is_fresh(folder, [data])
    store, built = persist.open_store(folder, [data], progress=False)
    assert built and [str(t["o"]) for t in store.query("SELECT ?o WHERE { ?s ?p ?o }")] == ['"2"']


def test_library_misuse_is_a_relgraph_error(tmp_path: Path) -> None:
    # each was a bare RuntimeError, TypeError or AttributeError
    from relgraph.catalogue import Catalogue
    from relgraph.errors import UsageError

    stored = KnowledgeGraph.default(store=tmp_path / "store")
    with pytest.raises(UsageError, match="on-disk store opened read-only: give the files to"):
        stored.load(tmp_path / "x.ttl")
    kg = KnowledgeGraph()
    with pytest.raises(UsageError, match="the query must be text, not NoneType"):
        kg.query(None)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="the names of the parameters must be text"):
        kg.query("ASK {}", {1: ox.NamedNode("http://ex/a")})  # type: ignore[dict-item]
    catalogue = Catalogue.load(str(resources.queries_dir()))  # a str folder, as KnowledgeGraph takes
    assert "session-co-chairs" in catalogue.names()
    with pytest.raises(UsageError, match="the name of a canned query must be text, not NoneType"):
        catalogue.get(None)  # type: ignore[arg-type]
    query = catalogue.get("is-co-chair")
    param = query.params[0].name
    with pytest.raises(UsageError, match=f"parameter '{param}' .*: None is not a value"):
        query.bind_terms({param: None})  # type: ignore[dict-item]


@pytest.mark.parametrize("name", ["dir.nt", "dir.ttl", "dir.jsonld"])
def test_a_literal_with_a_base_direction_is_refused_at_load(tmp_path: Path, name: str) -> None:
    # accepted, then to_rdflib raised ValueError, results a QueryError naming no file, JSON lost it
    path = tmp_path / name
    if name.endswith(".jsonld"):
        path.write_text(
            '{"@id": "http://ex/a", "http://ex/p": {"@value": "abc", "@language": "ar", "@direction": "rtl"}}'
        )
    else:
        path.write_text('<http://ex/a> <http://ex/p> "abc"@ar--rtl .\n')
    kg = KnowledgeGraph()
    with pytest.raises(InputError, match=rf"^{path}: RDF 1.2 base directions in literals are not supported"):
        kg.load(path)
    assert len(kg) == 0
    with pytest.raises(InputError, match=rf"^{path}: RDF 1.2 base directions"):
        KnowledgeGraph.default(extra_files=[path], store=tmp_path / "store")
