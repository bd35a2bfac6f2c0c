"""Namespaces on both transports: register / list / describe / update, isolation of data and
task queues between namespaces, bad input, and the retention sweep deleting closed runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from durable import activity, workflow
from durable.client import Client
from durable.exceptions import (
    AlreadyExistsError,
    InvalidArgumentError,
    NotFoundError,
)
from durable.worker import Worker


@activity.defn
async def where(tag: str) -> str:
    return tag


@workflow.defn
class TagWorkflow:
    @workflow.run
    async def run(self, tag: str) -> str:
        return await workflow.execute_activity(where, tag,
                                               start_to_close_timeout=timedelta(seconds=10))


async def _connect_like(client: Client, namespace: str) -> Client:
    """Another client on the same engine or server, in `namespace`."""
    target = client.transport.target
    return await Client.connect(target, namespace=namespace, sync_writes=False)


async def test_register_list_describe_update(client: Client) -> None:
    await client.register_namespace("osm", retention=timedelta(days=3), description="OSM LCM",
                                    owner_email="ops@example.org", data={"team": "lcm"})
    names = [n.name for n in await client.list_namespaces()]
    assert names == ["default", "osm"]
    info = await client.describe_namespace("osm")
    assert (info.description, info.owner_email, dict(info.data)) == (
        "OSM LCM", "ops@example.org", {"team": "lcm"})
    assert info.retention_us == 3 * 86_400 * 1_000_000 and info.create_time_us > 0
    info = await client.update_namespace("osm", retention=timedelta(days=7))
    assert info.retention_us == 7 * 86_400 * 1_000_000 and info.description == "OSM LCM"
    assert (await client.describe_namespace("osm")).retention_us == info.retention_us

    with pytest.raises(AlreadyExistsError, match="'osm' is already registered"):
        await client.register_namespace("osm")
    with pytest.raises(InvalidArgumentError, match="letters, digits"):
        await client.register_namespace("no/slashes")
    with pytest.raises(NotFoundError, match="'ghost' is not registered"):
        await client.describe_namespace("ghost")
    with pytest.raises(NotFoundError):
        await client.update_namespace("ghost", description="x")
    with pytest.raises(ValueError, match="positive timedelta"):
        await client.register_namespace("neg", retention=timedelta(seconds=-1))
    with pytest.raises(NotFoundError, match="'ghost' is not registered"):
        await _connect_like(client, "ghost")


async def test_namespaces_do_not_mix(client: Client, task_queue: str) -> None:
    await client.register_namespace("a")
    await client.register_namespace("b")
    a = await _connect_like(client, "a")
    b = await _connect_like(client, "b")
    try:
        handle = await a.start_workflow(TagWorkflow.run, "from-a", id="same-id",
                                        task_queue=task_queue)
        with pytest.raises(NotFoundError):
            await b.get_workflow_handle("same-id").describe()
        with pytest.raises(NotFoundError):
            await client.get_workflow_handle("same-id").describe()  # "default" neither
        # The same id and queue in b are b's own; b's worker never sees a's task.
        b_handle = await b.start_workflow(TagWorkflow.run, "from-b", id="same-id",
                                          task_queue=task_queue)
        async with Worker(b, task_queue=task_queue, workflows=[TagWorkflow], activities=[where]):
            assert await b_handle.result() == "from-b"
        assert (await handle.describe()).status.name == "RUNNING"
        async with Worker(a, task_queue=task_queue, workflows=[TagWorkflow], activities=[where]):
            assert await handle.result() == "from-a"
    finally:
        await a.close()
        await b.close()


async def test_retention_deletes_closed_runs(client: Client, task_queue: str) -> None:
    await client.register_namespace("short", retention=timedelta(milliseconds=300))
    c = await _connect_like(client, "short")
    try:
        async with Worker(c, task_queue=task_queue, workflows=[TagWorkflow], activities=[where]):
            done = await c.start_workflow(TagWorkflow.run, "gone", id="done", task_queue=task_queue)
            assert await done.result() == "gone"
        running = await c.start_workflow(TagWorkflow.run, "kept", id="running",
                                         task_queue=task_queue)
        await asyncio.sleep(0.5)
        if not client.transport.is_remote:
            await asyncio.get_running_loop().run_in_executor(None, c.transport.root.sweep_retention)
        # The server sweeps by itself (the test server sweeps every 0.5 s).
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            try:
                await done.describe()
            except NotFoundError:
                break
            assert asyncio.get_running_loop().time() < deadline, "closed run not deleted"
            await asyncio.sleep(0.1)
        with pytest.raises(NotFoundError):
            await done.fetch_history()
        assert (await running.describe()).status.name == "RUNNING"  # open runs stay
    finally:
        await c.close()


async def test_visibility_and_schedules_work_in_a_registered_namespace(
        client: Client, task_queue: str) -> None:
    from durable.client import Schedule, ScheduleActionStartWorkflow, ScheduleSpec

    await client.register_namespace("vis")
    c = await _connect_like(client, "vis")
    try:
        await c.start_workflow(TagWorkflow.run, "x", id="listed", task_queue=task_queue)
        rows = [w async for w in c.list_workflows("WorkflowId = 'listed'")]
        assert [r.id for r in rows] == ["listed"]
        assert (await c.count_workflows("WorkflowType = 'TagWorkflow'")).count == 1
        assert [w async for w in client.list_workflows("WorkflowId = 'listed'")] == []
        await c.create_schedule("s", Schedule(
            action=ScheduleActionStartWorkflow(TagWorkflow.run, "y", id="s", task_queue=task_queue),
            spec=ScheduleSpec(cron_expressions=["0 0 1 1 *"])))
        assert [s.id async for s in c.list_schedules()] == ["s"]
        assert [s.id async for s in client.list_schedules()] == []
    finally:
        await c.close()
