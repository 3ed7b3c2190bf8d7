"""Health: a cheap liveness answer and per-component diagnostics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from registry import __version__
from registry.errors import ValidationError
from registry.health.metrics import RequestMetrics

Probe = Callable[[], Awaitable[dict[str, Any] | None]]
PROBE_TIMEOUT_SECONDS = 3.0


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class HealthService:
    """Runs component probes concurrently and shapes the contract's health documents."""

    def __init__(self, metrics: RequestMetrics) -> None:
        self.metrics = metrics
        self._probes: dict[str, tuple[str, str, Probe]] = {}

    def add_probe(
        self, component_id: str, display_name: str, description: str, probe: Probe
    ) -> None:
        """Register a probe: it returns extra metrics, or raises when the component is unwell."""
        self._probes[component_id] = (display_name, description, probe)

    async def _run(self, component_id: str) -> dict[str, Any]:
        display_name, description, probe = self._probes[component_id]
        started = time.perf_counter()
        status, issues, metrics = "ok", [], {}
        try:
            extra = await asyncio.wait_for(probe(), PROBE_TIMEOUT_SECONDS)
            metrics.update(extra or {})
        except TimeoutError:
            status = "critical"
            issues.append(
                {
                    "code": "timeout",
                    "severity": "error",
                    "summary": f"{display_name} did not answer in {PROBE_TIMEOUT_SECONDS:g} s",
                }
            )
        except Exception as exc:  # a probe failure is the finding, never a crash
            status = "critical"
            message = getattr(exc, "message", None) or type(exc).__name__
            issues.append(
                {"code": "unavailable", "severity": "error", "summary": str(message)[:300]}
            )
        metrics["probe_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return {
            "id": component_id,
            "display_name": display_name,
            "status": status,
            "observed_at": _iso(time.time()),
            "description": description,
            "metrics": metrics,
            "issues": issues,
        }

    async def components(
        self, window_minutes: int = 60, include_timeline: bool = False
    ) -> dict[str, Any]:
        """The HealthComponentCollection document."""
        if not 5 <= window_minutes <= 1440:
            raise ValidationError("windowMinutes must be between 5 and 1440")
        details = list(await asyncio.gather(*(self._run(cid) for cid in self._probes)))
        window = window_minutes * 60.0
        summary = self.metrics.summary(window)
        api: dict[str, Any] = {
            "id": "api",
            "display_name": "REST API",
            "status": "degraded" if summary["errors"] else "ok",
            "observed_at": _iso(time.time()),
            "description": "Request handling by this registry process",
            "metrics": {k: v for k, v in summary.items() if k != "per_route"}
            | {
                "uptime_seconds": int(time.time() - self.metrics.started_at),
                "version": __version__,
            },
            "issues": (
                [
                    {
                        "code": "server_errors",
                        "severity": "warning",
                        "summary": f"{summary['errors']} requests failed with 5xx",
                    }
                ]
                if summary["errors"]
                else []
            ),
        }
        if include_timeline:
            api["timeline"] = [
                {"bucket": _iso(bucket), "value": count, "unit": "requests"}
                for bucket, count in self.metrics.timeline(window)
            ]
        return {
            "components": [api, *details],
            "generated_at": _iso(time.time()),
            "window_minutes": window_minutes,
        }
