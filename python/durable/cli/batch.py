"""``durable batch terminate | cancel | signal | describe | list | stop``: act on every
workflow matching a visibility query, as a batch operation run by the engine
(docs/batch.md). Flags as the Temporal CLI's (``temporal workflow terminate --query ...
--reason ... --rps N``, ``temporal batch describe --job-id``, ``temporal batch list``).

Starting a batch waits for it to end, printing its progress (done / failed / total) in table
mode; ``-o json`` prints only the final description. With ``--db`` the batch runs in this
process, so the wait is what drives it; with ``--address`` the server runs it and an
interrupted wait leaves it running (``durable batch describe``).
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import datetime, timezone
from typing import Any

from durable.cli._common import add_input_arg, json_values, run_with_client
from durable.cli._connect import add_connection_args
from durable.cli._exit import FAILED, UsageError
from durable.cli._output import Output, add_output_arg

_POLL_SECONDS = 0.2
_DESCRIBE_LABELS = [
    ("jobId", "JobId"), ("operationType", "Type"), ("state", "State"),
    ("totalOperationCount", "Total"), ("completeOperationCount", "Done"),
    ("failureOperationCount", "Failed"), ("query", "Query"), ("reason", "Reason"),
    ("maxOperationsPerSecond", "Rps"), ("identity", "Identity"),
    ("startTime", "StartTime"), ("closeTime", "CloseTime")]


def add_parser(commands: Any) -> None:
    group = commands.add_parser(
        "batch", help="terminate, cancel or signal every workflow matching a query",
        description="Batch operations (as `temporal batch` and `temporal workflow terminate "
                    "--query`).")
    sub = group.add_subparsers(dest="batch_command", metavar="COMMAND", required=True)

    def cmd(name: str, help: str, example: str, fn: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                           epilog=f"Example: {example}")
        add_output_arg(p)
        add_connection_args(p)
        p.set_defaults(run=lambda args: run_with_client(args, fn))
        return p

    for name, verb, example in (
            ("terminate", "terminate", "durable batch terminate -q \"WorkflowType='Upload'\" "
                                       "--reason 'bad release' --rps 100"),
            ("cancel", "request cancellation of",
             "durable batch cancel -q \"ExecutionStatus='Running'\" --reason maintenance"),
            ("signal", "signal", "durable batch signal -q \"WorkflowType='Ns'\" --name retry "
                                 "-i '{\"force\": true}' --reason 'after the fix'")):
        p = cmd(name, f"{verb} every workflow matching a query, at a limited rate", example,
                start)
        p.set_defaults(operation=name)
        p.add_argument("--query", "-q", required=True, help="visibility query (docs/visibility.md)")
        p.add_argument("--reason", help="recorded with each action (default: who and how)")
        p.add_argument("--rps", type=float, help="at most this many workflows a second (default 50)")
        p.add_argument("--job-id", "-j", help="batch job id (default: a new UUID)")
        p.add_argument("--yes", "-y", action="store_true",
                       help="accepted as in the Temporal CLI (durable does not ask)")
        if name == "signal":
            p.add_argument("--name", required=True, help="signal name")
            add_input_arg(p, "signal")
    p = cmd("describe", "show a batch's state and progress", "durable batch describe -j JOB",
            _describe)
    p.add_argument("--job-id", "-j", required=True, help="batch job id")
    cmd("list", "list batch operations", "durable batch list -o json", _list)
    p = cmd("stop", "stop a running batch (what it did stays done)",
            "durable batch stop -j JOB --reason 'wrong query'", _stop)
    p.add_argument("--job-id", "-j", required=True, help="batch job id")
    p.add_argument("--reason", help="why (shown by describe)")


def _time(us: int) -> datetime | None:
    return datetime.fromtimestamp(us / 1e6, tz=timezone.utc) if us else None


def _enum_name(enum: Any, value: int, prefix: str) -> str:
    return enum.Name(value).removeprefix(prefix)


def description(d: Any) -> dict[str, Any]:
    """A ``DescribeBatchOperationResponse`` as JSON (also the HTTP API's)."""
    from durable.v1 import batch_pb2

    return {
        "jobId": d.job_id,
        "operationType": _enum_name(batch_pb2.BatchOperationType, d.operation_type,
                                    "BATCH_OPERATION_TYPE_"),
        "state": _enum_name(batch_pb2.BatchOperationState, d.state, "BATCH_OPERATION_STATE_"),
        "totalOperationCount": d.total_operation_count,
        "completeOperationCount": d.complete_operation_count,
        "failureOperationCount": d.failure_operation_count,
        "query": d.visibility_query, "reason": d.reason, "identity": d.identity,
        "maxOperationsPerSecond": d.max_operations_per_second,
        "startTime": _time(d.start_time_us), "closeTime": _time(d.close_time_us)}


async def describe_job(client: Any, job_id: str) -> dict[str, Any]:
    from durable.v1 import batch_pb2

    d = await client.workflow_service.describe_batch_operation(
        batch_pb2.DescribeBatchOperationRequest(job_id=job_id))
    return description(d)


async def start_request(client: Any, operation: str, query: str, *, reason: str | None = None,
                        rps: float | None = None, job_id: str | None = None,
                        signal_name: str = "", signal_args: list[Any] | None = None) -> Any:
    """The ``StartBatchOperationRequest`` for ``operation`` ("terminate", "cancel" or
    "signal") over ``query``: a new UUID for no job id, a reason naming the operation and the
    client for none, the engine's default rate for none. (Also the HTTP API's.)"""
    from durable.v1 import batch_pb2

    req = batch_pb2.StartBatchOperationRequest(
        visibility_query=query, job_id=job_id or str(uuid.uuid4()),
        reason=reason or f"{operation} by {client.identity} (durable batch)",
        max_operations_per_second=rps or 0)
    if operation == "terminate":
        req.termination_operation.identity = client.identity
    elif operation == "cancel":
        req.cancellation_operation.identity = client.identity
    else:
        sig = req.signal_operation
        sig.signal = signal_name
        sig.identity = client.identity
        sig.input.payloads.extend(await client.data_converter.encode(signal_args or []))
    return req


async def list_jobs(client: Any) -> list[dict[str, Any]]:
    """Every batch of the client's namespace (all pages), as JSON rows."""
    from durable.v1 import batch_pb2

    rows, token = [], b""
    while True:
        resp = await client.workflow_service.list_batch_operations(
            batch_pb2.ListBatchOperationsRequest(next_page_token=token))
        for i in resp.operation_info:
            rows.append({
                "jobId": i.job_id,
                "state": _enum_name(batch_pb2.BatchOperationState, i.state,
                                    "BATCH_OPERATION_STATE_"),
                "startTime": _time(i.start_time_us), "closeTime": _time(i.close_time_us)})
        token = resp.next_page_token
        if not token:
            return rows


async def stop_job(client: Any, job_id: str, reason: str | None) -> None:
    from durable.v1 import batch_pb2

    await client.workflow_service.stop_batch_operation(batch_pb2.StopBatchOperationRequest(
        job_id=job_id, reason=reason or "", identity=client.identity))


async def _request(args: argparse.Namespace, client: Any) -> Any:
    if args.rps is not None and args.rps <= 0:
        raise UsageError(f"--rps must be positive, got {args.rps:g}")
    return await start_request(client, args.operation, args.query, reason=args.reason,
                               rps=args.rps, job_id=args.job_id,
                               signal_name=getattr(args, "name", ""),
                               signal_args=json_values(getattr(args, "input", None)))


def _progress(d: dict[str, Any]) -> str:
    return (f"{d['completeOperationCount']}/{d['totalOperationCount']} done, "
            f"{d['failureOperationCount']} failed")


async def start(args: argparse.Namespace, client: Any) -> int:
    """Start the batch the flags describe and wait for its end (also for ``durable workflow
    terminate|cancel|signal --query``)."""
    req = await _request(args, client)
    await client.workflow_service.start_batch_operation(req)
    out: Output = args.out_factory(args.output)
    table = out.fmt == "table"
    if table:
        out.stream.write(f"Batch {req.job_id} started: {args.operation} "
                         f"workflows matching {req.visibility_query!r}\n")
        out.stream.flush()
    shown = ""
    while True:
        d = await describe_job(client, req.job_id)
        line = _progress(d)
        if table and line != shown:
            out.stream.write(f"  {line}\n")
            out.stream.flush()
            shown = line
        if d["state"] != "RUNNING":
            break
        await asyncio.sleep(_POLL_SECONDS)
    if table:
        out.stream.write(f"Batch {req.job_id} {d['state'].lower()}: {line}\n")
        out.stream.flush()
    else:
        out.item(d)
    return 0 if d["state"] == "COMPLETED" and d["failureOperationCount"] == 0 else FAILED


async def _describe(args: argparse.Namespace, client: Any) -> int:
    args.out_factory(args.output).item(await describe_job(client, args.job_id),
                                       _DESCRIBE_LABELS)
    return 0


async def _list(args: argparse.Namespace, client: Any) -> int:
    args.out_factory(args.output).rows(await list_jobs(client), [("jobId", "JobId"), ("state", "State"),
                                              ("startTime", "StartTime"),
                                              ("closeTime", "CloseTime")])
    return 0


async def _stop(args: argparse.Namespace, client: Any) -> int:
    await stop_job(client, args.job_id, args.reason)
    args.out_factory(args.output).message(f"Batch {args.job_id} stopped.",
                                          {"jobId": args.job_id, "stopped": True})
    return 0
