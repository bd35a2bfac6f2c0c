"""examples/osm_lcm: the worker process (examples/osm_lcm/worker.py, on a real
durable-server) is killed with SIGKILL while NsInstantiateWorkflow's VNFs wait for
readiness, and restarted: the NS completes, and no step ran twice except the interrupted
readiness polls, which resumed from their last heartbeat (counted in the simulators'
on-disk log)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from typing import Any

from durable.client import Client
from osm_lcm_fixtures import EXAMPLE_DIR, Lcm, activities, lcm, mongo_url, wf  # noqa: F401

MEMBERS = ("amf", "smf", "upf")


def _start_worker(address: str, lcm: Lcm) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE_DIR / "worker.py"), "--server", address,
         "--mongo-url", lcm.mongo_url, "--database", lcm.database,
         "--sim-dir", str(lcm.sim.dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "worker ready", (line, proc.stderr.read() if proc.poll() else "")
    return proc


def _polls(lcm: Lcm, member: str) -> list[tuple[int, str]]:
    """(poll number, pid) of each readiness poll of ``member``, in order."""
    out = []
    for line in (lcm.sim.dir / "ops.log").read_text().splitlines():
        parts = line.split()
        if parts[0] == "k8s.poll_ready" and parts[1] == f"ns-9/{member}":
            out.append((int(parts[2].removeprefix("n=")), parts[3].removeprefix("pid=")))
    return out


async def test_worker_killed_mid_ns_instantiation_restarts_and_completes(
        lcm: Lcm, server: Any) -> None:
    activities.seed_catalog(lcm.mongo_url, database=lcm.database)
    for m in MEMBERS:
        lcm.sim.set_ready_after("ns-9", m, 60)
    client = await Client.connect(server.address)
    first = _start_worker(server.address, lcm)
    second = None
    try:
        handle = await client.start_workflow(
            wf.NsInstantiateWorkflow.run,
            {"ns_id": "ns-9", "nsd_id": "nsd-5g-core", "require_approval": False},
            id="ns-9", task_queue="lcm")
        for _ in range(1200):  # until every VNF is polling for readiness
            if all(lcm.sim.count("k8s.poll_ready", f"ns-9/{m}") >= 5 for m in MEMBERS):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the VNFs never got to polling: {lcm.sim.ops()}")
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL
        before_kill = {m: len(_polls(lcm, m)) for m in MEMBERS}

        second = _start_worker(server.address, lcm)
        result = await asyncio.wait_for(handle.result(), timeout=120)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
        await client.close()

    assert result["status"] == "instantiated"
    assert [v["member"] for v in result["vnfs"]] == list(MEMBERS)
    # Every step but the interrupted one ran exactly once.
    counts = Counter(op for op in lcm.sim.ops() if not op.startswith("k8s.poll_ready"))
    assert counts == Counter(["k8s.create_namespace ns-9", "vim.create_network ns-9"] + [
        f"{step} ns-9/{m}" for m in MEMBERS
        for step in ("vim.deploy_vnf", "charm.configure_day1")]), counts
    for m in MEMBERS:
        polls = _polls(lcm, m)
        pids = list(dict.fromkeys(pid for _, pid in polls))
        assert pids == [str(first.pid), str(second.pid)], (m, pids)
        resumed_at = next(n for n, pid in polls if pid == str(second.pid))
        # The new attempt resumed from the last heartbeat the engine had, not from 1.
        assert 2 <= resumed_at <= before_kill[m] + 1, (m, resumed_at, before_kill[m])
        assert polls[-1][0] == 60
