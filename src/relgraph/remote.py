"""A typed client for remote SPARQL 1.1 endpoints, over SPARQLWrapper.

:class:`SparqlClient` runs queries (answers as :class:`relgraph.results.QueryResult`, equal to a
local run) and updates. Every failure becomes a :class:`relgraph.errors.RemoteError` (exit code 4)
with one line naming the endpoint: connection refused, DNS failure, no answer within the timeout,
an HTTP error status, a ``200`` with an HTML page in answer to a query, a truncated or unparseable
body, and Virtuoso's partial-result headers. An update succeeds on any ``2xx`` answer, whatever its
body: the SPARQL 1.1 Protocol leaves the body of a successful update to the server (Fuseki answers a
form-encoded one with an HTML page, "Update succeeded"). The body of an HTTP error is read up to
64 KiB, for the message. The timeout is a deadline for the whole request: connecting, sending, the
answer's headers and its last byte (a server trickling its answer cannot stretch it). Credentials
come from the URL, the environment (``RELGRAPH_ENDPOINT_USER``/``RELGRAPH_ENDPOINT_PASSWORD``) or
``~/.netrc``, are sent as HTTP Basic authentication whenever there is a user name (a user without a
password, an access token, goes with an empty password), and are never part of a message:
:func:`scrub` removes user information from every URL that is printed.
"""

from __future__ import annotations

import functools
import http.client
import json
import math
import netrc
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib.term import URIRef

from relgraph.deadline import LONGEST_WAIT, open_before
from relgraph.errors import QueryError, RemoteError, UsageError
from relgraph.limits import DEFAULT_TIMEOUT, Answer, current_timeout
from relgraph.results import TRIPLE_TERMS_UNSUPPORTED, QueryResult
from relgraph.sparql_values import with_values
from relgraph.terms import RdfTerm

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_PASSWORD",
    "ENV_USER",
    "Endpoint",
    "SparqlClient",
    "post_graph",
    "query_endpoint",
    "scrub",
]

#: environment variables holding the user name and password for an endpoint
ENV_USER = "RELGRAPH_ENDPOINT_USER"
ENV_PASSWORD = "RELGRAPH_ENDPOINT_PASSWORD"

_JSON_RESULTS = "application/sparql-results+json"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"
# up to the last "@" of the URL: a password may hold "/", "?" or "#" that were not percent-encoded
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)\S*@")
_DETAIL_LENGTH = 200
#: the most bytes of an HTTP error's body read (for the message): never the whole of a huge one
_ERROR_BODY_BYTES = 1 << 16


def scrub(text: str) -> str:
    """Remove the user information (``user:password@``) from every URL in a text.

    :param text: a URL or a message containing URLs.

    >>> scrub("cannot reach https://ann:s3cret@example.org/sparql (refused)")
    'cannot reach https://example.org/sparql (refused)'
    >>> scrub("http://bob:pa/ss#?@127.0.0.1:7878/q: not a valid endpoint URL")
    'http://127.0.0.1:7878/q: not a valid endpoint URL'
    """
    return _USERINFO.sub(r"\1", text)


