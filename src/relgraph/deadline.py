"""HTTP requests bound by one deadline, from connecting to the last byte of the answer.

:mod:`urllib` applies a timeout to each socket operation, so a server that sends its answer a byte
at a time can make a request last for ever. Here every wait (connecting, the TLS handshake,
sending, the status line and headers, each read of the body) gets the time left before one
:func:`time.monotonic` deadline as its socket timeout; once it has passed, the next wait raises
:class:`TimeoutError`. Used by :mod:`relgraph.remote` for every request to a SPARQL server.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import threading
import time
import urllib.request
from typing import Any

__all__ = ["LONGEST_WAIT", "open_before", "time_left"]

#: the longest wait a socket accepts (about 292 years); a longer timeout waits this long
LONGEST_WAIT = threading.TIMEOUT_MAX


def time_left(deadline: float) -> float:
    """Return the seconds left before a deadline, for a socket timeout.

    :param deadline: a :func:`time.monotonic` time.
    :raises TimeoutError: if the deadline has passed.

    >>> 59 < time_left(time.monotonic() + 60) <= 60
    True
    >>> time_left(time.monotonic() - 1)
    Traceback (most recent call last):
    ...
    TimeoutError: timed out
    """
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return min(left, LONGEST_WAIT)


class _DeadlineReader(io.RawIOBase):
    """A socket's reader whose every read waits only for the time left before a deadline.

    :param raw: the socket's unbuffered reader (``socket.makefile("rb", buffering=0)``).
    :param sock: the socket, whose timeout is set before each read.
    :param deadline: a :func:`time.monotonic` time.
    """

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        """Return :data:`True`: the reader reads."""
        return True

    def readinto(self, buffer: Any) -> int | None:
        """Read into a buffer, waiting until the deadline at most.

        :param buffer: a writable buffer.
        :raises TimeoutError: if the deadline passes first.
        """
        self._sock.settimeout(time_left(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        """Close the socket's reader (the socket closes with its last reader)."""
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """An HTTP response whose status line, headers and body are all read before a deadline.

    :param sock: the connection's socket.
    :param deadline: a :func:`time.monotonic` time.
    """

    def __init__(self, sock: socket.socket, *args: Any, deadline: float, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        buffered: io.BufferedReader = self.fp
        self.fp = io.BufferedReader(_DeadlineReader(buffered.detach(), sock, deadline))


class _DeadlineHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection that connects, sends and reads its answer before a deadline.

    :param deadline: a :func:`time.monotonic` time; the other parameters are those of
        :class:`http.client.HTTPConnection`.
    """

    def __init__(self, *args: Any, deadline: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        self._create_connection = self._connect_socket
        self.response_class = functools.partial(_DeadlineResponse, deadline=deadline)  # type: ignore[assignment]

    def _connect_socket(self, address: tuple[str, int], _timeout: object, *args: Any) -> socket.socket:
        # the TLS handshake (of an HTTPS connection) and a proxy tunnel then wait for the time left
        sock = socket.create_connection(address, time_left(self._deadline), *args)
        sock.settimeout(time_left(self._deadline))
        return sock

    def send(self, data: Any) -> None:
        """Send data (connecting first if need be), before the deadline.

        :param data: bytes, or a file or iterable of bytes.
        :raises TimeoutError: if the deadline passes first.
        """
        if self.sock is not None:
            self.sock.settimeout(time_left(self._deadline))
        super().send(data)


class _DeadlineHTTPSConnection(_DeadlineHTTPConnection, http.client.HTTPSConnection):
    """An HTTPS connection that connects, sends and reads its answer before a deadline."""


class _DeadlineHandler(urllib.request.AbstractHTTPHandler):
    """Open URLs with connections bound by a deadline (the base of the HTTP and HTTPS handlers).

    :param deadline: a :func:`time.monotonic` time.
    """

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline

    def do_open(self, http_class: Any, req: urllib.request.Request, **http_conn_args: Any) -> Any:
        """Open a request on a deadline-bound connection.

        :param http_class: the :mod:`http.client` connection class to use the deadline version of.
        :param req: the request.
        :param http_conn_args: passed on to the connection.
        :raises urllib.error.URLError: if the connection fails.
        """
        secure = issubclass(http_class, http.client.HTTPSConnection)
        connection = _DeadlineHTTPSConnection if secure else _DeadlineHTTPConnection
        return super().do_open(functools.partial(connection, deadline=self.deadline), req, **http_conn_args)


class _DeadlineHTTPHandler(_DeadlineHandler, urllib.request.HTTPHandler):
    """Open ``http://`` URLs with connections bound by a deadline."""


class _DeadlineHTTPSHandler(_DeadlineHandler, urllib.request.HTTPSHandler):
    """Open ``https://`` URLs with connections bound by a deadline."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: a 3xx answer is an :class:`urllib.error.HTTPError` with its ``Location``.

    urllib follows 301, 302 and 303 to any host, as a ``GET`` without the query, and sends the
    ``Authorization`` header along: the credentials would go to the other host.
    """

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def open_before(request: urllib.request.Request, deadline: float) -> Any:
    """Send a request and return the response, whose ``read`` also ends at the deadline.

    Every wait (connecting, the TLS handshake, sending, the headers and each read of the body) gets
    the time left before the deadline as its socket timeout, so a server answering a byte at a time
    cannot stretch the request past it.

    :param request: the request.
    :param deadline: a :func:`time.monotonic` time.
    :raises urllib.error.HTTPError: for an HTTP error status, and for a redirect (none is followed).
    :raises urllib.error.URLError: if the connection fails (a :class:`TimeoutError` reason at the deadline).
    :raises OSError: if the answer does not come in time (:class:`TimeoutError`) or the connection fails.
    :raises http.client.HTTPException: for a malformed answer.
    """
    opener = urllib.request.build_opener(
        _DeadlineHTTPHandler(deadline), _DeadlineHTTPSHandler(deadline), _NoRedirects()
    )
    return opener.open(request, timeout=time_left(deadline))
