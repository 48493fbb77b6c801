from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner, Result
from rdflib.compare import isomorphic

import relgraph
from relgraph import resources
from relgraph.cli import cli, main
from relgraph.errors import ExitCode, InputError
from relgraph.prefixes import PREFIXES
from relgraph.store import KnowledgeGraph

RGD = PREFIXES["rgd"]


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"relgraph, version {relgraph.__version__}\n"


def test_queries_table(shipped: Path) -> None:
    result = run("queries")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "summary", "parameters"]
    assert set(lines[1]) == {"-", " "}
    assert [line.split()[0] for line in lines[2:]] == [
        "co-chairs",
        "has-people",
        "labelled",
        "session-graph",
        "sessions-since",
    ]
    assert "session (iri) = rgd:session-07" in lines[2]
    assert "label (string, optional)" in result.stdout
    assert "session (iri, required)" in result.stdout


def test_queries_json(shipped: Path) -> None:
    result = run("queries", "--format", "json")
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    assert [q["name"] for q in listing][:1] == ["co-chairs"]
    assert listing[0]["params"] == [
        {
            "name": "session",
            "type": "iri",
            "required": False,
            "default": "rgd:session-07",
            "description": "the dialogue session",
        }
    ]
    assert listing[0]["tags"] == ["sessions", "people"]


def test_query_with_defaults(shipped: Path) -> None:
    result = run("query", "co-chairs")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["session", "person", "post", "organisation", "country"]
    assert lines[2].split() == ["rgd:session-07", "rgd:ann", "rgd:post-ann", "rgd:dod", "rgd:usa"]
    assert lines[-1] == "2 rows"


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_query_command_does_not_import_rdflib(fmt: str) -> None:
    # the cold start of `relgraph query NAME` stays short: pyoxigraph terms from parameters to output
    program = (
        "import sys\n"
        "from relgraph.cli import main\n"
        "try:\n"
        f"    main(['query', 'session-co-chairs', '-p', 'session', 'rgd:us-india-2plus2-intersessional-07', "
        f"'-f', '{fmt}'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rdflib'), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert "Ely Ratner" in done.stdout
    assert done.stderr.strip() == "[]"


def test_query_with_param_and_formats(shipped: Path) -> None:
    result = run("query", "co-chairs", "-p", "session", "rgd:session-06", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert rows == [
        ["session", "person", "post", "organisation", "country"],
        [RGD + "session-06", RGD + "ann", RGD + "post-ann", RGD + "dod", RGD + "usa"],
    ]
    as_json = json.loads(run("query", "labelled", "-p", "label", "Joint Secretary", "-f", "json").stdout)
    assert as_json["results"]["bindings"] == [
        {
            "thing": {"type": "uri", "value": RGD + "post-bob"},
            "label": {"type": "literal", "value": "Joint Secretary"},
        }
    ]
    tsv = run("query", "has-people", "--format", "tsv")
    assert (tsv.exit_code, tsv.stdout) == (0, "true\n")


def test_query_construct(shipped: Path) -> None:
    result = run("query", "session-graph", "-p", "session", f"<{RGD}session-06>", "--format", "ntriples")
    assert result.exit_code == 0, result.output
    graph = rdflib.Graph().parse(data=result.stdout, format="nt")
    assert len(graph) == 3


def test_query_with_extra_data(shipped: Path) -> None:
    result = run("query", "labelled", "-p", "label", "Gina", "--data", str(shipped / "rdf" / "people.nt"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "0 rows"  # "Gina"@en is not the plain string "Gina"
    result = run("query", "labelled", "-p", "label", "Carol", "--data", str(shipped / "rdf" / "good.ttl"))
    assert "rgd:carol" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["query", "co-chairs", "-p", "bogus", "x"],
            ["query 'co-chairs' has no parameter 'bogus'", "session"],
        ),
        (["query", "co-chairs", "-p", "session", "not an iri"], ["parameter 'session' (iri)"]),
        (["query", "co-chairs", "-p", "session", "foo:bar"], ["unknown prefix 'foo:'"]),
        (["query", "sessions-since", "-p", "since", "yesterday"], ["not a date of the form YYYY-MM-DD"]),
        (["query", "session-graph"], ["needs parameter 'session'"]),
        (["query", "co-chair"], ["did you mean 'co-chairs'?"]),
        (["query", "co-chairs", "-p", "session", "rgd:a", "-p", "session", "rgd:b"], ["given twice"]),
        (["query", "co-chairs", "--format", "turtle"], ["does not fit a SELECT/ASK result"]),
        (["query", "co-chairs", "--data", "missing.ttl"], ["missing.ttl: no such file"]),
        (
            ["sparql", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }"],
            ["SERVICE is not allowed"],
        ),
        (["sparql", "DELETE WHERE { ?s ?p ?o }"], ["updates"]),
        (["sparql", "SELECT ?s WHERE { ?s"], ["SPARQL syntax error at line 1"]),
        (["sparql", "nowhere.rq"], ["nowhere.rq: no such file"]),
    ],
)
def test_user_errors_are_one_line(shipped: Path, args: list[str], fragments: list[str]) -> None:
    assert_one_line_error(run(*args), ExitCode.USAGE, *fragments)


def test_broken_shipped_queries_exit_3(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(resources, "queries_dir", lambda: shipped / "queries_syntax")
    assert_one_line_error(run("queries"), ExitCode.CONFIGURATION, "q.rq:5:1: SPARQL syntax error")


def test_sparql_text_file_and_stdin(shipped: Path, tmp_path: Path) -> None:
    text = f"PREFIX rgd: <{RGD}>\nSELECT ?o WHERE {{ rgd:dod ?p ?o }} ORDER BY ?o"
    direct = run("sparql", text)
    assert direct.exit_code == 0, direct.output
    assert direct.stdout.splitlines()[-1] == "3 rows"  # its type, label and country
    query_file = tmp_path / "q.rq"
    query_file.write_text(text)
    assert run("sparql", str(query_file)).stdout == direct.stdout
    assert run("sparql", "-", input=text).stdout == direct.stdout
    ask = run("sparql", "ASK { ?s a ?t }", "--format", "json")
    assert json.loads(ask.stdout) == {"head": {}, "boolean": True}


def test_sparql_from_a_named_pipe_or_a_file_without_suffix(shipped: Path, tmp_path: Path) -> None:
    # as `relgraph sparql <(...)` or /dev/stdin: the path was taken as the query text
    import os
    import threading

    text = f"PREFIX rgd: <{RGD}>\nSELECT ?o WHERE {{ rgd:dod ?p ?o }} ORDER BY ?o"
    direct = run("sparql", text)
    fifo = tmp_path / "query"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(text,), daemon=True)
    writer.start()
    try:
        assert run("sparql", str(fifo)).stdout == direct.stdout
    finally:
        if writer.is_alive():  # nothing read the pipe: open it, so that the writer does not hang
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(10)
    plain = tmp_path / "query.txt"
    plain.write_text(text)
    assert run("sparql", str(plain)).stdout == direct.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sparql", "ASK {}", "--graph", "http://ex/g"], "--graph needs --endpoint"),
        (["query", "is-co-chair", "--graph", "http://ex/g"], "--graph needs --endpoint"),
        (
            ["query", "is-co-chair", "--endpoint", "http://127.0.0.1:9/query", "--store", "st"],
            "--store cannot be combined with --endpoint",
        ),
        (
            ["sparql", "ASK {}", "--endpoint", "http://127.0.0.1:9/query", "--allow-imports"],
            "--allow-imports cannot be combined with --endpoint",
        ),
    ],
)
def test_options_that_would_be_ignored_are_refused(
    shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    # each was accepted and had no effect (nothing reaches port 9: the options are checked first)
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run(*args), ExitCode.USAGE, message)
    assert list(tmp_path.iterdir()) == []  # no store made


