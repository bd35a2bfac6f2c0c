"""What ``WorkflowHandle.describe()`` returns (re-exported by ``durable.client``).

Mirrors ``temporalio.client.WorkflowExecutionDescription``: the run's status, type, queue,
times and history length, its pending activities and children decoded, and the raw
``durable.v1.DescribeWorkflowExecutionResponse``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from durable._raw_description import RawDescription
from durable.v1 import service_pb2

__all__ = [
    "PendingActivityInfo",
    "PendingActivityState",
    "PendingChildWorkflowInfo",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
]


class WorkflowExecutionStatus(IntEnum):
    """Status of a workflow run; values match ``durable.v1.WorkflowExecutionStatus``."""

    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    CONTINUED_AS_NEW = 6
    TIMED_OUT = 7


class PendingActivityState(IntEnum):
    """Where a pending activity is (values as Temporal's ``PendingActivityState``)."""

    SCHEDULED = 1
    """Waiting for a worker (first attempt, or a retry after its backoff)."""
    STARTED = 2
    """A worker runs it."""
    CANCEL_REQUESTED = 3
    """The workflow asked for its cancellation; the activity has not acknowledged yet."""


_STATES = {"scheduled": PendingActivityState.SCHEDULED,
           "started": PendingActivityState.STARTED,
           "cancel_requested": PendingActivityState.CANCEL_REQUESTED}


@dataclass(frozen=True)
class PendingActivityInfo:
    """An activity of the run that has not closed yet."""

    activity_id: str
    activity_type: str
    state: PendingActivityState | None
    attempt: int
    maximum_attempts: int  # 0 = unlimited
    heartbeat_details: Sequence[Any]  # decoded with the client's data converter
    last_heartbeat_time: datetime | None
    last_started_time: datetime | None
    scheduled_time: datetime | None
    expiration_time: datetime | None
    last_failure: BaseException | None  # of the previous attempt, decoded
    last_worker_identity: str


@dataclass(frozen=True)
class PendingChildWorkflowInfo:
    """A child of the run that has not closed yet."""

    workflow_id: str
    run_id: str
    workflow_type: str
    initiated_event_id: int
    parent_close_policy: Any  # durable.workflow.ParentClosePolicy


@dataclass(frozen=True)
class WorkflowExecutionDescription:
    """What :meth:`durable.client.WorkflowHandle.describe` returns."""

    id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus | None
    start_time: datetime
    close_time: datetime | None
    execution_time: datetime | None
    history_length: int
    parent_id: str | None
    parent_run_id: str | None
    raw_description: RawDescription  # Temporal's field names over the response (``raw``)
    pending_activities: Sequence[PendingActivityInfo] = ()
    pending_children: Sequence[PendingChildWorkflowInfo] = ()
    typed_search_attributes: Any = None  # TypedSearchAttributes (current values)
    root_id: str | None = None  # the root of its parent chain (itself for a root workflow)
    root_run_id: str | None = None

    @property
    def raw(self) -> service_pb2.DescribeWorkflowExecutionResponse:
        """The response as received (``raw_description`` reads it with Temporal's names)."""
        return self.raw_description._m  # type: ignore[no-any-return]

    @staticmethod
    async def _from_proto(resp: service_pb2.DescribeWorkflowExecutionResponse,
                          data_converter: Any = None) -> WorkflowExecutionDescription:
        """Build from the response; with a data converter, decode pending activities' details
        and failures (else they stay empty / None)."""
        from durable._search_attributes import TypedSearchAttributes
        from durable.common import us_to_datetime
        from durable.workflow import ParentClosePolicy

        def when(us: int) -> datetime | None:
            return us_to_datetime(us) if us else None

        activities = []
        for p in resp.pending_activities:
            details: list[Any] = []
            failure: BaseException | None = None
            if data_converter is not None:
                if p.heartbeat_details.payloads:
                    details = await data_converter.decode(list(p.heartbeat_details.payloads))
                if p.HasField("last_failure"):
                    failure = await data_converter.decode_failure(p.last_failure)
            activities.append(PendingActivityInfo(
                activity_id=p.activity_id, activity_type=p.activity_type,
                state=_STATES.get(p.state), attempt=p.attempt,
                maximum_attempts=p.maximum_attempts, heartbeat_details=details,
                last_heartbeat_time=when(p.last_heartbeat_time_us),
                last_started_time=when(p.last_started_time_us),
                scheduled_time=when(p.scheduled_time_us),
                expiration_time=when(p.expiration_time_us), last_failure=failure,
                last_worker_identity=p.last_worker_identity))
        children = [PendingChildWorkflowInfo(
            workflow_id=c.workflow_id, run_id=c.run_id, workflow_type=c.workflow_type,
            initiated_event_id=c.initiated_event_id,
            parent_close_policy=ParentClosePolicy(c.parent_close_policy))
            for c in resp.pending_children]
        i = resp.info
        return WorkflowExecutionDescription(
            id=i.execution.workflow_id,
            run_id=i.execution.run_id,
            workflow_type=i.workflow_type,
            task_queue=i.task_queue,
            status=WorkflowExecutionStatus(i.status) if i.status else None,
            start_time=us_to_datetime(i.start_time_us),
            close_time=when(i.close_time_us),
            execution_time=when(i.execution_time_us),
            history_length=i.history_length,
            parent_id=i.parent.workflow_id or None,
            parent_run_id=i.parent.run_id or None,
            raw_description=RawDescription(resp),
            pending_activities=activities,
            pending_children=children,
            typed_search_attributes=TypedSearchAttributes._from_proto(i.search_attributes),
            root_id=i.root_execution.workflow_id or None,
            root_run_id=i.root_execution.run_id or None,
        )
