"""How the SDK reaches the service API (proto/durable/v1/service.proto).

``Transport`` is the one interface the client and the worker use: ``call(rpc, request)``
blocks the calling thread (never the asyncio loop: callers run it in an executor),
``call_async`` hands the call to a thread and awaits it. Requests and responses are the
generated protobuf messages; the core sees serialized bytes.

Implementations: ``EmbeddedTransport`` (the engine in this process, via ``durable._core``).
The gRPC transport ships with durable-server.

Thread-safe.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import threading
from typing import Any, TypeVar

from google.protobuf.message import Message

from durable.v1 import schedule_pb2, service_pb2

M = TypeVar("M", bound=Message)

# rpc name (snake_case, as bound on durable._core.Engine) -> response class.
_RESPONSES: dict[str, type[Message]] = {
    "start_workflow_execution": service_pb2.StartWorkflowExecutionResponse,
    "signal_workflow_execution": service_pb2.SignalWorkflowExecutionResponse,
    "query_workflow": service_pb2.QueryWorkflowResponse,
    "update_workflow_execution": service_pb2.UpdateWorkflowExecutionResponse,
    "poll_workflow_execution_update": service_pb2.UpdateWorkflowExecutionResponse,
    "request_cancel_workflow_execution": service_pb2.RequestCancelWorkflowExecutionResponse,
    "terminate_workflow_execution": service_pb2.TerminateWorkflowExecutionResponse,
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

    def call(self, rpc: str, request: Message) -> Any:
        """Make one call, blocking this thread.

        Raises:
            durable.exceptions.RPCError: The engine refused (subclass says why).
        """
        raise NotImplementedError

    async def call_async(self, rpc: str, request: Message, *, long_poll: bool = False) -> Any:
        """Make one call from a thread and await it (the loop never blocks)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._long if long_poll else self._unary,
                                          self.call, rpc, request)

    @property
    def target(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        self._unary.shutdown(wait=False)
        self._long.shutdown(wait=False)


class EmbeddedTransport(Transport):
    """The engine in this process, opened on a directory (RocksDB: one process per dir)."""

    def __init__(self, engine: Any, directory: str) -> None:
        super().__init__()
        self._engine = engine
        self._directory = directory
        self._refs = 1

    @property
    def engine(self) -> Any:
        """The ``durable._core.Engine`` (time skipping etc.)."""
        return self._engine

    @property
    def target(self) -> str:
        return f"embedded:{self._directory}"

    def call(self, rpc: str, request: Message) -> Any:
        response_cls = _RESPONSES[rpc]
        data = getattr(self._engine, rpc)(request.SerializeToString())
        return response_cls.FromString(data)

    def close(self) -> None:
        with _open_lock:
            self._refs -= 1
            if self._refs > 0:
                return
            _open_engines.pop(self._directory, None)
        super().close()
        self._engine.close()


_open_lock = threading.Lock()
_open_engines: dict[str, EmbeddedTransport] = {}

_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]+):\d{1,5}$")


def open_transport(target: str, *, sync_writes: bool = True,
                   virtual_clock: bool = False) -> Transport:
    """Open the transport named by ``target`` (blocking: call it from a thread).

    ``path`` or ``embedded:path`` opens (or shares, within this process) the embedded engine
    on that directory; ``host:port`` is a durable-server (not available in this build).

    Raises:
        ValueError: ``target`` is empty or not a string.
        NotImplementedError: ``target`` is a ``host:port`` address.
        durable.exceptions.UnavailableError: The directory is locked by another process.
    """
    if not isinstance(target, str) or not target.strip():
        raise ValueError(f"target must be a directory path, 'embedded:<path>' or 'host:port', "
                         f"got {target!r}")
    if target.startswith("embedded:"):
        directory = target[len("embedded:"):]
        if not directory:
            raise ValueError("'embedded:' needs a directory, e.g. 'embedded:/var/lib/durable'")
    elif _HOST_PORT.match(target) and not os.path.exists(target):
        raise NotImplementedError(
            f"cannot connect to {target!r}: the gRPC transport ships with durable-server and "
            "is not part of this build; to run the engine in this process pass a directory "
            "path or 'embedded:<path>'")
    else:
        directory = target
    directory = os.path.abspath(os.path.expanduser(directory))
    with _open_lock:
        existing = _open_engines.get(directory)
        if existing is not None:
            existing._refs += 1
            return existing
        from durable import _core

        os.makedirs(directory, exist_ok=True)
        engine = _core.open_engine(directory, sync_writes=sync_writes,
                                   virtual_clock=virtual_clock)
        transport = EmbeddedTransport(engine, directory)
        _open_engines[directory] = transport
        return transport
