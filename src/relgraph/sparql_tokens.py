"""Split SPARQL text into tokens, so that words and braces inside strings, IRIs and comments are never seen.

Used by the read-only check (:mod:`relgraph.safety`) to find keywords, and by the remote parameter
binding (:mod:`relgraph.sparql_values`) to find the outermost WHERE group.

>>> [m.group() for m in TOKEN.finditer("SELECT ?s WHERE { ?s rdfs:label 'a { b' } # }")]
['SELECT', '?s', 'WHERE', '{', '?s', 'rdfs:label', "'a { b'", '}', '# }']
"""

from __future__ import annotations

import functools
import heapq
import re

__all__ = ["QUERY_FORMS", "TOKEN", "code_keyword", "nesting_bound", "query_form", "undeclared_prefix"]

# Any character from U+00C0 up counts as a name character. This is wider than SPARQL's PN_CHARS, which
# a token scan can afford, and a negated class compiles in 0.1 ms where the exact Unicode ranges take 3 ms
# each (relgraph's cold start pays for every pattern compiled at import).
_WIDE = r"[^\x00-\xbf]"
# a character of a prefixed name's local part, including the \-escapes of PN_LOCAL_ESC
_LOCAL = rf"(?:[\w\-.:%\u00b7]|{_WIDE}|\\[_~.\-!$&'()*+,;=/?#@%])"

#: one token: a long or short string, an IRI, a comment, a variable, a prefixed name or a word (a name that
#: starts with a letter, read whole: splitting a run of letters and digits at each letter made the scan
#: of ``a1a1…`` or ``111…`` quadratic), or one character
TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*"
    rf"|[?$](?:[\w\u00b7]|{_WIDE})+"
    rf"|(?:[A-Za-z]|{_WIDE})(?:[\w\-.\u00b7]|{_WIDE})*(?::{_LOCAL}*)?"
    rf"|:{_LOCAL}*"
    r"|\S",
    re.DOTALL,
)


# --------------------------------------------------------------------------------------------------
# Keywords Oxigraph could read: a check that does not trust one way of splitting the text
# --------------------------------------------------------------------------------------------------

