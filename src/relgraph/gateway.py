r"""A front for the Oxigraph server that refuses the SPARQL that would make it fetch a URL.

Oxigraph's server evaluates a query's ``SERVICE`` and an update's ``LOAD`` (and ``SERVICE``) by making
HTTP requests, and has no option to turn them off, so whoever reaches it could make it fetch any URL
its host can reach. :func:`relgraph.serve.serve` therefore runs Oxigraph on a loopback port of its own,
which only processes of this machine can reach, and puts the front on the address it was asked to listen
on. The front reads the SPARQL
text of each request, wherever Oxigraph would find it (a ``query`` or ``update`` parameter of the URL
or of a form body, an ``application/sparql-query`` or ``application/sparql-update`` body), and looks
for ``SERVICE`` and ``LOAD`` wherever Oxigraph could read them as keywords, with or without spaces
(:func:`relgraph.sparql_tokens.code_keyword`; Oxigraph, as the grammar says, does not decode ``\u``
escapes outside strings and IRIs). A compressed SPARQL body (``Content-Encoding``), which Oxigraph
inflates, is refused (415), and so is one over :data:`MAX_SPARQL_BODY` (413): such a body is read (up to
:data:`_DISCARDED` bytes) and dropped after the answer, so that a client that sends its whole body before it
reads reads the answer, not a reset. A text that could nest too deeply is parsed and planned aside, and
not run (:func:`relgraph.limits.check_nesting`; an update on the empty store of :attr:`Gateway.updates`).
A request with ``SERVICE`` or ``LOAD`` is answered ``403 Forbidden`` with a one-line reason; every
other request goes to Oxigraph as it came (its ``Host`` header too, so the IRIs Oxigraph makes from it
name this front), and the answer comes back as Oxigraph makes it. The front serves
:attr:`Gateway.max_connections` connections at a time (one more is answered 503 at once), gives each
:attr:`Gateway.request_seconds` to send its request, and answers 503 while nothing listens behind it
(``relgraph serve`` starting the server again).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import re
import socket
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pyoxigraph as ox

from relgraph.errors import QueryError, RelgraphError
from relgraph.limits import check_nesting
from relgraph.reading import escape_controls, one_line
from relgraph.sparql_tokens import code_keyword

__all__ = ["MAX_SPARQL_BODY", "Gateway", "refusal"]

#: the largest SPARQL body the front reads and checks (Oxigraph takes 128 MiB; checking that much would hold
#: the front for minutes)
MAX_SPARQL_BODY = 16 * 1024 * 1024
#: the most bytes of a refused body read and dropped, for the client to read its answer
_DISCARDED = 4 * MAX_SPARQL_BODY
_SPARQL_BODIES = {"application/sparql-query", "application/sparql-update"}
_FORM = "application/x-www-form-urlencoded"
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",  # set again for the body as it is sent
}
_CHUNK = 64 * 1024


def refusal(sparql: str) -> str | None:
    """Return why the SPARQL text is refused (it has ``SERVICE`` or ``LOAD`` as a keyword), or None.

    :param sparql: a query or an update.

    >>> refusal("SELECT * WHERE { ?s ?p 'SERVICE' }  # LOAD") is None
    True
    >>> refusal("select * where { service <http://10.0.0.1/sparql> { ?s ?p ?o } }")
    'SERVICE is refused: this server never queries other endpoints'
    >>> refusal("LOAD <http://example.org/data.ttl>")
    'LOAD is refused: this server never fetches data from a URL'
    >>> refusal("PREFIX : <http://10.0.0.1/> SELECT * WHERE { SERVICE:sparql { ?s ?p ?o } }")  # no space
    'SERVICE is refused: this server never queries other endpoints'
    """
    word = code_keyword(sparql, ("SERVICE", "LOAD"))
    if word == "SERVICE":
        return "SERVICE is refused: this server never queries other endpoints"
    if word == "LOAD":
        return "LOAD is refused: this server never fetches data from a URL"
    return None


class Gateway(ThreadingHTTPServer):
    """An HTTP server that passes requests on to an Oxigraph server, but for those :func:`refusal` refuses.

    :param address: the address and port to listen on (an IPv6 address too).
    :param upstream: the Oxigraph server's address and port (on loopback).
    :param log: called with one line for each refused request.
    :raises OSError: if the address cannot be listened on.

    >>> import urllib.request, urllib.error
    >>> gateway = Gateway(("127.0.0.1", 0), ("127.0.0.1", 9))
    >>> _ = gateway.start()
    >>> url = "http://127.0.0.1:%d/query?query=" % gateway.server_address[1]
    >>> try:
    ...     urllib.request.urlopen(url + urllib.parse.quote("ASK { SERVICE <http://ex/> {} }"))
    ... except urllib.error.HTTPError as error:
    ...     print(error.code, error.read().decode().strip())
    403 SERVICE is refused: this server never queries other endpoints
    >>> gateway.stop()
    """

    daemon_threads = True  # a client still connected does not keep relgraph from stopping
    block_on_close = False
    request_queue_size = 128  # connections made while Oxigraph opens the store wait for it
    #: connections served at once; one more is answered 503 at once (each holds a thread, and up to
    #: :data:`MAX_SPARQL_BODY` of memory: clients that connected and sent nothing took a thread each)
    max_connections = 32
    #: seconds a client has to send its request line, headers and SPARQL body, in all (a client sending a
    #: byte every 30 s held its connection for ever)
    request_seconds = 30.0
    #: a graph store body, streamed, may take as long again, and a second more for every so many bytes it
    #: sends (a large upload on a slow link goes through; a body sent a byte at a time does not)
    body_bytes_per_second = 16 * 1024

    def __init__(
        self, address: tuple[str, int], upstream: tuple[str, int], log: Callable[[str], None] | None = None
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.upstream = upstream
        self.log = log or (lambda _line: None)
        self._thread: threading.Thread | None = None
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._updates: tempfile.TemporaryDirectory[str] | None = None
        super().__init__(address, _Handler)

    @property
    def updates(self) -> str | None:
        """The folder of an empty store that the nesting check parses updates on (made by :meth:`start`)."""
        return None if self._updates is None else self._updates.name

    def start(self) -> threading.Thread:
        """Serve on a daemon thread until :meth:`stop`, :attr:`max_connections` at once; return the thread.

        :raises OSError: if the empty store of :attr:`updates` cannot be made.
        """
        if self._updates is None:  # made here, not by a forked worker of the check (it hung there)
            self._updates = tempfile.TemporaryDirectory(
                prefix="relgraph-updates-", ignore_cleanup_errors=True
            )
            ox.Store(self._updates.name)  # empty, closed at once
        self._slots = threading.BoundedSemaphore(self.max_connections)  # set on the instance, say
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.1,), name="relgraph gateway", daemon=True
        )  # polled every 0.1 s for stop(), not 0.5
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Stop serving, if it was started, and close the listening socket (the port is then free).

        The empty store of :attr:`updates` is removed.
        """
        if self._thread is not None:
            self.shutdown()
            self._thread = None
        self.server_close()
        if self._updates is not None:
            self._updates.cleanup()
            self._updates = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Say nothing of a client that went away or sent a broken request (no traceback)."""

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection on a thread of its own; answer 503 if :attr:`max_connections` are served."""
        if not self._slots.acquire(blocking=False):
            _busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started (threads exhausted): the slot is free again
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve the connection (on its thread), then free its slot."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


