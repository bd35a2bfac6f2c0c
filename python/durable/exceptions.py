"""Exceptions raised by durable.

Two families:

* ``RPCError`` and its subclasses: a call into the engine was refused (bad input, unknown
  workflow, closed engine, ...). The C++ core returns a status code; the bindings raise the
  class named after it (one table, in ``cpp/python/module.cc``).
* ``FailureError`` and its subclasses: a failure recorded in history (an activity, child or
  workflow failed), mirroring ``temporalio.exceptions``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from durable.v1 import common_pb2


class DurableError(Exception):
    """Base class of every error raised by durable."""

    @property
    def cause(self) -> BaseException | None:
        """The exception this one was raised from (``__cause__``), if any."""
        return self.__cause__


TemporalError = DurableError
"""temporalio's name for the base class, so ``except TemporalError`` ports unchanged."""


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
    """A limit was hit (history length, payload size), or the data directory's disk is full
    (new work is refused until space is freed; nothing stored is lost)."""


class UnavailableError(RPCError):
    """The engine is closed, shutting down, or its directory is already open (by this process
    under another path, or by another process)."""


class DeadlineExceededError(RPCError):
    """A wait (poll, query, result) ran out of time."""


class RPCCancelledError(RPCError):
    """A wait was interrupted on purpose."""


class InternalError(RPCError):
    """A storage failure or a bug in durable."""


class UnauthenticatedError(RPCError):
    """durable-server refused the call: no API key, or an unknown one."""


class PermissionDeniedError(RPCError):
    """durable-server refused the call: the API key does not cover this namespace."""


class DataLossError(RPCError):
    """The data directory is corrupt: opening it would silently drop recorded work. The
    message names the file, the offset and how much lies after the damage; opening with
    ``accept_data_loss=True`` (``--accept-data-loss``) keeps what precedes it. durable
    extension: temporalio has no such class (its server reports corruption as an internal
    error)."""


# --- Data conversion ------------------------------------------------------------------------


class PayloadConversionError(DurableError, TypeError):
    """A value could not be turned into a payload, or a payload into the requested type.

    The message names the Python type involved and, inside dataclasses and containers, the
    path of the offending field (e.g. ``items[2].price``).
    """


# --- Failures recorded in history (mirror temporalio.exceptions) ----------------------------


class TimeoutType(IntEnum):
    """Which timeout fired; values match ``durable.v1.TimeoutType``."""

    START_TO_CLOSE = 1
    SCHEDULE_TO_START = 2
    SCHEDULE_TO_CLOSE = 3
    HEARTBEAT = 4


class RetryState(IntEnum):
    """Why retrying stopped (or that it goes on); values match ``durable.v1.RetryState``."""

    IN_PROGRESS = 1
    NON_RETRYABLE_FAILURE = 2
    TIMEOUT = 3
    MAXIMUM_ATTEMPTS_REACHED = 4
    RETRY_POLICY_NOT_SET = 5
    INTERNAL_SERVER_ERROR = 6
    CANCEL_REQUESTED = 7


class FailureError(DurableError):
    """Base class of failures that are recorded in history and cross workflow boundaries.

    Attributes:
        message: The failure message (also ``str(exc)``).
        failure: The ``durable.v1.Failure`` proto this error was built from, or ``None`` when
            it was raised by user code. The cause chain is ``__cause__`` (also ``.cause``).
    """

    def __init__(self, message: str, *, failure: common_pb2.Failure | None = None) -> None:
        super().__init__(message)
        self._message = message
        self._failure = failure

    @property
    def message(self) -> str:
        """The failure message."""
        return self._message

    @property
    def failure(self) -> common_pb2.Failure | None:
        """The underlying proto, when this error was converted from one."""
        return self._failure


class ApplicationErrorCategory(IntEnum):
    """How severe an :class:`ApplicationError` is (temporalio's values)."""

    UNSPECIFIED = 0
    BENIGN = 1
    """An expected failure (e.g. a poll that found nothing yet): temporalio logs it at
    DEBUG instead of WARNING and records no failure metric."""


