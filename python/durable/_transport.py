"""How the SDK reaches the service API (proto/durable/v1/service.proto).

``Transport`` is the one interface the client and the worker use: ``call(rpc, request)``
blocks the calling thread (never the asyncio loop: callers run it in an executor),
``call_async`` hands the call to a thread and awaits it. Requests and responses are the
generated protobuf messages; the core sees serialized bytes.

Implementation: ``CoreTransport`` over ``durable._core``, whose C++ holds either the
embedded engines of a data directory or the gRPC client of durable-server (retries,
deadlines and reconnects live there).

Thread-safe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import threading
from collections.abc import Mapping
from typing import Any, TypeVar

from google.protobuf.message import Message

from durable import _rpc_options
from durable.v1 import batch_pb2, schedule_pb2, service_pb2

M = TypeVar("M", bound=Message)

# rpc name (snake_case, as bound on durable._core.Engine) -> response class.
_RESPONSES: dict[str, type[Message]] = {
    "start_workflow_execution": service_pb2.StartWorkflowExecutionResponse,
    "signal_workflow_execution": service_pb2.SignalWorkflowExecutionResponse,
    "query_workflow": service_pb2.QueryWorkflowResponse,
    "update_workflow_execution": service_pb2.UpdateWorkflowExecutionResponse,
    "poll_workflow_execution_update": service_pb2.UpdateWorkflowExecutionResponse,
    "update_with_start_workflow_execution":
        service_pb2.UpdateWithStartWorkflowExecutionResponse,
    "request_cancel_workflow_execution": service_pb2.RequestCancelWorkflowExecutionResponse,
    "terminate_workflow_execution": service_pb2.TerminateWorkflowExecutionResponse,
    "reset_workflow_execution": service_pb2.ResetWorkflowExecutionResponse,
    "describe_workflow_execution": service_pb2.DescribeWorkflowExecutionResponse,
    "get_workflow_execution_history": service_pb2.GetWorkflowExecutionHistoryResponse,
    "list_workflow_executions": service_pb2.ListWorkflowExecutionsResponse,
    "count_workflow_executions": service_pb2.CountWorkflowExecutionsResponse,
    "add_search_attributes": service_pb2.AddSearchAttributesResponse,
    "list_search_attributes": service_pb2.ListSearchAttributesResponse,
    "create_schedule": schedule_pb2.CreateScheduleResponse,
    "describe_schedule": schedule_pb2.DescribeScheduleResponse,
    "update_schedule": schedule_pb2.UpdateScheduleResponse,
    "patch_schedule": schedule_pb2.PatchScheduleResponse,
    "delete_schedule": schedule_pb2.DeleteScheduleResponse,
    "list_schedules": schedule_pb2.ListSchedulesResponse,
    "start_batch_operation": batch_pb2.StartBatchOperationResponse,
    "describe_batch_operation": batch_pb2.DescribeBatchOperationResponse,
    "list_batch_operations": batch_pb2.ListBatchOperationsResponse,
    "stop_batch_operation": batch_pb2.StopBatchOperationResponse,
    "poll_workflow_task_queue": service_pb2.PollWorkflowTaskQueueResponse,
    "respond_workflow_task_completed": service_pb2.RespondWorkflowTaskCompletedResponse,
    "respond_workflow_task_failed": service_pb2.RespondWorkflowTaskFailedResponse,
    "respond_query_task_completed": service_pb2.RespondQueryTaskCompletedResponse,
    "poll_activity_task_queue": service_pb2.PollActivityTaskQueueResponse,
    "record_activity_task_heartbeat": service_pb2.RecordActivityTaskHeartbeatResponse,
    "respond_activity_task_completed": service_pb2.RespondActivityTaskCompletedResponse,
    "respond_activity_task_failed": service_pb2.RespondActivityTaskFailedResponse,
    "respond_activity_task_canceled": service_pb2.RespondActivityTaskCanceledResponse,
    "get_activity_task_token": service_pb2.GetActivityTaskTokenResponse,
    "shutdown_worker": service_pb2.ShutdownWorkerResponse,
    "register_namespace": service_pb2.RegisterNamespaceResponse,
    "describe_namespace": service_pb2.DescribeNamespaceResponse,
    "list_namespaces": service_pb2.ListNamespacesResponse,
    "update_namespace": service_pb2.UpdateNamespaceResponse,
}


class Transport:
    """The service API, one method per rpc (see module docstring)."""

    def __init__(self) -> None:
        # Unary calls: short, but they may sync the WAL; a few threads are plenty.
        self._unary = concurrent.futures.ThreadPoolExecutor(
            max_workers=8, thread_name_prefix="durable-rpc")
        # Long polls (history waits) park a thread each; kept apart so they never starve
        # unary calls.
        self._long = concurrent.futures.ThreadPoolExecutor(
            max_workers=64, thread_name_prefix="durable-longpoll")

    def call(self, rpc: str, request: Message, options: _rpc_options.Options | None = None) -> Any:
        """Make one call, blocking this thread.

        Args:
            options: The client call's ``rpc_metadata`` / ``rpc_timeout`` (_rpc_options).

        Raises:
            durable.exceptions.RPCError: The engine refused (subclass says why).
        """
        raise NotImplementedError

    def call_raw(self, rpc: str, request: Message) -> bytes:
        """``call``, returning the response's serialized bytes (for the worker, which hands
        a poll response's history to the replay core as it came)."""
        return bytes(self.call(rpc, request).SerializeToString())

    async def call_async(self, rpc: str, request: Message, *, long_poll: bool = False) -> Any:
        """Make one call from a thread and await it (the loop never blocks), with the
        options of the client call in progress."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._long if long_poll else self._unary,
                                          self.call, rpc, request, _rpc_options.current())

    @property
    def target(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        self._unary.shutdown(wait=False)
        self._long.shutdown(wait=False)


class CoreTransport(Transport):
    """One namespace's service through ``durable._core``: the embedded engine of a data
    directory in this process, or durable-server over gRPC (the C++ remote transport).
    Python never needs to know which."""

    def __init__(self, root: Any, key: str, namespace: str, target: str) -> None:
        super().__init__()
        self._root = root
        self._key = key
        self._namespace = namespace
        self._target = target
        self._engine = root.service(namespace)

    @property
    def engine(self) -> Any:
        """The ``durable._core.Service`` (time skipping on the embedded engine)."""
        return self._engine

    @property
    def root(self) -> Any:
        """The ``durable._core.Root``: namespace administration."""
        return self._root

    @property
    def is_remote(self) -> bool:
        return bool(self._root.is_remote)

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def target(self) -> str:
        return self._target

    def call(self, rpc: str, request: Message, options: _rpc_options.Options | None = None) -> Any:
        response_cls = _RESPONSES[rpc]
        if rpc in _ADMIN_RPCS:
            data = getattr(self._root, rpc)(request.SerializeToString())
        elif options is not None:
            data = getattr(self._engine, rpc)(request.SerializeToString(),
                                              metadata=list(options[0]), timeout_us=options[1])
        else:
            data = getattr(self._engine, rpc)(request.SerializeToString())
        return response_cls.FromString(data)

    def call_raw(self, rpc: str, request: Message) -> bytes:
        return getattr(self._engine, rpc)(request.SerializeToString())

    def close(self) -> None:
        with _open_lock:
            shared = _open_roots.get(self._key)
            if shared is not None:
                shared[1] -= 1
                if shared[1] > 0:
                    super().close()
                    return
                _open_roots.pop(self._key, None)
        super().close()
        self._root.close()


# Kept name for code that imported it: the embedded transport is a CoreTransport.
EmbeddedTransport = CoreTransport

_ADMIN_RPCS = frozenset({"register_namespace", "describe_namespace", "list_namespaces",
                         "update_namespace"})

_open_lock = threading.Lock()
# One Root per data directory / server connection in this process: key -> [root, refs].
_open_roots: dict[str, list[Any]] = {}

_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]+):\d{1,5}$")


def is_server_address(target: str) -> bool:
    """True when ``target`` names a durable-server (``host:port``) rather than a directory."""
    return bool(_HOST_PORT.match(target)) and not os.path.exists(target)


def open_transport(target: str, *, namespace: str = "default", sync_writes: bool = True,
                   virtual_clock: bool = False, limits: Any = None, tls: Any = None,
                   api_key: str | None = None,
                   rpc_metadata: Mapping[str, str] | None = None,
                   connect_timeout: float | None = None,
                   accept_data_loss: bool = False) -> Transport:
    """Open the transport named by ``target`` (blocking: call it from a thread).

    ``path`` or ``embedded:path`` opens (or shares, within this process) the embedded engines
    of that data directory; ``host:port`` connects to durable-server over gRPC.

    Raises:
        ValueError: ``target`` is empty or not a string, or TLS options are unusable.
        durable.exceptions.UnavailableError: The directory is locked by another process, or
            the server does not answer.
        durable.exceptions.DataLossError: The directory's write-ahead log is corrupt and
            ``accept_data_loss`` is False.
        durable.exceptions.NotFoundError: ``namespace`` is not registered.
    """
    if not isinstance(target, str) or not target.strip():
        raise ValueError(f"target must be a directory path, 'embedded:<path>' or 'host:port', "
                         f"got {target!r}")
    if not isinstance(namespace, str) or not namespace:
        raise ValueError(f"namespace must be a non-empty string, got {namespace!r}")
    from durable import _core

    if target.startswith("embedded:") or not is_server_address(target):
        if tls or api_key:
            raise ValueError("tls and api_key apply to a durable-server address (host:port), "
                             f"not to the embedded engine ({target!r})")
        core_limits = _core.EngineLimits()
        for name, value in (vars(limits) if limits is not None else {}).items():
            if value is not None:
                setattr(core_limits, name, value)
        directory = target[len("embedded:"):] if target.startswith("embedded:") else target
        if not directory:
            raise ValueError("'embedded:' needs a directory, e.g. 'embedded:/var/lib/durable'")
        directory = os.path.abspath(os.path.expanduser(directory))
        # Keyed by the real path: a symlink shares the open engines (the core refuses a
        # second open of one directory, whatever path names it).
        key, label = "dir:" + os.path.realpath(directory), f"embedded:{directory}"

        def opener() -> Any:
            os.makedirs(directory, exist_ok=True)
            return _core.open_data_dir(directory, sync_writes=sync_writes,
                                       virtual_clock=virtual_clock,
                                       accept_data_loss=accept_data_loss, limits=core_limits)
    else:
        if accept_data_loss:
            raise ValueError(f"accept_data_loss applies to an embedded directory, not to a "
                             f"durable-server ({target!r}), which takes --accept-data-loss")
        if limits is not None:
            raise ValueError("limits apply to the embedded engine; a durable-server takes them "
                             f"as flags (--max-history-events, ...), not from {target!r}")
        tls_args = _tls_args(tls)
        metadata = sorted((str(k).lower(), str(v)) for k, v in (rpc_metadata or {}).items())
        key = "grpc:" + repr((target, tls_args, api_key, metadata))
        label = target

        def opener() -> Any:
            return _core.connect_remote(
                target, api_key=api_key or "", metadata=metadata,
                connect_timeout_us=-1 if connect_timeout is None else int(connect_timeout * 1e6),
                **tls_args)
    with _open_lock:
        shared = _open_roots.get(key)
        if shared is None:
            shared = [opener(), 0]
            _open_roots[key] = shared
        shared[1] += 1
        root = shared[0]
    try:
        transport = CoreTransport(root, key, namespace, label)
        if namespace != "default":
            # Fail at connect, as temporalio does, when the namespace does not exist.
            transport.call("describe_namespace",
                           service_pb2.DescribeNamespaceRequest(name=namespace))
        return transport
    except BaseException:
        with _open_lock:
            shared[1] -= 1
            if shared[1] == 0:
                _open_roots.pop(key, None)
                root.close()
        raise


def _tls_args(tls: Any) -> dict[str, Any]:
    """``tls=`` of Client.connect: False/None, True (system roots) or a TLSConfig."""
    if not tls:
        return {}
    if tls is True:
        return {"tls": True}

    def text(value: Any, name: str) -> str:
        if value is None:
            return ""
        if isinstance(value, bytes):
            return value.decode()
        if isinstance(value, str):
            return value
        raise ValueError(f"TLSConfig.{name} must be bytes (PEM), got {type(value).__name__}")

    return {
        "tls": True,
        "server_root_ca_cert": text(getattr(tls, "server_root_ca_cert", None),
                                    "server_root_ca_cert"),
        "client_cert": text(getattr(tls, "client_cert", None), "client_cert"),
        "client_private_key": text(getattr(tls, "client_private_key", None),
                                   "client_private_key"),
        "domain": getattr(tls, "domain", None) or "",
    }
