"""examples/osm_lcm/demo.py runs as written, on durable-server with a worker process (the
default) and on the embedded engine (--embedded)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from osm_lcm_fixtures import EXAMPLE_DIR

WORKFLOWS = [("FsUploadWorkflow", "fs-upload-1"), ("FsUploadWorkflow", "fs-upload-2"),
             ("FsUploadWorkflow", "fs-upload-3"), ("FsCleanWorkflow", None),
             ("NsInstantiateWorkflow", "ns-1"), ("SystemPatchWorkflow", "patch-1")]


@pytest.mark.parametrize("mode", ["server", "embedded"])
def test_demo_runs_every_workflow_and_prints_their_results(mode: str, tmp_path: Path) -> None:
    keep = tmp_path / "demo"
    cmd = [sys.executable, str(EXAMPLE_DIR / "demo.py"), "--keep", str(keep)]
    if mode == "embedded":
        cmd.append("--embedded")
    # Its own process group: a demo that hangs is killed with what it started (FerretDB,
    # durable-server, the worker), not left running after the test.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=110)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the demo did not finish within 110 s:\n{out}\n{err}")
    assert proc.returncode == 0, f"{out}\n{err}"
    for name, wid in WORKFLOWS:
        pattern = rf"id={re.escape(wid)}\b" if wid else r"id=\S+"
        assert re.search(rf"^Starting workflow {name} {pattern}", out, re.M), (name, out)
        assert re.search(rf"^Completed workflow {name} {pattern}", out, re.M), (name, out)
    assert len(re.findall(r"^Completed workflow FsUploadWorkflow id=\S+: "
                          r"\{'file_added': '[0-9a-f]{24}'\}$", out, re.M)) == 3, out
    assert re.search(r"^Completed workflow FsCleanWorkflow id=\S+: "
                     r"\{'deleted_files_count': 3\}$", out, re.M), out
    assert "  ns-1: update approve -> 'approved by demo-operator'" in out
    assert re.search(r"^Completed workflow NsInstantiateWorkflow id=ns-1: \{'ns': 'ns-1', "
                     r"'status': 'instantiated'", out, re.M), out
    assert "History ns-1: COMPLETED" in out

    # Who ran the activities: the worker process (server mode) or the demo itself.
    ops = (keep / "simulators" / "ops.log").read_text().splitlines()
    pids = {line.rsplit("pid=", 1)[1] for line in ops}
    assert len(pids) == 1, pids
    if mode == "embedded":
        assert pids == {str(proc.pid)}
    else:
        worker = re.search(r"^worker process (\d+) polling task queue 'lcm'$", out, re.M)
        assert worker, out
        assert pids == {worker.group(1)} and worker.group(1) != str(proc.pid)
        assert re.search(r"^durable-server listening on 127\.0\.0\.1:\d+$", out, re.M), out
        # the uploads went over the server's HTTP API, as an EMCO workflow client sends them
        assert len(re.findall(r"^Starting workflow FsUploadWorkflow id=fs-upload-\d "
                              r"\(POST http://127\.0\.0\.1:\d+/invoke/fs-upload\)$",
                              out, re.M)) == 3, out
