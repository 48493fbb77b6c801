"""Limits that keep relgraph's time and memory bounded, whatever the input.

* **File size**: a file larger than :attr:`Limits.max_file_bytes`, or too large for the memory
  available, is refused before it is read, with a hint to use the on-disk store (``--store DIR``).
* **Literal size**: a literal longer than :attr:`Limits.max_literal_chars` is refused.
* **Nesting depth**: JSON-LD and RDF/XML nested deeper than :attr:`Limits.max_depth` are refused
  before parsing (pyoxigraph's parsers slow down quadratically on deep nesting).
* **Query time**: every query has a wall-clock timeout, finite by default. By default it runs on a
  thread of this process (pyoxigraph lets go of the GIL while it evaluates), and the caller gets
  :class:`QueryTimeoutError` at the timeout; pyoxigraph cannot be interrupted, so the abandoned
  evaluation goes on until the process ends (:func:`abandoned_work`; the ``relgraph`` command exits
  at once). With ``isolate=True`` or ``RELGRAPH_ISOLATE_QUERIES=1`` the query runs in a forked worker
  process instead, which is killed (``SIGKILL``, then reaped, so no orphan is left) at the timeout:
  the choice of a long-lived process, at 10 to 200 ms a query (the fork copies the page tables).

The defaults can be changed with the environment variables ``RELGRAPH_MAX_FILE_BYTES``,
``RELGRAPH_MAX_LITERAL_CHARS``, ``RELGRAPH_MAX_DEPTH`` and ``RELGRAPH_TIMEOUT`` (seconds), and the
timeout of the queries of one command with ``--timeout`` (:func:`use_timeout`).
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import math
import os
import queue
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import pyoxigraph as ox

from relgraph.errors import ExitCode, InputError, QueryError, RelgraphError, UsageError

__all__ = [
    "DEFAULT_TIMEOUT",
    "NESTING_BUDGET",
    "Answer",
    "Limits",
    "QueryTimeoutError",
    "WorkerDiedError",
    "abandoned_work",
    "check_depth",
    "check_file_size",
    "check_literals",
    "check_nesting",
    "current_timeout",
    "file_size_limit",
    "literal_too_long",
    "memory_budget",
    "read_at_most",
    "run_in_thread",
    "run_in_worker",
    "run_query",
    "use_timeout",
]

#: seconds a query may run when neither ``--timeout`` nor ``RELGRAPH_TIMEOUT`` says otherwise
DEFAULT_TIMEOUT = 60.0
#: a file of N bytes takes about this many times N of memory once loaded in the in-memory store
MEMORY_PER_FILE_BYTE = 8

_MIB = 1024 * 1024
_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar("relgraph_timeout", default=None)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}

T = TypeVar("T")
Substitutions = Mapping[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]
OxValue = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
_abandoned: set[threading.Thread] = set()


class WorkerDiedError(RelgraphError):
    """A forked worker (:func:`run_in_worker`) was killed by a signal before it answered.

    :param message: what the command says.
    :param signal: the signal's number (``SIGKILL`` for the memory limit, ``SIGSEGV`` for a crash).
    """

    def __init__(self, message: str, signal: int) -> None:
        super().__init__(message)
        self.signal = signal


class QueryTimeoutError(QueryError):
    """A query ran past its wall-clock timeout and was stopped."""

    exit_code = int(ExitCode.TIMEOUT)


@dataclass(frozen=True)
class Limits:
    """The size and depth limits of loading, and the default query timeout.

    :param max_file_bytes: the largest RDF file loaded into memory.
    :param max_literal_chars: the longest literal accepted.
    :param max_depth: the deepest nesting of JSON-LD objects/arrays and RDF/XML elements.
    :param timeout: seconds a query may run.

    >>> Limits.from_env({"RELGRAPH_MAX_DEPTH": "10"}).max_depth
    10
    """

    max_file_bytes: int = 512 * _MIB
    max_literal_chars: int = 16 * _MIB
    max_depth: int = 200
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Return the limits, with the ``RELGRAPH_*`` environment variables applied.

        :param environ: the environment (default: :data:`os.environ`).
        :raises InputError: if a variable is not a positive number.
        """
        env = os.environ if environ is None else environ
        _count(env, "RELGRAPH_MAX_MEMORY_BYTES", 1)  # refused here as the others are (see run_in_worker)
        return cls(
            max_file_bytes=_count(env, "RELGRAPH_MAX_FILE_BYTES", cls.max_file_bytes),
            max_literal_chars=_count(env, "RELGRAPH_MAX_LITERAL_CHARS", cls.max_literal_chars),
            max_depth=_count(env, "RELGRAPH_MAX_DEPTH", cls.max_depth),
            timeout=_positive(env, "RELGRAPH_TIMEOUT", cls.timeout),
        )


