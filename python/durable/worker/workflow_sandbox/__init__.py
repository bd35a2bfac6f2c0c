"""temporalio's sandbox names, as documented no-ops (mirrors
``temporalio.worker.workflow_sandbox``).

durable has no sandbox (see ``durable.worker._workflow_runner``): restrictions built here are
kept but never applied; the determinism guard refuses non-deterministic calls instead, and
``workflow.unsafe.sandbox_unrestricted()`` lifts it for a block.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from durable.worker._workflow_runner import SandboxedWorkflowRunner

__all__ = [
    "RestrictedWorkflowAccessError",
    "SandboxMatcher",
    "SandboxRestrictions",
    "SandboxedWorkflowRunner",
    "UnintentionalPassthroughError",
]


class RestrictedWorkflowAccessError(RuntimeError):
    """Named for temporalio code that catches it; durable never raises it (its guard raises
    ``workflow.NondeterminismGuardError``)."""


class UnintentionalPassthroughError(RuntimeError):
    """Named for temporalio code; durable never raises it."""


@dataclass(frozen=True)
class SandboxMatcher:
    """temporalio's matcher of restricted module members; kept, never applied."""

    access: frozenset[str] = frozenset()
    use: frozenset[str] = frozenset()
    children: Mapping[str, SandboxMatcher] = field(default_factory=dict)
    match_self: bool = False
    only_runtime: bool = False
    leaf_message: str | None = None
    leaf_warning: type[Warning] | None = None
    exclude: frozenset[str] = frozenset()

    all: ClassVar[SandboxMatcher]
    none: ClassVar[SandboxMatcher]

    def with_child_unrestricted(self, *child_path: str) -> SandboxMatcher:
        """This matcher (nothing is restricted in durable)."""
        return self

    def __or__(self, other: SandboxMatcher) -> SandboxMatcher:
        return self


SandboxMatcher.all = SandboxMatcher(match_self=True)
SandboxMatcher.none = SandboxMatcher()


@dataclass(frozen=True)
class SandboxRestrictions:
    """temporalio's sandbox restrictions; kept on the runner, never applied."""

    passthrough_modules: frozenset[str] = frozenset()
    invalid_modules: SandboxMatcher = SandboxMatcher.none
    invalid_module_members: SandboxMatcher = SandboxMatcher.none
    passthrough_all_modules: bool = False
    disable_lazy_sys_module_passthrough: bool = False

    default: ClassVar[SandboxRestrictions]
    passthrough_modules_default: ClassVar[frozenset[str]] = frozenset()
    invalid_module_members_default: ClassVar[SandboxMatcher] = SandboxMatcher.none

    def with_passthrough_modules(self, *modules: str) -> SandboxRestrictions:
        """A copy that also passes ``modules`` through (recorded only)."""
        return dataclasses.replace(
            self, passthrough_modules=self.passthrough_modules | frozenset(modules))

    def with_passthrough_all_modules(self) -> SandboxRestrictions:
        """A copy that passes every module through (what durable does anyway)."""
        return dataclasses.replace(self, passthrough_all_modules=True)

    def with_import_notification_policy(self, policy: Any) -> SandboxRestrictions:
        """This object (import notifications do not apply without a sandbox)."""
        return self


SandboxRestrictions.default = SandboxRestrictions()
