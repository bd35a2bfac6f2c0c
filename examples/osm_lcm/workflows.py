"""The OSM LCM workflows, on task queue ``lcm``:

* ``FsUploadWorkflow``: store a package file in GridFS -> ``{"file_added": id}``.
* ``FsCleanWorkflow``: delete every GridFS file no NSD/VNFD references ->
  ``{"deleted_files_count": n}`` (run by a schedule every minute; one change behind
  ``workflow.patched``).
* ``NsInstantiateWorkflow``: validate the NS package, wait for approval, create the
  namespace and network, instantiate the VNFs in parallel (``VnfInstantiateWorkflow``
  children); a failing VNF cancels its siblings and everything done is undone in reverse.
* ``SystemPatchWorkflow``: approval (update or signal), then clusters in parallel
  (``ClusterPatchWorkflow``), each patching its hosts in parallel (``HostPatchWorkflow``);
  a failing host cancels the other hosts of its cluster.

Activities are called by name (they live in activities.py, with pymongo and the
simulators), so this module imports nothing but durable: the worker, the replay tests and
a client can load it anywhere.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from durable import workflow
from durable.common import RetryPolicy
from durable.exceptions import ApplicationError

TASK_QUEUE = "lcm"

_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3)


async def _act(name: str, *args: Any, timeout: float = 30, heartbeat: float | None = None,
               wait_cancel: bool = False) -> Any:
    """One activity with the example's defaults: 30 s per attempt, three attempts."""
    return await workflow.execute_activity(
        name, args=list(args), start_to_close_timeout=timedelta(seconds=timeout),
        heartbeat_timeout=timedelta(seconds=heartbeat) if heartbeat else None,
        retry_policy=_RETRY,
        cancellation_type=(workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                           if wait_cancel else workflow.ActivityCancellationType.TRY_CANCEL))


async def _step(undo: list[tuple[str, list[Any]]], name: str, args: list[Any],
                undo_name: str, undo_args: list[Any] | None = None) -> Any:
    """A saga step: run activity ``name`` to its end (a cancellation waits for the attempt
    to stop, so nothing is left half-done behind our back), then register its undo. If the
    workflow was cancelled while the step ran to completion, raise the cancellation now."""
    result = await _act(name, *args, wait_cancel=True)
    undo.append((undo_name, args if undo_args is None else undo_args))
    _raise_if_cancelled(name)
    return result


