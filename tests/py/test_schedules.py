"""Schedules on the time-skipping environment: interval, offset and calendar specs over
virtual time, every overlap policy with a slow workflow, pause / unpause / trigger /
backfill / update / delete, catch-up after a restart, clear errors."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from durable import workflow
from durable.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    WorkflowExecutionStatus,
)
from durable.common import SearchAttributeKey
from durable.exceptions import AlreadyExistsError, InvalidArgumentError, NotFoundError
from durable.testing import WorkflowEnvironment
from durable.worker import Worker

SCHEDULED_BY = SearchAttributeKey.for_keyword("TemporalScheduledById")
SCHEDULED_AT = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
MINUTE = timedelta(minutes=1)


@workflow.defn
class Quick:
    @workflow.run
    async def run(self, tag: str) -> str:
        return tag


@workflow.defn
class Slow:
    def __init__(self) -> None:
        self._done = False

    @workflow.signal
    def finish(self) -> None:
        self._done = True

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self._done)
        return "finished"


async def _runs(client: Client, schedule_id: str) -> list[Any]:
    rows = [wf async for wf in client.list_workflows(
        f"TemporalScheduledById = '{schedule_id}' ORDER BY TemporalScheduledStartTime")]
    return rows


def _every(period: timedelta, now: datetime, first_in: timedelta) -> ScheduleIntervalSpec:
    """An interval whose first time is `first_in` after `now` (away from any boundary)."""
    period_us = period // timedelta(microseconds=1)
    now_us = (now - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)
    offset_us = (now_us + first_in // timedelta(microseconds=1)) % period_us
    return ScheduleIntervalSpec(every=period, offset=timedelta(microseconds=offset_us))


async def _wait(predicate: Any, what: str, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def env() -> Any:
    async with await WorkflowEnvironment.start_time_skipping() as e:
        yield e


async def test_every_minute_over_ten_virtual_minutes_starts_exactly_ten_runs(env: Any) -> None:
    client = env.client
    now = await env.get_current_time()
    async with Worker(client, task_queue="sq", workflows=[Quick]):
        handle = await client.create_schedule("every-minute", Schedule(
            action=ScheduleActionStartWorkflow(Quick.run, "tick", id="tick", task_queue="sq"),
            spec=ScheduleSpec(intervals=[_every(MINUTE, now, timedelta(seconds=30))])))
        await env.sleep(timedelta(minutes=10))
        runs = await _runs(client, "every-minute")
        assert len(runs) == 10
        times = [r.typed_search_attributes[SCHEDULED_AT] for r in runs]
        assert [b - a for a, b in zip(times, times[1:])] == [MINUTE] * 9
        assert times[0] - now == timedelta(seconds=30)
        for r, t in zip(runs, times):  # named <id>-<UTC time>, carrying the schedule id
            assert r.id == "tick-" + t.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert r.typed_search_attributes[SCHEDULED_BY] == "every-minute"
        await _wait(lambda: _all_closed(client, "every-minute"), "runs to complete")
        desc = await handle.describe()
        assert desc.info.num_actions == 10
        assert [a.scheduled_at for a in desc.info.recent_actions] == times
        assert {a.action.status for a in desc.info.recent_actions} == {
            WorkflowExecutionStatus.COMPLETED}
        assert desc.info.next_action_times[0] == times[-1] + MINUTE
        assert len(desc.info.next_action_times) == 10


async def _all_closed(client: Client, schedule_id: str) -> bool:
    return all(r.status != WorkflowExecutionStatus.RUNNING for r in await _runs(client, schedule_id))


async def test_interval_with_offset_fires_at_the_offset(env: Any) -> None:
    client = env.client
    async with Worker(client, task_queue="sq", workflows=[Quick]):
        handle = await client.create_schedule("hourly-15", Schedule(
            action=ScheduleActionStartWorkflow(Quick.run, "h", id="h", task_queue="sq"),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1),
                                                              offset=timedelta(minutes=15))])))
        desc = await handle.describe()
        assert all((t.minute, t.second, t.microsecond) == (15, 0, 0)
                   for t in desc.info.next_action_times)
        await env.sleep(timedelta(hours=3))
        times = [r.typed_search_attributes[SCHEDULED_AT] for r in await _runs(client, "hourly-15")]
        assert len(times) == 3
        assert all((t.minute, t.second) == (15, 0) for t in times)


async def test_calendar_specs_over_a_virtual_quarter_in_a_time_zone(env: Any) -> None:
    client = env.client
    tz = ZoneInfo("Europe/Madrid")
    start = await env.get_current_time()
    async with Worker(client, task_queue="sq", workflows=[Quick]):
        await client.create_schedule("weekdays", Schedule(
            action=ScheduleActionStartWorkflow(Quick.run, "w", id="weekday", task_queue="sq"),
            spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(
                hour=[ScheduleRange(9)], minute=[ScheduleRange(30)],
                day_of_week=[ScheduleRange(1, 5)], comment="09:30 on weekdays")],
                time_zone_name="Europe/Madrid")))
        await client.create_schedule("monthly", Schedule(
            action=ScheduleActionStartWorkflow(Quick.run, "m", id="monthly", task_queue="sq"),
            spec=ScheduleSpec(cron_expressions=["0 0 1 * *"], time_zone_name="Europe/Madrid")))
        await env.sleep(timedelta(days=91))
        end = await env.get_current_time()
    # Expected instants, computed independently with Python's zoneinfo.
    expected_weekdays, expected_monthly = [], []
    day = start.astimezone(tz).date()
    while True:
        at = datetime(day.year, day.month, day.day, 9, 30, tzinfo=tz)
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        if midnight > end:
            break
        if start < at <= end and at.weekday() < 5:
            expected_weekdays.append(at.astimezone(timezone.utc))
        if start < midnight <= end and day.day == 1:
            expected_monthly.append(midnight.astimezone(timezone.utc))
        day += timedelta(days=1)
    got_weekdays = [r.typed_search_attributes[SCHEDULED_AT] for r in await _runs(client, "weekdays")]
    got_monthly = [r.typed_search_attributes[SCHEDULED_AT] for r in await _runs(client, "monthly")]
    assert len(expected_weekdays) >= 60 and len(expected_monthly) == 3
    assert got_weekdays == expected_weekdays
    assert got_monthly == expected_monthly


@pytest.mark.parametrize("policy", list(ScheduleOverlapPolicy))
async def test_overlap_policies_with_a_slow_workflow(env: Any, policy: ScheduleOverlapPolicy) -> None:
    client = env.client
    now = await env.get_current_time()
    sid = f"overlap-{policy.name.lower()}"
    async with Worker(client, task_queue="sq", workflows=[Slow]):
        handle = await client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow(Slow.run, id=sid, task_queue="sq"),
            spec=ScheduleSpec(intervals=[_every(MINUTE, now, timedelta(seconds=30))]),
            policy=SchedulePolicy(overlap=policy)))
        await env.sleep(timedelta(minutes=3))  # three actions due; the first run never ends
        runs = await _runs(client, sid)
        statuses = [r.status for r in runs]
        info = (await handle.describe()).info
        R, C, T = (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.CANCELED,
                   WorkflowExecutionStatus.TERMINATED)
        if policy == ScheduleOverlapPolicy.SKIP:
            assert statuses == [R] and info.num_actions_skipped_overlap == 2
        elif policy == ScheduleOverlapPolicy.BUFFER_ONE:
            assert statuses == [R] and info.num_buffered_actions == 1
            assert info.num_actions_skipped_overlap == 1
        elif policy == ScheduleOverlapPolicy.BUFFER_ALL:
            assert statuses == [R] and info.num_buffered_actions == 2
        elif policy == ScheduleOverlapPolicy.CANCEL_OTHER:
            await _wait(lambda: _statuses_are(client, sid, [C, C, R]), "cancel-other runs")
        elif policy == ScheduleOverlapPolicy.TERMINATE_OTHER:
            assert statuses == [T, T, R]
        elif policy == ScheduleOverlapPolicy.ALLOW_ALL:
            assert statuses == [R, R, R]
        if policy in (ScheduleOverlapPolicy.BUFFER_ONE, ScheduleOverlapPolicy.BUFFER_ALL):
            # Finishing the running one starts the buffered ones, one after the other.
            expected = 2 if policy == ScheduleOverlapPolicy.BUFFER_ONE else 3
            for i in range(expected):
                await _wait(lambda: _count(client, sid, i + 1), f"run {i + 1}")
                first_open = [r for r in await _runs(client, sid) if r.status == R]
                assert len(first_open) == 1
                await client.get_workflow_handle(first_open[0].id).signal(Slow.finish)
                await _wait(lambda: _open_count(client, sid, 0 if i + 1 == expected else 1),
                            "the next buffered run")
            assert [r.status for r in await _runs(client, sid)] == [
                WorkflowExecutionStatus.COMPLETED] * expected
            scheduled = [r.typed_search_attributes[SCHEDULED_AT] for r in await _runs(client, sid)]
            assert scheduled == sorted(scheduled)


async def _statuses_are(client: Client, sid: str, expected: list[Any]) -> bool:
    return [r.status for r in await _runs(client, sid)] == expected


async def _count(client: Client, sid: str, n: int) -> bool:
    return len(await _runs(client, sid)) >= n


async def _open_count(client: Client, sid: str, n: int) -> bool:
    runs = await _runs(client, sid)
    return len([r for r in runs if r.status == WorkflowExecutionStatus.RUNNING]) == n


async def test_pause_unpause_trigger_backfill_update_delete(env: Any) -> None:
    client = env.client
    now = await env.get_current_time()
    sid = "ops"
    async with Worker(client, task_queue="sq", workflows=[Quick]):
        handle = await client.create_schedule(sid, Schedule(
            action=ScheduleActionStartWorkflow(Quick.run, "x", id="ops", task_queue="sq"),
            spec=ScheduleSpec(intervals=[_every(MINUTE, now, timedelta(seconds=30))]),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
            state=ScheduleState(paused=True, note="created paused")))
        await env.sleep(timedelta(minutes=3))
        assert await _runs(client, sid) == []  # paused: nothing, and nothing caught up later
        desc = await handle.describe()
        assert desc.schedule.state.paused and desc.schedule.state.note == "created paused"
        await handle.unpause(note="go")
        assert (await handle.describe()).schedule.state.note == "go"
        await env.sleep(timedelta(minutes=2))
        assert len(await _runs(client, sid)) == 2
        await handle.pause()
        await env.sleep(timedelta(minutes=2))
        assert len(await _runs(client, sid)) == 2

        await handle.trigger()  # paused schedules can still be triggered
        await _wait(lambda: _count(client, sid, 3), "the triggered run")

        t0 = now - timedelta(hours=2)
        await handle.backfill(ScheduleBackfill(start_at=t0, end_at=t0 + timedelta(minutes=5),
                                               overlap=ScheduleOverlapPolicy.ALLOW_ALL))
        runs = await _runs(client, sid)
        backfilled = [r for r in runs if r.typed_search_attributes[SCHEDULED_AT] < now]
        assert len(backfilled) == 5
        assert all(t0 <= r.typed_search_attributes[SCHEDULED_AT] < t0 + timedelta(minutes=5)
                   for r in backfilled)

        def to_limited(inp: Any) -> ScheduleUpdate:
            s = inp.description.schedule
            s.state = ScheduleState(paused=False, limited_actions=True, remaining_actions=1)
            return ScheduleUpdate(s)

        await handle.update(to_limited)
        before = len(await _runs(client, sid))
        await env.sleep(timedelta(minutes=3))
        assert len(await _runs(client, sid)) == before + 1  # one action left, then none
        desc = await handle.describe()
        assert desc.schedule.state.remaining_actions == 0

        assert [s.id async for s in client.list_schedules()] == [sid]
        await handle.delete()
        with pytest.raises(NotFoundError):
            await handle.describe()
        assert [s.id async for s in client.list_schedules()] == []


async def test_bad_schedules_are_clear_errors(env: Any) -> None:
    client = env.client
    action = ScheduleActionStartWorkflow(Quick.run, "x", id="bad", task_queue="sq")
    with pytest.raises(InvalidArgumentError, match="unknown time zone 'Mars/Olympus'"):
        await client.create_schedule("b1", Schedule(action=action, spec=ScheduleSpec(
            cron_expressions=["0 * * * *"], time_zone_name="Mars/Olympus")))
    with pytest.raises(InvalidArgumentError, match="bad hour '25'"):
        await client.create_schedule("b2", Schedule(action=action, spec=ScheduleSpec(
            cron_expressions=["0 25 * * *"])))
    with pytest.raises(InvalidArgumentError, match="hour range 24-24 is outside 0-23"):
        await client.create_schedule("b3", Schedule(action=action, spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(24)])])))
    await client.create_schedule("ok", Schedule(action=action, spec=ScheduleSpec(
        cron_expressions=["@daily"])))
    with pytest.raises(AlreadyExistsError):
        await client.create_schedule("ok", Schedule(action=action, spec=ScheduleSpec(
            cron_expressions=["@daily"])))
    with pytest.raises(NotFoundError):
        await client.get_schedule_handle("nope").pause()


@pytest.mark.timeout(120)
async def test_missed_runs_start_after_restart_only_inside_the_catchup_window(
        tmp_path: Path) -> None:
    """Real time: the engine is closed for a few seconds while actions are due."""
    target = str(tmp_path / "engine")
    client = await Client.connect(target, sync_writes=False)
    # No worker: runs stay open, so ALLOW_ALL.
    every = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=1))])
    await client.create_schedule("wide", Schedule(
        action=ScheduleActionStartWorkflow(Quick.run, "w", id="wide", task_queue="nobody"),
        spec=every, policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL,
                                          catchup_window=timedelta(minutes=5))))
    await client.create_schedule("narrow", Schedule(
        action=ScheduleActionStartWorkflow(Quick.run, "n", id="narrow", task_queue="nobody"),
        spec=every, policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL,
                                          catchup_window=timedelta(milliseconds=300))))
    await client.close()
    closed_at = datetime.now(timezone.utc)
    await asyncio.sleep(4)  # about four actions of each schedule are due while closed
    reopened_at = datetime.now(timezone.utc)
    client = await Client.connect(target, sync_writes=False)
    try:
        async def in_gap(sid: str) -> list[Any]:
            return [r for r in await _runs(client, sid)
                    if closed_at < r.typed_search_attributes[SCHEDULED_AT] < reopened_at]

        async def caught_up() -> bool:
            return len(await in_gap("wide")) >= 3
        await _wait(caught_up, "the wide schedule to catch up")
        wide = (await client.get_schedule_handle("wide").describe()).info
        narrow = (await client.get_schedule_handle("narrow").describe()).info
        assert wide.num_actions_missed_catchup_window == 0
        assert narrow.num_actions_missed_catchup_window >= 2
        assert len(await in_gap("narrow")) <= 1  # only a time at most 300 ms old at reopen
        # Each missed time ran at most once (names are unique per nominal time).
        ids = [r.id async for r in client.list_workflows("TemporalScheduledById = 'wide'")]
        assert len(ids) == len(set(ids)) == wide.num_actions
    finally:
        await client.close()


async def test_legacy_cron_schedule_starts_a_new_run_at_each_cron_time(env: Any) -> None:
    client = env.client
    async with Worker(client, task_queue="sq", workflows=[Quick]):
        handle = await client.start_workflow(Quick.run, "c", id="cron-wf", task_queue="sq",
                                             cron_schedule="*/2 * * * *")
        await env.sleep(timedelta(minutes=9))
        runs = [wf async for wf in client.list_workflows(
            "WorkflowId = 'cron-wf' ORDER BY StartTime")]
        closed = [r for r in runs if r.status == WorkflowExecutionStatus.COMPLETED]
        assert len(closed) in (4, 5) and runs[-1].status == WorkflowExecutionStatus.RUNNING
        assert len(runs) == len(closed) + 1
        # Each run's first task waited for an even minute.
        for r in runs:
            assert r.execution_time is not None
            assert (r.execution_time.minute % 2, r.execution_time.second) == (0, 0)
        assert runs[0].run_id == handle.run_id
        await client.get_workflow_handle("cron-wf").terminate()  # ends the chain
        await env.sleep(timedelta(minutes=5))
        assert len([wf async for wf in client.list_workflows("WorkflowId = 'cron-wf'")]) == len(runs)
    with pytest.raises(InvalidArgumentError, match="cron_schedule of workflow 'bad-cron'"):
        await client.start_workflow(Quick.run, "c", id="bad-cron", task_queue="sq",
                                    cron_schedule="every minute")
