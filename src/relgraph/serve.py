"""Serve the knowledge graph over HTTP with the Oxigraph server (``pip install oxigraph``).

:func:`build_store` writes the graph into an on-disk Oxigraph store, in the named graph
:data:`relgraph.push.DEFAULT_GRAPH` (the graph ``relgraph query --endpoint`` reads by default).
:func:`serve` starts ``oxigraph serve-read-only`` (or ``serve`` when writes are asked for) on it
with ``--union-default-graph``, so queries typed into its query page (YASGUI) see the data too. Oxigraph
listens on a loopback port of its own, behind :class:`relgraph.gateway.Gateway`, which listens on the
address asked for and refuses ``SERVICE`` and ``LOAD`` (Oxigraph would fetch their URLs).
"""

from __future__ import annotations

import contextlib
import errno
import math
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from relgraph.errors import ConfigurationError, InputError, UsageError
from relgraph.push import DEFAULT_GRAPH
from relgraph.reading import one_line
from relgraph.storedir import check_folder, make_folder, reason, write_manifest

__all__ = [
    "DEFAULT_PORT",
    "MIN_SERVER_MEMORY",
    "build_store",
    "check_port",
    "oxigraph_command",
    "serve",
    "server_memory",
    "stop_reason",
]

#: the port ``relgraph serve`` listens on by default (Oxigraph's own default)
DEFAULT_PORT = 7878
_STOP_SECONDS = 10
_START_SECONDS = 60  # for the server to listen (it opens the store first)
_STARTS = 3  # starts in a row that fail (a signal before it listens) before relgraph gives up
#: the least memory (bytes of data) the Oxigraph server is given: about 200 MiB to start, and some 250 MiB
#: more for the threads and stacks of :attr:`relgraph.gateway.Gateway.max_connections` clients at once (at
#: 256 MiB, 32 clients at once made it abort)
MIN_SERVER_MEMORY = 512 * 2**20


def oxigraph_command() -> Path:
    """Return the ``oxigraph`` server program: the one installed beside Python, else the one on ``PATH``.

    :raises ConfigurationError: if there is none.
    """
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return beside
    found = shutil.which("oxigraph")
    if found is None:
        raise ConfigurationError("the oxigraph server is not installed: pip install oxigraph")
    return Path(found)


def check_port(bind: str, port: int) -> None:
    """Refuse an address and port that cannot be listened on (another server has the port).

    Checked before the graph is loaded, so that a port in use is said at once, not after a
    server started and failed.

    :param bind: the address to listen on.
    :param port: the port.
    :raises UsageError: naming the port, or the address (one that cannot be listened on, or is no address
        or host name: ``a.ü..b``, which IDNA cannot encode).

    >>> with socket.socket() as held:
    ...     held.bind(("127.0.0.1", 0))
    ...     held.listen()
    ...     check_port("127.0.0.1", held.getsockname()[1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    relgraph.errors.UsageError: 127.0.0.1:...: the port is in use (another server?); choose another ...
    """
    if not 0 < port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {port}")
    if not bind.strip():  # the socket takes "" for every interface, and the URL said http://:PORT/query
        raise UsageError("--bind '': give an address; 0.0.0.0 or :: listens on every interface, on purpose")
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind((bind, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"{_host(bind)}:{port}: the port is in use (another server?); choose another with --port"
                ) from None
            raise UsageError(f"--bind {bind}: cannot listen there: {error.strerror or error}") from None
        except (TypeError, ValueError) as error:  # a name IDNA cannot encode, a NUL: a traceback, exit 1
            raise UsageError(f"--bind {bind}: not an address or host name: {error}") from None


def build_store(location: Path, quads: Iterable[ox.Quad], graph: str = DEFAULT_GRAPH) -> int:
    """Replace the content of an on-disk Oxigraph store with the triples, in the named graph ``graph``.

    The folder must be new, empty or a store this function made (marked by its ``manifest.json``,
    see :func:`relgraph.storedir.check_folder`): any other folder is refused before anything is
    written into it.

    :param location: the store directory (created when missing).
    :param quads: the triples (their graph names are ignored).
    :param graph: the named graph IRI.
    :raises UsageError: if the folder is not such a store or cannot be created, or the store cannot
        be opened (for example, a server is using it, or its files are damaged).
    :return: the number of triples stored.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     q = ox.Quad(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("1"))
    ...     build_store(Path(tmp, "store"), [q])
    1
    """
    if check_folder(location, "serve") is None:  # new or empty: mark it as a store of relgraph serve
        make_folder(location)
        try:
            write_manifest(location, {"kind": "serve"}, "serve")
        except OSError as error:
            raise UsageError(f"{location}: cannot write the store: {reason(error)}") from None
    try:
        store = ox.Store(str(location))
    except OSError as error:
        raise UsageError(f"{location}: cannot open the Oxigraph store: {one_line(str(error))}") from None
    except RuntimeError as error:  # RocksDB found the files damaged
        raise UsageError(
            f"{location}: the Oxigraph store is damaged ({one_line(str(error))}); "
            "delete the folder and serve again"
        ) from None
    name = ox.NamedNode(graph)
    store.clear()
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, name) for q in quads)
    store.flush()
    count = len(store)
    del store  # release the store's lock before a server opens it
    return count


