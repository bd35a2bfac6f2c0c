"""durable-server as a process: readiness, health and reflection, a second server on the
same directory, SIGTERM drain, and bad input over the wire (raw gRPC calls, as a client of
another version or a broken client would make them)."""

from __future__ import annotations

import asyncio
import signal
import re
import subprocess
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import grpc
import pytest

from durable import activity, workflow
from durable._server_process import ServerProcess, server_binary
from durable.client import Client
from durable.exceptions import InvalidArgumentError, NotFoundError
from durable.v1 import service_pb2
from durable.worker import Worker

SERVICE = "/durable.v1.WorkflowService/"


@activity.defn
async def echo(x: str) -> str:
    return x


@workflow.defn
class EchoWorkflow:
    @workflow.run
    async def run(self, x: str) -> str:
        return await workflow.execute_activity(echo, x, start_to_close_timeout=timedelta(seconds=10))


def _raw(address: str, method: str, request: bytes, metadata: tuple = ()) -> bytes:
    with grpc.insecure_channel(address) as ch:
        call = ch.unary_unary(SERVICE + method if not method.startswith("/") else method,
                              request_serializer=None, response_deserializer=None)
        return call(request, metadata=metadata, timeout=10)


def test_health_check_and_reflection(server: ServerProcess) -> None:
    # grpc.health.v1.HealthCheckResponse{status: SERVING} is field 1 = 1.
    resp = _raw(server.address, "/grpc.health.v1.Health/Check", b"")
    assert resp == b"\x08\x01"
    # ServerReflectionRequest{list_services: ""}: the reply names our service.
    with grpc.insecure_channel(server.address) as ch:
        stream = ch.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                  request_serializer=None, response_deserializer=None)
        replies = list(stream(iter([b"\x3a\x00"]), timeout=10))
    assert any(b"durable.v1.WorkflowService" in r for r in replies)


