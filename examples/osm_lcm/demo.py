"""The OSM LCM demo: package uploads and cleaning on GridFS, an NS instantiation, a system
patch — on durable-server with the worker as a separate process (default), or on the
embedded engine with the worker in this process (``--embedded``).

    python examples/osm_lcm/demo.py [--embedded] [--keep DIR]

It starts FerretDB (a MongoDB wire-protocol server, built by scripts/ferretdb.sh) on a free
loopback port, onboards an NS package (NSD + 3 VNFDs, their files in GridFS), then:
  1. FsUploadWorkflow x3: stores package files no descriptor references yet (on the
     server, started the way EMCO's workflow clients do: ``POST /invoke/fs-upload`` to
     durable-server's HTTP API, waiting for the result);
  2. FsCleanWorkflow: deletes them — a schedule runs it every minute; the demo triggers
     it once at once and shows the schedule's recent and next runs;
  3. NsInstantiateWorkflow: validates, waits for approval (sent by update), creates the
     namespace and network, instantiates the 3 VNFs in parallel as child workflows;
  4. SystemPatchWorkflow: approved by signal, patches two clusters in parallel;
and prints each workflow's history length. ``--keep DIR`` keeps the engine (or server)
data, FerretDB's files and the simulators' log in DIR to look at afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import activities
import workflows
from durable.client import Client
from mongo_server import MongoServer
from worker import make_worker

HERE = Path(__file__).resolve().parent
TQ = workflows.TASK_QUEUE


@contextlib.asynccontextmanager
async def embedded_engine(data: Path, mongo_url: str, sim_dir: str) -> AsyncIterator[Client]:
    """The embedded engine in ``data/engine`` and the worker in this process: only one
    process may open an embedded engine's directory."""
    client = await Client.connect(str(data / "engine"))
    activities.configure(mongo_url, sim_dir)
    try:
        async with make_worker(client):
            yield client
    finally:
        activities.close()
        await client.close()


@contextlib.asynccontextmanager
async def server_engine(data: Path, mongo_url: str, sim_dir: str) -> AsyncIterator[Client]:
    """durable-server on a free loopback port (data in ``data/server``) and the worker as a
    separate process (worker.py) connected to it."""
    from durable._server_process import ServerProcess

    server = ServerProcess(str(data / "server"), args=[
        "--http", "127.0.0.1:0", "--http-config", str(HERE / "http-clients.toml")])
    address = server.start()
    print(f"durable-server listening on {address}")
    print(f"durable-server HTTP API on {server.http_url}")
    client_http[0] = server.http_url.rstrip("/")
    worker = subprocess.Popen(
        [sys.executable, str(HERE / "worker.py"), "--server", address,
         "--mongo-url", mongo_url, "--sim-dir", sim_dir],
        stdout=subprocess.PIPE, text=True)
    client = None
    try:
        assert worker.stdout is not None
        line = await asyncio.to_thread(worker.stdout.readline)
        if line.strip() != "worker ready":
            raise RuntimeError(f"the worker process did not start (exit {worker.poll()})")
        print(f"worker process {worker.pid} polling task queue {TQ!r}")
        client = await Client.connect(address)
        yield client
    finally:
        if client is not None:
            await client.close()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        server.stop()


client_http = [""]  # durable-server's HTTP API, when the demo runs on the server


