"""Durable timers: asyncio.sleep, workflow.sleep, wait_condition timeouts, cancelled timers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from durable import workflow
from durable.client import Client
from durable.worker import Replayer, Worker

from history_util import commands_only, event_types, wait_for_event


@workflow.defn
class SleepyWorkflow:
    @workflow.run
    async def run(self) -> float:
        start = workflow.now()
        await asyncio.sleep(0.1)
        await workflow.sleep(timedelta(milliseconds=100))
        return (workflow.now() - start).total_seconds()


async def test_asyncio_sleep_and_workflow_sleep_are_durable_timers(client: Client,
                                                                   task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[SleepyWorkflow]):
        handle = await client.start_workflow(SleepyWorkflow.run, id="sleepy",
                                             task_queue=task_queue)
        elapsed = await handle.result()
    assert elapsed >= 0.2  # workflow time moved by both timers
    history = await handle.fetch_history()
    kinds = [e.WhichOneof("attributes") for e in history.events]
    assert commands_only(kinds) == [
        "workflow_execution_started", "timer_started", "timer_fired", "timer_started",
        "timer_fired", "workflow_execution_completed"]
    started = [e.timer_started for e in history.events if e.HasField("timer_started")]
    assert [t.start_to_fire_timeout_us for t in started] == [100_000, 100_000]
    await Replayer(workflows=[SleepyWorkflow]).replay_workflow(history)


@workflow.defn
class ConditionWorkflow:
    def __init__(self) -> None:
        self.ready = False

    @workflow.signal
    def go(self) -> None:
        self.ready = True

    @workflow.run
    async def run(self, timeout_s: float) -> str:
        try:
            await workflow.wait_condition(lambda: self.ready, timeout=timeout_s)
        except asyncio.TimeoutError:
            return "timed out"
        return "ready"


async def test_wait_condition_timeout_raises_timeout_error(client: Client,
                                                           task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ConditionWorkflow]):
        handle = await client.start_workflow(ConditionWorkflow.run, 0.2, id="cond-timeout",
                                             task_queue=task_queue)
        assert await handle.result() == "timed out"
    assert commands_only(await event_types(handle)) == [
        "workflow_execution_started", "timer_started", "timer_fired",
        "workflow_execution_completed"]


async def test_wait_condition_met_before_timeout_cancels_its_timer(client: Client,
                                                                   task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ConditionWorkflow]):
        handle = await client.start_workflow(ConditionWorkflow.run, 3600.0, id="cond-met",
                                             task_queue=task_queue)
        # A signal sent before the first task runs finds the condition true: no timer at all.
        await wait_for_event(handle, "timer_started")
        await handle.signal(ConditionWorkflow.go)
        assert await handle.result() == "ready"
    history = await handle.fetch_history()
    assert commands_only([e.WhichOneof("attributes") for e in history.events]) == [
        "workflow_execution_started", "timer_started", "workflow_execution_signaled",
        "timer_canceled", "workflow_execution_completed"]
    await Replayer(workflows=[ConditionWorkflow]).replay_workflow(history)


@workflow.defn
class CancelSleepWorkflow:
    def __init__(self) -> None:
        self.stop = False

    @workflow.signal
    def wake(self) -> None:
        self.stop = True

    @workflow.run
    async def run(self) -> str:
        sleeper = asyncio.create_task(asyncio.sleep(3600))
        await workflow.wait_condition(lambda: self.stop)
        sleeper.cancel()  # cancelling the task that sleeps cancels the durable timer
        try:
            await sleeper
        except asyncio.CancelledError:
            return "woken early"
        return "slept"


@pytest.mark.parametrize("max_cached", [100, 0])
async def test_cancelling_a_sleeping_task_cancels_the_timer(client: Client, task_queue: str,
                                                            max_cached: int) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CancelSleepWorkflow],
                      max_cached_workflows=max_cached):
        handle = await client.start_workflow(CancelSleepWorkflow.run, id="cancel-sleep",
                                             task_queue=task_queue)
        await handle.signal(CancelSleepWorkflow.wake)
        assert await handle.result() == "woken early"
    history = await handle.fetch_history()
    kinds = [e.WhichOneof("attributes") for e in history.events]
    assert commands_only(kinds) == [
        "workflow_execution_started", "timer_started", "workflow_execution_signaled",
        "timer_canceled", "workflow_execution_completed"]
    await Replayer(workflows=[CancelSleepWorkflow]).replay_workflow(history)


def test_wait_condition_outside_a_workflow_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="not in workflow code"):
        asyncio.run(workflow.wait_condition(lambda: True))
