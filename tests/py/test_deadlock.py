"""The deadlock detector: workflow code that does not yield fails its workflow task with an
error naming the workflow and the stack where it was stuck, and its lane is freed - other
workflows keep running and the worker shuts down - whether the code spins in Python or
blocks in C. Off in debug mode."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from durable import workflow
from durable.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError
from durable.worker import Replayer, Worker, WorkflowTaskFailedError
from history_util import wait_for_event


def spin_forever() -> None:
    n = 0
    while True:  # never yields
        n += 1


@workflow.defn
class SpinningWorkflow:
    @workflow.run
    async def run(self) -> None:
        spin_forever()


_blocked_release = threading.Event()


@workflow.defn
class BlockedInCWorkflow:
    @workflow.run
    async def run(self) -> None:
        with workflow.unsafe.sandbox_unrestricted():
            _blocked_release.wait()  # a lock acquire in C: no async exception lands there


@workflow.defn
class SlowButFinishesWorkflow:
    @workflow.run
    async def run(self, seconds: float) -> str:
        if not workflow.unsafe.is_replaying():  # its recorded history replays at once
            with workflow.unsafe.sandbox_unrestricted():
                time.sleep(seconds)  # blocking on purpose, longer than the detector's timeout
        return "finished"


def _tracer(frame: Any, event: str, arg: Any) -> Any:
    return _tracer  # what a debugger's trace function does: it traces the new frames


def _paused_in_a_debugger(seconds: float) -> None:
    time.sleep(seconds)  # this frame has a trace function, as when pdb stops in it


@workflow.defn
class DebuggedWorkflow:
    @workflow.run
    async def run(self, seconds: float) -> str:
        if workflow.unsafe.is_replaying():
            return "finished"  # its recorded history replays at once
        with workflow.unsafe.sandbox_unrestricted():
            previous = sys.gettrace()
            sys.settrace(_tracer)
            try:
                _paused_in_a_debugger(seconds)
            finally:
                sys.settrace(previous)
        return "finished"


@workflow.defn
class SpinsWhenReplayedWorkflow:
    """Runs live; spins when a Replayer replays it."""

    @workflow.run
    async def run(self) -> str:
        if workflow.unsafe.is_replaying():
            spin_forever()
        return "done"


@workflow.defn
class HelloWorkflow:
    @workflow.run
    async def run(self, n: int) -> int:
        await asyncio.sleep(0.05)
        return n * 2


@workflow.defn
class QueriedWorkflow:
    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self._done)
        return "done"

    @workflow.signal
    def finish(self) -> None:
        self._done = True

    @workflow.query
    def stuck(self) -> int:
        spin_forever()
        return 0

    @workflow.query
    def ok(self) -> bool:
        return self._done


def _lane_threads(task_queue: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"durable-wft-{task_queue}-")]


async def _wait_until(predicate: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        await asyncio.sleep(0.05)


async def test_spinning_workflow_fails_its_task_with_its_stack_and_frees_the_lane(
        client: Client, task_queue: str) -> None:
    worker = Worker(client, task_queue=task_queue,
                    workflows=[SpinningWorkflow, HelloWorkflow], max_concurrent_workflow_tasks=4)
    async with worker:
        spinning = await client.start_workflow(SpinningWorkflow.run, id="spinner",
                                               task_queue=task_queue)
        failed = await wait_for_event(spinning, "workflow_task_failed", timeout=60)
        # Every retry of the spinner is caught again; meanwhile the other workflows run.
        others = [await client.start_workflow(HelloWorkflow.run, i, id=f"hello-{i}",
                                              task_queue=task_queue) for i in range(8)]
        assert [await asyncio.wait_for(h.result(), 60) for h in others] == [
            i * 2 for i in range(8)]
        assert len(_lane_threads(task_queue)) >= 4
    # The worker exited (the block above returned) although the spinner was being retried.
    attrs = failed.workflow_task_failed
    run_id = (await spinning.describe()).run_id
    message = attrs.failure.message
    assert "Potential deadlock detected" in message, message
    assert "didn't yield within 2 second(s)" in message, message
    assert "'SpinningWorkflow'" in message and "'spinner'" in message, message
    assert run_id in message, message
    assert attrs.failure.application_failure_info.type == "DeadlockError"
    stack = attrs.failure.stack_trace
    assert "in spin_forever" in stack and "test_deadlock.py" in stack, stack
    assert "n += 1" in stack or "while True" in stack, stack
    assert "_lane" not in stack and "activate" not in stack, stack  # only workflow frames
    # The interrupted spinner unwound: no lane thread of this worker is left.
    await _wait_until(lambda: not _lane_threads(task_queue), "lane threads did not end")
    # Left open: a closed run would be recorded as a history fixture, and replaying it spins.
    assert (await spinning.describe()).status == WorkflowExecutionStatus.RUNNING


async def test_code_blocked_in_c_gets_its_lane_replaced_and_never_answers(
        client: Client, task_queue: str, caplog: pytest.LogCaptureFixture) -> None:
    _blocked_release.clear()
    try:
        async with Worker(client, task_queue=task_queue,
                          workflows=[BlockedInCWorkflow, HelloWorkflow],
                          max_concurrent_workflow_tasks=1,
                          deadlock_detection_timeout=timedelta(seconds=0.5)):
            blocked = await client.start_workflow(BlockedInCWorkflow.run, id="blocked",
                                                  task_queue=task_queue)
            failed = await wait_for_event(blocked, "workflow_task_failed", timeout=60)
            # The only lane is stuck in C; a replacement lane runs the others.
            hello = await client.start_workflow(HelloWorkflow.run, 21, id="hello",
                                                task_queue=task_queue)
            assert await asyncio.wait_for(hello.result(), 60) == 42
        message = failed.workflow_task_failed.failure.message
        assert "didn't yield within 0.5 second(s)" in message, message
        assert "_blocked_release.wait()" in failed.workflow_task_failed.failure.stack_trace
        assert [t for t in _lane_threads(task_queue) if t.is_alive()], \
            "the blocked thread should still be blocked"
        assert "still stuck in deadlocked workflow code and are left behind" in caplog.text
    finally:
        _blocked_release.set()
    # Once released, the stuck threads unwind and end without answering their tasks.
    await _wait_until(lambda: not _lane_threads(task_queue), "blocked lanes did not end")
    kinds = [e.WhichOneof("attributes") for e in (await blocked.fetch_history()).events]
    assert "workflow_task_completed" not in kinds, kinds  # (left open, as the spinner)


async def test_a_query_handler_that_never_yields_fails_the_query_not_the_workflow(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[QueriedWorkflow],
                      deadlock_detection_timeout=timedelta(seconds=0.5)):
        handle = await client.start_workflow(QueriedWorkflow.run, id="queried",
                                             task_queue=task_queue)
        assert await handle.query(QueriedWorkflow.ok) is False  # cached and current
        with pytest.raises(WorkflowQueryFailedError, match="Potential deadlock detected"):
            await handle.query(QueriedWorkflow.stuck)
        # The stuck instance is dropped; the workflow carries on from its history.
        assert await handle.query(QueriedWorkflow.ok) is False
        await handle.signal(QueriedWorkflow.finish)
        assert await asyncio.wait_for(handle.result(), 60) == "done"
    await _wait_until(lambda: not _lane_threads(task_queue), "lane threads did not end")


@pytest.mark.parametrize("how", ["debug_mode", "DURABLE_DEBUG", "TEMPORAL_DEBUG",
                                 "timeout_none"])
async def test_debug_mode_turns_the_detector_off(
        client: Client, task_queue: str, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    options: dict[str, Any] = {"deadlock_detection_timeout": timedelta(seconds=0.2)}
    if how == "debug_mode":
        options["debug_mode"] = True
    elif how.endswith("_DEBUG"):
        monkeypatch.setenv(how, "1")
    else:
        options["deadlock_detection_timeout"] = None
    async with Worker(client, task_queue=task_queue, workflows=[SlowButFinishesWorkflow],
                      **options):
        handle = await client.start_workflow(SlowButFinishesWorkflow.run, 1.0, id="slow",
                                             task_queue=task_queue)
        assert await asyncio.wait_for(handle.result(), 60) == "finished"
    kinds = [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]
    assert "workflow_task_failed" not in kinds, kinds


async def test_a_lane_being_traced_by_a_debugger_is_left_alone(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[DebuggedWorkflow],
                      deadlock_detection_timeout=timedelta(seconds=0.2)):
        handle = await client.start_workflow(DebuggedWorkflow.run, 1.0, id="debugged",
                                             task_queue=task_queue)
        assert await asyncio.wait_for(handle.result(), 60) == "finished"
    kinds = [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]
    assert "workflow_task_failed" not in kinds, kinds


async def test_the_detector_is_on_by_default_in_a_slow_workflow(
        client: Client, task_queue: str) -> None:
    # The same workflow as above with the default detector: its first task is failed.
    async with Worker(client, task_queue=task_queue, workflows=[SlowButFinishesWorkflow]):
        handle = await client.start_workflow(SlowButFinishesWorkflow.run, 3.0, id="slow",
                                             task_queue=task_queue)
        failed = await wait_for_event(handle, "workflow_task_failed", timeout=60)
        assert "didn't yield within 2 second(s)" in failed.workflow_task_failed.failure.message


async def test_the_replayer_fails_a_replay_whose_code_never_yields(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[SpinsWhenReplayedWorkflow]):
        handle = await client.start_workflow(SpinsWhenReplayedWorkflow.run, id="replayed",
                                             task_queue=task_queue)
        assert await asyncio.wait_for(handle.result(), 60) == "done"
    history = await handle.fetch_history()
    replayer = Replayer(workflows=[SpinsWhenReplayedWorkflow],
                        deadlock_detection_timeout=timedelta(seconds=0.5))
    with pytest.raises(WorkflowTaskFailedError, match="Potential deadlock detected") as info:
        await asyncio.wait_for(replayer.replay_workflow(history), 60)
    assert "didn't yield within 0.5 second(s)" in str(info.value)
    assert "in spin_forever" in str(info.value)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, WorkflowTaskFailedError)
    # The interrupted replay threads unwound and ended.
    await _wait_until(lambda: not [t for t in threading.enumerate()
                                   if t.name == "durable-replay"], "replay threads did not end")


@pytest.mark.parametrize("bad", [timedelta(0), timedelta(seconds=-1), 2, "2s"])
def test_bad_deadlock_detection_timeouts_are_refused(client: Client, bad: Any) -> None:
    with pytest.raises(ValueError, match="deadlock_detection_timeout"):
        Worker(client, task_queue="q", workflows=[HelloWorkflow],
               deadlock_detection_timeout=bad)
    with pytest.raises(ValueError, match="deadlock_detection_timeout"):
        Replayer(workflows=[HelloWorkflow], deadlock_detection_timeout=bad)
