"""Event groups (temporalio 1.35): explicit groups attached by EventGroup.scope(), the
implicit group of an update handler, recorded on the history events of their commands."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable import worker as worker_mod
from durable.client import Client
from durable.worker import Replayer, Worker


def marked(history) -> list[tuple[str, list[str]]]:
    out = []
    for e in history.events:
        if not e.event_group_markers:
            continue
        names = []
        for m in e.event_group_markers:
            kind = m.WhichOneof("variant")
            if kind == "label":
                lbl = json.loads(m.label.label.data) if m.label.HasField("label") else None
                names.append(f"label:{m.label.id}:{lbl}")
            elif kind == "inbound_update":
                names.append(f"update:{m.inbound_update.inbound_update_id}")
            elif kind == "inbound_event":
                names.append(f"inbound_event:{m.inbound_event.inbound_event_id}")
            else:
                names.append(kind)
        out.append((e.WhichOneof("attributes"), names))
    return out


@workflow.defn
class GroupedWorkflow:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(milliseconds=1))  # no group: no markers
        outer = workflow.create_event_group("phase-1", label="Phase one")
        with outer.scope():
            await workflow.sleep(timedelta(milliseconds=1))
            with workflow.create_event_group("inner").scope():
                await workflow.sleep(timedelta(milliseconds=1))
        extra = workflow.create_event_group("extra")
        workflow.upsert_memo({"k": 1}, event_groups=[extra])
        await workflow.sleep(timedelta(milliseconds=1), event_groups=[extra])
        await workflow.wait_condition(lambda: self.go)
        return "done"

    @workflow.update
    async def bump(self) -> None:
        # an explicit scope around the handler's registration does not leak into it
        await workflow.sleep(timedelta(milliseconds=1))
        self.go = True


async def test_scoped_and_update_groups_are_recorded_on_their_events(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[GroupedWorkflow]):
        h = await client.start_workflow(GroupedWorkflow.run, id=f"{task_queue}-eg",
                                        task_queue=task_queue)
        for _ in range(200):
            hist = await h.fetch_history()
            if sum(e.WhichOneof("attributes") == "timer_fired" for e in hist.events) >= 4:
                break
            await asyncio.sleep(0.02)
        await h.execute_update(GroupedWorkflow.bump, id="u-1")
        assert await h.result() == "done"
    got = marked(await h.fetch_history())
    assert got == [
        ("timer_started", ["label:phase-1:Phase one"]),
        ("timer_started", ["label:phase-1:Phase one", "label:inner:None"]),
        ("workflow_properties_modified", ["label:extra:None"]),
        ("timer_started", ["label:extra:None"]),
        ("timer_started", ["update:u-1"]),
        ("workflow_execution_update_completed", ["update:u-1"]),
    ]
    # Replay accepts the history: with the same code, and with code whose groups differ
    # (markers are not part of the determinism checks).
    history = await h.fetch_history()
    await Replayer(workflows=[GroupedWorkflow]).replay_workflow(history)
    await Replayer(workflows=[UngroupedWorkflow]).replay_workflow(history)


@workflow.defn(name="GroupedWorkflow")
class UngroupedWorkflow:
    """GroupedWorkflow's commands without any event group."""

    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> str:
        for _ in range(3):
            await workflow.sleep(timedelta(milliseconds=1))
        workflow.upsert_memo({"k": 1})
        await workflow.sleep(timedelta(milliseconds=1))
        await workflow.wait_condition(lambda: self.go)
        return "done"

    @workflow.update
    async def bump(self) -> None:
        await workflow.sleep(timedelta(milliseconds=1))
        self.go = True


@workflow.defn
class BadGroupWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        errors = []
        for call in (lambda: workflow.create_event_group(""),
                     lambda: workflow.create_event_group("x", label=""),
                     lambda: workflow.upsert_memo({"a": 1}, event_groups=["not a group"])):
            try:
                call()
            except (ValueError, TypeError) as e:
                errors.append(type(e).__name__)
        return errors


async def test_invalid_groups_are_refused(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[BadGroupWorkflow]):
        assert await client.execute_workflow(BadGroupWorkflow.run, id=f"{task_queue}-bad",
                                             task_queue=task_queue) == [
            "ValueError", "ValueError", "TypeError"]


def test_create_event_group_outside_a_workflow_is_refused() -> None:
    with pytest.raises(RuntimeError):
        workflow.create_event_group("x")


@activity.defn
async def noop_activity() -> str:
    return "ok"


