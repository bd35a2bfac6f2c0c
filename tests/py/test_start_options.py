"""Start options end to end: id reuse / conflict policies, timeouts, workflow retry policy."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from history_util import commands_only, event_types, replay_closed_runs, wait_for_event

from durable import workflow
from durable.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from durable.common import RetryPolicy, WorkflowIdConflictPolicy, WorkflowIdReusePolicy
from durable.exceptions import (
    ApplicationError,
    TerminatedError,
    TimeoutError,
    WorkflowAlreadyStartedError,
)
from durable.worker import Worker


@workflow.defn
class Echo:
    @workflow.run
    async def run(self, x: str) -> str:
        if x == "fail":
            raise ApplicationError("asked to fail", non_retryable=True)
        return x


@workflow.defn
class Sleeps:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "woke"


@workflow.defn
class Reports:
    @workflow.run
    async def run(self) -> dict:
        i = workflow.info()
        return {"execution_timeout": i.execution_timeout.total_seconds()
                if i.execution_timeout else None,
                "run_timeout": i.run_timeout.total_seconds() if i.run_timeout else None,
                "task_timeout": i.task_timeout.total_seconds(),
                "retry_max": i.retry_policy.maximum_attempts if i.retry_policy else None}


@workflow.defn
class FlakyWorkflow:
    @workflow.run
    async def run(self, succeed_on: int) -> list[Any]:
        i = workflow.info()
        if i.attempt < succeed_on:
            raise ApplicationError(f"attempt {i.attempt} failed", type="Flaky")
        return [i.attempt, i.continued_run_id is not None, i.first_execution_run_id]


@workflow.defn
class FailsForGood:
    @workflow.run
    async def run(self) -> None:
        raise ApplicationError("cannot ever work", type="Fatal")


@pytest.fixture
async def worker(client: Client, task_queue: str) -> Any:
    async with Worker(client, task_queue=task_queue,
                      workflows=[Echo, Sleeps, Reports, FlakyWorkflow, FailsForGood]) as w:
        yield w
    # Every closed run the tests produced replays from its history.
    await replay_closed_runs(client, [Echo, Sleeps, Reports, FlakyWorkflow, FailsForGood])


# --- Id reuse policy (a closed workflow's id) -------------------------------------------------


async def test_allow_duplicate_is_the_default(client: Client, task_queue: str,
                                              worker: Worker) -> None:
    assert await client.execute_workflow(Echo.run, "a", id="reuse", task_queue=task_queue) == "a"
    h = await client.start_workflow(Echo.run, "b", id="reuse", task_queue=task_queue)
    assert await h.result() == "b"


async def test_reject_duplicate(client: Client, task_queue: str, worker: Worker) -> None:
    first = await client.start_workflow(Echo.run, "a", id="reject", task_queue=task_queue,
                                        id_reuse_policy=WorkflowIdReusePolicy.REJECT_DUPLICATE)
    await first.result()
    with pytest.raises(WorkflowAlreadyStartedError) as info:
        await client.start_workflow(Echo.run, "b", id="reject", task_queue=task_queue,
                                    id_reuse_policy=WorkflowIdReusePolicy.REJECT_DUPLICATE)
    assert (info.value.workflow_id, info.value.workflow_type) == ("reject", "Echo")
    # Nothing was started: the latest run is still the first.
    assert (await client.get_workflow_handle("reject").describe()).run_id == first.run_id


async def test_allow_duplicate_failed_only(client: Client, task_queue: str,
                                           worker: Worker) -> None:
    policy = WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
    await client.execute_workflow(Echo.run, "ok", id="afo", task_queue=task_queue)
    with pytest.raises(WorkflowAlreadyStartedError):
        await client.start_workflow(Echo.run, "x", id="afo", task_queue=task_queue,
                                    id_reuse_policy=policy)
    with pytest.raises(WorkflowFailureError):
        await client.execute_workflow(Echo.run, "fail", id="afo-2", task_queue=task_queue)
    h = await client.start_workflow(Echo.run, "after failure", id="afo-2",
                                    task_queue=task_queue, id_reuse_policy=policy)
    assert await h.result() == "after failure"


async def test_terminate_if_running(client: Client, task_queue: str, worker: Worker) -> None:
    old = await client.start_workflow(Sleeps.run, 3600, id="tir", task_queue=task_queue)
    await wait_for_event(old, "timer_started")
    new = await client.start_workflow(Echo.run, "new", id="tir", task_queue=task_queue,
                                      id_reuse_policy=WorkflowIdReusePolicy.TERMINATE_IF_RUNNING)
    assert new.run_id != old.run_id
    assert await new.result() == "new"
    with pytest.raises(WorkflowFailureError) as info:
        await old.result()
    assert isinstance(info.value.cause, TerminatedError)
    assert (await old.describe()).status == WorkflowExecutionStatus.TERMINATED


# --- Id conflict policy (a running workflow's id) ---------------------------------------------


async def test_conflict_fail_is_the_default(client: Client, task_queue: str) -> None:
    await client.start_workflow(Sleeps.run, 3600, id="conflict", task_queue=task_queue)
    for policy in (WorkflowIdConflictPolicy.UNSPECIFIED, WorkflowIdConflictPolicy.FAIL):
        with pytest.raises(WorkflowAlreadyStartedError):
            await client.start_workflow(Sleeps.run, 1, id="conflict", task_queue=task_queue,
                                        id_conflict_policy=policy)


async def test_conflict_use_existing(client: Client, task_queue: str) -> None:
    first = await client.start_workflow(Sleeps.run, 3600, id="use", task_queue=task_queue)
    again = await client.start_workflow(Sleeps.run, 1, id="use", task_queue=task_queue,
                                        id_conflict_policy=WorkflowIdConflictPolicy.USE_EXISTING)
    assert again.run_id == first.run_id
    assert commands_only(await event_types(again)) == ["workflow_execution_started"]


async def test_conflict_terminate_existing(client: Client, task_queue: str,
                                           worker: Worker) -> None:
    old = await client.start_workflow(Sleeps.run, 3600, id="te", task_queue=task_queue)
    new = await client.start_workflow(
        Echo.run, "replaced", id="te", task_queue=task_queue,
        id_conflict_policy=WorkflowIdConflictPolicy.TERMINATE_EXISTING)
    assert new.run_id != old.run_id
    assert await new.result() == "replaced"
    assert (await old.describe()).status == WorkflowExecutionStatus.TERMINATED
    assert (await event_types(old))[-1] == "workflow_execution_terminated"


# --- Timeouts ---------------------------------------------------------------------------------


async def test_timeouts_are_recorded_and_visible_to_the_workflow(
        client: Client, task_queue: str, worker: Worker) -> None:
    h = await client.start_workflow(
        Reports.run, id="timeouts", task_queue=task_queue,
        execution_timeout=timedelta(hours=2), run_timeout=timedelta(hours=1),
        task_timeout=timedelta(seconds=7), retry_policy=RetryPolicy(maximum_attempts=3))
    assert await h.result() == {"execution_timeout": 7200.0, "run_timeout": 3600.0,
                                "task_timeout": 7.0, "retry_max": 3}
    history = await h.fetch_history()
    started = history.events[0].workflow_execution_started
    assert (started.execution_timeout_us, started.run_timeout_us, started.task_timeout_us) == (
        7_200_000_000, 3_600_000_000, 7_000_000)
    scheduled = [e.workflow_task_scheduled for e in history.events
                 if e.WhichOneof("attributes") == "workflow_task_scheduled"]
    assert scheduled and all(s.start_to_close_timeout_us == 7_000_000 for s in scheduled)


@pytest.mark.parametrize("option", ["execution_timeout", "run_timeout"])
async def test_workflow_timeout(client: Client, task_queue: str, worker: Worker,
                                option: str) -> None:
    h = await client.start_workflow(Sleeps.run, 3600, id=f"to-{option}", task_queue=task_queue,
                                    **{option: timedelta(milliseconds=500)})
    with pytest.raises(WorkflowFailureError) as info:
        await asyncio.wait_for(h.result(), 30)
    assert isinstance(info.value.cause, TimeoutError)
    assert (await h.describe()).status == WorkflowExecutionStatus.TIMED_OUT
    assert commands_only(await event_types(h)) == [
        "workflow_execution_started", "timer_started", "workflow_execution_timed_out"]


async def test_bad_timeouts_are_refused(client: Client, task_queue: str) -> None:
    for option in ("execution_timeout", "run_timeout", "task_timeout"):
        with pytest.raises(ValueError, match="negative"):
            await client.start_workflow(Echo.run, "x", id="bad", task_queue=task_queue,
                                        **{option: timedelta(seconds=-1)})
        with pytest.raises(TypeError, match="timedelta"):
            await client.start_workflow(Echo.run, "x", id="bad", task_queue=task_queue,
                                        **{option: 5})


# --- Workflow retry policy --------------------------------------------------------------------


async def test_retry_policy_retries_a_failed_run(client: Client, task_queue: str,
                                                 worker: Worker) -> None:
    h = await client.start_workflow(
        FlakyWorkflow.run, 3, id="wf-retry", task_queue=task_queue,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                 maximum_attempts=5))
    attempt, continued, first_run = await h.result()
    assert (attempt, continued, first_run) == (3, True, h.run_id)
    first = await h.fetch_history()
    assert commands_only([e.WhichOneof("attributes") for e in first.events]) == [
        "workflow_execution_started", "workflow_execution_failed"]
    failed = first.events[-1].workflow_execution_failed
    assert failed.new_execution_run_id
    latest = await client.get_workflow_handle("wf-retry").describe()
    assert latest.run_id != h.run_id and latest.status == WorkflowExecutionStatus.COMPLETED


async def test_retry_policy_gives_up_after_maximum_attempts(client: Client, task_queue: str,
                                                            worker: Worker) -> None:
    h = await client.start_workflow(
        FailsForGood.run, id="wf-giveup", task_queue=task_queue,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                 maximum_attempts=2))
    with pytest.raises(WorkflowFailureError) as info:
        await h.result()
    assert isinstance(info.value.cause, ApplicationError)
    assert info.value.cause.type == "Fatal"
    latest = await client.get_workflow_handle("wf-giveup").fetch_history()
    assert latest.events[0].workflow_execution_started.attempt == 2
    assert not latest.events[-1].workflow_execution_failed.new_execution_run_id


async def test_non_retryable_error_types_are_not_retried(client: Client, task_queue: str,
                                                         worker: Worker) -> None:
    h = await client.start_workflow(
        FailsForGood.run, id="wf-nonretry", task_queue=task_queue,
        retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10),
                                 maximum_attempts=5, non_retryable_error_types=["Fatal"]))
    with pytest.raises(WorkflowFailureError):
        await h.result()
    assert (await client.get_workflow_handle("wf-nonretry").describe()).run_id == h.run_id
