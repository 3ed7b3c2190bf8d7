"""In-process request metrics: a bounded ring of recent requests, aggregated on demand.

The health routes and dashboard read these instead of parsing log files; the ring is bounded
(about 24 hours at a moderate rate) so memory stays flat under any load.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class RequestSample:
    """One finished request."""

    at: float  # unix seconds
    method: str
    route: str
    status: int
    seconds: float
    client: str


class RequestMetrics:
    """Bounded store of recent request samples."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.started_at = time.time()
        self._samples: deque[RequestSample] = deque(maxlen=capacity)

    def record(self, sample: RequestSample) -> None:
        """Remember one request (O(1), no locks: the event loop is single-threaded)."""
        self._samples.append(sample)

    def window(self, seconds: float) -> list[RequestSample]:
        """Samples newer than `seconds` ago."""
        cutoff = time.time() - seconds
        result: list[RequestSample] = []
        for sample in reversed(self._samples):
            if sample.at < cutoff:
                break
            result.append(sample)
        result.reverse()
        return result

    def summary(self, seconds: float) -> dict[str, Any]:
        """Counts, errors and latency percentiles over the window."""
        samples = self.window(seconds)
        per_route: dict[str, int] = {}
        for sample in samples:
            key = f"{sample.method} {sample.route}"
            per_route[key] = per_route.get(key, 0) + 1
        p50, p99 = percentiles((s.seconds for s in samples), (50, 99))
        return {
            "total_requests": len(samples),
            "errors": sum(1 for s in samples if s.status >= 500),
            "client_errors": sum(1 for s in samples if 400 <= s.status < 500),
            "p50_ms": round(p50 * 1000, 3),
            "p99_ms": round(p99 * 1000, 3),
            "unique_clients": len({s.client for s in samples}),
            "per_route": per_route,
        }

    def timeline(self, seconds: float, buckets: int = 12) -> list[tuple[float, int]]:
        """Request counts per bucket across the window, oldest first."""
        now = time.time()
        width = seconds / buckets
        counts = [0] * buckets
        for sample in self.window(seconds):
            index = min(buckets - 1, int((sample.at - (now - seconds)) / width))
            counts[max(index, 0)] += 1
        return [(now - seconds + i * width, counts[i]) for i in range(buckets)]


def percentiles(values: Iterable[float], percents: Sequence[int]) -> list[float]:
    """Whole percentiles (1-99) of values, interpolated between samples; 0.0 each for none."""
    data = list(values)
    if len(data) < 2:  # quantiles wants two points before Python 3.13
        return [float(data[0]) if data else 0.0 for _ in percents]
    # "inclusive" (numpy's default): rank p/100 * (n - 1), never outside the observed range.
    cuts = statistics.quantiles(data, n=100, method="inclusive")
    return [cuts[p - 1] for p in percents]


class MetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and record it when the response starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            client = scope.get("client")
            self.metrics.record(
                RequestSample(
                    at=time.time(),
                    method=scope["method"],
                    route=getattr(route, "path", "(unmatched)"),
                    status=status,
                    seconds=time.perf_counter() - started,
                    client=client[0] if client else "-",
                )
            )
