"""Fixtures of the web UI browser tests: a durable-server with --ui on a free port, a client
of it, a headless chromium (closed after the test), and `in_browser` to run Selenium's
blocking calls off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from durable._server_process import ServerProcess
from durable.client import Client
from ui_browser import open_browser


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(str(tmp_path / "db"), args=["--relaxed-writes", "--ui", "127.0.0.1:0"])
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def client(ui_server: ServerProcess) -> AsyncIterator[Client]:
    c = await Client.connect(ui_server.address)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    driver = open_browser()
    try:
        yield driver
    finally:
        driver.quit()


def in_browser(fn: Any, *args: Any) -> Any:
    """Selenium blocks: run it off the event loop so the worker keeps working meanwhile."""
    return asyncio.to_thread(fn, *args)
