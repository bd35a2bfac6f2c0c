"""A history event the way Temporal's CLI and UI list it: id, time, type and the few
details an operator looks for (activity type, attempt, last failure, result preview)."""

from __future__ import annotations

import json
from typing import Any

from durable.v1 import common_pb2, history_pb2

_PREVIEW = 80  # characters of a payload shown in a table
_PAYLOAD_KEYS = frozenset({"Input", "Result", "Details"})


def event_type(event: history_pb2.HistoryEvent) -> str:
    """``WorkflowExecutionStarted`` for the ``workflow_execution_started`` attributes."""
    kind = event.WhichOneof("attributes") or "unknown"
    return "".join(p.capitalize() for p in kind.split("_"))


def failure_text(f: common_pb2.Failure) -> str:
    """``Type: message`` of a failure and its causes."""
    parts = []
    while f.ByteSize() and len(parts) < 5:
        kind = f.WhichOneof("info") or ""
        name = (f.application_failure_info.type if kind == "application_failure_info"
                else kind.removesuffix("_failure_info").capitalize() + "Error" if kind else "")
        parts.append(f"{name}: {f.message}" if name else f.message)
        if not f.HasField("cause"):
            break
        f = f.cause
    return " <- ".join(parts)


async def payloads(dc: Any, p: common_pb2.Payloads) -> Any:
    """Decoded values (one value alone, several as a list); undecodable ones described."""
    if not p.payloads:
        return None
    values = []
    for one in p.payloads:
        try:
            (v,) = await dc.decode([one])
        except Exception:
            enc = one.metadata.get("encoding", b"").decode(errors="replace")
            v = f"<{len(one.data)} bytes {enc}>"
        values.append(v)
    return values[0] if len(values) == 1 else values


def _us(us: int) -> str | None:
    return f"{us / 1e6:g}s" if us else None


async def details(event: history_pb2.HistoryEvent, dc: Any) -> dict[str, Any]:
    """The event's key details, by name (empty values left out)."""
    kind = event.WhichOneof("attributes")
    a = getattr(event, kind) if kind else None
    d: dict[str, Any] = {}
    if a is None:
        return d
    for name, value in _FIELDS.get(kind or "", lambda a: [])(a):
        d[name] = value
    for field in ("input", "result", "details"):
        if field in a.DESCRIPTOR.fields_by_name and a.HasField(field):
            d[field.capitalize()] = await payloads(dc, getattr(a, field))
    for field, label in (("failure", "Failure"), ("last_failure", "LastFailure"),
                         ("continued_failure", "ContinuedFailure")):
        if field in a.DESCRIPTOR.fields_by_name and a.HasField(field):
            d[label] = failure_text(getattr(a, field))
    if kind == "workflow_execution_update_accepted":
        d["Input"] = await payloads(dc, a.request.input)
    if kind == "workflow_execution_update_completed":
        if a.outcome.HasField("success"):
            d["Result"] = await payloads(dc, a.outcome.success)
        elif a.outcome.HasField("failure"):
            d["Failure"] = failure_text(a.outcome.failure)
    if "retry_state" in a.DESCRIPTOR.fields_by_name and a.retry_state:
        d["RetryState"] = common_pb2.RetryState.Name(a.retry_state).removeprefix("RETRY_STATE_")
    return {k: v for k, v in d.items() if v not in (None, "", 0)}


def preview(d: dict[str, Any]) -> str:
    """``Key=value`` pairs in one line, long values cut."""
    out = []
    for k, v in d.items():
        # payload values as JSON, so "1" and 1 differ; names and messages bare
        s = (v if isinstance(v, str) and k not in _PAYLOAD_KEYS
             else json.dumps(v, default=str, ensure_ascii=False))
        if len(s) > _PREVIEW:
            s = s[:_PREVIEW - 1] + "…"
        out.append(f"{k}={s}")
    return "  ".join(out)


# Per event kind: the scalar details worth a column (payloads and failures are generic).
_FIELDS: dict[str, Any] = {
    "workflow_execution_started": lambda a: [
        ("WorkflowType", a.workflow_type), ("TaskQueue", a.task_queue),
        ("Attempt", a.attempt if a.attempt > 1 else 0)],
    "workflow_execution_terminated": lambda a: [("Reason", a.reason), ("Identity", a.identity)],
    "workflow_execution_continued_as_new": lambda a: [("NewRunId", a.new_execution_run_id)],
    "workflow_execution_failed": lambda a: [("NewRunId", a.new_execution_run_id)],
    "workflow_task_scheduled": lambda a: [
        ("TaskQueue", a.task_queue), ("Attempt", a.attempt if a.attempt > 1 else 0)],
    "workflow_task_started": lambda a: [("Identity", a.identity)],
    "workflow_task_completed": lambda a: [("Identity", a.identity)],
    "workflow_task_failed": lambda a: [("Cause", a.cause), ("Identity", a.identity)],
    "activity_task_scheduled": lambda a: [
        ("ActivityType", a.activity_type), ("ActivityId", a.activity_id),
        ("TaskQueue", a.task_queue)],
    "activity_task_started": lambda a: [("Attempt", a.attempt), ("Identity", a.identity)],
    "activity_task_completed": lambda a: [("ScheduledEventId", a.scheduled_event_id)],
    "activity_task_failed": lambda a: [("ScheduledEventId", a.scheduled_event_id)],
    "activity_task_timed_out": lambda a: [("ScheduledEventId", a.scheduled_event_id)],
    "activity_task_cancel_requested": lambda a: [("ScheduledEventId", a.scheduled_event_id)],
    "activity_task_canceled": lambda a: [("ScheduledEventId", a.scheduled_event_id)],
    "timer_started": lambda a: [("TimerId", a.timer_id),
                                ("StartToFireTimeout", _us(a.start_to_fire_timeout_us))],
    "timer_fired": lambda a: [("TimerId", a.timer_id)],
    "timer_canceled": lambda a: [("TimerId", a.timer_id)],
    "workflow_execution_signaled": lambda a: [("SignalName", a.signal_name),
                                              ("Identity", a.identity)],
    "workflow_execution_cancel_requested": lambda a: [("Cause", a.cause),
                                                      ("Identity", a.identity)],
    "marker_recorded": lambda a: [("MarkerName", a.marker_name)],
    "workflow_execution_update_accepted": lambda a: [("UpdateId", a.update_id),
                                                     ("Name", a.request.name)],
    "workflow_execution_update_completed": lambda a: [("UpdateId", a.update_id)],
    "start_child_workflow_execution_initiated": lambda a: [
        ("WorkflowId", a.workflow_id), ("WorkflowType", a.workflow_type)],
    "start_child_workflow_execution_failed": lambda a: [
        ("WorkflowId", a.workflow_id), ("Cause", a.cause)],
    "child_workflow_execution_started": lambda a: [
        ("WorkflowId", a.workflow_execution.workflow_id),
        ("RunId", a.workflow_execution.run_id)],
    **{k: (lambda a: [("WorkflowId", a.workflow_execution.workflow_id)]) for k in (
        "child_workflow_execution_completed", "child_workflow_execution_failed",
        "child_workflow_execution_canceled", "child_workflow_execution_timed_out",
        "child_workflow_execution_terminated")},
    "signal_external_workflow_execution_initiated": lambda a: [
        ("SignalName", getattr(a, "signal_name", ""))],
}
