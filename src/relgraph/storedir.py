"""The folder of an on-disk store: whose it is, and whether relgraph may write into it.

relgraph marks a store folder with ``manifest.json``: ``{"format": "relgraph store", "kind": …,
"version": …}``. The kind ``query`` is the store of ``--store DIR`` of the query commands
(:mod:`relgraph.persist`: the manifest also lists the files it was built from), ``serve`` the
Oxigraph database of ``relgraph serve --store DIR`` (:mod:`relgraph.serve`). Both check the folder
with :func:`check_folder` before writing anything: a new or empty folder, or one marked as a store of
their kind, is theirs; anything else is refused in one line saying what it is (a folder with other
content, a manifest that is not JSON, a store of the other kind or of a newer relgraph), so a folder
given by mistake is never written into. A store of an older relgraph is stale: it is rebuilt.

A version 1 manifest carried no mark (``{"version": 1, "store": …, "files": […]}``), so such a folder
is taken for a store only if it holds what relgraph wrote there and nothing else: the RocksDB folder the
manifest names, other ``store-*`` RocksDB folders and the temporary files of a build (:func:`leftover`).
A temporary file or folder of relgraph's is known by its name (``.build-``, ``.scratch-`` or
``.manifest.json.``, then the letters of a :func:`tempfile.mkdtemp` token) and by its content (a RocksDB
folder, the start of a manifest): a name alone (``.build-cache``, ``.manifest.json.bak``) is not enough.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from relgraph.errors import UsageError

__all__ = [
    "FORMAT",
    "MANIFEST",
    "STORE_NAME",
    "VERSION",
    "check_folder",
    "leftover",
    "make_folder",
    "manifest_is_ours",
    "reason",
    "rocksdb_folder",
    "write_manifest",
]

MANIFEST = "manifest.json"
#: the ``format`` of a relgraph manifest
FORMAT = "relgraph store"
#: the manifest version this relgraph writes; version 1 (no ``format``) was a ``query`` store
VERSION = 2
_WHAT = {"query": "the store of --store DIR of the query commands", "serve": "the store of relgraph serve"}
# the random part of a name made by tempfile.mkdtemp (its letters), which relgraph.persist uses for the
# folder of a build (.build-TOKEN), the store it becomes (store-TOKEN) and a scratch copy (.scratch-TOKEN)
_TOKEN = r"[a-z0-9_]+"
#: the name of the database folder of a query store (``store-`` and a :func:`tempfile.mkdtemp` token)
STORE_NAME = re.compile(rf"store-{_TOKEN}")
# the folder of a build or of a scratch copy (what it may hold: _WORK_DATABASE)
_WORK_FOLDER = re.compile(rf"\.(build|scratch)-{_TOKEN}")
# the temporary file of write_manifest: the token of a build, "damaged-PID" or "times-PID" (persist),
# "serve" (relgraph.serve)
_MANIFEST_TEMPORARY = re.compile(rf"\.{re.escape(MANIFEST)}\.{_TOKEN}(?:-[0-9]+)?")
# how each manifest relgraph wrote begins (json.dumps with indent=2): version 2 on, and version 1
_MANIFEST_STARTS = ('{\n  "format": "relgraph store",', '{\n  "version": 1,\n  "store": "store-')
# the names of the files of a RocksDB database (rocksdb/file/filename.cc), temporary ones too, and the
# tables Oxigraph's bulk load writes into it before they are ingested (bulk-<random number>.sst)
_ROCKSDB_FILE = re.compile(
    r"CURRENT|IDENTITY|LOCK|LOG(?:\.old\.[0-9]+)?|(?:MANIFEST|OPTIONS)-[0-9]+(?:\.dbtmp)?|METADB-[0-9]+"
    r"|[0-9]+\.(?:log|sst|ldb|blob|dbtmp)|bulk-[0-9]+\.sst"
)
# what the folder of a build or a scratch copy holds: the database, or (RocksDB's checkpoint of a
# scratch copy, killed while it was made) the checkpoint's temporary folder
_WORK_DATABASE = {"build": ("store",), "scratch": ("store", "store.tmp")}
# the keys of a version 1 manifest, and of each of its files
_VERSION_1 = {"version", "store", "files"}
_VERSION_1_FILE = {"path": str, "size": int, "mtime_ns": int}


def check_folder(folder: Path, kind: str) -> dict[str, Any] | None:
    """Return the manifest of the store of ``kind`` in ``folder``, or None when there is none yet.

    None stands for a missing or empty folder, an interrupted first build, and a store of an older
    relgraph (to be rebuilt).

    :param folder: the store folder.
    :param kind: ``query`` or ``serve``.
    :raises UsageError: if ``folder`` is a file, holds something else, or a store of the other kind or
        of a newer relgraph; its manifest is then never changed. Also if it cannot be looked at (its
        name is too long for a file name, a parent cannot be searched).

    >>> check_folder(Path("/nonexistent"), "query") is None
    True
    """
    try:
        mode = folder.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as error:  # a name too long for a file name, a parent the user cannot search
        raise UsageError(f"{folder}: {_cannot_use(error)}: {reason(error)}") from None
    if mode is not None and not stat.S_ISDIR(mode):
        raise UsageError(f"{folder}: --store must be a folder")
    text = _read_manifest(folder)
    if text is None:
        if _empty(folder, kind):
            return None
        text = _read_manifest(folder)  # another process's first build may have just written it
        if text is None:
            raise UsageError(f"{folder}: not a relgraph store (no {MANIFEST}); give an empty or new folder")
    try:
        manifest = json.loads(text)
    except (ValueError, RecursionError) as error:  # RecursionError: brackets nested 100,000 deep
        raise UsageError(
            f"{folder}: {MANIFEST} is damaged (not JSON: {error}); "
            "if the folder is a relgraph store, delete it and it is built again"
        ) from None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    if manifest_is_ours(manifest) and isinstance(version, int) and version > VERSION:
        raise UsageError(
            f"{folder}: the store was made by a newer relgraph (store format {version}, this one "
            f"knows up to {VERSION}); upgrade relgraph, or delete the folder and it is built again"
        )
    found = _kind(manifest, folder)
    if found is None:
        raise UsageError(f"{folder}: {MANIFEST} is not a relgraph store's; give an empty or new folder")
    if found != kind:
        raise UsageError(f"{folder}: this is {_WHAT[found]}, not {_WHAT[kind]}; give another folder")
    return manifest if version == VERSION else None


def make_folder(folder: Path) -> None:
    """Create the store folder (and its parents) if it is missing.

    :param folder: the folder.
    :raises UsageError: if it cannot be created.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{folder}: cannot create the store folder: {reason(error)}") from None