def serve(
    location: Path,
    *,
    bind: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    writable: bool = False,
    announce: Callable[[str], None] = print,
    log: Callable[[str], None] | None = None,
    timeout: float | None = None,
    memory: int | None = None,
) -> int:
    """Run the Oxigraph server on a store until it stops or Ctrl-C; return its exit code (0 after Ctrl-C).

    The server may take ``memory`` bytes of data (``RLIMIT_DATA``): a query that would take more ends
    the server, not the machine. A server that a signal other than SIGTERM or SIGINT ended (an abort when
    its memory ran out, the kernel's out-of-memory killer) is started again on the same store and port,
    at most once a second, with a line on ``log``; the requests it was answering fail, the next ones are
    answered. One that fails to start :data:`_STARTS` times in a row is given up (its code is returned);
    one stopped by SIGTERM or SIGINT, sent to it alone, stops ``serve`` too (0 is returned).

    :param location: the store directory (see :func:`build_store`).
    :param bind: the address to listen on.
    :param port: the port.
    :param writable: run ``oxigraph serve`` (read-write) instead of ``serve-read-only``.
    :param announce: called with the lines saying where the server is.
    :param log: called with a line for each request refused (``SERVICE``, ``LOAD``) and each restart of
        the server; default: standard error.
    :param timeout: seconds after which Oxigraph cancels a query (its ``--timeout-s``, rounded up to a
        whole second); None: no limit.
    :param memory: the bytes of data the server may take; None: :func:`server_memory`
        (``RELGRAPH_MAX_MEMORY_BYTES``, else three quarters of the memory available).
    :raises KeyboardInterrupt: never: Ctrl-C (and SIGTERM, and SIGHUP unless ignored) stop the server
        and return 0; any other error stops it before it is raised.
    :raises ConfigurationError: if the oxigraph program is missing.
    :raises UsageError: if the port is not valid, or cannot be listened on, or the front's empty store (for
        the check of updates, :attr:`relgraph.gateway.Gateway.updates`) cannot be made.
    :raises InputError: if ``RELGRAPH_MAX_MEMORY_BYTES`` is not a whole number of bytes, or too few.
    """
    from relgraph.gateway import Gateway

    if not 0 < port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {port}")
    host = _host(bind)
    program = oxigraph_command()
    limit = server_memory() if memory is None else memory
    say = log or _log_to_stderr
    # Ctrl-C, SIGTERM and SIGHUP (the terminal closed) stop the server, and relgraph returns 0; one
    # already ignored (nohup, a background job's SIGINT) stays ignored. The handler is set before the
    # server is started, and one that comes while it is being started waits for the end of it: it
    # ended relgraph mid-start and left the server running, orphaned.
    stopper = _Stopper()
    stopping = [signal.SIGTERM]
    stopping += [sig for sig in (signal.SIGINT, signal.SIGHUP) if signal.getsignal(sig) is not signal.SIG_IGN]
    previous = {sig: signal.signal(sig, stopper) for sig in stopping}
    process: subprocess.Popen[bytes] | None = None
    gateway: Gateway | None = None
    try:
        try:
            gateway = Gateway((bind, port), ("127.0.0.1", _free_loopback_port()), say)
        except (OSError, TypeError, ValueError) as error:  # TypeError: a name IDNA cannot encode
            raise UsageError(f"cannot listen on {host}:{port}: {one_line(str(error))}") from None
        inner = gateway.upstream[1]
        command = [
            str(program),
            "serve" if writable else "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{inner}",
            "--union-default-graph",
        ]
        if timeout is not None:  # a client's endless query would otherwise hold a core until the server stops
            command += ["--timeout-s", str(max(1, math.ceil(timeout)))]
        with stopper.holding():
            process = _start(command, limit)
        relay = _relay_messages(process)
        announced = False
        failed_starts = 0
        while True:
            started = time.monotonic()
            listening = _listening(process, inner)
            if listening and not announced:
                try:
                    gateway.start()
                except OSError as error:  # the empty store the front checks updates on
                    raise UsageError(f"cannot make the front's store: {one_line(str(error))}") from None
                announce(f"SPARQL endpoint: http://{host}:{port}/query")
                if writable:
                    announce(f"SPARQL update endpoint: http://{host}:{port}/update")
                announce(f"Query page: http://{host}:{port}/  (Ctrl-C stops the server)")
                announced = True
            failed_starts = 0 if listening else failed_starts + 1
            code = _wait(process)
            relay.join(timeout=5)  # its last words (Oxigraph's "memory allocation … failed") first
            if announced and -code in (signal.SIGTERM, signal.SIGINT):  # someone stopped it, on purpose
                say(f"the Oxigraph server was stopped by {signal.Signals(-code).name}")
                return 0
            if code >= 0 or not announced:
                return code  # it exited (and said why), or it never started
            if failed_starts >= _STARTS:
                say(f"the Oxigraph server stopped ({_signal_name(-code)}) {_STARTS} times while starting")
                return code
            say(f"the Oxigraph server stopped ({_signal_name(-code)}); starting it again on the same store")
            time.sleep(max(0.0, started + 1 - time.monotonic()))  # at most one start a second
            with stopper.holding():
                process = _start(command, limit)
            relay = _relay_messages(process)
    except KeyboardInterrupt:
        stopper.ignore()  # a second signal now would end relgraph before it stops the server
        if process is not None:
            _stop(process)
        return 0
    except BaseException:  # a reader of the announcement gone (a broken pipe), say: no server left behind
        stopper.ignore()
        if process is not None:
            _stop(process)
        raise
    finally:
        stopper.ignore()  # the server is stopped: a signal now would only cut the rest short (exit 130)
        if gateway is not None:
            gateway.stop()  # before the handlers are set back: a second SIGTERM then ended relgraph
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def server_memory() -> int:
    """Return the bytes of data ``relgraph serve``'s Oxigraph server may take.

    :func:`relgraph.limits.memory_budget`: ``RELGRAPH_MAX_MEMORY_BYTES``, else three quarters of the
    memory available.

    :raises InputError: if ``RELGRAPH_MAX_MEMORY_BYTES`` is not a whole number, or is below
        :data:`MIN_SERVER_MEMORY`, which the server needs to start and answer its clients (its threads'
        stacks count). Three quarters of the memory available, when less, is raised to it.

    >>> import os
    >>> os.environ.get("RELGRAPH_MAX_MEMORY_BYTES") is not None or server_memory() >= MIN_SERVER_MEMORY
    True
    """
    import os

    from relgraph.limits import memory_budget

    limit = memory_budget()
    if limit < MIN_SERVER_MEMORY:
        if not os.environ.get("RELGRAPH_MAX_MEMORY_BYTES", "").strip():
            return MIN_SERVER_MEMORY  # little memory free: the kernel's limit, not relgraph's, then applies
        raise InputError(
            f"RELGRAPH_MAX_MEMORY_BYTES={limit}: relgraph serve's Oxigraph server needs at least "
            f"{MIN_SERVER_MEMORY} bytes ({MIN_SERVER_MEMORY // 2**20} MiB) to start and answer its clients"
        )
    return limit


