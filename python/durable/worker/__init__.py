"""Workers: run workflows and activities from a task queue (mirrors ``temporalio.worker``)."""

from durable.worker._interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ContinueAsNewInput,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    HandleQueryInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    SignalChildWorkflowInput,
    SignalExternalWorkflowInput,
    StartActivityInput,
    StartChildWorkflowInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from durable._plugins import ReplayerConfig, WorkerConfig
from durable._plugins import WorkerPlugin as Plugin
from durable.worker._replayer import (
    Replayer,
    WorkflowReplayResult,
    WorkflowReplayResults,
    WorkflowTaskFailedError,
)
from durable.worker._shared_state import SharedHeartbeatSender, SharedStateManager
from durable.worker._worker import Worker
from durable.worker._workflow_runner import UnsandboxedWorkflowRunner, WorkflowRunner
from durable.worker._workflow_instance import WorkflowInstance

__all__ = [
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ContinueAsNewInput",
    "ExecuteActivityInput",
    "ExecuteWorkflowInput",
    "HandleQueryInput",
    "HandleSignalInput",
    "HandleUpdateInput",
    "Interceptor",
    "SignalChildWorkflowInput",
    "SignalExternalWorkflowInput",
    "StartActivityInput",
    "StartChildWorkflowInput",
    "StartLocalActivityInput",
    "WorkflowInboundInterceptor",
    "WorkflowInterceptorClassInput",
    "WorkflowOutboundInterceptor",
    "Plugin",
    "Replayer",
    "ReplayerConfig",
    "SharedHeartbeatSender",
    "SharedStateManager",
    "UnsandboxedWorkflowRunner",
    "Worker",
    "WorkerConfig",
    "WorkflowInstance",
    "WorkflowRunner",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
    "WorkflowTaskFailedError",
]
