"""Async completion: an activity returns without a result (``raise_complete_async``) and
something else completes, fails, heartbeats or cancels it through
``Client.get_async_activity_handle`` — by task token or by ids, also from another process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import AsyncActivityCancelledError, Client
from durable.common import RetryPolicy
from durable.exceptions import ActivityError, ApplicationError, NotFoundError
from durable.worker import Worker

CHILD = Path(__file__).with_name("async_complete_child.py")

_tokens: dict[str, bytes] = {}
_attempts: dict[str, list[tuple[int, list[Any]]]] = {}


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    # Each test, and each transport's run of it, starts from empty records.
    _tokens.clear()
    _attempts.clear()


@activity.defn
async def completes_elsewhere(key: str) -> str:
    info = activity.info()
    _attempts.setdefault(key, []).append((info.attempt, list(info.heartbeat_details)))
    if info.attempt > 1:
        return f"attempt {info.attempt} after {list(info.heartbeat_details)}"
    _tokens[key] = info.task_token
    activity.raise_complete_async()


@workflow.defn
class AsyncCompletionWorkflow:
    def __init__(self) -> None:
        self._cancel = False

    @workflow.signal
    def cancel_activity(self) -> None:
        self._cancel = True

    @workflow.run
    async def run(self, key: str, cancel: bool) -> str:
        handle = workflow.start_activity(
            completes_elsewhere, key, activity_id="ext",
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50)),
            # Resolves once the cancellation is recorded (report_cancellation), not before.
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
        if not cancel:
            return await handle
        await workflow.wait_condition(lambda: self._cancel)  # the activity is running
        handle.cancel()
        try:
            await handle
        except ActivityError:  # cause: CancelledError
            pass
        return "cancelled"


async def _token(key: str, timeout: float = 15.0) -> bytes:
    deadline = time.monotonic() + timeout
    while key not in _tokens:
        assert time.monotonic() < deadline, f"activity {key} did not start"
        await asyncio.sleep(0.02)
    return _tokens[key]


def _worker(client: Client, task_queue: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[AsyncCompletionWorkflow],
                  activities=[completes_elsewhere])


async def test_complete_by_task_token(client: Client, task_queue: str) -> None:
    async with _worker(client, task_queue):
        handle = await client.start_workflow(AsyncCompletionWorkflow.run, args=["tok", False],
                                             id="wf-tok", task_queue=task_queue)
        ahandle = client.get_async_activity_handle(task_token=await _token("tok"))
        await ahandle.heartbeat("still working")
        await ahandle.complete("done by token")
        assert await handle.result() == "done by token"
        with pytest.raises(NotFoundError):
            await ahandle.complete("twice")
    assert _attempts["tok"] == [(1, [])]


async def test_complete_by_ids(client: Client, task_queue: str) -> None:
    async with _worker(client, task_queue):
        handle = await client.start_workflow(AsyncCompletionWorkflow.run, args=["ids", False],
                                             id="wf-ids", task_queue=task_queue)
        await _token("ids")
        ahandle = client.get_async_activity_handle(workflow_id="wf-ids", activity_id="ext")
        await ahandle.complete("done by ids")
        assert await handle.result() == "done by ids"
        with pytest.raises(NotFoundError, match="ext"):
            await ahandle.complete("twice")


async def test_fail_is_retried_with_heartbeat_details(client: Client, task_queue: str) -> None:
    async with _worker(client, task_queue):
        handle = await client.start_workflow(AsyncCompletionWorkflow.run,
                                             args=["fail", False], id="wf-fail",
                                             task_queue=task_queue)
        ahandle = client.get_async_activity_handle(task_token=await _token("fail"))
        await ahandle.fail(ApplicationError("the outside system said no", type="Outside"),
                           last_heartbeat_details=["half way"])
        assert await handle.result() == "attempt 2 after ['half way']"
    history = await handle.fetch_history()
    [started] = [e.activity_task_started for e in history.events
                 if e.WhichOneof("attributes") == "activity_task_started"]
    assert started.attempt == 2
    assert started.last_failure.message == "the outside system said no"


async def test_heartbeat_reports_cancellation(client: Client, task_queue: str) -> None:
    async with _worker(client, task_queue):
        handle = await client.start_workflow(AsyncCompletionWorkflow.run,
                                             args=["cancel", True], id="wf-cancel",
                                             task_queue=task_queue)
        ahandle = client.get_async_activity_handle(task_token=await _token("cancel"))
        await handle.signal(AsyncCompletionWorkflow.cancel_activity)
        deadline = time.monotonic() + 30
        with pytest.raises(AsyncActivityCancelledError):
            while time.monotonic() < deadline:
                await ahandle.heartbeat("waiting")
                await asyncio.sleep(0.1)
        await ahandle.report_cancellation("gave up")
        assert await handle.result() == "cancelled"
    kinds = [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]
    assert "activity_task_canceled" in kinds


async def test_bad_handles_are_refused(client: Client) -> None:
    with pytest.raises(ValueError, match="task_token"):
        client.get_async_activity_handle()
    with pytest.raises(ValueError, match="activity_id"):
        client.get_async_activity_handle(workflow_id="w")
    with pytest.raises(ValueError, match="not both"):
        client.get_async_activity_handle(task_token=b"x", workflow_id="w", activity_id="a")
    with pytest.raises(ValueError, match="non-empty bytes"):
        client.get_async_activity_handle(task_token="abc")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        await client.get_async_activity_handle(workflow_id="nope", activity_id="a").complete(1)
    with pytest.raises(TypeError, match="exception"):
        await client.get_async_activity_handle(task_token=b"x").fail("no")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["token", "id"])
async def test_complete_from_another_process(tmp_path: Path, task_queue: str,
                                            mode: str) -> None:
    """The worker's process closes the engine; another process opens it and completes
    the activity; the workflow then finishes with that result."""
    directory = str(tmp_path / "engine")
    key = f"proc-{mode}"
    client = await Client.connect(directory, sync_writes=False)
    try:
        async with _worker(client, task_queue):
            await client.start_workflow(AsyncCompletionWorkflow.run, args=[key, False],
                                        id=f"wf-{key}", task_queue=task_queue)
            token = await _token(key)
    finally:
        await client.close()

    args = [token.hex()] if mode == "token" else [f"wf-{key}", "ext"]
    child = await asyncio.to_thread(
        subprocess.run, [sys.executable, str(CHILD), directory, mode, *args, "from afar"],
        capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert "DONE" in child.stdout

    client = await Client.connect(directory, sync_writes=False)
    try:
        # Only the workflow is polled now: the activity's task queue has no activity worker.
        async with Worker(client, task_queue=task_queue, workflows=[AsyncCompletionWorkflow]):
            result = await client.get_workflow_handle(f"wf-{key}").result()
    finally:
        await client.close()
    assert result == "from afar"
    assert _attempts[key] == [(1, [])]


@pytest.mark.parametrize("mode", ["token", "id"])
async def test_complete_from_another_process_while_the_worker_runs(
        server: Any, task_queue: str, mode: str) -> None:
    """Through durable-server the worker keeps running while another process completes its
    activity (the embedded engine needs the worker's process to let go first)."""
    key = f"live-{mode}"
    client = await Client.connect(server.address)
    try:
        async with _worker(client, task_queue):
            handle = await client.start_workflow(AsyncCompletionWorkflow.run, args=[key, False],
                                                 id=f"wf-{key}", task_queue=task_queue)
            token = await _token(key)
            args = [token.hex()] if mode == "token" else [f"wf-{key}", "ext"]
            child = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, str(CHILD), server.address, mode, *args, "from afar"],
                capture_output=True, text=True, timeout=60)
            assert child.returncode == 0, child.stderr
            assert await handle.result() == "from afar"
    finally:
        await client.close()
