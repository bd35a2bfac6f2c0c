"""Plugins (mirrors temporalio's ``client.Plugin`` / ``worker.Plugin``).

A plugin changes the configuration of a client, worker or replayer before it is built
(``configure_*``) and wraps what it does (``connect_service_client``, ``run_worker``,
``run_replayer``). Plugins given in a list chain as temporalio chains them: ``configure_*``
runs in list order, and for the wrapping hooks the first plugin is the outermost (it calls
``next`` to reach the second, and so on down to durable's own code). A client plugin that is
also a worker plugin is applied to every worker built on that client, before the worker's own
plugins. docs/plugins.md.

durable's shapes: ``ClientConfig`` holds durable's ``Client`` settings (a ``transport``
where temporalio has a ``service_client``); ``ConnectConfig`` holds durable's
``Client.connect`` connection keywords (a target that is a server address or an embedded
directory); the "service client" a plugin's ``connect_service_client`` returns is durable's
transport.
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from durable import _transport

if TYPE_CHECKING:
    from durable.client import Client, Interceptor
    from durable.common import EngineLimits
    from durable.service import TLSConfig
    from durable.worker import Replayer, Worker, WorkflowReplayResult, WorkflowRunner
    from durable.worker import Interceptor as WorkerInterceptor

#: What ``connect_service_client`` returns: durable's transport (a connection to a
#: durable-server, or to the embedded engine of a directory), in place of temporalio's
#: gRPC ``ServiceClient``.
ServiceClient = _transport.Transport


@dataclass
class ConnectConfig:
    """The connection settings of ``Client.connect``, as a plugin's
    ``connect_service_client`` sees them (temporalio's ``service.ConnectConfig`` for
    durable's transport).

    Attributes:
        target_host: ``host:port`` of a durable-server, or a directory (``embedded:<dir>``)
            whose engine runs in this process.
        namespace: The namespace the transport is opened for (checked at connect).
        api_key: Bearer key for a server started with ``--api-keys`` (server only).
        tls: ``True`` or a ``durable.service.TLSConfig`` (server only).
        rpc_metadata: Extra gRPC metadata of every call (server only).
        identity: The client's identity (None: ``pid@hostname``).
        sync_writes: Sync the embedded engine's log on each commit (embedded only).
        limits: The embedded engine's limits (``durable.common.EngineLimits``).
        accept_data_loss: Open an embedded directory whose log is damaged.
    """

    target_host: str
    namespace: str = "default"
    api_key: str | None = None
    tls: bool | TLSConfig | None = False
    rpc_metadata: Mapping[str, str] | None = None
    identity: str | None = None
    sync_writes: bool = True
    limits: EngineLimits | None = None
    accept_data_loss: bool = False


async def connect_service_client(config: ConnectConfig) -> _transport.Transport:
    """Open the transport ``config`` names (the end of the ``connect_service_client``
    chain)."""
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: _transport.open_transport(
            config.target_host, namespace=config.namespace, sync_writes=config.sync_writes,
            limits=config.limits, tls=config.tls, api_key=config.api_key,
            rpc_metadata=config.rpc_metadata, accept_data_loss=config.accept_data_loss))


class ClientConfig(TypedDict, total=False):
    """durable's ``Client`` settings, as ``Client.config()`` returns them and
    ``configure_client`` receives them (``Client(**config)`` builds a client)."""

    transport: _transport.Transport
    namespace: str
    data_converter: Any
    identity: str | None
    interceptors: Sequence[Interceptor]
    runtime: Any
    plugins: Sequence[ClientPlugin]


class WorkerConfig(TypedDict, total=False):
    """durable's ``Worker`` keywords, as ``configure_worker`` receives them."""

    client: Client
    task_queue: str
    workflows: Sequence[type]
    activities: Sequence[Callable[..., Any]]
    activity_executor: concurrent.futures.Executor | None
    max_cached_workflows: int
    max_concurrent_workflow_tasks: int | None
    max_concurrent_activities: int | None
    max_concurrent_activity_task_polls: int
    shared_state_manager: Any
    max_activities_per_second: float | None
    max_task_queue_activities_per_second: float | None
    workflow_failure_exception_types: Sequence[type[BaseException]]
    graceful_shutdown_timeout: timedelta
    identity: str | None
    debug_mode: bool
    deadlock_detection_timeout: timedelta | None
    workflow_runner: WorkflowRunner | None
    unsandboxed_workflow_runner: WorkflowRunner | None
    interceptors: Sequence[WorkerInterceptor]
    plugins: Sequence[WorkerPlugin]


class ReplayerConfig(TypedDict, total=False):
    """durable's ``Replayer`` keywords, as ``configure_replayer`` receives them."""

    workflows: Sequence[type]
    data_converter: Any
    workflow_failure_exception_types: Sequence[type[BaseException]]
    debug_mode: bool
    deadlock_detection_timeout: timedelta | None
    interceptors: Sequence[WorkerInterceptor]
    plugins: Sequence[WorkerPlugin]


def _default_name(plugin: Any) -> str:
    return type(plugin).__module__ + "." + type(plugin).__qualname__


class ClientPlugin(abc.ABC):
    """Changes how a client is configured and connected (``durable.client.Plugin``).

    A subclass that also derives from ``durable.worker.Plugin`` is applied to the workers
    built on the client as well (do not give it to those workers again).
    """

    def name(self) -> str:
        """The plugin's name: its class's module and qualified name unless overridden."""
        return _default_name(self)

    @abc.abstractmethod
    def configure_client(self, config: ClientConfig) -> ClientConfig:
        """Return the client settings to use (``config`` changed, or a new dict)."""

    @abc.abstractmethod
    async def connect_service_client(
        self, config: ConnectConfig,
        next: Callable[[ConnectConfig], Awaitable[_transport.Transport]],
    ) -> _transport.Transport:
        """Connect: call ``next`` (with ``config`` or a changed copy) and return its
        transport, or do something around it."""


class WorkerPlugin(abc.ABC):
    """Changes how workers and replayers are configured and run
    (``durable.worker.Plugin``)."""

    def name(self) -> str:
        """The plugin's name: its class's module and qualified name unless overridden."""
        return _default_name(self)

    @abc.abstractmethod
    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Return the worker keywords to use."""

    @abc.abstractmethod
    async def run_worker(self, worker: Worker,
                         next: Callable[[Worker], Awaitable[None]]) -> None:
        """Run the worker: await ``next(worker)``, with whatever should surround it."""

    @abc.abstractmethod
    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        """Return the replayer keywords to use."""

    @abc.abstractmethod
    def run_replayer(
        self, replayer: Replayer, histories: AsyncIterator[Any],
        next: Callable[[Replayer, AsyncIterator[Any]],
                       AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]],
    ) -> AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
        """Replay: return the context manager of ``next(replayer, histories)``, or one
        around it."""


def check_plugins(plugins: Sequence[Any], kind: type, label: str) -> list[Any]:
    out = list(plugins)
    for p in out:
        if not isinstance(p, kind):
            raise ValueError(f"plugins must be {label} instances, got {p!r}")
    return out


def chain(plugins: Sequence[Any], hook: str, last: Callable[..., Any]) -> Callable[..., Any]:
    """``last`` wrapped by each plugin's ``hook``, the first plugin outermost."""
    fn = last
    for p in reversed(list(plugins)):
        fn = (lambda p, nxt: lambda *args: getattr(p, hook)(*args, nxt))(p, fn)
    return fn


def worker_plugins(client: Any, own: Sequence[WorkerPlugin]) -> list[WorkerPlugin]:
    """The client's plugins that are worker plugins, then the worker's own."""
    cfg = client.config() if callable(getattr(client, "config", None)) else {}
    inherited = [p for p in cfg.get("plugins", ()) if isinstance(p, WorkerPlugin)]
    own = check_plugins(own, WorkerPlugin, "durable.worker.Plugin")
    own_types = {type(p) for p in own}
    for p in inherited:
        if type(p) in own_types:
            warnings.warn(f"plugin type {type(p).__qualname__} is given to both the client "
                          "and the worker; it is applied twice", stacklevel=3)
    return inherited + own
