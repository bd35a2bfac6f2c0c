"""Callable-class activities (workflow.execute_activity_class & co), dynamic activities and
workflows (activity.defn(dynamic=True), workflow.defn(dynamic=True), workflow.dynamic_config),
activity.client() and activity.payload_converter(), as temporalio has them — on both
transports."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowFailureError
from durable.common import RawValue
from durable.worker import Worker


@activity.defn
class Greeter:
    """A callable-class activity: its state comes from the worker's instance."""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    async def __call__(self, name: str) -> str:
        return f"{self.greeting}, {name}"


@activity.defn(name="shout")
class Shouter:
    def __init__(self, suffix: str) -> None:
        self.suffix = suffix

    def __call__(self, word: str) -> str:  # sync: runs on the activity executor
        return word.upper() + self.suffix


@workflow.defn
class ClassActivitiesWorkflow:
    @workflow.run
    async def run(self, name: str) -> list[str]:
        t = timedelta(seconds=10)
        handle = workflow.start_activity_class(Greeter, name, start_to_close_timeout=t)
        return [
            await workflow.execute_activity_class(Greeter, name, start_to_close_timeout=t),
            await handle,
            await workflow.execute_activity_class(Shouter, name, start_to_close_timeout=t),
            await workflow.execute_local_activity_class(Greeter, "local",
                                                        start_to_close_timeout=t),
            await workflow.start_local_activity_class(Shouter, "local",
                                                      start_to_close_timeout=t),
        ]


async def test_callable_class_activities(client: Client, task_queue: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        async with Worker(client, task_queue=task_queue, workflows=[ClassActivitiesWorkflow],
                          activities=[Greeter("Hello"), Shouter("!")],
                          activity_executor=pool):
            result = await client.execute_workflow(
                ClassActivitiesWorkflow.run, "ada", id=f"{task_queue}-cls",
                task_queue=task_queue)
    assert result == ["Hello, ada", "Hello, ada", "ADA!", "Hello, local", "LOCAL!"]


@dataclass
class Order:
    item: str
    count: int


@activity.defn(dynamic=True)
async def any_activity(args: Sequence[RawValue]) -> str:
    order = activity.payload_converter().from_payload(args[0].payload, Order)
    return f"{activity.info().activity_type}: {order.count} x {order.item}"


@activity.defn
async def known(x: int) -> int:
    return x + 1


@activity.defn
async def starts_a_workflow(workflow_id: str, task_queue: str) -> str:
    # activity.client(): the worker's client, here to start another workflow.
    handle = await activity.client().start_workflow(
        "Unregistered-Type", Order("pen", 2), id=workflow_id, task_queue=task_queue)
    return handle.id


@workflow.defn(dynamic=True)
class AnyWorkflow:
    @workflow.dynamic_config
    def config(self) -> workflow.DynamicWorkflowConfig:
        return workflow.DynamicWorkflowConfig(failure_exception_types=[KeyError])

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> str:
        order = workflow.payload_converter().from_payload(args[0].payload, Order)
        if order.item == "missing":
            raise KeyError("no such item")  # fails the workflow: dynamic_config says so
        t = timedelta(seconds=10)
        return " | ".join([
            workflow.info().workflow_type,
            await workflow.execute_activity("restock", order, start_to_close_timeout=t),
            str(await workflow.execute_activity(known, 1, start_to_close_timeout=t)),
            await workflow.execute_local_activity("audit", order, start_to_close_timeout=t),
        ])


@workflow.defn
class Launcher:
    @workflow.run
    async def run(self, child_id: str) -> str:
        return await workflow.execute_activity(
            starts_a_workflow, args=[child_id, workflow.info().task_queue],
            start_to_close_timeout=timedelta(seconds=10))


async def test_dynamic_workflows_and_activities(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[AnyWorkflow, Launcher],
                      activities=[any_activity, known, starts_a_workflow]):
        out = await client.execute_workflow("Restock", Order("pen", 3),
                                            id=f"{task_queue}-dyn", task_queue=task_queue)
        assert out == "Restock | restock: 3 x pen | 2 | audit: 3 x pen"
        with pytest.raises(WorkflowFailureError) as e:
            await client.execute_workflow("Restock", Order("missing", 1),
                                          id=f"{task_queue}-dyn-fail", task_queue=task_queue)
        assert "no such item" in str(e.value.cause)
        # activity.client() started a workflow the dynamic workflow then ran.
        started = await client.execute_workflow(Launcher.run, f"{task_queue}-launched",
                                                id=f"{task_queue}-launch",
                                                task_queue=task_queue)
        assert started == f"{task_queue}-launched"
        launched = await client.get_workflow_handle(started).result()
        assert launched.startswith("Unregistered-Type | restock: 2 x pen")


def test_dynamic_definitions_are_checked() -> None:
    async def one(args: Sequence[RawValue]) -> None: ...

    async def two(a: int, b: int) -> None: ...

    with pytest.raises(ValueError, match="cannot also have a name"):
        activity.defn(name="x", dynamic=True)(one)
    with pytest.raises(ValueError, match="must take one parameter"):
        activity.defn(dynamic=True)(two)

    class NotDynamic:
        @workflow.dynamic_config
        def config(self) -> workflow.DynamicWorkflowConfig:
            return workflow.DynamicWorkflowConfig()

        @workflow.run
        async def run(self) -> None: ...

    with pytest.raises(ValueError, match="only for dynamic workflows"):
        workflow.defn(NotDynamic)

    @workflow.defn(dynamic=True)
    class Other:
        @workflow.run
        async def run(self, args: Sequence[RawValue]) -> None: ...

    with pytest.raises(ValueError, match="two dynamic workflows"):
        Worker(_FakeClient(), task_queue="q", workflows=[AnyWorkflow, Other])


def test_activity_client_needs_an_async_activity() -> None:
    from durable.testing import ActivityEnvironment

    @activity.defn
    def sync_one() -> str:
        try:
            activity.client()
        except RuntimeError as e:
            return str(e)
        return "had a client"

    assert "only available in `async def` activities" in ActivityEnvironment(
        client=object()).run(sync_one)


class _FakeClient:
    """Enough of a client for Worker's constructor checks."""
    identity = "test"
    data_converter = None
    transport = None
    _interceptors: list[object] = []

