"""Find the line of a file where a resource is written, so reports can say ``file:line``.

RDF parsers do not keep the position of each triple, so this reads the file as text: it looks for
the resource's IRI in every form the file can write it (``<iri>``, a prefixed name with one of the
file's own prefixes, a quoted IRI in JSON-LD or RDF/XML, an IRI relative to the file's base) and
prefers a line where it starts a statement (the subject position). A blank node has no name to look
for: :func:`find_literal_line` finds one of its literals instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

__all__ = ["find_line", "find_literal_line"]

_TURTLE_PREFIX = re.compile(r"""(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>""", re.IGNORECASE)
_JSONLD_PREFIX = re.compile(r'"([A-Za-z][\w.-]*)"\s*:\s*"([^"]+[/#:])"')
_XML_PREFIX = re.compile(r"""xmlns:([A-Za-z][\w.-]*)\s*=\s*["']([^"']*)["']""")
# a base IRI against which the file writes relative IRIs: Turtle/TriG, RDF/XML, JSON-LD
_BASE = re.compile(
    r"""(?:(?:@base|BASE)\s*<([^>]*)>|xml:base\s*=\s*["']([^"']*)["']|"@base"\s*:\s*"([^"]*)")""",
    re.IGNORECASE,
)
_BASE_PREFIX = "\x00base"  # stands for a base IRI among the prefixes: relative forms, not prefixed names


_BOUNDARY = r"(?=$|[\s;,.\])}\"'>/])"  # what may follow a name (> and / end an RDF/XML attribute's tag)
# what a statement may start with: an IRI, a quoted IRI (JSON-LD, RDF/XML) or a prefixed name
_STATEMENT_START = re.compile(
    r"""\s*(<[^<>\s]*>|"[^"\s]*"|'[^'\s]*'|[A-Za-z_][\w.\-]*:[^\s;,\])}"'<>/]*|:[^\s;,\])}"'<>/]*)"""
    + _BOUNDARY
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], dict[str, int]]:
    """Return the file's lines, its prefixes (and bases) and the line where each name first starts one."""
    text = path.read_text(encoding="utf-8", errors="replace")
    prefixes: list[tuple[str, str]] = []
    for pattern in (_TURTLE_PREFIX, _JSONLD_PREFIX, _XML_PREFIX):
        prefixes.extend((m.group(1) or "", m.group(2)) for m in pattern.finditer(text))
    for match in _BASE.finditer(text):
        prefixes.append((_BASE_PREFIX, next(g for g in match.groups() if g is not None)))
    # lines end only where RDF syntaxes end them: str.splitlines() also broke at U+2028, U+0085 and a
    # form feed inside literals, which put every later line number off
    lines = tuple(_LINE_BREAK.split(text))
    starts: dict[str, int] = {}  # so that a report of thousands of nodes does not scan the file for each
    for number, line in enumerate(lines, start=1):
        start = _STATEMENT_START.match(line)
        if start is not None and not line.lstrip().startswith("#"):
            starts.setdefault(start.group(1), number)
    return lines, tuple(prefixes), starts


def _forms(iri: str, prefixes: tuple[tuple[str, str], ...]) -> list[str]:
    forms = [f"<{iri}>", f'"{iri}"', f"'{iri}'"]
    for prefix, namespace in prefixes:
        if namespace and iri.startswith(namespace) and len(iri) > len(namespace):
            local = iri[len(namespace) :]
            if prefix == _BASE_PREFIX:  # written relative to the base
                forms.extend([f"<{local}>", f'"{local}"', f"'{local}'"])
            else:
                forms.extend([f"{prefix}:{local}", f'"{prefix}:{local}"'])
    return forms


def find_line(path: Path, iri: str) -> int | None:
    r"""Return the 1-based line of ``path`` where the resource ``iri`` is written, or None.

    :param path: a Turtle, N-Triples, TriG, JSON-LD or RDF/XML file.
    :param iri: the resource's IRI.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = Path(tmp, "x.ttl")
    ...     _ = f.write_text("@prefix ex: <http://ex/> .\n# ex:c\nex:b ex:p ex:a, ex:c .\n\nex:a ex:p 1 .\n")
    ...     find_line(f, "http://ex/a"), find_line(f, "http://ex/c"), find_line(f, "http://ex/zzz")
    (5, 3, None)
    """
    try:
        lines, prefixes, starts = _read(path, path.stat().st_mtime_ns)
    except OSError:
        return None
    forms = _forms(iri, prefixes)
    known = [starts[form] for form in forms if form in starts]
    if known:  # written at the start of a statement: found without reading the file again
        return min(known)
    names = "|".join(re.escape(f) for f in forms)
    subject = re.compile(r"^\s*(?:" + names + r")" + _BOUNDARY)
    anywhere = re.compile(r"(?:^|[\s(\[,;{:=])(?:" + names + r")" + _BOUNDARY)
    first_anywhere: int | None = None
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            continue  # a comment (Turtle, N-Triples) may name the resource too
        if subject.search(line):
            return number
        if first_anywhere is None and anywhere.search(line):
            first_anywhere = number
    return first_anywhere


def find_literal_line(path: Path, text: str) -> int | None:
    r"""Return the 1-based line of ``path`` where a literal of this text is written (quoted), or None.

    For a blank node, which has no name in the file to look for: the line of one of its literals.
    A text the file would write with escapes (quotes, backslashes, line breaks) is not looked for.

    :param path: a Turtle, N-Triples, TriG, JSON-LD or RDF/XML file.
    :param text: the literal's lexical form.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = Path(tmp, "x.ttl")
    ...     _ = f.write_text('@prefix ex: <http://ex/> .\n[] ex:name "Ann" ;\n  ex:note "Ann Lee" .\n')
    ...     find_literal_line(f, "Ann Lee"), find_literal_line(f, "Bob")
    (3, None)
    """
    if not text or any(c in text for c in "\"'\\\n\r<>&"):
        return None
    try:
        lines, _prefixes, _starts = _read(path, path.stat().st_mtime_ns)
    except OSError:
        return None
    forms = (f'"{text}"', f"'{text}'", f">{text}<")  # Turtle and JSON-LD, Turtle, RDF/XML
    for number, line in enumerate(lines, start=1):
        if any(form in line for form in forms) and not line.lstrip().startswith("#"):
            return number
    return None
