"""Ported by hand from the style of temporalio's testing documentation: a workflow that
waits a month is tested in a time-skipping environment, with its activity mocked by a
function of the same activity name."""

from __future__ import annotations

import uuid
from datetime import timedelta

from durable import activity, workflow
from durable.client import WorkflowExecutionStatus
from durable.testing import WorkflowEnvironment
from durable.worker import Worker


@activity.defn
async def send_reminder(email: str) -> str:
    raise RuntimeError("the real activity sends e-mail: never called in this test")


@workflow.defn
class SubscriptionWorkflow:
    @workflow.run
    async def run(self, email: str) -> str:
        await workflow.sleep(timedelta(days=30))
        return await workflow.execute_activity(send_reminder, email,
                                               start_to_close_timeout=timedelta(seconds=10))


@activity.defn(name="send_reminder")
async def send_reminder_mocked(email: str) -> str:
    return f"reminded {email}"


async def test_a_month_passes_in_a_test() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        task_queue = f"tq-{uuid.uuid4()}"
        async with Worker(env.client, task_queue=task_queue, workflows=[SubscriptionWorkflow],
                          activities=[send_reminder_mocked]):
            before = await env.get_current_time()
            result = await env.client.execute_workflow(SubscriptionWorkflow.run, "a@b.c",
                                                       id=f"wf-{uuid.uuid4()}",
                                                       task_queue=task_queue)
            assert result == "reminded a@b.c"
            assert await env.get_current_time() - before >= timedelta(days=30)


async def test_manual_time_skipping_with_env_sleep() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        task_queue = f"tq-{uuid.uuid4()}"
        async with Worker(env.client, task_queue=task_queue, workflows=[SubscriptionWorkflow],
                          activities=[send_reminder_mocked]):
            with env.auto_time_skipping_disabled():
                handle = await env.client.start_workflow(SubscriptionWorkflow.run, "x@y.z",
                                                         id=f"wf-{uuid.uuid4()}",
                                                         task_queue=task_queue)
                await env.sleep(timedelta(days=29))
                assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
                await env.sleep(timedelta(days=2))
                assert await handle.result() == "reminded x@y.z"
