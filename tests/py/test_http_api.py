"""The HTTP/JSON API on both transports — ``durable-server --http`` (the C++ API in the
server, in front of its own engines) and ``durable http-api`` (the Python API, here in this
process on the test's embedded directory; and once as a process in front of a server):
invoke (non-blocking, blocking, blocking with a timeout), status with each part, signal,
cancel, terminate, reset, batch operations (start, describe, list, stop), bad bodies (400
naming the field), unknown client / workflow / job (404), an id taken (409) and API keys
(401 / 403)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from durable import workflow
from durable._server_process import ServerProcess
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


CLIENTS = ('[clients.orders]\nworkflow_type = "HttpOrder"\ntask_queue = "http-q"\n'
           '[clients.other]\nworkflow_type = "HttpOrder"\ntask_queue = "http-q"\n'
           'namespace = "default"\n')
KEYS = "k-all *\nk-osm osm\n"


def _config(tmp_path: Path) -> tuple[Path, Path]:
    cfg, keys = tmp_path / "clients.toml", tmp_path / "keys.txt"
    cfg.write_text(CLIENTS)
    keys.write_text(KEYS)
    return cfg, keys


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """This module's durable-server: API keys, and the HTTP API with the clients above (the
    ``client`` fixture connects with ``api_key``)."""
    cfg, keys = _config(tmp_path)
    proc = ServerProcess(str(tmp_path / "server"),
                         args=["--relaxed-writes", "--api-keys", str(keys),
                               "--http", "127.0.0.1:0", "--http-config", str(cfg)])
    proc.api_key = "k-all"  # type: ignore[attr-defined]
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def api(client: Any, transport_kind: str, tmp_path: Path,
        request: pytest.FixtureRequest) -> Iterator[str]:
    """The API's base URL, in front of the test's ``client``'s target: the server's own
    ``--http``, or the Python API on the embedded directory."""
    if transport_kind == "server":
        yield request.getfixturevalue("server").http_url.rstrip("/")
    else:  # the embedded directory has one owner: this process, where the API shares it
        cfg, keys = _config(tmp_path)
        yield from _api_in_process(str(tmp_path / "engine"), cfg, keys)


def _api_process(address: str, cfg: Path, keys: Path) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "durable", "http-api", "--address",
                             address, "--api-key", "k-all", "--config", str(cfg),
                             "--listen", "127.0.0.1:0", "--api-keys", str(keys)],
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


def _api_in_process(db: str, cfg: Path, keys: Path) -> Iterator[str]:
    from durable._http_api import Api, load_api_keys, load_clients, serve

    api = Api({"target_host": db, "namespace": "default"}, load_clients(str(cfg)),
              load_api_keys(str(keys)))
    server = serve("127.0.0.1:0", api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://%s:%d" % server.server_address[:2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        api.close()


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


async def test_invoke_status_signal(client: Client, api: str) -> None:
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


async def test_bad_requests(client: Client, api: str) -> None:
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


async def _closed(api: str, wid: str, run_id: str = "") -> dict[str, Any]:
    status, body = await call(f"{api}/invoke/orders/{wid}/status?include=result&wait=60s"
                              + (f"&runId={run_id}" if run_id else ""))
    assert status == 200 and body["status"] != "RUNNING", body
    return body


async def test_reset_reapplies_signals_and_names_the_new_run(client: Client, api: str) -> None:
    async with Worker(client, task_queue="http-q", workflows=[HttpOrder]):
        status, body = await call(f"{api}/invoke/orders", "POST",
                                  {"workflowId": "r-1", "params": ["disk", True]})
        assert status == 201, body
        first_run = body["runId"]
        status, body = await call(f"{api}/invoke/orders/r-1/signal/approve", "POST",
                                  {"params": ["ops"]})
        assert status == 200, body
        assert (await _closed(api, "r-1"))["status"] == "COMPLETED"

        # FirstWorkflowTask of the completed run: "approve" comes again, the new run completes.
        status, body = await call(f"{api}/invoke/orders/r-1/reset", "POST",
                                  {"resetType": "FirstWorkflowTask", "reason": "fixed v2"})
        assert status == 200, body
        second_run = body["runId"]
        assert body["workflowId"] == "r-1" and second_run != first_run and body["eventId"] > 0
        assert await _closed(api, "r-1", second_run) == {
            "workflowId": "r-1", "status": "COMPLETED",
            "result": "disk shipped (approved by ops)"}
        first = client.get_workflow_handle("r-1", run_id=first_run)
        assert (await first.describe()).status.name == "COMPLETED"  # stays as it closed

        # eventId, a run id and no re-applied signals: the third run waits for its approval.
        status, body = await call(f"{api}/invoke/orders/r-1/reset", "POST",
                                  {"eventId": body["eventId"], "runId": second_run,
                                   "reapplyType": "None", "reason": "without signals"})
        assert status == 200, body
        third_run = body["runId"]
        status, body = await call(f"{api}/invoke/orders/r-1/status?include=query&"
                                  f"queryName=state&queryParams=%5B%22now%22%5D")
        assert (status, body["queryResult"]) == (200, "now: waiting"), body

        # A reset of the running (current) run terminates it, naming the new run.
        status, body = await call(f"{api}/invoke/orders/r-1/reset", "POST",
                                  {"resetType": "LastWorkflowTask", "reason": "once more"})
        assert status == 200, body
        third = client.get_workflow_handle("r-1", run_id=third_run)
        assert (await third.describe()).status.name == "TERMINATED"
        reason = (await third.fetch_history()).events[-1].workflow_execution_terminated.reason
        assert body["runId"] in reason and "once more" in reason, reason
        status, body = await call(f"{api}/invoke/orders/r-1/terminate", "POST", {})
        assert status == 200, body


async def test_reset_bad_requests(client: Client, api: str) -> None:
    handle = await client.start_workflow("HttpOrder", args=["x", True], id="r-bad",
                                         task_queue="nobody-polls")
    url = f"{api}/invoke/orders/r-bad/reset"
    bad = [
        ({"resetType": "FirstWorkflowTask"}, "reason"),
        ({"reason": "r"}, "resetType"),
        ({"reason": "r", "resetType": "Sometimes"}, "resetType"),
        ({"reason": "r", "resetType": "FirstWorkflowTask", "eventId": 4}, "eventId"),
        ({"reason": "r", "eventId": "4"}, "eventId"),
        ({"reason": "r", "eventId": 3, "reapplyType": "All"}, "reapplyType"),
        ({"reason": "r", "eventId": 4, "runId": 7}, "runId"),
        # no workflow task has completed: nothing to reset to
        ({"reason": "r", "resetType": "LastWorkflowTask"}, "resetType"),
        ({"reason": "r", "resetType": "LastContinuedAsNew"}, "resetType"),
        ({"reason": "r", "eventId": 1}, "eventId"),  # the engine: ends no workflow task
    ]
    for body, field in bad:
        status, out = await call(url, "POST", body)
        assert status == 400 and out["error"].get("field") == field, (body, out)
    status, out = await call(f"{api}/invoke/orders/no-such/reset", "POST",
                             {"reason": "r", "eventId": 4})
    assert status == 404 and "no-such" in out["error"]["message"], out
    status, out = await call(url, "POST", {"reason": "r", "eventId": 4}, key="k-osm")
    assert status == 403, out
    assert (await handle.describe()).run_id == handle.run_id  # nothing was reset


async def _batch_done(api: str, job_id: str) -> dict[str, Any]:
    while True:
        status, d = await call(f"{api}/batch/default/jobs/{job_id}")
        assert status == 200, d
        if d["state"] != "RUNNING":
            return d
        await asyncio.sleep(0.05)


async def test_batch_operations(client: Client, api: str) -> None:
    handles = [await client.start_workflow("HttpOrder", args=["x", True], id=f"b-{i}",
                                           task_queue="http-batch-q") for i in range(3)]
    query = "TaskQueue='http-batch-q'"
    for op, job, extra in (("cancel", "b-c", {}),
                           ("signal/approve", "b-s", {"params": ["batch"]}),
                           ("terminate", "b-t", {"rps": 100, "reason": "bad release"})):
        status, d = await call(f"{api}/batch/default/{op}", "POST",
                               {"query": query, "jobId": job, **extra})
        assert status == 201 and d["jobId"] == job and d["query"] == query, d
        assert d["operationType"] == op.split("/")[0].upper()
        d = await _batch_done(api, job)
        assert d["state"] == "COMPLETED", d
        assert (d["totalOperationCount"], d["completeOperationCount"],
                d["failureOperationCount"]) == (3, 3, 0)
    assert d["reason"] == "bad release" and d["maxOperationsPerSecond"] == 100.0
    for h in handles:
        events = (await h.fetch_history()).events
        kinds = [e.WhichOneof("attributes") for e in events]
        assert kinds.count("workflow_execution_cancel_requested") == 1, kinds
        [sig] = [e.workflow_execution_signaled for e in events
                 if e.HasField("workflow_execution_signaled")]
        assert sig.signal_name == "approve" and json.loads(sig.input.payloads[0].data) == "batch"
        assert events[-1].workflow_execution_terminated.reason == "bad release"

    # stop: a slow batch (one step every 2 s) stopped before its second step
    for i in range(3):
        await client.start_workflow("HttpOrder", args=["x", True], id=f"s-{i}",
                                    task_queue="http-stop-q")
    status, d = await call(f"{api}/batch/default/terminate", "POST",
                           {"query": "TaskQueue='http-stop-q'", "jobId": "b-stop", "rps": 0.5})
    assert status == 201, d
    status, out = await call(f"{api}/batch/default/jobs/b-stop/stop", "POST",
                             {"reason": "wrong query"})
    assert (status, out) == (200, {"jobId": "b-stop", "stopped": True})
    d = await _batch_done(api, "b-stop")
    assert (d["state"], d["reason"]) == ("FAILED", "wrong query") and d["closeTime"], d
    running = [h async for h in client.list_workflows(
        "TaskQueue='http-stop-q' AND ExecutionStatus='Running'")]
    assert len(running) == 3 - d["completeOperationCount"] >= 2

    status, body = await call(f"{api}/batch/default/jobs")
    assert status == 200
    assert sorted((o["jobId"], o["state"]) for o in body["operations"]) == [
        ("b-c", "COMPLETED"), ("b-s", "COMPLETED"), ("b-stop", "FAILED"), ("b-t", "COMPLETED")]


async def test_batch_bad_requests(client: Client, api: str) -> None:
    bad = [
        ("terminate", {}, "query"),
        ("terminate", {"query": 7}, "query"),
        ("cancel", {"query": "", "rps": 0}, "rps"),
        ("cancel", {"query": "", "rps": "fast"}, "rps"),
        ("terminate", {"query": "", "jobId": 5}, "jobId"),
        ("terminate", {"query": "", "reason": ""}, "reason"),
        ("signal/poke", {"query": "", "params": "no"}, "params"),
    ]
    for op, body, field in bad:
        status, out = await call(f"{api}/batch/default/{op}", "POST", body)
        assert status == 400 and out["error"].get("field") == field, (op, body, out)
    status, out = await call(f"{api}/batch/default/terminate", "POST",
                             {"query": "NoSuch = 'x'", "jobId": "bad-q"})
    assert status == 400 and "NoSuch" in out["error"]["message"], out
    status, out = await call(f"{api}/batch/default/terminate", "POST",
                             {"query": "TaskQueue='none'", "jobId": "dup"})
    assert status == 201, out
    status, out = await call(f"{api}/batch/default/terminate", "POST",
                             {"query": "TaskQueue='none'", "jobId": "dup"})
    assert status == 409 and "dup" in out["error"]["message"], out
    for method, path in (("GET", "jobs/missing"), ("POST", "jobs/missing/stop"),
                         ("GET", "colour")):
        status, out = await call(f"{api}/batch/default/{path}", method,
                                 {} if method == "POST" else None)
        assert status == 404, (path, out)
    status, out = await call(f"{api}/batch/osm/jobs", key="k-osm")
    assert status == 404 and "osm" in out["error"]["message"], out  # no client there
    status, out = await call(f"{api}/batch/default/jobs", key=None)
    assert status == 401, out
    status, out = await call(f"{api}/batch/default/jobs", key="k-osm")
    assert status == 403, out


async def test_python_api_process_agrees_with_the_servers(server: ServerProcess,
                                                          tmp_path: Path) -> None:
    """``durable http-api --address`` in front of the server answers as the server's own
    ``--http`` does: the same start, status (description, result, query) and errors."""
    cfg, keys = _config(tmp_path)
    native = server.http_url.rstrip("/")
    client = await Client.connect(server.address, api_key="k-all")
    try:
        async with Worker(client, task_queue="http-q", workflows=[HttpOrder]):
            with contextlib.contextmanager(_api_process)(server.address, cfg, keys) as base:
                status, body = await call(f"{base}/invoke/orders", "POST",
                                          {"workflowId": "p-1", "params": ["gpu", True]})
                assert status == 201, body
                status, body = await call(f"{native}/invoke/orders/p-1/signal/approve", "POST",
                                          {"params": ["noc"]})
                assert status == 200, body
                url = "/invoke/orders/p-1/status?include=description,result,query&wait=60s&" \
                      "queryName=state&queryParams=%5B%22x%22%5D"
                (s1, py), (s2, cpp) = [await call(b + url) for b in (base, native)]
                assert (s1, s2) == (200, 200), (py, cpp)
                assert py == cpp, (py, cpp)
                assert py["result"] == "gpu shipped (approved by noc)"
                assert py["description"]["status"] == "COMPLETED"
                assert py["queryResult"] == "x: approved"
                for path, body_ in (("/invoke/orders", {"params": 1}),
                                    ("/invoke/orders/p-1/reset", {"reason": "r"}),
                                    ("/batch/default/cancel", {"query": 5})):
                    (s1, py), (s2, cpp) = [await call(b + path, "POST", body_)
                                           for b in (base, native)]
                    assert s1 == s2 == 400 and py == cpp, (path, py, cpp)
    finally:
        await client.close()


@pytest.mark.parametrize("args, says", [
    (["--http", "127.0.0.1:0"], "--http needs --http-config"),
    (["--http-config", "clients.toml"], "--http-config is only read with --http"),
    (["--http", "127.0.0.1:0", "--http-config", "missing.toml"], "missing.toml"),
    (["--http", "127.0.0.1:0", "--http-config", "bad.toml"], "bad.toml"),
    (["--http", "127.0.0.1:0", "--http-config", "empty.toml"], "no [clients.NAME] table"),
    (["--http", "127.0.0.1:0", "--http-config", "partial.toml"],
     "[clients.x] needs task_queue"),
])
def test_server_http_flag_errors(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "clients.toml").write_text(CLIENTS)
    (tmp_path / "bad.toml").write_text("[clients.x\n")
    (tmp_path / "empty.toml").write_text("title = 'no clients'\n")
    (tmp_path / "partial.toml").write_text('[clients.x]\nworkflow_type = "W"\n')
    args = [str(tmp_path / a) if a.endswith(".toml") else a for a in args]
    proc = ServerProcess(str(tmp_path / "db"), args=args)
    with pytest.raises(RuntimeError, match="exited with code 1") as e:
        proc.start()
    assert says in str(e.value), e.value
