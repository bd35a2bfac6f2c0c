"""durable-server as a child process: find the bundled binary, start it on a free loopback
port, wait until it listens, stop it (SIGTERM, graceful) or kill it (SIGKILL).

Used by ``durable server start-dev``, by ``WorkflowEnvironment`` and by tests and demos that
need a real server. Not thread-safe (one owner per process object).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence

_LISTENING = re.compile(r"durable-server listening on (\S+)")
_UI = re.compile(r"durable-server web UI on (http://\S+)")
_HTTP = re.compile(r"durable-server HTTP API on (http://\S+)")


def server_binary() -> str:
    """Path of the durable-server binary: ``$DURABLE_SERVER_BIN``, else the one installed in
    the package (``durable/bin``), else one on ``PATH``.

    Raises:
        FileNotFoundError: None of those exists.
    """
    explicit = os.environ.get("DURABLE_SERVER_BIN")
    if explicit:
        return explicit
    from durable import _core

    bundled = os.path.join(os.path.dirname(_core.__file__), "bin", "durable-server")
    if os.access(bundled, os.X_OK):
        return bundled
    found = shutil.which("durable-server")
    if found:
        return found
    raise FileNotFoundError(
        f"durable-server is not installed (looked for {bundled} and on PATH); reinstall "
        "durable (pip install durable) or set DURABLE_SERVER_BIN")


class ServerProcess:
    """One durable-server child process.

    Args:
        db: Data directory; a temporary one (removed on ``stop``) when None.
        listen: ``host:port``; port 0 (the default) picks a free loopback port.
        args: Extra command-line arguments (``--api-keys``, TLS files, ``--relaxed-writes``).
    """

    def __init__(self, db: str | None = None, *, listen: str = "127.0.0.1:0",
                 args: Sequence[str] = ()) -> None:
        self._temp = db is None
        self.db = db if db is not None else tempfile.mkdtemp(prefix="durable-server-")
        self._listen = listen
        self._args = list(args)
        self._proc: subprocess.Popen[str] | None = None
        self.address = ""
        self.ui_url = ""  # the web UI's http://host:port/ when started with --ui
        self.http_url = ""  # the HTTP API's http://host:port/ when started with --http
        self.log: list[str] = []  # what the server printed (stderr)
        self._pump: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> str:
        """Start the server and wait until it listens; returns its ``host:port``.

        Raises:
            RuntimeError: It exited or did not listen within ``timeout`` (its output says why).
        """
        cmd = [server_binary(), "--db", self.db, "--listen", self._listen, *self._args]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
        ready = threading.Event()

        def pump() -> None:
            assert self._proc is not None and self._proc.stderr is not None
            for line in self._proc.stderr:
                self.log.append(line.rstrip("\n"))
                ui = _UI.search(line)
                if ui:
                    self.ui_url = ui.group(1)  # printed before the listening line
                http = _HTTP.search(line)
                if http:
                    self.http_url = http.group(1)  # likewise
                m = _LISTENING.search(line)
                if m:
                    self.address = m.group(1)
                    ready.set()
            ready.set()  # exited

        self._pump = threading.Thread(target=pump, daemon=True, name="durable-server-log")
        self._pump.start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.05):
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"durable-server did not start within {timeout}s: "
                                   + " | ".join(self.log))
        if not self.address:
            self._proc.wait()
            self._reap()  # close its log pipe: the process object is done
            raise RuntimeError("durable-server exited with code "
                               f"{self._proc.returncode}: " + " | ".join(self.log))
        return self.address

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """SIGKILL (a crash): nothing is drained; the directory is kept."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait()
        self._reap()

    def _reap(self) -> None:
        # The log pump ends at the pipe's EOF; then the pipe can be closed.
        if self._pump is not None:
            self._pump.join(5)
            self._pump = None
        if self._proc is not None and self._proc.stderr is not None:
            self._proc.stderr.close()

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait (graceful drain); SIGKILL after ``timeout``. Removes a temporary
        data directory. Returns the exit code."""
        code = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
                try:
                    self._proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            code = self._proc.returncode
            self._reap()
        if self._temp:
            shutil.rmtree(self.db, ignore_errors=True)
        return code

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
