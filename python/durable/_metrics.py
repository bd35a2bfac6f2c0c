"""Metric meter interface (temporalio's ``temporalio.common.MetricMeter``), re-exported by
``durable.common``.

``workflow.metric_meter()`` and ``activity.metric_meter()`` return :attr:`MetricMeter.noop`
for now: durable exports no metrics yet, so the meter records nothing, but it checks its
input as temporalio's does (a negative counter increment is a ``ValueError``, an attribute
value that is not str/int/float/bool a ``TypeError``), so code written against it runs
and fails the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar, Union

MetricAttributes = Mapping[str, Union[str, int, float, bool]]


def _check_attributes(attributes: MetricAttributes | None) -> None:
    for key, value in (attributes or {}).items():
        if not isinstance(key, str) or not isinstance(value, (str, int, float, bool)):
            raise TypeError(f"metric attribute {key!r}: values must be str, int, float or "
                            f"bool, got {type(value).__name__}")


class MetricCommon(ABC):
    """What every metric has."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The metric's name."""

    @property
    @abstractmethod
    def description(self) -> str | None:
        """Its description."""

    @property
    @abstractmethod
    def unit(self) -> str | None:
        """Its unit."""

    @abstractmethod
    def with_additional_attributes(self, additional_attributes: MetricAttributes
                                   ) -> MetricCommon:
        """This metric with more attributes on every value it records.

        Raises:
            TypeError: An attribute value of the wrong type.
        """


class MetricCounter(MetricCommon):
    """A counter: values only add up."""

    @abstractmethod
    def add(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        """Add ``value`` (>= 0).

        Raises:
            ValueError: ``value`` is negative.
            TypeError: An attribute value of the wrong type.
        """


class MetricHistogram(MetricCommon):
    """A histogram of integers."""

    @abstractmethod
    def record(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        """Record ``value`` (>= 0)."""


class MetricHistogramFloat(MetricCommon):
    """A histogram of floats."""

    @abstractmethod
    def record(self, value: float,
               additional_attributes: MetricAttributes | None = None) -> None:
        """Record ``value`` (>= 0)."""


class MetricHistogramTimedelta(MetricCommon):
    """A histogram of durations (millisecond precision)."""

    @abstractmethod
    def record(self, value: timedelta,
               additional_attributes: MetricAttributes | None = None) -> None:
        """Record ``value`` (>= 0)."""


class MetricGauge(MetricCommon):
    """A gauge of integers: the last value set."""

    @abstractmethod
    def set(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        """Set the gauge to ``value``."""


class MetricGaugeFloat(MetricCommon):
    """A gauge of floats."""

    @abstractmethod
    def set(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        """Set the gauge to ``value``."""


class MetricMeter(ABC):
    """Creates metrics. ``MetricMeter.noop`` records nothing."""

    noop: ClassVar[MetricMeter]

    @abstractmethod
    def create_counter(self, name: str, description: str | None = None,
                       unit: str | None = None) -> MetricCounter:
        """A counter named ``name``."""

    @abstractmethod
    def create_histogram(self, name: str, description: str | None = None,
                         unit: str | None = None) -> MetricHistogram:
        """An integer histogram."""

    @abstractmethod
    def create_histogram_float(self, name: str, description: str | None = None,
                               unit: str | None = None) -> MetricHistogramFloat:
        """A float histogram."""

    @abstractmethod
    def create_histogram_timedelta(self, name: str, description: str | None = None,
                                   unit: str | None = None) -> MetricHistogramTimedelta:
        """A duration histogram."""

    @abstractmethod
    def create_gauge(self, name: str, description: str | None = None,
                     unit: str | None = None) -> MetricGauge:
        """An integer gauge."""

    @abstractmethod
    def create_gauge_float(self, name: str, description: str | None = None,
                           unit: str | None = None) -> MetricGaugeFloat:
        """A float gauge."""

    @abstractmethod
    def with_additional_attributes(self, additional_attributes: MetricAttributes
                                   ) -> MetricMeter:
        """This meter with more attributes on every metric it creates.

        Raises:
            TypeError: An attribute value of the wrong type.
        """


# --- The no-op meter -------------------------------------------------------------------------


class _NoopMetric(MetricCommon):
    def __init__(self, name: str, description: str | None, unit: str | None) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a metric needs a non-empty name, got {name!r}")
        self._name, self._description, self._unit = name, description, unit

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str | None:
        return self._description

    @property
    def unit(self) -> str | None:
        return self._unit

    def with_additional_attributes(self, additional_attributes: MetricAttributes
                                   ) -> _NoopMetric:
        _check_attributes(additional_attributes)
        return self

    def _check(self, value: float, attributes: MetricAttributes | None,
               *, non_negative: bool) -> None:
        _check_attributes(attributes)
        if non_negative and value < 0:
            raise ValueError(f"metric {self._name!r}: value must not be negative, got {value}")


class _NoopCounter(MetricCounter, _NoopMetric):
    def add(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=True)


class _NoopHistogram(MetricHistogram, _NoopMetric):
    def record(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=True)


class _NoopHistogramFloat(MetricHistogramFloat, _NoopMetric):
    def record(self, value: float,
               additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=True)


class _NoopHistogramTimedelta(MetricHistogramTimedelta, _NoopMetric):
    def record(self, value: timedelta,
               additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value.total_seconds(), additional_attributes, non_negative=True)


class _NoopGauge(MetricGauge, _NoopMetric):
    def set(self, value: int, additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=False)


class _NoopGaugeFloat(MetricGaugeFloat, _NoopMetric):
    def set(self, value: float, additional_attributes: MetricAttributes | None = None) -> None:
        self._check(value, additional_attributes, non_negative=False)


class _NoopMetricMeter(MetricMeter):
    def create_counter(self, name: str, description: str | None = None,
                       unit: str | None = None) -> MetricCounter:
        return _NoopCounter(name, description, unit)

    def create_histogram(self, name: str, description: str | None = None,
                         unit: str | None = None) -> MetricHistogram:
        return _NoopHistogram(name, description, unit)

    def create_histogram_float(self, name: str, description: str | None = None,
                               unit: str | None = None) -> MetricHistogramFloat:
        return _NoopHistogramFloat(name, description, unit)

    def create_histogram_timedelta(self, name: str, description: str | None = None,
                                   unit: str | None = None) -> MetricHistogramTimedelta:
        return _NoopHistogramTimedelta(name, description, unit)

    def create_gauge(self, name: str, description: str | None = None,
                     unit: str | None = None) -> MetricGauge:
        return _NoopGauge(name, description, unit)

    def create_gauge_float(self, name: str, description: str | None = None,
                           unit: str | None = None) -> MetricGaugeFloat:
        return _NoopGaugeFloat(name, description, unit)

    def with_additional_attributes(self, additional_attributes: MetricAttributes
                                   ) -> MetricMeter:
        _check_attributes(additional_attributes)
        return self


MetricMeter.noop = _NoopMetricMeter()
