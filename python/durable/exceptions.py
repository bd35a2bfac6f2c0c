"""Exceptions raised by durable.

Two families:

* ``RPCError`` and its subclasses: a call into the engine was refused (bad input, unknown
  workflow, closed engine, ...). The C++ core returns a status code; the bindings raise the
  class named after it (one table, in ``cpp/python/module.cc``).
* ``FailureError`` and its subclasses: a failure recorded in history (an activity, child or
  workflow failed), mirroring ``temporalio.exceptions``.
"""

from __future__ import annotations


class DurableError(Exception):
    """Base class of every error raised by durable."""


# --- Errors of calls into the engine --------------------------------------------------------


class RPCError(DurableError):
    """A call into the engine was refused. ``message`` says what was wrong and with which id."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(RPCError):
    """No such workflow, run or task (a stale task token included)."""


class AlreadyExistsError(RPCError):
    """Something with that id exists already."""


class InvalidArgumentError(RPCError, ValueError):
    """The request is malformed: empty ids, oversized payloads, bad options."""


class FailedPreconditionError(RPCError):
    """A valid request in the wrong state, e.g. signalling a closed workflow."""


class NondeterminismError(RPCError):
    """Workflow code no longer matches its recorded history (names command, event and id)."""


class ResourceExhaustedError(RPCError):
    """A limit was hit (history length, payload size)."""


class UnavailableError(RPCError):
    """The engine is closed, shutting down, or its directory is locked by another process."""


class DeadlineExceededError(RPCError):
    """A wait (poll, query, result) ran out of time."""


class RPCCancelledError(RPCError):
    """A wait was interrupted on purpose."""


class InternalError(RPCError):
    """A storage failure or a bug in durable."""
