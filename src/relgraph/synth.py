"""A seeded generator of synthetic readouts, shaped like the real one, for tests and benchmarks.

Each synthetic session is one readout: a news report (with its source text, written alongside),
the official statement it cites, the session with its co-chairs and spokesperson, dated post
holdings, outcomes and agreement status records — every fact pointing with ``rg:statedIn`` to an
``rg:Evidence`` sentence whose quote and text-position selectors match the generated source text.
Officials hold posts over time: each post passes to a new holder every few sessions, and the old
holding gets its ``time:hasEnd``. Together with the shipped graph the output conforms to
``ontology/shapes.ttl`` and passes ``relgraph check``.

The generator streams: triples are written session by session (N-Triples, or Turtle that is
N-Triples with prefixed names), so ten million triples need no more memory than ten thousand. The
same seed and size give the same bytes. About 240 triples are written per session.
"""

from __future__ import annotations

import datetime
import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import cast

from relgraph.errors import InputError, UsageError
from relgraph.prefixes import PREFIXES

__all__ = [
    "MAX_SESSIONS",
    "MAX_TRIPLES",
    "SynthStats",
    "generate",
    "parse_size",
    "session_iter",
    "sources_dir_for",
]

_RG = PREFIXES["rg"]
_RGD = PREFIXES["rgd"]
_RDF = PREFIXES["rdf"]
_RDFS = PREFIXES["rdfs"]
_XSD = PREFIXES["xsd"]
_DCTERMS = PREFIXES["dcterms"]
_FOAF = PREFIXES["foaf"]
_ORG = PREFIXES["org"]
_PROV = PREFIXES["prov"]
_TIME = PREFIXES["time"]
_OA = PREFIXES["oa"]
_NAMESPACES = {
    name: PREFIXES[name]
    for name in ("rg", "rgd", "rdf", "rdfs", "xsd", "dcterms", "foaf", "org", "prov", "time", "oa")
}

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")
# a prefix starts every generated local name and source file name: a short name, safe in both
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_TURTLE_IRI = re.compile(
    "<(" + "|".join(re.escape(ns) for ns in _NAMESPACES.values()) + r")([A-Za-z][A-Za-z0-9_-]*)>"
)
_PREFIX_OF = {ns: prefix for prefix, ns in _NAMESPACES.items()}

