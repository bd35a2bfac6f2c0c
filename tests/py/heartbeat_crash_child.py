"""Child process of test_heartbeat_crash.py: a long activity that heartbeats its progress.

    python heartbeat_crash_child.py DIR PHASE

Phase "first": starts the workflow; the activity counts from 1, heartbeating each number
and appending "beat i" to DIR/progress.log; at 15 it logs "holding 15" and keeps
heartbeating 15 until the parent kills this process with SIGKILL, logging "engine has 15"
once the engine's record of the attempt shows those details. Phase "second": opens the
same engine directory, prints the pending activity as the engine recorded it ("PENDING
..."), then runs a worker: the engine retries the killed attempt after its heartbeat
timeout (attempt 2), which resumes from the last heartbeat details and counts to 40; the
result and the retried attempt's ActivityTaskStarted event are printed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.v1 import common_pb2
from durable.worker import Worker

DIRECTORY, PHASE = sys.argv[1], sys.argv[2]
_client: Client | None = None


@activity.defn
async def count_to_40() -> str:
    info = activity.info()
    start = info.heartbeat_details[0] if info.heartbeat_details else 0
    with open(os.path.join(DIRECTORY, "progress.log"), "a") as log:
        log.write(f"start pid={os.getpid()} attempt={info.attempt} from={start} "
                  f"started={info.started_time.timestamp()}\n")
        log.flush()
        for i in range(start + 1, 41):
            activity.heartbeat(i)
            log.write(f"beat {i}\n")
            log.flush()
            if PHASE == "first" and i == 15:
                log.write("holding 15\n")
                log.flush()
                confirmed = False
                while True:  # alive (heartbeating) until killed
                    activity.heartbeat(15)
                    if not confirmed and await _engine_has_details(15):
                        confirmed = True
                        log.write("engine has 15\n")
                        log.flush()
                    await asyncio.sleep(0.2)
            await asyncio.sleep(0.2 if PHASE == "first" else 0.01)
    return f"counted {start + 1}..40 in pid {os.getpid()}"


@workflow.defn
class CountWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            count_to_40, start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=2),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)))


async def _engine_has_details(value: int) -> bool:
    """Whether the engine recorded ``value`` as the pending attempt's heartbeat details."""
    assert _client is not None
    desc = await _client.get_workflow_handle("hb-crash-wf").describe()
    return any(list(p.heartbeat_details) == [value] for p in desc.pending_activities)


async def main() -> None:
    global _client
    client = _client = await Client.connect(os.path.join(DIRECTORY, "engine"))
    if PHASE == "second":
        await print_pending(client)
    async with Worker(client, task_queue="hb-crash", workflows=[CountWorkflow],
                      activities=[count_to_40]):
        if PHASE == "first":
            await client.start_workflow(CountWorkflow.run, id="hb-crash-wf",
                                        task_queue="hb-crash")
            await asyncio.sleep(3600)  # killed here
        else:
            handle = client.get_workflow_handle("hb-crash-wf")
            result = await handle.result()
            print(f"RESULT {result}", flush=True)
            for ev in (await handle.fetch_history()).events:
                if ev.HasField("activity_task_started"):
                    s = ev.activity_task_started
                    timeout = s.last_failure.timeout_failure_info
                    name = common_pb2.TimeoutType.Name(timeout.timeout_type)
                    print(f"STARTED attempt={s.attempt} timeout_type={name}", flush=True)


async def print_pending(client: Client) -> None:
    """The activity as the engine recorded it before the kill (before any worker runs)."""
    desc = await client.get_workflow_handle("hb-crash-wf").describe()
    (p,) = desc.pending_activities
    assert p.last_heartbeat_time is not None and p.last_started_time is not None
    print(f"PENDING state={p.state.name if p.state else None} attempt={p.attempt} "
          f"details={list(p.heartbeat_details)} "
          f"last_heartbeat={p.last_heartbeat_time.timestamp()} "
          f"last_started={p.last_started_time.timestamp()}", flush=True)


asyncio.run(main())
