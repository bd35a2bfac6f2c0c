"""Cancellation: handle.cancel() / terminate() and what workflow code sees, with its history."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from history_util import (
    assert_in_order,
    commands_only,
    event_types,
    replay_closed_runs,
    wait_for_event,
)

from durable import activity, workflow
from durable.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from durable.common import RetryPolicy
from durable.exceptions import (
    ActivityError,
    CancelledError,
    ChildWorkflowError,
    TerminatedError,
)
from durable.worker import Worker

ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)
STARTED: dict[str, asyncio.Event] = {}  # activity name -> set when it runs (test loop)
RELEASED: dict[str, asyncio.Event] = {}  # activity name -> set by the test to let it return
CLEANED: list[str] = []


@activity.defn
async def wait_until_cancelled(name: str) -> str:
    """Heartbeats until cancelled; acknowledges the cancellation by letting it raise."""
    STARTED.setdefault(name, asyncio.Event()).set()
    while True:
        activity.heartbeat()
        await asyncio.sleep(0.05)


@activity.defn
async def slow_echo(name: str) -> str:
    STARTED.setdefault(name, asyncio.Event()).set()
    await asyncio.wait_for(RELEASED.setdefault(name, asyncio.Event()).wait(), 30)
    return f"echo {name}"


@activity.defn
async def cleanup(tag: str) -> str:
    CLEANED.append(tag)
    return f"cleaned {tag}"


def _act_opts(**kw: Any) -> dict[str, Any]:
    return dict(start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=timedelta(seconds=5), retry_policy=ONE_ATTEMPT, **kw)


@workflow.defn
class SleepsForAnHour:
    @workflow.run
    async def run(self) -> str:
        await asyncio.sleep(3600)
        return "woke"


@workflow.defn
class CatchesCancelAndCompletes:
    @workflow.run
    async def run(self) -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            return await workflow.execute_activity(cleanup, "timer", **_act_opts())
        return "woke"


@workflow.defn
class CleansUpAndReraises:
    @workflow.run
    async def run(self, name: str) -> str:
        try:
            return await workflow.execute_activity(wait_until_cancelled, name, **_act_opts())
        finally:
            await workflow.execute_activity(cleanup, name, **_act_opts())


@workflow.defn
class CancelsActivityWith:
    @workflow.run
    async def run(self, name: str, cancellation_type: int) -> list[str]:
        try:
            await workflow.execute_activity(
                wait_until_cancelled, name,
                **_act_opts(cancellation_type=workflow.ActivityCancellationType(
                    cancellation_type)))
        except ActivityError as e:
            assert isinstance(e.cause, CancelledError)
            return ["ActivityError", type(e.cause).__name__]
        return ["no error"]


@workflow.defn
class ShieldsItsActivity:
    @workflow.run
    async def run(self, name: str) -> str:
        task = asyncio.ensure_future(workflow.execute_activity(slow_echo, name, **_act_opts()))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            return "shielded: " + await task


@workflow.defn
class Child:
    @workflow.run
    async def run(self) -> str:
        await asyncio.sleep(3600)
        return "child woke"


@workflow.defn
class AwaitsChild:
    @workflow.run
    async def run(self, child_id: str) -> str:
        return await workflow.execute_child_workflow(Child.run, id=child_id)


WORKFLOWS = [SleepsForAnHour, CatchesCancelAndCompletes, CleansUpAndReraises,
             CancelsActivityWith, ShieldsItsActivity, Child, AwaitsChild]
ACTIVITIES = [wait_until_cancelled, slow_echo, cleanup]


@pytest.fixture
async def worker(client: Client, task_queue: str) -> Any:
    STARTED.clear()
    RELEASED.clear()
    CLEANED.clear()
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS,
                      activities=ACTIVITIES) as w:
        yield w
    # Every closed run the tests produced replays from its history.
    await replay_closed_runs(client, WORKFLOWS)


async def _started(name: str) -> None:
    await asyncio.wait_for(STARTED.setdefault(name, asyncio.Event()).wait(), 30)


async def test_cancel_raises_cancelled_error_in_the_workflow(
        client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(SleepsForAnHour.run, id="c-sleep", task_queue=task_queue)
    await wait_for_event(handle, "timer_started")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "timer_started", "workflow_execution_cancel_requested",
        "timer_canceled", "workflow_execution_canceled"]


async def test_cancel_before_the_first_task_cancels_at_once(
        client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(SleepsForAnHour.run, id="c-early", task_queue=task_queue)
    await handle.cancel()
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS):
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
    assert isinstance(info.value.cause, CancelledError)
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "workflow_execution_cancel_requested",
        "workflow_execution_canceled"]


async def test_workflow_may_catch_the_cancel_run_cleanup_and_complete(
        client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(CatchesCancelAndCompletes.run, id="c-catch",
                                         task_queue=task_queue)
    await wait_for_event(handle, "timer_started")
    await handle.cancel(reason="stop please")
    assert await handle.result() == "cleaned timer"
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "timer_started", "workflow_execution_cancel_requested",
        "timer_canceled", "activity_task_scheduled", "activity_task_started",
        "activity_task_completed", "workflow_execution_completed"]


async def test_cancel_reaches_a_running_activity_and_cleanup_runs_before_cancelled(
        client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(CleansUpAndReraises.run, "a1", id="c-cleanup",
                                         task_queue=task_queue)
    await _started("a1")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    # The activity's ActivityError(cause=CancelledError) escaped: the workflow is cancelled.
    assert isinstance(info.value.cause, CancelledError)
    assert CLEANED == ["a1"]
    kinds = await event_types(handle)
    assert_in_order(kinds, [
        "workflow_execution_started", "activity_task_scheduled",
        "workflow_execution_cancel_requested", "activity_task_cancel_requested",
        "activity_task_scheduled", "activity_task_completed", "workflow_execution_canceled"])
    assert kinds[-1] == "workflow_execution_canceled"


@pytest.mark.parametrize("ctype", list(workflow.ActivityCancellationType))
async def test_activity_cancellation_types(client: Client, task_queue: str, worker: Worker,
                                           ctype: workflow.ActivityCancellationType) -> None:
    name = f"ct-{ctype.name}"
    handle = await client.start_workflow(CancelsActivityWith.run, args=[name, int(ctype)],
                                         id=name, task_queue=task_queue)
    await _started(name)
    await handle.cancel()
    # The workflow catches the ActivityError and completes.
    assert await handle.result() == ["ActivityError", "CancelledError"]
    kinds = commands_only(await event_types(handle))
    if ctype == workflow.ActivityCancellationType.ABANDON:
        assert "activity_task_cancel_requested" not in kinds
        assert kinds == ["workflow_execution_started", "activity_task_scheduled",
                         "workflow_execution_cancel_requested", "workflow_execution_completed"]
    elif ctype == workflow.ActivityCancellationType.TRY_CANCEL:
        # Resolved at once: the workflow completes in the task that requested the cancel.
        assert kinds[:4] == ["workflow_execution_started", "activity_task_scheduled",
                             "workflow_execution_cancel_requested",
                             "activity_task_cancel_requested"]
        assert "workflow_execution_completed" in kinds
    else:
        # Waited for the activity to acknowledge (it heartbeats, learns, raises).
        assert_in_order(kinds, ["activity_task_scheduled", "workflow_execution_cancel_requested",
                                "activity_task_cancel_requested", "activity_task_canceled",
                                "workflow_execution_completed"])


async def test_asyncio_shield_keeps_the_activity_running(
        client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(ShieldsItsActivity.run, "s1", id="c-shield",
                                         task_queue=task_queue)
    await _started("s1")
    await handle.cancel()
    # The activity ends only once the cancellation is in history: the shield is what
    # keeps the workflow waiting for it.
    await wait_for_event(handle, "workflow_execution_cancel_requested")
    RELEASED.setdefault("s1", asyncio.Event()).set()
    assert await handle.result() == "shielded: echo s1"
    kinds = commands_only(await event_types(handle))
    assert "activity_task_cancel_requested" not in kinds
    assert_in_order(kinds, ["workflow_execution_started", "activity_task_scheduled",
                            "workflow_execution_cancel_requested", "activity_task_completed",
                            "workflow_execution_completed"])


async def test_cancelling_a_parent_cancels_its_child(client: Client, task_queue: str,
                                                     worker: Worker) -> None:
    parent = await client.start_workflow(AwaitsChild.run, "c-child", id="c-parent",
                                         task_queue=task_queue)
    await wait_for_event(parent, "child_workflow_execution_started")
    child = client.get_workflow_handle("c-child")
    await wait_for_event(child, "timer_started")
    await parent.cancel()
    with pytest.raises(WorkflowFailureError) as info:
        await parent.result()
    assert isinstance(info.value.cause, CancelledError)
    with pytest.raises(WorkflowFailureError) as child_info:
        await child.result()
    assert isinstance(child_info.value.cause, CancelledError)
    assert (await child.describe()).status == WorkflowExecutionStatus.CANCELED
    assert commands_only(await event_types(parent)) == [
        "workflow_execution_started", "start_child_workflow_execution_initiated",
        "child_workflow_execution_started", "workflow_execution_cancel_requested",
        "request_cancel_external_workflow_execution_initiated",
        "external_workflow_execution_cancel_requested", "child_workflow_execution_canceled",
        "workflow_execution_canceled"]
    assert commands_only(await event_types(child)) == [
        "workflow_execution_started", "timer_started", "workflow_execution_cancel_requested",
        "timer_canceled", "workflow_execution_canceled"]


async def test_child_error_carries_the_cancellation(client: Client, task_queue: str,
                                                    worker: Worker) -> None:
    # The parent catches what the cancelled child raised.
    @workflow.defn(name="CatchesChildCancel")
    class CatchesChildCancel:
        @workflow.run
        async def run(self) -> list[str]:
            try:
                await workflow.execute_child_workflow(Child.run, id="cc-child")
            except ChildWorkflowError as e:
                return [type(e).__name__, type(e.cause).__name__]
            return ["no error"]

    async with Worker(client, task_queue=task_queue + "-2", workflows=[CatchesChildCancel, Child]):
        parent = await client.start_workflow(CatchesChildCancel.run, id="cc-parent",
                                             task_queue=task_queue + "-2")
        child = client.get_workflow_handle("cc-child")
        await wait_for_event(child, "timer_started")
        await child.cancel()
        assert await parent.result() == ["ChildWorkflowError", "CancelledError"]


async def test_terminate(client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(SleepsForAnHour.run, id="c-term", task_queue=task_queue)
    await wait_for_event(handle, "timer_started")
    await handle.terminate("detail", reason="operator said so")
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    cause = info.value.cause
    assert isinstance(cause, TerminatedError)
    assert cause.message == "operator said so"
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
    kinds = commands_only(await event_types(handle))
    assert kinds == ["workflow_execution_started", "timer_started",
                     "workflow_execution_terminated"]