class ApplicationError(FailureError):
    """An error raised by user code; the one failure kind users raise on purpose.

    Any other exception escaping an activity or workflow is recorded as an application
    failure whose ``type`` is the exception's class name.

    Args:
        message: What went wrong.
        *details: Values serialized with the failure (must be convertible to payloads).
        type: A string naming the kind of error; matched against a retry policy's
            ``non_retryable_error_types``.
        non_retryable: If true, the activity is not retried whatever the retry policy says.
        next_retry_delay: Overrides the retry policy's delay before the next attempt.
        category: :class:`ApplicationErrorCategory` of the error (kept on the exception;
            see docs/temporal-compatibility.md for what durable does with it).

    Raises:
        ValueError: ``next_retry_delay`` is negative, or ``category`` is not an
            ``ApplicationErrorCategory``.
        TypeError: ``next_retry_delay`` is not a timedelta.
    """

    def __init__(
        self,
        message: str,
        *details: Any,
        type: str | None = None,
        non_retryable: bool = False,
        next_retry_delay: timedelta | None = None,
        category: ApplicationErrorCategory = ApplicationErrorCategory.UNSPECIFIED,
    ) -> None:
        super().__init__(message)
        try:
            category = ApplicationErrorCategory(category)
        except ValueError:
            raise ValueError(f"category must be an ApplicationErrorCategory, got {category!r}"
                             ) from None
        if next_retry_delay is not None:
            if not isinstance(next_retry_delay, timedelta):
                raise TypeError(
                    f"next_retry_delay must be a timedelta or None, "
                    f"got {next_retry_delay.__class__.__name__}"
                )
            if next_retry_delay < timedelta(0):
                raise ValueError(f"next_retry_delay must not be negative, got {next_retry_delay}")
        self._details = details
        self._type = type
        self._non_retryable = non_retryable
        self._next_retry_delay = next_retry_delay
        self._category = category

    @property
    def category(self) -> ApplicationErrorCategory:
        """The error's severity category."""
        return self._category

    @property
    def details(self) -> Sequence[Any]:
        """The detail values (decoded without type hints when converted from a failure)."""
        return self._details

    @property
    def type(self) -> str | None:
        """The error type string, or ``None``."""
        return self._type

    @property
    def non_retryable(self) -> bool:
        """Whether retrying is forbidden regardless of the retry policy."""
        return self._non_retryable

    @property
    def next_retry_delay(self) -> timedelta | None:
        """Delay before the next retry overriding the retry policy, or ``None``."""
        return self._next_retry_delay


class CancelledError(FailureError):
    """Cancellation of an activity, child or workflow, as recorded in history.

    Args:
        message: The cancellation message.
        *details: Optional detail values.
    """

    def __init__(self, message: str = "Cancelled", *details: Any) -> None:
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """The detail values."""
        return self._details


class TerminatedError(FailureError):
    """The workflow was terminated.

    Args:
        message: The termination reason.
        *details: Optional detail values.
    """

    def __init__(self, message: str, *details: Any) -> None:
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """The detail values."""
        return self._details


