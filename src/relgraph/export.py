"""Deterministic RDF export of the knowledge graph, written atomically.

The same graph gives the same bytes, whatever order its files were loaded in:

* blank nodes are relabelled by W3C RDF Dataset Canonicalization (RDFC-1.0), giving
  ``_:c14n0``, ``_:c14n1``, ... (the labels in the source files are not kept);
* triples are sorted by subject (IRIs before blank nodes), ``rdf:type`` first, then by
  predicate and object, all compared in N-Triples form, so Turtle groups each subject's triples;
* Turtle, TriG and RDF/XML declare every prefix of :data:`relgraph.prefixes.PREFIXES`.

A graph without blank nodes (the usual case) is sorted as bytes: pyoxigraph dumps it as N-Triples,
the lines are sorted (which is the order above) and, for the other formats, written as Turtle (and
TriG) by :func:`turtle_from_lines` or parsed back into pyoxigraph's serializer, on a thread with the
query timeout. A graph with blank nodes is
canonicalized and sorted term by term in a worker process (:func:`relgraph.limits.run_in_worker`),
which is stopped at the timeout: canonicalization can take very long on some graphs.

With ``sort=False`` the graph is written by pyoxigraph's serializer in the store's order, as it
goes (to a file, without holding the output in memory): about four times faster than sorting at a
million triples, but not the same bytes from one store to the next, and blank nodes keep the
store's labels.

Formats: ``turtle``, ``ntriples``, ``nquads``, ``trig``, ``jsonld`` and ``xml`` (RDF/XML).
Everything is in the default graph, so N-Quads and TriG hold no graph names.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import pyoxigraph as ox

from relgraph.errors import RelgraphError, UsageError
from relgraph.prefixes import PREFIXES, XML_NAMESPACES
from relgraph.reading import one_line

if TYPE_CHECKING:
    from relgraph.progress import CountingWriter
    from relgraph.store import KnowledgeGraph

__all__ = [
    "EXPORT_FORMATS",
    "atomic_file",
    "atomic_write",
    "canonical_triples",
    "check_rdf_xml",
    "export",
    "new_file_mode",
    "output_file",
    "serialize",
    "serialize_triples",
    "temporary_beside",
    "turtle_from_lines",
]

#: export format name -> pyoxigraph format
EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}
_WITH_PREFIXES = frozenset({"turtle", "trig", "xml"})
_AS_TURTLE = frozenset({"turtle", "trig"})  # written by turtle_from_lines (Turtle is TriG's default graph)
_RDF_TYPE_IRI = PREFIXES["rdf"] + "type"
_RDF_TYPE = f"<{_RDF_TYPE_IRI}>"
# what an IRI is shown as in a message at most, in characters
_SHOWN_IRI = 200
# the longest file name, in bytes, of the usual file systems (NAME_MAX)
_NAME_MAX = 255
_NOT_XML_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_XML_TEXT = (  # a literal with a character XML 1.0 cannot hold (Oxigraph's regex syntax: \uXXXX)
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER (isLiteral(?o) && "
    'REGEX(STR(?o), "[\\\\u0000-\\\\u0008\\\\u000B\\\\u000C\\\\u000E-\\\\u001F\\\\uFFFE\\\\uFFFF]")) } '
    "ORDER BY ?s ?p ?o LIMIT 1"
)
# in N-Triples lines, the rdf:type predicate, and what stands for it while sorting (\x01 sorts first
# and is never in an N-Triples line: an IRI may not hold it and a literal writes it as \u0001)
_TYPE_PREDICATE = f"> {_RDF_TYPE} ".encode()
_TYPE_FIRST = b"> <\x01> "
# a local name written as a prefixed name: a safe subset of Turtle's PN_LOCAL (ASCII, no final dot)
_LOCAL_NAME = re.compile(rb"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?")
# typed literals Turtle writes bare, by datatype: the lexical forms its grammar reads back the same
_BARE = {
    (PREFIXES["xsd"] + "integer").encode(): re.compile(rb"[+-]?[0-9]+"),
    (PREFIXES["xsd"] + "decimal").encode(): re.compile(rb"[+-]?[0-9]*\.[0-9]+"),
    (PREFIXES["xsd"] + "boolean").encode(): re.compile(rb"true|false"),
}


def _rdf_format(fmt: str) -> ox.RdfFormat:
    """Return pyoxigraph's format for an export format name.

    :raises UsageError: for an unknown name, listing the known ones.
    """
    rdf_format = EXPORT_FORMATS.get(fmt)
    if rdf_format is None:
        raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    return rdf_format


def canonical_triples(triples: Iterable[ox.Triple | ox.Quad]) -> list[ox.Triple]:
    """Return the triples with canonical blank node labels, in the canonical export order.

    :param triples: pyoxigraph triples or quads (graph names are ignored).

    >>> a, p = ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p")
    >>> [str(t) for t in canonical_triples([ox.Triple(a, p, ox.BlankNode("x"))])]
    ['<http://ex/a> <http://ex/p> _:c14n0']
    """
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    if any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in dataset):
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    keyed = [
        ((str(q.subject), str(q.predicate) != _RDF_TYPE, str(q.predicate), str(q.object)), q) for q in dataset
    ]
    keyed.sort(key=lambda pair: pair[0])
    return [ox.Triple(q.subject, q.predicate, q.object) for _, q in keyed]


def serialize_triples(
    triples: Iterable[ox.Triple | ox.Quad], fmt: str, prefixes: Mapping[str, str] = PREFIXES
) -> bytes:
    r"""Serialize triples deterministically (see the module documentation).

    :param triples: pyoxigraph triples or quads (graph names are ignored).
    :param fmt: one of :data:`EXPORT_FORMATS`.
    :param prefixes: prefix -> namespace, declared in Turtle, TriG and RDF/XML.
    :raises UsageError: for an unknown format.

    >>> t = ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("x"))
    >>> serialize_triples([t], "ntriples")
    b'<http://ex/a> <http://ex/p> "x" .\n'
    """
    rdf_format = _rdf_format(fmt)
    ordered = canonical_triples(triples)
    if fmt in _AS_TURTLE:
        lines = ox.serialize(ordered, format=ox.RdfFormat.N_TRIPLES)
        assert lines is not None  # no output given, so pyoxigraph returns the bytes
        return turtle_from_lines(lines.split(b"\n")[:-1], prefixes)
    items: list[ox.Triple] | list[ox.Quad] = ordered
    if rdf_format.supports_datasets:
        items = [ox.Quad(t.subject, t.predicate, t.object) for t in ordered]
    declared = dict(prefixes) if fmt in _WITH_PREFIXES else None
    data = ox.serialize(items, format=rdf_format, prefixes=declared)
    assert data is not None  # no output given, so pyoxigraph returns the bytes
    return _xml_carriage_returns(data) if fmt == "xml" else data


def _xml_carriage_returns(data: bytes) -> bytes:
    r"""Write each carriage return of RDF/XML as ``&#13;``, which XML readers keep as it is.

    pyoxigraph writes it raw, and a conforming XML reader reads a raw CR (or CR LF) in text as a line
    feed: ``"a\r\nb"`` came back from rdflib, Jena or Protégé as ``"a\nb"``. It can only be in a
    literal: an IRI holds none, and the markup breaks lines with LF.

    >>> _xml_carriage_returns(b"<p>a\r\nb</p>")
    b'<p>a&#13;\nb</p>'
    """
    return data.replace(b"\r", b"&#13;")


class _XmlWriter:
    """A writer that passes RDF/XML on with its carriage returns escaped (:func:`_xml_carriage_returns`)."""

    def __init__(self, raw: CountingWriter) -> None:
        self._raw = raw

    def write(self, data: bytes) -> int:
        self._raw.write(_xml_carriage_returns(bytes(data)))
        return len(data)

    def flush(self) -> None:
        self._raw.flush()


def serialize(kg: KnowledgeGraph, fmt: str = "turtle", *, sort: bool = True) -> bytes:
    """Return the whole graph serialized deterministically (or, without ``sort``, in the store's order).

    :param kg: the knowledge graph.
    :param fmt: one of :data:`EXPORT_FORMATS`.
    :param sort: sort the triples and relabel blank nodes, so that the same graph gives the same
        bytes; with ``False``, pyoxigraph's serializer writes them in the store's order (faster).
    :raises UsageError: for an unknown format.
    :raises RelgraphError: if the graph cannot be read or written in that format.
    :raises QueryTimeoutError: if it takes longer than the timeout (:mod:`relgraph.limits`): blank-node
        canonicalization is slow on some graphs, such as long chains of blank nodes.

    >>> from relgraph.store import KnowledgeGraph
    >>> serialize(KnowledgeGraph(), "ntriples")
    b''
    """
    from relgraph.limits import run_in_thread, run_in_worker

    _rdf_format(fmt)
    what = f"export as {fmt}"
    try:
        if not sort:
            unsorted = run_in_thread(lambda: _dump(kg, fmt, None), what=what)
            assert unsorted is not None  # no output given, so pyoxigraph returns the bytes
            return unsorted
        if fmt == "xml":
            run_in_thread(lambda: check_rdf_xml(kg.oxigraph), what=what)
        data = run_in_thread(lambda: _serialize_sorted_lines(kg, fmt), what=what)
        if data is not None:
            return data
        # blank nodes: in a worker process, stopped after the timeout and capped in memory
        return run_in_worker(lambda: serialize_triples(kg.quads(), fmt), what=what)
    except (ValueError, TypeError, OSError, RecursionError) as error:
        raise RelgraphError(f"cannot serialize the graph as {fmt}: {error}") from error
    except RuntimeError as error:  # the store could not be read (a damaged on-disk store)
        raise RelgraphError(f"cannot read the graph: {one_line(str(error))}") from error


def _dump(kg: KnowledgeGraph, fmt: str, output: CountingWriter | None) -> bytes | None:
    """Write the graph with pyoxigraph's serializer, in the store's order; without ``output``, return it.

    An empty graph in Turtle or TriG is the prefix block alone, as sorted: pyoxigraph writes the
    prefixes with the first triple, so it would write nothing.
    """
    store = kg.oxigraph
    if fmt == "xml":
        check_rdf_xml(store)
    if fmt in _AS_TURTLE and next(store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is None:
        block = turtle_from_lines([])
        if output is None:
            return block
        output.write(block)
        return None
    prefixes = dict(PREFIXES) if fmt in _WITH_PREFIXES else None
    xml = fmt == "xml"
    dumped = store.dump(
        _XmlWriter(output) if output is not None and xml else output,  # type: ignore[arg-type]  # write(), flush()
        format=EXPORT_FORMATS[fmt],
        from_graph=ox.DefaultGraph(),
        prefixes=prefixes,
    )
    return _xml_carriage_returns(dumped) if dumped is not None and xml else dumped


def _stream(kg: KnowledgeGraph, fmt: str, output: IO[bytes]) -> None:
    """Write the graph unsorted to ``output`` as it goes, on a thread with the query timeout.

    A progress bar counts the bytes written. At the timeout (or on Ctrl-C) the serializer, which
    cannot be interrupted, is left on its thread but stops at its next write: nothing more reaches
    ``output``.
    """
    from relgraph.limits import run_in_thread
    from relgraph.progress import CountingWriter, progress

    with progress(0, f"exporting as {fmt} (bytes)") as update:
        writer = CountingWriter(output, update)
        try:
            run_in_thread(lambda: _dump(kg, fmt, writer), what=f"export as {fmt}")
        except BaseException:
            writer.close()
            raise
    output.flush()


def check_rdf_xml(store: ox.Store) -> None:
    """Refuse a graph that RDF/XML cannot hold, before any of it is written.

    RDF/XML writes each predicate, and the class of each typed node, as an XML element name, so its
    IRI must end with one (``urn:isbn:123``, ``http://example.org/p/`` and ``http://example.org/p²``
    do not), and XML 1.0 cannot hold the control characters other than tab and line breaks, even
    escaped. pyoxigraph wrote such a graph as XML that is not well-formed (``<oxprefix:>``, a raw
    U+0001), which no reader takes. Each predicate and class is tried as pyoxigraph writes it: the
    XML must be well-formed to Python's reader (expat, rdflib's), and read back the same.

    :param store: the graph (its default graph).
    :raises ValueError: naming the predicate or class, or the triple and the character.

    >>> store = ox.Store()
    >>> store.add(ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("urn:isbn:123"), ox.Literal("x")))
    >>> check_rdf_xml(store)
    Traceback (most recent call last):
    ...
    ValueError: the predicate <urn:isbn:123> does not end with an XML name, which RDF/XML needs; \
