"""Peer: the suite's workloads on DBOS Transact (Python), SQLite system database, in this
process. The same workloads as bench/_suite.py, written with DBOS's API: a workflow calling
`count` steps in sequence (Sequential), all at once with asyncio.gather (FanOut),
DBOS.sleep_async (Timer; a durable sleep), and DBOS.send_async / DBOS.recv_async for the
signals (messages to a running workflow).

    python bench/peers/dbos_suite.py WORKLOAD [--n N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _stats import Stopwatch, Usage, report  # noqa: E402
from _suite import SIZES, TIMER_S  # noqa: E402

from dbos import DBOS  # noqa: E402

SYSTEM = "dbos (sqlite)"
DIRECTORY = tempfile.mkdtemp(prefix="bench-dbos-")
DBOS(config={"name": "bench", "system_database_url": f"sqlite:///{DIRECTORY}/sys.sqlite",
             "run_admin_server": False, "log_level": "WARNING"})


@DBOS.step()
async def noop(i: int) -> int:
    return i


@DBOS.workflow()
async def sequential(count: int) -> int:
    total = 0
    for i in range(count):
        total += await noop(i)
    return total


@DBOS.workflow()
async def fan_out(count: int) -> int:
    return sum(await asyncio.gather(*(noop(i) for i in range(count))))


@DBOS.workflow()
async def timer(seconds: float) -> float:
    await DBOS.sleep_async(seconds)
    return seconds


@DBOS.workflow()
async def signal_counter(expected: int) -> int:
    count = 0
    while count < expected:
        await DBOS.recv_async("bump", timeout_seconds=60)
        count += 1
    return count


async def execute(fn, arg):
    handle = await DBOS.start_workflow_async(fn, arg)
    return await handle.get_result()


async def latency(n: int, warmup: int = 20) -> None:
    for count in (1, 3):
        for _ in range(warmup):
            await execute(sequential, count)
        usage = Usage()
        watch = Stopwatch()
        latencies = []
        for _ in range(n):
            t = time.perf_counter()
            assert await execute(sequential, count) == count * (count - 1) // 2
            latencies.append(time.perf_counter() - t)
        report(SYSTEM, n, watch.elapsed(), latencies, workload=f"latency-{count}",
               **usage.extra())


async def concurrent(workload: str, fn, arg, n: int, expect) -> None:
    async def one() -> float:
        t = time.perf_counter()
        assert await execute(fn, arg) == expect
        return time.perf_counter() - t

    usage = Usage()
    watch = Stopwatch()
    latencies = await asyncio.gather(*(one() for _ in range(n)))
    report(SYSTEM, n, watch.elapsed(), latencies, workload=workload, **usage.extra())


async def signals(n: int, in_flight: int = 50) -> None:
    handle = await DBOS.start_workflow_async(signal_counter, n)
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> float:
        async with gate:
            t = time.perf_counter()
            await DBOS.send_async(handle.get_workflow_id(), i, topic="bump")
            return time.perf_counter() - t

    usage = Usage()
    watch = Stopwatch()
    latencies = await asyncio.gather(*(one(i) for i in range(n)))
    assert await handle.get_result() == n
    report(SYSTEM, n, watch.elapsed(), latencies, workload="signals", **usage.extra())


async def main(workload: str, n: int) -> None:
    logging.getLogger("dbos").setLevel(logging.WARNING)
    DBOS.launch()
    if workload == "latency":
        await latency(n)
    elif workload == "seq10":
        await concurrent(workload, sequential, 10, n, 45)
    elif workload == "fanout100":
        await concurrent(workload, fan_out, 100, n, 4950)
    elif workload == "timer":
        await concurrent(workload, timer, TIMER_S, n, TIMER_S)
    elif workload == "signals":
        await signals(n)
    DBOS.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=sorted(SIZES))
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    asyncio.run(main(args.workload, args.n or SIZES[args.workload]))