def test_second_server_on_the_same_directory_fails_clearly(server: ServerProcess) -> None:
    proc = subprocess.run([server_binary(), "--db", server.db, "--listen", "127.0.0.1:0"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert server.db in proc.stderr and "already open by another process" in proc.stderr, \
        proc.stderr


def test_usage_errors_exit_2_with_the_reason(tmp_path: Path) -> None:
    for args, reason in ([[], "--db DIR is required"],
                         [["--db", str(tmp_path), "--bogus"], "unknown option '--bogus'"],
                         [["--db", str(tmp_path), "--tls-cert", "/nonexistent"],
                          "TLS needs both --tls-cert and --tls-key"]):
        proc = subprocess.run([server_binary(), *args], capture_output=True, text=True, timeout=30)
        assert proc.returncode == (1 if "TLS" in reason else 2), proc.stderr
        assert reason in proc.stderr


def test_address_in_use_is_refused(server: ServerProcess, tmp_path: Path) -> None:
    proc = subprocess.run([server_binary(), "--db", str(tmp_path / "other"), "--listen",
                           server.address], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert f"cannot listen on {server.address}" in proc.stderr


def test_protocol_version_mismatch_is_a_clear_error(server: ServerProcess) -> None:
    req = service_pb2.DescribeNamespaceRequest(name="default").SerializeToString()
    with pytest.raises(grpc.RpcError) as err:
        _raw(server.address, "DescribeNamespace", req, (("durable-protocol", "99"),))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "protocol 99" in err.value.details() and "protocol 1" in err.value.details()


def test_malformed_request_is_refused_and_server_keeps_serving(server: ServerProcess) -> None:
    with pytest.raises(grpc.RpcError) as err:
        _raw(server.address, "StartWorkflowExecution", b"\xff\xff\xff\xff garbage")
    # gRPC refuses a message it cannot parse before durable sees it.
    assert err.value.code() != grpc.StatusCode.OK
    resp = _raw(server.address, "DescribeNamespace",
                service_pb2.DescribeNamespaceRequest(name="default").SerializeToString())
    assert service_pb2.DescribeNamespaceResponse.FromString(resp).namespace_info.name == "default"


async def test_bad_fields_name_the_field_and_unknown_namespace_is_not_found(
        server: ServerProcess) -> None:
    client = await Client.connect(server.address)
    try:
        # The SDK checks this too; here the server's own check answers a raw request.
        with pytest.raises(InvalidArgumentError, match="task_queue"):
            await client.transport.call_async("start_workflow_execution",
                                              service_pb2.StartWorkflowExecutionRequest(
                                                  workflow_id="bad", workflow_type="T",
                                                  task_queue=""))
        big = "x" * (3 * 1024 * 1024)
        with pytest.raises(InvalidArgumentError, match="payload|bytes"):
            await client.start_workflow("EchoWorkflow", big, id="big", task_queue="q")
    finally:
        await client.close()
    with pytest.raises(NotFoundError, match="namespace 'nope' is not registered"):
        await Client.connect(server.address, namespace="nope")


async def test_sigterm_drains_parked_polls_and_exits_cleanly(tmp_path: Path) -> None:
    proc = ServerProcess(str(tmp_path / "db"), args=["--metrics", "127.0.0.1:0"])
    proc.start()
    client = await Client.connect(proc.address)
    loop = asyncio.get_running_loop()
    # A poll parked for an hour: only the drain can answer it within the test's timeout.
    poll = loop.run_in_executor(None, lambda: client.transport.call(
        "poll_workflow_task_queue",
        service_pb2.PollWorkflowTaskQueueRequest(task_queue="idle", identity="t",
                                                 timeout_us=3_600_000_000)))
    await _wait_parked(proc, "idle")
    assert proc._proc is not None
    proc._proc.send_signal(signal.SIGTERM)
    resp = await poll
    assert resp.task_token == b""
    code = await loop.run_in_executor(None, proc.stop)
    await client.close()
    assert code == 0
    assert any("draining" in line for line in proc.log) and proc.log[-1].endswith("stopped")


def _parked(proc: ServerProcess, task_queue: str) -> int:
    """Polls parked on task_queue now, as the server's --metrics endpoint counts them."""
    address = next(m.group(1) for line in proc.log
                   if (m := re.search(r"metrics on http://(\S+)/metrics", line)))
    text = urllib.request.urlopen(f"http://{address}/metrics", timeout=30).read().decode()
    sample = re.compile(r'^durable_task_queue_pollers\{[^}]*task_queue="' +
                        re.escape(task_queue) + r'"[^}]*\} (\S+)$', re.M)
    return int(sum(float(v) for v in sample.findall(text)))


async def _wait_parked(proc: ServerProcess, task_queue: str) -> None:
    while await asyncio.to_thread(_parked, proc, task_queue) < 1:
        await asyncio.sleep(0.02)


async def test_work_survives_a_graceful_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "db")
    proc = ServerProcess(db)
    proc.start()
    client = await Client.connect(proc.address)
    handle = await client.start_workflow(EchoWorkflow.run, "kept", id="kept", task_queue="rq")
    await client.close()
    proc.stop()
    proc = ServerProcess(db, listen=proc.address)  # same directory, same address
    proc.start()
    try:
        client = await Client.connect(proc.address)
        async with Worker(client, task_queue="rq", workflows=[EchoWorkflow], activities=[echo]):
            assert await client.get_workflow_handle(handle.id).result() == "kept"
        await client.close()
    finally:
        proc.stop()


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line")


def test_a_thousand_parked_polls_cost_no_threads(tmp_path: Path) -> None:
    server = ServerProcess(str(tmp_path / "db"), args=["--relaxed-writes", "--metrics",
                                                       "127.0.0.1:0"])
    server.start()
    try:
        _thousand_parked_polls(server)
    finally:
        server.stop()


def _thousand_parked_polls(server: ServerProcess) -> None:
    assert server.pid is not None
    before = _threads(server.pid)
    req = service_pb2.PollWorkflowTaskQueueRequest(task_queue="idle", identity="t",
                                                   timeout_us=60_000_000).SerializeToString()
    with grpc.insecure_channel(server.address) as ch:
        call = ch.unary_unary(SERVICE + "PollWorkflowTaskQueue", request_serializer=None,
                              response_deserializer=None)
        polls = [call.future(req, timeout=90) for _ in range(1000)]
        while _parked(server, "idle") < len(polls):  # all arrived and parked
            time.sleep(0.05)
        during = _threads(server.pid)
        assert not any(p.done() for p in polls)  # all still parked
        assert during < before + 50, (before, during)  # not a thread per poll
        # They are really parked in matching: a task on their queue goes to one at once.
        start = service_pb2.StartWorkflowExecutionRequest(
            workflow_id="wake", workflow_type="T", task_queue="idle", request_id="r1")
        _raw(server.address, "StartWorkflowExecution", start.SerializeToString())
        deadline = time.monotonic() + 30
        while not any(p.done() for p in polls):
            assert time.monotonic() < deadline, "no parked poll got the task"
            time.sleep(0.05)
        [got] = [p for p in polls if p.done()]
        assert service_pb2.PollWorkflowTaskQueueResponse.FromString(got.result()).task_token
        for p in polls:
            p.cancel()