def stop_reason(code: int) -> str:
    """Say how the Oxigraph server stopped, from the code :func:`serve` returned (not 0).

    >>> stop_reason(1)
    'the oxigraph server stopped with exit code 1 (its message is above)'
    >>> stop_reason(-9)
    'the oxigraph server was killed by SIGKILL (its last message, if any, is above)'
    """
    if code < 0:
        return f"the oxigraph server was {_signal_name(-code)} (its last message, if any, is above)"
    return f"the oxigraph server stopped with exit code {code} (its message is above)"


#: run by the Python beside relgraph between fork and the Oxigraph server: it caps the server's data
#: memory (never above a lower limit already set), turns off its core files (a 512 MiB core file for
#: each query that ran out of memory) and sets back the signals Python ignores, then becomes the server
_LAUNCHER = """\
import os, resource, signal, sys
for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them; the server gets the default
    signal.signal(sig, signal.SIG_DFL)
limit = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
if soft == resource.RLIM_INFINITY or limit < soft:
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
os.execv(sys.argv[2], sys.argv[2:])
"""


def _start(command: list[str], memory: int) -> subprocess.Popen[bytes]:
    """Start the Oxigraph server ``command``, with ``memory`` bytes of data at most and no core file.

    The limits are set by a small launcher before it becomes the server (an ``exec``): ``preexec_fn``
    is not safe in a process with threads.

    :param command: the server's command line.
    :param memory: the bytes of data it may take (``RLIMIT_DATA``).
    """
    launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(memory)]
    return subprocess.Popen([*launcher, *command], stderr=subprocess.PIPE)


