"""Job status routes."""

from __future__ import annotations

import httpx

from tests.fixtures.openapi_check import assert_conforms


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/jobs/abc123")
    assert response.status_code == 404
    assert_conforms(response)
    assert (await client.get("/jobs/bad!id")).status_code == 400


async def test_jobs_need_a_token(anon: httpx.AsyncClient) -> None:
    assert (await anon.get("/jobs/abc123")).status_code == 403


async def test_artifact_jobs_list(client: httpx.AsyncClient) -> None:
    created = await client.post("/artifact/code", json={"url": "https://example.com/tools/x"})
    artifact_id = created.json()["metadata"]["id"]
    response = await client.get(f"/artifacts/code/{artifact_id}/jobs")
    assert response.status_code == 200
    assert_conforms(response)
    assert isinstance(response.json(), list)
    assert (await client.get("/artifacts/code/999/jobs")).status_code == 404
