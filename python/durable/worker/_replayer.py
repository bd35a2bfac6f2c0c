"""Replayer: runs workflow code against a recorded history, to check it still matches.

    await Replayer(workflows=[MyWorkflow]).replay_workflow(await handle.fetch_history())

raises ``NondeterminismError`` when the code issues different commands than the history
recorded (e.g. after an incompatible change), naming the command, the event and its id.
Workflow code that does not yield fails the replay as in a worker (the deadlock detector,
``_deadlock_detector.py``): each replay runs on its own daemon thread, so a replay stuck
for good does not hold up the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from durable import workflow
from durable.exceptions import NondeterminismError
from durable.v1 import activation_pb2, common_pb2, history_pb2
from durable.worker._deadlock_detector import (
    DeadlockDetector,
    DeadlockInterrupt,
    LaneAbandoned,
    LaneWatch,
    TakeOver,
    debug_mode_from_env,
)
from durable.worker._workflow_instance import WorkflowInstance


@dataclass(frozen=True)
class WorkflowReplayResult:
    """Outcome of :meth:`Replayer.replay_workflow`.

    Attributes:
        history: The history replayed.
        replay_failure: The error that failed a workflow task during replay (e.g. a
            ``NondeterminismError``), or None when the code matched the history.
    """

    history: Any
    replay_failure: BaseException | None


@dataclass(frozen=True)
class WorkflowReplayResults:
    """Outcome of :meth:`Replayer.replay_workflows`.

    Attributes:
        replay_failures: The failure of each history that did not replay, keyed by the
            history's run id (its workflow id when it has no run id). Empty when all
            replayed.
    """

    replay_failures: Mapping[str, BaseException]


class WorkflowTaskFailedError(RuntimeError):
    """Workflow code failed a workflow task during replay (the failure's message follows)."""


class Replayer:
    """Replays histories with the given workflow classes.

    Args:
        workflows: ``@workflow.defn`` classes.
        data_converter: Converter (``DataConverter.default`` when None).
        workflow_failure_exception_types: As for ``Worker``.
        debug_mode: As for ``Worker``: turns the deadlock detector off (also
            ``DURABLE_DEBUG`` / ``TEMPORAL_DEBUG``).
        deadlock_detection_timeout: As for ``Worker`` (default 2 s; None = off): workflow
            code that runs longer without yielding fails the replay with a
            ``WorkflowTaskFailedError`` saying "Potential deadlock detected".
        interceptors: ``durable.worker.Interceptor`` objects (their workflow interceptors).
        plugins: ``durable.worker.Plugin`` objects: each one's ``configure_replayer``
            changes these keywords, in order, and each one's ``run_replayer`` wraps every
            replay (``replay_workflow``, ``replay_workflows``, ``workflow_replay_iterator``;
            the first outermost); see docs/plugins.md.

    Raises:
        ValueError: No workflows, or a class is not a workflow, or a bad timeout.
    """

    def __init__(self, *, workflows: Sequence[type], data_converter: Any = None,
                 workflow_failure_exception_types: Sequence[type[BaseException]] = (),
                 debug_mode: bool = False,
                 deadlock_detection_timeout: timedelta | None = timedelta(seconds=2),
                 interceptors: Sequence[Any] = (), plugins: Sequence[Any] = ()) -> None:
        from durable._plugins import ReplayerConfig, WorkerPlugin, check_plugins

        if data_converter is None:
            from durable.converter import DataConverter

            data_converter = DataConverter.default
        config = ReplayerConfig(
            workflows=list(workflows), data_converter=data_converter,
            workflow_failure_exception_types=list(workflow_failure_exception_types),
            debug_mode=debug_mode, deadlock_detection_timeout=deadlock_detection_timeout,
            interceptors=list(interceptors), plugins=list(plugins))
        self._initial_config = ReplayerConfig(**config)
        self.plugins = check_plugins(plugins, WorkerPlugin, "durable.worker.Plugin")
        for plugin in self.plugins:
            config = plugin.configure_replayer(config)
        self._config = config
        self._init_from_config(**{k: v for k, v in config.items() if k != "plugins"})

    def config(self, *, active_config: bool = False) -> Any:
        """The keywords this replayer was given (a ``ReplayerConfig``), or with
        ``active_config`` those in use after its plugins' ``configure_replayer``."""
        from durable._plugins import ReplayerConfig

        config = ReplayerConfig(**(self._config if active_config else self._initial_config))
        config["workflows"] = list(config.get("workflows", ()))
        return config

    def _init_from_config(self, *, workflows: Sequence[type], data_converter: Any = None,
                          workflow_failure_exception_types: Sequence[type[BaseException]] = (),
                          debug_mode: bool = False,
                          deadlock_detection_timeout: timedelta | None = timedelta(seconds=2),
                          interceptors: Sequence[Any] = ()) -> None:
        if not workflows:
            raise ValueError("the replayer needs at least one workflow class")
        from durable.worker._interceptor import Interceptor, WorkflowInterceptorClassInput

        for ic in interceptors:
            if not isinstance(ic, Interceptor):
                raise ValueError(f"interceptors must be durable.worker.Interceptor instances, "
                                 f"got {ic!r}")
        # Replayed workflows run through the same workflow interceptors as on a worker.
        self._interceptor_classes = [
            c for c in (ic.workflow_interceptor_class(WorkflowInterceptorClassInput())
                        for ic in interceptors) if c is not None]
        if deadlock_detection_timeout is not None and (
                not isinstance(deadlock_detection_timeout, timedelta)
                or deadlock_detection_timeout <= timedelta()):
            raise ValueError(f"deadlock_detection_timeout must be a timedelta > 0 or None, "
                             f"got {deadlock_detection_timeout!r}")
        self._deadlock_timeout = (
            None if debug_mode or debug_mode_from_env() or deadlock_detection_timeout is None
            else deadlock_detection_timeout.total_seconds())
        self._defns = {}
        for cls in workflows:
            d = workflow._Definition.must_from_class(cls)
            self._defns[d.key] = d
        if data_converter is None:
            from durable.converter import DataConverter

            data_converter = DataConverter.default
        self._dc = data_converter
        self._failure_types = tuple(workflow_failure_exception_types)

    async def replay_workflow(self, history: Any, *,
                              raise_on_replay_failure: bool = True) -> WorkflowReplayResult:
        """Replay one run's history.

        Args:
            history: A ``client.WorkflowHistory`` (``handle.fetch_history()``,
                ``WorkflowHistory.from_json``) or a ``durable.v1.History``.
            raise_on_replay_failure: Raise the failure instead of returning it.

        Returns:
            The result; ``replay_failure`` is None when the code matches the history.

        Raises:
            NondeterminismError: The code does not match the history.
            WorkflowTaskFailedError: Workflow code raised (a task failure) during replay.
            ValueError: The history does not start with WorkflowExecutionStarted, or its
                workflow type is not one of ``workflows``.
        """
        if not self.plugins:
            return await self._replay_one(history, raise_on_replay_failure)

        async def one() -> AsyncIterator[Any]:
            yield history

        async with self.workflow_replay_iterator(one()) as results:
            async for result in results:
                if raise_on_replay_failure and result.replay_failure is not None:
                    raise result.replay_failure
                return result
        raise RuntimeError("a plugin's run_replayer produced no result for the history")

    async def _replay_one(self, history: Any,
                          raise_on_replay_failure: bool) -> WorkflowReplayResult:
        if self._deadlock_timeout is None:
            failure = await asyncio.get_running_loop().run_in_executor(
                None, self._replay_sync, history, None)
        else:
            failure = await self._replay_watched(history, self._deadlock_timeout)
        if failure is not None and raise_on_replay_failure:
            raise failure
        return WorkflowReplayResult(history=history, replay_failure=failure)

    async def replay_workflows(
        self, histories: Iterable[Any] | AsyncIterable[Any], *,
        raise_on_replay_failure: bool = True,
    ) -> WorkflowReplayResults:
        """Replay several histories, one after the other.

        Args:
            histories: ``WorkflowHistory`` objects (or ``durable.v1.History``), as an
                iterable or an async iterable.
            raise_on_replay_failure: Raise the first failure at once (True) instead of
                collecting every failure in the results.

        Returns:
            The failures, keyed by run id (workflow id when a history has no run id).

        Raises:
            NondeterminismError: A history does not match (``raise_on_replay_failure``).
            WorkflowTaskFailedError: Workflow code raised during replay
                (``raise_on_replay_failure``).
            ValueError: A history is malformed or of a workflow type not in ``workflows``
                (always raised).
        """
        failures: dict[str, BaseException] = {}

        def note(result: WorkflowReplayResult) -> None:
            if result.replay_failure is not None:
                if raise_on_replay_failure:
                    raise result.replay_failure
                history = result.history
                key = (getattr(history, "run_id", "") or getattr(history, "workflow_id", "")
                       or f"history #{len(failures) + 1}")
                failures[key] = result.replay_failure

        if self.plugins:
            async with self.workflow_replay_iterator(histories) as results:
                async for result in results:
                    note(result)
        elif isinstance(histories, AsyncIterable):
            async for h in histories:
                note(await self._replay_one(h, False))
        else:
            for h in histories:
                note(await self._replay_one(h, False))
        return WorkflowReplayResults(replay_failures=failures)

    def workflow_replay_iterator(
        self, histories: AsyncIterable[Any] | Iterable[Any],
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
        """Replay histories as they come, one result each (as temporalio)::

            async with replayer.workflow_replay_iterator(histories) as results:
                async for result in results:
                    assert result.replay_failure is None, result.replay_failure

        Each result carries its failure (``replay_failure``) instead of raising it.

        Args:
            histories: ``WorkflowHistory`` objects (or ``durable.v1.History``), as an async
                iterable (e.g. ``client.list_workflows(...).map_histories()``) or an
                iterable.

        Raises:
            ValueError: (while iterating) a history is malformed or of a workflow type not
                in ``workflows``.
        """
        from durable._plugins import chain

        if self.plugins and not isinstance(histories, AsyncIterable):
            histories = _aiter(histories)
        run = chain(self.plugins, "run_replayer", lambda r, hs: r._replay_iterator(hs))
        return run(self, histories)  # type: ignore[no-any-return]

    @contextlib.asynccontextmanager
    async def _replay_iterator(self, histories: AsyncIterable[Any] | Iterable[Any]
                               ) -> AsyncIterator[AsyncIterator[WorkflowReplayResult]]:
        async def results() -> AsyncIterator[WorkflowReplayResult]:
            if isinstance(histories, AsyncIterable):
                async for h in histories:
                    yield await self._replay_one(h, False)
            else:
                for h in histories:
                    yield await self._replay_one(h, False)

        gen = results()
        try:
            yield gen
        finally:
            await gen.aclose()

    async def _replay_watched(self, history: Any, timeout: float) -> BaseException | None:
        """``_replay_sync`` on a daemon thread watched by a deadlock detector; the first
        outcome wins: the replay's, or the detector's failure."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[bool, Any]] = loop.create_future()
        lane = LaneWatch("durable-replay")

        def settle(outcome: tuple[bool, Any]) -> None:
            if not done.done():
                done.set_result(outcome)

        def post(outcome: tuple[bool, Any]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(settle, outcome)

        def run() -> None:
            lane.thread_id = threading.get_ident()
            try:
                outcome: tuple[bool, Any] = (True, self._replay_sync(history, lane))
            except (LaneAbandoned, DeadlockInterrupt):
                return  # the detector answered
            except BaseException as e:  # ValueError for a malformed history, ...
                outcome = (False, e)
            post(outcome)

        def on_deadlock(took: TakeOver, message: str) -> None:
            post((True, WorkflowTaskFailedError(
                f"workflow task failed during replay: {message}. Stuck at:\n{took.stack}")))

        detector = DeadlockDetector(timeout, on_deadlock, name="durable-replay-deadlock")
        detector.watch(lane)
        detector.start()
        threading.Thread(target=run, name="durable-replay", daemon=True).start()
        try:
            ok, value = await done
        finally:
            detector.stop()
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def _replay_sync(self, history: Any, lane: LaneWatch | None) -> BaseException | None:
        from durable import _core

        if isinstance(history, history_pb2.History):
            events = list(history.events)
            workflow_id, run_id = "", ""
        else:
            events = list(history.events)
            workflow_id = getattr(history, "workflow_id", "") or ""
            run_id = getattr(history, "run_id", "") or ""
        if not events or events[0].WhichOneof("attributes") != "workflow_execution_started":
            raise ValueError("a history starts with a workflow_execution_started event")
        started = events[0].workflow_execution_started
        workflow_id = workflow_id or started.workflow_id or "replay"
        run_id = run_id or started.first_execution_run_id or "replay-run"
        defn = self._defns.get(started.workflow_type) or self._defns.get(workflow._DYNAMIC_KEY)
        if defn is None:
            raise ValueError(f"workflow type {started.workflow_type!r} of the history is not "
                             f"among the replayer's workflows {sorted(self._defns)}")
        replayer = _core.WorkflowReplayer(workflow_id, run_id)
        replayer.add_history(history_pb2.History(events=events).SerializeToString())
        instance = WorkflowInstance(defn, data_converter=self._dc, workflow_id=workflow_id,
                                    run_id=run_id, failure_exception_types=self._failure_types,
                                    interceptor_classes=self._interceptor_classes)
        pc, fc = instance._pc, instance._fc  # in the workflow's serialization context
        try:
            while True:
                raw = replayer.next_activation()
                if raw is None:
                    break
                with lane or contextlib.nullcontext():
                    completion = instance.activate(
                        activation_pb2.WorkflowActivation.FromString(raw))
                if completion.HasField("failed"):
                    return _task_failure_error(completion.failed, fc, pc)
                replayer.complete(completion.SerializeToString())
            failure_raw = replayer.take_failure()
            if failure_raw is not None:
                return _task_failure_error(common_pb2.Failure.FromString(failure_raw), fc, pc)
            return None
        except NondeterminismError as e:
            return e
        finally:
            instance.dispose()


async def _aiter(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def _task_failure_error(failure: common_pb2.Failure, fc: Any, pc: Any) -> BaseException:
    if failure.HasField("application_failure_info") and \
            failure.application_failure_info.type == "NondeterminismError":
        return NondeterminismError(failure.message)
    err = WorkflowTaskFailedError(f"workflow task failed during replay: {failure.message}")
    try:
        err.__cause__ = fc.from_failure(failure, pc)
    except Exception:
        pass
    return err
