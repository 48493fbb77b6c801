"""The prefixes relgraph binds in its exports and accepts in query parameters.

This is the one table of namespace IRIs in relgraph's code. It is written out rather than taken
from ``rdflib.namespace``, so that commands that never make an rdflib term (``relgraph query``)
do not import rdflib; ``tests/test_terms.py`` checks every W3C namespace here against rdflib's.

>>> PREFIXES["rg"]
'https://w3id.org/relgraph/ontology#'
"""

from __future__ import annotations

__all__ = ["PREFIXES", "XML_NAMESPACES"]

PREFIXES: dict[str, str] = {  # prefix -> namespace IRI, bound in exports and accepted in parameters
    "rg": "https://w3id.org/relgraph/ontology#",
    "rgd": "https://w3id.org/relgraph/id/",
    "rgsh": "https://w3id.org/relgraph/shapes#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "oa": "http://www.w3.org/ns/oa#",
    "sh": "http://www.w3.org/ns/shacl#",
}

#: the namespaces XML keeps for itself (the ``xml:`` and ``xmlns:`` prefixes): never an RDF/XML element's
XML_NAMESPACES = ("http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2000/xmlns/")