def _wait(process: subprocess.Popen[bytes]) -> int:
    """Wait for the server to stop, and return its exit code; wake often meanwhile.

    A signal the kernel gives another thread (RocksDB's, the gateway's) is handled only when the main
    thread wakes: in a bare ``wait()`` it never did, and a SIGTERM was lost.
    """
    while True:
        try:
            return process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue


class _Stopper:
    """The handler of the signals that stop the server: :class:`KeyboardInterrupt`, but in :meth:`holding`."""

    def __init__(self) -> None:
        self._holding = False
        self._pending = False
        self._stopping = False

    def __call__(self, _signum: int, _frame: object) -> None:
        if self._stopping:
            return  # a second one while the server stops (it ended relgraph with the server running)
        if self._holding:
            self._pending = True
            return
        self._stopping = True
        raise KeyboardInterrupt

    def ignore(self) -> None:
        """Ignore the signals from now on (the server is stopped, or stopping)."""
        self._stopping = True

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Hold back the signals for the block (a server being started); then act on one that came."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        if self._pending:
            self._pending = False
            self._stopping = True
            raise KeyboardInterrupt


def _signal_name(number: int) -> str:
    """Return how a process ended by signal ``number`` is described: ``killed by SIGABRT``."""
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"


def _relay_messages(process: subprocess.Popen[bytes]) -> threading.Thread:
    """Pass the server's messages on to standard error as they come, on a daemon thread.

    All but its "Listening for requests at ..." line, which names the port behind the gateway, not the
    one to use (relgraph says that one).
    """

    def relay() -> None:
        assert process.stderr is not None
        for line in process.stderr:  # read to the end, or the server would block once the pipe is full
            if not line.startswith(b"Listening for requests at "):
                with contextlib.suppress(OSError, ValueError):  # standard error closed or broken
                    _log_to_stderr(line.decode("utf-8", errors="replace").rstrip("\n"))

    thread = threading.Thread(target=relay, name="oxigraph messages", daemon=True)
    thread.start()
    return thread


def _free_loopback_port() -> int:
    """Return a port of 127.0.0.1 that nothing listens on now, for the Oxigraph server behind the gateway."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _host(bind: str) -> str:
    return f"[{bind}]" if ":" in bind else bind


def _listening(process: subprocess.Popen[bytes], port: int) -> bool:
    """Wait until the server accepts connections on its loopback port; :data:`False` if it stopped first.

    The endpoint is announced only then, so that a script reading it can query it at once.
    """
    deadline = time.monotonic() + _START_SECONDS
    while process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return True  # slow, but running: announce it anyway
            time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server (SIGTERM, then SIGKILL after a while); Ctrl-C, SIGTERM, SIGHUP are ignored meanwhile.

    SIGTERM, not SIGINT: a server started from a script in the background ignores SIGINT. A second
    Ctrl-C or SIGTERM while it stops would otherwise end relgraph and leave the server running.
    """
    held = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        process.terminate()
        with contextlib.suppress(OSError):
            process.send_signal(signal.SIGCONT)  # a stopped server (SIGSTOP) took the SIGKILL, 10 s later
        try:
            process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
