"""Plugins as temporalio has them: ``client.Plugin`` (configure_client,
connect_service_client), ``worker.Plugin`` (configure_worker, run_worker, configure_replayer,
run_replayer), their chaining order, a client plugin that is also a worker plugin reaching
the client's workers, and ``plugin.SimplePlugin``. Each test runs on both transports."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from durable import activity, workflow
from durable import client as durable_client
from durable import worker as durable_worker
from durable.api.common.v1 import Payload
from durable.client import Client, ClientConfig, ConnectConfig
from durable.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
)
from durable.plugin import SimplePlugin
from durable.worker import Replayer, ReplayerConfig, Worker, WorkerConfig


@dataclasses.dataclass(frozen=True)
class Celsius:
    degrees: float


class CelsiusConverter(EncodingPayloadConverter):
    @property
    def encoding(self) -> str:
        return "text/celsius"

    def to_payload(self, value: Any) -> Payload | None:
        if not isinstance(value, Celsius):
            return None
        return Payload(metadata={"encoding": self.encoding.encode()},
                       data=f"{value.degrees}C".encode())

    def from_payload(self, payload: Payload, type_hint: Any | None = None) -> Any:
        return Celsius(float(payload.data.decode().rstrip("C")))


class CelsiusPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        super().__init__(CelsiusConverter(),
                         *DefaultPayloadConverter.default_encoding_payload_converters)


celsius_converter = DataConverter(payload_converter_class=CelsiusPayloadConverter)


@activity.defn
async def warm(t: Celsius) -> Celsius:
    return Celsius(t.degrees + 1.5)


@workflow.defn
class WarmWorkflow:
    @workflow.run
    async def run(self, t: Celsius) -> Celsius:
        assert isinstance(t, Celsius)
        return await workflow.execute_activity(warm, t,
                                               start_to_close_timeout=timedelta(seconds=30))


@activity.defn
async def shout(s: str) -> str:
    return s.upper() + "!"


@workflow.defn
class ShoutWorkflow:
    @workflow.run
    async def run(self, s: str) -> str:
        return await workflow.execute_activity(shout, s,
                                               start_to_close_timeout=timedelta(seconds=30))


class RecordStarts(durable_client.Interceptor):
    def __init__(self) -> None:
        self.started: list[str] = []

    def intercept_client(self, next: durable_client.OutboundInterceptor
                         ) -> durable_client.OutboundInterceptor:
        return _RecordStartsOutbound(next, self)


class _RecordStartsOutbound(durable_client.OutboundInterceptor):
    def __init__(self, next: durable_client.OutboundInterceptor, root: RecordStarts) -> None:
        super().__init__(next)
        self.root = root

    async def start_workflow(self, input: durable_client.StartWorkflowInput) -> Any:
        self.root.started.append(input.workflow)
        return await super().start_workflow(input)


class ConverterPlugin(durable_client.Plugin):
    """Adds an interceptor and swaps the data converter; notes the connection settings."""

    def __init__(self) -> None:
        self.interceptor = RecordStarts()
        self.connected_to: list[str] = []

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        config["interceptors"] = [*config.get("interceptors", ()), self.interceptor]
        config["data_converter"] = celsius_converter
        return config

    async def connect_service_client(self, config: ConnectConfig,
                                     next: Callable[[ConnectConfig], Awaitable[Any]]) -> Any:
        self.connected_to.append(config.target_host)
        return await next(config)


async def _connect(client: Client, plugins: list[Any]) -> Client:
    """Another client on the fixture's engine or server, with ``plugins``."""
    return await Client.connect(client.transport.target, plugins=plugins)


