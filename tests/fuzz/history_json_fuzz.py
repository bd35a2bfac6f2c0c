"""atheris target: the history JSON reader (``WorkflowHistory.from_json``, the input of
``worker.Replayer`` and of ``durable workflow show --file``). Any text must load, or raise the
documented ``ValueError``; what loads must survive a round trip through ``to_json``.

    .venv/bin/python tests/fuzz/history_json_fuzz.py -max_total_time=20 tests/fuzz/corpus/history_json
"""
from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from durable.client import WorkflowHistory


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")  # the seeds are history JSON files as they are
    try:
        history = WorkflowHistory.from_json("wf-fuzz", text)
    except ValueError:
        return  # the documented error for JSON that is not a history
    again = WorkflowHistory.from_json("wf-fuzz", history.to_json())
    if again.to_proto() != history.to_proto():
        raise AssertionError("to_json/from_json round trip changed the history")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
