"""The Python floor of the hello workload (issue 15): the same workflow and activity
coroutines as bench/hello.py, N started at once, driven by a bare asyncio loop with no engine,
no history and no SDK — each workflow is one task, its activity call one future resolved on
the loop, the way a worker hands results back. With --payloads each hand-off also encodes and
decodes its value as JSON, as the default data converter does (input, activity input,
activity result, workflow result). What durable reaches divided by this is the share of what
Python on this machine allows for the workload; prints one JSON line as the other benches.

    .venv/bin/python bench/python_floor.py [N] [--payloads]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _stats import Stopwatch, report  # noqa: E402


async def compose_greeting(name: str) -> str:  # bench/hello.py's activity
    return f"Hello, {name}!"


def hop(value: Any, payloads: bool) -> Any:
    """A value crossing from one side to the other (as a payload when asked)."""
    return json.loads(json.dumps(value, separators=(",", ":"))) if payloads else value


async def main(n: int, payloads: bool) -> None:
    loop = asyncio.get_running_loop()

    async def run_activity(fn: Callable[[str], Awaitable[str]], arg: str,
                           done: asyncio.Future[Any]) -> None:
        done.set_result(hop(await fn(hop(arg, payloads)), payloads))

    async def execute_activity(fn: Callable[[str], Awaitable[str]], arg: str) -> Any:
        done: asyncio.Future[Any] = loop.create_future()
        loop.create_task(run_activity(fn, arg, done))  # the activity worker's side
        return await done

    async def greeting_workflow(name: str) -> str:  # bench/hello.py's workflow body
        return await execute_activity(compose_greeting, name)

    async def one(i: int) -> float:
        t = time.perf_counter()
        result = hop(await greeting_workflow(hop(f"n{i}", payloads)), payloads)
        assert result == f"Hello, n{i}!"
        return time.perf_counter() - t

    watch = Stopwatch()
    latencies = await asyncio.gather(*(one(i) for i in range(n)))
    report("python floor" + (" + json payloads" if payloads else ""), n, watch.elapsed(),
           latencies)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=500)
    parser.add_argument("--payloads", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.payloads))
