"""Shared by the visibility benchmarks (durable's and Temporal's): the workload and its report,
written once against the client API both SDKs share (temporalio's names).

Starts N runs of workflow type "Idle" on a task queue nobody polls (they stay Running; every
10th is terminated) with a Keyword attribute `Customer` of 100 values and an Int attribute
`Amount`, then times, for a selective and a non-selective query: the first page of
list_workflows (100 rows), a full count, and a count with GROUP BY ExecutionStatus (median of
`repeat` calls, ms). The caller registers the two search attributes its own way.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from types import ModuleType

QUERIES = {
    "selective (Customer = 'c7' AND Amount < 100, ~0.1%)": "Customer = 'c7' AND Amount < 100",
    "non-selective (ExecutionStatus = 'Running', 90%)": "ExecutionStatus = 'Running'",
    "no filter": "",
}


async def _timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


async def load(sdk_common: ModuleType, client, n: int) -> float:
    """Starts the N runs; returns the seconds it took, including until a count sees them all
    (Temporal's visibility is eventually consistent; durable's is written with the run)."""
    customer = sdk_common.SearchAttributeKey.for_keyword("Customer")
    amount = sdk_common.SearchAttributeKey.for_int("Amount")
    t0 = time.perf_counter()
    sem = asyncio.Semaphore(64)

    async def start(i: int) -> None:
        async with sem:
            h = await client.start_workflow(
                "Idle", id=f"wf-{i}", task_queue="nobody",
                search_attributes=sdk_common.TypedSearchAttributes([
                    sdk_common.SearchAttributePair(customer, f"c{i % 100}"),
                    sdk_common.SearchAttributePair(amount, i % 1000)]))
            if i % 10 == 0:
                await h.terminate()

    await asyncio.gather(*(start(i) for i in range(n)))
    while (await client.count_workflows("ExecutionStatus = 'Running'")).count < n - n // 10:
        await asyncio.sleep(0.2)
    return time.perf_counter() - t0


async def measure(sdk_common: ModuleType, client, system: str, n: int, repeat: int) -> dict:
    load_s = await load(sdk_common, client, n)

    async def first_page(q: str) -> None:
        await client.list_workflows(q, page_size=100).fetch_next_page()

    rows = []
    for name, q in QUERIES.items():
        page = await _timed(lambda: first_page(q), repeat)
        count = await _timed(lambda: client.count_workflows(q), repeat)
        grouped = await _timed(
            lambda: client.count_workflows((q + " " if q else "") + "GROUP BY ExecutionStatus"),
            repeat)
        matches = (await client.count_workflows(q)).count
        rows.append({"query": name, "matches": matches, "first_page_ms": round(page, 1),
                     "count_ms": round(count, 1), "count_group_by_status_ms": round(grouped, 1)})
    result = {"system": system, "n": n, "repeat": repeat, "load_s": round(load_s, 1),
              "rows": rows}
    print(json.dumps(result), flush=True)
    return result


def markdown(result: dict) -> str:
    lines = [f"{result['system']}, {result['n']} executions (loading took {result['load_s']} s):",
             "",
             "| query | matches | first page of 100 (ms) | count (ms) | count GROUP BY status (ms) |",
             "|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['query']} | {r['matches']} | {r['first_page_ms']} | {r['count_ms']} "
                     f"| {r['count_group_by_status_ms']} |")
    return "\n".join(lines) + "\n"
