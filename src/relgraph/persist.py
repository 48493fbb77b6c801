"""The on-disk store (``--store DIR``): parse the graph's files once, reuse the store on later runs.

``DIR`` holds ``manifest.json`` (see :mod:`relgraph.storedir`) and the Oxigraph (RocksDB) store it
names. The manifest lists the files given and every file loaded (the local ``owl:imports`` followed with
``--allow-imports`` too), each with its size, modification and change times and SHA-256, whether imports
were followed, and what the load limits must allow. A run whose files match the manifest opens that
store read-only, so several commands can read it at once. The store is rebuilt when a file was added,
removed or changed: a file whose size or either time differs is read, and a new time with the same
content does not count (the new times are then recorded, so it is not read again); the change time
(ctime) catches an edit whose mtime was set back (``touch -r``). It is also rebuilt when imports are
followed now and were not then (or the other way round) and a file has some, when a limit
(:mod:`relgraph.limits`) is now lower than the data needs, when it was made by an older relgraph, and
when it is damaged (it is only a copy of the files): it cannot be opened, one of its files is not as the
build left it, or a command found it damaged while reading it (:func:`mark_damaged`). A damaged store is
rebuilt with a warning (logged to ``relgraph.persist``; the ``relgraph`` command prints it on standard
error). The build makes the checks of the in-memory load (:mod:`relgraph.reading`), except the file size
limit for the formats it streams (Turtle, N-Triples, N-Quads, TriG), which never sit whole in memory:
the files are streamed into a new store in a temporary folder inside ``DIR``, which is renamed into
place and only then named by a new manifest (written to a temporary file and renamed), so a failed or
interrupted build leaves the previous store as it was.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from relgraph import guard
from relgraph.errors import InputError, UsageError
from relgraph.limits import Limits, check_depth
from relgraph.locking import LockedError, locked
from relgraph.reading import (
    FORMATS_BY_EXTENSION,
    CheckedReader,
    base_iri,
    check_jsonld,
    checked_quads,
    complete_jsonld,
    escape_controls,
    file_syntax_message,
    load_in_order,
    one_line,
    open_checked,
    rdf_format,
    read_checked,
    resolved,
    token_too_long,
    unreadable,
)
from relgraph.storedir import (
    MANIFEST,
    STORE_NAME,
    check_folder,
    leftover,
    make_folder,
    reason,
    rocksdb_folder,
    write_manifest,
)

__all__ = [
    "MANIFEST",
    "StoreDamagedError",
    "current_store",
    "damage_in",
    "damage_of",
    "damaged_store_error",
    "mark_damaged",
    "open_store",
    "scratch_copy",
    "store_is_fresh",
    "use_store",
    "verify_store",
]

# formats read whole into memory for their checks (nesting, XML entities), so held to the size limit
_WHOLE = frozenset({ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD})
_current: contextvars.ContextVar[Path | None] = contextvars.ContextVar("relgraph_store", default=None)
# files of a RocksDB folder that change without the data changing (its log of events, its lock)
_NOT_DATA = re.compile(r"LOCK|LOG(?:\.old\..*)?")
# how RocksDB words a damaged database (rocksdb::Status::ToString); its "IO error: ..." may be a full
# disk under a scratch copy, not damage (a file gone from the store is seen at the next opening)
_ROCKSDB_DAMAGE = re.compile(r"\bCorruption: .*")
_log = logging.getLogger(__name__)
# store folder (resolved) -> the name of the store this process last opened in it: damage found while
# reading that store is not recorded against another process's newer build (mark_damaged, verify_store)
_opened: dict[Path, str] = {}


class StoreDamagedError(UsageError):
    """An on-disk store was found damaged while a command read it (see :func:`damaged_store_error`)."""


@contextlib.contextmanager
def scratch_copy(store: ox.Store, parent: Path | None) -> Iterator[ox.Store]:
    """Yield a writable copy of a read-only on-disk store, deleted when the ``with`` block ends.

    The copy is a RocksDB checkpoint (:meth:`pyoxigraph.Store.backup`) in a ``.scratch-*`` folder of
    ``parent``: hard links to the store's table files, which RocksDB never changes, so it takes
    milliseconds and no room, and the store itself is not touched. The folder is locked while in use;
    a build deletes the ones left unlocked by a process killed outright. If ``parent`` cannot be
    written, the checkpoint goes to the temporary folder (a full copy if on another file system).
    Let go of the copy inside the block: a database still open when its folder is deleted may write
    into it again, and the folder is then left behind (in a store folder, the next build deletes it).

    :param store: the open store.
    :param parent: the folder to make the copy in (the store folder of ``--store DIR``), if any.
    :raises OSError: if no copy can be made: no room, or RocksDB cannot make the checkpoint (the
        store's folder was deleted since it was opened, by another command's rebuild: RocksDB's
        ``NotFound``, though the open store still reads).
    """
    import shutil
    import tempfile

    folder: Path | None = None
    failure: OSError | None = None
    for where in ([parent] if parent is not None else []) + [None]:
        try:
            folder = Path(tempfile.mkdtemp(prefix=".scratch-", dir=where))
            break
        except OSError as error:
            failure = error
    if folder is None:
        assert failure is not None
        raise failure
    try:
        with locked(folder):
            try:
                store.backup(str(folder / "store"))
                copy = ox.Store(str(folder / "store"))
            except RuntimeError as error:  # RocksDB's own errors (pyoxigraph raises OSError for the rest)
                raise OSError(f"cannot make a checkpoint of the store: {reason(error)}") from error
            try:
                yield copy
            finally:
                del copy  # closes the database before its folder goes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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


def store_is_fresh(store_dir: Path, files: Sequence[Path]) -> bool:
    """Return whether ``store_dir`` holds a store built from exactly these files, unchanged, as they load now.

    :param store_dir: the store folder.
    :param files: the files given, in load order.
    :raises UsageError: if ``store_dir`` is not a store folder (:func:`relgraph.storedir.check_folder`).
    :raises InputError: if a ``RELGRAPH_*`` limit is not a positive number.

    >>> store_is_fresh(Path("/nonexistent"), [])
    False
    """
    manifest = _fresh_manifest(store_dir, [Path(f) for f in files])
    return manifest is not None and _damage(store_dir, manifest) is None


def open_store(store_dir: Path, files: Sequence[Path], *, progress: bool = True) -> tuple[ox.Store, bool]:
    """Open the persisted store of ``files`` in ``store_dir``, building it first if needed.

    A damaged store (see the module's description) is built again, like a stale one, with a warning.

    :param store_dir: the store folder (created if missing; an existing folder must be empty or a store).
    :param files: the RDF files, in load order.
    :param progress: show a progress bar while building (on a terminal only, see :mod:`relgraph.progress`).
    :return: the store (read-only) and whether it was (re)built.
    :raises UsageError: if ``store_dir`` is a file, a folder with other content or another store, or it
        cannot be created or written.
    :raises InputError: if a file is missing or not valid RDF (``file:line:column``) or over a limit;
        the old store is kept.
    :raises LockedError: if another process is building it.
    """
    files = [Path(f) for f in files]
    opened, why, damage = _open_fresh(store_dir, files)
    if opened is not None:
        return opened, False
    for file in files:  # a missing or unreadable file is named before anything is written
        rdf_format(file)
        open_checked(file).close()
    make_folder(store_dir)
    with locked(store_dir):  # a second writer is refused at once ("locked", exit 6)
        opened, why, damage = _open_fresh(store_dir, files)  # another process may have just built it
        if opened is not None:
            return opened, False
        manifest = _build(store_dir, files, progress=progress, why=why)
        if damage is not None:
            _log.warning(  # the damage as recorded in the manifest, which anyone may have written
                "%s: the store was damaged (%s); it was built again from the files",
                store_dir,
                escape_controls(damage),
            )
        try:
            built = ox.Store.read_only(str(store_dir / manifest["store"]))
        except (OSError, RuntimeError) as error:
            raise InputError(f"{store_dir}: cannot open the store: {reason(error)}") from None
        _opened[store_dir.resolve()] = manifest["store"]
        return built, True


def _open_fresh(store_dir: Path, files: list[Path]) -> tuple[ox.Store | None, str, str | None]:
    """Open the store if it is fresh for ``files`` and not damaged; else say why it must be built.

    A store that cannot be opened is damaged (or was just replaced by another process's build): it
    is built again, as a stale one is. RocksDB reports damage as a ``RuntimeError``.

    :return: the store, or None, why it must be built (for the message if it cannot be) and, if it
        is damaged, how.
    """
    touched: dict[tuple[str, str], tuple[int, int | None]] = {}
    manifest = _fresh_manifest(store_dir, files, touched)
    if manifest is None:
        stale = (store_dir / MANIFEST).exists()
        return None, " (it must be rebuilt: the files or the settings changed)" if stale else "", None
    damage = _damage(store_dir, manifest, touched)
    if damage is None:
        try:
            opened = ox.Store.read_only(str(store_dir / manifest["store"]))
        except (OSError, RuntimeError) as error:
            damage = f"it cannot be opened: {reason(error)}"
        else:
            _opened[store_dir.resolve()] = manifest["store"]
            if touched:
                _record_times(store_dir, manifest["store"], touched)
            return opened, "", None
    return None, f" (it is damaged and must be rebuilt: {damage})", damage


def _record_times(
    store_dir: Path, store_name: str, touched: dict[tuple[str, str], tuple[int, int | None]]
) -> None:
    """Record in the manifest the new mtimes of files whose SHA-256 was just found unchanged.

    A copy made without keeping times, or files touched (a checkout), are then read only once, not at
    every start. The lock is taken for the few milliseconds of the write, without waiting: if another
    process holds it, or the folder cannot be written, nothing is recorded (the files are read again
    next time). Nothing is recorded either if the manifest now names another store or marks it damaged.

    :param touched: ``(list, path or name)`` of each such entry of the manifest's ``files`` and
        ``store_files`` -> its mtime and (for ``files``) ctime, in ns, when its SHA-256 was read.
    """

    def record(manifest: dict[str, Any]) -> bool:
        if "damaged" in manifest:
            return False
        for key, field in (("files", "path"), ("store_files", "name")):
            for entry in manifest[key]:
                found = touched.get((key, entry[field]))
                if found is not None:
                    entry["mtime_ns"], ctime = found
                    if ctime is not None:
                        entry["ctime_ns"] = ctime
        return True

    _amend_manifest(store_dir, store_name, record, "times")


def _amend_manifest(
    store_dir: Path, store_name: str | None, amend: Callable[[dict[str, Any]], bool], token: str
) -> bool:
    """Change the manifest under the store's lock, without waiting for it; return whether it was written.

    Nothing is written if another process holds the lock, the folder cannot be written, the manifest
    is not well formed, or it names another store than ``store_name`` (when given).

    :param amend: changes the manifest in place; returns False to write nothing.
    :param token: part of the temporary file's name.
    """
    try:
        with locked(store_dir):
            manifest = check_folder(store_dir, "query")
            if manifest is None or not _well_formed(manifest):
                return False
            if store_name is not None and manifest["store"] != store_name:
                return False
            if not amend(manifest):
                return False
            fields = {k: v for k, v in manifest.items() if k not in ("format", "version")}
            write_manifest(store_dir, fields, f"{token}-{os.getpid()}")
            return True
    except (LockedError, InputError, UsageError, OSError):
        return False


def _damage(
    store_dir: Path,
    manifest: dict[str, Any],
    touched: dict[tuple[str, str], tuple[int, int | None]] | None = None,
) -> str | None:
    """Say how the store of a fresh manifest is damaged, or return None if it is as built.

    Each file of the database must have its size, and its modification time or else its SHA-256
    (a copy made without keeping times), as recorded after the build; the store is opened
    read-only, so none of them changes while it is used.

    :param touched: filled as for :func:`_record_times`, if given.
    """
    found = manifest.get("damaged")
    if isinstance(found, str):
        return found
    database = store_dir / manifest["store"]
    if not database.is_dir():  # deleted (rm -rf DIR/store-*): as damaged as a file of it missing
        return f"{manifest['store']} is {'not a folder' if database.exists() else 'missing'}"
    return _changed_file(database, manifest["store_files"], read_all=False, touched=touched)


def verify_store(store_dir: Path) -> str | None:
    """Read every file of the store and say how one differs from the build's SHA-256, if one does.

    For damage that keeps the files' sizes and times, which :func:`open_store` does not read for
    speed: RocksDB finds some of it by its block checksums (:func:`damage_in`), but a damaged block
    may also be read as something else, a query then running until its timeout.

    :param store_dir: the store folder.
    :return: what differs, or None if every file is as built (or the folder holds no built store, or
        another process has built a new one since this process opened it).
    """
    try:
        manifest = check_folder(store_dir, "query")
    except UsageError:
        return None
    if manifest is None or not _well_formed(manifest) or _replaced(store_dir, manifest):
        return None
    return _changed_file(store_dir / manifest["store"], manifest["store_files"], read_all=True)


def _replaced(store_dir: Path, manifest: dict[str, Any]) -> bool:
    """Tell whether the manifest names another store than the one this process opened in the folder."""
    opened = _opened.get(store_dir.resolve())
    return opened is not None and manifest["store"] != opened


def _changed_file(
    folder: Path,
    entries: list[dict[str, Any]],
    *,
    read_all: bool,
    touched: dict[tuple[str, str], tuple[int, int | None]] | None = None,
) -> str | None:
    """Say which file of a database is not as its manifest entry records, and how; None if all are.

    :param read_all: compare every file's SHA-256; else only of the files whose time changed.
    :param touched: filled as for :func:`_record_times`, if given.
    """
    for entry in entries:
        name = entry["name"]
        try:
            info = (folder / name).stat()
            if info.st_size != entry["size"]:
                return f"{name} is {info.st_size} bytes long, not {entry['size']}"
            moved = info.st_mtime_ns != entry["mtime_ns"]
            if (read_all or moved) and _sha256(folder / name) != entry["sha256"]:
                return f"{name} was changed"
            if moved and touched is not None:
                touched["store_files", name] = (info.st_mtime_ns, None)
        except FileNotFoundError:
            return f"{name} is missing"
        except OSError as error:
            return f"{name} cannot be read: {reason(error)}"
    return None


def damage_in(message: str) -> str | None:
    """Return RocksDB's report of a damaged store found in an error message, if any.

    :param message: the message of an error raised while reading a store.

    >>> damage_in("query failed: Corruption: block checksum mismatch in s/000039.sst")
    'Corruption: block checksum mismatch in s/000039.sst'
    >>> damage_in("query failed: ?x is not bound") is None
    True
    >>> damage_in("cannot add the new triples: IO error: No space left on device") is None
    True
    """
    match = _ROCKSDB_DAMAGE.search(message)
    return None if match is None else match.group()


def damage_of(error: BaseException) -> str | None:
    """Return RocksDB's report of a damaged store among the causes of ``error``, if any.

    Only the store's own errors count (pyoxigraph raises a ``RuntimeError``): the same words in the
    name of a file or in a query (``Corruption: notes.ttl: no such file``) are not damage.

    :param error: an error raised while reading a store, with what it was raised from.

    >>> cause = RuntimeError("Corruption: block checksum mismatch in s/000039.sst")
    >>> try:
    ...     raise InputError("query failed: Corruption: block checksum mismatch in s/000039.sst") from cause
    ... except InputError as error:
    ...     damage_of(error)
    'Corruption: block checksum mismatch in s/000039.sst'
    >>> damage_of(InputError("Corruption: notes.ttl: no such file")) is None
    True
    """
    cause = error.__cause__ or error.__context__
    for _depth in range(16):  # a chain of causes is short; a cycle is not followed for ever
        if cause is None:
            return None
        if type(cause) is RuntimeError:
            found = damage_in(str(cause))
            if found is not None:
                return found
        cause = cause.__cause__ or cause.__context__
    return None


def damaged_store_error(store_dir: Path, damage: str) -> StoreDamagedError:
    """Mark the store damaged (:func:`mark_damaged`) and return the error that says so and what follows.

    :param store_dir: the store folder.
    :param damage: what was found.
    """
    if mark_damaged(store_dir, damage):
        then = "the next command builds it again from the files"
    elif _rebuilt_since(store_dir):
        then = "another command has built it again since: run the command again"
    else:
        then = "delete the folder and it is built again"
    return StoreDamagedError(f"{store_dir}: the store is damaged ({damage}); {then}")


def _rebuilt_since(store_dir: Path) -> bool:
    """Tell whether another process has built a new store in the folder since this one opened it."""
    try:
        manifest = check_folder(store_dir, "query")
    except UsageError:
        return False
    return manifest is not None and _well_formed(manifest) and _replaced(store_dir, manifest)


def mark_damaged(store_dir: Path, damage: str) -> bool:
    """Record in the manifest that the store was found damaged, so that the next run rebuilds it.

    For damage found while the store was read (RocksDB's block checksums), which the files' sizes
    and times do not show. Nothing is done if another process holds the lock (it is rebuilding the
    store), has built a new store since this process opened it (the damage was in the old one), or
    the folder cannot be written (the next run that can write rebuilds it).

    :param store_dir: the store folder.
    :param damage: what was found, for the warning of the rebuild.
    :return: whether it was recorded.
    """

    def mark(manifest: dict[str, Any]) -> bool:
        manifest["damaged"] = damage
        return True

    # the store this process opened, not another process's newer build
    return _amend_manifest(store_dir, _opened.get(store_dir.resolve()), mark, "damaged")


def _fresh_manifest(
    store_dir: Path, files: list[Path], touched: dict[tuple[str, str], tuple[int, int | None]] | None = None
) -> dict[str, Any] | None:
    """Return the manifest of ``store_dir`` if its store is fresh for ``files``, else None.

    :param touched: filled as for :func:`_record_times`, if given.
    """
    manifest = check_folder(store_dir, "query")
    if manifest is None or not _well_formed(manifest):  # a store folder gone is damage (_damage)
        return None
    if manifest["given"] != [str(resolved(f)) for f in files] or manifest["checks"] != _LOAD_CHECKS:
        return None
    if manifest["imports_found"] and manifest["imports_followed"] != guard.imports_allowed():
        return None
    if not all(_same_target(alias) for alias in manifest["aliases"]):
        return None
    if not _within(manifest, Limits.from_env()):
        return None
    return manifest if all(_unchanged(entry, touched) for entry in manifest["files"]) else None


#: the version of the checks a file passes to be loaded: a store built under older (looser) checks is
#: rebuilt. Raise it whenever reading.check_jsonld, complete_jsonld or checked_quads refuse more, or the
#: manifest records the files otherwise (2: JSON-LD's relative IRIs, loaded as nothing before; 3: what
#: JSON-LD drops among triples it keeps; 4: files recorded as named, not with their links followed)
_LOAD_CHECKS = 4
_FIELDS = {
    "checks": int,
    "store": str,
    "given": list,
    "imports_found": bool,
    "imports_followed": bool,
    "longest_literal": int,
    "max_depth": int,
    "files": list,
    "store_files": list,
    "aliases": list,
}
_ENTRY = {"path": str, "size": int, "mtime_ns": int, "sha256": str}
_STORE_ENTRY = {"name": str, "size": int, "mtime_ns": int, "sha256": str}
_ALIAS = {"path": str, "target": str}


def _well_formed(manifest: dict[str, Any]) -> bool:
    """Tell whether a manifest has every field, of the right type (a damaged one is stale)."""
    if not all(isinstance(manifest.get(key), kind) for key, kind in _FIELDS.items()):
        return False
    for key, fields in (("files", _ENTRY), ("store_files", _STORE_ENTRY), ("aliases", _ALIAS)):
        for entry in manifest[key]:
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k), t) for k, t in fields.items()):
                return False
    if any(Path(entry["name"]).name != entry["name"] for entry in manifest["store_files"]):
        return False  # a file of the store's own folder, never a path elsewhere
    if any(
        "\x00" in entry[key]
        for key, entries in (("path", "files"), ("name", "store_files"), ("path", "aliases"))
        for entry in manifest[entries]
    ):
        return False  # no file has such a name: written by hand (os.stat raised ValueError)
    return STORE_NAME.fullmatch(manifest["store"]) is not None


def _same_target(alias: dict[str, str]) -> bool:
    """Tell whether another name of a loaded file still names that file."""
    try:
        return str(resolved(Path(alias["path"]))) == alias["target"]
    except InputError:  # now a loop of links, say: built again, which names it
        return False


def _within(manifest: dict[str, Any], limits: Limits) -> bool:
    """Tell whether the load limits now let through everything the store was built from."""
    if manifest["longest_literal"] > limits.max_literal_chars:
        return False
    whole = [
        e for e in manifest["files"] if FORMATS_BY_EXTENSION.get(Path(e["path"]).suffix.lower()) in _WHOLE
    ]
    if not whole:
        return True
    return limits.max_depth >= manifest["max_depth"] and all(
        e["size"] <= limits.max_file_bytes for e in whole
    )


def _unchanged(
    entry: dict[str, Any], touched: dict[tuple[str, str], tuple[int, int | None]] | None = None
) -> bool:
    """Tell whether a file is as the manifest records it (a file that cannot be read has changed).

    :param touched: filled as for :func:`_record_times`, if given.
    """
    path = Path(entry["path"])
    try:
        info = path.stat()
        if info.st_size != entry["size"]:
            return False
        if info.st_mtime_ns == entry["mtime_ns"] and info.st_ctime_ns == entry.get("ctime_ns"):
            return True
        if _sha256(path) != str(entry["sha256"]):
            return False
    except OSError:
        return False
    if touched is not None:
        touched["files", entry["path"]] = (info.st_mtime_ns, info.st_ctime_ns)
    return True


def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _build(store_dir: Path, files: list[Path], *, progress: bool, why: str) -> dict[str, Any]:
    """Build the store of ``files`` in a temporary folder, rename it into place, then write its manifest.

    :param why: why it is built, for the message if the folder cannot be written.
    :return: the new manifest.
    :raises UsageError: if the folder cannot be written.
    """
    import shutil
    import tempfile
    import traceback

    from relgraph.progress import progress as progress_bar

    def unwritable(error: BaseException) -> UsageError:
        return UsageError(f"{store_dir}: cannot write the store{why}: {reason(error)}")

    limits = Limits.from_env()
    # what a build killed outright (SIGKILL, power loss) left: no other build runs while this one
    # holds the lock, so none of it is in use. Only what relgraph itself makes (storedir.leftover): a
    # file or folder of someone else's whose name looks like one (.build-cache) is never deleted
    for entry in _entries(store_dir):
        what = leftover(entry)
        if what == "build":
            shutil.rmtree(entry, ignore_errors=True)
        elif what == "manifest":
            entry.unlink(missing_ok=True)
        elif what == "scratch":  # scratch_copy's, unless another process uses it
            with contextlib.suppress(LockedError, InputError), locked(entry):
                shutil.rmtree(entry, ignore_errors=True)
    try:
        temporary = Path(tempfile.mkdtemp(prefix=".build-", dir=store_dir))
    except OSError as error:
        raise unwritable(error) from None
    store: ox.Store | None = None
    try:
        try:
            store = ox.Store(str(temporary / "store"))
        except (OSError, RuntimeError) as error:
            raise unwritable(error) from None
        total = sum(_size(f) for f in files)
        entries: list[dict[str, Any]] = []
        longest, found, aliases = [0], [], cast(list[Path], [])
        with progress_bar(total if progress else 0, "building the store") as update:

            def load(path: Path) -> list[ox.Quad]:
                assert store is not None
                done = sum(entry["size"] for entry in entries)
                imports: list[ox.Quad] = []
                report: Callable[[int], None] = lambda read: update(min(done + read, total))  # noqa: E731
                entries.append(_load_file(path, store, (limits, longest, imports), report))
                found.extend(imports)
                return imports

            try:
                load_in_order(files, load, skipped=aliases)
                store.flush()
            except (OSError, RuntimeError) as error:  # the files' own errors are InputError
                raise unwritable(error) from None
        store = None  # closes the database before it is renamed
        token = temporary.name.removeprefix(".build-")
        final = store_dir / f"store-{token}"
        try:
            store_files = _store_files(temporary / "store")
        except OSError as error:
            raise unwritable(error) from None
        manifest = {
            "kind": "query",
            "checks": _LOAD_CHECKS,
            "store": final.name,
            "given": [str(resolved(f)) for f in files],
            "imports_found": bool(found),
            "imports_followed": guard.imports_allowed(),
            "longest_literal": longest[0],
            "max_depth": limits.max_depth,
            "files": entries,
            "store_files": store_files,
            # another name of a file loaded under its first name (an import by a second link): the store
            # is stale once it names another file (the file itself is recorded with its first name)
            "aliases": [{"path": str(a.absolute()), "target": str(resolved(a))} for a in aliases],
        }
        try:
            if (store_dir / MANIFEST).exists():  # the old store stays in use until the new one is in place
                (temporary / "store").rename(final)
                write_manifest(store_dir, manifest, token)
            else:  # a first build: the manifest first marks the folder as a store, so that one interrupted
                # here is built again, not refused as a folder of something else (it held only store-*)
                write_manifest(store_dir, manifest, token)
                (temporary / "store").rename(final)
        except OSError as error:
            raise unwritable(error) from None
        for old in _entries(store_dir):  # the old stores: RocksDB folders named as relgraph names them
            if old != final and STORE_NAME.fullmatch(old.name) and rocksdb_folder(old):
                shutil.rmtree(old, ignore_errors=True)
        return manifest
    except BaseException as error:
        # the frames of the error's traceback (the loaders') hold the store: let them go, so that it
        # is closed below, before its folder goes (RocksDB would write into the folder when closed later)
        traceback.clear_frames(error.__traceback__)
        raise
    finally:
        store = None
        shutil.rmtree(temporary, ignore_errors=True)


def _entries(folder: Path) -> list[Path]:
    """Return what ``folder`` holds (nothing if it cannot be read)."""
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _store_files(folder: Path) -> list[dict[str, Any]]:
    """Return the size, modification time and SHA-256 of each file of a closed database."""
    entries = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not _NOT_DATA.fullmatch(path.name):
            info = path.stat()
            entries.append(
                {
                    "name": path.name,
                    "size": info.st_size,
                    "mtime_ns": info.st_mtime_ns,
                    "sha256": _sha256(path),
                }
            )
    return entries


def _load_file(
    path: Path,
    store: ox.Store,
    checks: tuple[Limits, list[int], list[ox.Quad]],
    report: Callable[[int], None],
) -> dict[str, Any]:
    """Load one file into ``store`` with the checks of the in-memory load; return its manifest entry.

    RDF/XML and JSON-LD are read whole (within the size limit) and checked for XML entities and
    depth as in memory; the other formats are streamed. The SHA-256 is of the bytes loaded.

    :param checks: the limits; the longest literal so far, updated; a list the ``owl:imports`` quads go to.
    """
    import io

    from relgraph.progress import CountingReader

    limits, longest, imports = checks
    file_format = rdf_format(path)
    hasher = hashlib.sha256()
    with contextlib.ExitStack() as stack:
        if file_format in _WHOLE:
            info = _stat(path)
            data = read_checked(path, limits, seen=hasher.update)
            if file_format == ox.RdfFormat.RDF_XML:
                guard.check_xml(path, data, limits.max_depth)
            check_depth(path, data, file_format, limits)
            if file_format == ox.RdfFormat.JSON_LD:
                check_jsonld(path, data)  # what it would drop without a word
            raw: IO[bytes] = io.BytesIO(data)
            checked = None
        else:
            stream = stack.enter_context(open_checked(path))
            info = os.fstat(stream.fileno())
            checked = CheckedReader(path, stream, seen=hasher.update)
            raw = cast(IO[bytes], checked)
        source = cast(IO[bytes], CountingReader(raw, report))
        base = base_iri(file_format)
        quads: Iterable[ox.Quad] = ox.parse(source, file_format, rename_blank_nodes=True, base_iri=base)
        if file_format == ox.RdfFormat.JSON_LD:
            quads = complete_jsonld(path, quads)
        try:
            store.bulk_extend(checked_quads(path, quads, limits, longest, imports))
        except SyntaxError as error:
            raise InputError(file_syntax_message(path, error)) from error
        except MemoryError as error:
            raise token_too_long(path, error) from None
        except ValueError as error:
            raise InputError(f"{path}: {one_line(str(error))}") from error
        if checked is not None:
            checked.check_not_empty()
    return {
        # as named, not resolved: re-pointing a symbolic link (an import's, say) must make the store stale
        "path": str(path.absolute()),
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "ctime_ns": info.st_ctime_ns,  # which no one can set back (touch -r can the mtime)
        "sha256": hasher.hexdigest(),
    }


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as error:
        raise unreadable(path, error) from None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
