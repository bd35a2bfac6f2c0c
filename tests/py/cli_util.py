"""Running the ``durable`` CLI in tests: in-process (``main(argv)`` on a thread, so the
test's worker goes on running on the test's loop), against the test's target. The ``cli``
fixture (conftest.py) gives one for the test's transport."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

from durable.cli.main import main


class Cli:
    """Runs ``durable ARGV --<target>`` in-process; returns (exit code, stdout, stderr)."""

    def __init__(self, target: list[str]) -> None:
        self.target = target

    async def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = await asyncio.to_thread(main, [*argv, *self.target], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    async def json(self, *argv: str) -> Any:
        """``-o json`` output, parsed; the command must succeed."""
        code, out, err = await self(*argv, "-o", "json")
        assert code == 0, err
        return json.loads(out)
