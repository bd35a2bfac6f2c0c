"""``temporalio.api.common.v1``: the messages durable shares with it (same fields)."""

from durable.v1.common_pb2 import Payload, Payloads, WorkflowExecution

__all__ = ["Payload", "Payloads", "WorkflowExecution"]
