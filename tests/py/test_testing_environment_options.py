"""WorkflowEnvironment with temporalio's keyword arguments, in a custom namespace, and
from_client against a real durable-server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from durable import workflow
from durable._server_process import ServerProcess
from durable.client import Client
from durable.testing import WorkflowEnvironment
from durable.worker import Worker


@workflow.defn
class NapWorkflow:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(days=30))
        return workflow.info().namespace


async def test_start_local_accepts_temporalio_keywords_and_a_namespace() -> None:
    async with await WorkflowEnvironment.start_local(
            namespace="custom", ip="127.0.0.1", port=7233, ui=True, ui_port=8233,
            dev_server_log_level="warn", dev_server_extra_args=["--dynamic-config-value"],
            download_dest_dir="/nonexistent", search_attributes=()) as env:
        assert env.client.namespace == "custom"
        handle = await env.client.start_workflow(NapWorkflow.run, id="nap", task_queue="q")
        assert (await handle.describe()).status.name == "RUNNING"


async def test_start_time_skipping_accepts_temporalio_keywords() -> None:
    async with await WorkflowEnvironment.start_time_skipping(
            port=0, test_server_extra_args=[], test_server_download_version="default") as env:
        async with Worker(env.client, task_queue="q", workflows=[NapWorkflow]):
            assert await env.client.execute_workflow(NapWorkflow.run, id="n",
                                                     task_queue="q") == "default"


async def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument.*'colour'"):
        await WorkflowEnvironment.start_local(colour="blue")
    with pytest.raises(TypeError, match="'ui'"):
        await WorkflowEnvironment.start_time_skipping(ui=True)  # start_local's, not this one's


async def test_from_client_on_a_server(server: ServerProcess) -> None:
    env = WorkflowEnvironment.from_client(await Client.connect(server.address))
    assert not env.supports_time_skipping
    handle = await env.client.start_workflow(NapWorkflow.run, id="nap", task_queue="q")
    assert (await handle.describe()).status.name == "RUNNING"
    await env.shutdown()
