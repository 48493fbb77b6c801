"""The package as a library: typed (PEP 561), its public names all there, one version."""

from __future__ import annotations

import importlib
import pkgutil
import re
from importlib import metadata, resources
from pathlib import Path

import pytest

import relgraph

ROOT = Path(__file__).resolve().parent.parent


def test_package_is_marked_typed_for_type_checkers() -> None:
    # without py.typed, mypy and pyright ignore relgraph's annotations in a user's code (as "missing
    # library stubs"); the wheel ships every file of src/relgraph
    assert resources.files("relgraph").joinpath("py.typed").is_file()


@pytest.mark.parametrize(
    "module", ["relgraph", *sorted(f"relgraph.{m.name}" for m in pkgutil.iter_modules(relgraph.__path__))]
)
def test_every_name_in_all_exists(module: str) -> None:
    imported = importlib.import_module(module)
    names = getattr(imported, "__all__", None)
    assert names is not None, f"{module} has no __all__"
    assert len(names) == len(set(names))
    missing = [name for name in names if not hasattr(imported, name)]
    assert missing == []


def test_version_is_the_distribution_version_and_written_once() -> None:
    assert relgraph.__version__ == metadata.version("relgraph")
    written = [
        path
        for path in (ROOT / "src" / "relgraph").glob("*.py")
        if re.search(r"""__version__\s*=\s*["']\d""", path.read_text(encoding="utf-8"))
    ]
    assert written == []  # only pyproject.toml holds the number


def test_python_dash_m_relgraph_runs_the_command() -> None:
    # `python -m relgraph` said "No module named relgraph.__main__"
    import subprocess
    import sys

    from relgraph import __version__

    command = [sys.executable, "-m", "relgraph", "--version"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert __version__ in done.stdout and done.stdout.startswith("relgraph")
