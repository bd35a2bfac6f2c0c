"""Update-with-start, as temporalio's samples write it: the start and the update are one step
(a new run's first workflow task carries the update), the conflict policy decides what a
running workflow means, and the operation's handle follows the call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from durable import workflow
from durable.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from durable.common import WorkflowIdConflictPolicy, WorkflowIdReusePolicy
from durable.exceptions import (
    ApplicationError,
    DeadlineExceededError,
    WorkflowAlreadyStartedError,
)
from durable.worker import Replayer, Worker


@workflow.defn
class Cart:
    @workflow.init
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.items: list[str] = []
        self.done = False
        self.items_at_run_start: list[str] | None = None

    @workflow.update
    def add(self, item: str) -> int:
        self.items.append(item)
        return len(self.items)

    @add.validator
    def check_add(self, item: str) -> None:
        if not item:
            raise ApplicationError("an item needs a name", type="Empty")

    @workflow.update
    def checkout(self) -> list[str]:
        self.done = True
        return self.items

    @workflow.query
    def seen_at_start(self) -> list[str] | None:
        return self.items_at_run_start

    @workflow.run
    async def run(self, owner: str) -> str:
        # The update of an update-with-start runs before the run method's first step.
        self.items_at_run_start = list(self.items)
        await workflow.wait_condition(lambda: self.done)
        return f"{self.owner}: {', '.join(self.items)}"


def op(task_queue: str, wf_id: str, policy: WorkflowIdConflictPolicy, **kw: Any
       ) -> WithStartWorkflowOperation[Any, Any]:
    return WithStartWorkflowOperation(Cart.run, "ann", id=wf_id, task_queue=task_queue,
                                      id_conflict_policy=policy, **kw)


async def kinds(handle: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]


async def test_starts_the_workflow_with_the_update_in_its_first_task(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Cart]):
        start_op = op(task_queue, "cart-new", WorkflowIdConflictPolicy.USE_EXISTING)
        count = await client.execute_update_with_start_workflow(
            Cart.add, "apple", start_workflow_operation=start_op)
        assert count == 1
        handle = await start_op.workflow_handle()
        assert handle.id == "cart-new" and handle.result_run_id
        assert await handle.query(Cart.seen_at_start) == ["apple"]
        assert await handle.execute_update(Cart.checkout) == ["apple"]
        assert await handle.result() == "ann: apple"
    k = await kinds(handle)
    # One workflow task ran both the update and the run method's start.
    assert k[:5] == ["workflow_execution_started", "workflow_task_scheduled",
                     "workflow_task_started", "workflow_task_completed",
                     "workflow_execution_update_accepted"]
    assert k.count("workflow_task_completed") == 2  # that task, then checkout's
    await Replayer(workflows=[Cart]).replay_workflow(await handle.fetch_history())


async def test_use_existing_sends_the_update_to_the_running_workflow(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Cart]):
        first = await client.start_workflow(Cart.run, "bob", id="cart-run", task_queue=task_queue)
        start_op = op(task_queue, "cart-run", WorkflowIdConflictPolicy.USE_EXISTING)
        upd = await client.start_update_with_start_workflow(
            Cart.add, "pear", start_workflow_operation=start_op,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED, id="add-pear")
        assert upd.id == "add-pear" and upd.workflow_id == "cart-run"
        assert upd.workflow_run_id == first.result_run_id
        assert await upd.result() == 1
        handle = await start_op.workflow_handle()
        assert handle.result_run_id == first.result_run_id  # no second run
        assert await handle.execute_update(Cart.checkout) == ["pear"]
        assert await first.result() == "bob: pear"  # the running run's owner, not "ann"


async def test_fail_policy_refuses_a_running_workflow(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Cart]):
        first = await client.start_workflow(Cart.run, "bob", id="cart-fail",
                                            task_queue=task_queue)
        start_op = op(task_queue, "cart-fail", WorkflowIdConflictPolicy.FAIL)
        with pytest.raises(WorkflowAlreadyStartedError):
            await client.execute_update_with_start_workflow(
                Cart.add, "fig", start_workflow_operation=start_op)
        with pytest.raises(WorkflowAlreadyStartedError):
            await start_op.workflow_handle()
        # The running workflow did not get the update.
        assert await first.execute_update(Cart.checkout) == []


async def test_reuse_policy_refuses_a_closed_workflow(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Cart]):
        first = await client.start_workflow(Cart.run, "bob", id="cart-closed",
                                            task_queue=task_queue)
        await first.execute_update(Cart.checkout)
        await first.result()
        refused = op(task_queue, "cart-closed", WorkflowIdConflictPolicy.FAIL,
                     id_reuse_policy=WorkflowIdReusePolicy.REJECT_DUPLICATE)
        with pytest.raises(WorkflowAlreadyStartedError):
            await client.execute_update_with_start_workflow(
                Cart.add, "fig", start_workflow_operation=refused)
        # Allowed: a new run gets the update.
        again = op(task_queue, "cart-closed", WorkflowIdConflictPolicy.FAIL)
        assert await client.execute_update_with_start_workflow(
            Cart.add, "fig", start_workflow_operation=again) == 1
        handle = await again.workflow_handle()
        assert handle.result_run_id != first.result_run_id


async def test_terminate_existing_gives_the_update_to_a_new_run(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Cart]):
        first = await client.start_workflow(Cart.run, "bob", id="cart-term",
                                            task_queue=task_queue)
        start_op = op(task_queue, "cart-term", WorkflowIdConflictPolicy.TERMINATE_EXISTING)
        assert await client.execute_update_with_start_workflow(
            Cart.add, "kiwi", start_workflow_operation=start_op) == 1
        handle = await start_op.workflow_handle()
        assert handle.result_run_id != first.result_run_id
        desc = await client.get_workflow_handle("cart-term", run_id=first.result_run_id).describe()
        assert desc.status.name == "TERMINATED"
        assert await handle.execute_update(Cart.checkout) == ["kiwi"]
        assert await handle.result() == "ann: kiwi"


async def test_rejected_update_still_starts_the_workflow(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Cart]):
        start_op = op(task_queue, "cart-reject", WorkflowIdConflictPolicy.USE_EXISTING)
        with pytest.raises(WorkflowUpdateFailedError) as e:
            await client.execute_update_with_start_workflow(
                Cart.add, "", start_workflow_operation=start_op)
        assert isinstance(e.value.cause, ApplicationError) and e.value.cause.type == "Empty"
        handle = await start_op.workflow_handle()
        assert await handle.query(Cart.seen_at_start) == []
        assert "workflow_execution_update_accepted" not in await kinds(handle)
        assert await handle.execute_update(Cart.checkout) == []


async def test_update_waits_for_a_worker_and_the_start_is_known_at_once(
        client: Client, task_queue: str) -> None:
    # No worker yet: the call gives up at its rpc_timeout, but the workflow was started and
    # the update admitted; the worker that comes later runs both in its first task.
    start_op = op(task_queue, "cart-later", WorkflowIdConflictPolicy.USE_EXISTING)
    with pytest.raises(DeadlineExceededError):
        await client.start_update_with_start_workflow(
            Cart.add, "plum", start_workflow_operation=start_op,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED, id="add-plum",
            rpc_timeout=timedelta(milliseconds=300))
    handle = await start_op.workflow_handle()
    assert (await handle.describe()).status.name == "RUNNING"
    async with Worker(client, task_queue=task_queue, workflows=[Cart]):
        assert await handle.get_update_handle("add-plum").result() == 1
        assert await handle.query(Cart.seen_at_start) == ["plum"]
        assert await handle.execute_update(Cart.checkout) == ["plum"]


async def test_bad_calls(client: Client, task_queue: str) -> None:
    with pytest.raises(ValueError, match="WorkflowIDConflictPolicy is required"):
        WithStartWorkflowOperation(Cart.run, "ann", id="x", task_queue=task_queue,
                                   id_conflict_policy=WorkflowIdConflictPolicy.UNSPECIFIED)
    start_op = op(task_queue, "cart-bad", WorkflowIdConflictPolicy.USE_EXISTING)
    with pytest.raises(ValueError, match="ADMITTED"):
        await client.start_update_with_start_workflow(
            Cart.add, "x", start_workflow_operation=start_op,
            wait_for_stage=WorkflowUpdateStage.ADMITTED)
    async with Worker(client, task_queue=task_queue, workflows=[Cart]):
        await client.execute_update_with_start_workflow(Cart.add, "x",
                                                        start_workflow_operation=start_op)
        with pytest.raises(RuntimeError, match="cannot be reused"):
            await client.execute_update_with_start_workflow(Cart.add, "y",
                                                            start_workflow_operation=start_op)
