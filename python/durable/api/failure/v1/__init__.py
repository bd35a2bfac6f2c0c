"""``temporalio.api.failure.v1``: durable's failure messages (Temporal's field names for
what durable records; no ``encoded_attributes``, no reset/Nexus infos)."""

from durable.v1.common_pb2 import (
    ActivityFailureInfo,
    ApplicationFailureInfo,
    CanceledFailureInfo,
    Failure,
    ServerFailureInfo,
    TerminatedFailureInfo,
    TimeoutFailureInfo,
)
from durable.v1.common_pb2 import ChildWorkflowFailureInfo as ChildWorkflowExecutionFailureInfo

__all__ = [
    "ActivityFailureInfo",
    "ApplicationFailureInfo",
    "CanceledFailureInfo",
    "ChildWorkflowExecutionFailureInfo",
    "Failure",
    "ServerFailureInfo",
    "TerminatedFailureInfo",
    "TimeoutFailureInfo",
]
