"""The on-disk store (``--store DIR``): a store rebuilt under a reader, folders that are not relgraph's,
names too long for a folder, a store folder deleted.

Each test runs the real command in-process (or the library call) and asserts the exit code, the one-line
message and what the folder holds afterwards.
"""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from relgraph.cli import cli
from relgraph.prefixes import PREFIXES
from relgraph.store import KnowledgeGraph, default_files

RGD, RDFS = PREFIXES["rgd"], PREFIXES["rdfs"]
ASK = "ASK { ?s ?p ?o }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
NOTE = f'<{RGD}test-note> <{RDFS}comment> "a note about nothing" .\n'
# how a build's temporary manifest begins (storedir.write_manifest), cut short by a kill
MANIFEST_START = '{\n  "format": "relgraph store",\n  "vers'


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder (None) under ``folder``, hidden ones too."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))
    }


def _store_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("store-"))


# --- a store rebuilt by another command while one reads it -------------------------------------------


def test_validate_finishes_when_another_command_rebuilds_the_store_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # validate opens the store, then parses its files; a command given other files rebuilt the store
    # meanwhile, deleting the folder validate had open: "Error: cannot read the graph: NotFound:" (exit 2)
    from relgraph import persist

    store = tmp_path / "store"
    extra = tmp_path / "extra.nt"
    extra.write_text("<http://ex/a> <http://ex/b> <http://ex/c> .\n")
    note = tmp_path / "note.nt"
    note.write_text(NOTE)
    assert run("sparql", ASK, "--store", str(store)).exit_code == 0  # the store of the shipped files
    (opened,) = _store_names(store)
    original = KnowledgeGraph.default

    def then_rebuilt(*args: Any, **kwargs: Any) -> KnowledgeGraph:
        graph = original(*args, **kwargs)
        # another command, for other files, builds the store again: the one opened above is deleted
        rebuilt, built = persist.open_store(store, [*default_files(), extra], progress=False)
        assert built
        del rebuilt
        return graph

    monkeypatch.setattr(KnowledgeGraph, "default", then_rebuilt)
    result = run("validate", str(note), "--store", str(store))
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert result.stdout == f"{note}: conforms (0 violations, 0 warnings, 0 infos)\n"
    monkeypatch.undo()
    (now,) = _store_names(store)
    assert now != opened  # the other command's store stays; no scratch copy is left behind
    assert sorted(p.name for p in store.iterdir()) == ["manifest.json", now]
    count = run("sparql", COUNT, "-f", "csv", "--data", str(extra), "--store", str(store))
    assert (count.exit_code, count.stderr, _store_names(store)) == (0, "", [now])  # used as it is


def test_writable_copy_of_a_store_whose_folder_was_deleted_is_made_in_memory(
    tmp_path: Path, shipped: Path
) -> None:
    # no checkpoint can be made of a store whose folder is gone (RocksDB's RuntimeError "NotFound: ");
    # writable_copy gave it up, where the open store still reads
    import pyoxigraph as ox

    from relgraph.persist import scratch_copy

    store = tmp_path / "store"
    graph = KnowledgeGraph.default(store=store)
    before = sorted(str(q) for q in graph.quads())
    extra = tmp_path / "extra.nt"
    extra.write_text("<http://ex/a> <http://ex/b> <http://ex/c> .\n")
    other = KnowledgeGraph.default(extra_files=[extra], store=store)  # built again: the old folder goes
    assert len(other) == len(before) + 1
    del other
    checkpoint = scratch_copy(graph.oxigraph, store)
    with pytest.raises(OSError, match=r"^cannot make a checkpoint of the store: NotFound:"):
        checkpoint.__enter__()
    added = ox.Quad(ox.NamedNode("http://ex/new"), ox.NamedNode("http://ex/p"), ox.Literal("1"))
    with graph.writable_copy() as copy:
        assert sorted(str(q) for q in copy) == before
        copy.add(added)
        assert added in copy
        del copy
    assert sorted(str(q) for q in graph.quads()) == before  # the graph itself is unchanged
    assert not list(store.glob(".scratch-*"))


