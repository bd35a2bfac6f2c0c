"""Shared fixtures: a Client per test on each transport — a fresh embedded engine, and a
fresh durable-server process reached over gRPC — so every test using ``client`` proves its
feature on both (``--transport=embedded|server`` runs one of them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

TRANSPORTS = ("embedded", "server")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--transport", choices=("both", *TRANSPORTS), default="both",
                     help="which transport the `client` fixture uses (default: both)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "transport_kind" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--transport")
        kinds = TRANSPORTS if chosen == "both" else (chosen,)
        metafunc.parametrize("transport_kind", kinds, scope="function")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[object]:
    """A durable-server process of this test's own, on a free loopback port (relaxed WAL
    syncs, like the embedded fixture; retention sweeps every 0.5 s), stopped (SIGTERM) after
    the test."""
    from durable._server_process import ServerProcess

    proc = ServerProcess(str(tmp_path / "server"),
                         args=["--relaxed-writes", "--retention-sweep-interval", "0.5"])
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def client(tmp_path: Path, request: pytest.FixtureRequest,
                 transport_kind: str) -> AsyncIterator[object]:
    """A Client on a fresh embedded engine in a temp directory (relaxed WAL syncs), or on a
    fresh durable-server — the test runs once for each.

    With ``--durable-record-histories=DIR``, the closed runs of the test's workflows are
    recorded after the test (see docs/testing.md, "Replay tests").
    """
    from durable.client import Client
    from durable.testing.pytest_plugin import record_if_asked

    if transport_kind == "server":
        proc = request.getfixturevalue("server")
        # a module's own `server` fixture may require an API key (tests/py/test_http_api.py)
        c = await Client.connect(proc.address, api_key=getattr(proc, "api_key", None))
    else:
        c = await Client.connect(str(tmp_path / "engine"), sync_writes=False)
    try:
        yield c
        await record_if_asked(request, c)
    finally:
        await c.close()


@pytest.fixture
def cli(client: object, transport_kind: str, tmp_path: Path,
        request: pytest.FixtureRequest) -> object:
    """The ``durable`` CLI (``cli_util.Cli``) aimed at the ``client`` fixture's target:
    ``--db`` its directory (shared in this process) or ``--address`` its server."""
    from cli_util import Cli

    if transport_kind == "server":
        return Cli(["--address", request.getfixturevalue("server").address])
    return Cli(["--db", str(tmp_path / "engine")])


@pytest.fixture
def task_queue() -> str:
    """A task queue name unique to the test."""
    return f"tq-{uuid.uuid4().hex[:8]}"
