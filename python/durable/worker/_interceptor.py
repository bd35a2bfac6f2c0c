"""Worker interceptors (re-exported by ``durable.worker``), as in temporalio.

``Worker(..., interceptors=[...])`` (and the client's interceptors that are also
``durable.worker.Interceptor``\\ s, client's first): for each activity attempt
``intercept_activity(next)`` wraps the activity's inbound chain; for each workflow run
``workflow_interceptor_class(input)`` names a ``WorkflowInboundInterceptor`` subclass
instantiated with the next link. An inbound interceptor's ``init(outbound)`` may wrap the
outbound chain (``super().init(MyOutbound(outbound))``).

Workflow interceptors run inside workflow code (deterministic: no I/O). ``headers`` come
from the caller (client start/signal/query/update, or the parent workflow's activity and
child calls) and go out with the workflow's own activity and child calls.
Durable has no sandbox: ``WorkflowInterceptorClassInput.unsafe_extern_functions`` is an
empty dict kept for temporalio code.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from durable.v1.common_pb2 import Payload

if TYPE_CHECKING:
    from durable import activity, workflow
    from durable.common import RetryPolicy, WorkflowIdReusePolicy


class Interceptor:
    """Intercepts a worker's activities and workflows; override what you need."""

    def intercept_activity(self, next: ActivityInboundInterceptor
                           ) -> ActivityInboundInterceptor:
        """Wrap an activity attempt's inbound chain; the default adds nothing."""
        return next

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput
                                   ) -> type[WorkflowInboundInterceptor] | None:
        """A ``WorkflowInboundInterceptor`` subclass for each workflow run, or None."""
        return None


@dataclass
class WorkflowInterceptorClassInput:
    """Input for :meth:`Interceptor.workflow_interceptor_class`."""

    unsafe_extern_functions: MutableMapping[str, Callable[..., Any]] = field(
        default_factory=dict)


# --- Activities ---------------------------------------------------------------------------


@dataclass
class ExecuteActivityInput:
    """Input for :meth:`ActivityInboundInterceptor.execute_activity`."""

    fn: Callable[..., Any]
    args: Sequence[Any]
    executor: concurrent.futures.Executor | None
    headers: Mapping[str, Payload]


class ActivityInboundInterceptor:
    """Calls into an activity attempt."""

    def __init__(self, next: ActivityInboundInterceptor) -> None:
        self.next = next

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        """Called first with the outbound chain (wrap it and pass it on)."""
        self.next.init(outbound)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        """Run the activity; returns its result."""
        return await self.next.execute_activity(input)


class ActivityOutboundInterceptor:
    """Calls activity code makes (``activity.info()``, ``activity.heartbeat()``)."""

    def __init__(self, next: ActivityOutboundInterceptor) -> None:
        self.next = next

    def info(self) -> activity.Info:
        """The attempt's info."""
        return self.next.info()

    def heartbeat(self, *details: Any) -> None:
        """Record a heartbeat."""
        self.next.heartbeat(*details)


# --- Workflows ----------------------------------------------------------------------------


@dataclass
class ExecuteWorkflowInput:
    """Input for :meth:`WorkflowInboundInterceptor.execute_workflow`."""

    type: type
    run_fn: Callable[..., Awaitable[Any]]  # unbound: called with the instance first
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleSignalInput:
    """Input for :meth:`WorkflowInboundInterceptor.handle_signal`."""

    signal: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleQueryInput:
    """Input for :meth:`WorkflowInboundInterceptor.handle_query`."""

    id: str
    query: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class HandleUpdateInput:
    """Input for the update validator and handler of :class:`WorkflowInboundInterceptor`."""

    id: str
    update: str
    args: Sequence[Any]
    headers: Mapping[str, Payload]


@dataclass
class StartActivityInput:
    """Input for :meth:`WorkflowOutboundInterceptor.start_activity`."""

    activity: str
    args: Sequence[Any]
    activity_id: str | None
    task_queue: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    cancellation_type: workflow.ActivityCancellationType
    headers: MutableMapping[str, Payload]
    arg_types: list[Any] | None = None
    ret_type: Any = None
    disable_eager_execution: bool = False
    versioning_intent: Any = None
    summary: str | None = None
    priority: Any = None
    event_groups: Sequence[Any] | None = None  # workflow.EventGroup, applied to its commands


@dataclass
class StartLocalActivityInput:
    """Input for :meth:`WorkflowOutboundInterceptor.start_local_activity`."""

    activity: str
    args: Sequence[Any]
    activity_id: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    local_retry_threshold: timedelta | None
    cancellation_type: workflow.ActivityCancellationType
    headers: MutableMapping[str, Payload]
    summary: str | None = None
    arg_types: list[Any] | None = None
    ret_type: Any = None
    event_groups: Sequence[Any] | None = None  # workflow.EventGroup, applied to its commands