def write_manifest(folder: Path, manifest: dict[str, Any], token: str) -> None:
    """Write ``manifest.json`` whole or not at all: to a temporary file renamed over it.

    :param folder: the store folder.
    :param manifest: the manifest (``format`` and ``version`` are added).
    :param token: names the temporary file (unique to this writer).
    :raises OSError: if it cannot be written.
    """
    temporary = folder / f".{MANIFEST}.{token}"
    try:
        text = json.dumps({"format": FORMAT, "version": VERSION, **manifest}, indent=2)
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(folder / MANIFEST)
    finally:
        temporary.unlink(missing_ok=True)


def reason(error: BaseException) -> str:
    """Return why an operating-system or store error happened, in a few words on one line.

    :param error: the error.

    >>> reason(PermissionError(13, "Permission denied"))
    'permission denied'
    """
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return " ".join(str(error).split())


def manifest_is_ours(manifest: object) -> bool:
    """Tell whether a manifest carries relgraph's mark (any version from 2 on).

    :param manifest: the parsed ``manifest.json``.

    >>> manifest_is_ours({"format": FORMAT, "version": 2}), manifest_is_ours({"version": "1.0"})
    (True, False)
    """
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def leftover(entry: Path) -> str | None:
    """Say which temporary file or folder of relgraph's ``entry`` is, if it is one.

    ``build``: the folder of a store build (:mod:`relgraph.persist`), holding nothing or a RocksDB
    folder ``store``; ``scratch``: of a scratch copy (:func:`relgraph.persist.scratch_copy`), holding
    nothing, or ``store`` or the checkpoint's ``store.tmp``, RocksDB folders; ``manifest``: the
    temporary file of :func:`write_manifest`, holding the start of a manifest, all of it, or nothing.
    A name alone is not enough: ``.build-cache/notes.txt`` is someone else's.

    :param entry: a file or folder in a store folder.
    :return: ``build``, ``scratch``, ``manifest``, or None for anything else (a symbolic link too).

    >>> leftover(Path("/nonexistent/.build-cache")) is None
    True
    """
    try:
        mode = entry.lstat().st_mode
        work = _WORK_FOLDER.fullmatch(entry.name)
        if work is not None and stat.S_ISDIR(mode):
            kind = work.group(1)
            if all(p.name in _WORK_DATABASE[kind] and rocksdb_folder(p) for p in entry.iterdir()):
                return kind
        elif _MANIFEST_TEMPORARY.fullmatch(entry.name) and stat.S_ISREG(mode):
            with entry.open("rb") as stream:
                start = stream.read(64).decode("utf-8", errors="replace")
            # what was written before the build was interrupted: the start of a manifest, or all of it
            if any(start.startswith(s[: len(start)]) for s in _MANIFEST_STARTS):
                return "manifest"
    except OSError:
        pass
    return None


