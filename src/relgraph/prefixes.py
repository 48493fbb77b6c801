"""The prefixes relgraph binds in its exports and accepts in query parameters.

>>> PREFIXES["rg"]
'https://w3id.org/relgraph/ontology#'
"""

from __future__ import annotations

from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, TIME, XSD

__all__ = ["PREFIXES"]

PREFIXES: dict[str, str] = {  # prefix -> namespace IRI, bound in exports and accepted in parameters
    "rg": "https://w3id.org/relgraph/ontology#",
    "rgd": "https://w3id.org/relgraph/id/",
    "rgsh": "https://w3id.org/relgraph/shapes#",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "org": str(ORG),
    "prov": str(PROV),
    "time": str(TIME),
    "oa": "http://www.w3.org/ns/oa#",
    "sh": str(SH),
}

# The namespace objects are only needed to build PREFIXES. Left in the module, they would be
# probed attribute by attribute by pytest's doctest finder, which makes rdflib warn.
del DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, TIME, XSD
