"""describe().raw_description read as Temporal code reads it (temporalio's field names):
workflow_execution_info, pending_activities with activity_type.name / attempt /
last_failure / heartbeat_details, pending_children."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from google.protobuf import json_format

from durable import activity, workflow
from durable.client import Client
from durable.common import RetryPolicy
from durable.worker import Worker

_attempts: dict[str, int] = {}


@activity.defn
async def flaky(key: str) -> None:
    _attempts[key] = activity.info().attempt
    activity.heartbeat("progress", activity.info().attempt)
    if activity.info().attempt == 1:
        raise RuntimeError("first attempt fails")
    await asyncio.Event().wait()  # the second attempt stays pending


@workflow.defn
class Sleeper:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(timedelta(days=1))


@workflow.defn
class Parent:
    @workflow.run
    async def run(self, key: str) -> None:
        await workflow.start_child_workflow(Sleeper.run, id=f"{key}-child")
        await workflow.execute_activity(
            flaky, key, start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50)))


async def test_temporal_field_names(client: Client, task_queue: str) -> None:
    key = f"{task_queue}-raw"
    async with Worker(client, task_queue=task_queue, workflows=[Parent, Sleeper],
                      activities=[flaky]):
        handle = await client.start_workflow(Parent.run, key, id=key, task_queue=task_queue)
        deadline = time.monotonic() + 60
        while True:
            raw = (await handle.describe()).raw_description
            acts = raw.pending_activities
            if acts and acts[0].attempt == 2 and acts[0].heartbeat_details.payloads and (
                    await client.data_converter.decode(
                        list(acts[0].heartbeat_details.payloads)))[1] == 2:
                break  # the second attempt's heartbeat arrived
            assert time.monotonic() < deadline, f"no second attempt: {acts}"
            await asyncio.sleep(0.05)
        info = raw.workflow_execution_info
        assert (info.execution.workflow_id, info.execution.run_id) == (key, handle.run_id)
        assert info.type.name == "Parent" and info.task_queue == task_queue
        assert info.status == 1  # WORKFLOW_EXECUTION_STATUS_RUNNING
        assert info.start_time.ToDatetime().year >= 2024 and info.history_length > 0
        [act] = acts
        assert act.activity_type.name == "flaky" and act.activity_id == "1"
        assert act.state in (1, 2)  # PENDING_ACTIVITY_STATE_SCHEDULED / STARTED
        assert act.last_failure.message == "first attempt fails"
        details = await client.data_converter.decode(list(act.heartbeat_details.payloads))
        assert details == ["progress", 2]
        [child] = raw.pending_children
        assert (child.workflow_id, child.workflow_type_name) == (f"{key}-child", "Sleeper")
        assert child.initiated_id > 0
        # durable's own fields and MessageToDict still work on it.
        assert raw.info.workflow_type == "Parent"
        assert json_format.MessageToDict(raw)["info"]["workflowType"] == "Parent"
        await handle.terminate()  # its child is terminated with it (parent close policy)
