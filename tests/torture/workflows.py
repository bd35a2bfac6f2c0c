"""The torture workload: one workflow type that mixes activities, a timer, signals, an update,
a child and continue-as-new, driven by a plan in its input, so its result is known in advance
(``expected_result``).

Activities append one line per execution to ``$TORTURE_SIDE_EFFECTS`` (the side-effect log the
invariant checker counts).
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from typing import Any

from durable import activity, workflow
from durable.common import RetryPolicy

ACTIVITY_OPTS: dict[str, Any] = dict(
    # Short, so that an attempt lost with a killed worker is retried soon.
    start_to_close_timeout=timedelta(seconds=4),
    retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200),
                             maximum_interval=timedelta(seconds=1)),
)


def make_plan(i: int, rng: Any) -> dict[str, Any]:
    """Workflow ``i``'s plan, drawn from the harness's seeded random generator."""
    return {
        "i": i,
        "acts": rng.randint(1, 3),             # activities per run
        "timer_ms": rng.choice([0, 20, 100, 400]),
        "signals": rng.randint(0, 3),          # signals the driver sends, the workflow awaits
        "update": rng.random() < 0.5,          # one update the workflow awaits
        "child": rng.random() < 0.4,           # one child workflow in the last run
        "can": rng.choice([0, 0, 1, 2]),       # continue-as-new cycles
        "sws": rng.random() < 0.3,             # started by signal-with-start
    }


def signal_value(plan: dict[str, Any], j: int) -> int:
    return plan["i"] * 1000 + 7 * j + 1


def update_value(plan: dict[str, Any]) -> int:
    return plan["i"] + 5


def activity_input(plan: dict[str, Any], run: int, a: int) -> int:
    return plan["i"] * 100 + run * 10 + a


def step_result(x: int) -> int:
    return 2 * x + 1


def child_result(x: int) -> int:
    return step_result(x) * 3


def expected_result(plan: dict[str, Any]) -> int:
    total = sum(step_result(activity_input(plan, r, a))
                for r in range(plan["can"] + 1) for a in range(plan["acts"]))
    total += sum(signal_value(plan, j) for j in range(plan["signals"]))
    if plan["update"]:
        total += update_value(plan)
    if plan["child"]:
        total += child_result(plan["i"])
    return total


@activity.defn
async def step(x: int) -> int:
    path = os.environ.get("TORTURE_SIDE_EFFECTS")
    if path:
        info = activity.info()
        line = (f"{info.workflow_id} {info.workflow_run_id} {info.activity_id} "
                f"{info.attempt} {os.getpid()} {time.time():.6f}\n")
        # One write() of a short line with O_APPEND: whole lines even from several processes.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    return step_result(x)


@workflow.defn
class TortureChild:
    @workflow.run
    async def run(self, x: int) -> int:
        return await workflow.execute_activity(step, x, **ACTIVITY_OPTS) * 3


@workflow.defn
class TortureWorkflow:
    """State that signals and the update build is carried across continue-as-new."""

    @workflow.init
    def __init__(self, plan: dict[str, Any], carried: dict[str, Any] | None = None) -> None:
        self.seen: dict[str, int] = dict(carried["seen"]) if carried else {}
        # signal id -> value: a signal sent again after an unacknowledged attempt counts once
        self.update_got: int | None = carried["update_got"] if carried else None

    @workflow.signal
    def add(self, sig: dict[str, Any]) -> None:
        self.seen[sig["id"]] = sig["v"]

    @workflow.update
    def bump(self, v: int) -> int:
        self.update_got = v
        return v + 1

    @workflow.run
    async def run(self, plan: dict[str, Any], carried: dict[str, Any] | None = None) -> int:
        run = carried["run"] if carried else 0
        total = carried["total"] if carried else 0
        for a in range(plan["acts"]):
            total += await workflow.execute_activity(step, activity_input(plan, run, a),
                                                     **ACTIVITY_OPTS)
        if plan["timer_ms"]:
            await asyncio.sleep(plan["timer_ms"] / 1000)
        if run < plan["can"]:
            workflow.continue_as_new(args=[plan, {"run": run + 1, "total": total,
                                                  "seen": self.seen,
                                                  "update_got": self.update_got}])
        if plan["child"]:
            total += await workflow.execute_child_workflow(
                TortureChild.run, plan["i"], id=f"{workflow.info().workflow_id}-child")
        await workflow.wait_condition(
            lambda: len(self.seen) >= plan["signals"]
            and (not plan["update"] or self.update_got is not None))
        total += sum(self.seen.values())
        if plan["update"]:
            assert self.update_got is not None
            total += self.update_got
        return total
