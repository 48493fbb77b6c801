"""Add a new readout to the data, all or nothing (``relgraph add FILE``).

The readout is parsed strictly, validated against the shapes together with the existing graph (its
quotes against their source texts too, :mod:`relgraph.quotes`), and the quality checks are run on the
graph with it. The file and the source texts it brings are read once, into a private folder, and
what is validated there is what is written: a file changed while it is added (an editor saving it,
a named pipe) cannot put unvalidated bytes in the data. Only when all of that passes is it copied into
``data/readouts/``, with the source
texts it cites that are not in ``data/sources/`` yet (found beside it or in its ``<stem>-sources``
folder): each written to a hidden temporary file in its folder, flushed to disk, then linked to its
final name (which fails rather than replace an existing file). Any failure, including Ctrl-C, leaves
the data folder byte for byte as it was.

A readout that adds nothing to the graph (every triple of it is there already: a copy of a readout
under another name) is refused; one whose source (the node with its ``rg:textFile``, or that text file)
is already the source of a readout in the data is added with a warning (logged to ``relgraph.add``;
the ``relgraph`` command prints it on standard error), since the data holds one readout per source.

Only one writer at a time: the ``readouts`` folder is locked with :func:`fcntl.flock` (no lock file
is created), and a second writer is refused at once with "locked" (exit code 6).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from relgraph import resources
from relgraph.errors import ConfigurationError, InputError, RelgraphError, UsageError
from relgraph.export import new_file_mode, temporary_beside
from relgraph.locking import LockedError, locked
from relgraph.namespaces import RG
from relgraph.reading import UTF8_BOM, escape_controls, read_checked
from relgraph.store import KnowledgeGraph, default_files
from relgraph.terms import shorten
from relgraph.validate import ValidationReport

__all__ = ["AddOutcome", "LockedError", "add_readout", "base_files", "locked"]

# what to do about a source text over the size limit (an RDF file's message speaks of --store)
_TOO_BIG_HINT = "raise RELGRAPH_MAX_FILE_BYTES (the limit is also at most 1/8 of the memory available)"
_TEXT_FILE = ox.NamedNode(str(RG.textFile))
_log = logging.getLogger(__name__)


@dataclass
class AddOutcome:
    """What :func:`add_readout` did.

    :param added: the file written in ``data/readouts/``, or :data:`None` if nothing was added.
    :param sources: the source texts copied into ``data/sources/`` with it: (found, written).
    :param triples: the number of triples in the readout.
    :param report: the validation report (when it does not conform, nothing was added).
    :param failed_checks: names of the quality checks that returned rows with the readout added.
    """

    added: Path | None
    triples: int
    report: ValidationReport | None = None
    failed_checks: tuple[str, ...] = ()
    sources: tuple[tuple[Path, Path], ...] = ()


def base_files(data_dir: Path) -> list[Path]:
    """Return the files of the graph a readout is added to: those every other command loads.

    They are :func:`relgraph.store.default_files` in ``data_dir``, subfolders of ``readouts/`` included.

    :param data_dir: the data folder.

    >>> [p.name for p in base_files(resources.data_dir())][:2]
    ['relgraph.ttl', 'countries-organisations.ttl']
    """
    return default_files(data_dir=data_dir)


def add_readout(
    file: Path | str,
    *,
    data_dir: Path | None = None,
    strict: bool = False,
    whole_graph: bool = False,
    progress: Callable[[str], None] | None = None,
) -> AddOutcome:
    """Validate a readout against the graph and, if it passes, add it to ``data/readouts/``.

    A readout whose source is already the source of a readout in the data is added (if it passes)
    with a warning logged to ``relgraph.add``.

    :param file: the readout, a Turtle (``.ttl``) file.
    :param data_dir: the data folder (default: :func:`relgraph.resources.data_dir`, the shipped
        ``data/`` unless ``--data-dir`` names another).
    :param strict: refuse warnings and infos too, not only violations.
    :param whole_graph: validate every node of the graph with the readout added (see
        :func:`relgraph.validate.validate`), not only those near its triples.
    :param progress: called with a line saying what is being done.
    :raises UsageError: if the file is not Turtle, or a readout of that name, or a source text of that
        name with other bytes, is already in the data; if every triple of it is already in the graph (it
        adds nothing); if ``data_dir`` is not a data folder (:func:`relgraph.resources.check_data_dir`).
    :raises InputError: if it is missing or not valid RDF (``file:line:column``), or a source text it
        cites and that is to be copied cannot be read, is empty or is not UTF-8.
    :raises LockedError: if another writer holds the data folder.
    :raises ConfigurationError: if a file already in the data is missing or invalid.
    """
    from relgraph.checks import run_checks
    from relgraph.validate import validate

    path = Path(file)
    folder = (
        resources.data_dir() if data_dir is None else resources.check_data_dir(Path(data_dir))
    ) / "readouts"
    if path.suffix.lower() != ".ttl":
        raise UsageError(f"{path}: relgraph add takes a Turtle readout (.ttl)")
    if path.name.startswith("."):  # the graph does not read hidden files (store.default_files)
        raise UsageError(
            f"{path}: a hidden file would not be read into the graph; give the readout a name "
            "without a leading '.'"
        )
    target = folder / f"{path.stem}.ttl"  # the graph reads *.ttl: a readout saved as .TTL was never read
    if target.exists():
        raise UsageError(f"{path}: {target} is already in the data; give the new readout another name")
    with locked(folder), tempfile.TemporaryDirectory(prefix="relgraph-add-") as work:
        raw: list[bytes] = []
        read_checked(path, seen=raw.append)  # once: within the limits, a pipe or a device too
        data = b"".join(raw)
        snapshot = Path(work) / path.name  # what is validated, and then written
        snapshot.write_bytes(data)
        new = KnowledgeGraph()
        with _named_as(snapshot, path):
            new.load(snapshot)  # strict parse: InputError with file:line:column
        if progress is not None:
            progress(f"validating {path} ({len(new)} triples) against the graph")
        sources = folder.parent / "sources"
        copies = _source_copies(new, path, sources, Path(work))
        base = KnowledgeGraph()
        try:
            base.load(*base_files(folder.parent))
        except InputError as error:  # a broken file already in the data, as for every command (exit 3)
            raise ConfigurationError(error.message) from error
        if _adds_nothing(new, base):  # a copy of a readout under another name was added again
            raise UsageError(
                f"{path}: adds nothing to the graph: all its {len(new)} triples are in it already"
                if len(new)
                else f"{path}: holds no triples; nothing to add"
            )
        known = _known_sources(new, base)
        if known:
            _log.warning("%s: %s; the data holds one readout per source", path, "; ".join(known))
        report = _named_report(
            validate([snapshot], kg=base, strict=strict, sources=sources, whole_graph=whole_graph),
            snapshot,
            path,
        )
        if not report.conforms:
            return AddOutcome(None, len(new), report)
        base.load(snapshot)
        failed = tuple(o.name for o in run_checks(kg=base) if o.result.rows)
        if failed:
            return AddOutcome(None, len(new), report, failed)
        written: list[Path] = []
        try:
            for _found, copy, text in copies:
                _write_new(copy, text, what="source text")
                written.append(copy)
            _write_new(target, data)
        except BaseException:
            for copy in written:  # all or nothing
                copy.unlink(missing_ok=True)
            raise
        return AddOutcome(target, len(new), report, sources=tuple((found, copy) for found, copy, _ in copies))


def _adds_nothing(new: KnowledgeGraph, base: KnowledgeGraph) -> bool:
    """Tell whether every triple of ``new`` is already in ``base``, which it then would not change.

    A triple without blank nodes must be in ``base`` as it is. Blank nodes are the file's own, never
    those of ``base``: the triples of each group of connected blank nodes must be in ``base`` with some
    nodes in their place (one ``ASK`` a group, its IRIs and literals bound as terms, never pasted in).

    :raises QueryTimeoutError: if a group's query runs past the timeout.
    """
    with_blanks: list[ox.Quad] = []
    for quad in new.oxigraph.quads_for_pattern(None, None, None, None):
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            with_blanks.append(quad)
        elif ox.Quad(quad.subject, quad.predicate, quad.object) not in base.oxigraph:
            return False
    owner: dict[ox.BlankNode, ox.BlankNode] = {}  # union-find: a blank node -> a node of its group

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while owner.setdefault(node, node) != node:
            node = owner[node]
        return node

    for quad in with_blanks:
        if isinstance(quad.subject, ox.BlankNode) and isinstance(quad.object, ox.BlankNode):
            owner[root(quad.object)] = root(quad.subject)
    groups: dict[ox.BlankNode, list[ox.Quad]] = {}
    for quad in with_blanks:
        node = quad.subject if isinstance(quad.subject, ox.BlankNode) else quad.object
        assert isinstance(node, ox.BlankNode)
        groups.setdefault(root(node), []).append(quad)
    return all(_in_graph(quads, base) for quads in groups.values())


def _in_graph(quads: list[ox.Quad], base: KnowledgeGraph) -> bool:
    """Tell whether ``base`` holds these triples with some nodes in place of their blank nodes."""
    names: dict[ox.NamedNode | ox.BlankNode | ox.Literal, str] = {}
    bindings: dict[str, ox.NamedNode | ox.Literal] = {}

    def variable(term: object) -> str:
        assert isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal)  # triple terms are refused
        if term not in names:
            names[term] = f"{'b' if isinstance(term, ox.BlankNode) else 't'}{len(names)}"
            if not isinstance(term, ox.BlankNode):
                bindings[names[term]] = term
        return f"?{names[term]}"

    patterns = " . ".join(
        f"{variable(q.subject)} {variable(q.predicate)} {variable(q.object)}" for q in quads
    )
    return bool(base.query(f"ASK {{ {patterns} }}", bindings).boolean)


def _known_sources(new: KnowledgeGraph, base: KnowledgeGraph) -> list[str]:
    """Say which sources of ``new`` (nodes with an ``rg:textFile``) are already sources in ``base``.

    :return: one phrase for each source whose node, or whose text file, a source of ``base`` has.
    """
    nodes: dict[ox.NamedNode | ox.BlankNode, str] = {}
    texts: dict[str, ox.NamedNode | ox.BlankNode] = {}
    for quad in base.oxigraph.quads_for_pattern(None, _TEXT_FILE, None):
        if isinstance(quad.subject, ox.NamedNode | ox.BlankNode) and isinstance(quad.object, ox.Literal):
            nodes.setdefault(quad.subject, quad.object.value)
            texts.setdefault(quad.object.value, quad.subject)
    phrases = []
    for quad in new.oxigraph.quads_for_pattern(None, _TEXT_FILE, None):
        source, text = quad.subject, quad.object
        if not isinstance(source, ox.NamedNode | ox.BlankNode) or not isinstance(text, ox.Literal):
            continue  # left to the shapes
        name = escape_controls(text.value)
        if isinstance(source, ox.NamedNode) and source in nodes:
            held = "" if nodes[source] == text.value else f", with the text {escape_controls(nodes[source])}"
            phrases.append(
                f"its source {shorten(source)} ({name}) is already the source of a readout in the data{held}"
            )
        elif text.value in texts:
            other = shorten(texts[text.value])
            phrases.append(
                f"its source text {name} is already the text of {other}, the source of a readout in the data"
            )
    return phrases


@contextlib.contextmanager
def _named_as(snapshot: Path, path: Path) -> Iterator[None]:
    """Let an error about the snapshot name the file the user gave."""
    try:
        yield
    except RelgraphError as error:
        raise type(error)(error.message.replace(str(snapshot), str(path))) from None


def _named_report(report: ValidationReport, snapshot: Path, path: Path) -> ValidationReport:
    """Return the report of the snapshot with its locations in the file the user gave."""

    def named(text: str | None) -> str | None:  # the snapshot, then its folder (where texts were looked for)
        if text is None:
            return None
        return text.replace(str(snapshot), str(path)).replace(str(snapshot.parent), str(path.parent))

    results = [
        dataclasses.replace(r, location=named(r.location), detail=named(r.detail)) for r in report.results
    ]
    return dataclasses.replace(report, results=results, files=[path])


def _source_copies(
    new: KnowledgeGraph, path: Path, sources: Path, work: Path
) -> list[tuple[Path, Path, bytes]]:
    """Return the source texts the readout cites that are found outside ``sources``: (found, copy, bytes).

    Each is read once, and its bytes are also written to ``work`` (beside the snapshot of the readout),
    where validation finds them: the text whose quotes are checked is the text that is copied.

    :raises UsageError: if ``sources`` holds a text of that name with other bytes.
    :raises InputError: if a text cannot be read, is empty, too large or not UTF-8 (``file:line:column``).
    """
    from relgraph.quotes import source_folders, source_texts

    copies = []
    # where validation looks beside the snapshot: a text copied there cannot replace the snapshot
    seen = work / f"{path.stem}-sources"
    try:
        seen.mkdir(exist_ok=True)
    except OSError as error:
        if error.errno != errno.ENAMETOOLONG:
            raise
        raise UsageError(  # the readout's own name fits, its <stem>-sources folder does not
            f"{path}: the name is too long for its folder of source texts ({path.stem[:20]}…-sources); "
            "give the readout a shorter name"
        ) from None
    for name, found in source_texts(new.oxigraph, source_folders([path], sources)).items():
        if name == path.name:  # it would be read again, maybe other bytes (a pipe), as its own source
            raise UsageError(f"{path}: it cites itself ({name}) as a source text; cite the text it quotes")
        copy = sources / name
        if found.parent.resolve() == sources.resolve():
            continue
        # as the quotes are checked: UTF-8 within the size limit (a text that is not was copied into
        # the data with its quotes unchecked, after one warning); the bytes copied are the file's own
        raw: list[bytes] = []
        checked = read_checked(  # without a byte order mark, as quotes are read
            found, seen=raw.append, what="source text", hint=_TOO_BIG_HINT
        )
        text = b"".join(raw)
        (seen / name).write_bytes(text)
        try:  # the same text, with or without a byte order mark, is the same source
            same = copy.read_bytes().removeprefix(UTF8_BOM) == checked
        except FileNotFoundError:
            copies.append((found, copy, text))
            continue
        except OSError as error:
            raise InputError(f"{found}: cannot compare with {copy}: {error.strerror or error}") from None
        if not same:
            raise UsageError(
                f"{found}: {copy} is already in the data with another text; give the source another name"
            )
    return copies


def _write_new(target: Path, data: bytes, what: str = "readout") -> None:
    """Write ``target``, which must not exist, completely or not at all."""
    try:
        with temporary_beside(target) as (handle, temporary):
            os.fchmod(handle, new_file_mode())  # readable as the other readouts are, not 0o600
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.link(temporary, target)  # fails if target exists: never replaces a readout
    except FileExistsError:
        raise UsageError(f"{target} is already in the data; give the new {what} another name") from None
    except OSError as error:
        raise InputError(f"{target}: cannot write: {error.strerror or error}") from None
    folder_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder_fd)
    finally:
        os.close(folder_fd)
