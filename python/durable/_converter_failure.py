"""Failure converters: exceptions <-> ``durable.v1.Failure`` protos.

Its one job is :class:`FailureConverter`, :class:`DefaultFailureConverter` and
:class:`DefaultFailureConverterWithEncodedAttributes`; private: import these names from
durable.converter.
"""

from __future__ import annotations

import asyncio
import enum
import traceback
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from durable._converter_codec import _copy
from durable.common import timedelta_to_us, us_to_optional_timedelta
from durable.exceptions import (
    ActivityError,
    ApplicationError,
    ApplicationErrorCategory,
    CancelledError,
    ChildWorkflowError,
    FailureError,
    RetryState,
    ServerError,
    TerminatedError,
    TimeoutError,
    TimeoutType,
)
from durable.v1 import common_pb2

if TYPE_CHECKING:  # annotations only: durable.converter imports this module
    from durable.converter import PayloadConverter

Payload: TypeAlias = common_pb2.Payload
Failure: TypeAlias = common_pb2.Failure


# --- Failure converters ---------------------------------------------------------------------


class FailureConverter(ABC):
    """Turns exceptions into ``durable.v1.Failure`` protos and back."""

    @abstractmethod
    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> Failure:
        """Convert an exception and its cause chain to a failure. Never raises.

        Args:
            exception: The exception.
            payload_converter: Converter for details.

        Returns:
            A new Failure.
        """

    @abstractmethod
    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> FailureError:
        """Convert a failure and its cause chain to an exception. Never raises.

        Args:
            failure: The failure.
            payload_converter: Converter for details.

        Returns:
            The exception; its ``__cause__`` chain mirrors ``failure.cause``.
        """


