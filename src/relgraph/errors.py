"""Errors of relgraph and the exit codes the CLI maps them to.

Every failure a user can cause (a bad file, a bad parameter, a broken query) is raised as a
:class:`RelgraphError`. It is a :class:`click.ClickException`, so the CLI prints its one-line
message and exits with its code, never a traceback.
"""

from __future__ import annotations

from enum import IntEnum

import click

__all__ = [
    "ConfigurationError",
    "ExitCode",
    "InputError",
    "QueryError",
    "RelgraphError",
    "RemoteError",
    "UsageError",
]


class ExitCode(IntEnum):
    """Exit codes of the ``relgraph`` command, as documented in the README."""

    OK = 0
    #: validation found violations, or a quality check returned rows (also: the reader of standard
    #: output went away, a broken pipe, and the command stopped quietly)
    NOT_CONFORMING = 1
    #: bad command line, bad parameter, unreadable or invalid input file, bad query
    USAGE = 2
    #: the project's own configuration (shapes, ontology, query catalogue) is broken
    CONFIGURATION = 3
    #: a remote SPARQL endpoint failed
    REMOTE = 4
    #: a query ran past its wall-clock timeout (``--timeout``) and was stopped
    TIMEOUT = 5
    #: another relgraph process is writing (the data folder or store is locked)
    LOCKED = 6
    #: interrupted by Ctrl-C
    INTERRUPTED = 130


class RelgraphError(click.ClickException):
    """Base class of the errors relgraph reports to a user.

    :param message: one line saying what went wrong, naming the file (and line) where there is one.

    >>> err = RelgraphError("data.ttl:3: bad thing")
    >>> err.exit_code, str(err)
    (2, 'data.ttl:3: bad thing')
    """

    exit_code = int(ExitCode.USAGE)

    def format_message(self) -> str:
        r"""Return the message with its control characters written out, so that it stays one line.

        A file name or an IRI may hold a line break or a terminal escape.

        >>> RelgraphError("bad\nname.ttl: \x1b[31mno such file").format_message()
        'bad\\x0aname.ttl: \\x1b[31mno such file'
        """
        from relgraph.reading import escape_controls

        return escape_controls(self.message)


class UsageError(RelgraphError):
    """A command, option or query parameter was used wrongly."""

    exit_code = int(ExitCode.USAGE)


class InputError(RelgraphError):
    """An input file is missing, unreadable, of an unknown format or not valid RDF."""

    exit_code = int(ExitCode.USAGE)


class QueryError(RelgraphError):
    """A SPARQL query is invalid or failed to run."""

    exit_code = int(ExitCode.USAGE)


class ConfigurationError(RelgraphError):
    """The project's own ontology, shapes or query catalogue is broken."""

    exit_code = int(ExitCode.CONFIGURATION)


class RemoteError(RelgraphError):
    """A remote SPARQL endpoint could not be reached, refused a request or gave a bad answer."""

    exit_code = int(ExitCode.REMOTE)
