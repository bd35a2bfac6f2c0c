"""Replayer: runs workflow code against a recorded history, to check it still matches.

    await Replayer(workflows=[MyWorkflow]).replay_workflow(await handle.fetch_history())

raises ``NondeterminismError`` when the code issues different commands than the history
recorded (e.g. after an incompatible change), naming the command, the event and its id.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from durable import workflow
from durable.exceptions import NondeterminismError
from durable.v1 import activation_pb2, common_pb2, history_pb2
from durable.worker._workflow_instance import WorkflowInstance, _converter_parts


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

    Raises:
        ValueError: No workflows, or a class is not a workflow.
    """

    def __init__(self, *, workflows: Sequence[type], data_converter: Any = None,
                 workflow_failure_exception_types: Sequence[type[BaseException]] = ()) -> None:
        if not workflows:
            raise ValueError("the replayer needs at least one workflow class")
        self._defns = {}
        for cls in workflows:
            d = workflow._Definition.must_from_class(cls)
            self._defns[d.name] = d
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
        loop = asyncio.get_running_loop()
        failure = await loop.run_in_executor(None, self._replay_sync, history)
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

        async def one(history: Any) -> None:
            result = await self.replay_workflow(
                history, raise_on_replay_failure=raise_on_replay_failure)
            if result.replay_failure is not None:
                key = (getattr(history, "run_id", "") or getattr(history, "workflow_id", "")
                       or f"history #{len(failures) + 1}")
                failures[key] = result.replay_failure

        if isinstance(histories, AsyncIterable):
            async for h in histories:
                await one(h)
        else:
            for h in histories:
                await one(h)
        return WorkflowReplayResults(replay_failures=failures)

    def _replay_sync(self, history: Any) -> BaseException | None:
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
        defn = self._defns.get(started.workflow_type)
        if defn is None:
            raise ValueError(f"workflow type {started.workflow_type!r} of the history is not "
                             f"among the replayer's workflows {sorted(self._defns)}")
        replayer = _core.WorkflowReplayer(workflow_id, run_id)
        replayer.add_history(history_pb2.History(events=events).SerializeToString())
        instance = WorkflowInstance(defn, data_converter=self._dc, workflow_id=workflow_id,
                                    run_id=run_id, failure_exception_types=self._failure_types)
        pc, fc = _converter_parts(self._dc)
        try:
            while True:
                raw = replayer.next_activation()
                if raw is None:
                    break
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
