"""Interceptors as temporalio has them, tested with temporalio's context-propagation pattern:
a contextvar set where the client calls arrives — through headers — in the workflow, its
signal / query / update handlers, its activities, local activities and children."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, client as durable_client, converter, workflow
from durable import worker as durable_worker
from durable.client import Client
from durable.worker import Worker

user_id: ContextVar[str | None] = ContextVar("user_id", default=None)
HEADER = "__user_id"
_PC = converter.default().payload_converter
_seen_by_interceptor: list[str] = []


def _with_user(headers: Mapping[str, Any]) -> MutableMapping[str, Any]:
    out = dict(headers)
    value = user_id.get()
    if value is not None:
        out[HEADER] = _PC.to_payload(value)
    return out


@contextlib.contextmanager
def _user_from(headers: Mapping[str, Any]) -> Iterator[None]:
    payload = headers.get(HEADER)
    token = user_id.set(_PC.from_payload(payload, str) if payload is not None else None)
    try:
        yield
    finally:
        user_id.reset(token)


class ContextPropagation(durable_client.Interceptor, durable_worker.Interceptor):
    """One object for client and worker (a worker built on the client picks it up)."""

    def intercept_client(self, next: durable_client.OutboundInterceptor
                         ) -> durable_client.OutboundInterceptor:
        return _ClientOutbound(next)

    def intercept_activity(self, next: durable_worker.ActivityInboundInterceptor
                           ) -> durable_worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(self, input: durable_worker.WorkflowInterceptorClassInput
                                   ) -> type[durable_worker.WorkflowInboundInterceptor]:
        assert input.unsafe_extern_functions == {}
        return _WorkflowInbound


class _ClientOutbound(durable_client.OutboundInterceptor):
    async def start_workflow(self, input: durable_client.StartWorkflowInput) -> Any:
        input.headers = _with_user(input.headers)
        return await super().start_workflow(input)

    async def signal_workflow(self, input: durable_client.SignalWorkflowInput) -> None:
        input.headers = _with_user(input.headers)
        await super().signal_workflow(input)

    async def query_workflow(self, input: durable_client.QueryWorkflowInput) -> Any:
        input.headers = _with_user(input.headers)
        return await super().query_workflow(input)

    async def start_workflow_update(self, input: durable_client.StartWorkflowUpdateInput
                                    ) -> Any:
        input.headers = _with_user(input.headers)
        return await super().start_workflow_update(input)


class _ActivityInbound(durable_worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: durable_worker.ExecuteActivityInput) -> Any:
        with _user_from(input.headers):
            return await super().execute_activity(input)


class _WorkflowInbound(durable_worker.WorkflowInboundInterceptor):
    def init(self, outbound: durable_worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound))

    async def execute_workflow(self, input: durable_worker.ExecuteWorkflowInput) -> Any:
        with _user_from(input.headers):
            return await super().execute_workflow(input)

    async def handle_signal(self, input: durable_worker.HandleSignalInput) -> None:
        with _user_from(input.headers):
            await super().handle_signal(input)

    async def handle_query(self, input: durable_worker.HandleQueryInput) -> Any:
        with _user_from(input.headers):
            return await super().handle_query(input)

    def handle_update_validator(self, input: durable_worker.HandleUpdateInput) -> None:
        with _user_from(input.headers):
            _seen_by_interceptor.append(f"validator {input.update} {user_id.get()}")
            super().handle_update_validator(input)

    async def handle_update_handler(self, input: durable_worker.HandleUpdateInput) -> Any:
        with _user_from(input.headers):
            return await super().handle_update_handler(input)


class _WorkflowOutbound(durable_worker.WorkflowOutboundInterceptor):
    def start_activity(self, input: durable_worker.StartActivityInput) -> Any:
        input.headers = _with_user(input.headers)
        return super().start_activity(input)

    def start_local_activity(self, input: durable_worker.StartLocalActivityInput) -> Any:
        input.headers = _with_user(input.headers)
        return super().start_local_activity(input)

    async def start_child_workflow(self, input: durable_worker.StartChildWorkflowInput) -> Any:
        input.headers = _with_user(input.headers)
        return await super().start_child_workflow(input)


@activity.defn
async def whoami_async() -> str | None:
    return user_id.get()


@activity.defn
def whoami_sync() -> str | None:
    return user_id.get()  # in the pool's thread: the context was copied there


@workflow.defn
class ChildWorkflow:
    @workflow.run
    async def run(self) -> str | None:
        return user_id.get()


@workflow.defn
class PropagatingWorkflow:
    def __init__(self) -> None:
        self.signalled_by: list[str | None] = []

    @workflow.run
    async def run(self) -> dict[str, Any]:
        seen: dict[str, Any] = {"run": user_id.get()}
        opts: dict[str, Any] = dict(start_to_close_timeout=timedelta(seconds=30))
        seen["activity"] = await workflow.execute_activity(whoami_async, **opts)
        seen["sync activity"] = await workflow.execute_activity(whoami_sync, **opts)
        seen["local activity"] = await workflow.execute_local_activity(whoami_async, **opts)
        seen["child"] = await workflow.execute_child_workflow(
            ChildWorkflow.run, id=f"{workflow.info().workflow_id}-child")
        await workflow.wait_condition(lambda: len(self.signalled_by) == 1)
        seen["signal"] = self.signalled_by
        return seen

    @workflow.signal
    def who(self) -> None:
        self.signalled_by.append(user_id.get())

    @workflow.query
    def asker(self) -> str | None:
        return user_id.get()

    @workflow.update
    def updater(self) -> str | None:
        return user_id.get()

    @updater.validator
    def check_updater(self) -> None:
        if user_id.get() == "mallory":
            raise ValueError("mallory may not update")


async def test_a_contextvar_set_on_the_client_arrives_everywhere(client: Client,
                                                                 task_queue: str) -> None:
    import concurrent.futures

    _seen_by_interceptor.clear()
    intercepted = Client(**{**client.config(), "interceptors": [ContextPropagation()]})
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        async with Worker(intercepted, task_queue=task_queue,
                          workflows=[PropagatingWorkflow, ChildWorkflow],
                          activities=[whoami_async, whoami_sync], activity_executor=pool):
            user_id.set("alice")
            handle = await intercepted.start_workflow(PropagatingWorkflow.run,
                                                      id=f"{task_queue}-ctx",
                                                      task_queue=task_queue)
            user_id.set("bob")
            assert await handle.query(PropagatingWorkflow.asker) == "bob"
            user_id.set("carol")
            assert await handle.execute_update(PropagatingWorkflow.updater) == "carol"
            user_id.set("mallory")
            with pytest.raises(durable_client.WorkflowUpdateFailedError) as rejected:
                await handle.execute_update(PropagatingWorkflow.updater)
            assert "mallory may not update" in str(rejected.value.cause)
            user_id.set("dave")
            await handle.signal(PropagatingWorkflow.who)
            result = await handle.result()
    assert result == {"run": "alice", "activity": "alice", "sync activity": "alice",
                      "local activity": "alice", "child": "alice", "signal": ["dave"]}
    assert _seen_by_interceptor == ["validator updater carol", "validator updater mallory"]
    # The headers are recorded in history: the start's, the activities', the child's.
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started
    assert _PC.from_payload(started.header[HEADER], str) == "alice"
    scheduled = [e.activity_task_scheduled for e in history.events
                 if e.WhichOneof("attributes") == "activity_task_scheduled"]
    assert [_PC.from_payload(s.header[HEADER], str) for s in scheduled] == ["alice", "alice"]


async def test_a_plain_client_sends_no_headers(client: Client, task_queue: str) -> None:
    user_id.set("ignored: no interceptor on this client")
    async with Worker(client, task_queue=task_queue, workflows=[ChildWorkflow],
                      interceptors=[ContextPropagation()]):
        assert await client.execute_workflow(ChildWorkflow.run, id=f"{task_queue}-plain",
                                             task_queue=task_queue) is None


class _Order(durable_worker.Interceptor):
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def intercept_activity(self, next: durable_worker.ActivityInboundInterceptor
                           ) -> durable_worker.ActivityInboundInterceptor:
        outer = self

        class Inbound(durable_worker.ActivityInboundInterceptor):
            def init(self, outbound: durable_worker.ActivityOutboundInterceptor) -> None:
                class Outbound(durable_worker.ActivityOutboundInterceptor):
                    def heartbeat(self, *details: Any) -> None:
                        outer.log.append(f"{outer.name} heartbeat {details}")
                        super().heartbeat(*details)

                super().init(Outbound(outbound))

            async def execute_activity(self, input: durable_worker.ExecuteActivityInput
                                       ) -> Any:
                outer.log.append(f"{outer.name} in")
                try:
                    return await super().execute_activity(input)
                finally:
                    outer.log.append(f"{outer.name} out")

        return Inbound(next)


@activity.defn
async def beats() -> str:
    activity.heartbeat(1)
    await asyncio.sleep(0)
    return "ok"


@workflow.defn
class BeatsWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(beats, start_to_close_timeout=timedelta(seconds=30))


async def test_the_first_interceptor_is_outermost(client: Client, task_queue: str) -> None:
    log: list[str] = []
    async with Worker(client, task_queue=task_queue, workflows=[BeatsWorkflow],
                      activities=[beats], interceptors=[_Order("a", log), _Order("b", log)]):
        assert await client.execute_workflow(BeatsWorkflow.run, id=f"{task_queue}-order",
                                             task_queue=task_queue) == "ok"
    assert log == ["a in", "b in", "b heartbeat (1,)", "a heartbeat (1,)", "b out", "a out"]


def test_a_worker_refuses_what_is_not_an_interceptor(client: Client) -> None:
    with pytest.raises(ValueError, match="durable.worker.Interceptor"):
        Worker(client, task_queue="q", workflows=[ChildWorkflow], interceptors=[object()])  # type: ignore[list-item]


@workflow.defn
class RecordsUser:
    @workflow.run
    async def run(self) -> str | None:
        _seen_by_interceptor.append(f"run sees {user_id.get()}")
        return user_id.get()


async def test_the_replayer_runs_workflow_interceptors(client: Client, task_queue: str) -> None:
    from durable.worker import Replayer

    intercepted = Client(**{**client.config(), "interceptors": [ContextPropagation()]})
    async with Worker(intercepted, task_queue=task_queue, workflows=[RecordsUser]):
        user_id.set("erin")
        handle = await intercepted.start_workflow(RecordsUser.run, id=f"{task_queue}-replay",
                                                  task_queue=task_queue)
        assert await handle.result() == "erin"
    history = await handle.fetch_history()
    _seen_by_interceptor.clear()
    user_id.set(None)
    await Replayer(workflows=[RecordsUser],
                   interceptors=[ContextPropagation()]).replay_workflow(history)
    assert _seen_by_interceptor == ["run sees erin"]  # the header recorded at start
    with pytest.raises(ValueError, match="durable.worker.Interceptor"):
        Replayer(workflows=[RecordsUser], interceptors=[object()])


async def test_connect_takes_interceptors(client: Client, task_queue: str) -> None:
    connected = await Client.connect(client.transport.target, sync_writes=False,
                                     interceptors=[ContextPropagation()])
    try:
        async with Worker(connected, task_queue=task_queue,
                          workflows=[PropagatingWorkflow, ChildWorkflow],
                          activities=[whoami_async], activity_executor=None) as _:
            user_id.set("erin")
            handle = await connected.start_workflow(PropagatingWorkflow.run,
                                                    id=f"{task_queue}-connect",
                                                    task_queue=task_queue)
            user_id.set("frank")
            assert await handle.query(PropagatingWorkflow.asker) == "frank"
            await handle.terminate("enough")
        started = (await handle.fetch_history()).events[0].workflow_execution_started
        assert _PC.from_payload(started.header[HEADER], str) == "erin"
    finally:
        await connected.close()
