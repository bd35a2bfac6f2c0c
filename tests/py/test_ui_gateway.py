"""durable-server --ui as plain HTTP: the JSON gateway answers RPCs in process (a workflow
started through it is seen by a gRPC client), bad JSON is a 400 naming the message, an
unknown method a 404, the wrong verb a 405, API keys are enforced per namespace (401 / 403),
the UI's files are served from the binary, and ``durable server start-dev`` serves the UI
unless ``--headless``."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from durable._server_process import ServerProcess
from durable.client import Client


def call(url: str, method: str, body: Any, *, key: str = "", ns: str = "",
         raw: bytes | None = None, verb: str = "POST") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if ns:
        headers["Durable-Namespace"] = ns
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}api/v1/{method}", data=data if verb == "POST" else None,
                                 headers=headers, method=verb)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.loads(e.read())


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(str(tmp_path / "db"), args=["--relaxed-writes", "--ui", "127.0.0.1:0"])
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


async def test_a_workflow_started_over_http_is_the_servers(ui_server: ServerProcess) -> None:
    url = ui_server.ui_url
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    status, started = call(url, "StartWorkflowExecution",
                           {"workflowId": "over-http", "workflowType": "Nobody",
                            "taskQueue": "q"})
    assert status == 200 and started["runId"]
    client = await Client.connect(ui_server.address)
    try:
        desc = await client.get_workflow_handle("over-http").describe()
        assert desc.run_id == started["runId"] and desc.workflow_type == "Nobody"
    finally:
        await client.close()
    status, listed = call(url, "ListWorkflowExecutions", {"query": "WorkflowType = 'Nobody'"})
    assert status == 200
    assert [e["execution"]["workflowId"] for e in listed["executions"]] == ["over-http"]
    status, missing = call(url, "DescribeWorkflowExecution",
                           {"execution": {"workflowId": "no-such"}})
    assert status == 404 and missing["code"] == "NotFound" and "no-such" in missing["message"]
    status, taken = call(url, "StartWorkflowExecution",
                         {"workflowId": "over-http", "workflowType": "Nobody", "taskQueue": "q"})
    assert status == 409 and taken["code"] == "AlreadyExists"


def test_bad_requests_name_the_problem(ui_server: ServerProcess) -> None:
    url = ui_server.ui_url
    status, err = call(url, "ListWorkflowExecutions", None, raw=b"{not json")
    assert status == 400 and err["code"] == "InvalidArgument"
    assert "durable.v1.ListWorkflowExecutionsRequest" in err["message"], err
    status, err = call(url, "ListWorkflowExecutions", {"pageSise": 3})
    assert status == 400 and "pageSise" in err["message"], err
    status, err = call(url, "NoSuchMethod", {})
    assert status == 404 and "NoSuchMethod" in err["message"], err
    status, err = call(url, "PollWorkflowTaskQueue", {})  # polls are not on the gateway
    assert status == 404, err
    status, err = call(url, "ListWorkflowExecutions", None, verb="GET")
    assert status == 405 and "POST" in err["message"], err
    status, err = call(url, "ListWorkflowExecutions", {}, ns="nowhere")
    assert status == 404 and "nowhere" in err["message"], err


def test_api_keys_are_enforced_per_namespace(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("k-admin *\nk-a team-a\n")
    with ServerProcess(str(tmp_path / "db"),
                       args=["--api-keys", str(keys), "--ui", "127.0.0.1:0"]) as proc:
        url = proc.ui_url
        status, err = call(url, "ListWorkflowExecutions", {})
        assert status == 401 and err["code"] == "Unauthenticated", err
        status, err = call(url, "ListWorkflowExecutions", {}, key="k-wrong")
        assert status == 401, err
        status, _ = call(url, "RegisterNamespace", {"namespaceInfo": {"name": "team-a"}},
                         key="k-admin")
        assert status == 200
        status, err = call(url, "ListWorkflowExecutions", {}, key="k-a")  # "default"
        assert status == 403 and err["code"] == "PermissionDenied", err
        status, listed = call(url, "ListWorkflowExecutions", {}, key="k-a", ns="team-a")
        assert status == 200 and listed == {}
        status, err = call(url, "RegisterNamespace", {"namespaceInfo": {"name": "team-b"}},
                           key="k-a")
        assert status == 403, err


def test_the_ui_files_come_from_the_binary(ui_server: ServerProcess) -> None:
    with urllib.request.urlopen(ui_server.ui_url, timeout=60) as resp:
        assert resp.headers["Content-Type"].startswith("text/html")
        page = resp.read().decode()
    assert "<title>durable</title>" in page and "/js/app.js" in page
    for script in ("/js/app.js", "/js/workflow_list.js", "/style.css"):
        with urllib.request.urlopen(ui_server.ui_url + script.lstrip("/"), timeout=60) as resp:
            assert resp.status == 200 and resp.read()
    head = urllib.request.Request(ui_server.ui_url + "js/app.js", method="HEAD")
    with urllib.request.urlopen(head, timeout=60) as resp:
        assert int(resp.headers["Content-Length"]) > 0 and resp.read() == b""
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(ui_server.ui_url + "no/such/file.js", timeout=60)
    assert missing.value.code == 404
    missing.value.close()


def test_a_taken_ui_address_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = ServerProcess(str(tmp_path / "db"), args=["--ui", f"127.0.0.1:{port}"])
        with pytest.raises(RuntimeError, match=f"--ui: cannot listen on 127.0.0.1:{port}"):
            proc.start()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("headless", [False, True])
def test_start_dev_serves_the_ui_unless_headless(tmp_path: Path, headless: bool) -> None:
    port, ui_port = _free_port(), _free_port()
    cmd = [sys.executable, "-m", "durable", "server", "start-dev", "--port", str(port),
           "--ui-port", str(ui_port), "--db-filename", str(tmp_path / "data"),
           *(["--headless"] if headless else [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]  # address, namespace default
        assert lines[0].startswith(f"durable-server 127.0.0.1:{port}"), lines
        if headless:
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", ui_port), timeout=5).close()
        else:
            assert proc.stdout.readline().strip() == f"web UI http://127.0.0.1:{ui_port}/"
            status, listed = call(f"http://127.0.0.1:{ui_port}/", "ListNamespaces", {})
            assert status == 200 and listed["namespaces"][0]["name"] == "default"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
