"""Shared fixtures: a Client on a fresh embedded engine per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest


@pytest.fixture
async def client(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[object]:
    """A Client on an embedded engine in a fresh temp directory (relaxed WAL syncs).

    With ``--durable-record-histories=DIR``, the closed runs of the test's workflows are
    recorded after the test (see docs/testing.md, "Replay tests").
    """
    from durable.client import Client
    from durable.testing.pytest_plugin import record_if_asked

    c = await Client.connect(str(tmp_path / "engine"), sync_writes=False)
    try:
        yield c
        await record_if_asked(request, c)
    finally:
        await c.close()


@pytest.fixture
def task_queue() -> str:
    """A task queue name unique to the test."""
    return f"tq-{uuid.uuid4().hex[:8]}"
