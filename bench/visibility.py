"""List and count latency at N executions (default 100,000) on the embedded engine.

    .venv/bin/python bench/visibility.py [--n 100000] [--repeat 5] [--out bench/results/visibility.md]

Starts N runs (no worker: they stay Running; every 10th is terminated) with a Keyword
attribute of 100 values and an Int attribute, then times, for a selective and a
non-selective query: the first page of list_workflows (100 rows), a full count, and a count
with GROUP BY ExecutionStatus. Prints a Markdown table (median of --repeat calls, ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from datetime import date

from durable import workflow
from durable.client import Client
from durable.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

CUSTOMER = SearchAttributeKey.for_keyword("Customer")
AMOUNT = SearchAttributeKey.for_int("Amount")


@workflow.defn
class Idle:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


async def _timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    directory = tempfile.mkdtemp(prefix="durable-vis-bench-")
    client = await Client.connect(os.path.join(directory, "engine"), sync_writes=False)
    await client.add_search_attributes([CUSTOMER, AMOUNT])
    t0 = time.perf_counter()
    sem = asyncio.Semaphore(64)

    async def start(i: int) -> None:
        async with sem:
            h = await client.start_workflow(
                Idle.run, id=f"wf-{i}", task_queue="nobody",
                search_attributes=TypedSearchAttributes([
                    SearchAttributePair(CUSTOMER, f"c{i % 100}"),
                    SearchAttributePair(AMOUNT, i % 1000)]))
            if i % 10 == 0:
                await h.terminate()

    await asyncio.gather(*(start(i) for i in range(args.n)))
    load_s = time.perf_counter() - t0

    async def first_page(q: str) -> None:
        it = client.list_workflows(q, page_size=100)
        await it.fetch_next_page()

    queries = {
        "selective (Customer = 'c7' AND Amount < 100, ~0.1%)": "Customer = 'c7' AND Amount < 100",
        "non-selective (ExecutionStatus = 'Running', 90%)": "ExecutionStatus = 'Running'",
        "no filter": "",
    }
    rows = []
    for name, q in queries.items():
        page = await _timed(lambda: first_page(q), args.repeat)
        count = await _timed(lambda: client.count_workflows(q), args.repeat)
        grouped = await _timed(
            lambda: client.count_workflows((q + " " if q else "") + "GROUP BY ExecutionStatus"),
            args.repeat)
        n = (await client.count_workflows(q)).count
        rows.append(f"| {name} | {n} | {page:.1f} | {count:.1f} | {grouped:.1f} |")
    await client.close()
    out = "\n".join([
        f"### visibility: list and count at {args.n} executions",
        "",
        f"Run {date.today()} on {platform.machine()}, {os.cpu_count()} cores; median of "
        f"{args.repeat} calls; loading took {load_s:.0f} s (relaxed WAL).",
        "",
        "| query | matches | first page of 100 (ms) | count (ms) | count GROUP BY status (ms) |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ])
    print(out)
    if args.out:
        with open(args.out, "w") as f:
            f.write(out)


if __name__ == "__main__":
    asyncio.run(main())
