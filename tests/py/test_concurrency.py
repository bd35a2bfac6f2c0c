"""asyncio concurrency inside workflows: gather, wait, create_task, Queue, Event, cancellation —
deterministic on replay (Replayer, and a worker that replays every task)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.worker import Replayer, Worker

TIMEOUT = dict(start_to_close_timeout=timedelta(seconds=10))


def commands_only(history: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in history.events
            if not e.WhichOneof("attributes").startswith("workflow_task_")]


@activity.defn
async def square(x: int) -> int:
    await asyncio.sleep(0.01 * (5 - x))  # finish in reverse order of start
    return x * x


@workflow.defn
class FanOutWorkflow:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.go = asyncio.Event()

    @workflow.signal
    def push(self, x: int) -> None:
        self.queue.put_nowait(x)

    @workflow.signal
    def start(self) -> None:
        self.go.set()

    @workflow.run
    async def run(self) -> dict[str, Any]:
        await self.go.wait()  # an asyncio.Event set by a signal
        # gather over activities: results in argument order.
        squares = await asyncio.gather(*(workflow.execute_activity(square, i, **TIMEOUT)
                                         for i in range(5)))
        # wait(FIRST_COMPLETED) racing an activity against a long timer; the loser is cancelled.
        act = workflow.start_activity(square, 2, **TIMEOUT)
        timer = asyncio.create_task(asyncio.sleep(3600))
        done, pending = await asyncio.wait({act, timer}, return_when=asyncio.FIRST_COMPLETED)
        for p in pending:
            p.cancel()
        raced = "activity" if act in done else "timer"
        # A consumer task draining a queue fed by signals.
        consumed: list[int] = []

        async def consume() -> None:
            while len(consumed) < 3:
                consumed.append(await self.queue.get())

        await asyncio.wait_for(asyncio.create_task(consume()), timeout=3600)
        return {"squares": squares, "raced": raced, "consumed": consumed}


@pytest.mark.parametrize("max_cached", [100, 0])
async def test_gather_wait_tasks_queue_event_replay_deterministically(
        client: Client, task_queue: str, max_cached: int) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[FanOutWorkflow],
                      activities=[square], max_cached_workflows=max_cached):
        handle = await client.start_workflow(FanOutWorkflow.run, id="fan", task_queue=task_queue)
        await handle.signal(FanOutWorkflow.push, 7)
        await handle.signal(FanOutWorkflow.start)
        await handle.signal(FanOutWorkflow.push, 8)
        await handle.signal(FanOutWorkflow.push, 9)
        result = await handle.result()
    assert result == {"squares": [0, 1, 4, 9, 16], "raced": "activity", "consumed": [7, 8, 9]}
    history = await handle.fetch_history()
    kinds = commands_only(history)
    assert kinds.count("activity_task_scheduled") == 6
    assert kinds.count("activity_task_completed") == 6
    # The losing timer of the race was cancelled; the queue's wait_for timer was started and
    # cancelled within one activation (the signals were all there), so it was never sent.
    assert kinds.count("timer_started") == 1
    assert kinds.count("timer_canceled") == 1
    assert kinds[-1] == "workflow_execution_completed"
    await Replayer(workflows=[FanOutWorkflow]).replay_workflow(history)


@workflow.defn
class CancelChildTaskWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        log: list[str] = []

        async def worker(name: str, seconds: float) -> None:
            try:
                await workflow.sleep(seconds)
                log.append(f"{name} done")
            except asyncio.CancelledError:
                log.append(f"{name} cancelled")
                raise

        tasks = [asyncio.create_task(worker("a", 0.05)), asyncio.create_task(worker("b", 3600))]
        await tasks[0]
        tasks[1].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        log.append(f"b result: {type(results[1]).__name__}")
        return log


async def test_task_cancellation_is_recorded_and_replays(client: Client,
                                                         task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CancelChildTaskWorkflow],
                      max_cached_workflows=0):
        handle = await client.start_workflow(CancelChildTaskWorkflow.run, id="cancel-task",
                                             task_queue=task_queue)
        assert await handle.result() == ["a done", "b cancelled", "b result: CancelledError"]
    history = await handle.fetch_history()
    assert commands_only(history) == [
        "workflow_execution_started", "timer_started", "timer_started", "timer_fired",
        "timer_canceled", "workflow_execution_completed"]
    await Replayer(workflows=[CancelChildTaskWorkflow]).replay_workflow(history)
