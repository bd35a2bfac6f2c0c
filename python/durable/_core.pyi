"""Type stub of durable._core (cpp/python/module.cc): the embedded engine and the replay core.

Requests and responses cross as serialized protobuf bytes (durable.v1 messages). Errors
raise durable.exceptions.RPCError subclasses (NotFoundError, AlreadyExistsError,
InvalidArgumentError, FailedPreconditionError, NondeterminismError, ...).
"""

from typing import Any

class Engine:
    # Each rpc takes the client call's options (durable::CallOptions): gRPC metadata and a
    # deadline in microseconds (0: the default); only the remote transport uses them.
    def close(self) -> None: ...
    def set_time_skipping(self, enabled: bool) -> None: ...
    def skip_time(self, duration_us: int) -> None:
        """Advance the virtual clock, firing due timers (even while tasks run)."""
    def skip_time_when_idle(self, duration_us: int) -> None:
        """Advance the virtual clock like skip_time, waiting for no task queued or running
        before each jump (blocks while a task waits for a worker)."""
    def now_us(self) -> int:
        """The engine's clock, microseconds since the Unix epoch."""
    def start_workflow_execution(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def signal_workflow_execution(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def query_workflow(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def update_workflow_execution(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def poll_workflow_execution_update(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def request_cancel_workflow_execution(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def terminate_workflow_execution(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def reset_workflow_execution(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def describe_workflow_execution(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def get_workflow_execution_history(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def list_workflow_executions(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def count_workflow_executions(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def add_search_attributes(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def list_search_attributes(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def create_schedule(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def describe_schedule(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def update_schedule(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def patch_schedule(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def delete_schedule(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def list_schedules(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def poll_workflow_task_queue(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def respond_workflow_task_completed(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def respond_workflow_task_failed(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def respond_query_task_completed(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def poll_activity_task_queue(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def record_activity_task_heartbeat(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def respond_activity_task_completed(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def respond_activity_task_failed(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def respond_activity_task_canceled(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def get_activity_task_token(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def shutdown_worker(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def start_batch_operation(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def describe_batch_operation(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def list_batch_operations(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...
    def stop_batch_operation(self, request: bytes, metadata: list[tuple[str, str]] = ...,
        timeout_us: int = 0) -> bytes: ...

class EngineLimits:
    """EngineLimits of options.h (the engine's defaults until set)."""

    max_payload_bytes: int
    warn_payload_bytes: int
    max_history_events: int
    warn_history_events: int
    max_history_bytes: int
    warn_history_bytes: int
    max_id_length: int
    max_pending_activities: int
    max_pending_children: int
    max_pending_signals: int
    max_pending_cancels: int

def open_data_dir(directory: str, sync_writes: bool = True, virtual_clock: bool = False,
                  limits: EngineLimits = ...) -> Any: ...

def open_engine(directory: str, sync_writes: bool = True, virtual_clock: bool = False) -> Engine:
    """Open (creating if needed) the engine on a directory; one process per directory.

    ``virtual_clock``: a test clock that flows with real time and jumps ahead on
    ``skip_time`` and, while ``set_time_skipping(True)``, to the next timer whenever no
    task is queued or running."""

class WorkflowReplayer:
    """The replay core for one run (replay.h). Not thread-safe."""

    def __init__(self, workflow_id: str, run_id: str) -> None: ...
    def add_history(self, history: bytes) -> None:
        """Append History events; they must continue at last_event_id + 1."""
    def add_pending_updates(self, updates: list[bytes]) -> None: ...
    def add_task(self, poll_response: bytes) -> None:
        """add_history + add_pending_updates from a serialized PollWorkflowTaskQueueResponse."""
    def next_activation(self) -> bytes | None:
        """The next WorkflowActivation (bytes), or None when all events were delivered."""
    def complete(self, completion: bytes) -> None:
        """Answer the last activation (WorkflowActivationCompletion bytes)."""
    def take_commands(self) -> bytes:
        """WorkflowActivationCompletion.Success bytes holding the live task's commands."""
    def take_failure(self) -> bytes | None:
        """Failure bytes of a failed live completion, if any."""
    def take_local_activity_requests(self) -> list[bytes]:
        """ScheduleLocalActivityCommand bytes the live task scheduled since the last call.

        The worker runs each (retrying locally) and reports it with resolve_local_activity.
        """
    def take_local_activity_cancels(self) -> list[int]:
        """Seqs of running local activities the live task asked to cancel since the last call."""
    def resolve_local_activity(
        self, seq: int, resolution: bytes, attempt: int, elapsed_us: int
    ) -> None:
        """Report a local activity's outcome (ActivityResolution bytes) from attempt `attempt`.

        Records its marker among the live commands and queues a ResolveActivity
        (is_local=True) for the next activation of the same task.

        Raises:
            FailedPreconditionError: no live task open, an activation outstanding, or no
                local activity with that seq running.
            InvalidArgumentError: an empty resolution or negative numbers.
        """
    @property
    def last_event_id(self) -> int: ...
    @property
    def is_replaying(self) -> bool: ...
