"""``SimplePlugin``: a plugin made of settings rather than code (mirrors
``temporalio.plugin``).

    plugin = SimplePlugin("acme.tracing", interceptors=[TracingInterceptor()],
                          activities=[audit_log])
    client = await Client.connect(target, plugins=[plugin])   # its workers get it too

Each setting applies where it has a meaning: ``data_converter`` to the client and the
replayer; ``interceptors`` to the client (client interceptors) and to workers and replayers
(worker interceptors; one that is both is used once per worker); ``activities`` to workers;
``workflows``, ``workflow_runner`` and ``workflow_failure_exception_types`` to workers and
replayers; ``run_context`` around each worker run and replay. A value is appended to (or, for
``data_converter`` and ``workflow_runner``, replaces) what is configured; a callable instead
receives what is configured (or None) and returns the value to use. docs/plugins.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar, Union

from durable import client as _client
from durable import worker as _worker
from durable._plugins import ClientConfig, ConnectConfig, ReplayerConfig, WorkerConfig

__all__ = ["PluginParameter", "SimplePlugin"]

T = TypeVar("T")

#: A plugin setting: None (leave as configured), a value, or a function of the configured
#: value (None when nothing is configured) returning the value to use.
PluginParameter = Union[None, T, Callable[[Union[T, None]], T]]


def _resolve(existing: Any, parameter: Any) -> Any:
    if parameter is None:
        return existing
    if callable(parameter) and not isinstance(parameter, type):
        return parameter(existing)
    return parameter


def _resolve_append(existing: Sequence[Any] | None, parameter: Any) -> Sequence[Any] | None:
    if parameter is None:
        return existing
    if callable(parameter):
        return parameter(existing)  # type: ignore[no-any-return]
    return [*(existing or ()), *parameter]


class SimplePlugin(_client.Plugin, _worker.Plugin):
    """A client and worker plugin built from settings (see the module's docstring).

    Args:
        name: What :meth:`name` returns.
        data_converter: For the client and the replayer.
        interceptors: Client and/or worker interceptors, appended.
        activities: Activity functions for workers, appended.
        nexus_service_handlers: temporalio's Nexus handlers; durable has no Nexus, so only
            None is accepted.
        workflows: Workflow classes for workers and replayers, appended.
        workflow_runner: For workers and replayers (durable has one runner; accepted as
            ``Worker`` accepts it).
        workflow_failure_exception_types: For workers and replayers, appended.
        run_context: A function returning an async context manager entered around each
            worker run and each replay.

    Raises:
        ValueError: ``nexus_service_handlers`` given.
    """

    def __init__(
        self,
        name: str,
        *,
        data_converter: PluginParameter[Any] = None,
        interceptors: Sequence[_client.Interceptor | _worker.Interceptor] | None = None,
        activities: PluginParameter[Sequence[Callable[..., Any]]] = None,
        nexus_service_handlers: PluginParameter[Sequence[Any]] = None,
        workflows: PluginParameter[Sequence[type]] = None,
        workflow_runner: PluginParameter[_worker.WorkflowRunner] = None,
        workflow_failure_exception_types: PluginParameter[Sequence[type[BaseException]]] = None,
        run_context: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        if nexus_service_handlers is not None:
            raise ValueError("durable has no Nexus: SimplePlugin takes no "
                             "nexus_service_handlers")
        self._name = name
        self.data_converter = data_converter
        self.interceptors = interceptors
        self.activities = activities
        self.nexus_service_handlers = nexus_service_handlers
        self.workflows = workflows
        self.workflow_runner = workflow_runner
        self.workflow_failure_exception_types = workflow_failure_exception_types
        self.run_context = run_context

    def name(self) -> str:
        """The name given."""
        return self._name

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        """Sets the data converter; appends the client interceptors."""
        dc = _resolve(config.get("data_converter"), self.data_converter)
        if dc is not None:
            config["data_converter"] = dc
        if self.interceptors is not None:
            config["interceptors"] = [
                *config.get("interceptors", ()),
                *(i for i in self.interceptors if isinstance(i, _client.Interceptor))]
        return config

    async def connect_service_client(
        self, config: ConnectConfig, next: Callable[[ConnectConfig], Awaitable[Any]],
    ) -> Any:
        """Connects unchanged."""
        return await next(config)

    def _configure_common(self, config: Any) -> None:
        workflows = _resolve_append(config.get("workflows"), self.workflows)
        if workflows is not None:
            config["workflows"] = workflows
        runner = _resolve(config.get("workflow_runner"), self.workflow_runner)
        if runner is not None:
            config["workflow_runner"] = runner
        types = _resolve_append(config.get("workflow_failure_exception_types"),
                                self.workflow_failure_exception_types)
        if types is not None:
            config["workflow_failure_exception_types"] = types

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """Appends activities, workflows, failure types and the worker interceptors the
        client does not already carry; sets the runner."""
        activities = _resolve_append(config.get("activities"), self.activities)
        if activities is not None:
            config["activities"] = activities
        self._configure_common(config)
        if self.interceptors is not None:
            client = config.get("client")
            on_client = (client.config(active_config=True).get("interceptors", ())
                         if client is not None else ())
            config["interceptors"] = [
                *config.get("interceptors", ()),
                *(i for i in self.interceptors
                  if isinstance(i, _worker.Interceptor) and i not in on_client)]
        return config

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        """Sets the data converter; appends workflows, failure types and worker
        interceptors; sets the runner."""
        dc = _resolve(config.get("data_converter"), self.data_converter)
        if dc is not None:
            config["data_converter"] = dc
        self._configure_common(config)
        if self.interceptors is not None:
            config["interceptors"] = [
                *config.get("interceptors", ()),
                *(i for i in self.interceptors if isinstance(i, _worker.Interceptor))]
        return config

    async def run_worker(self, worker: _worker.Worker,
                         next: Callable[[_worker.Worker], Awaitable[None]]) -> None:
        """Runs the worker inside ``run_context`` (when given)."""
        if self.run_context is None:
            await next(worker)
            return
        async with self.run_context():
            await next(worker)

    @asynccontextmanager
    async def run_replayer(
        self, replayer: _worker.Replayer, histories: AsyncIterator[Any],
        next: Callable[[_worker.Replayer, AsyncIterator[Any]],
                       AbstractAsyncContextManager[AsyncIterator[Any]]],
    ) -> AsyncIterator[AsyncIterator[Any]]:
        """Replays inside ``run_context`` (when given)."""
        if self.run_context is None:
            async with next(replayer, histories) as results:
                yield results
            return
        async with self.run_context():
            async with next(replayer, histories) as results:
                yield results
