"""activity.wait_for_cancelled(_sync), wait_for_worker_shutdown(_sync),
shield_thread_cancel_exception and metric_meter, as temporalio code uses them."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.common import MetricMeter
from durable.exceptions import ActivityError
from durable.worker import Worker

_started: set[str] = set()
_log: dict[str, list[Any]] = {}


@activity.defn
async def waits_for_cancel(key: str) -> str:
    async def watcher() -> list[object]:
        assert activity.cancellation_details() is None
        await activity.wait_for_cancelled()  # in a task of its own: the context follows
        details = activity.cancellation_details()
        return [activity.is_cancelled(), details and details.cancel_requested,
                details and details.timed_out]

    watch = asyncio.create_task(watcher())
    _started.add(key)
    try:
        while True:
            activity.heartbeat()  # cancellation arrives with a heartbeat's answer
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        _log[key] = ["watcher saw cancel", await watch]
        raise


@activity.defn(no_thread_cancel_exception=True)  # polls is_cancelled instead
def waits_for_cancel_sync(key: str) -> str:
    _started.add(key)
    with activity.shield_thread_cancel_exception():  # nothing to shield here: runs as is
        inside = "shielded block ran"
    while not activity.is_cancelled():
        activity.heartbeat()
        activity.wait_for_cancelled_sync(timedelta(milliseconds=50))
    details = activity.cancellation_details()
    _log[key] = [inside, activity.is_cancelled(), details is not None and details.cancel_requested]
    raise asyncio.CancelledError()


@workflow.defn
class CancelsActivityWorkflow:
    def __init__(self) -> None:
        self.cancel = False

    @workflow.signal
    def cancel_now(self) -> None:
        self.cancel = True

    @workflow.run
    async def run(self, key: str, sync: bool) -> str:
        handle = workflow.start_activity(
            waits_for_cancel_sync if sync else waits_for_cancel, key,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(milliseconds=500),  # heartbeats sent every 0.4 s
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
        await workflow.wait_condition(lambda: self.cancel)
        handle.cancel()
        try:
            await handle
        except (asyncio.CancelledError, ActivityError):
            return "cancelled"
        return "not cancelled"


async def until(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("sync", [False, True], ids=["async", "thread"])
async def test_wait_for_cancelled(client: Client, task_queue: str, sync: bool) -> None:
    key = f"{task_queue}-{sync}"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        async with Worker(client, task_queue=task_queue, workflows=[CancelsActivityWorkflow],
                          activities=[waits_for_cancel, waits_for_cancel_sync],
                          activity_executor=pool):
            handle = await client.start_workflow(CancelsActivityWorkflow.run, args=[key, sync],
                                                 id=key, task_queue=task_queue)
            await until(lambda: key in _started, "the activity to start")
            await handle.signal(CancelsActivityWorkflow.cancel_now)
            assert await handle.result() == "cancelled"
    expected = (["shielded block ran", True, True] if sync
                else ["watcher saw cancel", [True, True, False]])
    assert _log[key] == expected


@activity.defn
async def until_worker_shutdown(key: str) -> str:
    _started.add(key)
    await activity.wait_for_worker_shutdown()
    _log[key] = ["shutdown", activity.is_worker_shutdown()]
    return "stopped"


@activity.defn
def until_worker_shutdown_sync(key: str) -> str:
    _started.add(key)
    activity.wait_for_worker_shutdown_sync(60)
    _log[key] = ["shutdown", activity.is_worker_shutdown(), threading.current_thread().name]
    return "stopped"


@workflow.defn
class ShutdownWorkflow:
    @workflow.run
    async def run(self, key: str, sync: bool) -> str:
        return await workflow.execute_activity(
            until_worker_shutdown_sync if sync else until_worker_shutdown, key,
            start_to_close_timeout=timedelta(seconds=60))


@pytest.mark.parametrize("sync", [False, True], ids=["async", "thread"])
async def test_wait_for_worker_shutdown(client: Client, task_queue: str, sync: bool) -> None:
    key = f"{task_queue}-shutdown-{sync}"
    with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="acts") as pool:
        async with Worker(client, task_queue=task_queue, workflows=[ShutdownWorkflow],
                          activities=[until_worker_shutdown, until_worker_shutdown_sync],
                          activity_executor=pool,
                          graceful_shutdown_timeout=timedelta(seconds=30)):
            handle = await client.start_workflow(ShutdownWorkflow.run, args=[key, sync],
                                                 id=key, task_queue=task_queue)
            await until(lambda: key in _started, "the activity to start")
            assert key not in _log  # still waiting while the worker runs
        # Leaving the block shut the worker down: the activity saw it and finished in the
        # grace period; a new worker completes the workflow with its result.
        assert _log[key][:2] == ["shutdown", True]
        if sync:
            assert _log[key][2].startswith("acts")
        async with Worker(client, task_queue=task_queue, workflows=[ShutdownWorkflow]):
            assert await handle.result() == "stopped"


@activity.defn
async def measures() -> list[str]:
    meter = activity.metric_meter().with_additional_attributes({"team": "payments"})
    counter = meter.create_counter("charges", "charges made", "1")
    counter.add(2, {"currency": "EUR"})
    meter.create_histogram_timedelta("latency").record(timedelta(milliseconds=5))
    meter.create_gauge_float("load").set(0.5)
    errors = []
    try:
        counter.add(-1)
    except ValueError as e:
        errors.append(str(e))
    try:
        counter.add(1, {"bad": object()})  # type: ignore[dict-item]
    except TypeError as e:
        errors.append(type(e).__name__)
    return [counter.name, str(counter.description), str(counter.unit), *errors]


@workflow.defn
class MeteredWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        meter = workflow.metric_meter()
        assert meter is MetricMeter.noop
        meter.create_counter("workflow_steps").add(1)
        meter.create_histogram("sizes").record(3)
        meter.create_histogram_float("ratios").record(0.25)
        meter.create_gauge("queue_depth").set(-2)  # gauges may go down
        return await workflow.execute_activity(measures,
                                               start_to_close_timeout=timedelta(seconds=10))


async def test_metric_meters_in_workflows_and_activities(client: Client,
                                                         task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[MeteredWorkflow],
                      activities=[measures]):
        result = await client.execute_workflow(MeteredWorkflow.run, id=f"{task_queue}-m",
                                               task_queue=task_queue)
    assert result == ["charges", "charges made", "1",
                      "metric 'charges': value must not be negative, got -1", "TypeError"]


def test_meters_and_shield_need_their_context() -> None:
    with pytest.raises(RuntimeError, match="not in workflow code"):
        workflow.metric_meter()
    with pytest.raises(RuntimeError, match="not in an activity"):
        activity.metric_meter()
    with pytest.raises(RuntimeError, match="not in an activity"):
        with activity.shield_thread_cancel_exception():
            pass