export as Turtle or N-Triples
    """
    # the answers are read into text at once: pyoxigraph's must be let go on the thread that made them
    names: list[tuple[str, str]] = []
    for kind, query in (("predicate", _PREDICATES), ("class", _CLASSES)):
        answer = store.query(query)
        assert isinstance(answer, ox.QuerySolutions)
        names += [(kind, cast(ox.NamedNode, solution[0]).value) for solution in answer]
        del answer
    answer = store.query(_NOT_XML_TEXT)
    assert isinstance(answer, ox.QuerySolutions)
    found = [(str(row["s"]), str(row["p"]), cast(ox.Literal, row["o"]).value) for row in answer]
    del answer
    for kind, iri in names:
        problem = None if _plainly_xml_name(iri) else _xml_name_problem(iri, kind == "class")
        if problem is not None:
            shown = iri if len(iri) <= _SHOWN_IRI else iri[:_SHOWN_IRI] + "…"
            raise ValueError(
                f"the {kind} <{shown}> {problem}{' for a typed node' if kind == 'class' else ''}; "
                "export as Turtle or N-Triples"
            )
    for subject, predicate, text in found:
        character = next(c for c in text if _NOT_XML_CHARACTER.match(c))
        raise ValueError(
            f"the literal of {subject} {predicate} holds U+{ord(character):04X}, which XML 1.0 "
            "cannot hold; export as Turtle or N-Triples"
        )


_PREDICATES = "SELECT DISTINCT ?p WHERE { ?s ?p ?o } ORDER BY ?p"
_CLASSES = f"SELECT DISTINCT ?c WHERE {{ ?s {_RDF_TYPE} ?c FILTER (isIRI(?c)) }} ORDER BY ?c"


# what certainly ends an IRI with an XML name: ASCII name characters after its last "/", "#" or ":", the
# first a letter or "_"; not one of RDF/XML's own terms (rdf:li, rdf:about ...: its syntax) nor in XML's
# namespaces (rdf:type, rdf:_1 ... are names like any other)
_PLAIN_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")
_RDF_XML_SYNTAX_NAMES = [
    "RDF", "Description", "ID", "about", "parseType", "resource", "li", "nodeID", "datatype",
    "bagID", "aboutEach", "aboutEachPrefix",
]  # fmt: skip
_RDF_XML_SYNTAX = frozenset(PREFIXES["rdf"] + name for name in _RDF_XML_SYNTAX_NAMES)


def _plainly_xml_name(iri: str) -> bool:
    """Whether an IRI certainly ends with an XML name that RDF/XML may use (in linear time).

    >>> _plainly_xml_name("https://w3id.org/relgraph/ontology#coChair"), _plainly_xml_name("http://ex/p/")
    (True, False)
    """
    cut = max(iri.rfind("/"), iri.rfind("#"), iri.rfind(":")) + 1
    return (
        cut > 0
        and _PLAIN_LOCAL_NAME.fullmatch(iri, cut) is not None
        and iri not in _RDF_XML_SYNTAX
        and not iri.startswith(XML_NAMESPACES)
    )


def _xml_name_problem(iri: str, as_class: bool) -> str | None:
    """Say why pyoxigraph's RDF/XML for a triple of this predicate (or class) is not XML readers take."""
    import xml.parsers.expat

    probe = ox.NamedNode("urn:relgraph:probe")
    triple = (
        ox.Triple(probe, ox.NamedNode(_RDF_TYPE_IRI), ox.NamedNode(iri))
        if as_class
        else ox.Triple(probe, ox.NamedNode(iri), ox.Literal("x"))
    )
    try:
        data = ox.serialize([triple], format=ox.RdfFormat.RDF_XML, prefixes=dict(PREFIXES))
    except OSError as error:  # one of RDF/XML's own terms (rdf:li, rdf:about ...)
        return f"cannot be written in RDF/XML ({one_line(str(error))})"
    assert data is not None  # no output given, so pyoxigraph returns the bytes
    problem = "does not end with an XML name, which RDF/XML needs"
    try:
        # with namespaces, as RDF/XML is read (<oxprefix:> is a name to XML alone); nothing is fetched
        xml.parsers.expat.ParserCreate(namespace_separator=" ").Parse(data, True)
        back = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(data, ox.RdfFormat.RDF_XML)]
    except (xml.parsers.expat.ExpatError, SyntaxError):
        return problem
    return None if back == [triple] else problem