def rocksdb_folder(folder: Path) -> bool:
    """Tell whether ``folder`` is a folder (not a link) holding only files named as RocksDB names them.

    An empty folder is one (a database not yet written, or emptied).

    :param folder: the folder.

    >>> rocksdb_folder(Path("/nonexistent"))
    False
    """
    try:
        if not stat.S_ISDIR(folder.lstat().st_mode):
            return False
        for entry in folder.iterdir():
            try:
                mode = entry.lstat().st_mode
            except FileNotFoundError:  # deleted or renamed by RocksDB at work since it was listed
                continue
            if _ROCKSDB_FILE.fullmatch(entry.name) is None or not stat.S_ISREG(mode):
                return False
    except OSError:
        return False
    return True


def _kind(manifest: object, folder: Path) -> str | None:
    """Return the kind of store a manifest marks, or None if it is not a relgraph manifest."""
    if not isinstance(manifest, dict):
        return None
    version = manifest.get("version")
    if manifest_is_ours(manifest) and version == VERSION:
        kind = manifest.get("kind")
        return kind if isinstance(kind, str) and kind in _WHAT else None
    if version == 1 and _first_store(manifest, folder):
        return "query"  # the manifest of relgraph's first on-disk stores
    return None


def _first_store(manifest: dict[str, Any], folder: Path) -> bool:
    """Tell whether a version 1 manifest (which carried no mark) and its folder are as relgraph made them.

    The manifest has only the keys relgraph wrote, names a ``store-*`` RocksDB folder that is there,
    and lists files as relgraph did; the folder holds nothing else than the manifest, ``store-*``
    RocksDB folders and what a build left (:func:`leftover`).
    """
    store, files = manifest.get("store"), manifest.get("files")
    if set(manifest) != _VERSION_1 or not isinstance(store, str) or not isinstance(files, list):
        return False
    if STORE_NAME.fullmatch(store) is None or not rocksdb_folder(folder / store):
        return False
    if not all(
        isinstance(entry, dict) and all(isinstance(entry.get(k), t) for k, t in _VERSION_1_FILE.items())
        for entry in files
    ):
        return False
    try:
        entries = list(folder.iterdir())
    except OSError:
        return False
    return all(
        entry.name == MANIFEST
        or (STORE_NAME.fullmatch(entry.name) is not None and rocksdb_folder(entry))
        or leftover(entry) in ("build", "manifest")
        for entry in entries
    )


def _read_manifest(folder: Path) -> str | None:
    """Return the text of the folder's manifest, or None if it has none."""
    try:
        return (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{folder}: cannot read {MANIFEST}: {reason(error)}") from None


def _empty(folder: Path, kind: str) -> bool:
    """Tell whether ``folder`` is missing, empty, or holds only what an interrupted first build left.

    A first build of a query store leaves its ``.build-*`` folder and the manifest's temporary file
    (:func:`leftover`); anything else, whatever its name, is someone else's. What is gone by the time
    it is looked at was another process's build at work.
    """
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return True
    except OSError as error:
        raise UsageError(f"{folder}: cannot read the folder: {reason(error)}") from None
    return all(
        kind == "query" and (leftover(entry) in ("build", "manifest") or not os.path.lexists(entry))
        for entry in entries
    )


def _cannot_use(error: OSError) -> str:
    """Say what failed for a store folder that cannot even be looked at (:func:`check_folder`)."""
    if error.errno == errno.ENAMETOOLONG:  # no such folder can be made
        return "cannot create the store folder"
    return "cannot read the folder"
