"""Reading RDF files: the checks every load makes, in memory or into the on-disk store.

Both loads (:meth:`relgraph.store.KnowledgeGraph.load` and the build of :mod:`relgraph.persist`) go
through :func:`load_in_order`, which loads each file once inside the sandbox (:mod:`relgraph.guard`)
and, with ``--allow-imports``, the local files they ``owl:imports``. A file is refused in one line
naming it for an unknown extension, for not being a readable regular file, for being empty, UTF-16
or not UTF-8 (:func:`read_checked` for a file read whole, :class:`CheckedReader` for one streamed),
for RDF 1.2 triple terms and for a literal over the limit (:func:`checked_quads`).
"""

from __future__ import annotations

import errno
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from relgraph import guard
from relgraph.errors import InputError
from relgraph.limits import Limits, check_file_size, file_size_limit, literal_too_long, read_at_most
from relgraph.prefixes import PREFIXES

__all__ = [
    "FORMATS_BY_EXTENSION",
    "IMPORTS",
    "UTF8_BOM",
    "CheckedReader",
    "base_direction_error",
    "base_iri",
    "check_jsonld",
    "checked_quads",
    "complete_jsonld",
    "file_syntax_message",
    "load_in_order",
    "local_imports",
    "one_line",
    "open_checked",
    "rdf_format",
    "read_checked",
    "resolved",
    "token_too_long",
    "unreadable",
]

#: file extension (lower case) -> pyoxigraph parser format
FORMATS_BY_EXTENSION: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
#: the predicate ``owl:imports``
IMPORTS = ox.NamedNode(PREFIXES["owl"] + "imports")

#: the base IRI of JSON-LD files (see base_iri), of a scheme of its own: a relative IRI, even one naming
#: a host (``//example.org/x``, which kept an ``http:`` base's scheme), resolves to an IRI of that scheme
_RELATIVE_SCHEME = "relgraph-relative:"
_RELATIVE_BASE = _RELATIVE_SCHEME + "//base/"
#: characters no IRI holds (RFC 3987): JSON-LD drops an IRI with one
_NOT_IN_IRIS = re.compile(r'[\x00-\x20<>"{}|\\^`]')
#: the largest JSON-LD file whose keys and IRIs are checked (as Python objects it takes ten times more)
_JSONLD_CHECKED_BYTES = 64 * 2**20
#: JSON-LD containers whose keys are data (a language, an index), not terms
_MAPS = {"@language", "@index", "@id", "@type", "@graph"}
#: the UTF-8 byte order mark, which a file may start with (it is not part of the text)
UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def rdf_format(path: Path) -> ox.RdfFormat:
    """Return the RDF format of ``path``, chosen by its extension.

    :param path: the file.
    :raises InputError: for an unknown extension, listing the known ones.

    >>> rdf_format(Path("a.TTL"))
    <RdfFormat Turtle>
    """
    found = FORMATS_BY_EXTENSION.get(path.suffix.lower())
    if found is None:
        known = ", ".join(sorted(FORMATS_BY_EXTENSION))
        raise InputError(f"{path}: unknown RDF file extension {path.suffix!r} (known: {known})")
    return found


def load_in_order(
    paths: Iterable[Path | str],
    load: Callable[[Path], Iterable[ox.Quad]],
    seen: set[Path] | None = None,
    skipped: list[Path] | None = None,
) -> list[Path]:
    """Load each file once, in order, then (with ``--allow-imports``) the local files they import.

    :param paths: the files.
    :param load: loads one file, inside a sandbox that lets it read that file alone, and returns
        its ``owl:imports`` quads (or more quads: the others are ignored).
    :param seen: the resolved paths already loaded, skipped; the loaded ones are added.
    :param skipped: if given, the paths skipped as another name of a file already loaded are added.
    :return: the files loaded, imported ones included, in load order.
    :raises InputError: from ``load``, or for an import that is not a local ``file:`` IRI.
    """
    seen = set() if seen is None else seen
    loaded: list[Path] = []
    pending = [Path(given) for given in paths]
    while pending:
        path = pending.pop(0)
        if resolved(path) in seen:
            if skipped is not None:
                skipped.append(path)
            continue
        with guard.sandbox([path]):  # no network, no other file (see relgraph.guard)
            found = load(path)
        loaded.append(path)
        seen.add(resolved(path))
        if guard.imports_allowed():  # --allow-imports: follow owl:imports of local files
            pending.extend(local_imports(path, found))  # those already loaded are skipped above
    return loaded


