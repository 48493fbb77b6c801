"""The knowledge graph: an RDF store that loads files and answers read-only SPARQL queries.

This is the only module that talks to the pyoxigraph ``Store``. Everything is kept in the
store's default graph.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import pyoxigraph as ox

from relgraph import guard, progress, resources
from relgraph.errors import ConfigurationError, InputError, QueryError, UsageError
from relgraph.limits import (
    Answer,
    Limits,
    QueryTimeoutError,
    Substitutions,
    check_depth,
    check_literals,
    literal_too_long,
    run_query,
)
from relgraph.prefixes import PREFIXES
from relgraph.reading import (
    FORMATS_BY_EXTENSION,
    IMPORTS,
    base_direction_error,
    base_iri,
    check_jsonld,
    complete_jsonld,
    file_syntax_message,
    load_in_order,
    one_line,
    rdf_format,
    read_checked,
    resolved,
    token_too_long,
)
from relgraph.safety import check_read_only_local
from relgraph.sparql_tokens import undeclared_prefix
from relgraph.sparql_values import with_values
from relgraph.terms import OxTerm, quad_to_rdflib, to_oxigraph, triple_to_rdflib

if TYPE_CHECKING:
    import rdflib

    from relgraph.results import QueryResult
    from relgraph.terms import RdfTerm

__all__ = [
    "FORMATS_BY_EXTENSION",
    "KnowledgeGraph",
    "as_path",
    "as_paths",
    "default_files",
    "load_default_graph",
]

# pyoxigraph's SPARQL parser messages: "error at 3:24: expected ..."
_QUERY_LOCATION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)
# a syntax error's list of what was expected is cut after this many characters
_LONGEST_EXPECTED = 300
# pyoxigraph refuses to substitute a variable that a SELECT does not project
_NOT_PROJECTED = re.compile(r"variable \?(\S+) in its SELECT projection")
# formats pyoxigraph loads straight into a store (their triples all go to the default graph)
_RUST_FORMATS = frozenset({ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES})
_TRUE = ox.Literal("true", datatype=ox.NamedNode(PREFIXES["xsd"] + "boolean"))
_XSD_INTEGER = ox.NamedNode(PREFIXES["xsd"] + "integer")


def default_files(data_only: bool = False, *, data_dir: Path | None = None) -> list[Path]:
    """Return the files the default graph is built from, in load order.

    They are the ontology ``relgraph.ttl`` (unless ``data_only``) and every ``*.ttl`` under the
    ``reference`` and ``readouts`` data folders (their subfolders too), each folder sorted, except hidden
    ones: a file or subfolder whose name starts with ``.`` (macOS's ``._x.ttl``, an editor's backup,
    Jupyter's ``.ipynb_checkpoints/``) is not part of the graph. ``relgraph add`` validates a readout
    against these same files.

    :param data_only: leave out the ontology.
    :param data_dir: the data folder (default: :func:`relgraph.resources.data_dir`, the shipped ``data/``
        unless ``--data-dir`` names another); the ontology is always the shipped one.

    >>> [p.name for p in default_files()][:2]
    ['relgraph.ttl', 'countries-organisations.ttl']
    """
    files = [] if data_only else [resources.ontology_dir() / "relgraph.ttl"]
    data_dir = resources.data_dir() if data_dir is None else data_dir
    for folder in ("reference", "readouts"):
        top = data_dir / folder
        found = top.rglob("*.ttl")
        files.extend(
            sorted(f for f in found if not any(part.startswith(".") for part in f.relative_to(top).parts))
        )
    return files


def as_path(value: object, what: str = "a file") -> Path:
    """Return ``value`` as a :class:`~pathlib.Path`, refusing what is not a file name.

    :param value: a ``str`` or an ``os.PathLike`` naming a file.
    :param what: what it is, for the message.
    :raises UsageError: if it is not a path (bytes, a number, :data:`None`) or is empty.

    >>> as_path("readout.ttl")
    PosixPath('readout.ttl')
    >>> as_path(b"readout.ttl")
    Traceback (most recent call last):
    ...
    relgraph.errors.UsageError: a file must be a path (str or Path), not bytes
    """
    if isinstance(value, str | os.PathLike):
        try:
            path = Path(value)
        except TypeError:  # an os.PathLike that gives bytes
            pass
        else:
            if str(value):  # Path("") is ".", the current folder
                return path
            raise UsageError(f"{what} must be a file name, not empty text")
    raise UsageError(f"{what} must be a path (str or Path), not {type(value).__name__}")


def as_paths(value: object, what: str = "a file") -> list[Path]:
    """Return one file name, or an iterable of them, as a list of paths.

    :param value: a ``str`` or ``os.PathLike``, or an iterable of them.
    :param what: what each is, for the message.
    :raises UsageError: for anything else (see :func:`as_path`).

    >>> as_paths("a.ttl"), as_paths(["a.ttl", Path("b.nt")])
    ([PosixPath('a.ttl')], [PosixPath('a.ttl'), PosixPath('b.nt')])
    """
    if isinstance(value, str | os.PathLike):
        return [as_path(value, what)]
    if isinstance(value, bytes | bytearray) or not isinstance(value, Iterable):
        raise UsageError(f"{what} must be a path (str or Path) or a list of them, not {type(value).__name__}")
    return [as_path(item, what) for item in value]


class KnowledgeGraph:
    """An in-memory RDF graph loaded from files, queried with read-only SPARQL.

    :param path: a folder for an on-disk (RocksDB) store, opened or created; :data:`None`: in memory.
    :param read_only: open the on-disk store read-only (several processes can read it at once).
    :raises InputError: if the on-disk store cannot be opened (for example, another process writes it).

    >>> kg = KnowledgeGraph()
    >>> len(kg), kg.files
    (0, [])
    """

    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        self._in_memory = path is None
        self._read_only = read_only
        self._scratch_parent = None if path is None else Path(path).parent  # see writable_copy
        self._loaded_bytes = 0  # bytes of the files loaded so far: a cheap stand-in for the size
        if path is None:
            self._store = ox.Store()
        else:
            try:
                self._store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
            except OSError as error:
                raise InputError(f"{path}: cannot open the store: {one_line(str(error))}") from error
        self.files: list[Path] = []

    @classmethod
    def default(
        cls,
        extra_files: Iterable[Path | str] | Path | str = (),
        *,
        data_only: bool = False,
        store: Path | str | None = None,
        data_dir: Path | str | None = None,
    ) -> KnowledgeGraph:
        """Load the shipped ontology and the data (see :func:`default_files`), then ``extra_files``.

        :param extra_files: more RDF files to load into the same graph (or one file).
        :param data_only: leave out the ontology.
        :param store: an on-disk store folder: built from the files once, reused while they are
            unchanged (see :mod:`relgraph.persist`); the graph is then read-only. By default the
            folder of the ``--store`` option (:func:`relgraph.persist.use_store`), if any.
        :param data_dir: the data folder to read ``reference/`` and ``readouts/`` from (default:
            :func:`relgraph.resources.data_dir`: the shipped ``data/``, or the folder of the
            ``--data-dir`` option, :func:`relgraph.resources.use_data_dir`).
        :raises ConfigurationError: if a file of the ontology or the data is missing or invalid.
        :raises InputError: if one of ``extra_files`` is missing or invalid.
        :raises UsageError: if ``extra_files``, ``store`` or ``data_dir`` is not a path (or, for the files,
            a list of them), or ``data_dir`` is not a data folder
            (:func:`relgraph.resources.check_data_dir`).
        """
        from relgraph.persist import current_store, open_store

        extra = as_paths(extra_files)
        store = as_path(store, "the store") if store is not None else current_store()
        folder = None if data_dir is None else resources.check_data_dir(as_path(data_dir, "the data folder"))
        data_files = default_files(data_only, data_dir=folder)
        if store is not None:
            files = [*data_files, *extra]
            persisted = cls.__new__(cls)
            persisted._in_memory = False
            persisted._read_only = True
            persisted._scratch_parent = store
            persisted._loaded_bytes = 0
            try:
                persisted._store, _built = open_store(store, files)
            except InputError as error:  # errors name their file first: "file:line:column: ..."
                if error.message.startswith(tuple(f"{f}:" for f in data_files)):
                    raise ConfigurationError(error.message) from error  # as in memory (exit 3)
                raise
            persisted.files = files
            return persisted
        Limits.from_env()  # a bad RELGRAPH_* variable is the user's error (exit 2), not the shipped files'
        kg = cls()
        try:
            kg.load(*data_files)
        except InputError as error:
            raise ConfigurationError(error.message) from error
        kg.load(*extra)
        return kg

    @property
    def oxigraph(self) -> ox.Store:
        """Return the underlying :class:`pyoxigraph.Store` (for bulk work such as compiled validation)."""
        return self._store

    @contextlib.contextmanager
    def writable_copy(self) -> Iterator[ox.Store]:
        """Yield a writable copy of the store, for work that adds triples to a read-only one; deleted after.

        An on-disk store is copied as a RocksDB checkpoint, in milliseconds
        (:func:`relgraph.persist.scratch_copy`), an in-memory one quad by quad. So is an on-disk
        store of which no checkpoint can be made: no room for one, or its folder was deleted since it
        was opened (another command built the store again), which the open store still reads.

        :raises OSError: if an on-disk store cannot be copied, nor read into memory.

        >>> with KnowledgeGraph().writable_copy() as copy:
        ...     len(copy)
        0
        """
        with contextlib.ExitStack() as stack:
            checkpoint: ox.Store | None = None
            if not self._in_memory:
                from relgraph.persist import scratch_copy

                with contextlib.suppress(OSError):  # no checkpoint can be made: in memory, below
                    checkpoint = stack.enter_context(scratch_copy(self._store, self._scratch_parent))
            if checkpoint is not None:
                yield checkpoint
                return
        copy = ox.Store()
        copy.bulk_extend(self._store.quads_for_pattern(None, None, None, None))
        yield copy

    def __len__(self) -> int:
        """Return the number of triples."""
        return len(self._store)

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {len(self)} triples from {len(self.files)} files>"

    def load(self, *paths: Path | str) -> None:
        """Parse RDF files and add their triples, all or nothing.

        The format is chosen by the file extension (``.ttl``, ``.nt``, ``.nq``, ``.trig``,
        ``.jsonld``/``.json``, ``.rdf``/``.owl``/``.xml``). Every file is parsed completely before
        anything is added (Turtle and N-Triples by pyoxigraph into a staging store, the other formats
        into a list), so on error the graph is left exactly as it was. Named graphs in N-Quads
        and TriG are merged into the default graph, blank nodes are kept apart between files, and
        a file already loaded is skipped. JSON-LD remote contexts are never fetched.

        :param paths: the files.
        :raises InputError: one line naming the file (and ``line:column`` for a syntax error).
        :raises UsageError: if the graph is an on-disk store opened read-only, or a path is not a path.

        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     good = Path(tmp, "good.ttl")
        ...     _ = good.write_text("<http://ex/a> <http://ex/p> 1 .")
        ...     kg = KnowledgeGraph()
        ...     kg.load(good)
        ...     len(kg)
        1
        """
        for path in paths:  # a list given as one argument was a TypeError traceback
            if isinstance(cast(object, path), list | tuple | set | frozenset | Iterator):
                raise UsageError(
                    f"give the files as separate arguments (load(*files)), not a {type(path).__name__}"
                )
            if not isinstance(cast(object, path), str | os.PathLike):
                raise UsageError(f"a file must be a path (str or Path), not {type(path).__name__}")
        if self._read_only:  # it raised RocksDB's "Transaction are only possible on read-write instances"
            raise UsageError(
                "this graph is an on-disk store opened read-only: give the files to "
                "KnowledgeGraph.default(extra_files=...) (or --data), which builds the store again"
            )
        # Turtle and N-Triples are loaded by pyoxigraph in Rust into a staging store, the other formats
        # are parsed in Python (their named graphs are merged into the default graph); nothing reaches
        # this graph until every file has loaded.
        staging = ox.Store() if self._in_memory else None
        staged_bytes = 0
        quads: list[ox.Quad] = []

        def load_one(path: Path) -> list[ox.Quad]:
            nonlocal staged_bytes
            parsed, staged = _parse_file(path, staging)
            quads.extend(parsed)
            staged_bytes += staged
            if staging is None or not staged or not guard.imports_allowed():
                return parsed
            return [*parsed, *staging.quads_for_pattern(None, IMPORTS, None)]

        new_files = load_in_order(paths, load_one, {resolved(p) for p in self.files})
        if staging is None or not staged_bytes:
            self._store.extend(quads)
        else:
            staging.extend(quads)
            if self._loaded_bytes <= staged_bytes:  # copy the smaller store into the larger one
                staging.extend(self._store.quads_for_pattern(None, None, None, None))
                self._store = staging
            else:
                self._store.extend(staging.quads_for_pattern(None, None, None, None))
        self._loaded_bytes += sum(f.stat().st_size for f in new_files)
        self.files.extend(new_files)

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, RdfTerm | OxTerm] | None = None,
        *,
        source: str | None = None,
        isolate: bool | None = None,
    ) -> QueryResult:
        """Run a read-only SPARQL query on the default graph.

        Parameters are bound as RDF terms, never pasted into the query text, in two ways at once:
        a one-row ``VALUES`` block of strictly serialized terms at the start of the WHERE group
        (:func:`relgraph.sparql_values.with_values`, as for a remote endpoint), from which Oxigraph
        plans the query, and SEP-0007 substitution (pyoxigraph ``substitutions``), which binds the
        value inside every part of it. Oxigraph plans before it sees substituted values, so with
        substitution alone a query that binds one session still reads every session (0.7 s rather
        than 1 ms at a million triples). pyoxigraph requires a bound variable of a ``SELECT`` to be
        in its projection (``SELECT ?name ...`` or ``SELECT *``).

        :param sparql: a ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` query.
        :param bindings: variable name (without ``?``) -> rdflib (or pyoxigraph) term.
        :param source: where the query comes from (a file name), prefixed to error messages.
        :param isolate: run the query in a forked worker process that is killed at the timeout,
            rather than on a thread that is left running (see :func:`relgraph.limits.run_query`;
            default: ``RELGRAPH_ISOLATE_QUERIES=1``).
        :raises QueryError: for a syntax error, ``SERVICE``, ``FROM``, an update, or a failure.
        :raises QueryTimeoutError: if it runs past the timeout (:func:`relgraph.limits.current_timeout`).

        >>> kg = KnowledgeGraph()
        >>> kg.query("ASK { ?s ?p ?o }").boolean
        False
        """
        from relgraph.results import QueryResult

        where = f"{source}: " if source else ""
        if not isinstance(cast(object, sparql), str):  # a library caller's None was a TypeError
            raise UsageError(f"{where}the query must be text, not {type(sparql).__name__}")
        if any(not isinstance(name, str) for name in bindings or {}):
            raise UsageError(f"{where}the names of the parameters must be text")
        try:
            check_read_only_local(sparql)
        except QueryError as error:
            raise QueryError(f"{where}{error.message}") from error
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {}
        for name, term in (bindings or {}).items():
            try:
                variable = ox.Variable(name)  # pyoxigraph checks the name is a SPARQL VARNAME
            except ValueError:
                raise QueryError(f"{where}invalid variable name for a binding: {name!r}") from None
            try:
                substitutions[variable] = to_oxigraph(term)
            except ValueError as error:
                raise QueryError(f"{where}invalid value for ?{name}: {error}") from error
        try:
            with guard.sandbox():  # with a timeout (relgraph.limits)
                answer = self._run(sparql, substitutions, isolate)
            return QueryResult.from_answer(answer)
        except SyntaxError as error:
            raise QueryError(_query_syntax_message(error, source, sparql)) from error
        except QueryTimeoutError:
            raise
        except QueryError as error:  # nested too deeply for the parser (limits.check_nesting)
            raise QueryError(f"{where}{error.message}") from None
        except (RuntimeError, OSError, ValueError) as error:
            not_projected = _NOT_PROJECTED.search(str(error))
            if not_projected:
                name = not_projected.group(1)
                raise QueryError(
                    f"{where}?{name} is bound as a parameter, so it must be in the SELECT projection "
                    f"(SELECT ?{name} ... or SELECT *)"
                ) from error
            raise QueryError(f"{where}query failed: {one_line(str(error))}") from error

    def _run(self, sparql: str, substitutions: Substitutions, isolate: bool | None) -> Answer:
        """Run the query with its parameters as a ``VALUES`` block and as substitutions.

        A query the block cannot go into (no WHERE group, or a ``BIND`` to a bound variable in
        the outermost group) runs with the substitutions alone, and so do its syntax errors, whose
        line and column are then those of the text given.
        """
        if substitutions:
            bound = {variable.value: term for variable, term in substitutions.items()}
            try:
                text = with_values(sparql, bound)
            except ValueError:
                pass  # no WHERE group, or a blank node: substitution alone
            else:
                try:
                    return run_query(self._store, text, substitutions, isolate=isolate)
                except SyntaxError:
                    pass  # report (or run) the text as given
        return run_query(self._store, sparql, substitutions, isolate=isolate)

    def quads(self) -> Iterator[ox.Quad]:
        """Iterate over the stored pyoxigraph quads (all in the default graph), in no set order.

        >>> ratner = ox.Literal("Ely Ratner", language="en")
        >>> [str(q.predicate) for q in load_default_graph().quads() if q.object == ratner]
        ['<http://www.w3.org/2000/01/rdf-schema#label>']
        """
        return iter(self._store.quads_for_pattern(None, None, None, None))

    def triples(self) -> Iterator[tuple[RdfTerm, RdfTerm, RdfTerm]]:
        """Iterate over the triples as rdflib terms, in no set order.

        >>> list(KnowledgeGraph().triples())
        []
        """
        for quad in self.quads():
            yield triple_to_rdflib(quad)

    def to_rdflib(self) -> rdflib.Graph:
        """Return a copy of the graph as an :class:`rdflib.Graph` with :data:`PREFIXES` bound.

        >>> len(KnowledgeGraph().to_rdflib())
        0
        """
        import rdflib

        graph = rdflib.Graph(bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        for quad in self.quads():
            graph.add(quad_to_rdflib(quad)[:3])
        return graph


def load_default_graph(
    extra_files: Iterable[Path | str] | Path | str = (), *, data_only: bool = False
) -> KnowledgeGraph:
    """Load the shipped ontology and data; the same as :meth:`KnowledgeGraph.default`.

    :param extra_files: more RDF files to load into the same graph (or one file).
    :param data_only: leave out the ontology.
    :raises ConfigurationError: if a shipped file is missing or invalid.
    :raises InputError: if one of ``extra_files`` is missing or invalid.
    :raises UsageError: if ``extra_files`` is not a path or a list of them.

    >>> kg = load_default_graph()
    >>> officials = kg.query(  # the officials in a role at the seventh 2+2 Intersessional Dialogue
    ...     "PREFIX rg: <https://w3id.org/relgraph/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#> "
    ...     "SELECT ?who WHERE { <https://w3id.org/relgraph/id/us-india-2plus2-intersessional-07> "
    ...     "prov:qualifiedAssociation/prov:agent ?who . ?who a rg:Official } ORDER BY ?who")
    >>> [str(row[0]).rsplit("/", 1)[1] for row in officials.rows]
    ['donald-lu', 'ely-ratner', 'john-supple', 'vani-rao', 'vishwesh-negi']
    >>> len(load_default_graph(data_only=True)) < len(kg)
    True
    >>> load_default_graph(["missing.ttl"])
    Traceback (most recent call last):
    ...
    relgraph.errors.InputError: missing.ttl: no such file
    """
    return KnowledgeGraph.default(extra_files, data_only=data_only)


def _parse_file(path: Path, staging: ox.Store | None = None) -> tuple[list[ox.Quad], int]:
    """Parse ``path``: Turtle and N-Triples into ``staging`` if given, else into a list of quads.

    :returns: the quads parsed in Python, and the number of bytes loaded into ``staging``.
    """
    file_format = rdf_format(path)
    limits = Limits.from_env()
    data = read_checked(path, limits)
    if file_format == ox.RdfFormat.RDF_XML:
        guard.check_xml(path, data, limits.max_depth)
    check_depth(path, data, file_format, limits)
    if file_format == ox.RdfFormat.JSON_LD:
        check_jsonld(path, data)  # what it would drop without a word
    if staging is not None and file_format in _RUST_FORMATS:
        _load_into(path, data, file_format, staging, limits)
        return [], len(data)
    default_graph = ox.DefaultGraph()
    quads: list[ox.Quad] = []
    try:
        base = base_iri(file_format)
        parsed: Iterable[ox.Quad] = ox.parse(data, file_format, rename_blank_nodes=True, base_iri=base)
        if file_format == ox.RdfFormat.JSON_LD:
            parsed = complete_jsonld(path, parsed)
        for quad in parsed:
            if isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple):
                raise InputError(f"{path}: RDF 1.2 triple terms are not supported")
            if isinstance(quad.object, ox.Literal) and quad.object.direction is not None:
                raise base_direction_error(path, quad.object)
            quads.append(ox.Quad(quad.subject, quad.predicate, quad.object, default_graph))
    except SyntaxError as error:
        raise InputError(file_syntax_message(path, error)) from error
    except MemoryError as error:
        raise token_too_long(path, error) from None
    except ValueError as error:
        raise InputError(f"{path}: {one_line(str(error))}") from error
    check_literals(path, data, quads, limits)
    return quads, 0


def _load_into(path: Path, data: bytes, rdf_format: ox.RdfFormat, staging: ox.Store, limits: Limits) -> None:
    """Load Turtle or N-Triples into ``staging`` in Rust (one transaction; blank nodes renamed).

    The staged triples are then scanned for RDF 1.2 triple terms and literals over the limit, but
    only if the bytes could hold one: ``<<``, or a line longer than the limit (or a long string).
    """
    try:
        if progress.enabled():  # a bar on a terminal, if the load takes more than a second
            with progress.progress(len(data), f"loading {path.name}") as update:
                staging.load(cast(IO[bytes], progress.CountingReader(io.BytesIO(data), update)), rdf_format)
        else:
            staging.load(data, rdf_format)
    except SyntaxError as error:
        raise InputError(file_syntax_message(path, error)) from error
    except MemoryError as error:
        raise token_too_long(path, error) from None
    except (ValueError, OSError) as error:
        raise InputError(f"{path}: {one_line(str(error))}") from error
    if _DIRECTION_MARK.search(data):  # a base direction ("x"@ar--rtl), maybe: each literal is looked at
        for quad in staging.quads_for_pattern(None, None, None):
            if isinstance(quad.object, ox.Literal) and quad.object.direction is not None:
                raise base_direction_error(path, quad.object)
    if b"<<" not in data and not _may_hold_long_literal(data, rdf_format, limits.max_literal_chars):
        return
    check = (
        "SELECT ?s ?p ?limit (isTRIPLE(?s) || isTRIPLE(?o) AS ?triple) (STRLEN(STR(?o)) AS ?length) "
        "WHERE { ?s ?p ?o "
        "FILTER(isTRIPLE(?s) || isTRIPLE(?o) || (isLiteral(?o) && STRLEN(?o) > ?limit)) } LIMIT 1"
    )
    limit = ox.Literal(str(limits.max_literal_chars), datatype=_XSD_INTEGER)
    answer = staging.query(check, substitutions={ox.Variable("limit"): limit})
    assert isinstance(answer, ox.QuerySolutions)
    for found in answer:
        if found["triple"] == _TRUE:
            raise InputError(f"{path}: RDF 1.2 triple terms are not supported")
        length = found["length"]
        raise literal_too_long(path, found["s"], found["p"], length.value if length else "?", limits)


# RDF 1.2 base directions have no rdflib equivalent: results and exports failed on them, or lost them
_DIRECTION_MARK = re.compile(rb"--(?:[lL][tT][rR]|[rR][tT][lL])")


def _may_hold_long_literal(data: bytes, rdf_format: ox.RdfFormat, limit: int) -> bool:
    r"""Tell whether ``data`` could hold a literal of more than ``limit`` characters.

    Such a literal takes more than ``limit`` bytes on one line, unless it is a Turtle long string
    (which may span lines). Lines are checked by jumping ``limit`` bytes at a time, so a big file
    costs a few searches, not one per line.

    >>> _may_hold_long_literal(b'<a> <b> "xxxx" .\n' * 3, ox.RdfFormat.N_TRIPLES, 10)
    True
    >>> _may_hold_long_literal(b'<a> <b> "x" .\n' * 3, ox.RdfFormat.N_TRIPLES, 20)
    False
    """
    if len(data) <= limit:
        return False
    if rdf_format == ox.RdfFormat.TURTLE and (b'"""' in data or b"'''" in data):
        return True
    start = 0
    while len(data) - start > limit:
        newline = data.rfind(b"\n", start, start + limit + 1)
        if newline < 0:
            return True  # more than ``limit`` bytes without a line break
        start = newline + 1
    return False


def _offset(text: str, line: int, column: int) -> int:
    """Return the offset in ``text`` of a 1-based line and column (lines end at line feeds)."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:  # fewer lines than that
            return len(text)
    return start + column - 1


def _query_syntax_message(error: SyntaxError, source: str | None, sparql: str, lines_before: int = 0) -> str:
    """Return the one-line message of a SPARQL syntax error, with its line and column.

    A prefix used but not declared, where it comes before the error, is named with the declaration
    to add: Oxigraph's message lists the grammar's alternatives (``expected one of Prefix not found,
    ['%'], ['-' | '0' ..= '9' | ...``), or does not mention the prefix at all. ``lines_before`` lines
    put before the text the user wrote (a shape's ``PREFIX`` declarations) are not counted.
    """
    text = str(error.msg) if error.msg else str(error)
    match = _QUERY_LOCATION.match(text)
    if match is None:
        where = f"{source}: " if source else ""
        return f"{where}SPARQL syntax error: {one_line(text)}"
    line, column, message = match.groups()
    undeclared = undeclared_prefix(sparql)
    if undeclared is not None and undeclared[1] < _offset(sparql, int(line), int(column)):
        prefix, offset = undeclared
        line = str(sparql.count("\n", 0, offset) + 1)
        column = str(offset - sparql.rfind("\n", 0, offset))
        namespace = PREFIXES.get(prefix, "...")
        message = f"the prefix {prefix}: is not declared: add PREFIX {prefix}: <{namespace}> before the query"
    elif len(message) > _LONGEST_EXPECTED:  # the grammar's alternatives, Unicode ranges and all
        message = message[:_LONGEST_EXPECTED].rsplit(", ", 1)[0] + ", ..."
    line = str(max(1, int(line) - lines_before))
    if source:
        return f"{source}:{line}:{column}: SPARQL syntax error: {one_line(message)}"
    return f"SPARQL syntax error at line {line}, column {column}: {one_line(message)}"