def _shown(url: str) -> str:
    """Return a URL that may not parse as it can be shown: with nothing before its last ``@``.

    What comes before it may be a password, whatever the URL's shape (``ann:s3cret@host/q`` without
    a scheme, ``http:/ann:s3cret@host``, a password with a space), which :func:`scrub` cannot know.

    >>> _shown("http://ann:top secret@127.0.0.1:99999/query")
    '…@127.0.0.1:99999/query'
    >>> _shown("ftp://example.org/")
    'ftp://example.org/'
    """
    return url if "@" not in url else "…" + url[url.rindex("@") :]


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL endpoint URL and the credentials to use with it.

    :param url: the URL, without user information.
    :param user: the user name, or :data:`None`.
    :param password: the password, or :data:`None`.
    """

    url: str
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(
        cls,
        url: str,
        *,
        environ: Mapping[str, str] | None = None,
        netrc_file: Path | None = None,
    ) -> Endpoint:
        """Check an endpoint URL and find its credentials.

        Credentials are taken from the URL's ``user:password@``, else from the environment
        variables :data:`ENV_USER` and :data:`ENV_PASSWORD`, else from the ``~/.netrc`` entry of
        the host (``$NETRC`` or ``netrc_file`` name another file).

        :param url: an ``http://`` or ``https://`` URL.
        :param environ: the environment (default: ``os.environ``).
        :param netrc_file: the netrc file (default: ``$NETRC`` or ``~/.netrc``).
        :raises UsageError: if the URL is not an HTTP(S) URL with a host, or the netrc file is invalid.

        >>> Endpoint.parse("http://bob:pw@127.0.0.1:7878/query", environ={})
        Endpoint(url='http://127.0.0.1:7878/query')
        >>> Endpoint.parse("ftp://example.org/")
        Traceback (most recent call last):
        ...
        relgraph.errors.UsageError: ftp://example.org/: not an http:// or https:// endpoint URL
        """
        env = os.environ if environ is None else environ
        try:
            parts = urllib.parse.urlsplit(url)
            host = parts.hostname
            port = parts.port
        except ValueError:
            raise UsageError(f"{_shown(url)}: not a valid endpoint URL") from None
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise UsageError(f"{_shown(url)}: not an http:// or https:// endpoint URL")
        netloc = host if ":" not in host else f"[{host}]"
        if port is not None:
            netloc += f":{port}"
        clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        if parts.username is not None:
            return cls(
                clean, urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
            )
        if env.get(ENV_USER):
            return cls(clean, env[ENV_USER], env.get(ENV_PASSWORD, ""))
        return cls(clean, *_netrc_credentials(host, env, netrc_file))

    def sibling(self, url: str | None, path: str) -> Endpoint:
        """Return the endpoint ``url`` (with these credentials unless it has its own), or a sibling.

        :param url: another URL, or :data:`None`.
        :param path: the path replacing a final ``/query`` segment when ``url`` is :data:`None`.

        >>> Endpoint("http://127.0.0.1:7878/query").sibling(None, "update").url
        'http://127.0.0.1:7878/update'
        >>> Endpoint("http://127.0.0.1:8890/sparql").sibling(None, "update").url
        'http://127.0.0.1:8890/sparql'
        """
        if url is not None:
            other = Endpoint.parse(url, environ={}, netrc_file=Path(os.devnull))
            if other.user is None:
                return Endpoint(other.url, self.user, self.password)
            return other
        if self.url.endswith("/query"):
            return Endpoint(self.url[: -len("query")] + path, self.user, self.password)
        return self


class SparqlClient:
    """Run queries and updates on a SPARQL 1.1 endpoint over HTTP (SPARQLWrapper).

    :param endpoint: the query endpoint.
    :param update_endpoint: the update endpoint (default: Oxigraph's ``/update`` beside a
        ``/query`` URL, else the query endpoint itself, as with Virtuoso's ``/sparql``).
    :param timeout: seconds each request may take, from connecting to the last byte of the answer
        (a finite number; default: :func:`relgraph.limits.current_timeout`, ``--timeout`` or
        ``RELGRAPH_TIMEOUT`` or 60).
    :param default_graph: an IRI sent as the ``default-graph-uri`` protocol parameter of every
        query, so that the query sees that graph as its default graph.
    :raises UsageError: if the timeout is not a positive number.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        update_endpoint: Endpoint | None = None,
        timeout: float | None = None,
        default_graph: str | None = None,
    ) -> None:
        if timeout is None:
            timeout = current_timeout()
        if not (timeout > 0 and math.isfinite(timeout)):
            raise UsageError(f"--timeout must be a positive number of seconds, not {timeout}")
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint.sibling(None, "update")
        self.timeout = min(timeout, LONGEST_WAIT)
        self.default_graph = default_graph

    def query(self, text: str, bindings: Mapping[str, RdfTerm] | None = None) -> QueryResult:
        """Run a ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` query; bind parameters as ``VALUES``.

        :param text: the query.
        :param bindings: variable name -> rdflib term (see :func:`relgraph.sparql_values.with_values`).
        :raises QueryError: if a binding is not a valid term.
        :raises RemoteError: for every failure of the endpoint.
        """
        try:
            text = with_values(text, bindings or {})
        except ValueError as error:
            raise QueryError(f"cannot bind the parameters: {error}") from None
        from relgraph.sparql_tokens import query_form

        form = query_form(text) or "SELECT"
        graph = form in ("CONSTRUCT", "DESCRIBE")
        params = [("default-graph-uri", self.default_graph)] if self.default_graph else []
        headers, body = self._request(
            self.endpoint,
            text,
            update=False,
            accept=_GRAPH_ACCEPT if graph else _JSON_RESULTS,
            params=params,
            form=form,
        )
        where = self.endpoint.url
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        if graph:  # pyoxigraph triples, converted on first use, as a local run's (RDF 1.2 triple terms too)
            return QueryResult.from_answer(Answer("graph", triples=_parse_graph(where, content_type, body)))
        if content_type not in (_JSON_RESULTS, "application/json"):
            raise RemoteError(
                f"{where}: answered {content_type or 'without a content type'}, not SPARQL JSON"
            )
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:  # nested too deep: RecursionError
            raise RemoteError(f"{where}: truncated or unparseable SPARQL JSON results ({error})") from None
        try:
            result = QueryResult.from_sparql_json(data)
        except QueryError as error:
            if error.message == TRIPLE_TERMS_UNSUPPORTED:  # a valid answer: the error of a local run
                raise
            raise RemoteError(f"{where}: {error.message}") from None
        if (result.kind == "ask") != (form == "ASK"):  # an ASK answered with rows, or rows with a boolean
            raise RemoteError(
                f"{where}: answered {'a boolean' if result.kind == 'ask' else 'rows'} to "
                f"{'an' if form == 'ASK' else 'a'} {form} query"
            )
        return result

    def update(self, text: str, *, timeout: float | None = None) -> None:
        """Run a SPARQL 1.1 Update request on the update endpoint.

        :param text: the update.
        :param timeout: seconds this request may take, if not the client's timeout.
        :raises RemoteError: for every failure of the endpoint.
        """
        self._request(self.update_endpoint, text, update=True, accept="*/*", params=[], timeout=timeout)

    def _request(
        self,
        endpoint: Endpoint,
        text: str,
        *,
        update: bool,
        accept: str,
        params: list[tuple[str, str]],
        timeout: float | None = None,
        form: str = "SELECT",
    ) -> tuple[Mapping[str, str], bytes]:
        from SPARQLWrapper import POST
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        where = endpoint.url
        timeout = self.timeout if timeout is None else min(timeout, LONGEST_WAIT)
        deadline = time.monotonic() + timeout
        wrapper = _wrapper_class()(endpoint.url, updateEndpoint=endpoint.url)
        wrapper.deadline = deadline
        wrapper.setMethod(POST)
        wrapper.setOnlyConneg(True)  # no format=... parameter, only the Accept header
        wrapper.setQuery(text)
        # the kind of request is the caller's (a query is checked read-only before it gets here), not
        # SPARQLWrapper's guess: its keyword scan took "removed" in a comment for MOVE and "address" in a
        # prefix for ADD, and refused read-only queries as updates
        wrapper.queryType = "INSERT" if update else form
        for name, value in params:
            wrapper.addParameter(name, value)
        wrapper.addCustomHttpHeader("Accept", accept)
        authorization = _basic_authorization(endpoint)
        if authorization is not None:  # not setCredentials: SPARQLWrapper drops a user without a password
            wrapper.addCustomHttpHeader("Authorization", authorization)
        try:
            response: Any = wrapper.query().response
            headers = response.headers
            body: bytes = _read_within(where, response)
        except SPARQLWrapperException as error:
            raise RemoteError(_wrapper_message(where, error)) from None
        except urllib.error.HTTPError as error:
            raise RemoteError(_http_error_message(where, error)) from None
        except urllib.error.URLError as error:
            raise RemoteError(_network_message(where, error.reason, timeout)) from None
        except (http.client.IncompleteRead, http.client.RemoteDisconnected) as error:
            raise RemoteError(
                f"{where}: the connection closed before the whole answer came ({error})"
            ) from None
        except http.client.HTTPException as error:
            raise RemoteError(f"{where}: bad HTTP answer: {_detail(str(error))}") from None
        except OSError as error:
            raise RemoteError(_network_message(where, error, timeout)) from None
        _check_partial(where, headers)
        if update:  # any 2xx: the body of a successful update is the server's choice (Fuseki: an HTML page)
            return headers, body
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type in ("text/html", "application/xhtml+xml") or body.lstrip()[:15].lower().startswith(
            (b"<!doctype html", b"<html")
        ):
            raise RemoteError(
                f"{where}: answered with an HTML page, not SPARQL results (a proxy or login page? "
                "check the endpoint URL)"
            )
        return headers, body


