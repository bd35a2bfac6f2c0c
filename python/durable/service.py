"""Connection settings for a durable-server (mirrors ``temporalio.service``).

Only :class:`TLSConfig` changes what ``Client.connect`` does. :class:`RetryConfig`,
:class:`KeepAliveConfig` and :class:`HttpConnectProxyConfig` exist so that code written for
temporalio constructs them unchanged; ``Client.connect`` accepts and ignores them, because
durable's transport retries UNAVAILABLE calls with backoff and reconnects by itself
(docs/temporal-compatibility.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from durable.exceptions import RPCError

__all__ = [
    "HttpConnectProxyConfig",
    "KeepAliveConfig",
    "RPCError",
    "RetryConfig",
    "TLSConfig",
]


@dataclass
class TLSConfig:
    """TLS (and mutual TLS) for ``Client.connect(..., tls=TLSConfig(...))``.

    Attributes:
        server_root_ca_cert: PEM of the CA that signed the server's certificate; None
            trusts the system's roots.
        domain: The name to verify the server's certificate against (SNI override); None
            uses the host of the target.
        client_cert: PEM of this client's certificate (mutual TLS); with
            ``client_private_key``.
        client_private_key: PEM of the key of ``client_cert``.
    """

    server_root_ca_cert: bytes | None = None
    domain: str | None = None
    client_cert: bytes | None = None
    client_private_key: bytes | None = None


@dataclass
class RetryConfig:
    """temporalio's retry settings; accepted and ignored (durable's transport retries
    UNAVAILABLE calls with its own backoff)."""

    initial_interval_millis: int = 100
    randomization_factor: float = 0.2
    multiplier: float = 1.5
    max_interval_millis: int = 5000
    max_elapsed_time_millis: int | None = 10000
    max_retries: int = 10


@dataclass(frozen=True)
class KeepAliveConfig:
    """temporalio's HTTP/2 keep-alive settings; accepted and ignored."""

    interval_millis: int = 30000
    timeout_millis: int = 15000

    default: ClassVar[KeepAliveConfig]


KeepAliveConfig.default = KeepAliveConfig()


@dataclass
class HttpConnectProxyConfig:
    """temporalio's HTTP CONNECT proxy settings; not supported by durable's transport
    (``Client.connect`` ignores them)."""

    target_host: str
    basic_auth: tuple[str, str] | None = None