def _raise_if_cancelled(step: str) -> None:
    """An activity that completed although the workflow's cancellation arrived meanwhile
    returns its result (its outcome wins); the cancellation must not be lost with it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError(f"cancelled during {step}")


async def _undo(steps: list[tuple[str, list[Any]]], progress: list[str]) -> None:
    """Saga compensation: run the undo activities of the done steps, last first."""
    while steps:
        name, args = steps.pop()
        await _act(name, *args)
        progress.append(f"undone: {name} {'/'.join(map(str, args))}")


# --- the package store -----------------------------------------------------------------------


@workflow.defn
class FsUploadWorkflow:
    """Store one package file (``{"filename", "content"}``) in GridFS."""

    @workflow.run
    async def run(self, upload: dict[str, str]) -> dict[str, str]:
        return await _act("fs_upload", upload)


@workflow.defn
class FsCleanWorkflow:
    """Delete the GridFS files that no NSD/VNFD package document references.

    Version 1 did it in one activity (``fs_delete_unreferenced``). Version 2 (patch
    ``fs-clean-list-then-delete``) first lists the files, so that the history says which
    ones went, then deletes those still unreferenced. Runs started on version 1 replay on
    this code: ``workflow.patched`` is False while replaying them.
    """

    @workflow.run
    async def run(self) -> dict[str, int]:
        if workflow.patched("fs-clean-list-then-delete"):
            ids = await _act("fs_find_unreferenced")
            deleted = await _act("fs_delete_files", ids) if ids else 0
        else:
            deleted = await _act("fs_delete_unreferenced")
        return {"deleted_files_count": deleted}


# --- NS instantiation ------------------------------------------------------------------------


@workflow.defn
class VnfInstantiateWorkflow:
    """One VNF of an NS: deploy on the VIM, day-1 configuration by its charm, wait until
    Kubernetes reports it ready. On failure or cancellation, undoes its own done steps in
    reverse and re-raises."""

    def __init__(self) -> None:
        self._progress: list[str] = []

    @workflow.query
    def progress(self) -> list[str]:
        return list(self._progress)

    @workflow.run
    async def run(self, vnf: dict[str, str]) -> dict[str, Any]:
        ns, member = vnf["ns"], vnf["member"]
        undo: list[tuple[str, list[Any]]] = []
        try:
            ip = await _step(undo, "vim_deploy_vnf", [ns, member, vnf["image"]],
                             "vim_undeploy_vnf", [ns, member])
            self._progress.append(f"deployed {member} at {ip}")
            await _step(undo, "charm_configure_day1", [ns, member], "charm_unconfigure_day1")
            self._progress.append(f"day-1 configured {member}")
            polls = await _act("k8s_wait_ready", ns, member, timeout=300, heartbeat=2,
                               wait_cancel=True)
            _raise_if_cancelled("k8s_wait_ready")
            self._progress.append(f"{member} ready after {polls} polls")
            return {"member": member, "ip": ip, "ready_after_polls": polls}
        except BaseException:  # a failure, or the parent cancelling us: undo, then re-raise
            await _undo(undo, self._progress)
            raise


@workflow.defn
class NsInstantiateWorkflow:
    """Instantiate a network service from its package.

    Args of ``run`` (one dict): ``ns_id``, ``nsd_id``, ``require_approval`` (default True),
    ``approval_timeout_s`` (default 3600).
    """

    def __init__(self) -> None:
        self._progress: list[str] = []
        self._approved_by: str | None = None

    @workflow.query
    def progress(self) -> list[str]:
        """The completed steps, in order (undone steps as ``undone: ...``)."""
        return list(self._progress)

    @workflow.update
    def approve(self, approver: str) -> str:
        self._approved_by = approver
        return f"approved by {approver}"

    @approve.validator
    def _check_approve(self, approver: str) -> None:
        if not approver:
            raise ValueError("approver must be named")
        if self._approved_by is not None:
            raise ValueError(f"already approved by {self._approved_by}")

    @workflow.run
    async def run(self, req: dict[str, Any]) -> dict[str, Any]:
        ns = req["ns_id"]
        plan = await _act("validate_ns_package", req["nsd_id"])
        self._progress.append(f"validated {plan['nsd']} and {len(plan['vnfs'])} VNFDs")
        if req.get("require_approval", True):
            timeout = req.get("approval_timeout_s", 3600)
            try:
                await workflow.wait_condition(lambda: self._approved_by is not None,
                                              timeout=timeout)
            except asyncio.TimeoutError:
                raise ApplicationError(f"NS {ns}: no approval within {timeout} s",
                                       type="ApprovalTimeout", non_retryable=True) from None
            self._progress.append(f"approved by {self._approved_by}")

        undo: list[tuple[str, list[Any]]] = []
        try:
            await _step(undo, "k8s_create_namespace", [ns], "k8s_delete_namespace")
            self._progress.append(f"namespace {ns} created")
            await _step(undo, "vim_create_network", [ns], "vim_delete_network")
            self._progress.append(f"network {ns} created")
            vnfs = await self._instantiate_vnfs(ns, plan["vnfs"])
        except BaseException as err:
            await _undo(undo, self._progress)
            if isinstance(err, _VnfFailed):
                raise ApplicationError(f"NS {ns}: VNF {err.member} failed",
                                       type="VnfFailed", non_retryable=True) from err.cause
            raise
        return {"ns": ns, "status": "instantiated", "vnfs": vnfs}

    async def _instantiate_vnfs(self, ns: str, plan: list[dict[str, str]]) -> list[Any]:
        """One child per VNF, in parallel; the first failure cancels the others (which undo
        their own steps) and is raised once all have ended."""
        me = workflow.info().workflow_id
        children = {}
        for vnf in plan:
            children[vnf["member"]] = await workflow.start_child_workflow(
                VnfInstantiateWorkflow.run, {**vnf, "ns": ns}, id=f"{me}/{vnf['member']}")

        async def one(member: str) -> Any:
            result = await children[member]
            self._progress.append(f"VNF {member} instantiated")
            return result

        tasks = {m: asyncio.ensure_future(one(m)) for m in children}
        try:
            await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_EXCEPTION)
        except asyncio.CancelledError:  # the NS is cancelled: so are its VNFs, then undo
            for handle in children.values():
                handle.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            raise
        failed = [m for m, t in tasks.items() if _failed(t)]
        if failed:
            for m, t in tasks.items():
                if not t.done():
                    children[m].cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            first = tasks[failed[0]]
            raise _VnfFailed(failed[0], None if first.cancelled() else first.exception())
        return [tasks[m].result() for m in children]


def _failed(task: asyncio.Future[Any]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


class _VnfFailed(Exception):
    def __init__(self, member: str, cause: BaseException | None) -> None:
        super().__init__(member)
        self.member, self.cause = member, cause


# --- system patching -------------------------------------------------------------------------


@workflow.defn
class HostPatchWorkflow:
    """Drain a host, install the update (a heartbeating activity that resumes where it
    was), reboot it."""

    @workflow.run
    async def run(self, host: str, steps: int) -> str:
        await _act("host_drain", host, wait_cancel=True)
        _raise_if_cancelled("host_drain")
        await _act("host_apply_update", host, steps, timeout=300, heartbeat=2,
                   wait_cancel=True)
        _raise_if_cancelled("host_apply_update")  # no reboot once the cluster gave up
        await _act("host_reboot", host)
        return host


@workflow.defn
class ClusterPatchWorkflow:
    """Patch a cluster's hosts in parallel; a failing host cancels the others."""

    def __init__(self) -> None:
        self._done: list[str] = []

    @workflow.query
    def completed_steps(self) -> list[str]:
        return list(self._done)

    @workflow.run
    async def run(self, cluster: str, hosts: list[str], steps: int) -> list[str]:
        me = workflow.info().workflow_id
        children = {h: await workflow.start_child_workflow(
            HostPatchWorkflow.run, args=[h, steps], id=f"{me}/{h}") for h in hosts}

        async def one(host: str) -> str:
            await children[host]
            self._done.append(f"{cluster}/{host} patched")
            return host

        tasks = {h: asyncio.ensure_future(one(h)) for h in hosts}
        await asyncio.wait(tasks.values(), return_when=asyncio.FIRST_EXCEPTION)
        failed = [h for h, t in tasks.items() if _failed(t)]
        if failed:
            cancelled = [h for h, t in tasks.items() if not t.done()]
            for h in cancelled:
                children[h].cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            raise ApplicationError(
                f"cluster {cluster}: host {failed[0]} failed; cancelled {cancelled}",
                type="HostFailed", non_retryable=True) from tasks[failed[0]].exception()
        return hosts


