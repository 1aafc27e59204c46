"""Counters, gauges and histograms, and their Prometheus text (exposition format 0.0.4).

Written here rather than taken from prometheus_client: that package imports its own
HTTP exposition servers (http.server, wsgiref, socketserver, …) and cost ≈ 2 MB of an
idle server (issue 18: idle ≤ 50 MiB). The text is byte for byte what
prometheus_client writes for the same figures (`tests/server/test_exposition.py`
compares them): a counter as `<name>_total` with a `<name>_created` gauge after it, a
histogram as cumulative `_bucket`s, `_count`, `_sum` and `_created`, labels sorted by
name, values as Go prints floats. Used from the event loop's thread only: no locks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Generic, Protocol, TypeVar

INF = float("inf")
QUOTE, ESCAPED_QUOTE = '"', '\\"'
Labels = tuple[tuple[str, str], ...]  # (name, value) pairs
Sample = tuple[str, Labels, float]  # full sample name, labels, value


def go_float(value: float) -> str:
    """A value as Prometheus (Go) prints it: 1.0, +Inf, NaN, 1.764e+09."""
    value = float(value)
    if value == INF:
        return "+Inf"
    if value == -INF:
        return "-Inf"
    if math.isnan(value):
        return "NaN"
    text = repr(value)
    dot = text.find(".")
    if value > 0 and dot > 6:  # Go switches to an exponent sooner than Python
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


class Family:
    """One metric's samples at a scrape."""

    __slots__ = ("name", "kind", "documentation", "samples")

    def __init__(self, name: str, kind: str, documentation: str) -> None:
        self.name, self.kind, self.documentation = name, kind, documentation
        self.samples: list[Sample] = []


class GaugeFamily(Family):
    """A gauge computed at scrape time by a collector (`core/floor_metrics.py`)."""

    __slots__ = ("labelnames",)

    def __init__(self, name: str, documentation: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, "gauge", documentation)
        self.labelnames = tuple(labels)

    def add_metric(self, values: Sequence[str], value: float) -> None:
        self.samples.append((self.name, tuple(zip(self.labelnames, values, strict=True)), value))


class Collector(Protocol):
    def collect(self) -> Iterable[Family]: ...


class Registry:
    """The metrics and collectors of one server, in the order registered."""

    def __init__(self) -> None:
        self.collectors: list[Collector] = []

    def register(self, collector: Collector) -> None:
        self.collectors.append(collector)

    def collect(self) -> Iterator[Family]:
        for collector in self.collectors:
            yield from collector.collect()

    def render(self) -> bytes:
        return render(self.collect())


