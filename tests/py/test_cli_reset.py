"""``durable workflow reset`` on both transports (``--db DIR`` and ``--address``): --type
FirstWorkflowTask / LastWorkflowTask / LastContinuedAsNew and --event-id, --reapply-type,
the old run terminated naming the new one, bad input and its exit codes (docs/cli.md)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from durable import workflow
from durable.client import WorkflowExecutionStatus
from durable.worker import Worker

from cli_util import Cli
from reset_util import Inbox


@workflow.defn(name="CliInbox")
class CliInbox(Inbox):
    @workflow.run
    async def run(self, again: bool = False) -> list[str]:
        await workflow.wait_condition(lambda: self.closed)
        if again:
            workflow.continue_as_new(False)
        return self.items


async def _reset(cli: Cli, *argv: str) -> dict[str, Any]:
    code, out, err = await cli("workflow", "reset", *argv, "-o", "json")
    assert code == 0, err
    return json.loads(out)


async def _task_completed(handle: Any, count: int) -> None:
    for _ in range(1000):
        events = (await handle.fetch_history()).events
        if sum(e.HasField("workflow_task_completed") for e in events) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the workflow task did not complete")


async def test_reset_first_and_last_workflow_task(client: Any, cli: Cli, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CliInbox]):
        handle = await client.start_workflow(CliInbox.run, id="inbox-1", task_queue=task_queue)
        await _task_completed(handle, 1)  # so the first task ends at event 4
        await handle.signal(CliInbox.add, "a")
        await _task_completed(handle, 2)
        old_run = (await handle.describe()).run_id

        # LastWorkflowTask: "a" came before that task, so it is in the copied prefix.
        body = await _reset(cli, "-w", "inbox-1", "--type", "LastWorkflowTask",
                            "--reason", "fixed v2")
        new_run = body["runId"]
        assert body["workflowId"] == "inbox-1" and new_run != old_run
        old = client.get_workflow_handle("inbox-1", run_id=old_run)
        assert (await old.describe()).status == WorkflowExecutionStatus.TERMINATED
        reason = (await old.fetch_history()).events[-1].workflow_execution_terminated.reason
        assert new_run in reason and "fixed v2" in reason
        current = client.get_workflow_handle("inbox-1")  # the current run: the new one
        await current.signal(CliInbox.add, "b")
        await current.signal(CliInbox.close)
        assert await client.get_workflow_handle("inbox-1", run_id=new_run).result() == ["a", "b"]

        # FirstWorkflowTask of the completed run: "a", "b" and close are re-applied.
        code, out, err = await cli("workflow", "reset", "-w", "inbox-1", "-r", new_run,
                                   "--type", "FirstWorkflowTask", "--reason", "replay all")
        assert code == 0, err
        assert out.startswith("Workflow inbox-1 reset to event 4: new run "), out
        third = out.strip().rstrip(".").rsplit(" ", 1)[-1]
        assert await client.get_workflow_handle("inbox-1", run_id=third).result() == ["a", "b"]
        # The completed run stays completed.
        done = client.get_workflow_handle("inbox-1", run_id=new_run)
        assert (await done.describe()).status == WorkflowExecutionStatus.COMPLETED


async def test_reset_event_id_reapply_none_and_continued_as_new(client: Any, cli: Cli,
                                                                task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CliInbox]):
        handle = await client.start_workflow(CliInbox.run, args=[True], id="inbox-2",
                                             task_queue=task_queue)
        first_run = (await handle.describe()).run_id
        await _task_completed(handle, 1)  # so the first task ends at event 4
        await handle.signal(CliInbox.add, "x")
        await handle.signal(CliInbox.close)
        for _ in range(1000):  # the run continues as new, the next one waits for signals
            if (await client.get_workflow_handle("inbox-2").describe()).run_id != first_run:
                break
            await asyncio.sleep(0.01)
        second_run = (await client.get_workflow_handle("inbox-2").describe()).run_id
        second = client.get_workflow_handle("inbox-2", run_id=second_run)
        await _task_completed(second, 1)

    # No worker from here: the new runs stay where the reset put them.
    # LastContinuedAsNew: the first run at its last workflow task, with no signals re-applied.
    body = await _reset(cli, "-w", "inbox-2", "--type", "LastContinuedAsNew",
                        "--reapply-type", "None", "--reason", "again")
    events = (await client.get_workflow_handle("inbox-2", run_id=body["runId"])
              .fetch_history()).events
    assert events[body["eventId"] - 1].HasField("workflow_task_failed")
    assert events[body["eventId"] - 1].workflow_task_failed.base_run_id == first_run
    assert [e.WhichOneof("attributes") for e in events[body["eventId"]:]] == [
        "workflow_task_scheduled"]
    assert (await second.describe()).status == WorkflowExecutionStatus.TERMINATED

    # --event-id: the first task of the current run's copied prefix.
    body = await _reset(cli, "-w", "inbox-2", "--event-id", "4", "--reason", "once more")
    assert body["eventId"] == 4
    cur = client.get_workflow_handle("inbox-2")
    assert (await cur.describe()).run_id == body["runId"]
    await cur.terminate("test over")


async def test_reset_bad_input_exit_codes(client: Any, cli: Cli, task_queue: str) -> None:
    await client.start_workflow(CliInbox.run, id="inbox-3", task_queue="nobody")
    code, out, err = await cli("workflow", "reset", "-w", "inbox-3", "--reason", "r")
    assert code == 2 and "one of the arguments --event-id/-e --type is required" in err, err
    code, out, err = await cli("workflow", "reset", "-w", "inbox-3", "--type", "FirstWorkflowTask")
    assert code == 2 and "--reason" in err, err
    # No workflow task completed yet: nothing to reset to.
    code, out, err = await cli("workflow", "reset", "-w", "inbox-3", "--type",
                               "LastWorkflowTask", "--reason", "r")
    assert code == 2 and "no completed workflow task" in err and err.count("\n") == 1, err
    code, out, err = await cli("workflow", "reset", "-w", "inbox-3", "--type",
                               "LastContinuedAsNew", "--reason", "r")
    assert code == 2 and "did not continue another run" in err, err
    code, out, err = await cli("workflow", "reset", "-w", "inbox-3", "-e", "1", "--reason", "r")
    assert code == 2 and "does not end a started workflow task" in err, err
    code, out, err = await cli("workflow", "reset", "-w", "no-such", "-e", "4", "--reason", "r")
    assert code == 3 and "no-such" in err, err
    assert out == ""
