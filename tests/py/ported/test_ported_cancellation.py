"""Ported by hand from the style of temporalio's cancellation sample: a workflow runs a
heartbeating activity; the client cancels the workflow; the workflow cancels the activity,
runs a cleanup activity and ends cancelled. The sync activity gets CancelledError inside
its thread, as with temporalio's thread-pool activities."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowFailureError
from durable.exceptions import CancelledError
from durable.worker import Worker

events: list[str] = []


@activity.defn
def never_complete_activity() -> None:
    events.append("activity started")
    try:
        while True:
            activity.heartbeat()
            time.sleep(0.05)
    except CancelledError:
        events.append("activity cancelled")
        raise


@activity.defn
async def cleanup_activity() -> None:
    events.append("cleanup")


@workflow.defn
class CancellationWorkflow:
    @workflow.run
    async def run(self) -> None:
        try:
            await workflow.execute_activity(
                never_complete_activity, start_to_close_timeout=timedelta(seconds=1000),
                heartbeat_timeout=timedelta(seconds=2),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
        finally:
            await workflow.execute_activity(cleanup_activity,
                                            start_to_close_timeout=timedelta(seconds=5))


async def test_cancel_workflow_cancels_activity_and_cleans_up(client: Client,
                                                              task_queue: str) -> None:
    events.clear()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        async with Worker(client, task_queue=task_queue, workflows=[CancellationWorkflow],
                          activities=[never_complete_activity, cleanup_activity],
                          activity_executor=executor):
            handle = await client.start_workflow(CancellationWorkflow.run,
                                                 id=f"{task_queue}-cancel",
                                                 task_queue=task_queue)
            deadline = time.monotonic() + 60
            while "activity started" not in events:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            await handle.cancel()
            with pytest.raises(WorkflowFailureError) as err:
                await handle.result()
    assert isinstance(err.value.cause, CancelledError)
    assert events == ["activity started", "activity cancelled", "cleanup"]
