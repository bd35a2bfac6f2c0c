"""Activity definitions and the calls activity code makes (mirrors ``temporalio.activity``).

An activity is a function decorated with :func:`defn`: ``async def`` functions run on the
worker's event loop, plain functions on the worker's ``activity_executor`` (a thread pool,
or a process pool with a ``SharedStateManager``).
Activities may do anything (I/O, clocks, randomness); they are retried by the engine
according to their retry policy, so make them idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import inspect
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol, TypeVar, overload

from durable._metrics import MetricMeter

__all__ = [
    "ActivityCancellationDetails",
    "Info",
    "cancellation_details",
    "client",
    "defn",
    "heartbeat",
    "in_activity",
    "info",
    "is_cancelled",
    "is_worker_shutdown",
    "logger",
    "metric_meter",
    "payload_converter",
    "raise_complete_async",
    "shield_thread_cancel_exception",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
]

CallableType = TypeVar("CallableType", bound=Callable[..., Any])

_DEFN_ATTR = "__durable_activity_definition"
_DYNAMIC_KEY = ""  # where workers file the dynamic activity (no activity has an empty name)


@dataclass(frozen=True)
class _Definition:
    """What the worker needs to know about an activity function."""

    name: str
    fn: Callable[..., Any]
    is_async: bool
    arg_types: list[Any] | None
    ret_type: Any
    no_thread_cancel_exception: bool = False
    dynamic: bool = False  # runs activity types no other activity of the worker has

    @staticmethod
    def from_callable(fn: Any) -> _Definition | None:
        d = getattr(fn, _DEFN_ATTR, None)
        if d is None and inspect.ismethod(fn):  # a bound method of a decorated function
            d = getattr(fn.__func__, _DEFN_ATTR, None)
        if not isinstance(d, _Definition):
            return None
        if isinstance(d.fn, type) and isinstance(fn, d.fn):
            # @activity.defn on a callable class, registered as an instance
            # (activities=[MyActivity(db)]): call the instance.
            return dataclasses.replace(d, fn=fn)
        if inspect.ismethod(fn) and d.fn is fn.__func__:
            # @activity.defn on a method, registered bound (activities=[obj.method]): call
            # the bound method, and type the arguments without ``self``.
            from durable.workflow import _type_hints

            arg_types, ret_type = _type_hints(fn, skip_first=False)
            d = dataclasses.replace(d, fn=fn, arg_types=arg_types, ret_type=ret_type)
        return d

    @staticmethod
    def must_from_callable(fn: Any) -> _Definition:
        d = _Definition.from_callable(fn)
        if d is None:
            raise ValueError(
                f"{getattr(fn, '__qualname__', fn)!r} is not an activity: "
                "decorate it with @activity.defn"
            )
        return d


@overload
def defn(fn: CallableType) -> CallableType: ...


@overload
def defn(*, name: str | None = None, no_thread_cancel_exception: bool = False,
         dynamic: bool = False) -> Callable[[CallableType], CallableType]: ...


def defn(
    fn: CallableType | None = None, *, name: str | None = None,
    no_thread_cancel_exception: bool = False, dynamic: bool = False,
) -> CallableType | Callable[[CallableType], CallableType]:
    """Decorate a function as an activity.

    Args:
        fn: The function (when used without parentheses).
        name: The activity type name; defaults to the function's ``__name__``.
        no_thread_cancel_exception: For a sync activity in a thread pool: do not raise
            ``CancelledError`` inside its thread when it is cancelled (it then only sees
            :func:`is_cancelled`).
        dynamic: A dynamic activity (as temporalio): the worker runs it for every activity
            type it has no other activity for. It takes one parameter, a
            ``Sequence[RawValue]`` (decode with :func:`payload_converter`); its type is
            ``info().activity_type``. Not with ``name``.

    Returns:
        The function, unchanged but for the attached definition.

    Raises:
        ValueError: ``fn`` is not callable, is an async generator, the name is empty, or a
            dynamic activity has a name or does not take exactly one parameter.
    """

    def decorator(f: CallableType) -> CallableType:
        from durable.workflow import _type_hints

        if not callable(f):
            raise ValueError(f"@activity.defn decorates a function, got {f!r}")
        if inspect.isasyncgenfunction(f) or inspect.isgeneratorfunction(f):
            raise ValueError(
                f"activity {getattr(f, '__qualname__', f)!r} is a generator; "
                "an activity must return its result"
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"activity name must be a non-empty string, got {name!r}")
        target = f.__call__ if not inspect.isfunction(f) and not inspect.ismethod(f) else f
        is_async = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(f)
        # A callable class: type the arguments of __call__ without self.
        arg_types, ret_type = _type_hints(
            target, skip_first=inspect.ismethod(target) or isinstance(f, type))
        if dynamic:
            if name is not None:
                raise ValueError(f"dynamic activity {getattr(f, '__qualname__', f)!r} cannot "
                                 "also have a name")
            if arg_types is None or len(arg_types) != 1:
                raise ValueError(f"dynamic activity {getattr(f, '__qualname__', f)!r} must take "
                                 "one parameter: args: Sequence[RawValue]")
            arg_types = None  # the worker passes the undecoded payloads
        act_name = name or getattr(f, "__name__", None)
        if not act_name:
            raise ValueError(f"activity {f!r} has no __name__: pass name=")
        d = _Definition(name=act_name, fn=f, is_async=is_async, arg_types=arg_types,
                        ret_type=ret_type,
                        no_thread_cancel_exception=bool(no_thread_cancel_exception),
                        dynamic=bool(dynamic))
        setattr(f, _DEFN_ATTR, d)
        return f

    if fn is not None:
        return decorator(fn)
    return decorator


@dataclass(frozen=True)
class Info:
    """Information about the running activity attempt (see :func:`info`)."""

    activity_id: str
    activity_type: str
    attempt: int
    current_attempt_scheduled_time: datetime
    heartbeat_details: Sequence[Any]
    heartbeat_timeout: timedelta | None
    is_local: bool
    schedule_to_close_timeout: timedelta | None
    scheduled_time: datetime
    start_to_close_timeout: timedelta | None
    started_time: datetime
    task_queue: str
    task_token: bytes
    workflow_id: str
    workflow_namespace: str
    workflow_run_id: str
    workflow_type: str


@dataclass(frozen=True)
class ActivityCancellationDetails:
    """Why the attempt was cancelled (see :func:`cancellation_details`); set once.

    ``paused`` and ``reset`` exist for temporalio code and are always False (durable has no
    activity pause or reset).
    """

    not_found: bool = False
    cancel_requested: bool = False
    paused: bool = False
    reset: bool = False
    timed_out: bool = False
    worker_shutdown: bool = False


class _EventLike(Protocol):
    """``threading.Event`` or a multiprocessing manager's Event proxy."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class _CompleteAsyncError(BaseException):
    """Raised by :func:`raise_complete_async`; the worker then sends no result."""


