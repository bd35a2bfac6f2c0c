"""Deterministic ``asyncio.wait`` and ``asyncio.as_completed`` for workflow code
(``workflow.wait``, ``workflow.as_completed``, as in temporalio).

``asyncio.wait`` returns *sets*: iterating them goes in hash order, which differs from one
process to the next, so a workflow that acts on "each done task" in that order would not
replay. These return lists in the order the awaitables were given (``wait``) or completed
(``as_completed``); their timeouts are durable timers (``loop.call_later`` in a workflow).
They work on any event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
FutureT = TypeVar("FutureT", bound="asyncio.Future[Any]")

_RETURN_WHEN = (asyncio.FIRST_COMPLETED, asyncio.FIRST_EXCEPTION, asyncio.ALL_COMPLETED)


def _satisfied(fs: list[asyncio.Future[Any]], return_when: str) -> bool:
    done = [f for f in fs if f.done()]
    if len(done) == len(fs):
        return True
    if return_when == asyncio.FIRST_COMPLETED:
        return bool(done)
    if return_when == asyncio.FIRST_EXCEPTION:
        return any(not f.cancelled() and f.exception() is not None for f in done)
    return False


async def wait(fs: Iterable[FutureT], *, timeout: float | None = None,
               return_when: str = asyncio.ALL_COMPLETED) -> tuple[list[FutureT], list[FutureT]]:
    """Wait for tasks or futures, like ``asyncio.wait``, returning ``(done, pending)`` as
    lists in the order of ``fs``.

    Args:
        fs: Tasks or futures (not coroutines: wrap them with ``asyncio.create_task``).
        timeout: Seconds to wait at most; on timeout, returns what is done so far.
        return_when: ``asyncio.FIRST_COMPLETED``, ``FIRST_EXCEPTION`` or ``ALL_COMPLETED``.

    Raises:
        TypeError: ``fs`` is a single future or coroutine, or holds a coroutine.
        ValueError: ``fs`` is empty, or ``return_when`` is not one of the three.
    """
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        raise TypeError(f"expected an iterable of tasks or futures, got {type(fs).__name__}")
    if return_when not in _RETURN_WHEN:
        raise ValueError(f"return_when must be FIRST_COMPLETED, FIRST_EXCEPTION or "
                         f"ALL_COMPLETED, got {return_when!r}")
    items = list(fs)
    if not items:
        raise ValueError("wait() needs at least one task or future")
    if any(asyncio.iscoroutine(f) for f in items):
        raise TypeError("wait() takes tasks or futures, not coroutines: wrap each in "
                        "asyncio.create_task()")
    if not _satisfied(items, return_when):  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()

        def on_done(_: Any) -> None:
            if not waiter.done() and _satisfied(items, return_when):  # type: ignore[arg-type]
                waiter.set_result(None)

        timer = None if timeout is None else loop.call_later(
            timeout, lambda: waiter.done() or waiter.set_result(None))
        for f in items:
            f.add_done_callback(on_done)
        try:
            await waiter
        finally:
            if timer is not None:
                timer.cancel()
            for f in items:
                f.remove_done_callback(on_done)
    return [f for f in items if f.done()], [f for f in items if not f.done()]


def as_completed(fs: Iterable[Awaitable[T]], *,
                 timeout: float | None = None) -> Iterator[Awaitable[T]]:
    """Like ``asyncio.as_completed``: yields one awaitable per input, each giving the next
    result (or raising the next exception) in order of completion; ties go in the order of
    ``fs``.

    Args:
        fs: Awaitables (coroutines are wrapped in tasks).
        timeout: Seconds until the remaining awaitables raise ``asyncio.TimeoutError``.

    Raises:
        TypeError: ``fs`` is a single future or coroutine.
    """
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        raise TypeError(f"expected an iterable of awaitables, got {type(fs).__name__}")
    loop = asyncio.get_event_loop()
    todo: list[asyncio.Future[T]] = [asyncio.ensure_future(f, loop=loop) for f in list(fs)]
    count = len(todo)
    finished: asyncio.Queue[asyncio.Future[T] | None] = asyncio.Queue()
    timer: asyncio.TimerHandle | None = None

    def on_done(f: asyncio.Future[T]) -> None:
        if f not in todo:
            return  # timed out already
        todo.remove(f)
        finished.put_nowait(f)
        if not todo and timer is not None:
            timer.cancel()

    def on_timeout() -> None:
        for f in todo:
            f.remove_done_callback(on_done)
            finished.put_nowait(None)
        todo.clear()

    async def next_result() -> T:
        f = await finished.get()
        if f is None:
            raise asyncio.TimeoutError()
        return f.result()

    for f in todo:
        f.add_done_callback(on_done)
    if todo and timeout is not None:
        timer = loop.call_later(timeout, on_timeout)
    for _ in range(count):
        yield next_result()
