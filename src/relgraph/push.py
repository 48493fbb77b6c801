"""Push the knowledge graph into a named graph of a remote SPARQL store, all or nothing.

The triples are written as sorted N-Triples lines (blank nodes replaced by skolem IRIs derived from
their surroundings, so the same graph always gives the same lines) and cut into chunks. Each push
uploads them into a **staging graph of its own**: the name of :attr:`PushPlan.staging_graph` (a
digest of the lines and the chunk size), then a digest of the target graph and a random segment for
the run. Each chunk is one SPARQL Update ``INSERT DATA`` into it; the same request records the
chunk's number in a progress graph. Only when the run's staging graph holds every triple does one
request ``MOVE`` it onto the target graph (replacing what was there) and clear its progress records;
the target graph is then counted, and a count other than the triples pushed is an error.

No other push writes, moves or drops a run's staging graph, so two pushes at once (of the same data,
to the same graph or to others) never move a missing or partial staging graph onto a target: each
moves its own, which it has counted. (They shared one: one push's ``MOVE`` took it away, and the
other's ``MOVE SILENT`` of the missing graph emptied its target, exit 0; Virtuoso empties the target
even without ``SILENT``.) The final count catches what the answers cannot show: an update endpoint
that answers success without running the update, or another push replacing the graph meanwhile.

An interrupted push leaves the target graph as it was. A push stopped by an error of the store
**parks** what it staged: it adds its staging graph to the one of :attr:`PushPlan.staging_graph` and
renames its progress records (one best-effort request; a push that was killed, or lost the server,
leaves its own staging graph instead). :func:`push` with ``resume=True`` takes over the parked graph
and the staging graphs that pushes of the same plan to the same target graph left behind (``ADD`` to
its own, ``DROP``, progress records renamed, in one request) and uploads only the chunks not yet
recorded; because ``INSERT DATA`` adds a set of triples, a chunk sent twice never duplicates
anything. A push without ``resume`` drops the parked graph and starts afresh; it never touches the
staging graph of another run, which may be a push still running.

With a Graph Store Protocol endpoint (``store``), each chunk is instead one HTTP ``POST
?graph=<the run's staging graph>`` of N-Triples, which the server parses with its bulk RDF parser
rather than as a SPARQL request. The Graph Store Protocol cannot also write the progress graph, so
the chunk's number is recorded by a separate small ``INSERT DATA`` sent only **after** the ``POST``
succeeded: a recorded chunk is therefore wholly in the staging graph. A push interrupted between the
two requests (or in the middle of a ``POST``, if the server does not load a ``POST`` in one
transaction) leaves an unrecorded chunk that is partly or wholly staged; ``resume`` sends it again,
and because a ``POST`` merges triples into the graph (a set union) and the lines hold no blank nodes
(they are skolemised; a blank node would be a new one in every request), the second ``POST`` adds
nothing twice. The staging graph is counted before the ``MOVE`` in both paths, so nothing partial is
ever moved, and the ``MOVE`` with the clean-up stays one SPARQL Update request on the update endpoint.

Naming the blank nodes can take very long (RDF Dataset Canonicalization of a long chain of blank
nodes): it runs in a worker process, stopped at the timeout (:func:`relgraph.limits.run_in_worker`).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib.term import Literal, URIRef

from relgraph.errors import RemoteError, UsageError
from relgraph.namespaces import GENID, RGG
from relgraph.remote import Endpoint, SparqlClient, post_graph

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_GRAPH", "PushPlan", "PushReport", "ntriples_lines", "push"]
_CHUNK_NUMBER = re.compile(r"[0-9]{1,9}")  # the number of a chunk (push --resume)
_RUN_SEGMENT = re.compile(r"[0-9a-f]{32}")  # the random last segment of a run's staging graph

#: the named graph ``relgraph push`` writes to and ``--endpoint`` queries read (unless ``--graph``)
DEFAULT_GRAPH = str(RGG["default"])
#: triples per ``INSERT DATA`` request
DEFAULT_CHUNK_SIZE = 2000
#: the graph holding the numbers of the chunks uploaded to each staging graph
PROGRESS_GRAPH = str(RGG["push-progress"])
_UPLOADED = str(RGG["uploaded-chunk"])
_SKOLEM_ROUNDS = 3  # rounds of hashing that tell the blank nodes of most graphs apart
_MORE_ROUNDS = 64  # at most, for those that need more (a chain of blank nodes needs its length)
#: triples per second a slow server is assumed to MOVE, to set the timeout of the final MOVE
_MOVE_RATE = 1000


def ntriples_lines(triples: Iterable[ox.Triple | ox.Quad], *, timeout: float | None = None) -> list[str]:
    """Return the sorted, distinct N-Triples lines of triples, blank nodes skolemised.

    A blank node becomes ``GENID`` + a hash of its surroundings, refined over rounds until every
    blank node has its own; the same graph gives the same lines in every run. Blank nodes that no
    number of rounds tells apart (interchangeable ones, ``ex:s ex:p [ex:v 1], [ex:v 1]``) are named
    by RDF Dataset Canonicalization (RDFC-1.0) instead: each distinct blank node keeps an IRI of its
    own (three rounds alone gave two blank nodes that differ four steps away the same IRI, and the
    push merged them, losing triples).

    Blank nodes are named in a worker process (:func:`relgraph.limits.run_in_worker`), stopped at
    the timeout: canonicalization can take very long (800 linked blank nodes took most of a minute,
    deaf to Ctrl-C and SIGTERM, when it ran in the process itself).

    :param triples: pyoxigraph triples or quads (the graph name is ignored).
    :param timeout: seconds the naming of blank nodes may take (default:
        :func:`relgraph.limits.current_timeout`).
    :raises QueryTimeoutError: if naming the blank nodes takes longer than the timeout (exit 5).
    :raises ValueError: for an RDF 1.2 triple term.

    >>> b = ox.BlankNode()
    >>> t = ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), b)
    >>> ntriples_lines([t, t])[0].startswith("<http://ex/a> <http://ex/p> <https://w3id.org/relgraph/.well-known/genid/")
    True
    """
    plain = [ox.Triple(t.subject, t.predicate, t.object) for t in triples]
    blanks = {term for t in plain for term in (t.subject, t.object) if isinstance(term, ox.BlankNode)}
    if not blanks:
        return sorted({f"{t} ." for t in plain})
    from relgraph.limits import run_in_worker

    what = f"naming the {len(blanks)} blank nodes to push"
    return run_in_worker(lambda: sorted({f"{t} ." for t in _skolemise(plain, blanks)}), timeout, what=what)


@dataclass(frozen=True)
class PushPlan:
    """The lines to push, cut into chunks, and the staging graph they go to.

    :param lines: sorted distinct N-Triples lines (see :func:`ntriples_lines`).
    :param chunk_size: lines per chunk.
    :raises UsageError: if the chunk size is not positive.
    """

    lines: list[str]
    chunk_size: int = DEFAULT_CHUNK_SIZE

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise UsageError(f"--chunk-size must be at least 1, not {self.chunk_size}")

    @property
    def digest(self) -> str:
        """The SHA-256 of the lines and the chunk size."""
        sha = hashlib.sha256(f"{self.chunk_size}\n".encode())
        for line in self.lines:
            sha.update(line.encode("utf-8") + b"\n")
        return sha.hexdigest()

    @property
    def staging_graph(self) -> str:
        """The graph named after the lines and chunk size, where a push stopped by an error parks its chunks.

        Each push stages its chunks in a graph of its own, whose name starts with this one
        (see the module's docstring); ``resume`` takes them over.
        """
        return str(RGG[f"staging/{self.digest[:32]}"])

    @property
    def chunk_count(self) -> int:
        """The number of chunks."""
        return -(-len(self.lines) // self.chunk_size)

    def chunk(self, index: int) -> list[str]:
        """Return the lines of chunk ``index`` (from 0)."""
        return self.lines[index * self.chunk_size : (index + 1) * self.chunk_size]


@dataclass(frozen=True)
class PushReport:
    """What a push did.

    :param graph: the target graph.
    :param triples: triples in the target graph afterwards.
    :param chunks: chunks in the plan.
    :param skipped: chunks a resumed push found already uploaded.
    :param seconds: wall-clock time of the push.
    """

    graph: str
    triples: int
    chunks: int
    skipped: int
    seconds: float


def push(
    client: SparqlClient,
    plan: PushPlan,
    graph: str = DEFAULT_GRAPH,
    *,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
    store: Endpoint | None = None,
) -> PushReport:
    """Replace the content of ``graph`` on the remote store with the plan's triples, all or nothing.

    The chunks go to a staging graph of this push's own; once it holds every triple, one update
    moves it onto ``graph``, which is then counted (see the module's docstring).

    :param client: the endpoint (its update endpoint receives the updates).
    :param plan: the lines and chunk size.
    :param graph: the target graph IRI.
    :param resume: take over what interrupted pushes of the same plan to ``graph`` staged, and
        upload only the chunks they did not record.
    :param progress: called with the number of triples of each chunk as it is done (or skipped).
    :param store: a Graph Store Protocol endpoint to ``POST`` the chunks to, instead of sending
        them with ``INSERT DATA`` (the progress records, the ``MOVE`` and the clean-up still go to
        the update endpoint).
    :raises UsageError: if ``graph`` is not a valid IRI.
    :raises RemoteError: if a request fails, or the staging graph does not hold every triple (the
        target graph is then unchanged), or the target graph does not hold them after the ``MOVE``.
    """
    from relgraph.sparql_values import sparql_term

    started = time.monotonic()
    try:
        target = sparql_term(URIRef(graph))
    except ValueError as error:
        raise UsageError(f"--graph: {error}") from None
    parked_iri = plan.staging_graph  # a digest of every line: computed once
    runs = f"{parked_iri}/{hashlib.sha256(graph.encode('utf-8')).hexdigest()[:16]}/"
    run_iri = runs + uuid.uuid4().hex  # this push's own staging graph
    run, parked, marker = f"<{run_iri}>", f"<{parked_iri}>", f"<{PROGRESS_GRAPH}>"
    total = len(plan.lines)
    slow = max(client.timeout, total / _MOVE_RATE)  # a MOVE or an ADD copies every triple
    done: set[int] = set()
    if resume:
        left = _left_behind(client, parked_iri, runs)
        if left:
            client.update(_take_over(left, run, marker), timeout=slow)
            answer = client.query(f"SELECT ?i WHERE {{ GRAPH {marker} {{ {run} <{_UPLOADED}> ?i }} }}")
            # chunk numbers as relgraph writes them: an endpoint's "²" or 5,000 digits passed isdigit() and
            # then failed int(), a traceback
            done = {int(str(row[0])) for row in answer.rows if _CHUNK_NUMBER.fullmatch(str(row[0]))}
    else:  # what a failed push parked: never the staging graph of another run, which may be running
        client.update(f"DROP SILENT GRAPH {parked} ;\nDELETE WHERE {{ GRAPH {marker} {{ {parked} ?p ?o }} }}")
    skipped = 0
    try:
        for index in range(plan.chunk_count):
            lines = plan.chunk(index)
            if index in done:
                skipped += 1
            elif store is not None:
                # the POST first, its record after: a recorded chunk is wholly staged (module docstring)
                payload = "\n".join([*lines, ""]).encode("utf-8")
                post_graph(store, run_iri, payload, timeout=client.timeout)
                client.update(f"INSERT DATA {{ GRAPH {marker} {{ {run} <{_UPLOADED}> {index} }} }}")
            else:
                body = "\n".join(lines)
                client.update(
                    f"INSERT DATA {{\nGRAPH {run} {{\n{body}\n}}\n"
                    f"GRAPH {marker} {{ {run} <{_UPLOADED}> {index} }}\n}}"
                )
            if progress is not None:
                progress(len(lines))
    except RemoteError:  # the store answered (or did not): park what was staged for --resume, if it can
        with contextlib.suppress(RemoteError):
            client.update(_take_over([run_iri], parked, marker), timeout=slow)
        raise
    count = _count(client, run)
    if count != total:
        with contextlib.suppress(RemoteError):  # its own: no other push uses it
            client.update(f"DROP SILENT GRAPH {run} ;\nDELETE WHERE {{ GRAPH {marker} {{ {run} ?p ?o }} }}")
        raise RemoteError(
            f"{client.update_endpoint.url}: the staging graph holds {count} triples, not {total}, though "
            f"every update was answered as done; {graph} was not changed (is it the update endpoint? "
            "push again)"
        )
    # not MOVE SILENT: a staging graph gone must be an error, not an empty target (Virtuoso empties it
    # anyway: the count after the MOVE catches that)
    move = f"MOVE GRAPH {run} TO {target}" if total else f"DROP SILENT GRAPH {target}"  # nothing staged
    client.update(f"{move} ;\nDELETE WHERE {{ GRAPH {marker} {{ {run} ?p ?o }} }}", timeout=slow)
    after = _count(client, target)
    if after != total:
        raise RemoteError(
            f"{client.update_endpoint.url}: after the MOVE, {graph} holds {after} triples at "
            f"{client.endpoint.url}, not the {total} pushed (did another push replace it meanwhile? "
            "push again)"
        )
    return PushReport(graph, after, plan.chunk_count, skipped, time.monotonic() - started)


def _left_behind(client: SparqlClient, parked: str, runs: str) -> list[str]:
    """Return the staging graphs with progress records that a resumed push takes over.

    They are the graph a failed push parked its chunks in (``parked``), and the staging graphs of
    runs of the same plan to the same target graph (named ``runs`` + 32 hexadecimal digits).
    """
    from relgraph.sparql_values import sparql_term

    answer = client.query(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH <{PROGRESS_GRAPH}> {{ ?g <{_UPLOADED}> ?i }} "
        f"FILTER(?g = <{parked}> || STRSTARTS(STR(?g), {sparql_term(Literal(runs))})) }}"
    )
    found = {str(row[0]) for row in answer.rows if row and isinstance(row[0], URIRef)}
    return sorted(g for g in found if g == parked or _RUN_SEGMENT.fullmatch(g.removeprefix(runs)))


def _take_over(graphs: list[str], into: str, marker: str) -> str:
    """Return the update adding each graph to ``into``, dropping it and renaming its progress records."""
    steps = []
    for graph in graphs:
        steps += [
            f"ADD SILENT GRAPH <{graph}> TO {into}",
            f"DROP SILENT GRAPH <{graph}>",
            f"DELETE {{ GRAPH {marker} {{ <{graph}> <{_UPLOADED}> ?i }} }} "
            f"INSERT {{ GRAPH {marker} {{ {into} <{_UPLOADED}> ?i }} }} "
            f"WHERE {{ GRAPH {marker} {{ <{graph}> <{_UPLOADED}> ?i }} }}",
        ]
    return " ;\n".join(steps)


def _count(client: SparqlClient, graph: str) -> int:
    answer = client.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    value = answer.rows[0][0] if answer.rows else None
    try:
        return int(str(value))
    except ValueError:
        raise RemoteError(f"{client.endpoint.url}: a COUNT query answered {value!r}") from None


def _skolemise(triples: list[ox.Triple], blanks: set[ox.BlankNode]) -> list[ox.Triple]:
    colour = dict.fromkeys(blanks, "")
    distinct = 1
    involved = [
        t for t in triples if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)
    ]
    for done in range(1, _MORE_ROUNDS + 1):
        # after the first rounds, a node's own colour is part of its signature: each round then
        # splits the last one's groups, and one that splits none has told apart all it can
        signatures: dict[ox.BlankNode, list[str]] = {
            b: [] if done <= _SKOLEM_ROUNDS else [f"= {colour[b]}"] for b in blanks
        }
        for t in involved:
            if isinstance(t.subject, ox.BlankNode):
                signatures[t.subject].append(f"> {t.predicate} {_show(t.object, colour)}")
            if isinstance(t.object, ox.BlankNode):
                signatures[t.object].append(f"< {_show(t.subject, colour)} {t.predicate}")
        colour = {
            b: hashlib.sha256("\n".join(sorted(signatures[b])).encode("utf-8")).hexdigest()[:32]
            for b in blanks
        }
        before, distinct = distinct, len(set(colour.values()))
        if done >= _SKOLEM_ROUNDS and distinct == len(blanks):
            break  # each has its own
        if done > _SKOLEM_ROUNDS and distinct == before:
            break  # no further round tells more apart
    if distinct < len(blanks):
        return _skolemise_canonically(triples)
    return _replace_blanks(triples, {b: ox.NamedNode(str(GENID[colour[b]])) for b in blanks})


def _skolemise_canonically(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Skolemise by RDFC-1.0 labels, prefixed with a hash of the canonical graph (unique to it)."""
    from relgraph.export import canonical_triples

    if any(isinstance(term, ox.Triple) for t in triples for term in (t.subject, t.object)):
        raise ValueError("RDF 1.2 triple terms cannot be pushed")
    canonical = canonical_triples(triples)
    digest = hashlib.sha256("\n".join(str(t) for t in canonical).encode("utf-8")).hexdigest()[:16]
    blanks = {term for t in canonical for term in (t.subject, t.object) if isinstance(term, ox.BlankNode)}
    return _replace_blanks(canonical, {b: ox.NamedNode(str(GENID[f"{digest}-{b.value}"])) for b in blanks})


def _replace_blanks(triples: list[ox.Triple], skolem: dict[ox.BlankNode, ox.NamedNode]) -> list[ox.Triple]:
    """Return the triples with each blank node replaced by its skolem IRI.

    :raises ValueError: for an RDF 1.2 triple term.
    """

    def swap(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> ox.NamedNode | ox.Literal:
        if isinstance(term, ox.BlankNode):
            return skolem[term]
        if isinstance(term, ox.Triple):
            raise ValueError("RDF 1.2 triple terms cannot be pushed")
        return term

    return [ox.Triple(swap(t.subject), t.predicate, swap(t.object)) for t in triples]  # type: ignore[arg-type]


def _show(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, colour: dict[ox.BlankNode, str]) -> str:
    return f"_:{colour[term]}" if isinstance(term, ox.BlankNode) else str(term)
