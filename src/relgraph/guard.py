"""No fetching unless allowed: the one place that keeps relgraph off the network and out of other files.

Two layers:

* **Inspection before execution.** SPARQL is checked by :mod:`relgraph.safety` (no ``SERVICE``,
  ``FROM``/``FROM NAMED``, ``LOAD`` or other updates); RDF/XML by :func:`check_xml` (no ``DOCTYPE``
  external entities, no entity that refers to another entity, so no expansion bomb; bounded depth);
  SHACL shapes by :func:`check_shapes` (no ``sh:js``, no SPARQL constraint that fails the query check).
  ``owl:imports`` are never followed unless :func:`allow_imports` says so (``--allow-imports``), and
  then only to local files.
* **An audit hook** (:func:`sys.addaudithook`) active while relgraph loads, validates or queries
  (:func:`sandbox`): it refuses socket connects, DNS look-ups, ``urllib``/``http.client`` requests
  and subprocesses, and file opens outside the files named, the installed packages and relgraph's
  own resources. A remote-endpoint command may allow one host with :func:`allow_network`.

The hook is installed once and costs one context-variable read per audited event when no sandbox is
active. It refuses by raising :class:`FetchRefusedError`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from relgraph.errors import ConfigurationError, InputError, QueryError, RelgraphError

__all__ = [
    "FetchRefusedError",
    "allow_imports",
    "allow_network",
    "check_query",
    "check_shapes",
    "check_xml",
    "declared_prefixes",
    "imports_allowed",
    "sandbox",
]

#: hosts a remote endpoint command may be allowed to reach
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# what a shapes file's sh:declare may give as its prefix: a SPARQL prefix name (PN_PREFIX, or the empty one);
# its namespace must be an IRI (relgraph.terms.iri_problem): both are written into the queries' PREFIX lines
_PREFIX_NAME = re.compile(r"(?:(?:[A-Za-z]|[^\x00-\x7f])(?:[\w.\-]|[^\x00-\x7f])*(?<!\.))?")

_NETWORK_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.sendto",
        "http.client.connect",
        "urllib.Request",
        "ftplib.connect",
        "smtplib.connect",
    }
)
_PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"})
_ALWAYS_READABLE = frozenset({os.devnull, "/proc/meminfo", "/proc/self/statm"})


class FetchRefusedError(RelgraphError):
    """relgraph refused to reach the network, start a program or open a file it was not given."""


@dataclass
class _Policy:
    files: set[str] = field(default_factory=set)
    roots: tuple[str, ...] = ()
    hosts: frozenset[str] = frozenset()


_policy: contextvars.ContextVar[_Policy | None] = contextvars.ContextVar("relgraph_guard", default=None)
_hosts: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("relgraph_hosts", default=frozenset())
_imports: contextvars.ContextVar[bool] = contextvars.ContextVar("relgraph_imports", default=False)
_installed = False


@contextlib.contextmanager
def sandbox(files: Iterable[Path | str] = ()) -> Iterator[None]:
    """Refuse network access, subprocesses and opening other files inside the ``with`` block.

    Reading the named ``files``, installed Python packages (parsers open their own data files) and
    relgraph's resources stays allowed. Sandboxes nest: an inner one adds its files.

    :param files: the files the operation may open.

    >>> import urllib.request
    >>> with sandbox():
    ...     urllib.request.urlopen("http://example.org/")
    Traceback (most recent call last):
    ...
    relgraph.guard.FetchRefusedError: refused to open the URL http://example.org/: relgraph never fetches \