def resolved(path: Path) -> Path:
    """Return ``path`` made absolute, with its symbolic links followed.

    :raises InputError: naming the path, for a loop of symbolic links (it was a RuntimeError
        traceback) or a relative path in a current folder that was deleted.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     os.symlink(Path(tmp, "b"), Path(tmp, "a")); os.symlink(Path(tmp, "a"), Path(tmp, "b"))
    ...     resolved(Path(tmp, "a"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.errors.InputError: .../a: a loop of symbolic links
    """
    try:
        return path.resolve()
    except RuntimeError:  # Python before 3.13: "Symlink loop from ..."
        raise InputError(f"{path}: a loop of symbolic links") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(f"{path}: a loop of symbolic links") from None
        if error.errno == errno.ENOENT and not path.is_absolute():
            raise InputError(f"{path}: the current folder no longer exists") from None
        raise InputError(f"{path}: {error.strerror or error}") from None


def local_imports(path: Path, quads: Iterable[ox.Quad]) -> list[Path]:
    """Return the local files ``path`` imports with ``owl:imports`` (``file:`` IRIs only).

    :param path: the importing file (for the message).
    :param quads: its quads (those that are not ``owl:imports`` are ignored).
    :raises InputError: for an import of anything but a local file (relgraph never fetches).
    """
    from urllib.parse import unquote, urlsplit

    found = []
    for quad in quads:
        if quad.predicate != IMPORTS or not isinstance(quad.object, ox.NamedNode):
            continue
        parts = urlsplit(quad.object.value)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise InputError(
                f"{path}: owl:imports <{quad.object.value}> is not followed: relgraph never fetches over "
                "the network (save the file and give it with --data)"
            )
        found.append(Path(unquote(parts.path)))
    return found


def read_checked(
    path: Path,
    limits: Limits | None = None,
    *,
    seen: Callable[[bytes], object] | None = None,
    **too_big: str,
) -> bytes:
    """Read a whole RDF file: a regular file within the size limit, UTF-8, not empty; no byte order mark.

    :param path: the file.
    :param limits: the limits (default: :meth:`Limits.from_env`).
    :param seen: called with the bytes read, before any check (to hash them).
    :param too_big: ``what`` the file is and the ``hint`` given when it is over the size limit (see
        :func:`relgraph.limits.check_file_size`).
    :return: its bytes, without a UTF-8 byte order mark.
    :raises InputError: one line naming the file (and ``line:column`` for a byte that is not UTF-8).
    """
    try:
        info = path.stat()
        if stat.S_ISREG(info.st_mode):
            check_file_size(path, info.st_size, limits, **too_big)  # before reading it: see relgraph.limits
            data = path.read_bytes()
        else:  # a device or a pipe, of no known size (/dev/zero filled the memory): the limit as it is read
            data = _read_within(path, limits or Limits.from_env(), **too_big)
    except OSError as error:
        raise unreadable(path, error) from None
    if seen is not None:
        seen(data)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]  # a UTF-8 byte order mark is not part of the RDF text
    elif data.startswith(_UTF16_BOMS):
        raise _utf16(path)
    if not data or data.isspace():
        raise InputError(f"{path}: the file is empty")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _not_utf8(path, data, error.start, data.count(b"\n", 0, error.start), 0) from None
    return data


def _read_within(path: Path, limits: Limits, **too_big: str) -> bytes:
    """Read a file of no known size (a device, a pipe), refusing it once it passes the size limit.

    :raises InputError: as :func:`relgraph.limits.check_file_size` does, once past the limit.
    """
    with path.open("rb") as stream:
        data = read_at_most(stream, file_size_limit(limits))
    check_file_size(path, len(data), limits, **too_big)
    return data


