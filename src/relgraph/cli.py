"""The ``relgraph`` command.

Every user error is a :class:`relgraph.errors.RelgraphError` (a :class:`click.ClickException`):
click prints ``Error: <one line>`` and exits with the error's code, never with a traceback.
Heavy modules are imported inside the commands, so ``relgraph --help`` stays fast.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import click

from relgraph.errors import ExitCode, InputError, RelgraphError, UsageError

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


def data_dir_option(help_text: str | None = None) -> Callable[[F], F]:
    """Return the decorator adding ``--data-dir DIR`` (or ``RELGRAPH_DATA_DIR``), the graph's data folder.

    The folder replaces the shipped ``data/`` for the whole command: ``DIR/reference`` and
    ``DIR/readouts`` are loaded, source texts are looked for in ``DIR/sources``
    (:func:`relgraph.resources.use_data_dir`); the ontology and shapes stay the shipped ones. The
    option wins over the variable. A folder that does not exist, or has no ``reference/`` and
    ``readouts/`` folders, is a one-line error naming it (exit 2).

    :param help_text: the option's help, for a command that does more with the folder (``add``).
    """

    def set_data_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
        if value is None:
            return
        from click.core import ParameterSource

        from relgraph.resources import use_data_dir

        name = param.name or "data_dir"
        from_env = ctx.get_parameter_source(name) == ParameterSource.ENVIRONMENT
        ctx.with_resource(use_data_dir(value, "RELGRAPH_DATA_DIR" if from_env else "--data-dir"))

    return click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        envvar="RELGRAPH_DATA_DIR",
        expose_value=False,
        callback=set_data_dir,
        metavar="DIR",
        help=help_text
        or "Read the graph's data from DIR (DIR/reference, DIR/readouts; source texts in DIR/sources) "
        "instead of the shipped data/; the ontology and shapes stay the shipped ones "
        "[default: RELGRAPH_DATA_DIR, else the shipped data/].",
    )


def endpoint_options(function: F) -> F:
    """Add ``--endpoint URL``, ``--graph IRI`` and ``--timeout SECONDS``: run on a remote SPARQL endpoint."""
    function = click.option(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Seconds a query may run; with --endpoint, seconds to wait for its answer "
        "[default: 60, or RELGRAPH_TIMEOUT].",
    )(function)
    function = click.option(
        "--graph",
        default=None,
        metavar="IRI",
        help="With --endpoint: the graph queried as the default graph "
        "[default: https://w3id.org/relgraph/graph/default, where relgraph push writes].",
    )(function)
    return click.option(
        "--endpoint",
        default=None,
        metavar="URL",
        help="Run the query on this SPARQL endpoint instead of the embedded graph.",
    )(function)


def _check_endpoint_options(endpoint: str | None, graph: str | None) -> None:
    """Refuse options that would be ignored: ``--graph`` without ``--endpoint``, local ones with it.

    :raises UsageError: naming the option.
    """
    from click.core import ParameterSource

    if endpoint is None:
        if graph is not None:
            raise UsageError("--graph needs --endpoint: the embedded graph is queried as one default graph")
        return
    ctx = click.get_current_context()
    given = [
        "--" + name.replace("_", "-")
        for name in ("store", "data_dir", "allow_imports")
        if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE
    ]
    if given:
        options = " and ".join(given)
        raise UsageError(f"{options} cannot be combined with --endpoint: they apply to the embedded graph")


def local_options(timeout: bool = True) -> Callable[[F], F]:
    """Return the decorator adding ``--allow-imports`` and (unless ``timeout`` is false) ``--timeout``.

    Both take effect through :mod:`relgraph.limits` and :mod:`relgraph.guard` for the whole command.

    :param timeout: add ``--timeout SECONDS`` (a command with its own ``--timeout`` passes it on).
    """

    def set_timeout(ctx: click.Context, _param: click.Parameter, value: float | None) -> None:
        if value is not None:
            from relgraph.limits import use_timeout

            ctx.with_resource(use_timeout(value))

    def set_imports(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            from relgraph.guard import allow_imports

            ctx.with_resource(allow_imports())

    def decorate(function: F) -> F:
        function = click.option(
            "--allow-imports",
            is_flag=True,
            expose_value=False,
            callback=set_imports,
            help="Follow owl:imports of local files (file: IRIs); nothing is ever fetched over the network.",
        )(function)
        if timeout:
            function = click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                default=None,
                expose_value=False,
                callback=set_timeout,
                metavar="SECONDS",
                help="Stop any query that runs longer than this [default: 60, or RELGRAPH_TIMEOUT].",
            )(function)
        return function

    return decorate


def store_option(function: F) -> F:
    """Add ``--store DIR``: keep the parsed graph in an on-disk store, rebuilt when a file changes.

    A store found damaged while the command reads it (RocksDB's block checksums; or, after a
    timeout, the SHA-256 of its files, since a damaged block may be read as something else and the
    query run on) is an error that says so, and the store is marked for the next command to build
    again (:func:`relgraph.persist.mark_damaged`).
    """

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except RelgraphError as error:
            from relgraph.limits import QueryTimeoutError
            from relgraph.persist import (
                StoreDamagedError,
                current_store,
                damage_of,
                damaged_store_error,
                verify_store,
            )

            store = current_store()
            if store is None or isinstance(error, StoreDamagedError):
                raise
            damage = verify_store(store) if isinstance(error, QueryTimeoutError) else damage_of(error)
            if damage is None:
                raise
            raise damaged_store_error(store, damage) from error

    def set_store(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
        if value is not None:
            from relgraph.persist import use_store

            ctx.with_resource(use_store(value))

    return click.option(
        "--store",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="RELGRAPH_STORE",
        expose_value=False,
        callback=set_store,
        metavar="DIR",
        help="Keep the graph in an on-disk store in DIR: built once, reused until a file changes.",
    )(cast(F, run))


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    import relgraph  # its version is read from the package metadata on first use

    click.echo(f"relgraph, version {relgraph.__version__}")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_show_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """Query the knowledge graph of US-India defence relations."""
    _show_warnings()


class _WarningLine(logging.Handler):
    """Print relgraph's logged warnings (a damaged store rebuilt) as ``Warning: ...`` on standard error."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"Warning: {record.getMessage()}", err=True)


