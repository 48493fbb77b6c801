"""Query results and their text forms.

:class:`QueryResult` holds the answer of a ``SELECT`` (variables and rows), ``ASK`` (a boolean)
or ``CONSTRUCT``/``DESCRIBE`` (triples) query, as rdflib terms. :func:`render` writes it as an
aligned table or as the W3C SPARQL 1.1 results formats (CSV, TSV, JSON); graph results are written
as Turtle, N-Triples or JSON-LD. The table is for people: bounded, with nothing in it that a terminal
acts on (:func:`format_table`); the other formats give every value whole, as it is.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import typing as t
import unicodedata
from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from relgraph.errors import QueryError, UsageError
from relgraph.prefixes import PREFIXES
from relgraph.reading import escape_controls, one_line
from relgraph.terms import OxTerm, lexical, shorten, to_n3, to_oxigraph, to_rdflib, triple_to_oxigraph

if t.TYPE_CHECKING:
    from relgraph.limits import Answer, OxValue
    from relgraph.terms import RdfTerm

__all__ = [
    "GRAPH_FORMATS",
    "MAX_CELL_WIDTH",
    "SELECT_FORMATS",
    "QueryResult",
    "format_table",
    "render",
    "terminal_text",
]

#: formats for SELECT and ASK results
SELECT_FORMATS = ("table", "csv", "tsv", "json")
#: formats for CONSTRUCT and DESCRIBE results ("table" is Turtle)
GRAPH_FORMATS = ("table", "turtle", "ntriples", "jsonld")
#: the most columns a cell of a table takes (:func:`format_table`): a longer value is cut to fit.
#: The longest value of the shipped graph's report, a quoted sentence, has 401 characters.
MAX_CELL_WIDTH = 500
# the most characters of a cell looked at and shown (marks that take no column count here)
_MAX_CELL_CHARS = 2 * MAX_CELL_WIDTH
_ELLIPSIS = "\u2026"
# written out in a cell by name; the other characters of these categories as \xNN or \uNNNN
_NAMED_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# format characters that are part of writing, kept as they are (no column): the zero-width non-joiner
# and joiner shape Devanagari, Persian and emoji sequences, and neither reorders nor hides text
_JOINERS = frozenset({"\u200c", "\u200d"})
_MARKS = frozenset({"Mn", "Me"})

_XSD_STRING = PREFIXES["xsd"] + "string"
# an endpoint's column name: a word (SPARQL's VARNAME, near enough; no terminal controls, no line break)
_VARIABLE_NAME = re.compile(r"[\w\u00b7\u0300-\u036f\u203f\u2040]+")
_RDF_LANG_STRING = PREFIXES["rdf"] + "langString"
_Kind = t.Literal["select", "ask", "graph"]  # subscripted once: this takes 2 us, and runs before each answer

Row: t.TypeAlias = "tuple[RdfTerm | None, ...]"
Triple: t.TypeAlias = "tuple[RdfTerm, RdfTerm, RdfTerm]"


class QueryResult:
    r"""The answer of a SPARQL query.

    :param kind: ``"select"``, ``"ask"`` or ``"graph"`` (CONSTRUCT and DESCRIBE).
    :param variables: the SELECT variables, without ``?``.
    :param rows: one tuple per solution, aligned with ``variables``; :data:`None` is unbound.
    :param boolean: the ASK answer.
    :param triples: the CONSTRUCT/DESCRIBE triples.

    A local query keeps its answer as pyoxigraph terms (:meth:`from_answer`) and converts them to
    rdflib terms the first time :attr:`rows` or :attr:`triples` is read.

    >>> from rdflib import Literal
    >>> r = QueryResult("select", ["x"], [(Literal("a"),), (None,)])
    >>> r.render("csv")  # a row of one empty value is written "" so that it is not a blank line
    'x\r\na\r\n""\r\n'
    """

    def __init__(
        self,
        kind: _Kind,
        variables: list[str] | None = None,
        rows: list[Row] | None = None,
        boolean: bool | None = None,
        triples: list[Triple] | None = None,
    ) -> None:
        self.kind = kind
        self.variables: list[str] = [] if variables is None else variables
        self.boolean = boolean
        self._rows: list[Row] | None = [] if rows is None else rows
        self._triples: list[Triple] | None = [] if triples is None else triples
        self._answer: Answer | None = None

    @classmethod
    def from_answer(cls, answer: Answer) -> QueryResult:
        """Wrap the answer of a local query (pyoxigraph terms), converted to rdflib terms on first use.

        :param answer: what :func:`relgraph.limits.run_query` returned.
        :raises QueryError: (on first use of the rows or triples) for an RDF 1.2 triple term.

        >>> from relgraph.limits import Answer
        >>> import pyoxigraph as ox
        >>> QueryResult.from_answer(Answer("select", ["x"], [(ox.NamedNode("http://ex/a"),)])).rows
        [(rdflib.term.URIRef('http://ex/a'),)]
        """
        kind = t.cast(_Kind, answer.kind)
        result = cls(kind, list(answer.variables), None, answer.boolean, None)
        result._rows = result._triples = None
        result._answer = answer
        return result

    @property
    def rows(self) -> list[Row]:
        """One tuple of rdflib terms per solution, aligned with :attr:`variables`."""
        if self._rows is None:
            convert = _converter()
            rows = self._answer.rows if self._answer is not None else []
            self._rows = [tuple(None if v is None else convert(v) for v in row) for row in rows]
        return self._rows

    @rows.setter
    def rows(self, rows: list[Row]) -> None:
        self._rows = rows

    @property
    def triples(self) -> list[Triple]:
        """The CONSTRUCT/DESCRIBE triples as rdflib terms."""
        if self._triples is None:
            convert = _converter()
            triples = self._answer.triples if self._answer is not None else []
            self._triples = [
                (convert(tr.subject), convert(tr.predicate), convert(tr.object)) for tr in triples
            ]
        return self._triples

    @triples.setter
    def triples(self, triples: list[Triple]) -> None:
        self._triples = triples

    def oxigraph_rows(self) -> list[tuple[OxTerm | None, ...]]:
        """Return the rows as pyoxigraph terms (what rendering uses: no rdflib terms are made).

        :raises QueryError: for an RDF 1.2 triple term.

        >>> from relgraph.store import load_default_graph
        >>> result = load_default_graph().query(
        ...     "SELECT ?name WHERE { <https://w3id.org/relgraph/id/us-india-2plus2-intersessional-07> "
        ...     "<http://www.w3.org/ns/prov#qualifiedAssociation>/<http://www.w3.org/ns/prov#agent>/"
        ...     "<http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name LIMIT 2")
        >>> [row[0].value for row in result.oxigraph_rows()]
        ['Donald Lu', 'Ely Ratner']
        """
        if self._answer is not None and self._rows is None:
            rows = [tuple(row) for row in self._answer.rows]
            if any(isinstance(v, ox.Triple) for row in rows for v in row):
                raise QueryError("RDF 1.2 triple terms in results are not supported")
            return t.cast("list[tuple[OxTerm | None, ...]]", rows)
        return [tuple(None if v is None else to_oxigraph(v) for v in row) for row in self.rows]

    def oxigraph_triples(self) -> list[ox.Triple]:
        """Return the CONSTRUCT/DESCRIBE triples as pyoxigraph triples.

        >>> from relgraph.store import load_default_graph
        >>> result = load_default_graph().query("CONSTRUCT { ?p <http://xmlns.com/foaf/0.1/name> ?n } "
        ...     "WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?n FILTER(?n = 'Vani Rao') }")
        >>> [(t.subject.value, t.object.value) for t in result.oxigraph_triples()]
        [('https://w3id.org/relgraph/id/vani-rao', 'Vani Rao')]
        """
        if self._answer is not None and self._triples is None:
            return list(self._answer.triples)
        return [triple_to_oxigraph(triple) for triple in self.triples]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QueryResult):
            return NotImplemented
        return (self.kind, self.variables, self.boolean, self.rows, self.triples) == (
            other.kind,
            other.variables,
            other.boolean,
            other.rows,
            other.triples,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.kind == "ask":
            return f"QueryResult(kind='ask', boolean={self.boolean})"
        if self.kind == "graph":
            return f"QueryResult(kind='graph', triples={len(self.triples)})"
        return f"QueryResult(kind='select', variables={self.variables}, rows={len(self.rows)})"

    def render(self, fmt: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
        """Return the result as text; see :func:`render`.

        >>> from relgraph.store import load_default_graph
        >>> result = load_default_graph().query(
        ...     "SELECT ?name WHERE { <https://w3id.org/relgraph/id/us-india-2plus2-intersessional-07> "
        ...     "<http://www.w3.org/ns/prov#qualifiedAssociation>/<http://www.w3.org/ns/prov#agent>/"
        ...     "<http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name LIMIT 2")
        >>> print(result.render("table"))
        name
        ----------
        Donald Lu
        Ely Ratner
        2 rows
        <BLANKLINE>
        """
        return render(self, fmt, prefixes)

    def to_sparql_json(self) -> dict[str, t.Any]:
        """Return the W3C SPARQL 1.1 Query Results JSON object of a SELECT or ASK result.

        :raises UsageError: for a graph result.

        >>> QueryResult("ask", boolean=True).to_sparql_json()
        {'head': {}, 'boolean': True}
        """
        if self.kind == "ask":
            return {"head": {}, "boolean": bool(self.boolean)}
        if self.kind != "select":
            raise UsageError("a CONSTRUCT/DESCRIBE result has no SPARQL JSON form; use jsonld")
        bindings = [
            {var: _json_term(term) for var, term in zip(self.variables, row, strict=True) if term is not None}
            for row in self.oxigraph_rows()
        ]
        return {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}

    @classmethod
    def from_sparql_json(cls, data: Mapping[str, t.Any]) -> QueryResult:
        """Build a result from W3C SPARQL 1.1 Query Results JSON, as a SPARQL endpoint returns it.

        The result is equal to the one a local run of the same query gives (``xsd:string``
        literals are plain, literal lexical forms are kept).

        :param data: the parsed JSON document.
        :raises QueryError: if it is not SPARQL JSON results.

        >>> r = QueryResult.from_sparql_json(
        ...     {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "uri", "value": "http://ex/a"}}]}})
        >>> r.rows
        [(rdflib.term.URIRef('http://ex/a'),)]
        """
        try:
            if "boolean" in data:
                if not isinstance(data["boolean"], bool):
                    raise TypeError("'boolean' is not true or false")
                return cls(kind="ask", boolean=data["boolean"])
            declared = data["head"]["vars"]
            if not isinstance(declared, list):  # a string was taken letter by letter: "xy" as ?x, ?y
                raise TypeError("'vars' is not a list")
            variables: list[str] = declared
            for name in variables:  # shown as column names: no terminal controls, nothing but a name
                if not isinstance(name, str) or not _VARIABLE_NAME.fullmatch(name):
                    raise ValueError(f"{escape_controls(repr(name))} is not a SPARQL variable name")
            if len(set(variables)) != len(variables):
                raise ValueError(f"a variable is declared twice in {escape_controls(repr(variables))}")
            rows: list[Row] = []
            for binding in data["results"]["bindings"]:
                unknown = set(binding) - set(variables)
                if unknown:
                    raise ValueError(f"binding of undeclared variables {sorted(unknown)}")
                rows.append(tuple(_from_json_term(binding[v]) if v in binding else None for v in variables))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise QueryError(f"invalid SPARQL JSON results: {error}") from error
        return cls(kind="select", variables=variables, rows=rows)


def render(result: QueryResult, fmt: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    r"""Return a query result as text, ending with a line break.

    For SELECT and ASK, ``fmt`` is one of :data:`SELECT_FORMATS`:

    * ``table``: aligned columns, IRIs as prefixed names, literals as their lexical form,
      unbound values empty, then a line like ``4 rows``. It is for people: what a terminal would act
      on is written out (``\x1b``, ``\u202e``) and a value wider than :data:`MAX_CELL_WIDTH` columns
      is cut, ending with ``…``, as :func:`format_table` says, and a last line then says how many were;
    * ``csv``/``tsv``/``json``: the W3C SPARQL 1.1 Query Results CSV, TSV and JSON formats.

    An ASK result is ``true`` or ``false`` (JSON: ``{"head": {}, "boolean": true}``).
    For CONSTRUCT/DESCRIBE, ``fmt`` is one of :data:`GRAPH_FORMATS` (``table`` is Turtle).

    :param result: the query result.
    :param fmt: the format name.
    :param prefixes: prefixes for the table and Turtle forms.
    :raises UsageError: if the format does not fit the kind of result.

    >>> from rdflib import Literal, URIRef
    >>> r = QueryResult("select", ["who", "n"], [(URIRef("https://w3id.org/relgraph/id/ann"), Literal(3))])
    >>> print(render(r, "table"), end="")
    who      n
    -------  -
    rgd:ann  3
    1 row
    """
    if result.kind == "graph":
        if fmt not in GRAPH_FORMATS:
            raise UsageError(
                f"format {fmt!r} does not fit a CONSTRUCT/DESCRIBE result; use one of "
                + ", ".join(GRAPH_FORMATS)
            )
        from relgraph.export import serialize_triples

        triples = result.oxigraph_triples()
        try:
            return serialize_triples(triples, "turtle" if fmt == "table" else fmt, prefixes).decode("utf-8")
        except (OSError, ValueError) as error:  # JSON-LD holds no RDF 1.2 triple term
            raise UsageError(
                f"format {fmt!r} cannot hold this result ({one_line(str(error))}); use turtle or ntriples"
            ) from None
    if fmt not in SELECT_FORMATS:
        raise UsageError(
            f"format {fmt!r} does not fit a SELECT/ASK result; use one of " + ", ".join(SELECT_FORMATS)
        )
    if fmt == "json":
        return json.dumps(result.to_sparql_json(), indent=2, ensure_ascii=False) + "\n"
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + ("\r\n" if fmt == "csv" else "\n")
    rows = result.oxigraph_rows()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(result.variables)
        writer.writerows([lexical(term) for term in row] for row in rows)
        return buffer.getvalue()
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join("" if term is None else to_n3(term) for term in row) for row in rows]
        return "\n".join(lines) + "\n"
    cells = [[_table_cell(term, prefixes) for term in row] for row in rows]
    table, cut = _layout(result.variables, cells)
    count = len(rows)
    table += f"{count} row{'' if count == 1 else 's'}\n"
    if cut:
        table += (
            f"{cut} value{'' if cut == 1 else 's'} cut to {MAX_CELL_WIDTH} columns (ending with \u2026); "
            "the csv, tsv and json formats give values in full\n"
        )
    return table


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    r"""Return aligned text columns: a header row, a rule line, then the rows.

    The table is for people at a terminal, so no text in it may move the cursor, reorder what is
    shown or hide in it: every cell is one line, and these characters are written out as escapes
    (as C0 controls always were):

    * a backslash as ``\\``, a line feed, carriage return and tab as ``\n``, ``\r``, ``\t``;
    * the other control characters (C0, DEL, C1: terminal escapes such as ``\x1b[31m``, NUL) as ``\xNN``;
    * format characters (Unicode category Cf: the bidirectional controls U+202A-U+202E and
      U+2066-U+2069 that reorder the text around them, the zero-width space U+200B, the byte order
      mark U+FEFF, ...), the line and paragraph separators U+2028 and U+2029, and lone surrogates as
      ``\uNNNN`` (``\UNNNNNNNN`` beyond U+FFFF); the zero-width non-joiner and joiner (U+200C,
      U+200D), which Devanagari, Persian and emoji sequences are written with, are kept.

    Columns are aligned by the width a terminal gives the text: two columns for a wide (East Asian)
    character, none for a combining mark. A cell is at most :data:`MAX_CELL_WIDTH` columns (and
    holds at most twice as many characters, marks included): a longer one is cut to fit and ends
    with ``…``, so that one long value cannot pad every other row to its width. Whole values are
    what the CSV, TSV and JSON results formats are for.

    :param headers: the column titles.
    :param rows: the cells, one sequence per row.

    >>> print(format_table(["a", "bb"], [["xyz", "1"], ["\u202egnp.exe", "\x1b[2J"]]), end="")
    a              bb
    -------------  -------
    xyz            1
    \u202egnp.exe  \x1b[2J
    >>> len(format_table(["a"], [["x" * 10_000]]).splitlines()[2])
    500
    """
    return _layout(headers, rows)[0]


def _layout(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[str, int]:
    """Return the table of :func:`format_table` and how many of its cells were cut."""
    lines = [[_fit(cell) for cell in line] for line in [headers, *rows]]
    widths = [0] * len(headers)
    cut = 0
    for line in lines:
        for i, (_, width, shortened) in enumerate(line):
            widths[i] = max(widths[i], width)
            cut += shortened
    lines.insert(1, [("-" * w, w, False) for w in widths])
    out = io.StringIO()
    for line in lines:
        padded = [text + " " * (widths[i] - width) for i, (text, width, _) in enumerate(line)]
        out.write("  ".join(padded).rstrip() + "\n")
    return out.getvalue(), cut


def _fit(text: str) -> tuple[str, int, bool]:
    r"""Return a cell as shown (escaped, cut to :data:`MAX_CELL_WIDTH`), its width and whether it was cut.

    >>> _fit("a\u200bb"), _fit("日本"), _fit("e\u0301")[1:]  # e and a combining acute accent
    (('a\\u200bb', 8, False), ('日本', 4, False), (1, False))
    >>> text, width, cut = _fit("x" * 600)
    >>> text[-3:], width, cut
    ('xx…', 500, True)
    """
    if len(text) <= MAX_CELL_WIDTH and text.isascii() and text.isprintable() and "\\" not in text:
        return text, len(text), False  # the common case: nothing to write out, one column a character
    shown: list[str] = []
    width = 0
    keep, keep_width = 0, 0  # what is shown if the cell is cut: room is left for the ellipsis
    for index, char in enumerate(text):
        piece, piece_width = _show(char)
        if index == _MAX_CELL_CHARS or width + piece_width > MAX_CELL_WIDTH:
            return "".join(shown[:keep]) + _ELLIPSIS, keep_width + 1, True
        shown.append(piece)
        width += piece_width
        if width < MAX_CELL_WIDTH:
            keep, keep_width = len(shown), width
    return "".join(shown), width, False


def terminal_text(text: str, *, escape_backslashes: bool = True) -> str:
    r"""Write text for a terminal as a table cell shows it (:func:`format_table`), but whole.

    :param text: text of the data.
    :param escape_backslashes: write a backslash as ``\\`` (not for a Turtle term, whose backslashes
        are escapes already).

    >>> print(terminal_text("a\x1b]0;title\x07\nb\u202ec\\"))
    a\x1b]0;title\x07\nb\u202ec\\
    >>> print(terminal_text('"a\\nb\u2028"', escape_backslashes=False))
    "a\nb\u2028"
    """
    return "".join(char if char == "\\" and not escape_backslashes else _show(char)[0] for char in text)


def _show(char: str) -> tuple[str, int]:
    """Return how a table writes one character, and how many columns that takes."""
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named, 2
    if char in _JOINERS:
        return char, 0
    category = unicodedata.category(char)
    if category in _HIDDEN:
        code = ord(char)
        escape = (
            f"\\x{code:02x}" if category == "Cc" else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
        )
        return escape, len(escape)
    if category in _MARKS or unicodedata.combining(char):
        return char, 0
    return char, 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _table_cell(term: OxTerm | None, prefixes: Mapping[str, str]) -> str:
    r"""Write a term for a table cell (:func:`format_table` writes out its control characters).

    An IRI is a prefixed name where it can be (:func:`~relgraph.terms.shorten`), a literal its
    lexical form. Only the start of a long value is kept, enough for :func:`format_table` to cut it:
    a 4 MB literal made a table of 1.2 GB, every row padded to its width.

    >>> rgd = {"rgd": "https://w3id.org/relgraph/id/"}
    >>> _table_cell(ox.NamedNode("https://w3id.org/relgraph/id/s1"), rgd)
    'rgd:s1'
    >>> _table_cell(ox.NamedNode("https://w3id.org/relgraph/id/s\u202ex"), rgd)  # not a prefixed name
    '<https://w3id.org/relgraph/id/s\u202ex>'
    >>> len(_table_cell(ox.Literal("x" * 10_000), {}))
    1001
    """
    if isinstance(term, ox.NamedNode):
        iri = term.value
        if len(iri) > _MAX_CELL_CHARS:  # cut anyway: not worth reading all of it for a prefix
            return f"<{iri[:_MAX_CELL_CHARS]}"
        return shorten(term, prefixes)
    return lexical(term)[: _MAX_CELL_CHARS + 1]


def _json_term(term: OxTerm) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    value: dict[str, str] = {"type": "literal", "value": term.value}
    if term.language is not None:
        value["xml:lang"] = term.language
        if term.direction is not None:  # RDF 1.2, written as SPARQL 1.2's JSON results (and pyoxigraph) do
            value["its:dir"] = term.direction.value
    elif term.datatype.value != _XSD_STRING:
        value["datatype"] = term.datatype.value
    return value


#: the error of a result holding an RDF 1.2 triple term, which rdflib terms cannot hold (as a local run says)
TRIPLE_TERMS_UNSUPPORTED = "RDF 1.2 triple terms in results are not supported"


def _from_json_term(value: Mapping[str, t.Any]) -> RdfTerm:
    """Return the rdflib term of a SPARQL JSON results term, checked as the store would take it.

    :raises QueryError: for a valid RDF 1.2 triple term (SPARQL 1.2's ``"type": "triple"``), with
        the message of a local run of the query (:data:`TRIPLE_TERMS_UNSUPPORTED`), and for a literal
        with a base direction: rdflib terms hold neither.
    :raises KeyError, TypeError, ValueError: for a term that is not valid SPARQL JSON.
    """
    from rdflib.term import BNode, Literal, URIRef

    kind = value["type"]
    text = value["value"]
    if kind == "triple":  # its parts are checked first: an invalid one is a broken answer, not RDF 1.2
        if not isinstance(text, Mapping):
            raise TypeError(f"triple term value {text!r} is not an object")
        for part in ("subject", "predicate", "object"):
            _check_triple_part(text[part])
        raise QueryError(TRIPLE_TERMS_UNSUPPORTED)
    if not isinstance(text, str):
        raise TypeError(f"term value {text!r} is not a string")
    # each term is checked as the store would take it (an IRI with a space, an empty blank node id
    # was a ValueError traceback when the result was written)
    if kind == "uri":
        ox.NamedNode(text)
        return URIRef(text)
    if kind == "bnode":
        if not text:
            raise ValueError("a blank node with an empty id")
        try:
            ox.BlankNode(text)
        except ValueError:  # an id pyoxigraph does not take (Virtuoso's nodeID://...): one of its own
            text = "b" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        return BNode(text)
    if kind in ("literal", "typed-literal"):
        language = value.get("xml:lang")
        datatype = value.get("datatype")
        if value.get("its:dir") is not None:  # RDF 1.2: said, not dropped (a local run's .rows says so too)
            raise QueryError(
                "a query result term is not supported: "
                f"literal with a base direction is not supported: {text!r}"
            )
        if language:
            ox.Literal(text, language=str(language).lower())
            return Literal(text, lang=language.lower())
        if datatype is None or datatype in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(text)
        ox.NamedNode(str(datatype))
        return Literal(text, datatype=URIRef(datatype), normalize=False)
    raise ValueError(f"unsupported term type {kind!r}")


def _check_triple_part(value: object) -> None:
    """Check a part of a triple term (itself perhaps a triple term) as :func:`_from_json_term` would."""
    if not isinstance(value, Mapping):
        raise TypeError(f"triple term part {value!r} is not an object")
    try:
        _from_json_term(value)
    except QueryError as error:
        if error.message != TRIPLE_TERMS_UNSUPPORTED:  # a direction, inside a triple term
            raise


def _converter() -> t.Callable[[OxValue], RdfTerm]:
    """Return a pyoxigraph-to-rdflib term converter that converts each distinct term once."""
    cache: dict[OxValue, RdfTerm] = {}

    def convert(value: OxValue) -> RdfTerm:
        term = cache.get(value)
        if term is None:
            if isinstance(value, ox.Triple):
                raise QueryError("RDF 1.2 triple terms in results are not supported")
            try:
                term = cache[value] = to_rdflib(value)
            except ValueError as error:
                raise QueryError(f"a query result term is not supported: {error}") from error
        return term

    return convert
