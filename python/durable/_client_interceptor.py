"""Client interceptors (re-exported by ``durable.client``), as in temporalio.

``Client(..., interceptors=[...])``: each ``Interceptor.intercept_client(next)`` wraps the
chain, the first in the list outermost. Every intercepted call builds its ``*Input``
dataclass and passes it down the chain; the innermost link (``_ClientImpl``) sends it.
``headers`` are carried with the call (workflow start, signal, query, update) and arrive
in the worker's inbound interceptors; an ``Interceptor`` that is also a
``durable.worker.Interceptor`` is used by workers built on this client too.
``rpc_metadata`` / ``rpc_timeout`` of an input are those of the call (an interceptor may
change them); the end of the chain sends them with the call's rpcs (docs/server.md).
Fields temporalio has and durable does not use (summaries, ``priority``, ...) exist with
defaults and are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from durable._rpc_options import rpc_options
from durable.v1.common_pb2 import Payload

if TYPE_CHECKING:
    from durable._async_activity import AsyncActivityHandle
    from durable._client_messages import WorkflowUpdateHandle, WorkflowUpdateStage
    from durable._description import WorkflowExecutionDescription
    from durable._history_events import WorkflowHistoryEventAsyncIterator
    from durable._schedules import (Schedule, ScheduleAsyncIterator, ScheduleBackfill,
                                    ScheduleDescription, ScheduleHandle,
                                    ScheduleOverlapPolicy, ScheduleUpdateInput)
    from durable._visibility import WorkflowExecutionAsyncIterator, WorkflowExecutionCount
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
    versioning_override: Any = None  # no worker versioning: must stay None
    time_skipping_config: Any = None  # no per-workflow time skipping: ignored


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
class UpdateWithStartUpdateWorkflowInput:
    """The update of :meth:`OutboundInterceptor.start_update_with_start_workflow`."""

    update_id: str | None
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, Payload]
    ret_type: Any


@dataclass
class UpdateWithStartStartWorkflowInput:
    """The start of :meth:`OutboundInterceptor.start_update_with_start_workflow` (a
    ``StartWorkflowInput`` without run id, signal or eager start)."""

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
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: Any
    start_delay: timedelta | None
    headers: Mapping[str, Payload]
    static_summary: str | None
    static_details: str | None
    ret_type: Any
    priority: Any = None
    versioning_override: Any = None
    time_skipping_config: Any = None


@dataclass
class StartWorkflowUpdateWithStartInput:
    """Input for :meth:`OutboundInterceptor.start_update_with_start_workflow`.

    ``rpc_metadata`` / ``rpc_timeout`` are those of the one update-with-start call."""

    start_workflow_input: UpdateWithStartStartWorkflowInput
    update_workflow_input: UpdateWithStartUpdateWorkflowInput
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    _on_start: Callable[[Any], None]
    _on_start_error: Callable[[BaseException], None]


@dataclass
class CreateScheduleInput:
    """Input for :meth:`OutboundInterceptor.create_schedule`."""

    id: str
    schedule: Schedule
    trigger_immediately: bool
    backfill: Sequence[ScheduleBackfill]
    memo: Mapping[str, Any] | None
    search_attributes: Any
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class ListSchedulesInput:
    """Input for :meth:`OutboundInterceptor.list_schedules`."""

    page_size: int
    next_page_token: bytes | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    query: str | None = None


@dataclass
class BackfillScheduleInput:
    """Input for :meth:`OutboundInterceptor.backfill_schedule`."""

    id: str
    backfills: Sequence[ScheduleBackfill]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class DeleteScheduleInput:
    """Input for :meth:`OutboundInterceptor.delete_schedule`."""

    id: str
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class DescribeScheduleInput:
    """Input for :meth:`OutboundInterceptor.describe_schedule`."""

    id: str
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class PauseScheduleInput:
    """Input for :meth:`OutboundInterceptor.pause_schedule`."""

    id: str
    note: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class TriggerScheduleInput:
    """Input for :meth:`OutboundInterceptor.trigger_schedule`."""

    id: str
    overlap: ScheduleOverlapPolicy | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class UnpauseScheduleInput:
    """Input for :meth:`OutboundInterceptor.unpause_schedule`."""

    id: str
    note: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class UpdateScheduleInput:
    """Input for :meth:`OutboundInterceptor.update_schedule`."""

    id: str
    updater: Callable[[ScheduleUpdateInput], Any]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


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


@dataclass
class DescribeWorkflowInput:
    """Input for :meth:`OutboundInterceptor.describe_workflow`."""

    id: str
    run_id: str | None
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None


@dataclass
class FetchWorkflowHistoryEventsInput:
    """Input for :meth:`OutboundInterceptor.fetch_workflow_history_events`."""

    id: str
    run_id: str | None
    page_size: int | None
    next_page_token: bytes | None
    wait_new_event: bool
    event_filter_type: Any
    skip_archival: bool
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None


@dataclass
class ListWorkflowsInput:
    """Input for :meth:`OutboundInterceptor.list_workflows`."""

    query: str | None
    page_size: int
    next_page_token: bytes | None
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None
    limit: int | None = None


@dataclass
class CountWorkflowsInput:
    """Input for :meth:`OutboundInterceptor.count_workflows`."""

    query: str | None
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None


@dataclass
class HeartbeatAsyncActivityInput:
    """Input for :meth:`OutboundInterceptor.heartbeat_async_activity`."""

    id_or_token: Any  # AsyncActivityIDReference or the task token
    details: Sequence[Any]
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None
    data_converter_override: Any = None


@dataclass
class CompleteAsyncActivityInput:
    """Input for :meth:`OutboundInterceptor.complete_async_activity`."""

    id_or_token: Any
    result: Any
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None
    data_converter_override: Any = None


@dataclass
class FailAsyncActivityInput:
    """Input for :meth:`OutboundInterceptor.fail_async_activity`."""

    id_or_token: Any
    error: BaseException
    last_heartbeat_details: Sequence[Any]
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None
    data_converter_override: Any = None


@dataclass
class ReportCancellationAsyncActivityInput:
    """Input for :meth:`OutboundInterceptor.report_cancellation_async_activity`."""

    id_or_token: Any
    details: Sequence[Any]
    rpc_metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    rpc_timeout: timedelta | None = None
    data_converter_override: Any = None


class Interceptor:
    """Intercepts client calls; override :meth:`intercept_client`."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap ``next`` (the rest of the chain); the default adds nothing."""
        return next


