"""Checks an installed durable wheel from the venv it is installed in (scripts/build-wheels.sh
runs it twice: as is, and in a mount namespace where the Debian libraries are hidden).

    VENV/bin/python scripts/check-wheel.py [--no-ldd]

1. ldd: every native file of the wheel (durable/_core*.so, durable/bin/durable-server and
   durable.libs/*) resolves each library to a copy inside the install dir or to the C/C++
   runtime (glibc, libstdc++, libgcc_s), never to a system library such as librocksdb.
2. `import durable`; `durable-server --version` and `durable --version` (the CLI).
3. The hello workflow (one activity) on the embedded engine, then on a durable-server
   process started from the wheel, reached over gRPC.
Prints one `check-wheel: ...` line per step; exits non-zero at the first failure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import durable
from durable import activity, workflow
from durable._server_process import ServerProcess
from durable.client import Client
from durable.worker import Worker

# The C/C++ runtime every manylinux platform provides: the only libraries allowed outside.
RUNTIME = re.compile(r"^(linux-vdso\.so|ld-linux[-\w]*\.so|lib(c|m|dl|rt|pthread|util)\.so|"
                     r"libstdc\+\+\.so|libgcc_s\.so)")


def fail(message: str) -> None:
    print(f"check-wheel: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def native_files(site: Path) -> list[Path]:
    files = [*(site / "durable").glob("_core*.so"), site / "durable" / "bin" / "durable-server",
             *(site / "durable.libs").glob("*.so*")]
    missing = [str(f) for f in files[:2] if not f.exists()]
    if missing or not list((site / "durable").glob("_core*.so")):
        fail(f"the wheel lacks {missing or '_core*.so'} in {site}")
    return files


def check_ldd(site: Path) -> None:
    """Each ELF's libraries: inside `site`, or the C/C++ runtime."""
    files = native_files(site)
    for f in files:
        out = subprocess.run(["ldd", str(f)], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            line = line.strip()
            if line == "statically linked":  # a library that needs none
                continue
            name, _, rest = line.partition(" => ")
            if "not found" in rest:
                fail(f"{f.name}: {name} not found (ldd)")
            target = rest.split(" (")[0].strip() if rest else name.split(" (")[0]
            if RUNTIME.match(name) or RUNTIME.match(os.path.basename(target)):
                continue
            if not os.path.realpath(target).startswith(str(site.resolve()) + os.sep):
                fail(f"{f.name}: {name} resolves to {target}, outside the wheel ({site})")
    print(f"check-wheel: ldd ok ({len(files)} native files resolve inside {site.name} "
          "or to the C/C++ runtime)")


def check_version(binary: Path) -> None:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    if out.returncode != 0 or durable.__version__ not in out.stdout:
        fail(f"{binary} --version exited {out.returncode}, printed "
             f"{out.stdout.strip()!r} {out.stderr.strip()!r} (want {durable.__version__})")
    print(f"check-wheel: {binary.name} --version: {out.stdout.strip()}")


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            compose_greeting, name, start_to_close_timeout=timedelta(seconds=30))


async def hello(target: str) -> str:
    client = await Client.connect(target)
    async with Worker(client, task_queue="hello", workflows=[GreetingWorkflow],
                      activities=[compose_greeting]):
        return await client.execute_workflow(GreetingWorkflow.run, "wheel",
                                             id=f"hello-{uuid.uuid4()}", task_queue="hello")


def check_hello() -> None:
    with tempfile.TemporaryDirectory(prefix="durable-wheel-") as tmp:
        result = asyncio.run(hello(os.path.join(tmp, "embedded")))
        if result != "Hello, wheel!":
            fail(f"hello on the embedded engine returned {result!r}")
        print(f"check-wheel: hello (embedded): {result}")
        server = ServerProcess(os.path.join(tmp, "server"))
        address = server.start()
        try:
            result = asyncio.run(hello(address))
        finally:
            server.stop()
        if result != "Hello, wheel!":
            fail(f"hello over durable-server ({address}) returned {result!r}")
        print(f"check-wheel: hello (durable-server at {address}): {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ldd", action="store_true", help="skip the ldd step")
    args = parser.parse_args()
    site = Path(sysconfig.get_paths()["platlib"])
    if not Path(durable.__file__).resolve().is_relative_to(site.resolve()):
        fail(f"durable imported from {durable.__file__}, not from the venv ({site})")
    print(f"check-wheel: import durable {durable.__version__} (Python "
          f"{sys.version.split()[0]}) from {Path(durable.__file__).parent}")
    if not args.no_ldd:
        check_ldd(site)
    check_version(site / "durable" / "bin" / "durable-server")
    check_version(Path(sys.executable).parent / "durable")  # the CLI's console script
    check_hello()
    print("check-wheel: all checks passed")


if __name__ == "__main__":
    main()
