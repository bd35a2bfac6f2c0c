"""The suite's workflows and activity on temporalio: the same code as bench/_suite_workflows.py
(durable), for bench/peers/temporal_suite.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

TASK_QUEUE = "suite"


@activity.defn
async def noop(i: int) -> int:
    return i


@workflow.defn
class Sequential:
    """`count` activities one after the other."""

    @workflow.run
    async def run(self, count: int) -> int:
        total = 0
        for i in range(count):
            total += await workflow.execute_activity(
                noop, i, start_to_close_timeout=timedelta(seconds=30))
        return total


@workflow.defn
class FanOut:
    """`count` activities at once, then their sum."""

    @workflow.run
    async def run(self, count: int) -> int:
        results = await asyncio.gather(*(
            workflow.execute_activity(noop, i, start_to_close_timeout=timedelta(seconds=60))
            for i in range(count)))
        return sum(results)


@workflow.defn
class Timer:
    """One durable timer of `seconds`."""

    @workflow.run
    async def run(self, seconds: float) -> float:
        await workflow.sleep(seconds)
        return seconds


@workflow.defn
class SignalCounter:
    """Counts `bump` signals; returns once `expected` have arrived."""

    def __init__(self) -> None:
        self.count = 0

    @workflow.signal
    def bump(self, i: int) -> None:
        self.count += 1

    @workflow.run
    async def run(self, expected: int) -> int:
        await workflow.wait_condition(lambda: self.count >= expected)
        return self.count


WORKFLOWS = [Sequential, FanOut, Timer, SignalCounter]
ACTIVITIES = [noop]
