"""examples/osm_lcm: NsInstantiateWorkflow on the time-skipping environment — the approval
gate, the progress query, the VNF children in parallel, and saga compensation when a VNF
fails (siblings cancelled, done steps undone in reverse, the VNF's cause in the failure)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from durable.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from durable.exceptions import (ActivityError, ApplicationError, ChildWorkflowError,
                                WorkflowFailureError)
from osm_lcm_fixtures import Lcm, activities, lcm, mongo_url, wf  # noqa: F401

NsInstantiateWorkflow = wf.NsInstantiateWorkflow
VnfInstantiateWorkflow = wf.VnfInstantiateWorkflow
MEMBERS = ("amf", "smf", "upf")
VNF_STEPS = ["vim.deploy_vnf", "charm.configure_day1", "k8s.poll_ready"]


async def _progress_until(handle: WorkflowHandle[Any, Any], step: str) -> list[str]:
    for _ in range(600):
        progress = await handle.query(NsInstantiateWorkflow.progress)
        if step in progress:
            return progress
        await asyncio.sleep(0.05)
    raise AssertionError(f"{step!r} never appeared in the progress")


async def test_ns_instantiates_after_approval_with_its_vnfs_in_parallel(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    activities.seed_catalog(lcm.mongo_url, database=lcm.database)
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        handle = await durable_client.start_workflow(
            NsInstantiateWorkflow.run, {"ns_id": "ns-1", "nsd_id": "nsd-5g-core"},
            id="ns-1", task_queue=w.task_queue)
        assert await _progress_until(handle, "validated nsd-5g-core and 3 VNFDs") == [
            "validated nsd-5g-core and 3 VNFDs"]
        # Nothing is created before the approval.
        assert lcm.sim.ops() == []
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update(NsInstantiateWorkflow.approve, "")
        assert "approver must be named" in str(rejected.value.cause)
        assert await handle.execute_update(NsInstantiateWorkflow.approve, "noc") == \
            "approved by noc"
        result = await handle.result()
        progress = await handle.query(NsInstantiateWorkflow.progress)
    assert result["status"] == "instantiated"
    assert [v["member"] for v in result["vnfs"]] == list(MEMBERS)
    assert all(v["ready_after_polls"] == 3 for v in result["vnfs"])
    assert progress[:4] == ["validated nsd-5g-core and 3 VNFDs", "approved by noc",
                            "namespace ns-1 created", "network ns-1 created"]
    assert sorted(progress[4:]) == [f"VNF {m} instantiated" for m in MEMBERS]
    ops = lcm.sim.ops()
    assert ops[:2] == ["k8s.create_namespace ns-1", "vim.create_network ns-1"]
    for m in MEMBERS:
        mine = [op.split()[0] for op in ops if op.endswith(f"ns-1/{m}")]
        assert mine == ["vim.deploy_vnf", "charm.configure_day1"] + ["k8s.poll_ready"] * 3


async def test_ns_approval_times_out_and_nothing_is_created(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    activities.seed_catalog(lcm.mongo_url, database=lcm.database)
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        with pytest.raises(WorkflowFailureError) as info:
            await durable_client.execute_workflow(
                NsInstantiateWorkflow.run,
                {"ns_id": "ns-2", "nsd_id": "nsd-5g-core", "approval_timeout_s": 7200},
                id="ns-2", task_queue=w.task_queue)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ApprovalTimeout"
    assert "no approval within 7200 s" in str(cause)
    assert lcm.sim.ops() == []


async def test_ns_with_a_missing_vnfd_fails_validation(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    activities.seed_catalog(lcm.mongo_url, database=lcm.database)
    import pymongo

    with pymongo.MongoClient(lcm.mongo_url) as c:
        c[lcm.database]["packages"].delete_one({"_id": "vnfd-smf"})
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        with pytest.raises(WorkflowFailureError) as info:
            await durable_client.execute_workflow(
                NsInstantiateWorkflow.run, {"ns_id": "ns-3", "nsd_id": "nsd-5g-core"},
                id="ns-3", task_queue=w.task_queue)
    activity_error = info.value.cause
    assert isinstance(activity_error, ActivityError)
    assert activity_error.cause.type == "InvalidPackage"
    assert "references missing VNFD 'vnfd-smf'" in str(activity_error.cause)
    assert lcm.sim.ops() == []


async def test_a_failing_vnf_cancels_its_siblings_and_everything_is_undone_in_reverse(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    activities.seed_catalog(lcm.mongo_url, database=lcm.database)
    # amf and smf would take ~forever to get ready; upf's day-1 configuration fails for good.
    lcm.sim.set_ready_after("ns-4", "amf", 100_000)
    lcm.sim.set_ready_after("ns-4", "smf", 100_000)
    lcm.sim.inject_failure("charm.configure_day1", "ns-4/upf", "charm hook install failed")
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        handle = await durable_client.start_workflow(
            NsInstantiateWorkflow.run,
            {"ns_id": "ns-4", "nsd_id": "nsd-5g-core", "require_approval": False},
            id="ns-4", task_queue=w.task_queue)
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        progress = await handle.query(NsInstantiateWorkflow.progress)
        siblings = {m: await durable_client.get_workflow_handle(f"ns-4/{m}").describe()
                    for m in ("amf", "smf")}

    # The NS fails with the VNF's cause: NS -> child upf -> its activity -> the charm error.
    ns_error = info.value.cause
    assert isinstance(ns_error, ApplicationError) and ns_error.type == "VnfFailed"
    assert str(ns_error) == "NS ns-4: VNF upf failed"
    child_error = ns_error.cause
    assert isinstance(child_error, ChildWorkflowError) and child_error.workflow_id == "ns-4/upf"
    root = child_error.cause.cause
    assert isinstance(root, ApplicationError) and root.type == "InjectedFailure"
    assert "charm hook install failed" in str(root)
    assert all(d.status.name == "CANCELED" for d in siblings.values()), siblings

    ops = lcm.sim.ops()
    # upf: deployed, configuration failed (once: non-retryable), deployment undone.
    assert [op for op in ops if op.endswith("ns-4/upf")] == [
        "vim.deploy_vnf ns-4/upf", "charm.configure_day1!failed ns-4/upf",
        "vim.undeploy_vnf ns-4/upf"]
    for m in ("amf", "smf"):  # cancelled while polling; their steps undone in reverse
        mine = [op.split()[0] for op in ops if op.endswith(f"ns-4/{m}")]
        polls = mine.count("k8s.poll_ready")
        assert polls >= 1, mine
        assert mine == ["vim.deploy_vnf", "charm.configure_day1"] + ["k8s.poll_ready"] * polls \
            + ["charm.unconfigure_day1", "vim.undeploy_vnf"], mine
    # The NS's own steps are undone last, in reverse, after every VNF has ended.
    assert ops[-2:] == ["vim.delete_network ns-4", "k8s.delete_namespace ns-4"]
    assert ops[:2] == ["k8s.create_namespace ns-4", "vim.create_network ns-4"]
    assert progress[-2:] == ["undone: vim_delete_network ns-4",
                             "undone: k8s_delete_namespace ns-4"]
    assert not any("instantiated" in p for p in progress)
