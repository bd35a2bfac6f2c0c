"""Child workflows, parent close policies, external workflow handles — behaviour and history."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from history_util import commands_only, event_types, replay_closed_runs, wait_for_event

from durable import workflow
from durable.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from durable.common import RetryPolicy, WorkflowIdReusePolicy
from durable.exceptions import (
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    TerminatedError,
    WorkflowAlreadyStartedError,
)
from durable.worker import Worker


@workflow.defn
class Doubler:
    @workflow.run
    async def run(self, n: int) -> dict:
        i = workflow.info()
        assert i.parent is not None
        return {"value": n * 2, "parent": [i.parent.workflow_id, i.parent.run_id],
                "id": i.workflow_id, "queue": i.task_queue}


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self) -> str:
        await asyncio.sleep(3600)
        return "woke"


@workflow.defn(name="failing-child")
class FailingChild:
    @workflow.run
    async def run(self, why: str) -> None:
        raise ApplicationError(why, type="ChildBroke", non_retryable=True)


@workflow.defn
class FailsFirstAttempt:
    @workflow.run
    async def run(self) -> int:
        if workflow.info().attempt < 2:
            raise ApplicationError("first attempt fails", type="Flaky")
        return workflow.info().attempt


@workflow.defn
class CallsDoubler:
    @workflow.run
    async def run(self, n: int) -> dict:
        out = await workflow.execute_child_workflow(
            Doubler.run, n, id=f"{workflow.info().workflow_id}-child")
        out["me"] = [workflow.info().workflow_id, workflow.info().run_id]
        return out


@workflow.defn
class WaitsForPoke:
    def __init__(self) -> None:
        self.pokes: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self.pokes) == 2)
        return self.pokes

    @workflow.signal
    async def poke(self, text: str) -> None:
        self.pokes.append(text)


@workflow.defn
class StartsAndSignals:
    @workflow.run
    async def run(self) -> list[Any]:
        handle = await workflow.start_child_workflow(WaitsForPoke.run, id="sig-child")
        await handle.signal(WaitsForPoke.poke, "hello")
        await handle.signal("poke", args=["again"])
        return [handle.id, handle.first_execution_run_id, await handle]


@workflow.defn
class CatchesChildFailure:
    @workflow.run
    async def run(self) -> list[Any]:
        try:
            await workflow.execute_child_workflow("failing-child", "out of paper", id="fc-child")
        except ChildWorkflowError as e:
            c = e.cause
            assert isinstance(c, ApplicationError)
            return [e.workflow_id, e.workflow_type, c.type, c.message]
        return ["no error"]


@workflow.defn
class StartsDuplicate:
    @workflow.run
    async def run(self, child_id: str) -> list[Any]:
        try:
            await workflow.start_child_workflow(Sleeper.run, id=child_id)
        except WorkflowAlreadyStartedError as e:
            return ["WorkflowAlreadyStartedError", e.workflow_id, e.workflow_type]
        return ["started"]


@workflow.defn
class LeavesChildBehind:
    @workflow.run
    async def run(self, policy: int) -> str:
        handle = await workflow.start_child_workflow(
            Sleeper.run, id=f"{workflow.info().workflow_id}-child",
            parent_close_policy=workflow.ParentClosePolicy(policy))
        return handle.first_execution_run_id


@workflow.defn
class ChildWithOptions:
    @workflow.run
    async def run(self) -> list[Any]:
        out: list[Any] = []
        try:
            await workflow.execute_child_workflow(
                Sleeper.run, id="timeout-child", execution_timeout=timedelta(seconds=1))
        except ChildWorkflowError as e:
            out.append(type(e.cause).__name__)
        out.append(await workflow.execute_child_workflow(
            FailsFirstAttempt.run, id="retry-child",
            retry_policy=RetryPolicy(maximum_attempts=2,
                                     initial_interval=timedelta(milliseconds=10)),
            id_reuse_policy=WorkflowIdReusePolicy.ALLOW_DUPLICATE))
        return out


@workflow.defn
class SignalsAndCancelsExternal:
    @workflow.run
    async def run(self, target: str) -> list[str]:
        h = workflow.get_external_workflow_handle(target)
        await h.signal("ping", 1)
        await h.cancel()
        out = ["ok"]
        missing = workflow.get_external_workflow_handle("no-such-workflow")
        for call in (lambda: missing.signal("ping"), missing.cancel):
            try:
                await call()
            except ApplicationError as e:
                out.append(e.type or "")
        return out


@workflow.defn
class CancelsChildWith:
    @workflow.run
    async def run(self, cancellation_type: int) -> list[str]:
        ctype = workflow.ChildWorkflowCancellationType(cancellation_type)
        handle = await workflow.start_child_workflow(
            Sleeper.run, id=f"cw-{ctype.name}", cancellation_type=ctype,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON)
        handle.cancel()  # before the handle ever ran
        try:
            await handle
        except ChildWorkflowError as e:
            return [type(e.cause).__name__]
        return ["not cancelled"]


WORKFLOWS = [CancelsChildWith, Doubler, Sleeper, WaitsForPoke, FailingChild, FailsFirstAttempt,
             CallsDoubler, StartsAndSignals, CatchesChildFailure, StartsDuplicate,
             LeavesChildBehind, ChildWithOptions, SignalsAndCancelsExternal]


@pytest.fixture
async def worker(client: Client, task_queue: str) -> Any:
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS) as w:
        yield w
    # Every closed run the tests produced replays from its history.
    await replay_closed_runs(client, WORKFLOWS)


async def test_execute_child_workflow(client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(CallsDoubler.run, 21, id="p1", task_queue=task_queue)
    out = await handle.result()
    assert out["value"] == 42
    assert out["parent"] == out["me"] == ["p1", handle.run_id]
    assert out["id"] == "p1-child" and out["queue"] == task_queue
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "start_child_workflow_execution_initiated",
        "child_workflow_execution_started", "child_workflow_execution_completed",
        "workflow_execution_completed"]
    child_desc = await client.get_workflow_handle("p1-child").describe()
    assert (child_desc.parent_id, child_desc.parent_run_id) == ("p1", handle.run_id)


async def test_start_child_handle_id_run_id_and_signal(client: Client, task_queue: str,
                                                       worker: Worker) -> None:
    handle = await client.start_workflow(StartsAndSignals.run, id="p2", task_queue=task_queue)
    child_id, child_run, pokes = await handle.result()
    child = client.get_workflow_handle("sig-child")
    desc = await child.describe()
    assert (child_id, child_run, pokes) == ("sig-child", desc.run_id, ["hello", "again"])
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "start_child_workflow_execution_initiated",
        "child_workflow_execution_started", "signal_external_workflow_execution_initiated",
        "external_workflow_execution_signaled", "signal_external_workflow_execution_initiated",
        "external_workflow_execution_signaled", "child_workflow_execution_completed",
        "workflow_execution_completed"]
    assert commands_only(await event_types(child)) == [
        "workflow_execution_started", "workflow_execution_signaled",
        "workflow_execution_signaled", "workflow_execution_completed"]


async def test_child_failure_is_a_child_workflow_error_with_the_cause(
        client: Client, task_queue: str, worker: Worker) -> None:
    handle = await client.start_workflow(CatchesChildFailure.run, id="p3", task_queue=task_queue)
    assert await handle.result() == ["fc-child", "failing-child", "ChildBroke", "out of paper"]
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "start_child_workflow_execution_initiated",
        "child_workflow_execution_started", "child_workflow_execution_failed",
        "workflow_execution_completed"]


async def test_start_of_a_running_id_raises_workflow_already_started(
        client: Client, task_queue: str, worker: Worker) -> None:
    running = await client.start_workflow(Sleeper.run, id="taken", task_queue=task_queue)
    handle = await client.start_workflow(StartsDuplicate.run, "taken", id="p4",
                                         task_queue=task_queue)
    assert await handle.result() == ["WorkflowAlreadyStartedError", "taken", "Sleeper"]
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "start_child_workflow_execution_initiated",
        "start_child_workflow_execution_failed", "workflow_execution_completed"]
    assert (await running.describe()).status == WorkflowExecutionStatus.RUNNING
    await running.terminate()


@pytest.mark.parametrize("policy,expected", [
    (workflow.ParentClosePolicy.TERMINATE, WorkflowExecutionStatus.TERMINATED),
    (workflow.ParentClosePolicy.REQUEST_CANCEL, WorkflowExecutionStatus.CANCELED),
    (workflow.ParentClosePolicy.ABANDON, WorkflowExecutionStatus.RUNNING),
])
async def test_parent_close_policy(client: Client, task_queue: str, worker: Worker,
                                   policy: workflow.ParentClosePolicy,
                                   expected: WorkflowExecutionStatus) -> None:
    wid = f"pcp-{policy.name}"
    handle = await client.start_workflow(LeavesChildBehind.run, int(policy), id=wid,
                                         task_queue=task_queue)
    child_run = await handle.result()
    child = client.get_workflow_handle(f"{wid}-child", run_id=child_run)
    if expected == WorkflowExecutionStatus.RUNNING:
        await wait_for_event(child, "timer_started")
        await asyncio.sleep(0.2)
        assert (await child.describe()).status == WorkflowExecutionStatus.RUNNING
        await child.terminate()
        return
    with pytest.raises(WorkflowFailureError) as info:
        await child.result()
    want = TerminatedError if expected == WorkflowExecutionStatus.TERMINATED else CancelledError
    assert isinstance(info.value.cause, want)
    assert (await child.describe()).status == expected
    initiated = await wait_for_event(handle, "start_child_workflow_execution_initiated")
    assert initiated.start_child_workflow_execution_initiated.parent_close_policy == int(policy)


async def test_child_execution_timeout_and_retry_policy(client: Client, task_queue: str,
                                                        worker: Worker) -> None:
    handle = await client.start_workflow(ChildWithOptions.run, id="p5", task_queue=task_queue)
    assert await asyncio.wait_for(handle.result(), 60) == ["TimeoutError", 2]
    kinds = commands_only(await event_types(handle))
    assert kinds == [
        "workflow_execution_started", "start_child_workflow_execution_initiated",
        "child_workflow_execution_started", "child_workflow_execution_timed_out",
        "start_child_workflow_execution_initiated", "child_workflow_execution_started",
        "child_workflow_execution_completed", "workflow_execution_completed"]
    # The retried child ran twice: its second run continues the first.
    latest = await client.get_workflow_handle("retry-child").fetch_history()
    started = latest.events[0].workflow_execution_started
    assert started.attempt == 2 and started.continued_execution_run_id
    assert started.parent.workflow_id == "p5"


async def test_external_workflow_handle_signal_and_cancel(client: Client, task_queue: str,
                                                          worker: Worker) -> None:
    target = await client.start_workflow(Sleeper.run, id="ext-target", task_queue=task_queue)
    await wait_for_event(target, "timer_started")
    handle = await client.start_workflow(SignalsAndCancelsExternal.run, "ext-target", id="p6",
                                         task_queue=task_queue)
    assert await handle.result() == ["ok", "SignalExternalWorkflowExecutionFailed",
                                     "RequestCancelExternalWorkflowExecutionFailed"]
    with pytest.raises(WorkflowFailureError) as info:
        await target.result()
    assert isinstance(info.value.cause, CancelledError)
    assert commands_only(await event_types(target)) == [
        "workflow_execution_started", "timer_started", "workflow_execution_signaled",
        "workflow_execution_cancel_requested", "timer_canceled", "workflow_execution_canceled"]
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "signal_external_workflow_execution_initiated",
        "external_workflow_execution_signaled",
        "request_cancel_external_workflow_execution_initiated",
        "external_workflow_execution_cancel_requested",
        "signal_external_workflow_execution_initiated",
        "signal_external_workflow_execution_failed",
        "request_cancel_external_workflow_execution_initiated",
        "request_cancel_external_workflow_execution_failed", "workflow_execution_completed"]


async def test_bad_child_options_fail_clearly(client: Client, task_queue: str,
                                              worker: Worker) -> None:
    @workflow.defn(name="BadChildOptions")
    class BadChildOptions:
        @workflow.run
        async def run(self) -> list[str]:
            out = []
            for kwargs in ({"id": ""}, {"task_queue": ""}, {"parent_close_policy": 7}):
                try:
                    await workflow.start_child_workflow(Sleeper.run, **kwargs)
                except ValueError as e:
                    out.append(str(e).split(" must")[0])
            try:
                await workflow.start_child_workflow(Sleeper.run, 1, args=[2])
            except ValueError as e:
                out.append(str(e))
            try:
                workflow.get_external_workflow_handle("")
            except ValueError as e:
                out.append(str(e).split(" must")[0])
            return out

    async with Worker(client, task_queue=task_queue + "-b", workflows=[BadChildOptions]):
        out = await client.execute_workflow(BadChildOptions.run, id="bad-opts",
                                            task_queue=task_queue + "-b")
    assert out == ["child workflow id", "task_queue", "parent_close_policy",
                   "pass either arg or args=[...], not both", "workflow id"]
    with pytest.raises(RuntimeError, match="not in workflow code"):
        workflow.get_external_workflow_handle("x")


@pytest.mark.parametrize("ctype", list(workflow.ChildWorkflowCancellationType))
async def test_child_cancellation_types(client: Client, task_queue: str, worker: Worker,
                                        ctype: workflow.ChildWorkflowCancellationType) -> None:
    handle = await client.start_workflow(CancelsChildWith.run, int(ctype),
                                         id=f"p-{ctype.name}", task_queue=task_queue)
    assert await handle.result() == ["CancelledError"]
    kinds = commands_only(await event_types(handle))
    child = client.get_workflow_handle(f"cw-{ctype.name}")
    start = ["workflow_execution_started", "start_child_workflow_execution_initiated",
             "child_workflow_execution_started"]
    if ctype == workflow.ChildWorkflowCancellationType.ABANDON:
        assert kinds == start + ["workflow_execution_completed"]
        assert (await child.describe()).status == WorkflowExecutionStatus.RUNNING
        await child.terminate()
        return
    cancel = ["request_cancel_external_workflow_execution_initiated"]
    if ctype == workflow.ChildWorkflowCancellationType.TRY_CANCEL:
        assert kinds == start + cancel + ["workflow_execution_completed"]
    elif ctype == workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_REQUESTED:
        # Resolved once requested; the child may close before the parent does.
        requested = start + cancel + ["external_workflow_execution_cancel_requested"]
        assert kinds[:len(requested)] == requested
        assert kinds[len(requested):] in (
            ["workflow_execution_completed"],
            ["child_workflow_execution_canceled", "workflow_execution_completed"])
    else:
        assert kinds == start + cancel + ["external_workflow_execution_cancel_requested",
                                          "child_workflow_execution_canceled",
                                          "workflow_execution_completed"]
    with pytest.raises(WorkflowFailureError) as info:
        await child.result()
    assert isinstance(info.value.cause, CancelledError)
