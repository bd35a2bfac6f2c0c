"""Helpers for tests that assert on event histories."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any


async def event_types(handle: Any) -> list[str]:
    """The run's event types in order (``workflow_execution_started``, ...)."""
    history = await handle.fetch_history()
    return [e.WhichOneof("attributes") for e in history.events]


def assert_in_order(kinds: Sequence[str], expected: Sequence[str]) -> None:
    """Assert that ``expected`` occurs in ``kinds`` in this order (other events may interleave)."""
    it = iter(enumerate(kinds))
    for want in expected:
        for _, k in it:
            if k == want:
                break
        else:
            raise AssertionError(f"{want!r} missing (in order {list(expected)}) from {list(kinds)}")


def commands_only(kinds: Sequence[str]) -> list[str]:
    """``kinds`` without workflow task bookkeeping events."""
    return [k for k in kinds if not k.startswith("workflow_task_")]


async def wait_for_event(handle: Any, kind: str, timeout: float = 30.0) -> Any:
    """Poll the history until an event of ``kind`` appears; return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        history = await handle.fetch_history()
        for e in history.events:
            if e.WhichOneof("attributes") == kind:
                return e
        if loop.time() > deadline:
            kinds = [e.WhichOneof("attributes") for e in history.events]
            raise AssertionError(f"no {kind} event within {timeout}s; history: {kinds}")
        await asyncio.sleep(0.02)
