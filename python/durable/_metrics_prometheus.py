"""A :class:`~durable.common.MetricMeter` that records into memory and is exported in the
Prometheus text format by ``prometheus_client`` (the ``durable[prometheus]`` extra).

Attributes are dynamic (temporalio's meter takes any attribute set on any call), so values
are aggregated here per (name, label set) and handed to ``prometheus_client`` as metric
families at each scrape (a custom collector); a family's label names are the union of its
series' attribute names ("" where a series has none). Durations are in seconds.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from durable._metrics import (
    MetricAttributes,
    MetricCounter,
    MetricGauge,
    MetricGaugeFloat,
    MetricHistogram,
    MetricHistogramFloat,
    MetricHistogramTimedelta,
    MetricMeter,
    _check_attributes,
    _NoopMetric,
)

# Upper bounds of histogram buckets (seconds for latencies): 1 ms .. 1 min.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
           30.0, 60.0)

_Labels = tuple[tuple[str, str], ...]


def _labels(attributes: MetricAttributes) -> _Labels:
    return tuple(sorted((k, str(v).lower() if isinstance(v, bool) else str(v))
                        for k, v in attributes.items()))


class _Family:
    """One metric name's series."""

    def __init__(self, kind: str, name: str, description: str | None) -> None:
        self.kind, self.name, self.description = kind, name, description or name
        self.values: dict[_Labels, Any] = {}  # counter/gauge: float; histogram: [counts, sum]


class MetricStore:
    """Every value a :class:`PrometheusMeter` recorded; a ``prometheus_client`` collector."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: dict[str, _Family] = {}

    def family(self, kind: str, name: str, description: str | None) -> _Family:
        with self._lock:
            f = self._families.get(name)
            if f is None:
                f = self._families[name] = _Family(kind, name, description)
            elif f.kind != kind:
                raise ValueError(f"metric {name!r} is already a {f.kind}, not a {kind}")
            return f

    def add(self, f: _Family, labels: _Labels, value: float) -> None:
        with self._lock:
            f.values[labels] = f.values.get(labels, 0.0) + value

    def set(self, f: _Family, labels: _Labels, value: float) -> None:
        with self._lock:
            f.values[labels] = value

    def observe(self, f: _Family, labels: _Labels, value: float) -> None:
        with self._lock:
            h = f.values.get(labels)
            if h is None:
                h = f.values[labels] = [[0] * (len(BUCKETS) + 1), 0.0]
            h[0][bisect.bisect_left(BUCKETS, value)] += 1
            h[1] += value

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        with self._lock:
            snapshot = [(f.kind, f.name, f.description,
                         {k: ([list(v[0]), v[1]] if f.kind == "histogram" else v)
                          for k, v in f.values.items()})
                        for f in self._families.values()]
        for kind, name, doc, values in snapshot:
            names = sorted({k for labels in values for k, _ in labels})

            def label_values(labels: _Labels, names: list[str] = names) -> list[str]:
                d = dict(labels)
                return [d.get(n, "") for n in names]

            if kind == "counter":
                fam: Any = CounterMetricFamily(name, doc, labels=names)
                for labels, v in values.items():
                    fam.add_metric(label_values(labels), v)
            elif kind == "gauge":
                fam = GaugeMetricFamily(name, doc, labels=names)
                for labels, v in values.items():
                    fam.add_metric(label_values(labels), v)
            else:
                fam = HistogramMetricFamily(name, doc, labels=names)
                for labels, (counts, total) in values.items():
                    cumulative, buckets = 0, []
                    for bound, n in zip((*map(str, BUCKETS), "+Inf"), counts):
                        cumulative += n
                        buckets.append((bound, cumulative))
                    fam.add_metric(label_values(labels), buckets, total)
            yield fam


class _Metric(_NoopMetric):
    def __init__(self, store: MetricStore, kind: str, name: str, description: str | None,
                 unit: str | None, attributes: MetricAttributes) -> None:
        super().__init__(name, description, unit)
        self._store = store
        self._family = store.family(kind, name, description)
        self._attributes = dict(attributes)
        self._kind = kind

    def with_additional_attributes(self, additional_attributes: MetricAttributes) -> Any:
        _check_attributes(additional_attributes)
        return type(self)(self._store, self._kind, self._name, self._description, self._unit,
                          {**self._attributes, **additional_attributes})

    def _labels(self, extra: MetricAttributes | None) -> _Labels:
        return _labels({**self._attributes, **(extra or {})})


class _Counter(_Metric, MetricCounter):
    def add(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=True)
        self._store.add(self._family, self._labels(additional_attributes), value)


class _Histogram(_Metric, MetricHistogram):
    def record(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=True)
        self._store.observe(self._family, self._labels(additional_attributes), value)


class _HistogramFloat(_Metric, MetricHistogramFloat):
    def record(self, value: float,
               additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=True)
        self._store.observe(self._family, self._labels(additional_attributes), value)


class _HistogramTimedelta(_Metric, MetricHistogramTimedelta):
    def record(self, value: timedelta,
               additional_attributes: MetricAttributes | None = None) -> None:
        seconds = value.total_seconds()
        self._check(seconds, additional_attributes, non_negative=True)
        self._store.observe(self._family, self._labels(additional_attributes), seconds)


class _Gauge(_Metric, MetricGauge):
    def set(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=False)
        self._store.set(self._family, self._labels(additional_attributes), value)


class _GaugeFloat(_Metric, MetricGaugeFloat):
    def set(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=False)
        self._store.set(self._family, self._labels(additional_attributes), value)


class PrometheusMeter(MetricMeter):
    """Records into ``store``; every metric it creates carries ``attributes``."""

    def __init__(self, store: MetricStore, attributes: MetricAttributes | None = None) -> None:
        self._store = store
        self._attributes = dict(attributes or {})

    def _make(self, cls: type[_Metric], kind: str, name: str, description: str | None,
              unit: str | None) -> Any:
        return cls(self._store, kind, name, description, unit, self._attributes)

    def create_counter(self, name: str, description: str | None = None,
                       unit: str | None = None) -> MetricCounter:
        return self._make(_Counter, "counter", name, description, unit)

    def create_histogram(self, name: str, description: str | None = None,
                         unit: str | None = None) -> MetricHistogram:
        return self._make(_Histogram, "histogram", name, description, unit)

    def create_histogram_float(self, name: str, description: str | None = None,
                               unit: str | None = None) -> MetricHistogramFloat:
        return self._make(_HistogramFloat, "histogram", name, description, unit)

    def create_histogram_timedelta(self, name: str, description: str | None = None,
                                   unit: str | None = None) -> MetricHistogramTimedelta:
        return self._make(_HistogramTimedelta, "histogram", name, description, unit)

    def create_gauge(self, name: str, description: str | None = None,
                     unit: str | None = None) -> MetricGauge:
        return self._make(_Gauge, "gauge", name, description, unit)

    def create_gauge_float(self, name: str, description: str | None = None,
                           unit: str | None = None) -> MetricGaugeFloat:
        return self._make(_GaugeFloat, "gauge", name, description, unit)

    def with_additional_attributes(self, additional_attributes: MetricAttributes
                                   ) -> MetricMeter:
        _check_attributes(additional_attributes)
        return PrometheusMeter(self._store, {**self._attributes, **additional_attributes})
