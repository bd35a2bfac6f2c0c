"""Incompatible workflow code is caught: the task fails with a NondeterminismError naming the
command, the recorded event and its event id; nothing is lost (the workflow stays open)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowExecutionStatus, WorkflowHistory
from durable.exceptions import NondeterminismError
from durable.worker import Replayer, Worker


@activity.defn
async def step_a(x: int) -> int:
    return x + 1


@workflow.defn(name="Evolving")
class EvolvingV1:
    @workflow.run
    async def run(self, x: int) -> int:
        return await workflow.execute_activity(step_a, x,
                                               start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="Evolving")
class EvolvingV2:
    """Incompatible: sleeps (a timer) where v1 scheduled an activity."""

    @workflow.run
    async def run(self, x: int) -> int:
        await asyncio.sleep(1)
        return await workflow.execute_activity(step_a, x,
                                               start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="Evolving")
class EvolvingV1Compatible:
    """Same commands as v1, different local code: still replays."""

    @workflow.run
    async def run(self, x: int) -> int:
        y = x * 1
        workflow.logger.info("computing %d", y)
        return await workflow.execute_activity("step_a", y,
                                               start_to_close_timeout=timedelta(seconds=10))


async def _wait_for_event(handle: Any, kind: str, timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        history = await handle.fetch_history()
        for e in history.events:
            if e.WhichOneof("attributes") == kind:
                return e
        if asyncio.get_running_loop().time() > deadline:
            kinds = [e.WhichOneof("attributes") for e in history.events]
            raise AssertionError(f"no {kind} event within {timeout}s; history: {kinds}")
        await asyncio.sleep(0.05)


async def test_incompatible_worker_fails_the_task_with_a_nondeterminism_error(
        client: Client, task_queue: str) -> None:
    # v1 runs until its activity is scheduled (no activity worker: it stays scheduled).
    async with Worker(client, task_queue=task_queue, workflows=[EvolvingV1]):
        handle = await client.start_workflow("Evolving", 1, id="evolving",
                                             task_queue=task_queue)
        scheduled = await _wait_for_event(handle, "activity_task_scheduled")
    # v2 takes over; the activity's completion makes a new task, replayed by v2's code.
    async with Worker(client, task_queue=task_queue, workflows=[EvolvingV2],
                      activities=[step_a]):
        failed = await _wait_for_event(handle, "workflow_task_failed")
    attrs = failed.workflow_task_failed
    assert attrs.cause == "nondeterminism"
    message = attrs.failure.message
    assert "StartTimer" in message, message
    assert "ActivityTaskScheduled" in message, message
    assert f"at event {scheduled.event_id}" in message, message
    assert attrs.failure.application_failure_info.type == "NondeterminismError"
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

    # The same verdict offline, from the recorded history.
    history = await handle.fetch_history()
    with pytest.raises(NondeterminismError, match="StartTimer"):
        await Replayer(workflows=[EvolvingV2]).replay_workflow(history)

    # Deploying compatible code again lets the workflow finish.
    async with Worker(client, task_queue=task_queue, workflows=[EvolvingV1],
                      activities=[step_a]):
        assert await asyncio.wait_for(handle.result(), 60) == 2


async def test_replayer_accepts_compatible_code_and_rejects_incompatible(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[EvolvingV1],
                      activities=[step_a]):
        handle = await client.start_workflow(EvolvingV1.run, 41, id="replay-me",
                                             task_queue=task_queue)
        assert await handle.result() == 42
    history = await handle.fetch_history()

    result = await Replayer(workflows=[EvolvingV1]).replay_workflow(history)
    assert result.replay_failure is None
    await Replayer(workflows=[EvolvingV1Compatible]).replay_workflow(history)

    # Through a JSON fixture too.
    loaded = WorkflowHistory.from_json("replay-me", history.to_json(), run_id=history.run_id)
    await Replayer(workflows=[EvolvingV1]).replay_workflow(loaded)

    result = await Replayer(workflows=[EvolvingV2]).replay_workflow(
        history, raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, NondeterminismError)
    message = str(result.replay_failure)
    assert "StartTimer(seq=1)" in message
    assert "ActivityTaskScheduled(seq=1, type='step_a')" in message
    assert "at event 5" in message
