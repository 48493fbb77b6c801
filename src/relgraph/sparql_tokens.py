"""Split SPARQL text into tokens, so that words and braces inside strings, IRIs and comments are never seen.

Used by the read-only check (:mod:`relgraph.safety`) to find keywords, and by the remote parameter
binding (:mod:`relgraph.sparql_values`) to find the outermost WHERE group.

>>> [m.group() for m in TOKEN.finditer("SELECT ?s WHERE { ?s rdfs:label 'a { b' } # }")]
['SELECT', '?s', 'WHERE', '{', '?s', 'rdfs:label', "'a { b'", '}', '# }']
"""

from __future__ import annotations

import re

__all__ = ["TOKEN"]

# a character of a prefixed name's local part, including the \-escapes of PN_LOCAL_ESC
_LOCAL = r"(?:[\w\-.:%\u00b7\u00c0-\U000effff]|\\[_~.\-!$&'()*+,;=/?#@%])"

#: one token: a long or short string, an IRI, a comment, a variable, a prefixed name, a word, or one character
TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*"
    r"|[?$][\w\u00b7\u00c0-\U000effff]+"
    rf"|[\w\u00c0-\U000effff][\w\-.\u00b7\u00c0-\U000effff]*:{_LOCAL}*"
    rf"|:{_LOCAL}*"
    r"|[A-Za-z]+"
    r"|\S",
    re.DOTALL,
)
