"""A worker process killed with SIGKILL in the middle of a heartbeating activity: a new
process resumes the activity from its last recorded heartbeat details.

With the embedded engine the engine dies with the worker (same process). The attempt's
start lived in the engine's memory only, so when the new process reopens the directory
the activity task is dispatched again at once, with the same attempt number and the
heartbeat details that were durably recorded before the kill.
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


def _beats(log: Path) -> list[int]:
    if not log.exists():
        return []
    return [int(m) for m in re.findall(r"^beat (\d+)$", log.read_text(), re.M)]


def test_sigkill_mid_activity_resumes_from_last_heartbeat(tmp_path: Path) -> None:
    log = tmp_path / "progress.log"
    first = subprocess.Popen([sys.executable, str(CHILD), str(tmp_path), "first"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # 15 beats at 0.2 s = 3 s: well past one throttle interval (0.8 x 2 s), so a heartbeat
    # later than the first one has been recorded.
    while len(_beats(log)) < 15:
        if first.poll() is not None:
            out, err = first.communicate()
            raise AssertionError(f"child exited early ({first.returncode}):\n{out}\n{err}")
        assert time.monotonic() < deadline, "the activity did not make progress"
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    beaten = _beats(log)[-1]

    second = subprocess.run([sys.executable, str(CHILD), str(tmp_path), "second"],
                            capture_output=True, text=True, timeout=90)
    assert second.returncode == 0, second.stderr
    starts = re.findall(r"^start pid=(\d+) attempt=(\d+) from=(\d+)$", log.read_text(), re.M)
    assert len(starts) == 2, starts
    (pid1, attempt1, from1), (pid2, attempt2, from2) = starts
    assert pid1 != pid2
    assert from1 == "0"
    resumed = int(from2)
    # Resumed from a heartbeat recorded after the first one (throttled: not every beat is
    # sent), never from one the first process had not reached.
    assert 2 <= resumed <= beaten, (resumed, beaten)
    assert f"RESULT counted {resumed + 1}..40 in pid {pid2}" in second.stdout
    assert (attempt1, attempt2) == ("1", "1")
