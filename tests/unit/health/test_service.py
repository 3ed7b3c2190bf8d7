"""HealthService: probes run on a schedule and once per round however many callers ask."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from registry.errors import SourceUnavailableError, ValidationError
from registry.health import service as health_module
from registry.health.metrics import RequestMetrics
from registry.health.service import HealthService


class CountingProbe:
    """A probe that counts its calls and lets a test wait for the n-th one."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls = 0
        self.error = error
        self.release = asyncio.Event()
        self.release.set()
        self._called = asyncio.Condition()

    async def __call__(self) -> dict[str, Any]:
        async with self._called:
            self.calls += 1
            self._called.notify_all()
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return {"backend": "fake", "endpoint": "http://10.0.0.7:9000"}

    async def wait_calls(self, count: int) -> None:
        """Wait (bounded) until the probe has been called `count` times."""
        async with self._called:
            await asyncio.wait_for(self._called.wait_for(lambda: self.calls >= count), 10)


@pytest_asyncio.fixture
async def health() -> AsyncIterator[HealthService]:
    service = HealthService(RequestMetrics(), interval_seconds=3600)
    yield service
    await service.stop()


async def test_many_calls_cause_one_probe_round(health: HealthService) -> None:
    probe = CountingProbe()
    health.add_probe("store", "Store", "Keeps things", probe)
    for _ in range(20):
        document = await health.components(detailed=True)
    assert probe.calls == 1
    store = document["components"][1]
    assert store["status"] == "ok" and store["metrics"]["backend"] == "fake"


async def test_concurrent_first_calls_share_one_round(health: HealthService) -> None:
    probe = CountingProbe()
    probe.release.clear()  # hold the round open while every caller arrives
    health.add_probe("store", "Store", "Keeps things", probe)
    callers = [asyncio.create_task(health.components()) for _ in range(10)]
    await probe.wait_calls(1)
    probe.release.set()
    documents = await asyncio.gather(*callers)
    assert probe.calls == 1
    assert all(d["components"][1]["status"] == "ok" for d in documents)


async def test_the_schedule_refreshes_the_results(health: HealthService) -> None:
    probe = CountingProbe()
    health.add_probe("store", "Store", "Keeps things", probe)
    health.interval_seconds = 0.01
    health.start()
    health.start()  # a second start is a no-op, not a second schedule
    await probe.wait_calls(3)
    first_seen = health.refreshed_at
    await probe.wait_calls(5)
    assert health.refreshed_at is not None and first_seen is not None
    assert health.refreshed_at >= first_seen
    await health.stop()
    calls = probe.calls
    await health.refresh()  # after stop a refresh still works on demand
    assert probe.calls == calls + 1


async def test_anonymous_view_is_status_only(health: HealthService) -> None:
    health.add_probe("store", "Store", "Keeps things", CountingProbe())
    document = await health.components(10, include_timeline=True)
    assert document["window_minutes"] == 10
    for component in document["components"]:
        assert set(component) == {"id", "status", "observed_at"}
    assert "10.0.0.7" not in str(document)


async def test_failures_and_timeouts_are_findings(
    health: HealthService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health_module, "PROBE_TIMEOUT_SECONDS", 0.05)
    hung = CountingProbe()
    hung.release.clear()  # never answers
    health.add_probe("hub", "Hub", "Upstream", CountingProbe(SourceUnavailableError("down")))
    health.add_probe("slow", "Slow", "Upstream", hung)
    document = await health.components(detailed=True)
    by_id = {c["id"]: c for c in document["components"]}
    assert by_id["hub"]["status"] == "critical"
    assert by_id["hub"]["issues"][0] == {
        "code": "unavailable",
        "severity": "error",
        "summary": "down",
    }
    assert by_id["slow"]["status"] == "critical"
    assert by_id["slow"]["issues"][0]["code"] == "timeout"


async def test_window_is_validated(health: HealthService) -> None:
    for window in (4, 1441):
        with pytest.raises(ValidationError):
            await health.components(window)


async def test_a_failed_round_is_logged_once_and_the_schedule_goes_on(
    health: HealthService, caplog: pytest.LogCaptureFixture
) -> None:
    probe = CountingProbe()
    health.add_probe("store", "Store", "Keeps things", probe)
    real_round = health._probe_all
    failures = 0

    async def flaky_round() -> None:
        nonlocal failures
        if failures < 3:
            failures += 1
            raise RuntimeError("round broke")
        await real_round()

    health._probe_all = flaky_round  # type: ignore[method-assign]
    health.interval_seconds = 0.01
    health.start()
    await probe.wait_calls(1)
    messages = [r.getMessage() for r in caplog.records if r.name == "registry.health"]
    assert messages[0] == "health probe round failed"
    assert sum("round broke" in m or m == "health probe round failed" for m in messages) == 1
