"""Replayer.workflow_replay_iterator over client.list_workflows(...).map_histories(), and the
list iterator's page properties, as temporalio code uses them — on both transports."""

from __future__ import annotations

from durable import workflow
from durable.client import Client
from durable.exceptions import NondeterminismError
from durable.worker import Replayer, Worker


@workflow.defn(name="Replayed")
class Replayed:
    @workflow.run
    async def run(self, n: int) -> int:
        await workflow.sleep(0.01)
        return n * 2


@workflow.defn(name="Replayed")
class ChangedCode:  # same type, different commands: replaying it does not match
    @workflow.run
    async def run(self, n: int) -> int:
        return n * 2


async def test_replay_iterator_over_listed_histories(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[Replayed]):
        for i in range(3):
            await client.execute_workflow(Replayed.run, i, id=f"{task_queue}-{i}",
                                          task_queue=task_queue)
    query = f"TaskQueue = '{task_queue}'"

    listing = client.list_workflows(query, page_size=2)
    assert listing.current_page is None and listing.current_page_index == 0
    first = await listing.__anext__()
    assert listing.current_page is not None and len(listing.current_page) == 2
    assert listing.current_page_index == 1 and listing.next_page_token is not None
    assert first.id.startswith(task_queue)

    async with Replayer(workflows=[Replayed]).workflow_replay_iterator(
            client.list_workflows(query).map_histories()) as results:
        ok = [r async for r in results]
    assert sorted(r.history.workflow_id for r in ok) == [f"{task_queue}-{i}" for i in range(3)]
    assert all(r.replay_failure is None for r in ok)

    # A mismatch is reported in the result, not raised.
    histories = [await client.get_workflow_handle(f"{task_queue}-0").fetch_history()]
    async with Replayer(workflows=[ChangedCode]).workflow_replay_iterator(histories) as results:
        bad = [r async for r in results]
    assert len(bad) == 1 and isinstance(bad[0].replay_failure, NondeterminismError)