def _serialize_sorted_lines(kg: KnowledgeGraph, fmt: str) -> bytes | None:
    """Serialize a graph without blank nodes by sorting its N-Triples lines; :data:`None` if it has some.

    A progress bar (:mod:`relgraph.progress`) counts the triples written as Turtle or TriG; its total
    is the number of sorted lines (``len(kg)`` would count the store again: 0.3 s at 1M triples).
    """
    lines = kg.oxigraph.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    assert lines is not None  # no output given, so pyoxigraph returns the bytes
    if lines.startswith(b"_:") or b"\n_:" in lines or b" _:" in lines or b"\x01" in lines:
        return None  # blank nodes (or text that looks like them): the canonical path
    # each big intermediate is let go as soon as the next exists: at 1M triples each is about 150 MB
    marked = lines.replace(_TYPE_PREDICATE, _TYPE_FIRST)
    del lines
    ordered = marked.split(b"\n")
    del marked
    ordered.sort()
    if ordered and not ordered[0]:
        del ordered[0]  # the empty string after the last line break
    if fmt in _AS_TURTLE:  # rdf:type is still <\x01> in the lines (and in a literal that held its text)
        from relgraph.progress import progress

        with progress(len(ordered), f"exporting as {fmt}") as update:
            return _turtle(ordered, PREFIXES, {}, (_TYPE_FIRST, _TYPE_PREDICATE), update)
    ordered.append(b"")  # so that the text ends with a line break (an empty graph stays empty)
    joined = b"\n".join(ordered)
    del ordered
    body = joined.replace(_TYPE_FIRST, _TYPE_PREDICATE)
    del joined
    if fmt in ("ntriples", "nquads"):
        return body  # graph-less N-Quads lines are N-Triples lines
    declared = dict(PREFIXES) if fmt in _WITH_PREFIXES else None
    data = ox.serialize(ox.parse(body, ox.RdfFormat.N_TRIPLES), format=EXPORT_FORMATS[fmt], prefixes=declared)
    assert data is not None
    return _xml_carriage_returns(data) if fmt == "xml" else data