def _show_warnings() -> None:
    """Print the warnings logged by relgraph's modules (once, however many commands run in-process)."""
    logger = logging.getLogger("relgraph")
    if not any(isinstance(handler, _WarningLine) for handler in logger.handlers):
        logger.addHandler(_WarningLine(logging.WARNING))


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
@store_option
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
@data_dir_option()
@endpoint_options
@local_options(timeout=False)
def query_command(
    name: str,
    params: tuple[tuple[str, str], ...],
    fmt: str,
    data_files: tuple[Path, ...],
    endpoint: str | None,
    graph: str | None,
    timeout: float | None,
) -> None:
    """Run the canned query NAME on the knowledge graph."""
    from relgraph.catalogue import Catalogue
    from relgraph.store import KnowledgeGraph

    _check_endpoint_options(endpoint, graph)
    query = Catalogue.load_one(name)  # reads one file; only the query run needs the SPARQL check
    query.check_sparql()
    raw: dict[str, str] = {}
    for key, value in params:
        if key in raw:
            raise UsageError(f"parameter {key!r} is given twice")
        raw[key] = value
    bindings = query.bind_terms(raw)  # check the parameters before loading the graph
    if endpoint is not None:
        from relgraph.remote import query_endpoint

        remote = query_endpoint(
            endpoint, query.text, query.bind(raw), graph=graph, timeout=timeout, data=data_files
        )
        _echo_result(remote, fmt)
        return
    from relgraph.limits import use_timeout

    kg = KnowledgeGraph.default(extra_files=data_files)
    with use_timeout(timeout):
        result = kg.query(query.text, bindings, source=str(query.path))
    _echo_result(result, fmt)


