"""workflow.ActivityConfig, LocalActivityConfig and ChildWorkflowConfig: options built once
and passed with ``**``, as temporalio code does — on both transports."""

from __future__ import annotations

from datetime import timedelta

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.exceptions import ActivityError, ApplicationError, TimeoutError
from durable.worker import Worker

FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=10), maximum_attempts=2)


@activity.defn
async def flaky(label: str) -> str:
    if activity.info().attempt == 1:
        raise ApplicationError("first attempt fails")
    return f"{label} on attempt {activity.info().attempt}"


@activity.defn
async def never_finishes() -> None:
    await activity.wait_for_cancelled()


@workflow.defn
class Child:
    @workflow.run
    async def run(self) -> str:
        return f"child {workflow.info().workflow_id} on {workflow.info().task_queue}"


@workflow.defn
class ConfigsWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        remote = workflow.ActivityConfig(start_to_close_timeout=timedelta(seconds=10),
                                         retry_policy=FAST_RETRY, activity_id="flaky-1")
        local = workflow.LocalActivityConfig(start_to_close_timeout=timedelta(seconds=10),
                                             retry_policy=FAST_RETRY)
        child = workflow.ChildWorkflowConfig(id=f"{workflow.info().workflow_id}-child",
                                             task_queue=workflow.info().task_queue,
                                             execution_timeout=timedelta(minutes=1))
        out = [
            await workflow.execute_activity(flaky, "remote", **remote),
            await workflow.start_activity(flaky, "started", **{**remote, "activity_id": "f2"}),
            await workflow.execute_local_activity(flaky, "local", **local),
            await workflow.execute_child_workflow(Child.run, **child),
        ]
        # The timeout in a config applies: the activity is cut short.
        short = workflow.ActivityConfig(start_to_close_timeout=timedelta(milliseconds=300),
                                        retry_policy=RetryPolicy(maximum_attempts=1))
        try:
            await workflow.execute_activity(never_finishes, **short)
            out.append("not timed out")
        except ActivityError as e:
            out.append(type(e.cause).__name__ if isinstance(e.cause, TimeoutError)
                       else repr(e.cause))
        return out


async def test_configs_pass_as_keywords(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ConfigsWorkflow, Child],
                      activities=[flaky, never_finishes]):
        result = await client.execute_workflow(ConfigsWorkflow.run, id=f"{task_queue}-cfg",
                                               task_queue=task_queue)
    assert result == ["remote on attempt 2", "started on attempt 2", "local on attempt 2",
                      f"child {task_queue}-cfg-child on {task_queue}", "TimeoutError"]


def test_configs_are_typed_dicts() -> None:
    config = workflow.ActivityConfig(task_queue="q")
    assert config == {"task_queue": "q"}
    assert set(workflow.ActivityConfig.__annotations__) >= {
        "task_queue", "schedule_to_close_timeout", "start_to_close_timeout",
        "heartbeat_timeout", "retry_policy", "cancellation_type", "activity_id", "summary"}
    assert "id_reuse_policy" in workflow.ChildWorkflowConfig.__annotations__
    assert "retry_policy" in workflow.LocalActivityConfig.__annotations__