class _Context:
    """Per-attempt state the worker installs for activity code (in a contextvar).

    In a process-pool activity the events are multiprocessing manager proxies and
    ``heartbeat`` is a picklable sender; the rest stays in the worker process.
    """

    def __init__(self, info: Info, heartbeat: Callable[..., None], *,
                 cancelled: _EventLike | None = None,
                 worker_shutdown: _EventLike | None = None) -> None:
        self.info = info
        self.heartbeat = heartbeat
        self.cancelled: _EventLike = cancelled if cancelled is not None else threading.Event()
        self.worker_shutdown: _EventLike = (
            worker_shutdown if worker_shutdown is not None else threading.Event())
        self.cancel_reason = ""  # "cancel_requested", "timed_out", "not_found", "worker_shutdown"
        self.client: Any = None  # the worker's client, for async activities (client())
        self.payload_converter: Any = None  # the worker's (payload_converter())
        # Set by a worker that raises CancelledError inside sync activity threads: a context
        # manager delaying that exception to the end of the block. None: nothing to shield.
        self.shield_thread_cancel_exception: Callable[[], contextlib.AbstractContextManager[None]] | None = None
        self.cancel_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.shutdown_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        # The worker's meter with this activity's attributes (noop without metrics).
        self.metric_meter: MetricMeter = MetricMeter.noop

    def set_cancelled(self, reason: str) -> None:
        if self.cancelled.is_set():
            return
        self.cancel_reason = reason
        self.cancelled.set()
        _wake(self.cancel_waiters)

    def set_worker_shutdown(self) -> None:
        if self.worker_shutdown.is_set():
            return
        self.worker_shutdown.set()
        _wake(self.shutdown_waiters)

    _var: contextvars.ContextVar[_Context] = contextvars.ContextVar("durable_activity")

    @staticmethod
    def current() -> _Context:
        ctx = _Context._var.get(None)
        if ctx is None:
            raise RuntimeError("not in an activity")
        return ctx


