"""Signals: handlers, order, buffering, signal-with-start, dynamic handlers, bad input."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from durable import workflow
from durable.client import Client, WorkflowFailureError
from durable.common import WorkflowIdConflictPolicy
from durable.exceptions import ApplicationError
from durable.worker import Replayer, Worker


async def event_types(handle: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]


@workflow.defn
class InboxWorkflow:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal(name="finish")
    async def finish_signal(self) -> None:
        await asyncio.sleep(0)  # an async handler
        self.done = True

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return self.items


async def test_signals_are_delivered_in_order_and_recorded(client: Client,
                                                           task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[InboxWorkflow]):
        handle = await client.start_workflow(InboxWorkflow.run, id="inbox", task_queue=task_queue)
        for i in range(5):
            await handle.signal(InboxWorkflow.add, f"item-{i}")
        await handle.signal("add", "by-name")
        await handle.signal(InboxWorkflow.finish_signal)
        assert await handle.result() == [f"item-{i}" for i in range(5)] + ["by-name"]
    kinds = await event_types(handle)
    assert kinds.count("workflow_execution_signaled") == 7
    assert kinds[0] == "workflow_execution_started"
    assert kinds[-1] == "workflow_execution_completed"
    history = await handle.fetch_history()
    names = [e.workflow_execution_signaled.signal_name for e in history.events
             if e.HasField("workflow_execution_signaled")]
    assert names == ["add"] * 6 + ["finish"]
    await Replayer(workflows=[InboxWorkflow]).replay_workflow(history)


async def test_signal_sent_while_worker_is_down_is_delivered_when_it_comes_back(
        client: Client, task_queue: str) -> None:
    handle = await client.start_workflow(InboxWorkflow.run, id="inbox-down",
                                         task_queue=task_queue)
    # No worker yet: the signals wait in history.
    await handle.signal(InboxWorkflow.add, "while-down-1")
    await handle.signal(InboxWorkflow.add, "while-down-2")
    async with Worker(client, task_queue=task_queue, workflows=[InboxWorkflow]):
        await asyncio.sleep(0.2)
    # The worker went away again (cached state lost); one more signal, then a new worker.
    await handle.signal(InboxWorkflow.add, "between-workers")
    await handle.signal(InboxWorkflow.finish_signal)
    async with Worker(client, task_queue=task_queue, workflows=[InboxWorkflow]):
        assert await handle.result() == ["while-down-1", "while-down-2", "between-workers"]
    kinds = await event_types(handle)
    # Both signals were recorded before any workflow task ran, and the first task got them.
    assert kinds[:5] == ["workflow_execution_started", "workflow_task_scheduled",
                         "workflow_execution_signaled", "workflow_execution_signaled",
                         "workflow_task_started"]


async def test_many_signals_during_a_running_task_are_never_lost(client: Client,
                                                                 task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[InboxWorkflow],
                      max_cached_workflows=0):
        handle = await client.start_workflow(InboxWorkflow.run, id="inbox-burst",
                                             task_queue=task_queue)
        await asyncio.gather(*(handle.signal(InboxWorkflow.add, f"{i:03d}") for i in range(30)))
        await handle.signal(InboxWorkflow.finish_signal)
        result = await handle.result()
    assert sorted(result) == [f"{i:03d}" for i in range(30)]
    history = await handle.fetch_history()
    recorded = [e.workflow_execution_signaled.input.payloads[0].data for e in history.events
                if e.HasField("workflow_execution_signaled")
                and e.workflow_execution_signaled.signal_name == "add"]
    # Delivered in the order history recorded them.
    assert [r.decode().strip('"') for r in recorded] == result


@workflow.defn
class LateHandlerWorkflow:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        # Signals sent before this handler exists are buffered, then delivered in order.
        await workflow.sleep(timedelta(seconds=1))
        workflow.set_signal_handler("note", self.seen.append)
        await workflow.wait_condition(lambda: len(self.seen) >= 3)
        return self.seen


async def test_signals_before_the_handler_is_registered_are_buffered(client: Client,
                                                                     task_queue: str) -> None:
    handle = await client.start_workflow(LateHandlerWorkflow.run, id="late",
                                         task_queue=task_queue)
    await handle.signal("note", "a")
    await handle.signal("note", "b")
    async with Worker(client, task_queue=task_queue, workflows=[LateHandlerWorkflow]):
        await asyncio.sleep(0.1)
        await handle.signal("note", "c")
        assert await handle.result() == ["a", "b", "c"]
    await Replayer(workflows=[LateHandlerWorkflow]).replay_workflow(await handle.fetch_history())


@workflow.defn
class GreeterWorkflow:
    def __init__(self) -> None:
        self.greeting = ""
        self.seen_at_start = ""

    @workflow.signal
    def set_greeting(self, greeting: str) -> None:
        self.greeting = greeting

    @workflow.run
    async def run(self, name: str) -> str:
        self.seen_at_start = self.greeting  # handlers of signals sent with the start ran first
        await workflow.wait_condition(lambda: self.greeting == "Bye")
        return f"{self.seen_at_start}, {name}; then {self.greeting}"


async def test_signal_with_start(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[GreeterWorkflow]):
        handle = await client.start_workflow(
            GreeterWorkflow.run, "Ada", id="sws", task_queue=task_queue,
            start_signal="set_greeting", start_signal_args=["Hello"])
        # Signal-with-start on a running workflow signals it (no second run).
        again = await client.start_workflow(
            GreeterWorkflow.run, "Ada", id="sws", task_queue=task_queue,
            start_signal=GreeterWorkflow.set_greeting, start_signal_args=["Bye"],
            id_conflict_policy=WorkflowIdConflictPolicy.USE_EXISTING)
        assert again.run_id == handle.run_id
        assert await handle.result() == "Hello, Ada; then Bye"
    kinds = await event_types(handle)
    assert kinds[:2] == ["workflow_execution_started", "workflow_execution_signaled"]
    assert kinds.count("workflow_execution_signaled") == 2


@workflow.defn
class DynamicSignalWorkflow:
    def __init__(self) -> None:
        self.log: list[Any] = []

    @workflow.signal
    def stop(self) -> None:
        self.log.append("stop")

    @workflow.signal(dynamic=True)
    def any_signal(self, name: str, args: Sequence[workflow.RawValue]) -> None:
        values = [workflow.payload_converter().from_payload(a.payload) for a in args]
        self.log.append([name, *values])

    @workflow.run
    async def run(self) -> list[Any]:
        await workflow.wait_condition(lambda: "stop" in self.log)
        return self.log


async def test_dynamic_signal_handler_takes_signals_without_their_own(client: Client,
                                                                     task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[DynamicSignalWorkflow]):
        handle = await client.start_workflow(DynamicSignalWorkflow.run, id="dyn",
                                             task_queue=task_queue)
        await handle.signal("colour", args=["red", 3])
        await handle.signal("size")
        await handle.signal(DynamicSignalWorkflow.stop)
        assert await handle.result() == [["colour", "red", 3], ["size"], "stop"]


@workflow.defn
class FailingSignalWorkflow:
    @workflow.signal
    def explode(self, why: str) -> None:
        raise ApplicationError(f"signal refused: {why}", type="Refused")

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


async def test_signal_handler_raising_application_error_fails_the_workflow(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[FailingSignalWorkflow]):
        handle = await client.start_workflow(FailingSignalWorkflow.run, id="boom",
                                             task_queue=task_queue)
        await handle.signal(FailingSignalWorkflow.explode, "no")
        with pytest.raises(WorkflowFailureError) as e:
            await handle.result()
    assert isinstance(e.value.cause, ApplicationError)
    assert e.value.cause.type == "Refused"
    assert (await event_types(handle))[-1] == "workflow_execution_failed"


async def test_signal_bad_input(client: Client) -> None:
    handle = client.get_workflow_handle("nope")
    with pytest.raises(ValueError, match="not a signal handler"):
        await handle.signal(InboxWorkflow.run, "x")
    with pytest.raises(ValueError, match="dynamic signal"):
        await handle.signal(DynamicSignalWorkflow.any_signal)
    with pytest.raises(ValueError, match="not both"):
        await handle.signal("add", "a", args=["b"])
    with pytest.raises(ValueError, match="start_signal_args given without start_signal"):
        await client.start_workflow(InboxWorkflow.run, id="x", task_queue="q",
                                    start_signal_args=[1])


def test_signal_decorator_validation() -> None:
    with pytest.raises(ValueError, match="dynamic"):
        workflow.signal(name="x", dynamic=True)(lambda self, a, b: None)
    with pytest.raises(ValueError, match="name"):
        workflow.signal(name="")(lambda self: None)
    with pytest.raises(ValueError, match=r"\(self, name: str, args"):
        workflow.signal(dynamic=True)(lambda self, a: None)
    with pytest.raises(ValueError, match="both the signal 'x' handler"):
        @workflow.defn
        class Twice:
            @workflow.signal(name="x")
            def a(self) -> None: ...

            @workflow.signal(name="x")
            def b(self) -> None: ...

            @workflow.run
            async def run(self) -> None: ...