def turtle_from_lines(lines: Iterable[bytes], prefixes: Mapping[str, str] = PREFIXES) -> bytes:
    r"""Write N-Triples lines as Turtle, in their order: each subject once, each predicate once.

    The lines' terms are Turtle terms already (N-Triples is a subset of Turtle); IRIs in a
    namespace of ``prefixes`` become prefixed names where the local name allows, ``rdf:type`` as
    the predicate becomes ``a`` (only there: as a subject or an object it stays an IRI), and
    integers, decimals and booleans are written bare. Writing the text directly
    is faster than parsing it back into pyoxigraph's serializer, which makes a Python object of
    every term (at a million triples, 2.2 s rather than 3.4 s with the join that needs).

    :param lines: N-Triples lines without their line breaks, a subject's triples together (sorted).
    :param prefixes: prefix -> namespace, all declared.
    :raises ValueError: if a line is not a triple of N-Triples.

    >>> nt = [b'<http://ex/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex/C> .',
    ...       b'<http://ex/a> <http://ex/n> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    ...       b'<http://ex/a> <http://ex/n> "x y"@en .', b'_:b <http://ex/n> <http://ex/a> .',
    ...       b'_:b <http://ex/is> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> .']
    >>> print(turtle_from_lines(nt, {"ex": "http://ex/"}).decode().expandtabs(4))
    @prefix ex: <http://ex/> .
    <BLANKLINE>
    ex:a a ex:C ;
        ex:n 1 , "x y"@en .
    _:b ex:n ex:a ;
        ex:is <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> .
    <BLANKLINE>
    """
    return _turtle(lines, prefixes, {})


