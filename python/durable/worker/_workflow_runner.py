"""Workflow runners: temporalio's names, one behaviour.

temporalio runs workflow code either in a sandbox (``SandboxedWorkflowRunner``, its default:
modules re-imported per run, restricted calls raising) or not (``UnsandboxedWorkflowRunner``).
durable has no sandbox: workflow code always runs directly on the deterministic event loop
(``_workflow_instance.py``) with the determinism guard (``durable._workflow_guard``) refusing
clocks, randomness, I/O and threads. So every runner here is the same runner; they exist so
that ``Worker(..., workflow_runner=SandboxedWorkflowRunner(restrictions=...))`` ports
unchanged (docs/temporal-compatibility.md).
"""

from __future__ import annotations

from typing import Any


class WorkflowRunner:
    """Base of the runner classes (no methods to implement: durable has one runner)."""


class UnsandboxedWorkflowRunner(WorkflowRunner):
    """Runs workflow code without a sandbox: what durable always does."""


class SandboxedWorkflowRunner(WorkflowRunner):
    """Accepted for temporalio code; runs workflows exactly as
    :class:`UnsandboxedWorkflowRunner` does (durable has no sandbox).

    Args:
        restrictions: A ``SandboxRestrictions`` (kept, not applied).
        runner_class: Kept, not used.
        **options: temporalio's other options, ignored.
    """

    def __init__(self, *, restrictions: Any = None, runner_class: Any = None,
                 **options: Any) -> None:
        from durable.worker.workflow_sandbox import SandboxRestrictions

        self.restrictions = restrictions if restrictions is not None else SandboxRestrictions.default
        self.runner_class = runner_class or UnsandboxedWorkflowRunner
        self.options = options
