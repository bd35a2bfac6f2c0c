"""Continue-as-new: a chain of runs under one workflow id, each with its own short history."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from history_util import commands_only, event_types, replay_closed_runs

from durable import activity, workflow
from durable.client import (
    Client,
    WorkflowContinuedAsNewError,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from durable.exceptions import ApplicationError
from durable.worker import Worker


@dataclass
class Progress:
    total: int
    runs_left: int
    previous_run_ids: list[str]


@activity.defn
async def add(a: int, b: int) -> int:
    return a + b


@workflow.defn
class Accumulator:
    @workflow.run
    async def run(self, p: Progress) -> Progress:
        i = workflow.info()
        if p.previous_run_ids:
            assert i.continued_run_id == p.previous_run_ids[-1], (i.continued_run_id, p)
        else:
            assert i.continued_run_id is None
        total = await workflow.execute_activity(add, args=[p.total, 1],
                                                start_to_close_timeout=timedelta(seconds=10))
        await asyncio.sleep(0.001)
        nxt = Progress(total, p.runs_left - 1, p.previous_run_ids + [i.run_id])
        if nxt.runs_left > 0:
            workflow.continue_as_new(nxt)
        return nxt


@workflow.defn
class Swallower:
    """continue_as_new is not an Exception: ``except Exception`` does not swallow it."""

    @workflow.run
    async def run(self, n: int) -> int:
        if n == 0:
            return workflow.info().attempt
        try:
            workflow.continue_as_new(n - 1)
        except Exception:
            raise ApplicationError("continue_as_new was caught as an Exception") from None


@workflow.defn(name="finisher")
class Finisher:
    @workflow.run
    async def run(self, msg: str) -> dict:
        i = workflow.info()
        return {"msg": msg, "type": i.workflow_type, "queue": i.task_queue,
                "run_timeout": i.run_timeout.total_seconds() if i.run_timeout else None}


@workflow.defn
class BecomesFinisher:
    @workflow.run
    async def run(self, queue: str) -> None:
        workflow.continue_as_new("from BecomesFinisher", workflow=Finisher.run, task_queue=queue,
                                 run_timeout=timedelta(minutes=5))


@pytest.fixture
async def worker(client: Client, task_queue: str) -> Any:
    async with Worker(client, task_queue=task_queue,
                      workflows=[Accumulator, Swallower, Finisher, BecomesFinisher],
                      activities=[add]) as w:
        yield w
    # Every closed run the tests produced replays from its history.
    await replay_closed_runs(client, [Accumulator, Swallower, Finisher, BecomesFinisher])


async def _run_ids(client: Client, workflow_id: str, first_run_id: str) -> list[str]:
    """Every run of the chain, following each run's continued-as-new event."""
    ids = [first_run_id]
    while True:
        h = await client.get_workflow_handle(workflow_id, run_id=ids[-1]).fetch_history()
        last = h.events[-1]
        if last.WhichOneof("attributes") != "workflow_execution_continued_as_new":
            return ids
        ids.append(last.workflow_execution_continued_as_new.new_execution_run_id)


async def test_continue_as_new_100_times_keeps_each_history_short(
        client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(Accumulator.run, Progress(0, 100, []), id="can-100",
                                         task_queue=task_queue)
    result = await asyncio.wait_for(handle.result(), 110)
    assert isinstance(result, Progress)
    assert (result.total, result.runs_left) == (100, 0)
    runs = await _run_ids(client, "can-100", handle.run_id or "")
    assert len(runs) == 100 and len(set(runs)) == 100
    assert result.previous_run_ids == runs  # each run saw its own id; continued_run_id chained
    longest = 0
    for n, run_id in enumerate(runs):
        run = client.get_workflow_handle("can-100", run_id=run_id)
        kinds = await event_types(run)
        longest = max(longest, len(kinds))
        last = "workflow_execution_completed" if n == 99 else "workflow_execution_continued_as_new"
        assert commands_only(kinds) == [
            "workflow_execution_started", "activity_task_scheduled", "activity_task_started",
            "activity_task_completed", "timer_started", "timer_fired", last], (n, kinds)
        desc = await run.describe()
        assert desc.status == (WorkflowExecutionStatus.COMPLETED if n == 99
                               else WorkflowExecutionStatus.CONTINUED_AS_NEW)
    assert longest <= 16  # bounded: a run's history does not grow with the chain
    # A handle on the latest run gives the same result; on a middle run, without following,
    # the client says where the chain went.
    assert await client.get_workflow_handle_for(Accumulator.run, "can-100").result() == result
    with pytest.raises(WorkflowContinuedAsNewError) as info:
        await client.get_workflow_handle("can-100", run_id=runs[50]).result(follow_runs=False)
    assert info.value.new_execution_run_id == runs[51]


async def test_continue_as_new_is_not_swallowed_by_except_exception(
        client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(Swallower.run, 3, id="can-swallow", task_queue=task_queue)
    assert await handle.result() == 1
    assert len(await _run_ids(client, "can-swallow", handle.run_id or "")) == 4


async def test_continue_as_new_as_another_type_with_options(
        client: Client, task_queue: str, worker: Worker) -> None:
    other = task_queue + "-other"
    async with Worker(client, task_queue=other, workflows=[Finisher]):
        handle = await client.start_workflow(BecomesFinisher.run, other, id="can-other",
                                             task_queue=task_queue)
        assert await handle.result() == {"msg": "from BecomesFinisher", "type": "finisher",
                                         "queue": other, "run_timeout": 300.0}
    first = await handle.fetch_history()
    can = first.events[-1].workflow_execution_continued_as_new
    assert (can.workflow_type, can.task_queue, can.run_timeout_us) == (
        "finisher", other, 300_000_000)
    latest = await client.get_workflow_handle("can-other").describe()
    assert (latest.workflow_type, latest.task_queue) == ("finisher", other)
    assert latest.run_id != handle.run_id


async def test_continue_as_new_outside_a_workflow_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not in workflow code"):
        workflow.continue_as_new(1)


async def test_continue_as_new_with_both_arg_and_args_is_refused(
        client: Client, task_queue: str) -> None:
    @workflow.defn(name="BadContinue")
    class BadContinue:
        @workflow.run
        async def run(self) -> None:
            try:
                workflow.continue_as_new(1, args=[2])
            except ValueError as e:
                raise ApplicationError(str(e), non_retryable=True) from None

    async with Worker(client, task_queue=task_queue, workflows=[BadContinue]):
        with pytest.raises(WorkflowFailureError) as info:
            await client.execute_workflow(BadContinue.run, id="bad-can", task_queue=task_queue)
    assert isinstance(info.value.cause, ApplicationError)
    assert "not both" in info.value.cause.message