def _turtle(
    lines: Iterable[bytes],
    prefixes: Mapping[str, str],
    names: dict[bytes, bytes],
    restore: tuple[bytes, bytes] | None = None,
    update: Callable[[int], None] | None = None,
) -> bytes:
    """Do :func:`turtle_from_lines`.

    :param names: term -> what is written for it, filled in as a cache.
    :param restore: (marked, original) text to put back in a literal object.
    :param update: called with the number of lines written so far, now and then.
    """
    namespaces = {namespace.encode(): name.encode() + b":" for name, namespace in prefixes.items()}
    rdf_type = _RDF_TYPE.encode()
    type_names = {rdf_type, _TYPE_FIRST[2:-1]}  # rdf:type, and what stands for it while sorting

    def name(iri: bytes) -> bytes:  # <iri> -> prefixed name, or <iri>; a blank node as it is
        found = names.get(iri)
        if found is None:
            found = iri = rdf_type if iri in type_names else iri
            if iri[0] == 60:  # b"<"
                text = iri[1:-1]
                cut = max(text.rfind(b"/"), text.rfind(b"#")) + 1
                prefix = namespaces.get(text[:cut])
                if prefix is not None and _LOCAL_NAME.fullmatch(text, cut):
                    found = prefix + text[cut:]
            if len(names) < 2_000_000:  # the IRIs of several million triples
                names[iri] = found
        return found

    def verb(iri: bytes) -> bytes:  # a predicate: rdf:type is written "a", and only here
        return b"a" if iri in type_names else names.get(iri) or name(iri)

    def term(text: bytes) -> bytes:  # an object
        if restore is not None and restore[0] in text:
            text = text.replace(*restore)
        if text[-1] == 62:  # b">": an IRI or a typed literal (others end with '"', a tag or a label)
            if text[0] == 60:
                return names.get(text) or name(text)
            end = text.rfind(b'"^^<')  # the datatype IRI holds no quote: this is the literal's end
            datatype = text[end + 4 : -1]
            bare = _BARE.get(datatype)
            if bare is not None and bare.fullmatch(text, 1, end):
                return text[1:end]
            return text[: end + 3] + name(text[end + 3 :])
        return text

    out = [b"@prefix %s <%s> .\n" % (prefix, namespace) for namespace, prefix in namespaces.items()]
    if out:
        out.append(b"\n")
    chunks: list[bytes] = []  # the pieces joined every so often: a million small objects weigh 100 MB
    append = out.append
    subject = predicate = b""
    for done, line in enumerate(lines):
        if len(out) > 50_000:
            chunks.append(b"".join(out))
            out.clear()
            if update is not None:
                update(done)
        try:
            s, p, o = line.split(b" ", 2)
        except ValueError:
            o = b""
        if len(o) < 3 or not o.endswith(b" ."):
            raise ValueError(f"not an N-Triples triple: {line[:80]!r}")
        o = o[:-2]  # " ."
        if s != subject:
            if subject:
                append(b" .\n")
            append(b"%s %s %s" % (names.get(s) or name(s), verb(p), term(o)))
            subject, predicate = s, p
        elif p != predicate:
            append(b" ;\n\t%s %s" % (verb(p), term(o)))
            predicate = p
        else:
            append(b" , " + term(o))
    if subject:
        append(b" .\n")
    chunks.append(b"".join(out))
    if update is not None and subject:
        update(done + 1)
    return b"".join(chunks)


