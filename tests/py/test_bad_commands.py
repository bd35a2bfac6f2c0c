"""A workflow whose task sends a command the engine cannot apply (an activity id over the
length limit, an unregistered search attribute) does not wedge: its task fails with the
command's cause and a message in history, is retried after backoff without holding up other
workflows, and the run goes on once a fixed worker takes it. On both transports."""

from __future__ import annotations

from datetime import timedelta

from history_util import wait_for_event

from durable import activity, workflow
from durable.client import Client, WorkflowExecutionStatus
from durable.common import SearchAttributeKey
from durable.worker import Worker

TOO_LONG_ID = "x" * 2000  # the engine's limit is 1000 bytes (docs/limits.md)


@activity.defn
async def charge(order: str) -> str:
    return f"charged {order}"


@workflow.defn(name="Charge")
class ChargeWithABadActivityId:
    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(charge, order, activity_id=TOO_LONG_ID,
                                               start_to_close_timeout=timedelta(seconds=30))


@workflow.defn(name="Charge")
class ChargeFixed:
    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(charge, order,
                                               start_to_close_timeout=timedelta(seconds=30))


@workflow.defn
class Healthy:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(charge, "other",
                                               start_to_close_timeout=timedelta(seconds=30))


async def test_a_bad_activity_command_fails_the_task_in_history_and_the_fixed_worker_goes_on(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue,
                      workflows=[ChargeWithABadActivityId, Healthy], activities=[charge]):
        handle = await client.start_workflow("Charge", "order-1", id="bad-charge",
                                             task_queue=task_queue)
        failed = (await wait_for_event(handle, "workflow_task_failed")).workflow_task_failed
        assert failed.cause == "bad_schedule_activity_attributes"
        assert failed.failure.message.startswith(
            "ScheduleActivity: activity_id is 2000 bytes long, more than the limit of 1000 "
            "(command 0 of the task of workflow 'bad-charge'")
        # The failing run (retried after backoff) holds up nobody on the same worker.
        assert await client.execute_workflow(Healthy.run, id="healthy",
                                             task_queue=task_queue) == "charged other"
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    # The fixed code deployed: the retried task goes through.
    async with Worker(client, task_queue=task_queue, workflows=[ChargeFixed],
                      activities=[charge]):
        assert await handle.result() == "charged order-1"
    kinds = [e.WhichOneof("attributes") for e in (await handle.fetch_history()).events]
    # Only the first failure is recorded; the later attempts were transient.
    assert kinds.count("workflow_task_failed") == 1
    assert kinds.index("workflow_task_failed") < kinds.index("activity_task_scheduled")


UNREGISTERED = SearchAttributeKey.for_keyword("NeverRegistered")


@workflow.defn(name="Tags")
class TagsWithAnUnregisteredAttribute:
    @workflow.run
    async def run(self) -> str:
        workflow.upsert_search_attributes([UNREGISTERED.value_set("x")])
        return "tagged"


@workflow.defn(name="Tags")
class TagsFixed:
    @workflow.run
    async def run(self) -> str:
        return "tagged"


async def test_an_unregistered_search_attribute_fails_the_task_with_bad_search_attributes(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue,
                      workflows=[TagsWithAnUnregisteredAttribute]):
        handle = await client.start_workflow("Tags", id="bad-tags", task_queue=task_queue)
        failed = (await wait_for_event(handle, "workflow_task_failed")).workflow_task_failed
        assert failed.cause == "bad_search_attributes"
        assert failed.failure.message.startswith(
            "UpsertWorkflowSearchAttributes: search attribute 'NeverRegistered' is not "
            "registered in namespace 'default'")
    async with Worker(client, task_queue=task_queue, workflows=[TagsFixed]):
        assert await handle.result() == "tagged"
