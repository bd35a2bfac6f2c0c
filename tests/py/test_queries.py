"""Queries: answered from workflow state by the worker, read-only, never recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowQueryFailedError
from durable.worker import Worker


async def event_types(handle: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]


@dataclass
class Status:
    stage: str
    count: int


@activity.defn
async def double(x: int) -> int:
    return 2 * x


@workflow.defn
class CounterWorkflow:
    def __init__(self) -> None:
        self.count = 0
        self.stage = "starting"
        self.go = False

    @workflow.signal
    def increment(self, by: int) -> None:
        self.count += by

    @workflow.signal
    def finish(self) -> None:
        self.go = True

    @workflow.query
    def status(self) -> Status:
        return Status(self.stage, self.count)

    @workflow.query(name="count-plus")
    def count_plus(self, extra: int) -> int:
        return self.count + extra

    @workflow.query
    def sneaky(self) -> int:
        # A query must not issue commands: this fails the query, not the workflow.
        workflow.start_activity(double, 1, start_to_close_timeout=timedelta(seconds=5))
        return 0

    @workflow.query
    def broken(self) -> int:
        raise ValueError("the query handler has a bug")

    @workflow.run
    async def run(self) -> int:
        self.stage = "waiting"
        await workflow.wait_condition(lambda: self.go)
        self.stage = "doubling"
        result = await workflow.execute_activity(double, self.count,
                                                 start_to_close_timeout=timedelta(seconds=5))
        self.stage = "done"
        return result


@pytest.mark.parametrize("max_cached", [100, 0])
async def test_query_running_and_completed_workflow(client: Client, task_queue: str,
                                                    max_cached: int) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CounterWorkflow],
                      activities=[double], max_cached_workflows=max_cached):
        handle = await client.start_workflow(CounterWorkflow.run, id="counter",
                                             task_queue=task_queue)
        await handle.signal(CounterWorkflow.increment, 3)
        await handle.signal(CounterWorkflow.increment, 4)
        # Queries see state as of the workflow's last completed task; poll until both
        # signals were handled.
        for _ in range(100):
            status = await handle.query(CounterWorkflow.status)
            if status.count == 7:
                break
        assert status == Status("waiting", 7)
        assert isinstance(status, Status)  # decoded with the handler's return annotation
        assert await handle.query("count-plus", 10) == 17
        assert await handle.query(CounterWorkflow.count_plus, 1) == 8
        before = await event_types(handle)
        await handle.signal(CounterWorkflow.finish)
        assert await handle.result() == 14
        # A completed workflow still answers (from the cache or by replaying its history).
        assert await handle.query(CounterWorkflow.status) == Status("done", 7)
    kinds = await event_types(handle)
    # Queries are never recorded.
    assert not any("query" in k for k in kinds)
    assert kinds[:len(before)] == before
    assert kinds[-1] == "workflow_execution_completed"


async def test_query_of_a_completed_workflow_by_a_new_worker_replays_history(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CounterWorkflow],
                      activities=[double]):
        handle = await client.start_workflow(CounterWorkflow.run, id="counter-2",
                                             task_queue=task_queue)
        await handle.signal(CounterWorkflow.increment, 5)
        await handle.signal(CounterWorkflow.finish)
        assert await handle.result() == 10
    history_len = len((await handle.fetch_history()).events)
    async with Worker(client, task_queue=task_queue, workflows=[CounterWorkflow],
                      activities=[double]):
        assert await handle.query(CounterWorkflow.status) == Status("done", 5)
    assert len((await handle.fetch_history()).events) == history_len


async def test_query_errors(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CounterWorkflow],
                      activities=[double]):
        handle = await client.start_workflow(CounterWorkflow.run, id="counter-3",
                                             task_queue=task_queue)
        with pytest.raises(WorkflowQueryFailedError) as e:
            await handle.query("no-such-query")
        assert "no-such-query" in e.value.message
        assert "known queries: ['broken', 'count-plus', 'sneaky', 'status', " in e.value.message
        with pytest.raises(WorkflowQueryFailedError, match="read-only"):
            await handle.query(CounterWorkflow.sneaky)
        with pytest.raises(WorkflowQueryFailedError, match="the query handler has a bug"):
            await handle.query(CounterWorkflow.broken)
        # The workflow is unharmed: no activity was scheduled by the sneaky query.
        await handle.signal(CounterWorkflow.increment, 1)
        await handle.signal(CounterWorkflow.finish)
        assert await handle.result() == 2
    kinds = await event_types(handle)
    assert kinds.count("activity_task_scheduled") == 1


async def test_stack_trace_query_shows_where_the_workflow_waits(client: Client,
                                                                task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CounterWorkflow],
                      activities=[double]):
        handle = await client.start_workflow(CounterWorkflow.run, id="counter-4",
                                             task_queue=task_queue)
        trace = await handle.query("__stack_trace")
        assert "wait_condition" in trace
        await handle.signal(CounterWorkflow.finish)
        await handle.result()


async def test_query_bad_input(client: Client) -> None:
    handle = client.get_workflow_handle("nope")
    with pytest.raises(ValueError, match="not a query handler"):
        await handle.query(CounterWorkflow.increment)
    with pytest.raises(ValueError, match="not both"):
        await handle.query("status", 1, args=[2])


def test_query_decorator_validation() -> None:
    with pytest.raises(ValueError, match="must not be async"):
        @workflow.query
        async def q(self: Any) -> int:
            return 1
