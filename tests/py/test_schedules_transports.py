"""Schedules in real time on both transports (the other schedule tests use the
time-skipping environment, which is embedded): a 1-second interval schedule starts runs that
complete and show up in describe() and list_workflows; pause stops it, trigger still runs,
delete removes it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from durable import workflow
from durable.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleSpec,
)
from durable.exceptions import NotFoundError
from durable.worker import Worker


@workflow.defn
class Tick:
    @workflow.run
    async def run(self, x: str) -> str:
        return x


async def _runs(client: Client, sid: str) -> list[Any]:
    return [wf async for wf in client.list_workflows(f"TemporalScheduledById = '{sid}'")]


async def _until(pred: Any, what: str, timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await pred():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.1)


async def test_interval_schedule_runs_pauses_triggers_and_deletes(
        client: Client, task_queue: str) -> None:
    sid = "every-second"
    async with Worker(client, task_queue=task_queue, workflows=[Tick]):
        handle = await client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow(Tick.run, "tick", id="tick", task_queue=task_queue),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=1))])))

        async def two_completed() -> bool:
            runs = await _runs(client, sid)
            return sum(r.status.name == "COMPLETED" for r in runs) >= 2

        await _until(two_completed, "two scheduled runs completed")
        runs = await _runs(client, sid)
        assert all(r.id.startswith("tick-") for r in runs)  # <workflow id>-<UTC time>
        assert await client.get_workflow_handle(runs[0].id).result() == "tick"
        desc = await handle.describe()
        assert len(desc.info.recent_actions) >= 2
        assert desc.info.next_action_times

        await handle.pause(note="maintenance")
        await asyncio.sleep(0.5)  # a run due right at the pause may still start
        paused_at = len(await _runs(client, sid))
        await asyncio.sleep(2.5)
        assert len(await _runs(client, sid)) == paused_at  # two more seconds, nothing
        assert (await handle.describe()).schedule.state.paused

        await handle.trigger()

        async def one_more() -> bool:
            return len(await _runs(client, sid)) == paused_at + 1

        await _until(one_more, "the triggered run")
        assert [s.id async for s in client.list_schedules()] == [sid]
        await handle.delete()
        with pytest.raises(NotFoundError):
            await handle.describe()