def _wake(waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]) -> None:
    for loop, fut in waiters:
        loop.call_soon_threadsafe(lambda f=fut: f.done() or f.set_result(None))
    waiters.clear()


def client() -> Any:
    """The client of the worker running this activity (a ``durable.client.Client``), to
    start, signal or query workflows from the activity.

    Only in ``async def`` activities, as in temporalio; in tests pass ``client=`` to
    ``testing.ActivityEnvironment``.

    Raises:
        RuntimeError: Not in an activity, or no client is available (a ``def`` activity).
    """
    c = _Context.current().client
    if c is None:
        raise RuntimeError("no client available: the client is only available in `async def` "
                           "activities, not in `def` activities (in tests pass client= to "
                           "ActivityEnvironment)")
    return c


def payload_converter() -> Any:
    """The payload converter of the worker running this activity (to decode the
    ``RawValue`` arguments of a dynamic activity)."""
    pc = _Context.current().payload_converter
    if pc is None:
        from durable.converter import DataConverter

        pc = DataConverter.default.payload_converter
    return pc


def in_activity() -> bool:
    """Whether the caller runs inside an activity."""
    return _Context._var.get(None) is not None


def info() -> Info:
    """Information about the running activity attempt.

    Raises:
        RuntimeError: Not called from an activity.
    """
    return _Context.current().info


def heartbeat(*details: Any) -> None:
    """Report progress; ``details`` are kept and given to the next attempt after a retry
    (``info().heartbeat_details``).

    Never blocks: the worker sends heartbeats in the background, throttled to one every
    0.8 x ``heartbeat_timeout`` (30 s without a heartbeat timeout); the latest details are
    always sent eventually, and with a failure. A heartbeat's answer delivers cancellation
    (see :func:`is_cancelled`), so an activity that wants to be cancellable heartbeats.
    In a process-pool activity the details must be picklable.

    Raises:
        RuntimeError: Not called from an activity.
    """
    _Context.current().heartbeat(*details)


def is_cancelled() -> bool:
    """Whether this attempt was cancelled: cancellation requested by the workflow (learned
    through a heartbeat), the attempt timed out or is no longer known to the engine, or the
    worker's graceful shutdown timeout passed.

    Raises:
        RuntimeError: Not called from an activity.
    """
    return _Context.current().cancelled.is_set()


async def wait_for_cancelled() -> None:
    """Wait until this (async) activity is cancelled (see :func:`is_cancelled`).

    Raises:
        RuntimeError: Not called from an activity.
    """
    ctx = _Context.current()
    await _wait_event(ctx.cancelled, ctx.cancel_waiters)


def wait_for_cancelled_sync(timeout: timedelta | float | None = None) -> None:
    """Block until this (sync) activity is cancelled or ``timeout`` passes.

    Args:
        timeout: Longest wait (seconds or timedelta); None waits forever.

    Raises:
        RuntimeError: Not called from an activity.
    """
    _Context.current().cancelled.wait(_seconds(timeout))


