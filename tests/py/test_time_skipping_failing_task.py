"""Time skipping and a workflow task that always fails: its retries are not a busy loop.

A failing task's first retries come at once or after a skipped backoff; later ones wait
their backoff in real time (docs/testing.md), else skipping would retry it ~1,500 times a
second while a client waits for the result.
"""

from __future__ import annotations

import asyncio

import pytest

from durable import workflow
from durable.client import WorkflowExecutionStatus
from durable.testing import WorkflowEnvironment
from durable.worker import Worker

_ATTEMPTS: list[int] = []  # one entry per time the workflow code ran


@workflow.defn
class AlwaysFailsItsTask:
    @workflow.run
    async def run(self) -> None:
        _ATTEMPTS.append(1)
        raise RuntimeError("a bug: this workflow task fails every time")


async def test_a_task_that_always_fails_is_retried_a_bounded_number_of_times() -> None:
    _ATTEMPTS.clear()
    async with await WorkflowEnvironment.start_time_skipping() as env:
        async with Worker(env.client, task_queue="q", workflows=[AlwaysFailsItsTask]):
            handle = await env.client.start_workflow(AlwaysFailsItsTask.run, id="bug",
                                                     task_queue="q")
            # Waiting for the result turns skipping on; give it 2 s of real time. A busy
            # loop would run the workflow code thousands of times meanwhile.
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(handle.result(), 2)
            attempts = len(_ATTEMPTS)
            assert 1 <= attempts < 50, attempts
            # The task is retried, not dropped, and the run stays open.
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
            await handle.terminate("test over")