@cli.command("sparql")
@store_option
@click.argument("query")
@format_option(RESULT_FORMATS, "table")
@data_option
@data_dir_option()
@endpoint_options
@local_options(timeout=False)
def sparql_command(
    query: str,
    fmt: str,
    data_files: tuple[Path, ...],
    endpoint: str | None,
    graph: str | None,
    timeout: float | None,
) -> None:
    """Run a read-only SPARQL query (text, a file, or - for standard input) on the graph.

    SELECT, ASK, CONSTRUCT and DESCRIBE are allowed; SERVICE, FROM and updates are refused.
    """
    from relgraph.store import KnowledgeGraph

    _check_endpoint_options(endpoint, graph)
    text, source = _query_text(query)
    if endpoint is not None:
        from relgraph.remote import query_endpoint

        _echo_result(query_endpoint(endpoint, text, {}, graph=graph, timeout=timeout, data=data_files), fmt)
        return
    from relgraph.limits import use_timeout

    kg = KnowledgeGraph.default(extra_files=data_files)
    with use_timeout(timeout):
        _echo_result(kg.query(text, source=source), fmt)


@cli.command("export")
@store_option
@format_option(EXPORT_FORMATS, "turtle")
@click.option(
    "-o",
    "--output",
    type=click.Path(allow_dash=True),
    help="Write to this file instead of standard output (- is standard output).",
)
@click.option("--data-only", is_flag=True, help="Leave out the ontology.")
@click.option(
    "--sort/--no-sort",
    default=True,
    show_default=True,
    help="Sort the triples, so that the same graph gives the same bytes. --no-sort writes them in the "
    "store's order as they are serialized: faster on a big graph, and the output is not held in memory.",
)
@data_option
@data_dir_option()
@local_options()
def export_command(
    fmt: str, output: str | None, data_only: bool, sort: bool, data_files: tuple[Path, ...]
) -> None:
    """Write the whole knowledge graph, deterministically (same graph, same bytes) unless --no-sort."""
    from relgraph.export import export
    from relgraph.store import KnowledgeGraph

    kg = KnowledgeGraph.default(extra_files=data_files, data_only=data_only)
    export(kg, fmt, None if output in (None, "-") else Path(output), sort=sort)


@cli.command("report")
@store_option
@format_option(TABLE_FORMATS, "table")
@data_option
@data_dir_option()
@local_options()
def report_command(fmt: str, data_files: tuple[Path, ...]) -> None:
    """Run every canned query with its defaults and print the results."""
    from relgraph.catalogue import Catalogue
    from relgraph.results import terminal_text
    from relgraph.store import KnowledgeGraph

    catalogue = Catalogue.load()
    kg = KnowledgeGraph.default(extra_files=data_files)
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
            # written out as the tables write text (the queries table shows the same summary)
            heading = terminal_text(f"{query.name}: {query.summary}")
            click.echo(f"{heading}\n{'=' * len(heading)}")
            if result is None:
                click.echo(f"(skipped: {section['skipped']})")
            else:
                click.echo(result.render("table"), nl=False, color=True)
            click.echo()
    if fmt == "json":
        click.echo(json.dumps({"queries": sections}, indent=2, ensure_ascii=False))


@cli.command("validate")
@store_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option(VALIDATE_FORMATS, "text")
@click.option("--strict", is_flag=True, help="Fail on warnings and infos too, not only on violations.")
@click.option(
    "--shapes",
    type=click.Path(path_type=Path),
    help="Validate against this shapes file instead of the shipped one.",
)
@click.option(
    "--whole-graph",
    is_flag=True,
    help="Report every node of the graph with the files added, as pyshacl does, not only those near "
    "the new triples (slower on a large graph).",
)
@data_option
@data_dir_option()
@local_options()
def validate_command(
    files: tuple[Path, ...],
    fmt: str,
    strict: bool,
    shapes: Path | None,
    whole_graph: bool,
    data_files: tuple[Path, ...],
) -> None:
    """Validate new RDF FILES against the shapes, together with the existing graph.

    References to officials, sessions and sources already in the graph resolve. The format of each
    file comes from its extension (.ttl .nt .nq .trig .jsonld .rdf). Exit 0 when the data conforms,
    1 when it does not, 2 for a usage or input error.
    """
    from relgraph.store import KnowledgeGraph
    from relgraph.validate import validate

    kg = KnowledgeGraph.default(extra_files=data_files)
    report = validate(files, kg=kg, shapes=shapes, strict=strict, whole_graph=whole_graph)
    click.echo(report.render(fmt), nl=False)
    if not report.conforms:
        sys.exit(int(ExitCode.NOT_CONFORMING))


