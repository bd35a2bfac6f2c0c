"""The torture harness: thousands of workflows (activities, timers, signals, updates,
children, continue-as-new, signal-with-start) while processes are killed with SIGKILL at
random points, on the embedded engine and on durable-server; then the invariant checker.

    .venv/bin/python tests/torture/run.py --workflows 2000 --kills 10 [--seed N]
        [--transport embedded|server|both] [--time-limit 900] [--workdir DIR]

Embedded: one process holds the engine, its worker and the driver; it is killed and started
again on the same directory. Server: durable-server and two worker processes, each killed
and restarted (the server on the same directory and port); the driver runs here.
Prints the seed first (rerun with --seed) and a JSON summary last; exit status 0 when every
invariant holds, 1 when one does not, 2 when the run did not finish in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from driver import drive  # noqa: E402
from invariants import KNOWN_SIGNAL_RETRY_ACROSS_CAN, InvariantError, check  # noqa: E402
from workflows import make_plan  # noqa: E402

from durable._server_process import ServerProcess  # noqa: E402
from durable.client import Client  # noqa: E402

CHILD = os.path.join(HERE, "worker_child.py")
QUEUE = "torture"


class TimeUp(Exception):
    pass


class Child:
    """A worker_child.py process."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, CHILD, *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=None, text=True, env=env)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.wait()
            raise RuntimeError(f"worker_child {args[0]} did not start ({line!r}, "
                               f"exit {self.proc.returncode})")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def _results_acked(acks: str) -> int:
    try:
        with open(acks) as f:
            return sum(1 for line in f if line.startswith('{"kind": "result"'))
    except FileNotFoundError:
        return 0


def _log_kill(work: str, target: str) -> float:
    t = time.time()
    with open(os.path.join(work, "kills.log"), "a") as f:
        f.write(f"{t:.6f} {target}\n")
    return t


def _unfinished(acks: str) -> str:
    """The workflows without an acknowledged result, with the last thing logged for each."""
    from acklog import read

    last: dict[str, dict[str, Any]] = {}
    for a in read(acks):
        last[a["wf"]] = a
    left = [f"{wf} (last: {a['kind']})" for wf, a in last.items() if a["kind"] != "result"]
    return f"{len(left)} without a result: " + ", ".join(left[:20])


