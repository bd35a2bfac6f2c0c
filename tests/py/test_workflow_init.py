"""@workflow.init: __init__ receives the workflow's arguments before any handler runs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from durable import workflow
from durable.client import Client
from durable.worker import Replayer, Worker


@dataclass
class Order:
    customer: str
    items: list[str]


@workflow.defn
class InitWorkflow:
    @workflow.init
    def __init__(self, order: Order) -> None:
        # State derived from the input, there before any handler runs.
        self.customer = order.customer
        self.items = list(order.items)
        self.done = False

    @workflow.update
    def add(self, item: str) -> str:
        self.items.append(item)
        return f"{self.customer} has {len(self.items)} items"

    @workflow.query
    def count(self) -> int:
        return len(self.items)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.run
    async def run(self, order: Order) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return self.items


async def test_init_receives_the_run_arguments(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[InitWorkflow],
                      max_cached_workflows=0):
        handle = await client.start_workflow(InitWorkflow.run, Order("ada", ["tea"]),
                                             id="init-1", task_queue=task_queue)
        assert await handle.execute_update(InitWorkflow.add, "cake") == "ada has 2 items"
        assert await handle.query(InitWorkflow.count) == 2
        await handle.signal(InitWorkflow.finish)
        assert await handle.result() == ["tea", "cake"]
    await Replayer(workflows=[InitWorkflow]).replay_workflow(await handle.fetch_history())


def test_init_parameters_must_match_the_run_method() -> None:
    with pytest.raises(ValueError, match="must take the same parameters as the @workflow.run"):
        @workflow.defn
        class Mismatch:
            @workflow.init
            def __init__(self, a: int) -> None:
                pass

            @workflow.run
            async def run(self, a: str) -> None:
                pass

    @workflow.defn  # parameter names may differ
    class Renamed:
        @workflow.init
        def __init__(self, value: int) -> None:
            self.value = value

        @workflow.run
        async def run(self, n: int) -> int:
            return self.value


def test_init_decorates_only_init() -> None:
    with pytest.raises(ValueError, match="decorates the __init__ method only"):
        def setup(self: object) -> None:
            pass

        workflow.init(setup)


def test_without_init_decorator_the_class_is_built_without_arguments() -> None:
    @workflow.defn
    class Plain:
        def __init__(self) -> None:
            self.x = 1

        @workflow.run
        async def run(self, n: int) -> int:
            return n

    assert not workflow._Definition.must_from_class(Plain).init_takes_args