class _GroupingOutbound(worker_mod.WorkflowOutboundInterceptor):
    def start_activity(self, input: worker_mod.StartActivityInput) -> Any:
        input.event_groups = [workflow.create_event_group("from-interceptor")]
        return super().start_activity(input)


class _GroupingInbound(worker_mod.WorkflowInboundInterceptor):
    def init(self, outbound: worker_mod.WorkflowOutboundInterceptor) -> None:
        super().init(_GroupingOutbound(outbound))


class _GroupingInterceptor(worker_mod.Interceptor):
    def workflow_interceptor_class(self, input: worker_mod.WorkflowInterceptorClassInput
                                   ) -> type[worker_mod.WorkflowInboundInterceptor]:
        return _GroupingInbound


@workflow.defn
class ActivityGroupWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(noop_activity,
                                               start_to_close_timeout=timedelta(seconds=10))


async def test_an_interceptor_sets_the_event_groups_of_an_activity(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ActivityGroupWorkflow],
                      activities=[noop_activity], interceptors=[_GroupingInterceptor()]):
        h = await client.start_workflow(ActivityGroupWorkflow.run, id=f"{task_queue}-ia",
                                        task_queue=task_queue)
        assert await h.result() == "ok"
    assert marked(await h.fetch_history()) == [
        ("activity_task_scheduled", ["label:from-interceptor:None"])]


@workflow.defn
class ChildOfGroups:
    @workflow.run
    async def run(self) -> str:
        return "child"


@workflow.defn
class MoreKeywordsWorkflow:
    @workflow.run
    async def run(self) -> str:
        g = workflow.create_event_group("kw")
        assert workflow.patched("p-1", event_groups=[g])
        try:
            await workflow.wait_condition(lambda: False, timeout=timedelta(milliseconds=1),
                                          event_groups=[g])
        except asyncio.TimeoutError:
            pass
        return await workflow.execute_child_workflow(ChildOfGroups.run, id=workflow.info().workflow_id + "-c",
                                                     event_groups=[g])


async def test_patched_wait_condition_and_child_take_event_groups(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue,
                      workflows=[MoreKeywordsWorkflow, ChildOfGroups]):
        h = await client.start_workflow(MoreKeywordsWorkflow.run, id=f"{task_queue}-kw",
                                        task_queue=task_queue)
        assert await h.result() == "child"
    got = marked(await h.fetch_history())
    assert [name for name, _ in got] == [
        "marker_recorded", "timer_started", "start_child_workflow_execution_initiated"]
    assert all(m == ["label:kw:None"] for _, m in got)


@workflow.defn
class SignalGroupWorkflow:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> str:
        with workflow.create_event_group("outer").scope():
            await workflow.wait_condition(lambda: self.done)
        return "done"

    @workflow.signal
    async def poke(self) -> None:
        await workflow.sleep(timedelta(milliseconds=1))
        self.done = True


async def test_a_signal_handler_runs_in_the_group_of_its_signal_event(
        client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[SignalGroupWorkflow]):
        h = await client.start_workflow(SignalGroupWorkflow.run, id=f"{task_queue}-sig",
                                        task_queue=task_queue)
        await h.signal(SignalGroupWorkflow.poke)
        assert await h.result() == "done"
    history = await h.fetch_history()
    signaled = [e.event_id for e in history.events
                if e.WhichOneof("attributes") == "workflow_execution_signaled"]
    assert len(signaled) == 1
    # the handler's timer carries the signal's group only, not the scope of the main code
    assert marked(history) == [("timer_started", [f"inbound_event:{signaled[0]}"])]
    await Replayer(workflows=[SignalGroupWorkflow]).replay_workflow(history)


@workflow.defn
class SignalTarget:
    def __init__(self) -> None:
        self.got = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.got)
        return "signalled"

    @workflow.signal
    def hit(self) -> None:
        self.got = True


@workflow.defn
class SignalSenderWorkflow:
    @workflow.run
    async def run(self) -> str:
        g = workflow.create_event_group("send")
        child = await workflow.start_child_workflow(SignalTarget.run,
                                                    id=workflow.info().workflow_id + "-t")
        await child.signal(SignalTarget.hit, event_groups=[g])
        return await child


async def test_a_child_signal_takes_event_groups(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue,
                      workflows=[SignalSenderWorkflow, SignalTarget]):
        h = await client.start_workflow(SignalSenderWorkflow.run, id=f"{task_queue}-ss",
                                        task_queue=task_queue)
        assert await h.result() == "signalled"
    assert marked(await h.fetch_history()) == [
        ("signal_external_workflow_execution_initiated", ["label:send:None"])]
