"""Updates: validators, accepted/completed in history, rejections leave no trace."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)
from durable.exceptions import ApplicationError
from durable.worker import Replayer, Worker


async def event_types(handle: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]


@activity.defn
async def reserve(item: str) -> str:
    return f"reserved {item}"


@workflow.defn
class CartWorkflow:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.checked_out = False

    @workflow.update
    def add_item(self, item: str) -> int:
        self.items.append(item)
        return len(self.items)

    @add_item.validator
    def validate_add_item(self, item: str) -> None:
        if not item:
            raise ValueError("an item needs a name")
        if item in self.items:
            raise ApplicationError(f"{item} is already in the cart", type="Duplicate")

    @workflow.update(name="reserve")
    async def reserve_item(self, item: str) -> str:
        # An async update handler may run activities and wait.
        return await workflow.execute_activity(reserve, item,
                                               start_to_close_timeout=timedelta(seconds=5))

    @workflow.update
    async def fail_update(self) -> None:
        raise ApplicationError("this update fails after acceptance", type="Nope")

    @workflow.update
    def checkout(self) -> list[str]:
        self.checked_out = True
        return self.items

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.checked_out)
        return self.items


async def test_update_accepted_and_completed(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CartWorkflow],
                      activities=[reserve]):
        handle = await client.start_workflow(CartWorkflow.run, id="cart", task_queue=task_queue)
        assert await handle.execute_update(CartWorkflow.add_item, "apple") == 1
        assert await handle.execute_update("add_item", "pear") == 2
        assert await handle.execute_update(CartWorkflow.reserve_item, "pear") == "reserved pear"
        upd = await handle.start_update(CartWorkflow.checkout,
                                        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
                                        id="checkout-1")
        assert isinstance(upd, WorkflowUpdateHandle)
        assert upd.id == "checkout-1"
        assert await upd.result() == ["apple", "pear"]
        # A handle got later by id sees the same outcome.
        assert await handle.get_update_handle("checkout-1").result() == ["apple", "pear"]
        assert await handle.result() == ["apple", "pear"]
    history = await handle.fetch_history()
    kinds = [e.WhichOneof("attributes") for e in history.events]
    assert [k for k in kinds if "update" in k] == [
        "workflow_execution_update_accepted", "workflow_execution_update_completed"] * 4
    assert kinds[-1] == "workflow_execution_completed"
    await Replayer(workflows=[CartWorkflow]).replay_workflow(history)


async def test_rejected_update_leaves_history_unchanged(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CartWorkflow],
                      activities=[reserve]):
        handle = await client.start_workflow(CartWorkflow.run, id="cart-reject",
                                             task_queue=task_queue)
        assert await handle.execute_update(CartWorkflow.add_item, "apple") == 1
        before = await event_types(handle)
        with pytest.raises(WorkflowUpdateFailedError) as e:
            await handle.execute_update(CartWorkflow.add_item, "apple")
        assert isinstance(e.value.cause, ApplicationError)
        assert e.value.cause.type == "Duplicate"
        assert "already in the cart" in str(e.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as e2:
            await handle.start_update(CartWorkflow.add_item, "",
                                      wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        assert "an item needs a name" in str(e2.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as e3:
            await handle.execute_update("no-such-update")
        assert "known updates: ['add_item', 'checkout', 'fail_update', 'reserve']" in str(
            e3.value.cause)
        assert await event_types(handle) == before  # no trace of the three rejections
        # The workflow carries on normally afterwards.
        assert await handle.execute_update(CartWorkflow.add_item, "fig") == 2
        assert await handle.execute_update(CartWorkflow.checkout) == ["apple", "fig"]
        await handle.result()
    history = await handle.fetch_history()
    await Replayer(workflows=[CartWorkflow]).replay_workflow(history)


async def test_update_handler_failure_is_recorded_and_workflow_continues(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CartWorkflow],
                      activities=[reserve], max_cached_workflows=0):
        handle = await client.start_workflow(CartWorkflow.run, id="cart-fail",
                                             task_queue=task_queue)
        with pytest.raises(WorkflowUpdateFailedError) as e:
            await handle.execute_update(CartWorkflow.fail_update)
        assert isinstance(e.value.cause, ApplicationError) and e.value.cause.type == "Nope"
        assert await handle.execute_update(CartWorkflow.checkout) == []
        assert await handle.result() == []
    kinds = await event_types(handle)
    assert [k for k in kinds if "update" in k] == [
        "workflow_execution_update_accepted", "workflow_execution_update_completed"] * 2


async def test_concurrent_updates(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CartWorkflow],
                      activities=[reserve]):
        handle = await client.start_workflow(CartWorkflow.run, id="cart-many",
                                             task_queue=task_queue)
        counts = await asyncio.gather(*(handle.execute_update(CartWorkflow.add_item, f"i{n}")
                                        for n in range(8)))
        assert sorted(counts) == list(range(1, 9))
        assert sorted(await handle.execute_update(CartWorkflow.checkout)) == sorted(
            f"i{n}" for n in range(8))
        await handle.result()
    await Replayer(workflows=[CartWorkflow]).replay_workflow(await handle.fetch_history())


async def test_update_bad_input(client: Client, task_queue: str) -> None:
    handle = client.get_workflow_handle("nope")
    with pytest.raises(ValueError, match="not a update handler"):
        await handle.execute_update(CartWorkflow.run)
    with pytest.raises(ValueError, match="wait_for_stage"):
        await handle.start_update(CartWorkflow.checkout,
                                  wait_for_stage=WorkflowUpdateStage.ADMITTED)
    with pytest.raises(ValueError, match="update id"):
        await handle.execute_update(CartWorkflow.checkout, id="")


def test_validator_must_be_sync() -> None:
    with pytest.raises(ValueError, match="must not be async"):
        @workflow.defn
        class Bad:
            @workflow.update
            def u(self) -> None: ...

            @u.validator
            async def v(self) -> None: ...

            @workflow.run
            async def run(self) -> None: ...
