"""Scale features, checked for correctness on small generated graphs (speed lives in benchmarks/).

- SHACL compiled to SPARQL (relgraph.shacl_sparql) gives exactly pyshacl's results, on generated data
  with injected violations of every kind of constraint the shapes use.
- The on-disk store (relgraph.persist) is built once, reused, and rebuilt when a file changes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import SH

from relgraph.cli import cli
from relgraph.errors import InputError, UsageError
from relgraph.prefixes import PREFIXES
from relgraph.shacl_sparql import compile_shapes
from relgraph.store import KnowledgeGraph, default_files
from relgraph.synth import generate
from relgraph.validate import ValidationResult, load_shapes, validate

PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

# Each update breaks the generated data in one way; together they hit every constraint kind the
# shapes use (minCount, maxCount, datatype and ill-formed literals, class, in, languageIn, pattern,
# minInclusive, lessThan, sh:or, qualified counts, inverse paths, node-level sh:or, SPARQL constraints).
INJECTIONS = [
    "DELETE WHERE { rgd:synth-official-000001 rdfs:label ?l }",
    'INSERT DATA { rgd:synth-session-000000 rdfs:label "Another label"@en }',
    'INSERT DATA { rgd:synth-session-000001-outcome-01 rdfs:label "Un résultat"@fr }',
    "DELETE { rgd:synth-session-000001 dcterms:date ?d }"
    ' INSERT { rgd:synth-session-000001 dcterms:date "soon" }'
    " WHERE { rgd:synth-session-000001 dcterms:date ?d }",
    'DELETE { ?i time:inXSDDate ?d } INSERT { ?i time:inXSDDate "2024-02-30"^^xsd:date }'
    " WHERE { ?i a time:Instant ; time:inXSDDate ?d FILTER (STRSTARTS(STR(?i), STR(rgd:synth-day))) }",
    "DELETE { ?r prov:hadRole ?x } INSERT { ?r prov:hadRole rg:observer }"
    " WHERE { rgd:synth-session-000000 prov:qualifiedAssociation ?r . ?r prov:hadRole ?x"
    " FILTER (STRENDS(STR(?r), 'co-chair-2')) }",
    "INSERT DATA { rgd:synth-session-000000-outcome-01 rg:actor rgd:post-us-dod-spokesperson }",
    "INSERT DATA { rgd:synth-session-000000-outcome-02 rg:concerns rgd:synth-holding-000001 }",
    'INSERT DATA { rgd:synth-session-000000-outcome-03 rg:eventCode "040" }',
    "DELETE { ?p oa:start ?s } INSERT { ?p oa:start 9999 }"
    " WHERE { ?p oa:start ?s FILTER (?p = rgd:synth-000000-s03-position) }",
    "DELETE WHERE { rgd:synth-000001-s02-quote a oa:TextQuoteSelector }",
    "INSERT DATA { rgd:synth-000001-s03 oa:hasSelector rgd:synth-000001-s02-position }",
    'DELETE { ?r rg:textFile ?f } INSERT { ?r rg:textFile "folder/report.txt" }'
    " WHERE { ?r rg:textFile ?f FILTER (?r = rgd:synth-report-000000) }",
    "DELETE { ?s rg:ordinal ?o } INSERT { ?s rg:ordinal 0 }"
    " WHERE { ?s rg:ordinal ?o FILTER (?s = rgd:synth-session-000001) }",
    "DELETE { ?h org:organization ?o } INSERT { ?h org:organization rgd:in-mod }"
    " WHERE { ?h org:organization ?o FILTER (?h = rgd:synth-holding-000001) }",
    "DELETE WHERE { rgd:synth-official-000002 org:holds ?p }",
    "DELETE WHERE { rgd:synth-holding-000003-term time:hasBeginning ?b }",
    "DELETE WHERE { rgd:synth-holding-000003-term time:inside ?b }",
    "INSERT DATA { rgd:synth-session-000001 prov:qualifiedAssociation rgd:synth-session-000000-co-chair-1 }",
    "DELETE WHERE { rgd:synth-report-000001 dcterms:publisher ?p }",
    "DELETE { ?s dcterms:date ?d } INSERT { ?s dcterms:date '2099-01-01'^^xsd:date }"
    " WHERE { ?s dcterms:date ?d FILTER (?s = rgd:synth-session-000000) }",
    "INSERT { rgd:synth-session-000000 rg:sessionOf ?m ; rg:ordinal 0 }"
    " WHERE { rgd:synth-session-000001 rg:sessionOf ?m }",
    "DELETE { ?r rg:inCapacityOf ?p } INSERT { ?r rg:inCapacityOf rgd:post-us-dod-spokesperson }"
    " WHERE { ?r rg:inCapacityOf ?p FILTER (?r = rgd:synth-session-000001-co-chair-1) }",
    "DELETE WHERE { rgd:synth-session-000001-co-chair-2 rg:inCapacityOf ?p }",
    "DELETE WHERE { rgd:synth-report-000000 rg:statedIn ?e }",
    "DELETE WHERE { rgd:synth-report-000001 rg:textFile ?f }",
    'INSERT DATA { rgd:synth-statement-000000 rg:textFile "sub/statement.txt" }',  # any source's text
    # a co-chair's holding ended in 2000, before every session he co-chairs in that post
    "INSERT DATA { rgd:synth-holding-000001-term time:hasEnd rgd:synth-injected-day-2000-01-01 ."
    ' rgd:synth-injected-day-2000-01-01 a time:Instant ; time:inXSDDate "2000-01-01"^^xsd:date }',
    # an actor of an outcome of the second session is a co-chair of the first only
    "INSERT DATA { rgd:synth-session-000001-outcome-01 rg:actor rgd:synth-official-000004 }",
    # a session after the first in its series (its ordinal 1, dated 2099 above), dated before it
    "INSERT { rgd:synth-session-injected a rg:DialogueSession ; rg:sessionOf ?m ; rg:ordinal 2 ;"
    ' dcterms:date "2024-01-08"^^xsd:date }'
    " WHERE { rgd:synth-session-000000 rg:sessionOf ?m ; rg:ordinal 1 }",
    # the shipped seventh session, which the first session (put in its series with ordinals 0 and 1 and
    # dated 2099 above) is out of order with: a triple it has, so that it is in the file, and validating
    # the file reports it as pyshacl does (the compiled engine reports the nodes near the new triples)
    'INSERT DATA { rgd:us-india-2plus2-intersessional-07 rg:placeAsReported "here"@en }',
]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scale")
    clean = folder / "clean.nt"
    generate(clean, sessions=2, seed=11)
    store = ox.Store()
    store.load(path=str(clean))
    for update in INJECTIONS:
        before = len(store)
        store.update(PROLOGUE + update)
        assert len(store) != before or ("INSERT" in update and "DELETE" in update), update
    out = folder / "broken.nt"
    store.dump(str(out), ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    return out


def keyed(results: list[ValidationResult]) -> set[tuple[str, ...]]:
    return {
        (r.severity_name, str(r.focus), r.path or "", str(r.source_shape), str(r.value), r.message)
        for r in results
    }


def test_every_shipped_shape_is_compiled() -> None:
    shapes_graph = load_shapes()
    checks = compile_shapes(shapes_graph)
    targeted = {
        str(s)
        for target in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
        for s in shapes_graph.subjects(target, None)
    }
    assert len(targeted) > 50
    # but those that relgraph checks in Python, deactivated: relgraph.quotes (a SHACL engine cannot read
    # the source texts) and relgraph.vocabulary (SHACL core cannot ask whether a term is declared)
    deactivated = {str(s) for s in shapes_graph.subjects(SH.deactivated, None)}
    assert {d.rsplit("#", 1)[1] for d in deactivated} == {
        "Evidence-quote",
        "Evidence-sourceText",
        "Term-declared",
        "Term-defined",
    }
    assert {str(c.shape) for c in checks} == targeted - deactivated
    assert any("SPARQL" in str(c.component) for c in checks)


def test_a_sparql_constraint_gets_its_focus_nodes_inside_its_own_where_group() -> None:
    # pre-bound like SHACL's $this, so that a new readout's few nodes are not checked by evaluating
    # the constraint for the whole graph (Evidence-length: 0.37 s at 1M triples, then 0.5 ms)
    sparql = [c for c in compile_shapes(load_shapes()) if c.component == SH.SPARQLConstraintComponent]
    names = [str(c.shape).rsplit("#", 1)[1] for c in sparql]
    assert names == [
        "DialogueSession-dateReported",
        "DialogueSession-ordinalOrder",
        "DialogueSession-ordinalOrder",
        "DialogueSession-ordinalUnique",
        "Evidence-length",
        "Evidence-sourceHasText",
        "Outcome-actorInSession",
        "PostHolding-holds",
        "PostHolding-organizationOfPost",
        "SessionRole-postHeld",
        "SessionRole-postHeldOnDate",
    ]
    for check in sparql:
        outer, inner = check.query.split("{", 2)[1:]  # the outer WHERE group, the constraint's own query
        assert outer.strip() == "#TARGET#"  # joined from outside too: ?this is bound in every result
        where = inner.index("WHERE {") + len("WHERE {")
        assert inner[where:].lstrip().startswith("#FOCUS# ")  # the first thing in its WHERE group


def test_full_validation_gives_exactly_pyshacls_results(broken: Path) -> None:
    kg = KnowledgeGraph.default(extra_files=[broken])
    compiled = validate([], kg=kg)
    reference = validate([], kg=kg, engine="pyshacl")
    assert not reference.conforms
    assert len(reference.results) >= len(INJECTIONS)
    assert keyed(compiled.results) == keyed(reference.results)
    assert compiled.conforms == reference.conforms
    assert compiled.render("text") == reference.render("text")
    # every constraint kind the injections aim at was hit
    hit = {str(r.source_shape).rsplit("#", 1)[1] for r in reference.results}
    for shape in (
        "EnglishLabel", "DialogueSession-date", "Instant-date", "SessionRole-hadRole", "Outcome-actor",
        "Outcome-concerns", "Outcome-eventCode", "TextPositionSelector-start", "Evidence-quoteSelector",
        "Evidence-positionSelector", "Evidence-length", "NewsReport-textFile", "DialogueSession-ordinal",
        "Source-textFile", "PostHolding-organizationOfPost", "PostHolding-holds", "Interval-instant",
        "SessionRole-session", "NewsReport-publisher", "DialogueSession-dateReported",
        "DialogueSession-ordinalUnique", "SessionRole-postHeld", "SessionRole-capacity",
        "NewsReport-statedIn", "Evidence-sourceHasText", "SessionRole-postHeldOnDate",
        "Outcome-actorInSession", "DialogueSession-ordinalOrder",
    ):  # fmt: skip
        assert shape in hit, shape


def test_validating_a_new_file_reports_what_pyshacl_reports(broken: Path) -> None:
    compiled = validate([broken], kg=KnowledgeGraph.default())
    reference = validate([broken], kg=KnowledgeGraph.default(), engine="pyshacl")
    assert keyed(compiled.results) == keyed(reference.results)
    assert compiled.render("json") == reference.render("json")


BLANK_NODES = """\
@prefix rg:   <https://w3id.org/relgraph/ontology#> .
@prefix rgd:  <https://w3id.org/relgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix prov: <http://www.w3.org/ns/prov#> .

