"""Child process of test_crash.py: runs a two-activity workflow on an engine directory.

    python crash_child.py DIR PHASE

Phase "first": `record_once` appends a line to DIR/record.log, then `block` writes
DIR/blocking and hangs (heartbeating) until the parent kills this process with SIGKILL.
Phase "second": the same workflow on the same directory; the killed attempt of `block`
times out (heartbeat timeout) and its retry returns at once, the workflow completes and the
result is printed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.worker import Worker

DIRECTORY, PHASE = sys.argv[1], sys.argv[2]


@activity.defn
async def record_once(tag: str) -> int:
    with open(os.path.join(DIRECTORY, "record.log"), "a") as f:
        f.write(f"{tag} pid={os.getpid()}\n")
        f.flush()
        os.fsync(f.fileno())
    return 41


@activity.defn
async def block(n: int) -> int:
    with open(os.path.join(DIRECTORY, "blocking"), "a") as f:
        f.write(f"pid={os.getpid()} attempt={activity.info().attempt}\n")
    if PHASE == "first":
        while True:  # killed here
            activity.heartbeat()
            await asyncio.sleep(0.2)
    return n + 1


@workflow.defn
class CrashWorkflow:
    @workflow.run
    async def run(self, tag: str) -> str:
        opts = dict(start_to_close_timeout=timedelta(minutes=5),
                    retry_policy=RetryPolicy(maximum_attempts=3))
        n = await workflow.execute_activity(record_once, tag, **opts)
        m = await workflow.execute_activity(block, n, heartbeat_timeout=timedelta(seconds=2),
                                            **opts)
        return f"{tag}:{m}"


async def main() -> None:
    client = await Client.connect(os.path.join(DIRECTORY, "engine"))
    async with Worker(client, task_queue="crash", workflows=[CrashWorkflow],
                      activities=[record_once, block]):
        if PHASE == "first":
            await client.start_workflow(CrashWorkflow.run, "t1", id="crash-wf", task_queue="crash")
            await asyncio.sleep(3600)  # killed here
        else:
            result = await client.get_workflow_handle("crash-wf").result()
            print(f"RESULT {result}", flush=True)


asyncio.run(main())