def export(
    kg: KnowledgeGraph, fmt: str = "turtle", output: Path | str | None = None, *, sort: bool = True
) -> None:
    """Write the whole graph to a file (atomically) or, without ``output``, to standard output.

    :param kg: the knowledge graph.
    :param fmt: one of :data:`EXPORT_FORMATS`.
    :param output: the file to write; an existing file is replaced only on success.
    :param sort: as for :func:`serialize`; with ``False`` the output is written as it is made,
        to a temporary file renamed over ``output`` on success (or straight to standard output).
    :raises UsageError: for an unknown format.
    :raises RelgraphError: naming the file, if it cannot be serialized or written.
    :raises QueryTimeoutError: if it takes longer than the timeout.

    >>> import tempfile
    >>> from relgraph.store import load_default_graph
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp, "graph.ttl")
    ...     export(load_default_graph(), "turtle", target)
    ...     turtle = target.read_text(encoding="utf-8")
    >>> print(turtle[turtle.index("rgd:ely-ratner a"):].split(" .", 1)[0].expandtabs(4))
    rgd:ely-ratner a rg:Official ;
        rdfs:label "Ely Ratner"@en ;
        org:holds rgd:post-us-asd-indo-pacific-security-affairs ;
        foaf:name "Ely Ratner"
    >>> export(load_default_graph(), "dot", "graph.dot")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.errors.UsageError: unknown export format 'dot'; use one of turtle, ntriples, nquads, ...
    """
    _rdf_format(fmt)
    if output is None:
        stdout: IO[bytes] | None = getattr(sys.stdout, "buffer", None)
        if stdout is None:
            from relgraph.output import closed, closed_error

            if closed(sys.stdout):
                raise closed_error()
            # a text stream without bytes under it (a notebook's, redirect_stdout(io.StringIO())):
            # the text, as UTF-8 decodes it
            sys.stdout.write(serialize(kg, fmt, sort=sort).decode("utf-8"))
            return
        if sort:
            data = serialize(kg, fmt)
            _write_errors(lambda: _write_all(stdout, data), fmt, None)
        else:
            _write_errors(lambda: _stream(kg, fmt, stdout), fmt, None)
        return
    path = output_file(output)
    if not sort:
        with atomic_file(path) as stream:
            _write_errors(lambda: _stream(kg, fmt, stream), fmt, path)
        return
    try:
        data = serialize(kg, fmt)
    except RelgraphError as error:  # the format is known (checked above)
        raise type(error)(f"{path}: {error.message}") from error  # same class, same exit code
    atomic_write(path, data)


