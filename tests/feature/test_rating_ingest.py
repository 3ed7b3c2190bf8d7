"""The gated ingest route, the create-route gate setting, and re-rating on update."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.fixtures.openapi_check import assert_conforms
from tests.fixtures.registry_client import HF


async def test_ingest_admits_a_well_kept_model(client: httpx.AsyncClient) -> None:
    response = await client.post("/artifact/model/ingest", json={"url": f"{HF}/trusty/stdlib-demo"})
    assert response.status_code == 201, response.text
    assert_conforms(response)
    artifact_id = response.json()["metadata"]["id"]
    rating = (await client.get(f"/artifact/model/{artifact_id}/rate")).json()
    assert rating["net_score"] >= 0.8


async def test_ingest_refuses_a_neglected_model_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/artifact/model/ingest", json={"url": f"{HF}/nobody/bare-model"})
    assert response.status_code == 424
    assert_conforms(response)
    body = response.json()
    assert body["error"] == "rating_disqualified"
    assert {"license", "ramp_up_time", "performance_claims"} <= set(
        body["details"]["failing_metrics"]
    )
    assert "license" in body["message"]
    assert (await client.get("/artifact/byName/bare-model")).status_code == 404


async def test_ingest_errors(client: httpx.AsyncClient, make_user: object) -> None:
    github = await client.post("/artifact/model/ingest", json={"url": "https://github.com/a/b"})
    assert github.status_code == 400 and "Hugging Face model" in github.json()["message"]
    missing = await client.post("/artifact/model/ingest", json={"url": f"{HF}/nobody/missing"})
    assert missing.status_code == 400
    assert (await client.post("/artifact/model/ingest", json={"name": "x"})).status_code == 400
    reader = await make_user("reader", upload=False)  # type: ignore[operator]
    denied = await reader.post("/artifact/model/ingest", json={"url": f"{HF}/trusty/stdlib-demo"})
    assert denied.status_code in (401, 403)


async def test_create_gate_setting(client: httpx.AsyncClient, registry_app: Starlette) -> None:
    settings = registry_app.state.services.settings
    settings.ingest_gate_on_create = True
    try:
        refused = await client.post("/artifact/model", json={"url": f"{HF}/nobody/bare-model"})
        admitted = await client.post("/artifact/model", json={"url": f"{HF}/trusty/stdlib-demo"})
        dataset = await client.post(
            "/artifact/dataset", json={"url": f"{HF}/datasets/stanfordnlp/sst2"}
        )
    finally:
        settings.ingest_gate_on_create = False
    assert refused.status_code == 424
    assert_conforms(refused)
    assert "failing_metrics" in refused.json()["details"]
    assert admitted.status_code == 201
    assert dataset.status_code == 201  # only models are gated


async def test_update_recomputes_the_rating(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/artifact/model", json={"url": f"{HF}/nobody/bare-model", "name": "swap"}
    )
    artifact_id = created.json()["metadata"]["id"]
    before = (await client.get(f"/artifact/model/{artifact_id}/rate")).json()
    envelope = {
        "metadata": {"name": "swap", "id": artifact_id, "type": "model"},
        "data": {"url": f"{HF}/trusty/stdlib-demo"},
    }
    updated = await client.put(f"/artifacts/model/{artifact_id}", json=envelope)
    assert updated.status_code == 200, updated.text
    after = (await client.get(f"/artifact/model/{artifact_id}/rate")).json()
    assert after["license"] == 1.0 > before["license"]
    assert after["name"] == "swap"


async def test_refresh_errors(client: httpx.AsyncClient, make_user: object) -> None:
    assert (await client.post("/artifact/model/123456/rate/refresh")).status_code == 404
    assert (await client.post("/artifact/model/bad!/rate/refresh")).status_code == 400
    reader = await make_user("reader2", upload=False)  # type: ignore[operator]
    assert (await reader.post("/artifact/model/123456/rate/refresh")).status_code in (401, 403)
