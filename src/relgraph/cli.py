"""The ``relgraph`` command.

Every user error is a :class:`relgraph.errors.RelgraphError` (a :class:`click.ClickException`):
click prints ``Error: <one line>`` and exits with the error's code, never with a traceback.
Heavy modules are imported inside the commands, so ``relgraph --help`` stays fast.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from relgraph import __version__
from relgraph.errors import ExitCode, InputError, UsageError

if TYPE_CHECKING:
    from relgraph.catalogue import CannedQuery
    from relgraph.results import QueryResult

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

TABLE_FORMATS = ("table", "json")
RESULT_FORMATS = ("table", "csv", "tsv", "json", "turtle", "ntriples", "jsonld")
EXPORT_FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld", "xml")
VALIDATE_FORMATS = ("text", "turtle", "json")


def format_option(choices: Sequence[str], default: str) -> Callable[[F], F]:
    """Return the ``--format`` option shared by every command, with the formats it offers.

    :param choices: the format names.
    :param default: the format used without the option.
    """
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def data_option(function: F) -> F:
    """Add the ``--data FILE`` option: more RDF files loaded with the shipped graph."""
    return click.option(
        "--data",
        "data_files",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="FILE",
        help="Also load this RDF file into the graph (repeatable).",
    )(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="relgraph")
def cli() -> None:
    """Query the knowledge graph of US-India defence relations."""


@cli.command("queries")
@format_option(TABLE_FORMATS, "table")
def queries_command(fmt: str) -> None:
    """List the canned queries with their parameters."""
    from relgraph.catalogue import Catalogue
    from relgraph.results import format_table

    catalogue = Catalogue.load()
    if fmt == "json":
        listing = [
            {
                "name": q.name,
                "summary": q.summary,
                "description": q.description,
                "params": [
                    {
                        "name": p.name,
                        "type": p.type,
                        "required": p.required,
                        "default": p.default,
                        "description": p.description,
                    }
                    for p in q.params
                ],
                "tags": list(q.tags),
            }
            for q in catalogue
        ]
        click.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    rows = [[q.name, q.summary, _describe_params(q)] for q in catalogue]
    click.echo(format_table(["name", "summary", "parameters"], rows), nl=False)


@cli.command("query")
@click.argument("name")
@click.option(
    "-p",
    "--param",
    "params",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="Set a parameter of the query (repeatable).",
)
@format_option(RESULT_FORMATS, "table")
@data_option
def query_command(
    name: str, params: tuple[tuple[str, str], ...], fmt: str, data_files: tuple[Path, ...]
) -> None:
    """Run the canned query NAME on the knowledge graph."""
    from relgraph.catalogue import Catalogue
    from relgraph.store import KnowledgeGraph

    query = Catalogue.load(check_sparql=False).get(name)  # only the query run needs the slow check
    query.check_sparql()
    raw: dict[str, str] = {}
    for key, value in params:
        if key in raw:
            raise UsageError(f"parameter {key!r} is given twice")
        raw[key] = value
    bindings = query.bind(raw)  # check the parameters before loading the graph
    kg = KnowledgeGraph.default(extra_files=data_files)
    result = kg.query(query.text, bindings, source=str(query.path))
    _echo_result(result, fmt)


@cli.command("sparql")
@click.argument("query")
@format_option(RESULT_FORMATS, "table")
@data_option
def sparql_command(query: str, fmt: str, data_files: tuple[Path, ...]) -> None:
    """Run a read-only SPARQL query (text, a file, or - for standard input) on the graph.

    SELECT, ASK, CONSTRUCT and DESCRIBE are allowed; SERVICE, FROM and updates are refused.
    """
    from relgraph.store import KnowledgeGraph

    text, source = _query_text(query)
    kg = KnowledgeGraph.default(extra_files=data_files)
    _echo_result(kg.query(text, source=source), fmt)


@cli.command("export")
@format_option(EXPORT_FORMATS, "turtle")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of standard output."
)
@click.option("--data-only", is_flag=True, help="Leave out the ontology.")
@data_option
def export_command(fmt: str, output: Path | None, data_only: bool, data_files: tuple[Path, ...]) -> None:
    """Write the whole knowledge graph, deterministically (same graph, same bytes)."""
    from relgraph.export import export, serialize
    from relgraph.store import KnowledgeGraph

    kg = KnowledgeGraph.default(extra_files=data_files, data_only=data_only)
    if output is None:
        click.echo(serialize(kg, fmt), nl=False)  # bytes go to the binary stdout
    else:
        export(kg, fmt, output)


@cli.command("report")
@format_option(TABLE_FORMATS, "table")
def report_command(fmt: str) -> None:
    """Run every canned query with its defaults and print the results."""
    from relgraph.catalogue import Catalogue
    from relgraph.store import KnowledgeGraph

    catalogue = Catalogue.load()
    kg = KnowledgeGraph.default()
    sections: list[dict[str, Any]] = []
    for query in catalogue:
        missing = [p.name for p in query.params if p.required]
        section: dict[str, Any] = {"name": query.name, "summary": query.summary}
        if missing:
            section["skipped"] = f"needs parameter {', '.join(missing)}"
            result = None
        else:
            result = query.run(kg)
            if fmt == "json":
                if result.kind == "graph":
                    section["result"] = json.loads(result.render("jsonld"))
                else:
                    section["result"] = result.to_sparql_json()
        sections.append(section)
        if fmt == "table":
            heading = f"{query.name}: {query.summary}"
            click.echo(f"{heading}\n{'=' * len(heading)}")
            if result is None:
                click.echo(f"(skipped: {section['skipped']})")
            else:
                click.echo(result.render("table"), nl=False)
            click.echo()
    if fmt == "json":
        click.echo(json.dumps({"queries": sections}, indent=2, ensure_ascii=False))


@cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option(VALIDATE_FORMATS, "text")
@click.option("--strict", is_flag=True, help="Fail on warnings and infos too, not only on violations.")
@click.option(
    "--shapes",
    type=click.Path(path_type=Path),
    help="Validate against this shapes file instead of the shipped one.",
)
@data_option
def validate_command(
    files: tuple[Path, ...], fmt: str, strict: bool, shapes: Path | None, data_files: tuple[Path, ...]
) -> None:
    """Validate new RDF FILES against the shapes, together with the existing graph.

    References to officials, sessions and sources already in the graph resolve. The format of each
    file comes from its extension (.ttl .nt .nq .trig .jsonld .rdf). Exit 0 when the data conforms,
    1 when it does not, 2 for a usage or input error.
    """
    from relgraph.store import KnowledgeGraph
    from relgraph.validate import validate

    kg = KnowledgeGraph.default(extra_files=data_files)
    report = validate(files, kg=kg, shapes=shapes, strict=strict)
    click.echo(report.render(fmt), nl=False)
    if not report.conforms:
        sys.exit(int(ExitCode.NOT_CONFORMING))


@cli.command("explain")
@click.argument("entity")
@format_option(("text", "json"), "text")
@data_option
def explain_command(entity: str, fmt: str, data_files: tuple[Path, ...]) -> None:
    """Say what the graph holds about ENTITY, each fact with the sentence it comes from.

    ENTITY is an IRI, a prefixed name (rgd:ely-ratner) or a name ("Ely Ratner", "Pentagon").
    """
    from relgraph.explain import explain
    from relgraph.store import KnowledgeGraph

    kg = KnowledgeGraph.default(extra_files=data_files)
    click.echo(explain(kg, entity).render(fmt), nl=False)


@cli.command("check")
@format_option(TABLE_FORMATS, "table")
@data_option
def check_command(fmt: str, data_files: tuple[Path, ...]) -> None:
    """Run the quality checks (queries/checks/*-violation.rq); each must return no rows.

    Exit 0 when every check passes, 1 when any returns rows.
    """
    from relgraph.checks import run_checks

    outcomes = run_checks(extra_files=data_files)
    failed = [o for o in outcomes if o.result.rows]
    if fmt == "json":
        body = [
            {"check": o.name, "summary": o.summary, "violations": o.result.to_sparql_json()} for o in outcomes
        ]
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        for outcome in outcomes:
            verdict = "ok" if not outcome.result.rows else f"FAILED ({len(outcome.result.rows)} rows)"
            click.echo(f"{outcome.name}: {verdict}")
            if outcome.result.rows:
                click.echo(outcome.result.render("table"), nl=False)
        click.echo(f"{len(outcomes) - len(failed)} of {len(outcomes)} checks passed")
    if failed:
        sys.exit(int(ExitCode.NOT_CONFORMING))


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``relgraph`` command and exit with its code.

    :param argv: the arguments (default: ``sys.argv[1:]``).
    """
    logging.getLogger("rdflib").addHandler(logging.NullHandler())  # no logged tracebacks
    try:
        code = cli.main(
            args=None if argv is None else list(argv), prog_name="relgraph", standalone_mode=False
        )
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("Interrupted.", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except BrokenPipeError:
        # the reader went away (e.g. `relgraph export | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _describe_params(query: CannedQuery) -> str:
    parts = []
    for param in query.params:
        if param.default is not None:
            parts.append(f"{param.name} ({param.type}) = {param.default}")
        elif param.required:
            parts.append(f"{param.name} ({param.type}, required)")
        else:
            parts.append(f"{param.name} ({param.type}, optional)")
    return ", ".join(parts)


def _echo_result(result: QueryResult, fmt: str) -> None:
    click.echo(result.render(fmt), nl=False)


def _query_text(argument: str) -> tuple[str, str | None]:
    if argument == "-":
        try:
            return sys.stdin.read(), "<stdin>"
        except UnicodeDecodeError:
            raise InputError("<stdin>: not UTF-8 text") from None
    path = Path(argument)
    looks_like_file = not any(c.isspace() for c in argument) and path.suffix.lower() in (".rq", ".sparql")
    if looks_like_file or (len(argument) < 4096 and "{" not in argument and path.is_file()):
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory, not a query file") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
        except OSError as error:
            raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    return argument, None
