"""``temporalio.api.enums.v1``: the enums durable shares with Temporal (same value names
and numbers), with their values as module constants (``TIMEOUT_TYPE_HEARTBEAT``, ...)."""

from typing import Any

from durable.v1 import common_pb2, schedule_pb2, service_pb2
from durable.v1.common_pb2 import (
    IndexedValueType,
    ParentClosePolicy,
    RetryState,
    TimeoutType,
    WorkflowExecutionStatus,
    WorkflowIdConflictPolicy,
    WorkflowIdReusePolicy,
)
from durable.v1.schedule_pb2 import ScheduleOverlapPolicy
from durable.v1.service_pb2 import ResetReapplyType

_ENUMS = [IndexedValueType, ParentClosePolicy, ResetReapplyType, RetryState,
          ScheduleOverlapPolicy, TimeoutType,
          WorkflowExecutionStatus, WorkflowIdConflictPolicy, WorkflowIdReusePolicy]
_module: dict[str, Any] = globals()
for _enum in _ENUMS:
    for _name, _number in _enum.items():
        _module[_name] = _number

__all__ = [e.DESCRIPTOR.name for e in _ENUMS] + [
    name for e in _ENUMS for name in e.keys()]
del common_pb2, schedule_pb2, service_pb2
