"""Faults of canned query files (docs/faults.md): grlc's '#+' header lines wherever they are, one key
once, BOMs, hidden files, the advice for a bracketed prefix, long integers, the report's headings and
flow-style parameters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from relgraph import resources
from relgraph.catalogue import Catalogue, Param, convert_term
from relgraph.cli import cli
from relgraph.errors import ConfigurationError, ExitCode
from relgraph.prefixes import PREFIXES

RGD = PREFIXES["rgd"]
XSD = PREFIXES["xsd"]
SESSION = "us-india-2plus2-intersessional-07"
CO_CHAIRS = ["donald-lu", "ely-ratner", "vani-rao", "vishwesh-negi"]  # of SESSION, by IRI

BODY = (
    f"PREFIX rg:   <{PREFIXES['rg']}>\n"
    f"PREFIX prov: <{PREFIXES['prov']}>\n"
    "SELECT ?session ?person WHERE {\n"
    "  ?session a rg:DialogueSession ; prov:qualifiedAssociation ?role .\n"
    "  ?role prov:hadRole rg:coChair ; prov:agent ?person .\n"
    "} ORDER BY ?session ?person\n"
)
TOP = "#+ summary: Co-chairs of one session\n#+ description: The params block comes later.\n"
PARAMS = (
    "#+ params:\n"
    "#+   - name: session\n"
    "#+     type: iri\n"
    "#+     default: rgd:no-such-session\n"
    "#+     description: the session\n"
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder made the shipped canned queries (the shipped graph stays)."""
    folder = tmp_path / "queries"
    folder.mkdir()
    monkeypatch.setattr(resources, "queries_dir", lambda: folder)
    return folder


def load_error(folder: Path) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        Catalogue.load(folder)
    assert caught.value.exit_code == ExitCode.CONFIGURATION
    return caught.value


@pytest.mark.parametrize(
    "text",
    [TOP + "\n" + PARAMS + "\n" + BODY, TOP + "# the parameter:\n" + PARAMS + BODY, TOP + BODY + PARAMS],
    ids=["after-a-blank-line", "after-a-comment", "after-the-query"],
)
def test_header_lines_are_read_wherever_they_are(queries: Path, text: str) -> None:
    # grlc reads every '#+' line of the file; these were dropped after the first other line, so the
    # parameter vanished and the query ran unbound, giving every session's co-chairs, with exit 0
    (queries / "zz-later.rq").write_text(text, encoding="utf-8")
    listed = json.loads(run("queries", "--format", "json").stdout)
    assert listed[0]["params"] == [
        {
            "name": "session",
            "type": "iri",
            "required": False,
            "default": "rgd:no-such-session",
            "description": "the session",
        }
    ]
    default = run("query", "zz-later", "--format", "csv")
    assert (default.exit_code, default.stdout.splitlines()) == (0, ["session,person"])
    given = run("query", "zz-later", "--format", "csv", "-p", "session", f"rgd:{SESSION}")
    assert given.exit_code == 0, given.output
    assert given.stdout.splitlines() == ["session,person"] + [f"{RGD}{SESSION},{RGD}{p}" for p in CO_CHAIRS]


def test_header_lines_end_only_where_sparql_ends_a_line(queries: Path) -> None:
    # str.splitlines() also broke at U+2028 and U+0085, which end no SPARQL comment: the header
    # stopped there and the parameter after it vanished
    text = (
        "#+ summary: Co-chairs\r\n"
        "#+ description: Lists co-chairs\u2028(one per line)\x85of one session.\r"
        + PARAMS.replace("\n", "\r\n")
        + BODY
    )
    (queries / "zz-ls.rq").write_text(text, encoding="utf-8", newline="")
    query = Catalogue.load(queries).get("zz-ls")
    assert query.description == "Lists co-chairs\u2028(one per line)\x85of one session."
    assert query.params == (Param("session", "iri", "rgd:no-such-session", False, "the session"),)
    result = run("query", "zz-ls", "--format", "csv")
    assert (result.exit_code, result.stdout.splitlines()) == (0, ["session,person"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "#+ summary: s\n#+ description: d\u2028e\n\n# a comment\n#+ params:\n#+   - name: x\n"
            "#+     type: [iri\nSELECT ?x {}\n",
            "q.rq:7: invalid YAML in the '#+' header: did not find expected ',' or ']'",
        ),
        (
            "#+ summary: s\n#+ description: d\n\n#+ params:\n#+   - name: y\n#+     type: iri\n# more\n"
            "#+   - name: x\n#+     type: float\nSELECT ?x ?y {}\n",
            "q.rq:8: parameter 'x' needs a type, one of iri, string, date, integer, boolean",
        ),
        (
            "#+ summary: s\n#+ description: d\nSELECT ?x {}\n#+ params:\n#+   - name: x\n#+     type: iri\n"
            "#+     required: false\n#+   - name: x\n#+     type: iri\n#+     required: false\n",
            "q.rq:8: duplicate parameter 'x'",
        ),
    ],
    ids=["yaml-error", "parameter-error", "duplicate-parameter"],
)
def test_errors_name_the_file_line_when_header_lines_are_apart(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "q.rq").write_text(text, encoding="utf-8")
    assert load_error(tmp_path).message == f"{tmp_path}/{message}"