[] a rg:Official ; foaf:name "Nameless Official" .
rgd:us-india-2plus2-intersessional-07 prov:qualifiedAssociation [
    a rg:SessionRole ;
    rdfs:label "An official, in a role with no prov:hadRole"@en ;
    prov:agent rgd:john-supple ;
    rg:inCapacityOf rgd:post-us-dod-spokesperson ;
    rg:statedIn rgd:ani-2023-09-27-s03
] .
"""


@pytest.mark.parametrize("on_store", [False, True], ids=["in memory", "on-disk store"])
def test_validating_a_new_file_with_blank_nodes_reports_what_pyshacl_reports(
    tmp_path: Path, on_store: bool
) -> None:
    # a query cannot name a blank node: they were left out of the focus nodes, and a new file of
    # anonymous nodes "conformed" with 0 violations
    from rdflib import BNode

    new = tmp_path / "blank.ttl"
    new.write_text(BLANK_NODES, encoding="utf-8")
    base = KnowledgeGraph.default(store=tmp_path / "store" if on_store else None)
    compiled = validate([new], kg=base)
    reference = validate([new], kg=KnowledgeGraph.default(), engine="pyshacl")
    blank = {str(r.source_shape).rsplit("#", 1)[1] for r in compiled.results if isinstance(r.focus, BNode)}
    assert {"EnglishLabel", "SessionRole-hadRole"} <= blank
    assert not compiled.conforms and not reference.conforms

    def anonymous(results: list[ValidationResult]) -> set[tuple[str, ...]]:  # each parse names them anew
        return {
            (k[0], "_:" if isinstance(r.focus, BNode) else k[1], *k[2:]) for r in results for k in keyed([r])
        }

    assert anonymous(compiled.results) == anonymous(reference.results)
    assert len(compiled.results) == len(reference.results) == 2
    # placed at the line of one of their literals, as they have no name to look for
    for report in (compiled, reference):
        assert sorted((r.location, r.focus_label) for r in report.results) == [
            (f"{new}:10", "An official, in a role with no prov:hadRole"),
            (f"{new}:7", None),  # foaf:name "Nameless Official"
        ]


def test_validating_a_new_file_leaves_the_graph_unchanged(broken: Path) -> None:
    kg = KnowledgeGraph.default()
    before = len(kg)
    validate([broken], kg=kg)
    assert len(kg) == before


def test_conforming_generated_data_conforms_with_both_engines(tmp_path: Path) -> None:
    corpus = tmp_path / "ok.ttl"
    generate(corpus, sessions=2, seed=4)
    kg = KnowledgeGraph.default(extra_files=[corpus])
    assert validate([], kg=kg, strict=True).results == []
    assert validate([], kg=kg, strict=True, engine="pyshacl").results == []


# --- the on-disk store --------------------------------------------------------------------------------


def test_store_is_built_once_reused_and_rebuilt_when_a_file_changes(tmp_path: Path) -> None:
    from relgraph.persist import MANIFEST, open_store, store_is_fresh

    data = tmp_path / "extra.ttl"
    generate(data, sessions=1, seed=2)
    files = [*default_files(), data]
    store_dir = tmp_path / "store"
    store, built = open_store(store_dir, files)
    assert built
    size = len(store)
    assert size == len(KnowledgeGraph.default(extra_files=[data]))
    del store
    again, built = open_store(store_dir, files)
    assert not built and len(again) == size
    del again
    os.utime(data, ns=(1, 1))  # a new mtime with the same content: no rebuild
    assert store_is_fresh(store_dir, files)
    data.write_text(
        data.read_text(encoding="utf-8") + '\nrgd:extra rdfs:label "extra"@en .\n', encoding="utf-8"
    )
    assert not store_is_fresh(store_dir, files)
    rebuilt, built = open_store(store_dir, files)
    assert built and len(rebuilt) == size + 1
    assert len(list(store_dir.glob("store-*"))) == 1  # the old store was removed
    assert (store_dir / MANIFEST).is_file()
    assert not store_is_fresh(store_dir, files[:-1])  # another set of files is another store


def test_a_failed_rebuild_keeps_the_previous_store(tmp_path: Path) -> None:
    from relgraph.persist import open_store

    data = tmp_path / "extra.ttl"
    generate(data, sessions=1, seed=2)
    store_dir = tmp_path / "store"
    store, _ = open_store(store_dir, [data])
    size = len(store)
    del store
    data.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ", encoding="utf-8")
    with pytest.raises(InputError, match=r"extra\.ttl:2"):
        open_store(store_dir, [data])
    assert not [p for p in store_dir.iterdir() if p.name.startswith(".build-")]
    generate(data, sessions=1, seed=2)  # the same content again: the old store is fresh again
    store, built = open_store(store_dir, [data])
    assert not built and len(store) == size


def test_store_refuses_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    from relgraph.persist import open_store

    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="not a relgraph store"):
        open_store(tmp_path, default_files())


def test_cli_store_option_gives_the_same_answers(tmp_path: Path) -> None:
    data = tmp_path / "extra.nt"
    generate(data, sessions=2, seed=3)
    runner = CliRunner()
    plain = runner.invoke(cli, ["query", "dialogue-sessions", "--data", str(data), "-f", "csv"])
    assert plain.exit_code == 0, plain.output
    store = ["--store", str(tmp_path / "store")]
    for _ in range(2):  # build, then reuse
        stored = runner.invoke(cli, ["query", "dialogue-sessions", "--data", str(data), "-f", "csv", *store])
        assert stored.exit_code == 0, stored.output
        assert stored.output == plain.output
    checked = runner.invoke(cli, ["check", "--data", str(data), *store])
    assert checked.exit_code == 0, checked.output
    bad = runner.invoke(cli, ["validate", "tests/shapes/invalid/SessionRole-hadRole.ttl", *store])
    assert bad.exit_code == 1
    assert "SessionRole-hadRole.ttl:16: Violation" in bad.output


def test_validate_on_a_store_uses_a_checkpoint_and_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the new triples cannot go into the read-only store: the whole store was copied into memory,
    # quad by quad (12 s at a million triples, slower than parsing the files again)
    from relgraph import persist

    copies: list[Path | None] = []
    scratch_copy = persist.scratch_copy

    def recorded(store: ox.Store, parent: Path | None) -> object:
        copies.append(parent)
        return scratch_copy(store, parent)

    monkeypatch.setattr(persist, "scratch_copy", recorded)
    folder = tmp_path / "store"
    runner = CliRunner()
    assert runner.invoke(cli, ["query", "dialogue-sessions", "--store", str(folder)]).exit_code == 0
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    invalid = "tests/shapes/invalid/SessionRole-hadRole.ttl"
    in_memory = runner.invoke(cli, ["validate", invalid])
    stored = runner.invoke(cli, ["validate", invalid, "--store", str(folder)])
    assert (
        (stored.exit_code, stored.output) == (in_memory.exit_code, in_memory.output) == (1, in_memory.output)
    )
    assert "SessionRole-hadRole.ttl:16: Violation" in stored.output
    new = tmp_path / "new.ttl"
    generate(new, sessions=1, seed=5, prefix="synthcheckpoint")
    good = runner.invoke(cli, ["validate", str(new), "--store", str(folder)])
    assert good.exit_code == 0, good.output
    assert good.output.endswith(": conforms (0 violations, 0 warnings, 0 infos)\n")
    assert copies == [folder, folder]  # a checkpoint in the store folder, each time
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # no scratch folder left, and the store's files byte for byte


def test_scratch_copy_goes_to_the_temporary_folder_when_the_store_folder_cannot_take_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from relgraph.persist import scratch_copy

    database = tmp_path / "database"
    writer = ox.Store(str(database))
    writer.add(ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("1")))
    writer.flush()
    del writer
    store = ox.Store.read_only(str(database))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    nowhere = tmp_path / "missing" / "folder"  # no folder can be made in it
    with scratch_copy(store, nowhere) as copy:
        copy.add(ox.Quad(ox.NamedNode("http://ex/b"), ox.NamedNode("http://ex/p"), ox.Literal("2")))
        assert len(copy) == 2
        (scratch,) = temporary.iterdir()
        assert scratch.name.startswith(".scratch-")
        del copy  # let go inside the block: the database is closed before its folder is deleted
    assert len(store) == 1
    assert list(temporary.iterdir()) == []


def test_store_build_deletes_scratch_folders_no_process_uses(tmp_path: Path) -> None:
    from relgraph.locking import locked

    folder = tmp_path / "store"
    data = tmp_path / "extra.nt"
    data.write_text('<http://ex/a> <http://ex/p> "1" .\n')
    args = ["query", "dialogue-sessions", "--data", str(data), "--store", str(folder)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    (folder / ".scratch-killed" / "store").mkdir(parents=True)  # left by a process killed outright
    (folder / ".scratch-killed" / "store" / "000001.sst").write_bytes(b"x" * 100)
    (folder / ".scratch-busy").mkdir()
    data.write_text('<http://ex/a> <http://ex/p> "2" .\n')  # changed: the store is rebuilt
    with locked(folder / ".scratch-busy"):  # another process validates on it now
        assert CliRunner().invoke(cli, args).exit_code == 0
    assert not (folder / ".scratch-killed").exists()
    assert (folder / ".scratch-busy").is_dir()