def kill_points(n: int, kills: int, rng: random.Random) -> list[int]:
    """How many results must be acknowledged before each kill: one random point in each of
    `kills` equal slices of the first 80% of the run, so that two kills never bunch up near
    the end (where the run could finish during the restart after the first) and every kill
    lands mid-work however fast the machine."""
    span = max(kills, n * 8 // 10)
    return [rng.randrange(span * k // kills, max(span * k // kills + 1, span * (k + 1) // kills))
            for k in range(kills)]


async def _until_progress(acks: str, at: int, rng: random.Random, finished: Any) -> None:
    while _results_acked(acks) < at and not finished():
        await asyncio.sleep(0.05)
    await asyncio.sleep(rng.uniform(0.0, 0.2))


def _env(side_effects: str) -> dict[str, str]:
    return {**os.environ, "TORTURE_SIDE_EFFECTS": side_effects}


async def run_embedded(work: str, plans: list[dict[str, Any]], kills: int, rng: random.Random,
                       deadline: float) -> tuple[list[float], str, str]:
    db, acks, effects = (os.path.join(work, n) for n in ("db", "acks.log", "effects.log"))
    plans_json = os.path.join(work, "plans.json")
    with open(plans_json, "w") as f:
        json.dump(plans, f)
    loop = asyncio.get_running_loop()
    kill_times: list[float] = []

    def start() -> Child:
        return Child(["embedded", db, QUEUE, acks, plans_json], _env(effects))

    child = await loop.run_in_executor(None, start)
    points = kill_points(len(plans), kills, rng)
    try:
        while len(kill_times) < kills and child.proc.poll() is None:
            await _until_progress(acks, points[len(kill_times)], rng,
                                  lambda: child.proc.poll() is not None)
            if child.proc.poll() is not None:
                break
            child.kill()  # the engine, its worker and the driver, mid-work
            kill_times.append(_log_kill(work, "embedded"))
            child = await loop.run_in_executor(None, start)
        while child.proc.poll() is None:
            if time.monotonic() > deadline:
                raise TimeUp("embedded: workflows still running at the time limit: "
                             + _unfinished(acks))
            await asyncio.sleep(0.2)
        if child.proc.returncode != 0:
            raise RuntimeError(f"embedded child exited with {child.proc.returncode}")
    finally:
        child.kill()
    return kill_times, acks, effects


async def run_server(work: str, plans: list[dict[str, Any]], kills: int, rng: random.Random,
                     deadline: float) -> tuple[list[float], str, str, ServerProcess]:
    db, acks, effects = (os.path.join(work, n) for n in ("db", "acks.log", "effects.log"))
    loop = asyncio.get_running_loop()
    server = ServerProcess(db)
    address = await loop.run_in_executor(None, server.start)
    workers: dict[str, Child] = {}

    def start_worker(name: str) -> None:
        workers[name] = Child(["server", address, QUEUE, name], _env(effects))

    for name in ("w1", "w2"):
        await loop.run_in_executor(None, start_worker, name)
    client = await Client.connect(address)
    driving = asyncio.ensure_future(drive(client, plans, QUEUE, acks))
    kill_times: list[float] = []
    points = kill_points(len(plans), kills, rng)
    try:
        while len(kill_times) < kills and not driving.done():
            await _until_progress(acks, points[len(kill_times)], rng, driving.done)
            if driving.done():
                break
            # The server and a worker in turn (which worker: random).
            target = "server" if len(kill_times) % 2 == 0 else rng.choice(["w1", "w2"])
            if target == "server":
                server.kill()
                kill_times.append(_log_kill(work, "server"))
                server = ServerProcess(db, listen=address)
                await loop.run_in_executor(None, server.start)
            else:
                workers[target].kill()
                kill_times.append(_log_kill(work, target))
                await loop.run_in_executor(None, start_worker, target)
        remaining = deadline - time.monotonic()
        try:
            await asyncio.wait_for(asyncio.shield(driving), max(remaining, 1))
        except asyncio.TimeoutError:
            raise TimeUp("server: workflows still running at the time limit: "
                         + _unfinished(acks)) from None
    except BaseException:
        server.kill()
        raise
    finally:
        if not driving.done():
            driving.cancel()
        for w in workers.values():
            w.kill()
        await client.close()
    return kill_times, acks, effects, server


async def one_transport(transport: str, work: str, plans: list[dict[str, Any]], kills: int,
                        seed: int, time_limit: float, known: frozenset[str]) -> dict[str, Any]:
    rng = random.Random(f"{seed}-{transport}")
    os.makedirs(work, exist_ok=True)
    began = time.monotonic()
    deadline = began + time_limit
    server = None
    if transport == "embedded":
        kill_times, acks, effects = await run_embedded(work, plans, kills, rng, deadline)
        client = await Client.connect(os.path.join(work, "db"))
    else:
        kill_times, acks, effects, server = await run_server(work, plans, kills, rng, deadline)
        client = await Client.connect(server.address)
    ran = time.monotonic() - began
    try:
        report = await check(client, plans, acks, effects, kill_times, known)
    finally:
        await client.close()
        if server is not None:
            server.stop()
    return {"transport": transport, "workflows": len(plans), "kills": len(kill_times),
            "run_seconds": round(ran, 1),
            "check_seconds": round(time.monotonic() - began - ran, 1),
            **{k: v for k, v in asdict(report).items() if k != "problems"}}


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workflows", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=10, help="SIGKILLs per transport")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--transport", choices=["embedded", "server", "both"], default="both")
    ap.add_argument("--time-limit", type=float, default=900,
                    help="seconds per transport before the run counts as wedged")
    ap.add_argument("--workdir", default=None, help="kept for inspection (default: temporary)")
    ap.add_argument("--known-issues", action="store_true",
                    help="tolerate the signal-retried-across-continue-as-new duplicate "
                         "(fixed in the engine; for comparing with older builds)")
    args = ap.parse_args(argv)
    known = frozenset({KNOWN_SIGNAL_RETRY_ACROSS_CAN}) if args.known_issues else frozenset()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"torture seed {seed} (rerun with --seed {seed})", flush=True)
    rng = random.Random(seed)
    plans = [make_plan(i, rng) for i in range(args.workflows)]
    work = args.workdir or tempfile.mkdtemp(prefix="durable-torture-")
    print(f"torture workdir {work}", flush=True)
    transports = ["embedded", "server"] if args.transport == "both" else [args.transport]
    status = 0
    for t in transports:
        try:
            summary = await one_transport(t, os.path.join(work, t), plans, args.kills, seed,
                                          args.time_limit, known)
            print("torture result " + json.dumps(summary), flush=True)
        except InvariantError as e:
            print(f"torture FAILED on {t} (seed {seed}): {e}", flush=True)
            status = 1
        except TimeUp as e:
            print(f"torture WEDGED on {t} (seed {seed}): {e}", flush=True)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