def post_graph(store: Endpoint, graph: str, body: bytes, *, timeout: float | None = None) -> None:
    """Add N-Triples to a graph with a SPARQL 1.1 Graph Store Protocol ``POST ?graph=IRI``.

    A ``POST`` merges the triples into the graph (a set union), so sending the same blank-node-free
    triples twice adds nothing. Failures are reported as for queries; the store URL, without
    credentials, names the endpoint.

    :param store: the Graph Store endpoint (Oxigraph's ``/store``, Virtuoso's ``/sparql-graph-crud``).
    :param graph: the IRI of the graph to add to.
    :param body: the triples, as UTF-8 N-Triples.
    :param timeout: seconds the request may take, from connecting to the last byte of the answer
        (default: :func:`relgraph.limits.current_timeout`).
    :raises RemoteError: for every failure of the endpoint.
    """
    if timeout is None:
        timeout = current_timeout()
    deadline = time.monotonic() + min(timeout, LONGEST_WAIT)
    where = store.url
    separator = "&" if urllib.parse.urlsplit(store.url).query else "?"
    url = store.url + separator + urllib.parse.urlencode({"graph": graph})
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/n-triples")
    request.add_header("Accept", "*/*")
    authorization = _basic_authorization(store)
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with open_before(request, deadline) as response:
            status: int = response.status
            headers = response.headers
            answer: bytes = _read_within(where, response)
    except urllib.error.HTTPError as error:
        raise RemoteError(_http_error_message(where, error)) from None
    except urllib.error.URLError as error:
        raise RemoteError(_network_message(where, error.reason, timeout)) from None
    except (http.client.IncompleteRead, http.client.RemoteDisconnected) as error:
        raise RemoteError(f"{where}: the connection closed before the whole answer came ({error})") from None
    except http.client.HTTPException as error:
        raise RemoteError(f"{where}: bad HTTP answer: {_detail(str(error))}") from None
    except OSError as error:
        raise RemoteError(_network_message(where, error, timeout)) from None
    _check_partial(where, headers)
    if status == 200 and answer.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise RemoteError(
            f"{where}: answered 200 with an HTML page, not a Graph Store answer (a proxy or login page? "
            "check the --store-endpoint URL)"
        )
    if not 200 <= status <= 299:
        raise RemoteError(f"{where}: HTTP {status}: the Graph Store did not add the triples")