def _escape(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _line(name: str, labels: Labels, value: float) -> str:
    if not labels:
        return f"{name} {go_float(value)}\n"
    pairs = ",".join(
        f'{key}="{_escape(text).replace(QUOTE, ESCAPED_QUOTE)}"' for key, text in sorted(labels)
    )
    return f"{name}{{{pairs}}} {go_float(value)}\n"


def render(families: Iterable[Family]) -> bytes:
    """The text of every family: HELP, TYPE, samples; `_created` samples in a gauge after."""
    out: list[str] = []
    for family in families:
        shown = family.name + "_total" if family.kind == "counter" else family.name
        doc = _escape(family.documentation)
        out.append(f"# HELP {shown} {doc}\n# TYPE {shown} {family.kind}\n")
        created_name = family.name + "_created"
        created: list[str] = []
        for name, labels, value in family.samples:
            (created if name == created_name else out).append(_line(name, labels, value))
        if created:
            out.append(f"# HELP {created_name} {doc}\n# TYPE {created_name} gauge\n")
            out.extend(created)
    return "".join(out).encode("utf-8")


class CounterValue:
    __slots__ = ("value", "created")

    def __init__(self) -> None:
        self.value, self.created = 0.0, time.time()

    def inc(self, amount: float = 1) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        self.value += amount

    def samples(self, name: str, labels: Labels, out: list[Sample]) -> None:
        out.append((name + "_total", labels, self.value))
        out.append((name + "_created", labels, self.created))


class GaugeValue:
    __slots__ = ("value", "function")

    def __init__(self) -> None:
        self.value = 0.0
        self.function: Callable[[], float] | None = None

    def inc(self, amount: float = 1) -> None:
        self.value += amount

    def dec(self, amount: float = 1) -> None:
        self.value -= amount

    def set(self, value: float) -> None:
        self.value = float(value)

    def set_function(self, function: Callable[[], float]) -> None:
        """The value is `function()` at each scrape."""
        self.function = function

    def samples(self, name: str, labels: Labels, out: list[Sample]) -> None:
        value = self.value if self.function is None else float(self.function())
        out.append((name, labels, value))


class HistogramValue:
    __slots__ = ("bounds", "counts", "sum", "created")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds, self.counts = bounds, [0] * len(bounds)
        self.sum, self.created = 0.0, time.time()

    def observe(self, amount: float) -> None:
        self.sum += amount
        for i, bound in enumerate(self.bounds):
            if amount <= bound:
                self.counts[i] += 1
                break

    def samples(self, name: str, labels: Labels, out: list[Sample]) -> None:
        running = 0.0
        for bound, count in zip(self.bounds, self.counts, strict=True):
            running += count
            out.append((name + "_bucket", (*labels, ("le", go_float(bound))), running))
        out.append((name + "_count", labels, running))
        out.append((name + "_sum", labels, self.sum))
        out.append((name + "_created", labels, self.created))


V = TypeVar("V", CounterValue, GaugeValue, HistogramValue)


class _Metric(Generic[V]):
    """A metric with its label names; one value per combination of label values."""

    kind = ""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], registry: Registry
    ) -> None:
        self.name, self.documentation = name, documentation
        self.labelnames = tuple(labelnames)
        self._values: dict[tuple[str, ...], V] = {}
        self._only: V | None = None if self.labelnames else self._new()
        registry.register(self)

    def _new(self) -> V:
        raise NotImplementedError

    @property
    def only(self) -> V:
        """The value of a metric without labels."""
        if self._only is None:
            raise ValueError(f"{self.name} has labels: use labels()")
        return self._only

    def labels(self, *values: object) -> V:
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}")
        key = tuple(str(v) for v in values)
        value = self._values.get(key)
        if value is None:
            value = self._values[key] = self._new()
        return value

    def clear(self) -> None:
        self._values.clear()

    def collect(self) -> Iterator[Family]:
        family = Family(self.name, self.kind, self.documentation)
        if self._only is not None:
            self._only.samples(self.name, (), family.samples)
        for key, value in self._values.items():
            value.samples(self.name, tuple(zip(self.labelnames, key, strict=True)), family.samples)
        yield family


class Counter(_Metric[CounterValue]):
    kind = "counter"

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str] = (), *, registry: Registry
    ) -> None:
        super().__init__(name, documentation, labelnames, registry)

    def _new(self) -> CounterValue:
        return CounterValue()

    def inc(self, amount: float = 1) -> None:
        self.only.inc(amount)


class Gauge(_Metric[GaugeValue]):
    kind = "gauge"

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str] = (), *, registry: Registry
    ) -> None:
        super().__init__(name, documentation, labelnames, registry)

    def _new(self) -> GaugeValue:
        return GaugeValue()

    def inc(self, amount: float = 1) -> None:
        self.only.inc(amount)

    def dec(self, amount: float = 1) -> None:
        self.only.dec(amount)

    def set(self, value: float) -> None:
        self.only.set(value)

    def set_function(self, function: Callable[[], float]) -> None:
        self.only.set_function(function)


class Histogram(_Metric[HistogramValue]):
    kind = "histogram"

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        buckets: Sequence[float],
        registry: Registry,
    ) -> None:
        bounds = [float(b) for b in buckets]
        if bounds != sorted(bounds):
            raise ValueError("buckets not in order")
        self.bounds = (*bounds, INF) if bounds[-1] != INF else tuple(bounds)
        super().__init__(name, documentation, labelnames, registry)

    def _new(self) -> HistogramValue:
        return HistogramValue(self.bounds)

    def observe(self, amount: float) -> None:
        self.only.observe(amount)
