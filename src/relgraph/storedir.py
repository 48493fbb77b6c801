"""The folder of an on-disk store: whose it is, and whether relgraph may write into it.

relgraph marks a store folder with ``manifest.json``: ``{"format": "relgraph store", "kind": …,
"version": …}``. The kind ``query`` is the store of ``--store DIR`` of the query commands
(:mod:`relgraph.persist`: the manifest also lists the files it was built from), ``serve`` the
Oxigraph database of ``relgraph serve --store DIR`` (:mod:`relgraph.serve`). Both check the folder
with :func:`check_folder` before writing anything: a new or empty folder, or one marked as a store of
their kind, is theirs; anything else is refused in one line saying what it is (a folder with other
content, a manifest that is not JSON, a store of the other kind or of a newer relgraph), so a folder
given by mistake is never written into. A store of an older relgraph is stale: it is rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from relgraph.errors import UsageError

__all__ = [
    "FORMAT",
    "MANIFEST",
    "VERSION",
    "check_folder",
    "make_folder",
    "manifest_is_ours",
    "reason",
    "write_manifest",
]

MANIFEST = "manifest.json"
#: the ``format`` of a relgraph manifest
FORMAT = "relgraph store"
#: the manifest version this relgraph writes; version 1 (no ``format``) was a ``query`` store
VERSION = 2
_WHAT = {"query": "the store of --store DIR of the query commands", "serve": "the store of relgraph serve"}
# what an interrupted first build of a query store leaves behind (relgraph.persist)
_LEFTOVERS = (".build-", f".{MANIFEST}.")


def check_folder(folder: Path, kind: str) -> dict[str, Any] | None:
    """Return the manifest of the store of ``kind`` in ``folder``, or None when there is none yet.

    None stands for a missing or empty folder, an interrupted first build, and a store of an older
    relgraph (to be rebuilt).

    :param folder: the store folder.
    :param kind: ``query`` or ``serve``.
    :raises UsageError: if ``folder`` is a file, holds something else, or a store of the other kind or
        of a newer relgraph; its manifest is then never changed.

    >>> check_folder(Path("/nonexistent"), "query") is None
    True
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: --store must be a folder")
    manifest_path = folder / MANIFEST
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if _empty(folder, kind):
            return None
        raise UsageError(
            f"{folder}: not a relgraph store (no {MANIFEST}); give an empty or new folder"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{folder}: cannot read {MANIFEST}: {reason(error)}") from None
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
    found = _kind(manifest)
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


def _kind(manifest: object) -> str | None:
    """Return the kind of store a manifest marks, or None if it is not a relgraph manifest."""
    if not isinstance(manifest, dict):
        return None
    version = manifest.get("version")
    if manifest_is_ours(manifest) and version == VERSION:
        kind = manifest.get("kind")
        return kind if isinstance(kind, str) and kind in _WHAT else None
    if version == 1 and isinstance(manifest.get("store"), str) and isinstance(manifest.get("files"), list):
        return "query"  # the manifest of relgraph's first on-disk stores
    return None


def _empty(folder: Path, kind: str) -> bool:
    """Tell whether ``folder`` is missing, empty, or holds only what an interrupted build left."""
    try:
        names = [entry.name for entry in folder.iterdir()]
    except FileNotFoundError:
        return True
    except OSError as error:
        raise UsageError(f"{folder}: cannot read the folder: {reason(error)}") from None
    return all(kind == "query" and name.startswith(_LEFTOVERS) for name in names)
