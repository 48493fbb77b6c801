"""Terms new data uses that the ontology does not declare: a misspelled property, class or ``rg:`` term.

The shapes check the properties they name; a misspelled property (``rg:sessionDate``), class
(``rg:DialogSession``) or value (``prov:hadRole rg:cochair``) is otherwise seen only through what goes
missing, if a shape happens to require it. This module looks at every property, class and ``rg:`` term
a new file uses and reports those that no ``rdf:type`` in the graph (the ontology, the data, the file
itself) declares:

- a term of the ontology's own namespace (``rg:``) is a violation of ``rgsh:Term-defined``: the
  ontology defines every ``rg:`` term, so this one is misspelled or missing from it;
- a property or class of another namespace is a warning of ``rgsh:Term-declared``: the ontology declares
  the external terms it reuses (``prov:agent``, ``foaf:Person`` ...), and tools that read it (Protégé,
  OWL reasoners) and the shapes know no other.

A property must be declared as one (``owl:ObjectProperty``, ``owl:DatatypeProperty``,
``rdf:Property`` ...), and a class as one (``owl:Class``, ``rdfs:Class``): ``rg:Country`` used as a
property is reported too. The terms of RDF, RDFS, OWL and XSD are known by their lists
(``rdfs:lable`` is not one). Both shapes are in ``ontology/shapes.ttl``,
deactivated, so SHACL engines skip them; :func:`relgraph.validate.validate` reports these results under
them. The quality check ``queries/checks/undefined-term-violation.rq`` finds undefined ``rg:`` terms in
the whole graph.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib import OWL, RDF, RDFS, XSD

from relgraph.limits import run_query
from relgraph.namespaces import ONTOLOGY_IRI, RG
from relgraph.terms import shorten

__all__ = ["TermProblem", "check_terms"]

_RG = str(RG._NS)
_BUILT_IN = (RDF, RDFS, OWL, XSD)  # rdflib's lists of their terms
_CONTAINER_MEMBER = re.compile(re.escape(str(RDF._NS)) + r"_[1-9][0-9]*")
_TYPE = ox.NamedNode(str(RDF.type))
_DEFINED_BY = ox.NamedNode(str(RDFS.isDefinedBy))
_ONTOLOGY = ox.NamedNode(str(ONTOLOGY_IRI))
_PROPERTY_KINDS = [
    ox.NamedNode(str(kind))
    for kind in (
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.OntologyProperty,
        RDF.Property,
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.TransitiveProperty,
        OWL.SymmetricProperty,
        OWL.AsymmetricProperty,
        OWL.ReflexiveProperty,
        OWL.IrreflexiveProperty,
    )
]
_CLASS_KINDS = [ox.NamedNode(str(OWL.Class)), ox.NamedNode(str(RDFS.Class))]
_DATATYPE_KINDS = [ox.NamedNode(str(RDFS.Datatype))]
_KINDS = {"property": _PROPERTY_KINDS, "class": _CLASS_KINDS, "datatype": _DATATYPE_KINDS}
_MAIN_KINDS = [*_CLASS_KINDS, *_PROPERTY_KINDS[:5]]  # named first in a report of the wrong kind

# each way a term is used: a property, a class (object of rdf:type), an rg: value, an rg: subject, the
# rg: datatype of a literal
_USES = {
    "property": "SELECT DISTINCT ?term WHERE { ?s ?term ?o }",
    "class": f"SELECT DISTINCT ?term WHERE {{ ?s <{RDF.type}> ?term FILTER (isIRI(?term)) }}",
    "value": (
        f"SELECT DISTINCT ?term WHERE {{ ?s ?p ?term "
        f'FILTER (isIRI(?term) && ?p != <{RDF.type}> && STRSTARTS(STR(?term), "{_RG}")) }}'
    ),
    "subject": f'SELECT DISTINCT ?term WHERE {{ ?term ?p ?o FILTER (STRSTARTS(STR(?term), "{_RG}")) }}',
    "datatype": (
        "SELECT DISTINCT ?term WHERE { ?s ?p ?o FILTER (isLiteral(?o)) BIND (DATATYPE(?o) AS ?term) "
        f'FILTER (STRSTARTS(STR(?term), "{_RG}")) }}'
    ),
}


@dataclass(frozen=True)
class TermProblem:
    """A term new data uses that no ``rdf:type`` declares.

    :param term: the term.
    :param use: how it is used: ``property``, ``class``, ``value`` (an ``rg:`` term as an object),
        ``subject`` (an ``rg:`` term described) or ``datatype`` (the ``rg:`` datatype of a literal).
    :param focus: the first node (in IRI order) that uses it; the term itself when it is the subject.
    :param predicate: the property it is the class, value or datatype of (``rdf:type`` for a class), or None.
    :param uses: how many nodes use it so.
    :param suggestion: a declared term of that kind whose name is close, if one is.
    :param declared_as: the term's ``rdf:type`` when it is declared, but not as what it is used as.
    """

    term: ox.NamedNode
    use: str
    focus: ox.NamedNode | ox.BlankNode
    predicate: ox.NamedNode | None
    uses: int
    suggestion: ox.NamedNode | None = None
    declared_as: ox.NamedNode | None = None

    @property
    def shape(self) -> str:
        """Return its shape: ``Term-defined`` for an ``rg:`` term, else ``Term-declared``."""
        return "Term-defined" if self.term.value.startswith(_RG) else "Term-declared"

    @property
    def severity(self) -> str:
        """Return ``Violation`` (an ``rg:`` term) or ``Warning``."""
        return "Violation" if self.shape == "Term-defined" else "Warning"

    @property
    def detail(self) -> str:
        """Return what is wrong with this term, for a person (see :func:`check_terms`)."""
        verb = "defined by" if self.shape == "Term-defined" else "declared in"
        nodes = "1 node" if self.uses == 1 else f"{self.uses:,} nodes"
        where = {
            "property": f"a property of {nodes}",
            "class": f"the class of {nodes}",
            "value": f"the value of {shorten(self.predicate) if self.predicate else '?'} on {nodes}",
            "subject": "described here",
            "datatype": f"the datatype of {shorten(self.predicate) if self.predicate else '?'} on {nodes}",
        }[self.use]
        text = f"{shorten(self.term)} is not {verb} the ontology: {where}"
        if self.declared_as is not None:
            kind = f"declared as {shorten(self.declared_as)}, not as a {self.use}"
            text = f"{shorten(self.term)} is {kind}: {where}"
        return f"{text}; did you mean {shorten(self.suggestion)}?" if self.suggestion else text


def check_terms(new: ox.Store, base: ox.Store | None = None) -> list[TermProblem]:
    """Return the properties, classes and ``rg:`` terms of ``new`` that no ``rdf:type`` declares.

    A term is declared when ``new`` or ``base`` (the graph it adds to, with the ontology) gives it an
    ``rdf:type`` (of a property's kind for a property, of a class's kind for a class), or when it is a
    term of RDF, RDFS, OWL or XSD. An ``rg:`` term is defined only by the ontology: ``base`` (or, without
    one, ``new``) must give it its ``rdf:type`` and ``rdfs:isDefinedBy`` the ontology, so that a readout
    cannot define the term it misspells (``rg:concern a owl:ObjectProperty``).

    :param new: the new data.
    :param base: the graph the new data adds to.
    :return: one problem a term and use, in the order of the terms' IRIs.
    :raises QueryTimeoutError: if a query runs past the timeout.

    >>> store = ox.Store()
    >>> store.load(f'''@prefix rg: <{_RG}> . @prefix prov: <http://www.w3.org/ns/prov#> .
    ...     rg:coChair a prov:Role ; <http://www.w3.org/2000/01/rdf-schema#isDefinedBy> <{_ONTOLOGY.value}> .
    ...     <http://ex/r> prov:hadRole rg:cochair .''', ox.RdfFormat.TURTLE)
    >>> problems = check_terms(store)
    >>> [problem.severity for problem in problems]
    ['Warning', 'Warning', 'Violation']
    >>> for problem in problems:
    ...     print(problem.detail)
    prov:Role is not declared in the ontology: the class of 1 node
    prov:hadRole is not declared in the ontology: a property of 1 node
    rg:cochair is not defined by the ontology: the value of prov:hadRole on 1 node; did you mean rg:coChair?
    """
    stores = [new] if base is None else [new, base]
    defining = stores[-1]  # where the ontology is: base, or new without one
    candidates: dict[str, dict[str, ox.NamedNode]] = {}  # kind -> declared names, made once

    problems = []
    for use, query in _USES.items():
        for row in run_query(new, query).rows:
            term = row[0]
            if not isinstance(term, ox.NamedNode) or _built_in(term):
                continue
            if term.value.startswith(_RG):  # the ontology's own term: only the ontology defines it
                defined = next(defining.quads_for_pattern(term, _DEFINED_BY, _ONTOLOGY), None) is not None
                types = {q.object for q in defining.quads_for_pattern(term, _TYPE, None)}
                if not defined:
                    types = set()
            else:
                types = {q.object for store in stores for q in store.quads_for_pattern(term, _TYPE, None)}
            kinds = _KINDS.get(use)
            if types and (kinds is None or not types.isdisjoint(kinds)):
                continue
            named = [t for t in types if isinstance(t, ox.NamedNode)]
            wrong = min(named, key=_kind_order, default=None)
            problems.append(_problem(new, stores, term, use, candidates, wrong))
    return sorted(problems, key=lambda p: (p.term.value, list(_USES).index(p.use)))


def _kind_order(kind: ox.NamedNode) -> tuple[int, str]:
    """Sort key of the kinds a term is declared as: owl:Class, rdfs:Class, owl:ObjectProperty ... first."""
    return (_MAIN_KINDS.index(kind) if kind in _MAIN_KINDS else len(_MAIN_KINDS), kind.value)


def _built_in(term: ox.NamedNode) -> bool:
    """Tell whether the term is one of RDF, RDFS, OWL or XSD (a misspelled one is not)."""
    iri = term.value
    for namespace in _BUILT_IN:
        if iri.startswith(str(namespace._NS)):
            return rdflib.URIRef(iri) in namespace or _CONTAINER_MEMBER.fullmatch(iri) is not None
    return False


def _problem(
    new: ox.Store,
    stores: list[ox.Store],
    term: ox.NamedNode,
    use: str,
    candidates: dict[str, dict[str, ox.NamedNode]],
    declared_as: ox.NamedNode | None,
) -> TermProblem:
    """Return the problem of an undeclared term, with its first user and a suggestion."""
    if use == "subject":
        suggestion = _closest(term, _RG, stores, None, candidates)
        return TermProblem(term, use, term, None, 1, suggestion, declared_as)
    users: list[tuple[ox.NamedNode | ox.BlankNode | ox.Triple, ox.NamedNode | None]]
    if use == "property":
        users = [(q.subject, None) for q in new.quads_for_pattern(None, term, None)]
        kinds: list[ox.NamedNode] | None = _PROPERTY_KINDS
    elif use == "datatype":  # the triples whose literal is of that datatype (a new file: small)
        users = [
            (q.subject, q.predicate)
            for q in new.quads_for_pattern(None, None, None)
            if isinstance(q.object, ox.Literal) and q.object.datatype == term
        ]
        kinds = _DATATYPE_KINDS
    else:
        users = [(q.subject, q.predicate) for q in new.quads_for_pattern(None, None, term)]
        users = [u for u in users if (u[1] == _TYPE) == (use == "class")]
        kinds = _CLASS_KINDS if use == "class" else None
    subjects = {subject for subject, _predicate in users}
    focus, predicate = min(users, key=lambda user: (isinstance(user[0], ox.BlankNode), str(user[0])))
    assert not isinstance(focus, ox.Triple)
    namespace = _RG if term.value.startswith(_RG) else ""
    suggestion = _closest(term, namespace, stores, kinds, candidates)
    return TermProblem(term, use, focus, predicate, len(subjects), suggestion, declared_as)


def _closest(
    term: ox.NamedNode,
    namespace: str,
    stores: list[ox.Store],
    kinds: list[ox.NamedNode] | None,
    candidates: dict[str, dict[str, ox.NamedNode]],
) -> ox.NamedNode | None:
    """Return the declared term (of these ``rdf:type`` kinds, or defined by an ontology) closest in name.

    :param candidates: the declared names by kind and namespace, filled on first use (they were read
        again for each term: 1.7 ms a term).
    """
    key = f"{namespace} {' '.join(k.value for k in kinds) if kinds else 'defined'}"
    if key not in candidates:
        found: set[ox.NamedNode] = set()
        for store in stores:
            if kinds is None:
                quads = store.quads_for_pattern(None, _DEFINED_BY, None)
            else:
                quads = (q for kind in kinds for q in store.quads_for_pattern(None, _TYPE, kind))
            found.update(
                q.subject
                for q in quads
                if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(namespace)
            )
        if not namespace:  # another vocabulary's term: RDF's, RDFS's and OWL's too (rdfs:lable)
            found.update(ox.NamedNode(str(ns[name])) for ns in _BUILT_IN[:3] for name in ns.__annotations__)
        candidates[key] = {shorten(c).lower(): c for c in found}
    names = {name: c for name, c in candidates[key].items() if c != term}
    close = difflib.get_close_matches(shorten(term).lower(), sorted(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None