_BUSY_MESSAGE = b"the server is answering too many clients; try again later\n"
_BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_MESSAGE), _BUSY_MESSAGE)
)


def _busy(connection: socket.socket) -> None:
    """Answer 503 on a connection the gateway has no thread for, without waiting on the client."""
    with contextlib.suppress(OSError):
        connection.setblocking(False)
        connection.send(_BUSY)  # a fresh connection's send buffer takes it whole
        connection.recv(65536)  # what the client sent already: closed unread, it would reset the answer


class _Handler(BaseHTTPRequestHandler):
    """One client connection: each request is checked, then passed on (HTTP/1.0: one request a connection)."""

    server: Gateway
    timeout = 60  # seconds a client may take for each read of its request, or of an answer

    def setup(self) -> None:
        """Read the request under :attr:`Gateway.request_seconds`, as well as 60 s a read."""
        super().setup()
        self.rfile.close()  # read through the deadline instead (the socket stays open)
        self._deadline = _Deadline(self.connection, time.monotonic() + self.server.request_seconds)
        self.rfile = io.BufferedReader(self._deadline)

    def do_GET(self) -> None:
        self._pass_on()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing for each request, as Oxigraph's server does."""

    def _pass_on(self) -> None:
        if len(self.headers.get_all("Content-Type") or []) > 1:
            self._answer(400, "more than one Content-Type")
            return
        kind = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length = self.headers.get("Content-Length")
        body: bytearray | Iterator[bytes] | None
        try:
            size = int(length) if length is not None and not chunked else None
            if size is not None and size < 0:
                raise ValueError(length)
        except ValueError:
            self._answer(400, f"invalid Content-Length: {length}")
            return
        if kind in _SPARQL_BODIES or kind == _FORM:  # SPARQL Oxigraph would read: read it whole
            codings = ",".join(self.headers.get_all("Content-Encoding") or []).lower()
            if any(coding.strip() not in ("", "identity") for coding in codings.split(",")):
                # Oxigraph would inflate it, after this check
                self._answer(415, f"compressed SPARQL ({codings}) is refused: send it as it is")
                self._discard_body(size, chunked)
                return
            if size is not None and size > MAX_SPARQL_BODY:
                self._answer(413, f"SPARQL bodies are limited to {MAX_SPARQL_BODY} bytes")
                self._discard_body(size, chunked)
                return
            try:
                body = self._whole_body(size, chunked)
            except _BodyError as error:
                self._answer(400, str(error))
                return
            if len(body) > MAX_SPARQL_BODY:  # chunks, one past the limit
                self._answer(413, f"SPARQL bodies are limited to {MAX_SPARQL_BODY} bytes")
                self._discard_body(None, chunked)
                return
        else:  # data for the graph store, passed on as it comes: at a pace, not by a deadline
            self._deadline.pace(self.server.request_seconds, 1 / self.server.body_bytes_per_second)
            body = self._body(size, chunked, None) if size or chunked else None
        if not self._allowed(kind, body):
            return
        if not self._deadline.pacing:  # a graph store body is read as it is sent on, at its pace
            self._lift_deadline()
        self._forward(body, size)

    def _allowed(self, kind: str, body: bytearray | Iterator[bytes] | None) -> bool:
        """Check the SPARQL of the request (its URL's, its body's); answer and return False if it is refused.

        The texts are dropped once checked: a request waiting for Oxigraph's answer holds its body only.
        """
        texts = _sparql_texts(self.path.partition("?")[2])
        if isinstance(body, bytearray):
            text = body.decode("utf-8", errors="replace")
            texts.extend([text] if kind in _SPARQL_BODIES else _sparql_texts(text))
            del text
        for text in texts:
            reason = refusal(text)
            if reason is not None:
                self._refuse(403, reason)
                return False
        for text in texts:  # after the refusals: the check parses, and runs nothing
            try:
                check_nesting(text, updates=self.server.updates)  # one that is no query: as an update
            except QueryError as error:  # too deep (it would crash Oxigraph's server), or not parsed in time
                self._refuse(400, error.message)
                return False
            except RelgraphError as error:  # the check itself failed
                self._refuse(500, error.message)
                return False
        return True

    def _lift_deadline(self) -> None:
        """Let the rest take 60 s a read or a write (the answer may take long to send to a slow reader)."""
        self._deadline.deadline = None
        self._deadline.pacing = False
        self.connection.settimeout(self.timeout)

    def _refuse(self, status: int, reason: str) -> None:
        """Answer ``status`` with ``reason``, and log the refusal in one line."""
        where = f"{self.command} {self.path.partition('?')[0]} from {self.client_address[0]}"
        self.server.log(escape_controls(f"refused {where}: {reason}"))  # no terminal escapes
        self._answer(status, reason)

    def _whole_body(self, size: int | None, chunked: bool) -> bytearray:
        """Read a SPARQL body whole, into one buffer (at most :data:`MAX_SPARQL_BODY` bytes and a chunk more).

        :raises _BodyError: as :meth:`_body` does.
        """
        body = bytearray()  # grown in place: a list of pieces joined held the body twice
        for piece in self._body(size, chunked, MAX_SPARQL_BODY + 1):
            body += piece
        return body

    def _discard_body(self, size: int | None, chunked: bool) -> None:
        """Read what is left of a refused request's body and drop it, :data:`_DISCARDED` bytes at most.

        So that the client, which sends its whole body before it reads the answer (urllib, SPARQLWrapper),
        reads the answer: a connection closed with bytes unread is reset, and the client saw a broken pipe.
        Within the request's deadline; a body left unread past the bound is cut off all the same.

        :param size: the bytes left of a body of known length; None for the rest of a chunked one.
        :param chunked: whether the body is sent in chunks.
        """
        if not chunked and not size:
            return
        with contextlib.suppress(OSError, _BodyError):
            for _piece in self._pieces(size, chunked, _DISCARDED):
                pass

    def _body(self, size: int | None, chunked: bool, limit: int | None) -> Iterator[bytes]:
        """Yield the request's body as it comes (at most ``limit`` bytes and a little more).

        :raises _BodyError: for a body cut short, a bad chunk, or a client that stopped sending.
        """
        try:
            yield from self._pieces(size, chunked, limit)
        except OSError as error:  # the client's side (a timeout), not Oxigraph's
            raise _BodyError(f"the request body did not arrive: {error}") from None

    def _pieces(self, size: int | None, chunked: bool, limit: int | None) -> Iterator[bytes]:
        read = 0
        if not chunked:
            while size is not None and read < size and (limit is None or read < limit):
                piece = self.rfile.read(min(_CHUNK, size - read))
                if not piece:  # a truncated query must not reach Oxigraph, nor hold its connection
                    raise _BodyError(f"the body ended after {read} of its {size} bytes")
                read += len(piece)
                yield piece
            return
        while limit is None or read < limit:
            line = self.rfile.readline(1024)
            given = _CHUNK_SIZE.fullmatch(line)
            if given is None:  # int(x, 16) also took -1 (read to the end, past any limit), +5 and 0x10
                raise _BodyError(f"invalid chunk size: {line[:40]!r}")
            piece_size = int(given.group(1), 16)
            if piece_size > MAX_SPARQL_BODY:
                raise _BodyError(f"a chunk of {piece_size} bytes is refused (at most {MAX_SPARQL_BODY})")
            if piece_size == 0:
                while self.rfile.readline(1024).strip():  # the trailer
                    pass
                return
            piece = self.rfile.read(piece_size)
            if len(piece) < piece_size or self.rfile.readline(8) not in (b"\r\n", b"\n"):
                raise _BodyError("a chunk is cut short or not followed by a line break")
            read += len(piece)
            yield piece

    def _forward(self, body: bytearray | Iterator[bytes] | None, size: int | None) -> None:
        host, port = self.server.upstream
        connection = http.client.HTTPConnection(host, port)
        try:  # the request target as the client wrote it (http.server turns a leading // into /)
            words = self.requestline.split()
            target = words[1] if len(words) >= 2 else self.path
            connection.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    connection.putheader(name, value)
            connection.putheader("Connection", "close")
            if isinstance(body, bytearray):
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
            elif body is not None and size is not None:
                connection.putheader("Content-Length", str(size))
                connection.endheaders()
                for piece in body:
                    connection.send(piece)
            elif body is not None:
                connection.putheader("Transfer-Encoding", "chunked")
                connection.endheaders()
                for piece in body:
                    connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                connection.send(b"0\r\n\r\n")
            else:
                connection.endheaders()
            response = connection.getresponse()
            self._lift_deadline()  # the body, if any, is all sent on
        except (_BodyError, ValueError) as error:  # http.client refuses a target with a tab, say
            self._answer(400, one_line(str(error)))
            connection.close()
            return
        except ConnectionRefusedError:  # relgraph serve is starting it again (its memory ran out, say)
            self._answer(503, "the Oxigraph server is starting again; try again in a second", retry=True)
            connection.close()
            return
        except (OSError, http.client.HTTPException) as error:
            self._answer(502, f"the Oxigraph server did not answer: {one_line(str(error))}")
            connection.close()
            return
        try:
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in _HOP_BY_HOP or name.lower() == "content-length":
                    self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            while piece := response.read1(_CHUNK) if self.command != "HEAD" else b"":
                self.wfile.write(piece)
        except (OSError, http.client.HTTPException):
            pass  # the client went away, or the server stopped mid-answer: the client sees it cut short
        finally:
            connection.close()

    def _answer(self, status: int, message: str, *, retry: bool = False) -> None:
        self.connection.settimeout(self.timeout)  # not what is left of a request's deadline
        body = f"{message}\n".encode()
        self.send_response_only(status)
        if retry:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Deadline(io.RawIOBase):
    """The raw reader of a request that gives up at a deadline, whatever the pace of the bytes.

    Each read from the socket may wait only until the deadline (``TimeoutError`` then): a reader that
    checked it at each line let a client send a line a byte at a time, 30 s a byte.
    """

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        super().__init__()
        self.raw = connection.makefile("rb", buffering=0)
        self.connection = connection
        self.deadline: float | None = deadline
        self.pacing = False
        self._seconds_per_byte = 0.0

    def pace(self, seconds: float, seconds_per_byte: float) -> None:
        """From now on, give ``seconds``, and ``seconds_per_byte`` more for each byte read."""
        self.deadline = time.monotonic() + seconds
        self.pacing = True
        self._seconds_per_byte = seconds_per_byte

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the request took too long to send")
            self.connection.settimeout(min(remaining, _Handler.timeout))
        count = self.raw.readinto(buffer)
        if self.pacing and self.deadline is not None and count:
            self.deadline += count * self._seconds_per_byte
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


class _BodyError(ValueError):
    """A request body that cannot be read: cut short, badly chunked, or not sent (answered 400)."""


_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:;[^\r\n]*)?\r?\n")


def _sparql_texts(encoded: str) -> list[str]:
    """Return the values of the ``query`` and ``update`` parameters of a URL query or form body."""
    parameters = urllib.parse.parse_qsl(encoded, keep_blank_values=True, errors="replace")
    return [value for key, value in parameters if key in ("query", "update")]
