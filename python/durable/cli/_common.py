"""What client commands share: parsing durations and JSON inputs, and running an async
command with a connected Client."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from durable.cli._exit import UsageError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def duration(text: str, flag: str) -> timedelta:
    """``90s``, ``5m``, ``1h30m``, ``7d``, ``250ms`` (Go-style, plus ``d``) or plain seconds.

    Raises:
        UsageError: not a positive duration (the message names the flag).
    """
    t = text.strip()
    try:
        seconds = float(t)
    except ValueError:
        parts = _DURATION.findall(t)
        if not parts or "".join(n + u for n, u in parts) != t:
            raise UsageError(f"{flag}: {text!r} is not a duration (e.g. 30s, 5m, 1h30m, 7d)")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise UsageError(f"{flag}: the duration must be positive, got {text!r}")
    return timedelta(seconds=seconds)


def json_values(texts: list[str] | None, flag: str = "--input") -> list[Any]:
    """Each ``--input`` as one JSON value (one argument each)."""
    values = []
    for t in texts or []:
        try:
            values.append(json.loads(t))
        except json.JSONDecodeError as e:
            raise UsageError(f"{flag} {t!r} is not JSON ({e.msg} at position {e.pos}); "
                             f"quote strings: {flag} '\"text\"'") from None
    return values


def add_input_arg(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--input", "-i", action="append", metavar="JSON",
                        help=f"{what} argument as JSON (repeat for several: -i 1 -i '\"b\"')")


def run_with_client(args: argparse.Namespace,
                    command: Callable[[argparse.Namespace, Any], Awaitable[int | None]],
                    *, namespace: str | None = None) -> int:
    """Connect as the flags say (``namespace`` overrides), run ``command(args, client)``,
    close; returns its exit code (0 for None)."""
    from durable.cli._connect import connect

    async def go() -> int:
        saved = args.namespace
        if namespace is not None:
            args.namespace = namespace
        client = await connect(args)
        args.namespace = saved
        try:
            return int(await command(args, client) or 0)
        finally:
            await client.close()

    return asyncio.run(go())
