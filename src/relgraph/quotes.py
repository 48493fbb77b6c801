"""Evidence checked against its source text: the quoted sentence must be the text at its offsets.

The shapes check that an ``rg:Evidence`` has one quote (``oa:TextQuoteSelector``/``oa:exact``), one
position (``oa:TextPositionSelector``/``oa:start``, ``oa:end``) and a source with an ``rg:textFile``, and
that the quote is as long as its offsets say; they cannot read files. This module reads the source
text and compares: a quote that is not the text at its offsets (characters from 0, end exclusive) is a
violation of ``rgsh:Evidence-quote``, and a source text that cannot be found or read a warning of
``rgsh:Evidence-sourceText`` (its quotes are then unchecked). Both shapes are in ``ontology/shapes.ttl``,
deactivated, so SHACL engines skip them; :func:`relgraph.validate.validate` reports these results
under them, with their messages.

Source texts are looked for, by their ``rg:textFile`` name, in the folders given: :func:`source_folders`
makes the usual list for new files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF

from relgraph.errors import InputError
from relgraph.namespaces import OA, RG
from relgraph.reading import read_checked

__all__ = ["QuoteProblem", "check_quotes", "source_folders", "source_texts"]

_QUOTE = ox.NamedNode(str(OA.TextQuoteSelector))
_POSITION = ox.NamedNode(str(OA.TextPositionSelector))
_TYPE = ox.NamedNode(str(RDF.type))
_Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class QuoteProblem:
    """An evidence whose quote is not its source's text, or whose source text was not found.

    :param evidence: the ``rg:Evidence`` node.
    :param shape: ``Evidence-quote`` (the quote differs) or ``Evidence-sourceText`` (the text was not
        found or read), a shape of ``ontology/shapes.ttl``.
    :param severity: ``Violation`` or ``Warning``.
    :param message: what is wrong, in detail, for a person.
    :param value: the quote, for ``Evidence-quote``.
    """

    evidence: ox.NamedNode | ox.BlankNode
    shape: str
    severity: str
    message: str
    value: ox.Literal | None = None


def source_folders(files: Iterable[Path], data_sources: Path) -> list[Path]:
    """Return where the source texts of new files are looked for, in order.

    Each file's own folder, then its ``<stem>-sources`` folder (where ``relgraph synth`` writes them),
    then ``data_sources`` (the data's ``sources/``).

    :param files: the new files.
    :param data_sources: the ``sources/`` folder of the data.

    >>> [p.as_posix() for p in source_folders([Path("new/r.ttl")], Path("data/sources"))]
    ['new', 'new/r-sources', 'data/sources']
    """
    folders: list[Path] = []
    for file in files:
        for folder in (file.parent, file.with_name(f"{file.stem}-sources")):
            if folder not in folders:
                folders.append(folder)
    if data_sources not in folders:
        folders.append(data_sources)
    return folders


def check_quotes(new: ox.Store, folders: Sequence[Path], base: ox.Store | None = None) -> list[QuoteProblem]:
    """Compare the quote of each evidence in ``new`` with its source text at its offsets.

    An evidence missing a piece (a selector, an offset, a source or its ``rg:textFile``), or with
    more than one, is left to the shapes, which report it.

    :param new: the new data.
    :param folders: where source texts are looked for, in order (see :func:`source_folders`).
    :param base: the graph the new data adds to, for a source described there.
    :return: the problems, in the order of the evidence nodes.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "s.txt").write_text("US and Indian officials met.", encoding="utf-8")
    ...     store = ox.Store()
    ...     store.load(f'''@prefix rg: <{RG}> . @prefix oa: <{OA}> .
    ...         <http://ex/e> a rg:Evidence ; oa:hasSource <http://ex/r> ;
    ...           oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "UK and Indian" ] ,
    ...                          [ a oa:TextPositionSelector ; oa:start 0 ; oa:end 13 ] .
    ...         <http://ex/r> rg:textFile "s.txt" .''', ox.RdfFormat.TURTLE)
    ...     for problem in check_quotes(store, [Path(tmp)]):
    ...         print(problem.severity, problem.message)  # doctest: +NORMALIZE_WHITESPACE
    Violation Evidence: the quote is not what s.txt holds at 0-13: from its character 1,
    "UK and Indian" where the text has "US and Indian"
    """
    texts: dict[str, str | InputError | None] = {}  # file -> its text, why it cannot be read, or not found
    unchecked: dict[str, list[ox.NamedNode | ox.BlankNode]] = {}
    problems = []
    for evidence, (file, quote, start, end) in _cited(new, base):
        if file not in texts:
            texts[file] = _read(file, folders)
        text = texts[file]
        if not isinstance(text, str):
            unchecked.setdefault(file, []).append(evidence)
        elif not 0 <= start <= end <= len(text) or text[start:end] != quote:  # text[-5:] is no quote
            detail = _difference(file, text, start, end, quote)
            problems.append(QuoteProblem(evidence, "Evidence-quote", "Violation", detail, ox.Literal(quote)))
    for file, nodes in unchecked.items():  # one warning a file, on its first evidence
        failure = texts[file]
        why = (
            f"cannot be read ({failure.message})"
            if isinstance(failure, InputError)
            else f"was not found (looked in {', '.join(str(f) for f in folders)})"
        )
        more = f", nor those of {len(nodes) - 1} more evidence of it" if len(nodes) > 1 else ""
        problems.append(
            QuoteProblem(
                nodes[0],
                "Evidence-sourceText",
                "Warning",
                f"Evidence: its source text {file} {why}, so its quote is not checked{more}",
            )
        )
    return problems


def source_texts(new: ox.Store, folders: Sequence[Path], base: ox.Store | None = None) -> dict[str, Path]:
    """Return the source texts the evidence of ``new`` cites, by name, where they are found first.

    :param new: the new data.
    :param folders: where source texts are looked for, in order (see :func:`source_folders`).
    :param base: the graph the new data adds to, for a source described there.
    :return: file name -> the file found (a name found nowhere is left out).

    >>> source_texts(ox.Store(), [Path(".")])
    {}
    """
    found: dict[str, Path] = {}
    for _evidence, (file, *_rest) in _cited(new, base):
        path = found.get(file) or _find(file, folders)
        if path is not None:
            found[file] = path
    return dict(sorted(found.items()))


def _cited(
    new: ox.Store, base: ox.Store | None
) -> Iterator[tuple[ox.NamedNode | ox.BlankNode, tuple[str, str, int, int]]]:
    """Yield each evidence of ``new`` that has all its pieces (see :func:`_pieces`), in order, with them."""
    evidences = {q.subject for q in new.quads_for_pattern(None, _TYPE, ox.NamedNode(str(RG.Evidence)))}
    for evidence in sorted(evidences, key=str):
        assert not isinstance(evidence, ox.Triple)
        pieces = _pieces(evidence, new, base)
        if pieces is not None:
            yield evidence, pieces


def _pieces(
    evidence: ox.NamedNode | ox.BlankNode, new: ox.Store, base: ox.Store | None
) -> tuple[str, str, int, int] | None:
    """Return the text file, quote, start and end of an evidence, or None if one is missing or doubled."""

    def values(subject: ox.NamedNode | ox.BlankNode, predicate: object) -> list[_Term]:
        p = ox.NamedNode(str(predicate))
        found = [q.object for q in new.quads_for_pattern(subject, p, None)]
        if not found and base is not None:
            found = [q.object for q in base.quads_for_pattern(subject, p, None)]
        return found

    quotes: list[_Term] = []
    positions: list[tuple[_Term, _Term]] = []
    for selector in values(evidence, OA.hasSelector):
        if isinstance(selector, ox.Literal | ox.Triple):
            continue
        kinds = values(selector, RDF.type)
        if _QUOTE in kinds:
            quotes.extend(values(selector, OA.exact))
        if _POSITION in kinds:
            starts, ends = values(selector, OA.start), values(selector, OA.end)
            positions.extend((s, e) for s in starts for e in ends)
    sources = values(evidence, OA.hasSource)
    if len(quotes) != 1 or len(positions) != 1 or len(sources) != 1:
        return None
    source = sources[0]
    files = [] if isinstance(source, ox.Literal | ox.Triple) else values(source, RG.textFile)
    (quote,), ((start, end),) = quotes, positions
    if len(files) != 1:
        return None
    name = files[0]
    if not all(isinstance(t, ox.Literal) for t in (name, quote, start, end)):
        return None
    assert isinstance(name, ox.Literal) and isinstance(quote, ox.Literal)
    assert isinstance(start, ox.Literal) and isinstance(end, ox.Literal)
    try:
        offsets = int(start.value), int(end.value)
    except ValueError:
        return None
    if Path(name.value).name != name.value or name.value in ("", ".", ".."):  # a name, never a path
        return None
    return name.value, quote.value, *offsets


def _find(name: str, folders: Sequence[Path]) -> Path | None:
    """Return the first file of that name in ``folders``, or None."""
    return next((folder / name for folder in folders if (folder / name).is_file()), None)


def _read(name: str, folders: Sequence[Path]) -> str | InputError | None:
    """Return the text of the first file of that name in ``folders``, why it cannot be read, or None."""
    path = _find(name, folders)
    if path is None:
        return None
    try:
        return read_checked(path).decode("utf-8")
    except InputError as error:
        return error


def _difference(file: str, text: str, start: int, end: int, quote: str) -> str:
    """Say where a quote first differs from the source text at its offsets, with a little of each.

    >>> print(_difference("s.txt", "US and Indian officials met.", 0, 20, "US and Indian office"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Evidence: the quote is not what s.txt holds at 0-20: from its character 19, "US and Indian office"
    where the text has "US and Indian offici"
    >>> print(_difference("s.txt", "US and Indian officials met.", 20, 40, "x" * 20))
    Evidence: the offsets 20-40 are not within s.txt (28 characters)
    """
    held = text[start:end]
    if start < 0 or end > len(text) or start > end:
        return f"Evidence: the offsets {start}-{end} are not within {file} ({len(text)} characters)"
    first = next(
        (i for i, (a, b) in enumerate(zip(quote, held, strict=False)) if a != b), min(len(quote), len(held))
    )
    window = slice(max(0, first - 20), first + 40)

    def shown(part: str) -> str:
        return (
            ("…" if window.start else "")
            + " ".join(part[window].split())
            + ("…" if len(part) > window.stop else "")
        )

    return (
        f"Evidence: the quote is not what {file} holds at {start}-{end}: from its character {first}, "
        f'"{shown(quote)}" where the text has "{shown(held)}"'
    )
