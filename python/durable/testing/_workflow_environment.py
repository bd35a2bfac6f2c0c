"""WorkflowEnvironment: an embedded engine in a temporary directory, for tests.

``start_local()`` runs on the system clock. ``start_time_skipping()`` runs on a virtual
clock that flows with real time and jumps ahead: automatically to the next timer while a
client waits for a workflow's result and no task is queued or running (as Temporal's test
server does), and on demand with :meth:`WorkflowEnvironment.sleep`.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any

from google.protobuf.message import Message

from durable import _transport
from durable.v1 import service_pb2
from durable.client import Client

__all__ = ["WorkflowEnvironment"]


class WorkflowEnvironment:
    """A client on an engine of its own, in a temporary directory removed on shutdown.

    Create with :meth:`start_local` or :meth:`start_time_skipping` and use as an async
    context manager (or call :meth:`shutdown`)::

        async with await WorkflowEnvironment.start_time_skipping() as env:
            async with Worker(env.client, task_queue="q", workflows=[W]):
                await env.client.execute_workflow(W.run, id="w", task_queue="q")
    """

    def __init__(self, client: Client, *, directory: str | None = None,
                 time_skipping: bool = False, auto_time_skipping: bool = True) -> None:
        """Use :meth:`start_local` or :meth:`start_time_skipping` instead."""
        self._client = client
        self._directory = directory
        self._time_skipping = time_skipping
        self._auto = auto_time_skipping
        self._lock = threading.Lock()
        self._result_waiters = 0  # handle.result() calls in progress
        self._closed = False
        self._more_clients: list[Client] = []  # made by connect_client, closed with us

    # --- Creation -----------------------------------------------------------------------

    @staticmethod
    def from_client(client: Client) -> WorkflowEnvironment:
        """An environment around an existing client (real time; nothing to clean up).

        ``shutdown`` closes the client.

        Args:
            client: A connected client.

        Returns:
            The environment.
        """
        return WorkflowEnvironment(client)

    @staticmethod
    async def start_local(*, namespace: str = "default", data_converter: Any = None,
                          identity: str | None = None, **temporal_options: Any,
                          ) -> WorkflowEnvironment:
        """An environment on the system clock (the engine in this process, no server).

        The engine's write-ahead log is not synced on each commit (it is a test engine
        in a temporary directory). To test against a durable-server, connect a client to
        it and use :meth:`from_client`.

        Args:
            namespace: Namespace of the client (registered in the fresh engine).
            data_converter: The client's data converter (``DataConverter.default``).
            identity: The client's identity.
            **temporal_options: temporalio's other keywords (``ip``, ``port``, ``ui``,
                ``dev_server_*``, ``download_dest_dir``, ``runtime``, ...: see
                docs/testing.md) are accepted and ignored: nothing is downloaded or
                started here. Any other keyword is a TypeError, as with a real signature.

        Returns:
            The environment; ``env.client`` is connected.
        """
        _check_temporal_options("start_local", temporal_options, _START_LOCAL_IGNORED)
        return await WorkflowEnvironment._start(
            time_skipping=False, auto_time_skipping=False, namespace=namespace,
            data_converter=data_converter, identity=identity)

    @staticmethod
    async def start_time_skipping(*, namespace: str = "default", data_converter: Any = None,
                                  identity: str | None = None,
                                  auto_time_skipping: bool = True, **temporal_options: Any,
                                  ) -> WorkflowEnvironment:
        """An environment whose clock skips ahead (a 30-day sleep takes milliseconds).

        The clock starts at the current time and flows with real time. While a client of
        this environment waits for a workflow's result (``handle.result()``,
        ``execute_workflow``) and no workflow or activity task is queued or running, it
        jumps to the next timer. :meth:`sleep` advances it on demand.

        Args:
            namespace: Namespace of the client.
            data_converter: The client's data converter (``DataConverter.default``).
            identity: The client's identity.
            auto_time_skipping: Skip while waiting for results (True); False keeps real
                time except for :meth:`sleep` (see also :meth:`auto_time_skipping_disabled`).
            **temporal_options: temporalio's other keywords (``port``, ``test_server_*``,
                ``download_dest_dir``, ``runtime``, ...) are accepted and ignored.

        Returns:
            The environment; ``env.client`` is connected.
        """
        _check_temporal_options("start_time_skipping", temporal_options,
                                _START_TIME_SKIPPING_IGNORED)
        return await WorkflowEnvironment._start(
            time_skipping=True, auto_time_skipping=auto_time_skipping, namespace=namespace,
            data_converter=data_converter, identity=identity)

    @staticmethod
    async def _start(*, time_skipping: bool, auto_time_skipping: bool, namespace: str,
                     data_converter: Any, identity: str | None) -> WorkflowEnvironment:
        directory = tempfile.mkdtemp(prefix="durable-test-")
        loop = asyncio.get_running_loop()
        try:
            inner = await loop.run_in_executor(None, lambda: _transport.open_transport(
                directory, sync_writes=False, virtual_clock=time_skipping))
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        if namespace != "default":
            try:
                await inner.call_async("register_namespace", service_pb2.RegisterNamespaceRequest(
                    namespace_info=service_pb2.NamespaceInfo(name=namespace)))
                default, inner = inner, await loop.run_in_executor(
                    None, lambda: _transport.open_transport(
                        directory, namespace=namespace, sync_writes=False,
                        virtual_clock=time_skipping))
                default.close()
            except BaseException:
                inner.close()
                shutil.rmtree(directory, ignore_errors=True)
                raise
        transport = _ResultWaitTransport(inner) if time_skipping else inner
        client = Client(transport, namespace=namespace, data_converter=data_converter,
                        identity=identity)
        env = WorkflowEnvironment(client, directory=directory, time_skipping=time_skipping,
                                  auto_time_skipping=auto_time_skipping)
        if isinstance(transport, _ResultWaitTransport):
            transport.env = env
        return env

    # --- Use ----------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """A client on this environment's engine (workers take it too)."""
        return self._client

    @property
    def supports_time_skipping(self) -> bool:
        """Whether the clock can skip (:meth:`start_time_skipping`)."""
        return self._time_skipping

    async def sleep(self, duration: timedelta | float) -> None:
        """Let ``duration`` pass: skipped in a time-skipping environment, waited otherwise.

        When skipping, the clock jumps timer by timer and waits before each jump until no
        task is queued or running, so the work each timer causes happens at its own time
        (a workflow that charges every 30 days has charged three times after
        ``sleep(timedelta(days=100))``). It blocks while a task waits for a worker.

        Args:
            duration: A ``timedelta`` or seconds.

        Raises:
            ValueError: ``duration`` is negative.
            RuntimeError: The environment is shut down.
        """
        seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
        if seconds < 0:
            raise ValueError(f"cannot sleep a negative duration ({duration!r})")
        self._check_open()
        if not self._time_skipping:
            await asyncio.sleep(seconds)
            return
        engine = self._engine()
        await asyncio.get_running_loop().run_in_executor(
            None, engine.skip_time_when_idle, round(seconds * 1_000_000))

    async def get_current_time(self) -> datetime:
        """The engine's current time (virtual in a time-skipping environment), UTC.

        Raises:
            RuntimeError: The environment is shut down.
        """
        self._check_open()
        if not self._time_skipping:
            return datetime.now(timezone.utc)
        from durable.common import us_to_datetime

        return us_to_datetime(self._engine().now_us())

    async def connect_client(self, **kwargs: Any) -> Client:
        """Another client of this environment's engine and namespace (as temporalio).

        Keyword arguments are those of ``Client.connect`` and override the environment's
        (namespace, data converter, identity, interceptors). In a time-skipping
        environment, waiting for a result with this client skips time too. The client is
        closed when the environment shuts down.

        Raises:
            RuntimeError: The environment is shut down.
        """
        self._check_open()
        options = {"namespace": self._client.namespace,
                   "data_converter": self._client.data_converter,
                   "identity": self._client.identity,
                   "interceptors": list(getattr(self._client, "_interceptors", ()))}
        options.update(kwargs)
        if self._directory is None:  # from_client: its transport names the engine
            client = await Client.connect(self._client.transport.target, **options)
        else:
            directory, namespace = self._directory, options.pop("namespace")
            inner = await asyncio.get_running_loop().run_in_executor(
                None, lambda: _transport.open_transport(
                    directory, namespace=namespace, sync_writes=False,
                    virtual_clock=self._time_skipping))
            transport: _transport.Transport = inner
            if self._time_skipping:
                wrapped = _ResultWaitTransport(inner)
                wrapped.env = self
                transport = wrapped
            for ignored in [k for k in options if k not in (
                    "data_converter", "identity", "interceptors")]:
                options.pop(ignored)  # connection options of a server: no meaning here
            client = Client(transport, namespace=namespace, **options)
        self._more_clients.append(client)
        return client

    @contextlib.contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """Within this block, waiting for results does not skip time (it flows normally).

        Raises:
            RuntimeError: Not a time-skipping environment.
        """
        if not self._time_skipping:
            raise RuntimeError("auto time skipping is only in a time-skipping environment "
                               "(WorkflowEnvironment.start_time_skipping())")
        with self._lock:
            was = self._auto
            self._auto = False
            self._apply_locked()
        try:
            yield
        finally:
            with self._lock:
                self._auto = was
                self._apply_locked()

    async def shutdown(self) -> None:
        """Close the client and the engine, and remove the temporary directory."""
        if self._closed:
            return
        self._closed = True
        for more in self._more_clients:
            await more.close()
        await self._client.close()
        if self._directory is not None:
            directory = self._directory
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: shutil.rmtree(directory, ignore_errors=True))

    async def __aenter__(self) -> WorkflowEnvironment:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.shutdown()

    # --- Internals ----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the workflow environment is shut down")

    def _engine(self) -> Any:
        transport = self._client.transport
        inner = transport.inner if isinstance(transport, _ResultWaitTransport) else transport
        return inner.engine  # type: ignore[attr-defined]

    def _apply_locked(self) -> None:
        if not self._closed:
            self._engine().set_time_skipping(self._auto and self._result_waiters > 0)

    def _result_wait_started(self) -> None:
        with self._lock:
            self._result_waiters += 1
            self._apply_locked()

    def _result_wait_ended(self) -> None:
        with self._lock:
            self._result_waiters -= 1
            self._apply_locked()