# The shipped reference data the synthetic readouts point to (local names under rgd:). A test
# checks that each is in the shipped graph with this class.
_COUNTRIES = ("usa", "india")
_PUBLISHER = "ani"
_ORGS = {"us-dod": "US Department of Defense", "us-dos": "US Department of State"}
_ORGS_IN = {"in-mea": "Ministry of External Affairs of India", "in-mod": "Ministry of Defence of India"}
# synthetic sessions of the real mechanism are numbered from 1001: clear of the real sessions (the shipped
# readout's is the 7th, and later readouts add the 8th, 9th ...), whose ordinals they must not share
_REAL_MECHANISM = ("us-india-2plus2-intersessional", "US-India 2+2 Intersessional Dialogue", 1000)
CONCERNS: dict[str, tuple[str, str]] = {  # local name -> (class local name, label in sentences)
    "us-india-partnership": ("PartnershipFramework", "the US-India partnership"),
    "major-defense-partnership": ("PartnershipFramework", "the Major Defense Partnership"),
    "roadmap-defence-industrial-cooperation": (
        "Initiative",
        "the Roadmap for US-India Defence Industrial Cooperation",
    ),
    "co-production-initiatives": ("Initiative", "new co-production initiatives"),
    "initiatives-information-sharing": ("Initiative", "initiatives on information-sharing"),
    "agreement-security-of-supply": ("Agreement", "the Security of Supply Arrangement"),
    "agreement-reciprocal-defence-procurement": ("Agreement", "the Reciprocal Defence Procurement agreement"),
    "indo-pacific": ("Region", "the Indo-Pacific"),
    "indian-ocean-region": ("Region", "the Indian Ocean region"),
    "domain-maritime": ("CooperationDomain", "maritime cooperation"),
    "domain-space": ("CooperationDomain", "space cooperation"),
    "domain-cyber": ("CooperationDomain", "cyber cooperation"),
    "domain-logistics": ("CooperationDomain", "logistics cooperation"),
    "domain-emerging-technologies": ("CooperationDomain", "emerging technologies"),
    "domain-supply-chain-resilience": ("CooperationDomain", "supply chain resilience"),
    "india": ("Country", "India"),
}
AGREEMENTS = ("agreement-security-of-supply", "agreement-reciprocal-defence-procurement")
# outcome type -> (verb in the sentence, CAMEO code local name)
OUTCOME_TYPES: dict[str, tuple[str, str]] = {
    "reviewedProgress": ("reviewed progress on", "cameo-040"),
    "welcomed": ("welcomed", "cameo-051"),
    "committedTo": ("committed to advancing", "cameo-036"),
    "discussed": ("discussed", "cameo-040"),
    "reaffirmed": ("reaffirmed their support for", "cameo-030"),
    "underscored": ("underscored the importance of", "cameo-010"),
    "advanced": ("advanced", "cameo-050"),
}
_STATUSES = {
    "proposed": "proposed",
    "underNegotiation": "under negotiation",
    "concluded": "concluded",
    "signed": "signed",
    "inForce": "in force",
}
_MECHANISMS = (
    ("synth-defence-policy-group", "Synthetic US-India Defence Policy Group"),
    ("synth-maritime-security-dialogue", "Synthetic US-India Maritime Security Dialogue"),
    ("synth-space-dialogue", "Synthetic US-India Space Dialogue"),
    ("synth-cyber-dialogue", "Synthetic US-India Cyber Dialogue"),
)
# co-chair and spokesperson posts of each mechanism: (key, organisation, title)
_POSTS = (
    ("us-defence", "us-dod", "Assistant Secretary of Defense"),
    ("us-state", "us-dos", "Assistant Secretary of State"),
    ("in-external", "in-mea", "Additional Secretary"),
    ("in-defence", "in-mod", "Joint Secretary"),
    ("us-spokesperson", "us-dod", "Spokesperson"),
)
_ALL_ORGS = {**_ORGS, **_ORGS_IN}
_FIRST = (
    "Asha", "Brian", "Chitra", "David", "Esha", "Frank", "Gita", "Harold", "Indira", "James", "Kavya",
    "Laura", "Mohan", "Nancy", "Omar", "Priya", "Quentin", "Rekha", "Samuel", "Tara", "Uma", "Victor",
    "Wendy", "Xavier", "Yamini", "Zachary",
)  # fmt: skip
_LAST = (
    "Anand", "Baker", "Chopra", "Dalton", "Ellis", "Fernandes", "Gupta", "Hughes", "Iyer", "Jensen",
    "Kapoor", "Lopez", "Menon", "Nolan", "Ortiz", "Patel", "Quinn", "Reddy", "Singh", "Turner", "Usman",
    "Verma", "Walsh", "Yadav", "Zimmer",
)  # fmt: skip
_PLACES = ("here", "in New Delhi", "in Washington", "in Honolulu", "in Goa", "virtually")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third"}
_START = datetime.date(2024, 1, 8)
TRIPLES_PER_SESSION = 240  # about; used to turn a triple count into a number of sessions
#: the most sessions: two a day from 2024-01-08, the last reported the day after it, on 9999-12-31
MAX_SESSIONS = 2 * (datetime.date.max - _START).days
# the fewest triples of a session: report 7, statement 6, session 8, five roles of 7 and holdings of 2,
# four outcomes of 7 (one concern, no actor) and eight evidence sentences of 10
_LEAST_TRIPLES_PER_SESSION = 7 + 6 + 8 + 5 * (7 + 2) + 4 * 7 + 8 * 10
#: the most triples: as many as :data:`MAX_SESSIONS` sessions surely hold
MAX_TRIPLES = MAX_SESSIONS * _LEAST_TRIPLES_PER_SESSION


