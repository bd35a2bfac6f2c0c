"""Cancellation of sync activities in a thread pool, as temporalio does it: the worker
raises ``CancelledError`` inside the activity's thread when the cancellation arrives (with
a heartbeat's answer) or when the graceful shutdown timeout passes;
``activity.shield_thread_cancel_exception()`` delays it to the end of its block;
``no_thread_cancel_exception=True`` turns it off."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from datetime import timedelta
from typing import Any

from durable import activity, workflow
from durable.client import Client
from durable.exceptions import ActivityError, CancelledError
from durable.worker import Worker

_started: set[str] = set()
_log: dict[str, list[Any]] = {}


@activity.defn
def heartbeats_until_interrupted(key: str) -> str:
    _started.add(key)
    try:
        while True:  # never looks at is_cancelled(): only the raised exception stops it
            activity.heartbeat()
            time.sleep(0.02)
    except CancelledError as e:
        details = activity.cancellation_details()
        _log[key] = [type(e).__name__, details is not None and details.cancel_requested,
                     details is not None and details.worker_shutdown]
        raise


@activity.defn
def shields_its_cleanup(key: str) -> str:
    _started.add(key)
    log = _log.setdefault(key, [])
    try:
        with activity.shield_thread_cancel_exception():
            while not activity.is_cancelled():  # cancelled inside the block: not raised yet
                activity.heartbeat()
                time.sleep(0.02)
            log.append("cancelled inside the shield")
            for _ in range(20):  # Python code keeps running: the exception waits
                time.sleep(0.01)
            log.append("shield ended")
        log.append("after the shield")  # never reached: raised as the block ends
    except CancelledError:
        log.append("CancelledError")
        raise
    return "not interrupted"


@activity.defn(no_thread_cancel_exception=True)
def opts_out(key: str) -> str:
    _started.add(key)
    while not activity.is_cancelled():
        activity.heartbeat()
        time.sleep(0.02)
    _log[key] = ["saw is_cancelled, no exception"]
    return "finished its own way"


_ACTIVITIES = {f.__name__: f for f in (heartbeats_until_interrupted, shields_its_cleanup,
                                        opts_out)}


@workflow.defn
class CancelsThreadActivity:
    def __init__(self) -> None:
        self.cancel = False

    @workflow.signal
    def cancel_now(self) -> None:
        self.cancel = True

    @workflow.run
    async def run(self, name: str, key: str) -> str:
        handle = workflow.start_activity(
            _ACTIVITIES[name], key, start_to_close_timeout=timedelta(seconds=120),
            # generous: on a loaded machine a 0.5 s timeout expired before a heartbeat landed
            heartbeat_timeout=timedelta(seconds=5),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
        await workflow.wait_condition(lambda: self.cancel)
        handle.cancel()
        try:
            return f"completed: {await handle}"
        except ActivityError as e:
            return f"activity error: {type(e.cause).__name__}"


async def until(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@activity.defn
def doubles(x: int) -> int:
    return 2 * x


@workflow.defn
class RunsDoubles:
    @workflow.run
    async def run(self, x: int) -> int:
        return await workflow.execute_activity(doubles, x,
                                               start_to_close_timeout=timedelta(seconds=60))


async def _cancel_run(client: Client, task_queue: str, name: str) -> tuple[str, str]:
    key = f"{task_queue}-{name}"
    # One thread: the activity after the cancelled one runs on the very same thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        async with Worker(client, task_queue=task_queue,
                          workflows=[CancelsThreadActivity, RunsDoubles],
                          activities=[*_ACTIVITIES.values(), doubles], activity_executor=pool):
            handle = await client.start_workflow(CancelsThreadActivity.run, args=[name, key],
                                                 id=key, task_queue=task_queue)
            await until(lambda: key in _started, "the activity to start")
            await handle.signal(CancelsThreadActivity.cancel_now)
            result = await handle.result()
            # No exception was left pending in the thread for its next task.
            assert await client.execute_workflow(RunsDoubles.run, 21, id=f"{key}-next",
                                                 task_queue=task_queue) == 42
            return key, result


async def test_cancellation_is_raised_inside_the_thread(client: Client,
                                                        task_queue: str) -> None:
    key, result = await _cancel_run(client, task_queue, "heartbeats_until_interrupted")
    assert result == "activity error: CancelledError"
    assert _log[key] == ["CancelledError", True, False]


async def test_shield_delays_the_exception_to_the_end_of_the_block(client: Client,
                                                                   task_queue: str) -> None:
    key, result = await _cancel_run(client, task_queue, "shields_its_cleanup")
    assert result == "activity error: CancelledError"
    assert _log[key] == ["cancelled inside the shield", "shield ended", "CancelledError"]


async def test_no_thread_cancel_exception_leaves_the_thread_alone(client: Client,
                                                                  task_queue: str) -> None:
    key, result = await _cancel_run(client, task_queue, "opts_out")
    assert result == "completed: finished its own way"
    assert _log[key] == ["saw is_cancelled, no exception"]


@workflow.defn
class RunsOneActivity:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(heartbeats_until_interrupted, key,
                                               start_to_close_timeout=timedelta(seconds=120))


async def test_worker_shutdown_raises_in_the_thread_after_the_grace_period(
        client: Client, task_queue: str) -> None:
    key = f"{task_queue}-shutdown"
    pool = concurrent.futures.ThreadPoolExecutor(2)
    worker = Worker(client, task_queue=task_queue, workflows=[RunsOneActivity],
                    activities=[heartbeats_until_interrupted], activity_executor=pool,
                    graceful_shutdown_timeout=timedelta(milliseconds=200))
    run = asyncio.create_task(worker.run())
    await client.start_workflow(RunsOneActivity.run, key, id=key, task_queue=task_queue)
    await until(lambda: key in _started, "the activity to start")
    await worker.shutdown()
    await run
    # The thread was interrupted (it never checks is_worker_shutdown), so shutdown ended.
    assert _log[key] == ["CancelledError", False, True]
    pool.shutdown(wait=True)