class CheckedReader:
    r"""A binary reader of an RDF file streamed to a parser, with the checks of :func:`read_checked`.

    A UTF-8 byte order mark is dropped, UTF-16 and bytes that are not UTF-8 are refused as they are
    read (located as :func:`read_checked` does), and :meth:`check_not_empty` refuses a file of blanks
    once it has been read. There is no size limit: nothing is held in memory.

    :param path: the file (for the messages).
    :param raw: the open file.
    :param seen: called with the bytes read, before any check (to hash them).

    >>> import io
    >>> CheckedReader(Path("a.nt"), io.BytesIO(b"\xef\xbb\xbf<a>")).read(100)
    b'<a>'
    >>> CheckedReader(Path("a.nt"), io.BytesIO(b'<a> "\xff"')).read(100)
    Traceback (most recent call last):
    ...
    relgraph.errors.InputError: a.nt:1:6: not UTF-8 text (byte 0xff)
    """

    def __init__(self, path: Path, raw: IO[bytes], *, seen: Callable[[bytes], object] | None = None) -> None:
        self._path = path
        self._raw = raw
        self._seen = seen
        self._started = False
        self._blank = True
        self._carry = b""  # the start of a character cut off at the end of the last chunk
        self._offset = 0  # where the carry starts, in the text (after a byte order mark)
        self._lines = 0  # line breaks before the carry
        self._line_start = 0  # where the line of the carry starts

    def read(self, size: int = -1) -> bytes:
        """Read, check and return the next bytes.

        :raises InputError: for UTF-16 or bytes that are not UTF-8.
        """
        data = self._read(size)
        if not self._started:
            self._started = True
            while len(data) < len(UTF8_BOM) and (more := self._read(size)):
                data += more
            if data.startswith(UTF8_BOM):
                data = data[len(UTF8_BOM) :] or self._read(size)  # no bytes would say the end
            elif data.startswith(_UTF16_BOMS):
                raise _utf16(self._path)
        self._check(data)
        return data

    def check_not_empty(self) -> None:
        """Refuse a file that held nothing but blanks (call it once the file has been read).

        :raises InputError: naming the file.
        """
        if self._blank:
            raise InputError(f"{self._path}: the file is empty")

    def _read(self, size: int) -> bytes:
        try:
            data = self._raw.read(size)
        except OSError as error:
            raise unreadable(self._path, error) from None
        if self._seen is not None:
            self._seen(data)
        return data

    def _check(self, data: bytes) -> None:
        if self._blank and data and not data.isspace():
            self._blank = False
        text = self._carry + data
        try:
            text.decode("utf-8")
            cut = len(text)
        except UnicodeDecodeError as error:
            cut = error.start
            if error.end < len(text) or not data or error.reason != "unexpected end of data":
                lines = self._lines + text.count(b"\n", 0, cut)
                raise _not_utf8(self._path, text, cut, lines, self._line_start - self._offset) from None
        newline = text.rfind(b"\n", 0, cut)
        self._lines += text.count(b"\n", 0, cut)
        if newline >= 0:
            self._line_start = self._offset + newline + 1
        self._offset += cut
        self._carry = text[cut:]


def checked_quads(
    path: Path, quads: Iterable[ox.Quad], limits: Limits, longest: list[int], imports: list[ox.Quad]
) -> Iterator[ox.Quad]:
    """Yield the quads in the default graph; refuse RDF 1.2 triple terms and literals over the limit.

    :param path: the file they come from (for the messages).
    :param quads: its quads.
    :param limits: the limits.
    :param longest: a one-item list, set to the length of the longest literal seen (when longer).
    :param imports: the ``owl:imports`` quads are added to it.
    :raises InputError: naming the file (and the subject and predicate of a literal too long).
    """
    default = ox.DefaultGraph()
    limit = limits.max_literal_chars
    for quad in quads:
        value = quad.object
        if type(value) is ox.NamedNode:
            if quad.predicate == IMPORTS:
                imports.append(quad)
        elif type(value) is ox.Literal:
            if value.direction is not None:
                raise base_direction_error(path, value)
            length = len(value.value)
            if length > longest[0]:
                if length > limit:
                    raise literal_too_long(path, quad.subject, quad.predicate, length, limits)
                longest[0] = length
        elif isinstance(value, ox.Triple) or isinstance(quad.subject, ox.Triple):
            raise InputError(f"{path}: RDF 1.2 triple terms are not supported")
        if type(quad.graph_name) is ox.DefaultGraph:
            yield quad
        else:
            yield ox.Quad(quad.subject, quad.predicate, value, default)


