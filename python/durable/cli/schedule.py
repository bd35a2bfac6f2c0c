"""``durable schedule create | list | describe | update | trigger | backfill | pause |
unpause | delete``, as ``temporal schedule ...`` (docs/schedules.md for the semantics)."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from durable.cli._common import add_input_arg, duration, json_values, run_with_client
from durable.cli._connect import add_connection_args
from durable.cli._exit import UsageError
from durable.cli._output import add_output_arg

_OVERLAP = {"Skip": "SKIP", "BufferOne": "BUFFER_ONE", "BufferAll": "BUFFER_ALL",
            "CancelOther": "CANCEL_OTHER", "TerminateOther": "TERMINATE_OTHER",
            "AllowAll": "ALLOW_ALL"}


def add_parser(commands: Any) -> None:
    group = commands.add_parser("schedule", help="create and steer schedules",
                                description="Schedule commands (as `temporal schedule`).")
    sub = group.add_subparsers(dest="schedule_command", metavar="COMMAND", required=True)

    def cmd(name: str, help: str, example: str, fn: Any, *,
            schedule_id: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                           epilog=f"Example: {example}")
        if schedule_id:
            p.add_argument("--schedule-id", "-s", required=True, help="schedule id")
        add_output_arg(p)
        add_connection_args(p)
        p.set_defaults(run=lambda args: run_with_client(args, fn))
        return p

    for name, help, example, fn in (
            ("create", "create a schedule",
             "durable schedule create -s clean --interval 1h --type FsClean -t osm -w clean",
             _create),
            ("update", "replace a schedule's spec and action (what is given)",
             "durable schedule update -s clean --cron '30 2 * * *'", _update)):
        p = cmd(name, help, example, fn)
        p.add_argument("--interval", action="append", metavar="DURATION[/OFFSET]",
                       help="every DURATION (repeatable), e.g. 1h or 1d/2h")
        p.add_argument("--cron", action="append", help="cron expression (repeatable)")
        p.add_argument("--time-zone", help="IANA time zone of --cron (default UTC)")
        p.add_argument("--workflow-id", "-w", help="id prefix of the runs it starts")
        p.add_argument("--type", help="workflow type")
        p.add_argument("--task-queue", "-t", help="task queue")
        add_input_arg(p, "workflow")
        p.add_argument("--overlap-policy", choices=_OVERLAP, help="default Skip")
        p.add_argument("--catchup-window", help="how late a missed action may still run")
        p.add_argument("--pause-on-failure", action="store_true", default=None)
        if name == "create":
            p.add_argument("--paused", action="store_true", help="create it paused")
            p.add_argument("--note", help="why (with --paused)")
            p.add_argument("--remaining-actions", type=int, help="act at most this many times")

    cmd("list", "list schedules", "durable schedule list -o json", _list, schedule_id=False)
    cmd("describe", "show a schedule's spec, state, recent and next actions",
        "durable schedule describe -s clean", _describe)
    p = cmd("trigger", "take the action now", "durable schedule trigger -s clean", _trigger)
    p.add_argument("--overlap-policy", choices=_OVERLAP, help="instead of the schedule's")
    p = cmd("backfill", "take the actions of a past period now",
            "durable schedule backfill -s clean --start-time 2026-12-01T00:00:00Z "
            "--end-time 2026-12-02T00:00:00Z", _backfill)
    p.add_argument("--start-time", required=True, help="ISO 8601 (inclusive)")
    p.add_argument("--end-time", required=True, help="ISO 8601 (exclusive)")
    p.add_argument("--overlap-policy", choices=_OVERLAP, help="instead of the schedule's")
    for name, fn in (("pause", _pause), ("unpause", _unpause)):
        p = cmd(name, f"{name} a schedule", f"durable schedule {name} -s clean --reason ops",
                fn)
        p.add_argument("--reason", help="note kept with the state")
    cmd("delete", "delete a schedule (its runs go on)", "durable schedule delete -s clean",
        _delete)


def _overlap(name: str | None) -> Any:
    from durable.client import ScheduleOverlapPolicy

    return ScheduleOverlapPolicy[_OVERLAP[name]] if name else None


def _time(text: str, flag: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not an ISO 8601 time "
                         f"(e.g. 2026-12-01T00:00:00Z)") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _spec(args: argparse.Namespace, old: Any = None) -> Any:
    from durable.client import ScheduleIntervalSpec, ScheduleSpec

    if not args.interval and not args.cron:
        if old is None:
            raise UsageError("when? give --interval or --cron")
        return old
    intervals = []
    for text in args.interval or []:
        every, _, offset = text.partition("/")
        intervals.append(ScheduleIntervalSpec(
            every=duration(every, "--interval"),
            offset=duration(offset, "--interval offset") if offset else None))
    return ScheduleSpec(intervals=intervals, cron_expressions=list(args.cron or []),
                        time_zone_name=args.time_zone)


def _action(args: argparse.Namespace, old: Any = None) -> Any:
    """A new action for create; for update, the old one with what the flags change (its
    timeouts, retry policy and, without --input, its encoded arguments kept)."""
    from durable.client import ScheduleActionStartWorkflow

    given = {k: getattr(args, k) for k in ("type", "task_queue", "workflow_id")}
    inputs = json_values(args.input)
    if old is None:
        missing = [k for k, v in given.items() if not v]
        if missing:
            raise UsageError(f"create needs --{missing[0].replace('_', '-')}")
        return ScheduleActionStartWorkflow(given["type"], *inputs, id=given["workflow_id"],
                                           task_queue=given["task_queue"])
    old.workflow = given["type"] or old.workflow
    old.id = given["workflow_id"] or old.id
    old.task_queue = given["task_queue"] or old.task_queue
    if inputs:
        old.args = inputs
    return old


def _policy(args: argparse.Namespace, old: Any = None) -> Any:
    from durable.client import SchedulePolicy

    old = old or SchedulePolicy()
    return SchedulePolicy(
        overlap=_overlap(args.overlap_policy) or old.overlap,
        catchup_window=duration(args.catchup_window, "--catchup-window")
        if args.catchup_window else old.catchup_window,
        pause_on_failure=old.pause_on_failure if args.pause_on_failure is None else True)


async def _create(args: argparse.Namespace, client: Any) -> int:
    from durable.client import Schedule, ScheduleState

    state = ScheduleState(note=args.note, paused=args.paused,
                          limited_actions=args.remaining_actions is not None,
                          remaining_actions=args.remaining_actions or 0)
    await client.create_schedule(args.schedule_id, Schedule(
        action=_action(args), spec=_spec(args), policy=_policy(args), state=state))
    args.out_factory(args.output).message(f"Schedule {args.schedule_id} created.",
                                          {"scheduleId": args.schedule_id, "created": True})
    return 0


async def _update(args: argparse.Namespace, client: Any) -> int:
    from durable.client import Schedule, ScheduleUpdate

    def updater(inp: Any) -> Any:
        s = inp.description.schedule
        return ScheduleUpdate(Schedule(action=_action(args, s.action),
                                       spec=_spec(args, s.spec),
                                       policy=_policy(args, s.policy), state=s.state))

    await client.get_schedule_handle(args.schedule_id).update(updater)
    args.out_factory(args.output).message(f"Schedule {args.schedule_id} updated.",
                                          {"scheduleId": args.schedule_id, "updated": True})
    return 0


def _summary(id: str, schedule: Any, info: Any) -> dict[str, Any]:
    spec = schedule.spec
    return {"scheduleId": id, "workflowType": schedule.action.workflow,
            "taskQueue": schedule.action.task_queue,
            "intervals": [f"{i.every.total_seconds():g}s" for i in spec.intervals],
            "cron": list(spec.cron_expressions), "paused": schedule.state.paused,
            "note": schedule.state.note, "overlapPolicy": schedule.policy.overlap.name,
            "numActions": info.num_actions,
            "nextActionTimes": list(info.next_action_times[:3]),
            "recentActions": [{"scheduledAt": a.scheduled_at, "startedAt": a.started_at,
                               "workflowId": a.action.workflow_id,
                               "status": a.action.status.name if a.action.status else None}
                              for a in info.recent_actions],
            "runningWorkflows": [r.workflow_id for r in info.running_actions]}


async def _list(args: argparse.Namespace, client: Any) -> int:
    rows = [_summary(s.id, s.schedule, s.info) async for s in client.list_schedules()]
    for r in rows:
        r["nextActionTime"] = r["nextActionTimes"][0] if r["nextActionTimes"] else None
    args.out_factory(args.output).rows(rows, [
        ("scheduleId", "ScheduleId"), ("workflowType", "WorkflowType"), ("paused", "Paused"),
        ("numActions", "Actions"), ("nextActionTime", "NextActionTime")])
    return 0


async def _describe(args: argparse.Namespace, client: Any) -> int:
    d = await client.get_schedule_handle(args.schedule_id).describe()
    s = _summary(d.id, d.schedule, d.info)
    out = args.out_factory(args.output)
    if out.fmt != "table":
        out.item(s)
        return 0
    out.item({k: v for k, v in s.items() if k != "recentActions"})
    out.stream.write(f"\nRecent Actions: {len(s['recentActions'])}\n")
    if s["recentActions"]:
        out.rows(s["recentActions"], [("scheduledAt", "ScheduledAt"),
                                      ("workflowId", "WorkflowId"), ("status", "Status")])
    return 0


async def _simple(args: argparse.Namespace, client: Any, what: str, call: Any) -> int:
    await call(client.get_schedule_handle(args.schedule_id))
    args.out_factory(args.output).message(f"Schedule {args.schedule_id} {what}.",
                                          {"scheduleId": args.schedule_id, what: True})
    return 0


async def _trigger(args: argparse.Namespace, client: Any) -> int:
    return await _simple(args, client, "triggered",
                         lambda h: h.trigger(overlap=_overlap(args.overlap_policy)))


async def _backfill(args: argparse.Namespace, client: Any) -> int:
    from durable.client import ScheduleBackfill

    b = ScheduleBackfill(_time(args.start_time, "--start-time"),
                         _time(args.end_time, "--end-time"), _overlap(args.overlap_policy))
    return await _simple(args, client, "backfilled", lambda h: h.backfill(b))


async def _pause(args: argparse.Namespace, client: Any) -> int:
    return await _simple(args, client, "paused", lambda h: h.pause(note=args.reason))


async def _unpause(args: argparse.Namespace, client: Any) -> int:
    return await _simple(args, client, "unpaused", lambda h: h.unpause(note=args.reason))


async def _delete(args: argparse.Namespace, client: Any) -> int:
    return await _simple(args, client, "deleted", lambda h: h.delete())
