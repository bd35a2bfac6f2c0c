"""Peer: DBOS Transact (Python) on SQLite, the same hello workload as bench/hello.py.

    python bench/peers/dbos_hello.py N
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _stats import Stopwatch, report  # noqa: E402

from dbos import DBOS  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
DIRECTORY = tempfile.mkdtemp(prefix="bench-dbos-")
DBOS(config={"name": "bench", "system_database_url": f"sqlite:///{DIRECTORY}/sys.sqlite",
             "run_admin_server": False, "log_level": "WARNING"})


@DBOS.step()
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@DBOS.workflow()
async def greeting(name: str) -> str:
    return await compose_greeting(name)


async def one(i: int) -> float:
    t = time.perf_counter()
    handle = await DBOS.start_workflow_async(greeting, f"n{i}")
    assert await handle.get_result() == f"Hello, n{i}!"
    return time.perf_counter() - t


async def main() -> None:
    logging.getLogger("dbos").setLevel(logging.WARNING)
    DBOS.launch()
    watch = Stopwatch()
    latencies = await asyncio.gather(*(one(i) for i in range(N)))
    wall = watch.elapsed()
    report("dbos (sqlite)", N, wall, latencies)
    DBOS.destroy()


if __name__ == "__main__":
    asyncio.run(main())