DUPLICATED_DEFAULT = (
    "#+ summary: Co-chairs of one session\n"
    "#+ description: Two params keys.\n"
    "#+ params:\n"
    "#+   - name: session\n"
    "#+     type: iri\n"
    f"#+     default: rgd:{SESSION}\n"
    "#+     default: rgd:no-such-session\n"
    "#+ tags: [sessions]\n"
    "#+ params:\n"
    "#+   - name: person\n"
    "#+     type: iri\n"
    "#+     required: false\n" + BODY
)


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        (DUPLICATED_DEFAULT, 7, "default"),  # the first in the file, before the second params
        (DUPLICATED_DEFAULT.replace(f"#+     default: rgd:{SESSION}\n", ""), 8, "params"),
        ("#+ summary: s\n#+ description: d\n#+ summary: t\nASK {}\n", 3, "summary"),
        (
            "#+ summary: s\n#+ description: d\n#+ params:\n#+   - {name: a, type: iri, name: b}\n"
            "SELECT ?a ?b {}\n",
            4,
            "name",
        ),
    ],
    ids=["default", "params", "summary", "flow-style"],
)
def test_a_key_given_twice_in_the_header_is_refused(queries: Path, text: str, line: int, key: str) -> None:
    # the last one silently won: the session given first, or the whole first params list, was lost
    path = queries / "zz-dup.rq"
    path.write_text(text, encoding="utf-8")
    message = f"{path}:{line}: duplicate key {key!r} in the '#+' header (a key is given once in a mapping)"
    assert load_error(queries).message == message
    result = run("query", "zz-dup")
    assert (result.exit_code, result.stderr) == (ExitCode.CONFIGURATION, f"Error: {message}\n")


def test_a_byte_order_mark_before_the_header_is_dropped(queries: Path) -> None:
    # it was "no '#+' header" (the first line started with U+FEFF); relgraph sparql reads the same file
    (queries / "zz-bom.rq").write_bytes(b"\xef\xbb\xbf#+ summary: S\n#+ description: D\nASK { ?s ?p ?o }\n")
    query = Catalogue.load(queries).get("zz-bom")
    assert (query.summary, query.description) == ("S", "D")
    assert query.text == "#+ summary: S\n#+ description: D\nASK { ?s ?p ?o }\n"
    result = run("query", "zz-bom")
    assert (result.exit_code, result.stdout) == (0, "true\n")


