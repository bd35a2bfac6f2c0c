"""workflow.get_last_completion_result / has_last_completion_result / get_last_failure in a
legacy cron chain (as Temporal: each run sees the previous run's result, or its failure and
the last result before it): on the time-skipping environment (embedded), and on
durable-server in real time (two cron minutes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from durable import workflow
from durable._server_process import ServerProcess
from durable.client import Client, WorkflowExecutionStatus
from durable.exceptions import ApplicationError
from durable.testing import WorkflowEnvironment
from durable.worker import Worker


@workflow.defn
class Chain:
    @workflow.run
    async def run(self, fail_second: bool) -> str:
        failure = workflow.get_last_failure()
        if not workflow.has_last_completion_result() and failure is None:
            return "run 1"
        last = workflow.get_last_completion_result(str)
        if fail_second and failure is None and last == "run 1":
            raise ApplicationError("run 2 fails")
        seen = f"failure {failure.message!r}" if isinstance(failure, ApplicationError) else ""
        return f"after {last!r} {seen}".strip()


async def _closed_runs(client: Client, workflow_id: str) -> list[str]:
    runs = [r async for r in client.list_workflows(
        f"WorkflowId = '{workflow_id}' ORDER BY StartTime")]
    return [r.run_id for r in runs if r.status != WorkflowExecutionStatus.RUNNING]


async def _results(client: Client, workflow_id: str, run_ids: list[str]) -> list[str]:
    """The results (or failure messages) of these runs."""
    out = []
    for run_id in run_ids:
        try:
            out.append(await client.get_workflow_handle(workflow_id, run_id=run_id).result(
                follow_runs=False))
        except Exception as e:  # noqa: BLE001 (a failed run: its failure's message)
            out.append(f"failed: {getattr(e, 'cause', e)}")
    return out


async def test_cron_runs_see_the_last_result_and_failure() -> None:
    async with await WorkflowEnvironment.start_time_skipping() as env:
        async with Worker(env.client, task_queue="q", workflows=[Chain]):
            await env.client.start_workflow(Chain.run, True, id="cron", task_queue="q",
                                            cron_schedule="* * * * *")
            while len(closed := await _closed_runs(env.client, "cron")) < 3:
                await env.sleep(30)  # virtual time: the next cron minute comes at once
            assert await _results(env.client, "cron", closed[:3]) == [
                "run 1", "failed: run 2 fails", "after 'run 1' failure 'run 2 fails'"]
            await env.client.get_workflow_handle("cron").terminate()


# Two real cron minutes: up to ~120 s by design, the default 120 s hang guard is too tight.
@pytest.mark.timeout(360)
async def test_cron_last_result_over_durable_server(tmp_path: Path) -> None:
    with ServerProcess(str(tmp_path / "db")) as proc:
        client = await Client.connect(proc.address)
        try:
            async with Worker(client, task_queue="q", workflows=[Chain]):
                await client.start_workflow(Chain.run, False, id="cron", task_queue="q",
                                            cron_schedule="* * * * *")
                while len(closed := await _closed_runs(client, "cron")) < 2:
                    await asyncio.sleep(0.5)  # real time: up to two cron minutes
                assert await _results(client, "cron", closed[:2]) == ["run 1", "after 'run 1'"]
                await client.get_workflow_handle("cron").terminate()
        finally:
            await client.close()
