"""Deadlock detection: workflow code that does not yield frees its lane anyway.

Workflow code runs on a lane thread inside ``WorkflowInstance.activate`` and must only
compute and await. A lane brackets each activation with ``with lane:`` (:meth:`LaneWatch.enter`
and :meth:`LaneWatch.leave`: a lock and a timestamp, cheap). The detector's thread looks at
every lane several times per timeout; a lane still inside one activation after the timeout
is taken over:

1. the stack of the lane thread is captured (where the code is stuck);
2. the lane is marked abandoned: from then on its thread must not respond, cache or unlock
   anything (``leave`` raises :class:`LaneAbandoned`);
3. :class:`DeadlockInterrupt` is raised in the stuck thread
   (``PyThreadState_SetAsyncExc``): a pure-Python loop unwinds at its next bytecode, code
   blocked in C (``time.sleep``, a lock) when that call returns - maybe never;
4. the worker's ``on_deadlock`` callback fails the task with the error, frees the run and
   starts a replacement lane thread, so other workflows keep their lanes and shutdown does
   not wait for the stuck thread (lane threads are daemons).

Off when the worker runs in debug mode (``Worker(debug_mode=True)`` or the environment
variable ``DURABLE_DEBUG`` / ``TEMPORAL_DEBUG``), and for a lane a debugger is stepping
through (a frame of the stuck thread has a trace function, or pydevd/debugpy is loaded).

Thread-safe: lanes, the detector thread and the worker's loop share ``LaneWatch`` objects.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import FrameType
from typing import Any

logger = logging.getLogger("durable.worker")

_WORKER_DIR = os.path.dirname(os.path.abspath(__file__))
_ASYNCIO_DIR = os.path.dirname(os.path.abspath(__import__("asyncio").__file__))


def debug_mode_from_env() -> bool:
    """Whether ``DURABLE_DEBUG`` (or temporalio's ``TEMPORAL_DEBUG``, for ported setups)
    asks for debug mode: any non-empty value, as in temporalio."""
    return bool(os.environ.get("DURABLE_DEBUG") or os.environ.get("TEMPORAL_DEBUG"))


class DeadlockInterrupt(BaseException):
    """Raised inside workflow code that did not yield in time (a BaseException, so that an
    ``except Exception`` in the stuck code does not swallow it)."""


class LaneAbandoned(BaseException):
    """The detector took this lane's task over; the lane thread ends without touching the
    run again."""


class Subject:
    """What a lane is working on: named in the error, and how to fail it."""

    __slots__ = ("workflow_type", "workflow_id", "run_id", "is_query", "task")

    def __init__(self, workflow_type: str, workflow_id: str, run_id: str, is_query: bool,
                 task: Any) -> None:
        self.workflow_type = workflow_type
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.is_query = is_query
        self.task = task  # the polled task (its token answers it)


class LaneWatch:
    """One lane thread as the detector sees it. Thread-safe."""

    __slots__ = ("thread", "thread_id", "name", "subject", "abandoned", "_lock", "_since",
                 "run_slot")

    def __init__(self, name: str) -> None:
        self.name = name
        self.thread: threading.Thread | None = None
        self.thread_id = 0  # set by the lane thread itself
        self.subject: Subject | None = None
        self.run_slot: Any = None  # the run lock the lane holds (released on takeover)
        self.abandoned = False
        self._lock = threading.Lock()
        self._since: float | None = None  # monotonic start of the current activation

    def enter(self) -> None:
        """Workflow code starts running on this lane."""
        with self._lock:
            if self.abandoned:
                raise LaneAbandoned()
            self._since = time.monotonic()

    def leave(self) -> None:
        """Workflow code yielded. Raises LaneAbandoned if the detector took the task over."""
        with self._lock:
            self._since = None
            if self.abandoned:
                raise LaneAbandoned()

    # ``with lane:`` brackets a run of workflow code (enter / leave).
    def __enter__(self) -> LaneWatch:
        self.enter()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.leave()

    def check_not_abandoned(self) -> None:
        """Raise LaneAbandoned if the detector took this lane's task over."""
        if self.abandoned:
            raise LaneAbandoned()

    def _take_over_if_stuck(self, now: float, timeout: float) -> TakeOver | None:
        """If workflow code has run longer than ``timeout``, mark the lane abandoned,
        interrupt its thread and return what it was doing; else None."""
        with self._lock:
            since = self._since
            if since is None or self.abandoned or now - since < timeout:
                return None
            frame = sys._current_frames().get(self.thread_id)
            if _being_debugged(frame):
                return None
            self.abandoned = True
            # Read before the interrupt: the thread may unwind (and clear them) right after.
            took = TakeOver(self, self.subject, self.run_slot, _workflow_stack(frame))
            del frame
            _raise_in_thread(self.thread_id, DeadlockInterrupt)
            return took


class TakeOver:
    """A lane the detector took over: its task, the run lock it held, where it was stuck."""

    __slots__ = ("lane", "subject", "run_slot", "stack")

    def __init__(self, lane: LaneWatch, subject: Subject | None, run_slot: Any,
                 stack: str) -> None:
        self.lane = lane
        self.subject = subject
        self.run_slot = run_slot
        self.stack = stack


class DeadlockDetector:
    """Watches lanes from its own daemon thread; calls ``on_deadlock(take_over, message)``
    (on that thread) for each lane it takes over.

    Args:
        timeout: Seconds one activation may run without yielding.
        on_deadlock: Fails the lane's task and replaces the lane; must not raise.
        name: The thread's name.
    """

    def __init__(self, timeout: float,
                 on_deadlock: Callable[[TakeOver, str], None], name: str) -> None:
        self._timeout = timeout
        self._on_deadlock = on_deadlock
        self._lanes: set[LaneWatch] = set()
        self._lanes_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        # Detection within a quarter of the timeout after it passes; idle cost is one
        # wakeup per interval.
        self._interval = min(max(timeout / 4, 0.01), 0.25)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def watch(self, lane: LaneWatch) -> None:
        with self._lanes_lock:
            self._lanes.add(lane)

    def unwatch(self, lane: LaneWatch) -> None:
        with self._lanes_lock:
            self._lanes.discard(lane)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.check(time.monotonic())

    def check(self, now: float) -> None:
        """Take over every lane stuck in workflow code for longer than the timeout."""
        with self._lanes_lock:
            lanes = list(self._lanes)
        for lane in lanes:
            took = lane._take_over_if_stuck(now, self._timeout)
            if took is None:
                continue
            self.unwatch(lane)
            try:
                self._on_deadlock(took, self.message(took.subject))
            except Exception:
                logger.exception("handling a deadlocked workflow task failed")

    def message(self, subject: Subject | None) -> str:
        who = (f"workflow {subject.workflow_type!r} (id {subject.workflow_id!r}, run "
               f"{subject.run_id!r})" if subject is not None else "workflow")
        return (f"Potential deadlock detected: {who} didn't yield within "
                f"{self._timeout:g} second(s). Workflow code must not block or loop without "
                "awaiting; do blocking work in an activity. The stack where it was stuck is "
                "in the failure's stack trace")


def _being_debugged(frame: FrameType | None) -> bool:
    """A debugger steps through this thread (pdb sets frame trace functions; debugpy and
    PyCharm load pydevd)."""
    if "pydevd" in sys.modules:
        return True
    while frame is not None:
        if frame.f_trace is not None:
            return True
        frame = frame.f_back
    return False


def _workflow_stack(frame: FrameType | None) -> str:
    """The stuck thread's stack from the first frame of workflow code inward (the lane's own
    frames and the event loop's dispatch frames left out)."""
    if frame is None:
        return "(the thread's stack is not available)"
    frames: list[FrameType] = []
    f: FrameType | None = frame
    while f is not None:
        frames.append(f)
        f = f.f_back
    frames.reverse()  # outermost first
    start = 0
    for i, fr in enumerate(frames):
        if fr.f_code.co_name == "activate" and _in_dir(fr, _WORKER_DIR):
            start = i + 1  # the innermost activate(): workflow code runs below it
    while start < len(frames) - 1 and (_in_dir(frames[start], _WORKER_DIR)
                                       or _in_dir(frames[start], _ASYNCIO_DIR)):
        start += 1
    summary = traceback.StackSummary.extract(
        ((fr, fr.f_lineno) for fr in frames[start:]), capture_locals=False)
    return "".join(summary.format())


def _in_dir(frame: FrameType, directory: str) -> bool:
    return os.path.abspath(frame.f_code.co_filename).startswith(directory + os.sep)


def _raise_in_thread(thread_id: int, exc_type: type[BaseException]) -> None:
    n = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                   ctypes.py_object(exc_type))
    if n > 1:  # cannot happen for one id; undo rather than interrupt unknown threads
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)