@cli.command("explain")
@store_option
@click.argument("entity")
@format_option(("text", "json"), "text")
@data_option
@data_dir_option()
@local_options()
def explain_command(entity: str, fmt: str, data_files: tuple[Path, ...]) -> None:
    """Say what the graph holds about ENTITY, each fact with the sentence it comes from.

    ENTITY is an IRI, a prefixed name (rgd:ely-ratner) or a name ("Ely Ratner", "Pentagon").
    """
    from relgraph.explain import explain
    from relgraph.store import KnowledgeGraph

    kg = KnowledgeGraph.default(extra_files=data_files)
    click.echo(explain(kg, entity).render(fmt), nl=False, color=True)  # escapes written out, none stripped


@cli.command("check")
@store_option
@format_option(TABLE_FORMATS, "table")
@data_option
@data_dir_option()
@local_options()
def check_command(fmt: str, data_files: tuple[Path, ...]) -> None:
    """Run the quality checks (queries/checks/*-violation.rq); each must return no rows.

    Exit 0 when every check passes, 1 when any returns rows. With --store, the store's files are
    first read against the SHA-256 of its build.
    """
    from relgraph.checks import run_checks
    from relgraph.persist import current_store, damaged_store_error, verify_store
    from relgraph.store import KnowledgeGraph

    graph = KnowledgeGraph.default(extra_files=data_files)
    store = current_store()
    # a damaged block may be read as nothing, which makes a check fail (or pass) for no reason, or
    # as something else, a query then running until its timeout: the store's files are read against
    # their SHA-256 before any check runs
    damage = None if store is None else verify_store(store)
    if store is not None and damage is not None:
        raise damaged_store_error(store, damage)
    outcomes = run_checks(graph)
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


