"""A worker process killed with SIGKILL in the middle of a heartbeating activity: as with
Temporal, a new worker retries the activity after its heartbeat timeout (attempt 2), and
the retry resumes from the last heartbeat details.

With the embedded engine the engine dies with the worker (same process). The attempt's start
is persisted at dispatch, so the process that reopens the directory does not hand the task
out again at once: the killed attempt times out (heartbeat timeout, counted from its last
recorded heartbeat) and the retry policy schedules attempt 2.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = Path(__file__).with_name("heartbeat_crash_child.py")


HEARTBEAT_TIMEOUT_S = 2.0


def _log(tmp_path: Path) -> str:
    log = tmp_path / "progress.log"
    return log.read_text() if log.exists() else ""


def test_sigkill_mid_activity_is_retried_after_its_heartbeat_timeout(tmp_path: Path) -> None:
    first = subprocess.Popen([sys.executable, str(CHILD), str(tmp_path), "first"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # Details 15 reached the engine (and the attempt still heartbeats, so it does not time
    # out in this process).
    while "engine has 15" not in _log(tmp_path):
        if first.poll() is not None:
            out, err = first.communicate()
            raise AssertionError(f"child exited early ({first.returncode}):\n{out}\n{err}")
        assert time.monotonic() < deadline, "the activity did not make progress"
        time.sleep(0.05)
    killed_at = time.time()
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL

    second = subprocess.run([sys.executable, str(CHILD), str(tmp_path), "second"],
                            capture_output=True, text=True, timeout=90)
    assert second.returncode == 0, second.stderr
    pending = re.search(r"^PENDING state=(\w+) attempt=(\d+) details=\[(\d+)\] "
                        r"last_heartbeat=([\d.]+) last_started=([\d.]+)$", second.stdout, re.M)
    assert pending, second.stdout
    state, attempt, details = pending.group(1), int(pending.group(2)), int(pending.group(3))
    last_heartbeat, last_started = float(pending.group(4)), float(pending.group(5))
    # Reopened: the killed attempt is still started, with its last heartbeat before the kill.
    assert (state, attempt, details) == ("STARTED", 1, 15)
    assert last_started < last_heartbeat <= killed_at

    starts = re.findall(r"^start pid=(\d+) attempt=(\d+) from=(\d+) started=([\d.]+)$",
                        _log(tmp_path), re.M)
    # Each attempt started once: the killed attempt was not handed out again.
    assert len(starts) == 2, starts
    (pid1, attempt1, from1, _), (pid2, attempt2, from2, started2) = starts
    assert pid1 != pid2
    assert (attempt1, from1) == ("1", "0")
    assert (attempt2, from2) == ("2", "15")  # the last details sent before the kill
    # Retried only once the heartbeat timeout had passed since the last heartbeat (the
    # tolerance covers the microsecond rounding of the recorded times).
    assert float(started2) - last_heartbeat >= HEARTBEAT_TIMEOUT_S - 0.01, \
        (float(started2) - last_heartbeat)
    assert f"RESULT counted 16..40 in pid {pid2}" in second.stdout
    # The workflow's history: one ActivityTaskStarted, of attempt 2, after a heartbeat timeout.
    assert re.findall(r"^STARTED .*$", second.stdout, re.M) == \
        ["STARTED attempt=2 timeout_type=TIMEOUT_TYPE_HEARTBEAT"], second.stdout
