"""Split SPARQL text into tokens, so that words and braces inside strings, IRIs and comments are never seen.

Used by the read-only check (:mod:`relgraph.safety`) to find keywords, and by the remote parameter
binding (:mod:`relgraph.sparql_values`) to find the outermost WHERE group.

>>> [m.group() for m in TOKEN.finditer("SELECT ?s WHERE { ?s rdfs:label 'a { b' } # }")]
['SELECT', '?s', 'WHERE', '{', '?s', 'rdfs:label', "'a { b'", '}', '# }']
"""

from __future__ import annotations

import re

__all__ = ["TOKEN"]

# Any character from U+00C0 up counts as a name character. This is wider than SPARQL's PN_CHARS, which
# a token scan can afford, and a negated class compiles in 0.1 ms where the exact Unicode ranges take 3 ms
# each (relgraph's cold start pays for every pattern compiled at import).
_WIDE = r"[^\x00-\xbf]"
# a character of a prefixed name's local part, including the \-escapes of PN_LOCAL_ESC
_LOCAL = rf"(?:[\w\-.:%\u00b7]|{_WIDE}|\\[_~.\-!$&'()*+,;=/?#@%])"

#: one token: a long or short string, an IRI, a comment, a variable, a prefixed name, a word, or one character
TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*"
    rf"|[?$](?:[\w\u00b7]|{_WIDE})+"
    rf"|(?:\w|{_WIDE})(?:[\w\-.\u00b7]|{_WIDE})*:{_LOCAL}*"
    rf"|:{_LOCAL}*"
    r"|[A-Za-z]+"
    r"|\S",
    re.DOTALL,
)