# --- a folder that is not relgraph's is neither written into nor emptied -----------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda f: ((f / ".build-cache").mkdir(), (f / ".build-cache" / "notes.txt").write_text("mine")),
            id="build-named-folder",
        ),
        pytest.param(lambda f: (f / ".build-info").write_text("mine"), id="build-named-file"),
        pytest.param(lambda f: (f / ".manifest.json.bak").write_text("mine"), id="manifest-named-file"),
        pytest.param(  # the name of relgraph's temporary manifest, not its content
            lambda f: (f / ".manifest.json.k9x2a7qz").write_text("mine"), id="manifest-token-name"
        ),
        pytest.param(  # the name of a build's folder, holding someone else's files
            lambda f: (
                (f / ".build-k9x2a7qz" / "store").mkdir(parents=True),
                (f / ".build-k9x2a7qz" / "store" / "notes.txt").write_text("mine"),
            ),
            id="build-token-name",
        ),
    ],
)
def test_a_folder_of_files_named_like_a_builds_leftovers_is_refused_and_kept(
    tmp_path: Path, shipped: Path, make: Any, one_line_error: Callable[[Result, int], str]
) -> None:
    # any name starting with ".build-" or ".manifest.json." was taken for what a killed build left: the
    # folder was taken for an empty one, its files deleted, and a store built in it
    folder = tmp_path / "mine"
    folder.mkdir()
    make(folder)
    before = snapshot(folder)
    line = one_line_error(run("sparql", ASK, "--store", str(folder)), 2)
    assert line == f"Error: {folder}: not a relgraph store (no manifest.json); give an empty or new folder"
    assert snapshot(folder) == before  # nothing deleted, nothing written


def test_what_a_killed_first_build_left_is_built_over(tmp_path: Path, shipped: Path) -> None:
    # relgraph's own leftovers still make an empty folder, and are cleared by the build; a file of
    # someone else's named like one is never deleted by a rebuild of a store (it was)
    store = tmp_path / "store"
    (store / ".build-k9x2a7qz" / "store").mkdir(parents=True)  # a first build killed outright
    (store / ".build-k9x2a7qz" / "store" / "000001.sst").write_bytes(b"x" * 100)
    (store / ".build-k9x2a7qz" / "store" / "CURRENT").write_text("MANIFEST-000005\n")
    (store / ".manifest.json.k9x2a7qz").write_text(MANIFEST_START)
    assert run("sparql", ASK, "--store", str(store)).exit_code == 0
    (first,) = _store_names(store)
    assert sorted(p.name for p in store.iterdir()) == ["manifest.json", first]
    # files of the user's in the store folder, named like leftovers, then a rebuild and a killed one
    (store / ".build-cache").mkdir()
    (store / ".build-cache" / "notes.txt").write_text("mine")
    (store / ".build-info").write_text("mine")
    (store / ".manifest.json.bak").write_text("mine")
    (store / ".scratch-pad").mkdir()
    (store / ".scratch-pad" / "notes.txt").write_text("mine")
    (store / "store-notes.txt").write_text("mine")
    (store / ".build-z0z0z0z0").mkdir()  # killed right after the folder was made
    (store / ".manifest.json.damaged-4242").write_text("")  # killed before a byte was written
    (store / ".scratch-a1b2c3d4" / "store").mkdir(parents=True)  # a validate killed outright
    (store / ".scratch-a1b2c3d4" / "store" / "000007.log").write_bytes(b"x")
    mine = {k: v for k, v in snapshot(store).items() if "notes" in k or k.endswith((".build-info", ".bak"))}
    data = tmp_path / "note.nt"
    data.write_text(NOTE)
    result = run("sparql", ASK, "--data", str(data), "--store", str(store))  # a new file: rebuilt
    assert (result.exit_code, result.stdout, result.stderr) == (0, "true\n", ""), result.output
    (second,) = [name for name in _store_names(store) if name != "store-notes.txt"]
    assert second != first
    kept = [".build-cache", ".build-info", ".manifest.json.bak", ".scratch-pad", "store-notes.txt"]
    assert sorted(p.name for p in store.iterdir()) == sorted([*kept, "manifest.json", second])
    assert {k: v for k, v in snapshot(store).items() if k in mine} == mine  # byte for byte


