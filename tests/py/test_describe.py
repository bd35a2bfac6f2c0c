"""handle.describe() and handle.fetch_history(): status, times, pending activities and children."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from history_util import replay_closed_runs, wait_for_event

from durable import activity, workflow
from durable.client import (
    Client,
    PendingActivityState,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHistory,
)
from durable.common import RetryPolicy
from durable.exceptions import ApplicationError, NotFoundError
from durable.v1 import service_pb2
from durable.worker import Worker

RELEASE: dict[str, asyncio.Event] = {}


@activity.defn
async def slow_job(key: str) -> str:
    if activity.info().attempt == 1:
        raise ApplicationError("first attempt breaks", type="Transient")
    activity.heartbeat("progress", 5)
    await RELEASE[key].wait()
    return f"done {key}"


@workflow.defn
class Parent:
    @workflow.run
    async def run(self, key: str) -> str:
        child = await workflow.start_child_workflow(
            Child.run, id=f"{key}-child",
            parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL)
        out = await workflow.execute_activity(
            slow_job, key, activity_id="job", start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                     maximum_attempts=4))
        child.cancel()
        return out


@workflow.defn
class Child:
    @workflow.run
    async def run(self) -> None:
        await asyncio.sleep(3600)


@pytest.fixture
async def worker(client: Client, task_queue: str) -> Any:
    async with Worker(client, task_queue=task_queue, workflows=[Parent, Child],
                      activities=[slow_job]) as w:
        yield w
    # Every closed run the tests produced replays from its history.
    await replay_closed_runs(client, [Parent, Child])


async def _describe_until(handle: Any, ok: Any,
                          timeout: float = 30) -> WorkflowExecutionDescription:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        desc = await handle.describe()
        if ok(desc):
            return desc  # type: ignore[no-any-return]
        assert loop.time() < deadline, f"describe never matched: {desc}"
        await asyncio.sleep(0.05)


async def test_describe_a_running_workflow_with_pending_activity_and_child(
        client: Client, task_queue: str, worker: Worker) -> None:
    RELEASE["d1"] = asyncio.Event()
    handle = await client.start_workflow(Parent.run, "d1", id="d1", task_queue=task_queue)
    desc = await _describe_until(
        handle, lambda d: d.pending_activities and d.pending_activities[0].heartbeat_details)
    assert desc.status == WorkflowExecutionStatus.RUNNING
    assert (desc.id, desc.run_id, desc.workflow_type, desc.task_queue) == (
        "d1", handle.run_id, "Parent", task_queue)
    assert desc.close_time is None and desc.start_time.year >= 2024
    assert desc.history_length >= 5
    [act] = desc.pending_activities
    assert (act.activity_id, act.activity_type, act.attempt, act.maximum_attempts) == (
        "job", "slow_job", 2, 4)
    assert act.state == PendingActivityState.STARTED
    assert list(act.heartbeat_details) == ["progress", 5]
    assert isinstance(act.last_failure, ApplicationError)
    assert act.last_failure.message == "first attempt breaks"
    assert act.last_started_time is not None and act.last_heartbeat_time is not None
    [child] = desc.pending_children
    child_desc = await client.get_workflow_handle("d1-child").describe()
    assert (child.workflow_id, child.run_id, child.workflow_type) == (
        "d1-child", child_desc.run_id, "Child")
    assert child.parent_close_policy == workflow.ParentClosePolicy.REQUEST_CANCEL
    assert (child_desc.parent_id, child_desc.parent_run_id) == ("d1", handle.run_id)
    # The proto as received is .raw; raw_description reads it with Temporal's field names
    # (test_raw_description.py) and forwards durable's own.
    assert isinstance(desc.raw, service_pb2.DescribeWorkflowExecutionResponse)
    assert desc.raw.pending_activities[0].activity_id == "job"
    assert desc.raw_description.info is desc.raw.info or desc.raw_description.info == desc.raw.info

    RELEASE["d1"].set()
    assert await handle.result() == "done d1"
    closed = await handle.describe()
    assert closed.status == WorkflowExecutionStatus.COMPLETED
    assert closed.close_time is not None and closed.close_time >= closed.start_time
    assert not closed.pending_activities and not closed.pending_children
    history = await handle.fetch_history()
    assert isinstance(history, WorkflowHistory)
    assert (history.workflow_id, history.run_id) == ("d1", handle.run_id)
    assert closed.history_length == len(history.events)
    assert [e.event_id for e in history.events] == list(range(1, len(history.events) + 1))
    kinds = [e.WhichOneof("attributes") for e in history.events]
    assert kinds[0] == "workflow_execution_started" and kinds[-1] == "workflow_execution_completed"
    await wait_for_event(client.get_workflow_handle("d1-child"), "workflow_execution_canceled")


async def test_status_values_match_temporal(client: Client) -> None:
    assert issubclass(WorkflowExecutionStatus, int)
    assert [(s.name, int(s)) for s in WorkflowExecutionStatus] == [
        ("RUNNING", 1), ("COMPLETED", 2), ("FAILED", 3), ("CANCELED", 4), ("TERMINATED", 5),
        ("CONTINUED_AS_NEW", 6), ("TIMED_OUT", 7)]
    assert [(s.name, int(s)) for s in PendingActivityState] == [
        ("SCHEDULED", 1), ("STARTED", 2), ("CANCEL_REQUESTED", 3)]


async def test_describe_and_history_of_unknown_workflow(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.get_workflow_handle("nobody").describe()
    with pytest.raises(NotFoundError):
        await client.get_workflow_handle("nobody").fetch_history()
    with pytest.raises(NotFoundError):
        await client.get_workflow_handle("nobody", run_id="not-a-run").describe()


async def test_describe_a_specific_run(client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(Child.run, id="runs", task_queue=task_queue)
    await wait_for_event(handle, "timer_started")
    await handle.terminate()
    second = await client.start_workflow(Child.run, id="runs", task_queue=task_queue)
    first = await client.get_workflow_handle("runs", run_id=handle.run_id).describe()
    latest = await client.get_workflow_handle("runs").describe()
    assert (first.run_id, first.status) == (handle.run_id, WorkflowExecutionStatus.TERMINATED)
    assert (latest.run_id, latest.status) == (second.run_id, WorkflowExecutionStatus.RUNNING)
    await second.terminate()
