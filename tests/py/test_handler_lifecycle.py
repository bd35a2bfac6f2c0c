"""workflow.all_handlers_finished, workflow.current_update_info and the handlers'
unfinished_policy (the warning temporalio gives when a workflow closes under running
handlers)."""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

import pytest

from durable import workflow
from durable.client import Client, WorkflowUpdateStage
from durable.worker import Replayer, Worker


@workflow.defn
class PatientWorkflow:
    def __init__(self) -> None:
        self.release = False
        self.validator_saw: list[str] = []

    @workflow.update
    async def slow(self, tag: str) -> dict[str, Any]:
        info = workflow.current_update_info()
        assert info is not None
        seen_in_task = await asyncio.create_task(self._info_in_a_task())
        await workflow.wait_condition(lambda: self.release)
        return {"id": info.id, "name": info.name, "tag": tag, "task": seen_in_task}

    @slow.validator
    def check_slow(self, tag: str) -> None:
        info = workflow.current_update_info()
        self.validator_saw.append(f"{info.name}/{info.id}" if info else "none")

    async def _info_in_a_task(self) -> str | None:
        info = workflow.current_update_info()
        return info.id if info else None

    @workflow.signal
    def release_all(self) -> None:
        self.release = True

    @workflow.query
    def handlers_finished(self) -> bool:
        return workflow.all_handlers_finished()

    @workflow.run
    async def run(self) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self.release)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return {"outside": workflow.current_update_info() is None,
                "validator_saw": self.validator_saw}


async def test_all_handlers_finished_and_current_update_info(client: Client,
                                                             task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[PatientWorkflow]):
        handle = await client.start_workflow(PatientWorkflow.run, id="patient",
                                             task_queue=task_queue)
        assert await handle.query(PatientWorkflow.handlers_finished) is True
        upd = await handle.start_update(PatientWorkflow.slow, "t1", id="upd-1",
                                        wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        assert await handle.query(PatientWorkflow.handlers_finished) is False
        await handle.signal(PatientWorkflow.release_all)
        assert await upd.result() == {"id": "upd-1", "name": "slow", "tag": "t1",
                                      "task": "upd-1"}
        assert await handle.result() == {"outside": True, "validator_saw": ["slow/upd-1"]}
    await Replayer(workflows=[PatientWorkflow]).replay_workflow(await handle.fetch_history())


@workflow.defn
class HastyWorkflow:
    def __init__(self) -> None:
        self.go = False

    @workflow.update
    async def warned(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def quiet(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal
    async def busy(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def busy_quiet(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal
    def finish(self) -> None:
        self.go = True

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.go)
        return "done"  # returns while the handlers above still wait


async def run_hasty(client: Client, task_queue: str, workflow_id: str) -> Any:
    async with Worker(client, task_queue=task_queue, workflows=[HastyWorkflow]):
        handle = await client.start_workflow(HastyWorkflow.run, id=workflow_id,
                                             task_queue=task_queue)
        for upd in (HastyWorkflow.warned, HastyWorkflow.quiet):
            await handle.start_update(upd, id=f"{upd.__name__}-1",
                                      wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        await handle.signal(HastyWorkflow.busy)
        await handle.signal(HastyWorkflow.busy)
        await handle.signal(HastyWorkflow.busy_quiet)
        await handle.signal(HastyWorkflow.finish)
        assert await handle.result() == "done"
    return handle


async def test_closing_under_running_handlers_warns_per_policy(client: Client,
                                                               task_queue: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handle = await run_hasty(client, task_queue, "hasty")
    by_kind = {type(w.message).__name__: str(w.message) for w in caught
               if issubclass(w.category, RuntimeWarning)}
    assert set(by_kind) == {"UnfinishedUpdateHandlersWarning",
                            "UnfinishedSignalHandlersWarning"}
    update_msg = by_kind["UnfinishedUpdateHandlersWarning"]
    assert "[TMPRL1102] workflow hasty (HastyWorkflow) finished while update handlers" in update_msg
    assert '[{"name": "warned", "id": "warned-1"}]' in update_msg  # not the ABANDON one
    assert "workflow.all_handlers_finished" in update_msg
    signal_msg = by_kind["UnfinishedSignalHandlersWarning"]
    assert '[{"name": "busy", "count": 2}]' in signal_msg  # not busy_quiet

    # Replaying the closed run does not warn again.
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        await Replayer(workflows=[HastyWorkflow]).replay_workflow(await handle.fetch_history())
    assert [w for w in again if issubclass(w.category, RuntimeWarning)] == []


async def test_warning_turned_error_is_logged_instead(client: Client, task_queue: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.WARNING, logger="durable.worker"):
            await run_hasty(client, task_queue, "hasty-err")
    messages = [r.getMessage() for r in caplog.records if "TMPRL1102" in r.getMessage()]
    assert len(messages) == 2  # the workflow itself completed normally


def test_unfinished_policy_must_be_the_enum() -> None:
    with pytest.raises(ValueError, match="unfinished_policy must be a HandlerUnfinishedPolicy"):
        @workflow.update(unfinished_policy="abandon")  # type: ignore[arg-type]
        async def u(self: object) -> None:
            pass
