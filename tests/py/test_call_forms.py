"""The ways workflow code names and calls activities and workflows, with their histories."""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from history_util import commands_only, event_types, replay_closed_runs

from durable import activity, workflow
from durable.client import Client
from durable.exceptions import ActivityError, CancelledError
from durable.worker import Worker

T = dict(start_to_close_timeout=timedelta(seconds=10))


@dataclass
class Item:
    name: str
    qty: int


@activity.defn
async def double(x: int) -> int:
    return 2 * x


@activity.defn(name="join-words")
async def join_words(a: str, b: str) -> str:
    return f"{a} {b}"


@activity.defn
async def block_until_cancelled() -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(0.05)


class Inventory:
    """Activities as methods of an object holding state (e.g. a connection)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @activity.defn
    async def describe(self, item: Item) -> str:
        assert isinstance(item, Item)  # typed from the annotations, without self
        return f"{self.prefix}:{item.name}x{item.qty}"

    @activity.defn(name="inventory-count")
    def count(self, items: list[Item]) -> int:
        return sum(i.qty for i in items)


@workflow.defn
class CallForms:
    @workflow.run
    async def run(self) -> list[Any]:
        return [
            await workflow.execute_activity(double, 1, **T),
            await workflow.execute_activity(activity=double, arg=2, **T),
            await workflow.execute_activity(double, args=[3], **T),
            await workflow.execute_activity("double", 4, **T),
            await workflow.execute_activity(join_words, args=["by", "function"], **T),
            await workflow.execute_activity("join-words", args=["by", "name"], **T),
            await workflow.execute_activity_method(Inventory.describe, Item("bolt", 3), **T),
            await workflow.start_activity_method(
                Inventory.count, [Item("a", 1), Item("b", 2)], **T),
        ]


@workflow.defn
class Concurrent:
    @workflow.run
    async def run(self) -> list[int]:
        handles = [workflow.start_activity(double, i, **T) for i in range(5)]
        assert all(isinstance(h, workflow.ActivityHandle) and isinstance(h, asyncio.Task)
                   for h in handles)
        return list(await asyncio.gather(*handles))


@workflow.defn
class CancelsItsActivity:
    @workflow.run
    async def run(self) -> list[str]:
        handle = workflow.start_activity(block_until_cancelled,
                                         heartbeat_timeout=timedelta(seconds=5), **T)
        await asyncio.sleep(0.2)
        handle.cancel()
        try:
            await handle
        except ActivityError as e:
            return [type(e.cause).__name__, e.activity_type]
        return ["not cancelled"]


@workflow.defn
class DropsUnsentActivity:
    @workflow.run
    async def run(self) -> str:
        handle = workflow.start_activity(double, 1, **T)
        handle.cancel()  # in the same task: the command is never sent
        try:
            await handle
        except ActivityError as e:
            assert isinstance(e.cause, CancelledError)
        return "dropped"


@workflow.defn(name="custom-name")
class Named:
    @workflow.run
    async def run(self, x: int) -> str:
        return f"{workflow.info().workflow_type} {x}"


@workflow.defn
class BadCalls:
    @workflow.run
    async def run(self) -> list[str]:
        def plain(x: int) -> int:
            return x

        out = []
        calls: list[Any] = [
            lambda: workflow.start_activity(plain, 1, **T),
            lambda: workflow.start_activity(double, 1),
            lambda: workflow.start_activity(double, 1, args=[2], **T),
            lambda: workflow.start_activity("", **T),
            lambda: workflow.start_activity(double, 1, cancellation_type=5, **T),
        ]
        for call in calls:
            try:
                call()
                out.append("accepted")
            except ValueError as e:
                out.append(str(e).split(":")[0])
        return out


WORKFLOWS = [CallForms, Concurrent, CancelsItsActivity, DropsUnsentActivity, Named, BadCalls]


@pytest.fixture
async def worker(client: Client, task_queue: str) -> Any:
    inv = Inventory("inv")
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS,
                          activities=[double, join_words, block_until_cancelled, inv.describe,
                                      inv.count],
                          activity_executor=ex) as w:
            yield w
    # Every closed run the tests produced replays from its history.
    await replay_closed_runs(client, WORKFLOWS)


async def test_activity_call_forms(client: Client, task_queue: str, worker: Worker) -> None:
    h = await client.start_workflow(CallForms.run, id="forms", task_queue=task_queue)
    assert await h.result() == [2, 4, 6, 8, "by function", "by name", "inv:boltx3", 3]
    history = await h.fetch_history()
    scheduled = [e.activity_task_scheduled.activity_type for e in history.events
                 if e.WhichOneof("attributes") == "activity_task_scheduled"]
    assert scheduled == ["double"] * 4 + ["join-words"] * 2 + ["describe", "inventory-count"]
    assert commands_only(await event_types(h)) == (
        ["workflow_execution_started"]
        + ["activity_task_scheduled", "activity_task_started", "activity_task_completed"] * 8
        + ["workflow_execution_completed"])


async def test_concurrent_activity_handles(client: Client, task_queue: str,
                                           worker: Worker) -> None:
    h = await client.start_workflow(Concurrent.run, id="conc", task_queue=task_queue)
    assert await h.result() == [0, 2, 4, 6, 8]
    kinds = commands_only(await event_types(h))
    assert kinds[:6] == ["workflow_execution_started"] + ["activity_task_scheduled"] * 5
    assert kinds.count("activity_task_completed") == 5


async def test_cancelling_an_activity_handle(client: Client, task_queue: str,
                                             worker: Worker) -> None:
    h = await client.start_workflow(CancelsItsActivity.run, id="cancel-handle",
                                    task_queue=task_queue)
    assert await h.result() == ["CancelledError", "block_until_cancelled"]
    assert commands_only(await event_types(h))[:5] == [
        "workflow_execution_started", "activity_task_scheduled", "timer_started",
        "timer_fired", "activity_task_cancel_requested"]


async def test_cancelling_an_unsent_activity_drops_it(client: Client, task_queue: str,
                                                      worker: Worker) -> None:
    h = await client.start_workflow(DropsUnsentActivity.run, id="drop", task_queue=task_queue)
    assert await h.result() == "dropped"
    assert commands_only(await event_types(h)) == ["workflow_execution_started",
                                                   "workflow_execution_completed"]


async def test_workflow_defn_name(client: Client, task_queue: str, worker: Worker) -> None:
    assert await client.execute_workflow(Named.run, 1, id="n1",
                                         task_queue=task_queue) == "custom-name 1"
    assert await client.execute_workflow("custom-name", 2, id="n2",
                                         task_queue=task_queue) == "custom-name 2"
    desc = await client.get_workflow_handle("n2").describe()
    assert desc.workflow_type == "custom-name"


async def test_bad_calls_are_refused_in_workflow_code(client: Client, task_queue: str,
                                                      worker: Worker) -> None:
    out = await client.execute_workflow(BadCalls.run, id="bad-calls", task_queue=task_queue)
    assert out == [
        "'BadCalls.run.<locals>.plain' is not an activity",
        "activity 'double'",
        "pass either arg or args=[...], not both",
        "activity name must not be empty",
        "cancellation_type must be an ActivityCancellationType, got 5",
    ]


def test_bound_method_registration_types_without_self() -> None:
    inv = Inventory("x")
    d = activity._Definition.must_from_callable(inv.describe)
    assert d.name == "describe" and d.fn == inv.describe
    assert d.arg_types == [Item] and d.ret_type is str
    unbound = activity._Definition.must_from_callable(Inventory.describe)
    assert unbound.fn is Inventory.__dict__["describe"]
