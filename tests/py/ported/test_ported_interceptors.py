"""Ported by hand from the style of temporalio's interceptor samples: one class that is a
client and a worker interceptor, counting what passes (workflow starts, signals, workflow
runs, activity executions) — the shape of a metrics or tracing interceptor."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from durable import activity, workflow
from durable.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
    StartWorkflowInput,
)
from durable.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    HandleSignalInput,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)
from durable.worker import Interceptor as WorkerInterceptor

counts: Counter[str] = Counter()


class CountingInterceptor(Interceptor, WorkerInterceptor):
    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _CountingClientOutbound(next)

    def intercept_activity(self, next: ActivityInboundInterceptor
                           ) -> ActivityInboundInterceptor:
        return _CountingActivityInbound(next)

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput
                                   ) -> type[WorkflowInboundInterceptor] | None:
        return _CountingWorkflowInbound


class _CountingClientOutbound(OutboundInterceptor):
    async def start_workflow(self, input: StartWorkflowInput) -> Any:
        counts[f"client start {input.workflow}"] += 1
        return await super().start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        counts[f"client signal {input.signal}"] += 1
        await super().signal_workflow(input)


class _CountingActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        counts[f"activity {activity.info().activity_type}"] += 1
        return await super().execute_activity(input)


class _CountingWorkflowInbound(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        if not workflow.unsafe.is_replaying():
            counts[f"workflow {input.type.__name__}"] += 1
        return await super().execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        if not workflow.unsafe.is_replaying():
            counts[f"workflow signal {input.signal}"] += 1
        await super().handle_signal(input)


@activity.defn
async def say_hello(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class SayHelloWorkflow:
    def __init__(self) -> None:
        self.name: str | None = None

    @workflow.signal
    def set_name(self, name: str) -> None:
        self.name = name

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.name is not None)
        assert self.name is not None
        return await workflow.execute_activity(say_hello, self.name,
                                               start_to_close_timeout=timedelta(seconds=10))


async def test_counting_interceptor(client: Client, task_queue: str) -> None:
    counts.clear()
    client = Client(**{**client.config(), "interceptors": [CountingInterceptor()]})
    async with Worker(client, task_queue=task_queue, workflows=[SayHelloWorkflow],
                      activities=[say_hello]):
        handle = await client.start_workflow(SayHelloWorkflow.run, id=f"{task_queue}-count",
                                             task_queue=task_queue)
        await handle.signal(SayHelloWorkflow.set_name, "World")
        assert await handle.result() == "Hello, World!"
    assert counts == Counter({"client start SayHelloWorkflow": 1,
                              "client signal set_name": 1,
                              "workflow SayHelloWorkflow": 1,
                              "workflow signal set_name": 1,
                              "activity say_hello": 1})
