"""The suite's workloads, written once against the client API durable shares with temporalio
(`execute_workflow`, `start_workflow`, `handle.signal`, `handle.result`): bench/suite.py runs
them on durable, bench/peers/temporal_suite.py on Temporal. DBOS has its own API
(bench/peers/dbos_suite.py implements the same workloads with it).

Each workload prints one JSON line (bench/_stats.report): system, workload, n (workflows or
signals), wall seconds, completions/s, p50/p99/mean latency, CPU seconds and summed peak RSS
of the processes involved.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from types import ModuleType
from typing import Any, Sequence

from _stats import Stopwatch, Usage, report

# Default sizes: each run takes well under a second on durable and under half a minute on the
# slowest peer (Temporal's dev server here).
SIZES = {"latency": 200, "seq10": 20, "fanout100": 3, "timer": 100, "signals": 300}
WORKLOADS = ["seq10", "fanout100", "timer", "signals"]
TIMER_S = 0.1


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def latency(system: str, client: Any, wf: ModuleType, n: int, warmup: int = 20,
                  pids: Sequence[int] = ()) -> None:
    """One workflow at a time: start->result of Sequential(1) and Sequential(3), after
    `warmup` runs of each; one report line per activity count."""
    for count in (1, 3):
        for _ in range(warmup):
            await client.execute_workflow(wf.Sequential.run, count, id=_id("warm"),
                                          task_queue=wf.TASK_QUEUE)
        usage = Usage(pids)
        watch = Stopwatch()
        latencies = []
        for _ in range(n):
            t = time.perf_counter()
            result = await client.execute_workflow(wf.Sequential.run, count, id=_id("lat"),
                                                   task_queue=wf.TASK_QUEUE)
            latencies.append(time.perf_counter() - t)
            assert result == count * (count - 1) // 2, result
        report(system, n, watch.elapsed(), latencies, workload=f"latency-{count}",
               **usage.extra())


async def _concurrent(system: str, workload: str, client: Any, run: Any, arg: Any, n: int,
                      expect: Any, wf: ModuleType, pids: Sequence[int]) -> None:
    async def one() -> float:
        t = time.perf_counter()
        result = await client.execute_workflow(run, arg, id=_id(workload),
                                               task_queue=wf.TASK_QUEUE)
        assert result == expect, result
        return time.perf_counter() - t

    usage = Usage(pids)
    watch = Stopwatch()
    latencies = await asyncio.gather(*(one() for _ in range(n)))
    report(system, n, watch.elapsed(), latencies, workload=workload, **usage.extra())


async def signals(system: str, client: Any, wf: ModuleType, n: int,
                  pids: Sequence[int] = (), in_flight: int = 50) -> None:
    """One running workflow receives `n` signals, sent with up to `in_flight` at once; the
    rate is signals per second from the first send until the workflow, having handled all n,
    returns. Latencies are those of each signal call (accepted by the server)."""
    handle = await client.start_workflow(wf.SignalCounter.run, n, id=_id("signals"),
                                         task_queue=wf.TASK_QUEUE)
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> float:
        async with gate:
            t = time.perf_counter()
            await handle.signal(wf.SignalCounter.bump, i)
            return time.perf_counter() - t

    usage = Usage(pids)
    watch = Stopwatch()
    latencies = await asyncio.gather(*(one(i) for i in range(n)))
    assert await handle.result() == n
    report(system, n, watch.elapsed(), latencies, workload="signals", **usage.extra())


async def run_workload(workload: str, system: str, client: Any, wf: ModuleType, n: int,
                       pids: Sequence[int] = ()) -> None:
    if workload == "latency":
        await latency(system, client, wf, n, pids=pids)
    elif workload == "seq10":
        await _concurrent(system, workload, client, wf.Sequential.run, 10, n, 45, wf, pids)
    elif workload == "fanout100":
        await _concurrent(system, workload, client, wf.FanOut.run, 100, n, 4950, wf, pids)
    elif workload == "timer":
        await _concurrent(system, workload, client, wf.Timer.run, TIMER_S, n, TIMER_S, wf, pids)
    elif workload == "signals":
        await signals(system, client, wf, n, pids=pids)
    else:
        raise ValueError(f"unknown workload {workload!r}")
