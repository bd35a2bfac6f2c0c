"""The ends of an activity attempt's interceptor chains (what runs without interceptors).

The worker builds ``inbound = I1.intercept_activity(I2.intercept_activity(_Inbound))`` per
attempt, calls ``inbound.init(_Outbound(...))`` and then ``execute_activity``; the
innermost ``init`` keeps the (possibly wrapped) outbound chain, through which the
activity's ``activity.heartbeat()`` goes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from durable import activity
from durable.worker import _interceptor as i


class _Outbound(i.ActivityOutboundInterceptor):
    def __init__(self, info: activity.Info, heartbeat: Callable[..., None]) -> None:
        self._info = info
        self._heartbeat = heartbeat

    def info(self) -> activity.Info:
        return self._info

    def heartbeat(self, *details: Any) -> None:
        self._heartbeat(*details)


class _Inbound(i.ActivityInboundInterceptor):
    def __init__(self, execute: Callable[[i.ExecuteActivityInput, Callable[..., None]],
                                         Awaitable[Any]]) -> None:
        self._execute = execute
        self._outbound: i.ActivityOutboundInterceptor | None = None

    def init(self, outbound: i.ActivityOutboundInterceptor) -> None:
        self._outbound = outbound

    async def execute_activity(self, input: i.ExecuteActivityInput) -> Any:
        assert self._outbound is not None, "init() was not called down the chain"
        return await self._execute(input, self._outbound.heartbeat)


async def run_intercepted(interceptors: Sequence[i.Interceptor], info: activity.Info,
                          heartbeat: Callable[..., None],
                          execute: Callable[[i.ExecuteActivityInput, Callable[..., None]],
                                            Awaitable[Any]],
                          input: i.ExecuteActivityInput) -> Any:
    """Run one attempt through the chain; ``execute(input, heartbeat)`` runs the function."""
    inbound: i.ActivityInboundInterceptor = _Inbound(execute)
    for ic in reversed(list(interceptors)):
        inbound = ic.intercept_activity(inbound)
    inbound.init(_Outbound(info, heartbeat))
    return await inbound.execute_activity(input)