@workflow.defn
class SystemPatchWorkflow:
    """Patch clusters of hosts once approved (update ``approve`` or signal
    ``approve_signal``) within ``approval_timeout_s``.

    Args of ``run`` (one dict): ``clusters`` ({cluster: [hosts]}), ``steps`` (packages per
    host, default 5), ``approval_timeout_s`` (default 3600). Returns ``{"approved_by",
    "clusters": {cluster: {"status": "patched"|"failed", ...}}}``.
    """

    def __init__(self) -> None:
        self._approved_by: str | None = None
        self._done: list[str] = []

    @workflow.update
    def approve(self, approver: str) -> str:
        self._approve(approver, "update")
        return f"approved by {approver}"

    @approve.validator
    def _check_approve(self, approver: str) -> None:
        if not approver:
            raise ValueError("approver must be named")

    @workflow.signal
    def approve_signal(self, approver: str) -> None:
        self._approve(approver, "signal")

    def _approve(self, approver: str, how: str) -> None:
        if self._approved_by is None and approver:
            self._approved_by = approver
            self._done.append(f"approved by {approver} ({how})")

    @workflow.query
    def completed_steps(self) -> list[str]:
        return list(self._done)

    @workflow.run
    async def run(self, req: dict[str, Any]) -> dict[str, Any]:
        timeout = req.get("approval_timeout_s", 3600)
        try:
            await workflow.wait_condition(lambda: self._approved_by is not None,
                                          timeout=timeout)
        except asyncio.TimeoutError:
            raise ApplicationError(f"system patch: no approval within {timeout} s",
                                   type="ApprovalTimeout", non_retryable=True) from None
        me = workflow.info().workflow_id
        clusters: dict[str, list[str]] = req["clusters"]
        handles = {c: await workflow.start_child_workflow(
            ClusterPatchWorkflow.run, args=[c, hosts, req.get("steps", 5)], id=f"{me}/{c}")
            for c, hosts in sorted(clusters.items())}

        async def one(cluster: str) -> dict[str, Any]:
            try:
                hosts = await handles[cluster]
            except Exception as e:  # one cluster failing does not stop the others
                cause = e.cause if getattr(e, "cause", None) else e
                self._done.append(f"cluster {cluster} failed")
                return {"status": "failed", "error": str(cause)}
            self._done.append(f"cluster {cluster} patched")
            return {"status": "patched", "hosts": hosts}

        results = await asyncio.gather(*(one(c) for c in handles))
        return {"approved_by": self._approved_by, "clusters": dict(zip(handles, results))}


WORKFLOWS = [FsUploadWorkflow, FsCleanWorkflow, NsInstantiateWorkflow, VnfInstantiateWorkflow,
             SystemPatchWorkflow, ClusterPatchWorkflow, HostPatchWorkflow]
