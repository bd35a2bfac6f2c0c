"""A meter for workflow code: records nothing while the workflow replays (as temporalio's
``workflow.metric_meter()``), so a value recorded once by workflow code is not recorded
again each time the run is replayed from history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from durable._metrics import MetricAttributes, MetricMeter


class _ReplaySafeMetric:
    """Proxies a metric; its recording call does nothing while ``replaying()``."""

    def __init__(self, inner: Any, replaying: Callable[[], bool]) -> None:
        self._inner, self._replaying = inner, replaying

    @property
    def name(self) -> str:
        return str(self._inner.name)

    @property
    def description(self) -> str | None:
        return self._inner.description  # type: ignore[no-any-return]

    @property
    def unit(self) -> str | None:
        return self._inner.unit  # type: ignore[no-any-return]

    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> Any:
        return _ReplaySafeMetric(self._inner.with_additional_attributes(additional_attributes),
                                 self._replaying)

    def _call(self, method: str, value: Any, attributes: MetricAttributes | None) -> None:
        if not self._replaying():
            getattr(self._inner, method)(value, attributes)

    def add(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._call("add", value, additional_attributes)

    def record(self, value: Any, additional_attributes: MetricAttributes | None = None) -> None:
        self._call("record", value, additional_attributes)

    def set(self, value: Any, additional_attributes: MetricAttributes | None = None) -> None:
        self._call("set", value, additional_attributes)


class ReplaySafeMeter(MetricMeter):
    """``inner``'s metrics, silent while ``replaying()``."""

    def __init__(self, inner: MetricMeter, replaying: Callable[[], bool]) -> None:
        self._inner, self._replaying = inner, replaying

    def _wrap(self, metric: Any) -> Any:
        return _ReplaySafeMetric(metric, self._replaying)

    def create_counter(self, name: str, description: str | None = None,
                       unit: str | None = None) -> Any:
        return self._wrap(self._inner.create_counter(name, description, unit))

    def create_histogram(self, name: str, description: str | None = None,
                         unit: str | None = None) -> Any:
        return self._wrap(self._inner.create_histogram(name, description, unit))

    def create_histogram_float(self, name: str, description: str | None = None,
                               unit: str | None = None) -> Any:
        return self._wrap(self._inner.create_histogram_float(name, description, unit))

    def create_histogram_timedelta(self, name: str, description: str | None = None,
                                   unit: str | None = None) -> Any:
        return self._wrap(self._inner.create_histogram_timedelta(name, description, unit))

    def create_gauge(self, name: str, description: str | None = None,
                     unit: str | None = None) -> Any:
        return self._wrap(self._inner.create_gauge(name, description, unit))

    def create_gauge_float(self, name: str, description: str | None = None,
                           unit: str | None = None) -> Any:
        return self._wrap(self._inner.create_gauge_float(name, description, unit))

    def with_additional_attributes(self, additional_attributes: MetricAttributes
                                   ) -> MetricMeter:
        return ReplaySafeMeter(self._inner.with_additional_attributes(additional_attributes),
                               self._replaying)
