"""``durable server start-dev`` (and ``python -m durable``): starts the bundled server with
Temporal's start-dev flags, registers namespaces, keeps a --db-filename directory, stops on
SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from durable.client import Client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_start_dev_serves_and_keeps_its_directory(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "data"
    cmd = [sys.executable, "-m", "durable", "server", "start-dev", "--port", str(port),
           "--db-filename", str(db), "--namespace", "osm", "--ui-port", "8233", "--headless"]
    for round_ in range(2):  # the second run finds the namespace registered already
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith(f"durable-server 127.0.0.1:{port}") and str(db) in first, first
        client = await Client.connect(f"127.0.0.1:{port}", namespace="osm")
        if round_ == 0:
            await client.start_workflow("Kept", id="kept", task_queue="q")
        assert (await client.get_workflow_handle("kept").describe()).id == "kept"
        assert [n.name for n in await client.list_namespaces()] == ["default", "osm"]
        await client.close()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert (db / "namespaces" / "registry.pb").exists()


def test_start_dev_bad_port_is_a_one_line_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "durable", "server", "start-dev", "--port",
                           "70000"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2  # bad usage (docs/cli.md, exit codes)
    assert proc.stderr.strip() == "durable: --port must be 1-65535, got 70000"


def test_help_names_the_flags() -> None:
    proc = subprocess.run([sys.executable, "-m", "durable", "server", "start-dev", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for flag in ("--ip", "--port", "--db-filename", "--namespace", "--ui-port", "--headless",
                 "--log-level", "--http-config", "--http-port", "Example:"):
        assert flag in proc.stdout


async def test_start_dev_serves_the_http_api(tmp_path: Path) -> None:
    port, http_port = _free_port(), _free_port()
    cfg = tmp_path / "clients.toml"
    cfg.write_text('[clients.hello]\nworkflow_type = "Hello"\ntask_queue = "q"\n')
    proc = subprocess.Popen([sys.executable, "-m", "durable", "server", "start-dev", "--port",
                             str(port), "--headless", "--http-config", str(cfg),
                             "--http-port", str(http_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[2].strip() == f"HTTP API http://127.0.0.1:{http_port}/", lines
        req = urllib.request.Request(f"http://127.0.0.1:{http_port}/invoke/hello",
                                     data=b'{"workflowId": "h-1"}', method="POST")
        with urllib.request.urlopen(req, timeout=60) as r:
            assert (r.status, json.loads(r.read())["workflowId"]) == (201, "h-1")
        client = await Client.connect(f"127.0.0.1:{port}")
        assert (await client.get_workflow_handle("h-1").describe()).workflow_type == "Hello"
        await client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def test_start_dev_http_port_needs_a_config() -> None:
    proc = subprocess.run([sys.executable, "-m", "durable", "server", "start-dev",
                           "--http-port", "9080"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--http-port needs --http-config" in proc.stderr
