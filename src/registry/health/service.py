"""Health: a cheap liveness answer and per-component diagnostics.

Component probes (database, blob store, search index, upstream sources, jobs) run on a schedule
in a background task and every caller reads the last round's results: a burst of requests to
/health/components never turns into a burst of probes against the upstreams (an amplifier).
Only admins see the details (backends, endpoints, latencies, errors); everyone else sees each
component's status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from registry import __version__
from registry.errors import ValidationError
from registry.health.metrics import RequestMetrics
from registry.logdedup import RepeatedErrorLog

Probe = Callable[[], Awaitable[dict[str, Any] | None]]
PROBE_TIMEOUT_SECONDS = 3.0
BRIEF_KEYS = ("id", "status", "observed_at")  # what anonymous callers see of a component

log = logging.getLogger("registry.health")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def brief(component: dict[str, Any]) -> dict[str, Any]:
    """A component as anonymous callers see it: id, status and when it was observed."""
    return {key: component[key] for key in BRIEF_KEYS}


class HealthService:
    """Probes components on a schedule and shapes the contract's health documents."""

    def __init__(self, metrics: RequestMetrics, *, interval_seconds: float = 30.0) -> None:
        self.metrics = metrics
        self.interval_seconds = interval_seconds
        self._probes: dict[str, tuple[str, str, Probe]] = {}
        self._results: dict[str, dict[str, Any]] = {}
        self._refreshed_at: float | None = None
        self._round: asyncio.Task[None] | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._errors = RepeatedErrorLog(log, "health probe round failed")

    def add_probe(
        self, component_id: str, display_name: str, description: str, probe: Probe
    ) -> None:
        """Register a probe: it returns extra metrics, or raises when the component is unwell."""
        self._probes[component_id] = (display_name, description, probe)

    @property
    def refreshed_at(self) -> float | None:
        """Unix time of the last finished probe round (None before the first)."""
        return self._refreshed_at

    def start(self) -> None:
        """Start probing every interval_seconds in a background task (the first round now)."""
        if self._scheduler is None:
            self._scheduler = asyncio.create_task(self._schedule(), name="health-probes")

    async def stop(self) -> None:
        """Stop the schedule and any round in flight."""
        for task in (self._scheduler, self._round):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._scheduler = self._round = None

    async def refresh(self) -> None:
        """Run one probe round now; callers arriving during a round share it (single flight)."""
        if self._round is None or self._round.done():
            self._round = asyncio.create_task(self._probe_all(), name="health-probe-round")
        # shield: a caller that goes away does not cancel the round the others wait on.
        await asyncio.shield(self._round)

    async def _schedule(self) -> None:
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep probing whatever one round did
                self._errors.failure(exc)
            else:
                self._errors.success()
            await asyncio.sleep(self.interval_seconds)

    async def _probe_all(self) -> None:
        results = await asyncio.gather(*(self._run(cid) for cid in list(self._probes)))
        self._results = {result["id"]: result for result in results}
        self._refreshed_at = time.time()

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
        self, window_minutes: int = 60, include_timeline: bool = False, *, detailed: bool = False
    ) -> dict[str, Any]:
        """The HealthComponentCollection document from the last probe round; `detailed` (for
        admins) adds names, metrics, issues and the timeline, else each component's status."""
        if not 5 <= window_minutes <= 1440:
            raise ValidationError("windowMinutes must be between 5 and 1440")
        if self._refreshed_at is None:
            await self.refresh()  # before the schedule's first round ends: join (or run) it
        api = self._api(window_minutes * 60.0, include_timeline)
        components = [api, *(self._results[cid] for cid in self._probes if cid in self._results)]
        return {
            "components": components if detailed else [brief(c) for c in components],
            "generated_at": _iso(time.time()),
            "window_minutes": window_minutes,
        }

    def _api(self, window: float, include_timeline: bool) -> dict[str, Any]:
        # Request metrics are in-process counters: cheap, so read fresh on every call.
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
        return api
