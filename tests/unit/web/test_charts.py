"""Dashboard arithmetic: percentiles, per-route stats, timeline buckets, chart geometry."""

from __future__ import annotations

from registry.health.metrics import RequestSample, percentiles
from registry.web.charts import route_chart, summarise, timeline_chart

NOW = 1_000_000.0


def sample(at: float, route: str = "/x", status: int = 200, ms: float = 10.0) -> RequestSample:
    return RequestSample(
        at=at, method="GET", route=route, status=status, seconds=ms / 1000, client="c"
    )


def test_percentiles_interpolate_between_samples() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # any order
    assert percentiles(values, (50, 99)) == [50.5, 99.01]
    assert percentiles([7.0], (50, 99)) == [7.0, 7.0]
    assert percentiles([], (50,)) == [0.0]


def test_summarise_counts_routes_errors_and_latency() -> None:
    samples = [
        sample(NOW - 10, "/a", 200, 5),
        sample(NOW - 9, "/a", 500, 100),
        sample(NOW - 8, "/b", 404, 1),
    ]
    stats = summarise(samples, now=NOW, window=3600, buckets=30)
    assert stats.total == 3
    assert stats.errors == 1
    assert stats.client_errors == 1
    first = stats.routes[0]
    assert (first.route, first.requests, first.errors) == ("GET /a", 2, 1)
    assert first.p99_ms == 99.05  # 5 + 0.99 * (100 - 5)
    assert dict(stats.percentiles_ms)["p50"] == 5.0


def test_timeline_puts_samples_in_their_bucket() -> None:
    samples = [sample(NOW - 3599), sample(NOW - 1), sample(NOW - 1, status=503)]
    stats = summarise(samples, now=NOW, window=3600, buckets=30)
    assert len(stats.buckets) == 30
    assert stats.buckets[0].requests == 1
    assert stats.buckets[-1].requests == 2
    assert stats.buckets[-1].errors == 1
    assert sum(b.requests for b in stats.buckets) == 3


def test_timeline_chart_scales_bars_to_a_nice_maximum() -> None:
    stats = summarise([sample(NOW - 1)] * 7, now=NOW, window=3600, buckets=10)
    chart = timeline_chart(stats.buckets, width=640, height=200)
    assert chart.max_value == 10
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.value == 7
    assert 0 < tallest.height < 200
    assert all(b.height == 0 for b in chart.bars[:-1])
    assert [label for _y, label in chart.ticks] == ["0", "2.5", "5", "7.5", "10"]


def test_empty_window_draws_empty_charts() -> None:
    stats = summarise([], now=NOW, window=3600)
    assert stats.total == 0
    assert timeline_chart(stats.buckets).max_value == 1
    assert route_chart(stats.routes).bars == []


def test_route_chart_keeps_the_busiest_routes() -> None:
    samples = [sample(NOW - 1, f"/r{i}") for i in range(12) for _ in range(i + 1)]
    chart = route_chart(summarise(samples, now=NOW, window=3600).routes, limit=10)
    assert len(chart.bars) == 10
    assert chart.bars[0].label == "GET /r11"
    assert chart.bars[0].width > chart.bars[-1].width