def parse_size(text: str) -> int:
    """Parse a number of triples such as ``10k``, ``1M``, ``2.5M`` or ``12000``.

    :param text: the size.
    :raises UsageError: if it is not a positive size, or more than :data:`MAX_TRIPLES`.

    >>> parse_size("10k"), parse_size("1M"), parse_size("2500")
    (10000, 1000000, 2500)
    >>> parse_size("9" * 400)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.errors.UsageError: invalid size '999999999999…': at most 1013781768 triples (...)
    """
    match = _SIZE.match(text)
    shown = repr(text if len(text) <= 12 else text[:12] + "…")
    if match is None:
        raise UsageError(f"invalid size {shown} (write e.g. 10k, 1M or 25000)")
    number, unit = match.groups()
    # exact, as float() was not: 400 nines were an OverflowError
    value = Decimal(number) * {"": 1, "k": 1_000, "m": 1_000_000}[unit.lower()]
    if value < 1:
        raise UsageError(f"invalid size {shown}: must be positive")
    _check_count(value, MAX_TRIPLES, "triples", f"invalid size {shown}: ")
    return int(value)


def _check_count(count: int | Decimal, most: int, what: str, context: str = "") -> None:
    """Refuse more than ``most`` ``what``: the dates of the sessions would pass the year 9999.

    That was an OverflowError after hours of writing, some 5.8 million sessions in.
    """
    if count > most:
        raise UsageError(
            f"{context}at most {most} {what} (the dates of more sessions would pass the year 9999)"
        )


def sources_dir_for(output: Path) -> Path:
    """Return the folder the source texts of ``output`` go to by default: ``<stem>-sources``.

    :param output: the RDF file written.

    >>> sources_dir_for(Path("out/corpus.nt")).as_posix()
    'out/corpus-sources'
    """
    return output.with_name(output.stem + "-sources")


@dataclass(frozen=True)
class SynthStats:
    """What :func:`generate` wrote.

    :param path: the RDF file.
    :param sources_dir: the folder of source texts.
    :param sessions: the number of sessions (readouts).
    :param triples: the number of triples written.
    """

    path: Path
    sources_dir: Path
    sessions: int
    triples: int


@dataclass
class _Holding:
    official: int
    local: str
    name: str
    remaining: int  # sessions of the mechanism left in this term


def _iri(namespace: str, local: str) -> str:
    return f"<{namespace}{local}>"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def _str(text: str) -> str:
    return f'"{_escape(text)}"'


def _en(text: str) -> str:
    return f'"{_escape(text)}"@en'


def _typed(text: str, datatype: str) -> str:
    return f'"{_escape(text)}"^^<{_XSD}{datatype}>'


def _int(value: int) -> str:
    return _typed(str(value), "integer")


def _ordinal(n: int) -> str:
    if n in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


A = _iri(_RDF, "type")
LABEL = _iri(_RDFS, "label")
STATED_IN = _iri(_RG, "statedIn")


@dataclass
class Readout:
    """One generated readout: its N-Triples lines and its source text.

    :param index: the session number, from 0.
    :param lines: N-Triples lines (each ending with a newline).
    :param source_name: the file name of the source text.
    :param source_text: the source text the evidence offsets point into.
    """

    index: int
    lines: list[str]
    source_name: str
    source_text: str