over the network
    """
    _install()
    outer = _policy.get()
    allowed = {_normal(f) for f in files}
    if outer is not None:
        allowed |= outer.files
    policy = _Policy(allowed, outer.roots if outer else _roots(), _hosts.get())
    token = _policy.set(policy)
    try:
        yield
    finally:
        _policy.reset(token)


@contextlib.contextmanager
def allow_network(host: str) -> Iterator[None]:
    """Allow connections to one local host (``127.0.0.1``, ``localhost`` or ``::1``) in the block.

    For the remote-endpoint commands; every other host stays refused.

    :param host: the host.
    :raises FetchRefusedError: for a host that is not local.

    >>> with allow_network("127.0.0.1"):
    ...     pass
    >>> with allow_network("example.org"):
    ...     pass
    Traceback (most recent call last):
    ...
    relgraph.guard.FetchRefusedError: example.org: only 127.0.0.1, ::1, localhost may be reached
    """
    if host not in LOCAL_HOSTS:
        raise FetchRefusedError(f"{host}: only {', '.join(sorted(LOCAL_HOSTS))} may be reached")
    token = _hosts.set(_hosts.get() | {host})
    policy = _policy.get()
    policy_token = None
    if policy is not None:
        policy_token = _policy.set(_Policy(policy.files, policy.roots, policy.hosts | {host}))
    try:
        yield
    finally:
        if policy_token is not None:
            _policy.reset(policy_token)
        _hosts.reset(token)


@contextlib.contextmanager
def allow_imports(allowed: bool = True) -> Iterator[None]:
    """Follow ``owl:imports`` of local files inside the block (the ``--allow-imports`` option).

    :param allowed: whether to follow them.
    """
    token = _imports.set(allowed)
    try:
        yield
    finally:
        _imports.reset(token)


def imports_allowed() -> bool:
    """Return whether ``owl:imports`` are followed now (never, unless :func:`allow_imports`).

    >>> imports_allowed()
    False
    """
    return _imports.get()


def check_query(text: str) -> None:
    """Refuse SPARQL that could reach the network or change data (see :mod:`relgraph.safety`).

    :param text: the query.
    :raises QueryError: for ``SERVICE``, ``FROM``/``FROM NAMED``, ``LOAD`` or any update.

    >>> check_query("LOAD <http://example.org/data.ttl>")
    Traceback (most recent call last):
    ...
    relgraph.errors.QueryError: updates (INSERT, DELETE, LOAD, CLEAR, ...) are not allowed: relgraph only \
