"""The ends of a workflow run's interceptor chains: what the run does without interceptors.

``WorkflowInstance`` builds ``inbound = C1(C2(..._Inbound(instance)))`` from the worker's
``workflow_interceptor_class`` results and calls ``inbound.init(_Outbound(instance))``;
the innermost ``init`` stores the (possibly wrapped) outbound chain on the instance.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, NoReturn

from durable import workflow
from durable._workflow_event_groups import applied
from durable.worker import _interceptor as i


class _Inbound(i.WorkflowInboundInterceptor):
    def __init__(self, instance: Any) -> None:  # no next: nothing after it
        self._w = instance

    def init(self, outbound: i.WorkflowOutboundInterceptor) -> None:
        self._w._outbound = outbound

    async def execute_workflow(self, input: i.ExecuteWorkflowInput) -> Any:
        return await input.run_fn(self._w._object, *input.args)

    async def handle_signal(self, input: i.HandleSignalInput) -> None:
        await self._w._call_handler("signal", input.signal, input.args)

    async def handle_query(self, input: i.HandleQueryInput) -> Any:
        value = self._w._bound_handler("query", input.query)(*input.args)
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()
            raise TypeError(f"query handler {input.query!r} returned an awaitable; "
                            "query handlers must be plain 'def' functions")
        return value

    def handle_update_validator(self, input: i.HandleUpdateInput) -> None:
        self._w._validate_update(input)

    async def handle_update_handler(self, input: i.HandleUpdateInput) -> Any:
        return await self._w._call_handler("update", input.update, input.args)


class _Outbound(i.WorkflowOutboundInterceptor):
    def __init__(self, instance: Any) -> None:  # no next: nothing after it
        self._w = instance

    def info(self) -> workflow.Info:
        return self._w._info  # type: ignore[no-any-return]

    def start_activity(self, input: i.StartActivityInput) -> workflow.ActivityHandle[Any]:
        with applied(input.event_groups):
            return self._w._start_activity(input)  # type: ignore[no-any-return]

    def start_local_activity(self, input: i.StartLocalActivityInput
                             ) -> workflow.ActivityHandle[Any]:
        with applied(input.event_groups):
            return self._w._start_local_activity(input)  # type: ignore[no-any-return]

    async def start_child_workflow(self, input: i.StartChildWorkflowInput
                                   ) -> workflow.ChildWorkflowHandle[Any, Any]:
        with applied(input.event_groups):
            return await self._w._start_child_workflow(input)  # type: ignore[no-any-return]


    def continue_as_new(self, input: i.ContinueAsNewInput) -> NoReturn:
        raise workflow.ContinueAsNewError(
            workflow_type=input.workflow, args=list(input.args), task_queue=input.task_queue,
            run_timeout=input.run_timeout, task_timeout=input.task_timeout,
            retry_policy=input.retry_policy, memo=input.memo, headers=input.headers)

    async def signal_child_workflow(self, input: i.SignalChildWorkflowInput) -> None:
        with applied(input.event_groups):
            await self._w._signal_external(input.child_workflow_id, None, input.signal,
                                           input.args, child_workflow_only=True,
                                           headers=input.headers)

    async def signal_external_workflow(self, input: i.SignalExternalWorkflowInput) -> None:
        with applied(input.event_groups):
            await self._w._signal_external(input.workflow_id, input.workflow_run_id,
                                           input.signal, input.args, child_workflow_only=False,
                                           headers=input.headers)


def install(instance: Any, classes: Sequence[type[i.WorkflowInboundInterceptor]]) -> None:
    """Build the instance's chains (``_inbound``, ``_outbound``); the first class outermost."""
    inbound: i.WorkflowInboundInterceptor = _Inbound(instance)
    for cls in reversed(list(classes)):
        inbound = cls(inbound)
    instance._inbound = inbound
    inbound.init(_Outbound(instance))
