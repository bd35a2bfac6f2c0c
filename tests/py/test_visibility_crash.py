"""Crash safety of visibility: a process killed with SIGKILL while workflows start, upsert
search attributes and close leaves no index entry that disagrees with an execution."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from durable.client import Client, WorkflowExecutionStatus
from durable.common import SearchAttributeKey

CHILD = Path(__file__).with_name("visibility_crash_child.py")
STEP = SearchAttributeKey.for_int("Step")
COLOR = SearchAttributeKey.for_keyword("Color")


async def test_sigkill_mid_transitions_leaves_indexes_consistent(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, str(CHILD), str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "started").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the child never started 50 workflows"
        time.sleep(0.05)
    time.sleep(0.5)  # more starts, upserts and closes in flight
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    client = await Client.connect(str(tmp_path / "engine"))
    try:
        rows = [wf async for wf in client.list_workflows(page_size=100)]
        assert len(rows) >= 50
        truth = {}
        for wf in rows:  # the record agrees with the execution's own state
            desc = await client.get_workflow_handle(wf.id, run_id=wf.run_id).describe()
            assert (wf.status, wf.typed_search_attributes, wf.close_time) == (
                desc.status, desc.typed_search_attributes, desc.close_time), wf.id
            truth[wf.run_id] = desc
        # Each index answers exactly what the records say (no stale or missing entries).
        for query, pred in [
            ("ExecutionStatus = 'Running'", lambda d: d.status == WorkflowExecutionStatus.RUNNING),
            ("ExecutionStatus = 'Completed'",
             lambda d: d.status == WorkflowExecutionStatus.COMPLETED),
            ("Color = 'new'", lambda d: d.typed_search_attributes.get(COLOR) == "new"),
            ("Color = 'done'", lambda d: d.typed_search_attributes.get(COLOR) == "done"),
            ("Step >= 25", lambda d: d.typed_search_attributes.get(STEP, -1) >= 25),
            ("CloseTime IS NOT NULL", lambda d: d.close_time is not None),
        ]:
            listed = {wf.run_id async for wf in client.list_workflows(query)}
            assert listed == {r for r, d in truth.items() if pred(d)}, query
        assert any(d.status == WorkflowExecutionStatus.COMPLETED for d in truth.values())
    finally:
        await client.close()
