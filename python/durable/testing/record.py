"""Record workflow histories as JSON fixtures for replay tests.

Two ways:

* From a test run: ``pytest --durable-record-histories=DIR`` (with the durable pytest
  plugin active) writes, after each test, the history of every closed run of the test's
  engine whose workflow class is found in the test module, as
  ``DIR/<module>.<Class>.json`` — the longest history per class. See docs/testing.md.
* From an engine directory (e.g. a copy of production's)::

      python -m durable.testing.record ENGINE_DIR WORKFLOW_ID [--run-id RUN] [-o FILE]

  writes that run's history (the latest run by default) to FILE (or stdout).

The JSON format is described in docs/history-json.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from durable.client import Client, WorkflowHistory
from durable.v1 import history_pb2, service_pb2

__all__ = ["history_file_name", "main", "record_closed_histories", "scrub_identities"]

_IDENTITY = "recorded"
# Per process: file -> length of the history written there this run (the longest wins).
_written: dict[Path, int] = {}


def history_file_name(cls: type) -> str:
    """``<module>.<Class>.json``: the fixture name of a workflow class's history.

    Raises:
        ValueError: The class is not importable by name (defined inside a function).
    """
    if "<locals>" in cls.__qualname__:
        raise ValueError(f"{cls.__qualname__} is defined inside a function: a replay test "
                         "could not import it")
    return f"{cls.__module__}.{cls.__qualname__}.json"


def scrub_identities(history: history_pb2.History) -> history_pb2.History:
    """A copy of ``history`` whose ``identity`` fields (``pid@host``) say ``"recorded"``.

    Replay ignores identities; fixtures under version control should not name machines.
    """
    out = history_pb2.History()
    out.CopyFrom(history)
    for event in out.events:
        kind = event.WhichOneof("attributes")
        if kind is None:
            continue
        attrs = getattr(event, kind)
        if "identity" in attrs.DESCRIPTOR.fields_by_name and attrs.identity:
            attrs.identity = _IDENTITY
    return out


async def record_closed_histories(client: Client, out_dir: str | os.PathLike[str],
                                  candidates: Iterable[Any]) -> list[Path]:
    """Write the history of each closed run on ``client`` whose class is a candidate.

    A run's class is the candidate ``@workflow.defn`` class with the run's workflow type
    that replays the history (classes defined inside functions are skipped). Of several
    runs of one class, the longest history is kept (within this process).

    Args:
        client: A client of the engine to read.
        out_dir: The directory of fixtures (created if needed).
        candidates: Objects to pick workflow classes from (e.g. a test module's globals).

    Returns:
        The files written.
    """
    from durable import workflow
    from durable.worker import Replayer

    by_type: dict[str, list[type]] = {}
    for obj in candidates:
        if not isinstance(obj, type) or "<locals>" in obj.__qualname__:
            continue
        d = workflow._Definition.from_class(obj)
        if d is not None and obj not in by_type.setdefault(d.name, []):
            by_type[d.name].append(obj)
    if not by_type:
        return []
    out = Path(out_dir)
    written: list[Path] = []
    token = b""
    while True:
        resp = await client.transport.call_async(
            "list_workflow_executions",
            service_pb2.ListWorkflowExecutionsRequest(page_size=1000, next_page_token=token))
        for info in resp.executions:
            classes = by_type.get(info.workflow_type)
            if not classes or not info.close_time_us:
                continue
            handle = client.get_workflow_handle(info.execution.workflow_id,
                                                run_id=info.execution.run_id)
            history = await handle.fetch_history()
            for cls in classes:
                result = await Replayer(workflows=[cls], data_converter=client.data_converter
                                        ).replay_workflow(history, raise_on_replay_failure=False)
                if result.replay_failure is not None:
                    continue
                path = out / history_file_name(cls)
                if _written.get(path, -1) >= len(history.events):
                    break
                out.mkdir(parents=True, exist_ok=True)
                _write(path, history)
                _written[path] = len(history.events)
                written.append(path)
                break
        token = resp.next_page_token
        if not token:
            return written


def _write(path: Path, history: WorkflowHistory) -> None:
    scrubbed = scrub_identities(history.to_proto())
    text = WorkflowHistory(workflow_id=history.workflow_id, events=list(scrubbed.events),
                           run_id=history.run_id).to_json()
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)


async def _export(engine_dir: str, workflow_id: str, run_id: str | None,
                  output: str | None) -> None:
    client = await Client.connect(engine_dir)
    try:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    finally:
        await client.close()
    if output is None:
        sys.stdout.write(history.to_json() + "\n")
    else:
        _write(Path(output), history)
        print(f"wrote {len(history.events)} events of {workflow_id} to {output}",
              file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """``python -m durable.testing.record``: export one run's history as JSON.

    Returns:
        The exit status (0 on success).
    """
    parser = argparse.ArgumentParser(
        prog="python -m durable.testing.record",
        description="Write a workflow run's history as JSON (a replay-test fixture).")
    parser.add_argument("engine_dir", help="the engine's directory (not in use by a process)")
    parser.add_argument("workflow_id")
    parser.add_argument("--run-id", default=None, help="a specific run (default: the latest)")
    parser.add_argument("-o", "--output", default=None, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.engine_dir):
        parser.error(f"no engine directory at {args.engine_dir}")
    try:
        asyncio.run(_export(args.engine_dir, args.workflow_id, args.run_id, args.output))
    except Exception as e:  # a clear one-line error for a command-line tool
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
