"""``durable http-api`` as a real process in front of a real durable-server: invoke
(non-blocking, blocking, blocking with a timeout), status with each part, signal, cancel,
terminate, bad bodies (400 naming the field), unknown client / workflow (404), an id taken
(409) and API keys (401 / 403)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from durable import workflow
from durable.client import Client
from durable.worker import Worker


@workflow.defn(name="HttpOrder")
class HttpOrder:
    def __init__(self) -> None:
        self.approved_by = ""

    @workflow.run
    async def run(self, item: str, wait: bool) -> str:
        if wait:
            await workflow.wait_condition(lambda: bool(self.approved_by))
        return f"{item} shipped (approved by {self.approved_by or 'policy'})"

    @workflow.signal
    def approve(self, by: str) -> None:
        self.approved_by = by

    @workflow.query
    def state(self, prefix: str) -> str:
        return f"{prefix}: {'approved' if self.approved_by else 'waiting'}"


@pytest.fixture
def api(server: Any, tmp_path: Path) -> Iterator[str]:
    cfg = tmp_path / "clients.toml"
    cfg.write_text('[clients.orders]\nworkflow_type = "HttpOrder"\ntask_queue = "http-q"\n'
                   '[clients.other]\nworkflow_type = "HttpOrder"\ntask_queue = "http-q"\n'
                   'namespace = "default"\n')
    keys = tmp_path / "keys.txt"
    keys.write_text("k-all *\nk-osm osm\n")
    proc = subprocess.Popen([sys.executable, "-m", "durable", "http-api", "--address",
                             server.address, "--config", str(cfg), "--listen", "127.0.0.1:0",
                             "--api-keys", str(keys)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("durable http-api listening on "), proc.stderr.read()
        yield "http://" + line.split()[-1]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def _call(url: str, method: str = "GET", body: Any = None,
          key: str | None = "k-all") -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else
                                      json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


async def call(*a: Any, **kw: Any) -> tuple[int, Any]:
    return await asyncio.to_thread(_call, *a, **kw)


async def test_invoke_status_signal(server: Any, api: str) -> None:
    client = await Client.connect(server.address)
    async with Worker(client, task_queue="http-q", workflows=[HttpOrder]):
        status, body = await call(f"{api}/invoke/orders", "POST",
                                  {"workflowId": "o-1", "params": ["disk", True],
                                   "startOptions": {"executionTimeout": "1h",
                                                    "idReusePolicy": "RejectDuplicate",
                                                    "retryPolicy": {"maximumAttempts": 2}}})
        assert status == 201 and body["workflowId"] == "o-1" and body["runId"], body
        assert (body["workflowType"], body["taskQueue"]) == ("HttpOrder", "http-q")

        status, body = await call(f"{api}/invoke/orders/o-1/status?include=description,result,"
                                  f"query&queryName=state&queryParams=%5B%22now%22%5D")
        assert status == 200, body
        assert body["description"]["status"] == "RUNNING" and body["status"] == "RUNNING"
        assert body["queryResult"] == "now: waiting"

        # blocking with a timeout while it waits for the signal: 202, still running
        status, body = await call(f"{api}/invoke/orders", "POST",
                                  {"workflowId": "o-2", "params": ["cpu", True],
                                   "hookBlocking": True, "hookBlockingTimeout": "300ms"})
        assert (status, body["status"]) == (202, "RUNNING"), body

        status, body = await call(f"{api}/invoke/orders/o-1/signal/approve", "POST",
                                  {"params": ["ops"]})
        assert status == 200, body
        status, body = await call(f"{api}/invoke/orders/o-1/status?include=result&wait=60s")
        assert body == {"workflowId": "o-1", "status": "COMPLETED",
                        "result": "disk shipped (approved by ops)"}, body
        status, body = await call(f"{api}/invoke/orders/o-1/status?include=history")
        events = body["history"]["events"]
        assert "workflowExecutionStarted" in events[0]
        assert any("workflowExecutionSignaled" in e for e in events)

        # blocking: the result in the response
        status, body = await call(f"{api}/invoke/orders", "POST",
                                  {"params": ["ram", False], "hookBlocking": True})
        assert status == 200 and body["result"] == "ram shipped (approved by policy)", body

        status, body = await call(f"{api}/invoke/orders/o-2/cancel", "POST", {"reason": "x"})
        assert status == 200, body
        status, body = await call(f"{api}/invoke/orders/o-2/status?include=result&wait=60s")
        assert body["status"] == "CANCELED", body
        # a closed run: 409; an id taken with RejectDuplicate: 409
        status, body = await call(f"{api}/invoke/orders/o-2/terminate", "POST", {})
        assert status == 409, body
        status, body = await call(f"{api}/invoke/orders", "POST",
                                  {"workflowId": "o-1", "params": ["disk", False],
                                   "startOptions": {"idReusePolicy": "RejectDuplicate"}})
        assert status == 409 and "o-1" in body["error"]["message"], body
    await client.close()


async def test_bad_requests(server: Any, api: str) -> None:
    bad = [
        ({"params": "disk"}, "params"),
        ({"params": [], "workflowId": 7}, "workflowId"),
        ({"params": [], "startOptions": {"runTimeout": "soon"}}, "runTimeout"),
        ({"params": [], "startOptions": {"idReusePolicy": "Never"}},
         "startOptions.idReusePolicy"),
        ({"params": [], "startOptions": {"colour": 1}}, "startOptions.colour"),
        ({"params": [], "hookBlocking": True, "hookBlockingTimeout": "-1s"},
         "hookBlockingTimeout"),
    ]
    for body, field in bad:
        status, out = await call(f"{api}/invoke/orders", "POST", body)
        assert status == 400 and out["error"].get("field") == field, (body, out)
    status, out = await call(f"{api}/invoke/orders", "POST", b"{not json")
    assert status == 400 and "not JSON" in out["error"]["message"]
    status, out = await call(f"{api}/invoke/nobody", "POST", {})
    assert status == 404 and "orders" in out["error"]["message"]
    status, out = await call(f"{api}/invoke/orders/no-such/status")
    assert status == 404, out
    status, out = await call(f"{api}/invoke/orders/x/status?include=colour")
    assert status == 400 and out["error"]["field"] == "include"
    status, out = await call(f"{api}/invoke/orders", "POST", {}, key=None)
    assert status == 401, out
    status, out = await call(f"{api}/invoke/orders", "POST", {}, key="k-osm")
    assert status == 403, out
