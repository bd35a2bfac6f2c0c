"""Workflows and activities that the multi-process server tests run in worker processes
(server_worker_child.py) and check from the test process."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from durable import activity, workflow


@activity.defn
async def double(x: int) -> int:
    log = os.environ.get("DURABLE_TEST_ACTIVITY_LOG")
    if log:  # one line per attempt that ran to its end, for the "ran once" check
        with open(log, "a") as f:
            f.write(f"{activity.info().workflow_id} {activity.info().activity_id}\n")
    return 2 * x


@workflow.defn
class MixWorkflow:
    """Activities, a timer and a signal: the shapes of work a crash must not lose."""

    def __init__(self) -> None:
        self.bonus: int | None = None

    @workflow.signal
    def add(self, bonus: int) -> None:
        self.bonus = bonus

    @workflow.run
    async def run(self, x: int) -> int:
        a = await workflow.execute_activity(double, x, start_to_close_timeout=timedelta(seconds=30))
        await asyncio.sleep(0.2)
        b = await workflow.execute_activity(double, a, start_to_close_timeout=timedelta(seconds=30))
        await workflow.wait_condition(lambda: self.bonus is not None)
        assert self.bonus is not None
        return b + self.bonus


@workflow.defn
class CounterWorkflow:
    """Counts signals until told to stop; every signal is one workflow task."""

    def __init__(self) -> None:
        self.count = 0
        self.done = False

    @workflow.signal
    def bump(self) -> None:
        self.count += 1

    @workflow.signal
    def stop(self) -> None:
        self.done = True

    @workflow.query
    def value(self) -> int:
        return self.count

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return self.count
