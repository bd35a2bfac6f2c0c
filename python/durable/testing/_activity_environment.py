"""ActivityEnvironment: run one activity function alone, without an engine or a worker."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from durable import activity

__all__ = ["ActivityEnvironment", "default_info"]

_DEFAULT_TYPE = "unknown"


def default_info() -> activity.Info:
    """The ``activity.info()`` an :class:`ActivityEnvironment` gives unless told otherwise.

    Returns:
        Attempt 1 of activity ``"test"`` of workflow ``"test"``, scheduled and started now,
        with one-second start-to-close and schedule-to-close timeouts.
    """
    now = datetime.now(timezone.utc)
    return activity.Info(
        activity_id="test",
        activity_type=_DEFAULT_TYPE,
        attempt=1,
        current_attempt_scheduled_time=now,
        heartbeat_details=[],
        heartbeat_timeout=None,
        is_local=False,
        schedule_to_close_timeout=timedelta(seconds=1),
        scheduled_time=now,
        start_to_close_timeout=timedelta(seconds=1),
        started_time=now,
        task_queue="test",
        task_token=b"test",
        workflow_id="test",
        workflow_namespace="default",
        workflow_run_id="test-run",
        workflow_type="test",
    )


class ActivityEnvironment:
    """Runs activity functions as a worker would, but alone: for unit tests of activities.

    Attributes:
        info: What ``activity.info()`` returns (:func:`default_info`; its
            ``activity_type`` becomes the activity's name when left at the default).
        on_heartbeat: Called with the details of each ``activity.heartbeat(*details)``.

    Example::

        env = ActivityEnvironment()
        beats = []
        env.on_heartbeat = lambda *details: beats.append(details)
        assert await env.run(my_async_activity, "x") == "done"
        assert env.run(my_sync_activity, 2) == 4
    """

    def __init__(self, client: Any = None) -> None:
        """Args:
            client: What ``activity.client()`` returns in ``async def`` activities (as
                temporalio; without one it raises ``RuntimeError``).
        """
        self.info: activity.Info = default_info()
        self._client = client
        self.on_heartbeat: Callable[..., None] = lambda *details: None
        self._lock = threading.Lock()
        self._cancelled = False
        self._worker_shutdown = False
        self._running: list[tuple[activity._Context, asyncio.Task[Any] | None,
                                  asyncio.AbstractEventLoop | None]] = []

    @staticmethod
    def default_info() -> activity.Info:
        """The ``activity.info()`` of a new environment (see :func:`default_info`)."""
        return default_info()

    def cancel(self) -> None:
        """Request cancellation of the running activity (or of the next one to run).

        Async activities get ``asyncio.CancelledError`` at their current ``await``; every
        activity sees ``activity.is_cancelled()`` become True and
        ``activity.wait_for_cancelled()`` return. Safe to call from any thread (and from
        ``on_heartbeat``).
        """
        with self._lock:
            self._cancelled = True
            running = list(self._running)
        for ctx, task, loop in running:
            _set_cancelled(ctx)
            if task is not None and loop is not None:
                loop.call_soon_threadsafe(task.cancel)

    def worker_shutdown(self) -> None:
        """Tell the running activity (or the next one) that its worker is shutting down.

        ``activity.is_worker_shutdown()`` becomes True and
        ``activity.wait_for_worker_shutdown()`` returns. Safe to call from any thread.

        Raises:
            NotImplementedError: This durable has no worker-shutdown notification.
        """
        with self._lock:
            self._worker_shutdown = True
            running = list(self._running)
        for ctx, _, _ in running:
            _set_worker_shutdown(ctx)

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run an activity function with this environment's context.

        As in the Temporal SDK, an ``async`` function returns a coroutine to await and a
        plain function runs at once in the calling thread and returns its result.

        Args:
            fn: The activity (``@activity.defn`` or any function).
            args: Its arguments.
            kwargs: Its keyword arguments.

        Returns:
            The coroutine (async ``fn``) or the result (plain ``fn``).

        Raises:
            ValueError: ``fn`` is not callable.
            Exception: Whatever the (plain) function raises.
        """
        if not callable(fn):
            raise ValueError(f"ActivityEnvironment.run needs a function, got {fn!r}")
        ctx = activity._Context(self._info_for(fn), self._heartbeat)
        target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else getattr(
            fn, "__call__", fn)
        if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(target):
            ctx.client = self._client  # only async activities have a client (temporalio)
            return self._run_async(ctx, fn, args, kwargs)
        entry: tuple[activity._Context, asyncio.Task[Any] | None,
                     asyncio.AbstractEventLoop | None] = (ctx, None, None)
        self._start(entry)
        token = activity._Context._var.set(ctx)
        try:
            return fn(*args, **kwargs)
        finally:
            activity._Context._var.reset(token)
            self._finish(entry)

    async def _run_async(self, ctx: activity._Context, fn: Callable[..., Any],
                         args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        async def call() -> Any:
            activity._Context._var.set(ctx)  # the task runs in a copy of the context
            return await fn(*args, **kwargs)

        task = asyncio.ensure_future(call())
        entry = (ctx, task, asyncio.get_running_loop())
        self._start(entry)
        try:
            return await task
        finally:
            self._finish(entry)

    def _start(self, entry: tuple[activity._Context, asyncio.Task[Any] | None,
                                  asyncio.AbstractEventLoop | None]) -> None:
        with self._lock:
            self._running.append(entry)
            cancelled = self._cancelled
            shutdown = self._worker_shutdown
        if shutdown:
            _set_worker_shutdown(entry[0])
        if cancelled:
            _set_cancelled(entry[0])
            if entry[1] is not None:
                entry[1].cancel()

    def _finish(self, entry: tuple[activity._Context, asyncio.Task[Any] | None,
                                   asyncio.AbstractEventLoop | None]) -> None:
        with self._lock:
            self._running.remove(entry)

    def _info_for(self, fn: Callable[..., Any]) -> activity.Info:
        d = activity._Definition.from_callable(fn)
        if d is not None and self.info.activity_type == _DEFAULT_TYPE:
            from dataclasses import replace

            return replace(self.info, activity_type=d.name)
        return self.info

    def _heartbeat(self, *details: Any) -> None:
        self.on_heartbeat(*details)


def _set_cancelled(ctx: activity._Context) -> None:
    if len(inspect.signature(ctx.set_cancelled).parameters) >= 1:
        ctx.set_cancelled("cancel_requested")  # type: ignore[call-arg]
    else:
        ctx.set_cancelled()  # type: ignore[call-arg]


def _set_worker_shutdown(ctx: activity._Context) -> None:
    setter = getattr(ctx, "set_worker_shutdown", None)
    if setter is None:
        raise NotImplementedError("activities of this durable version cannot be told of a "
                                  "worker shutdown")
    setter()
