"""Client interceptors (re-exported by ``durable.client``), as in temporalio.

``Client(..., interceptors=[...])``: each ``Interceptor.intercept_client(next)`` wraps the
chain, the first in the list outermost. Every intercepted call builds its ``*Input``
dataclass and passes it down the chain; the innermost link (``_ClientImpl``) sends it.
``headers`` are carried with the call (workflow start, signal, query, update) and arrive
in the worker's inbound interceptors; an ``Interceptor`` that is also a
``durable.worker.Interceptor`` is used by workers built on this client too.
Fields temporalio has and durable does not use (summaries,
``rpc_metadata``, ``priority``, ...) exist with defaults and are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from durable.v1.common_pb2 import Payload

if TYPE_CHECKING:
    from durable._client_messages import WorkflowUpdateHandle, WorkflowUpdateStage
    from durable.client import Client, WorkflowHandle
    from durable.common import RetryPolicy, WorkflowIdConflictPolicy, WorkflowIdReusePolicy


@dataclass
class StartWorkflowInput:
    """Input for :meth:`OutboundInterceptor.start_workflow`."""

    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIdReusePolicy
    id_conflict_policy: WorkflowIdConflictPolicy
    retry_policy: RetryPolicy | None
    memo: Mapping[str, Any] | None
    search_attributes: Any
    start_delay: timedelta | None
    headers: Mapping[str, Payload]
    start_signal: str | None
    start_signal_args: Sequence[Any]
    ret_type: Any
    request_id: str | None = None
    cron_schedule: str = ""
    static_summary: str | None = None
    static_details: str | None = None
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None
    request_eager_start: bool = False
    priority: Any = None


@dataclass
class SignalWorkflowInput:
    """Input for :meth:`OutboundInterceptor.signal_workflow`."""

    id: str
    run_id: str | None
    signal: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None


@dataclass
class QueryWorkflowInput:
    """Input for :meth:`OutboundInterceptor.query_workflow`."""

    id: str
    run_id: str | None
    query: str
    args: Sequence[Any]
    reject_condition: Any
    headers: Mapping[str, Payload]
    ret_type: Any
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None


@dataclass
class StartWorkflowUpdateInput:
    """Input for :meth:`OutboundInterceptor.start_workflow_update`."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    update_id: str | None
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, Payload]
    ret_type: Any
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None


@dataclass
class CancelWorkflowInput:
    """Input for :meth:`OutboundInterceptor.cancel_workflow`."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    reason: str
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None


@dataclass
class TerminateWorkflowInput:
    """Input for :meth:`OutboundInterceptor.terminate_workflow`."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    args: Sequence[Any]
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None


class Interceptor:
    """Intercepts client calls; override :meth:`intercept_client`."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap ``next`` (the rest of the chain); the default adds nothing."""
        return next


class OutboundInterceptor:
    """One link of the client's chain: each method calls the same one on ``next``."""

    def __init__(self, next: OutboundInterceptor) -> None:
        self.next = next

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any]:
        """Start a workflow; returns its handle."""
        return await self.next.start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        """Signal a workflow."""
        await self.next.signal_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        """Query a workflow; returns the answer."""
        return await self.next.query_workflow(input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput
                                    ) -> WorkflowUpdateHandle[Any]:
        """Send an update; returns its handle once it reached ``wait_for_stage``."""
        return await self.next.start_workflow_update(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        """Request cancellation of a workflow."""
        await self.next.cancel_workflow(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        """Terminate a workflow."""
        await self.next.terminate_workflow(input)


class _ClientImpl(OutboundInterceptor):
    """The end of the chain: does the call."""

    def __init__(self, client: Client) -> None:  # no next: nothing after it
        self._client = client

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any]:
        return await self._client._start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        await self._client.get_workflow_handle(input.id, run_id=input.run_id)._signal(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        from durable import _client_messages

        handle = self._client.get_workflow_handle(input.id, run_id=input.run_id)
        return await _client_messages._query(handle, input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput
                                    ) -> WorkflowUpdateHandle[Any]:
        from durable import _client_messages

        handle = self._client.get_workflow_handle(
            input.id, run_id=input.run_id, first_execution_run_id=input.first_execution_run_id)
        return await _client_messages._start_update(handle, input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        await self._client.get_workflow_handle(input.id, run_id=input.run_id)._cancel(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        await self._client.get_workflow_handle(input.id, run_id=input.run_id)._terminate(input)


def build_chain(client: Client, interceptors: Sequence[Interceptor]) -> OutboundInterceptor:
    """The chain for ``client``: the first interceptor outermost."""
    chain: OutboundInterceptor = _ClientImpl(client)
    for i in reversed(list(interceptors)):
        chain = i.intercept_client(chain)
    return chain