@dataclass
class StartChildWorkflowInput:
    """Input for :meth:`WorkflowOutboundInterceptor.start_child_workflow`."""

    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str | None
    cancellation_type: workflow.ChildWorkflowCancellationType
    parent_close_policy: workflow.ParentClosePolicy
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIdReusePolicy
    retry_policy: RetryPolicy | None
    memo: Mapping[str, Any] | None
    search_attributes: Any
    headers: MutableMapping[str, Payload]
    arg_types: list[Any] | None = None
    ret_type: Any = None
    cron_schedule: str = ""
    versioning_intent: Any = None
    static_summary: str | None = None
    static_details: str | None = None
    priority: Any = None
    # durable's own: how the parent's worker starts it (the ChildWorkflowOptions).
    options: Any = None
    event_groups: Sequence[Any] | None = None  # workflow.EventGroup, applied to its commands
    versioning_override: Any = None  # accepted for temporalio code; durable has no versioning


@dataclass
class ContinueAsNewInput:
    """Input for :meth:`WorkflowOutboundInterceptor.continue_as_new`. None fields take this
    run's values; ``headers`` become the new run's header."""

    workflow: str | None
    args: Sequence[Any]
    task_queue: str | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    backoff_start_interval: timedelta | None
    retry_policy: Any
    memo: Mapping[str, Any] | None
    search_attributes: Any
    headers: Mapping[str, Any]
    versioning_intent: Any
    initial_versioning_behavior: Any = None
    event_groups: Any = None  # not used by durable
    arg_types: list[Any] | None = None


@dataclass
class SignalChildWorkflowInput:
    """Input for :meth:`WorkflowOutboundInterceptor.signal_child_workflow`."""

    signal: str
    args: Sequence[Any]
    child_workflow_id: str
    headers: Mapping[str, Any]
    event_groups: Any = None  # workflow.EventGroup, applied to the signal command


@dataclass
class SignalExternalWorkflowInput:
    """Input for :meth:`WorkflowOutboundInterceptor.signal_external_workflow`."""

    signal: str
    args: Sequence[Any]
    namespace: str
    workflow_id: str
    workflow_run_id: str | None
    headers: Mapping[str, Any]
    event_groups: Any = None  # workflow.EventGroup, applied to the signal command


class WorkflowInboundInterceptor:
    """Calls into a workflow run: its main method, signals, queries, updates."""

    def __init__(self, next: WorkflowInboundInterceptor) -> None:
        self.next = next

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        """Called first with the outbound chain (wrap it and pass it on)."""
        self.next.init(outbound)

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        """Run the workflow's run method; returns its result."""
        return await self.next.execute_workflow(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        """Run a signal handler."""
        await self.next.handle_signal(input)

    async def handle_query(self, input: HandleQueryInput) -> Any:
        """Run a query handler; returns its answer (called synchronously for sync
        handlers: it must not block on anything)."""
        return await self.next.handle_query(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        """Run an update's validator (raise to reject)."""
        self.next.handle_update_validator(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        """Run an update handler; returns its result."""
        return await self.next.handle_update_handler(input)


class WorkflowOutboundInterceptor:
    """Calls workflow code makes: activities, children, info."""

    def __init__(self, next: WorkflowOutboundInterceptor) -> None:
        self.next = next

    def info(self) -> workflow.Info:
        """The run's info."""
        return self.next.info()

    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        """Schedule an activity."""
        return self.next.start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput
                             ) -> workflow.ActivityHandle[Any]:
        """Schedule a local activity."""
        return self.next.start_local_activity(input)

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        """``workflow.continue_as_new``: raises the ``ContinueAsNewError`` the end of the
        chain builds (its ``headers`` become the new run's header)."""
        self.next.continue_as_new(input)
        raise AssertionError("continue_as_new returned")  # the chain's end always raises

    async def signal_child_workflow(self, input: SignalChildWorkflowInput) -> None:
        """``ChildWorkflowHandle.signal``: its ``headers`` travel with the signal."""
        await self.next.signal_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        """``ExternalWorkflowHandle.signal``: its ``headers`` travel with the signal."""
        await self.next.signal_external_workflow(input)

    async def start_child_workflow(self, input: StartChildWorkflowInput
                                   ) -> workflow.ChildWorkflowHandle[Any, Any]:
        """Start a child workflow; returns once it started."""
        return await self.next.start_child_workflow(input)


def worker_interceptors(client_interceptors: Sequence[Any],
                        interceptors: Sequence[Interceptor]) -> list[Interceptor]:
    """The worker's chain: the client's interceptors that are worker ones, then its own."""
    return [i for i in client_interceptors if isinstance(i, Interceptor)] + list(interceptors)
