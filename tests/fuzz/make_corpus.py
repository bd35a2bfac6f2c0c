"""Writes the seed corpora of the libFuzzer targets (tests/fuzz/corpus/<target>/) from real
inputs: the recorded histories under tests/py/histories (replay), schedule specs and cron
strings (schedule_spec), start / signal / list / completion requests (engine_request). The
query seeds are hand-written text files. Re-run after a wire change, then commit the result:

    .venv/bin/python tests/fuzz/make_corpus.py
"""
from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from durable.v1 import (activation_pb2, commands_pb2, common_pb2, history_pb2, schedule_pb2,
                        service_pb2)
from google.protobuf import json_format

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
HISTORIES = HERE.parent / "py" / "histories"


def _chunk(data: bytes) -> bytes:
    data = data[:0xFFFF]
    return struct.pack("<H", len(data)) + data


def _write(target: str, data: bytes) -> None:
    out = CORPUS / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def replay_seeds() -> int:
    n = 0
    for path in sorted(HISTORIES.glob("*.json")):
        history = history_pb2.History()
        json_format.Parse(path.read_text(), history, ignore_unknown_fields=True)
        # Empty completions: the replayer answers each activation with "no commands", which
        # is nondeterministic against most histories — the error paths are seeds too.
        _write("replay", _chunk(history.SerializeToString()))
        n += 1
    return n


def schedule_seeds() -> int:
    crons = ["*/5 * * * *", "0 3 * * MON-FRI", "CRON_TZ=Europe/Madrid 30 2 1,15 * *",
             "@hourly", "@daily", "0 0 29 2 *", "15-45/10 8-18 * JAN,JUL SUN"]
    for c in crons:
        _write("schedule_spec", b"\x00" + c.encode())
    specs = [
        schedule_pb2.ScheduleSpec(intervals=[schedule_pb2.ScheduleIntervalSpec(
            every_us=3_600_000_000, offset_us=600_000_000)]),
        schedule_pb2.ScheduleSpec(calendars=[schedule_pb2.ScheduleCalendarSpec(
            hour=[schedule_pb2.ScheduleRange(start=9, end=17, step=2)],
            day_of_week=[schedule_pb2.ScheduleRange(start=1, end=5)])],
            time_zone_name="America/New_York", jitter_us=30_000_000),
        schedule_pb2.ScheduleSpec(cron_expressions=["0 12 * * *"], skip=[
            schedule_pb2.ScheduleCalendarSpec(day_of_month=[schedule_pb2.ScheduleRange(start=25)],
                                              month=[schedule_pb2.ScheduleRange(start=12)])],
            start_at_us=1_700_000_000_000_000, end_at_us=1_800_000_000_000_000),
    ]
    for s in specs:
        _write("schedule_spec", b"\x01" + s.SerializeToString())
    return len(crons) + len(specs)


def engine_seeds() -> int:
    payload = common_pb2.Payloads(payloads=[common_pb2.Payload(
        metadata={"encoding": b"json/plain"}, data=json.dumps({"x": 1}).encode())])
    start = service_pb2.StartWorkflowExecutionRequest(
        workflow_id="seed-1", workflow_type="Wf", task_queue="fuzz", input=payload)
    signal = service_pb2.SignalWorkflowExecutionRequest(
        workflow_execution=common_pb2.WorkflowExecution(workflow_id="seed-1"),
        signal_name="s", input=payload, request_id="r1")
    listing = service_pb2.ListWorkflowExecutionsRequest(query="WorkflowType = 'Wf'", page_size=5)
    complete = service_pb2.RespondWorkflowTaskCompletedRequest(commands=[
        commands_pb2.Command(start_timer=commands_pb2.StartTimerCommand(
            seq=1, start_to_fire_timeout_us=1_000_000)),
        commands_pb2.Command(schedule_activity=commands_pb2.ScheduleActivityCommand(
            seq=1, activity_type="Act", task_queue="fuzz", input=payload,
            start_to_close_timeout_us=5_000_000)),
        commands_pb2.Command(complete_workflow_execution=commands_pb2.CompleteWorkflowExecutionCommand(
            result=payload)),
    ])
    seeds = [(0, start), (1, signal), (2, listing), (6, complete)]
    for selector, msg in seeds:
        _write("engine_request", bytes([selector]) + msg.SerializeToString())
    return len(seeds)


def main() -> None:
    _ = activation_pb2  # the replay target's completions: seeded empty (see replay_seeds)
    counts = {"replay": replay_seeds(), "schedule_spec": schedule_seeds(),
              "engine_request": engine_seeds()}
    print("corpus seeds written:", counts)


if __name__ == "__main__":
    main()
