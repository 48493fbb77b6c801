"""The README does not drift from the code: commands, queries and the Quick start."""

from __future__ import annotations

import re

from relgraph.catalogue import Catalogue
from relgraph.cli import cli


def readme(root) -> str:
    return (root / "README.md").read_text(encoding="utf-8")


def quick_start(text: str) -> list[str]:
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [
        line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def test_quick_start_has_exactly_two_commands(root):
    commands = quick_start(readme(root))
    assert len(commands) == 2
    assert "relgraph report" in commands[0]
    assert "pytest" in commands[1]


def test_every_cli_command_is_documented(root):
    text = readme(root)
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        assert f"### `relgraph {name}" in text, name


def test_every_canned_query_is_documented(root):
    text = readme(root)
    names = Catalogue.load(check_sparql=False).names()
    assert len(names) >= 15
    for name in names:
        assert f"| `{name}` |" in text, name


def test_every_exit_code_is_documented(root):
    from relgraph.errors import ExitCode

    text = readme(root)
    for code in ExitCode:
        assert f"| {int(code)} |" in text, code


def command_sections(text: str) -> dict[str, str]:
    """``relgraph NAME`` -> the README text from its ``###`` heading to the next heading."""
    parts = re.split(r"^(### `relgraph [a-z-]+)", text, flags=re.MULTILINE)
    return {heading.split()[-1]: body for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def mentions(text: str, spellings: list[str]) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text) for o in spellings)


def test_every_cli_option_is_documented(root):
    """Each option is in its command's section, or in a paragraph that names the command too."""
    text = readme(root)
    sections = command_sections(text)
    paragraphs = re.split(r"\n\s*\n", text)
    checked = 0
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        for param in cli.commands[name].params:
            if param.param_type_name != "option" or param.name == "help":
                continue
            spellings = [*param.opts, *param.secondary_opts]
            named = [p for p in paragraphs if f"`{name}`" in p or f"relgraph {name}" in p]
            assert mentions(sections[name], spellings) or any(mentions(p, spellings) for p in named), (
                name,
                spellings,
            )
            checked += 1
    assert checked > 30


# examples that run on the shipped graph alone; the others need files made earlier in the README
RUNNABLE_EXAMPLES = ("queries", "query", "sparql", "validate tests/", "explain")


def examples(text: str) -> list[tuple[str, list[str]]]:
    """Each ``text`` block that shows a ``$ relgraph ...`` command: the command and the lines after it."""
    found = []
    for block in re.findall(r"```text\n(.*?)```", text, re.DOTALL):
        first, *output = block.splitlines()
        command = first.removeprefix("$ relgraph ")
        if command == first or not command.startswith(RUNNABLE_EXAMPLES):
            continue
        if any(line.startswith("$ ") for line in output) or "--data" in command or "--store" in command:
            continue  # a session of several commands, or one on files made earlier
        found.append((command, output))
    return found


def test_readme_examples_show_what_the_commands_print(root, monkeypatch):
    import shlex

    from click.testing import CliRunner

    monkeypatch.chdir(root)
    shown = examples(readme(root))
    assert len(shown) >= 5
    for command, expected in shown:
        result = CliRunner().invoke(cli, shlex.split(command))
        printed = result.stdout.splitlines()
        if expected and expected[-1].strip() == "...":  # the first lines only
            expected = expected[:-1]
            printed = printed[: len(expected)]
        assert len(printed) == len(expected), command
        for line, shown_line in zip(printed, expected, strict=True):
            # "…" in a shown line stands for text left out
            pattern = ".*".join(re.escape(part) for part in shown_line.split("…"))
            assert re.fullmatch(pattern, line), (command, line, shown_line)


def test_serve_example_shows_the_size_of_the_shipped_graph(root):
    from relgraph import load_default_graph

    shown = re.findall(r"^Loaded (\d+) triples into", readme(root), re.MULTILINE)
    assert shown == [str(len(load_default_graph()))]