def _v1_rocksdb(folder: Path) -> None:
    """A RocksDB folder as relgraph's first stores held one."""
    folder.mkdir()
    for name in ("CURRENT", "IDENTITY", "MANIFEST-000005", "OPTIONS-000007", "000009.sst", "000004.log"):
        (folder / name).write_bytes(b"x")


def _photos(folder: Path) -> None:
    (folder / "photos.db").write_text("mine")
    (folder / "a.jpg").write_text("mine")
    (folder / "manifest.json").write_text('{"version": 1, "store": "photos.db", "files": ["a.jpg"]}\n')


def _photos_in_a_store_named_folder(folder: Path) -> None:
    (folder / "store-photos").mkdir()
    (folder / "store-photos" / "a.jpg").write_text("mine")
    (folder / "manifest.json").write_text('{"version": 1, "store": "store-photos", "files": []}')


def _first_store_with_other_content(folder: Path) -> None:
    _v1_rocksdb(folder / "store-k9x2a7qz")
    (folder / "index.html").write_text("mine")
    (folder / "manifest.json").write_text('{"version": 1, "store": "store-k9x2a7qz", "files": []}')


def _store_folder_missing(folder: Path) -> None:
    (folder / "manifest.json").write_text('{"version": 1, "store": "store-k9x2a7qz", "files": []}')


def _more_keys(folder: Path) -> None:
    _v1_rocksdb(folder / "store-k9x2a7qz")
    manifest = {"version": 1, "store": "store-k9x2a7qz", "files": [], "name": "my app"}
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "make",
    [
        _photos,
        _photos_in_a_store_named_folder,
        _first_store_with_other_content,
        _store_folder_missing,
        _more_keys,
    ],
)
def test_a_folder_whose_manifest_looks_like_version_1_is_refused_and_kept(
    tmp_path: Path, shipped: Path, make: Any, one_line_error: Callable[[Result, int], str]
) -> None:
    # any {"version": 1, "store": <text>, "files": <list>} was taken for relgraph's first store: its
    # manifest was overwritten and a store-* added among the user's files
    folder = tmp_path / "mine"
    folder.mkdir()
    make(folder)
    before = snapshot(folder)
    line = one_line_error(run("sparql", ASK, "--store", str(folder)), 2)
    assert line == f"Error: {folder}: manifest.json is not a relgraph store's; give an empty or new folder"
    assert snapshot(folder) == before


def test_a_first_store_as_relgraph_made_it_is_still_rebuilt(tmp_path: Path, shipped: Path) -> None:
    # with what an interrupted build of it left, and an old store-* beside it; the photos folder beside
    # it, with a manifest of the same shape, is refused (it was rebuilt into)
    store = tmp_path / "store"
    store.mkdir()
    _v1_rocksdb(store / "store-k9x2a7qz")
    _v1_rocksdb(store / "store-old")
    (store / ".build-z0z0z0z0").mkdir()
    (store / ".manifest.json.z0z0z0z0").write_text('{\n  "version": 1,\n  "store": "store-z0')
    files = [{"path": "/x.ttl", "size": 1, "mtime_ns": 1, "sha256": "0"}]
    manifest = {"version": 1, "store": "store-k9x2a7qz", "files": files}
    (store / "manifest.json").write_text(json.dumps(manifest))
    photos = tmp_path / "photos"
    photos.mkdir()
    _photos(photos)
    before = snapshot(photos)
    for folder, code in ((store, 0), (photos, 2)):
        result = run("sparql", ASK, "-f", "csv", "--store", str(folder))
        assert result.exit_code == code, result.output
    rebuilt = json.loads((store / "manifest.json").read_text())
    assert (rebuilt["format"], rebuilt["version"]) == ("relgraph store", 2)
    assert sorted(p.name for p in store.iterdir()) == ["manifest.json", rebuilt["store"]]
    assert snapshot(photos) == before