async def test_configure_client_adds_an_interceptor_and_a_data_converter(
        client: Client, task_queue: str) -> None:
    plugin = ConverterPlugin()
    c = await _connect(client, [plugin])
    try:
        assert plugin.connected_to == [client.transport.target]
        assert c.data_converter is celsius_converter
        assert c.config()["interceptors"] == []  # as given
        assert c.config(active_config=True)["interceptors"] == [plugin.interceptor]
        assert c.config()["plugins"] == [plugin]
        async with Worker(c, task_queue=task_queue, workflows=[WarmWorkflow], activities=[warm]):
            handle = await c.start_workflow(WarmWorkflow.run, Celsius(20.0),
                                            id=f"{task_queue}-warm", task_queue=task_queue)
            assert await handle.result() == Celsius(21.5)
        assert plugin.interceptor.started == ["WarmWorkflow"]
        history = await handle.fetch_history()
        (arg,) = history.events[0].workflow_execution_started.input.payloads
        assert (arg.metadata["encoding"], arg.data) == (b"text/celsius", b"20.0C")
        # a client built from its config() gets the plugin again, but not twice
        again = Client(**c.config())
        assert again.config(active_config=True)["interceptors"] == [plugin.interceptor]
    finally:
        await c.close()


class LifecyclePlugin(durable_worker.Plugin):
    """Adds a workflow and its activity; records the worker's run around ``next``."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        config["workflows"] = [*config.get("workflows", ()), ShoutWorkflow]
        config["activities"] = [*config.get("activities", ()), shout]
        return config

    async def run_worker(self, worker: Worker,
                         next: Callable[[Worker], Awaitable[None]]) -> None:
        self.log.append(f"start {worker.task_queue}")
        try:
            await next(worker)
        finally:
            self.log.append(f"stop running={worker.is_running}")

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        config["workflows"] = [*config.get("workflows", ()), ShoutWorkflow]
        return config

    @asynccontextmanager
    async def run_replayer(self, replayer: Replayer, histories: AsyncIterator[Any],
                           next: Callable[..., AbstractAsyncContextManager[Any]]
                           ) -> AsyncIterator[Any]:
        self.log.append("replay start")
        async with next(replayer, histories) as results:
            yield results
        self.log.append("replay stop")


async def test_run_worker_wraps_the_run_and_configure_worker_adds_code(
        client: Client, task_queue: str) -> None:
    log: list[str] = []
    worker = Worker(client, task_queue=task_queue, plugins=[LifecyclePlugin(log)])
    assert worker.config()["workflows"] == []
    assert worker.config(active_config=True)["workflows"] == [ShoutWorkflow]
    assert worker.config(active_config=True)["activities"] == [shout]
    async with worker:
        assert log == [f"start {task_queue}"]
        result = await client.execute_workflow(ShoutWorkflow.run, "hi",
                                               id=f"{task_queue}-shout", task_queue=task_queue)
        assert result == "HI!"
        assert log == [f"start {task_queue}"]
    # the plugin's code after next() ran before the `async with` ended
    assert log == [f"start {task_queue}", "stop running=True"]
    assert worker.is_shutdown


async def test_replayer_hooks(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[ShoutWorkflow],
                      activities=[shout]):
        handle = await client.start_workflow(ShoutWorkflow.run, "x",
                                             id=f"{task_queue}-replay", task_queue=task_queue)
        await handle.result()
    history = await handle.fetch_history()
    log: list[str] = []
    # no workflows of its own: the plugin's configure_replayer adds ShoutWorkflow
    replayer = Replayer(workflows=[], plugins=[LifecyclePlugin(log)])
    assert replayer.config()["workflows"] == []
    assert replayer.config(active_config=True)["workflows"] == [ShoutWorkflow]
    assert (await replayer.replay_workflow(history)).replay_failure is None
    assert log == ["replay start", "replay stop"]
    results = await replayer.replay_workflows([history, history])
    assert results.replay_failures == {}
    assert log == ["replay start", "replay stop"] * 2
    async with replayer.workflow_replay_iterator([history]) as it:
        assert log[-1] == "replay start"
        assert [r.replay_failure async for r in it] == [None]
    assert log == ["replay start", "replay stop"] * 3
    # without the plugin the replayer has no workflows
    with pytest.raises(ValueError):
        Replayer(workflows=[])


class Ordered(durable_client.Plugin, durable_worker.Plugin):
    """Logs every hook; passes on a copy of the connection settings with its name added to
    the identity, so the next plugin sees what this one changed."""

    def __init__(self, tag: str, log: list[str]) -> None:
        self.tag = tag
        self.log = log

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        self.log.append(f"{self.tag}.configure_client identity={config['identity']}")
        config["identity"] = (config["identity"] or "") + self.tag
        return config

    async def connect_service_client(self, config: ConnectConfig,
                                     next: Callable[[ConnectConfig], Awaitable[Any]]) -> Any:
        self.log.append(f"{self.tag}.connect enter identity={config.identity}")
        transport = await next(dataclasses.replace(config,
                                                   identity=(config.identity or "") + self.tag))
        self.log.append(f"{self.tag}.connect exit")
        return transport

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        self.log.append(f"{self.tag}.configure_worker")
        config["identity"] = (config.get("identity") or "w:") + self.tag
        return config

    async def run_worker(self, worker: Worker,
                         next: Callable[[Worker], Awaitable[None]]) -> None:
        self.log.append(f"{self.tag}.run enter")
        await next(worker)
        self.log.append(f"{self.tag}.run exit")

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        self.log.append(f"{self.tag}.configure_replayer")
        return config

    def run_replayer(self, replayer: Replayer, histories: AsyncIterator[Any],
                     next: Callable[..., AbstractAsyncContextManager[Any]]
                     ) -> AbstractAsyncContextManager[Any]:
        self.log.append(f"{self.tag}.run_replayer")
        return next(replayer, histories)


class OrderedToo(Ordered):
    """Another type (the same type on client and worker draws a warning)."""


async def test_chained_plugins_run_in_temporalio_order(client: Client, task_queue: str) -> None:
    log: list[str] = []
    c = await Client.connect(client.transport.target, identity="id:",
                             plugins=[Ordered("A", log), Ordered("B", log)])
    try:
        assert log == [
            "A.connect enter identity=id:", "B.connect enter identity=id:A",
            "B.connect exit", "A.connect exit",
            "A.configure_client identity=id:", "B.configure_client identity=id:A",
        ]
        assert c.identity == "id:AB"
        log.clear()
        worker = Worker(c, task_queue=task_queue, workflows=[ShoutWorkflow], activities=[shout],
                        plugins=[OrderedToo("C", log)])
        assert worker.config(active_config=True)["identity"] == "w:ABC"
        async with worker:
            assert await c.execute_workflow(ShoutWorkflow.run, "o", id=f"{task_queue}-o",
                                            task_queue=task_queue) == "O!"
        assert log == ["A.configure_worker", "B.configure_worker", "C.configure_worker",
                       "A.run enter", "B.run enter", "C.run enter",
                       "C.run exit", "B.run exit", "A.run exit"]
        log.clear()
        replayer = Replayer(workflows=[ShoutWorkflow],
                            plugins=[Ordered("X", log), Ordered("Y", log)])
        await replayer.replay_workflow(await c.get_workflow_handle(f"{task_queue}-o")
                                       .fetch_history())
        assert log == ["X.configure_replayer", "Y.configure_replayer",
                       "X.run_replayer", "Y.run_replayer"]
    finally:
        await c.close()


class BothPlugin(durable_client.Plugin, durable_worker.Plugin):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def configure_client(self, config: ClientConfig) -> ClientConfig:
        self.log.append("configure_client")
        return config

    async def connect_service_client(self, config: ConnectConfig,
                                     next: Callable[[ConnectConfig], Awaitable[Any]]) -> Any:
        return await next(config)

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        self.log.append("configure_worker")
        config["activities"] = [*config.get("activities", ()), shout]
        return config

    async def run_worker(self, worker: Worker,
                         next: Callable[[Worker], Awaitable[None]]) -> None:
        self.log.append("run_worker")
        await next(worker)

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        self.log.append("configure_replayer")
        return config

    def run_replayer(self, replayer: Replayer, histories: AsyncIterator[Any],
                     next: Callable[..., AbstractAsyncContextManager[Any]]
                     ) -> AbstractAsyncContextManager[Any]:
        return next(replayer, histories)


async def test_a_client_plugin_that_is_a_worker_plugin_reaches_its_workers(
        client: Client, task_queue: str) -> None:
    log: list[str] = []
    c = await _connect(client, [BothPlugin(log)])
    try:
        assert log == ["configure_client"]
        # the worker is given only the workflow: the activity comes from the client's plugin
        async with Worker(c, task_queue=task_queue, workflows=[ShoutWorkflow]):
            assert await c.execute_workflow(ShoutWorkflow.run, "p", id=f"{task_queue}-p",
                                            task_queue=task_queue) == "P!"
        assert log == ["configure_client", "configure_worker", "run_worker"]
        # a worker on a client without the plugin does not get it
        log.clear()
        Worker(client, task_queue=task_queue, workflows=[ShoutWorkflow], activities=[shout])
        assert log == []
        # given to the worker as well, it is applied twice, with a warning (here each
        # application adds `shout`, so the worker then has it twice)
        with warnings.catch_warnings(record=True) as caught, \
                pytest.raises(ValueError, match="two activities are named 'shout'"):
            warnings.simplefilter("always")
            Worker(c, task_queue=task_queue, workflows=[ShoutWorkflow],
                   plugins=[BothPlugin(log)])
        assert log == ["configure_worker", "configure_worker"]
        assert any("applied twice" in str(w.message) for w in caught)
    finally:
        await c.close()


class CountingInterceptor(durable_client.Interceptor, durable_worker.Interceptor):
    """A client and worker interceptor: counts workflow starts and activity runs."""

    def __init__(self) -> None:
        self.starts = 0
        self.activities = 0

    def intercept_client(self, next: durable_client.OutboundInterceptor
                         ) -> durable_client.OutboundInterceptor:
        root = self

        class Out(durable_client.OutboundInterceptor):
            async def start_workflow(self, input: durable_client.StartWorkflowInput) -> Any:
                root.starts += 1
                return await super().start_workflow(input)

        return Out(next)

    def intercept_activity(self, next: durable_worker.ActivityInboundInterceptor
                           ) -> durable_worker.ActivityInboundInterceptor:
        root = self

        class In(durable_worker.ActivityInboundInterceptor):
            async def execute_activity(self, input: durable_worker.ExecuteActivityInput) -> Any:
                root.activities += 1
                return await super().execute_activity(input)

        return In(next)


async def test_simple_plugin(client: Client, task_queue: str) -> None:
    interceptor = CountingInterceptor()
    contexts: list[str] = []

    @asynccontextmanager
    async def run_context() -> AsyncIterator[None]:
        contexts.append("enter")
        yield
        contexts.append("exit")

    plugin = SimplePlugin("acme.celsius", data_converter=celsius_converter,
                          interceptors=[interceptor], workflows=[WarmWorkflow],
                          activities=[warm], run_context=run_context)
    assert plugin.name() == "acme.celsius"
    assert Ordered("A", []).name() == f"{__name__}.Ordered"
    c = await _connect(client, [plugin])
    try:
        assert c.data_converter is celsius_converter
        async with Worker(c, task_queue=task_queue) as worker:
            # the interceptor serves the worker once, through the client
            assert worker.config(active_config=True)["interceptors"] == []
            assert contexts == ["enter"]
            assert await c.execute_workflow(WarmWorkflow.run, Celsius(1.0),
                                            id=f"{task_queue}-s",
                                            task_queue=task_queue) == Celsius(2.5)
        assert contexts == ["enter", "exit"]
        assert (interceptor.starts, interceptor.activities) == (1, 1)
        history = await c.get_workflow_handle(f"{task_queue}-s").fetch_history()
        replayer = Replayer(workflows=[], plugins=[plugin])
        assert replayer.config(active_config=True)["data_converter"] is celsius_converter
        assert replayer.config(active_config=True)["interceptors"] == [interceptor]
        assert (await replayer.replay_workflow(history)).replay_failure is None
        assert contexts == ["enter", "exit"] * 2
        # a callable receives the configured value
        seen: list[Any] = []
        wrapped = SimplePlugin("w", workflows=lambda wfs: seen.append(wfs) or [ShoutWorkflow])
        Replayer(workflows=[WarmWorkflow], plugins=[wrapped])
        assert seen == [[WarmWorkflow]]
        with pytest.raises(ValueError, match="Nexus"):
            SimplePlugin("n", nexus_service_handlers=[object()])
    finally:
        await c.close()
