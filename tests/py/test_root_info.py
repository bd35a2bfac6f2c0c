"""``workflow.info().root`` and the root of listed and described runs, on both transports:
Temporal's rule — a workflow without a parent has no root (it is its own), a child has its
parent's root (or the parent), and a child's continue-as-new keeps it."""

from __future__ import annotations

from typing import Any

from durable import workflow
from durable.client import Client
from durable.worker import Worker


@workflow.defn(name="RootLeaf")
class RootLeaf:
    @workflow.run
    async def run(self, again: bool) -> list[Any]:
        if again:
            workflow.continue_as_new(False)
        info = workflow.info()
        assert info.parent is not None
        return [info.root.workflow_id if info.root else None,
                info.root.run_id if info.root else None, info.parent.workflow_id,
                info.continued_run_id is not None]


@workflow.defn(name="RootMid")
class RootMid:
    @workflow.run
    async def run(self) -> list[Any]:
        root = workflow.info().root
        leaf = await workflow.execute_child_workflow(RootLeaf.run, True,
                                                     id=workflow.info().workflow_id + "-leaf")
        return [root.workflow_id if root else None, leaf]


@workflow.defn(name="RootTop")
class RootTop:
    @workflow.run
    async def run(self) -> list[Any]:
        info = workflow.info()
        mid = await workflow.execute_child_workflow(RootMid.run, id=info.workflow_id + "-mid")
        return [info.root, mid]


async def test_root_follows_the_parent_chain(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[RootTop, RootMid, RootLeaf]):
        handle = await client.start_workflow(RootTop.run, id="top", task_queue=task_queue)
        top_root, (mid_root, leaf) = await handle.result()
    assert top_root is None  # its own root
    assert mid_root == "top"
    # the leaf's second run (after continue-as-new) still has the top as its root
    assert leaf == ["top", handle.result_run_id, "top-mid", True]

    for wid in ("top", "top-mid", "top-mid-leaf"):
        d = await client.get_workflow_handle(wid).describe()
        assert (d.root_id, d.root_run_id) == ("top", handle.result_run_id), wid
    rows = [(w.id, w.root_id) async for w in client.list_workflows("RootWorkflowId = 'top'")]
    assert sorted(rows) == [("top", "top"), ("top-mid", "top"), ("top-mid-leaf", "top"),
                            ("top-mid-leaf", "top")]  # the leaf's two runs
    assert [w.id async for w in client.list_workflows("RootWorkflowId = 'top-mid'")] == []
