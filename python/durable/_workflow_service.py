"""``client.workflow_service``: raw service calls shaped like temporalio's
``client.workflow_service.<rpc>(Request)``, for what the high-level client does not wrap:
``reset_workflow_execution`` (docs/reset.md) and the batch operations
(``start_batch_operation``, ``describe_batch_operation``, ``list_batch_operations``,
``stop_batch_operation``; docs/batch.md). Requests and responses are durable's protobuf
messages (also under ``durable.api.workflowservice.v1``), whose fields follow Temporal's.

Thread-safe.
"""

from __future__ import annotations

from durable import _transport
from durable.v1 import batch_pb2, service_pb2


class WorkflowService:
    """The raw workflow service of one client (its transport and namespace)."""

    def __init__(self, transport: _transport.Transport, namespace: str) -> None:
        self._transport = transport
        self._namespace = namespace

    async def reset_workflow_execution(
        self, req: service_pb2.ResetWorkflowExecutionRequest,
    ) -> service_pb2.ResetWorkflowExecutionResponse:
        """A new run of the workflow from the end of an earlier workflow task (docs/reset.md);
        the current run, if open, is terminated naming the new run. Returns the new run id in
        ``run_id``.

        Raises:
            ValueError: ``req.namespace`` is not this client's namespace.
            durable.exceptions.NotFoundError: Unknown workflow, run or event.
            durable.exceptions.InvalidArgumentError: The event does not end a workflow task.
            durable.exceptions.FailedPreconditionError: A child workflow or external
                signal/cancel is pending at the reset point, or the run is a child.
        """
        if req.namespace and req.namespace != self._namespace:
            raise ValueError(f"ResetWorkflowExecutionRequest.namespace is {req.namespace!r} but "
                             f"this client is connected to namespace {self._namespace!r}")
        return await self._transport.call_async("reset_workflow_execution", req)

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
