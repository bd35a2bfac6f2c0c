"""Worker: polls a task queue and runs the workflows and activities registered on it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from durable import activity, workflow
from durable.v1 import service_pb2
from durable.worker._activity_worker import _ActivityWorker
from durable.worker._deadlock_detector import debug_mode_from_env
from durable.worker._interceptor import (
    Interceptor,
    WorkflowInterceptorClassInput,
    worker_interceptors,
)
from durable import _plugins
from durable._plugins import WorkerConfig
from durable._plugins import WorkerPlugin as Plugin
from durable.worker._shared_state import SharedStateManager
from durable.worker._workflow_runner import WorkflowRunner
from durable.worker._workflow_worker import _WorkflowWorker

logger = logging.getLogger("durable.worker")


class Worker:
    """Runs workflows and activities from one task queue.

    Use as ``async with Worker(...):`` (runs in the background inside the block, shuts down
    on exit) or ``await worker.run()`` (until :meth:`shutdown` is called or it fails).

    Args:
        client: The client whose engine to poll.
        task_queue: The task queue.
        workflows: ``@workflow.defn`` classes.
        activities: ``@activity.defn`` functions (also the local activities its workflows run).
        activity_executor: Runs non-async activities: a ``ThreadPoolExecutor``, or a
            ``ProcessPoolExecutor`` together with ``shared_state_manager``; required when
            any activity is a plain function.
        shared_state_manager: Carries heartbeats and cancellation between this process and
            a process-pool ``activity_executor``
            (``SharedStateManager.create_from_multiprocessing(multiprocessing.Manager())``).
        max_cached_workflows: Workflow runs kept in memory between tasks (sticky cache);
            0 replays every task from the first event.
        max_concurrent_workflow_tasks: Workflow tasks processed at once (threads); default 4.
        max_concurrent_activities: Activities running at once; default 100.
        max_concurrent_activity_task_polls: Activity polls parked at once; default 4.
        max_activities_per_second: Activities this worker starts per second at most
            (polls are spaced); None = no limit.
        max_task_queue_activities_per_second: Activities started per second at most on the
            whole task queue, by all its workers (enforced by the engine); None = no limit.
        workflow_failure_exception_types: Exception classes that fail the workflow (not
            just the task) when raised by workflow code, for every workflow of this worker.
        graceful_shutdown_timeout: How long shutdown waits for running activities (they see
            ``activity.is_worker_shutdown()``) before cancelling them.
        identity: Identity recorded with this worker's actions; the client's by default.
        debug_mode: Turns the deadlock detector off (so that a debugger can pause workflow
            code). Also on when the environment variable ``DURABLE_DEBUG`` (or temporalio's
            ``TEMPORAL_DEBUG``) is set.
        deadlock_detection_timeout: How long workflow code may run without yielding before
            its workflow task fails with a "Potential deadlock detected" error and its lane
            thread is replaced; default 2 s; None turns the detector off (a durable
            extension: temporalio fixes it at 2 s). See docs/workflows.md.
        workflow_runner: temporalio's runner choice (``SandboxedWorkflowRunner``,
            ``UnsandboxedWorkflowRunner``); accepted and without effect, since durable
            has no sandbox (``durable/worker/_workflow_runner.py``).
        unsandboxed_workflow_runner: Likewise.
        interceptors: ``durable.worker.Interceptor`` objects for this worker's activities and
            workflows, after those of the client that are also worker interceptors (the
            first outermost); see docs/interceptors.md.
        plugins: ``durable.worker.Plugin`` objects, after the client's plugins that are
            worker plugins: each one's ``configure_worker`` changes these keywords, in
            order, and each one's ``run_worker`` wraps :meth:`run` (the first outermost);
            see docs/plugins.md.

    Raises:
        ValueError: Nothing to run, a class or function is not decorated, two share a name,
            a sync activity without ``activity_executor``, a process-pool executor without
            ``shared_state_manager``, a bad number.
    """

    def __init__(
        self,
        client: Any,
        *,
        task_queue: str,
        workflows: Sequence[type] = (),
        activities: Sequence[Callable[..., Any]] = (),
        activity_executor: concurrent.futures.Executor | None = None,
        max_cached_workflows: int = 1000,
        max_concurrent_workflow_tasks: int | None = None,
        max_concurrent_activities: int | None = None,
        max_concurrent_activity_task_polls: int = 4,
        shared_state_manager: SharedStateManager | None = None,
        max_activities_per_second: float | None = None,
        max_task_queue_activities_per_second: float | None = None,
        workflow_failure_exception_types: Sequence[type[BaseException]] = (),
        graceful_shutdown_timeout: timedelta = timedelta(),
        identity: str | None = None,
        debug_mode: bool = False,
        deadlock_detection_timeout: timedelta | None = timedelta(seconds=2),
        workflow_runner: WorkflowRunner | None = None,
        unsandboxed_workflow_runner: WorkflowRunner | None = None,
        interceptors: Sequence[Interceptor] = (),
        plugins: Sequence[Plugin] = (),
    ) -> None:
        config = WorkerConfig(
            client=client,
            task_queue=task_queue,
            workflows=list(workflows),
            activities=list(activities),
            activity_executor=activity_executor,
            max_cached_workflows=max_cached_workflows,
            max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
            max_concurrent_activities=max_concurrent_activities,
            max_concurrent_activity_task_polls=max_concurrent_activity_task_polls,
            shared_state_manager=shared_state_manager,
            max_activities_per_second=max_activities_per_second,
            max_task_queue_activities_per_second=max_task_queue_activities_per_second,
            workflow_failure_exception_types=workflow_failure_exception_types,
            graceful_shutdown_timeout=graceful_shutdown_timeout,
            identity=identity,
            debug_mode=debug_mode,
            deadlock_detection_timeout=deadlock_detection_timeout,
            workflow_runner=workflow_runner,
            unsandboxed_workflow_runner=unsandboxed_workflow_runner,
            interceptors=list(interceptors),
            plugins=list(plugins))
        # The client's plugins that are also worker plugins come first (as temporalio).
        self._plugins = _plugins.worker_plugins(client, plugins)
        self._initial_config = WorkerConfig(**config)
        for plugin in self._plugins:
            config = plugin.configure_worker(config)
        self._config = config
        self._init_from_config(**{k: v for k, v in config.items() if k != "plugins"})

    def _init_from_config(
        self,
        client: Any,
        *,
        task_queue: str,
        workflows: Sequence[type] = (),
        activities: Sequence[Callable[..., Any]] = (),
        activity_executor: concurrent.futures.Executor | None = None,
        max_cached_workflows: int = 1000,
        max_concurrent_workflow_tasks: int | None = None,
        max_concurrent_activities: int | None = None,
        max_concurrent_activity_task_polls: int = 4,
        shared_state_manager: SharedStateManager | None = None,
        max_activities_per_second: float | None = None,
        max_task_queue_activities_per_second: float | None = None,
        workflow_failure_exception_types: Sequence[type[BaseException]] = (),
        graceful_shutdown_timeout: timedelta = timedelta(),
        identity: str | None = None,
        debug_mode: bool = False,
        deadlock_detection_timeout: timedelta | None = timedelta(seconds=2),
        workflow_runner: WorkflowRunner | None = None,
        unsandboxed_workflow_runner: WorkflowRunner | None = None,
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        for runner in (workflow_runner, unsandboxed_workflow_runner):
            if runner is not None and not isinstance(runner, WorkflowRunner):
                raise ValueError(f"workflow_runner must be a WorkflowRunner (e.g. "
                                 f"UnsandboxedWorkflowRunner()), got {runner!r}")
        if not isinstance(task_queue, str) or not task_queue:
            raise ValueError(f"task_queue must be a non-empty string, got {task_queue!r}")
        if not workflows and not activities:
            raise ValueError("a worker needs at least one workflow or activity")
        wf_defns: dict[str, workflow._Definition] = {}
        for cls in workflows:
            d = workflow._Definition.must_from_class(cls)
            if d.key in wf_defns:
                what = "dynamic workflows" if d.dynamic else f"workflows are named {d.name!r}"
                raise ValueError(f"two {what}: "
                                 f"{wf_defns[d.key].cls.__qualname__} and {cls.__qualname__}")
            wf_defns[d.key] = d
        act_defns: dict[str, activity._Definition] = {}
        for fn in activities:
            a = activity._Definition.must_from_callable(fn)
            key = activity._DYNAMIC_KEY if a.dynamic else a.name
            if key in act_defns:
                raise ValueError("two dynamic activities" if a.dynamic
                                 else f"two activities are named {a.name!r}")
            if not a.is_async and activity_executor is None:
                raise ValueError(
                    f"activity {a.name!r} is not async: pass activity_executor= (e.g. a "
                    "concurrent.futures.ThreadPoolExecutor) to run it, or make it 'async def'")
            act_defns[key] = a
        if activity_executor is not None and not isinstance(activity_executor,
                                                            concurrent.futures.Executor):
            raise ValueError(f"activity_executor must be a concurrent.futures.Executor, "
                             f"got {activity_executor!r}")
        for label, value in (("max_cached_workflows", max_cached_workflows),):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{label} must be an int >= 0, got {value!r}")
        for label, opt in (("max_concurrent_workflow_tasks", max_concurrent_workflow_tasks),
                           ("max_concurrent_activities", max_concurrent_activities),
                           ("max_concurrent_activity_task_polls",
                            max_concurrent_activity_task_polls)):
            if opt is not None and (not isinstance(opt, int) or opt < 1):
                raise ValueError(f"{label} must be an int >= 1, got {opt!r}")
        if (activity_executor is not None and act_defns
                and not isinstance(activity_executor, concurrent.futures.ThreadPoolExecutor)
                and any(not a.is_async for a in act_defns.values())):
            if shared_state_manager is None:
                raise ValueError(
                    f"activity_executor {type(activity_executor).__name__} runs activities in "
                    "other processes: pass shared_state_manager="
                    "SharedStateManager.create_from_multiprocessing(multiprocessing.Manager()) "
                    "so heartbeats and cancellation can cross the process boundary")
        if shared_state_manager is not None and not isinstance(shared_state_manager,
                                                               SharedStateManager):
            raise ValueError(f"shared_state_manager must be a SharedStateManager, "
                             f"got {shared_state_manager!r}")
        for label, rate in (("max_activities_per_second", max_activities_per_second),
                            ("max_task_queue_activities_per_second",
                             max_task_queue_activities_per_second)):
            if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))
                                     or not rate > 0 or rate == float("inf")):
                raise ValueError(f"{label} must be a finite number > 0 or None, got {rate!r}")
        if not isinstance(graceful_shutdown_timeout, timedelta):
            raise ValueError("graceful_shutdown_timeout must be a timedelta")
        if deadlock_detection_timeout is not None and (
                not isinstance(deadlock_detection_timeout, timedelta)
                or deadlock_detection_timeout <= timedelta()):
            raise ValueError(f"deadlock_detection_timeout must be a timedelta > 0 or None, "
                             f"got {deadlock_detection_timeout!r}")
        debug_mode = bool(debug_mode) or debug_mode_from_env()
        for ic in interceptors:
            if not isinstance(ic, Interceptor):
                raise ValueError(f"interceptors must be durable.worker.Interceptor instances, "
                                 f"got {ic!r}")
        chain = worker_interceptors(getattr(client, "_interceptors", ()), interceptors)
        class_input = WorkflowInterceptorClassInput()
        wf_classes = [c for c in (ic.workflow_interceptor_class(class_input) for ic in chain)
                      if c is not None]

        if wf_defns and getattr(client.data_converter, "payload_codec", None) is not None:
            raise NotImplementedError(
                "payload codecs are not supported for workflows yet (only for activities "
                "and the client); use a DataConverter without payload_codec for this worker")
        self._client = client
        self._task_queue = task_queue
        self._identity = identity or client.identity
        self._graceful = graceful_shutdown_timeout.total_seconds()
        transport = client.transport
        self._transport = transport
        # SDK-side metrics (docs/metrics.md) go to the client's runtime's meter.
        from durable.runtime import Runtime

        runtime = getattr(client, "_runtime", None) or Runtime.default()
        meter = runtime.metric_meter.with_additional_attributes(
            {"namespace": getattr(client, "namespace", "default"), "task_queue": task_queue})
        self._workflow_worker = _WorkflowWorker(
            transport=transport, task_queue=task_queue, identity=self._identity,
            workflows=list(wf_defns.values()), data_converter=client.data_converter,
            max_cached_workflows=max_cached_workflows,
            max_concurrent_workflow_tasks=max_concurrent_workflow_tasks or 4,
            failure_exception_types=workflow_failure_exception_types,
            activities=list(act_defns.values()), activity_executor=activity_executor,
            deadlock_timeout=None if debug_mode or deadlock_detection_timeout is None
            else deadlock_detection_timeout.total_seconds(),
            interceptor_classes=wf_classes, interceptors=chain, client=client,
            metric_meter=meter,
        ) if wf_defns else None
        self._activity_worker = _ActivityWorker(
            transport=transport, task_queue=task_queue, identity=self._identity,
            activities=list(act_defns.values()), data_converter=client.data_converter,
            executor=activity_executor,
            max_concurrent_activities=max_concurrent_activities or 100,
            max_task_polls=max_concurrent_activity_task_polls,
            shared_state_manager=shared_state_manager,
            max_activities_per_second=max_activities_per_second,
            max_task_queue_activities_per_second=max_task_queue_activities_per_second,
            interceptors=chain, client=client, metric_meter=meter,
        ) if act_defns else None
        self._started = False
        self._ran = False
        self._shutdown_requested: asyncio.Event | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._done: asyncio.Event | None = None

    @property
    def task_queue(self) -> str:
        """The task queue."""
        return self._task_queue

    @property
    def client(self) -> Any:
        """The client."""
        return self._client

    @property
    def is_running(self) -> bool:
        """Whether :meth:`run` is in progress."""
        return self._started and self._done is not None and not self._done.is_set()

    @property
    def is_shutdown(self) -> bool:
        """Whether the worker has run and shut down (as temporalio)."""
        return self._done is not None and self._done.is_set()

    def config(self, *, active_config: bool = False) -> WorkerConfig:
        """The keywords this worker was given, or with ``active_config`` those in use after
        its plugins' ``configure_worker`` (a shallow copy, as temporalio)."""
        config = WorkerConfig(**(self._config if active_config else self._initial_config))
        config["workflows"] = list(config.get("workflows", ()))
        config["activities"] = list(config.get("activities", ()))
        return config

    async def run(self) -> None:
        """Poll and run tasks until :meth:`shutdown` is called (through the plugins'
        ``run_worker``, the first outermost).

        Raises:
            RuntimeError: Already started (a worker runs once).
            Exception: Whatever made a poller fail fatally.
        """
        if self._started:
            raise RuntimeError("this worker was already started; create a new Worker")
        self._started = True
        self._shutdown_requested = asyncio.Event()
        self._done = asyncio.Event()
        run = _plugins.chain(self._plugins, "run_worker", lambda w: w._run())
        try:
            await run(self)
        finally:
            self._done.set()

    async def _run(self) -> None:
        assert self._shutdown_requested is not None and self._done is not None
        if self._ran:
            raise RuntimeError("a plugin's run_worker called next twice; a worker runs once")
        self._ran = True
        parts = [p.run() for p in (self._workflow_worker, self._activity_worker) if p]
        pollers = asyncio.ensure_future(asyncio.gather(*parts))
        stop = asyncio.ensure_future(self._shutdown_requested.wait())
        try:
            await asyncio.wait([pollers, stop], return_when=asyncio.FIRST_COMPLETED)
            if pollers.done():
                pollers.result()  # a poller failed: raise it
            await self._stop_polling()
            await pollers
            if self._activity_worker is not None:
                await self._activity_worker.drain(self._graceful)
        finally:
            stop.cancel()
            if not pollers.done():
                await self._stop_polling()
                pollers.cancel()
                await asyncio.gather(pollers, return_exceptions=True)
            if self._workflow_worker is not None:
                await asyncio.get_running_loop().run_in_executor(
                    None, self._workflow_worker.evict_all)

    async def _stop_polling(self) -> None:
        for part in (self._workflow_worker, self._activity_worker):
            if part is not None:
                part.request_stop()
        try:
            await self._transport.call_async("shutdown_worker", service_pb2.ShutdownWorkerRequest(
                task_queue=self._task_queue, identity=self._identity))
        except Exception as e:
            logger.debug("shutdown_worker: %s", e)

    async def shutdown(self) -> None:
        """Stop polling, let running tasks finish (activities: up to
        ``graceful_shutdown_timeout``, then cancelled), and wait for :meth:`run` to end."""
        if not self._started or self._shutdown_requested is None or self._done is None:
            return
        self._shutdown_requested.set()
        if self._run_task is not None:
            await asyncio.gather(self._run_task, return_exceptions=True)
        else:
            await self._done.wait()

    async def __aenter__(self) -> Worker:
        if self._started:
            raise RuntimeError("this worker was already started; create a new Worker")
        self._run_task = asyncio.create_task(self.run(), name=f"durable worker {self._task_queue}")
        await asyncio.sleep(0)  # let run() start
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.shutdown()
        task = self._run_task
        if task is not None and task.done() and not task.cancelled() and task.exception():
            if exc_info[0] is None:
                raise task.exception()  # type: ignore[misc]
