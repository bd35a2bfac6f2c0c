"""Crash safety: a worker process killed with SIGKILL mid-workflow loses nothing.

A real subprocess runs a workflow on an embedded engine directory. Its first activity has
completed (recorded) when the second one starts; the process is then killed with SIGKILL.
A new process opens the same directory and completes the workflow: the first activity ran
exactly once, and the result is the one computed from its recorded output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = Path(__file__).with_name("crash_child.py")


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"child exited early ({proc.returncode}):\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{path.name} did not appear within {timeout}s")
        time.sleep(0.05)


def test_sigkill_after_activity_completes_then_new_process_finishes_it(tmp_path: Path) -> None:
    first = subprocess.Popen([sys.executable, str(CHILD), str(tmp_path), "first"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # `blocking` appears only once the workflow has recorded record_once's completion and
    # scheduled the next activity.
    _wait_for(tmp_path / "blocking", first)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL

    second = subprocess.run([sys.executable, str(CHILD), str(tmp_path), "second"],
                            capture_output=True, text=True, timeout=90)
    assert second.returncode == 0, second.stderr
    assert "RESULT t1:42" in second.stdout

    records = (tmp_path / "record.log").read_text().splitlines()
    assert len(records) == 1, f"record_once ran {len(records)} times: {records}"
    assert records[0].startswith("t1 pid=")
    # The interrupted activity was retried by the new process, after its heartbeat timeout.
    blocks = (tmp_path / "blocking").read_text().splitlines()
    assert len(blocks) == 2, blocks
    (pid1, attempt1), (pid2, attempt2) = (b.split() for b in blocks)
    assert pid1 != pid2 and (attempt1, attempt2) == ("attempt=1", "attempt=2")
