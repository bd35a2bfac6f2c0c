"""``durable batch ...`` and ``client.workflow_service``'s batch calls on both transports:
terminate / cancel / signal over the matches of a query with the progress lines and the
final JSON, describe / list / stop as tables and JSON, bad input and exit codes
(docs/batch.md); and a 1,000-workflow terminate batch whose server is SIGKILLed mid-batch,
that completes after the restart with exactly one termination per workflow."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from durable.v1 import batch_pb2

from cli_util import Cli
from history_util import event_types


async def _start_many(client: Any, task_queue: str, n: int, prefix: str) -> list[Any]:
    """n runs of "BatchTarget" (no worker: they stay running)."""
    return list(await asyncio.gather(*(
        client.start_workflow("BatchTarget", id=f"{prefix}-{i}", task_queue=task_queue)
        for i in range(n))))


async def test_terminate_batch_prints_progress_and_terminates_each_once(
        client: Any, cli: Cli, task_queue: str) -> None:
    handles = await _start_many(client, task_queue, 5, "t")
    other = await client.start_workflow("Other", id="other", task_queue=task_queue)
    query = f"WorkflowType='BatchTarget' AND TaskQueue='{task_queue}'"
    code, out, err = await cli("batch", "terminate", "-q", query, "--reason", "bad release",
                               "--rps", "100", "--job-id", "job-t")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Batch job-t started: terminate workflows matching {query!r}"
    assert "  5/5 done, 0 failed" in lines
    assert lines[-1] == "Batch job-t completed: 5/5 done, 0 failed"
    for h in handles:
        kinds = await event_types(h)
        assert kinds.count("workflow_execution_terminated") == 1, h.id
        last = (await h.fetch_history()).events[-1].workflow_execution_terminated
        assert last.reason == "bad release"
    assert (await other.describe()).status.name == "RUNNING"

    d = await cli.json("batch", "describe", "--job-id", "job-t")
    assert d["startTime"] <= d["closeTime"]
    assert {k: v for k, v in d.items() if k not in ("startTime", "closeTime", "identity")} == {
        "jobId": "job-t", "operationType": "TERMINATE", "state": "COMPLETED",
        "totalOperationCount": 5, "completeOperationCount": 5, "failureOperationCount": 0,
        "query": query, "reason": "bad release", "maxOperationsPerSecond": 100.0}
    assert d["identity"] == client.identity
    code, out, _ = await cli("batch", "describe", "-j", "job-t")
    assert code == 0
    assert "  JobId      job-t\n" in out and "  State      COMPLETED\n" in out
    assert "  Total      5\n" in out and "  Done       5\n" in out and "  Failed     0\n" in out

    # -o json: no progress lines, one document (the final description).
    await _start_many(client, task_queue, 2, "t2")
    code, out, err = await cli("batch", "terminate", "-q",
                               f"WorkflowId STARTS_WITH 't2-' AND TaskQueue='{task_queue}'",
                               "--job-id", "job-t2", "-o", "json")
    assert code == 0, err
    final = json.loads(out)
    assert final["state"] == "COMPLETED" and final["completeOperationCount"] == 2
    assert final["reason"].startswith("terminate by ")


async def test_cancel_and_signal_batches(client: Any, cli: Cli, task_queue: str) -> None:
    handles = await _start_many(client, task_queue, 3, "cs")
    query = f"TaskQueue='{task_queue}'"
    code, out, err = await cli("batch", "cancel", "-q", query, "--reason", "maintenance",
                               "-j", "job-c", "--yes")
    assert code == 0, err
    assert out.splitlines()[-1] == "Batch job-c completed: 3/3 done, 0 failed"
    code, out, err = await cli("batch", "signal", "-q", query, "--name", "poke",
                               "-i", '{"force": true}', "-i", "2", "--reason", "after the fix",
                               "-j", "job-s")
    assert code == 0, err
    for h in handles:
        events = (await h.fetch_history()).events
        kinds = [e.WhichOneof("attributes") for e in events]
        assert kinds.count("workflow_execution_cancel_requested") == 1
        signals = [e.workflow_execution_signaled for e in events
                   if e.HasField("workflow_execution_signaled")]
        assert len(signals) == 1 and signals[0].signal_name == "poke"
        assert [json.loads(p.data) for p in signals[0].input.payloads] == [{"force": True}, 2]
        assert (await h.describe()).status.name == "RUNNING"  # cancel is only a request
    assert (await cli.json("batch", "describe", "-j", "job-s"))["operationType"] == "SIGNAL"

    rows = await cli.json("batch", "list")
    assert [(r["jobId"], r["state"]) for r in rows] == [("job-c", "COMPLETED"),
                                                        ("job-s", "COMPLETED")]
    code, out, _ = await cli("batch", "list")
    header, *body = out.splitlines()
    assert header.split() == ["JobId", "State", "StartTime", "CloseTime"]
    assert [line.split()[:2] for line in body] == [["job-c", "COMPLETED"],
                                                   ["job-s", "COMPLETED"]]


async def test_stop_through_the_cli_after_a_start_through_workflow_service(
        client: Any, cli: Cli, task_queue: str) -> None:
    await _start_many(client, task_queue, 4, "st")
    from durable.api.workflowservice.v1 import StartBatchOperationRequest

    assert StartBatchOperationRequest is batch_pb2.StartBatchOperationRequest  # temporalio's path
    svc = client.workflow_service
    req = StartBatchOperationRequest(
        visibility_query=f"TaskQueue='{task_queue}'", job_id="job-stop", reason="slow",
        max_operations_per_second=0.5)  # a step every 2 s: the stop lands before the 2nd
    req.termination_operation.SetInParent()
    await svc.start_batch_operation(req)
    code, out, err = await cli("batch", "stop", "-j", "job-stop", "--reason", "wrong query")
    assert code == 0, err
    assert out == "Batch job-stop stopped.\n"
    d = await svc.describe_batch_operation(
        batch_pb2.DescribeBatchOperationRequest(job_id="job-stop"))
    assert d.state == batch_pb2.BATCH_OPERATION_STATE_FAILED
    assert d.reason == "wrong query" and d.close_time_us > 0
    done_at_stop = d.complete_operation_count
    assert done_at_stop <= 1
    stopped = await cli.json("batch", "describe", "-j", "job-stop")
    assert stopped["state"] == "FAILED"
    running = [h async for h in client.list_workflows(
        f"TaskQueue='{task_queue}' AND ExecutionStatus='Running'")]
    assert len(running) == 4 - done_at_stop


async def test_bad_batch_input_exits_with_clear_errors(client: Any, cli: Cli,
                                                       task_queue: str) -> None:
    code, _, err = await cli("batch", "terminate", "-q", "NoSuch = 'x'", "-j", "bad")
    assert code == 2
    assert err.startswith("durable: batch operation 'bad': ") and "NoSuch" in err
    assert err.count("\n") == 1
    code, _, err = await cli("batch", "terminate", "-q", "", "--rps", "0")
    assert code == 2 and err == "durable: --rps must be positive, got 0\n"
    code, _, err = await cli("batch", "signal", "-q", "", "--name", "x", "-i", "{bad")
    assert code == 2 and "--input '{bad' is not JSON" in err
    code, _, err = await cli("batch", "describe", "-j", "missing")
    assert code == 3 and err == "durable: batch operation 'missing' not found\n"
    code, _, err = await cli("batch", "stop", "-j", "missing")
    assert code == 3
    assert (await cli("batch", "terminate", "-q", "", "-j", "dup"))[0] == 0
    code, _, err = await cli("batch", "terminate", "-q", "", "-j", "dup")
    assert code == 4 and err == "durable: batch operation 'dup' already exists\n"
    with pytest.raises(TypeError, match="StartBatchOperationRequest"):
        await client.workflow_service.start_batch_operation(
            batch_pb2.DescribeBatchOperationRequest(job_id="x"))


async def test_thousand_workflow_batch_survives_a_server_sigkill(tmp_path: Path) -> None:
    from durable._server_process import ServerProcess
    from durable.client import Client

    db = str(tmp_path / "server")
    n = 1000
    proc = ServerProcess(db, args=["--relaxed-writes"])  # a SIGKILL keeps the OS's buffers
    proc.start()
    try:
        client = await Client.connect(proc.address)
        for i in range(0, n, 100):
            await asyncio.gather(*(client.start_workflow("Doomed", id=f"doomed-{j}",
                                                         task_queue="batch-kill")
                                   for j in range(i, i + 100)))
        req = batch_pb2.StartBatchOperationRequest(
            visibility_query="WorkflowType='Doomed'", job_id="big", reason="crash test",
            max_operations_per_second=100)
        req.termination_operation.SetInParent()
        await client.workflow_service.start_batch_operation(req)
        dreq = batch_pb2.DescribeBatchOperationRequest(job_id="big")
        while True:
            d = await client.workflow_service.describe_batch_operation(dreq)
            if d.complete_operation_count >= 150:
                break
            await asyncio.sleep(0.05)
        proc.kill()
        assert d.state == batch_pb2.BATCH_OPERATION_STATE_RUNNING
        assert d.complete_operation_count < n  # the kill came in the middle
        await client.close()
    except BaseException:
        proc.kill()
        raise

    proc = ServerProcess(db, args=["--relaxed-writes"])
    proc.start()
    try:
        client = await Client.connect(proc.address)
        for _ in range(1200):  # the rest takes ~9 s at 100/s
            d = await client.workflow_service.describe_batch_operation(dreq)
            if d.state != batch_pb2.BATCH_OPERATION_STATE_RUNNING:
                break
            await asyncio.sleep(0.1)
        assert d.state == batch_pb2.BATCH_OPERATION_STATE_COMPLETED
        assert (d.total_operation_count, d.complete_operation_count,
                d.failure_operation_count) == (n, n, 0)
        counts = await asyncio.gather(*(
            event_types(client.get_workflow_handle(f"doomed-{i}")) for i in range(n)))
        terminated = [k.count("workflow_execution_terminated") for k in counts]
        assert terminated == [1] * n
        assert (await client.count_workflows("ExecutionStatus='Terminated'")).count == n
        await client.close()
    finally:
        proc.stop()


async def test_workflow_commands_take_a_query_as_the_temporal_cli(client: Any, cli: Cli,
                                                                  task_queue: str) -> None:
    handles = await _start_many(client, task_queue, 2, "wq")
    query = f"TaskQueue='{task_queue}'"
    code, out, err = await cli("workflow", "signal", "-q", query, "--name", "poke", "-j", "wq-s")
    assert code == 0, err
    assert out.splitlines()[-1] == "Batch wq-s completed: 2/2 done, 0 failed"
    final = await cli.json("workflow", "terminate", "--query", query, "--reason", "done",
                           "--job-id", "wq-t", "--yes")
    assert (final["operationType"], final["completeOperationCount"]) == ("TERMINATE", 2)
    for h in handles:
        kinds = await event_types(h)
        assert kinds.count("workflow_execution_signaled") == 1
        assert kinds.count("workflow_execution_terminated") == 1
    code, _, err = await cli("workflow", "cancel", "-q", query, "-w", "wq-0")
    assert code == 2 and "cannot be combined with -w" in err
    code, _, err = await cli("workflow", "terminate")
    assert code == 2 and err == "durable: give --workflow-id/-w or --query/-q\n"