@cli.command("push")
@click.option("--endpoint", required=True, metavar="URL", help="The store's SPARQL query endpoint.")
@click.option(
    "--update-endpoint",
    default=None,
    metavar="URL",
    help="Its SPARQL Update endpoint [default: .../update beside a .../query URL, else --endpoint].",
)
@click.option(
    "--graph",
    default=None,
    metavar="IRI",
    help="The named graph to replace [default: https://w3id.org/relgraph/graph/default].",
)
@click.option(
    "--store-endpoint",
    default=None,
    metavar="URL",
    help="A Graph Store Protocol endpoint to POST the chunks to (e.g. Oxigraph's .../store) "
    "[default: SPARQL Update INSERT DATA].",
)
@click.option("--chunk-size", type=int, default=2000, show_default=True, help="Triples per update request.")
@click.option("--resume", is_flag=True, help="Finish an interrupted push of the same data.")
@click.option(
    "--timeout",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Seconds to wait for each answer [default: 60, or RELGRAPH_TIMEOUT].",
)
@click.option("--data-only", is_flag=True, help="Leave out the ontology.")
@data_option
@data_dir_option()
def push_command(
    endpoint: str,
    update_endpoint: str | None,
    graph: str | None,
    store_endpoint: str | None,
    chunk_size: int,
    resume: bool,
    timeout: float | None,
    data_only: bool,
    data_files: tuple[Path, ...],
) -> None:
    """Load the knowledge graph into a named graph of a SPARQL store, all or nothing.

    Chunks go to a staging graph; one MOVE then replaces the target graph. Credentials come from
    RELGRAPH_ENDPOINT_USER/RELGRAPH_ENDPOINT_PASSWORD or ~/.netrc. Exit 4 if the endpoint fails.
    """
    from relgraph.progress import progress
    from relgraph.push import DEFAULT_GRAPH, PushPlan, ntriples_lines, push
    from relgraph.remote import Endpoint, SparqlClient
    from relgraph.store import KnowledgeGraph

    query_endpoint = Endpoint.parse(endpoint)
    client = SparqlClient(
        query_endpoint, update_endpoint=query_endpoint.sibling(update_endpoint, "update"), timeout=timeout
    )
    store = None if store_endpoint is None else query_endpoint.sibling(store_endpoint, "store")
    kg = KnowledgeGraph.default(extra_files=data_files, data_only=data_only)
    plan = PushPlan(ntriples_lines(kg.quads(), timeout=timeout), chunk_size)
    pushed = [0]
    with progress(len(plan.lines), f"pushing to {query_endpoint.url}") as update:  # as every bar

        def advance(triples: int) -> None:
            pushed[0] += triples
            update(pushed[0])

        target = DEFAULT_GRAPH if graph is None else graph  # --graph "" is refused, not the default
        report = push(client, plan, target, resume=resume, progress=advance, store=store)
    resumed = f", {report.skipped} already uploaded" if resume else ""
    click.echo(
        f"{report.graph}: {report.triples} triples at {query_endpoint.url} "
        f"({report.chunks} chunks{resumed}, {report.seconds:.1f} s)"
    )


#: how the commands run: ``ends_the_process`` when :func:`main` runs them (the program), not in-process
_RUN = {"ends_the_process": False}


@cli.command("serve")
@click.option("--bind", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=7878, show_default=True, help="The port to listen on."
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Keep the Oxigraph store in this directory (its content is replaced) [default: a temporary one].",
)
@click.option("--writable", is_flag=True, help="Accept SPARQL updates (oxigraph serve, not serve-read-only).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Have the server cancel any query that runs longer than this [default: 60, or RELGRAPH_TIMEOUT].",
)
@data_option
@data_dir_option()
def serve_command(
    bind: str,
    port: int,
    store_dir: Path | None,
    writable: bool,
    timeout: float | None,
    data_files: tuple[Path, ...],
) -> None:
    """Serve the knowledge graph over SPARQL with the Oxigraph server, read-only, on loopback by default.

    Prints the endpoint URL; its query page opens in a browser. Requests with SERVICE or LOAD, which
    would make the server fetch a URL, are refused (403). Ctrl-C stops it.
    """
    import contextlib
    import tempfile

    from relgraph.limits import current_timeout
    from relgraph.serve import build_store, check_port, serve, server_memory, stop_reason
    from relgraph.store import KnowledgeGraph

    check_port(bind, port)  # before the graph is loaded
    server_memory()  # RELGRAPH_MAX_MEMORY_BYTES too
    kg = KnowledgeGraph.default(extra_files=data_files)
    held: dict[int, Any] = {}  # the handlers of the signals ignored once the server is stopped
    try:
        with contextlib.ExitStack() as stack:
            temporary = stack.enter_context(tempfile.TemporaryDirectory(prefix="relgraph-store-"))
            location = store_dir if store_dir is not None else Path(temporary)
            if store_dir is not None:  # a second serve of the folder is refused ("locked", exit 6): it
                # replaced the store a running server was serving
                from relgraph.locking import locked
                from relgraph.storedir import check_folder, make_folder

                check_folder(store_dir, "serve")
                make_folder(store_dir)
                stack.enter_context(locked(store_dir))
            count = build_store(location, kg.quads())
            click.echo(f"Loaded {count} triples into {location}")
            seconds = timeout if timeout is not None else current_timeout()
            code = serve(
                location, bind=bind, port=port, writable=writable, announce=click.echo, timeout=seconds
            )
            if threading.current_thread() is threading.main_thread():  # the server is stopped: a Ctrl-C
                # or SIGTERM sent twice cut short the removal of the temporary store (exit 130 or 143, not 0)
                held = {
                    sig: signal.signal(sig, signal.SIG_IGN)
                    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
                }
    finally:
        if not _RUN["ends_the_process"]:  # called in-process (tests): the caller's handlers back; the
            # program keeps ignoring them to its end (Python's own at exit killed it: SIGINT, -2)
            for sig, handler in held.items():
                signal.signal(sig, handler)
    if code != 0:
        raise UsageError(stop_reason(code))
    click.echo("Server stopped.")


