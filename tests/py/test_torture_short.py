"""The torture harness (tests/torture/run.py), short: 200 workflows, two SIGKILLs per
transport (the embedded engine's process; durable-server and a worker), then the invariant
checker. The long run is documented in tests/torture/README.md. Also: the checker does fail
when history and the ack log disagree."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

TORTURE = Path(__file__).resolve().parent.parent / "torture"
sys.path.insert(0, str(TORTURE))

from invariants import InvariantError, check, history_problems  # noqa: E402

from durable.client import Client  # noqa: E402


@pytest.mark.timeout(900)  # a hang guard for the whole run, not a speed requirement
async def test_two_hundred_workflows_survive_kills_on_both_transports(tmp_path: Path) -> None:
    seed = int(os.environ.get("TORTURE_SEED", random.SystemRandom().randrange(2**31)))
    proc = subprocess.run(
        [sys.executable, str(TORTURE / "run.py"), "--workflows", "200", "--kills", "2",
         "--seed", str(seed), "--time-limit", "400", "--workdir", str(tmp_path)],
        capture_output=True, text=True)
    out = proc.stdout
    assert proc.returncode == 0, f"seed {seed}:\n{out}\n{proc.stderr[-4000:]}"
    results = [json.loads(line.split(" ", 2)[2]) for line in out.splitlines()
               if line.startswith("torture result ")]
    assert [r["transport"] for r in results] == ["embedded", "server"], out
    for r in results:
        assert r["kills"] == 2, r
        assert r["activities_completed"] >= 200 and r["runs"] >= 200, r

    # The checker is not vacuous: an acknowledged signal that history lacks is reported, and
    # so is a history with a gap or a second completion of one activity.
    plans = json.loads((tmp_path / "embedded" / "plans.json").read_text())
    acks = tmp_path / "embedded" / "acks.log"
    with acks.open("a") as f:
        f.write(json.dumps({"kind": "signal", "wf": "t-0", "sid": "t-0-s99"}) + "\n")
    client = await Client.connect(str(tmp_path / "embedded" / "db"))
    try:
        with pytest.raises(InvariantError, match="acknowledged signal t-0-s99 not in history"):
            await check(client, plans, str(acks), str(tmp_path / "embedded" / "effects.log"), [])
        events = list((await client.get_workflow_handle("t-0").fetch_history()).events)
    finally:
        await client.close()
    assert history_problems("t-0", events, closed=True) == []
    completed = [e for e in events if e.WhichOneof("attributes") == "activity_task_completed"]
    twice = events + [type(completed[0])()]
    twice[-1].CopyFrom(completed[0])
    twice[-1].event_id = len(events) + 1
    assert any("recorded more than once" in p for p in history_problems("t-0", twice, True))
    gap = events[:3] + events[4:]
    assert any("not dense" in p for p in history_problems("t-0", gap, True))