runs read-only queries
    """
    from relgraph.safety import check_read_only_local

    check_read_only_local(text)


def check_xml(path: Path, data: bytes, max_depth: int) -> None:
    """Check RDF/XML before pyoxigraph parses it: well-formed, no external or nested entities, not too deep.

    pyoxigraph expands entities declared in a ``DOCTYPE`` itself, without limit (a "billion laughs"
    file exhausts memory), and reports XML errors without a position. expat (no entity is fetched,
    no ``SYSTEM`` entity is read) finds the position.

    :param path: the file (for the messages).
    :param data: its bytes.
    :param max_depth: the deepest element nesting accepted.
    :raises InputError: ``file:line:column`` and what is wrong.

    >>> check_xml(Path("a.rdf"), b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 9)
    Traceback (most recent call last):
    ...
    relgraph.errors.InputError: a.rdf:1:52: external XML entity 'x' refused: relgraph never reads other files
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    depth = 0
    problem: list[str] = []

    def refuse(message: str) -> None:
        problem.append(message)
        raise _StopParsingError

    def entity(
        name: str, is_parameter: int, value: str | None, base: Any, system: Any, public: Any, *_: Any
    ) -> None:
        if system is not None or public is not None:
            refuse(f"external XML entity {name!r} refused: relgraph never reads other files")
        if is_parameter:
            refuse(f"XML parameter entity {name!r} refused")
        if value is not None and "&" in value:
            refuse(f"XML entity {name!r} refers to another entity: refused (entity expansion)")
        if value is not None and len(value) > 4096:
            refuse(f"XML entity {name!r} is longer than 4096 characters: refused")

    def start(*_: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > max_depth:
            refuse(f"nested too deeply (more than {max_depth} levels of elements)")

    def end(*_: Any) -> None:
        nonlocal depth
        depth -= 1

    def external(*_: Any) -> int:
        refuse("external XML entity refused: relgraph never reads other files")
        return 0

    parser.EntityDeclHandler = entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.ExternalEntityRefHandler = external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except _StopParsingError:
        line, column = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        raise InputError(f"{path}:{line}:{column}: {problem[0]}") from None
    except expat.ExpatError as error:
        message = expat.ErrorString(error.code)
        raise InputError(f"{path}:{error.lineno}:{error.offset + 1}: XML syntax error: {message}") from None


def check_shapes(shapes: Any, path: Path | str) -> None:
    """Refuse shapes that would run code or reach the network when validating.

    :param shapes: the shapes as an :class:`rdflib.Graph`.
    :param path: the shapes file (for the message).
    :raises ConfigurationError: for SHACL-JS (``sh:js``, ``sh:jsFunctionName``, ``sh:jsLibrary``), a
        SHACL-SPARQL query using ``SERVICE``, ``FROM``, ``LOAD`` or an update, or a prefix declaration
        (``sh:declare``) whose ``sh:prefix`` is not a prefix or whose ``sh:namespace`` is not an IRI: both
        are written into the queries' ``PREFIX`` lines, where ``x> ... SERVICE <url> ... #`` would add code.
    """
    from rdflib import SH, Literal

    from relgraph.limits import check_nesting
    from relgraph.reading import one_line
    from relgraph.terms import iri_problem

    for predicate in ("js", "jsFunctionName", "jsLibrary", "jsLibraryURL"):
        for subject in shapes.subjects(SH[predicate], None):
            raise ConfigurationError(
                f"{path}: SHACL-JavaScript (sh:{predicate} on {subject.n3()}) is refused: "
                "shapes may not run code"
            )
    for declaration in shapes.objects(None, SH.declare):
        prefixes, namespaces = (
            list(shapes.objects(declaration, SH.prefix)),
            list(shapes.objects(declaration, SH.namespace)),
        )
        if len(prefixes) != 1 or len(namespaces) != 1:  # SHACL requires one of each; which one a reader
            raise ConfigurationError(  # takes of two (one checked, one written out) was rdflib's order
                f"{path}: sh:declare must have exactly one sh:prefix and one sh:namespace "
                f"(it has {len(prefixes)} and {len(namespaces)})"
            )
        prefix, namespace = prefixes[0], namespaces[0]
        if prefix is None or _PREFIX_NAME.fullmatch(str(prefix)) is None:
            raise ConfigurationError(
                f"{path}: sh:declare with sh:prefix {one_line(repr(str(prefix)))}: not a SPARQL prefix name"
            )
        if iri_problem(str(namespace)) is not None:
            raise ConfigurationError(
                f"{path}: sh:declare of prefix {prefix}: sh:namespace {one_line(repr(str(namespace)))} "
                "is not an IRI"
            )
    for predicate in ("select", "ask", "construct", "update"):
        for subject, text in shapes.subject_objects(SH[predicate]):
            if predicate == "update":
                raise ConfigurationError(
                    f"{path}: sh:update on {subject.n3()} is refused: shapes may not change data"
                )
            if isinstance(text, Literal):
                try:
                    check_query(str(text))
                    check_nesting(str(text))  # too deep for the parser: relgraph would crash (SIGSEGV)
                except QueryError as error:
                    raise ConfigurationError(
                        f"{path}: SHACL-SPARQL sh:{predicate} on {subject.n3()}: {error.message}"
                    ) from error
                problem = _sparql_syntax_problem(shapes, subject, str(text))
                if problem is not None:  # it was a traceback when run (exit 1, as for data not conforming)
                    where = f"{path}: SHACL-SPARQL sh:{predicate} on {subject.n3()}"
                    raise ConfigurationError(f"{where} is not valid SPARQL: {problem}")


def declared_prefixes(shapes: Any, node: Any) -> str:
    """Return the ``PREFIX`` lines a shape's SPARQL ``node`` declares (its ``sh:prefixes``), as one line.

    They are what its query text is run with. Meant for shapes :func:`check_shapes` passed, whose
    declarations are a prefix name and an IRI each.

    :param shapes: the shapes graph (:class:`rdflib.Graph`).
    :param node: the SPARQL constraint, or other node with ``sh:prefixes``.

    >>> import rdflib
    >>> g = rdflib.Graph().parse(format="turtle", data='''@prefix sh: <http://www.w3.org/ns/shacl#> .
    ...     <urn:c> sh:prefixes <urn:o> .
    ...     <urn:o> sh:declare [ sh:prefix "ex" ; sh:namespace <http://ex/> ] .''')
    >>> declared_prefixes(g, rdflib.URIRef("urn:c"))
    'PREFIX ex: <http://ex/>'
    """
    from rdflib import SH

    return " ".join(
        f"PREFIX {shapes.value(declaration, SH.prefix)}: <{shapes.value(declaration, SH.namespace)}>"
        for source in shapes.objects(node, SH.prefixes)
        for declaration in shapes.objects(source, SH.declare)
    )


def _sparql_syntax_problem(shapes: Any, node: Any, text: str) -> str | None:
    """Return what is wrong with the SPARQL ``text`` of a shape's ``node``, parsed with its ``sh:prefixes``.

    Parsed by an empty store, which evaluates nothing of a SELECT, CONSTRUCT or DESCRIBE until it is
    read; an ASK it would evaluate at once (a string doubled by CONCAT took the memory), so an ASK is
    parsed as the SELECT * of the same pattern. The position is in ``text`` (line, column).
    """
    import pyoxigraph as ox

    from relgraph.store import _query_syntax_message

    prologue = declared_prefixes(shapes, node)
    ask = _ASK_FORM.match(text)
    sparql = f"{prologue}\n{text if ask is None else _as_select(ask) + text[ask.end() :]}"
    try:
        ox.Store().query(sparql)
    except SyntaxError as error:
        message = _query_syntax_message(error, None, sparql, lines_before=1)
        message = message.removeprefix("SPARQL syntax error ")
        located = _LOCATED.match(message)
        if ask is not None and located is not None:  # after "SELECT *" on the line of the ASK: 5 less
            line, column = int(located.group(1)), int(located.group(2))
            start = ask.end(1)
            ask_column = start - text.rfind("\n", 0, start)
            if line == text.count("\n", 0, start) + 1 and column >= ask_column + 8:
                message = f"at line {line}, column {column - 5}{message[located.end() :]}"
        return message
    return None


_LOCATED = re.compile(r"at line (\d+), column (\d+)")


#: a query's prologue (comments, PREFIX and BASE declarations), then ASK
_ASK_FORM = re.compile(
    r"^((?:\s+|#[^\n]*(?:\n|$)|PREFIX\s*[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)*)ASK(?![\w])", re.IGNORECASE
)


def _as_select(match: re.Match[str]) -> str:
    return f"{match.group(1)}SELECT *"


class _StopParsingError(Exception):
    pass


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def _hook(event: str, args: tuple[Any, ...]) -> None:
    policy = _policy.get()
    if policy is None:
        return
    if event == "open":
        _check_open(policy, args)
    elif event in _NETWORK_EVENTS:
        _check_network(policy, event, args)
    elif event in _PROCESS_EVENTS:
        raise FetchRefusedError(f"refused to start a program ({event}): relgraph runs no other programs")


def _check_open(policy: _Policy, args: tuple[Any, ...]) -> None:
    target = args[0] if args else None
    if isinstance(target, int) or target is None:
        return
    try:
        path = os.path.abspath(os.fsdecode(target))  # noqa: PTH100 - cheap, no system call
    except (TypeError, ValueError):
        return
    if path in policy.files or path in _ALWAYS_READABLE or path.startswith(policy.roots):
        return
    real = os.path.realpath(path)
    if real in policy.files or real.startswith(policy.roots):
        return
    raise FetchRefusedError(f"refused to open {path}: relgraph only reads the files it is given")


def _check_network(policy: _Policy, event: str, args: tuple[Any, ...]) -> None:
    host: Any = None
    if event == "socket.connect" and len(args) > 1:
        address = args[1]
        host = address[0] if isinstance(address, tuple) and address else address
    elif event in {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"} and args:
        host = args[0]
    elif event in {"http.client.connect", "ftplib.connect", "smtplib.connect"} and len(args) > 1:
        host = args[1]
    elif event == "socket.sendto" and len(args) > 1:
        address = args[1]
        host = address[0] if isinstance(address, tuple) and address else address
    elif event == "urllib.Request" and args:
        from urllib.parse import urlsplit

        url = str(args[0])
        parts = urlsplit(url)
        if parts.scheme in {"http", "https"} and parts.hostname in policy.hosts:
            return
        raise FetchRefusedError(f"refused to open the URL {url}: relgraph never fetches over the network")
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if isinstance(host, str) and host in policy.hosts:
        return
    raise FetchRefusedError(f"refused to reach {host}: relgraph never uses the network here")


@functools.lru_cache(maxsize=1)
def _roots() -> tuple[str, ...]:
    """Folders the code may always read from: installed packages, the standard library, relgraph's data."""
    from relgraph import resources

    candidates: list[str] = [p for p in sys.path if p]
    candidates += [sys.prefix, sys.base_prefix, sys.exec_prefix]
    candidates += [v for v in sysconfig.get_paths().values() if v]
    candidates.append(str(resources.resource_root() / "ontology"))
    candidates.append(str(resources.resource_root() / "queries"))
    candidates.append(str(Path(__file__).resolve().parent))
    roots: set[str] = set()
    for candidate in candidates:
        for form in (os.path.abspath(candidate), os.path.realpath(candidate)):  # noqa: PTH100
            if form != os.sep and Path(form).is_dir():
                roots.add(form.rstrip(os.sep) + os.sep)
    roots.discard(tempfile.gettempdir().rstrip(os.sep) + os.sep)
    return tuple(sorted(roots))


def _normal(path: Path | str) -> str:
    return os.path.abspath(os.fspath(path))  # noqa: PTH100 - the hook compares these strings
