"""Heartbeats: details reach the next attempt, throttling between worker and engine,
cancellation delivered through a heartbeat's answer (async and thread activities)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.exceptions import ActivityError, ApplicationError, CancelledError
from durable.v1 import history_pb2
from durable.worker import Worker

_log: dict[str, list[Any]] = {}


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    # Each test, and each transport's run of it, starts from empty records.
    _log.clear()
    _release.clear()
    _running.clear()


@activity.defn
async def counts_then_fails_once(key: str) -> str:
    info = activity.info()
    _log.setdefault(key, []).append((info.attempt, list(info.heartbeat_details)))
    start = info.heartbeat_details[0] if info.heartbeat_details else 0
    if info.attempt == 1:
        for i in range(start + 1, 21):
            activity.heartbeat(i)  # throttled: only the first goes out at once
        raise ApplicationError("crashed after 20 items", type="Crash")
    return f"resumed at {start}"


@activity.defn
async def heartbeat_burst(key: str) -> str:
    for i in range(1, 51):
        activity.heartbeat(i)
        await asyncio.sleep(0.002)
    _log.setdefault(key, []).append(("burst done", time.monotonic()))
    while key not in _release:
        await asyncio.sleep(0.05)
    return "ok"


_release: set[str] = set()
_running: set[str] = set()


@activity.defn
async def cancellable(key: str) -> str:
    _running.add(key)
    try:
        while True:
            activity.heartbeat("tick")
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        _log.setdefault(key, []).append(("cancelled", activity.is_cancelled()))
        raise


@activity.defn(no_thread_cancel_exception=True)  # polls is_cancelled (test_thread_cancel: raised)
def cancellable_sync(key: str) -> str:
    _running.add(key)
    while not activity.is_cancelled():
        activity.heartbeat("tick")
        activity.wait_for_cancelled_sync(0.05)
    _log.setdefault(key, []).append(("cancelled", activity.info().activity_type))
    raise CancelledError("stopped on request")


@workflow.defn
class ResumeWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            counts_then_fails_once, key, start_to_close_timeout=timedelta(seconds=10),
            heartbeat_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50)))


@workflow.defn
class BurstWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            heartbeat_burst, key, start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=2))


@workflow.defn
class CancelActivityWorkflow:
    def __init__(self) -> None:
        self._cancel = False

    @workflow.signal
    def cancel_activity(self) -> None:
        self._cancel = True

    @workflow.run
    async def run(self, key: str, sync: bool) -> str:
        handle = workflow.start_activity(
            cancellable_sync if sync else cancellable, key,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(milliseconds=500),
            # Resolves once the worker reported the cancellation, not before.
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
        await workflow.wait_condition(lambda: self._cancel)  # the activity is running
        handle.cancel()
        try:
            await handle
        except asyncio.CancelledError:
            pass
        except ActivityError:
            pass
        return "done"


async def _cancel_once_running(handle: Any, key: str) -> None:
    deadline = time.monotonic() + 30
    while key not in _running:
        assert time.monotonic() < deadline, f"activity {key} did not start"
        await asyncio.sleep(0.02)
    await handle.signal(CancelActivityWorkflow.cancel_activity)


def _kinds(history: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in history.events]


async def test_retry_resumes_from_last_heartbeat_details(client: Client,
                                                         task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ResumeWorkflow],
                      activities=[counts_then_fails_once]):
        result = await client.execute_workflow(ResumeWorkflow.run, "resume", id="wf-resume",
                                               task_queue=task_queue)
    # Heartbeats 2..20 were throttled; the latest went out with the failure.
    assert result == "resumed at 20"
    assert _log["resume"] == [(1, []), (2, [20])]


async def test_heartbeats_are_throttled_and_the_latest_is_sent(client: Client,
                                                               task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[BurstWorkflow],
                      activities=[heartbeat_burst]):
        handle = await client.start_workflow(BurstWorkflow.run, "burst", id="wf-burst",
                                             task_queue=task_queue)
        seen: list[tuple[float, Any]] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            desc = await handle.describe()
            for p in desc.raw_description.pending_activities:
                if p.heartbeat_details.payloads:
                    [value] = await client.data_converter.decode(
                        list(p.heartbeat_details.payloads))
                    seen.append((time.monotonic(), value))
            if seen and seen[-1][1] == 50:
                break
            await asyncio.sleep(0.05)
        _release.add("burst")
        assert await handle.result() == "ok"
    values = [v for _, v in seen]
    assert values[-1] == 50, values
    # Interval = 0.8 x 2 s: the engine got 1 at once, then nothing newer for ~1.6 s,
    # although 50 heartbeats were made within ~0.2 s.
    assert values[0] == 1
    first_at = seen[0][0]
    last_change = next(t for t, v in seen if v == 50)
    assert last_change - first_at >= 1.0, seen
    assert set(values) <= {1, 50}, "intermediate details were sent despite the throttle"


async def test_cancellation_reaches_async_activity(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CancelActivityWorkflow],
                      activities=[cancellable]):
        _running.discard("ca")
        handle = await client.start_workflow(CancelActivityWorkflow.run, args=["ca", False],
                                             id="wf-cancel-async", task_queue=task_queue)
        await _cancel_once_running(handle, "ca")
        assert await handle.result() == "done"
    assert _log["ca"] == [("cancelled", True)]
    kinds = _kinds(await handle.fetch_history())
    assert "activity_task_cancel_requested" in kinds
    assert "activity_task_canceled" in kinds


async def test_cancellation_reaches_thread_activity(client: Client, task_queue: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        async with Worker(client, task_queue=task_queue, workflows=[CancelActivityWorkflow],
                          activities=[cancellable_sync], activity_executor=pool):
            _running.discard("cs")
            handle = await client.start_workflow(CancelActivityWorkflow.run,
                                                 args=["cs", True], id="wf-cancel-sync",
                                                 task_queue=task_queue)
            await _cancel_once_running(handle, "cs")
            assert await handle.result() == "done"
    assert _log["cs"] == [("cancelled", "cancellable_sync")]
    history = await handle.fetch_history()
    canceled = [e for e in history.events
                if e.WhichOneof("attributes") == "activity_task_canceled"]
    assert len(canceled) == 1
    assert isinstance(canceled[0], history_pb2.HistoryEvent)


@activity.defn
async def stalls_on_first_attempt(key: str) -> str:
    info = activity.info()
    _log.setdefault(key, []).append((info.attempt, list(info.heartbeat_details)))
    if info.attempt == 1:
        activity.heartbeat("chunk-1")
        await asyncio.sleep(0.05)
        activity.heartbeat("chunk-2")
        try:
            await asyncio.sleep(60)  # a stuck attempt: no more heartbeats
        except asyncio.CancelledError:
            _log[key].append(("attempt 1 cancelled", activity.is_cancelled()))
            raise
    return f"attempt {info.attempt} resumed after {info.heartbeat_details[0]}"


@workflow.defn
class StallWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            stalls_on_first_attempt, key, start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=1),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50)))


async def test_stalled_attempt_is_retried_after_heartbeat_timeout(client: Client,
                                                                  task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[StallWorkflow],
                      activities=[stalls_on_first_attempt], max_concurrent_activities=2):
        began = time.monotonic()
        handle = await client.start_workflow(StallWorkflow.run, "stall", id="wf-stall",
                                             task_queue=task_queue)
        assert await handle.result() == "attempt 2 resumed after chunk-2"
        took = time.monotonic() - began
    assert took >= 1.0  # not before the heartbeat timeout
    assert _log["stall"][:2] == [(1, []), (2, ["chunk-2"])]
    history = await handle.fetch_history()
    [started] = [e.activity_task_started for e in history.events
                 if e.WhichOneof("attributes") == "activity_task_started"]
    assert started.attempt == 2
    assert started.last_failure.timeout_failure_info.timeout_type == 4  # HEARTBEAT


def test_throttle_interval_follows_temporal() -> None:
    from durable.worker._activity_heartbeat import throttle_interval

    assert throttle_interval(None) == 30.0
    assert throttle_interval(timedelta(0)) == 30.0
    assert throttle_interval(timedelta(seconds=2)) == pytest.approx(1.6)
    assert throttle_interval(timedelta(minutes=10)) == 60.0
