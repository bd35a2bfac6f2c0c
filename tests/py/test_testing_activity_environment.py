"""ActivityEnvironment: activities run alone, with heartbeats captured and cancellation."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from typing import Any

import pytest

from durable import activity
from durable.testing import ActivityEnvironment, default_info


@activity.defn
async def count_to(n: int) -> str:
    for i in range(n):
        activity.heartbeat(i, f"step {i}")
        await asyncio.sleep(0)
    return f"{activity.info().activity_type} counted to {n}"


@activity.defn(name="sync-describe")
def describe(prefix: str) -> dict[str, Any]:
    i = activity.info()
    activity.heartbeat("sync")
    return {"prefix": prefix, "type": i.activity_type, "attempt": i.attempt,
            "wf": i.workflow_id, "thread": threading.current_thread().name}


@activity.defn
async def waits_for_cancel() -> str:
    activity.heartbeat("waiting")
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        assert activity.is_cancelled()
        raise
    return "not cancelled"


@activity.defn
def sync_polls_cancel(steps: int) -> str:
    for i in range(steps):
        activity.heartbeat(i)
        if activity.is_cancelled():
            return f"cancelled at {i}"
    return "finished"


async def test_async_activity_runs_with_heartbeats_captured() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    assert await env.run(count_to, 3) == "count_to counted to 3"
    assert beats == [(0, "step 0"), (1, "step 1"), (2, "step 2")]


async def test_sync_activity_runs_in_the_calling_thread_with_default_info() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    out = env.run(describe, "p")
    assert out == {"prefix": "p", "type": "sync-describe", "attempt": 1, "wf": "test",
                   "thread": threading.current_thread().name}
    assert beats == [("sync",)]
    with pytest.raises(RuntimeError, match="not in an activity"):
        activity.info()


async def test_info_is_settable() -> None:
    env = ActivityEnvironment()
    env.info = replace(default_info(), attempt=3, workflow_id="order-7",
                       activity_type="explicit")
    out = env.run(describe, "x")
    assert (out["attempt"], out["wf"], out["type"]) == (3, "order-7", "explicit")


async def test_cancel_from_a_heartbeat_cancels_an_async_activity() -> None:
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await env.run(waits_for_cancel)


async def test_cancel_from_another_task_cancels_an_async_activity() -> None:
    env = ActivityEnvironment()
    started = asyncio.Event()
    env.on_heartbeat = lambda *details: started.set()
    task = asyncio.ensure_future(env.run(waits_for_cancel))
    await asyncio.wait_for(started.wait(), 5)
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)


async def test_cancel_is_seen_by_a_sync_activity() -> None:
    env = ActivityEnvironment()

    def on_heartbeat(i: int) -> None:
        if i == 2:
            env.cancel()

    env.on_heartbeat = on_heartbeat
    assert env.run(sync_polls_cancel, 10) == "cancelled at 2"
    assert ActivityEnvironment().run(sync_polls_cancel, 3) == "finished"


async def test_plain_functions_run_too_and_bad_input_is_refused() -> None:
    env = ActivityEnvironment()
    assert env.run(lambda a, b=1: a + b, 1, b=2) == 3
    with pytest.raises(ValueError, match="needs a function"):
        env.run(42)  # type: ignore[arg-type]
