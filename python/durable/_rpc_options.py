"""Per-call ``rpc_metadata`` / ``rpc_timeout`` of client calls (as temporalio's).

A client method sets them for the duration of the call (a contextvar, so interceptors in
between see the same call); ``Transport.call_async`` hands them to the core with each rpc
the call makes. Over gRPC (durable-server) the metadata goes on the wire, replacing the
connection's ``rpc_metadata`` / ``api_key`` value of the same key, and the timeout is each
attempt's deadline (``DeadlineExceededError`` when it passes). The embedded engine has no
wire: it checks and ignores them (docs/temporal-compatibility.md).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from datetime import timedelta


# (metadata pairs, timeout in µs; 0 = the default)
Options = tuple[tuple[tuple[str, str], ...], int]
_current: contextvars.ContextVar[Options | None] = contextvars.ContextVar(
    "durable_rpc_options", default=None)


def _check(rpc_metadata: Mapping[str, str | bytes], rpc_timeout: timedelta | None) -> Options:
    if not isinstance(rpc_metadata, Mapping):
        raise TypeError(f"rpc_metadata must be a mapping of str to str, got "
                        f"{type(rpc_metadata).__name__}")
    pairs = []
    for k, v in rpc_metadata.items():
        if not isinstance(k, str) or not k:
            raise ValueError(f"rpc_metadata keys must be non-empty strings, got {k!r}")
        if isinstance(v, bytes):
            v = v.decode()
        if not isinstance(v, str):
            raise TypeError(f"rpc_metadata[{k!r}] must be a string, got {type(v).__name__}")
        pairs.append((k.lower(), v))
    timeout_us = 0
    if rpc_timeout is not None:
        if not isinstance(rpc_timeout, timedelta) or rpc_timeout <= timedelta():
            raise ValueError(f"rpc_timeout must be a timedelta > 0 or None, got {rpc_timeout!r}")
        timeout_us = max(1, rpc_timeout // timedelta(microseconds=1))
    return tuple(pairs), timeout_us


@contextlib.contextmanager
def rpc_options(rpc_metadata: Mapping[str, str | bytes] = {},  # noqa: B006 (read only)
                rpc_timeout: timedelta | None = None) -> Iterator[None]:
    """Make the rpcs of the enclosed client call carry these options."""
    options = _check(rpc_metadata, rpc_timeout)
    if not options[0] and not options[1]:
        yield
        return
    token = _current.set(options)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Options | None:
    """The options of the client call in progress in this context, if it set any."""
    return _current.get()


