"""``relgraph push``: all or nothing, resumable, no duplicates, against a real Oxigraph server.

The fault test SIGKILLs the server in the middle of a large push, restarts it on the same store and
checks that the target graph holds nothing new; ``--resume`` then completes the push exactly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from relgraph.cli import cli
from relgraph.namespaces import RGD, RGG
from relgraph.push import DEFAULT_GRAPH, PROGRESS_GRAPH, PushPlan, ntriples_lines, push
from relgraph.remote import Endpoint, SparqlClient
from relgraph.store import KnowledgeGraph

RELGRAPH = Path(sys.executable).parent / "relgraph"
BIG_TRIPLES = 200_000
OTHER_GRAPH = str(RGG["test-other"])


def count(client: SparqlClient, graph: str) -> int:
    rows = client.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}").rows
    return int(str(rows[0][0]))


def graphs(client: SparqlClient) -> set[str]:
    return {str(row[0]) for row in client.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows}


def write_big_graph(path: Path, n: int) -> None:
    """A synthetic N-Triples graph of ``n`` distinct triples, with some escapes and blank nodes."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            if i % 1000 == 0:
                out.write(f'_:b{i} <{RGD}p> "blank {i} \\"q\\"\\n" .\n')
            else:
                subject, predicate = f"{RGD}s{i // 10}", f"{RGD}p{i % 10}"
                out.write(f'<{subject}> <{predicate}> "v{i} é" .\n')


def test_plan_is_deterministic_and_skolemised(tmp_path):
    data = tmp_path / "b.ttl"
    data.write_text(
        f"@prefix ex: <{RGD}> . ex:a ex:p [ ex:q 1 ; ex:r [ ex:s 2 ] ] . ex:b ex:p [ ex:q 3 ] .",
        encoding="utf-8",
    )
    first = ntriples_lines(ox.parse(path=str(data)))
    second = ntriples_lines(ox.parse(path=str(data)))
    assert first == second == sorted(set(first))
    assert len(first) == 6
    assert not any("_:" in line for line in first)
    assert len({line.split()[0] for line in first if "genid" in line.split()[0]}) == 3
    assert (
        PushPlan(first, 4).staging_graph
        == PushPlan(second, 4).staging_graph
        != PushPlan(first, 5).staging_graph
    )
    assert PushPlan(first, 4).chunk_count == 2


@pytest.mark.parametrize(
    "extra",
    ["", "ex:t ex:p [ ex:v 1 ], [ ex:v 1 ] ."],
    ids=["told apart by more rounds", "with interchangeable blank nodes"],
)
def test_every_distinct_blank_node_keeps_an_iri_of_its_own(tmp_path, extra):
    # two chains that differ only five steps away got the same IRIs after three rounds of hashing:
    # pushed, they merged (12 triples became 10) and the push said nothing
    data = tmp_path / "chains.ttl"
    data.write_text(
        "@prefix ex: <http://example.org/> .\n"
        'ex:s ex:p [ ex:next [ ex:next [ ex:next [ ex:next [ ex:val "x" ] ] ] ] ] .\n'
        'ex:s ex:p [ ex:next [ ex:next [ ex:next [ ex:next [ ex:val "y" ] ] ] ] ] .\n' + extra,
        encoding="utf-8",
    )
    triples = list(ox.parse(path=str(data)))
    lines = ntriples_lines(triples)
    assert len(lines) == len(triples) == (16 if extra else 12)
    assert lines == ntriples_lines(ox.parse(path=str(data)))  # the same IRIs from another parse
    skolem = {term for line in lines for term in line.split()[::2][:2] if "genid" in term}
    assert len(skolem) == (12 if extra else 10)  # one IRI for each blank node
    # the pushed graph is the same graph: isomorphic once the IRIs are blank nodes again
    back = rdflib.Graph().parse(data="\n".join(lines), format="nt")
    unskolemised = rdflib.Graph()
    for s_, p_, o_ in back:
        unskolemised.add(
            tuple(rdflib.BNode(t.rsplit("/", 1)[1]) if "genid" in t else t for t in (s_, p_, o_))
        )
    assert isomorphic(unskolemised, rdflib.Graph().parse(data, format="turtle"))