def base_iri(rdf_format: ox.RdfFormat) -> str | None:
    """Return the base IRI :func:`pyoxigraph.parse` gets for a file of ``rdf_format``: None but for JSON-LD.

    JSON-LD is parsed against a base IRI of a scheme no file uses, so that a relative IRI, which
    JSON-LD drops without a word (and with it every triple of the node), is kept and
    :func:`complete_jsonld` can refuse it. The other formats refuse a relative IRI themselves.

    >>> base_iri(ox.RdfFormat.TURTLE) is None
    True
    >>> base_iri(ox.RdfFormat.JSON_LD)
    'relgraph-relative://base/'
    """
    return _RELATIVE_BASE if rdf_format == ox.RdfFormat.JSON_LD else None


def complete_jsonld(path: Path, quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """Yield the quads of a JSON-LD file parsed with :func:`base_iri`; refuse a relative IRI, or no quad.

    A JSON-LD file of nodes with relative ``@id`` values, or of keys no ``@context`` maps to IRIs,
    loaded nothing, and "conformed".

    :param path: the file (for the messages).
    :param quads: its quads.
    :raises InputError: naming the file and the first relative IRI, or saying it holds no triples.

    >>> jsonld = ox.RdfFormat.JSON_LD
    >>> data = b'{"@id": "officials/1", "http://ex/p": "v"}'
    >>> quads = ox.parse(data, jsonld, base_iri=base_iri(jsonld))
    >>> list(complete_jsonld(Path("a.jsonld"), quads))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.errors.InputError: a.jsonld: a relative IRI, "officials/1": give absolute IRIs, or an @base ...
    """
    empty = True
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if type(term) is ox.NamedNode and term.value.startswith(_RELATIVE_SCHEME):
                raise _relative(path, term.value)
            if type(term) is ox.Literal and term.datatype.value.startswith(_RELATIVE_SCHEME):
                raise _relative(path, term.datatype.value)
        empty = False
        yield quad
    if empty:
        raise InputError(
            f"{path}: no triples: JSON-LD drops a key that no @context maps to an IRI, "
            'and a node without one (give an "@context", with "@vocab" say)'
        )


def check_jsonld(path: Path, data: bytes) -> None:
    """Refuse what JSON-LD would drop without a word: a key no ``@context`` maps, an ``@id`` that is no IRI.

    JSON-LD drops a key that no term definition, compact IRI or ``@vocab`` maps to an IRI, an ``@id``
    with a character IRIs cannot hold (a space), and, where ``"@base": null``, a relative ``@id`` (the
    base IRI of :func:`base_iri` catches it otherwise): the file loaded with those triples missing. The
    terms of every ``@context`` in the file count, wherever they are (scoped contexts too); the keys of
    language, index, id, type and graph maps are data, and a ``@json`` value is not looked into; keyword
    aliases (``"id": "@id"``) are followed. A file that is not JSON is left to the parser, which says
    where; one over 64 MiB, or nested deeper than Python reads (with a raised ``RELGRAPH_MAX_DEPTH``),
    is not checked.

    :param path: the file (for the messages).
    :param data: its bytes.
    :raises InputError: naming the file and the first key or IRI that would be dropped.

    >>> check_jsonld(Path("a.jsonld"), b'{"@id": "http://ex/a", "http://ex/p": 1, "name": "A"}')
    Traceback (most recent call last):
    ...
    relgraph.errors.InputError: a.jsonld: the key "name" is mapped to no IRI (no @context defines it, and \
there is no @vocab): JSON-LD would drop it and its value
    """
    import json

    if len(data) > _JSONLD_CHECKED_BYTES:
        return  # read as Python objects, it would take ten times its size
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, or deeper than Python reads: the parser says so
        return
    terms: dict[str, object] = {}
    flags = {"vocab": False, "base_null": False, "remote": False}

    def context(value: object) -> None:
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, str):
                flags["remote"] = True  # its terms are unknown: the parse refuses it, saying so
            if not isinstance(part, dict):
                continue
            for key, definition in part.items():
                if key == "@vocab" and definition is not None:
                    flags["vocab"] = True
                elif key == "@base" and definition is None:
                    flags["base_null"] = True
                elif not key.startswith("@"):
                    terms[key] = definition
                    iri = definition.get("@id") if isinstance(definition, dict) else definition
                    if isinstance(iri, str) and not iri.startswith("@"):
                        _check_iri(path, iri)
                    if isinstance(definition, dict) and "@context" in definition:
                        context(definition["@context"])

    def contexts(value: object) -> None:
        if isinstance(value, list):
            for item in value:
                contexts(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "@context":
                    context(item)
                else:
                    contexts(item)

    def ids(key: str, value: object) -> None:
        for iri in value if isinstance(value, list) else [value]:
            if isinstance(iri, str) and not iri.startswith("_:") and not (key == "@type" and iri in terms):
                _check_iri(path, iri)
                if key == "@id" and flags["base_null"] and ":" not in iri:
                    raise InputError(
                        f'{path}: a relative IRI, "{escape_controls(iri)}", where "@base" is null: '
                        "JSON-LD would drop it"
                    )

    def node(value: object) -> None:
        if isinstance(value, list):
            for item in value:
                node(item)
            return
        if not isinstance(value, dict) or "@value" in value:
            return  # a string, a number, a literal
        for key, item in value.items():
            if key == "@context":
                continue
            alias = terms.get(key)  # "id": "@id" in a context makes "id" the keyword
            keyword = alias if isinstance(alias, str) and alias.startswith("@") else key
            if keyword in ("@id", "@type"):
                ids(keyword, item)
                continue
            if keyword.startswith("@"):  # @graph, @list, @set, @reverse, @included, @nest ...
                node(item)
                continue
            if ":" in key and key not in terms:
                _check_iri(path, key)  # a compact or absolute IRI
            elif key not in terms and not flags["vocab"] and not flags["remote"]:
                raise InputError(
                    f'{path}: the key "{escape_controls(key)}" is mapped to no IRI (no @context defines it, '
                    "and there is no @vocab): JSON-LD would drop it and its value"
                )
            definition = terms.get(key)
            if isinstance(definition, dict):
                if definition.get("@type") == "@json":
                    continue
                container = definition.get("@container")
                kinds = set(container) if isinstance(container, list) else {container}
                if "@graph" in kinds and not kinds & {"@id", "@index"}:
                    kinds.discard("@graph")  # a graph container alone holds a node, not a map
                if kinds & _MAPS and isinstance(item, dict):  # its keys are data: languages, indexes ...
                    node(list(item.values()))
                    continue
            node(item)

    try:
        contexts(document)
        node(document)
    except RecursionError:  # nested deeper than RELGRAPH_MAX_DEPTH's default lets through: not checked
        return


def _check_iri(path: Path, iri: str) -> None:
    bad = _NOT_IN_IRIS.search(iri)
    if bad is not None:
        raise InputError(
            f'{path}: "{escape_controls(iri)}" is not an IRI (it contains {bad.group()!r}): '
            "JSON-LD would drop it"
        )


def _relative(path: Path, iri: str) -> InputError:
    relative = iri.removeprefix(_RELATIVE_BASE).removeprefix(_RELATIVE_SCHEME)  # as resolved: ../x is x
    return InputError(
        f'{path}: a relative IRI, "{escape_controls(relative)}": '
        "give absolute IRIs, or an @base in the @context"
    )


def base_direction_error(path: Path, literal: ox.Literal) -> InputError:
    """Return the error refusing a literal with an RDF 1.2 base direction, which rdflib has no term for.

    :param path: the file.
    :param literal: the literal.

    >>> rtl = ox.Literal("abc", language="ar", direction=ox.BaseDirection.RTL)
    >>> str(base_direction_error(Path("a.nt"), rtl))
    'a.nt: RDF 1.2 base directions in literals are not supported ("abc"@ar--rtl)'
    """
    return InputError(f"{path}: RDF 1.2 base directions in literals are not supported ({literal})")


def token_too_long(path: Path, error: MemoryError) -> InputError:
    """Return the error of a file holding a token longer than pyoxigraph's parser can buffer (16 MiB).

    A comment, an IRI or a literal that long made pyoxigraph raise MemoryError, a traceback.

    :param path: the file.
    :param error: pyoxigraph's error.

    >>> token_too_long(Path("big.ttl"), MemoryError("Reached the buffer maximal size")).message
    'big.ttl: a comment, IRI or literal is longer than the parser can hold (Reached the buffer maximal size)'
    """
    return InputError(
        f"{path}: a comment, IRI or literal is longer than the parser can hold ({one_line(str(error))})"
    )


def file_syntax_message(path: Path, error: SyntaxError) -> str:
    """Return the one-line message of a parser's syntax error: ``file:line:column: message``.

    :param path: the file.
    :param error: pyoxigraph's error.
    """
    import re

    message = one_line(re.sub(r"^Parser error (?:at|between) [^:]*: ", "", str(error.msg)))
    if "LoadDocumentCallback" in message:
        message = "remote JSON-LD contexts are never loaded; put the @context in the file"
    if error.lineno is not None and error.offset is not None:
        return f"{path}:{error.lineno}:{error.offset}: {message}"
    if error.lineno is not None:
        return f"{path}:{error.lineno}: {message}"
    return f"{path}: {message}"


def one_line(text: str) -> str:
    r"""Return ``text`` with every run of white space (line breaks too) made one space.

    >>> one_line("a\n  b")
    'a b'
    """
    return " ".join(text.split())


def escape_controls(text: str) -> str:
    r"""Return ``text`` with every control character written out (``\x1b``), so that no terminal acts on it.

    >>> escape_controls("a\x1b[31mb\x00")
    'a\\x1b[31mb\\x00'
    """
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def unreadable(path: Path, error: OSError) -> InputError:
    """Return the error for a file that cannot be opened or read.

    :param path: the file.
    :param error: why.

    >>> str(unreadable(Path("a.ttl"), IsADirectoryError()))
    'a.ttl: is a directory, not an RDF file'
    """
    if isinstance(error, FileNotFoundError):
        return InputError(f"{path}: no such file")
    if isinstance(error, IsADirectoryError):
        return InputError(f"{path}: is a directory, not an RDF file")
    if isinstance(error, PermissionError):
        return InputError(f"{path}: cannot read the file: permission denied")
    return InputError(f"{path}: cannot read the file: {error.strerror or error}")


def _utf16(path: Path) -> InputError:
    return InputError(f"{path}: the file is UTF-16 (byte order mark); relgraph reads UTF-8 text only")


def _not_utf8(path: Path, text: bytes, start: int, lines: int, line_start: int) -> InputError:
    """Locate byte ``start`` of ``text``, after ``lines`` line breaks, on a line from ``line_start``."""
    newline = text.rfind(b"\n", 0, start)
    column = start - newline if newline >= 0 else start - line_start + 1
    byte = text[start : start + 1].hex()
    return InputError(f"{path}:{lines + 1}:{column}: not UTF-8 text (byte 0x{byte})")


def open_checked(path: Path) -> IO[bytes]:
    """Open an RDF file to stream it.

    :param path: the file.
    :raises InputError: one line naming the file (missing, a directory, not readable).
    """
    try:
        return path.open("rb")
    except OSError as error:
        raise unreadable(path, error) from None
