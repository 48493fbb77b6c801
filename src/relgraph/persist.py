"""The on-disk store (``--store DIR``): parse the graph's files once, reuse the store on later runs.

``DIR`` holds ``manifest.json`` — which files were loaded, with their size, modification time and
SHA-256 — and the Oxigraph (RocksDB) store it names. A run whose files match the manifest opens that
store read-only, so several commands can read it at once. When a file was added, removed or changed
(a new mtime with the same content does not count), the store is rebuilt: the files are streamed
into a new store in a temporary folder inside ``DIR``, which is renamed into place and only then named
by a new manifest (written to a temporary file and renamed), so an interrupted rebuild leaves the
previous store usable.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from relgraph.errors import InputError, UsageError
from relgraph.locking import locked
from relgraph.storedir import MANIFEST, check_folder, make_folder, reason, write_manifest

__all__ = ["MANIFEST", "current_store", "open_store", "store_is_fresh", "use_store"]

_current: contextvars.ContextVar[Path | None] = contextvars.ContextVar("relgraph_store", default=None)


def current_store() -> Path | None:
    """Return the store folder set by :func:`use_store` (the ``--store`` option), if any.

    >>> current_store() is None
    True
    """
    return _current.get()


@contextlib.contextmanager
def use_store(store_dir: Path | None) -> Iterator[None]:
    """Make :meth:`KnowledgeGraph.default` use this on-disk store inside the ``with`` block.

    :param store_dir: the store folder (None: in memory).
    """
    token = _current.set(store_dir)
    try:
        yield
    finally:
        _current.reset(token)


def _fingerprint(path: Path, *, digest: bool) -> dict[str, Any]:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    entry: dict[str, Any] = {"path": str(path.resolve()), "size": info.st_size, "mtime_ns": info.st_mtime_ns}
    if digest:
        entry["sha256"] = _sha256(path)
    return entry


def _sha256(path: Path) -> str:
    import hashlib  # here, not at the top: `relgraph query` without --store never needs it

    hasher = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def store_is_fresh(store_dir: Path, files: Sequence[Path]) -> bool:
    """Return whether ``store_dir`` holds a store built from exactly these files, unchanged.

    :param store_dir: the store folder.
    :param files: the files, in load order.
    :raises UsageError: if ``store_dir`` is not a store folder (:func:`relgraph.storedir.check_folder`).
    :raises InputError: if a file is missing.

    >>> store_is_fresh(Path("/nonexistent"), [])
    False
    """
    manifest = check_folder(store_dir, "query")
    if manifest is None or not (store_dir / str(manifest.get("store", ""))).is_dir():
        return False
    recorded = manifest.get("files", [])
    if [entry.get("path") for entry in recorded] != [str(Path(f).resolve()) for f in files]:
        return False
    for entry, file in zip(recorded, files, strict=True):
        now = _fingerprint(Path(file), digest=False)
        if now["size"] != entry.get("size"):
            return False
        if now["mtime_ns"] != entry.get("mtime_ns") and _sha256(Path(file)) != entry.get("sha256"):
            return False
    return True


def open_store(store_dir: Path, files: Sequence[Path], *, progress: bool = True) -> tuple[ox.Store, bool]:
    """Open the persisted store of ``files`` in ``store_dir``, building it first if needed.

    :param store_dir: the store folder (created if missing; an existing folder must be empty or a store).
    :param files: the RDF files, in load order.
    :param progress: show a progress bar while building (on a terminal only, see :mod:`relgraph.progress`).
    :return: the store (read-only) and whether it was (re)built.
    :raises UsageError: if ``store_dir`` is a file, a folder with other content or another store, or it
        cannot be created or written.
    :raises InputError: if a file is missing or not valid RDF (``file:line:column``); the old store is kept.
    """
    files = [Path(f) for f in files]
    built = False
    if not store_is_fresh(store_dir, files):
        stale = (store_dir / MANIFEST).exists()
        why = " (it must be rebuilt: the files or the settings changed)" if stale else ""
        make_folder(store_dir)
        with locked(store_dir):  # a second writer is refused at once ("locked", exit 6)
            if not store_is_fresh(store_dir, files):  # another process may have just built it
                _build(store_dir, files, progress=progress, why=why)
                built = True
    manifest = check_folder(store_dir, "query")
    assert manifest is not None
    try:
        return ox.Store.read_only(str(store_dir / manifest["store"])), built
    except OSError as error:
        raise InputError(f"{store_dir}: cannot open the store: {error}") from error


def _build(store_dir: Path, files: list[Path], *, progress: bool, why: str) -> None:
    """Build the store of ``files`` in a temporary folder, rename it into place, then write its manifest.

    :param why: why it is built, for the message if the folder cannot be written.
    :raises UsageError: if the folder cannot be written.
    """
    import shutil
    import tempfile

    from relgraph.progress import CountingReader
    from relgraph.progress import progress as progress_bar
    from relgraph.reading import FORMATS_BY_EXTENSION, file_syntax_message

    def unwritable(error: BaseException) -> UsageError:
        return UsageError(f"{store_dir}: cannot write the store{why}: {reason(error)}")

    fingerprints = [_fingerprint(f, digest=True) for f in files]
    try:
        temporary = Path(tempfile.mkdtemp(prefix=".build-", dir=store_dir))
    except OSError as error:
        raise unwritable(error) from None
    total = sum(entry["size"] for entry in fingerprints)
    store: ox.Store | None = None
    try:
        try:
            store = ox.Store(str(temporary / "store"))
        except (OSError, RuntimeError) as error:
            raise unwritable(error) from None
        done = 0
        with progress_bar(total if progress else 0, "building the store") as update:
            for file in files:
                rdf_format = FORMATS_BY_EXTENSION.get(file.suffix.lower())
                if rdf_format is None:
                    raise InputError(f"{file}: unknown RDF file extension {file.suffix!r}")
                _precheck(file, rdf_format)
                with file.open("rb") as raw:
                    offset = done

                    def report(read: int, offset: int = offset) -> None:
                        update(offset + read)

                    counted = cast(IO[bytes], CountingReader(raw, report))
                    try:
                        store.bulk_extend(
                            _default_graph(ox.parse(counted, rdf_format, rename_blank_nodes=True))
                        )
                    except SyntaxError as error:
                        raise InputError(file_syntax_message(file, error)) from error
                    except ValueError as error:
                        raise InputError(f"{file}: {' '.join(str(error).split())}") from error
                    except (OSError, RuntimeError) as error:
                        raise unwritable(error) from None
                done += file.stat().st_size
        try:
            store.flush()
            store = None  # closes the database before it is renamed
            token = temporary.name.removeprefix(".build-")
            final = store_dir / f"store-{token}"
            (temporary / "store").rename(final)
            write_manifest(store_dir, {"kind": "query", "store": final.name, "files": fingerprints}, token)
        except (OSError, RuntimeError) as error:
            raise unwritable(error) from None
        for old in store_dir.glob("store-*"):
            if old != final:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        # closed before its folder goes: an error's traceback would otherwise keep it open, and
        # RocksDB would write files into the folder when it is closed later
        store = None
        shutil.rmtree(temporary, ignore_errors=True)


def _precheck(file: Path, rdf_format: ox.RdfFormat) -> None:
    """Apply the hostile-input checks of the in-memory load to the nested formats.

    Line formats (N-Triples, N-Quads, Turtle, TriG) are streamed as they are: they cannot nest and
    declare no entities. RDF/XML is checked for entities and depth, JSON-LD for depth (see
    :mod:`relgraph.guard` and :mod:`relgraph.limits`).
    """
    from relgraph.guard import check_xml
    from relgraph.limits import Limits, check_depth

    if rdf_format not in (ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD):
        return
    limits = Limits.from_env()
    data = file.read_bytes()
    if rdf_format == ox.RdfFormat.RDF_XML:
        check_xml(file, data, limits.max_depth)
    check_depth(file, data, rdf_format, limits)


def _default_graph(quads: Iterator[ox.Quad]) -> Iterator[ox.Quad]:
    default = ox.DefaultGraph()
    for quad in quads:
        if isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple):
            raise ValueError("RDF 1.2 triple terms are not supported")
        if isinstance(quad.graph_name, ox.DefaultGraph):
            yield quad
        else:
            yield ox.Quad(quad.subject, quad.predicate, quad.object, default)