def session_iter(seed: int = 0, prefix: str = "synth") -> Iterator[Readout]:
    """Yield synthetic readouts, one per session, without end; the same seed gives the same readouts.

    The first readout also holds the synthetic dialogue mechanisms and their posts.

    :param seed: the random seed.
    :param prefix: the start of every generated local name (``rgd:synth-…``) and source file name.

    >>> first = next(session_iter(seed=1))
    >>> first.source_name, len(first.lines) > 100
    ('synth-1-000000.txt', True)
    """
    rng = random.Random(seed)
    mechanisms = [(_REAL_MECHANISM[0], _REAL_MECHANISM[1])] + [
        (f"{prefix}-{local.removeprefix('synth-')}", label if prefix == "synth" else f"{label} ({prefix})")
        for local, label in _MECHANISMS
    ]
    ordinals = {local: (_REAL_MECHANISM[2] if local == _REAL_MECHANISM[0] else 0) for local, _ in mechanisms}
    holdings: dict[str, _Holding] = {}  # post local name -> current holding
    officials = 0
    concerns = sorted(CONCERNS)
    for index in _count():
        lines: list[str] = []

        def t(s: str, p: str, o: str, lines: list[str] = lines) -> None:
            lines.append(f"{s} {p} {o} .\n")

        if index == 0:
            for local, label in mechanisms[1:]:
                m = _iri(_RGD, local)
                t(m, A, _iri(_RG, "DialogueMechanism"))
                t(m, LABEL, _en(label))
                for country in _COUNTRIES:
                    t(m, _iri(_RG, "participantCountry"), _iri(_RGD, country))
            for m_local, m_label in mechanisms:
                for key, org, title in _POSTS:
                    post = _iri(_RGD, f"{prefix}-post-{m_local}-{key}")
                    t(post, A, _iri(_RG, "Post"))
                    t(post, LABEL, _en(f"{title} for the {m_label} ({prefix} post, {_ALL_ORGS[org]})"))
                    t(post, _iri(_ORG, "postIn"), _iri(_RGD, org))
        m_local, m_label = mechanisms[rng.randrange(len(mechanisms))]
        ordinals[m_local] += 1
        ordinal = ordinals[m_local]
        date = _START + datetime.timedelta(days=index // 2)
        issued = date + datetime.timedelta(days=1)
        iso = date.isoformat()
        session_local = f"{prefix}-session-{index:06d}"
        session = _iri(_RGD, session_local)
        report = _iri(_RGD, f"{prefix}-report-{index:06d}")
        statement = _iri(_RGD, f"{prefix}-statement-{index:06d}")
        day = _iri(_RGD, f"{prefix}-day-{iso}")
        source_name = f"{prefix}-{seed}-{index:06d}.txt"
        session_label = f"{_ordinal(ordinal).capitalize()} session of the {m_label} ({prefix} {index})"

        # who holds each post on this day: a new holder when the term is over
        people: list[tuple[str, str, str, str, str]] = []  # (key, official, name, post local, holding)
        new_holdings: list[tuple[str, _Holding, str]] = []  # (post local, holding, org)
        ended: list[_Holding] = []
        for key, org, _title in _POSTS:
            post_local = f"{prefix}-post-{m_local}-{key}"
            current = holdings.get(post_local)
            if current is None or current.remaining == 0:
                if current is not None:
                    ended.append(current)
                officials += 1
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                current = _Holding(officials, f"{prefix}-holding-{officials:06d}", name, rng.randint(3, 12))
                holdings[post_local] = current
                new_holdings.append((post_local, current, org))
            current.remaining -= 1
            official = f"{prefix}-official-{current.official:06d}"
            people.append((key, official, current.name, post_local, current.local))

        # --- the source text, sentence by sentence -------------------------------------------------
        sentences: list[tuple[str, str]] = []  # (evidence local suffix, sentence)
        sentences.append(("s00", f"date {issued.isoformat()}"))
        place = rng.choice(_PLACES)
        month_day = f"{_MONTHS[date.month - 1]} {date.day}"
        sentences.append(
            (
                "s01",
                f"US and Indian officials held the {_ordinal(ordinal)} session of the {m_label} "
                f"{place} on {month_day}, the US Department of Defense said.",
            )
        )
        chair_text = ", ".join(f"{title} {people[i][2]}" for i, (_k, _o, title) in enumerate(_POSTS[:4]))
        sentences.append(
            (
                "s02",
                f"The session was co-chaired by {chair_text}, said Department of Defense spokesperson "
                f"{people[4][2]}.",
            )
        )
        outcome_rows: list[tuple[str, list[str], list[str], str]] = []  # (type, actors, concerns, sentence)
        co_chairs = [p[1] for p in people[:4]]
        for _ in range(rng.randint(4, 7)):
            kind = rng.choice(sorted(OUTCOME_TYPES))
            chosen = rng.sample(concerns, rng.randint(1, 3))
            actors = [] if kind == "advanced" else rng.sample(co_chairs, rng.randint(1, 4))
            who = "The dialogue" if not actors else ("The co-chairs" if len(actors) > 1 else "The co-chair")
            what = _join([CONCERNS[c][1] for c in chosen])
            outcome_rows.append((kind, actors, chosen, f"{who} {OUTCOME_TYPES[kind][0]} {what}."))
        for n, (_kind, _actors, _chosen, sentence) in enumerate(outcome_rows, start=1):
            sentences.append((f"s{n + 2:02d}", sentence))
        status_rows: list[tuple[str, str, str]] = []  # (agreement, status, evidence suffix)
        if rng.random() < 0.5:
            agreement = rng.choice(AGREEMENTS)
            status = rng.choice(sorted(_STATUSES))
            suffix = f"s{len(sentences):02d}"
            label = CONCERNS[agreement][1]
            sentences.append(
                (suffix, f"{label[0].upper()}{label[1:]} was {_STATUSES[status]}, the statement said.")
            )
            status_rows.append((agreement, status, suffix))
        sentences.append((f"s{len(sentences):02d}", "(SYN)"))
        text_parts: list[str] = []
        offsets: dict[str, tuple[int, int, str]] = {}
        position = 0
        for suffix, sentence in sentences:
            if text_parts:
                text_parts.append(" " if suffix != "s01" else "\n")
                position += 1
            offsets[suffix] = (position, position + len(sentence), sentence)
            text_parts.append(sentence)
            position += len(sentence)
        text_parts.append("\n")

        def ev(suffix: str, index: int = index) -> str:
            return _iri(_RGD, f"{prefix}-{index:06d}-{suffix}")

        # --- sources ---------------------------------------------------------------------------------
        t(report, A, _iri(_RG, "NewsReport"))
        t(report, LABEL, _en(f"Synthetic report {index} on the {session_label}"))
        t(report, _iri(_DCTERMS, "publisher"), _iri(_RGD, _PUBLISHER))
        t(report, _iri(_DCTERMS, "issued"), _typed(issued.isoformat(), "date"))
        t(report, _iri(_RG, "textFile"), _str(source_name))
        t(report, _iri(_PROV, "wasDerivedFrom"), statement)
        t(report, STATED_IN, ev("s00"))
        t(statement, A, _iri(_RG, "OfficialStatement"))
        t(
            statement,
            LABEL,
            _en(f"Synthetic US Department of Defense statement {index} on the {session_label}"),
        )
        t(statement, _iri(_PROV, "wasAttributedTo"), _iri(_RGD, "us-dod"))
        t(statement, _iri(_PROV, "wasAttributedTo"), _iri(_RGD, people[4][1]))
        t(statement, _iri(_DCTERMS, "issued"), _typed(issued.isoformat(), "date"))
        t(statement, STATED_IN, ev("s01"))

        # --- the session and its roles -------------------------------------------------------------
        t(session, A, _iri(_RG, "DialogueSession"))
        t(session, LABEL, _en(session_label))
        t(session, _iri(_RG, "sessionOf"), _iri(_RGD, m_local))
        t(session, _iri(_RG, "ordinal"), _int(ordinal))
        t(session, _iri(_DCTERMS, "date"), _typed(iso, "date"))
        t(session, _iri(_RG, "placeAsReported"), _en(place))
        t(session, _iri(_RG, "eventCode"), _iri(_RGD, "cameo-040"))
        t(session, STATED_IN, ev("s01"))
        if index % 2 == 0:  # one instant per day, two sessions a day
            t(day, A, _iri(_TIME, "Instant"))
            t(day, LABEL, _en(f"{iso} ({prefix})"))
            t(day, _iri(_TIME, "inXSDDate"), _typed(iso, "date"))
        for n, (key, official, name, post_local, _h) in enumerate(people):
            role_name = "spokesperson" if key == "us-spokesperson" else "coChair"
            role = _iri(_RGD, f"{session_local}-{'spokesperson' if n == 4 else f'co-chair-{n + 1}'}")
            t(session, _iri(_PROV, "qualifiedAssociation"), role)
            t(role, A, _iri(_RG, "SessionRole"))
            what = "spokesperson on" if n == 4 else "co-chair of"
            t(role, LABEL, _en(f"{name} ({official}), {what} the {session_label}"))
            t(role, _iri(_PROV, "agent"), _iri(_RGD, official))
            t(role, _iri(_PROV, "hadRole"), _iri(_RG, role_name))
            t(role, _iri(_RG, "inCapacityOf"), _iri(_RGD, post_local))
            t(role, STATED_IN, ev("s02"))

        # --- officials and post holdings -----------------------------------------------------------
        for old in ended:
            t(_iri(_RGD, f"{old.local}-term"), _iri(_TIME, "hasEnd"), day)
        for post_local, holding, org in new_holdings:
            name = holding.name
            official = _iri(_RGD, f"{prefix}-official-{holding.official:06d}")
            h = _iri(_RGD, holding.local)
            term = _iri(_RGD, f"{holding.local}-term")
            t(official, A, _iri(_RG, "Official"))
            t(official, LABEL, _en(f"{name} ({prefix} official {holding.official})"))
            t(official, _iri(_FOAF, "name"), _str(name))
            t(official, _iri(_ORG, "holds"), _iri(_RGD, post_local))
            t(h, A, _iri(_RG, "PostHolding"))
            t(h, LABEL, _en(f"{name} ({prefix} official {holding.official}) in {prefix} post {post_local}"))
            t(h, _iri(_ORG, "member"), official)
            t(h, _iri(_RG, "ofPost"), _iri(_RGD, post_local))
            t(h, _iri(_ORG, "organization"), _iri(_RGD, org))
            t(h, _iri(_ORG, "memberDuring"), term)
            t(term, A, _iri(_TIME, "Interval"))
            t(term, _iri(_TIME, "hasBeginning"), day)
        for _key, _official, _name, _post, holding_local in people:
            t(_iri(_RGD, holding_local), STATED_IN, ev("s02"))
            t(_iri(_RGD, f"{holding_local}-term"), _iri(_TIME, "inside"), day)

        # --- outcomes and status records -----------------------------------------------------------
        for n, (kind, actors, chosen, _sentence) in enumerate(outcome_rows, start=1):
            outcome = _iri(_RGD, f"{session_local}-outcome-{n:02d}")
            t(outcome, A, _iri(_RG, "Outcome"))
            t(outcome, LABEL, _en(f"Outcome {n} of the {session_label}: {kind}"))
            t(outcome, _iri(_RG, "outcomeOf"), session)
            t(outcome, _iri(_RG, "outcomeType"), _iri(_RG, kind))
            for actor in actors:
                t(outcome, _iri(_RG, "actor"), _iri(_RGD, actor))
            for concern in chosen:
                t(outcome, _iri(_RG, "concerns"), _iri(_RGD, concern))
            t(outcome, _iri(_RG, "eventCode"), _iri(_RGD, OUTCOME_TYPES[kind][1]))
            t(outcome, STATED_IN, ev(f"s{n + 2:02d}"))
        for agreement, status, suffix in status_rows:
            record = _iri(_RGD, f"{session_local}-status")
            t(record, A, _iri(_RG, "StatusRecord"))
            t(record, LABEL, _en(f"Status of {CONCERNS[agreement][1]} on {iso} ({prefix} {index})"))
            t(record, _iri(_RG, "statusOf"), _iri(_RGD, agreement))
            t(record, _iri(_RG, "status"), _iri(_RG, status))
            t(record, _iri(_DCTERMS, "date"), _typed(iso, "date"))
            t(record, STATED_IN, ev(suffix))

        # --- evidence ------------------------------------------------------------------------------
        for suffix, (start, end, sentence) in offsets.items():
            e = ev(suffix)
            quote = _iri(_RGD, f"{prefix}-{index:06d}-{suffix}-quote")
            position_node = _iri(_RGD, f"{prefix}-{index:06d}-{suffix}-position")
            t(e, A, _iri(_RG, "Evidence"))
            t(e, LABEL, _en(f"Synthetic report {index}, sentence {suffix}"))
            t(e, _iri(_OA, "hasSource"), report)
            t(e, _iri(_OA, "hasSelector"), quote)
            t(e, _iri(_OA, "hasSelector"), position_node)
            t(quote, A, _iri(_OA, "TextQuoteSelector"))
            t(quote, _iri(_OA, "exact"), _str(sentence))
            t(position_node, A, _iri(_OA, "TextPositionSelector"))
            t(position_node, _iri(_OA, "start"), _int(start))
            t(position_node, _iri(_OA, "end"), _int(end))
        yield Readout(index, lines, source_name, "".join(text_parts))


def _count() -> Iterator[int]:
    n = 0
    while True:
        yield n
        n += 1


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def to_turtle_line(line: str) -> str:
    """Shorten the IRIs of one N-Triples line to prefixed names, which makes it a Turtle line.

    :param line: an N-Triples line.

    >>> to_turtle_line('<https://w3id.org/relgraph/id/a> <http://www.w3.org/2000/01/rdf-schema#label> "x" .')
    'rgd:a rdfs:label "x" .'
    """
    return _TURTLE_IRI.sub(lambda m: f"{_PREFIX_OF[m.group(1)]}:{m.group(2)}", line)


def generate(
    output: Path | str,
    *,
    sessions: int | None = None,
    triples: int | None = None,
    seed: int = 0,
    sources_dir: Path | str | None = None,
    progress: Callable[[int], None] | None = None,
    prefix: str = "synth",
) -> SynthStats:
    """Write a synthetic corpus: ``sessions`` readouts, or as many as reach ``triples`` triples.

    The format comes from the extension: ``.nt`` (N-Triples) or ``.ttl`` (Turtle). The source texts
    go to ``sources_dir`` (by default ``<stem>-sources`` beside ``output``). The file is written to
    a temporary name and renamed, so a failed run leaves no half-written corpus. As for
    :func:`relgraph.export.atomic_write`, an ``output`` that is a symbolic link is kept and the file it
    points to replaced, and a replaced file keeps its permissions. Each source text is written the
    same way, to a new file renamed over ``<prefix>-<seed>-<index>.txt``: what is at that name (a
    symbolic link or a hard link planted there) is replaced, never written through.

    :param output: the RDF file to write.
    :param sessions: the number of sessions.
    :param triples: the number of triples to reach (rounded up to a whole session).
    :param seed: the random seed: the same seed and size give the same bytes.
    :param sources_dir: where to write the source texts.
    :param progress: called with the number of triples written after each session.
    :param prefix: the start of generated names; another prefix gives readouts that can be added to
        a corpus (their own mechanisms, posts and officials). A letter, then up to 63 letters, digits,
        ``_`` or ``-``.
    :raises UsageError: unless exactly one of ``sessions`` and ``triples`` is given, for a count below 1
        or above :data:`MAX_SESSIONS` or :data:`MAX_TRIPLES`, a bad prefix, an output that names no
        file or has a bad extension, or a ``sources_dir`` that is the output or inside it.
    :raises RelgraphError: naming the file, if a file cannot be written.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     stats = generate(Path(tmp, "c.ttl"), sessions=2, seed=3)
    ...     stats.sessions, stats.triples > 400, len(list(stats.sources_dir.iterdir()))
    (2, True, 2)
    """
    for value, what in ((output, "the output"), (sources_dir, "sources_dir")):
        if (value is not None or what == "the output") and not isinstance(
            cast(object, value), str | os.PathLike
        ):
            raise UsageError(f"{what} must be a path (str or Path), not {type(value).__name__}")
    for count, what in ((sessions, "sessions"), (triples, "triples")):
        if count is not None and (not isinstance(cast(object, count), int) or isinstance(count, bool)):
            raise UsageError(f"{what} must be a whole number, not {type(count).__name__}")
    if not isinstance(cast(object, prefix), str) or not _PREFIX.fullmatch(prefix):
        raise UsageError(f"invalid prefix {prefix!r}: a letter, then up to 63 letters, digits, '_' or '-'")
    from relgraph.export import atomic_file, new_file_mode, output_file

    output, sources_dir = output_file(output), None if sources_dir is None else Path(sources_dir)
    if (sessions is None) == (triples is None):
        raise UsageError("give either a number of sessions or a number of triples")
    for count, most, what in ((sessions, MAX_SESSIONS, "sessions"), (triples, MAX_TRIPLES, "triples")):
        if count is None:
            continue
        if count < 1:  # triples=0 wrote a session
            raise UsageError(f"the number of {what} must be at least 1")
        _check_count(count, most, what)
    suffix = output.suffix.lower()
    if suffix not in (".nt", ".ttl"):
        raise UsageError(f"{output}: write a .nt (N-Triples) or .ttl (Turtle) file")
    turtle = suffix == ".ttl"
    if output.is_dir():  # found before anything is written (it was found at the end, as ".c.ttl.tmp")
        raise InputError(f"{output}: is a folder; give the name of a file to write")
    sources = sources_dir or sources_dir_for(output)
    if sources.exists() and not sources.is_dir():
        raise InputError(f"{sources}: is not a folder, so the source texts cannot go there (--sources DIR)")
    real_output, real_sources = Path(os.path.realpath(output)), Path(os.path.realpath(sources))
    if real_output == real_sources or real_output in real_sources.parents:
        raise UsageError(f"{sources}: the source texts cannot go to the output {output} or into it")

    mode = new_file_mode()
    written = 0
    count = 0
    # to a temporary file of a random name (O_EXCL), renamed over the output: removed on an error or
    # Ctrl-C, so that no half-written corpus is left; errors name the output, not the temporary file
    with atomic_file(output) as out:
        try:  # once the output can be written: an output that cannot be leaves no empty folder
            sources.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"{sources}: cannot write: {error.strerror or error}") from None
        out.write(_header(turtle).encode("utf-8"))
        for readout in session_iter(seed, prefix):
            lines = map(to_turtle_line, readout.lines) if turtle else readout.lines
            out.write("".join(lines).encode("utf-8"))
            _write_source(sources / readout.source_name, readout.source_text, mode)
            written += len(readout.lines)
            count += 1
            if progress is not None:
                progress(written)
            if (sessions is not None and count >= sessions) or (triples is not None and written >= triples):
                break
    return SynthStats(output, sources, count, written)


def _write_source(target: Path, text: str, mode: int) -> None:
    """Write a source text to a new file beside ``target``, renamed over it.

    It was written in place, following a symbolic link planted at the name (or through a hard link),
    which overwrote the file it led to; the rename replaces what is there instead.

    :raises InputError: naming ``target``, if it cannot be written.
    """
    from relgraph.export import temporary_beside

    try:
        with temporary_beside(target) as (handle, temporary):
            os.fchmod(handle, mode)
            with os.fdopen(handle, "wb") as stream:
                stream.write(text.encode("utf-8"))
            temporary.replace(target)
    except OSError as error:
        raise InputError(f"{target}: cannot write: {error.strerror or error}") from None


def _header(turtle: bool) -> str:
    header = "# Synthetic relgraph readouts (relgraph synth): not real data.\n"
    if turtle:
        header += "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in _NAMESPACES.items())
        header += "\n"
    return header