# the escapes of a string as Oxigraph reads it (ECHAR, UCHAR); the first ones need no check of a code point
_ECHAR = r"\\[tbnrf\"'\\]"
_ESCAPE = _ECHAR + r"|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
# the rest of a string, after its opening quotes
_STRING_END = {
    '"""': re.compile(rf'(?:[^"\\]|{_ESCAPE}|"(?!""))*"""'),
    "'''": re.compile(rf"(?:[^'\\]|{_ESCAPE}|'(?!''))*'''"),
    '"': re.compile(rf'(?:[^"\\\n\r]|{_ESCAPE})*"'),
    "'": re.compile(rf"(?:[^'\\\n\r]|{_ESCAPE})*'"),
}
# a \u or \U escape, or an escaped backslash (in \\uD800 no escape of a code point starts at the second \)
_CODE_POINT = re.compile(r"\\\\|\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_IRI_REST = re.compile(r'(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>')
_NAME_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
_NAME_REST = re.compile(r"[A-Za-z0-9_]*+")
_LOOK_BACK = 4096  # characters copied at a time, looking back for the start of a name
# things skipped by one step at most, and characters in each run of code: the regular expression holds the
# GIL, and a step over 16 MiB of code held every other thread of relgraph serve's front for seconds
_UNITS = 1024


def code_keyword(text: str, words: tuple[str, ...] = ("SERVICE", "LOAD")) -> str | None:
    r"""Return the first of ``words`` that Oxigraph could read as a keyword in ``text``, or None.

    Oxigraph's SPARQL parser needs no space after a keyword (``SERVICE:x { }`` is ``SERVICE :x { }``,
    ``SERVICEex:y`` is ``SERVICE ex:y``), and reads ``<`` after an operand as the less-than operator
    (``FILTER(1<2)SERVICE:x#>`` holds no IRI), so no single way of splitting the text into tokens is
    safe. This check follows every way of reading the text at once: it is ``code``, a string, a comment
    or an IRI at each place, and each ``<`` in code is both the start of an IRI (when one follows) and an
    operator. Strings are read with the grammar's escapes only: a long string Oxigraph cannot read (an
    unterminated one, or one with ``\x`` or ``\uD800`` in it) is read as it does, as ``''`` followed by
    a string; an escape in a prefixed name (``ex:p\'``) is part of the name. A word of ``words`` (any
    case) where the text may be code is reported, unless it is part of a variable's name
    (``?services``), which Oxigraph reads whole; in a prefixed name it is reported (``ex:download``):
    Oxigraph reads ``ex:`` and then the keyword when the prefix's IRI and the local name make no IRI.
    A way of reading that meets ``//`` in code is dropped: Oxigraph cannot run it. So a word in a
    string, in a comment or in an IRI that cannot be code (``<http://ex/service>``) is not reported; one
    in an IRI that could be code is, which errs on the safe side.

    The ways of reading are followed together from the start of the text, the one nearest the start
    first, so two that reach the same place go on as one; few are ever ahead of it (those that skip an
    IRI, a comment or a string, which holds the start of no other). What cannot change how the rest is
    read (code without quotes, ``<``, ``//`` or a word; a comment; a string without a ``\u`` escape; an
    IRI without a quote, ``#``, ``\`` or a word) is skipped by one regular expression. So the time grows
    as the text does, and the memory taken is a few numbers (a set of the places seen and a list of the
    line breaks took 1 GB for a text of 16 MiB).

    :param text: SPARQL text (a query or an update).
    :param words: the keywords to look for, in capitals.

    >>> code_keyword("SELECT * WHERE { ?s ?p 'SERVICE' . ?s <http://ex/service> ?services }") is None
    True
    >>> code_keyword("PREFIX : <http://ex/> SELECT * WHERE { SERVICE:x { ?s ?p ?o } }")
    'SERVICE'
    >>> code_keyword("SELECT * WHERE { ?s ?p ?o FILTER(1<2)SERVICE:x#>\n{ ?a ?b ?c } }")
    'SERVICE'
    >>> code_keyword("LOAD<http://ex/data.ttl>")
    'LOAD'
    """
    words = tuple(sorted({word.upper() for word in words}))
    if _any_word(words).search(text) is None:
        return None  # none of the words anywhere: the common case, without compiling the step (40 ms)
    step = _step(words)
    ahead = [0]  # the places where a way of reading the text not followed yet is code (a heap)
    done = -1
    while ahead:
        position = heapq.heappop(ahead)
        if position == done:
            continue  # two ways of reading the text met here: they go on as one
        done = position
        while True:  # this way, as long as none is nearer the start
            found = step.match(text, position)
            assert found is not None  # the pattern matches the empty string
            token, start = found.group("token"), found.start("token")
            if token is None:  # the end of the text, or of a step (at most _UNITS things skipped at once)
                if found.end() == position:
                    break  # the end of the text (or a \\ at its end)
                position = found.end()
            elif token[0].isalpha():  # one of the words
                if not _inside_a_name(text, start):
                    return token.upper()
                position = _NAME_REST.match(text, found.end()).end()  # type: ignore[union-attr]
            elif token == "//":
                break  # not SPARQL: this way of reading the text is not one Oxigraph runs
            elif token == "<":  # an IRI that could be code too: both ways
                iri = _IRI_REST.match(text, found.end())
                if iri is not None:
                    heapq.heappush(ahead, iri.end())
                position = found.end()
            else:  # a string the step could not skip: read it as Oxigraph does
                rest = _STRING_END[token].match(text, found.end())
                if rest is not None and _valid_code_points(text, found.end(), rest.end()):
                    position = rest.end()
                elif len(token) == 3:  # a long string Oxigraph cannot read is read as '' and a string
                    position = start + 2
                else:
                    break  # a short one is a syntax error
            if ahead and position >= ahead[0]:
                heapq.heappush(ahead, position)  # another way is nearer the start now: it goes first
                break
    return None


@functools.lru_cache(maxsize=8)
def _any_word(words: tuple[str, ...]) -> re.Pattern[str]:
    """Return the pattern of the words, in any case."""
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


@functools.lru_cache(maxsize=8)
def _step(words: tuple[str, ...]) -> re.Pattern[str]:
    """Return the step of a way of reading code that looks for the words (any case).

    The step skips what cannot change how the rest of the text is read (at most :data:`_UNITS` things),
    then takes the next token that may, if it is there: one of the words, a string it could not skip,
    ``<`` starting an IRI it could not skip, or ``//``. A step that stopped early takes no token: so
    every way of reading stops at the same tokens, where two that meet go on as one. Its loops are
    possessive: nothing is kept to go back to, whatever the length of the text. Compiling it takes some
    40 ms, so it is compiled only for a text that holds one of the words.
    """
    alternatives = "|".join(re.escape(word) for word in words)
    keyword = f"(?i:{alternatives})"  # only the words are read in any case (\t is an escape, \T is not)
    firsts = re.escape("".join(sorted({c for word in words for c in (word[0].upper(), word[0].lower())})))
    quoted = r"[^<>\"{}|^`\\\x00-\x20'#"  # what an IRI may hold, but for a quote, # and \ (to close with ])
    skipped = [
        rf"[^\"'#<\\/{firsts}\x80-\U0010ffff]{{1,{_UNITS}}}+",  # code where no word starts
        r"\#[^\n\r]*+",  # a comment
        r"\\.",  # an escaped character of a prefixed name (ex:a\#b): part of it
        r"/(?!/)",
        # an IRI with no quote, # or \ in it, nor a word (read as code too, it ends at the same place), or
        # the less-than operator where no IRI follows
        rf"<(?:(?:{quoted}{firsts}\x80-\U0010ffff]++|(?!{keyword}){quoted}])*+>|(?!{_IRI_REST.pattern}))",
        rf"'''(?:[^'\\]++|{_ECHAR}|'(?!''))*+'''",  # strings with no \u escape to check
        rf'"""(?:[^"\\]++|{_ECHAR}|"(?!""))*+"""',
        rf"'(?!'')(?:[^'\\\n\r]++|{_ECHAR})*+'",
        rf'"(?!"")(?:[^"\\\n\r]++|{_ECHAR})*+"',
        rf"(?!{keyword})[^\"'#<\\/]",  # a character that starts none of the words
    ]
    units = "|".join(skipped)
    return re.compile(
        rf"(?:{units}){{0,{_UNITS}}}+(?:(?!{units})(?P<token>{keyword}|\"\"\"|'''|[\"'<]|//))?", re.DOTALL
    )


def _valid_code_points(text: str, start: int, end: int) -> bool:
    r"""Tell whether every ``\u`` and ``\U`` escape of ``text[start:end]`` is a character (no surrogate)."""
    for match in _CODE_POINT.finditer(text, start, end):
        if match.group(1) is None and match.group(2) is None:
            continue  # an escaped backslash
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return False
    return True


def _inside_a_name(text: str, start: int) -> bool:
    """Tell whether the word at ``start`` is inside a variable's name, which Oxigraph reads whole.

    Letters, digits and ``_`` back to a ``?`` or ``$`` (``?my_service``). A dot or any other character is
    not trusted: ``?o.SERVICE`` is the variable ``?o``, then ``.``, then the keyword. Nor is a prefixed
    name (``ex:service``): when the prefix's IRI and the local name do not make an IRI, Oxigraph reads
    ``ex:`` and then the keyword. The name is looked back along :data:`_LOOK_BACK` characters at a time.
    """
    position = start
    while position > 0:
        low = max(0, position - _LOOK_BACK)
        kept = len(text[low:position].rstrip(_NAME_CHARACTERS))
        if kept:
            position = low + kept
            break
        position = low
    return position > 0 and text[position - 1] in "?$"


def undeclared_prefix(text: str) -> tuple[str, int] | None:
    """Return the first prefix that ``text`` uses in a prefixed name without declaring it, and where.

    Strings, IRIs, comments and variables are skipped (:data:`TOKEN`), and so are blank node labels
    (``_:b``). Meant for the message of a syntax error: Oxigraph says only ``Prefix not found``, in
    some places, and in others nothing about a prefix at all.

    :param text: SPARQL query text.
    :returns: the prefix (``""`` for the empty one) and the offset of the name, or :data:`None`.

    >>> undeclared_prefix("PREFIX rg: <x#> SELECT * { ?s a rg:C ; rdfs:label '_:a b:c' . _:b ?p ?o }")
    ('rdfs', 39)
    >>> undeclared_prefix("PREFIX : <x#> SELECT * { ?s a :C } # ex:comment") is None
    True
    """
    declared: set[str] = set()
    after_prefix = False
    for match in TOKEN.finditer(text):
        token = match.group()
        if after_prefix:
            after_prefix = False
            if token.endswith(":"):
                declared.add(token[:-1])
                continue
        if token.upper() == "PREFIX":
            after_prefix = True
            continue
        if token[0] in "?$<\"'#" or ":" not in token:
            continue
        start = match.start()
        if token[0] == ":" and start > 0 and text[start - 1] == "_":
            continue  # a blank node label
        prefix = token.split(":", 1)[0]
        if prefix not in declared:
            return prefix, start
    return None


#: the keywords that start a query's form
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def query_form(text: str) -> str | None:
    """Return the form of a query, its first token that is one of :data:`QUERY_FORMS`; None if none is.

    Tokens are read whole, so the word in a string, an IRI, a comment, a variable or a prefixed name is
    not the keyword (``PREFIX select: <...> CONSTRUCT ...`` is a CONSTRUCT).

    >>> query_form("PREFIX select: <http://ex/> CONSTRUCT { ?s select:p ?o } WHERE { ?s select:p ?o }")
    'CONSTRUCT'
    """
    for match in TOKEN.finditer(text):
        word = match.group().upper()
        if word in QUERY_FORMS:
            return word
    return None


# what may open a level of Oxigraph's recursive parser: brackets, negations, inverse paths, triple terms, and
# the operators and separators it reads a chain of recursively (1+1+...: 2,000 terms overflowed a 2 MiB stack;
# 2,600 triple patterns joined by "." an 8 MiB one), UNION too; counted on the UTF-8 bytes, where str.count
# and bytes.translate run at memory speed (a regular expression took 45 us on a canned query, before each run)
_NESTING_BYTES = b"{([!^+-*/|&.;,"


def nesting_bound(text: str) -> int:
    """Return a bound on the depth Oxigraph's parser could reach on ``text``: what opens a level in it.

    Brackets, ``!``, ``^``, ``<<``, the operators ``+ - * / | &``, the separators ``. ; ,`` and ``UNION``
    (in any ASCII case, as Oxigraph reads its keywords) are counted wherever they are, in strings and IRIs
    too, since a scan that skips those can be misled about where they are (``1<((1))>2`` holds no IRI);
    the count is at least the true depth. The text is encoded :data:`_BOUND_PIECE` characters at a time
    (a copy of the whole, and two more of its bytes, took 48 MiB for a text of 16 MiB).

    :param text: SPARQL query or update text.

    >>> nesting_bound("ASK { { ?s ?p ?o } UNION { FILTER(!(1 + 2 < 3)) } } # [x].")
    10
    >>> nesting_bound("<<<")  # counted as a scan from the left reads them: one <<, then <
    1
    """
    bound = text.count("<<")
    for start in range(0, len(text), _BOUND_PIECE):
        end = start + _BOUND_PIECE
        # a character past ASCII is bytes of 0x80 and up
        data = text[start:end].encode("utf-8", "surrogatepass")
        bound += len(data) - len(data.translate(None, _NESTING_BYTES))
        # a UNION that starts in this piece (bytes.lower changes ASCII letters only)
        data += text[end : end + 4].encode("utf-8", "surrogatepass")
        bound += data.lower().count(b"union")
    return bound


_BOUND_PIECE = 1 << 20
