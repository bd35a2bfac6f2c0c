"""Reset as operators ask for it (docs/reset.md): a reset type or an event id, a reason, and
whether to re-apply later signals — turned into one ``ResetWorkflowExecution``. Shared by
``durable workflow reset`` and the HTTP API's ``POST .../reset``; each parses its own input.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from durable.cli._exit import UsageError

RESET_TYPES = ("FirstWorkflowTask", "LastWorkflowTask", "LastContinuedAsNew")
REAPPLY_TYPES = ("Signal", "None")


@dataclass(frozen=True)
class ResetDone:
    """The new run and the event its history was cut at."""

    run_id: str
    event_id: int


def task_ends(events: Any) -> list[int]:
    """Ids of the events that end a started workflow task (the valid reset points)."""
    return [e.event_id for prev, e in zip(events, events[1:])
            if prev.HasField("workflow_task_started")
            and e.WhichOneof("attributes") in ("workflow_task_completed", "workflow_task_failed",
                                               "workflow_task_timed_out")]


async def reset_point(client: Any, workflow_id: str, run_id: str | None,
                      event_id: int | None, reset_type: str | None) -> tuple[str, int]:
    """The run to reset ("" = current) and the event id: ``event_id`` as given, else the
    point ``reset_type`` (one of :data:`RESET_TYPES`) names in the run's history.

    Raises:
        UsageError: the history has no such point (the message names the workflow).
    """
    run_id = run_id or ""
    if event_id is not None:
        return run_id, event_id
    events = (await client.get_workflow_handle(workflow_id, run_id=run_id or None)
              .fetch_history()).events
    if reset_type == "LastContinuedAsNew":
        run_id = events[0].workflow_execution_started.continued_execution_run_id
        if not run_id:
            raise UsageError(f"workflow {workflow_id}: its run did not continue another run "
                             "(--type LastContinuedAsNew needs one)")
        events = (await client.get_workflow_handle(workflow_id, run_id=run_id)
                  .fetch_history()).events
    ends = task_ends(events)
    if not ends:
        raise UsageError(f"workflow {workflow_id}: no completed workflow task to reset to")
    return run_id, ends[0] if reset_type == "FirstWorkflowTask" else ends[-1]


async def reset_workflow(client: Any, workflow_id: str, run_id: str | None, *, reason: str,
                event_id: int | None = None, reset_type: str | None = None,
                reapply_type: str = "Signal") -> ResetDone:
    """Reset the run (the current one if ``run_id`` is empty) to ``event_id`` or the point
    ``reset_type`` names; ``reapply_type`` "None" drops the later signals.

    Raises:
        UsageError: no such point in the history.
        durable.exceptions.*: as ``reset_workflow_execution`` (NotFound, InvalidArgument for
            an event that ends no workflow task, FailedPrecondition, ...).
    """
    from durable.api.common.v1 import WorkflowExecution
    from durable.api.enums.v1 import RESET_REAPPLY_TYPE_NONE, RESET_REAPPLY_TYPE_SIGNAL
    from durable.api.workflowservice.v1 import ResetWorkflowExecutionRequest

    run_id, event_id = await reset_point(client, workflow_id, run_id, event_id, reset_type)
    resp = await client.workflow_service.reset_workflow_execution(ResetWorkflowExecutionRequest(
        workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        reason=reason, workflow_task_finish_event_id=event_id,
        request_id=str(uuid.uuid4()), identity=client.identity,
        reset_reapply_type=(RESET_REAPPLY_TYPE_NONE if reapply_type == "None"
                            else RESET_REAPPLY_TYPE_SIGNAL)))
    return ResetDone(resp.run_id, event_id)
