"""The release wheel for the running Python, built and checked by scripts/build-wheels.sh:
native libraries bundled (auditwheel), a manylinux tag, and the wheel installed in a fresh
venv passing scripts/check-wheel.py (ldd inside the wheel, import, durable-server and the
CLI, hello embedded and over the server) twice, the second time with the Debian libraries
hidden in a mount namespace. It compiles the C++ in an isolated build (build/wheel-<tag>,
incremental): minutes; marker `wheel`, alone with `make test-wheel`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.wheel
@pytest.mark.timeout(3600)
def test_the_wheel_is_self_contained_and_runs_without_the_debian_libraries(
        tmp_path: Path) -> None:
    run = subprocess.run([str(ROOT / "scripts" / "build-wheels.sh"), "--python", sys.executable,
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-6000:]
    wheels = list(tmp_path.glob("durable-*.whl"))
    assert len(wheels) == 1, wheels
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert f"-{tag}-{tag}-manylinux_2_" in wheels[0].name, wheels[0].name
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "durable/bin/durable-server" in names
    assert any(n.startswith("durable.libs/librocksdb") for n in names), names
    # Both runs of check-wheel.py (as installed, then with the Debian libraries hidden).
    assert run.stdout.count("check-wheel: all checks passed") == 2, run.stdout
    assert "with the Debian libraries hidden" in run.stdout
