"""Client call options and history reads with temporalio's names: ``rpc_metadata`` /
``rpc_timeout`` on client calls, ``fetch_history(event_filter_type=...)``,
``fetch_history_events`` (pages, tokens, waiting), ``get_update_handle_for`` — on both
transports (over the embedded engine the rpc options are checked and ignored)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from durable import activity, workflow
from durable._server_process import ServerProcess
from durable.common import RetryPolicy
from durable.client import (Client, WorkflowHistoryEventAsyncIterator,
                            WorkflowHistoryEventFilterType, WorkflowUpdateStage)
from durable.exceptions import (ActivityError, ApplicationError, DeadlineExceededError,
                                NotFoundError, UnauthenticatedError)
from durable.worker import Worker


@workflow.defn
class Counter:
    def __init__(self) -> None:
        self.total = 0
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return self.total

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.update
    async def add(self, n: int) -> int:
        self.total += n
        return self.total

    @workflow.query
    def value(self) -> int:
        return self.total


META = {"x-request-source": "test"}
LONG = timedelta(seconds=30)


@activity.defn
async def finished_elsewhere() -> str:
    activity.raise_complete_async()


@workflow.defn
class AsyncActivities:
    @workflow.run
    async def run(self) -> list[str]:
        out = []
        for i in range(2):
            try:
                out.append(await workflow.execute_activity(
                    finished_elsewhere, activity_id=f"a{i}",
                    start_to_close_timeout=timedelta(minutes=1),
                    retry_policy=RetryPolicy(maximum_attempts=1)))
            except ActivityError as e:
                out.append(str(e.cause))
        return out


async def test_async_activity_handle_and_visibility_take_rpc_options(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[AsyncActivities],
                      activities=[finished_elsewhere]):
        handle = await client.start_workflow(AsyncActivities.run, id=f"{task_queue}-async",
                                             task_queue=task_queue)
        for i, finish in enumerate(("complete", "fail")):
            ahandle = client.get_async_activity_handle(workflow_id=handle.id,
                                                       activity_id=f"a{i}")
            while True:  # until the attempt is pending
                try:
                    await ahandle.heartbeat("working", rpc_metadata=META, rpc_timeout=LONG)
                    break
                except NotFoundError:
                    await asyncio.sleep(0.05)
            if finish == "complete":
                await ahandle.complete("done", rpc_metadata=META, rpc_timeout=LONG)
            else:
                await ahandle.fail(ApplicationError("refused"), rpc_metadata=META,
                                   rpc_timeout=LONG)
        assert await handle.result() == ["done", "refused"]
    query = f"WorkflowId = '{handle.id}'"
    listed = [w.id async for w in client.list_workflows(query, rpc_metadata=META,
                                                          rpc_timeout=LONG)]
    assert listed == [handle.id]
    assert (await client.count_workflows(query, META, LONG)).count == 1


async def test_every_handle_call_takes_rpc_options(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Counter]):
        handle = await client.start_workflow(Counter.run, id=f"{task_queue}-opts",
                                             task_queue=task_queue, rpc_metadata=META,
                                             rpc_timeout=LONG)
        assert await handle.execute_update(Counter.add, 2, rpc_metadata=META,
                                           rpc_timeout=LONG) == 2
        upd = await handle.start_update(Counter.add, 3, id="u-3", rpc_metadata=META,
                                        wait_for_stage=WorkflowUpdateStage.COMPLETED)
        assert await upd.result(rpc_metadata=META, rpc_timeout=LONG) == 5
        # get_update_handle_for: typed by the update method, same outcome.
        typed = handle.get_update_handle_for(Counter.add, "u-3")
        assert await typed.result() == 5
        assert await handle.query(Counter.value, rpc_metadata=META, rpc_timeout=LONG) == 5
        assert (await handle.describe(rpc_metadata=META, rpc_timeout=LONG)).id == handle.id
        await handle.signal(Counter.finish, rpc_metadata=META, rpc_timeout=LONG)
        assert await handle.result(rpc_metadata=META, rpc_timeout=LONG) == 5
        history = await handle.fetch_history(rpc_metadata=META, rpc_timeout=LONG)
        assert history.events
        other = await client.start_workflow(Counter.run, id=f"{task_queue}-opts-2",
                                            task_queue=task_queue)
        await other.cancel(reason="r", rpc_metadata=META, rpc_timeout=LONG)
        third = await client.start_workflow(Counter.run, id=f"{task_queue}-opts-3",
                                            task_queue=task_queue)
        await third.terminate("why", reason="r", rpc_metadata=META, rpc_timeout=LONG)


async def test_rpc_options_are_checked(client: Client, task_queue: str) -> None:
    handle = client.get_workflow_handle("nobody")
    with pytest.raises(ValueError, match="rpc_timeout must be a timedelta > 0"):
        await handle.describe(rpc_timeout=timedelta(0))
    with pytest.raises(TypeError, match=r"rpc_metadata\['k'\] must be a string"):
        await handle.describe(rpc_metadata={"k": 1})  # type: ignore[dict-item]


async def test_rpc_options_reach_durable_server(tmp_path: Path, task_queue: str) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("k-good *\n")
    with ServerProcess(str(tmp_path / "db"), args=["--api-keys", str(keys)]) as proc:
        client = await Client.connect(proc.address, api_key="k-good")
        try:
            handle = await client.start_workflow("Anything", id=f"{task_queue}-srv",
                                                 task_queue=task_queue)
            # The call's metadata replaces the connection's value of the same key.
            with pytest.raises(UnauthenticatedError, match="unknown API key"):
                await handle.describe(rpc_metadata={"authorization": "Bearer k-bad"})
            assert (await handle.describe(
                rpc_metadata={"authorization": "Bearer k-good"})).id == handle.id
            # The call's timeout is its gRPC deadline: a long poll for events of a run no
            # worker advances ends with it (it would otherwise wait a minute).
            events = handle.fetch_history_events(wait_new_event=True, next_page_token=b"3",
                                                 rpc_timeout=timedelta(milliseconds=300))
            with pytest.raises(DeadlineExceededError):
                await events.fetch_next_page()
            await handle.terminate()  # ends the poll the server still parks (quick stop)
            with pytest.raises(UnauthenticatedError, match="unknown API key"):
                await client.count_workflows(rpc_metadata={"authorization": "Bearer k-bad"})
            with pytest.raises(UnauthenticatedError, match="unknown API key"):
                await client.get_async_activity_handle(task_token=b"t").heartbeat(
                    rpc_metadata={"authorization": "Bearer k-bad"})
            assert (await handle.describe()).id == handle.id  # the connection is fine
        finally:
            await client.close()


async def test_rpc_options_are_ignored_embedded(tmp_path: Path, task_queue: str) -> None:
    client = await Client.connect(str(tmp_path / "engine"), sync_writes=False)
    try:
        handle = await client.start_workflow("Anything", id=f"{task_queue}-emb",
                                             task_queue=task_queue,
                                             rpc_metadata={"authorization": "Bearer k-bad"},
                                             rpc_timeout=timedelta(microseconds=1))
        assert (await handle.describe(rpc_timeout=timedelta(microseconds=1))).id == handle.id
    finally:
        await client.close()


async def test_history_filters_and_pages(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Counter]):
        handle = await client.start_workflow(Counter.run, id=f"{task_queue}-hist",
                                             task_queue=task_queue)
        assert (await handle.fetch_history(
            event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT)).events == []

        # Waiting: the iterator follows the run until it closes.
        async def follow() -> list[int]:
            return [e.event_id async for e in handle.fetch_history_events(wait_new_event=True)]

        followed = asyncio.ensure_future(follow())
        await handle.execute_update(Counter.add, 4)
        await handle.signal(Counter.finish)
        assert await handle.result() == 4
        ids = await asyncio.wait_for(followed, 60)

        full = await handle.fetch_history(skip_archival=True)
        all_ids = [e.event_id for e in full.events]
        assert ids == all_ids == list(range(1, len(all_ids) + 1))
        close = await handle.fetch_history(
            event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT)
        assert [e.WhichOneof("attributes") for e in close.events] == [
            "workflow_execution_completed"]

        # Pages of 3, resumable from a token.
        pages = handle.fetch_history_events(page_size=3)
        assert isinstance(pages, WorkflowHistoryEventAsyncIterator)
        await pages.fetch_next_page()
        assert [e.event_id for e in pages.current_page or []] == all_ids[:3]
        token = pages.next_page_token
        assert token is not None
        rest = [e.event_id async for e in handle.fetch_history_events(
            page_size=3, next_page_token=token)]
        assert rest == all_ids[3:]
        assert [e.event_id async for e in handle.fetch_history_events(page_size=3)] == all_ids
        only_close = [e.event_id async for e in handle.fetch_history_events(
            event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT)]
        assert only_close == [all_ids[-1]]
        with pytest.raises(ValueError, match="not a token"):
            await handle.fetch_history_events(next_page_token=b"junk").fetch_next_page()
