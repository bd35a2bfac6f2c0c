"""Raises a cancellation inside the thread running a sync activity (as temporalio does).

A thread cannot be interrupted from outside, but CPython can schedule an exception in
another thread (``PyThreadState_SetAsyncExc``): it is raised when that thread next runs
Python bytecode (a blocking C call such as ``time.sleep`` finishes first). The worker
raises ``durable.exceptions.CancelledError`` this way when an attempt is cancelled (a
heartbeat's answer, a local deadline, the graceful shutdown timeout).

``shielded()`` delays the exception to the end of the outermost shielded block
(``activity.shield_thread_cancel_exception()``). Once the activity function returned the
thread is no longer targeted, so the exception never reaches the pool's next task.
Thread-safe: every method may be called from any thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Iterator


def _raise_in(thread_id: int, exc_type: type[BaseException]) -> None:
    n = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                   ctypes.py_object(exc_type))
    if n > 1:  # cannot happen with a valid id; undo rather than hit several threads
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)


class ThreadExceptionRaiser:
    """Targets one activity attempt's thread while it runs the activity function."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self._pending: type[BaseException] | None = None
        self._shield_depth = 0

    @contextlib.contextmanager
    def active_thread(self) -> Iterator[None]:
        """Run the block (the activity function) as the thread to raise into."""
        tid = threading.get_ident()
        with self._lock:
            self._thread_id = tid
            self._raise_if_pending()  # cancelled before the thread started
        try:
            yield
        finally:
            with self._lock:
                self._thread_id = None
                self._pending = None

    def raise_in_thread(self, exc_type: type[BaseException]) -> None:
        """Raise ``exc_type`` in the thread now, or when it starts or leaves its shield."""
        with self._lock:
            self._pending = exc_type
            self._raise_if_pending()

    @contextlib.contextmanager
    def shielded(self) -> Iterator[None]:
        """A block the exception does not interrupt; it is raised when the block ends."""
        with self._lock:
            self._shield_depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._shield_depth -= 1
                self._raise_if_pending()

    def _raise_if_pending(self) -> None:
        if self._thread_id is not None and self._shield_depth == 0 and self._pending:
            _raise_in(self._thread_id, self._pending)
            self._pending = None
