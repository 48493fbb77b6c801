"""The catalogue of canned SPARQL queries: one ``.rq`` file per query.

A canned query has header lines beginning with ``#+`` (as in grlc); without the ``#+`` and one
following space they are YAML::

    #+ summary: Who co-chaired a session
    #+ description: >-
    #+   Lists the co-chairs of a dialogue session.
    #+ params:
    #+   - name: session
    #+     type: iri
    #+     default: rgd:session-2plus2-intersessional-07
    #+     description: the dialogue session
    #+ tags: [sessions, people]

As grlc does, every line of the file that starts with ``#+`` is a header line, wherever it is (usually
at the top): a blank line or a plain ``#`` comment between header lines does not end the header. Lines
end at a line feed, a carriage return or both, where SPARQL ends a comment (not at U+2028 or U+0085,
which YAML 1.2 also takes for ordinary characters); a leading byte order mark is dropped. A key is
given once in a mapping.

``summary`` (one line) and ``description`` are required. Each parameter has a ``name`` (used as
``?name`` in the query), a ``type`` (``iri``, ``string``, ``date``, ``integer``, ``boolean``),
an optional ``default`` and ``description``, and ``required`` (true unless there is a default).
A parameter that is neither required nor defaulted stays unbound when not given, so the query
matches every value. Parameters are bound as RDF terms (SEP-0007 substitution and a ``VALUES``
block, see :meth:`relgraph.store.KnowledgeGraph.query`), never pasted into the text as given;
the engine (pyoxigraph) can only bind a variable that a SELECT projects, so a SELECT query must
list its parameters in its projection (or use ``SELECT *``); this is checked when it is loaded.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyoxigraph as ox
import yaml

from relgraph import resources
from relgraph.errors import ConfigurationError, QueryError, UsageError
from relgraph.prefixes import PREFIXES
from relgraph.terms import OxTerm, iri_problem, to_rdflib

if TYPE_CHECKING:
    from relgraph.results import QueryResult
    from relgraph.store import KnowledgeGraph
    from relgraph.terms import RdfTerm

__all__ = ["PARAM_TYPES", "CannedQuery", "Catalogue", "Param", "convert_term", "convert_value"]

#: the parameter types of canned queries
PARAM_TYPES = ("iri", "string", "date", "integer", "boolean")

_HEADER_KEYS = {"summary", "description", "params", "tags"}
_PARAM_KEYS = {"name", "type", "default", "required", "description"}
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_XSD = PREFIXES["xsd"]
_SCHEME = re.compile(r"(?:https?://|urn:)", re.IGNORECASE)
_ANY_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")  # RFC 3986's scheme
_PREFIXED = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*)?:(.*)", re.DOTALL)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"([+-]?)(\d+)")
# lines end where SPARQL ends a comment: str.splitlines() also broke at U+2028, U+0085, a form feed ...
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"
# one dummy value per type, to check at load time that a query runs with its parameters bound
_PROBE: dict[str, OxTerm] = {
    "iri": ox.NamedNode("urn:relgraph:probe"),
    "string": ox.Literal(""),
    "date": ox.Literal("2000-01-01", datatype=ox.NamedNode(_XSD + "date")),
    "integer": ox.Literal("0", datatype=ox.NamedNode(_XSD + "integer")),
    "boolean": ox.Literal("false", datatype=ox.NamedNode(_XSD + "boolean")),
}


def convert_value(value: str, type_: str) -> RdfTerm:
    """Convert a parameter value given as text to the RDF term of its type, as an rdflib term.

    * ``iri``: an absolute IRI in ``<...>`` (any scheme: ``<https://...>``, ``<mailto:...>``, but not a
      known prefix: ``<rgd:ann>`` is a mistake for ``rgd:ann``), an absolute ``http(s)://`` or ``urn:``
      IRI, or a prefixed name with a prefix of :data:`relgraph.prefixes.PREFIXES`;
    * ``string``: a plain literal of exactly the given text;
    * ``date``: an ``xsd:date`` literal, ``YYYY-MM-DD``;
    * ``integer``: an ``xsd:integer`` literal (in canonical form), of any number of digits;
    * ``boolean``: ``true`` or ``false``.

    :param value: the text.
    :param type_: one of :data:`PARAM_TYPES`.
    :raises ValueError: with a message saying what is wrong.

    >>> convert_value("rgd:ann", "iri")
    rdflib.term.URIRef('https://w3id.org/relgraph/id/ann')
    >>> convert_value("2024-02-29", "date").n3()
    '"2024-02-29"^^<http://www.w3.org/2001/XMLSchema#date>'
    """
    return to_rdflib(convert_term(value, type_))


def convert_term(value: str, type_: str) -> OxTerm:
    """Convert a parameter value given as text to the RDF term of its type, as a pyoxigraph term.

    The same as :func:`convert_value`, without importing rdflib.

    :param value: the text.
    :param type_: one of :data:`PARAM_TYPES`.
    :raises ValueError: with a message saying what is wrong.

    >>> convert_term("+007", "integer")
    <Literal value=7 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
    >>> convert_term(7, "integer")
    Traceback (most recent call last):
    ...
    ValueError: 7 is not text (an int): give the value as text, as on the command line ("7")
    """
    if not isinstance(cast(object, value), str):  # a library caller's 7 or date: its text is parsed
        kind = type(value).__name__
        raise ValueError(
            f"{value!r} is not text ({'an' if kind[0] in 'aeiou' else 'a'} {kind}): give the value as text, "
            f'as on the command line ("{value}")'
        )
    if type_ == "string":
        return ox.Literal(value)
    if type_ == "iri":
        return _convert_iri(value)
    if type_ == "date":
        if not _DATE.fullmatch(value):
            raise ValueError(f"{value!r} is not a date of the form YYYY-MM-DD")
        try:
            dt.date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a valid date: {error}") from None
        return ox.Literal(value, datatype=ox.NamedNode(_XSD + "date"))
    if type_ == "integer":
        integer = _INTEGER.fullmatch(value)
        if integer is None:
            raise ValueError(f"{value!r} is not an integer")
        # not int(), which refuses more than 4300 digits: the canonical form is written from the text
        sign, digits = integer.groups()
        if not digits.isascii():  # other decimal digits (Arabic-Indic ...), which int() took as well
            digits = "".join(str(unicodedata.decimal(digit)) for digit in digits)
        digits = digits.lstrip("0") or "0"
        canonical = f"-{digits}" if sign == "-" and digits != "0" else digits
        return ox.Literal(canonical, datatype=ox.NamedNode(_XSD + "integer"))
    if type_ == "boolean":
        if value.lower() not in ("true", "false"):
            raise ValueError(f"{value!r} is not true or false")
        return ox.Literal(value.lower(), datatype=ox.NamedNode(_XSD + "boolean"))
    raise ValueError(f"unknown parameter type {type_!r}")


def _convert_iri(value: str) -> ox.NamedNode:
    bracketed = value.startswith("<") and value.endswith(">")
    text = value[1:-1] if bracketed else value
    if bracketed and not _SCHEME.match(text):
        scheme = _ANY_SCHEME.match(text)
        if scheme is None:
            raise ValueError(
                f"{value!r} is not an IRI: an IRI in <...> must be absolute (start with a scheme: https:)"
            )
        prefix = _known_prefix(scheme.group(1))
        if prefix is not None:  # suggested as it is known (rgd:), which is what is accepted, not as typed
            local = text[scheme.end() :]
            raise ValueError(
                f"{value!r} is not an IRI: {prefix}: is a prefix here; write {prefix}:{local} without <...>"
            )
    elif not _SCHEME.match(text):
        match = _PREFIXED.fullmatch(text)
        if match is None:
            raise ValueError(
                f"{value!r} is not an IRI: give <https://...>, an http(s):// or urn: IRI, or a prefixed name"
            )
        prefix = match.group(1) or ""
        if prefix not in PREFIXES:
            raise ValueError(
                f"unknown prefix {prefix + ':'!r} in {value!r} (known: {', '.join(PREFIXES)}; "
                "an IRI of another scheme goes in <...>)"
            )
        text = PREFIXES[prefix] + match.group(2)
    problem = iri_problem(text)
    if problem is not None:
        raise ValueError(f"{value!r} is not an IRI: {problem}")
    return ox.NamedNode(text)


def _known_prefix(name: str) -> str | None:
    """Return the prefix of :data:`~relgraph.prefixes.PREFIXES` that ``name`` is, ignoring case, or None.

    A scheme is read ignoring case (RFC 3986), so ``<RGD:x>`` is the ``rgd:`` mistake too; a prefixed name
    is not, so the prefix is given back as it is known.

    >>> _known_prefix("RGD"), _known_prefix("mailto")
    ('rgd', None)
    """
    if name in PREFIXES:
        return name
    return next((known for known in PREFIXES if known.lower() == name.lower()), None)


@dataclass(frozen=True)
class Param:
    """A parameter of a canned query.

    :param name: the SPARQL variable name, without ``?``.
    :param type: one of :data:`PARAM_TYPES`.
    :param default: the value used when none is given, in the same text form as a given value.
    :param required: whether a value must be given (never true when there is a default).
    :param description: what the parameter means.
    """

    name: str
    type: str
    default: str | None = None
    required: bool = True
    description: str = ""

    def convert(self, value: str) -> RdfTerm:
        """Convert a value given as text; see :func:`convert_value`.

        :raises ValueError: if the value does not fit the type.

        >>> Param("n", "integer").convert("+007")
        rdflib.term.Literal('7', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
        """
        return convert_value(value, self.type)

    def term(self, value: str) -> OxTerm:
        """Convert a value given as text to a pyoxigraph term; see :func:`convert_term`.

        :raises ValueError: if the value does not fit the type.
        """
        return convert_term(value, self.type)


@dataclass(frozen=True)
class CannedQuery:
    """A canned query of the catalogue.

    :param name: the file name without ``.rq``.
    :param path: the ``.rq`` file.
    :param summary: one line saying what the query answers.
    :param description: a longer explanation.
    :param params: the declared parameters.
    :param tags: free keywords.
    :param text: the whole query text (header included; it is made of SPARQL comments), without the
        byte order mark the file may start with.

    >>> query = CannedQuery.from_file(resources.queries_dir() / "is-co-chair.rq")
    >>> query.summary
    'Did an official co-chair a session?'
    >>> [(p.name, p.type, p.default) for p in query.params]
    [('person', 'iri', 'rgd:ely-ratner'), ('session', 'iri', 'rgd:us-india-2plus2-intersessional-07')]
    """

    name: str
    path: Path
    summary: str
    description: str
    params: tuple[Param, ...]
    tags: tuple[str, ...]
    text: str

    @classmethod
    def from_file(cls, path: Path, *, check_sparql: bool = True) -> CannedQuery:
        """Read and check a canned query file.

        :param path: the ``.rq`` file.
        :param check_sparql: also run :meth:`check_sparql` (the slow part of the checks).
        :raises ConfigurationError: naming ``file:line`` if the header or the query is invalid.
        """
        try:
            text = path.read_text(encoding="utf-8").removeprefix(_BOM)  # as relgraph sparql reads a file
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigurationError(f"{path}: cannot read the canned query: {error}") from None
        lines = _lines(text)
        header = _header(path, lines)
        query = cls(
            name=path.stem,
            path=path,
            summary=_one_line_field(path, header, "summary", lines),
            description=_text_field(path, header, "description", lines),
            params=_params(path, header, lines),
            tags=_tags(path, header, lines),
            text=text,
        )
        query._check_params()
        if check_sparql:
            query.check_sparql()
        return query

    def param(self, name: str) -> Param | None:
        """Return the declared parameter called ``name``, or :data:`None`.

        >>> query = Catalogue.load_one("is-co-chair")
        >>> query.param("person").description, query.param("who")
        ('the official', None)
        """
        return next((p for p in self.params if p.name == name), None)

    def bind(self, raw: Mapping[str, str]) -> dict[str, RdfTerm]:
        """Convert parameter values given as text to rdflib terms, applying the defaults.

        :param raw: parameter name -> value text.
        :raises UsageError: for an undeclared or missing parameter, or a value of the wrong form.

        >>> q = CannedQuery("q", Path("q.rq"), "s", "d", (Param("who", "iri", default="rgd:ann"),), (), "")
        >>> q.bind({})
        {'who': rdflib.term.URIRef('https://w3id.org/relgraph/id/ann')}
        >>> q.bind({"whom": "rgd:bob"})
        Traceback (most recent call last):
        ...
        relgraph.errors.UsageError: query 'q' has no parameter 'whom' (its parameters: who)
        """
        return {name: to_rdflib(term) for name, term in self.bind_terms(raw).items()}

    def bind_terms(self, raw: Mapping[str, str]) -> dict[str, OxTerm]:
        """Convert parameter values given as text to pyoxigraph terms, applying the defaults.

        The same as :meth:`bind`, without importing rdflib.

        :param raw: parameter name -> value text.
        :raises UsageError: for an undeclared or missing parameter, or a value of the wrong form.
        """
        declared = ", ".join(p.name for p in self.params) or "none"
        for name in raw:
            if self.param(name) is None:
                raise UsageError(
                    f"query {self.name!r} has no parameter {name!r} (its parameters: {declared})"
                )
        bound: dict[str, OxTerm] = {}
        for param in self.params:
            if param.name in raw and raw[param.name] is None:  # a library caller's None: not "unset"
                raise UsageError(
                    f"query {self.name!r}, parameter {param.name!r} ({param.type}): None is not a value; "
                    "leave the parameter out to use its default"
                )
            value = raw.get(param.name, param.default)
            if value is None:
                if param.required:
                    raise UsageError(
                        f"query {self.name!r} needs parameter {param.name!r} ({param.type}): "
                        f"give it with -p {param.name} VALUE"
                    )
                continue
            try:
                bound[param.name] = param.term(value)
            except ValueError as error:
                raise UsageError(
                    f"query {self.name!r}, parameter {param.name!r} ({param.type}): {error}"
                ) from None
        return bound

    def run(self, kg: KnowledgeGraph, raw_params: Mapping[str, str] | None = None) -> QueryResult:
        """Bind the parameters and run the query on a knowledge graph.

        :param kg: the knowledge graph.
        :param raw_params: parameter name -> value text; defaults fill the rest.
        :raises UsageError: for a bad parameter.
        :raises QueryError: if the query fails.

        >>> from relgraph.store import load_default_graph
        >>> query = Catalogue.load_one("is-co-chair")
        >>> query.run(load_default_graph(), {"person": "rgd:vani-rao"}).boolean
        True
        >>> query.run(load_default_graph(), {"person": "vani-rao"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        relgraph.errors.UsageError: query 'is-co-chair', parameter 'person' (iri): 'vani-rao' is not an IRI...
        """
        return kg.query(self.text, self.bind_terms(raw_params or {}), source=str(self.path))

    def check_sparql(self) -> None:
        """Check that the query is read-only, local, valid SPARQL, and binds its parameters.

        It is run on an empty graph with a dummy value for every parameter.

        :raises ConfigurationError: naming the file (and ``line:column`` for a syntax error).
        :raises QueryTimeoutError: if even that runs past the timeout.

        >>> broken = CannedQuery("q", Path("q.rq"), "s", "d", (), (), "SELECT ?s WHERE { ?s ?p }")
        >>> broken.check_sparql()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        relgraph.errors.ConfigurationError: q.rq:1:26: SPARQL syntax error: expected one of ...
        """
        from relgraph.limits import QueryTimeoutError
        from relgraph.store import KnowledgeGraph

        probe = {p.name: _PROBE[p.type] for p in self.params}
        try:
            KnowledgeGraph().query(self.text, probe, source=str(self.path))
        except QueryTimeoutError:
            raise  # a --timeout too short for anything (exit 5), not a broken query
        except QueryError as error:
            unprojected = next((p.name for p in self.params if f"?{p.name} is bound" in error.message), None)
            if unprojected is not None:
                raise ConfigurationError(
                    f"{self.path}:{_param_line(self, unprojected)}: parameter {unprojected!r} must be in the "
                    f"SELECT projection (SELECT ?{unprojected} ... or SELECT *) to be bound"
                ) from None
            raise ConfigurationError(error.message) from None

    def _check_params(self) -> None:
        body = _strip_comments("\n".join(line for line in _lines(self.text) if not _is_header(line)))
        names: set[str] = set()
        for param in self.params:
            if param.name in names:
                line = _param_line(self, param.name, last=True)
                raise ConfigurationError(f"{self.path}:{line}: duplicate parameter {param.name!r}")
            names.add(param.name)
            if not re.search(rf"[?$]{re.escape(param.name)}(?![\w\u00b7])", body):
                raise ConfigurationError(
                    f"{self.path}:{_param_line(self, param.name)}: parameter {param.name!r} is not used "
                    f"as ?{param.name} in the query"
                )


def _hidden(file_name: str) -> bool:
    """Tell whether a file is hidden (its name starts with ``.``), so not a canned query.

    >>> _hidden("._session-co-chairs.rq"), _hidden("session-co-chairs.rq")
    (True, False)
    """
    return file_name.startswith(".")


def _check_name(name: object) -> None:
    """Refuse a query name that is not text (a library caller's ``None`` was a ``TypeError``).

    :raises UsageError: naming the type given.
    """
    if not isinstance(name, str):
        raise UsageError(f"the name of a canned query must be text, not {type(name).__name__}")


class Catalogue:
    """The canned queries of a folder: every ``*.rq`` file at its top level, except hidden ones.

    :param queries: the queries.

    >>> cat = Catalogue([])
    >>> cat.names()
    []
    """

    def __init__(self, queries: list[CannedQuery]) -> None:
        self._queries = {q.name: q for q in sorted(queries, key=lambda q: q.name)}

    @classmethod
    def load(cls, folder: Path | str | None = None, *, check_sparql: bool = True) -> Catalogue:
        """Read and check every canned query of a folder (by default the shipped queries).

        Subfolders (such as ``checks/`` and ``internal/``) are not read, nor hidden files (a name starting
        with ``.``: macOS's ``._name.rq`` AppleDouble files, an editor's ``.name.rq``).

        :param folder: the folder of ``.rq`` files.
        :param check_sparql: also check each query's SPARQL (see :meth:`CannedQuery.check_sparql`),
            which takes some 50 ms a query; without it, check the one you run.
        :raises ConfigurationError: naming ``file:line`` for the first invalid query.
        """
        folder = resources.queries_dir() if folder is None else Path(folder)
        if not folder.is_dir():
            raise ConfigurationError(f"{folder}: the canned query folder does not exist")
        paths = sorted(path for path in folder.glob("*.rq") if not _hidden(path.name) and path.is_file())
        return cls([CannedQuery.from_file(path, check_sparql=check_sparql) for path in paths])

    def names(self) -> list[str]:
        """Return the query names, sorted.

        >>> Catalogue.load(check_sparql=False).names()[:3]
        ['agreement-status', 'agreements-under-negotiation', 'commitments']
        """
        return list(self._queries)

    @classmethod
    def load_one(cls, name: str, folder: Path | str | None = None) -> CannedQuery:
        """Read just the query called ``name``, without reading the whole catalogue.

        :param name: the query name.
        :param folder: the folder of ``.rq`` files (default: the shipped ``queries/``).
        :raises UsageError: if there is none, suggesting close names (or ``name`` is not text).
        :raises ConfigurationError: if its file is invalid.

        >>> Catalogue.load_one("session-co-chairs").params[0].name
        'session'
        """
        _check_name(name)
        folder = Path(folder) if folder else resources.queries_dir()
        path = folder / f"{name}.rq"
        try:
            found = "/" not in name and "\x00" not in name and not _hidden(path.name) and path.is_file()
        except OSError:  # a name too long for a file name: no such query (it was a traceback)
            found = False
        if found:
            return CannedQuery.from_file(path, check_sparql=False)
        return cls.load(folder, check_sparql=False).get(name)  # for the did-you-mean message

    def get(self, name: str) -> CannedQuery:
        """Return the query called ``name``.

        :raises UsageError: if there is none, suggesting close names.

        >>> catalogue = Catalogue.load(check_sparql=False)
        >>> catalogue.get("counterparts").path.name
        'counterparts.rq'
        >>> catalogue.get("counterpart")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        relgraph.errors.UsageError: no canned query 'counterpart'; did you mean 'counterparts'? ...
        """
        _check_name(name)
        try:
            return self._queries[name]
        except KeyError:
            pass
        close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UsageError(f"no canned query {name!r}{hint} ('relgraph queries' lists them)")

    def __iter__(self) -> Iterator[CannedQuery]:
        """Iterate over the queries sorted by name."""
        return iter(self._queries.values())

    def __len__(self) -> int:
        """Return the number of queries."""
        return len(self._queries)

    def __contains__(self, name: object) -> bool:
        """Tell whether there is a query of that name."""
        return name in self._queries


class _HeaderLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML's safe loader (libyaml's where installed), except that a plain value stays the text written.

    Only ``true``/``false`` (for ``required``) and an empty value (null) are read as YAML 1.2 reads them.
    PyYAML follows YAML 1.1, which turned ``default: no`` (Norway) into false, ``010`` into the integer
    8 and ``1.10`` into 1.1; and ``default: 2023-02-30`` must reach the date check as text, not fail
    inside YAML. A key given twice in a mapping is noted in :attr:`duplicates` (YAML says keys are
    unique; PyYAML keeps the last one).

    :param stream: the YAML text.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        #: (line from 0, key) of each key given again in its mapping
        self.duplicates: list[tuple[int, Any]] = []

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """Construct a mapping, noting in :attr:`duplicates` each key it has twice.

        :param node: the mapping node.
        :param deep: construct the values at once.
        """
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        self.duplicates.append((key_node.start_mark.line, key))
                    seen.add(key)
                except TypeError:  # an unhashable key: refused as such below
                    continue
        return cast("dict[Any, Any]", super().construct_mapping(node, deep=deep))


_YAML_1_2_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_HeaderLoader.yaml_implicit_resolvers = {}
_HeaderLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _YAML_1_2_BOOL, list("tTfF"))
for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        if _tag == "tag:yaml.org,2002:null":
            _HeaderLoader.add_implicit_resolver(_tag, _regexp, [_first])

# YAML 1.2 takes U+0085, U+2028 and U+2029 for ordinary characters (YAML 1.2.2, 5.4 "Line Break
# Characters"), as SPARQL does; PyYAML, a YAML 1.1 reader, ends a line at each. In the header they
# stand in for themselves as private-use characters the header does not have.
_YAML_1_1_BREAKS = "\x85\u2028\u2029"
_PRIVATE_USE = (range(0xE000, 0xF900), range(0xF0000, 0xFFFFE))


def _lines(text: str) -> list[str]:
    r"""Split text into lines as SPARQL does: at a line feed, a carriage return, or both.

    >>> _lines("#+ a\r\n#+ b\u2028c\rd\x85e\n")
    ['#+ a', '#+ b\u2028c', 'd\x85e', '']
    """
    return _LINE_BREAK.split(text)


def _is_header(line: str) -> bool:
    """Tell whether a line of a canned query is a line of its ``#+`` header."""
    return line.startswith("#+")


def _header(path: Path, lines: list[str]) -> dict[str, Any]:
    """Read the ``#+`` header of a canned query: every line that starts with ``#+``, wherever it is.

    :param path: the file, for the messages.
    :param lines: its lines (:func:`_lines`).
    :raises ConfigurationError: naming ``file:line`` if there is no header or it is not valid.
    """
    # As grlc reads a query's decorators (CLARIAH/grlc, src/gquery.py, get_yaml_decorators): its YAML is
    # "\n".join(row.lstrip('#+') for row in rq.split('\n') if row.startswith('#+')), every such row of
    # the file, and the other rows are the query. (It strips every leading # and +; one space is
    # dropped here.) numbers[i] is the file line of line i of the YAML text.
    numbers = [number for number, line in enumerate(lines, start=1) if _is_header(line)]
    if not numbers:
        raise ConfigurationError(f"{path}:1: no '#+' header lines (summary, description) in the query")
    yaml_text = "\n".join(_yaml_line(lines[number - 1]) for number in numbers)
    present = set(yaml_text)
    free = (chr(c) for block in _PRIVATE_USE for c in block if chr(c) not in present)
    stand_ins = {ord(char): next(free) for char in _YAML_1_1_BREAKS if char in present}
    back = {ord(stand_in): chr(char) for char, stand_in in stand_ins.items()}

    def file_line(yaml_line: int) -> int:
        return numbers[min(max(yaml_line, 0), len(numbers) - 1)]

    loader = _HeaderLoader(yaml_text.translate(stand_ins))  # a SafeLoader
    try:
        loaded = loader.get_single_data()  # what yaml.load does
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line_number = file_line(mark.line) if mark is not None else numbers[0]
        problem = (getattr(error, "problem", None) or str(error)).translate(back)
        raise ConfigurationError(
            f"{path}:{line_number}: invalid YAML in the '#+' header: {_one_line(problem)}"
        ) from None
    except (ValueError, KeyError, TypeError) as error:  # an explicit tag with a bad value: !!int abc
        raise ConfigurationError(
            f"{path}:{numbers[0]}: invalid value in the '#+' header: {_one_line(str(error))}"
        ) from None
    finally:
        loader.dispose()
    if loader.duplicates:  # the first in the file (an outer mapping is constructed before its values)
        line, key = min(loader.duplicates, key=lambda duplicate: duplicate[0])
        raise ConfigurationError(
            f"{path}:{file_line(line)}: duplicate key {_restore(key, back)!r} in the '#+' header "
            "(a key is given once in a mapping)"
        )
    header = _restore(loaded, back)
    if not isinstance(header, dict):
        raise ConfigurationError(
            f"{path}:{numbers[0]}: the '#+' header must be a YAML mapping (summary: ..., description: ...)"
        )
    unknown = sorted(str(k) for k in header if k not in _HEADER_KEYS)
    if unknown:
        raise ConfigurationError(
            f"{path}:{_key_line(lines, unknown[0])}: unknown header key {unknown[0]!r} "
            f"(known: {', '.join(sorted(_HEADER_KEYS))})"
        )
    return header


def _yaml_line(line: str) -> str:
    """Return the YAML of a header line: without the ``#+`` and one following space."""
    content = line[2:]
    return content[1:] if content.startswith(" ") else content


def _restore(value: Any, back: dict[int, str]) -> Any:
    """Give the text of a loaded header its U+0085, U+2028 and U+2029 back (see :func:`_header`)."""
    if not back:
        return value
    if isinstance(value, str):
        return value.translate(back)
    if isinstance(value, list):
        return [_restore(item, back) for item in value]
    if isinstance(value, dict):
        return {_restore(key, back): _restore(item, back) for key, item in value.items()}
    return value


def _one_line_field(path: Path, header: Mapping[str, Any], key: str, lines: list[str]) -> str:
    value = _text_field(path, header, key, lines)
    if "\n" in value:
        raise ConfigurationError(f"{path}:{_key_line(lines, key)}: {key} must be one line")
    return value


def _text_field(path: Path, header: Mapping[str, Any], key: str, lines: list[str]) -> str:
    value = header.get(key)
    if value is None:
        raise ConfigurationError(f"{path}:1: the '#+' header has no {key}")
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{path}:{_key_line(lines, key)}: {key} must be non-empty text")
    return value.strip()


def _tags(path: Path, header: Mapping[str, Any], lines: list[str]) -> tuple[str, ...]:
    tags = header.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ConfigurationError(f"{path}:{_key_line(lines, 'tags')}: tags must be a list of words")
    return tuple(tags)


def _params(path: Path, header: Mapping[str, Any], lines: list[str]) -> tuple[Param, ...]:
    raw = header.get("params") or []
    if not isinstance(raw, list):
        raise ConfigurationError(f"{path}:{_key_line(lines, 'params')}: params must be a list of mappings")
    params = []
    for index, item in enumerate(raw, start=1):
        where = f"{path}:{_key_line(lines, 'params')}"
        if not isinstance(item, dict):
            raise ConfigurationError(f"{where}: parameter {index} must be a mapping (name: ..., type: ...)")
        name = item.get("name")
        if not isinstance(name, str) or not _VARNAME.fullmatch(name):
            raise ConfigurationError(f"{where}: parameter {index} needs a name usable as a SPARQL variable")
        where = f"{path}:{_name_line(lines, name)}"
        unknown = sorted(str(k) for k in item if k not in _PARAM_KEYS)
        if unknown:
            raise ConfigurationError(
                f"{where}: parameter {name!r} has unknown key {unknown[0]!r} "
                f"(known: {', '.join(sorted(_PARAM_KEYS))})"
            )
        type_ = item.get("type")
        if type_ not in PARAM_TYPES:
            raise ConfigurationError(
                f"{where}: parameter {name!r} needs a type, one of {', '.join(PARAM_TYPES)}"
            )
        if isinstance(item.get("default"), list | dict | bytes):  # its Python text was taken as the value
            raise ConfigurationError(f"{where}: parameter {name!r}: the default must be one value")
        default = _default_text(item.get("default"))
        required = item.get("required", default is None)
        if not isinstance(required, bool):
            raise ConfigurationError(f"{where}: parameter {name!r}: required must be true or false")
        if required and default is not None:
            raise ConfigurationError(f"{where}: parameter {name!r} has a default, so it cannot be required")
        if default is not None:
            try:
                convert_term(default, type_)
            except ValueError as error:
                raise ConfigurationError(f"{where}: parameter {name!r}: bad default: {error}") from None
        description = item.get("description") or ""
        if not isinstance(description, str):
            raise ConfigurationError(f"{where}: parameter {name!r}: description must be text")
        params.append(Param(name, type_, default, required, description.strip()))
    return tuple(params)


def _default_text(value: Any) -> str | None:
    # the header loader reads true/false as a bool (and an explicit tag as what it says): give them back
    # as text
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _key_line(lines: list[str], key: str) -> int:
    pattern = re.compile(rf"#\+\s*{re.escape(key)}\s*:")
    return next((i for i, line in enumerate(lines, start=1) if pattern.match(line)), 1)


def _name_pattern(name: str) -> re.Pattern[str]:
    r"""Match a header line that gives a parameter its name, in block or in flow style.

    >>> pattern = _name_pattern("a")
    >>> [bool(pattern.match(line)) for line in ["#+   - name: a", "#+ - name: 'a'  # the a", "#+ - name: ab"]]
    [True, True, False]
    >>> [bool(pattern.match(line)) for line in ['#+ - {name: a, type: iri}', '#+ - {type: iri, name: "a"}']]
    [True, True]
    """
    return re.compile(rf"#\+.*\bname\s*:\s*(['\"]?){re.escape(name)}\1(?:\s*$|\s*[,}}]|\s+#)")


def _name_line(lines: list[str], name: str) -> int:
    pattern = _name_pattern(name)
    return next((i for i, line in enumerate(lines, start=1) if pattern.match(line)), 1)


def _param_line(query: CannedQuery, name: str, *, last: bool = False) -> int:
    lines = _lines(query.text)
    if not last:
        return _name_line(lines, name)
    pattern = _name_pattern(name)
    return max((i for i, line in enumerate(lines, start=1) if pattern.match(line)), default=1)


def _strip_comments(sparql: str) -> str:
    # drop comments and the content of strings, keep IRIs (which may hold a #)
    token = re.compile(
        r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
        r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*',
        re.DOTALL,
    )
    return token.sub(lambda m: {"#": "", '"': '""', "'": '""'}.get(m.group()[0], m.group()), sparql)


def _one_line(text: str) -> str:
    return " ".join(text.split())
