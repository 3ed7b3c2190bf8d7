"""Dashboard numbers and chart geometry, computed from RequestMetrics samples.

The charts are server-rendered SVG: this module only does arithmetic (pure functions, easy to
test); templates draw the shapes, so every label passes through Jinja2's autoescaping.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from registry.health.metrics import RequestSample, percentiles

PERCENTILES = (50, 90, 95, 99)


@dataclass(frozen=True, slots=True)
class RouteStats:
    """One route's traffic over the window."""

    route: str
    requests: int
    errors: int  # 5xx
    client_errors: int  # 4xx
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class Bucket:
    """Requests (and failed ones) in one slice of the window."""

    start: float
    requests: int
    errors: int

    @property
    def label(self) -> str:
        """The bucket's start as HH:MM UTC."""
        return time.strftime("%H:%M", time.gmtime(self.start))


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart, in SVG user units."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class Chart:
    """Bars plus the axis scale of one chart."""

    width: int
    height: int
    bars: list[Bar]
    error_bars: list[Bar]
    max_value: float
    ticks: list[tuple[float, str]]  # (y, label)


@dataclass(frozen=True, slots=True)
class DashboardStats:
    """Everything the dashboard shows about requests."""

    total: int
    errors: int
    client_errors: int
    per_second: float
    percentiles_ms: list[tuple[str, float]]
    routes: list[RouteStats]
    buckets: list[Bucket]


def summarise(
    samples: Sequence[RequestSample], *, now: float, window: float, buckets: int = 30
) -> DashboardStats:
    """Aggregate raw samples into totals, per-route stats and a timeline."""
    by_route: dict[str, list[RequestSample]] = {}
    for sample in samples:
        by_route.setdefault(f"{sample.method} {sample.route}", []).append(sample)
    routes = []
    for route, items in by_route.items():
        p50, p95, p99 = percentiles((s.seconds * 1000 for s in items), (50, 95, 99))
        routes.append(
            RouteStats(
                route=route,
                requests=len(items),
                errors=sum(1 for s in items if s.status >= 500),
                client_errors=sum(1 for s in items if 400 <= s.status < 500),
                p50_ms=p50,
                p95_ms=p95,
                p99_ms=p99,
            )
        )
    routes.sort(key=lambda r: (-r.requests, r.route))
    width = window / buckets
    counts = [0] * buckets
    errors = [0] * buckets
    start = now - window
    for sample in samples:
        index = min(buckets - 1, max(0, int((sample.at - start) / width)))
        counts[index] += 1
        if sample.status >= 500:
            errors[index] += 1
    overall = percentiles((s.seconds * 1000 for s in samples), PERCENTILES)
    return DashboardStats(
        total=len(samples),
        errors=sum(r.errors for r in routes),
        client_errors=sum(r.client_errors for r in routes),
        per_second=len(samples) / window if window else 0.0,
        percentiles_ms=[(f"p{p}", value) for p, value in zip(PERCENTILES, overall, strict=True)],
        routes=routes,
        buckets=[Bucket(start + i * width, counts[i], errors[i]) for i in range(buckets)],
    )


def _nice_max(value: float) -> float:
    """Round an axis maximum up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _ticks(max_value: float, top: float, plot_height: float) -> list[tuple[float, str]]:
    return [(top + plot_height * (1 - i / 4), f"{max_value * i / 4:g}") for i in range(5)]


def timeline_chart(buckets: Sequence[Bucket], *, width: int = 640, height: int = 200) -> Chart:
    """Vertical bars of requests per bucket, with the failed ones drawn over them."""
    left, top, bottom = 44.0, 10.0, 24.0
    plot_w, plot_h = width - left - 8, height - top - bottom
    max_value = _nice_max(max((b.requests for b in buckets), default=0))
    slot = plot_w / max(len(buckets), 1)
    bars: list[Bar] = []
    error_bars: list[Bar] = []
    for i, bucket in enumerate(buckets):
        x = left + i * slot + slot * 0.1
        for value, target in ((bucket.requests, bars), (bucket.errors, error_bars)):
            h = plot_h * value / max_value
            target.append(Bar(x, top + plot_h - h, slot * 0.8, h, bucket.label, value))
    return Chart(width, height, bars, error_bars, max_value, _ticks(max_value, top, plot_h))


def route_chart(
    routes: Sequence[RouteStats], *, limit: int = 10, width: int = 640, row: int = 22
) -> Chart:
    """Horizontal bars of requests per route (the busiest `limit` routes)."""
    shown = list(routes[:limit])
    left, right = 260.0, 50.0
    plot_w = width - left - right
    max_value = _nice_max(max((r.requests for r in shown), default=0))
    bars: list[Bar] = []
    error_bars: list[Bar] = []
    for i, route in enumerate(shown):
        y = 4 + i * row
        bars.append(
            Bar(left, y, plot_w * route.requests / max_value, row - 6, route.route, route.requests)
        )
        failed = route.errors + route.client_errors
        error_bars.append(Bar(left, y, plot_w * failed / max_value, row - 6, route.route, failed))
    height = max(row * len(shown) + 8, 30)
    return Chart(width, height, bars, error_bars, max_value, [])
