"""The client calls temporalio intercepts beyond start/signal/query/update/cancel/terminate:
describe_workflow, fetch_workflow_history_events (also under fetch_history), list_workflows,
count_workflows and the async activity calls — each seen by an OutboundInterceptor, with the
rpc_metadata it sets on the input sent with the call — on both transports."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from durable import activity, workflow
from durable._server_process import ServerProcess
from durable.client import (AsyncActivityIDReference, Client, CompleteAsyncActivityInput,
                            CountWorkflowsInput, DescribeWorkflowInput,
                            FetchWorkflowHistoryEventsInput, HeartbeatAsyncActivityInput,
                            Interceptor, ListWorkflowsInput, OutboundInterceptor)
from durable.exceptions import NotFoundError, UnauthenticatedError
from durable.worker import Worker


class Recorder(Interceptor):
    def __init__(self, metadata: dict[str, str] | None = None) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.metadata = metadata or {}

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Outbound(next, self)


class _Outbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, rec: Recorder) -> None:
        super().__init__(next)
        self.rec = rec

    def _note(self, name: str, input: Any) -> None:
        self.rec.seen.append((name, input))
        if self.rec.metadata:
            input.rpc_metadata = {**input.rpc_metadata, **self.rec.metadata}

    async def describe_workflow(self, input: DescribeWorkflowInput) -> Any:
        self._note("describe", input)
        return await super().describe_workflow(input)

    def fetch_workflow_history_events(self, input: FetchWorkflowHistoryEventsInput) -> Any:
        self._note("history", input)
        return super().fetch_workflow_history_events(input)

    def list_workflows(self, input: ListWorkflowsInput) -> Any:
        self._note("list", input)
        return super().list_workflows(input)

    async def count_workflows(self, input: CountWorkflowsInput) -> Any:
        self._note("count", input)
        return await super().count_workflows(input)

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        self._note("heartbeat", input)
        await super().heartbeat_async_activity(input)

    async def complete_async_activity(self, input: CompleteAsyncActivityInput) -> None:
        self._note("complete", input)
        await super().complete_async_activity(input)


@activity.defn
async def elsewhere() -> str:
    activity.raise_complete_async()


@workflow.defn
class Waits:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(elsewhere, activity_id="ext",
                                               start_to_close_timeout=timedelta(minutes=1))


async def test_interceptor_sees_the_calls(client: Client, task_queue: str) -> None:
    rec = Recorder()
    c = Client(**{**client.config(), "interceptors": [rec]})
    async with Worker(client, task_queue=task_queue, workflows=[Waits],
                      activities=[elsewhere]):
        handle = await c.start_workflow(Waits.run, id=f"{task_queue}-w", task_queue=task_queue)
        ahandle = c.get_async_activity_handle(workflow_id=handle.id, activity_id="ext")
        while True:  # until the attempt is pending
            try:
                await ahandle.heartbeat("working")
                break
            except NotFoundError:
                await asyncio.sleep(0.05)
        await ahandle.complete("done")
        assert await handle.result() == "done"
        assert (await c.get_workflow_handle(handle.id).describe()).id == handle.id
        history = await c.get_workflow_handle(handle.id).fetch_history()
        assert history.events and history.run_id == handle.run_id
        query = f"WorkflowId = '{handle.id}'"
        assert [w.id async for w in c.list_workflows(query, page_size=7)] == [handle.id]
        assert (await c.count_workflows(query)).count == 1
    names = [n for n, _ in rec.seen]
    assert set(names) == {"heartbeat", "complete", "describe", "history", "list", "count"}
    inputs = dict(rec.seen)
    assert inputs["complete"].result == "done"
    ref = inputs["complete"].id_or_token
    assert isinstance(ref, AsyncActivityIDReference)
    assert (ref.workflow_id, ref.activity_id) == (handle.id, "ext")
    assert inputs["list"].page_size == 7 and inputs["list"].query == query
    assert inputs["describe"].id == handle.id


async def test_interceptor_rpc_metadata_goes_on_the_wire(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("k-good *\n")
    with ServerProcess(str(tmp_path / "db"), args=["--api-keys", str(keys)]) as proc:
        client = await Client.connect(proc.address, api_key="k-good",
                                      interceptors=[Recorder({"authorization": "Bearer k-bad"})])
        try:
            handle = client.get_workflow_handle("anything")
            with pytest.raises(UnauthenticatedError, match="unknown API key"):
                await handle.describe()
            with pytest.raises(UnauthenticatedError, match="unknown API key"):
                await client.count_workflows()
            with pytest.raises(UnauthenticatedError, match="unknown API key"):
                await handle.fetch_history()
        finally:
            await client.close()
