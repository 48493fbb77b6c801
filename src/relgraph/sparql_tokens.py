"""Split SPARQL text into tokens, so that words and braces inside strings, IRIs and comments are never seen.

Used by the read-only check (:mod:`relgraph.safety`) to find keywords, and by the remote parameter
binding (:mod:`relgraph.sparql_values`) to find the outermost WHERE group.

>>> [m.group() for m in TOKEN.finditer("SELECT ?s WHERE { ?s rdfs:label 'a { b' } # }")]
['SELECT', '?s', 'WHERE', '{', '?s', 'rdfs:label', "'a { b'", '}', '# }']
"""

from __future__ import annotations

import bisect
import functools
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

# In code, the next place that matters: a string, a comment, an IRI (or the < operator), an escape of a
# prefixed name (\# \' \/ ...), // (which SPARQL has nowhere else: a way of reading the text that meets
# it is one Oxigraph cannot run), or one of the words looked for (added by _code_next)
_CODE_TOKENS = r"\"\"\"|'''|[\"'#<]|\\.|//"
# the rest of a string as Oxigraph reads it: only the escapes of the grammar (ECHAR, UCHAR)
_ESCAPE = r"\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_STRING_END = {
    '"""': re.compile(rf'(?:[^"\\]|{_ESCAPE}|"(?!""))*"""'),
    "'''": re.compile(rf"(?:[^'\\]|{_ESCAPE}|'(?!''))*'''"),
    '"': re.compile(rf'(?:[^"\\\n\r]|{_ESCAPE})*"'),
    "'": re.compile(rf"(?:[^'\\\n\r]|{_ESCAPE})*'"),
}
_CODE_POINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LINE_BREAKS = re.compile(r"[\n\r]")
_IRI_REST = re.compile(r'(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>')
_WORD_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


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
    in an IRI that could be code is, which errs on the safe side. The time it takes grows about as the
    text does.

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
    any_word, code_next = _patterns(tuple(sorted({word.upper() for word in words})))
    if any_word.search(text) is None:
        return None  # none of the words anywhere: the common case
    breaks = [match.start() for match in _LINE_BREAKS.finditer(text)]
    seen: set[int] = set()  # the places where a way of reading the text is code
    pending = [0]
    while pending:
        position = pending.pop()
        while position not in seen:
            seen.add(position)
            found = code_next.search(text, position)
            if found is None:
                break
            token, start, end = found.group(), found.start(), found.end()
            if token[0].isalpha():  # one of the words
                if not _inside_a_name(text, start):
                    return token.upper()
                # inside a variable's name: the rest of it too (looking back from each word was quadratic)
                while end < len(text) and text[end] in _WORD_CHARACTERS:
                    end += 1
                position = end
            elif token == "//":
                break  # not SPARQL: this way of reading the text is not one Oxigraph runs
            elif token[0] == "\\":  # an escaped character of a prefixed name (ex:a\#b): part of it
                position = end
            elif token == "#":  # to the end of the line (found by bisection: a search from the # of
                # each of many forked readings was quadratic)
                after = bisect.bisect_left(breaks, end)
                position = breaks[after] + 1 if after < len(breaks) else len(text)
            elif token == "<":
                iri = _IRI_REST.match(text, end)
                if iri is not None:
                    pending.append(iri.end())  # an IRI; and below, the less-than operator
                position = end
            else:  # a string: skip to its end
                rest = _STRING_END[token].match(text, end)
                if rest is not None and _valid_code_points(text, end, rest.end()):
                    position = rest.end()
                elif len(token) == 3:  # a long string Oxigraph cannot read is read as '' and a string
                    position = start + 2
                else:
                    break  # a short one is a syntax error
    return None


@functools.lru_cache(maxsize=8)
def _patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Return the patterns of the words (any case), and of what matters next in code with them."""
    alternatives = [re.escape(word) for word in words]
    return (
        re.compile("|".join(alternatives), re.IGNORECASE),
        re.compile("|".join([_CODE_TOKENS, *alternatives]), re.IGNORECASE | re.DOTALL),
    )


def _valid_code_points(text: str, start: int, end: int) -> bool:
    r"""Tell whether every ``\u`` and ``\U`` escape of ``text[start:end]`` is a character (no surrogate)."""
    for match in _CODE_POINT.finditer(text, start, end):
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return False
    return True


def _inside_a_name(text: str, start: int) -> bool:
    """Tell whether the word at ``start`` is inside a variable's name, which Oxigraph reads whole.

    Letters, digits and ``_`` back to a ``?`` or ``$`` (``?my_service``). A dot or any other character is
    not trusted: ``?o.SERVICE`` is the variable ``?o``, then ``.``, then the keyword. Nor is a prefixed
    name (``ex:service``): when the prefix's IRI and the local name do not make an IRI, Oxigraph reads
    ``ex:`` and then the keyword.
    """
    position = start
    while position > 0 and text[position - 1] in _WORD_CHARACTERS:
        position -= 1
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
    the count is at least the true depth.

    :param text: SPARQL query or update text.

    >>> nesting_bound("ASK { { ?s ?p ?o } UNION { FILTER(!(1 + 2 < 3)) } } # [x].")
    10
    >>> nesting_bound("<<<")  # counted as a scan from the left reads them: one <<, then <
    1
    """
    data = text.encode("utf-8", "surrogatepass")  # a character past ASCII is bytes of 0x80 and up
    return (
        len(data)
        - len(data.translate(None, _NESTING_BYTES))
        + data.count(b"<<")
        + data.lower().count(b"union")  # bytes.lower changes ASCII letters only
    )
