"""``client.workflow_service``: raw service calls shaped like temporalio's
``client.workflow_service.<rpc>(Request)``, for what the high-level client does not wrap.

Only ``reset_workflow_execution`` so far. Requests and responses are durable's protobuf
messages (``durable.api.workflowservice.v1``), whose fields follow Temporal's.
"""

from __future__ import annotations

from durable import _transport
from durable.v1 import service_pb2


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
