"""Small local stand-ins for the systems OSM LCM drives: the VIM (networks, VNF servers),
Kubernetes (namespaces, readiness) and the charms (day-1 configuration), and the hosts a
system patch updates.

All state is on disk in one directory, so that it survives the worker being killed and a
test can count what really happened:

* ``ops.log``: one line per side effect, ``<system>.<action> <target> pid=<pid>`` (appended
  with O_APPEND, one write per line).
* ``failures.json``: failure injection, ``{"<system>.<action> <target>": spec}`` where spec
  is ``{"message": str, "times": n}`` (fail the first n calls; -1: always, non-retryable).
* ``ready.json``: ``{"<ns>/<member>": polls}``: how many readiness polls a VNF needs (3).

Thread-safe enough for the example: each call opens, appends and closes.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any


class InjectedFailure(Exception):
    """A simulated system refused the call. ``permanent``: retrying will not help."""

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Simulators:
    """The simulated VIM, Kubernetes, charms and hosts, sharing one state directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    # --- failure injection and the operations log -------------------------------------

    def inject_failure(self, op: str, target: str, message: str, times: int = -1) -> None:
        """Make ``op`` on ``target`` fail: its first ``times`` calls, or always (-1)."""
        failures = self._read("failures.json")
        failures[f"{op} {target}"] = {"message": message, "times": times}
        self._write("failures.json", failures)

    def set_ready_after(self, ns: str, member: str, polls: int) -> None:
        ready = self._read("ready.json")
        ready[f"{ns}/{member}"] = polls
        self._write("ready.json", ready)

    def ops(self) -> list[str]:
        """The operations log without pids: ``["vim.deploy_vnf ns-1/vnf-a", ...]``."""
        path = self.dir / "ops.log"
        if not path.exists():
            return []
        return [" ".join(line.split()[:2]) for line in path.read_text().splitlines()]

    def count(self, op: str, target: str | None = None) -> int:
        c = Counter(self.ops())
        return sum(n for line, n in c.items()
                   if line.split()[0] == op and (target is None or line.split()[1] == target))

    def _op(self, op: str, target: str, **extra: Any) -> None:
        """Fail if a failure is injected for this call; else log the side effect."""
        key = f"{op} {target}"
        failures = self._read("failures.json")
        spec = failures.get(key)
        if spec and spec["times"] != 0:
            if spec["times"] > 0:
                spec["times"] -= 1
                self._write("failures.json", failures)
            self._log(f"{op}!failed {target}")
            raise InjectedFailure(f"{op} {target}: {spec['message']}", spec["times"] < 0)
        details = "".join(f" {k}={v}" for k, v in extra.items())
        self._log(f"{op} {target}{details}")

    def _log(self, line: str) -> None:
        fd = os.open(self.dir / "ops.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{line} pid={os.getpid()}\n".encode())
        finally:
            os.close(fd)

    def _read(self, name: str) -> dict[str, Any]:
        path = self.dir / name
        return json.loads(path.read_text()) if path.exists() else {}

    def _write(self, name: str, data: dict[str, Any]) -> None:
        tmp = self.dir / f".{name}.{os.getpid()}"
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.dir / name)

    # --- Kubernetes ----------------------------------------------------------------------

    def k8s_create_namespace(self, ns: str) -> str:
        self._op("k8s.create_namespace", ns)
        return f"ns-{ns}"

    def k8s_delete_namespace(self, ns: str) -> None:
        self._op("k8s.delete_namespace", ns)

    def k8s_poll_ready(self, ns: str, member: str, poll: int) -> bool:
        """Poll number ``poll`` (1, 2, ...) of a VNF's readiness: ready once enough polls."""
        target = f"{ns}/{member}"
        self._op("k8s.poll_ready", target, n=poll)
        return poll >= int(self._read("ready.json").get(target, 3))

    # --- VIM ------------------------------------------------------------------------------

    def vim_create_network(self, ns: str) -> str:
        self._op("vim.create_network", ns)
        return f"net-{ns}"

    def vim_delete_network(self, ns: str) -> None:
        self._op("vim.delete_network", ns)

    def vim_deploy_vnf(self, ns: str, member: str, image: str) -> str:
        self._op("vim.deploy_vnf", f"{ns}/{member}", image=image)
        return f"10.0.{sum(map(ord, ns)) % 250}.{sum(map(ord, member)) % 250}"

    def vim_undeploy_vnf(self, ns: str, member: str) -> None:
        self._op("vim.undeploy_vnf", f"{ns}/{member}")

    # --- charms ----------------------------------------------------------------------------

    def charm_configure_day1(self, ns: str, member: str) -> None:
        self._op("charm.configure_day1", f"{ns}/{member}")

    def charm_unconfigure_day1(self, ns: str, member: str) -> None:
        self._op("charm.unconfigure_day1", f"{ns}/{member}")

    # --- hosts (system patching) -----------------------------------------------------------

    def host_drain(self, host: str) -> None:
        self._op("host.drain", host)

    def host_update_step(self, host: str, step: int) -> None:
        self._op("host.update_step", host, n=step)

    def host_reboot(self, host: str) -> None:
        self._op("host.reboot", host)
