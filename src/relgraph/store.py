"""The knowledge graph: an RDF store that loads files and answers read-only SPARQL queries.

This is the only module that talks to the pyoxigraph ``Store``. Everything is kept in the
store's default graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from relgraph import resources
from relgraph.errors import ConfigurationError, InputError, QueryError, UsageError
from relgraph.prefixes import PREFIXES
from relgraph.safety import check_read_only_local
from relgraph.terms import RdfTerm, quad_to_rdflib, to_oxigraph, to_rdflib, triple_to_rdflib

if TYPE_CHECKING:
    import rdflib

    from relgraph.results import QueryResult

__all__ = ["FORMATS_BY_EXTENSION", "KnowledgeGraph", "default_files", "load_default_graph"]

#: file extension (lower case) -> pyoxigraph parser format
FORMATS_BY_EXTENSION: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}

_VARNAME = re.compile(r"[A-Za-z_0-9\u00b7\u00c0-\U000effff]+")
# pyoxigraph's RDF parser messages start with the location, which SyntaxError also carries
_PARSER_LOCATION = re.compile(r"^Parser error (?:at|between) [^:]*: ")
# pyoxigraph's SPARQL parser messages: "error at 3:24: expected ..."
_QUERY_LOCATION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)
# pyoxigraph refuses to substitute a variable that a SELECT does not project
_NOT_PROJECTED = re.compile(r"variable \?(\S+) in its SELECT projection")


def default_files(data_only: bool = False) -> list[Path]:
    """Return the shipped files the default graph is built from, in load order.

    They are the ontology ``relgraph.ttl`` (unless ``data_only``) and every ``*.ttl`` under the
    ``reference`` and ``readouts`` data folders, each folder sorted.

    :param data_only: leave out the ontology.

    >>> [p.name for p in default_files()][:1]
    ['relgraph.ttl']
    """
    files = [] if data_only else [resources.ontology_dir() / "relgraph.ttl"]
    for folder in ("reference", "readouts"):
        files.extend(sorted((resources.data_dir() / folder).rglob("*.ttl")))
    return files


class KnowledgeGraph:
    """An in-memory RDF graph loaded from files, queried with read-only SPARQL.

    :param path: reserved for an on-disk store; only :data:`None` (in memory) is supported now.
    :raises UsageError: if ``path`` is given.

    >>> kg = KnowledgeGraph()
    >>> len(kg), kg.files
    (0, [])
    """

    def __init__(self, path: Path | None = None) -> None:
        if path is not None:
            raise UsageError(f"{path}: on-disk stores are not supported yet")
        self._store = ox.Store()
        self.files: list[Path] = []

    @classmethod
    def default(cls, extra_files: Iterable[Path | str] = (), *, data_only: bool = False) -> KnowledgeGraph:
        """Load the shipped ontology and data (see :func:`default_files`), then ``extra_files``.

        :param extra_files: more RDF files to load into the same graph.
        :param data_only: leave out the ontology.
        :raises ConfigurationError: if a shipped file is missing or invalid.
        :raises InputError: if one of ``extra_files`` is missing or invalid.
        """
        kg = cls()
        try:
            kg.load(*default_files(data_only))
        except InputError as error:
            raise ConfigurationError(error.message) from error
        kg.load(*extra_files)
        return kg

    def __len__(self) -> int:
        """Return the number of triples."""
        return len(self._store)

    def __repr__(self) -> str:
        return f"<KnowledgeGraph {len(self)} triples from {len(self.files)} files>"

    def load(self, *paths: Path | str) -> None:
        """Parse RDF files and add their triples, all or nothing.

        The format is chosen by the file extension (``.ttl``, ``.nt``, ``.nq``, ``.trig``,
        ``.jsonld``/``.json``, ``.rdf``/``.owl``/``.xml``). Every file is parsed completely before
        anything is added, so on error the graph is left exactly as it was. Named graphs in N-Quads
        and TriG are merged into the default graph, blank nodes are kept apart between files, and
        a file already loaded is skipped. JSON-LD remote contexts are never fetched.

        :param paths: the files.
        :raises InputError: one line naming the file (and ``line:column`` for a syntax error).

        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     good = Path(tmp, "good.ttl")
        ...     _ = good.write_text("<http://ex/a> <http://ex/p> 1 .")
        ...     kg = KnowledgeGraph()
        ...     kg.load(good)
        ...     len(kg)
        1
        """
        quads: list[ox.Quad] = []
        new_files: list[Path] = []
        seen = {p.resolve() for p in self.files}
        for given in paths:
            path = Path(given)
            if path.resolve() in seen:
                continue
            quads.extend(_parse_file(path))
            new_files.append(path)
            seen.add(path.resolve())
        self._store.extend(quads)
        self.files.extend(new_files)

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, RdfTerm] | None = None,
        *,
        source: str | None = None,
    ) -> QueryResult:
        """Run a read-only SPARQL query on the default graph.

        Parameters are bound as RDF terms following SEP-0007 (pyoxigraph ``substitutions``),
        never pasted into the query text. pyoxigraph requires a bound variable of a ``SELECT``
        to be in its projection (``SELECT ?name ...`` or ``SELECT *``).

        :param sparql: a ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` query.
        :param bindings: variable name (without ``?``) -> rdflib term.
        :param source: where the query comes from (a file name), prefixed to error messages.
        :raises QueryError: for a syntax error, ``SERVICE``, ``FROM``, an update, or a failure.

        >>> kg = KnowledgeGraph()
        >>> kg.query("ASK { ?s ?p ?o }").boolean
        False
        """
        from relgraph.results import QueryResult

        where = f"{source}: " if source else ""
        try:
            check_read_only_local(sparql)
        except QueryError as error:
            raise QueryError(f"{where}{error.message}") from error
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {}
        for name, term in (bindings or {}).items():
            if not _VARNAME.fullmatch(name):
                raise QueryError(f"{where}invalid variable name for a binding: {name!r}")
            try:
                substitutions[ox.Variable(name)] = to_oxigraph(term)
            except ValueError as error:
                raise QueryError(f"{where}invalid value for ?{name}: {error}") from error
        try:
            answer = self._store.query(sparql, substitutions=substitutions)
            if isinstance(answer, ox.QueryBoolean):
                return QueryResult(kind="ask", boolean=bool(answer))
            if isinstance(answer, ox.QuerySolutions):
                variables = [v.value for v in answer.variables]
                rows = [
                    tuple(None if value is None else _result_term(value) for value in solution)
                    for solution in answer
                ]
                return QueryResult(kind="select", variables=variables, rows=rows)
            return QueryResult(kind="graph", triples=[triple_to_rdflib(t) for t in answer])
        except SyntaxError as error:
            raise QueryError(_query_syntax_message(error, source)) from error
        except (RuntimeError, OSError, ValueError) as error:
            not_projected = _NOT_PROJECTED.search(str(error))
            if not_projected:
                name = not_projected.group(1)
                raise QueryError(
                    f"{where}?{name} is bound as a parameter, so it must be in the SELECT projection "
                    f"(SELECT ?{name} ... or SELECT *)"
                ) from error
            raise QueryError(f"{where}query failed: {_one_line(str(error))}") from error

    def quads(self) -> Iterator[ox.Quad]:
        """Iterate over the stored pyoxigraph quads (all in the default graph), in no set order."""
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


def load_default_graph(extra_files: Iterable[Path | str] = (), *, data_only: bool = False) -> KnowledgeGraph:
    """Load the shipped ontology and data; the same as :meth:`KnowledgeGraph.default`.

    :param extra_files: more RDF files to load into the same graph.
    :param data_only: leave out the ontology.
    :raises ConfigurationError: if a shipped file is missing or invalid.
    :raises InputError: if one of ``extra_files`` is missing or invalid.
    """
    return KnowledgeGraph.default(extra_files, data_only=data_only)


def _parse_file(path: Path) -> list[ox.Quad]:
    rdf_format = FORMATS_BY_EXTENSION.get(path.suffix.lower())
    if rdf_format is None:
        known = ", ".join(sorted(FORMATS_BY_EXTENSION))
        raise InputError(f"{path}: unknown RDF file extension {path.suffix!r} (known: {known})")
    data = _read_utf8(path)
    default_graph = ox.DefaultGraph()
    quads: list[ox.Quad] = []
    try:
        for quad in ox.parse(data, rdf_format, rename_blank_nodes=True):
            if isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple):
                raise InputError(f"{path}: RDF 1.2 triple terms are not supported")
            quads.append(ox.Quad(quad.subject, quad.predicate, quad.object, default_graph))
    except SyntaxError as error:
        raise InputError(_file_syntax_message(path, error)) from error
    except ValueError as error:
        raise InputError(f"{path}: {_one_line(str(error))}") from error
    return quads


def _read_utf8(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an RDF file") from None
    except PermissionError:
        raise InputError(f"{path}: cannot read the file: permission denied") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte order mark is not part of the RDF text
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        byte = data[error.start : error.start + 1].hex()
        raise InputError(f"{path}:{line}:{column}: not UTF-8 text (byte 0x{byte})") from None
    return data


def _file_syntax_message(path: Path, error: SyntaxError) -> str:
    message = _one_line(_PARSER_LOCATION.sub("", str(error.msg)))
    if "LoadDocumentCallback" in message:
        message = "remote JSON-LD contexts are never loaded; put the @context in the file"
    if error.lineno is not None and error.offset is not None:
        return f"{path}:{error.lineno}:{error.offset}: {message}"
    if error.lineno is not None:
        return f"{path}:{error.lineno}: {message}"
    return f"{path}: {message}"


def _query_syntax_message(error: SyntaxError, source: str | None) -> str:
    text = str(error.msg) if error.msg else str(error)
    match = _QUERY_LOCATION.match(text)
    if match is None:
        where = f"{source}: " if source else ""
        return f"{where}SPARQL syntax error: {_one_line(text)}"
    line, column, message = match.groups()
    if source:
        return f"{source}:{line}:{column}: SPARQL syntax error: {_one_line(message)}"
    return f"SPARQL syntax error at line {line}, column {column}: {_one_line(message)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _result_term(value: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> RdfTerm:
    if isinstance(value, ox.Triple):
        raise ValueError("RDF 1.2 triple terms in results are not supported")
    return to_rdflib(value)
