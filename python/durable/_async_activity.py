"""Completing an activity from outside its worker (async completion).

An activity calls ``activity.raise_complete_async()``; later anything holding a client
(another process, a webhook handler...) completes, fails, heartbeats or reports the
cancellation of that attempt through :class:`AsyncActivityHandle`, addressed by the task
token (``activity.info().task_token``) or by workflow id, run id and activity id. Re-exported
by ``durable.client`` (mirrors ``temporalio.client.AsyncActivityHandle``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from durable import _rpc_options
from durable.exceptions import DurableError
from durable.v1 import common_pb2, service_pb2

__all__ = ["AsyncActivityCancelledError", "AsyncActivityHandle", "AsyncActivityIDReference"]


@dataclass(frozen=True)
class AsyncActivityIDReference:
    """An activity attempt named by its ids (as temporalio's): what the client's
    interceptors see as ``id_or_token`` when the handle was made from ids."""

    workflow_id: str | None
    run_id: str | None
    activity_id: str


class AsyncActivityCancelledError(DurableError):
    """:meth:`AsyncActivityHandle.heartbeat` learned that cancellation was requested."""

    def __init__(self) -> None:
        super().__init__("cancellation of the activity was requested")


class AsyncActivityHandle:
    """Completes one activity attempt from outside the worker.

    Get one with ``Client.get_async_activity_handle``. Every method raises
    ``durable.exceptions.NotFoundError`` when the attempt is no longer pending (completed,
    timed out and retried, or its workflow closed).
    """

    def __init__(self, client: Any, *, task_token: bytes | None = None,
                 workflow_id: str | None = None, run_id: str | None = None,
                 activity_id: str | None = None) -> None:
        if task_token is not None:
            if not isinstance(task_token, (bytes, bytearray)) or not task_token:
                raise ValueError(f"task_token must be non-empty bytes, got {task_token!r}")
            if workflow_id is not None or run_id is not None or activity_id is not None:
                raise ValueError("pass either task_token or workflow_id/run_id/activity_id, "
                                 "not both")
        else:
            for label, value in (("workflow_id", workflow_id), ("activity_id", activity_id)):
                if not isinstance(value, str) or not value:
                    raise ValueError(f"an async activity handle needs task_token, or "
                                     f"workflow_id and activity_id: {label} is {value!r}")
            if run_id is not None and not isinstance(run_id, str):
                raise ValueError(f"run_id must be a string or None, got {run_id!r}")
        self._client = client
        self._token = bytes(task_token) if task_token is not None else None
        self._by_id = service_pb2.ActivityTaskByIdRequest(
            workflow_id=workflow_id or "", run_id=run_id or "", activity_id=activity_id or "")
        self._data_converter_override: Any = None  # set by with_context

    def with_context(self, context: Any) -> AsyncActivityHandle:
        """This handle, converting with ``client.data_converter.with_context(context)``.

        The worker converts an activity's payloads in its
        ``durable.converter.ActivitySerializationContext``; a handle completing it from
        outside passes the same context so that a context-aware converter or codec (one
        keyed by workflow or activity id) produces payloads the workflow can read.

        Args:
            context: A ``durable.converter.SerializationContext``.

        Returns:
            ``self`` when the client's data converter does not change with the context, else
            a new handle for the same attempt.
        """
        dc = self._client.data_converter
        with_ctx = dc.with_context(context) if hasattr(dc, "with_context") else dc
        if with_ctx is dc:
            return self
        clone = copy.copy(self)
        clone._data_converter_override = with_ctx
        return clone

    def _dc(self) -> Any:
        return self._data_converter_override or self._client.data_converter

    @property
    def task_token(self) -> bytes | None:
        """The task token this handle was made with, if any."""
        return self._token

    def _id_or_token(self) -> bytes | AsyncActivityIDReference:
        if self._token is not None:
            return self._token
        return AsyncActivityIDReference(workflow_id=self._by_id.workflow_id or None,
                                        run_id=self._by_id.run_id or None,
                                        activity_id=self._by_id.activity_id)

    async def _resolve_token(self) -> bytes:
        if self._token is not None:
            return self._token
        resp = await self._client.transport.call_async(
            "get_activity_task_token",
            service_pb2.GetActivityTaskTokenRequest(activity=self._by_id))
        return bytes(resp.task_token)

    async def complete(self, result: Any = None, *,
                       rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006
                       rpc_timeout: timedelta | None = None) -> None:
        """Complete the activity with ``result`` (``rpc_metadata`` / ``rpc_timeout``: as
        on every client call, ignored by the embedded engine).

        Raises:
            durable.exceptions.NotFoundError: The attempt is no longer pending.
            durable.exceptions.PayloadConversionError: ``result`` cannot be converted.
        """
        from durable._client_interceptor import CompleteAsyncActivityInput

        _rpc_options._check(rpc_metadata, rpc_timeout)
        await self._client._outbound.complete_async_activity(CompleteAsyncActivityInput(
            id_or_token=self._id_or_token(), result=result, rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
            data_converter_override=self._data_converter_override))

    async def _complete(self, result: Any) -> None:
        payloads = await self._dc().encode([result])
        await self._client.transport.call_async(
            "respond_activity_task_completed",
            service_pb2.RespondActivityTaskCompletedRequest(
                task_token=await self._resolve_token(),
                result=common_pb2.Payloads(payloads=payloads),
                identity=self._client.identity))

    async def fail(self, error: BaseException, *,
                   last_heartbeat_details: Sequence[Any] = (),
                   rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006
                   rpc_timeout: timedelta | None = None) -> None:
        """Fail this attempt with ``error``; the engine retries per the retry policy.

        Args:
            error: The failure (an ``ApplicationError`` to set its type, non-retryability
                or next retry delay).
            last_heartbeat_details: Details handed to the next attempt.

        Raises:
            TypeError: ``error`` is not an exception.
            durable.exceptions.NotFoundError: The attempt is no longer pending.
        """
        if not isinstance(error, BaseException):
            raise TypeError(f"fail() needs an exception, got {error!r}")
        from durable._client_interceptor import FailAsyncActivityInput

        _rpc_options._check(rpc_metadata, rpc_timeout)
        await self._client._outbound.fail_async_activity(FailAsyncActivityInput(
            id_or_token=self._id_or_token(), error=error,
            last_heartbeat_details=list(last_heartbeat_details), rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
            data_converter_override=self._data_converter_override))

    async def _fail(self, error: BaseException, last_heartbeat_details: Sequence[Any]) -> None:
        dc = self._dc()
        req = service_pb2.RespondActivityTaskFailedRequest(
            task_token=await self._resolve_token(), failure=await dc.encode_failure(error),
            identity=self._client.identity)
        if last_heartbeat_details:
            req.last_heartbeat_details.payloads.extend(
                await dc.encode(list(last_heartbeat_details)))
        await self._client.transport.call_async("respond_activity_task_failed", req)

    async def heartbeat(self, *details: Any,
                        rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006
                        rpc_timeout: timedelta | None = None) -> None:
        """Record a heartbeat (not throttled: every call is one request).

        Raises:
            AsyncActivityCancelledError: Cancellation of the activity was requested; answer
                with :meth:`report_cancellation`.
            durable.exceptions.NotFoundError: The attempt is no longer pending.
        """
        from durable._client_interceptor import HeartbeatAsyncActivityInput

        _rpc_options._check(rpc_metadata, rpc_timeout)
        await self._client._outbound.heartbeat_async_activity(HeartbeatAsyncActivityInput(
            id_or_token=self._id_or_token(), details=list(details), rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
            data_converter_override=self._data_converter_override))

    async def _heartbeat(self, details: Sequence[Any]) -> None:
        payloads = await self._dc().encode(list(details))
        resp = await self._client.transport.call_async(
            "record_activity_task_heartbeat",
            service_pb2.RecordActivityTaskHeartbeatRequest(
                task_token=await self._resolve_token(),
                details=common_pb2.Payloads(payloads=payloads),
                identity=self._client.identity))
        if resp.cancel_requested:
            raise AsyncActivityCancelledError()

    async def report_cancellation(self, *details: Any,
                                  rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006
                                  rpc_timeout: timedelta | None = None) -> None:
        """Report that the activity stopped after its cancellation was requested.

        Raises:
            durable.exceptions.NotFoundError: The attempt is no longer pending.
        """
        from durable._client_interceptor import ReportCancellationAsyncActivityInput

        _rpc_options._check(rpc_metadata, rpc_timeout)
        await self._client._outbound.report_cancellation_async_activity(
            ReportCancellationAsyncActivityInput(
                id_or_token=self._id_or_token(), details=list(details),
                rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout,
            data_converter_override=self._data_converter_override))

    async def _report_cancellation(self, details: Sequence[Any]) -> None:
        payloads = await self._dc().encode(list(details))
        await self._client.transport.call_async(
            "respond_activity_task_canceled",
            service_pb2.RespondActivityTaskCanceledRequest(
                task_token=await self._resolve_token(),
                details=common_pb2.Payloads(payloads=payloads),
                identity=self._client.identity))
