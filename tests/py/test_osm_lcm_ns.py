"""examples/osm_lcm: NsInstantiateWorkflow on the time-skipping environment — the approval
gate, the progress query, the VNF children in parallel, and saga compensation when a VNF
fails (siblings cancelled, done steps undone in reverse, the VNF's cause in the failure)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from durable.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from durable.exceptions import (ActivityError, ApplicationError, CancelledError,
                                ChildWorkflowError,
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


async def _all_polling(lcm: Lcm, ns: str) -> None:
    for _ in range(1200):
        if all(lcm.sim.count("k8s.poll_ready", f"{ns}/{m}") >= 1 for m in MEMBERS):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the VNFs never all got to polling: {lcm.sim.ops()}")


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
    # No VNF gets ready by itself; once all three are polling, upf's readiness check fails
    # for good (the Kubernetes simulator reports its pod crash-looping).
    for m in MEMBERS:
        lcm.sim.set_ready_after("ns-4", m, 100_000)
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        handle = await durable_client.start_workflow(
            NsInstantiateWorkflow.run,
            {"ns_id": "ns-4", "nsd_id": "nsd-5g-core", "require_approval": False},
            id="ns-4", task_queue=w.task_queue)
        await _all_polling(lcm, "ns-4")
        lcm.sim.inject_failure("k8s.poll_ready", "ns-4/upf", "pod upf-0 is crash-looping")
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
    assert "pod upf-0 is crash-looping" in str(root)
    assert all(d.status.name == "CANCELED" for d in siblings.values()), siblings

    ops = lcm.sim.ops()
    # upf: its readiness check failed once (non-retryable); amf and smf were cancelled while
    # polling. Each VNF's done steps were undone in reverse.
    for m, last_poll in (("upf", "k8s.poll_ready!failed"), ("amf", "k8s.poll_ready"),
                         ("smf", "k8s.poll_ready")):
        mine = [op.split()[0] for op in ops if op.endswith(f"ns-4/{m}")]
        polls = mine.count("k8s.poll_ready")
        assert polls >= 1, mine
        assert mine == ["vim.deploy_vnf", "charm.configure_day1"] + ["k8s.poll_ready"] * polls \
            + ([last_poll] if m == "upf" else []) \
            + ["charm.unconfigure_day1", "vim.undeploy_vnf"], (m, mine)
    # The NS's own steps are undone last, in reverse, after every VNF has ended.
    assert ops[-2:] == ["vim.delete_network ns-4", "k8s.delete_namespace ns-4"]
    assert ops[:2] == ["k8s.create_namespace ns-4", "vim.create_network ns-4"]
    assert progress[-2:] == ["undone: vim_delete_network ns-4",
                             "undone: k8s_delete_namespace ns-4"]
    assert not any("instantiated" in p for p in progress)


async def test_cancelling_the_ns_cancels_its_vnfs_and_undoes_everything(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    activities.seed_catalog(lcm.mongo_url, database=lcm.database)
    for m in MEMBERS:
        lcm.sim.set_ready_after("ns-5", m, 100_000)
    async with durable_worker(workflows=wf.WORKFLOWS, activities=activities.ACTIVITIES) as w:
        handle = await durable_client.start_workflow(
            NsInstantiateWorkflow.run,
            {"ns_id": "ns-5", "nsd_id": "nsd-5g-core", "require_approval": False},
            id="ns-5", task_queue=w.task_queue)
        await _all_polling(lcm, "ns-5")
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as info:
            await handle.result()
        desc = await handle.describe()
    assert isinstance(info.value.cause, CancelledError)
    assert desc.status.name == "CANCELED"
    ops = lcm.sim.ops()
    for m in MEMBERS:
        mine = [op.split()[0] for op in ops if op.endswith(f"ns-5/{m}")]
        polls = mine.count("k8s.poll_ready")
        assert mine == ["vim.deploy_vnf", "charm.configure_day1"] + ["k8s.poll_ready"] * polls \
            + ["charm.unconfigure_day1", "vim.undeploy_vnf"], (m, mine)
    assert ops[-2:] == ["vim.delete_network ns-5", "k8s.delete_namespace ns-5"]
