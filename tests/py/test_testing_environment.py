"""WorkflowEnvironment: local and time-skipping engines in temporary directories."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime, timedelta, timezone

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.exceptions import DeadlineExceededError
from durable.testing import WorkflowEnvironment
from durable.worker import Worker
from history_util import wait_for_event


@activity.defn
async def stamp(tag: str) -> str:
    return tag


@workflow.defn
class SleepsThenStamps:
    @workflow.run
    async def run(self, seconds: float) -> list[str]:
        before = workflow.now()
        await workflow.sleep(seconds)
        after = workflow.now()
        tag = await workflow.execute_activity(stamp, "done",
                                              start_to_close_timeout=timedelta(seconds=10))
        return [before.isoformat(), after.isoformat(), tag]


async def test_time_skipping_runs_a_month_long_sleep_in_moments() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        assert env.supports_time_skipping
        t0 = await env.get_current_time()
        assert abs((t0 - datetime.now(timezone.utc)).total_seconds()) < 60
        async with Worker(env.client, task_queue="q", workflows=[SleepsThenStamps],
                          activities=[stamp]):
            before, after, tag = await env.client.execute_workflow(
                SleepsThenStamps.run, 30 * 86400, id="month", task_queue="q")
        assert tag == "done"
        slept = datetime.fromisoformat(after) - datetime.fromisoformat(before)
        assert slept >= timedelta(days=30), slept
        # The environment's clock skipped the month: the test's own timeout (minutes)
        # would end a real month's wait long before this line.
        assert await env.get_current_time() - t0 >= timedelta(days=30)


async def test_time_does_not_skip_while_nobody_waits_for_a_result() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        t0 = await env.get_current_time()
        async with Worker(env.client, task_queue="q", workflows=[SleepsThenStamps],
                          activities=[stamp]):
            handle = await env.client.start_workflow(SleepsThenStamps.run, 86400, id="day",
                                                     task_queue="q")
            await wait_for_event(handle, "timer_started")  # the first task ran
            assert await env.get_current_time() - t0 < timedelta(minutes=1)
            # Waiting for the result lets the clock jump to the timer.
            assert (await handle.result())[2] == "done"
        assert await env.get_current_time() - t0 >= timedelta(days=1)


async def test_sleep_advances_the_clock_and_fires_timers_on_the_way() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        async with Worker(env.client, task_queue="q", workflows=[SleepsThenStamps],
                          activities=[stamp]):
            handle = await env.client.start_workflow(SleepsThenStamps.run, 3600, id="hour",
                                                     task_queue="q")
            t0 = await env.get_current_time()
            await env.sleep(timedelta(hours=2))
            assert await env.get_current_time() - t0 >= timedelta(hours=2)
            # The timer fired and its task ran during the sleep: the run is closed.
            desc = await handle.describe()
            assert desc.close_time is not None, desc.status
            await env.sleep(0.5)  # seconds work too
        with pytest.raises(ValueError, match="negative"):
            await env.sleep(-1)


async def test_auto_time_skipping_can_be_disabled() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        async with Worker(env.client, task_queue="q", workflows=[SleepsThenStamps],
                          activities=[stamp]):
            handle = await env.client.start_workflow(SleepsThenStamps.run, 86400, id="day",
                                                     task_queue="q")
            with env.auto_time_skipping_disabled():
                with pytest.raises(DeadlineExceededError):
                    await handle.result(rpc_timeout=timedelta(seconds=0.5))
                # Time still flows normally: a short timer fires in real time.
                wall = time.monotonic()
                short = await env.client.execute_workflow(SleepsThenStamps.run, 0.3,
                                                          id="short", task_queue="q")
                assert short[2] == "done"
                assert time.monotonic() - wall >= 0.25
            assert (await handle.result())[2] == "done"

    async with await WorkflowEnvironment.start_time_skipping(auto_time_skipping=False) as env:
        async with Worker(env.client, task_queue="q", workflows=[SleepsThenStamps],
                          activities=[stamp]):
            handle = await env.client.start_workflow(SleepsThenStamps.run, 86400, id="day",
                                                     task_queue="q")
            with pytest.raises(DeadlineExceededError):
                await handle.result(rpc_timeout=timedelta(seconds=0.3))
            await env.sleep(timedelta(days=1, seconds=1))
            assert (await handle.result())[2] == "done"


async def test_local_environment_uses_real_time_and_cleans_up() -> None:
    async with await WorkflowEnvironment.start_local() as env:
        assert not env.supports_time_skipping
        directory = env.client.transport.target.removeprefix("embedded:")
        assert os.path.isdir(directory)
        now = await env.get_current_time()
        assert abs((now - datetime.now(timezone.utc)).total_seconds()) < 5
        async with Worker(env.client, task_queue="q", workflows=[SleepsThenStamps],
                          activities=[stamp]):
            wall = time.monotonic()
            out = await env.client.execute_workflow(SleepsThenStamps.run, 0.2, id="w",
                                                    task_queue="q")
            assert out[2] == "done"
            assert time.monotonic() - wall >= 0.15
        wall = time.monotonic()
        await env.sleep(0.1)
        assert time.monotonic() - wall >= 0.09
        with pytest.raises(RuntimeError, match="time-skipping environment"):
            with env.auto_time_skipping_disabled():
                pass
    assert not os.path.exists(directory)
    with pytest.raises(RuntimeError, match="shut down"):
        await env.get_current_time()


async def test_from_client_wraps_an_existing_client(client: Client) -> None:
    env = WorkflowEnvironment.from_client(client)
    assert env.client is client and not env.supports_time_skipping
    async with Worker(client, task_queue="q", workflows=[SleepsThenStamps], activities=[stamp]):
        out = await client.execute_workflow(SleepsThenStamps.run, 0.01, id="fc", task_queue="q")
    assert out[2] == "done"
