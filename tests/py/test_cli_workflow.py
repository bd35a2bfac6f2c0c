"""``durable workflow ...`` and ``durable namespace ...`` on both transports: each command's
table and JSON output, bad input and the exit codes (docs/cli.md).

The CLI runs in-process (``main(argv)`` on a thread, while the test's worker runs on the
test's loop): on the embedded engine one process owns the directory, and Client.connect on
the same directory shares that engine within the process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from durable import activity, workflow
from durable.common import RetryPolicy
from durable.exceptions import ApplicationError
from durable.worker import Worker

from cli_util import Cli


@activity.defn
async def cli_flaky(name: str) -> str:
    if activity.info().attempt == 1:
        raise ApplicationError("first try breaks", type="Transient")
    return f"Hello, {name}!"


@workflow.defn(name="CliGreeter")
class CliGreeter:
    def __init__(self) -> None:
        self.greeting = ""
        self.finished_by = ""
        self.limit = 0

    @workflow.run
    async def run(self, name: str, wait: bool = False) -> str:
        self.greeting = await workflow.execute_activity(
            cli_flaky, name, start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=10)))
        if wait:
            await workflow.wait_condition(lambda: bool(self.finished_by))
        return f"{self.greeting} (by {self.finished_by or 'nobody'})"

    @workflow.signal
    def finish(self, by: str) -> None:
        self.finished_by = by

    @workflow.query
    def greeting_now(self) -> str:
        return self.greeting

    @workflow.update
    def set_limit(self, n: int) -> int:
        self.limit = n
        return n * 2


@workflow.defn(name="CliFails")
class CliFails:
    @workflow.run
    async def run(self) -> None:
        raise ApplicationError("no way", type="Refused", non_retryable=True)


def _worker(client: Any, task_queue: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[CliGreeter, CliFails],
                  activities=[cli_flaky])


async def test_start_then_result_describe_show_list_count(client: Any, cli: Cli,
                                                          task_queue: str) -> None:
    wid = f"greet-{uuid.uuid4().hex[:6]}"
    code, out, err = await cli("workflow", "start", "--type", "CliGreeter", "-t", task_queue,
                               "-w", wid, "-i", '"World"')
    assert code == 0, err
    assert f"WorkflowId  {wid}" in out and "Type        CliGreeter" in out
    assert f"TaskQueue   {task_queue}" in out and "RunId" in out

    async with _worker(client, task_queue):
        code, out, err = await cli("workflow", "result", "-w", wid, "-o", "json")
        assert code == 0, err
        assert json.loads(out) == {"workflowId": wid, "status": "COMPLETED",
                                   "result": "Hello, World! (by nobody)"}
        code, out, _ = await cli("workflow", "result", "-w", wid)
        assert "Status      COMPLETED" in out and "Hello, World! (by nobody)" in out

    d = await cli.json("workflow", "describe", "-w", wid)
    assert (d["workflowId"], d["type"], d["status"], d["taskQueue"]) == (
        wid, "CliGreeter", "COMPLETED", task_queue)
    assert d["closeTime"].endswith("Z") and d["historyLength"] > 5 and d["pendingActivities"] == []
    code, out, _ = await cli("workflow", "describe", "-w", wid)
    assert out.startswith("Execution Info:\n") and "Status" in out and "COMPLETED" in out
    assert "Pending Activities: 0" in out

    # show: the activity's retry is visible (attempt 2 with the first attempt's failure)
    code, out, err = await cli("workflow", "show", "-w", wid)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "Time", "Type", "Details"]
    assert lines[1].split()[0] == "1" and "WorkflowExecutionStarted" in lines[1]
    assert "WorkflowType=CliGreeter" in lines[1] and 'Input="World"' in lines[1]
    started = [l for l in lines if "ActivityTaskStarted" in l]
    assert started and "Attempt=2" in started[0]
    assert "LastFailure=Transient: first try breaks" in started[0]
    assert any("ActivityTaskScheduled" in l and "ActivityType=cli_flaky" in l for l in lines)
    assert "WorkflowExecutionCompleted" in lines[-1] and "Hello, World!" in lines[-1]
    history = await cli.json("workflow", "show", "-w", wid)
    assert history["events"][0]["eventId"] == "1"
    assert "workflowExecutionCompleted" in history["events"][-1]
    code, out, _ = await cli("workflow", "show", "-w", wid, "-o", "jsonl")
    events = [json.loads(l) for l in out.splitlines()]
    assert [e["eventId"] for e in events] == list(range(1, len(history["events"]) + 1))
    assert events[-1]["type"] == "WorkflowExecutionCompleted"

    rows = await cli.json("workflow", "list", "-q", "WorkflowType='CliGreeter'")
    assert [(r["workflowId"], r["status"]) for r in rows] == [(wid, "COMPLETED")]
    code, out, _ = await cli("workflow", "list")
    assert out.splitlines()[0].split() == ["Status", "WorkflowId", "Type", "StartTime",
                                           "CloseTime"]
    assert out.splitlines()[1].split()[:3] == ["COMPLETED", wid, "CliGreeter"]
    code, out, _ = await cli("workflow", "list", "-o", "jsonl", "--limit", "1")
    assert len(out.splitlines()) == 1 and json.loads(out)["workflowId"] == wid
    assert (await cli.json("workflow", "count"))["count"] == 1
    code, out, _ = await cli("workflow", "count", "-q", "ExecutionStatus='Running'")
    assert out == "Total: 0\n"


async def test_signal_query_update_stack_and_follow(client: Any, cli: Cli,
                                                    task_queue: str) -> None:
    wid = f"wait-{uuid.uuid4().hex[:6]}"
    await client.start_workflow("CliGreeter", args=["Ops", True], id=wid, task_queue=task_queue)
    async with _worker(client, task_queue):
        handle = client.get_workflow_handle(wid)
        for _ in range(400):  # until the activity's result is in
            history = await handle.fetch_history()
            if any(e.HasField("activity_task_completed") for e in history.events):
                break
            await asyncio.sleep(0.05)
        assert (await cli.json("workflow", "query", "-w", wid, "--name", "greeting_now")) == {
            "queryResult": "Hello, Ops!"}
        code, out, _ = await cli("workflow", "query", "-w", wid, "--name", "greeting_now")
        assert out == "  QueryResult  Hello, Ops!\n"
        assert (await cli.json("workflow", "update", "-w", wid, "--name", "set_limit",
                               "-i", "21"))["updateResult"] == 42
        code, out, err = await cli("workflow", "stack", "-w", wid)
        assert code == 0 and "wait_condition" in out, (out, err)

        follow = asyncio.ensure_future(cli("workflow", "show", "-w", wid, "--follow",
                                           "-o", "jsonl"))
        await asyncio.sleep(0.5)
        assert not follow.done()  # it waits for the run to close
        code, out, err = await cli("workflow", "signal", "-w", wid, "--name", "finish",
                                   "-i", '"cli"')
        assert (code, out) == (0, f"Signal 'finish' sent to {wid}.\n"), err
        code, out, err = await asyncio.wait_for(follow, 60)
        assert code == 0, err
        types = [json.loads(l)["type"] for l in out.splitlines()]
        assert types[0] == "WorkflowExecutionStarted"
        assert "WorkflowExecutionSignaled" in types and "WorkflowExecutionUpdateCompleted" in types
        assert types[-1] == "WorkflowExecutionCompleted"
        assert await handle.result() == "Hello, Ops! (by cli)"


async def test_execute_failed_cancel_terminate_exit_codes(client: Any, cli: Cli,
                                                          task_queue: str) -> None:
    async with _worker(client, task_queue):
        got = await cli("workflow", "execute", "--type", "CliGreeter", "-t", task_queue,
                        "-i", '"Ann"', "-o", "json")
        assert got[0] == 0, got[2]
        body = json.loads(got[1])
        assert body["status"] == "COMPLETED" and body["result"] == "Hello, Ann! (by nobody)"
        code, out, err = await cli("workflow", "execute", "--type", "CliFails", "-t",
                                   task_queue, "-w", "fails-1")
        assert code == 1
        assert "  Status   FAILED\n  Failure  Refused: no way\n" in out and err == ""

    wid = f"stuck-{uuid.uuid4().hex[:6]}"
    await client.start_workflow("CliGreeter", args=["x", True], id=wid, task_queue="nobody")
    code, out, err = await cli("workflow", "cancel", "-w", wid, "--reason", "because")
    assert (code, out) == (0, f"Cancellation requested for {wid}.\n"), err
    code, out, err = await cli("workflow", "terminate", "-w", wid, "--reason", "bad deploy",
                               "-o", "json")
    assert code == 0 and json.loads(out) == {"workflowId": wid, "terminated": True}, err
    code, out, _ = await cli("workflow", "result", "-w", wid, "-o", "json")
    assert code == 1 and json.loads(out)["status"] == "TERMINATED"
    code, out, _ = await cli("workflow", "show", "-w", wid)
    assert "WorkflowExecutionCancelRequested" in out
    assert "WorkflowExecutionTerminated" in out and "Reason=bad deploy" in out

    # a closed run: failed precondition (4); no such workflow: not found (3)
    code, _, err = await cli("workflow", "signal", "-w", wid, "--name", "finish")
    assert code == 4 and err.startswith("durable: ") and err.count("\n") == 1, err
    code, _, err = await cli("workflow", "describe", "-w", "no-such-workflow")
    assert code == 3 and "no-such-workflow" in err and err.count("\n") == 1, err
    # id taken by a running workflow: 4
    await client.start_workflow("CliGreeter", args=["x", True], id="taken", task_queue="nobody")
    code, _, err = await cli("workflow", "start", "--type", "CliGreeter", "-t", "nobody",
                             "-w", "taken")
    assert code == 4, err


async def test_bad_input_is_usage_error(client: Any, cli: Cli, task_queue: str) -> None:
    cases = [
        (["workflow", "start", "--type", "X", "-t", task_queue, "-i", "not json"],
         "--input 'not json' is not JSON"),
        (["workflow", "start", "--type", "X", "-t", task_queue, "--run-timeout", "soon"],
         "--run-timeout: 'soon' is not a duration"),
        (["workflow", "start", "-t", task_queue], "required: --type"),
        (["workflow", "list", "-q", "WorkflowType = "], ""),
        (["workflow", "list", "--limit", "0"], "--limit must be positive"),
        (["workflow", "list", "-o", "yaml"], "invalid choice: 'yaml'"),
        (["namespace", "update", "-n", "default"], "nothing to change"),
    ]
    for argv, text in cases:
        code, out, err = await cli(*argv)
        assert code == 2 and text in err and err.count("\n") == 1, (argv, code, err)
        assert out == ""


async def test_namespace_commands(client: Any, cli: Cli) -> None:
    code, out, err = await cli("namespace", "create", "-n", "osm", "--retention", "7d",
                               "--description", "OSM LCM", "--data", "team=lcm")
    assert (code, out) == (0, "Namespace osm registered.\n"), err
    code, _, err = await cli("namespace", "create", "osm")
    assert code == 4 and "osm" in err
    rows = await cli.json("namespace", "list")
    assert [r["name"] for r in rows] == ["default", "osm"]
    assert rows[1]["retention"] == "604800s" and rows[1]["data"] == {"team": "lcm"}
    code, out, _ = await cli("namespace", "list")
    assert out.splitlines()[0].split()[:2] == ["Name", "Retention"]
    assert out.splitlines()[2].split()[:2] == ["osm", "604800s"]
    info = await cli.json("namespace", "update", "-n", "osm", "--retention", "30d")
    assert info["retentionSeconds"] == 30 * 86400 and info["description"] == "OSM LCM"
    code, out, _ = await cli("namespace", "describe", "-n", "osm")
    assert "Retention    2.592e+06s" in out or "2592000s" in out
    code, _, err = await cli("namespace", "describe", "-n", "nope")
    assert code == 3, err
    # workflow commands in the new namespace
    code, _, err = await cli("workflow", "start", "--type", "CliGreeter", "-t", "q", "-w", "n1",
                             "-n", "osm")
    assert code == 0, err
    assert (await cli.json("workflow", "describe", "-w", "n1", "-n", "osm"))["type"] == "CliGreeter"
    code, _, err = await cli("workflow", "describe", "-w", "n1")  # not in default
    assert code == 3, err
    # (workflow list -n osm is not checked here: the engine's visibility lists nothing in a
    # namespace other than default yet — an engine bug reported to the lead)


def test_help_of_every_command_has_an_example() -> None:
    for group, commands in (
            ("workflow", ["start", "execute", "list", "count", "describe", "show", "result",
                          "signal", "query", "update", "cancel", "terminate", "stack"]),
            ("namespace", ["create", "list", "describe", "update"]),
            ("schedule", ["create", "list", "describe", "update", "trigger", "backfill",
                          "pause", "unpause", "delete"])):
        for c in commands:
            proc = subprocess.run([sys.executable, "-m", "durable", group, c, "--help"],
                                  capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0 and "Example: durable " + group in proc.stdout, c
            for flag in ("--address", "--db", "--namespace", "--output", "--tls-ca-path",
                         "--api-key", "--profile"):
                assert flag in proc.stdout, (c, flag)


def test_unreachable_server_and_missing_dir_exit_codes(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "durable", "workflow", "list", "--address",
                           "127.0.0.1:1"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 5 and proc.stderr.count("\n") == 1, proc.stderr
    assert "127.0.0.1:1" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "durable", "workflow", "list", "--db",
                           str(tmp_path / "absent")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no such directory" in proc.stderr
    (tmp_path / "notes.txt").write_text("not an engine")
    proc = subprocess.run([sys.executable, "-m", "durable", "workflow", "list", "--db",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "not a durable data directory" in proc.stderr
    assert not (tmp_path / "CURRENT").exists()
    proc = subprocess.run([sys.executable, "-m", "durable", "workflow", "list", "--db",
                           str(tmp_path), "--address", "x:1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "cannot be combined with --address" in proc.stderr


async def test_profile_file_names_the_server_and_namespace(server: Any, tmp_path: Path) -> None:
    from durable.client import Client

    c = await Client.connect(server.address)
    await c.register_namespace("prof")
    await c.close()
    cfg = tmp_path / "temporal.toml"
    cfg.write_text(f'[profile.ops]\naddress = "{server.address}"\nnamespace = "prof"\n')
    code, out, err = await Cli([])("workflow", "start", "--type", "T", "-t", "q", "-w", "p1",
                                   "--config-file", str(cfg), "--profile", "ops", "-o", "json")
    assert code == 0 and json.loads(out)["namespace"] == "prof", err
    code, _, err = await Cli([])("workflow", "describe", "-w", "p1", "--config-file", str(cfg),
                                 "--profile", "nope")
    assert code == 2 and "nope" in err, err


async def test_schedule_commands(client: Any, cli: Cli, task_queue: str) -> None:
    code, out, err = await cli("schedule", "create", "-s", "clean", "--interval", "1h",
                               "--type", "CliGreeter", "-t", task_queue, "-w", "clean",
                               "-i", '"sched"', "--paused", "--note", "not yet")
    assert (code, out) == (0, "Schedule clean created.\n"), err
    code, _, err = await cli("schedule", "create", "-s", "clean", "--interval", "1h",
                             "--type", "CliGreeter", "-t", task_queue, "-w", "clean")
    assert code == 4, err
    d = await cli.json("schedule", "describe", "-s", "clean")
    assert (d["scheduleId"], d["workflowType"], d["intervals"], d["paused"], d["note"]) == (
        "clean", "CliGreeter", ["3600s"], True, "not yet")
    code, out, _ = await cli("schedule", "list")
    assert out.splitlines()[1].split()[:3] == ["clean", "CliGreeter", "true"]
    assert (await cli("schedule", "unpause", "-s", "clean", "--reason", "go"))[0] == 0
    assert (await cli("schedule", "update", "-s", "clean", "--cron", "30 2 * * *"))[0] == 0
    d = await cli.json("schedule", "describe", "-s", "clean")
    assert (d["paused"], d["cron"], d["intervals"]) == (False, ["30 2 * * *"], [])
    async with _worker(client, task_queue):
        code, out, err = await cli("schedule", "trigger", "-s", "clean")
        assert (code, out) == (0, "Schedule clean triggered.\n"), err
        for _ in range(400):  # the run it started completes
            rows = await cli.json("workflow", "list", "-q", "WorkflowType='CliGreeter'")
            if rows and rows[0]["status"] == "COMPLETED":
                break
            await asyncio.sleep(0.05)
        assert rows[0]["workflowId"].startswith("clean-") and rows[0]["status"] == "COMPLETED"
        got = await cli.json("workflow", "result", "-w", rows[0]["workflowId"])
        assert got["result"] == "Hello, sched! (by nobody)"  # the -i kept through the update
    code, _, err = await cli("schedule", "backfill", "-s", "clean", "--start-time", "yesterday",
                             "--end-time", "2026-12-02T00:00:00Z")
    assert code == 2 and "ISO 8601" in err
    assert (await cli("schedule", "delete", "-s", "clean"))[0] == 0
    code, _, err = await cli("schedule", "describe", "-s", "clean")
    assert code == 3, err


def test_directory_held_by_a_server_is_unavailable(server: Any) -> None:
    proc = subprocess.run([sys.executable, "-m", "durable", "workflow", "list", "--db",
                           str(server.db)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 5 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("durable: ") and "Traceback" not in proc.stderr
