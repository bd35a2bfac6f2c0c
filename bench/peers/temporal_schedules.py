"""Peer: Temporal's dev server, the schedule-lateness workload of bench/_lateness.py.

    python bench/peers/temporal_schedules.py TEMPORAL_BIN [--schedules 1000] [--every 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _lateness import measure  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _temporal_dev import dev_server  # noqa: E402

from temporalio import client as sdk_client  # noqa: E402
from temporalio import common as sdk_common  # noqa: E402


async def main(binary: str, schedules: int, every: float, rounds: int) -> None:
    async with dev_server(binary) as client:
        await measure(sdk_client, sdk_common, client, "temporal (dev server, sqlite file)",
                      schedules, every, rounds)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--schedules", type=int, default=1000)
    ap.add_argument("--every", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    asyncio.run(main(a.binary, a.schedules, a.every, a.rounds))
