"""Activities for the process-pool tests: module-level so a spawned process can import them.

Each writes what it saw to a file named by its argument (the test reads it back): the
activity process shares no memory with the test.
"""

from __future__ import annotations

import os
import time

from durable import activity
from durable.exceptions import CancelledError


@activity.defn
def process_info(path: str) -> str:
    i = activity.info()
    with open(path, "w") as f:
        f.write(f"{os.getpid()} {i.activity_type} {i.attempt} {i.workflow_id}")
    return f"pid {os.getpid()}"


@activity.defn
def process_heartbeats(path: str) -> str:
    i = activity.info()
    if i.attempt == 1:
        for n in range(1, 6):
            activity.heartbeat(n)
            time.sleep(0.05)
        raise RuntimeError("fails after 5 heartbeats")
    with open(path, "w") as f:
        f.write(repr(list(i.heartbeat_details)))
    return f"resumed after {i.heartbeat_details[0]}"


@activity.defn
def process_cancellable(path: str) -> str:
    deadline = time.monotonic() + 20
    while not activity.is_cancelled():
        if time.monotonic() > deadline:
            return "never cancelled"
        activity.heartbeat("tick")
        activity.wait_for_cancelled_sync(0.05)
    with open(path, "w") as f:
        f.write(f"cancelled in {os.getpid()}")
    raise CancelledError("stopped on request")