def _write_all(stream: IO[bytes], data: bytes) -> None:
    """Write all of ``data``, so that a reader going away is seen as a broken pipe.

    Unbuffered standard output (``python -u``, ``PYTHONUNBUFFERED``) is a raw file, whose ``write``
    may write only part of the bytes: to a pipe whose reader has gone, without an error. The rest
    is written again, which then fails.
    """
    view = memoryview(data)
    while view:
        written = stream.write(view[: 1 << 20])
        if not written:  # None: a non-blocking stream that would block
            raise BlockingIOError(errno.EAGAIN, "the output would block")
        view = view[written:]
    stream.flush()


def _write_errors(write: Callable[[], None], fmt: str, path: Path | None) -> None:
    """Run ``write``, its errors as :class:`RelgraphError` naming the file or standard output.

    A relgraph error (a timeout) keeps its class; a broken pipe is raised as it is (the reader of
    standard output went away: the ``relgraph`` command stops quietly).
    """
    where = "standard output: " if path is None else f"{path}: "
    try:
        write()
    except RelgraphError as error:
        raise type(error)(f"{where}{error.message}") from error
    except BrokenPipeError:
        raise
    except OSError as error:
        raise RelgraphError(f"{where}cannot write: {error.strerror or error}") from error
    except (ValueError, TypeError) as error:
        raise RelgraphError(f"{where}cannot serialize the graph as {fmt}: {error}") from error
    except RuntimeError as error:  # the store could not be read (a damaged on-disk store)
        raise RelgraphError(f"{where}cannot read the graph: {one_line(str(error))}") from error


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: it ends up either unchanged or complete.

    The bytes go to a temporary file in the same folder, are flushed to disk, and the file is
    renamed over ``path``. On error the temporary file is removed. A replaced file keeps its
    permissions; a new one gets the usual ones (``0o666`` less the umask). Through a symbolic link,
    the file it points to is replaced and the link kept. A device, pipe or socket (``/dev/null``, a
    FIFO) is written in place, as the shell's ``>`` does: a rename would replace it with a file.

    :param path: the file to write.
    :param data: its new content.
    :raises RelgraphError: naming the file, if it cannot be written.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp, "out.ttl")
    ...     atomic_write(target, b"x")
    ...     target.read_bytes(), sorted(p.name for p in Path(tmp).iterdir())
    (b'x', ['out.ttl'])
    """
    with atomic_file(path) as stream:
        stream.write(data)


def output_file(output: Path | str) -> Path:
    """Return ``output`` as the path of a file to write, refusing one that names no file.

    An empty name is :class:`Path`'s ``.``, a folder: written to, it failed with "Device or resource busy".

    :param output: the file to write.
    :raises UsageError: for an empty name, or one of a folder (``.``, ``..``, ``/``).

    >>> output_file("out/graph.ttl").as_posix()
    'out/graph.ttl'
    >>> output_file("")
    Traceback (most recent call last):
    ...
    relgraph.errors.UsageError: no file name in the output ''; give the name of a file to write
    """
    path = Path(output)
    if path.name in ("", "..") or not os.fspath(output):
        raise UsageError(f"no file name in the output {str(output)!r}; give the name of a file to write")
    return path


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """Yield a temporary file next to ``path``, renamed over it if the block ends without an error.

    The file is flushed to disk before the rename; on error it is closed and removed. See
    :func:`atomic_write` for symbolic links, devices and pipes. An :class:`OSError` from the block is
    reported as one of writing ``path``.

    :param path: the file to write.
    :raises RelgraphError: naming the file, if it cannot be created, written or renamed.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with atomic_file(Path(tmp, "out.nt")) as stream:
    ...         _ = stream.write(b"x")
    ...     Path(tmp, "out.nt").read_bytes()
    b'x'
    """
    try:
        info: os.stat_result | None = path.stat()  # through a symbolic link
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise RelgraphError(f"{path}: cannot write: {error.strerror or error}") from None
    if info is not None and not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        try:
            with path.open("wb") as stream:
                yield stream
        except OSError as error:
            raise RelgraphError(f"{path}: cannot write: {error.strerror or error}") from None
        return
    target = path.resolve() if path.is_symlink() else path  # the link is kept, its file replaced
    mode = new_file_mode() if info is None else stat.S_IMODE(info.st_mode)
    try:
        with temporary_beside(target) as (handle, temporary):
            with os.fdopen(handle, "wb") as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            temporary.chmod(mode)
            temporary.replace(target)
    except OSError as error:
        raise RelgraphError(f"{path}: cannot write: {error.strerror or error}") from None


@contextlib.contextmanager
def temporary_beside(target: Path) -> Iterator[tuple[int, Path]]:
    """Create a new file of a random name next to ``target`` and remove it when the block ends.

    The file is created with ``O_EXCL`` (never an existing file, nor one a symbolic link leads to) and
    mode ``0o600``; what the block renames or links elsewhere stays. Its name is known before it is
    created, so a signal that ends the command (SIGTERM is an exception, :mod:`relgraph.cli`) once the
    file exists leaves none behind: with :func:`tempfile.mkstemp`, one in the moment between the
    file's creation and the return of its name did.

    :param target: the file the temporary one stands in for (``.<name>.<random>.tmp`` beside it, the
        name cut short if need be so that the whole fits in the 255 bytes a file name may have).
    :return: the open file descriptor and the file's path.
    :raises OSError: if it cannot be created.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with temporary_beside(Path(folder, "out.ttl")) as (handle, temporary):
    ...         os.close(handle)
    ...         seen = temporary.name.startswith(".out.ttl.") and temporary.exists()
    ...     seen, temporary.exists()
    (True, False)
    """
    import secrets

    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    # ".<name>.<12 hex digits>.tmp" must fit in a file name: a long name (238 bytes or more) is cut short
    name = target.name
    while len(os.fsencode(name)) > _NAME_MAX - len("." + "." + ".tmp") - 12:
        name = name[:-1]
    mine: Path | None = None
    try:
        for _attempt in range(100):
            mine = target.parent / f".{name}.{secrets.token_hex(6)}.tmp"
            try:
                handle = os.open(mine, flags, 0o600)
            except FileExistsError:
                mine = None  # another's
                continue
            break
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary name", str(target))
        yield handle, mine
    finally:
        if mine is not None:
            with contextlib.suppress(OSError):
                mine.unlink()


def new_file_mode() -> int:
    """Return the permissions a new file gets from :func:`open`: ``0o666`` less the umask.

    A temporary file from :func:`temporary_beside` is ``0o600`` whatever the umask; a file it
    becomes is given this mode, as the shell's ``>`` would.

    >>> 0 <= new_file_mode() <= 0o666
    True
    """
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
