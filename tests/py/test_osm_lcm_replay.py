"""examples/osm_lcm: every workflow of the example has a recorded history in
tests/py/histories (re-record: docs/testing.md) and today's code replays it."""

from __future__ import annotations

from pathlib import Path

from durable.testing import load_history
from durable.worker import Replayer
from osm_lcm_fixtures import wf

HISTORIES = Path(__file__).with_name("histories")


async def test_each_osm_lcm_workflow_replays_its_recorded_history() -> None:
    for cls in wf.WORKFLOWS:
        path = HISTORIES / f"examples.osm_lcm.workflows.{cls.__name__}.json"
        assert path.is_file(), f"no recorded history for {cls.__name__}: record it"
        history = load_history(path)
        result = await Replayer(workflows=wf.WORKFLOWS).replay_workflow(history)
        assert result.replay_failure is None, (cls.__name__, result.replay_failure)


async def test_the_recorded_ns_history_is_the_compensation_path() -> None:
    # The longest NS run the tests make is one that undoes everything; replaying it covers
    # the saga's branch (cancellations, undo activities).
    history = load_history(HISTORIES / "examples.osm_lcm.workflows.NsInstantiateWorkflow.json")
    kinds = [e.WhichOneof("attributes") for e in history.events]
    # Either a VNF failed (the other two cancelled) or the NS was cancelled (all three).
    assert kinds[-1] in ("workflow_execution_failed", "workflow_execution_canceled")
    cancelled = 2 if kinds[-1] == "workflow_execution_failed" else 3
    assert kinds.count("request_cancel_external_workflow_execution_initiated") == cancelled
    assert kinds.count("child_workflow_execution_canceled") == cancelled
    scheduled = [e.activity_task_scheduled.activity_type for e in history.events
                 if e.HasField("activity_task_scheduled")]
    assert scheduled[-2:] == ["vim_delete_network", "k8s_delete_namespace"]
