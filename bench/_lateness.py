"""Shared by the schedule-lateness benchmarks (durable's and Temporal's): the workload and its
report, written once against the client API both SDKs share (temporalio's names).

S schedules, all `every` seconds on the same phase (so S actions fall due at the same instant),
no worker: a fired action is a started run, which stays open (overlap ALLOW_ALL). After
`rounds` periods every schedule is paused and each run's lateness is its start time minus its
scheduled time (the TemporalScheduledStartTime search attribute both systems set).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from types import ModuleType

from _stats import percentile


async def measure(sdk_client: ModuleType, sdk_common: ModuleType, client, system: str,
                  schedules: int, every: float, rounds: int) -> None:
    c = sdk_client
    spec = c.ScheduleSpec(intervals=[c.ScheduleIntervalSpec(every=timedelta(seconds=every))])
    policy = c.SchedulePolicy(overlap=c.ScheduleOverlapPolicy.ALLOW_ALL)
    sem = asyncio.Semaphore(50)

    async def each(ids, call) -> None:
        async def one(i: int) -> None:
            async with sem:
                await call(i)
        await asyncio.gather(*(one(i) for i in ids))

    created = time.perf_counter()
    await each(range(schedules), lambda i: client.create_schedule(f"s{i}", c.Schedule(
        action=c.ScheduleActionStartWorkflow("Nothing", id=f"w{i}", task_queue="none"),
        spec=spec, policy=policy)))
    create_s = time.perf_counter() - created
    await asyncio.sleep(every * rounds + 2)
    await each(range(schedules), lambda i: client.get_schedule_handle(f"s{i}").pause())

    # Visibility may trail the runs (Temporal's is eventually consistent): list once the count
    # has stopped moving.
    seen = -1
    while (count := (await client.count_workflows()).count) != seen:
        seen = count
        await asyncio.sleep(2)
    scheduled_at = sdk_common.SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
    late = []
    async for wf in client.list_workflows():
        due = wf.typed_search_attributes.get(scheduled_at)
        if due is not None:
            late.append((wf.start_time - due).total_seconds())
    print(json.dumps({
        "system": system, "schedules": schedules, "every_s": every, "rounds": rounds,
        "create_all_s": round(create_s, 1), "runs": len(late),
        "expected_runs_at_least": schedules * (rounds - 1),
        "lateness_p50_ms": round(percentile(late, 50) * 1000, 1),
        "lateness_p99_ms": round(percentile(late, 99) * 1000, 1),
        "lateness_max_ms": round(max(late) * 1000, 1) if late else None,
    }), flush=True)
