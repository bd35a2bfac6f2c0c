"""List and count latency at N executions (default 100,000) on the embedded engine; the
workload is bench/_visibility.py, the Temporal peer bench/peers/temporal_visibility.py.

    .venv/bin/python bench/visibility.py [--n 100000] [--repeat 5] [--out bench/results/visibility.md]

Prints one JSON line, and a Markdown table to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _visibility import markdown, measure  # noqa: E402

from durable import common as sdk_common  # noqa: E402
from durable.client import Client  # noqa: E402


async def main(n: int, repeat: int, out: str) -> None:
    directory = tempfile.mkdtemp(prefix="durable-vis-bench-")
    try:
        client = await Client.connect(os.path.join(directory, "engine"), sync_writes=False)
        await client.add_search_attributes([sdk_common.SearchAttributeKey.for_keyword("Customer"),
                                            sdk_common.SearchAttributeKey.for_int("Amount")])
        result = await measure(sdk_common, client, "durable (embedded, relaxed WAL)", n, repeat)
        await client.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if out:
        with open(out, "w") as f:
            f.write(markdown(result))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    asyncio.run(main(a.n, a.repeat, a.out))
