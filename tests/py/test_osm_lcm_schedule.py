"""examples/osm_lcm: FsCleanWorkflow on a schedule every minute, ten virtual minutes on the
time-skipping environment: each run deletes the files uploaded since the previous one, ten
times, and never a file a package references."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import gridfs
import pymongo
from durable.client import (Client, Schedule, ScheduleActionStartWorkflow,
                            ScheduleIntervalSpec, ScheduleSpec)
from durable.testing import WorkflowEnvironment
from osm_lcm_fixtures import Lcm, activities, lcm, mongo_url, wf  # noqa: F401


def _files(lcm: Lcm) -> set[str]:
    with pymongo.MongoClient(lcm.mongo_url) as c:
        return {str(f._id) for f in gridfs.GridFS(c[lcm.database]).find()}


async def test_the_cleaning_schedule_deletes_what_it_should_ten_times(
        lcm: Lcm, durable_env: WorkflowEnvironment, durable_client: Client,
        durable_worker: Any) -> None:
    referenced = set(activities.seed_catalog(lcm.mongo_url, database=lcm.database))
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        schedule = await durable_client.create_schedule("fs-clean", Schedule(
            action=ScheduleActionStartWorkflow(wf.FsCleanWorkflow.run, id="fs-clean",
                                               task_queue=w.task_queue),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=1))])))
        results = []
        # Only env.sleep moves the clock: waiting for a run's result must not skip to the
        # next tick.
        with durable_env.auto_time_skipping_disabled():
            for minute in range(10):
                uploaded = {activities._upload(f"draft-{minute}-{j}", "x", key=f"{minute}/{j}")
                            for j in range(minute % 3 + 1)}
                assert _files(lcm) == referenced | uploaded
                await durable_env.sleep(timedelta(minutes=1))
                for _ in range(1200):  # the run the minute's tick started, to its end
                    info = (await schedule.describe()).info
                    if info.num_actions == minute + 1 and not info.running_actions:
                        break
                    await asyncio.sleep(0.02)
                else:
                    raise AssertionError(f"minute {minute}: {info}")
                last = info.recent_actions[-1].action
                results.append(await durable_client.get_workflow_handle(
                    last.workflow_id, run_id=last.first_execution_run_id).result())
                assert _files(lcm) == referenced, minute
        await schedule.delete()
    assert results == [{"deleted_files_count": m % 3 + 1} for m in range(10)]
