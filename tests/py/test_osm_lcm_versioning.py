"""examples/osm_lcm: FsCleanWorkflow's change behind ``workflow.patched`` — a history
recorded by the pre-patch code (examples/osm_lcm/histories/fs_clean_pre_patch.json) replays
on today's code, and the patch is what makes that work.

Re-record the pre-patch history (only if its format changes):
    OSM_LCM_RECORD_PRE_PATCH=1 pytest tests/py/test_osm_lcm_versioning.py
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from durable import workflow
from durable.exceptions import NondeterminismError
from durable.testing import WorkflowEnvironment, load_history
from durable.worker import Replayer, Worker
from osm_lcm_fixtures import EXAMPLE_DIR, Lcm, activities, lcm, mongo_url, wf  # noqa: F401

PRE_PATCH = EXAMPLE_DIR / "histories" / "fs_clean_pre_patch.json"


@workflow.defn(name="FsCleanWorkflow")
class FsCleanBeforePatch:
    """FsCleanWorkflow as it was before the patch: find and delete in one activity."""

    @workflow.run
    async def run(self) -> dict[str, int]:
        deleted = await workflow.execute_activity(
            "fs_delete_unreferenced", start_to_close_timeout=timedelta(seconds=30))
        return {"deleted_files_count": deleted}


def _kinds(history: Any) -> list[str]:
    return [e.WhichOneof("attributes") for e in history.events
            if not e.WhichOneof("attributes").startswith("workflow_task_")]


def _activity_types(history: Any) -> list[str]:
    return [e.activity_task_scheduled.activity_type for e in history.events
            if e.HasField("activity_task_scheduled")]


async def _run(workflow_cls: Any, lcm: Lcm, wid: str) -> tuple[Any, Any]:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        async with Worker(env.client, task_queue="versioning", workflows=[workflow_cls],
                          activities=activities.ACTIVITIES):
            handle = await env.client.start_workflow(workflow_cls.run, id=wid,
                                                     task_queue="versioning")
            result = await handle.result()
        return result, await handle.fetch_history()


async def test_the_recorded_pre_patch_history_replays_on_the_patched_code() -> None:
    history = load_history(PRE_PATCH)
    assert "marker_recorded" not in _kinds(history)
    assert _activity_types(history) == ["fs_delete_unreferenced"]
    result = await Replayer(workflows=[wf.FsCleanWorkflow]).replay_workflow(history)
    assert result.replay_failure is None


async def test_pre_patch_runs_replay_and_new_runs_take_the_patched_branch(lcm: Lcm) -> None:
    for i in range(2):
        activities._upload(f"old-{i}", "x", key=f"k{i}")
    old_result, old_history = await _run(FsCleanBeforePatch, lcm, "fs-clean-old")
    assert old_result == {"deleted_files_count": 2}
    if os.environ.get("OSM_LCM_RECORD_PRE_PATCH"):
        PRE_PATCH.write_text(old_history.to_json())
    await Replayer(workflows=[wf.FsCleanWorkflow]).replay_workflow(old_history)

    activities._upload("new", "x", key="k-new")
    new_result, new_history = await _run(wf.FsCleanWorkflow, lcm, "fs-clean-new")
    assert new_result == {"deleted_files_count": 1}
    assert "marker_recorded" in _kinds(new_history)
    assert _activity_types(new_history) == ["fs_find_unreferenced", "fs_delete_files"]
    # Without the patch, the old code could not replay what the new code recorded.
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[FsCleanBeforePatch]).replay_workflow(new_history)