# temporalio's keywords that configure what it downloads and starts (a dev server or the test
# server, its ports, UI and logs) or features durable gets elsewhere: accepted, ignored.
_COMMON_IGNORED = frozenset({
    "interceptors", "plugins", "default_workflow_query_reject_condition", "retry_config",
    "rpc_metadata", "port", "download_dest_dir", "runtime", "header_codec_behavior"})
_START_LOCAL_IGNORED = _COMMON_IGNORED | {
    "tls", "ip", "ui", "ui_port", "search_attributes", "dev_server_existing_path",
    "dev_server_database_filename", "dev_server_log_format", "dev_server_log_level",
    "dev_server_download_version", "dev_server_extra_args", "dev_server_download_ttl"}
_START_TIME_SKIPPING_IGNORED = _COMMON_IGNORED | {
    "test_server_existing_path", "test_server_download_version", "test_server_extra_args",
    "test_server_download_ttl"}


def _check_temporal_options(method: str, given: dict[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"WorkflowEnvironment.{method}() got unexpected keyword argument(s) "
                        f"{', '.join(map(repr, unknown))}")


class _ResultWaitTransport(_transport.Transport):
    """Delegates to the engine's transport; enables time skipping while a result is awaited.

    A client waits for a result with a long poll for the close event
    (``wait_new_event`` and ``close_event_only``): that is the one call that unlocks
    skipping, as Temporal's test server unlocks it while a client waits for a result.
    """

    def __init__(self, inner: _transport.Transport) -> None:
        # No super().__init__(): every call is delegated, no executors of our own.
        self._inner = inner
        self.env: WorkflowEnvironment | None = None

    @property
    def inner(self) -> _transport.Transport:
        return self._inner

    @property
    def target(self) -> str:
        return self._inner.target

    def call(self, rpc: str, request: Message, options: Any = None) -> Any:
        return self._inner.call(rpc, request, options)

    def call_raw(self, rpc: str, request: Message) -> bytes:
        return self._inner.call_raw(rpc, request)

    async def call_async(self, rpc: str, request: Message, *, long_poll: bool = False) -> Any:
        waits_for_result = (rpc == "get_workflow_execution_history"
                            and getattr(request, "wait_new_event", False)
                            and getattr(request, "close_event_only", False))
        env = self.env
        if not waits_for_result or env is None:
            return await self._inner.call_async(rpc, request, long_poll=long_poll)
        env._result_wait_started()
        try:
            return await self._inner.call_async(rpc, request, long_poll=long_poll)
        finally:
            env._result_wait_ended()

    def close(self) -> None:
        self._inner.close()