class OutboundInterceptor:
    """One link of the client's chain: each method calls the same one on ``next``."""

    # The pass-throughs are written out rather than generated: each is the typed, documented
    # signature a subclass overrides and calls with super(), as in temporalio.

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

    async def start_update_with_start_workflow(self, input: StartWorkflowUpdateWithStartInput
                                               ) -> WorkflowUpdateHandle[Any]:
        """Update-with-start (``Client.start_update_with_start_workflow`` and
        ``execute_update_with_start_workflow``); returns the update's handle."""
        return await self.next.start_update_with_start_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        """Request cancellation of a workflow."""
        await self.next.cancel_workflow(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        """Terminate a workflow."""
        await self.next.terminate_workflow(input)

    async def describe_workflow(self, input: DescribeWorkflowInput
                                ) -> WorkflowExecutionDescription:
        """Describe a workflow (``WorkflowHandle.describe``)."""
        return await self.next.describe_workflow(input)

    def fetch_workflow_history_events(self, input: FetchWorkflowHistoryEventsInput
                                      ) -> WorkflowHistoryEventAsyncIterator:
        """Iterate a workflow's history (``WorkflowHandle.fetch_history_events``, and
        ``fetch_history``, which reads the whole iterator)."""
        return self.next.fetch_workflow_history_events(input)

    def list_workflows(self, input: ListWorkflowsInput) -> WorkflowExecutionAsyncIterator:
        """List workflows (``Client.list_workflows``)."""
        return self.next.list_workflows(input)

    async def count_workflows(self, input: CountWorkflowsInput) -> WorkflowExecutionCount:
        """Count workflows (``Client.count_workflows``)."""
        return await self.next.count_workflows(input)

    async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
        """``Client.create_schedule``."""
        return await self.next.create_schedule(input)

    def list_schedules(self, input: ListSchedulesInput) -> ScheduleAsyncIterator:
        """``Client.list_schedules``."""
        return self.next.list_schedules(input)

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        """``ScheduleHandle.backfill``."""
        await self.next.backfill_schedule(input)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        """``ScheduleHandle.delete``."""
        await self.next.delete_schedule(input)

    async def describe_schedule(self, input: DescribeScheduleInput) -> ScheduleDescription:
        """``ScheduleHandle.describe``."""
        return await self.next.describe_schedule(input)

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        """``ScheduleHandle.pause``."""
        await self.next.pause_schedule(input)

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        """``ScheduleHandle.trigger``."""
        await self.next.trigger_schedule(input)

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        """``ScheduleHandle.unpause``."""
        await self.next.unpause_schedule(input)

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        """``ScheduleHandle.update``."""
        await self.next.update_schedule(input)

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        """``AsyncActivityHandle.heartbeat``."""
        await self.next.heartbeat_async_activity(input)

    async def complete_async_activity(self, input: CompleteAsyncActivityInput) -> None:
        """``AsyncActivityHandle.complete``."""
        await self.next.complete_async_activity(input)

    async def fail_async_activity(self, input: FailAsyncActivityInput) -> None:
        """``AsyncActivityHandle.fail``."""
        await self.next.fail_async_activity(input)

    async def report_cancellation_async_activity(
            self, input: ReportCancellationAsyncActivityInput) -> None:
        """``AsyncActivityHandle.report_cancellation``."""
        await self.next.report_cancellation_async_activity(input)


class _ClientImpl(OutboundInterceptor):
    """The end of the chain: does the call."""

    def __init__(self, client: Client) -> None:  # no next: nothing after it
        self._client = client

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any]:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            return await self._client._start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._client.get_workflow_handle(input.id, run_id=input.run_id)._signal(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        from durable import _client_messages

        handle = self._client.get_workflow_handle(input.id, run_id=input.run_id)
        with rpc_options(input.rpc_metadata):  # rpc_timeout: the engine's wait for an answer
            return await _client_messages._query(handle, input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput
                                    ) -> WorkflowUpdateHandle[Any]:
        from durable import _client_messages

        handle = self._client.get_workflow_handle(
            input.id, run_id=input.run_id, first_execution_run_id=input.first_execution_run_id)
        with rpc_options(input.rpc_metadata):  # rpc_timeout bounds the wait for the stage
            return await _client_messages._start_update(handle, input)

    async def start_update_with_start_workflow(self, input: StartWorkflowUpdateWithStartInput
                                               ) -> WorkflowUpdateHandle[Any]:
        from durable import _update_with_start

        with rpc_options(input.rpc_metadata):  # rpc_timeout bounds the wait for the stage
            return await _update_with_start.send(self._client, input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._client.get_workflow_handle(input.id, run_id=input.run_id)._cancel(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._client.get_workflow_handle(
                input.id, run_id=input.run_id)._terminate(input)

    async def describe_workflow(self, input: DescribeWorkflowInput
                                ) -> WorkflowExecutionDescription:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            return await self._client.get_workflow_handle(
                input.id, run_id=input.run_id)._describe()

    def fetch_workflow_history_events(self, input: FetchWorkflowHistoryEventsInput
                                      ) -> WorkflowHistoryEventAsyncIterator:
        from durable._history_events import WorkflowHistoryEventAsyncIterator

        return WorkflowHistoryEventAsyncIterator(
            self._client, id=input.id, run_id=input.run_id, page_size=input.page_size,
            next_page_token=input.next_page_token, wait_new_event=input.wait_new_event,
            event_filter_type=input.event_filter_type, rpc_metadata=input.rpc_metadata,
            rpc_timeout=input.rpc_timeout)

    def list_workflows(self, input: ListWorkflowsInput) -> WorkflowExecutionAsyncIterator:
        from durable._visibility import WorkflowExecutionAsyncIterator

        return WorkflowExecutionAsyncIterator(
            self._client, input.query or "", page_size=input.page_size, limit=input.limit,
            next_page_token=input.next_page_token, rpc=(input.rpc_metadata, input.rpc_timeout))

    async def count_workflows(self, input: CountWorkflowsInput) -> WorkflowExecutionCount:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            return await self._client._count_workflows(input.query)

    async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
        from durable import _schedules

        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            return await _schedules.create_schedule(self._client, input)

    def list_schedules(self, input: ListSchedulesInput) -> ScheduleAsyncIterator:
        from durable._schedules import ScheduleAsyncIterator

        return ScheduleAsyncIterator(self._client, input)

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._schedule(input.id)._backfill(input.backfills)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._schedule(input.id)._delete()

    async def describe_schedule(self, input: DescribeScheduleInput) -> ScheduleDescription:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            return await self._schedule(input.id)._describe()

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._schedule(input.id)._patch(pause=True, note=input.note or "")

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._schedule(input.id)._patch(trigger_immediately=True,
                                                  trigger_overlap=int(input.overlap or 0))

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._schedule(input.id)._patch(unpause=True, note=input.note or "")

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._schedule(input.id)._update(input.updater)

    def _schedule(self, id: str) -> Any:
        from durable._schedules import ScheduleHandle

        return ScheduleHandle(self._client, id)

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._async_handle(input)._heartbeat(input.details)

    async def complete_async_activity(self, input: CompleteAsyncActivityInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._async_handle(input)._complete(input.result)

    async def fail_async_activity(self, input: FailAsyncActivityInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._async_handle(input)._fail(input.error,
                                                              input.last_heartbeat_details)

    async def report_cancellation_async_activity(
            self, input: ReportCancellationAsyncActivityInput) -> None:
        with rpc_options(input.rpc_metadata, input.rpc_timeout):
            await self._async_handle(input)._report_cancellation(input.details)

    def _async_handle(self, input: Any) -> AsyncActivityHandle:
        from durable._async_activity import AsyncActivityHandle

        id_or_token = input.id_or_token
        if isinstance(id_or_token, (bytes, bytearray)):
            handle = AsyncActivityHandle(self._client, task_token=bytes(id_or_token))
        else:
            handle = AsyncActivityHandle(self._client, workflow_id=id_or_token.workflow_id,
                                         run_id=id_or_token.run_id,
                                         activity_id=id_or_token.activity_id)
        handle._data_converter_override = input.data_converter_override
        return handle


def build_chain(client: Client, interceptors: Sequence[Interceptor]) -> OutboundInterceptor:
    """The chain for ``client``: the first interceptor outermost."""
    chain: OutboundInterceptor = _ClientImpl(client)
    for i in reversed(list(interceptors)):
        chain = i.intercept_client(chain)
    return chain
