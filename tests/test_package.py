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


#: the modules that define IRIs (the namespace modules), and IRIs that are sentinels, not vocabulary
_IRI_HOMES = {"namespaces.py", "prefixes.py"}
_SENTINELS = {
    "urn:relgraph:probe",  # catalogue: a value to check that a query with an IRI parameter compiles
    "relgraph-relative:",  # reading: the scheme of the base IRI that catches JSON-LD's relative IRIs
}


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module, but its docstrings (whose examples may name any IRI)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_bare_iris_in_code() -> None:
    # explain compared properties with "http://www.w3.org/2000/01/rdf-schema#label", and the SHACL
    # compiler built XSD IRIs from the namespace written out: IRIs come from relgraph.namespaces or rdflib
    found = [
        f"{path.name}:{line}: {value}"
        for path in sorted((ROOT / "src" / "relgraph").glob("*.py"))
        if path.name not in _IRI_HOMES
        for line, value in _string_constants(path)
        if re.fullmatch(r"(?:https?://|urn:)\S+", value) and value not in _SENTINELS
    ]
    assert found == []


def test_the_default_graph_the_help_names_is_the_one_push_writes() -> None:
    from click.testing import CliRunner

    from relgraph.cli import cli
    from relgraph.push import DEFAULT_GRAPH

    for command in ("push", "query", "sparql"):
        shown = " ".join(CliRunner().invoke(cli, [command, "--help"]).output.split())
        assert f"[default: {DEFAULT_GRAPH}" in shown, command
