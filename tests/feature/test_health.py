"""Liveness, component health and tracks: no token needed."""

from __future__ import annotations

import httpx
import pytest


async def test_health_is_cheap_and_open(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_components_report_every_backend(anon: httpx.AsyncClient) -> None:
    await anon.get("/health")
    response = await anon.get("/health/components?windowMinutes=10&includeTimeline=true")
    assert response.status_code == 200
    document = response.json()
    assert document["window_minutes"] == 10
    by_id = {c["id"]: c for c in document["components"]}
    assert {"api", "database", "blob-store", "search-index", "sources"} <= set(by_id)
    for component_id in ("database", "blob-store", "search-index", "sources"):
        assert by_id[component_id]["status"] == "ok", by_id[component_id]
    assert by_id["api"]["metrics"]["total_requests"] >= 1
    assert by_id["api"]["timeline"]


@pytest.mark.parametrize(
    "query", ["windowMinutes=4", "windowMinutes=1441", "windowMinutes=x", "includeTimeline=maybe"]
)
async def test_components_reject_bad_parameters(anon: httpx.AsyncClient, query: str) -> None:
    response = await anon.get(f"/health/components?{query}")
    assert response.status_code == 400


async def test_tracks(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/tracks")
    assert response.status_code == 200
    assert "Access control track" in response.json()["plannedTracks"]
