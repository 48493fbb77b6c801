"""RDF namespaces of relgraph: the ontology as an rdflib ``DefinedNamespace``, and the data namespaces.

``RG`` lists every term of ``ontology/relgraph.ttl``; ``tests/test_ontology.py`` fails when the two drift
apart, so a term added to the ontology must be added here too (and the other way round).

>>> from relgraph.namespaces import RG, RGD
>>> RG.Official
rdflib.term.URIRef('https://w3id.org/relgraph/ontology#Official')
>>> RGD["ely-ratner"]
rdflib.term.URIRef('https://w3id.org/relgraph/id/ely-ratner')
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = ["GENID", "OA", "ONTOLOGY_IRI", "RG", "RGD", "RGG", "RGSH"]


class RG(DefinedNamespace):
    """The relgraph ontology, ``https://w3id.org/relgraph/ontology#``."""

    _NS = Namespace("https://w3id.org/relgraph/ontology#")
    _fail = True  # an unknown term is an AttributeError
    _warn = False

    Agreement: URIRef
    """agreement: A prov:Entity that is a formal arrangement between countries, whether proposed, under
    negotiation, concluded or in force.
    """

    AgreementStatus: URIRef
    """agreement status: A concept that is a stage in the life of an agreement, drawn from the closed
    list of the agreement status scheme.
    """

    AgreementStatusScheme: URIRef
    """agreement status scheme: A concept scheme that is the closed list of stages in the life of an
    agreement.
    """

    CooperationDomain: URIRef
    """cooperation domain: A concept that is a field in which countries cooperate, such as space, cyber
    or maritime security.
    """

    Country: URIRef
    """country: A geopolitical entity that is a sovereign state, acting through its government and
    bounded by a territory.
    """

    DialogueMechanism: URIRef
    """dialogue mechanism: A standing arrangement between two or more countries to hold a series of
    meetings of officials on an agreed range of subjects.
    """

    DialogueSession: URIRef
    """dialogue session: A prov:Activity that is one meeting held under a dialogue mechanism, on a
    date, by officials of the participating countries.
    """

    EventType: URIRef
    """event type: A concept that is a category of an event-coding scheme such as CAMEO or PLOVER, used
    to align sessions and outcomes with machine-coded event data.
    """

    Evidence: URIRef
    """evidence: An oa:SpecificResource that is the span of a source text, usually one sentence,
    stating one or more facts of the graph, located by a text-quote selector and a text-position
    selector.
    """

    GovernmentOrganization: URIRef
    """government organisation: A formal organisation that is part of the government of one country,
    such as a department, ministry or one of their offices or bureaus.
    """

    Initiative: URIRef
    """initiative: A prov:Plan that is a joint programme of action two or more countries have launched
    in one or more cooperation domains.
    """

    MediaOrganization: URIRef
    """media organisation: A formal organisation that publishes news reports, such as a news agency,
    newspaper or broadcaster.
    """

    NewsReport: URIRef
    """news report: A source that is an article published by a media organisation on a date."""

    Official: URIRef
    """official: A person who holds, has held or acts in a post of a government organisation, or who
    speaks or negotiates for one.
    """

    OfficialStatement: URIRef
    """official statement: A source that is a statement issued by a government organisation, often
    delivered by its spokesperson.
    """

    Outcome: URIRef
    """outcome: A prov:Activity that is one thing done in a dialogue session by some of its
    participants, such as reviewing progress on an initiative or committing to conclude an
    agreement, as a source states it.
    """

    OutcomeType: URIRef
    """outcome type: A concept that is a kind of act recorded as an outcome of a dialogue session,
    drawn from the closed list of the outcome type scheme.
    """

    OutcomeTypeScheme: URIRef
    """outcome type scheme: A concept scheme that is the closed list of kinds of acts recorded as
    outcomes of dialogue sessions.
    """

    PartnershipFramework: URIRef
    """partnership framework: A prov:Entity that is a designated overall relationship between countries
    under which initiatives, dialogues and agreements are pursued.
    """

    Post: URIRef
    """post: An org:Post that is an office in a government organisation, which exists independently of
    whoever holds it at a given time.
    """

    PostHolding: URIRef
    """post holding: An org:Membership that is the holding of one post by one person during one time
    interval, qualifying org:holds in time.
    """

    Region: URIRef
    """region: A location that is a geopolitical or maritime area spanning parts of several countries
    or seas.
    """

    SessionRole: URIRef
    """session role: A prov:Association that is the part one agent played in one dialogue session, in a
    role such as co-chair or spokesperson, and optionally in the capacity of a post.
    """

    SessionRoleScheme: URIRef
    """session role scheme: A concept scheme that is the closed list of roles agents play in dialogue
    sessions.
    """

    SessionRoleType: URIRef
    """session role type: A prov:Role that an agent can play in a dialogue session, drawn from the
    closed list of the session role scheme.
    """

    SocialMediaPost: URIRef
    """social-media post: A source that is a message an agent published on a social-media platform,
    whose exact text is given with prov:value.
    """

    Source: URIRef
    """source: A prov:Entity that is a text reporting facts about the relations between countries: a
    news report, an official statement or a social-media post.
    """

    StatusRecord: URIRef
    """status record: A record of the status an agreement had on one date, as a source states it."""

    actor: URIRef
    """actor: Relates an outcome to an agent that the source says did it."""

    advanced: URIRef
    """advanced: An outcome type of an act of moving initiatives forward, as a source credits to a
    session as a whole.
    """

    coChair: URIRef
    """co-chair: A session role type of an official who jointly presides over a dialogue session with
    officials of the other participating countries.
    """

    committedTo: URIRef
    """committed to: An outcome type of an act of pledging to take a future action, such as concluding
    negotiations.
    """

    concerns: URIRef
    """concerns: Relates an outcome to a thing it is about: an initiative, agreement, partnership
    framework, cooperation domain, region or country.
    """

    concluded: URIRef
    """concluded: An agreement status of an agreement whose negotiation the parties have finished,
    whether or not it is yet signed.
    """

    country: URIRef
    """has country: Relates an organisation to the country whose government or society it belongs to."""

    delegate: URIRef
    """delegate: A session role type of an official who takes part in a dialogue session as a member of the
    delegation of a participating country, without presiding over the session or reporting publicly on
    it.
    """

    discussed: URIRef
    """discussed: An outcome type of an act of exchanging views on a subject without a stated decision."""

    eventCode: URIRef
    """has event code: Relates a dialogue session or an outcome to the category of an event-coding
    scheme (CAMEO, PLOVER) that it would be coded as.
    """

    inCapacityOf: URIRef
    """in capacity of: Relates a session role to the post in whose capacity the agent played it."""

    inDomain: URIRef
    """in domain: Relates an initiative or agreement to a cooperation domain it belongs to."""

    inForce: URIRef
    """in force: An agreement status of an agreement that binds its parties from its entry into force."""

    inferenceNote: URIRef
    """inference note: A note saying which value of a resource the source does not state verbatim, how
    it was worked out, and why.
    """

    launched: URIRef
    """launched: An outcome type of an act of beginning a new initiative, mechanism or activity, rather
    than moving forward or reviewing one already under way.
    """

    ofPost: URIRef
    """of post: Relates a post holding to the post that is held."""

    ordinal: URIRef
    """ordinal: The position of a dialogue session in the series of its dialogue mechanism, counting
    the first session as 1.
    """

    outcomeOf: URIRef
    """outcome of: Relates an outcome to the dialogue session in which it happened."""

    outcomeType: URIRef
    """has outcome type: Relates an outcome to the kind of act it is."""

    partOfFramework: URIRef
    """part of framework: Relates an initiative, agreement or narrower framework to the partnership
    framework it is pursued under.
    """

    participantCountry: URIRef
    """participant country: Relates a dialogue mechanism, partnership framework, initiative or
    agreement to a country that takes part in it.
    """

    placeAsReported: URIRef
    """place as reported: The words a source uses for the place of a dialogue session, kept verbatim
    when the source does not name the place.
    """

    platform: URIRef
    """platform: The name of the social-media service on which a post was published."""

    proposed: URIRef
    """proposed: An agreement status of an agreement that a party has put forward but whose negotiation
    has not begun.
    """

    reaffirmed: URIRef
    """reaffirmed: An outcome type of an act of stating again a position or commitment held before."""

    reviewedProgress: URIRef
    """reviewed progress on: An outcome type of an act of assessing how far an initiative, framework or
    line of cooperation has advanced.
    """

    sessionOf: URIRef
    """session of: Relates a dialogue session to the dialogue mechanism under which it was held."""

    signed: URIRef
    """signed: An agreement status of an agreement that representatives of all parties have signed."""

    spokesperson: URIRef
    """spokesperson: A session role type of an official who reports publicly on a dialogue session on
    behalf of an organisation.
    """

    statedIn: URIRef
    """stated in: Relates a resource to the evidence (the span of a source text) that states the facts
    the graph records about it.
    """

    status: URIRef
    """has status: Relates a status record to the agreement status it records."""

    statusOf: URIRef
    """status of: Relates a status record to the agreement whose status it records."""

    textFile: URIRef
    """text file: The name of the file under data/sources/ that holds the exact text of a source, to
    which evidence offsets refer.
    """

    underNegotiation: URIRef
    """under negotiation: An agreement status of an agreement whose text the parties are negotiating
    and have not yet concluded.
    """

    underscored: URIRef
    """underscored: An outcome type of an act of emphasising the importance of a fact or trend."""

    welcomed: URIRef
    """welcomed: An outcome type of an act of expressing approval of a development."""


#: the IRI of the ontology itself (its owl:Ontology node)
ONTOLOGY_IRI = URIRef("https://w3id.org/relgraph/ontology")
#: individuals: people, organisations, posts, sessions, outcomes, evidence
RGD = Namespace("https://w3id.org/relgraph/id/")
#: named graphs on remote SPARQL stores: the pushed graph, staging graphs, push progress
RGG = Namespace("https://w3id.org/relgraph/graph/")
#: skolem IRIs that replace blank nodes pushed to a remote store (RDF 1.1, section 3.5)
GENID = Namespace("https://w3id.org/relgraph/.well-known/genid/")
#: SHACL shapes of ``ontology/shapes.ttl``
RGSH = Namespace("https://w3id.org/relgraph/shapes#")
#: W3C Web Annotation vocabulary (rdflib has no constant for it)
OA = Namespace("http://www.w3.org/ns/oa#")
