"""The OSM LCM worker: every workflow and activity of the example on task queue ``lcm``.

    python examples/osm_lcm/worker.py --server HOST:PORT --mongo-url URL --sim-dir DIR [--database osm]

It prints ``worker ready`` once polling, and runs until SIGTERM / SIGINT (then drains for
up to 5 s). ``make_worker`` builds the same worker for an existing client (the demo's
``--embedded`` mode and the tests).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta
from typing import Any

import activities
import workflows
from durable.client import Client
from durable.worker import Worker


def make_worker(client: Client, *, task_queue: str = workflows.TASK_QUEUE,
                **options: Any) -> Worker:
    """A worker for all the example's workflows and activities (activities.configure()
    must have been called in this process)."""
    return Worker(client, task_queue=task_queue, workflows=workflows.WORKFLOWS,
                  activities=activities.ACTIVITIES, **options)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True, help="durable-server address host:port")
    parser.add_argument("--mongo-url", required=True, help="mongodb://... of FerretDB")
    parser.add_argument("--sim-dir", required=True, help="the simulators' state directory")
    parser.add_argument("--database", default="osm", help="MongoDB database (default: osm)")
    args = parser.parse_args()
    activities.configure(args.mongo_url, args.sim_dir, database=args.database)
    client = await Client.connect(args.server)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with make_worker(client, graceful_shutdown_timeout=timedelta(seconds=5)):
        print("worker ready", flush=True)
        await stop.wait()
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
