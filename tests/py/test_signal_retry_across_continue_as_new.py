"""A signal whose response was lost (server killed after recording it) is sent again by the
transport with the same request id; meanwhile the run continued as new. Found by
tests/torture (seed 1, 200 workflows, server transport: a signal recorded in a run and again
in the run it continued as). The request id makes the retry a no-op within a run; across
continue-as-new it must too, or "retrying is safe" (docs/server.md) does not hold."""

from __future__ import annotations

import asyncio
import time

import pytest

from durable import workflow
from durable.client import Client, WorkflowExecutionStatus
from durable.v1 import common_pb2, service_pb2
from durable.worker import Worker


@workflow.defn
class ContinuesAfterASignal:
    @workflow.init
    def __init__(self, run_no: int) -> None:
        self.signals = 0

    @workflow.signal
    def ping(self) -> None:
        self.signals += 1

    @workflow.signal
    def finish(self) -> None:
        self.signals += 1000

    @workflow.run
    async def run(self, run_no: int) -> int:
        if run_no == 0:
            await workflow.wait_condition(lambda: self.signals > 0)
            workflow.continue_as_new(1)
        await workflow.wait_condition(lambda: self.signals >= 1000)
        return self.signals  # 1000 unless the ping was recorded again in this run


def _ping(request_id: str) -> service_pb2.SignalWorkflowExecutionRequest:
    return service_pb2.SignalWorkflowExecutionRequest(
        workflow_execution=common_pb2.WorkflowExecution(workflow_id="sig-retry"),
        signal_name="ping", identity="test", request_id=request_id)


async def _wait_continued(client: Client) -> None:
    deadline = time.monotonic() + 60
    while True:
        runs = [w async for w in client.list_workflows("WorkflowId = 'sig-retry'")]
        if any(w.status == WorkflowExecutionStatus.CONTINUED_AS_NEW for w in runs):
            return
        assert time.monotonic() < deadline, runs
        await asyncio.sleep(0.05)


async def test_a_retried_signal_is_recorded_once_within_a_run(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ContinuesAfterASignal]):
        await client.start_workflow(ContinuesAfterASignal.run, 1, id="sig-retry",
                                    task_queue=task_queue)
        for _ in range(2):
            await client.transport.call_async("signal_workflow_execution", _ping("p-1"))
        await client.get_workflow_handle("sig-retry").signal(ContinuesAfterASignal.finish)
        assert await client.get_workflow_handle("sig-retry").result() == 1001


async def test_a_signal_retried_after_continue_as_new_is_not_recorded_again(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ContinuesAfterASignal]):
        await client.start_workflow(ContinuesAfterASignal.run, 0, id="sig-retry",
                                    task_queue=task_queue)
        await client.transport.call_async("signal_workflow_execution", _ping("p-1"))
        await _wait_continued(client)
        # The same request again, as the transport sends it when the first response was lost.
        await client.transport.call_async("signal_workflow_execution", _ping("p-1"))
        await client.get_workflow_handle("sig-retry").signal(ContinuesAfterASignal.finish)
        assert await client.get_workflow_handle("sig-retry").result() == 1000
