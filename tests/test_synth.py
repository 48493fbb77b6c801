"""The synthetic corpus generator: reproducible, shaped like the real readout, conforming, sourced."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from relgraph.checks import run_checks
from relgraph.cli import cli
from relgraph.errors import InputError, UsageError
from relgraph.prefixes import PREFIXES
from relgraph.store import KnowledgeGraph
from relgraph.synth import AGREEMENTS, CONCERNS, OUTCOME_TYPES, generate, parse_size
from relgraph.validate import validate

RG, RGD = PREFIXES["rg"], PREFIXES["rgd"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "corpus.ttl"
    generate(path, sessions=3, seed=7)
    return path


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.nt", tmp_path / "b.nt", tmp_path / "c.nt"
    generate(a, sessions=4, seed=1)
    generate(b, sessions=4, seed=1)
    generate(c, sessions=4, seed=2)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert sorted(p.read_text() for p in (tmp_path / "a-sources").iterdir()) == sorted(
        p.read_text() for p in (tmp_path / "b-sources").iterdir()
    )


def test_library_callers_may_give_paths_as_text(tmp_path: Path) -> None:
    # a str output was an AttributeError traceback ('str' object has no attribute 'suffix')
    stats = generate(str(tmp_path / "a.nt"), sessions=1, seed=1, sources_dir=str(tmp_path / "texts"))
    generate(tmp_path / "b.nt", sessions=1, seed=1)
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()
    assert stats.sources_dir == tmp_path / "texts" and len(list(stats.sources_dir.iterdir())) == 1


@pytest.mark.parametrize(
    ("output", "counts", "message"),
    [
        (None, {"sessions": 1}, "the output must be a path (str or Path), not NoneType"),
        (b"x.nt", {"sessions": 1}, "the output must be a path (str or Path), not bytes"),
        ("x.nt", {"triples": "1k"}, "triples must be a whole number, not str"),
        ("x.nt", {"sessions": True}, "sessions must be a whole number, not bool"),
    ],
)
def test_library_callers_get_a_usage_error_for_values_of_the_wrong_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: object, counts: dict[str, object], message: str
) -> None:
    # TypeError tracebacks, and triples="1k" left an empty x-sources folder
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        generate(output, **counts)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_turtle_and_ntriples_hold_the_same_triples(tmp_path: Path) -> None:
    generate(tmp_path / "x.ttl", sessions=3, seed=5)
    stats = generate(tmp_path / "x.nt", sessions=3, seed=5)
    ttl, nt = KnowledgeGraph(), KnowledgeGraph()
    ttl.load(tmp_path / "x.ttl")
    nt.load(tmp_path / "x.nt")
    assert set(map(str, ttl.quads())) == set(map(str, nt.quads()))
    # a few lines repeat (two sessions on one day attest the same holding twice): at most that many
    assert 0 <= stats.triples - len(nt) < 20


def test_triple_target_is_reached_with_whole_sessions(tmp_path: Path) -> None:
    stats = generate(tmp_path / "t.nt", triples=5_000, seed=0)
    assert stats.triples >= 5_000
    assert stats.triples < 5_000 + 400  # one session more at most
    assert len(list(stats.sources_dir.iterdir())) == stats.sessions


def test_reference_terms_it_uses_are_in_the_shipped_graph(kg: KnowledgeGraph) -> None:
    for local, (cls, _text) in CONCERNS.items():
        assert kg.query(f"ASK {{ <{RGD}{local}> a <{RG}{cls}> }}").boolean, local
    for local in AGREEMENTS:
        assert kg.query(f"ASK {{ <{RGD}{local}> a <{RG}Agreement> }}").boolean, local
    for _verb, code in OUTCOME_TYPES.values():
        assert kg.query(f"ASK {{ <{RGD}{code}> a <{RG}EventType> }}").boolean, code


def test_corpus_conforms_to_the_shapes_and_passes_the_checks(corpus: Path) -> None:
    report = validate([corpus], strict=True)
    assert report.results == []
    assert report.conforms
    failed = [o.name for o in run_checks(extra_files=[corpus]) if o.result.rows]
    assert failed == []


def test_every_evidence_quote_matches_its_offsets_in_the_written_source(corpus: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(corpus)
    result = kg.query(
        """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX rg: <https://w3id.org/relgraph/ontology#>
        SELECT ?file ?exact ?start ?end WHERE {
          ?e a rg:Evidence ; oa:hasSource/rg:textFile ?file ;
             oa:hasSelector [ oa:exact ?exact ] , [ oa:start ?start ; oa:end ?end ] }"""
    )
    assert len(result.rows) >= 3 * 8  # date line, 2 on the session, 4+ outcomes, closing
    sources = corpus.with_name("corpus-sources")
    for file, exact, start, end in result.rows:
        text = (sources / str(file)).read_text(encoding="utf-8")
        assert text[int(start) : int(end)] == str(exact)


def test_shaped_like_a_readout(corpus: Path) -> None:
    kg = KnowledgeGraph.default(extra_files=[corpus])
    counts = kg.query(
        """PREFIX rg: <https://w3id.org/relgraph/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?session (COUNT(DISTINCT ?chair) AS ?chairs) (COUNT(DISTINCT ?outcome) AS ?outcomes) WHERE {
          ?session a rg:DialogueSession ; prov:qualifiedAssociation ?role .
          ?role prov:hadRole rg:coChair ; prov:agent ?chair .
          ?outcome rg:outcomeOf ?session }
        GROUP BY ?session"""
    )
    sessions = {str(session): (int(chairs), int(outcomes)) for session, chairs, outcomes in counts.rows}
    synthetic = [n for s, n in sessions.items() if s.startswith(f"{RGD}synth-session-")]
    assert len(synthetic) == 3  # beside the shipped sessions: the first readout's, and any later ones
    for chairs, outcomes in [*synthetic, sessions[f"{RGD}us-india-2plus2-intersessional-07"]]:
        assert chairs == 4
        assert outcomes >= 4
    # officials hold posts over time: every holding has a beginning, and is attested on session days
    holdings = kg.query(
        """PREFIX rg: <https://w3id.org/relgraph/ontology#> PREFIX org: <http://www.w3.org/ns/org#>
        PREFIX time: <http://www.w3.org/2006/time#>
        SELECT (COUNT(*) AS ?n) WHERE { ?h a rg:PostHolding ; org:memberDuring/time:hasBeginning ?b }"""
    )
    assert int(holdings.rows[0][0]) >= 5


def test_parse_size() -> None:
    assert parse_size("10k") == 10_000
    assert parse_size("1.5M") == 1_500_000
    with pytest.raises(UsageError):
        parse_size("lots")


def test_needs_sessions_or_triples(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        generate(tmp_path / "x.nt")
    with pytest.raises(UsageError):
        generate(tmp_path / "x.rdf", sessions=1)


def test_cli_synth(tmp_path: Path) -> None:
    out = tmp_path / "c.nt"
    result = CliRunner().invoke(cli, ["synth", "--sessions", "2", "-o", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "2 sessions" in result.output
    assert len(list(ox.parse(path=str(out)))) > 400
    bad = CliRunner().invoke(cli, ["synth", "-o", str(out)])
    assert bad.exit_code == 2
    assert "exactly one of --sessions" in bad.output


def test_a_larger_corpus_passes_the_checks(tmp_path: Path) -> None:
    """Labels stay unique and holdings stay consistent over many sessions (names repeat, people do not)."""
    corpus = tmp_path / "large.nt"
    generate(corpus, sessions=150, seed=1)
    failed = {o.name: len(o.result.rows) for o in run_checks(extra_files=[corpus]) if o.result.rows}
    assert failed == {}


def test_an_output_or_sources_that_cannot_be_written_is_refused_before_anything_is(tmp_path: Path) -> None:
    # -o naming a folder failed at the end, as ".d.ttl.tmp", with d-sources/ already written
    folder = tmp_path / "d.ttl"
    folder.mkdir()
    result = CliRunner().invoke(cli, ["synth", "--sessions", "1", "-o", str(folder)])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {folder}: is a folder; give the name of a file to write\n"
    not_a_folder = tmp_path / "texts"
    not_a_folder.write_text("")
    out = tmp_path / "c.ttl"
    with pytest.raises(
        InputError, match=f"^{not_a_folder}: is not a folder"
    ):  # the CLI's click refuses it too
        generate(out, sessions=1, sources_dir=not_a_folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.ttl", "texts"]  # nothing written