def test_sparql_syntax_error_in_a_file_names_it(shipped: Path, tmp_path: Path) -> None:
    query_file = tmp_path / "broken.rq"
    query_file.write_text("SELECT ?s\nWHERE { ?s")
    assert_one_line_error(run("sparql", str(query_file)), ExitCode.USAGE, f"{query_file}:2:")


def test_export(shipped: Path, tmp_path: Path) -> None:
    target = tmp_path / "graph.ttl"
    result = run("export", "-o", str(target))
    assert (result.exit_code, result.stdout) == (0, "")
    kg = KnowledgeGraph.default()
    assert isomorphic(rdflib.Graph().parse(target, format="turtle"), kg.to_rdflib())
    to_stdout = CliRunner().invoke(cli, ["export", "--format", "ntriples", "--data-only"])
    assert to_stdout.exit_code == 0, to_stdout.output
    parsed = rdflib.Graph().parse(data=to_stdout.stdout_bytes.decode("utf-8"), format="nt")
    assert len(parsed) == len(KnowledgeGraph.default(data_only=True))
    unwritable = tmp_path / "missing-folder" / "graph.ttl"
    assert_one_line_error(run("export", "-o", str(unwritable)), ExitCode.USAGE, f"{unwritable}: cannot write")


def test_report(shipped: Path) -> None:
    result = run("report")
    assert result.exit_code == 0, result.output
    text = result.stdout
    heading = "co-chairs: Who co-chaired a session, for which country and organisation"
    assert f"{heading}\n{'=' * len(heading)}\n" in text
    assert "session-graph: The triples about a session" in text
    assert "(skipped: needs parameter session)" in text
    assert "has-people: Is there any person in the graph\n" in text
    assert text.index("co-chairs:") < text.index("has-people:") < text.index("labelled:")
    report = json.loads(run("report", "--format", "json").stdout)
    names = [section["name"] for section in report["queries"]]
    assert names == ["co-chairs", "has-people", "labelled", "session-graph", "sessions-since"]
    assert report["queries"][1]["result"] == {"head": {}, "boolean": True}
    assert report["queries"][3]["skipped"] == "needs parameter session"


def test_main_exit_codes(shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["query", "nope"])
    assert caught.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("Error: no canned query 'nope'")
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as caught:
        main(["queries"])
    assert caught.value.code == 0
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0


def test_main_interrupted(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupt)
    with pytest.raises(SystemExit) as caught:
        main(["queries"])
    assert caught.value.code == 130
    assert capsys.readouterr().err == "Interrupted.\n"


def test_main_input_error(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise InputError("data.ttl:3:4: bad")

    monkeypatch.setattr(cli, "main", fail)
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == ExitCode.USAGE
    assert capsys.readouterr().err == "Error: data.ttl:3:4: bad\n"


def test_report_takes_data_files(shipped: Path) -> None:
    # the one command that reads the graph without --data (the README said every one takes it)
    plain = run("report", "--format", "json")
    more = run("report", "--format", "json", "--data", str(shipped / "rdf" / "people.nt"))
    assert plain.exit_code == more.exit_code == 0, more.output
    assert "Gina" not in plain.stdout and "Gina" in more.stdout
