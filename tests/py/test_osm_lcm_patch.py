"""examples/osm_lcm: SystemPatchWorkflow on the time-skipping environment — approval by
update and by signal, the approval timeout, the completed-steps query, clusters and hosts
in parallel, a failing host cancelling the other hosts of its cluster, and the heartbeating
update activity resuming where it was after its worker is restarted."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from durable.client import Client
from durable.exceptions import ApplicationError, WorkflowFailureError
from durable.testing import WorkflowEnvironment
from durable.worker import Worker
from osm_lcm_fixtures import Lcm, activities, lcm, mongo_url, wf  # noqa: F401

SystemPatchWorkflow = wf.SystemPatchWorkflow
ClusterPatchWorkflow = wf.ClusterPatchWorkflow
HostPatchWorkflow = wf.HostPatchWorkflow
CLUSTERS = {"edge-1": ["h1", "h2"], "edge-2": ["h3"]}


def _host_ops(lcm: Lcm, host: str) -> list[str]:
    return [op.split()[0] for op in lcm.sim.ops() if op.split()[1] == host]


async def test_patch_approved_by_update_patches_every_host(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        handle = await durable_client.start_workflow(
            SystemPatchWorkflow.run, {"clusters": CLUSTERS, "steps": 3}, id="patch-1",
            task_queue=w.task_queue)
        assert await handle.query(SystemPatchWorkflow.completed_steps) == []
        assert await handle.execute_update(SystemPatchWorkflow.approve, "ops-lead") == \
            "approved by ops-lead"
        result = await handle.result()
        steps = await handle.query(SystemPatchWorkflow.completed_steps)
        cluster_steps = await durable_client.get_workflow_handle("patch-1/edge-1").query(
            ClusterPatchWorkflow.completed_steps)
    assert result == {"approved_by": "ops-lead", "clusters": {
        "edge-1": {"status": "patched", "hosts": ["h1", "h2"]},
        "edge-2": {"status": "patched", "hosts": ["h3"]}}}
    assert steps[0] == "approved by ops-lead (update)"
    assert sorted(steps[1:]) == ["cluster edge-1 patched", "cluster edge-2 patched"]
    assert sorted(cluster_steps) == ["edge-1/h1 patched", "edge-1/h2 patched"]
    for host in ("h1", "h2", "h3"):
        assert _host_ops(lcm, host) == ["host.drain"] + ["host.update_step"] * 3 + [
            "host.reboot"]


async def test_patch_approved_by_signal(lcm: Lcm, durable_client: Client,
                                        durable_worker: Any) -> None:
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        handle = await durable_client.start_workflow(
            SystemPatchWorkflow.run, {"clusters": {"core": ["c1"]}, "steps": 2},
            id="patch-2", task_queue=w.task_queue)
        await handle.signal(SystemPatchWorkflow.approve_signal, "night-shift")
        result = await handle.result()
        steps = await handle.query(SystemPatchWorkflow.completed_steps)
    assert result["approved_by"] == "night-shift"
    assert steps == ["approved by night-shift (signal)", "cluster core patched"]


async def test_patch_without_approval_times_out_before_touching_a_host(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        with pytest.raises(WorkflowFailureError) as info:
            await durable_client.execute_workflow(
                SystemPatchWorkflow.run, {"clusters": CLUSTERS, "approval_timeout_s": 86400},
                id="patch-3", task_queue=w.task_queue)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ApprovalTimeout"
    assert lcm.sim.ops() == []


async def test_a_failing_host_cancels_the_other_hosts_of_its_cluster_only(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        handle = await durable_client.start_workflow(
            SystemPatchWorkflow.run, {"clusters": CLUSTERS, "steps": 40}, id="patch-4",
            task_queue=w.task_queue)
        await handle.execute_update(SystemPatchWorkflow.approve, "ops-lead")
        for _ in range(1200):  # h1 and h2 both updating: then h1's next package fails
            if min(lcm.sim.count("host.update_step", h) for h in ("h1", "h2")) >= 2:
                break
            await asyncio.sleep(0.01)
        lcm.sim.inject_failure("host.update_step", "h1", "dpkg: error processing package")
        result = await handle.result()
        h2 = await durable_client.get_workflow_handle("patch-4/edge-1/h2").describe()
    edge1 = result["clusters"]["edge-1"]
    assert edge1["status"] == "failed"
    assert "host h1 failed; cancelled ['h2']" in edge1["error"]
    assert result["clusters"]["edge-2"] == {"status": "patched", "hosts": ["h3"]}
    assert h2.status.name == "CANCELED"
    h1_ops = _host_ops(lcm, "h1")
    assert h1_ops[0] == "host.drain" and h1_ops[-1] == "host.update_step!failed", h1_ops
    h2_ops = _host_ops(lcm, "h2")  # cancelled mid-update: never rebooted
    assert h2_ops[0] == "host.drain" and "host.reboot" not in h2_ops, h2_ops
    assert _host_ops(lcm, "h3") == ["host.drain"] + ["host.update_step"] * 40 + ["host.reboot"]


async def test_host_update_resumes_from_its_last_heartbeat_after_a_worker_restart(
        lcm: Lcm) -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        def worker() -> Worker:
            return Worker(env.client, task_queue="patch-restart", workflows=wf.WORKFLOWS,
                          activities=activities.ACTIVITIES)

        async with worker():
            handle = await env.client.start_workflow(
                HostPatchWorkflow.run, args=["h9", 60], id="host-restart",
                task_queue="patch-restart")
            for _ in range(1200):
                if lcm.sim.count("host.update_step", "h9") >= 5:
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the update never got to step 5")
        # The first worker has shut down mid-update; a new one picks the retry up.
        done_before = lcm.sim.count("host.update_step", "h9")
        assert 5 <= done_before < 60
        async with worker():
            assert await handle.result() == "h9"
        history = await handle.fetch_history()
    steps = [int(line.split("n=")[1].split()[0])
             for line in (lcm.sim.dir / "ops.log").read_text().splitlines()
             if line.startswith("host.update_step h9")]
    # Every package was installed once: the retry started right after the last one done
    # (its heartbeat went out with the shutdown failure).
    assert steps == list(range(1, 61)), steps
    starts = [e.activity_task_started.attempt for e in history.events
              if e.HasField("activity_task_started")]
    assert 2 in starts, starts