def query_endpoint(
    url: str,
    text: str,
    bindings: Mapping[str, RdfTerm],
    *,
    graph: str | None = None,
    timeout: float | None = None,
    data: Sequence[Path] = (),
) -> QueryResult:
    """Run a read-only query on a remote endpoint, as ``relgraph query``/``sparql --endpoint`` do.

    The query is checked as for a local run (no ``SERVICE``, ``FROM`` or updates), parameters are
    bound with ``VALUES`` and ``graph`` is sent as ``default-graph-uri``.

    :param url: the endpoint URL (credentials as for :meth:`Endpoint.parse`).
    :param text: the query.
    :param bindings: variable name -> rdflib term.
    :param graph: the graph to query as the default graph (default: where ``relgraph push`` writes).
    :param timeout: seconds to wait for the answer (default: ``RELGRAPH_TIMEOUT``, else 60).
    :param data: ``--data`` files, which cannot be combined with an endpoint.
    :raises UsageError: for ``--data`` or a bad URL, graph or timeout.
    :raises QueryError: if the query is refused.
    :raises RemoteError: for every failure of the endpoint.
    """
    from relgraph.push import DEFAULT_GRAPH
    from relgraph.safety import check_read_only_local
    from relgraph.sparql_values import sparql_term

    if data:
        raise UsageError(
            "--data cannot be combined with --endpoint: push the files with relgraph push --data"
        )
    graph = DEFAULT_GRAPH if graph is None else graph
    try:
        sparql_term(URIRef(graph))
    except ValueError as error:
        raise UsageError(f"--graph: {error}") from None
    check_read_only_local(text)
    client = SparqlClient(Endpoint.parse(url), timeout=timeout, default_graph=graph)
    return client.query(text, bindings)


