"""Shared by the Temporal peers: `temporal server start-dev` on a free loopback port with a
fresh SQLite file, and a connected temporalio Client; stopped on exit."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import tempfile
from typing import AsyncIterator, Sequence

from temporalio.client import Client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def dev_server(binary: str, extra_args: Sequence[str] = ()) -> AsyncIterator[Client]:
    async with dev_server_with_pid(binary, extra_args) as (client, _pid):
        yield client


@contextlib.asynccontextmanager
async def dev_server_with_pid(binary: str, extra_args: Sequence[str] = ()
                              ) -> AsyncIterator[tuple[Client, int]]:
    """Like dev_server; also yields the server's process id (for its CPU time and RSS)."""
    port = free_port()
    db = os.path.join(tempfile.mkdtemp(prefix="bench-temporal-"), "temporal.db")
    server = subprocess.Popen(
        [binary, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
         "--db-filename", db, "--log-level", "error", *extra_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                client = await Client.connect(f"127.0.0.1:{port}")
                break
            except Exception:
                await asyncio.sleep(0.1)
        else:
            raise RuntimeError("temporal dev server did not come up")
        yield client, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
