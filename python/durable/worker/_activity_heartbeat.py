"""Throttled heartbeats of one activity attempt (worker side).

The first heartbeat is sent at once; later ones at most every ``interval`` seconds (0.8 x
the heartbeat timeout, or 30 s without one, as in Temporal). Details recorded in between
replace each other: the latest is sent when the interval ends, so the engine always gets
the latest details eventually. Lives on the worker's event loop; not thread-safe (callers
on other threads use ``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

logger = logging.getLogger("durable.worker")

DEFAULT_THROTTLE_S = 30.0
"""Throttle interval when the activity has no heartbeat timeout."""
MAX_THROTTLE_S = 60.0
"""Upper bound of the throttle interval."""


def throttle_interval(heartbeat_timeout: timedelta | None) -> float:
    """Seconds between two heartbeats sent to the engine for this heartbeat timeout."""
    if heartbeat_timeout is None or heartbeat_timeout <= timedelta(0):
        return DEFAULT_THROTTLE_S
    return min(heartbeat_timeout.total_seconds() * 0.8, MAX_THROTTLE_S)


class Heartbeater:
    """Sends one attempt's heartbeats through ``send``, throttled.

    Args:
        send: Sends one heartbeat's details to the engine (and handles the answer).
        interval: Minimum seconds between two sends.
    """

    def __init__(self, send: Callable[[Sequence[Any]], Awaitable[None]], interval: float) -> None:
        self._send = send
        self._interval = interval
        self._latest: Sequence[Any] | None = None  # details recorded, maybe not yet sent
        self._pending = False  # _latest was not sent yet
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def latest(self) -> Sequence[Any] | None:
        """The latest recorded details (sent or not), None if the attempt never heartbeat."""
        return self._latest

    def record(self, details: Sequence[Any]) -> None:
        """Record details; sends now, or when the current interval ends."""
        if self._closed:
            return
        self._latest = tuple(details)
        self._pending = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(),
                                                                name="activity heartbeats")

    async def _run(self) -> None:
        try:
            while self._pending and not self._closed:
                self._pending = False
                details = self._latest or ()
                try:
                    await self._send(details)
                except Exception as e:  # never let a heartbeat kill the attempt
                    logger.warning("activity heartbeat failed: %s", e)
                await asyncio.sleep(self._interval)
        finally:
            self._task = None

    def close(self) -> None:
        """Stop sending (the attempt is over)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            self._task = None
