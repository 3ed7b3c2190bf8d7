"""Registering, reading, updating, deleting artifacts, and the audit trail."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests.fixtures.registry_client import GH, HF

BERT = f"{HF}/google-bert/bert-base-uncased"


async def create(
    client: httpx.AsyncClient, artifact_type: str, url: str, name: str | None = None
) -> dict:
    body = {"url": url} if name is None else {"url": url, "name": name}
    response = await client.post(f"/artifact/{artifact_type}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_hf_model_derives_name_and_sets_download_url(
    client: httpx.AsyncClient,
) -> None:
    artifact = await create(client, "model", BERT)
    meta = artifact["metadata"]
    assert meta["name"] == "bert-base-uncased"
    assert meta["type"] == "model"
    assert re.fullmatch(r"[0-9]+", meta["id"])
    assert artifact["data"]["url"] == BERT
    assert (
        artifact["data"]["download_url"]
        == f"http://registry.test/artifacts/model/{meta['id']}/download"
    )


async def test_create_uses_given_name_verbatim(client: httpx.AsyncClient) -> None:
    artifact = await create(client, "model", BERT, name="My Bert (v2) ☃")
    assert artifact["metadata"]["name"] == "My Bert (v2) ☃"


@pytest.mark.parametrize(
    ("artifact_type", "url", "name"),
    [
        ("code", f"{GH}/google-research/bert", "google-research-bert"),
        ("dataset", f"{HF}/datasets/bookcorpus/bookcorpus", "bookcorpus"),
        ("dataset", "https://www.kaggle.com/datasets/someone/imdb-reviews", "imdb-reviews"),
        ("code", BERT, "bert-base-uncased"),
    ],
)
async def test_create_derives_names_for_every_source(
    client: httpx.AsyncClient, artifact_type: str, url: str, name: str
) -> None:
    artifact = await create(client, artifact_type, url)
    assert artifact["metadata"] == {
        "name": name,
        "id": artifact["metadata"]["id"],
        "type": artifact_type,
    }


async def test_missing_hub_repository_is_400_and_stores_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post("/artifact/model", json={"url": f"{HF}/nobody/does-not-exist"})
    assert response.status_code == 400
    assert "does not exist" in response.json()["message"]
    listing = await client.post("/artifacts", json=[{"name": "*"}])
    assert listing.json() == []


async def test_missing_github_repository_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/artifact/code", json={"url": f"{GH}/nobody/nothing-here"})
    assert response.status_code == 400
    assert response.json()["error"] == "source_not_found"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": 42},
        {"url": ""},
        {"url": "ftp://example.com/model"},
        {"url": "not a url"},
        {"url": BERT, "name": 7},
        {"url": BERT, "name": "*"},
        {"url": BERT, "name": "bad\nname"},
        [BERT],
    ],
)
async def test_create_rejects_bad_bodies(client: httpx.AsyncClient, body: object) -> None:
    response = await client.post("/artifact/model", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"]


async def test_unknown_artifact_type_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/artifact/weights", json={"url": BERT})
    assert response.status_code == 400
    assert "artifact type" in response.json()["message"]


async def test_duplicate_registration_is_409(client: httpx.AsyncClient) -> None:
    await create(client, "model", BERT)
    response = await client.post("/artifact/model", json={"url": BERT})
    assert response.status_code == 409
    await create(client, "model", BERT, name="bert-copy")  # another name is another artifact


async def test_thirty_concurrent_creates_get_unique_ids(client: httpx.AsyncClient) -> None:
    urls = [f"https://example.com/models/model-{i}" for i in range(30)]
    responses = await asyncio.gather(
        *(client.post("/artifact/model", json={"url": u}) for u in urls)
    )
    assert [r.status_code for r in responses] == [201] * 30
    ids = {r.json()["metadata"]["id"] for r in responses}
    assert len(ids) == 30
    listing = await client.post("/artifacts", json=[{"name": "*"}])
    assert len(listing.json()) == 30


@pytest.mark.parametrize("prefix", ["/artifacts", "/artifact"])
async def test_read_by_id_on_both_paths(client: httpx.AsyncClient, prefix: str) -> None:
    created = await create(client, "model", BERT)
    artifact_id = created["metadata"]["id"]
    response = await client.get(f"{prefix}/model/{artifact_id}")
    assert response.status_code == 200
    assert response.json() == created


async def test_read_errors(client: httpx.AsyncClient) -> None:
    created = await create(client, "model", BERT)
    artifact_id = created["metadata"]["id"]
    assert (await client.get(f"/artifacts/dataset/{artifact_id}")).status_code == 404
    assert (await client.get("/artifacts/model/123456789")).status_code == 404
    assert (await client.get("/artifacts/model/bad_id!")).status_code == 400
    assert (await client.get(f"/artifacts/widget/{artifact_id}")).status_code == 400
    assert (await client.get(f"/artifacts/model/{'1' * 65}")).status_code == 400


async def test_update_replaces_source(client: httpx.AsyncClient) -> None:
    created = await create(client, "model", BERT)
    meta = created["metadata"]
    new_url = f"{HF}/acme/bert-finetuned-sst2"
    response = await client.put(
        f"/artifacts/model/{meta['id']}", json={"metadata": meta, "data": {"url": new_url}}
    )
    assert response.status_code == 200, response.text
    fetched = await client.get(f"/artifacts/model/{meta['id']}")
    assert fetched.json()["data"]["url"] == new_url
    assert fetched.json()["metadata"] == meta


async def test_update_errors(client: httpx.AsyncClient) -> None:
    meta = (await create(client, "model", BERT))["metadata"]
    path = f"/artifacts/model/{meta['id']}"
    wrong_id = dict(meta, id="999")
    assert (
        await client.put(path, json={"metadata": wrong_id, "data": {"url": BERT}})
    ).status_code == 400
    wrong_name = dict(meta, name="other")
    assert (
        await client.put(path, json={"metadata": wrong_name, "data": {"url": BERT}})
    ).status_code == 400
    assert (await client.put(path, json={"metadata": meta})).status_code == 400
    missing = {"metadata": dict(meta, id="4242"), "data": {"url": BERT}}
    assert (await client.put("/artifacts/model/4242", json=missing)).status_code == 404
    gone = {"metadata": meta, "data": {"url": f"{HF}/nobody/does-not-exist"}}
    assert (await client.put(path, json=gone)).status_code == 400
    assert (await client.get(path)).json()["data"]["url"] == BERT  # nothing lost


async def test_delete(client: httpx.AsyncClient) -> None:
    meta = (await create(client, "model", BERT))["metadata"]
    path = f"/artifacts/model/{meta['id']}"
    assert (await client.delete(f"/artifacts/code/{meta['id']}")).status_code == 404
    assert (await client.delete(path)).status_code == 200
    assert (await client.get(path)).status_code == 404
    assert (await client.delete(path)).status_code == 404
    assert (await client.delete("/artifacts/model/bad$id")).status_code == 400


async def test_audit_trail_records_create_update_and_audit(
    client: httpx.AsyncClient, make_user: object
) -> None:
    meta = (await create(client, "model", BERT))["metadata"]
    await client.put(
        f"/artifacts/model/{meta['id']}", json={"metadata": meta, "data": {"url": BERT}}
    )
    first = await client.get(f"/artifact/model/{meta['id']}/audit")
    assert first.status_code == 200
    assert [e["action"] for e in first.json()] == ["CREATE", "UPDATE"]
    entry = first.json()[0]
    assert entry["user"] == {"name": "ece30861defaultadminuser", "is_admin": True}
    assert entry["artifact"] == meta
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["date"])
    second = await client.get(f"/artifact/model/{meta['id']}/audit")
    assert [e["action"] for e in second.json()] == ["CREATE", "UPDATE", "AUDIT"]
    assert (await client.get("/artifact/model/1234/audit")).status_code == 404
    assert (await client.get("/artifact/model/bad!/audit")).status_code == 400
    viewer = await make_user("viewer")  # type: ignore[operator]
    assert (await viewer.get(f"/artifact/model/{meta['id']}/audit")).status_code == 403


async def test_download_before_content_is_stored_is_404_not_500(client: httpx.AsyncClient) -> None:
    artifact = await create(
        client, "dataset", "https://www.kaggle.com/datasets/someone/imdb-reviews"
    )
    response = await client.get(
        artifact["data"]["download_url"].replace("http://registry.test", "")
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/artifact/model", json={"url": BERT, "name": "x" * 2_000_000})
    assert response.status_code == 413


async def test_unknown_route_and_method_are_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/route")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong = await client.patch("/artifacts")
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method_not_allowed"


async def test_reset_empties_the_registry(client: httpx.AsyncClient) -> None:
    await create(client, "model", BERT)
    assert (await client.delete("/reset")).status_code == 200
    assert (await client.post("/artifacts", json=[{"name": "*"}])).json() == []
