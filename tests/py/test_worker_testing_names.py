"""Worker.is_shutdown, ActivityEnvironment(client=) / default_info and
WorkflowEnvironment.connect_client, with temporalio's names."""

from __future__ import annotations

from datetime import timedelta

from durable import activity, workflow
from durable.client import Client
from durable.testing import ActivityEnvironment, WorkflowEnvironment
from durable.worker import Worker


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(hours=5))
        return "woke"


async def test_worker_is_shutdown(client: Client, task_queue: str) -> None:
    worker = Worker(client, task_queue=task_queue, workflows=[Sleeper])
    assert not worker.is_shutdown
    async with worker:
        assert worker.is_running and not worker.is_shutdown
    assert worker.is_shutdown and not worker.is_running


@activity.defn
async def whose_client() -> str:
    return activity.client().namespace


def test_activity_environment_defaults_and_client() -> None:
    info = ActivityEnvironment.default_info()
    assert (info.activity_id, info.attempt, info.workflow_id) == ("test", 1, "test")

    class FakeClient:
        namespace = "from-env"

    import asyncio

    assert asyncio.run(ActivityEnvironment(client=FakeClient()).run(whose_client)) == "from-env"


async def test_connect_client_skips_time_too() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        other = await env.connect_client(identity="second")
        assert other.namespace == env.client.namespace and other.identity == "second"
        async with Worker(env.client, task_queue="q", workflows=[Sleeper]):
            handle = await other.start_workflow(Sleeper.run, id="s", task_queue="q")
            # Waiting on the second client skips the five hours as the first would.
            assert await handle.result() == "woke"
        assert (await env.client.get_workflow_handle("s").describe()).id == "s"


async def test_connect_client_of_a_local_environment() -> None:
    async with await WorkflowEnvironment.start_local() as env:
        other = await env.connect_client()
        await other.start_workflow(Sleeper.run, id="seen", task_queue="q")
        assert (await env.client.get_workflow_handle("seen").describe()).id == "seen"
