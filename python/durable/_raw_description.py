"""``WorkflowExecutionDescription.raw_description``: durable's describe response read
with Temporal's field names (``DescribeWorkflowExecutionResponse`` of temporalio).

A read-only view over ``durable.v1.DescribeWorkflowExecutionResponse`` (``.raw``): what
durable has is exposed under Temporal's names — ``workflow_execution_info`` (``execution``,
``type.name``, ``status``, ``start_time`` ...), ``pending_activities[i]`` (``activity_type.name``,
``state`` as Temporal's enum number, ``attempt``, ``last_failure``, ``heartbeat_details``,
times as ``google.protobuf.Timestamp``), ``pending_children[i]`` (``workflow_type_name``,
``initiated_id``). Any other attribute is durable's own field of the wrapped message, so
durable code and ``json_format.MessageToDict`` keep working on it.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

_STATES = {"scheduled": 1, "started": 2, "cancel_requested": 3}  # PendingActivityState


def _ts(us: int) -> Timestamp:
    t = Timestamp()
    t.FromMicroseconds(us)
    return t


class _TypeName(str):
    """A type name that also reads as Temporal's ``WorkflowType`` / ``ActivityType``."""

    @property
    def name(self) -> str:
        return str(self)


class _View:
    """Forwards what it does not define to the wrapped message."""

    def __init__(self, message: Any) -> None:
        self._m = message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._m, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._m!r})"


class _PendingActivity(_View):
    @property
    def activity_type(self) -> _TypeName:
        return _TypeName(self._m.activity_type)

    @property
    def state(self) -> int:
        return _STATES.get(self._m.state, 0)

    @property
    def last_heartbeat_time(self) -> Timestamp:
        return _ts(self._m.last_heartbeat_time_us)

    @property
    def last_started_time(self) -> Timestamp:
        return _ts(self._m.last_started_time_us)

    @property
    def scheduled_time(self) -> Timestamp:
        return _ts(self._m.scheduled_time_us)

    @property
    def expiration_time(self) -> Timestamp:
        return _ts(self._m.expiration_time_us)


class _PendingChild(_View):
    @property
    def workflow_type_name(self) -> str:
        return str(self._m.workflow_type)

    @property
    def initiated_id(self) -> int:
        return int(self._m.initiated_event_id)


class _Memo:
    def __init__(self, fields: Any) -> None:
        self.fields = fields


class _ExecutionInfo(_View):
    @property
    def type(self) -> _TypeName:
        return _TypeName(self._m.workflow_type)

    @property
    def start_time(self) -> Timestamp:
        return _ts(self._m.start_time_us)

    @property
    def close_time(self) -> Timestamp:
        return _ts(self._m.close_time_us)

    @property
    def execution_time(self) -> Timestamp:
        return _ts(self._m.execution_time_us)

    @property
    def parent_execution(self) -> Any:
        from durable.v1 import common_pb2

        p = self._m.parent
        return common_pb2.WorkflowExecution(workflow_id=p.workflow_id, run_id=p.run_id)

    @property
    def memo(self) -> _Memo:
        return _Memo(self._m.memo)


class RawDescription(_View):
    """The describe response with Temporal's field names (see the module docstring)."""

    @property
    def workflow_execution_info(self) -> _ExecutionInfo:
        return _ExecutionInfo(self._m.info)

    @property
    def pending_activities(self) -> list[_PendingActivity]:
        return [_PendingActivity(a) for a in self._m.pending_activities]

    @property
    def pending_children(self) -> list[_PendingChild]:
        return [_PendingChild(c) for c in self._m.pending_children]