@functools.cache
def _wrapper_class() -> Any:
    """Return a :class:`SPARQLWrapper.SPARQLWrapper` whose requests end at its ``deadline``.

    :raises ImportError: if SPARQLWrapper is not installed.
    """
    from SPARQLWrapper import SPARQLWrapper

    class DeadlineWrapper(SPARQLWrapper):
        """SPARQLWrapper that sends its request before its ``deadline`` (:mod:`relgraph.deadline`).

        An HTTP error status is raised as the :class:`urllib.error.HTTPError` itself, its body unread:
        SPARQLWrapper's own ``_query`` read the whole body of a 400, 401, 404, 414 or 500 (no size
        limit: a 200 MiB body took a gigabyte and ran on past the timeout, copied into its message).
        """

        deadline: float

        def _query(self) -> tuple[Any, str]:
            return open_before(self._createRequest(), self.deadline), self.returnFormat

    return DeadlineWrapper


def _basic_authorization(endpoint: Endpoint) -> str | None:
    """Return the ``Authorization`` header of HTTP Basic authentication, if the endpoint has a user.

    A user without a password (an access token as the user name) is sent with an empty password.

    >>> _basic_authorization(Endpoint("http://127.0.0.1/q", "mytoken", ""))
    'Basic bXl0b2tlbjo='
    >>> _basic_authorization(Endpoint("http://127.0.0.1/q")) is None
    True
    """
    import base64

    if endpoint.user is None:
        return None
    token = base64.b64encode(f"{endpoint.user}:{endpoint.password or ''}".encode()).decode("ascii")
    return f"Basic {token}"


def _netrc_credentials(
    host: str, env: Mapping[str, str], netrc_file: Path | None
) -> tuple[str | None, str | None]:
    path = netrc_file or Path(env.get("NETRC") or Path.home() / ".netrc")
    if not path.is_file():
        return None, None
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except netrc.NetrcParseError as error:
        raise UsageError(f"{path}:{error.lineno}: cannot parse the netrc file") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read the netrc file: {error.strerror or error}") from None
    if entry is None:
        return None, None
    login, _account, password = entry
    return login, password


def _read_within(where: str, response: Any) -> bytes:
    """Read a whole answer, refusing one longer than ``RELGRAPH_MAX_FILE_BYTES`` as it comes.

    :raises RemoteError: past the limit (a server streaming gigabytes filled the memory).
    """
    from relgraph.limits import Limits, read_at_most

    limit = Limits.from_env().max_file_bytes
    body = read_at_most(response, limit)
    if len(body) > limit:
        raise RemoteError(
            f"{where}: the answer is longer than {limit} bytes (RELGRAPH_MAX_FILE_BYTES); "
            "ask for less (LIMIT), or raise the limit"
        )
    missing = getattr(response, "length", None)  # what the Content-Length promised and did not come
    if missing:  # read(n) returns what came, where read() raised IncompleteRead
        raise http.client.IncompleteRead(body, missing)
    return body


def _http_error_message(where: str, error: urllib.error.HTTPError) -> str:
    """Say what an HTTP error status means; for a redirect, where to (it is not followed)."""
    if 300 <= error.code <= 399:
        location = scrub(str(error.headers.get("Location") or "")) or "another URL"
        return (
            f"{where}: HTTP {error.code}: the endpoint redirects to {_detail(location)}; relgraph follows "
            "no redirect (the query and the credentials would go on to it): give that URL"
        )
    return _status_message(where, error.code, error.reason, _read(error))


