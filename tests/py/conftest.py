"""Shared fixtures: a Client on a fresh embedded engine per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest


def _core_available() -> str | None:
    try:
        import durable._core  # noqa: F401
    except ImportError as e:
        return str(e)
    return None


_CORE_ERROR = _core_available()

requires_engine = pytest.mark.skipif(
    _CORE_ERROR is not None,
    reason=f"durable._core does not import (engine not built yet?): {_CORE_ERROR}")
"""Marks tests that need the embedded engine (durable._core)."""


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[object]:
    """A Client on an embedded engine in a fresh temp directory (relaxed WAL syncs)."""
    if _CORE_ERROR is not None:
        pytest.skip(f"durable._core does not import: {_CORE_ERROR}")
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
