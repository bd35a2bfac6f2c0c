"""Client: start workflows and wait for them (mirrors ``temporalio.client``).

    client = await Client.connect("/var/lib/durable")      # embedded engine
    handle = await client.start_workflow(MyWorkflow.run, arg, id="x", task_queue="q")
    result = await handle.result()
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from google.protobuf import json_format

from durable import _plugins, _rpc_options, _transport
from durable._plugins import ClientConfig, ConnectConfig, ServiceClient
from durable._plugins import ClientPlugin as Plugin
from durable._history_events import (WorkflowHistoryEventAsyncIterator,
                                     WorkflowHistoryEventFilterType)
from durable._workflow_service import WorkflowService
from durable._description import (
    PendingActivityInfo,
    PendingActivityState,
    PendingChildWorkflowInfo,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
)
from durable._async_activity import (AsyncActivityCancelledError, AsyncActivityHandle,
                                     AsyncActivityIDReference)
from durable._search_attributes import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    TypedSearchAttributes,
)
from durable._schedules import (
    Schedule,
    ScheduleAction,
    ScheduleActionExecution,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleAsyncIterator,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleInfo,
    ScheduleIntervalSpec,
    ScheduleListDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from durable._visibility import (
    WorkflowExecution,
    WorkflowExecutionAsyncIterator,
    WorkflowExecutionCount,
    WorkflowExecutionCountAggregationGroup,
)
from durable.common import (
    EngineLimits,
    Priority,
    QueryRejectCondition,
    RetryPolicy,
    WorkflowIdConflictPolicy,
    WorkflowIdReusePolicy,
)
from durable.service import HttpConnectProxyConfig, KeepAliveConfig, RetryConfig, TLSConfig
from durable.exceptions import (
    AlreadyExistsError,
    CancelledError,
    DeadlineExceededError,
    TerminatedError,
    TimeoutError,
    WorkflowAlreadyStartedError,
    WorkflowFailureError,
)
from durable.v1 import common_pb2, history_pb2, service_pb2
from durable import _client_messages
from durable._converter_context import (
    ActivitySerializationContext,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
    takes_context,
)
from durable._client_interceptor import (
    CancelWorkflowInput,
    CompleteAsyncActivityInput,
    CountWorkflowsInput,
    DescribeWorkflowInput,
    FailAsyncActivityInput,
    FetchWorkflowHistoryEventsInput,
    HeartbeatAsyncActivityInput,
    ListWorkflowsInput,
    ReportCancellationAsyncActivityInput,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    TerminateWorkflowInput,
    UpdateWithStartStartWorkflowInput,
    UpdateWithStartUpdateWorkflowInput,
    BackfillScheduleInput,
    CreateScheduleInput,
    DeleteScheduleInput,
    DescribeScheduleInput,
    ListSchedulesInput,
    PauseScheduleInput,
    TriggerScheduleInput,
    UnpauseScheduleInput,
    UpdateScheduleInput,
    build_chain,
)
from durable._update_with_start import WithStartWorkflowOperation
from durable._client_messages import (
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)

__all__ = [
    "ActivitySerializationContext",  # re-exported from durable.converter, as temporalio
    "SerializationContext",
    "WithSerializationContext",
    "WorkflowSerializationContext",
    "AsyncActivityCancelledError",
    "AsyncActivityHandle",
    "AsyncActivityIDReference",
    "CompleteAsyncActivityInput",
    "CountWorkflowsInput",
    "DescribeWorkflowInput",
    "FailAsyncActivityInput",
    "FetchWorkflowHistoryEventsInput",
    "HeartbeatAsyncActivityInput",
    "ListWorkflowsInput",
    "ReportCancellationAsyncActivityInput",
    "CancelWorkflowInput",
    "Client",
    "ClientConfig",
    "ConnectConfig",
    "Interceptor",
    "Plugin",
    "ServiceClient",
    "OutboundInterceptor",
    "QueryWorkflowInput",
    "SignalWorkflowInput",
    "StartWorkflowInput",
    "StartWorkflowUpdateInput",
    "StartWorkflowUpdateWithStartInput",
    "TerminateWorkflowInput",
    "UpdateWithStartStartWorkflowInput",
    "UpdateWithStartUpdateWorkflowInput",
    "BackfillScheduleInput",
    "CreateScheduleInput",
    "DeleteScheduleInput",
    "DescribeScheduleInput",
    "ListSchedulesInput",
    "PauseScheduleInput",
    "TriggerScheduleInput",
    "UnpauseScheduleInput",
    "UpdateScheduleInput",
    "HttpConnectProxyConfig",  # re-exported from durable.service, as temporalio.client does
    "KeepAliveConfig",
    "RetryConfig",
    "TLSConfig",
    "PendingActivityInfo",
    "PendingActivityState",
    "PendingChildWorkflowInfo",
    "Schedule",
    "ScheduleAction",
    "ScheduleActionExecution",
    "ScheduleActionExecutionStartWorkflow",
    "ScheduleActionResult",
    "ScheduleActionStartWorkflow",
    "ScheduleAlreadyRunningError",
    "ScheduleAsyncIterator",
    "ScheduleBackfill",
    "ScheduleCalendarSpec",
    "ScheduleDescription",
    "ScheduleHandle",
    "ScheduleInfo",
    "ScheduleIntervalSpec",
    "ScheduleListDescription",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
    "ScheduleSpec",
    "ScheduleState",
    "ScheduleUpdate",
    "ScheduleUpdateInput",
    "WorkflowContinuedAsNewError",
    "WorkflowExecution",
    "WorkflowExecutionAsyncIterator",
    "WorkflowExecutionCount",
    "WorkflowExecutionCountAggregationGroup",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
    "WorkflowFailureError",
    "WorkflowHandle",
    "WorkflowHistory",
    "WorkflowHistoryEventAsyncIterator",
    "WorkflowHistoryEventFilterType",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowUpdateFailedError",
    "WorkflowUpdateHandle",
    "WorkflowUpdateStage",
    "WithStartWorkflowOperation",
]

ReturnType = TypeVar("ReturnType")


class _ArgUnset:
    def __repr__(self) -> str:
        return "<unset>"


_arg_unset: Any = _ArgUnset()

def _retention_us(retention: timedelta | None) -> int:
    if retention is None:
        return 0
    if not isinstance(retention, timedelta) or retention <= timedelta(0):
        raise ValueError(f"retention must be a positive timedelta or None, got {retention!r}")
    return int(retention.total_seconds() * 1_000_000)


_RESULT_POLL_US = 60_000_000  # one long poll of handle.result(); repeated until the run closes


def _default_data_converter() -> Any:
    from durable.converter import DataConverter

    return DataConverter.default


class Client:
    """A connection to durable: start workflows, get handles to them.

    Create with :meth:`connect`. Thread-safe; share one per process.
    """

    def __init__(self, transport: _transport.Transport, *, namespace: str = "default",
                 data_converter: Any = None, identity: str | None = None,
                 interceptors: Sequence[Interceptor] = (), runtime: Any = None,
                 plugins: Sequence[Plugin] = ()) -> None:
        plugins = _plugins.check_plugins(plugins, Plugin, "durable.client.Plugin")
        config = ClientConfig(transport=transport, namespace=namespace,
                              data_converter=data_converter or _default_data_converter(),
                              identity=identity, interceptors=list(interceptors),
                              runtime=runtime, plugins=plugins)
        self._initial_config = ClientConfig(**config)
        # Each plugin in turn may change the settings (temporalio's configure_client).
        for plugin in plugins:
            config = plugin.configure_client(config)
        self._init_from_config(**config)
        self._active_config = config

    def _init_from_config(self, transport: _transport.Transport, *, namespace: str = "default",
                          data_converter: Any = None, identity: str | None = None,
                          interceptors: Sequence[Interceptor] = (), runtime: Any = None,
                          plugins: Sequence[Plugin] = ()) -> None:
        self._transport = transport
        self._runtime = runtime  # durable.runtime.Runtime; None = Runtime.default()
        self._namespace = namespace
        self._data_converter = data_converter or _default_data_converter()
        self._identity = identity or f"{os.getpid()}@{socket.gethostname()}"
        self._interceptors = list(interceptors)
        # Client calls go through this chain (interceptors, then the call itself).
        self._outbound: OutboundInterceptor = build_chain(self, self._interceptors)

    def _workflow_dc(self, workflow_id: str) -> Any:
        """The data converter for payloads of workflow ``workflow_id`` (its
        ``WorkflowSerializationContext``)."""
        dc = self._data_converter
        if not takes_context(dc):
            return dc
        return dc.with_context(WorkflowSerializationContext(
            namespace=self._namespace, workflow_id=workflow_id))

    def config(self, *, active_config: bool = False) -> ClientConfig:
        """This client's settings, to build another one (``Client(**{**c.config(), ...})``,
        as in temporalio): those it was given, or with ``active_config`` those in use after
        its plugins' ``configure_client`` (a shallow copy)."""
        if active_config:
            return ClientConfig(**{**self._active_config, "transport": self._transport,
                                   "namespace": self._namespace,
                                   "data_converter": self._data_converter,
                                   "identity": self._identity,
                                   "interceptors": list(self._interceptors),
                                   "runtime": self._runtime})
        config = ClientConfig(**self._initial_config)
        config["interceptors"] = list(config.get("interceptors", ()))
        return config

    @staticmethod
    async def connect(
        target_host: str,
        *,
        namespace: str = "default",
        api_key: str | None = None,
        data_converter: Any = None,
        tls: Any = False,
        rpc_metadata: Mapping[str, str] | None = None,
        identity: str | None = None,
        sync_writes: bool = True,
        limits: EngineLimits | None = None,
        interceptors: Sequence[Interceptor] = (),
        accept_data_loss: bool = False,
        runtime: Any = None,
        **ignored: Any,
    ) -> Client:
        """Connect to durable.

        Args:
            target_host: ``host:port`` of a durable-server (gRPC), or a directory (or
                ``embedded:<directory>``): the engine then runs in this process on that
                directory, created if needed, and several ``connect`` calls on one directory
                in one process share it.
            namespace: Namespace; ``"default"`` always exists, others are registered first
                (``register_namespace``). NotFoundError when it is not registered.
            api_key: Sent as ``authorization: Bearer <key>`` to a server started with
                ``--api-keys`` (server only).
            data_converter: Converts values to payloads; ``DataConverter.default`` (JSON).
            tls: ``True`` (system roots) or a ``durable.service.TLSConfig`` for a TLS /
                mutual-TLS server (server only).
            rpc_metadata: Extra gRPC metadata sent with every call (server only).
            identity: Identity recorded with this client's actions; ``pid@hostname``.
            interceptors: Client interceptors (``durable.client.Interceptor``); those that
                are also ``durable.worker.Interceptor`` serve this client's workers too.
            runtime: A ``durable.runtime.Runtime`` (telemetry: Prometheus metrics of this
                client's workers); ``Runtime.default()`` (no metrics) when None.
            sync_writes: Sync the embedded engine's write-ahead log on each commit (the
                durable default); False only for tests and benchmarks. The server decides
                for itself (``--relaxed-writes``).
            accept_data_loss: Open an embedded directory whose write-ahead log is corrupt,
                keeping the records before the damage and dropping those after it (written
                to stderr). Without it such a directory raises DataLossError. The server
                decides for itself (``--accept-data-loss``). docs/storage.md.
            limits: The embedded engine's limits (``durable.common.EngineLimits``; fields
                left None keep Temporal's figures; docs/limits.md). They apply when this
                call opens the directory (later connects in the process share that engine);
                a server takes them as flags. ValueError with a server address.
            plugins: ``durable.client.Plugin`` objects (docs/plugins.md): each one's
                ``connect_service_client`` wraps the connection (the first outermost), then
                each one's ``configure_client`` changes the client's settings, in order;
                those that are also ``durable.worker.Plugin`` serve this client's workers.
            **ignored: temporalio's other keywords (``retry_config``, ``keep_alive_config``,
                ``lazy``, ...) are accepted and
                ignored: durable's transport retries and keeps alive by itself
                (docs/server.md).

        Returns:
            The client.

        Raises:
            ValueError: ``target_host`` is empty, or TLS settings are unusable.
            durable.exceptions.UnavailableError: The directory is already open (by another
                process, or by this one under another path), or the server does not answer.
            durable.exceptions.DataLossError: The directory's write-ahead log is corrupt
                (the message names the file and offset); see ``accept_data_loss``.
            durable.exceptions.UnauthenticatedError: The server wants an API key.
            durable.exceptions.NotFoundError: The namespace is not registered.
        """
        plugins = _plugins.check_plugins(ignored.pop("plugins", None) or (), Plugin,
                                         "durable.client.Plugin")
        connect_config = ConnectConfig(
            target_host=target_host, namespace=namespace, api_key=api_key, tls=tls,
            rpc_metadata=rpc_metadata, identity=identity, sync_writes=sync_writes,
            limits=limits, accept_data_loss=accept_data_loss)
        # The first plugin's connect_service_client is outermost (as temporalio).
        connect = _plugins.chain(plugins, "connect_service_client",
                                 _plugins.connect_service_client)
        transport = await connect(connect_config)
        return Client(transport, namespace=namespace, data_converter=data_converter,
                      identity=identity, interceptors=interceptors, runtime=runtime,
                      plugins=plugins)

    async def register_namespace(self, name: str, *, retention: timedelta | None = None,
                                 description: str = "", owner_email: str = "",
                                 data: Mapping[str, str] | None = None) -> None:
        """Register a namespace (durable extension; temporalio does it through the raw
        ``workflow_service``). Closed runs are deleted ``retention`` after they close
        (``None``: kept forever).

        Raises:
            durable.exceptions.AlreadyExistsError: The name is taken.
            durable.exceptions.InvalidArgumentError: A bad name or retention.
        """
        info = service_pb2.NamespaceInfo(
            name=name, description=description, owner_email=owner_email,
            retention_us=_retention_us(retention), data=dict(data or {}))
        await self._transport.call_async(
            "register_namespace", service_pb2.RegisterNamespaceRequest(namespace_info=info))

    async def describe_namespace(self, name: str | None = None) -> service_pb2.NamespaceInfo:
        """The namespace's settings (this client's namespace by default).

        Raises:
            durable.exceptions.NotFoundError: Not registered.
        """
        resp = await self._transport.call_async(
            "describe_namespace",
            service_pb2.DescribeNamespaceRequest(name=name or self._namespace))
        return resp.namespace_info

    async def list_namespaces(self) -> list[service_pb2.NamespaceInfo]:
        """Every registered namespace, by name."""
        resp = await self._transport.call_async("list_namespaces",
                                                service_pb2.ListNamespacesRequest())
        return list(resp.namespaces)

    async def update_namespace(self, name: str, *, retention: timedelta | None = None,
                               description: str | None = None,
                               owner_email: str | None = None,
                               data: Mapping[str, str] | None = None) -> service_pb2.NamespaceInfo:
        """Change a namespace's retention, description, owner or data (what is not given
        stays as it is). Returns the new settings.

        Raises:
            durable.exceptions.NotFoundError: Not registered.
        """
        info = await self.describe_namespace(name)
        if retention is not None:
            info.retention_us = _retention_us(retention)
        if description is not None:
            info.description = description
        if owner_email is not None:
            info.owner_email = owner_email
        if data is not None:
            info.data.clear()
            info.data.update(data)
        resp = await self._transport.call_async(
            "update_namespace", service_pb2.UpdateNamespaceRequest(namespace_info=info))
        return resp.namespace_info

    @property
    def namespace(self) -> str:
        """The namespace."""
        return self._namespace

    @property
    def workflow_service(self) -> WorkflowService:
        """Raw service calls, as temporalio's ``client.workflow_service``:
        ``reset_workflow_execution`` and the batch operations (``start_batch_operation``, ...)."""
        return WorkflowService(self._transport, self._namespace)

    @property
    def identity(self) -> str:
        """Identity recorded with this client's (and its workers') actions."""
        return self._identity

    @property
    def data_converter(self) -> Any:
        """The data converter."""
        return self._data_converter

    @property
    def transport(self) -> _transport.Transport:
        """The transport (internal)."""
        return self._transport

    async def close(self) -> None:
        """Release the engine (closed when the last client on its directory closes)."""
        await asyncio.get_running_loop().run_in_executor(None, self._transport.close)

    async def start_workflow(
        self,
        workflow: Any,
        arg: Any = _arg_unset,
        *,
        id: str,
        task_queue: str,
        args: Sequence[Any] = (),
        result_type: Any = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIdReusePolicy = WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: WorkflowIdConflictPolicy = WorkflowIdConflictPolicy.UNSPECIFIED,
        retry_policy: RetryPolicy | None = None,
        memo: Mapping[str, Any] | None = None,
        start_delay: timedelta | None = None,
        request_id: str | None = None,
        start_signal: str | Callable[..., Any] | None = None,
        start_signal_args: Sequence[Any] = (),
        search_attributes: TypedSearchAttributes | None = None,
        cron_schedule: str = "",
        rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
        rpc_timeout: timedelta | None = None,
        priority: Priority = Priority.default,
    ) -> WorkflowHandle[Any]:
        """Start a workflow run.

        Args:
            workflow: The workflow's run method (``MyWorkflow.run``) or its type name.
            arg: The single argument (or use ``args``).
            id: Workflow id, unique among running workflows.
            task_queue: Task queue the workflow's worker polls.
            args: Several arguments.
            result_type: Type to decode the result into (default: the run method's return
                annotation).
            execution_timeout: Limit on the whole workflow (retries, continue-as-new).
            run_timeout: Limit on one run.
            task_timeout: Limit on one workflow task (default 10 s).
            id_reuse_policy: Whether a closed workflow's id may be reused.
            id_conflict_policy: What to do if a workflow with this id is running.
            retry_policy: Retry the workflow on failure (none by default).
            memo: Values stored with the workflow (not indexed).
            start_delay: Delay before the first workflow task.
            request_id: Idempotency key; a retried call with the same key returns the same run.
            start_signal: Signal-with-start: send this signal (a name or a
                ``@workflow.signal`` method) with the start; if a run with this id is
                already running, the signal goes to it instead (with
                ``id_conflict_policy=USE_EXISTING``).
            start_signal_args: Arguments of ``start_signal``.
            search_attributes: Indexed attributes of the run (each registered in the
                namespace first: :meth:`add_search_attributes`), for :meth:`list_workflows`.
            cron_schedule: Legacy cron (prefer :meth:`create_schedule`): the first run waits
                for the next time of this cron string; each run that completes, fails or
                times out is followed by a new run of the same id at the next time.
            rpc_metadata: gRPC metadata of the call, replacing the connection's value of
                the same key (as on every client call; the embedded engine ignores it).
            rpc_timeout: gRPC deadline of the call (``DeadlineExceededError``; the embedded
                engine ignores it).
            priority: A ``durable.common.Priority``: checked and not recorded (durable
                dispatches each task queue in order, without priorities).

        Returns:
            A handle to the run.

        Raises:
            durable.exceptions.PayloadConversionError: An argument cannot be serialized
                (nothing was written).
            durable.exceptions.WorkflowAlreadyStartedError: A workflow with this id is
                running (or the reuse policy refuses).
            ValueError: Bad options (empty id or task queue, both ``arg`` and ``args``).
        """
        from durable.workflow import _workflow_name_and_result_type

        name, ret_type = _workflow_name_and_result_type(workflow)
        args = _client_messages._args(arg, args, _arg_unset)
        if not isinstance(id, str) or not id:
            raise ValueError(f"workflow id must be a non-empty string, got {id!r}")
        if not isinstance(task_queue, str) or not task_queue:
            raise ValueError(f"task_queue must be a non-empty string, got {task_queue!r}")
        signal_name = None
        if start_signal is not None:
            from durable._workflow_handlers import _name_and_ret_type

            signal_name = _name_and_ret_type(start_signal, "signal")[0]
        elif start_signal_args:
            raise ValueError("start_signal_args given without start_signal")
        if search_attributes is not None and not isinstance(search_attributes,
                                                            TypedSearchAttributes):
            raise TypeError("search_attributes must be a TypedSearchAttributes, got "
                            f"{type(search_attributes).__name__}")
        if not isinstance(priority, Priority):
            raise TypeError(f"priority must be a durable.common.Priority, got {priority!r}")
        input = StartWorkflowInput(
            workflow=name, args=args, id=id, task_queue=task_queue,
            execution_timeout=execution_timeout, run_timeout=run_timeout,
            task_timeout=task_timeout, id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy, retry_policy=retry_policy, memo=memo,
            search_attributes=search_attributes, start_delay=start_delay, headers={},
            start_signal=signal_name, start_signal_args=list(start_signal_args),
            ret_type=result_type if result_type is not None else ret_type,
            request_id=request_id, cron_schedule=cron_schedule, rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout, priority=priority)
        return await self._outbound.start_workflow(input)

    async def _start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any]:
        """The start itself, at the end of the interceptor chain."""
        req = await self._start_request(input)
        if input.start_signal is not None:
            req.signal_name = input.start_signal
            req.signal_input.payloads.extend(
                await self._workflow_dc(input.id).encode(list(input.start_signal_args)))
        try:
            resp = await self._transport.call_async("start_workflow_execution", req)
        except AlreadyExistsError as e:
            err = WorkflowAlreadyStartedError(input.id, input.workflow)
            err.__cause__ = e
            raise err from e
        return WorkflowHandle(self, input.id, run_id=resp.run_id, result_run_id=resp.run_id,
                              first_execution_run_id=resp.run_id, result_type=input.ret_type)

    async def _start_request(self, input: Any) -> service_pb2.StartWorkflowExecutionRequest:
        """The start request of a ``StartWorkflowInput`` or an
        ``UpdateWithStartStartWorkflowInput`` (without the start signal)."""
        from durable.common import timedelta_to_us

        dc = self._workflow_dc(input.id)
        payloads = await dc.encode(list(input.args))
        req = service_pb2.StartWorkflowExecutionRequest(
            workflow_id=input.id,
            workflow_type=input.workflow,
            task_queue=input.task_queue,
            input=common_pb2.Payloads(payloads=payloads),
            execution_timeout_us=timedelta_to_us(input.execution_timeout),
            run_timeout_us=timedelta_to_us(input.run_timeout),
            task_timeout_us=timedelta_to_us(input.task_timeout),
            identity=self._identity,
            request_id=getattr(input, "request_id", None) or str(uuid.uuid4()),
            id_reuse_policy=int(input.id_reuse_policy),
            id_conflict_policy=int(input.id_conflict_policy),
            start_delay_us=timedelta_to_us(input.start_delay),
            cron_schedule=input.cron_schedule,
        )
        for k, v in input.headers.items():
            req.header[k].CopyFrom(v)
        if input.retry_policy is not None:
            req.retry_policy.CopyFrom(input.retry_policy.to_proto())
        if input.memo:
            for k, v in input.memo.items():
                (p,) = await dc.encode([v])
                req.memo[k].CopyFrom(p)
        if input.search_attributes is not None:
            req.search_attributes.CopyFrom(input.search_attributes._to_proto())
        return req

    async def execute_workflow(self, workflow: Any, arg: Any = _arg_unset, *, id: str,
                               task_queue: str, **kwargs: Any) -> Any:
        """Start a workflow and wait for its result (:meth:`start_workflow` + ``result()``).

        Raises:
            WorkflowFailureError: The workflow failed; ``cause`` says why.
        """
        handle = await self.start_workflow(workflow, arg, id=id, task_queue=task_queue,
                                           **kwargs)
        return await handle.result()

    async def start_update_with_start_workflow(
        self,
        update: Any,
        arg: Any = _arg_unset,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        wait_for_stage: WorkflowUpdateStage,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: Any = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[Any]:
        """Update-with-start: send an update, starting its workflow first if needed, and
        wait for the update to reach ``wait_for_stage`` (ACCEPTED or COMPLETED).

        The start and the update are one step in the engine: a workflow not running is
        started (``start_workflow_operation``) and its first workflow task carries the
        update; a running one gets the update (conflict policy ``USE_EXISTING``), makes the
        call fail (``FAIL``) or is terminated for a new run (``TERMINATE_EXISTING``).
        ``await start_workflow_operation.workflow_handle()`` gives the workflow's handle.

        Raises:
            durable.exceptions.WorkflowAlreadyStartedError: The start was refused (conflict
                policy FAIL, or the reuse policy); also raised by ``workflow_handle()``.
            WorkflowUpdateFailedError: The update was rejected (or failed, waiting for
                COMPLETED).
            durable.exceptions.DeadlineExceededError: ``rpc_timeout`` passed first.
            ValueError: ``wait_for_stage`` is ADMITTED (not supported, as in temporalio).
            RuntimeError: The operation was used already.
        """
        from durable import _update_with_start

        return await _update_with_start.start(
            self, update, arg, start_workflow_operation=start_workflow_operation,
            wait_for_stage=wait_for_stage, args=args, id=id, result_type=result_type,
            rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)

    async def execute_update_with_start_workflow(
        self,
        update: Any,
        arg: Any = _arg_unset,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: Any = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Update-with-start, waiting for the update's result
        (:meth:`start_update_with_start_workflow` with COMPLETED, then ``result()``)."""
        handle = await self.start_update_with_start_workflow(
            update, arg, start_workflow_operation=start_workflow_operation,
            wait_for_stage=WorkflowUpdateStage.COMPLETED, args=args, id=id,
            result_type=result_type, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)
        return await handle.result()

    def list_workflows(self, query: str | None = None, *, limit: int | None = None,
                       page_size: int = 1000, next_page_token: bytes | None = None,
                       rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006
                       rpc_timeout: timedelta | None = None) -> WorkflowExecutionAsyncIterator:
        """Runs matching ``query`` (Temporal's list filter, docs/visibility.md), lazily paged.

            async for wf in client.list_workflows("WorkflowType = 'Order' AND "
                                                  "ExecutionStatus = 'Failed'"):
                print(wf.id, wf.close_time)

        Args:
            query: The filter, e.g. ``"ExecutionStatus = 'Running' ORDER BY StartTime"``;
                None or empty lists every run, newest start first.
            limit: Stop after this many runs.
            page_size: Runs fetched per call (at most 10,000).
            next_page_token: Resume from a page token of an earlier iterator.
            rpc_metadata: gRPC metadata of each call (embedded engine: ignored).
            rpc_timeout: gRPC deadline of each call (embedded engine: ignored).

        Returns:
            An async iterator of :class:`WorkflowExecution` (its first page is fetched on
            the first ``__anext__``).

        Raises:
            durable.exceptions.InvalidArgumentError: (while iterating) the query is malformed
                (the message names the token and its position), names an unknown attribute
                or compares one with a value of the wrong type.
            ValueError: ``page_size`` or ``limit`` is not positive.
        """
        if not isinstance(page_size, int) or page_size <= 0:
            raise ValueError(f"page_size must be a positive int, got {page_size!r}")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
        _rpc_options._check(rpc_metadata, rpc_timeout)
        return self._outbound.list_workflows(ListWorkflowsInput(
            query=query, page_size=page_size, next_page_token=next_page_token,
            rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout, limit=limit))

    async def count_workflows(
            self, query: str | None = None,
            rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
            rpc_timeout: timedelta | None = None) -> WorkflowExecutionCount:
        """How many runs match ``query``; ``... GROUP BY ExecutionStatus`` also counts each status.

        ``rpc_metadata`` / ``rpc_timeout``: as on every client call (embedded: ignored).

        Raises:
            durable.exceptions.InvalidArgumentError: A malformed query (as list_workflows).
        """
        return await self._outbound.count_workflows(CountWorkflowsInput(
            query=query, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def _count_workflows(self, query: str | None) -> WorkflowExecutionCount:
        resp = await self._transport.call_async(
            "count_workflow_executions",
            service_pb2.CountWorkflowExecutionsRequest(query=query or "",
                                                       namespace=self._namespace))
        return WorkflowExecutionCount._from_proto(resp)

    async def add_search_attributes(self, keys: Sequence[SearchAttributeKey[Any]]) -> None:
        """Register custom search attributes in this client's namespace (durable; idempotent).

        temporalio does this through ``client.operator_service.add_search_attributes``; durable
        has no separate operator service.

        Raises:
            durable.exceptions.AlreadyExistsError: A name is built in or registered with
                another type.
            durable.exceptions.InvalidArgumentError: A bad name.
        """
        req = service_pb2.AddSearchAttributesRequest(namespace=self._namespace)
        for k in keys:
            if not isinstance(k, SearchAttributeKey):
                raise TypeError(f"expected SearchAttributeKey, got {k!r}")
            req.search_attributes[k.name] = int(k.indexed_value_type)
        await self._transport.call_async("add_search_attributes", req)

    async def list_search_attributes(self) -> dict[str, SearchAttributeIndexedValueType]:
        """Custom and built-in search attributes of this client's namespace, with their types."""
        resp = await self._transport.call_async(
            "list_search_attributes",
            service_pb2.ListSearchAttributesRequest(namespace=self._namespace))
        out = {k: SearchAttributeIndexedValueType(v) for k, v in resp.system_attributes.items()}
        out.update({k: SearchAttributeIndexedValueType(v)
                    for k, v in resp.custom_attributes.items()})
        return out

    async def create_schedule(self, id: str, schedule: Schedule, *,
                              trigger_immediately: bool = False,
                              backfill: Sequence[ScheduleBackfill] = (),
                              memo: Mapping[str, Any] | None = None,
                              search_attributes: Any = None,
                              rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006
                              rpc_timeout: timedelta | None = None) -> ScheduleHandle:
        """Create a schedule (docs/schedules.md).

        Args:
            id: Schedule id, unique in the namespace.
            schedule: What to start (``ScheduleActionStartWorkflow``), when
                (``ScheduleSpec``), with which ``SchedulePolicy`` and ``ScheduleState``.
            trigger_immediately: Also take the action once now.
            backfill: Also take the actions of these periods now.
            memo: Values stored with the schedule.
            search_attributes: Must be None: durable schedules have no search attributes
                (ValueError otherwise; the workflows they start may have them).
            rpc_metadata: gRPC metadata of the call (embedded engine: ignored).
            rpc_timeout: gRPC deadline of the call (embedded engine: ignored).

        Returns:
            A handle to the schedule.

        Raises:
            ScheduleAlreadyRunningError: A schedule with this id exists (an
                ``AlreadyExistsError``).
            durable.exceptions.InvalidArgumentError: A bad spec (unknown time zone, a range
                outside its field, a malformed cron string...) or action.
        """
        from durable._client_interceptor import CreateScheduleInput

        return await self._outbound.create_schedule(CreateScheduleInput(
            id=id, schedule=schedule, trigger_immediately=trigger_immediately,
            backfill=list(backfill), memo=memo, search_attributes=search_attributes,
            rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    def get_schedule_handle(self, id: str) -> ScheduleHandle:
        """A handle to an existing schedule (no call is made)."""
        return ScheduleHandle(self, id)

    def list_schedules(self, query: str | None = None, *, page_size: int = 1000,
                       next_page_token: bytes | None = None,
                       rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006
                       rpc_timeout: timedelta | None = None) -> ScheduleAsyncIterator:
        """Every schedule of the namespace, by id, a page at a time.

        ``async for s in client.list_schedules()`` or, as temporalio writes it,
        ``async for s in await client.list_schedules()``. ``query`` must be None (durable
        has no schedule list filter: ValueError).
        """
        from durable._client_interceptor import ListSchedulesInput

        return self._outbound.list_schedules(ListSchedulesInput(
            page_size=page_size, next_page_token=next_page_token, rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout, query=query))

    def get_workflow_handle(self, workflow_id: str, *, run_id: str | None = None,
                            first_execution_run_id: str | None = None,
                            result_type: Any = None) -> WorkflowHandle[Any]:
        """A handle to an existing workflow (no call is made).

        Args:
            workflow_id: The workflow id.
            run_id: A specific run; the latest run when None.
            first_execution_run_id: First run of the chain (for cancel/terminate checks).
            result_type: Type to decode the result into.
        """
        return WorkflowHandle(self, workflow_id, run_id=run_id, result_run_id=run_id,
                              first_execution_run_id=first_execution_run_id,
                              result_type=result_type)

    def get_async_activity_handle(self, *, task_token: bytes | None = None,
                                  workflow_id: str | None = None, run_id: str | None = None,
                                  activity_id: str | None = None) -> AsyncActivityHandle:
        """A handle to complete an activity from outside its worker (async completion).

        Args:
            task_token: The attempt's ``activity.info().task_token``; or else
            workflow_id: The activity's workflow id, with
            run_id: Its run (the latest run when None), and
            activity_id: The activity id within that workflow.

        Returns:
            The handle (no call is made until one of its methods is).

        Raises:
            ValueError: Neither a task token nor workflow and activity ids, or both.
        """
        return AsyncActivityHandle(self, task_token=task_token, workflow_id=workflow_id,
                                   run_id=run_id, activity_id=activity_id)

    def get_workflow_handle_for(self, workflow: Any, workflow_id: str, *,
                                run_id: str | None = None) -> WorkflowHandle[Any]:
        """Like :meth:`get_workflow_handle`, typed by the workflow's run method."""
        from durable.workflow import _workflow_name_and_result_type

        _, ret_type = _workflow_name_and_result_type(workflow)
        return self.get_workflow_handle(workflow_id, run_id=run_id, result_type=ret_type)


@dataclass(frozen=True)
class WorkflowHistory:
    """A run's event history (``fetch_history()``; input of ``worker.Replayer``)."""

    workflow_id: str
    events: Sequence[history_pb2.HistoryEvent]
    run_id: str = ""

    def to_proto(self) -> history_pb2.History:
        """The history as a ``durable.v1.History``."""
        return history_pb2.History(events=list(self.events))

    def to_json(self) -> str:
        """JSON (protobuf's JSON mapping of ``durable.v1.History``), for fixtures."""
        return json_format.MessageToJson(self.to_proto())

    def to_json_dict(self) -> dict[str, Any]:
        """Like :meth:`to_json`, as a dict."""
        return json_format.MessageToDict(self.to_proto())

    @staticmethod
    def from_json(workflow_id: str, history: str | dict[str, Any], *,
                  run_id: str = "") -> WorkflowHistory:
        """Load a history saved with :meth:`to_json`.

        Raises:
            ValueError: The JSON is not a ``durable.v1.History``.
        """
        proto = history_pb2.History()
        try:
            if isinstance(history, str):
                json_format.Parse(history, proto)
            else:
                json_format.ParseDict(history, proto)
        except (json_format.ParseError, json.JSONDecodeError) as e:
            raise ValueError(f"not a durable.v1.History in JSON: {e}") from e
        return WorkflowHistory(workflow_id=workflow_id, events=list(proto.events), run_id=run_id)


class WorkflowContinuedAsNewError(Exception):
    """``result(follow_runs=False)`` on a run that continued as new."""

    def __init__(self, new_execution_run_id: str) -> None:
        super().__init__(f"workflow continued as new (new run {new_execution_run_id})")
        self.new_execution_run_id = new_execution_run_id


class WorkflowHandle(Generic[ReturnType]):
    """A handle to a workflow (a specific run, or the latest one when ``run_id`` is None)."""

    def __init__(self, client: Client, id: str, *, run_id: str | None = None,
                 result_run_id: str | None = None, first_execution_run_id: str | None = None,
                 result_type: Any = None) -> None:
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_run_id = result_run_id
        self._first_execution_run_id = first_execution_run_id
        self._result_type = result_type

    @property
    def id(self) -> str:
        """The workflow id."""
        return self._id

    @property
    def run_id(self) -> str | None:
        """The run this handle targets (None = the latest)."""
        return self._run_id

    @property
    def result_run_id(self) -> str | None:
        """The run whose result :meth:`result` starts from."""
        return self._result_run_id

    @property
    def first_execution_run_id(self) -> str | None:
        """First run of the chain, if known."""
        return self._first_execution_run_id

    def _execution(self, run_id: str | None = None) -> common_pb2.WorkflowExecution:
        return common_pb2.WorkflowExecution(workflow_id=self._id,
                                            run_id=run_id if run_id is not None
                                            else (self._run_id or ""))

    async def result(self, *, follow_runs: bool = True,
                     rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                     rpc_timeout: timedelta | None = None) -> ReturnType:
        """Wait for the workflow to close and return its result.

        Args:
            follow_runs: Follow continue-as-new and retry chains to the last run.
            rpc_metadata: gRPC metadata of each call (over the embedded engine: ignored).
            rpc_timeout: Give up after this long (``DeadlineExceededError``); None = wait.

        Returns:
            The result, decoded with ``result_type`` (the run method's return annotation).

        Raises:
            WorkflowFailureError: The workflow failed, was cancelled, terminated or timed
                out; ``cause`` is the failure (``ApplicationError``, ``CancelledError``,
                ``TerminatedError``, ``TimeoutError``...).
            WorkflowContinuedAsNewError: It continued as new and ``follow_runs`` is False.
            durable.exceptions.NotFoundError: No such workflow.
        """
        with _rpc_options.rpc_options(rpc_metadata):  # rpc_timeout bounds the whole wait
            return await self._result(follow_runs, rpc_timeout)

    async def _result(self, follow_runs: bool, rpc_timeout: timedelta | None) -> ReturnType:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + rpc_timeout.total_seconds() if rpc_timeout else None
        run_id = self._result_run_id or ""
        dc = self._client._workflow_dc(self._id)
        while True:
            timeout_us = _RESULT_POLL_US
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    raise DeadlineExceededError(
                        f"workflow {self._id} did not close within {rpc_timeout}")
                timeout_us = min(timeout_us, max(1, int(left * 1e6)))
            req = service_pb2.GetWorkflowExecutionHistoryRequest(
                execution=self._execution(run_id), wait_new_event=True, close_event_only=True,
                timeout_us=timeout_us)
            try:
                resp = await self._client.transport.call_async(
                    "get_workflow_execution_history", req, long_poll=True)
            except DeadlineExceededError:
                continue
            events = [e for e in resp.history.events if _is_close_event(e)]
            if not events:
                run_id = resp.run_id or run_id
                continue
            event = events[-1]
            kind = event.WhichOneof("attributes")
            if kind == "workflow_execution_completed":
                payloads = list(event.workflow_execution_completed.result.payloads)
                if not payloads:
                    return None  # type: ignore[return-value]
                values = await dc.decode(payloads, [self._result_type])
                return values[0]  # type: ignore[no-any-return]
            if kind == "workflow_execution_failed":
                attrs = event.workflow_execution_failed
                if follow_runs and attrs.new_execution_run_id:
                    run_id = attrs.new_execution_run_id
                    continue
                raise WorkflowFailureError(cause=await dc.decode_failure(attrs.failure))
            if kind == "workflow_execution_canceled":
                details = list(event.workflow_execution_canceled.details.payloads)
                decoded = await dc.decode(details) if details else []
                raise WorkflowFailureError(cause=CancelledError("Workflow cancelled", *decoded))
            if kind == "workflow_execution_terminated":
                attrs_t = event.workflow_execution_terminated
                details = list(attrs_t.details.payloads)
                decoded = await dc.decode(details) if details else []
                raise WorkflowFailureError(
                    cause=TerminatedError(attrs_t.reason or "Workflow terminated", *decoded))
            if kind == "workflow_execution_timed_out":
                attrs_to = event.workflow_execution_timed_out
                if follow_runs and attrs_to.new_execution_run_id:
                    run_id = attrs_to.new_execution_run_id
                    continue
                raise WorkflowFailureError(cause=TimeoutError("Workflow timed out", type=None))
            if kind == "workflow_execution_continued_as_new":
                new_run = event.workflow_execution_continued_as_new.new_execution_run_id
                if not follow_runs:
                    raise WorkflowContinuedAsNewError(new_run)
                run_id = new_run
                continue
            raise RuntimeError(f"unexpected close event {kind} for workflow {self._id}")

    async def describe(self, *, rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                       rpc_timeout: timedelta | None = None) -> WorkflowExecutionDescription:
        """Status, type, times, history length of the run.

        ``rpc_metadata`` / ``rpc_timeout``: gRPC metadata and deadline of the call (over the
        embedded engine: checked and ignored), as on every call of the client.

        Raises:
            durable.exceptions.NotFoundError: No such workflow.
            durable.exceptions.DeadlineExceededError: ``rpc_timeout`` passed.
        """
        return await self._client._outbound.describe_workflow(DescribeWorkflowInput(
            id=self._id, run_id=self._run_id, rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout))

    async def _describe(self) -> WorkflowExecutionDescription:
        resp = await self._client.transport.call_async(
            "describe_workflow_execution",
            service_pb2.DescribeWorkflowExecutionRequest(execution=self._execution()))
        return await WorkflowExecutionDescription._from_proto(
            resp, self._client._workflow_dc(self._id))

    async def fetch_history(
        self, *,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHistory:
        """The run's event history so far.

        Args:
            event_filter_type: ``ALL_EVENT``, or ``CLOSE_EVENT`` for only the event that
                closed the run (none while it is open).
            skip_archival: Accepted; durable has no archival.
            rpc_metadata: gRPC metadata of the call (embedded engine: ignored).
            rpc_timeout: gRPC deadline of the call (embedded engine: ignored).

        Raises:
            durable.exceptions.NotFoundError: No such workflow.
        """
        # As temporalio: the whole iterator of fetch_history_events (intercepted there).
        it = self.fetch_history_events(event_filter_type=event_filter_type,
                                       skip_archival=skip_archival, rpc_metadata=rpc_metadata,
                                       rpc_timeout=rpc_timeout)
        events = [e async for e in it]
        return WorkflowHistory(workflow_id=self._id, events=events,
                               run_id=getattr(it, "_resp_run_id", "") or (self._run_id or ""))

    def fetch_history_events(
        self, *,
        page_size: int | None = None,
        next_page_token: bytes | None = None,
        wait_new_event: bool = False,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHistoryEventAsyncIterator:
        """The run's history events as an async iterator (no call until iterated).

        Args:
            page_size: Events per page (all of them when None).
            next_page_token: Resume from a page token of an earlier iterator.
            wait_new_event: Keep iterating, waiting for new events, until the run closes.
            event_filter_type: ``ALL_EVENT`` or ``CLOSE_EVENT``.
            skip_archival: Accepted; durable has no archival.
            rpc_metadata: gRPC metadata of each call (embedded engine: ignored).
            rpc_timeout: gRPC deadline of each call (embedded engine: ignored).
        """
        return self._client._outbound.fetch_workflow_history_events(
            FetchWorkflowHistoryEventsInput(
                id=self._id, run_id=self._run_id, page_size=page_size,
                next_page_token=next_page_token, wait_new_event=wait_new_event,
                event_filter_type=WorkflowHistoryEventFilterType(event_filter_type),
                skip_archival=skip_archival, rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout))

    async def signal(self, signal: str | Callable[..., Any], arg: Any = _arg_unset, *,
                     args: Sequence[Any] = (), rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                     rpc_timeout: timedelta | None = None) -> None:
        """Send a signal to the workflow (recorded in its history, delivered in order).

        Args:
            signal: A ``@workflow.signal`` method (``MyWorkflow.my_signal``) or a name.
            arg: The single argument (or use ``args``).
            args: Several arguments.

        Raises:
            ValueError: ``signal`` is neither a name nor a signal method; both arg and args.
            durable.exceptions.NotFoundError: No such workflow.
            durable.exceptions.FailedPreconditionError: The run is closed.
        """
        from durable._workflow_handlers import _name_and_ret_type

        name = _name_and_ret_type(signal, "signal")[0]
        await self._client._outbound.signal_workflow(SignalWorkflowInput(
            id=self._id, run_id=self._run_id, signal=name,
            args=_client_messages._args(arg, args, _arg_unset), headers={},
            rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def _signal(self, input: SignalWorkflowInput) -> None:
        payloads = await self._client._workflow_dc(self._id).encode(list(input.args))
        req = service_pb2.SignalWorkflowExecutionRequest(
            workflow_execution=self._execution(), signal_name=input.signal,
            input=common_pb2.Payloads(payloads=payloads),
            identity=self._client.identity, request_id=str(uuid.uuid4()))
        for k, v in input.headers.items():
            req.header[k].CopyFrom(v)
        await self._client.transport.call_async("signal_workflow_execution", req)

    async def query(self, query: str | Callable[..., Any], arg: Any = _arg_unset, *,
                    args: Sequence[Any] = (), result_type: Any = None,
                    reject_condition: QueryRejectCondition | None = None,
                    rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                    rpc_timeout: timedelta | None = None) -> Any:
        """Ask the workflow a query; a worker answers from the workflow's state.

        Works on a closed workflow too (the worker replays its history to answer).

        Args:
            query: A ``@workflow.query`` method (``MyWorkflow.status``) or a query name.
            arg: The single argument (or use ``args``).
            args: Several arguments.
            result_type: Type to decode the answer into (default: the method's annotation).
            reject_condition: Refuse the query (``WorkflowQueryRejectedError``) when the run
                is closed (``NOT_OPEN``) or closed other than by completing
                (``NOT_COMPLETED_CLEANLY``); checked by the client just before the query.
            rpc_timeout: How long to wait for a worker to answer (the engine's default).

        Returns:
            The handler's answer.

        Raises:
            WorkflowQueryFailedError: The handler raised, or there is no such query (the
                message lists the known ones).
            ValueError: ``query`` is neither a name nor a query method.
            durable.exceptions.DeadlineExceededError: No worker answered in time.
            durable.exceptions.NotFoundError: No such workflow.
        """
        return await _client_messages.query(self, query, arg, args, _arg_unset, result_type,
                                            rpc_timeout, reject_condition, rpc_metadata)

    async def execute_update(self, update: str | Callable[..., Any], arg: Any = _arg_unset, *,
                             args: Sequence[Any] = (), id: str | None = None,
                             result_type: Any = None,
                             rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                             rpc_timeout: timedelta | None = None) -> Any:
        """Send an update and wait for its result.

        Args:
            update: A ``@workflow.update`` method (``MyWorkflow.set_value``) or a name.
            arg: The single argument (or use ``args``).
            args: Several arguments.
            id: Update id (idempotency within the run); a new UUID when None.
            result_type: Type to decode the result into (default: the method's annotation).
            rpc_timeout: Give up waiting after this long (``DeadlineExceededError``).

        Returns:
            The update handler's result.

        Raises:
            WorkflowUpdateFailedError: The validator rejected it (nothing is recorded), or
                the handler raised a failure; ``cause`` says why.
            durable.exceptions.FailedPreconditionError: The workflow is closed.
        """
        handle = await self.start_update(update, arg, args=args, id=id, result_type=result_type,
                                         wait_for_stage=WorkflowUpdateStage.COMPLETED,
                                         rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)
        return await handle.result(rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)

    async def start_update(self, update: str | Callable[..., Any], arg: Any = _arg_unset, *,
                           wait_for_stage: WorkflowUpdateStage, args: Sequence[Any] = (),
                           id: str | None = None, result_type: Any = None,
                           rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                           rpc_timeout: timedelta | None = None) -> WorkflowUpdateHandle[Any]:
        """Send an update and return once it reached ``wait_for_stage``.

        Args:
            update: A ``@workflow.update`` method or a name.
            arg: The single argument (or use ``args``).
            wait_for_stage: ``WorkflowUpdateStage.ACCEPTED`` (validated and recorded) or
                ``COMPLETED``.
            args: Several arguments.
            id: Update id; a new UUID when None.
            result_type: Type to decode the result into.
            rpc_timeout: Give up waiting for the stage after this long.

        Returns:
            A handle; ``await handle.result()`` for the outcome.

        Raises:
            WorkflowUpdateFailedError: The validator rejected the update.
            ValueError: ``wait_for_stage`` is ADMITTED (not supported), bad arguments.
            durable.exceptions.FailedPreconditionError: The workflow is closed.
        """
        return await _client_messages.start_update(
            self, update, arg, args, _arg_unset, wait_for_stage=wait_for_stage, id=id,
            result_type=result_type, rpc_timeout=rpc_timeout, rpc_metadata=rpc_metadata)

    def get_update_handle(self, id: str, *, workflow_run_id: str | None = None,
                          result_type: Any = None) -> WorkflowUpdateHandle[Any]:
        """A handle to an update sent before (no call is made).

        Args:
            id: The update id.
            workflow_run_id: The run it went to (the handle's run when None).
            result_type: Type to decode the result into.
        """
        return WorkflowUpdateHandle(self, id, workflow_run_id=workflow_run_id or self._run_id,
                                    result_type=result_type)

    def get_update_handle_for(self, update: Callable[..., Any], id: str, *,
                              workflow_run_id: str | None = None) -> WorkflowUpdateHandle[Any]:
        """:meth:`get_update_handle` typed by the ``@workflow.update`` method: the result
        decodes into its return annotation (no call is made)."""
        from durable._workflow_handlers import _name_and_ret_type

        return self.get_update_handle(id, workflow_run_id=workflow_run_id,
                                      result_type=_name_and_ret_type(update, "update")[1])

    async def cancel(self, *, reason: str = "",
                     rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                     rpc_timeout: timedelta | None = None) -> None:
        """Request cancellation (the workflow decides how to react).

        Raises:
            durable.exceptions.NotFoundError: No such workflow.
        """
        await self._client._outbound.cancel_workflow(CancelWorkflowInput(
            id=self._id, run_id=self._run_id,
            first_execution_run_id=self._first_execution_run_id, reason=reason,
            rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def _cancel(self, input: CancelWorkflowInput) -> None:
        await self._client.transport.call_async(
            "request_cancel_workflow_execution",
            service_pb2.RequestCancelWorkflowExecutionRequest(
                workflow_execution=self._execution(), identity=self._client.identity,
                reason=input.reason, request_id=str(uuid.uuid4())))

    async def terminate(self, *args: Any, reason: str | None = None,
                        rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                        rpc_timeout: timedelta | None = None) -> None:
        """Terminate the run at once (no workflow code runs).

        Raises:
            durable.exceptions.NotFoundError: No such workflow.
        """
        await self._client._outbound.terminate_workflow(TerminateWorkflowInput(
            id=self._id, run_id=self._run_id,
            first_execution_run_id=self._first_execution_run_id, args=list(args),
            reason=reason, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout))

    async def _terminate(self, input: TerminateWorkflowInput) -> None:
        payloads = (await self._client._workflow_dc(self._id).encode(list(input.args))
                    if input.args else [])
        await self._client.transport.call_async(
            "terminate_workflow_execution",
            service_pb2.TerminateWorkflowExecutionRequest(
                workflow_execution=self._execution(), reason=input.reason or "",
                details=common_pb2.Payloads(payloads=payloads), identity=self._client.identity))


_CLOSE_EVENTS = frozenset({
    "workflow_execution_completed", "workflow_execution_failed", "workflow_execution_timed_out",
    "workflow_execution_canceled", "workflow_execution_terminated",
    "workflow_execution_continued_as_new",
})


def _is_close_event(event: history_pb2.HistoryEvent) -> bool:
    return event.WhichOneof("attributes") in _CLOSE_EVENTS