class DefaultFailureConverter(FailureConverter):
    """The failure converter of ``DataConverter.default`` (same mapping as temporalio).

    * :class:`ApplicationError` -> ``application_failure_info`` (type, non_retryable, details,
      next_retry_delay); any exception that is not a :class:`FailureError` -> the same, with
      ``type`` = its class name and ``message`` = ``str(exc)``.
    * :class:`TimeoutError`, :class:`CancelledError` (and ``asyncio.CancelledError``),
      :class:`TerminatedError`, :class:`ServerError`, :class:`ActivityError`,
      :class:`ChildWorkflowError` -> their own infos.
    * A :class:`FailureError` that came from a Failure is written back as that Failure, cause
      chain included (a re-raised activity error keeps its original stack trace).
    * The cause chain follows ``__cause__``, else ``__context__`` (unless suppressed), up to
      ``max_cause_depth`` levels; a cycle ends it.
    * Details that cannot be encoded are dropped and the message says so: ``to_failure`` never
      raises. Details that cannot be decoded are kept as raw ``Payload`` protos.
    * With ``encode_common_attributes``, each level's message and stack trace move into
      ``encoded_attributes`` (one payload of ``{"message", "stack_trace"}`` made by the payload
      converter, so a codec encodes it like any other payload) and ``message`` becomes
      ``"Encoded failure"``. ``from_failure`` reads them back from ``encoded_attributes``
      whichever way the converter is configured.

    Args:
        encode_common_attributes: Move message and stack trace into ``encoded_attributes``.
        max_cause_depth: Maximum number of causes below the top failure.
    """

    def __init__(self, *, encode_common_attributes: bool = False, max_cause_depth: int = 32) -> None:
        if max_cause_depth < 0:
            raise ValueError(f"max_cause_depth must not be negative, got {max_cause_depth}")
        self.max_cause_depth = max_cause_depth
        self._encode_common_attributes = encode_common_attributes

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> Failure:
        """See :meth:`FailureConverter.to_failure`."""
        root = Failure()
        current = root
        exc: BaseException | None = exception
        seen: set[int] = set()
        depth = 0
        while exc is not None:
            seen.add(id(exc))
            if self._fill(exc, payload_converter, current):
                break  # copied an existing Failure, causes included
            nxt = exc.__cause__
            if nxt is None and not exc.__suppress_context__:
                nxt = exc.__context__
            if nxt is None or id(nxt) in seen or depth >= self.max_cause_depth:
                break
            depth += 1
            current = current.cause
            exc = nxt
        if self._encode_common_attributes:
            level: Failure | None = root
            while level is not None:
                _encode_common(level, payload_converter)
                level = level.cause if level.HasField("cause") else None
        return root

    def _fill(self, exc: BaseException, pc: PayloadConverter, f: Failure) -> bool:
        if isinstance(exc, FailureError) and exc.failure is not None:
            f.CopyFrom(exc.failure)
            return True
        f.source = "python"
        if exc.__traceback__ is not None:
            f.stack_trace = "".join(traceback.format_tb(exc.__traceback__))
        if isinstance(exc, FailureError):
            f.message = exc.message
        elif isinstance(exc, asyncio.CancelledError):
            f.message = _safe_str(exc) or "cancelled"
            f.canceled_failure_info.SetInParent()
            return False
        else:
            f.message = _safe_str(exc)

        if isinstance(exc, ApplicationError):
            info = f.application_failure_info
            info.type = exc.type or ""
            info.non_retryable = exc.non_retryable
            info.next_retry_delay_us = timedelta_to_us(exc.next_retry_delay)
            info.category = int(exc.category)
            self._set_details(info.details, exc.details, pc, f)
        elif isinstance(exc, TimeoutError):
            f.timeout_failure_info.timeout_type = int(exc.type) if exc.type is not None else 0
            self._set_details(
                f.timeout_failure_info.last_heartbeat_details, exc.last_heartbeat_details, pc, f
            )
        elif isinstance(exc, CancelledError):
            f.canceled_failure_info.SetInParent()
            self._set_details(f.canceled_failure_info.details, exc.details, pc, f)
        elif isinstance(exc, TerminatedError):
            f.terminated_failure_info.SetInParent()
        elif isinstance(exc, ServerError):
            f.server_failure_info.non_retryable = exc.non_retryable
        elif isinstance(exc, ActivityError):
            a = f.activity_failure_info
            a.scheduled_event_id = exc.scheduled_event_id
            a.started_event_id = exc.started_event_id
            a.identity = exc.identity
            a.activity_type = exc.activity_type
            a.activity_id = exc.activity_id
            a.retry_state = int(exc.retry_state) if exc.retry_state is not None else 0
        elif isinstance(exc, ChildWorkflowError):
            c = f.child_workflow_failure_info
            c.namespace = exc.namespace
            c.workflow_execution.workflow_id = exc.workflow_id
            c.workflow_execution.run_id = exc.run_id
            c.workflow_type = exc.workflow_type
            c.initiated_event_id = exc.initiated_event_id
            c.started_event_id = exc.started_event_id
            c.retry_state = int(exc.retry_state) if exc.retry_state is not None else 0
        else:
            f.application_failure_info.type = type(exc).__name__
        return False

    @staticmethod
    def _set_details(
        target: common_pb2.Payloads, details: Sequence[Any], pc: PayloadConverter, f: Failure
    ) -> None:
        if not details:
            return
        try:
            target.payloads.extend(pc.to_payloads(list(details)))
        except Exception as e:
            del target.payloads[:]
            f.message += f" (details dropped: {e})"

    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> FailureError:
        """See :meth:`FailureConverter.from_failure`."""
        chain = [failure]
        while chain[-1].HasField("cause") and len(chain) <= self.max_cause_depth:
            chain.append(chain[-1].cause)
        errors = [self._single(_decode_common(f, payload_converter), payload_converter)
                  for f in chain]
        for err, cause in zip(errors, errors[1:]):
            err.__cause__ = cause
        return errors[0]

    def _single(self, f: Failure, pc: PayloadConverter) -> FailureError:
        which = f.WhichOneof("info")
        err: FailureError
        if which == "timeout_failure_info":
            t = f.timeout_failure_info
            err = TimeoutError(
                f.message,
                type=_enum_or_none(TimeoutType, t.timeout_type),
                last_heartbeat_details=self._details(t.last_heartbeat_details, pc),
            )
        elif which == "canceled_failure_info":
            err = CancelledError(f.message, *self._details(f.canceled_failure_info.details, pc))
        elif which == "terminated_failure_info":
            err = TerminatedError(f.message)
        elif which == "server_failure_info":
            err = ServerError(f.message, non_retryable=f.server_failure_info.non_retryable)
        elif which == "activity_failure_info":
            a = f.activity_failure_info
            err = ActivityError(
                f.message,
                scheduled_event_id=a.scheduled_event_id,
                started_event_id=a.started_event_id,
                identity=a.identity,
                activity_type=a.activity_type,
                activity_id=a.activity_id,
                retry_state=_enum_or_none(RetryState, a.retry_state),
            )
        elif which == "child_workflow_failure_info":
            c = f.child_workflow_failure_info
            err = ChildWorkflowError(
                f.message,
                namespace=c.namespace,
                workflow_id=c.workflow_execution.workflow_id,
                run_id=c.workflow_execution.run_id,
                workflow_type=c.workflow_type,
                initiated_event_id=c.initiated_event_id,
                started_event_id=c.started_event_id,
                retry_state=_enum_or_none(RetryState, c.retry_state),
            )
        else:  # application_failure_info, or no/unknown info
            app = f.application_failure_info
            delay: timedelta | None = None
            if app.next_retry_delay_us > 0:
                try:
                    delay = us_to_optional_timedelta(app.next_retry_delay_us)
                except ValueError:
                    delay = None  # out of range for timedelta: use the retry policy
            err = ApplicationError(
                f.message,
                *self._details(app.details, pc),
                type=app.type or None,
                non_retryable=app.non_retryable,
                next_retry_delay=delay,
                category=_enum_or_none(ApplicationErrorCategory, app.category)
                or ApplicationErrorCategory.UNSPECIFIED,
            )
        proto = Failure()
        proto.CopyFrom(f)
        err._failure = proto
        return err

    @staticmethod
    def _details(payloads: common_pb2.Payloads, pc: PayloadConverter) -> list[Any]:
        if not payloads.payloads:
            return []
        try:
            return pc.from_payloads(list(payloads.payloads))
        except Exception:
            return [_copy(p) for p in payloads.payloads]


