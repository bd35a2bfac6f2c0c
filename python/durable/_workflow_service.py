"""``client.workflow_service``: raw service calls taking and returning the protobuf messages
of ``durable.v1`` (as temporalio's ``client.workflow_service.<rpc>(request)``), for the calls
temporalio offers only that way: batch operations (docs/batch.md).

Thread-safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from durable.v1 import batch_pb2

if TYPE_CHECKING:
    from durable._transport import Transport


class WorkflowService:
    """Raw calls on one client's namespace. An empty ``namespace`` in a request means the
    client's; another one is refused (connect a client to that namespace instead)."""

    def __init__(self, transport: Transport, namespace: str) -> None:
        self._transport = transport
        self._namespace = namespace

    def _check(self, req: object, cls: type) -> None:
        if not isinstance(req, cls):
            raise TypeError(f"expected durable.v1.batch_pb2.{cls.__name__}, got {type(req).__name__}")
        ns = getattr(req, "namespace")
        if ns and ns != self._namespace:
            raise ValueError(f"request namespace {ns!r} is not this client's ({self._namespace!r})")

    async def start_batch_operation(
            self, req: batch_pb2.StartBatchOperationRequest) -> batch_pb2.StartBatchOperationResponse:
        """Start a batch: terminate, cancel or signal every execution matching
        ``req.visibility_query``, at most ``req.max_operations_per_second`` (0 = 50).

        Raises:
            durable.exceptions.InvalidArgumentError: No job id, reason or operation, a
                malformed query or a negative rate.
            durable.exceptions.AlreadyExistsError: The job id is in use.
        """
        self._check(req, batch_pb2.StartBatchOperationRequest)
        return await self._transport.call_async("start_batch_operation", req)

    async def describe_batch_operation(
            self, req: batch_pb2.DescribeBatchOperationRequest
    ) -> batch_pb2.DescribeBatchOperationResponse:
        """State and progress of a batch.

        Raises:
            durable.exceptions.NotFoundError: Unknown job id.
        """
        self._check(req, batch_pb2.DescribeBatchOperationRequest)
        return await self._transport.call_async("describe_batch_operation", req)

    async def list_batch_operations(
            self, req: batch_pb2.ListBatchOperationsRequest) -> batch_pb2.ListBatchOperationsResponse:
        """The namespace's batches by job id, a page at a time (``next_page_token``)."""
        self._check(req, batch_pb2.ListBatchOperationsRequest)
        return await self._transport.call_async("list_batch_operations", req)

    async def stop_batch_operation(
            self, req: batch_pb2.StopBatchOperationRequest) -> batch_pb2.StopBatchOperationResponse:
        """Stop a running batch (state FAILED); what it did stays done.

        Raises:
            durable.exceptions.NotFoundError: Unknown job id.
        """
        self._check(req, batch_pb2.StopBatchOperationRequest)
        return await self._transport.call_async("stop_batch_operation", req)
