"""Worker limits: concurrent activities and workflow tasks, activities per second (per
worker and per task queue), graceful shutdown of running activities."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.v1 import history_pb2
from durable.worker import Worker

_lock = threading.Lock()
_state: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    _state.clear()  # each test (and each transport's run of it) counts from zero


def _enter(key: str) -> None:
    with _lock:
        cur = _state.get(f"{key}.cur", 0) + 1
        _state[f"{key}.cur"] = cur
        _state[f"{key}.max"] = max(_state.get(f"{key}.max", 0), cur)
        _state.setdefault(f"{key}.starts", []).append(time.monotonic())


def _leave(key: str) -> None:
    with _lock:
        _state[f"{key}.cur"] -= 1


@activity.defn
async def busy(key: str, seconds: float) -> str:
    _enter(key)
    try:
        await asyncio.sleep(seconds)
    finally:
        _leave(key)
    return "ok"


@activity.defn
async def until_shutdown(key: str, seconds: float) -> str:
    _enter(key)
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        _state[f"{key}.cancelled"] = (activity.is_worker_shutdown(), activity.is_cancelled())
        raise
    return "finished in time"


@workflow.defn
class FanOutWorkflow:
    @workflow.run
    async def run(self, key: str, n: int, seconds: float) -> list[str]:
        return list(await asyncio.gather(*(
            workflow.execute_activity(busy, args=[key, seconds],
                                      start_to_close_timeout=timedelta(seconds=60))
            for _ in range(n))))


@workflow.defn
class ShutdownWorkflow:
    @workflow.run
    async def run(self, key: str) -> list[str]:
        opts: dict[str, Any] = dict(start_to_close_timeout=timedelta(seconds=60))
        return list(await asyncio.gather(
            workflow.execute_activity(until_shutdown, args=[f"{key}-short", 0.5], **opts),
            workflow.execute_activity(until_shutdown, args=[f"{key}-long", 3600.0], **opts)))


@workflow.defn
class SlowTaskWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        with workflow.unsafe.sandbox_unrestricted():  # deliberately blocking, see below
            _enter(key)
            time.sleep(0.2)  # holds the workflow task (and its thread) for a while
            _leave(key)
        return "ok"


async def test_max_concurrent_activities(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[FanOutWorkflow],
                      activities=[busy], max_concurrent_activities=2):
        result = await client.execute_workflow(FanOutWorkflow.run, args=["conc", 6, 0.3],
                                               id="wf-conc", task_queue=task_queue)
    assert result == ["ok"] * 6
    assert _state["conc.max"] == 2


async def test_max_concurrent_workflow_tasks(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[SlowTaskWorkflow],
                      max_concurrent_workflow_tasks=1):
        handles = [await client.start_workflow(SlowTaskWorkflow.run, "wft", id=f"wf-wft-{i}",
                                               task_queue=task_queue) for i in range(4)]
        assert [await h.result() for h in handles] == ["ok"] * 4
    assert _state["wft.max"] == 1


def _rate(starts: list[float]) -> float:
    return (len(starts) - 1) / (starts[-1] - starts[0])


async def _fan_out_scheduled(client: Client, task_queue: str, key: str, n: int) -> Any:
    """Start FanOutWorkflow and wait until its ``n`` activities are all scheduled.

    The rate-limited workers start after that: pollers that had taken their tokens while
    the workflow was still being scheduled (slow on a loaded machine) would let the first
    activities start together and shorten the span measured.
    """
    handle = await client.start_workflow(FanOutWorkflow.run, args=[key, n, 0.0],
                                         id=f"wf-{key}", task_queue=task_queue)
    deadline = time.monotonic() + 60
    while True:
        events = (await handle.fetch_history()).events
        if sum(e.WhichOneof("attributes") == "activity_task_scheduled" for e in events) == n:
            return handle
        assert time.monotonic() < deadline, "the activities were not scheduled"
        await asyncio.sleep(0.05)


async def test_max_activities_per_second_per_worker(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[FanOutWorkflow]):
        handle = await _fan_out_scheduled(client, task_queue, "rate", 11)
        async with Worker(client, task_queue=task_queue, activities=[busy],
                          max_activities_per_second=5, identity="limited"):
            await handle.result()
    starts = sorted(_state["rate.starts"])
    assert len(starts) == 11
    # 11 starts at 5/s span at least 2 s; allow 15 % for timer jitter.
    assert starts[-1] - starts[0] >= 2.0 * 0.85, starts
    assert _rate(starts) <= 5 * 1.15


async def test_max_task_queue_activities_per_second(client: Client, task_queue: str) -> None:
    # Two workers on one queue: the engine limits the queue as a whole.
    async with Worker(client, task_queue=task_queue, workflows=[FanOutWorkflow]):
        handle = await _fan_out_scheduled(client, task_queue, "qrate", 9)
        workers = [Worker(client, task_queue=task_queue, activities=[busy],
                          max_task_queue_activities_per_second=4, identity=f"w{i}")
                   for i in range(2)]
        async with workers[0], workers[1]:
            await handle.result()
    starts = sorted(_state["qrate.starts"])
    assert len(starts) == 9
    assert starts[-1] - starts[0] >= 2.0 * 0.85, starts
    assert _rate(starts) <= 4 * 1.15


async def test_graceful_shutdown_lets_short_activities_finish_then_cancels(
        client: Client, task_queue: str) -> None:
    worker = Worker(client, task_queue=task_queue, workflows=[ShutdownWorkflow],
                    activities=[until_shutdown], graceful_shutdown_timeout=timedelta(seconds=2))
    async with worker:
        handle = await client.start_workflow(ShutdownWorkflow.run, "gs", id="wf-gs",
                                             task_queue=task_queue)
        deadline = time.monotonic() + 15
        while _state.get("gs-long.cur", 0) + _state.get("gs-short.cur", 0) < 2:
            assert time.monotonic() < deadline, "activities did not start"
            await asyncio.sleep(0.02)
        began = time.monotonic()
        await worker.shutdown()
        took = time.monotonic() - began
    # Waited for the graceful timeout, then cancelled the hour-long activity (asserted
    # below: cancelled, not waited for).
    assert took >= 2.0 - 0.1
    assert "gs-short.cancelled" not in _state
    assert _state["gs-long.cancelled"] == (True, True)
    history = await handle.fetch_history()
    completed = [e for e in history.events
                 if e.WhichOneof("attributes") == "activity_task_completed"]
    assert len(completed) == 1
    assert isinstance(completed[0], history_pb2.HistoryEvent)
    [pending] = (await handle.describe()).raw_description.pending_activities
    assert pending.attempt == 2
    assert pending.last_failure.application_failure_info.type == "WorkerShutdown"
    await handle.terminate(reason="test over")


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_bad_concurrency_limits_are_refused(client: Client, bad: Any) -> None:
    with pytest.raises(ValueError, match="max_concurrent_activities"):
        Worker(client, task_queue="q", activities=[busy], max_concurrent_activities=bad)
    with pytest.raises(ValueError, match="max_concurrent_workflow_tasks"):
        Worker(client, task_queue="q", activities=[busy], max_concurrent_workflow_tasks=bad)
