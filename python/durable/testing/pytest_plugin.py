"""pytest fixtures for durable workflows (opt-in; see docs/testing.md).

Enable in one of these ways:

* ``pytest_plugins = ["durable.testing.pytest_plugin"]`` in your top ``conftest.py``;
* ``-p durable.testing.pytest_plugin`` on the command line;
* ``durable_plugin = true`` under ``[tool.pytest.ini_options]`` (or ``[pytest]``).

Fixtures (each test gets its own engine in a temporary directory):

* ``durable_env``: a time-skipping :class:`~durable.testing.WorkflowEnvironment`;
* ``durable_client``: its client;
* ``durable_worker``: a factory of workers on a unique task queue::

      async with durable_worker(workflows=[W], activities=[a]) as w:
          await durable_client.execute_workflow(W.run, id="w", task_queue=w.task_queue)

* ``durable_replay``: ``await durable_replay("tests/histories", workflows=[W])`` replays
  every recorded history (``*.json``) and fails the test naming each one that does not.

The fixtures are async: the plugin needs pytest-asyncio (any mode).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest

from durable.client import Client
from durable.testing._pytest_entry import add_record_option
from durable.testing._histories import replay_history_files
from durable.testing._workflow_environment import WorkflowEnvironment
from durable.worker import Worker, WorkflowReplayResults

try:
    import pytest_asyncio
except ImportError as _e:  # pragma: no cover - depends on the environment
    raise ImportError("durable.testing.pytest_plugin needs pytest-asyncio "
                      "(pip install pytest-asyncio)") from _e

__all__ = ["durable_client", "durable_env", "durable_replay", "durable_worker"]

WorkerFactory = Callable[..., contextlib.AbstractAsyncContextManager[Worker]]
ReplayHelper = Callable[..., Awaitable[WorkflowReplayResults]]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_record_option(parser)


async def record_if_asked(request: pytest.FixtureRequest, client: Client) -> None:
    """Record ``client``'s closed runs when pytest runs with ``--durable-record-histories``.

    Candidate classes are the test module's globals (see :mod:`durable.testing.record`).
    """
    out = request.config.getoption("durable_record_histories", None)
    if out and request.module is not None:
        from durable.testing.record import record_closed_histories

        await record_closed_histories(client, out, list(vars(request.module).values()))


@pytest_asyncio.fixture
async def durable_env(request: pytest.FixtureRequest) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping workflow environment, shut down (and its directory removed) after."""
    async with await WorkflowEnvironment.start_time_skipping() as env:
        yield env
        await record_if_asked(request, env.client)


@pytest_asyncio.fixture
async def durable_client(durable_env: WorkflowEnvironment) -> Client:
    """The client of ``durable_env``."""
    return durable_env.client


@pytest_asyncio.fixture
async def durable_worker(durable_client: Client) -> AsyncIterator[WorkerFactory]:
    """A factory of running workers on ``durable_client``, each on a unique task queue.

    ``durable_worker(workflows=[...], activities=[...], **worker_options)`` is an async
    context manager yielding the running :class:`~durable.worker.Worker`
    (``w.task_queue``). Plain-function activities get a thread pool unless
    ``activity_executor`` is passed. ``task_queue=`` overrides the generated name.
    """
    executors: list[concurrent.futures.ThreadPoolExecutor] = []

    @contextlib.asynccontextmanager
    async def make(*, workflows: Sequence[type] = (),
                   activities: Sequence[Callable[..., Any]] = (),
                   task_queue: str | None = None, **options: Any) -> AsyncIterator[Worker]:
        if "activity_executor" not in options and activities:
            pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=8, thread_name_prefix="durable-test-activity")
            executors.append(pool)
            options["activity_executor"] = pool
        worker = Worker(durable_client, task_queue=task_queue or f"test-{uuid.uuid4().hex}",
                        workflows=workflows, activities=activities, **options)
        async with worker:
            yield worker

    try:
        yield make
    finally:
        for pool in executors:
            pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def durable_replay() -> ReplayHelper:
    """``await durable_replay(path, workflows=[...])``: replay recorded histories.

    ``path`` is a ``.json`` history or a directory of them. Without ``workflows``, each
    file's class comes from its name ``<module>.<Class>.json`` (as
    ``--durable-record-histories`` writes them). Extra keyword arguments go to
    :func:`durable.testing._histories.replay_history_files` (``raise_on_replay_failure``,
    ``data_converter``...). Fails with an ``AssertionError`` listing every history that
    does not replay.
    """

    async def replay(path: str | os.PathLike[str], *, workflows: Sequence[type] | None = None,
                     **options: Any) -> WorkflowReplayResults:
        return await replay_history_files(path, workflows=workflows, **options)

    return replay
