"""Shared fixtures: a Client on a fresh embedded engine per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[object]:
    """A Client on an embedded engine in a fresh temp directory (relaxed WAL syncs)."""
    from durable.client import Client

    c = await Client.connect(str(tmp_path / "engine"), sync_writes=False)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
def task_queue() -> str:
    """A task queue name unique to the test."""
    return f"tq-{uuid.uuid4().hex[:8]}"
