"""Replay tests: every recorded history under tests/py/histories still replays with today's
workflow code; an incompatible change is caught, naming the command, the event and its id.

Re-record (docs/testing.md, "Replay tests")::

    pytest tests/py --durable-record-histories=tests/py/histories
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from durable import activity, workflow
from durable.client import Client, WorkflowHistory
from durable.exceptions import NondeterminismError
from durable.testing._histories import load_history, resolve_workflow_class
from durable.testing.record import history_file_name, record_closed_histories
from durable.worker import Replayer, WorkflowReplayResults
from example_modules import load_example_for_history

HISTORIES = Path(__file__).parent / "histories"
FILES = sorted(HISTORIES.glob("*.json"))


def test_there_are_recorded_histories() -> None:
    assert len(FILES) >= 10, f"only {len(FILES)} histories in {HISTORIES}"


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
async def test_recorded_history_replays(path: Path, durable_replay: Any) -> None:
    load_example_for_history(path.stem)
    results = await durable_replay(path)
    assert results.replay_failures == {}


@activity.defn
async def reserve(item: str) -> str:
    return f"reserved {item}"


@activity.defn
async def ship(item: str) -> str:
    return f"shipped {item}"


@workflow.defn(name="Order")
class OrderV1:
    @workflow.run
    async def run(self, item: str) -> str:
        r = await workflow.execute_activity(reserve, item,
                                            start_to_close_timeout=timedelta(seconds=10))
        await asyncio.sleep(3600)
        s = await workflow.execute_activity(ship, item,
                                            start_to_close_timeout=timedelta(seconds=10))
        return f"{r}, {s}"


@workflow.defn(name="Order")
class OrderV2:
    """Incompatible with v1: ships before waiting."""

    @workflow.run
    async def run(self, item: str) -> str:
        r = await workflow.execute_activity(reserve, item,
                                            start_to_close_timeout=timedelta(seconds=10))
        s = await workflow.execute_activity(ship, item,
                                            start_to_close_timeout=timedelta(seconds=10))
        await asyncio.sleep(3600)
        return f"{r}, {s}"


async def test_an_incompatible_change_is_caught_from_a_json_history(
        durable_client: Client, durable_worker: Any, tmp_path: Path) -> None:
    async with durable_worker(workflows=[OrderV1], activities=[reserve, ship]) as w:
        out = await durable_client.execute_workflow(OrderV1.run, "book", id="order-1",
                                                    task_queue=w.task_queue)
    assert out == "reserved book, shipped book"
    written = await record_closed_histories(durable_client, tmp_path, [OrderV1, OrderV2])
    assert [p.name for p in written] == [history_file_name(OrderV1)]
    text = written[0].read_text()
    assert "pid" not in text and '"identity": "recorded"' in text

    history = load_history(written[0])
    assert history.workflow_id == "order-1"
    assert resolve_workflow_class(written[0]) is OrderV1
    assert (await Replayer(workflows=[OrderV1]).replay_workflow(history)).replay_failure is None

    with pytest.raises(NondeterminismError) as err:
        await Replayer(workflows=[OrderV2]).replay_workflow(history)
    message = str(err.value)
    # v2 schedules `ship` where v1's history has the timer started at event 11.
    events = json.loads(text)["events"]
    timer = next(e for e in events if "timerStarted" in e)
    assert "issued ScheduleActivity(seq=2, type='ship')" in message, message
    assert "history has TimerStarted(seq=1)" in message, message
    assert f"at event {timer['eventId']}" in message, message

    # replay_workflows collects failures per history instead of raising.
    results = await Replayer(workflows=[OrderV2]).replay_workflows(
        [history], raise_on_replay_failure=False)
    assert isinstance(results, WorkflowReplayResults)
    assert isinstance(results.replay_failures[history.run_id or "order-1"], NondeterminismError)
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[OrderV2]).replay_workflows([history])
    ok = await Replayer(workflows=[OrderV1]).replay_workflows([history, history])
    assert ok.replay_failures == {}


async def test_replay_helper_reports_each_failing_file(
        durable_client: Client, durable_worker: Any, durable_replay: Any,
        tmp_path: Path) -> None:
    async with durable_worker(workflows=[OrderV1], activities=[reserve, ship]) as w:
        await durable_client.execute_workflow(OrderV1.run, "pen", id="order-2",
                                              task_queue=w.task_queue)
    (path,) = await record_closed_histories(durable_client, tmp_path, [OrderV1])
    assert (await durable_replay(tmp_path, workflows=[OrderV1])).replay_failures == {}
    with pytest.raises(AssertionError, match=r"1 of the histories did not replay:\n.*"
                                             + path.name + ": NondeterminismError"):
        await durable_replay(tmp_path, workflows=[OrderV2])
    results = await durable_replay(path, workflows=[OrderV2], raise_on_replay_failure=False)
    assert list(results.replay_failures) == [str(path)]


async def test_bad_history_files_get_clear_errors(tmp_path: Path, durable_replay: Any) -> None:
    with pytest.raises(FileNotFoundError, match="no history"):
        await durable_replay(tmp_path, workflows=[OrderV1])
    bad = tmp_path / "not_a_module.Nope.json"
    bad.write_text('{"events": [{"eventId": "x"}]}')
    with pytest.raises(ValueError, match="not_a_module.Nope.json: not a durable.v1.History"):
        await durable_replay(bad, workflows=[OrderV1])
    bad.write_text('{"events": []}')
    with pytest.raises(LookupError, match="no workflow class"):
        await durable_replay(bad)
    with pytest.raises(ValueError, match="not a durable.v1.History"):
        WorkflowHistory.from_json("x", "{not json")