def _read(error: urllib.error.HTTPError) -> bytes:
    """Read the start of an error's body, before the request's deadline, and close the connection.

    At most :data:`_ERROR_BODY_BYTES`: enough for the detail of the message, never the whole of a
    huge body. A body that does not come in time (or breaks off) gives what came, or nothing.
    """
    try:
        return error.read(_ERROR_BODY_BYTES)
    except (OSError, http.client.HTTPException):
        return b""
    finally:
        error.close()


def _detail(text: str) -> str:
    line = " ".join(scrub(text).split())
    return line if len(line) <= _DETAIL_LENGTH else line[: _DETAIL_LENGTH - 1] + "…"


def _body_detail(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    if text.lower().startswith(("<!doctype", "<html")):
        return ""
    return _detail(text)


def _status_message(where: str, code: int, reason: object, body: bytes) -> str:
    detail = _body_detail(body)
    suffix = f": {detail}" if detail else ""
    status = f"HTTP {code}{' ' + _detail(str(reason)) if reason else ''}"
    if code == 401:
        return (
            f"{where}: {status}: the endpoint needs valid credentials (set {ENV_USER} and "
            f"{ENV_PASSWORD}, or add the host to ~/.netrc)"
        )
    if code == 403:
        return f"{where}: {status}: not allowed (a read-only endpoint, or no update permission){suffix}"
    if code == 404:
        return f"{where}: {status}: no SPARQL endpoint at this URL"
    if code == 413:
        return f"{where}: {status}: the request is too large for the server; push with a smaller --chunk-size"
    if code == 400:
        return f"{where}: {status}: the endpoint refused the request{suffix}"
    if 500 <= code <= 599:
        return f"{where}: {status}: server error{suffix}"
    return f"{where}: {status}{suffix}"


def _wrapper_message(where: str, error: Exception) -> str:
    """Say what SPARQLWrapper refused (HTTP error statuses never come here: see :func:`_wrapper_class`)."""
    return f"{where}: {_detail(str(error))}"


def _network_message(where: str, reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"{where}: no answer within {timeout:g} s (raise it with --timeout)"
    if isinstance(reason, ConnectionRefusedError):
        return f"{where}: connection refused (is the server running?)"
    if isinstance(reason, socket.gaierror):
        host = urllib.parse.urlsplit(where).hostname
        return f"{where}: cannot resolve the host name {host!r} (DNS failure)"
    if isinstance(reason, ConnectionResetError | BrokenPipeError):
        return f"{where}: the server closed the connection"
    if isinstance(reason, OSError):
        return f"{where}: network error: {_detail(reason.strerror or str(reason))}"
    return f"{where}: network error: {_detail(str(reason))}"


def _check_partial(where: str, headers: Mapping[str, str]) -> None:
    state = headers.get("X-SQL-State")
    if state:
        message = headers.get("X-SQL-Message", "")
        raise RemoteError(
            f"{where}: the server returned a partial result (X-SQL-State: {_detail(state)}"
            f"{': ' + _detail(message) if message else ''}); it hit its execution time limit"
        )
    max_rows = headers.get("X-SPARQL-MaxRows")
    if max_rows:
        raise RemoteError(
            f"{where}: the server cut the result at {_detail(max_rows)} rows (X-SPARQL-MaxRows); "
            "the answer is incomplete"
        )


def _parse_graph(where: str, content_type: str, body: bytes) -> list[ox.Triple]:
    """Parse a CONSTRUCT or DESCRIBE answer into pyoxigraph triples (RDF 1.2 triple terms kept).

    :raises RemoteError: for another content type, or a body that does not parse.
    """
    formats = {
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "text/plain": ox.RdfFormat.N_TRIPLES,
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/x-turtle": ox.RdfFormat.TURTLE,
        "application/turtle": ox.RdfFormat.TURTLE,
    }
    rdf_format = formats.get(content_type)
    if rdf_format is None:
        raise RemoteError(
            f"{where}: answered {content_type or 'without a content type'}, not N-Triples or Turtle"
        )
    try:
        return [ox.Triple(quad.subject, quad.predicate, quad.object) for quad in ox.parse(body, rdf_format)]
    except (SyntaxError, ValueError, MemoryError) as error:
        raise RemoteError(f"{where}: truncated or unparseable RDF answer ({_detail(str(error))})") from None
