"""Peer: Temporal's dev server (SQLite visibility), the list/count workload of
bench/_visibility.py.

    python bench/peers/temporal_visibility.py TEMPORAL_BIN [--n 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _visibility import markdown, measure  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _temporal_dev import dev_server  # noqa: E402

from temporalio import common as sdk_common  # noqa: E402

ATTRIBUTES = ["--search-attribute", "Customer=Keyword", "--search-attribute", "Amount=Int"]


async def main(binary: str, n: int, repeat: int) -> None:
    async with dev_server(binary, extra_args=ATTRIBUTES) as client:
        result = await measure(sdk_common, client, "temporal (dev server, sqlite file)", n, repeat)
    print(markdown(result))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    asyncio.run(main(a.binary, a.n, a.repeat))
