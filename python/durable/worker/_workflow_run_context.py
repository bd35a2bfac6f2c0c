"""What a workflow run knows of itself beyond ``workflow.info()`` (part of WorkflowInstance).

The random seed (``workflow.random_seed`` / ``new_random``), the reason of a cancellation
request (``workflow.cancellation_reason``), the current details (``workflow.set_current_details``),
the failure of the previous attempt and the last completion result (``workflow.get_last_failure``,
``get_last_completion_result``), and whether an exception fails the workflow rather than its
task (``workflow.is_failure_exception``) — as temporalio's workflow instance has them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from durable.exceptions import FailureError
from durable.v1 import activation_pb2, common_pb2


class _RunContextMixin:
    """State and Runtime methods of WorkflowInstance for the names above."""

    _pc: Any
    _fc: Any
    _random: random.Random
    _failure_types: tuple[type[BaseException], ...]

    def _init_run_context(self) -> None:
        self._seed = 0
        self._seed_callbacks: list[Callable[[int], None]] = []
        self._cancellation_reason: str | None = None
        self._current_details = ""
        self._last_completion_result: list[common_pb2.Payload] = []
        self._last_failure: common_pb2.Failure | None = None

    def _init_run_context_from(self, init: activation_pb2.InitializeWorkflow) -> None:
        self._seed = init.randomness_seed
        self._random = random.Random(self._seed)
        s = init.started
        self._last_completion_result = list(s.last_completion_result.payloads)
        self._last_failure = s.continued_failure if s.HasField("continued_failure") else None

    def _note_cancel_requested(self, reason: str) -> None:
        self._cancellation_reason = reason

    # --- Runtime (workflow module) ------------------------------------------------------

    def workflow_random_seed(self) -> int:
        return self._seed

    def workflow_register_random_seed_callback(self, callback: Callable[[int], None]) -> None:
        if not callable(callback):
            raise TypeError(f"the random seed callback must be callable, got {callback!r}")
        # durable's seed is fixed for a run (recorded with its start): kept, never called.
        self._seed_callbacks.append(callback)

    def workflow_cancellation_reason(self) -> str | None:
        return self._cancellation_reason

    def workflow_get_current_details(self) -> str:
        return self._current_details

    def workflow_set_current_details(self, details: str) -> None:
        if not isinstance(details, str):
            raise TypeError(f"current details must be a string, got {type(details).__name__}")
        self._current_details = details

    def workflow_is_failure_exception(self, err: BaseException) -> bool:
        # The rule WorkflowInstance applies to the run method's exception.
        return isinstance(err, (FailureError, *self._failure_types))

    def workflow_has_last_completion_result(self) -> bool:
        return bool(self._last_completion_result)

    def workflow_last_completion_result(self, type_hint: Any) -> Any:
        if not self._last_completion_result:
            return None
        return self._pc.from_payload(self._last_completion_result[0], type_hint)

    def workflow_last_failure(self) -> BaseException | None:
        if self._last_failure is None:
            return None
        return self._fc.from_failure(self._last_failure, self._pc)  # type: ignore[no-any-return]

