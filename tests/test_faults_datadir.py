"""The data folder of the default graph (``--data-dir DIR``, ``RELGRAPH_DATA_DIR``), and readouts added twice.

Every command that reads the default graph reads ``DIR/reference`` and ``DIR/readouts`` (and looks for
source texts in ``DIR/sources``) instead of the shipped ``data/``: a copy, or a fork's data. Each test
runs the real command in-process on a copy of the shipped data and asserts the rows, the exit code and
the one-line messages.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result

from relgraph import resources
from relgraph.catalogue import Catalogue
from relgraph.cli import cli
from relgraph.prefixes import PREFIXES

RGD, RDFS = PREFIXES["rgd"], PREFIXES["rdfs"]
READOUT = "ani-2023-09-27-us-india-2plus2-intersessional"
LABEL = f"SELECT ?l WHERE {{ <{RGD}ely-ratner> <{RDFS}label> ?l }}"
SHIPPED_ANSWER = "l\n----------\nEly Ratner\n1 row\n"
FORK_ANSWER = "l\n-------------\nEly S. Ratner\n1 row\n"
NOTE = f'<{RGD}test-note> <{RDFS}comment> "a note about nothing" .\n'


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def fork(tmp_path: Path) -> Path:
    """A copy of the shipped data in which Ely Ratner's label is "Ely S. Ratner"."""
    folder = tmp_path / "fork"
    shutil.copytree(resources.data_dir(), folder)
    people = folder / "reference" / "people.ttl"
    text = people.read_text(encoding="utf-8")
    assert text.count('rdfs:label "Ely Ratner"@en') == 1
    people.write_text(text.replace('rdfs:label "Ely Ratner"@en', 'rdfs:label "Ely S. Ratner"@en'), "utf-8")
    return folder


