"""The server's /metrics text without prometheus_client (issue 18, idle memory): the
same figures give the same bytes as prometheus_client writes, every metric of the
server's `Metrics` included, so scrapers and dashboards see no difference."""

import math
import time

import prometheus_client
import pytest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString

from queue_server.core import exposition
from queue_server.core.metrics import Metrics

TRICKY_LABELS = ("kiosk", 'a"b\\c\nd', "Tiếng Việt")
OBSERVED = (0.0, 0.0001, 0.003, 0.02, 1, 7.5, 1e10, math.inf)
CREATED = 1764769234.123456  # every `_created` stamp, so both texts can be compared


def twin(metric, registry: prometheus_client.CollectorRegistry):
    """prometheus_client's metric of the same name, kind, help, labels (and buckets)."""
    kind = {"counter": prometheus_client.Counter, "gauge": prometheus_client.Gauge}
    if metric.kind == "histogram":
        return prometheus_client.Histogram(
            metric.name,
            metric.documentation,
            metric.labelnames,
            buckets=metric.bounds,
            registry=registry,
        )
    return kind[metric.kind](
        metric.name, metric.documentation, metric.labelnames, registry=registry
    )


def drive(metric, kind: str, labelnames: tuple[str, ...], n: int) -> None:
    """The same operations on either library's metric."""
    if labelnames:
        values = [
            [TRICKY_LABELS[(i + j) % len(TRICKY_LABELS)] for j in range(len(labelnames))]
            for i in range(2)
        ]
        series = [metric.labels(*v) for v in values]
    else:
        series = [metric]
    for k, one in enumerate(series):
        if kind == "counter":
            one.inc()
            one.inc(0.5 + n + k)
        elif kind == "gauge":
            if n % 3 == 2 and not labelnames:
                one.set_function(lambda n=n: n * 1.5e7)
            else:
                one.set(n + 0.25)
                one.inc(3)
                one.dec()
        else:
            for value in OBSERVED[: n % len(OBSERVED) + 1]:
                one.observe(value)


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: CREATED)


def test_every_server_metric_renders_as_prometheus_client_would(fixed_clock):
    ours = Metrics()
    theirs = prometheus_client.CollectorRegistry()
    for n, metric in enumerate(ours.registry.collectors):
        assert isinstance(metric, exposition._Metric)
        other = twin(metric, theirs)
        drive(metric, metric.kind, metric.labelnames, n)
        drive(other, metric.kind, metric.labelnames, n)
    expected = prometheus_client.generate_latest(theirs)
    assert ours.render().decode() == expected.decode()
    assert len(list(text_string_to_metric_families(ours.render().decode()))) > 10


def test_untouched_and_cleared_metrics_render_alike(fixed_clock):
    ours = Metrics()
    theirs = prometheus_client.CollectorRegistry()
    for metric in ours.registry.collectors:
        twin(metric, theirs)
    assert ours.render() == prometheus_client.generate_latest(theirs)
    ours.show_shipper(
        {"unacknowledged": 3, "since_ack": 4.5, "status_age": 1, "failing": 1, "last_error": "x"}
    )
    ours.show_shipper(
        {"unacknowledged": 0, "since_ack": 0, "status_age": 1, "failing": 0, "last_error": ""}
    )
    text = ours.render().decode()
    assert text.endswith("# TYPE xephang_shipper_last_error gauge\n")  # the last one, cleared
    assert "xephang_shipper_last_error{" not in text


def test_collected_gauges_render_as_prometheus_clients_families():
    ours, theirs = (
        exposition.GaugeFamily("xephang_x", "Help with \\ and\nnewline", labels=["zone", "a"]),
        GaugeMetricFamily("xephang_x", "Help with \\ and\nnewline", labels=["zone", "a"]),
    )
    for family in (ours, theirs):
        family.add_metric(["1", 'q"'], 1)
        family.add_metric(["Tiếng Việt", "z"], 1764769234.5)
    registry = exposition.Registry()
    registry.register(type("C", (), {"collect": lambda self: iter([ours])})())
    other = prometheus_client.CollectorRegistry()
    other.register(type("C", (), {"collect": lambda self: iter([theirs])})())
    assert registry.render() == prometheus_client.generate_latest(other)


@pytest.mark.parametrize(
    "value",
    [0, 1, -1, 0.5, 1e-9, 123456.7, 1234567.0, 1764769234.123456, 1e16, -1e16, 2.5e300]
    + [math.inf, -math.inf, math.nan, 1 / 3],
)
def test_values_print_as_go_prints_them(value):
    assert exposition.go_float(value) == floatToGoString(value)


def test_a_counter_refuses_to_go_down_and_labels_must_match():
    metrics = Metrics()
    with pytest.raises(ValueError):
        metrics.issued.inc(-1)
    with pytest.raises(ValueError):
        metrics.messages.labels("sms")
    with pytest.raises(ValueError):
        metrics.connections.inc()  # it has labels
