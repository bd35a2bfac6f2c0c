"""Where activities run: async on the worker's loop, sync on a thread pool, sync on a
process pool (heartbeats and cancellation cross the process boundary through a
multiprocessing manager); the Worker refuses configurations that cannot work."""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from process_activities import process_cancellable, process_heartbeats, process_info

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.exceptions import ActivityError
from durable.worker import SharedStateManager, Worker

_SPAWN = multiprocessing.get_context("spawn")
_threads: list[str] = []


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    # Each test, and each transport's run of it, starts from empty records.
    _threads.clear()


@activity.defn
def thread_activity(x: int) -> int:
    _threads.append(threading.current_thread().name)
    return x * 2


@activity.defn
async def async_activity(x: int) -> int:
    return x + 1


@workflow.defn
class ExecutorWorkflow:
    def __init__(self) -> None:
        self._cancel = False

    @workflow.signal
    def cancel_activity(self) -> None:
        self._cancel = True

    @workflow.run
    async def run(self, name: str, arg: Any) -> Any:
        opts: dict[str, Any] = dict(start_to_close_timeout=timedelta(seconds=30),
                                    retry_policy=RetryPolicy(
                                        initial_interval=timedelta(milliseconds=50)))
        if name == "process_cancellable":
            h = workflow.start_activity(
                name, arg, heartbeat_timeout=timedelta(seconds=1),
                # Resolves once the worker reported the cancellation, not before.
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                **opts)
            await workflow.wait_condition(lambda: self._cancel)  # it heartbeats: it runs
            h.cancel()
            try:
                await h
            except ActivityError:  # cause: CancelledError
                pass
            return "cancel sent"
        return await workflow.execute_activity(name, arg, **opts)


@pytest.fixture
def process_pool() -> Iterator[tuple[concurrent.futures.ProcessPoolExecutor,
                                     SharedStateManager]]:
    mgr = _SPAWN.Manager()
    pool = concurrent.futures.ProcessPoolExecutor(2, mp_context=_SPAWN)
    try:
        yield pool, SharedStateManager.create_from_multiprocessing(mgr)
    finally:
        pool.shutdown(wait=True)
        mgr.shutdown()


async def test_async_and_thread_activities(client: Client, task_queue: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="acts") as pool:
        async with Worker(client, task_queue=task_queue, workflows=[ExecutorWorkflow],
                          activities=[thread_activity, async_activity],
                          activity_executor=pool):
            a = await client.execute_workflow(ExecutorWorkflow.run,
                                              args=["async_activity", 1], id="wf-async",
                                              task_queue=task_queue)
            t = await client.execute_workflow(ExecutorWorkflow.run,
                                              args=["thread_activity", 21], id="wf-thread",
                                              task_queue=task_queue)
    assert (a, t) == (2, 42)
    assert _threads and _threads[0].startswith("acts")


async def test_process_pool_activity_runs_in_another_process(
        client: Client, task_queue: str, tmp_path: Path, process_pool: Any) -> None:
    pool, ssm = process_pool
    out = tmp_path / "info.txt"
    async with Worker(client, task_queue=task_queue, workflows=[ExecutorWorkflow],
                      activities=[process_info], activity_executor=pool,
                      shared_state_manager=ssm):
        result = await client.execute_workflow(ExecutorWorkflow.run,
                                               args=["process_info", str(out)],
                                               id="wf-proc", task_queue=task_queue)
    pid, act_type, attempt, wf_id = out.read_text().split()
    assert int(pid) != os.getpid()
    assert result == f"pid {pid}"
    assert (act_type, attempt, wf_id) == ("process_info", "1", "wf-proc")


async def test_process_pool_heartbeats_reach_the_next_attempt(
        client: Client, task_queue: str, tmp_path: Path, process_pool: Any) -> None:
    pool, ssm = process_pool
    out = tmp_path / "details.txt"
    async with Worker(client, task_queue=task_queue, workflows=[ExecutorWorkflow],
                      activities=[process_heartbeats], activity_executor=pool,
                      shared_state_manager=ssm):
        result = await client.execute_workflow(ExecutorWorkflow.run,
                                               args=["process_heartbeats", str(out)],
                                               id="wf-proc-hb", task_queue=task_queue)
    assert result == "resumed after 5"
    assert out.read_text() == "[5]"


async def test_process_pool_activity_is_cancelled(
        client: Client, task_queue: str, tmp_path: Path, process_pool: Any) -> None:
    pool, ssm = process_pool
    out = tmp_path / "cancel.txt"
    async with Worker(client, task_queue=task_queue, workflows=[ExecutorWorkflow],
                      activities=[process_cancellable], activity_executor=pool,
                      shared_state_manager=ssm):
        handle = await client.start_workflow(ExecutorWorkflow.run,
                                             args=["process_cancellable", str(out)],
                                             id="wf-proc-cancel", task_queue=task_queue)
        deadline = asyncio.get_running_loop().time() + 60  # spawning a process can be slow
        while not any(p.HasField("heartbeat_details") for p in
                      (await handle.describe()).raw_description.pending_activities):
            assert asyncio.get_running_loop().time() < deadline, "the activity did not start"
            await asyncio.sleep(0.05)
        await handle.signal(ExecutorWorkflow.cancel_activity)
        assert await handle.result() == "cancel sent"
    assert out.read_text().startswith("cancelled in ")
    kinds = [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]
    assert "activity_task_canceled" in kinds


def test_sync_activity_without_executor_is_refused(client: Client) -> None:
    with pytest.raises(ValueError, match="thread_activity.*is not async.*activity_executor"):
        Worker(client, task_queue="q", activities=[thread_activity])


def test_process_pool_without_shared_state_manager_is_refused(client: Client) -> None:
    pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=_SPAWN)
    try:
        with pytest.raises(ValueError, match="shared_state_manager"):
            Worker(client, task_queue="q", activities=[process_info], activity_executor=pool)
    finally:
        pool.shutdown()


def test_shared_state_manager_needs_a_sync_manager() -> None:
    with pytest.raises(TypeError, match="SyncManager"):
        SharedStateManager.create_from_multiprocessing(object())  # type: ignore[arg-type]


def test_bad_rate_limits_are_refused(client: Client) -> None:
    for bad in (0, -1.0, float("nan"), float("inf"), True, "5"):
        with pytest.raises(ValueError, match="max_activities_per_second"):
            Worker(client, task_queue="q", activities=[async_activity],
                   max_activities_per_second=bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="max_task_queue_activities_per_second"):
            Worker(client, task_queue="q", activities=[async_activity],
                   max_task_queue_activities_per_second=bad)  # type: ignore[arg-type]