@pytest.fixture
def shipped_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make a copy of the shipped data the shipped ``data/`` (the ontology and queries stay the real ones).

    For a command that writes to the shipped data when it is not told otherwise (``add``).
    """
    root = tmp_path / "resources"
    root.mkdir()
    (root / "ontology").symlink_to(resources.ontology_dir())
    (root / "queries").symlink_to(resources.queries_dir())
    shutil.copytree(resources.data_dir(), root / "data")
    monkeypatch.setattr(resources, "resource_root", lambda: root)
    return root / "data"


# --- every command reads the data folder given ------------------------------------------------------


def test_query_sparql_report_explain_export_read_the_data_dir(fork: Path) -> None:
    # only `add` took --data-dir: every other command read the shipped data/, and --data with the
    # fork's people.ttl gave Ely Ratner two labels
    assert run("sparql", LABEL).stdout == SHIPPED_ANSWER
    assert run("sparql", LABEL, "--data-dir", str(fork)).stdout == FORK_ANSWER
    both = run("sparql", LABEL, "--data", str(fork / "reference" / "people.ttl"))
    assert both.stdout.splitlines()[-1] == "2 rows"  # what the newcomer had to do: two labels
    rows = run("query", "posts-as-of", "-p", "person", "rgd:ely-ratner", "-f", "csv", "--data-dir", str(fork))
    assert rows.exit_code == 0, rows.output
    assert [line.split(",")[2] for line in rows.stdout.splitlines()] == ["personLabel", "Ely S. Ratner"]
    explained = run("explain", "rgd:ely-ratner", "--data-dir", str(fork))
    assert explained.stdout.splitlines()[0] == "Ely S. Ratner = rgd:ely-ratner"
    assert '  rdfs:label "Ely S. Ratner"@en' in explained.stdout.splitlines()
    exported = run("export", "--data-only", "-f", "ntriples", "--data-dir", str(fork))
    labels = [
        line for line in exported.stdout.splitlines() if line.startswith(f"<{RGD}ely-ratner> <{RDFS}label>")
    ]
    assert labels == [f'<{RGD}ely-ratner> <{RDFS}label> "Ely S. Ratner"@en .']
    report = run("report", "-f", "json", "--data-dir", str(fork))
    assert report.exit_code == 0, report.output
    assert "Ely S. Ratner" in report.stdout and '"Ely Ratner"' not in report.stdout
    names = [answer["name"] for answer in json.loads(report.stdout)["queries"]]
    assert names == Catalogue.load(check_sparql=False).names()  # every canned query, in order


def test_check_runs_on_the_data_dir(fork: Path) -> None:
    (fork / "reference" / "twin.ttl").write_text(f'<{RGD}test-twin> <{RDFS}label> "Ely S. Ratner"@en .\n')
    assert run("check").stdout.splitlines()[-1] == "10 of 10 checks passed"
    result = run("check", "--data-dir", str(fork))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "duplicate-label-violation: FAILED (1 rows)"
    assert lines[3].split() == [
        "Ely",
        "S.",
        "Ratner",
        "rgd:ely-ratner",
        "rgd:test-twin",
        "Ely",
        "S.",
        "Ratner",
    ]
    assert lines[-1] == "9 of 10 checks passed"


def test_validate_reads_the_reference_data_of_the_data_dir(fork: Path, tmp_path: Path) -> None:
    # a readout that uses what the fork's reference data adds did not validate: the shipped reference
    # was read
    seen = "<http://example.org/vocab#seen>"
    (fork / "reference" / "extra.ttl").write_text(
        f"{seen} a <http://www.w3.org/2002/07/owl#AnnotationProperty> .\n"
    )
    new = tmp_path / "new.ttl"
    new.write_text(f'<{RGD}test-note> {seen} "x" .\n')
    shipped = run("validate", str(new), "--strict")
    assert shipped.exit_code == 1, shipped.output
    assert shipped.stdout.splitlines()[0].endswith(
        f"[{seen} is not declared in the ontology: a property of 1 node]"
    )
    result = run("validate", str(new), "--strict", "--data-dir", str(fork))
    assert (result.exit_code, result.stdout) == (0, f"{new}: conforms (0 violations, 0 warnings, 0 infos)\n")


def test_validate_looks_for_source_texts_in_the_data_dir_not_the_shipped_one(
    fork: Path, tmp_path: Path
) -> None:
    # the source-text lookup also looked in the shipped data/sources: a fork without the text validated
    readout = tmp_path / "again.ttl"
    shutil.copy(resources.data_dir() / "readouts" / f"{READOUT}.ttl", readout)
    (fork / "sources" / f"{READOUT}.txt").unlink()
    shipped = run("validate", str(readout), "--strict")
    assert (shipped.exit_code, shipped.stdout.splitlines()[-1]) == (
        0,
        f"{readout}: conforms (0 violations, 0 warnings, 0 infos)",
    )
    result = run("validate", str(readout), "--strict", "--data-dir", str(fork))
    assert result.exit_code == 1, result.output
    warning, summary = result.stdout.splitlines()
    assert warning.endswith(
        f"[Evidence: its source text {READOUT}.txt was not found (looked in {tmp_path}, "
        f"{tmp_path / 'again-sources'}, {fork / 'sources'}), so its quote is not checked, nor those of 12 "
        "more evidence of it]"
    )
    assert summary == f"{readout}: does not conform (0 violations, 1 warnings, 0 infos)"


def test_the_data_dir_comes_from_the_environment_and_the_option_wins(fork: Path) -> None:
    assert run("sparql", LABEL, env={"RELGRAPH_DATA_DIR": str(fork)}).stdout == FORK_ANSWER
    shipped = str(resources.data_dir())
    option = run("sparql", LABEL, "--data-dir", shipped, env={"RELGRAPH_DATA_DIR": str(fork)})
    assert option.stdout == SHIPPED_ANSWER
    # the option wins: a variable that names no folder is not even looked at
    missing = str(fork.parent / "missing")
    assert (
        run("sparql", LABEL, "--data-dir", str(fork), env={"RELGRAPH_DATA_DIR": missing}).stdout
        == FORK_ANSWER
    )


def test_add_takes_its_data_folder_from_the_environment_too(
    shipped_copy: Path, fork: Path, tmp_path: Path
) -> None:
    new = tmp_path / "note.ttl"
    new.write_text(NOTE)
    before = snapshot(shipped_copy)
    result = run("add", str(new), env={"RELGRAPH_DATA_DIR": str(fork)})
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{new}: added as {fork / 'readouts' / 'note.ttl'} (1 triples)\n"
    assert snapshot(shipped_copy) == before  # the shipped data is untouched
    # and `add --data-dir` keeps its meaning, over the variable
    other = tmp_path / "other"
    shutil.copytree(shipped_copy, other)
    result = run("add", str(new), "--data-dir", str(other), env={"RELGRAPH_DATA_DIR": str(fork)})
    assert result.stdout == f"{new}: added as {other / 'readouts' / 'note.ttl'} (1 triples)\n"


@pytest.mark.parametrize(
    "command", ["query", "sparql", "report", "validate", "explain", "check", "export", "add"]
)
@pytest.mark.parametrize("env", [False, True], ids=["option", "variable"])
def test_a_data_dir_that_is_no_data_folder_is_one_line(
    shipped_copy: Path, tmp_path: Path, command: str, env: bool, one_line_error: Callable[[Result, int], str]
) -> None:
    # the shipped data is a copy here: without the option, `add` wrote to it
    arguments = {
        "query": ["query", "counterparts"],
        "sparql": ["sparql", LABEL],
        "report": ["report"],
        "validate": ["validate", str(tmp_path / "new.ttl")],
        "explain": ["explain", "rgd:ely-ratner"],
        "check": ["check"],
        "export": ["export"],
        "add": ["add", str(tmp_path / "new.ttl")],
    }[command]
    (tmp_path / "new.ttl").write_text(NOTE)
    half = tmp_path / "half"
    (half / "readouts").mkdir(parents=True)
    (tmp_path / "file").write_text("")
    origin = "RELGRAPH_DATA_DIR" if env else "--data-dir"
    cases = {
        tmp_path / "missing": f"{tmp_path / 'missing'}: no such data folder ({origin})",
        tmp_path / "file": f"{tmp_path / 'file'}: not a data folder but a file ({origin})",
        half: f"{half}: not a data folder ({origin}): it has no reference/ folder "
        "(a data folder holds reference/, readouts/ and sources/)",
        tmp_path: f"{tmp_path}: not a data folder ({origin}): it has no reference/ and no readouts/ folder "
        "(a data folder holds reference/, readouts/ and sources/)",
    }
    before = snapshot(tmp_path)
    for folder, message in cases.items():  # nothing written anywhere, the shipped data included
        if env:
            result = run(*arguments, env={"RELGRAPH_DATA_DIR": str(folder)})
        else:
            result = run(*arguments, "--data-dir", str(folder))
        assert one_line_error(result, 2) == f"Error: {message}"
    assert snapshot(tmp_path) == before


def test_the_store_is_built_again_for_another_data_dir(fork: Path, tmp_path: Path) -> None:
    # the store records the files it was built from: another data folder is other files
    store = tmp_path / "store"
    assert run("sparql", LABEL, "--store", str(store)).stdout == SHIPPED_ANSWER
    first = json.loads((store / "manifest.json").read_text())
    assert run("sparql", LABEL, "--store", str(store), "--data-dir", str(fork)).stdout == FORK_ANSWER
    second = json.loads((store / "manifest.json").read_text())
    assert second["store"] != first["store"]  # built again
    fork_files = [str((fork / "reference" / "people.ttl").resolve())]
    assert set(fork_files) <= set(second["given"]) and not set(fork_files) <= set(first["given"])
    assert all(not p.startswith(str(resources.data_dir().resolve())) for p in second["given"])
    again = run("sparql", LABEL, "--store", str(store), "--data-dir", str(fork))
    assert again.stdout == FORK_ANSWER
    assert json.loads((store / "manifest.json").read_text())["store"] == second["store"]  # reused
    assert run("sparql", LABEL, "--store", str(store)).stdout == SHIPPED_ANSWER  # and back


def test_data_dir_with_an_endpoint_is_refused(
    fork: Path, one_line_error: Callable[[Result, int], str]
) -> None:
    result = run("sparql", LABEL, "--endpoint", "http://127.0.0.1:9/query", "--data-dir", str(fork))
    assert one_line_error(result, 2) == (
        "Error: --data-dir cannot be combined with --endpoint: they apply to the embedded graph"
    )
    result = run("query", "counterparts", "--endpoint", "http://127.0.0.1:9/query", "--data-dir", str(fork))
    assert one_line_error(result, 2).startswith("Error: --data-dir cannot be combined with --endpoint")


def test_push_and_serve_load_the_data_dir(fork: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import relgraph.push
    import relgraph.serve

    pushed: list[str] = []

    def fake_push(_client: object, plan: Any, graph: str, **_options: object) -> SimpleNamespace:
        pushed.extend(plan.lines)
        return SimpleNamespace(graph=graph, triples=len(plan.lines), chunks=1, skipped=0, seconds=0.0)

    monkeypatch.setattr(relgraph.push, "push", fake_push)
    result = run("push", "--endpoint", "http://127.0.0.1:9/query", "--data-dir", str(fork))
    assert result.exit_code == 0, result.output
    label = f'<{RGD}ely-ratner> <{RDFS}label> "Ely S. Ratner"@en .'
    assert [line.rstrip("\n") for line in pushed if line.startswith(f"<{RGD}ely-ratner> <{RDFS}label>")] == [
        label
    ]

    served: list[str] = []

    def fake_build(_location: Path, quads: Any) -> int:
        served.extend(str(q) for q in quads)
        return len(served)

    monkeypatch.setattr(relgraph.serve, "check_port", lambda *_args: None)
    monkeypatch.setattr(relgraph.serve, "server_memory", lambda: None)
    monkeypatch.setattr(relgraph.serve, "build_store", fake_build)
    monkeypatch.setattr(relgraph.serve, "serve", lambda *_args, **_options: 0)
    result = run("serve", "--data-dir", str(fork))
    assert result.exit_code == 0, result.output
    assert [q for q in served if q.startswith(f"<{RGD}ely-ratner> <{RDFS}label>")] == [f"{label[:-2]}"]


# --- the README's guide to adding a readout, run as written on a copy -------------------------------


def test_the_guide_to_adding_a_readout_works_on_a_copy(fork: Path, tmp_path: Path) -> None:
    # the guide wrote the readout into data/readouts/ and validated it there, where an unvalidated file
    # is a configuration error for every command and `add` refuses it ("is already in the data")
    from relgraph.synth import generate

    work = tmp_path / "new"
    work.mkdir()
    readout = work / "synth-report.ttl"
    generate(readout, sessions=1, seed=11, prefix="guide")
    (text,) = (work / "synth-report-sources").iterdir()
    beside = work / text.name  # the guide keeps the source text beside the readout
    text.rename(beside)
    (work / "synth-report-sources").rmdir()
    data = ["--data-dir", str(fork)]
    result = run("validate", str(readout), "--strict", *data)
    assert (result.exit_code, result.stdout) == (
        0,
        f"{readout}: conforms (0 violations, 0 warnings, 0 infos)\n",
    )
    result = run("add", str(readout), "--strict", *data)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{beside}: source text copied to {fork / 'sources' / beside.name}",
        f"{readout}: added as {fork / 'readouts' / 'synth-report.ttl'} ({_count(readout)} triples)",
    ]
    assert (fork / "readouts" / "synth-report.ttl").read_bytes() == readout.read_bytes()
    assert (fork / "sources" / beside.name).read_bytes() == beside.read_bytes()
    assert run("check", *data).stdout.splitlines()[-1] == "10 of 10 checks passed"
    sessions = (
        "PREFIX rg: <https://w3id.org/relgraph/ontology#> "
        "SELECT (COUNT(?s) AS ?n) WHERE { ?s a rg:DialogueSession }"
    )
    assert run("sparql", sessions, "-f", "csv", *data).stdout.splitlines() == ["n", "2"]
    assert run("sparql", sessions, "-f", "csv").stdout.splitlines() == [
        "n",
        "1",
    ]  # the shipped data unchanged


def _count(path: Path) -> int:
    import pyoxigraph as ox

    return len(list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)))


# --- a readout added twice ------------------------------------------------------------------------


def test_add_refuses_a_readout_that_adds_nothing(fork: Path, tmp_path: Path) -> None:
    # the same readout under another name was "added … (420 triples)": every triple of it twice in the data
    copy = tmp_path / "copy.ttl"
    shutil.copy(fork / "readouts" / f"{READOUT}.ttl", copy)
    triples = _count(copy)
    before = snapshot(fork)
    result = run("add", str(copy), "--data-dir", str(fork))
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"validating {copy} ({triples} triples) against the graph",
        f"Error: {copy}: adds nothing to the graph: all its {triples} triples are in it already",
    ]
    assert snapshot(fork) == before
    # a readout that holds nothing at all
    empty = tmp_path / "empty.ttl"
    empty.write_text(f"@prefix rgd: <{RGD}> .\n")
    result = run("add", str(empty), "--data-dir", str(fork))
    assert result.stderr.splitlines()[-1] == f"Error: {empty}: holds no triples; nothing to add"
    assert result.exit_code == 2 and snapshot(fork) == before


def test_add_refuses_a_copy_of_a_readout_with_blank_nodes(fork: Path, tmp_path: Path) -> None:
    # blank nodes are each file's own: a copy's are other nodes, yet it says nothing new
    nested = (
        f'<{RGD}test-b> <{RDFS}seeAlso> [ <{RDFS}comment> "x" ; <{RDFS}seeAlso> [ <{RDFS}comment> "y" ] ] .\n'
    )
    first = tmp_path / "first.ttl"
    first.write_text(nested)
    assert run("add", str(first), "--data-dir", str(fork)).exit_code == 0
    second = tmp_path / "second.ttl"
    second.write_text(nested)
    before = snapshot(fork)
    result = run("add", str(second), "--data-dir", str(fork))
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        f"Error: {second}: adds nothing to the graph: all its 4 triples are in it already"
    )
    assert snapshot(fork) == before
    third = tmp_path / "third.ttl"  # the same shape with another value: something new
    third.write_text(nested.replace('"y"', '"z"'))
    result = run("add", str(third), "--data-dir", str(fork))
    assert (result.exit_code, result.stdout) == (
        0,
        f"{third}: added as {fork / 'readouts' / 'third.ttl'} (4 triples)\n",
    )


def test_add_warns_when_the_source_already_has_a_readout(fork: Path, tmp_path: Path) -> None:
    # one readout per source: a second readout of the same report was added without a word
    textfile = f'"{READOUT}.txt"'
    same_node = tmp_path / "same-node.ttl"
    same_node.write_text(
        NOTE + f"<{RGD}report-ani-2023-09-27> <https://w3id.org/relgraph/ontology#textFile> {textfile} .\n"
    )
    result = run("add", str(same_node), "--data-dir", str(fork))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"validating {same_node} (2 triples) against the graph",
        f"Warning: {same_node}: its source rgd:report-ani-2023-09-27 ({READOUT}.txt) is already the "
        "source of a readout in the data; the data holds one readout per source",
    ]
    assert result.stdout == f"{same_node}: added as {fork / 'readouts' / 'same-node.ttl'} (2 triples)\n"
    same_text = tmp_path / "same-text.ttl"
    same_text.write_text(
        f'<{RGD}test-other> <{RDFS}comment> "another note" .\n'
        f"<{RGD}test-report> <https://w3id.org/relgraph/ontology#textFile> {textfile} .\n"
    )
    result = run("add", str(same_text), "--data-dir", str(fork))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1:] == [
        f"Warning: {same_text}: its source text {READOUT}.txt is already the text of "
        "rgd:report-ani-2023-09-27, the source of a readout in the data; "
        "the data holds one readout per source",
    ]
    # a readout of a source of its own: no warning
    note = tmp_path / "note.ttl"
    note.write_text(NOTE.replace("test-note", "test-third"))
    result = run("add", str(note), "--data-dir", str(fork))
    assert result.exit_code == 0 and result.stderr.splitlines() == [
        f"validating {note} (1 triples) against the graph"
    ]


# --- library calls --------------------------------------------------------------------------------


def test_the_library_loads_the_data_folder_given(fork: Path, tmp_path: Path) -> None:
    from relgraph.errors import UsageError
    from relgraph.store import KnowledgeGraph

    kg = KnowledgeGraph.default(data_dir=fork)
    assert [str(row[0]) for row in kg.query(LABEL).rows] == ["Ely S. Ratner"]
    assert fork / "reference" / "people.ttl" in kg.files
    with pytest.raises(UsageError) as refused:
        KnowledgeGraph.default(data_dir=tmp_path / "missing")
    assert refused.value.message == f"{tmp_path / 'missing'}: no such data folder"
    with resources.use_data_dir(fork):  # what --data-dir does for the whole command
        assert resources.data_dir() == fork
        assert [str(row[0]) for row in KnowledgeGraph.default().query(LABEL).rows] == ["Ely S. Ratner"]
    assert resources.data_dir() == resources.shipped_data_dir()
