"""Process-pool activities: heartbeats and cancellation across the process boundary.

A sync activity run on a ``ProcessPoolExecutor`` lives in another process: its
``activity.heartbeat()`` puts ``(task_token, details)`` on a queue owned by a
multiprocessing manager, which a thread of the worker process drains into the worker's
normal heartbeat path; cancellation and worker shutdown are manager ``Event`` proxies the
activity process reads (``activity.is_cancelled()``). Mirrors temporalio's
``SharedStateManager``.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing.managers
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from durable import activity

logger = logging.getLogger("durable.worker")

__all__ = ["SharedHeartbeatSender", "SharedStateManager"]


class SharedHeartbeatSender(ABC):
    """Sends heartbeats from an activity process (picklable)."""

    @abstractmethod
    def send_heartbeat(self, task_token: bytes, details: Sequence[Any]) -> None:
        """Send one heartbeat of the activity attempt ``task_token``."""


class SharedStateManager(ABC):
    """What a worker needs to run sync activities in other processes.

    Create one with :meth:`create_from_multiprocessing` and pass it as the Worker's
    ``shared_state_manager`` together with a ``ProcessPoolExecutor``.
    """

    @staticmethod
    def create_from_multiprocessing(
        mgr: multiprocessing.managers.SyncManager,
        queue_poller_executor: concurrent.futures.Executor | None = None,
    ) -> SharedStateManager:
        """A manager backed by a started ``multiprocessing.Manager()``.

        Args:
            mgr: A started SyncManager (``multiprocessing.Manager()``); the caller shuts it
                down after the worker.
            queue_poller_executor: Runs the thread that drains heartbeats; a new
                single-thread executor when None.

        Returns:
            The shared state manager.

        Raises:
            TypeError: ``mgr`` is not a SyncManager.
        """
        if not isinstance(mgr, multiprocessing.managers.SyncManager):
            raise TypeError("create_from_multiprocessing needs a multiprocessing SyncManager "
                            f"(multiprocessing.Manager()), got {mgr!r}")
        return _MultiprocessingSharedStateManager(mgr, queue_poller_executor)

    @abstractmethod
    def new_event(self) -> activity._EventLike:
        """A new event that can be set in this process and read in the activity process."""

    @abstractmethod
    def register_heartbeater(self, task_token: bytes,
                             heartbeat: Callable[[Sequence[Any]], None]
                             ) -> SharedHeartbeatSender:
        """Route heartbeats of ``task_token`` to ``heartbeat`` (called on a thread)."""

    @abstractmethod
    def unregister_heartbeater(self, task_token: bytes) -> None:
        """Stop routing heartbeats of ``task_token``."""


class _MultiprocessingSharedStateManager(SharedStateManager):
    def __init__(self, mgr: multiprocessing.managers.SyncManager,
                 poller: concurrent.futures.Executor | None) -> None:
        self._mgr = mgr
        self._queue: Any = mgr.Queue()
        self._sender = _QueueHeartbeatSender(self._queue)
        self._poller = poller
        self._own_poller = poller is None
        self._lock = threading.Lock()
        self._heartbeaters: dict[bytes, Callable[[Sequence[Any]], None]] = {}
        self._polling = False

    def new_event(self) -> activity._EventLike:
        return self._mgr.Event()  # type: ignore[no-any-return]

    def register_heartbeater(self, task_token: bytes,
                             heartbeat: Callable[[Sequence[Any]], None]
                             ) -> SharedHeartbeatSender:
        with self._lock:
            self._heartbeaters[task_token] = heartbeat
            if not self._polling:
                self._polling = True
                if self._poller is None:
                    self._poller = concurrent.futures.ThreadPoolExecutor(
                        max_workers=1, thread_name_prefix="durable-heartbeat-queue")
                self._poller.submit(self._drain)
        return self._sender

    def unregister_heartbeater(self, task_token: bytes) -> None:
        with self._lock:
            self._heartbeaters.pop(task_token, None)

    def _drain(self) -> None:
        """Deliver queued heartbeats while any activity is registered."""
        try:
            while True:
                with self._lock:
                    if not self._heartbeaters:
                        self._polling = False
                        return
                try:
                    token, details = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                with self._lock:
                    fn = self._heartbeaters.get(token)
                if fn is not None:
                    fn(details)
        except Exception as e:  # the manager went away: nothing more can arrive
            logger.warning("heartbeat queue of the process-pool activities failed: %s", e)
            with self._lock:
                self._polling = False


class _QueueHeartbeatSender(SharedHeartbeatSender):
    def __init__(self, q: Any) -> None:
        self._queue = q

    def send_heartbeat(self, task_token: bytes, details: Sequence[Any]) -> None:
        self._queue.put((task_token, tuple(details)))


class _ProcessHeartbeat:
    """The ``heartbeat`` callable installed in an activity process (picklable)."""

    def __init__(self, sender: SharedHeartbeatSender, task_token: bytes) -> None:
        self._sender = sender
        self._token = task_token

    def __call__(self, *details: Any) -> None:
        self._sender.send_heartbeat(self._token, details)


def _execute_in_process(info: activity.Info, heartbeat: _ProcessHeartbeat,
                        cancelled: activity._EventLike, worker_shutdown: activity._EventLike,
                        fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """Runs in the activity process: installs the activity context and calls ``fn``."""
    ctx = activity._Context(info, heartbeat, cancelled=cancelled,
                            worker_shutdown=worker_shutdown)
    token = activity._Context._var.set(ctx)
    try:
        return fn(*args)
    finally:
        activity._Context._var.reset(token)