@cli.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Refuse warnings and infos too, not only violations.")
@data_dir_option(
    "The data folder to validate against and add to: the readout goes to DIR/readouts, its source texts "
    "to DIR/sources; the ontology and shapes stay the shipped ones "
    "[default: RELGRAPH_DATA_DIR, else the shipped data/]."
)
@click.option(
    "--whole-graph",
    is_flag=True,
    help="Report every node of the graph with the files added, as pyshacl does, not only those near "
    "the new triples (slower on a large graph).",
)
@local_options()
def add_command(file: Path, strict: bool, whole_graph: bool) -> None:
    """Validate a new readout FILE (Turtle) against the graph and add it to data/readouts/, all or nothing.

    The source texts it cites go to data/sources/ (DIR/readouts and DIR/sources with --data-dir). Exit 0
    when it was added (with a warning if its source already has a readout), 1 when it does not conform or
    fails a check (nothing is added), 2 for a bad file or one that adds nothing to the graph, 6 when
    another writer holds the data folder.
    """
    from relgraph.add import add_readout

    outcome = add_readout(
        file,
        strict=strict,
        whole_graph=whole_graph,
        progress=lambda line: click.echo(line, err=True),
    )
    if outcome.report is not None and outcome.report.conforms:
        for result in outcome.report.results:  # the warnings it was added (or refused) with
            click.echo(result.line())
    if outcome.added is None:
        if outcome.report is not None and not outcome.report.conforms:
            click.echo(outcome.report.render("text"), nl=False)
        for name in outcome.failed_checks:
            click.echo(f"{file}: check {name} fails with it added")
        click.echo(f"{file}: not added; the data is unchanged")
        sys.exit(int(ExitCode.NOT_CONFORMING))
    for found, copy in outcome.sources:
        click.echo(f"{found}: source text copied to {copy}")
    click.echo(f"{file}: added as {outcome.added} ({outcome.triples} triples)")


