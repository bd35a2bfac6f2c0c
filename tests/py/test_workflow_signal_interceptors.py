"""A workflow's signals to its child and to an external workflow go through the worker's
outbound interceptors (``signal_child_workflow`` / ``signal_external_workflow``, as
temporalio), whose headers travel with the signal into the target's history."""

from __future__ import annotations

from typing import Any

from durable import converter, workflow
from durable import worker as durable_worker
from durable.client import Client
from durable.worker import Worker

_PC = converter.default().payload_converter
seen: list[tuple[str, Any]] = []


class Tagging(durable_worker.Interceptor):
    def workflow_interceptor_class(self, input: durable_worker.WorkflowInterceptorClassInput
                                   ) -> type[durable_worker.WorkflowInboundInterceptor]:
        return _Inbound


class _Inbound(durable_worker.WorkflowInboundInterceptor):
    def init(self, outbound: durable_worker.WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))


class _Outbound(durable_worker.WorkflowOutboundInterceptor):
    async def signal_child_workflow(self, input: durable_worker.SignalChildWorkflowInput) -> None:
        seen.append(("child", input))
        input.headers = {**input.headers, "via": _PC.to_payload("child-signal")}
        await super().signal_child_workflow(input)

    async def signal_external_workflow(
            self, input: durable_worker.SignalExternalWorkflowInput) -> None:
        seen.append(("external", input))
        input.headers = {**input.headers, "via": _PC.to_payload("external-signal")}
        input.args = [f"{input.args[0]}!"]
        await super().signal_external_workflow(input)


@workflow.defn
class Listener:
    def __init__(self) -> None:
        self.got: list[str] = []

    @workflow.signal
    def poke(self, word: str) -> None:
        self.got.append(word)

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self.got) == 1)
        return self.got


@workflow.defn
class Caller:
    @workflow.run
    async def run(self, other: str) -> list[str]:
        child = await workflow.start_child_workflow(Listener.run, id=f"{other}-child")
        await child.signal(Listener.poke, "to-child")
        await workflow.get_external_workflow_handle(other).signal(Listener.poke, "to-other")
        return await child


async def test_signals_from_a_workflow_go_through_the_outbound_interceptors(
        client: Client, task_queue: str) -> None:
    seen.clear()
    async with Worker(client, task_queue=task_queue, workflows=[Caller, Listener],
                      interceptors=[Tagging()]):
        other = await client.start_workflow(Listener.run, id="other", task_queue=task_queue)
        assert await client.execute_workflow(Caller.run, "other", id="caller",
                                             task_queue=task_queue) == ["to-child"]
        assert await other.result() == ["to-other!"]  # the interceptor changed the argument
    assert [k for k, _ in seen] == ["child", "external"]
    child_input, external_input = seen[0][1], seen[1][1]
    assert child_input.child_workflow_id == "other-child" and child_input.signal == "poke"
    assert external_input.workflow_id == "other" and external_input.workflow_run_id is None
    assert external_input.namespace == client.namespace

    async def via(wf_id: str) -> str:
        events = (await client.get_workflow_handle(wf_id).fetch_history()).events
        (sig,) = [e.workflow_execution_signaled for e in events
                  if e.WhichOneof("attributes") == "workflow_execution_signaled"]
        return _PC.from_payload(sig.header["via"], str)

    assert await via("other-child") == "child-signal"
    assert await via("other") == "external-signal"


class HeaderOnContinue(durable_worker.Interceptor):
    def workflow_interceptor_class(self, input: durable_worker.WorkflowInterceptorClassInput
                                   ) -> type[durable_worker.WorkflowInboundInterceptor]:
        return _ContinueInbound


class _ContinueInbound(durable_worker.WorkflowInboundInterceptor):
    def init(self, outbound: durable_worker.WorkflowOutboundInterceptor) -> None:
        super().init(_ContinueOutbound(outbound))

    async def execute_workflow(self, input: durable_worker.ExecuteWorkflowInput) -> Any:
        got = input.headers.get("generation")
        seen.append(("run", _PC.from_payload(got, int) if got is not None else None))
        return await super().execute_workflow(input)


class _ContinueOutbound(durable_worker.WorkflowOutboundInterceptor):
    def continue_as_new(self, input: durable_worker.ContinueAsNewInput) -> Any:
        seen.append(("continue", list(input.args)))
        input.headers = {**input.headers, "generation": _PC.to_payload(input.args[0])}
        super().continue_as_new(input)


@workflow.defn
class Countdown:
    @workflow.run
    async def run(self, n: int) -> int:
        if n > 0:
            workflow.continue_as_new(n - 1)
        return n


async def test_continue_as_new_goes_through_the_outbound_interceptors(
        client: Client, task_queue: str) -> None:
    seen.clear()
    async with Worker(client, task_queue=task_queue, workflows=[Countdown],
                      interceptors=[HeaderOnContinue()]):
        assert await client.execute_workflow(Countdown.run, 2, id="countdown",
                                             task_queue=task_queue) == 0
    assert seen == [("run", None), ("continue", [1]), ("run", 1), ("continue", [0]),
                    ("run", 0)]
