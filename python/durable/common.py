"""Common types shared by workflows, activities and the client (mirrors ``temporalio.common``).

Wire conventions (see ``proto/durable/v1/common.proto``): times are Unix microseconds and
durations are microseconds, where 0 means "unset". The helpers at the bottom of this module
convert between those integers and ``datetime`` / ``timedelta``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar

from durable._metrics import (
    MetricAttributes,
    MetricCommon,
    MetricCounter,
    MetricGauge,
    MetricGaugeFloat,
    MetricHistogram,
    MetricHistogramFloat,
    MetricHistogramTimedelta,
    MetricMeter,
)
from durable._workflow_handlers import RawValue
from durable.exceptions import RetryState, TimeoutType

if TYPE_CHECKING:
    from durable.v1 import common_pb2

__all__ = [
    "EngineLimits",
    "Priority",
    "QueryRejectCondition",
    "MetricAttributes",
    "MetricCommon",
    "MetricCounter",
    "MetricGauge",
    "MetricGaugeFloat",
    "MetricHistogram",
    "MetricHistogramFloat",
    "MetricHistogramTimedelta",
    "MetricMeter",
    "RawValue",
    "RetryPolicy",
    "RetryState",
    "SearchAttributeIndexedValueType",
    "SearchAttributeKey",
    "SearchAttributePair",
    "SearchAttributeUpdate",
    "TypedSearchAttributes",
    "TimeoutType",
    "WorkflowIDConflictPolicy",
    "WorkflowIDReusePolicy",
    "WorkflowIdConflictPolicy",
    "WorkflowIdReusePolicy",
    "datetime_to_us",
    "timedelta_to_us",
    "us_to_datetime",
    "us_to_optional_timedelta",
    "us_to_timedelta",
]

_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1


# --- Time helpers ---------------------------------------------------------------------------


def timedelta_to_us(td: timedelta | None) -> int:
    """Convert a duration to whole microseconds for the wire.

    Args:
        td: The duration, or ``None`` for "unset".

    Returns:
        The number of microseconds; 0 for ``None``.

    Raises:
        TypeError: ``td`` is neither a timedelta nor ``None``.
        ValueError: ``td`` is negative.
    """
    if td is None:
        return 0
    if not isinstance(td, timedelta):
        raise TypeError(f"expected a timedelta or None, got {type(td).__name__}")
    if td < timedelta(0):
        raise ValueError(f"duration must not be negative, got {td}")
    return td // _ONE_US


def us_to_timedelta(us: int) -> timedelta:
    """Convert wire microseconds to a duration (0 gives ``timedelta(0)``).

    Args:
        us: Microseconds.

    Returns:
        The duration.

    Raises:
        TypeError: ``us`` is not an int.
        ValueError: ``us`` is negative or too large for a timedelta.
    """
    if isinstance(us, bool) or not isinstance(us, int):
        raise TypeError(f"expected an int number of microseconds, got {type(us).__name__}")
    if us < 0:
        raise ValueError(f"duration must not be negative, got {us} us")
    try:
        return timedelta(microseconds=us)
    except OverflowError as e:
        raise ValueError(f"duration of {us} us is out of range for timedelta") from e


def us_to_optional_timedelta(us: int) -> timedelta | None:
    """Like :func:`us_to_timedelta`, but 0 ("unset" on the wire) gives ``None``.

    Args:
        us: Microseconds.

    Returns:
        The duration, or ``None`` if ``us`` is 0.

    Raises:
        TypeError: ``us`` is not an int.
        ValueError: ``us`` is negative or too large.
    """
    return None if us == 0 else us_to_timedelta(us)


def us_to_datetime(us: int) -> datetime:
    """Convert Unix microseconds to an aware UTC datetime.

    Args:
        us: Microseconds since the Unix epoch.

    Returns:
        The time, with ``tzinfo=timezone.utc``.

    Raises:
        TypeError: ``us`` is not an int.
        ValueError: ``us`` is outside the range of ``datetime``.
    """
    if isinstance(us, bool) or not isinstance(us, int):
        raise TypeError(f"expected an int number of microseconds, got {type(us).__name__}")
    try:
        return _EPOCH + timedelta(microseconds=us)
    except OverflowError as e:
        raise ValueError(f"timestamp {us} us is out of range for datetime") from e


def datetime_to_us(dt: datetime) -> int:
    """Convert an aware datetime to Unix microseconds.

    Args:
        dt: An aware datetime (any time zone).

    Returns:
        Microseconds since the Unix epoch.

    Raises:
        TypeError: ``dt`` is not a datetime.
        ValueError: ``dt`` is naive (its time zone would be a guess).
    """
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(
            f"datetime {dt.isoformat()} is naive; give it a tzinfo (e.g. timezone.utc)"
        )
    return (dt - _EPOCH) // _ONE_US


# --- Retry policy ---------------------------------------------------------------------------


@dataclass
class RetryPolicy:
    """How an activity (or workflow) is retried after a failure.

    The delay before attempt ``n + 1`` is ``initial_interval * backoff_coefficient ** (n - 1)``,
    capped at ``maximum_interval``.

    Attributes:
        initial_interval: Delay before the first retry. Must be at least 1 microsecond.
        backoff_coefficient: Multiplier applied to the delay after each retry; >= 1.
        maximum_interval: Upper bound of the delay; ``None`` means 100 x ``initial_interval``
            (decided by the engine). Must not be below ``initial_interval``.
        maximum_attempts: Total attempts allowed, the first included; 0 means unlimited.
        non_retryable_error_types: Application error types (``ApplicationError.type``, or the
            class name of any other exception) that are never retried. Stored as a list.

    Raises:
        ValueError: On construction, if a value is out of range (the message names it).
        TypeError: On construction, if a value has the wrong type.
    """

    initial_interval: timedelta = timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    maximum_interval: timedelta | None = None
    maximum_attempts: int = 0
    non_retryable_error_types: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.initial_interval, timedelta):
            raise TypeError(
                f"RetryPolicy.initial_interval must be a timedelta, "
                f"got {type(self.initial_interval).__name__}"
            )
        if self.initial_interval < _ONE_US:
            raise ValueError(
                f"RetryPolicy.initial_interval must be at least 1 microsecond, "
                f"got {self.initial_interval}"
            )
        if isinstance(self.backoff_coefficient, bool) or not isinstance(
            self.backoff_coefficient, (int, float)
        ):
            raise TypeError(
                f"RetryPolicy.backoff_coefficient must be a number, "
                f"got {type(self.backoff_coefficient).__name__}"
            )
        if not math.isfinite(self.backoff_coefficient) or self.backoff_coefficient < 1.0:
            raise ValueError(
                f"RetryPolicy.backoff_coefficient must be a finite number >= 1, "
                f"got {self.backoff_coefficient}"
            )
        if self.maximum_interval is not None:
            if not isinstance(self.maximum_interval, timedelta):
                raise TypeError(
                    f"RetryPolicy.maximum_interval must be a timedelta or None, "
                    f"got {type(self.maximum_interval).__name__}"
                )
            if self.maximum_interval < timedelta(0):
                raise ValueError(
                    f"RetryPolicy.maximum_interval must not be negative, "
                    f"got {self.maximum_interval}"
                )
            if self.maximum_interval < self.initial_interval:
                raise ValueError(
                    f"RetryPolicy.maximum_interval ({self.maximum_interval}) must not be less "
                    f"than initial_interval ({self.initial_interval})"
                )
        if isinstance(self.maximum_attempts, bool) or not isinstance(self.maximum_attempts, int):
            raise TypeError(
                f"RetryPolicy.maximum_attempts must be an int, "
                f"got {type(self.maximum_attempts).__name__}"
            )
        if self.maximum_attempts < 0:
            raise ValueError(
                f"RetryPolicy.maximum_attempts must not be negative (0 = unlimited), "
                f"got {self.maximum_attempts}"
            )
        if self.maximum_attempts > _INT32_MAX:
            raise ValueError(
                f"RetryPolicy.maximum_attempts must be at most {_INT32_MAX}, "
                f"got {self.maximum_attempts}"
            )
        for name, td in (("initial_interval", self.initial_interval),
                         ("maximum_interval", self.maximum_interval)):
            if td is not None and td // _ONE_US > _INT64_MAX:
                raise ValueError(f"RetryPolicy.{name} is too large: {td}")
        if self.non_retryable_error_types is not None:
            types = self.non_retryable_error_types
            if isinstance(types, (str, bytes)):
                raise TypeError(
                    "RetryPolicy.non_retryable_error_types must be a sequence of strings, "
                    f"not a single string (did you mean [{types!r}]?)"
                )
            types = list(types)
            for t in types:
                if not isinstance(t, str) or not t:
                    raise TypeError(
                        "RetryPolicy.non_retryable_error_types must hold non-empty strings, "
                        f"got {t!r}"
                    )
            self.non_retryable_error_types = types

    def to_proto(self) -> common_pb2.RetryPolicy:
        """Build the wire form.

        Returns:
            A new ``durable.v1.RetryPolicy``; unset fields (``maximum_interval=None``) are 0.
        """
        from durable.v1 import common_pb2

        return common_pb2.RetryPolicy(
            initial_interval_us=timedelta_to_us(self.initial_interval),
            backoff_coefficient=float(self.backoff_coefficient),
            maximum_interval_us=timedelta_to_us(self.maximum_interval),
            maximum_attempts=self.maximum_attempts,
            non_retryable_error_types=list(self.non_retryable_error_types or ()),
        )

    @staticmethod
    def from_proto(proto: common_pb2.RetryPolicy) -> RetryPolicy:
        """Read the wire form; zero fields take their defaults.

        Args:
            proto: A ``durable.v1.RetryPolicy``.

        Returns:
            The policy. An empty ``non_retryable_error_types`` list becomes ``None``.

        Raises:
            ValueError: The proto holds out-of-range values (e.g. a negative interval).
        """
        return RetryPolicy(
            initial_interval=(
                us_to_timedelta(proto.initial_interval_us)
                if proto.initial_interval_us
                else timedelta(seconds=1)
            ),
            backoff_coefficient=proto.backoff_coefficient or 2.0,
            maximum_interval=us_to_optional_timedelta(proto.maximum_interval_us),
            maximum_attempts=proto.maximum_attempts,
            non_retryable_error_types=list(proto.non_retryable_error_types) or None,
        )


# --- Engine limits --------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineLimits:
    """Limits of the embedded engine (durable extension), for ``Client.connect(directory,
    limits=...)``; a durable-server takes the same as flags (``--max-history-events``, ...).
    Each field left ``None`` keeps the engine's default (Temporal's figures); 0 turns a check
    off. What each does when hit: docs/limits.md.
    """

    max_payload_bytes: int | None = None
    """Largest payload (argument, result, signal input, memo value). Default 2 MiB."""
    warn_payload_bytes: int | None = None
    """A payload over this is logged as a warning (the engine's stderr). Default 256 KiB."""
    max_history_events: int | None = None
    """A run whose history reaches this many events is terminated. Default 51200."""
    warn_history_events: int | None = None
    """From this many events: a warning, and continue-as-new is suggested. Default 10240."""
    max_history_bytes: int | None = None
    """As ``max_history_events``, in bytes. Default 50 MiB."""
    warn_history_bytes: int | None = None
    """As ``warn_history_events``, in bytes. Default 10 MiB."""
    max_id_length: int | None = None
    """Longest id, type, task queue or handler name. Default 1000."""
    max_pending_activities: int | None = None
    """Most pending activities per run. Default 2000."""
    max_pending_children: int | None = None
    """Most pending child workflows per run. Default 2000."""
    max_pending_signals: int | None = None
    """Most pending external signals per run. Default 2000."""
    max_pending_cancels: int | None = None
    """Most pending external cancel requests per run. Default 2000."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 0):
                raise ValueError(f"EngineLimits.{name} must be a whole number >= 0 "
                                 f"(0 = no limit), got {value!r}")


# --- Workflow id policies -------------------------------------------------------------------


class WorkflowIdReusePolicy(IntEnum):
    """Whether a new run may use the id of a *closed* workflow.

    Values match ``durable.v1.WorkflowIdReusePolicy``.
    """

    ALLOW_DUPLICATE = 1
    """A new run is allowed whatever the previous run's outcome (the default)."""
    ALLOW_DUPLICATE_FAILED_ONLY = 2
    """Allowed only if the previous run failed, was cancelled, terminated or timed out."""
    REJECT_DUPLICATE = 3
    """Never allowed."""
    TERMINATE_IF_RUNNING = 4
    """Terminate a running workflow with this id, then start (prefer the conflict policy)."""


class QueryRejectCondition(IntEnum):
    """When a query is refused instead of answered (``WorkflowHandle.query(reject_condition=)``,
    values as Temporal's)."""

    NONE = 1  # always answered
    NOT_OPEN = 2  # refused once the run is closed
    NOT_COMPLETED_CLEANLY = 3  # refused once the run closed other than by completing


class WorkflowIdConflictPolicy(IntEnum):
    """What to do when a workflow with the id is *running*.

    Values match ``durable.v1.WorkflowIdConflictPolicy``.
    """

    UNSPECIFIED = 0
    """The engine's default, which is ``FAIL``."""
    FAIL = 1
    """Fail the start with ``WorkflowAlreadyStartedError``."""
    USE_EXISTING = 2
    """Return a handle to the running workflow."""
    TERMINATE_EXISTING = 3
    """Terminate the running workflow and start a new one."""


# Spelling used by temporalio.common, so that ported code keeps working.
WorkflowIDReusePolicy = WorkflowIdReusePolicy
WorkflowIDConflictPolicy = WorkflowIdConflictPolicy


# Typed search attributes live in their own module; re-exported here (as temporalio.common).
from durable._search_attributes import (  # noqa: E402
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)


@dataclass(frozen=True)
class Priority:
    """A task priority, as temporalio's (``priority_key`` 1..n, smaller first;
    ``fairness_key`` / ``fairness_weight`` for fair shares). durable accepts it where
    temporalio does (``start_workflow(priority=...)``, ``WithStartWorkflowOperation``) and
    checks it, but does not record it: durable's task queues are dispatched in order, with no
    priorities (docs/temporal-compatibility.md)."""

    priority_key: int | None = None
    fairness_key: str | None = None
    fairness_weight: float | None = None

    default: ClassVar[Priority]

    def __post_init__(self) -> None:
        if self.priority_key is not None:
            if not isinstance(self.priority_key, int) or isinstance(self.priority_key, bool):
                raise TypeError("priority_key must be an integer")
            if self.priority_key < 1:
                raise ValueError("priority_key must be a positive integer")


Priority.default = Priority()
