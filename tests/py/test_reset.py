"""Reset (``client.workflow_service.reset_workflow_execution``), on both transports: the fix
after a bad deploy — a run stuck on buggy activity code is reset to its first workflow task
under a worker with fixed code; the new run sees every signal and completes; the old run is
terminated naming the new run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.api.common.v1 import WorkflowExecution
from durable.api.enums.v1 import RESET_REAPPLY_TYPE_NONE
from durable.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from durable.client import Client, WorkflowExecutionStatus
from durable.common import RetryPolicy
from durable.exceptions import InvalidArgumentError, NotFoundError
from durable.worker import Worker

from reset_util import Inbox

calls_v1: list[list[str]] = []


@activity.defn(name="process")
async def process_v1(items: list[str]) -> str:
    calls_v1.append(items)
    raise RuntimeError("v1 bug: cannot process orders")


@activity.defn(name="process")
async def process_v2(items: list[str]) -> str:
    return "processed " + ",".join(items)


@workflow.defn
class OrderWorkflow(Inbox):
    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.closed)
        return await workflow.execute_activity(
            "process", self.items, start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50),
                                     backoff_coefficient=1.0))


async def wait_for(cond, what: str) -> None:
    for _ in range(1000):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def kinds_of(events) -> list[str]:
    return [e.WhichOneof("attributes") for e in events]


def first_task_end(events) -> int:
    return next(e.event_id for e in events if e.HasField("workflow_task_completed"))


async def test_reset_to_first_task_runs_fixed_code_with_signals_reapplied(
        client: Client, task_queue: str) -> None:
    calls_v1.clear()
    wid = f"order-{task_queue}"
    async with Worker(client, task_queue=task_queue, workflows=[OrderWorkflow],
                      activities=[process_v1]):
        handle = await client.start_workflow(OrderWorkflow.run, id=wid, task_queue=task_queue)
        for item in ("a", "b", "c"):
            await handle.signal(OrderWorkflow.add, item)
        await handle.signal(OrderWorkflow.close)
        await wait_for(lambda: len(calls_v1) >= 2, "v1's activity to fail twice")
    assert calls_v1[0] == ["a", "b", "c"]
    old_run = (await handle.describe()).run_id
    history = await handle.fetch_history()

    resp = await client.workflow_service.reset_workflow_execution(ResetWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=wid, run_id=old_run),
        reason="deploy v2 of process", workflow_task_finish_event_id=first_task_end(history.events),
        request_id="reset-1"))
    new_run = resp.run_id
    assert new_run and new_run != old_run

    async with Worker(client, task_queue=task_queue, workflows=[OrderWorkflow],
                      activities=[process_v2]):
        new_handle = client.get_workflow_handle(wid, run_id=new_run)
        assert await new_handle.result() == "processed a,b,c"

    new_events = (await new_handle.fetch_history()).events
    point = first_task_end(history.events)
    # The prefix as it was (a signal may have come before the first task started), the
    # reset marker, then every later signal re-applied: all four signals, once each.
    assert kinds_of(new_events[:point - 1]) == kinds_of(history.events[:point - 1])
    assert kinds_of(new_events).count("workflow_execution_signaled") == 4
    after = kinds_of(new_events[point:])
    assert after[:after.count("workflow_execution_signaled")] == (
        ["workflow_execution_signaled"] * after.count("workflow_execution_signaled"))
    failed = new_events[point - 1].workflow_task_failed
    assert (failed.cause, failed.base_run_id, failed.new_run_id) == ("reset", old_run, new_run)
    assert failed.failure.message == "deploy v2 of process"

    old_handle = client.get_workflow_handle(wid, run_id=old_run)
    assert (await old_handle.describe()).status == WorkflowExecutionStatus.TERMINATED
    last = (await old_handle.fetch_history()).events[-1]
    assert last.HasField("workflow_execution_terminated")
    assert new_run in last.workflow_execution_terminated.reason
    # The new run is the workflow's current run.
    assert (await client.get_workflow_handle(wid).describe()).run_id == new_run


async def test_reset_without_reapply_drops_signals_and_bad_points_are_refused(
        client: Client, task_queue: str) -> None:
    wid = f"order-none-{task_queue}"
    async with Worker(client, task_queue=task_queue, workflows=[OrderWorkflow],
                      activities=[process_v2]):
        handle = await client.start_workflow(OrderWorkflow.run, id=wid, task_queue=task_queue)
        await handle.signal(OrderWorkflow.add, "x")
        await handle.signal(OrderWorkflow.close)
        assert await handle.result() == "processed x"
    events = (await handle.fetch_history()).events
    svc = client.workflow_service
    with pytest.raises(InvalidArgumentError, match="does not end a started workflow task"):
        await svc.reset_workflow_execution(ResetWorkflowExecutionRequest(
            workflow_execution=WorkflowExecution(workflow_id=wid), reason="r",
            workflow_task_finish_event_id=1))
    with pytest.raises(NotFoundError):
        await svc.reset_workflow_execution(ResetWorkflowExecutionRequest(
            workflow_execution=WorkflowExecution(workflow_id="no-such-workflow"),
            workflow_task_finish_event_id=4))
    with pytest.raises(ValueError, match="namespace"):
        await svc.reset_workflow_execution(ResetWorkflowExecutionRequest(
            namespace="elsewhere", workflow_execution=WorkflowExecution(workflow_id=wid),
            workflow_task_finish_event_id=4))

    resp = await svc.reset_workflow_execution(ResetWorkflowExecutionRequest(
        workflow_execution=WorkflowExecution(workflow_id=wid), reason="again",
        workflow_task_finish_event_id=first_task_end(events),
        reset_reapply_type=RESET_REAPPLY_TYPE_NONE))
    new_events = (await client.get_workflow_handle(wid, run_id=resp.run_id).fetch_history()).events
    point = first_task_end(events)
    assert kinds_of(new_events) == kinds_of(events[:point - 1]) + [
        "workflow_task_failed", "workflow_task_scheduled"]
    # The completed run stays completed; the new one waits for signals it will not get.
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    await client.get_workflow_handle(wid, run_id=resp.run_id).terminate("test over")


greet_calls: list[str] = []


@activity.defn
async def greet(name: str) -> str:
    greet_calls.append(name)
    return f"Hello, {name}!"


@workflow.defn
class GreetWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(greet, name,
                                               start_to_close_timeout=timedelta(seconds=10))


async def test_reset_simple_activity_workflow_to_first_and_last_task(
        client: Client, task_queue: str) -> None:
    greet_calls.clear()
    wid = f"greet-{task_queue}"
    async with Worker(client, task_queue=task_queue, workflows=[GreetWorkflow],
                      activities=[greet]):
        handle = await client.start_workflow(GreetWorkflow.run, "Ann", id=wid,
                                             task_queue=task_queue)
        assert await handle.result() == "Hello, Ann!"
        events = (await handle.fetch_history()).events
        ends = [e.event_id for e in events if e.HasField("workflow_task_completed")]
        assert len(ends) == 2 and greet_calls == ["Ann"]

        def req(event_id: int) -> ResetWorkflowExecutionRequest:
            return ResetWorkflowExecutionRequest(
                workflow_execution=WorkflowExecution(workflow_id=wid), reason="test",
                workflow_task_finish_event_id=event_id)

        # Last workflow task: the activity's result is in the copied prefix; it does not run.
        last = await client.workflow_service.reset_workflow_execution(req(ends[-1]))
        assert await client.get_workflow_handle(wid, run_id=last.run_id).result() == "Hello, Ann!"
        assert greet_calls == ["Ann"]
        # First workflow task: the workflow schedules the activity again.
        first = await client.workflow_service.reset_workflow_execution(req(ends[0]))
        assert await client.get_workflow_handle(wid, run_id=first.run_id).result() == "Hello, Ann!"
        assert greet_calls == ["Ann", "Ann"]