# --- a store name too long for a folder --------------------------------------------------------------


def _long_names(tmp_path: Path) -> list[Path]:
    too_long = tmp_path / ("a" * 300)  # longer than a file name may be (255 bytes)
    over_path_max = tmp_path.joinpath(*["b" * 200] * 25)  # each part fits; the whole is over 4096
    return [too_long, over_path_max]


@pytest.mark.parametrize("how", ["option", "environment", "serve"])
def test_a_store_name_too_long_is_one_line(
    tmp_path: Path,
    shipped: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    one_line_error: Callable[[Result, int], str],
) -> None:
    # Path.exists() re-raised ENAMETOOLONG: an OSError traceback, exit 1
    from relgraph import serve as serve_module

    monkeypatch.setattr(serve_module, "serve", lambda *args, **kwargs: 0)  # never start a server
    monkeypatch.setattr(serve_module, "check_port", lambda *args: None)  # any port will do
    for name in _long_names(tmp_path):
        if how == "option":
            result = run("sparql", ASK, "--store", str(name))
        elif how == "environment":
            result = run("report", env={"RELGRAPH_STORE": str(name)})
        else:
            result = run("serve", "--port", "9", "--store", str(name))
        line = one_line_error(result, 2)
        assert line == f"Error: {name}: cannot create the store folder: File name too long"
    assert list(tmp_path.iterdir()) == []  # nothing was made


def test_a_store_folder_that_cannot_be_looked_at_is_one_line(
    tmp_path: Path,
    shipped: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_line_error: Callable[[Result, int], str],
) -> None:
    # a parent the user cannot search: Path.exists() re-raised EACCES, a traceback (exit 1)
    folder = tmp_path / "locked" / "store"
    real_stat = Path.stat

    def denied(self: Path, **kwargs: Any) -> Any:
        if self == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_stat(self, **kwargs)

    monkeypatch.setattr(Path, "stat", denied)
    line = one_line_error(run("sparql", ASK, "--store", str(folder)), 2)
    assert line == f"Error: {folder}: cannot read the folder: permission denied"
    assert not (tmp_path / "locked").exists()


# --- a store folder deleted ---------------------------------------------------------------------------


def test_a_deleted_store_folder_is_rebuilt_with_the_damage_warning(tmp_path: Path, shipped: Path) -> None:
    # rm -rf DIR/store-* was rebuilt without a word, where a file of it missing gets the warning
    from relgraph.persist import store_is_fresh

    store = tmp_path / "store"
    args = ("sparql", COUNT, "-f", "csv", "--store", str(store))
    first = run(*args)
    assert first.exit_code == 0, first.output
    (deleted,) = _store_names(store)
    shutil.rmtree(store / deleted)
    assert not store_is_fresh(store, default_files())
    again = run(*args)
    assert (again.exit_code, again.stdout) == (0, first.stdout), again.output
    assert again.stderr == (
        f"Warning: {store}: the store was damaged ({deleted} is missing); it was built again from the files\n"
    )
    (rebuilt,) = _store_names(store)
    assert rebuilt != deleted and sorted(p.name for p in store.iterdir()) == ["manifest.json", rebuilt]
    third = run(*args)
    assert (third.exit_code, third.stdout, third.stderr) == (0, first.stdout, "")
    assert _store_names(store) == [rebuilt]
