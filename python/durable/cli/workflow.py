"""``durable workflow ...``: start, watch and steer workflows, as ``temporal workflow ...``.

Each subcommand is a function ``_name(args, client)`` registered in :func:`add_parser`; they
build plain dicts and print them through ``durable.cli._output``.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from durable.cli import _history, batch
from durable.cli._reset import REAPPLY_TYPES, RESET_TYPES, reset_workflow
from durable.cli._common import add_input_arg, duration, json_values, run_with_client
from durable.cli._connect import add_connection_args
from durable.cli._exit import FAILED, UsageError
from durable.cli._output import Output, add_output_arg, jsonable

_START_LABELS = [("workflowId", "WorkflowId"), ("runId", "RunId"), ("type", "Type"),
                 ("namespace", "Namespace"), ("taskQueue", "TaskQueue")]
_RESULT_LABELS = [("status", "Status"), ("result", "Result"), ("failure", "Failure")]
_LIST_COLUMNS = [("status", "Status"), ("workflowId", "WorkflowId"), ("type", "Type"),
                 ("startTime", "StartTime"), ("closeTime", "CloseTime")]
_SHOW_WIDTHS = (5, 24, 40)  # id, time, type: fixed, so --follow can print as events come


def add_parser(commands: Any) -> None:
    group = commands.add_parser("workflow", help="start, list, inspect and steer workflows",
                                description="Workflow commands (as `temporal workflow`).")
    sub = group.add_subparsers(dest="workflow_command", metavar="COMMAND", required=True)

    def cmd(name: str, help: str, example: str, fn: Any, *, workflow: bool = True,
            run_id: bool = True, query: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                           epilog=f"Example: {example}",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if workflow:
            p.add_argument("--workflow-id", "-w", required=not query, help="workflow id")
            if run_id:
                p.add_argument("--run-id", "-r", help="run id (default: the latest run)")
        if query:  # as `temporal workflow terminate --query`: a batch operation
            p.set_defaults(operation=name)
            p.add_argument("--query", "-q", help="instead of -w: every workflow matching this "
                                                 "visibility query, as `durable batch " + name + "`")
            p.add_argument("--rps", type=float, help="with --query: workflows a second (default 50)")
            p.add_argument("--job-id", "-j", help="with --query: batch job id (default a UUID)")
            p.add_argument("--yes", "-y", action="store_true", help="with --query: accepted")
        add_output_arg(p)
        add_connection_args(p)
        p.set_defaults(run=lambda args: run_with_client(args, fn))
        return p

    for name, help, example, fn in (
            ("start", "start a workflow and print its ids (does not wait)",
             "durable workflow start --type Greet -t hello -w greet-1 -i '\"World\"'", _start),
            ("execute", "start a workflow and wait for its result",
             "durable workflow execute --type Greet -t hello -i '\"World\"' -o json", _execute)):
        p = cmd(name, help, example, fn, workflow=False)
        p.add_argument("--workflow-id", "-w", help="workflow id (default: a new UUID)")
        p.add_argument("--type", required=True, help="workflow type name")
        p.add_argument("--task-queue", "-t", required=True, help="task queue of its workers")
        add_input_arg(p, "workflow")
        p.add_argument("--execution-timeout", help="limit on the whole workflow (e.g. 1h)")
        p.add_argument("--run-timeout", help="limit on one run")
        p.add_argument("--task-timeout", help="limit on one workflow task (default 10s)")
        p.add_argument("--start-delay", help="wait this long before the first workflow task")
        p.add_argument("--id-reuse-policy", choices=_REUSE,
                       help="may a closed workflow's id be reused (default AllowDuplicate)")
        p.add_argument("--id-conflict-policy", choices=_CONFLICT,
                       help="what if a workflow with the id is running (default Fail)")
        p.add_argument("--memo", action="append", metavar="KEY=JSON",
                       help="memo entry (repeatable)")

    p = cmd("list", "list workflows matching a visibility query",
            "durable workflow list -q \"WorkflowType='Greet' AND ExecutionStatus='Running'\"",
            _list, workflow=False)
    p.add_argument("--query", "-q", help="visibility query (docs/visibility.md); all by default")
    p.add_argument("--limit", type=int, help="at most this many workflows")

    p = cmd("count", "count workflows matching a visibility query",
            "durable workflow count -q \"ExecutionStatus='Failed'\"", _count, workflow=False)
    p.add_argument("--query", "-q", help="visibility query; '... GROUP BY ExecutionStatus' "
                                         "counts each status")

    p = cmd("describe", "show a run's status, times and pending activities and children",
            "durable workflow describe -w greet-1", _describe)
    p.add_argument("--raw", action="store_true", help="the service's response as JSON")

    p = cmd("show", "print a run's event history",
            "durable workflow show -w greet-1 --follow", _show)
    p.add_argument("--follow", "-f", action="store_true",
                   help="keep printing new events until the run closes")

    p = cmd("result", "wait for a run's result", "durable workflow result -w greet-1", _result)
    p.add_argument("--timeout", help="give up after this long (exit 5)")

    p = cmd("signal", "send a signal",
            "durable workflow signal -w order-7 --name approve -i '{\"by\": \"ops\"}'", _signal,
            query=True)
    p.add_argument("--name", required=True, help="signal name")
    add_input_arg(p, "signal")
    p.add_argument("--reason", help="with --query: the batch's reason")

    p = cmd("query", "ask a query (a worker answers)",
            "durable workflow query -w order-7 --name status", _query)
    p.add_argument("--name", "--type", dest="name", required=True, help="query name")
    add_input_arg(p, "query")

    p = cmd("update", "send an update and wait for its result",
            "durable workflow update -w order-7 --name set_limit -i 10", _update)
    p.add_argument("--name", required=True, help="update name")
    p.add_argument("--update-id", help="update id (idempotency key; default a new UUID)")
    add_input_arg(p, "update")

    p = cmd("cancel", "request cancellation (the workflow decides how to react)",
            "durable workflow cancel -w order-7 --reason 'customer left'", _cancel, query=True)
    p.add_argument("--reason", default="", help="why (recorded)")

    p = cmd("terminate", "terminate a run at once (no workflow code runs)",
            "durable workflow terminate -w order-7 --reason 'bad deploy'", _terminate,
            query=True)
    p.add_argument("--reason", default="", help="why (recorded in the history)")

    p = cmd("reset", "start a new run from the end of an earlier workflow task (re-applying "
            "later signals) and terminate the current run",
            "durable workflow reset -w order-7 --type FirstWorkflowTask --reason 'fixed v2'",
            _reset)
    point = p.add_mutually_exclusive_group(required=True)
    point.add_argument("--event-id", "-e", type=int,
                       help="the WorkflowTaskCompleted (or WorkflowTaskFailed/TimedOut) to reset to")
    point.add_argument("--type", choices=RESET_TYPES,
                       help="FirstWorkflowTask, LastWorkflowTask, or LastContinuedAsNew (the last "
                            "workflow task of the run this one continued)")
    p.add_argument("--reason", required=True, help="why (recorded in both runs' histories)")
    p.add_argument("--reapply-type", choices=REAPPLY_TYPES, default="Signal",
                   help="re-apply the signals received after the reset point (default) or not")

    cmd("stack", "print where each of the workflow's tasks waits (the __stack_trace query)",
        "durable workflow stack -w order-7", _stack)


_REUSE = {"AllowDuplicate": "ALLOW_DUPLICATE",
          "AllowDuplicateFailedOnly": "ALLOW_DUPLICATE_FAILED_ONLY",
          "RejectDuplicate": "REJECT_DUPLICATE", "TerminateIfRunning": "TERMINATE_IF_RUNNING"}
_CONFLICT = {"Fail": "FAIL", "UseExisting": "USE_EXISTING",
             "TerminateExisting": "TERMINATE_EXISTING"}


def _out(args: argparse.Namespace) -> Output:
    return args.out_factory(args.output)


def _handle(args: argparse.Namespace, client: Any) -> Any:
    return client.get_workflow_handle(args.workflow_id, run_id=args.run_id)


def _as_batch(args: argparse.Namespace) -> bool:
    """True when ``--query`` makes this signal / cancel / terminate a batch operation."""
    if getattr(args, "query", None) is None:
        if not args.workflow_id:
            raise UsageError("give --workflow-id/-w or --query/-q")
        return False
    if args.workflow_id or args.run_id:
        raise UsageError("--query acts on every match; it cannot be combined with -w / -r")
    return True


def _start_options(args: argparse.Namespace) -> dict[str, Any]:
    from durable.common import WorkflowIdConflictPolicy, WorkflowIdReusePolicy

    opts: dict[str, Any] = {}
    for flag in ("execution_timeout", "run_timeout", "task_timeout", "start_delay"):
        if getattr(args, flag):
            opts[flag] = duration(getattr(args, flag), "--" + flag.replace("_", "-"))
    if args.id_reuse_policy:
        opts["id_reuse_policy"] = WorkflowIdReusePolicy[_REUSE[args.id_reuse_policy]]
    if args.id_conflict_policy:
        opts["id_conflict_policy"] = WorkflowIdConflictPolicy[_CONFLICT[args.id_conflict_policy]]
    if args.memo:
        memo = {}
        for entry in args.memo:
            key, sep, value = entry.partition("=")
            if not sep or not key:
                raise UsageError(f"--memo {entry!r} is not KEY=JSON")
            memo[key] = json_values([value], f"--memo {key}=")[0]
        opts["memo"] = memo
    return opts


async def _start_run(args: argparse.Namespace, client: Any) -> tuple[Any, dict[str, Any]]:
    inputs = json_values(args.input)
    opts = _start_options(args)
    handle = await client.start_workflow(args.type, args=inputs,
                                         id=args.workflow_id or str(uuid.uuid4()),
                                         task_queue=args.task_queue, **opts)
    return handle, {"workflowId": handle.id, "runId": handle.run_id, "type": args.type,
                    "namespace": client.namespace, "taskQueue": args.task_queue}


async def _start(args: argparse.Namespace, client: Any) -> int:
    _, started = await _start_run(args, client)
    _out(args).item(started, _START_LABELS)
    return 0


async def _outcome(handle: Any, timeout: Any = None) -> dict[str, Any]:
    """``{"status": ..., "result"/"failure": ...}`` once the run closed."""
    from durable import exceptions as ex

    try:
        return {"status": "COMPLETED", "result": await handle.result(rpc_timeout=timeout)}
    except ex.WorkflowFailureError as e:
        cause = e.cause
        status = ("CANCELED" if isinstance(cause, ex.CancelledError) else
                  "TERMINATED" if isinstance(cause, ex.TerminatedError) else
                  "TIMED_OUT" if isinstance(cause, ex.TimeoutError) else "FAILED")
        from durable.cli._exit import failure_chain
        return {"status": status, "failure": failure_chain(cause)}


async def _execute(args: argparse.Namespace, client: Any) -> int:
    handle, started = await _start_run(args, client)
    outcome = await _outcome(handle)
    out = _out(args)
    if out.fmt == "table":
        out.item(started, _START_LABELS)
        out.item(outcome, _RESULT_LABELS)
    else:
        out.item({**started, **outcome})
    return 0 if outcome["status"] == "COMPLETED" else FAILED


async def _result(args: argparse.Namespace, client: Any) -> int:
    timeout = duration(args.timeout, "--timeout") if args.timeout else None
    outcome = await _outcome(_handle(args, client), timeout)
    _out(args).item({"workflowId": args.workflow_id, **outcome},
                    [("workflowId", "WorkflowId"), *_RESULT_LABELS])
    return 0 if outcome["status"] == "COMPLETED" else FAILED


def _execution_dict(e: Any) -> dict[str, Any]:
    """A listed run or a description, as JSON (the fields both have)."""
    return {"workflowId": e.id, "runId": e.run_id, "type": e.workflow_type,
            "taskQueue": e.task_queue, "status": e.status.name if e.status else None,
            "startTime": e.start_time, "executionTime": e.execution_time,
            "closeTime": e.close_time, "historyLength": e.history_length,
            "parentWorkflowId": e.parent_id, "parentRunId": e.parent_run_id}


async def _list(args: argparse.Namespace, client: Any) -> int:
    if args.limit is not None and args.limit <= 0:
        raise UsageError(f"--limit must be positive, got {args.limit}")
    # client.list_workflows speaks the visibility query language (docs/visibility.md)
    rows = [_execution_dict(e) async for e in client.list_workflows(args.query,
                                                                    limit=args.limit)]
    _out(args).rows(rows, _LIST_COLUMNS)
    return 0


async def _count(args: argparse.Namespace, client: Any) -> int:
    n = await client.count_workflows(args.query)
    groups = [{"groupValues": jsonable(list(g.group_values)), "count": g.count}
              for g in n.groups]
    out = _out(args)
    if out.fmt != "table":
        out.item({"count": n.count, "groups": groups})
        return 0
    out.stream.write(f"Total: {n.count}\n")
    if groups:
        out.rows([{"group": ", ".join(map(str, g["groupValues"])), "count": g["count"]}
                  for g in groups], [("group", "Group"), ("count", "Count")])
    return 0


async def _describe(args: argparse.Namespace, client: Any) -> int:
    d = await _handle(args, client).describe()
    out = _out(args)
    if args.raw:
        from google.protobuf import json_format
        out.item(json_format.MessageToDict(d.raw_description))
        return 0
    activities = [{"activityId": a.activity_id, "activityType": a.activity_type,
                   "state": a.state.name if a.state else None, "attempt": a.attempt,
                   "maximumAttempts": a.maximum_attempts,
                   "scheduledTime": a.scheduled_time, "lastStartedTime": a.last_started_time,
                   "lastHeartbeatTime": a.last_heartbeat_time,
                   "heartbeatDetails": list(a.heartbeat_details),
                   "lastFailure": _failure(a.last_failure),
                   "lastWorkerIdentity": a.last_worker_identity or None}
                  for a in d.pending_activities]
    children = [{"workflowId": c.workflow_id, "runId": c.run_id, "type": c.workflow_type,
                 "initiatedEventId": c.initiated_event_id} for c in d.pending_children]
    info = _execution_dict(d)
    if out.fmt != "table":
        out.item({**info, "pendingActivities": activities, "pendingChildren": children})
        return 0
    out.stream.write("Execution Info:\n")
    out.item(info, [(k, k[:1].upper() + k[1:]) for k in info])
    for title, rows, cols in (
            ("Pending Activities", activities,
             [("activityId", "ActivityId"), ("activityType", "Type"), ("state", "State"),
              ("attempt", "Attempt"), ("lastFailure", "LastFailure")]),
            ("Pending Child Workflows", children,
             [("workflowId", "WorkflowId"), ("type", "Type"), ("runId", "RunId")])):
        out.stream.write(f"\n{title}: {len(rows)}\n")
        if rows:
            out.rows(rows, cols)
    return 0


def _failure(e: BaseException | None) -> str | None:
    from durable.cli._exit import failure_chain
    return failure_chain(e) if e is not None else None


async def _show(args: argparse.Namespace, client: Any) -> int:
    from durable.v1 import service_pb2
    from durable import exceptions as ex
    from durable.v1 import common_pb2

    out = _out(args)
    if out.fmt == "json" and not args.follow:  # the history document (docs/history-json.md)
        history = await _handle(args, client).fetch_history()
        out.item(history.to_json_dict())
        return 0
    if out.fmt == "table":
        i, t, k = _SHOW_WIDTHS
        out.stream.write(f"{'ID'.rjust(i)}  {'Time'.ljust(t)}  {'Type'.ljust(k)}  Details\n")
    run_id, next_id = args.run_id or "", 1
    while True:
        req = service_pb2.GetWorkflowExecutionHistoryRequest(
            execution=common_pb2.WorkflowExecution(workflow_id=args.workflow_id, run_id=run_id),
            from_event_id=next_id, wait_new_event=args.follow and next_id > 1,
            timeout_us=30_000_000)
        try:
            resp = await client.transport.call_async("get_workflow_execution_history", req,
                                                     long_poll=req.wait_new_event)
        except ex.DeadlineExceededError:
            continue
        run_id = resp.run_id or run_id
        closed = False
        for event in resp.history.events:
            await _print_event(out, event, client.data_converter)
            next_id = event.event_id + 1
            closed = closed or _is_close(event)
        if not args.follow or closed:
            return 0
        if next_id == 1:  # an empty history cannot happen for a started run; don't spin
            return 0


def _is_close(event: Any) -> bool:
    kind = event.WhichOneof("attributes") or ""
    return kind.startswith("workflow_execution_") and kind.split("_", 2)[2] in (
        "completed", "failed", "timed_out", "canceled", "terminated", "continued_as_new")


async def _print_event(out: Output, event: Any, dc: Any) -> None:
    from durable.common import us_to_datetime
    from durable.cli._output import timestamp

    details = await _history.details(event, dc)
    row = {"eventId": event.event_id, "time": timestamp(us_to_datetime(event.event_time_us)),
           "type": _history.event_type(event), "details": details}
    if out.fmt != "table":
        out.item(row)  # jsonl: one event a line; json with --follow: one document each
        return
    i, t, k = _SHOW_WIDTHS
    out.stream.write(f"{str(row['eventId']).rjust(i)}  {row['time'].ljust(t)}  "
                     f"{row['type'].ljust(k)}  {_history.preview(details)}".rstrip() + "\n")
    out.stream.flush()


async def _signal(args: argparse.Namespace, client: Any) -> int:
    if _as_batch(args):
        return await batch.start(args, client)
    await _handle(args, client).signal(args.name, args=json_values(args.input))
    _out(args).message(f"Signal {args.name!r} sent to {args.workflow_id}.",
                       {"workflowId": args.workflow_id, "signal": args.name, "sent": True})
    return 0


async def _query(args: argparse.Namespace, client: Any) -> int:
    answer = await _handle(args, client).query(args.name, args=json_values(args.input))
    _out(args).item({"queryResult": answer}, [("queryResult", "QueryResult")])
    return 0


async def _update(args: argparse.Namespace, client: Any) -> int:
    result = await _handle(args, client).execute_update(
        args.name, args=json_values(args.input), id=args.update_id)
    _out(args).item({"name": args.name, "updateResult": result},
                    [("name", "Name"), ("updateResult", "UpdateResult")])
    return 0


async def _cancel(args: argparse.Namespace, client: Any) -> int:
    if _as_batch(args):
        return await batch.start(args, client)
    await _handle(args, client).cancel(reason=args.reason)
    _out(args).message(f"Cancellation requested for {args.workflow_id}.",
                       {"workflowId": args.workflow_id, "cancelRequested": True})
    return 0


async def _terminate(args: argparse.Namespace, client: Any) -> int:
    if _as_batch(args):
        return await batch.start(args, client)
    await _handle(args, client).terminate(reason=args.reason or None)
    _out(args).message(f"Workflow {args.workflow_id} terminated.",
                       {"workflowId": args.workflow_id, "terminated": True})
    return 0


async def _reset(args: argparse.Namespace, client: Any) -> int:
    done = await reset_workflow(client, args.workflow_id, args.run_id, reason=args.reason,
                                event_id=args.event_id, reset_type=args.type,
                                reapply_type=args.reapply_type)
    _out(args).message(f"Workflow {args.workflow_id} reset to event {done.event_id}: new run "
                       f"{done.run_id}.",
                       {"workflowId": args.workflow_id, "runId": done.run_id,
                        "eventId": done.event_id})
    return 0


async def _stack(args: argparse.Namespace, client: Any) -> int:
    trace = await _handle(args, client).query("__stack_trace")
    out = _out(args)
    if out.fmt == "table":
        out.stream.write(f"{trace}\n")
    else:
        out.item({"workflowId": args.workflow_id, "stackTrace": trace})
    return 0
