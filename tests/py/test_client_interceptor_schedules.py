"""The client's interceptor chain carries the schedule calls (create, list, describe, pause,
unpause, trigger, backfill, update, delete) and update-with-start, with temporalio's method
and input names: an OutboundInterceptor sees each input and may change it — on both
transports."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from durable import converter, workflow
from durable.client import (
    BackfillScheduleInput,
    Client,
    CreateScheduleInput,
    DeleteScheduleInput,
    DescribeScheduleInput,
    Interceptor,
    ListSchedulesInput,
    OutboundInterceptor,
    PauseScheduleInput,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleIntervalSpec,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
    StartWorkflowUpdateWithStartInput,
    TriggerScheduleInput,
    UnpauseScheduleInput,
    UpdateScheduleInput,
    WithStartWorkflowOperation,
)
from durable.common import WorkflowIdConflictPolicy
from durable.worker import Worker

_PC = converter.default().payload_converter


class Recorder(Interceptor):
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Outbound(next, self)


class _Outbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, rec: Recorder) -> None:
        super().__init__(next)
        self.rec = rec

    async def create_schedule(self, input: CreateScheduleInput) -> Any:
        self.rec.seen.append(("create", input))
        input.memo = {**(input.memo or {}), "by": "interceptor"}
        return await super().create_schedule(input)

    def list_schedules(self, input: ListSchedulesInput) -> Any:
        self.rec.seen.append(("list", input))
        return super().list_schedules(input)

    async def describe_schedule(self, input: DescribeScheduleInput) -> Any:
        self.rec.seen.append(("describe", input))
        return await super().describe_schedule(input)

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        self.rec.seen.append(("pause", input))
        input.note = f"{input.note} (seen)"
        await super().pause_schedule(input)

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        self.rec.seen.append(("unpause", input))
        await super().unpause_schedule(input)

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        self.rec.seen.append(("trigger", input))
        await super().trigger_schedule(input)

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        self.rec.seen.append(("backfill", input))
        await super().backfill_schedule(input)

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        self.rec.seen.append(("update", input))
        await super().update_schedule(input)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        self.rec.seen.append(("delete", input))
        await super().delete_schedule(input)

    async def start_update_with_start_workflow(
            self, input: StartWorkflowUpdateWithStartInput) -> Any:
        self.rec.seen.append(("update_with_start", input))
        input.start_workflow_input.headers = {"who": _PC.to_payload("start-header")}
        input.update_workflow_input.headers = {"who": _PC.to_payload("update-header")}
        input.update_workflow_input.args = [a.upper() for a in input.update_workflow_input.args]
        return await super().start_update_with_start_workflow(input)


@workflow.defn
class Tick:
    @workflow.run
    async def run(self) -> str:
        return "tick"


@workflow.defn
class Box:
    def __init__(self) -> None:
        self.things: list[str] = []

    @workflow.update
    def put(self, thing: str) -> list[str]:
        self.things.append(thing)
        return self.things

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: "DONE" in self.things)
        return self.things


def _action(task_queue: str) -> ScheduleActionStartWorkflow:
    return ScheduleActionStartWorkflow(Tick.run, id="tick", task_queue=task_queue)


async def test_schedule_calls_go_through_the_chain(client: Client, task_queue: str) -> None:
    rec = Recorder()
    c = Client(**{**client.config(), "interceptors": [rec]})
    async with Worker(client, task_queue=task_queue, workflows=[Tick]):
        handle = await c.create_schedule(
            "every-hour", Schedule(action=_action(task_queue),
                                   spec=ScheduleSpec(intervals=[
                                       ScheduleIntervalSpec(every=timedelta(hours=1))]),
                                   state=ScheduleState(paused=True)),
            memo={"owner": "ops"}, rpc_timeout=timedelta(seconds=30))
        with pytest.raises(ScheduleAlreadyRunningError):
            await c.create_schedule("every-hour", Schedule(
                action=_action(task_queue),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=2))])))
        desc = await handle.describe()
        assert await desc.memo() == {"owner": "ops", "by": "interceptor"}
        assert await desc.memo_value("owner", type_hint=str) == "ops"
        assert await desc.memo_value("missing", "dflt") == "dflt"
        with pytest.raises(KeyError):
            await desc.memo_value("missing")
        await handle.unpause(note="go")
        await handle.pause(note="hold")
        assert (await handle.describe()).schedule.state.note == "hold (seen)"
        await handle.trigger()
        now = datetime.now(timezone.utc)
        await handle.backfill(ScheduleBackfill(start_at=now - timedelta(hours=3),
                                               end_at=now - timedelta(hours=2)))

        def retitle(u: ScheduleUpdateInput) -> ScheduleUpdate:
            sched = u.description.schedule
            return ScheduleUpdate(schedule=dataclasses.replace(
                sched, state=dataclasses.replace(sched.state, note="retitled")))

        await handle.update(retitle)
        assert (await handle.describe()).schedule.state.note == "retitled"
        listed = [s async for s in await c.list_schedules(page_size=5)]
        assert [s.id for s in listed] == ["every-hour"]
        assert await listed[0].memo_value("by") == "interceptor"
        assert [s.id async for s in c.list_schedules()] == ["every-hour"]
        await handle.delete()
        assert [s.id async for s in c.list_schedules()] == []
    names = [n for n, _ in rec.seen]
    for name in ("create", "describe", "pause", "unpause", "trigger", "backfill", "update",
                 "delete", "list"):
        assert name in names, name
    inputs = dict(rec.seen)  # the last input of each name
    first_create = next(i for n, i in rec.seen if n == "create")
    assert first_create.id == "every-hour"
    assert first_create.rpc_timeout == timedelta(seconds=30)
    assert [n for n in names if n == "create"] == ["create", "create"]
    assert inputs["list"].page_size == 1000  # the last list call's
    assert len(inputs["backfill"].backfills) == 1


async def test_schedule_options_durable_does_not_have(client: Client, task_queue: str) -> None:
    with pytest.raises(ValueError, match="query=.* is not supported"):
        client.list_schedules("ScheduleId = 'x'")
    from durable.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

    sa = TypedSearchAttributes([SearchAttributePair(SearchAttributeKey.for_keyword("Team"), "a")])
    with pytest.raises(ValueError, match="search_attributes is not supported"):
        await client.create_schedule("sa", Schedule(
            action=_action(task_queue),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))])),
            search_attributes=sa)


async def test_update_with_start_goes_through_the_chain(client: Client, task_queue: str) -> None:
    rec = Recorder()
    c = Client(**{**client.config(), "interceptors": [rec]})
    async with Worker(client, task_queue=task_queue, workflows=[Box]):
        start_op = WithStartWorkflowOperation(
            Box.run, id="box", task_queue=task_queue,
            id_conflict_policy=WorkflowIdConflictPolicy.USE_EXISTING)
        assert await c.execute_update_with_start_workflow(
            Box.put, "hat", start_workflow_operation=start_op) == ["HAT"]
        handle = await start_op.workflow_handle()
        await handle.execute_update(Box.put, "DONE")
        assert await handle.result() == ["HAT", "DONE"]
    (name, input), = rec.seen
    assert name == "update_with_start"
    assert input.start_workflow_input.id == "box"
    assert input.update_workflow_input.update == "put"
    events = (await handle.fetch_history()).events
    started = events[0].workflow_execution_started
    assert _PC.from_payload(started.header["who"], str) == "start-header"
    accepted = [e.workflow_execution_update_accepted for e in events
                if e.WhichOneof("attributes") == "workflow_execution_update_accepted"]
    assert _PC.from_payload(accepted[0].request.header["who"], str) == "update-header"
