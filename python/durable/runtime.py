"""Process-wide runtime settings: telemetry (temporalio's ``temporalio.runtime``).

A :class:`Runtime` whose ``TelemetryConfig.metrics`` is a :class:`PrometheusConfig` serves
``/metrics`` in the Prometheus text format on ``bind_address`` (``prometheus_client``, the
``durable[prometheus]`` extra) with the SDK-side metrics of every worker whose client uses
it (docs/metrics.md) and what workflows and activities record on ``metric_meter()``::

    runtime = Runtime(telemetry=TelemetryConfig(
        metrics=PrometheusConfig(bind_address="127.0.0.1:9464")))
    client = await Client.connect("localhost:7233", runtime=runtime)

Without one, clients use :meth:`Runtime.default`, which records nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from durable._metrics import MetricMeter

__all__ = ["PrometheusConfig", "Runtime", "TelemetryConfig"]


@dataclass(frozen=True)
class PrometheusConfig:
    """Serve metrics for Prometheus to scrape.

    Attributes:
        bind_address: ``host:port`` of the HTTP listener (port 0 picks a free one; see
            :attr:`Runtime.prometheus_address`).
        counters_total_suffix, unit_suffix, durations_as_seconds, histogram_bucket_overrides:
            temporalio's; accepted for compatibility. durable always names counters
            ``*_total`` and records durations in seconds.
    """

    bind_address: str
    counters_total_suffix: bool = False
    unit_suffix: bool = False
    durations_as_seconds: bool = False
    histogram_bucket_overrides: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TelemetryConfig:
    """Telemetry of a :class:`Runtime`.

    Attributes:
        metrics: Where metrics go: a :class:`PrometheusConfig`, or None (nowhere).
        global_tags: Attributes added to every metric.
        logging, attach_service_name, metric_prefix: temporalio's; accepted and ignored.
    """

    metrics: PrometheusConfig | None = None
    global_tags: Mapping[str, str] = field(default_factory=dict)
    logging: Any = None
    attach_service_name: bool = True
    metric_prefix: str | None = None


class Runtime:
    """Telemetry shared by the clients (and their workers) that use it.

    Raises:
        ImportError: Prometheus metrics without ``prometheus_client`` installed.
        OSError: ``bind_address`` cannot be bound.
        ValueError: ``bind_address`` is not ``host:port``.
    """

    _default: ClassVar[Runtime | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, *, telemetry: TelemetryConfig | None = None, **ignored: Any) -> None:
        self.telemetry = telemetry or TelemetryConfig()
        self._meter: MetricMeter = MetricMeter.noop
        self._server: Any = None
        self._address = ""
        prom = self.telemetry.metrics
        if isinstance(prom, PrometheusConfig):
            self._start_prometheus(prom)
        elif prom is not None:
            raise TypeError(f"TelemetryConfig.metrics: expected a PrometheusConfig, got "
                            f"{type(prom).__name__}")

    def _start_prometheus(self, config: PrometheusConfig) -> None:
        host, sep, port = config.bind_address.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"PrometheusConfig.bind_address: expected host:port, got "
                             f"{config.bind_address!r}")
        try:
            import prometheus_client
        except ImportError as e:
            raise ImportError("Prometheus metrics need prometheus_client: "
                              "pip install 'durable[prometheus]'") from e
        from durable._metrics_prometheus import MetricStore, PrometheusMeter

        store = MetricStore()
        registry = prometheus_client.CollectorRegistry(auto_describe=False)
        registry.register(store)  # type: ignore[arg-type]
        host = host.strip("[]") or "0.0.0.0"
        self._server, _ = prometheus_client.start_http_server(int(port), host, registry)
        self._address = f"{host}:{self._server.server_port}"
        self._meter = PrometheusMeter(store, dict(self.telemetry.global_tags))

    @property
    def metric_meter(self) -> MetricMeter:
        """The runtime's meter (``MetricMeter.noop`` without metrics)."""
        return self._meter

    @property
    def prometheus_address(self) -> str:
        """``host:port`` the Prometheus endpoint listens on ("" without one); durable's."""
        return self._address

    def shutdown(self) -> None:
        """Stop the Prometheus endpoint (durable's; temporalio runtimes live until exit)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @staticmethod
    def default() -> Runtime:
        """The runtime of clients given none (made on first use: no metrics)."""
        with Runtime._default_lock:
            if Runtime._default is None:
                Runtime._default = Runtime()
            return Runtime._default

    @staticmethod
    def set_default(runtime: Runtime, *, error_if_already_set: bool = True) -> None:
        """Make ``runtime`` the default.

        Raises:
            RuntimeError: A default exists already and ``error_if_already_set``.
        """
        with Runtime._default_lock:
            if Runtime._default is not None and error_if_already_set:
                raise RuntimeError("the default runtime is already set")
            Runtime._default = runtime