def check_file_size(
    path: Path,
    size: int,
    limits: Limits | None = None,
    *,
    what: str = "file",
    hint: str = "use the on-disk store (--store DIR) or raise RELGRAPH_MAX_FILE_BYTES",
) -> None:
    """Refuse a file too big to load into memory, before reading it.

    :param path: the file (for the message).
    :param size: its size in bytes.
    :param limits: the limits (default: :meth:`Limits.from_env`).
    :param what: what the file is, for the message.
    :param hint: what to do, for the message.
    :raises InputError: if it is bigger than the limit or than the memory available allows.

    >>> check_file_size(Path("small.ttl"), 10)
    >>> check_file_size(Path("big.ttl"), 2000, Limits(max_file_bytes=1000))
    Traceback (most recent call last):
    ...
    relgraph.errors.InputError: big.ttl: file too big to load into memory (2000 bytes, limit 1000 bytes); \
use the on-disk store (--store DIR) or raise RELGRAPH_MAX_FILE_BYTES
    """
    limit = file_size_limit(limits or Limits.from_env())
    if size > limit:
        raise InputError(
            f"{path}: {what} too big to load into memory ({size} bytes, limit {limit} bytes); {hint}"
        )


def file_size_limit(limits: Limits) -> int:
    """Return the size of the largest file loaded into memory: the limit, at most 1/8 of free memory.

    :param limits: the limits.

    >>> file_size_limit(Limits(max_file_bytes=1000))
    1000
    """
    available = _available_memory()
    if available is None:
        return limits.max_file_bytes
    return min(limits.max_file_bytes, available // MEMORY_PER_FILE_BYTE)


def read_at_most(stream: IO[bytes] | Any, limit: int) -> bytes:
    """Read a stream to its end, or until more than ``limit`` bytes have come, and return what was read.

    For what has no size to check before reading (a device, a pipe, standard input, a server's
    answer): the caller refuses the bytes if there are more than ``limit``. They are read a MiB at a
    time, so no more than that is held past the limit (``/dev/zero`` filled the memory).

    :param stream: a binary stream (``read(n)``).
    :param limit: the most bytes wanted.

    >>> import io
    >>> read_at_most(io.BytesIO(b"abc"), 4), len(read_at_most(io.BytesIO(b"x" * 10), 4)) > 4
    (b'abc', True)
    """
    chunks, size = [], 0
    while size <= limit and (chunk := stream.read(1 << 20)):
        size += len(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


def check_depth(path: Path, data: bytes, rdf_format: ox.RdfFormat, limits: Limits | None = None) -> None:
    """Refuse JSON-LD nested deeper than the limit (RDF/XML is checked by :func:`guard.check_xml`).

    :param path: the file (for the message).
    :param data: its bytes.
    :param rdf_format: its format; only JSON-LD is checked here.
    :param limits: the limits (default: :meth:`Limits.from_env`).
    :raises InputError: naming the file, the line and the depth.

    >>> check_depth(Path("a.jsonld"), b'{"a": [[1]]}', ox.RdfFormat.JSON_LD, Limits(max_depth=3))
    >>> check_depth(Path("a.jsonld"), b'{"a": [[[1]]]}', ox.RdfFormat.JSON_LD, Limits(max_depth=3))
    Traceback (most recent call last):
    ...
    relgraph.errors.InputError: a.jsonld:1: nested too deeply (more than 3 levels of objects and arrays)
    """
    if rdf_format != ox.RdfFormat.JSON_LD:
        return
    limits = limits or Limits.from_env()
    if data.count(b"[") + data.count(b"{") <= limits.max_depth:
        return
    # blank out strings (keeping their length, so offsets stay right), then follow the brackets
    blanked = _JSON_STRING.sub(lambda m: b" " * len(m.group()), data)
    brackets = [(m.start(), _BRACKET_STEP[blanked[m.start()]]) for m in re.finditer(rb"[\[\]{}]", blanked)]
    depths = itertools.accumulate(step for _, step in brackets)
    for (offset, _), depth in zip(brackets, depths, strict=True):
        if depth > limits.max_depth:
            line = data.count(b"\n", 0, offset) + 1
            raise InputError(
                f"{path}:{line}: nested too deeply "
                f"(more than {limits.max_depth} levels of objects and arrays)"
            )


def check_literals(path: Path, data: bytes, quads: Iterable[ox.Quad], limits: Limits | None = None) -> None:
    """Refuse a literal longer than the limit.

    :param path: the file (for the message).
    :param data: its bytes (a file shorter than the limit cannot hold a longer literal).
    :param quads: the quads parsed from it.
    :param limits: the limits (default: :meth:`Limits.from_env`).
    :raises InputError: naming the file and the subject of the literal.
    """
    limits = limits or Limits.from_env()
    if len(data) <= limits.max_literal_chars:
        return
    for quad in quads:
        value = quad.object
        if isinstance(value, ox.Literal) and len(value.value) > limits.max_literal_chars:
            raise literal_too_long(path, quad.subject, quad.predicate, len(value.value), limits)


def literal_too_long(
    path: Path, subject: object, predicate: object, length: object, limits: Limits
) -> InputError:
    """Return the error refusing a literal longer than the limit.

    :param path: the file.
    :param subject: the subject of the literal's triple.
    :param predicate: its predicate.
    :param length: the literal's length in characters.
    :param limits: the limits.

    >>> str(literal_too_long(Path("a.ttl"), "<s>", "<p>", 9, Limits(max_literal_chars=5)))
    'a.ttl: a literal of <s> <p> is 9 characters long (limit 5; raise RELGRAPH_MAX_LITERAL_CHARS)'
    """
    return InputError(
        f"{path}: a literal of {subject} {predicate} is {length} characters "
        f"long (limit {limits.max_literal_chars}; raise RELGRAPH_MAX_LITERAL_CHARS)"
    )


def current_timeout() -> float:
    """Return the timeout of queries now: set by :func:`use_timeout`, else ``RELGRAPH_TIMEOUT``, else 60 s.

    >>> with use_timeout(5):
    ...     current_timeout()
    5.0
    """
    value = _timeout.get()  # below: only the one variable (this runs before every query)
    return _positive(os.environ, "RELGRAPH_TIMEOUT", Limits.timeout) if value is None else value


@contextlib.contextmanager
def use_timeout(seconds: float | None) -> Iterator[None]:
    """Run the queries inside the ``with`` block with this timeout (``None``: the default).

    :param seconds: the wall-clock limit of each query.
    :raises UsageError: if ``seconds`` is not positive.
    """
    if seconds is not None and not (seconds > 0 and math.isfinite(seconds)):
        raise UsageError(f"--timeout {seconds:g}: must be a positive number of seconds")
    token = _timeout.set(None if seconds is None else float(seconds))
    try:
        yield
    finally:
        _timeout.reset(token)


@dataclass
class Answer:
    """The answer of a query, as pyoxigraph terms.

    :param kind: ``"select"``, ``"ask"`` or ``"graph"`` (CONSTRUCT and DESCRIBE).
    :param variables: the SELECT variables, without ``?``.
    :param rows: one :class:`pyoxigraph.QuerySolution` (or tuple) per solution; :data:`None` is unbound.
    :param boolean: the ASK answer.
    :param triples: the CONSTRUCT/DESCRIBE triples.
    """

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: Sequence[Sequence[OxValue | None]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)


# Oxigraph's SPARQL parser is recursive, and so is its planner: a query nested thousands deep, or a long chain
# of an operator, overflows its thread's stack and the process dies (SIGSEGV in relgraph, SIGABRT in an
# Oxigraph server): at 8 MiB, about 3,000 braces, 6,000 parentheses or 12,000 "!"; at 2 MiB, 700 braces (in
# the parser), 2,000 "+" terms, 2,000 UNIONs or 3,000 triple patterns (in the planner). A text that could
# not nest deeper than the budget (sparql_tokens.nesting_bound) is run as it is; a text that could is first
# parsed and planned, and not run, in a forked worker, on a thread of _PROBE_STACK, where an overflow kills
# the worker only. 2 MiB is the least a thread that runs a query gets: glibc's threads when the stack limit
# is unlimited (8 MiB otherwise), Rust's threads (the Oxigraph server's).
NESTING_BUDGET = 400
_PROBE_STACK = 2 * _MIB
_PROBE_SECONDS = 5.0
#: the data memory the check may take in its worker beyond what it has when forked (RLIMIT_DATA): parsing
#: and planning a query of 100 kB take a few MiB (a worker that ran the query took 1 GB for a string doubled
#: by CONCAT); Oxigraph's planner computes constant expressions, which this bounds too
_PROBE_MEMORY = 256 * _MIB
#: workers checking at once (more wait for one to end, within the time of their own check): with the memory
#: of each, what relgraph serve's 32 clients can make its checks take
_PROBES = threading.BoundedSemaphore(4)
_TOO_DEEP = (
    "the query nests too deeply for Oxigraph's parser, which would overflow its stack and crash; "
    "write it with fewer nested groups, brackets or chained operators (IN for long || chains)"
)
# spaces and comments, and the prologue, as Oxigraph's parser reads them: keywords in any ASCII case, no
# space needed after one, an IRI to the first ">", a prefix name to the first ":" (wider than the grammar's)
_SPACE = r"(?:[ \t\n\r]++|\#[^\r\n]*+)*+"
_DECLARATION = rf"(?i:BASE){_SPACE}<[^>]*+>|(?i:PREFIX){_SPACE}[^ \t\n\r#:<>]*+:{_SPACE}<[^>]*+>"
_PROLOGUE = re.compile(rf"{_SPACE}(?:(?:{_DECLARATION}){_SPACE})*+", re.ASCII)


def check_nesting(sparql: str, *, updates: str | None = None) -> None:
    """Refuse SPARQL nested too deeply for Oxigraph's recursive parser and planner, which crash on it.

    A text that could nest deeper than :data:`NESTING_BUDGET` levels (:func:`sparql_tokens.nesting_bound`)
    is parsed and planned, and not run, in a forked worker (:func:`_parse_on_a_small_stack`), with
    :data:`_PROBE_MEMORY` bytes of memory and the timeout (at most :data:`_PROBE_SECONDS`), at most
    :data:`_PROBES` at once. Only a worker that overflowed its stack (SIGSEGV) says the text is too deep;
    a check that could not end, for its memory or its time, refuses the text too, saying so.

    :param sparql: a query or an update.
    :param updates: the folder of an empty Oxigraph store, for a text that is not a query and may be run
        as an update (``relgraph serve``'s front has one): it is parsed as one on the store, opened read-only
        here (a store opened in a forked worker hung it); None: such a text is left to the real run.
    :raises QueryError: if parsing or planning it overflows a thread's stack of 2 MiB, or takes more memory
        than the check allows, or its worker is killed otherwise.
    :raises QueryTimeoutError: if the check (with the wait for a worker) runs past the timeout.
    :raises RelgraphError: if the worker fails otherwise (this pyoxigraph evaluated what it was to plan), or
        the store of ``updates`` cannot be opened.

    >>> check_nesting("ASK { " + "{" * 450 + "}" * 450 + " }")  # deeper than the budget: parsed aside
    >>> check_nesting("ASK { " + "{" * 5000 + "}" * 5000 + " }")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.errors.QueryError: the query nests too deeply for Oxigraph's parser, which would overflow ...
    """
    from relgraph.sparql_tokens import nesting_bound

    if nesting_bound(sparql) <= NESTING_BUDGET:
        return
    seconds = min(current_timeout(), _PROBE_SECONDS)
    started = time.monotonic()
    if not _PROBES.acquire(timeout=seconds):
        raise QueryTimeoutError(
            f"the query was not run: it could nest deeper than {NESTING_BUDGET} levels, and no check of its "
            f"nesting could start within {seconds:g} s (too many are running); try again"
        )
    try:
        try:
            store = None if updates is None else ox.Store.read_only(updates)
        except (OSError, RuntimeError) as error:
            raise RelgraphError(f"the check of the query's nesting cannot open its store: {error}") from None
        run_in_worker(
            lambda: _parse_on_a_small_stack(sparql, store),
            max(0.0, seconds - (time.monotonic() - started)),
            "the check of the query's nesting",
        )
    except QueryTimeoutError:
        raise QueryTimeoutError(  # not a pass: the query, run, would be parsed and planned as long
            f"the query was not run: it could nest deeper than {NESTING_BUDGET} levels, and parsing and "
            f"planning it to check took more than {seconds:g} s; make it smaller or less nested"
        ) from None
    except WorkerDiedError as error:
        if error.signal == signal.SIGSEGV:  # the parser or the planner overflowed its stack
            raise QueryError(_TOO_DEEP) from None
        raise QueryError(
            f"the query was not run: it could nest deeper than {NESTING_BUDGET} levels, and the worker that "
            f"parsed and planned it to check was {_signal_name(error.signal)} (Oxigraph aborts when it needs "
            f"more memory than the {_PROBE_MEMORY // _MIB} MiB the check allows); "
            "make it smaller or less nested"
        ) from None
    finally:
        _PROBES.release()


def _parse_on_a_small_stack(sparql: str, updates: ox.Store | None) -> None:
    """Parse and plan ``sparql`` as a query, else parse it as an update, on a thread of :data:`_PROBE_STACK`.

    Meant for a forked worker (:func:`run_in_worker`), whose data memory it caps at :data:`_PROBE_MEMORY`
    more than it has. Nothing is run: pyoxigraph parses and plans a ``SELECT``, ``CONSTRUCT`` or
    ``DESCRIBE`` query when it is given one, and evaluates it as its answer is read, which it is not; an
    ``ASK`` query, which it evaluates at once, is given as the ``SELECT`` of a constant (a worker that ran
    the ``ASK`` took 1 GB for a string doubled by ``CONCAT``). Planning may compute the query's constant
    expressions: the memory and time of the check bound them. An update is given to a read-only store,
    which parses it, then refuses to begin the transaction it would be planned and run in (before it
    reads the store). A syntax error ends the check: the real run reports it.

    :param sparql: a query or an update.
    :param updates: a read-only store to parse a text that is no query on, as an update; None: a query only.
    :raises RelgraphError: if pyoxigraph evaluated the text (it answered an ``ASK``, or ran an update).
    """
    _cap_data_memory(_PROBE_MEMORY)
    outcome: list[BaseException] = []

    def parse() -> None:
        try:
            _parse_and_plan(sparql, updates)
        except BaseException as error:  # handed to the worker's thread, raised there
            outcome.append(error)

    threading.stack_size(_PROBE_STACK)
    thread = threading.Thread(target=parse)
    thread.start()
    thread.join()
    if outcome:
        raise outcome[0]


def _parse_and_plan(sparql: str, updates: ox.Store | None) -> None:
    """Parse and plan ``sparql`` as :func:`_parse_on_a_small_stack` says, on the calling thread."""
    ran = RelgraphError(f"the check of the query's nesting ran it (pyoxigraph {ox.__version__}): report it")
    try:
        planned = ox.Store().query(_as_planned(sparql))  # parsed and planned, not evaluated
    except SyntaxError:
        if updates is None:
            return  # for the real run to report
    except Exception:
        return  # any other error is for the real run to report
    else:
        if isinstance(planned, ox.QueryBoolean):  # an ASK evaluated: the prologue was misread
            raise ran
        del planned  # on this thread, which made it
        return
    try:
        updates.update(sparql)
    except RuntimeError:
        return  # parsed, then no transaction on a read-only store
    except Exception:
        return  # a syntax error: for the real run to report
    raise ran


def _as_planned(sparql: str) -> str:
    r"""Return the query as pyoxigraph plans it, not running it: an ``ASK`` as the ``SELECT`` of a constant.

    The form is found after the prologue as Oxigraph's parser reads it (:data:`_PROLOGUE`), so ``ASKWHERE``
    is an ``ASK``; the variable of the constant is new (a query that binds it would not be planned).

    >>> _as_planned("PREFIX ask: <http://ex/> # ASK\nask{ ?s ask:p ?o } GROUP BY ?s").startswith(
    ...     "PREFIX ask: <http://ex/> # ASK\nSELECT (1 AS ?relgraph_")
    True
    >>> _as_planned("SELECT * { { ASK } }")
    'SELECT * { { ASK } }'
    """
    import secrets

    start = _PROLOGUE.match(sparql).end()  # type: ignore[union-attr]
    form = sparql[start : start + 3]
    if not (form.isascii() and form.lower() == "ask"):
        return sparql
    return f"{sparql[:start]}SELECT (1 AS ?relgraph_{secrets.token_hex(8)}){sparql[start + 3 :]}"


def _cap_data_memory(extra: int) -> None:
    """Let this process take at most ``extra`` bytes of data more than it has (``RLIMIT_DATA``; Linux).

    What it has is read from ``/proc/self/statm`` (its data and stack), which a sandbox of
    :mod:`relgraph.guard` lets it read.
    """
    import resource

    data = _statm_bytes(5)  # data and stack
    if data is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = data + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _signal_name(number: int) -> str:
    """Return how a process ended by signal ``number`` is described: ``killed by SIGABRT``."""
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"


def run_query(
    store: ox.Store,
    sparql: str,
    substitutions: Substitutions | None = None,
    timeout: float | None = None,
    *,
    isolate: bool | None = None,
) -> Answer:
    """Run a query with a wall-clock timeout and return its whole answer.

    pyoxigraph cannot be interrupted while it evaluates a query (signals wait until it returns).
    By default the query runs on a thread (:func:`run_in_thread`): the caller gets control back at
    the timeout, the evaluation goes on until it ends or the process does. With ``isolate`` it runs
    in a forked worker process (:func:`run_in_worker`) that is killed at the timeout, and sends back
    the answer serialized (SPARQL JSON results, or N-Triples for a graph).

    :param store: the store.
    :param sparql: the query (already checked to be read-only and local).
    :param substitutions: SEP-0007 bindings.
    :param timeout: seconds (default: :func:`current_timeout`).
    :param isolate: run in a forked worker (default: ``RELGRAPH_ISOLATE_QUERIES`` is ``1``).
    :raises QueryTimeoutError: if the query ran too long.
    :raises SyntaxError: and the other errors of :meth:`pyoxigraph.Store.query`.

    >>> store = ox.Store()
    >>> run_query(store, "ASK { }").boolean
    True
    >>> [list(row) for row in run_query(store, "SELECT ?x { VALUES ?x { 1 } }", isolate=True).rows]
    [[<Literal value=1 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>]]
    """
    check_nesting(sparql)
    bound = dict(substitutions or {})
    if isolate is None:
        isolate = os.environ.get("RELGRAPH_ISOLATE_QUERIES", "").strip() == "1"
    if not isolate:
        return run_in_thread(lambda: _evaluate(store, sparql, bound), timeout, "query", share_cpu=True)

    def evaluate_serialized() -> tuple[str, object]:
        answer = store.query(sparql, substitutions=bound)
        if isinstance(answer, ox.QueryBoolean):
            return ("boolean", bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            return ("solutions", answer.serialize(format=ox.QueryResultsFormat.JSON))
        return ("triples", answer.serialize(format=ox.RdfFormat.N_TRIPLES))

    return _answer(run_in_worker(evaluate_serialized, timeout, "query"))


def _evaluate(store: ox.Store, sparql: str, substitutions: Substitutions) -> Answer:
    answer = store.query(sparql, substitutions=dict(substitutions))
    try:
        if isinstance(answer, ox.QueryBoolean):
            return Answer("ask", boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            return Answer("select", [v.value for v in answer.variables], list(answer))
        return Answer("graph", triples=list(answer))
    finally:
        # pyoxigraph's solution iterators may only be freed on the thread that made them; an error
        # raised on the caller's thread would otherwise carry this frame, and free it there
        del answer


def run_in_thread(
    function: Callable[[], T], timeout: float | None = None, what: str = "work", *, share_cpu: bool = False
) -> T:
    """Call ``function`` on a daemon thread and wait for it, at most ``timeout`` seconds.

    Meant for native work that lets go of the GIL (a pyoxigraph query): the caller gets the result,
    or :class:`QueryTimeoutError` at the timeout, or ``KeyboardInterrupt`` on Ctrl-C, while the work
    itself cannot be stopped: it is left to finish on its thread (see :func:`abandoned_work`).
    A thread that finished in time waits for the next call, which saves starting one (about 0.2 ms,
    a third of a small query); a thread left behind ends when its work does.

    :param function: what to run.
    :param timeout: seconds (default: :func:`current_timeout`).
    :param what: what it is, for the messages.
    :param share_cpu: keep the thread on the caller's CPU for the first :data:`SHARED_CPU_SECONDS`
        (see :class:`_SameCpu`), for work that starts no thread of its own (which would stay there).
    :raises QueryTimeoutError: if it ran past the timeout.

    >>> run_in_thread(lambda: 6 * 7)
    42
    """
    seconds = current_timeout() if timeout is None else timeout
    context = contextvars.copy_context()  # the caller's sandbox (relgraph.guard) applies there too
    with _idle_lock:
        runner = _idle.pop() if _idle else None
    if runner is None:
        runner = _Runner()
    outcome: list[tuple[bool, object]] = []
    started = time.monotonic()
    same_cpu: _SameCpu | None = None
    finished = False
    try:  # the CPU given back whatever happens, Ctrl-C while pinning included
        if share_cpu:
            same_cpu = _SameCpu.pin(runner.thread)
        runner.jobs.put((context, function, outcome))
        if same_cpu is not None:
            finished = runner.done.acquire(timeout=_wait_seconds(min(seconds, SHARED_CPU_SECONDS)))
            same_cpu.unpin()  # still running (or done): free to move from now on
        if not finished:
            finished = runner.done.acquire(timeout=_wait_seconds(seconds - (time.monotonic() - started)))
    finally:
        if same_cpu is not None:
            same_cpu.unpin()
        if finished:
            with _idle_lock:
                _idle.append(runner)
        else:
            _abandoned.add(runner.thread)
            runner.jobs.put(None)  # the thread ends once the work does
    # an answer that came after the timeout (the caller was slow to wait) is past it all the same
    if not finished or time.monotonic() - started > seconds:
        raise QueryTimeoutError(
            f"{what} stopped after the timeout of {seconds:g} s (raise it with --timeout SECONDS)"
        )
    ok, value = outcome[0]
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]


class _Runner:
    """A daemon thread that runs the jobs put in its queue, one at a time, until it gets ``None``.

    It releases :attr:`done` when a job has ended (its outcome is then in the job's list), which the
    caller waits on: one lock kept for the thread's life, where a :class:`threading.Event` made a
    lock and took two more at every call (a query handed over in about half the time).
    """

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.done = threading.Lock()
        self.done.acquire()  # held until a job ends
        self.thread = threading.Thread(target=self._loop, name="relgraph worker thread", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while (job := self.jobs.get()) is not None:
            context, function, outcome = job
            del job
            try:
                outcome.append((True, context.run(function)))
            except BaseException as error:  # handed to the caller, raised there
                outcome.append((False, error))
            finally:
                # nothing of the job (its answer included) is kept here while the thread waits
                del context, function, outcome
                self.done.release()


#: how long a query's thread is kept on its caller's CPU (run_in_thread's ``share_cpu``)
SHARED_CPU_SECONDS = 0.005


class _SameCpu:
    """Keep a worker thread on the CPU of the thread that waits for it, until :meth:`unpin`.

    Waking a thread that sleeps on another CPU, to hand it a query and again to hand the answer back,
    took 0.1 to 0.2 ms on the 2-core virtual machine of the benchmarks (a virtual CPU that idles is
    woken through its host), as long as a small query. When both threads may run on one CPU only, the
    caller's wait switches to the worker there and back: 15 us. Linux only (``os.sched_setaffinity``
    and the C library's ``sched_getcpu``); elsewhere, or if the calls fail, nothing is pinned.

    :param thread: the worker thread.
    :param mask: the CPUs the caller may run on, which both get back.
    """

    def __init__(self, thread: threading.Thread, mask: set[int]) -> None:
        self._thread = thread
        self._mask: set[int] | None = mask

    @classmethod
    def pin(cls, thread: threading.Thread) -> _SameCpu | None:
        """Move ``thread`` to the calling thread's CPU and hold both there; :data:`None` if not done."""
        cpu = _current_cpu()
        if cpu is None or thread.native_id is None:
            return None
        try:
            mask = os.sched_getaffinity(0)
        except OSError:
            return None
        if cpu not in mask or len(mask) < 2:  # one CPU: shared already
            return None
        pinned = cls(thread, mask)
        try:
            os.sched_setaffinity(thread.native_id, {cpu})
            os.sched_setaffinity(0, {cpu})
        except OSError:
            pinned.unpin()
            return None
        except BaseException:  # Ctrl-C (or SIGTERM, relgraph.cli) between the two: nothing left pinned
            pinned.unpin()
            raise
        return pinned

    def unpin(self) -> None:
        """Give the caller and the thread back the caller's CPUs (once; a thread that ended is left).

        Done only once both have them back: a call cut short by Ctrl-C is done again by the next.
        """
        mask = self._mask
        if mask is None:
            return
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, mask)
        if self._thread.native_id is not None:
            with contextlib.suppress(OSError):  # a thread that has ended (ESRCH)
                os.sched_setaffinity(self._thread.native_id, mask)
        self._mask = None


_getcpu: list[Callable[[], int] | None] = []  # the C library's sched_getcpu, once looked up


def _current_cpu() -> int | None:
    """Return the CPU the calling thread runs on, or :data:`None` where that cannot be known."""
    if not _getcpu:  # ctypes is imported at the first query only (3 ms of a cold start)
        found = None
        if hasattr(os, "sched_setaffinity"):
            try:
                import ctypes

                found = ctypes.CDLL(None).sched_getcpu
            except (ImportError, OSError, AttributeError):
                pass
        _getcpu.append(found)
    getcpu = _getcpu[0]
    cpu = getcpu() if getcpu is not None else -1
    return cpu if cpu >= 0 else None


def _wait_seconds(seconds: float) -> float:
    """Return ``seconds`` as a wait the platform accepts: at most :data:`threading.TIMEOUT_MAX`."""
    return min(seconds, threading.TIMEOUT_MAX) if seconds > 0 else 0.0


_Job = tuple[contextvars.Context, Callable[[], object], list[tuple[bool, object]]]
_idle: list[_Runner] = []  # threads waiting for work (run_in_thread)
_idle_lock = threading.Lock()
os.register_at_fork(after_in_child=_idle.clear)  # a forked child has none of those threads


def abandoned_work() -> int:
    """Return how many timed-out or interrupted evaluations still run on their threads.

    A process that is done should then end with :func:`os._exit`, which stops them; the
    ``relgraph`` command does.

    >>> abandoned_work() >= 0
    True
    """
    for thread in [t for t in _abandoned if not t.is_alive()]:
        _abandoned.discard(thread)
    return len(_abandoned)


def run_in_worker(function: Callable[[], T], timeout: float | None = None, what: str = "work") -> T:
    """Call ``function`` in a forked child process with a wall-clock and a memory limit.

    The child shares the parent's memory copy-on-write and sends back the pickled result (or the
    exception it raised). When it runs past the timeout, or on Ctrl-C, the parent kills it with
    ``SIGKILL`` and reaps it, so no process is left behind. The child's address space is capped at
    ``RELGRAPH_MAX_MEMORY_BYTES`` more than the parent's (default: three quarters of the memory
    available), so a runaway native computation ends in a clear error, not an exhausted machine.

    :param function: what to run; its result must be picklable.
    :param timeout: seconds (default: :func:`current_timeout`).
    :param what: what it is, for the messages (``query``, ``export``).
    :raises QueryTimeoutError: if it ran past the timeout.
    :raises RelgraphError: if the child died without an answer (out of memory).

    >>> run_in_worker(lambda: 6 * 7)
    42
    """
    import pickle
    import select

    seconds = current_timeout() if timeout is None else timeout
    memory_budget()  # a bad RELGRAPH_MAX_MEMORY_BYTES is refused here, not in the worker
    read_end, write_end = os.pipe()
    # Ctrl-C is held back while forking: arriving in the child inside os.fork itself (Python's
    # threading._after_fork), it would print a traceback there. The parent takes it once it is
    # inside the block below, which kills and reaps the worker whatever happens.
    # SIGTERM and SIGHUP too: the command's handlers (relgraph.cli) would run its clean-up in the child
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    if pid == 0:  # the worker
        os.close(read_end)
        _worker(function, write_end, mask)
    os.close(write_end)
    chunks: list[bytes] = []
    finished = False
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a held-back Ctrl-C is raised here
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_end], [], [], _wait_seconds(left))
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if not finished:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if not finished:
        raise QueryTimeoutError(
            f"{what} stopped after the timeout of {seconds:g} s (raise it with --timeout SECONDS)"
        )
    if not chunks and os.WIFSIGNALED(status):
        raise WorkerDiedError(
            f"{what} ran out of memory and was stopped (limit: RELGRAPH_MAX_MEMORY_BYTES={memory_budget()})",
            os.WTERMSIG(status),
        )
    if not chunks:
        raise RelgraphError(f"{what} failed: its worker process stopped without an answer")
    kind, payload = pickle.loads(b"".join(chunks))
    if kind == "error":
        raise payload
    return payload  # type: ignore[no-any-return]


def _worker(function: Callable[[], object], fd: int, mask: Iterable[int | signal.Signals]) -> None:
    """Run ``function``, write ``pickle((kind, payload))`` to ``fd`` and exit without cleanup."""
    import pickle

    code = 0
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # end the worker at once, silently
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a Ctrl-C held back during fork ends it now
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # a native out-of-memory abort prints a backtrace: keep it quiet
        _cap_memory()
        try:
            message: tuple[str, object] = ("ok", function())
        except Exception as error:
            message = ("error", _picklable(error))
        data = pickle.dumps(message)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _cap_memory() -> None:
    import resource

    current = _statm_bytes(0)  # the whole address space
    if current is None:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + memory_budget()
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _statm_bytes(field: int) -> int | None:
    """Return field ``field`` of ``/proc/self/statm`` in bytes (0: the address space, 5: data and stack).

    None where it cannot be read (not Linux).
    """
    import resource

    try:
        with Path("/proc/self/statm").open(encoding="ascii") as statm:
            return int(statm.read().split()[field]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None


def memory_budget() -> int:
    """Return the bytes a worker may take: ``RELGRAPH_MAX_MEMORY_BYTES``, else 3/4 of the memory available.

    A forked worker may take this much beyond its parent's memory; ``relgraph serve``'s Oxigraph server
    may take this much in all.

    :raises InputError: if the variable is not a whole number from 1 to 2**62 (it was ignored).

    >>> memory_budget() > 0
    True
    """
    given = _count(os.environ, "RELGRAPH_MAX_MEMORY_BYTES", 0)
    if given >= 1:
        return given
    available = _available_memory()
    return 4096 * _MIB if available is None else available * 3 // 4


def _picklable(error: Exception) -> Exception:
    import pickle

    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(str(error))
    return error


def _answer(message: tuple[str, object]) -> Answer:
    kind, payload = message
    if kind == "boolean":
        return Answer("ask", boolean=bool(payload))
    assert isinstance(payload, bytes)
    if kind == "solutions":
        solutions = ox.parse_query_results(payload, format=ox.QueryResultsFormat.JSON)
        assert isinstance(solutions, ox.QuerySolutions)
        return Answer("select", [v.value for v in solutions.variables], list(solutions))
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(payload, ox.RdfFormat.N_TRIPLES)]
    return Answer("graph", triples=triples)


def _available_memory() -> int | None:
    try:
        with Path("/proc/meminfo").open(encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """Return a variable that counts bytes, characters or levels: a whole number from 1 up to 2**62.

    ``0.5`` passed as a positive number and became 0 (a file limit of 0 bytes blamed the shipped
    ontology), and ``1e19`` overflowed the worker's memory limit.
    """
    text = env.get(name, "").strip()
    exact = text.isascii() and text.isdigit()  # read exactly: as a float, 2**62 + 1 became 2**62 and passed
    value = int(text) if exact else _positive(env, name, default)
    if (exact or value != default) and not (1 <= value <= 2**62 and value == int(value)):
        raise InputError(f"{name}={env[name]!r}: must be a whole number from 1 to 2**62")
    return int(value)


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"{name}={text!r}: must be a positive number")
    return value
