"""temporalio's sandbox names as documented no-ops, and workflow.unsafe's helpers."""

from __future__ import annotations

import asyncio
import time

import pytest

from durable import workflow

with workflow.unsafe.imports_passed_through():  # as temporalio code imports activities
    import json

from durable.client import Client
from durable.worker import Replayer, UnsandboxedWorkflowRunner, Worker
from durable.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

REPLAYING: list[tuple[str, bool]] = []  # (where, is_replaying), appended by workflow code


@workflow.defn(sandboxed=False)
class UnsafeWorkflow:
    @workflow.run
    async def run(self) -> dict[str, object]:
        REPLAYING.append(("before", workflow.unsafe.is_replaying()))
        await asyncio.sleep(0.05)
        REPLAYING.append(("after", workflow.unsafe.is_replaying()))
        try:
            time.time()
            guarded = False
        except workflow.NondeterminismGuardError:
            guarded = True  # sandboxed=False does not lift durable's guard
        with workflow.unsafe.sandbox_unrestricted():
            unrestricted = workflow.unsafe.is_sandbox_unrestricted()
            time.time()
        with workflow.unsafe.imports_passed_through():
            passed = workflow.unsafe.is_imports_passed_through()
        return {"guarded": guarded, "unrestricted": unrestricted, "passed": passed,
                "in_sandbox": workflow.unsafe.in_sandbox(),
                "restricted_again": workflow.unsafe.is_sandbox_unrestricted(),
                "json": json.dumps([1])}


async def test_sandbox_options_are_accepted_and_change_nothing(client: Client,
                                                               task_queue: str) -> None:
    REPLAYING.clear()
    runner = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("json"))
    async with Worker(client, task_queue=task_queue, workflows=[UnsafeWorkflow],
                      workflow_runner=runner,
                      unsandboxed_workflow_runner=UnsandboxedWorkflowRunner(),
                      max_cached_workflows=0):
        result = await client.execute_workflow(UnsafeWorkflow.run, id="unsafe",
                                               task_queue=task_queue)
    assert result == {"guarded": True, "unrestricted": True, "passed": True,
                      "in_sandbox": False, "restricted_again": False, "json": "[1]"}
    # Without a cache the second task replays the first: is_replaying says so.
    assert REPLAYING == [("before", False), ("before", True), ("after", False)]
    REPLAYING.clear()
    await Replayer(workflows=[UnsafeWorkflow]).replay_workflow(
        await client.get_workflow_handle("unsafe").fetch_history())
    assert REPLAYING == [("before", True), ("after", True)]


def test_unsafe_helpers_outside_workflows() -> None:
    assert workflow.unsafe.is_replaying() is False
    assert workflow.unsafe.is_read_only() is False
    assert workflow.unsafe.is_sandbox_unrestricted() is False
    assert workflow.unsafe.is_imports_passed_through() is False
    with workflow.unsafe.imports_passed_through():
        with workflow.unsafe.imports_passed_through():
            assert workflow.unsafe.is_imports_passed_through()
        assert workflow.unsafe.is_imports_passed_through()
    assert workflow.unsafe.is_imports_passed_through() is False


def test_sandbox_restrictions_are_recorded() -> None:
    r = SandboxRestrictions.default.with_passthrough_modules("pydantic", "attrs")
    assert r.passthrough_modules == {"pydantic", "attrs"}
    assert r.with_passthrough_all_modules().passthrough_all_modules
    assert SandboxedWorkflowRunner(restrictions=r).restrictions is r
    assert SandboxRestrictions.default.passthrough_modules == frozenset()  # unchanged


async def test_bad_runner_and_sandboxed_values_are_refused(client: Client, task_queue: str) -> None:
    with pytest.raises(ValueError, match="workflow_runner must be a WorkflowRunner"):
        Worker(client, task_queue=task_queue, workflows=[UnsafeWorkflow],
               workflow_runner="sandboxed")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sandboxed must be True or False"):
        workflow.defn(sandboxed="no")  # type: ignore[arg-type, call-overload]
