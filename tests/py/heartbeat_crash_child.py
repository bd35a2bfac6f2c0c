"""Child process of test_heartbeat_crash.py: a long activity that heartbeats its progress.

    python heartbeat_crash_child.py DIR PHASE

Phase "first": starts the workflow; the activity counts from 1, heartbeating each number
and appending "attempt N: i" to DIR/progress.log, until the parent kills this process with
SIGKILL. Phase "second": opens the same engine directory; the activity resumes from its
last recorded heartbeat details, counts to 40 and the result is printed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from durable import activity, workflow
from durable.client import Client
from durable.worker import Worker

DIRECTORY, PHASE = sys.argv[1], sys.argv[2]


@activity.defn
async def count_to_40() -> str:
    info = activity.info()
    start = info.heartbeat_details[0] if info.heartbeat_details else 0
    with open(os.path.join(DIRECTORY, "progress.log"), "a") as log:
        log.write(f"start pid={os.getpid()} attempt={info.attempt} from={start}\n")
        for i in range(start + 1, 41):
            activity.heartbeat(i)
            log.write(f"beat {i}\n")
            log.flush()
            await asyncio.sleep(0.2 if PHASE == "first" else 0.01)
    return f"counted {start + 1}..40 in pid {os.getpid()}"


@workflow.defn
class CountWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            count_to_40, start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=2))


async def main() -> None:
    client = await Client.connect(os.path.join(DIRECTORY, "engine"))
    async with Worker(client, task_queue="hb-crash", workflows=[CountWorkflow],
                      activities=[count_to_40]):
        if PHASE == "first":
            await client.start_workflow(CountWorkflow.run, id="hb-crash-wf",
                                        task_queue="hb-crash")
            await asyncio.sleep(3600)  # killed here
        else:
            result = await client.get_workflow_handle("hb-crash-wf").result()
            print(f"RESULT {result}", flush=True)


asyncio.run(main())
