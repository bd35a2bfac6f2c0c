"""The client side's record of what it was told: one JSON line per attempt and per
acknowledgement, fsynced before the harness goes on, so it survives the kill of the process
that wrote it. The invariant checker holds history against it."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any


class AckLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()

    def write(self, kind: str, **fields: Any) -> None:
        line = json.dumps({"kind": kind, **fields}, sort_keys=True) + "\n"
        with self._lock:
            os.write(self._fd, line.encode())
            os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def read(path: str) -> Iterator[dict[str, Any]]:
    """Every whole line (a line torn by a kill mid-write is not an acknowledgement)."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        for line in f:
            if line.endswith("\n"):
                yield json.loads(line)