class TimeoutError(FailureError):  # shadows the builtin, as in temporalio
    """A timeout fired (start-to-close, schedule-to-start, schedule-to-close, heartbeat).

    Args:
        message: The failure message.
        type: Which timeout, or ``None`` if unspecified.
        last_heartbeat_details: Details of the last heartbeat before a heartbeat timeout.
    """

    def __init__(
        self,
        message: str,
        *,
        type: TimeoutType | None,
        last_heartbeat_details: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self._type = type
        self._last_heartbeat_details = last_heartbeat_details

    @property
    def type(self) -> TimeoutType | None:
        """Which timeout fired."""
        return self._type

    @property
    def last_heartbeat_details(self) -> Sequence[Any]:
        """Details of the last heartbeat, if any."""
        return self._last_heartbeat_details


class ServerError(FailureError):
    """A failure produced by the engine itself.

    Args:
        message: The failure message.
        non_retryable: Whether the operation may be retried.
    """

    def __init__(self, message: str, *, non_retryable: bool = False) -> None:
        super().__init__(message)
        self._non_retryable = non_retryable

    @property
    def non_retryable(self) -> bool:
        """Whether the operation may be retried."""
        return self._non_retryable


class ActivityError(FailureError):
    """An activity failed; the activity's own failure is the ``cause``.

    Args:
        message: The failure message.
        scheduled_event_id: Id of the ActivityTaskScheduled event.
        started_event_id: Id of the ActivityTaskStarted event (0 if not started).
        identity: Identity of the worker that ran the last attempt.
        activity_type: Name of the activity.
        activity_id: Id of the activity within its workflow.
        retry_state: Why retrying stopped, or ``None`` if unspecified.
    """

    def __init__(
        self,
        message: str,
        *,
        scheduled_event_id: int,
        started_event_id: int,
        identity: str,
        activity_type: str,
        activity_id: str,
        retry_state: RetryState | None,
    ) -> None:
        super().__init__(message)
        self._scheduled_event_id = scheduled_event_id
        self._started_event_id = started_event_id
        self._identity = identity
        self._activity_type = activity_type
        self._activity_id = activity_id
        self._retry_state = retry_state

    @property
    def scheduled_event_id(self) -> int:
        """Id of the ActivityTaskScheduled event."""
        return self._scheduled_event_id

    @property
    def started_event_id(self) -> int:
        """Id of the ActivityTaskStarted event."""
        return self._started_event_id

    @property
    def identity(self) -> str:
        """Identity of the worker that ran the last attempt."""
        return self._identity

    @property
    def activity_type(self) -> str:
        """Name of the activity."""
        return self._activity_type

    @property
    def activity_id(self) -> str:
        """Id of the activity."""
        return self._activity_id

    @property
    def retry_state(self) -> RetryState | None:
        """Why retrying stopped."""
        return self._retry_state


class ChildWorkflowError(FailureError):
    """A child workflow failed; the child's own failure is the ``cause``.

    Args:
        message: The failure message.
        namespace: Namespace of the child.
        workflow_id: Workflow id of the child.
        run_id: Run id of the child.
        workflow_type: Workflow type name of the child.
        initiated_event_id: Id of the StartChildWorkflowExecutionInitiated event.
        started_event_id: Id of the ChildWorkflowExecutionStarted event.
        retry_state: Why retrying stopped, or ``None`` if unspecified.
    """

    def __init__(
        self,
        message: str,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        initiated_event_id: int,
        started_event_id: int,
        retry_state: RetryState | None,
    ) -> None:
        super().__init__(message)
        self._namespace = namespace
        self._workflow_id = workflow_id
        self._run_id = run_id
        self._workflow_type = workflow_type
        self._initiated_event_id = initiated_event_id
        self._started_event_id = started_event_id
        self._retry_state = retry_state

    @property
    def namespace(self) -> str:
        """Namespace of the child."""
        return self._namespace

    @property
    def workflow_id(self) -> str:
        """Workflow id of the child."""
        return self._workflow_id

    @property
    def run_id(self) -> str:
        """Run id of the child."""
        return self._run_id

    @property
    def workflow_type(self) -> str:
        """Workflow type name of the child."""
        return self._workflow_type

    @property
    def initiated_event_id(self) -> int:
        """Id of the initiating event."""
        return self._initiated_event_id

    @property
    def started_event_id(self) -> int:
        """Id of the started event."""
        return self._started_event_id

    @property
    def retry_state(self) -> RetryState | None:
        """Why retrying stopped."""
        return self._retry_state


class WorkflowAlreadyStartedError(FailureError):
    """A workflow with this id is already running (or the reuse policy forbids a new run).

    Args:
        workflow_id: The workflow id.
        workflow_type: The workflow type name.
        run_id: Run id of the existing execution, if known.
    """

    def __init__(self, workflow_id: str, workflow_type: str, *, run_id: str | None = None) -> None:
        super().__init__(f"workflow execution already started: workflow_id={workflow_id!r}")
        self._workflow_id = workflow_id
        self._workflow_type = workflow_type
        self._run_id = run_id

    @property
    def workflow_id(self) -> str:
        """The workflow id."""
        return self._workflow_id

    @property
    def workflow_type(self) -> str:
        """The workflow type name."""
        return self._workflow_type

    @property
    def run_id(self) -> str | None:
        """Run id of the existing execution, if known."""
        return self._run_id


class WorkflowFailureError(DurableError):
    """Raised by the client when a workflow it waits on fails; ``cause`` says why.

    Re-exported by ``durable.client``.

    Args:
        cause: The failure of the workflow (usually a :class:`FailureError`).
    """

    def __init__(self, *, cause: BaseException) -> None:
        super().__init__("workflow execution failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """The workflow's failure."""
        assert self.__cause__ is not None
        return self.__cause__


def is_cancelled_exception(exception: BaseException) -> bool:
    """Tell whether an exception means "cancelled".

    True for ``asyncio.CancelledError``, :class:`CancelledError`, and an
    :class:`ActivityError` or :class:`ChildWorkflowError` whose cause is a
    :class:`CancelledError`.

    Args:
        exception: The exception to inspect.

    Returns:
        Whether it represents a cancellation.
    """
    if isinstance(exception, (asyncio.CancelledError, CancelledError)):
        return True
    return isinstance(exception, (ActivityError, ChildWorkflowError)) and isinstance(
        exception.__cause__, CancelledError
    )