def test_hidden_rq_files_are_not_canned_queries(queries: Path) -> None:
    # macOS's AppleDouble ._ file (not UTF-8) broke the whole catalogue
    (queries / "zz-ask.rq").write_text(
        "#+ summary: S\n#+ description: D\nASK { ?s ?p ?o }\n", encoding="utf-8"
    )
    (queries / "._zz-ask.rq").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    (queries / ".draft.rq").write_text("not yet a query\n", encoding="utf-8")
    assert Catalogue.load(queries).names() == ["zz-ask"]
    listed = run("queries", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert [q["name"] for q in json.loads(listed.stdout)] == ["zz-ask"]
    hidden = run("query", ".draft")
    assert (hidden.exit_code, hidden.stderr) == (
        ExitCode.USAGE,
        "Error: no canned query '.draft' ('relgraph queries' lists them)\n",
    )


def test_hidden_check_files_are_not_run(queries: Path) -> None:
    # an AppleDouble ._x-violation.rq was read as a check: "cannot read the canned query", exit 3
    checks = queries / "checks"
    checks.mkdir()
    (checks / "zz-violation.rq").write_text(
        "#+ summary: Sessions\n#+ description: D\n"
        f"SELECT ?s WHERE {{ ?s a <{PREFIXES['rg']}DialogueSession> }} ORDER BY ?s\n",
        encoding="utf-8",
    )
    (checks / "._zz-violation.rq").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    result = run("check")
    assert result.exit_code == 1, result.output  # the one check ran, and found the sessions
    assert "._zz" not in result.output and "zz-violation" in result.output


def test_a_bracketed_prefix_in_another_case_is_corrected_to_the_known_prefix() -> None:
    # the advice was "write RGD:... without <...>", which was then refused as "unknown prefix 'RGD:'"
    result = run("query", "session-co-chairs", "-p", "session", f"<RGD:{SESSION}>", "--format", "csv")
    assert (result.exit_code, result.stderr) == (
        ExitCode.USAGE,
        f"Error: query 'session-co-chairs', parameter 'session' (iri): '<RGD:{SESSION}>' is not an IRI: "
        f"rgd: is a prefix here; write rgd:{SESSION} without <...>\n",
    )
    advice = re.search(r"write (\S+) without", result.stderr)
    assert advice is not None
    followed = run("query", "session-co-chairs", "-p", "session", advice.group(1), "--format", "csv")
    assert followed.exit_code == 0, followed.output
    persons = [row.split(",")[2] for row in followed.stdout.splitlines()[1:]]
    assert sorted(persons) == [RGD + p for p in CO_CHAIRS]
    with pytest.raises(ValueError) as caught:
        convert_term("<Xsd:integer>", "iri")
    assert str(caught.value) == (
        "'<Xsd:integer>' is not an IRI: xsd: is a prefix here; write xsd:integer without <...>"
    )


INTEGER_QUERY = (
    "#+ summary: Echo an integer\n#+ description: d\n#+ params:\n#+   - name: n\n#+     type: integer\n"
    "#+     required: false\nSELECT ?n WHERE { BIND (1 AS ?one) } ORDER BY ?n\n"
)


def test_an_integer_of_more_than_4300_digits_is_bound(queries: Path) -> None:
    # int() refused it: "Exceeds the limit (4300 digits) ... use sys.set_int_max_str_digits()"
    (queries / "zz-int.rq").write_text(INTEGER_QUERY, encoding="utf-8")
    digits = "9" * 5000
    result = run("query", "zz-int", "--format", "csv", "-p", "n", "-000" + digits)
    assert result.exit_code == 0, result.output[:300]
    assert result.stdout.splitlines() == ["n", "-" + digits]
    assert convert_term("+00" + "1" * 4301, "integer") == ox.Literal(
        "1" * 4301, datatype=ox.NamedNode(XSD + "integer")
    )
    assert convert_term("-000", "integer") == ox.Literal("0", datatype=ox.NamedNode(XSD + "integer"))


def test_report_headings_are_written_out_as_the_tables_write_them(queries: Path) -> None:
    # the heading reached the terminal raw: U+202E reversed what follows, ESC [31m turned it red
    (queries / "zz-esc.rq").write_text(
        '#+ summary: "Co-chairs \\u202Eevil \\x1b[31mred"\n#+ description: d\nASK { ?s ?p ?o }\n',
        encoding="utf-8",
    )
    heading = "zz-esc: Co-chairs \\u202eevil \\x1b[31mred"
    report = run("report")
    assert (report.exit_code, report.stdout) == (0, f"{heading}\n{'=' * len(heading)}\ntrue\n\n")
    assert "Co-chairs \\u202eevil \\x1b[31mred" in run("queries").stdout  # as the queries table shows it


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            '#+   - {name: b, type: iri, required: false}\n#+   - {name: a, type: iri, default: "rgd:a b"}\n',
            "q.rq:5: parameter 'a': bad default: 'rgd:a b' is not an IRI: it contains ' '",
        ),
        (
            "#+   - {name: a, type: iri, required: false}\n#+   - {type: iri, name: 'b'}\n",
            "q.rq:5: parameter 'b' is not used as ?b in the query",
        ),
    ],
    ids=["bad-default", "unused"],
)
def test_a_flow_style_parameter_is_located(tmp_path: Path, params: str, message: str) -> None:
    # the line was 1: only "name: x" at the end of a line was found
    text = "#+ summary: s\n#+ description: d\n#+ params:\n" + params + "SELECT ?a WHERE { BIND (1 AS ?a) }\n"
    (tmp_path / "q.rq").write_text(text, encoding="utf-8")
    assert load_error(tmp_path).message == f"{tmp_path}/{message}"
