"""TypedDicts of workflow call options (temporalio's ``workflow.ActivityConfig`` & co).

Build the options once and pass them with ``**``::

    config = workflow.ActivityConfig(start_to_close_timeout=timedelta(seconds=5))
    await workflow.execute_activity(greet, "x", **config)

Each holds the keywords durable's function takes (temporalio's ``priority``,
``versioning_*``, ``event_groups``, ... are not among them: docs/temporal-compatibility.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from durable.common import RetryPolicy, WorkflowIdReusePolicy
    from durable.workflow import (ActivityCancellationType, ChildWorkflowCancellationType,
                                  ParentClosePolicy)


class ActivityConfig(TypedDict, total=False):
    """Options of ``start_activity`` / ``execute_activity``."""

    task_queue: str | None
    schedule_to_close_timeout: timedelta | None
    schedule_to_start_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    cancellation_type: ActivityCancellationType
    activity_id: str | None
    summary: str | None


class LocalActivityConfig(TypedDict, total=False):
    """Options of ``start_local_activity`` / ``execute_local_activity``."""

    schedule_to_close_timeout: timedelta | None
    start_to_close_timeout: timedelta | None
    retry_policy: RetryPolicy | None
    activity_id: str | None
    summary: str | None


class ChildWorkflowConfig(TypedDict, total=False):
    """Options of ``start_child_workflow`` / ``execute_child_workflow``."""

    id: str | None
    task_queue: str | None
    cancellation_type: ChildWorkflowCancellationType
    parent_close_policy: ParentClosePolicy
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIdReusePolicy
    retry_policy: RetryPolicy | None
    memo: Mapping[str, Any] | None
