"""FerretDB as a child process: the MongoDB wire-protocol server the example keeps GridFS in.

FerretDB (https://www.ferretdb.com) speaks MongoDB's wire protocol over a SQLite backend:
one binary, no server to install, built from the Go module proxy by scripts/ferretdb.sh.
``MongoServer`` starts it on a free loopback port in a temporary directory, waits until it
answers a ``ping`` and stops it. Not thread-safe (one owner per object).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_HINT = "run scripts/ferretdb.sh (it builds FerretDB into .cache/ferretdb/bin)"


def ferretdb_binary() -> str:
    """``$FERRETDB_BIN``, else the binary scripts/ferretdb.sh builds, else ``ferretdb`` on PATH.

    Raises:
        FileNotFoundError: None of those exists (the message says how to build it).
    """
    explicit = os.environ.get("FERRETDB_BIN")
    if explicit:
        return explicit
    built = REPO / ".cache" / "ferretdb" / "bin" / "ferretdb"
    if os.access(built, os.X_OK):
        return str(built)
    found = shutil.which("ferretdb")
    if found:
        return found
    raise FileNotFoundError(f"FerretDB is not built (no {built}): {BUILD_HINT}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MongoServer:
    """One FerretDB process with its SQLite files in ``directory`` (a temporary one, removed
    on ``stop``, when None). ``url`` is its ``mongodb://`` address once started."""

    def __init__(self, directory: str | None = None) -> None:
        self._temp = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="osm-lcm-ferretdb-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_path = os.path.join(self.directory, "ferretdb.log")
        self.url = ""

    def start(self, timeout: float = 60.0) -> str:
        """Start FerretDB and wait until it answers; returns the ``mongodb://`` URL.

        Raises:
            FileNotFoundError: FerretDB is not built.
            RuntimeError: It exited or did not answer within ``timeout`` (with its log).
        """
        import pymongo

        try:
            binary = ferretdb_binary()
        except FileNotFoundError:
            self.stop()  # removes a temporary directory
            raise
        data = os.path.join(self.directory, "sqlite")
        os.makedirs(data, exist_ok=True)
        # A free port can be taken between the probe and FerretDB's bind: retry a few times.
        for _ in range(5):
            port = _free_port()
            with open(self._log_path, "ab") as log:
                self._proc = subprocess.Popen(
                    [binary, "--handler=sqlite", f"--sqlite-url=file:{data}/",
                     f"--listen-addr=127.0.0.1:{port}", "--telemetry=disable",
                     # its state.json goes to the temp dir, not the caller's cwd
                     f"--state-dir={self.directory}",
                     "--debug-addr=-",  # no debug HTTP port: several may run at once
                     "--log-level=warn"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            self.url = f"mongodb://127.0.0.1:{port}/"
            deadline = time.monotonic() + timeout
            while self._proc.poll() is None and time.monotonic() < deadline:
                try:
                    with pymongo.MongoClient(self.url, serverSelectionTimeoutMS=300) as c:
                        c.admin.command("ping")
                    return self.url
                except pymongo.errors.PyMongoError:
                    time.sleep(0.1)
            if self._proc.poll() is None:
                self.stop()
                raise RuntimeError(f"FerretDB did not answer within {timeout}s: {self.log()}")
        raise RuntimeError(f"FerretDB exited with code {self._proc.returncode}: {self.log()}")

    def log(self) -> str:
        try:
            return Path(self._log_path).read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; removes a temporary directory."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self._temp:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> MongoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