class DefaultFailureConverterWithEncodedAttributes(DefaultFailureConverter):
    """:class:`DefaultFailureConverter` with ``encode_common_attributes=True``: failure
    messages and stack traces travel in ``encoded_attributes``, where a codec can encrypt them.

    Use it as ``DataConverter(failure_converter_class=DefaultFailureConverterWithEncodedAttributes)``.
    """

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


_ENCODED_MESSAGE = "Encoded failure"


def _encode_common(f: Failure, pc: PayloadConverter) -> None:
    # A level copied from a failure that is already encoded stays as it is.
    if f.HasField("encoded_attributes") and f.message == _ENCODED_MESSAGE and not f.stack_trace:
        return
    try:
        payload = pc.to_payloads([{"message": f.message, "stack_trace": f.stack_trace}])[0]
    except Exception:
        return  # to_failure never raises: keep the attributes in the clear
    f.encoded_attributes.CopyFrom(payload)
    f.message = _ENCODED_MESSAGE
    f.stack_trace = ""


def _decode_common(f: Failure, pc: PayloadConverter) -> Failure:
    # The level with message and stack trace read from encoded_attributes (a copy; its causes
    # stay as they are: from_failure decodes level by level); `f` itself when it has none.
    if not f.HasField("encoded_attributes"):
        return f
    try:
        attrs = pc.from_payloads([f.encoded_attributes])[0]
    except Exception:
        return f
    if not isinstance(attrs, dict):
        return f
    out = Failure()
    out.CopyFrom(f)
    message, stack_trace = attrs.get("message"), attrs.get("stack_trace")
    if isinstance(message, str):
        out.message = message
    if isinstance(stack_trace, str):
        out.stack_trace = stack_trace
    return out


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception as e:  # a broken __str__ must not lose the failure
        return f"<str() of {type(exc).__name__} raised {type(e).__name__}>"


def _enum_or_none(cls: type[enum.IntEnum], value: int) -> Any:
    try:
        return cls(value)
    except ValueError:
        return None