@cli.command("synth")
@click.option("--sessions", type=click.IntRange(min=1), help="Number of synthetic sessions (readouts).")
@click.option("--triples", "size", metavar="SIZE", help="Or a number of triples to reach: 10k, 1M, 250000.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="A .nt or .ttl file.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: same seed, same bytes.")
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False), help="Folder of source texts.")
def synth_command(
    sessions: int | None, size: str | None, output: Path, seed: int, sources: Path | None
) -> None:
    """Write synthetic readouts that conform to the shapes, for tests and benchmarks (not real data).

    Source texts go to --sources (default: OUTPUT's stem + "-sources"); load the output with the
    shipped graph, e.g. `relgraph validate OUTPUT` or `relgraph query NAME --data OUTPUT`.
    """
    from relgraph.progress import progress
    from relgraph.synth import generate, parse_size

    triples = parse_size(size) if size is not None else None
    if (sessions is None) == (triples is None):
        raise UsageError("give exactly one of --sessions N and --triples SIZE")
    with progress(triples or 0, "synth") as bar:
        stats = generate(
            output, sessions=sessions, triples=triples, seed=seed, sources_dir=sources, progress=bar
        )
    where = f"sources in {stats.sources_dir}"
    click.echo(f"{output}: {stats.triples} triples in {stats.sessions} sessions; {where}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``relgraph`` command and exit with its code.

    Standard output is checked (:mod:`relgraph.output`): a write that fails is a one-line error
    (exit 2), a reader going away (a broken pipe) ends the command quietly with exit 1.

    :param argv: the arguments (default: ``sys.argv[1:]``).
    """
    from relgraph import output

    logging.getLogger("rdflib").addHandler(logging.NullHandler())  # no logged tracebacks
    output.take_over()
    _clean_up_on_termination()
    _RUN["ends_the_process"] = True  # until the command ends: main() called in-process ends it too
    try:
        try:
            code = cli.main(
                args=None if argv is None else list(argv), prog_name="relgraph", standalone_mode=False
            )
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo("Interrupted.", err=True)
            _exit(int(ExitCode.INTERRUPTED))
        except click.ClickException as error:
            error.show()
            _exit(error.exit_code)
        except BrokenPipeError:  # the reader went away (e.g. `relgraph export | head`): stop quietly
            _exit(int(ExitCode.NOT_CONFORMING))
        _exit(code if isinstance(code, int) else 0)
    finally:
        _RUN["ends_the_process"] = False  # for a command run in-process next (tests): handlers set back


def _clean_up_on_termination() -> None:
    """Let SIGTERM and SIGHUP end the command as an error would, so that it removes what it was writing.

    Their default action killed the process outright: an export or a store build left its temporary
    file or folder behind (the old output stayed intact). Now the command exits with 128 plus the
    signal's number, as a killed process does, once its ``finally`` blocks have run. A signal already
    ignored (``nohup``) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread can set handlers (the library called from a thread)

    def terminate(signum: int, _frame: object) -> NoReturn:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, terminate)


def _exit(code: int) -> NoReturn:
    """Exit with ``code`` once standard output is flushed (:func:`relgraph.output.settle`).

    At once (:func:`os._exit`) if a timed-out query still runs on its thread: that stops it.
    """
    from relgraph import output

    code = output.settle(code)
    limits = sys.modules.get("relgraph.limits")
    if limits is not None and limits.abandoned_work():
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


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
    # color=True: click otherwise strips what looks like terminal escapes when not writing to a terminal,
    # which changed the data of a CSV or JSON answer (the table escapes every control character)
    click.echo(result.render(fmt), nl=False, color=True)


def _query_text(argument: str) -> tuple[str, str | None]:
    """Return the query text of ``sparql``'s argument (text, a file, or - for standard input) and its source.

    A file or standard input is read up to ``RELGRAPH_MAX_FILE_BYTES`` (``/dev/zero`` or ``yes |``
    filled the memory), without a UTF-8 byte order mark; one that holds nothing but blanks is refused.
    Query text given as the argument loses a byte order mark too.
    """
    if argument == "-":
        if sys.stdin is None:
            raise InputError("<stdin>: standard input is closed")
        return _read_query(Path("<stdin>"), sys.stdin.buffer), "<stdin>"
    path = Path(argument)
    looks_like_file = "{" not in argument and path.suffix.lower() in (".rq", ".sparql")
    # a file (its name may hold a brace: q{1}.rq), or a named pipe or device such as <(...) or /dev/stdin
    names_a_file = len(argument) < 4096 and os.path.lexists(path) and not path.is_dir()
    if looks_like_file or names_a_file:
        try:
            with path.open("rb") as stream:
                return _read_query(path, stream), str(path)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory, not a query file") from None
        except OSError as error:
            raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    return argument.removeprefix("\ufeff"), None  # a byte order mark, pasted from a file


def _read_query(path: Path, stream: IO[bytes]) -> str:
    """Read a query from ``stream``: UTF-8, within the file size limit, not blank, BOM dropped."""
    from relgraph.limits import Limits, read_at_most

    limit = Limits.from_env().max_file_bytes
    data = read_at_most(stream, limit)
    if len(data) > limit:
        raise InputError(f"{path}: the query is longer than {limit} bytes (RELGRAPH_MAX_FILE_BYTES)")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    if not text.strip():
        raise InputError(f"{path}: the query is empty")
    return text