def cancellation_details() -> ActivityCancellationDetails | None:
    """Why this attempt was cancelled, or None while it is not.

    Raises:
        RuntimeError: Not called from an activity.
    """
    ctx = _Context.current()
    if not ctx.cancelled.is_set():
        return None
    reason = ctx.cancel_reason
    return ActivityCancellationDetails(
        not_found=reason == "not_found", cancel_requested=reason == "cancel_requested",
        timed_out=reason == "timed_out", worker_shutdown=reason == "worker_shutdown")


def is_worker_shutdown() -> bool:
    """Whether the worker running this activity is shutting down.

    Raises:
        RuntimeError: Not called from an activity.
    """
    return _Context.current().worker_shutdown.is_set()


async def wait_for_worker_shutdown() -> None:
    """Wait until the worker running this (async) activity starts shutting down.

    Raises:
        RuntimeError: Not called from an activity.
    """
    ctx = _Context.current()
    await _wait_event(ctx.worker_shutdown, ctx.shutdown_waiters)


def wait_for_worker_shutdown_sync(timeout: timedelta | float | None = None) -> None:
    """Block until the worker starts shutting down or ``timeout`` passes.

    Raises:
        RuntimeError: Not called from an activity.
    """
    _Context.current().worker_shutdown.wait(_seconds(timeout))


@contextlib.contextmanager
def shield_thread_cancel_exception() -> Iterator[None]:
    """A ``with`` block that a cancellation raised inside a sync activity's thread does not
    interrupt: the ``CancelledError`` is raised when the (outermost) block ends instead.

    As in temporalio, it shields only where the worker raises cancellation inside the
    activity's thread (sync activities in a thread pool); elsewhere (async activities,
    process-pool activities, ``no_thread_cancel_exception=True``) the block runs with no
    other effect.

    Raises:
        RuntimeError: Not called from an activity.
    """
    shield = _Context.current().shield_thread_cancel_exception
    if shield is None:
        yield
    else:
        with shield():
            yield


def metric_meter() -> MetricMeter:
    """The activity's metric meter (temporalio's interface).

    It records into the worker's client's ``durable.runtime.Runtime`` (Prometheus, see
    docs/metrics.md) with the attributes namespace, task_queue and activity_type; without
    metrics (the default runtime, or a process-pool activity) it is ``MetricMeter.noop``,
    which checks its input and records nothing.

    Raises:
        RuntimeError: Not called from an activity.
    """
    return _Context.current().metric_meter


def raise_complete_async() -> NoReturn:
    """End this activity function without completing the activity.

    The worker sends no result; something else completes the activity later with
    ``Client.get_async_activity_handle(...)`` (by ``info().task_token`` or by workflow and
    activity id) — within the activity's timeouts.

    Raises:
        RuntimeError: Not called from an activity.
        BaseException: Always (a private signal to the worker: let it propagate).
    """
    _Context.current()
    raise _CompleteAsyncError()


async def _wait_event(event: _EventLike,
                      waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]
                      ) -> None:
    if event.is_set():
        return
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()
    waiters.append((loop, fut))
    if event.is_set():  # set between the check and the registration
        return
    await fut


def _seconds(timeout: timedelta | float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be seconds or a timedelta, got {timeout!r}")
    return float(timeout)


class LoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger that adds the activity's ids to each record."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        ctx = _Context._var.get(None)
        if ctx is not None:
            i = ctx.info
            extra: Mapping[str, Any] = {
                "activity_id": i.activity_id,
                "activity_type": i.activity_type,
                "attempt": i.attempt,
                "workflow_id": i.workflow_id,
                "workflow_run_id": i.workflow_run_id,
            }
            kwargs["extra"] = {**extra, "durable_activity": extra, **(kwargs.get("extra") or {})}
            msg = f"{msg} ({{'activity_type': {i.activity_type!r}, 'activity_id': {i.activity_id!r}, 'workflow_id': {i.workflow_id!r}, 'attempt': {i.attempt}}})"
        return msg, kwargs

    @property
    def base_logger(self) -> logging.Logger:
        """The wrapped logger."""
        return self.logger


logger = LoggerAdapter(logging.getLogger("durable.activity"))
"""Logger for activity code: adds the activity's ids."""
