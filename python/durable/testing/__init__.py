"""Testing helpers (mirrors ``temporalio.testing``).

* :class:`WorkflowEnvironment`: an engine of its own in a temporary directory, on the
  system clock (``start_local``) or on a clock that skips ahead (``start_time_skipping``).
* :class:`ActivityEnvironment`: runs one activity function alone, capturing heartbeats
  and cancelling on demand.
* ``durable.testing.pytest_plugin``: opt-in pytest fixtures (``durable_env``,
  ``durable_client``, ``durable_worker``, ``durable_replay``); see docs/testing.md.
* ``python -m durable.testing.record``: records workflow histories as JSON fixtures.
"""

from durable.testing._activity_environment import ActivityEnvironment, default_info
from durable.testing._histories import load_history, replay_history_files
from durable.testing._workflow_environment import WorkflowEnvironment

__all__ = [
    "ActivityEnvironment",
    "WorkflowEnvironment",
    "default_info",
    "load_history",
    "replay_history_files",
]
