"""``temporalio.api.workflowservice.v1``: the requests and responses of the raw calls of
``client.workflow_service`` that durable has (same field names as Temporal's)."""

from durable.v1.service_pb2 import ResetWorkflowExecutionRequest, ResetWorkflowExecutionResponse

__all__ = ["ResetWorkflowExecutionRequest", "ResetWorkflowExecutionResponse"]