def invoke(base: str, client_name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST {base}/invoke/{client_name}`` with a JSON body, as an EMCO workflow client."""
    req = urllib.request.Request(f"{base}/invoke/{client_name}", method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


async def upload(client: Client, arg: dict[str, Any], *, id: str) -> Any:
    """FsUploadWorkflow: over the server's HTTP API (blocking for its result), else with the
    client."""
    base = client_http[0]
    if not base:
        return await run(client, workflows.FsUploadWorkflow.run, arg, id=id)
    print(f"Starting workflow FsUploadWorkflow id={id} (POST {base}/invoke/fs-upload)")
    answer = await asyncio.to_thread(invoke, base, "fs-upload", {
        "workflowId": id, "params": [arg], "hookBlocking": True, "hookBlockingTimeout": "60s"})
    if answer.get("status") != "COMPLETED":
        raise RuntimeError(f"FsUploadWorkflow {id}: {answer}")
    print(f"Completed workflow FsUploadWorkflow id={id}: {answer['result']}")
    return answer["result"]


async def run(client: Client, workflow: Any, arg: Any = None, *, id: str) -> Any:
    """Start a workflow, print what started and what completed with its result."""
    name = workflow.__qualname__.split(".")[0]
    print(f"Starting workflow {name} id={id}")
    args = [] if arg is None else [arg]
    handle = await client.start_workflow(workflow, args=args, id=id, task_queue=TQ)
    result = await handle.result()
    print(f"Completed workflow {name} id={id}: {result}")
    return result


async def clean(client: Client) -> str:
    """FsCleanWorkflow every minute on a schedule, triggered once now; or, on a client
    without schedules, one run."""
    if not hasattr(Client, "create_schedule"):
        await run(client, workflows.FsCleanWorkflow.run, id="fs-clean-1")
        return "fs-clean-1"
    from durable.client import (Schedule, ScheduleActionStartWorkflow,  # type: ignore
                                ScheduleIntervalSpec, ScheduleSpec)

    print("Creating schedule fs-clean: FsCleanWorkflow every minute")
    schedule = await client.create_schedule(  # type: ignore[attr-defined]
        "fs-clean", Schedule(
            action=ScheduleActionStartWorkflow(workflows.FsCleanWorkflow.run, id="fs-clean",
                                               task_queue=TQ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=1))])))
    await schedule.trigger()
    for _ in range(600):
        recent = (await schedule.describe()).info.recent_actions
        if recent:
            break
        await asyncio.sleep(0.05)
    action = recent[-1].action
    print(f"Starting workflow FsCleanWorkflow id={action.workflow_id} (triggered)")
    handle = client.get_workflow_handle(action.workflow_id,
                                        run_id=action.first_execution_run_id)
    print(f"Completed workflow FsCleanWorkflow id={action.workflow_id}: "
          f"{await handle.result()}")
    print(f"Schedule fs-clean recent runs: {[a.action.workflow_id for a in recent]}")
    upcoming = (await schedule.describe()).info.next_action_times[:2]
    print(f"Schedule fs-clean next runs: {[t.isoformat() for t in upcoming]}")
    return action.workflow_id


async def instantiate_ns(client: Client) -> None:
    """NsInstantiateWorkflow with its progress printed as it goes and the approval sent by
    update once the package is validated."""
    wf = workflows.NsInstantiateWorkflow
    print("Starting workflow NsInstantiateWorkflow id=ns-1")
    handle = await client.start_workflow(
        wf.run, {"ns_id": "ns-1", "nsd_id": "nsd-5g-core", "approval_timeout_s": 600},
        id="ns-1", task_queue=TQ)
    result_task = asyncio.ensure_future(handle.result())
    shown = 0
    approved = False
    while True:
        progress = await handle.query(wf.progress)
        for step in progress[shown:]:
            print(f"  ns-1: {step}")
        shown = len(progress)
        if progress and not approved:
            answer = await handle.execute_update(wf.approve, "demo-operator")
            print(f"  ns-1: update approve -> {answer!r}")
            approved = True
        if result_task.done():
            break
        await asyncio.sleep(0.05)
    for step in (await handle.query(wf.progress))[shown:]:
        print(f"  ns-1: {step}")
    print(f"Completed workflow NsInstantiateWorkflow id=ns-1: {result_task.result()}")


async def patch_systems(client: Client) -> None:
    wf = workflows.SystemPatchWorkflow
    print("Starting workflow SystemPatchWorkflow id=patch-1")
    handle = await client.start_workflow(
        wf.run, {"clusters": {"edge-1": ["h1", "h2"], "edge-2": ["h3"]}, "steps": 3},
        id="patch-1", task_queue=TQ)
    await handle.signal(wf.approve_signal, "demo-operator")
    result = await handle.result()
    print(f"  patch-1: {await handle.query(wf.completed_steps)}")
    print(f"Completed workflow SystemPatchWorkflow id=patch-1: {result}")


async def show_histories(client: Client, ids: list[str]) -> None:
    for wid in ids:
        handle = client.get_workflow_handle(wid)
        desc = await handle.describe()
        history = await handle.fetch_history()
        print(f"History {wid}: {desc.status.name if desc.status else '?'}, "
              f"{len(history.events)} events")


async def demo(client: Client) -> None:
    for i in range(1, 4):
        await upload(client, {"filename": f"upload-{i}.tar.gz", "content": f"package draft {i}"},
                     id=f"fs-upload-{i}")
    clean_id = await clean(client)
    await instantiate_ns(client)
    await patch_systems(client)
    await show_histories(client, [f"fs-upload-{i}" for i in range(1, 4)]
                         + [clean_id, "ns-1", "ns-1/amf", "patch-1"])


async def main(embedded: bool, keep: str | None) -> None:
    data = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="osm-lcm-demo-"))
    data.mkdir(parents=True, exist_ok=True)
    sim_dir = str(data / "simulators")
    try:
        with MongoServer(str(data / "ferretdb")) as mongo:
            print(f"FerretDB (MongoDB wire protocol, SQLite backend) at {mongo.url}")
            files = activities.seed_catalog(mongo.url)
            print(f"Onboarded NS package nsd-5g-core: {len(files)} package files in GridFS")
            engine = embedded_engine if embedded else server_engine
            async with engine(data, mongo.url, sim_dir) as client:
                await demo(client)
    finally:
        if not keep:
            shutil.rmtree(data, ignore_errors=True)
        else:
            print(f"Data kept in {data} (simulators' log: {os.path.join(sim_dir, 'ops.log')})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedded", action="store_true",
                        help="embedded engine, worker in this process (default: durable-server "
                             "and a worker process)")
    parser.add_argument("--keep", metavar="DIR", help="keep all data in DIR")
    args = parser.parse_args()
    asyncio.run(main(args.embedded, args.keep))
