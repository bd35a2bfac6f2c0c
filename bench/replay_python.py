"""Replay with Python workflow code: times durable.worker.Replayer replaying the ~10,000-event
history of a workflow that ran 1,666 activities one after the other (bench/_suite_workflows.py
Sequential: 6 events per activity, 10,001 events in all).

    .venv/bin/python bench/replay_python.py [--runs 7] [--activities 1666] [--out FILE]

The history is built once through the real engine (embedded, WAL synced, one worker) and
saved as JSON under build/bench/ (rebuilt when missing or of another size); each run replays
it from scratch (a fresh Replayer and workflow instance), timed from the call to its result.
Prints one JSON line; with --out writes the results table (bench/results/replay.md).
Besides the default replay (deadlock detector on: its own thread per replay), it times the
replay with the detector off (debug_mode=True) and the parts: loading the history from JSON
is not timed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _suite_workflows as wf  # noqa: E402
from _driver import header  # noqa: E402

from durable.client import Client, WorkflowHistory  # noqa: E402
from durable.worker import Replayer, Worker  # noqa: E402

CACHE = HERE.parent / "build" / "bench"


async def build_history(activities: int) -> WorkflowHistory:
    path = CACHE / f"replay-{activities}.json"
    if path.exists():
        return WorkflowHistory.from_json("replay-10k", path.read_text())
    client = await Client.connect(tempfile.mkdtemp(prefix="bench-replay-"))
    async with Worker(client, task_queue=wf.TASK_QUEUE, workflows=wf.WORKFLOWS,
                      activities=wf.ACTIVITIES):
        t = time.perf_counter()
        handle = await client.start_workflow(wf.Sequential.run, activities, id="replay-10k",
                                             task_queue=wf.TASK_QUEUE)
        assert await handle.result() == activities * (activities - 1) // 2
        print(f"built the history in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        history = await handle.fetch_history()
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(history.to_json())
    return history


async def time_replays(history: WorkflowHistory, runs: int, debug_mode: bool) -> list[float]:
    times = []
    for _ in range(runs + 1):  # the first is a warm-up
        replayer = Replayer(workflows=wf.WORKFLOWS, debug_mode=debug_mode)
        t = time.perf_counter()
        result = await replayer.replay_workflow(history)
        times.append(time.perf_counter() - t)
        assert result.replay_failure is None
    return times[1:]


async def main(runs: int, activities: int, out: str | None) -> None:
    load_before = os.getloadavg()
    history = await build_history(activities)
    events = len(history.events)
    rows = {}
    for label, debug in (("default (deadlock detector on)", False),
                         ("deadlock detector off (debug_mode)", True)):
        times = await time_replays(history, runs, debug)
        rows[label] = times
        line = {"system": "durable Replayer", "mode": label, "events": events, "runs": runs,
                "median_ms": round(statistics.median(times) * 1000, 1),
                "min_ms": round(min(times) * 1000, 1), "max_ms": round(max(times) * 1000, 1),
                "events_per_s": round(events / statistics.median(times))}
        print(json.dumps(line), flush=True)
    load_after = os.getloadavg()
    if out:
        table = "\n".join(
            f"| {label} | {events:,} | {statistics.median(t) * 1000:.1f} | "
            f"{min(t) * 1000:.1f} | {max(t) * 1000:.1f} | "
            f"{events / statistics.median(t) / 1000:.0f}k | ≤ 50 ms |"
            for label, t in rows.items())
        text = (header("Replay with Python workflow code, 10k events", runs, load_before,
                       load_after).replace(f"median of {runs} interleaved rounds",
                                           f"median of {runs} replays after one warm-up")
                + f"`bench/replay_python.py`: `durable.worker.Replayer` replays the history of "
                f"a workflow that ran {activities:,} activities one after the other "
                "(recorded once through the embedded engine), each run from scratch.\n\n"
                "| replay | events | median ms | min ms | max ms | events/s | target |\n"
                "|---|---|---|---|---|---|---|\n" + table + "\n")
        Path(out).write_text(text)
        print(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--activities", type=int, default=1666)
    parser.add_argument("--out")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.activities, args.out))
