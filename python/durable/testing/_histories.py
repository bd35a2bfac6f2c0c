"""History JSON files on disk: load them and replay them (replay tests of a deploy)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from durable.client import WorkflowHistory
from durable.worker import Replayer, WorkflowReplayResults

__all__ = ["history_files", "load_history", "replay_history_files", "resolve_workflow_class"]


def history_files(path: str | os.PathLike[str]) -> list[Path]:
    """The history files at ``path``: the file itself, or a directory's ``*.json``, sorted.

    Args:
        path: A ``.json`` file or a directory of them (not searched recursively).

    Returns:
        The files, sorted by name.

    Raises:
        FileNotFoundError: ``path`` does not exist, or the directory holds no ``.json``.
    """
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix == ".json" and f.is_file())
        if not files:
            raise FileNotFoundError(f"no history (*.json) in {p}")
        return files
    if not p.is_file():
        raise FileNotFoundError(f"no history file or directory at {p}")
    return [p]


def load_history(path: str | os.PathLike[str]) -> WorkflowHistory:
    """Load a history saved with ``WorkflowHistory.to_json()`` (see docs/history-json.md).

    The workflow id is the one in the first event (``workflowExecutionStarted.workflowId``),
    else the file's name without ``.json``.

    Args:
        path: The JSON file.

    Returns:
        The history.

    Raises:
        ValueError: The file is not a ``durable.v1.History`` in JSON (names the file).
        OSError: The file cannot be read.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        history = WorkflowHistory.from_json(p.stem, text)
    except ValueError as e:
        raise ValueError(f"{p}: {e}") from e
    if history.events and history.events[0].HasField("workflow_execution_started"):
        wid = history.events[0].workflow_execution_started.workflow_id
        if wid:
            history = WorkflowHistory(workflow_id=wid, events=history.events,
                                      run_id=history.run_id)
    return history


def resolve_workflow_class(path: str | os.PathLike[str]) -> type:
    """The workflow class a fixture named ``<module>.<Class>.json`` was recorded with.

    The module is taken from ``sys.modules`` when loaded (e.g. a test module), else
    imported.

    Args:
        path: The history file (``--durable-record-histories`` names them so).

    Returns:
        The class.

    Raises:
        LookupError: No importable ``<module>.<Class>`` matches the name (says which).
    """
    stem = Path(path).name.removesuffix(".json")
    parts = stem.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:i])
        module = sys.modules.get(module_name)
        if module is None:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
        obj: Any = module
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            continue
        if isinstance(obj, type):
            return obj
    raise LookupError(
        f"{path}: no workflow class <module>.<Class> named {stem!r} can be imported; "
        "was the class renamed or removed? Re-record the histories or delete the file")


async def replay_history_files(path: str | os.PathLike[str], *,
                               workflows: Sequence[type] | None = None,
                               raise_on_replay_failure: bool = True,
                               **replayer_options: Any) -> WorkflowReplayResults:
    """Replay every history file at ``path`` with ``workflows``.

    Args:
        path: A ``.json`` history or a directory of them.
        workflows: The ``@workflow.defn`` classes (every history's type must be among
            them); None takes each file's class from its name (:func:`resolve_workflow_class`).
        raise_on_replay_failure: Raise an ``AssertionError`` naming each file that does not
            replay and why (True), or return the failures keyed by file path (False).
        replayer_options: More ``Replayer`` options (``data_converter``...).

    Returns:
        The failures, keyed by file path (empty when all replayed).

    Raises:
        AssertionError: A history did not replay (``raise_on_replay_failure``); its
            ``__cause__`` is the first failure (e.g. ``NondeterminismError``).
        FileNotFoundError: No history at ``path``.
        ValueError: A file is not a history, or its workflow type is not in ``workflows``.
    """
    fixed = Replayer(workflows=workflows, **replayer_options) if workflows is not None else None
    failures: dict[str, BaseException] = {}
    for f in history_files(path):
        replayer = fixed or Replayer(workflows=[resolve_workflow_class(f)], **replayer_options)
        result = await replayer.replay_workflow(load_history(f), raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures[str(f)] = result.replay_failure
    if failures and raise_on_replay_failure:
        lines = [f"{name}: {type(e).__name__}: {e}" for name, e in failures.items()]
        raise AssertionError(f"{len(failures)} of the histories did not replay:\n"
                             + "\n".join(lines)) from next(iter(failures.values()))
    return WorkflowReplayResults(replay_failures=failures)