def test_push_replaces_the_target_graph_and_leaves_other_graphs(oxigraph, kg):
    client = SparqlClient(Endpoint.parse(oxigraph.url))
    client.update(f'INSERT DATA {{ GRAPH <{OTHER_GRAPH}> {{ <urn:x:a> <urn:x:p> "keep" }} }}')
    client.update(f'INSERT DATA {{ GRAPH <{DEFAULT_GRAPH}> {{ <urn:x:a> <urn:x:p> "old" }} }}')
    result = CliRunner().invoke(
        cli, ["push", "--endpoint", oxigraph.url, "--chunk-size", "100"], env={"RELGRAPH_PROGRESS": "0"}
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no bar when bars are off (its label was printed whatever the setting)
    expected = len(ntriples_lines(kg.quads()))
    assert count(client, DEFAULT_GRAPH) == expected == len(kg)
    assert not client.query(f'ASK {{ GRAPH <{DEFAULT_GRAPH}> {{ ?s ?p "old" }} }}').boolean
    assert count(client, OTHER_GRAPH) == 1
    assert graphs(client) == {DEFAULT_GRAPH, OTHER_GRAPH}  # no staging or progress graph left
    assert f"{expected} triples" in result.output and "chunks" in result.output
    # pushing again (and resuming a finished push) changes nothing and duplicates nothing
    for extra in ([], ["--resume"]):
        again = CliRunner().invoke(cli, ["push", "--endpoint", oxigraph.url, "--chunk-size", "100", *extra])
        assert again.exit_code == 0, again.output
        assert count(client, DEFAULT_GRAPH) == expected


def test_push_into_another_graph(oxigraph):
    graph = str(RGG["test-data-only"])
    result = CliRunner().invoke(cli, ["push", "--endpoint", oxigraph.url, "--graph", graph, "--data-only"])
    assert result.exit_code == 0, result.output
    answer = CliRunner().invoke(
        cli, ["query", "session-co-chairs", "--endpoint", oxigraph.url, "--graph", graph]
    )
    assert answer.exit_code == 0 and "Ely Ratner" in answer.output
    bad = CliRunner().invoke(cli, ["push", "--endpoint", oxigraph.url, "--graph", "not an iri"])
    assert bad.exit_code == 2 and "--graph" in bad.output


def test_failed_chunk_leaves_the_target_graph_unchanged(oxigraph, kg):
    """A chunk the server rejects stops the push before the MOVE: the old content stays."""
    client = SparqlClient(Endpoint.parse(oxigraph.url))
    graph = str(RGG["test-unchanged"])
    client.update(f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x:a> <urn:x:p> "old" }} }}')
    lines = ntriples_lines(kg.quads())
    bad = [*lines[:250], "<urn:x:a> <urn:x:p> this is not RDF ."]
    with pytest.raises(Exception) as caught:
        push(client, PushPlan(sorted(bad), 100), graph)
    assert getattr(caught.value, "exit_code", None) == 4
    assert count(client, graph) == 1


def _markers(client: SparqlClient) -> int:
    rows = client.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PROGRESS_GRAPH}> {{ ?s ?p ?o }} }}").rows
    return int(str(rows[0][0]))


def test_kill_server_mid_push_then_resume(fresh_oxigraph, tmp_path):
    big = tmp_path / "big.nt"
    write_big_graph(big, BIG_TRIPLES)
    expected = len(ntriples_lines(ox.parse(path=str(big))))
    assert expected == BIG_TRIPLES
    client = SparqlClient(Endpoint.parse(fresh_oxigraph.url), timeout=30)
    client.update(f'INSERT DATA {{ GRAPH <{DEFAULT_GRAPH}> {{ <urn:x:a> <urn:x:p> "before" }} }}')
    command = [str(RELGRAPH), "push", "--endpoint", fresh_oxigraph.url, "--data-only", "--chunk-size", "2000"]
    # only the big file: --data-only leaves out the ontology; the shipped data is small beside it
    command += ["--data", str(big)]
    started = time.monotonic()
    pusher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while _markers(client) < 20:  # wait until 20 of the ~100 chunks are in
            assert pusher.poll() is None, pusher.communicate()
            time.sleep(0.05)
        fresh_oxigraph.kill()
        _, stderr = pusher.communicate(timeout=120)
    finally:
        if pusher.poll() is None:
            pusher.kill()
    assert pusher.returncode == 4, stderr
    error_lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and fresh_oxigraph.url.rsplit("/", 1)[0] in error_lines[0], stderr

    fresh_oxigraph.start()  # the same store, after a SIGKILL
    # nothing new in the target graph: the old content, and only it
    rows = client.query(f"SELECT ?o WHERE {{ GRAPH <{DEFAULT_GRAPH}> {{ ?s ?p ?o }} }}").rows
    assert [str(r[0]) for r in rows] == ["before"]
    uploaded = _markers(client)
    staged = [g for g in graphs(client) if "/staging/" in g]
    assert len(staged) == 1
    assert 20 <= uploaded < 100  # the kill happened in the middle of the push
    assert count(client, staged[0]) == uploaded * 2000  # each recorded chunk is wholly there

    resume = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    assert resume.returncode == 0, resume.stderr
    assert f"{uploaded} already uploaded" in resume.stdout
    total = count(client, DEFAULT_GRAPH)
    shipped = len(ntriples_lines(KnowledgeGraph.default(data_only=True).quads()))
    assert total == expected + shipped  # everything, exactly once
    assert not client.query(f'ASK {{ GRAPH <{DEFAULT_GRAPH}> {{ ?s ?p "before" }} }}').boolean
    assert graphs(client) == {DEFAULT_GRAPH}
    print(f"\npush of {total} triples in 2000-triple chunks, killed and resumed: {elapsed:.1f} s")


@pytest.mark.skipif(os.environ.get("RELGRAPH_BENCH") is None, reason="benchmark: set RELGRAPH_BENCH=1")
def test_bench_push(fresh_oxigraph, tmp_path):
    big = tmp_path / "big.nt"
    write_big_graph(big, BIG_TRIPLES)
    for size in (500, 2000, 10000):
        started = time.monotonic()
        result = CliRunner().invoke(
            cli,
            [
                "push",
                "--endpoint",
                fresh_oxigraph.url,
                "--data-only",
                "--data",
                str(big),
                "--chunk-size",
                str(size),
            ],
        )
        assert result.exit_code == 0, result.output
        print(
            f"\n{result.output.strip()} [chunk size {size}, {time.monotonic() - started:.1f} s with loading]"
        )
