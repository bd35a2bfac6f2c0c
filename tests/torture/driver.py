"""Drives the plans through a client: start (or signal-with-start), signals, the update, the
result; logs every attempt and acknowledgement to the ack log. Idempotent, so that a driver
killed with its embedded engine can be started again on the same log: what was acknowledged
is not sent again, what was only attempted is sent again (its id lets the workflow count it
once)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from acklog import AckLog, read
from workflows import TortureWorkflow, signal_value, update_value

from durable.client import Client, WorkflowExecutionStatus
from durable.common import WorkflowIdConflictPolicy, WorkflowIdReusePolicy
from durable.exceptions import FailedPreconditionError, NotFoundError

RETRY_FOR = 300.0  # seconds a call is retried across outages before the driver gives up


def workflow_id(plan: dict[str, Any]) -> str:
    return f"t-{plan['i']}"


async def _retrying(what: str, call: Any) -> Any:
    deadline = time.monotonic() + RETRY_FOR
    delay = 0.1
    while True:
        try:
            return await call()
        except (FailedPreconditionError, NotFoundError):
            raise
        except Exception as e:  # an outage: the server or the engine is being restarted
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: still failing after {RETRY_FOR}s") from e
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def drive(client: Client, plans: list[dict[str, Any]], task_queue: str, log_path: str,
                concurrency: int = 60) -> None:
    done = {(a["kind"], a["wf"], a.get("sid", "")) for a in read(log_path)}
    log = AckLog(log_path)
    gate = asyncio.Semaphore(concurrency)

    async def one(plan: dict[str, Any]) -> None:
        wf = workflow_id(plan)
        if ("result", wf, "") in done:
            return
        handle = client.get_workflow_handle(wf)
        first = 0
        if ("start", wf, "") not in done:
            sws = plan["sws"] and plan["signals"] > 0
            sid = f"{wf}-s0"
            log.write("start-attempt", wf=wf, sid=sid if sws else "")

            async def start() -> Any:
                return await client.start_workflow(
                    TortureWorkflow.run, args=[plan, None], id=wf, task_queue=task_queue,
                    request_id=f"start-{wf}", task_timeout=_task_timeout(),
                    id_conflict_policy=WorkflowIdConflictPolicy.USE_EXISTING,
                    id_reuse_policy=WorkflowIdReusePolicy.REJECT_DUPLICATE,
                    start_signal="add" if sws else None,
                    start_signal_args=[{"id": sid, "v": signal_value(plan, 0)}] if sws else [])
            try:
                h = await _retrying(f"start {wf}", start)
                log.write("start", wf=wf, run_id=h.run_id, sid=sid if sws else "")
            except Exception as e:  # already closed (REJECT_DUPLICATE): started before
                log.write("start-refused", wf=wf, error=f"{type(e).__name__}: {e} "
                          f"({type(e.__cause__).__name__}: {e.__cause__})")
            if sws:
                first = 1
        elif plan["sws"] and plan["signals"] > 0:
            first = 1
        for j in range(first, plan["signals"]):
            sid = f"{wf}-s{j}"
            if ("signal", wf, sid) in done:
                continue
            log.write("signal-attempt", wf=wf, sid=sid)
            try:
                await _retrying(f"signal {sid}", lambda sid=sid, j=j: handle.signal(
                    TortureWorkflow.add, {"id": sid, "v": signal_value(plan, j)}))
                log.write("signal", wf=wf, sid=sid)
            except FailedPreconditionError:
                # Closed: it awaited this signal, so an unacknowledged attempt got through.
                log.write("signal-closed", wf=wf, sid=sid)
        if plan["update"] and ("update", wf, f"{wf}-u") not in done:
            log.write("update-attempt", wf=wf, sid=f"{wf}-u")
            while True:
                try:
                    got = await _retrying(f"update {wf}", lambda: handle.execute_update(
                        TortureWorkflow.bump, update_value(plan), id=f"{wf}-u"))
                    log.write("update", wf=wf, sid=f"{wf}-u", result=got)
                except FailedPreconditionError:
                    # The run it reached closed: continued as new before accepting it (the
                    # engine can fail it instead of moving it to the next run, README.md
                    # "Found by it"): send it again while the workflow runs.
                    desc = await _retrying(f"describe {wf}", handle.describe)
                    if desc.status == WorkflowExecutionStatus.RUNNING:
                        log.write("update-retry", wf=wf, sid=f"{wf}-u")
                        continue
                    log.write("update-closed", wf=wf, sid=f"{wf}-u")
                break
        result = await _retrying(f"result {wf}", handle.result)
        log.write("result", wf=wf, result=result)

    async def gated(plan: dict[str, Any]) -> None:
        async with gate:
            await one(plan)

    try:
        await asyncio.gather(*(gated(p) for p in plans))
    finally:
        log.close()


def _task_timeout() -> Any:
    from datetime import timedelta

    # A task handed to a worker that was killed waits this long before another worker gets it.
    return timedelta(seconds=3)
