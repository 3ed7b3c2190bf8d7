"""One artifact per identity under concurrency; only an artifact's creator or an admin may
change or delete it; every update and delete is audited, and a deleted artifact's trail stays."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from registry.db.models import ArtifactRow
from registry.errors import ArtifactIdentityTakenError
from registry.ids import new_artifact_id, utcnow
from tests.fixtures import zips
from tests.fixtures.registry_client import HF

BERT = f"{HF}/google-bert/bert-base-uncased"
SST2 = f"{HF}/acme/bert-finetuned-sst2"
PLAIN = "https://example.com/models/one-of-a-kind"
ZIP = {"content-type": "application/zip"}


async def names_listed(client: httpx.AsyncClient) -> list[str]:
    listing = await client.post("/artifacts", json=[{"name": "*"}])
    assert listing.status_code == 200
    return [item["name"] for item in listing.json()]


async def create(client: httpx.AsyncClient, url: str, name: str | None = None) -> dict[str, Any]:
    body = {"url": url} if name is None else {"url": url, "name": name}
    response = await client.post("/artifact/model", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def upload(client: httpx.AsyncClient, body: bytes, version: str = "1.0.0") -> httpx.Response:
    return await client.post(
        "/artifact/model/upload",
        params={"name": "tiny", "version": version},
        content=body,
        headers=ZIP,
    )


# -- one artifact per identity ------------------------------------------------------------


@pytest.mark.parametrize("url", [PLAIN, BERT])
async def test_twenty_concurrent_creates_of_one_url_make_one_artifact(
    client: httpx.AsyncClient, url: str
) -> None:
    responses = await asyncio.gather(
        *(client.post("/artifact/model", json={"url": url}) for _ in range(20))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["error"] == "conflict"
    assert url in refused.json()["message"]
    assert "registered already" in refused.json()["message"]
    assert len(await names_listed(client)) == 1


async def test_five_concurrent_uploads_of_one_version_make_one_artifact(
    client: httpx.AsyncClient,
) -> None:
    body = zips.tiny_zip()
    responses = await asyncio.gather(*(upload(client, body) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["message"] == "model 'tiny' version 1.0.0 is uploaded already"
    assert await names_listed(client) == ["tiny"]
    # The refused uploads shared the winner's blobs by content and left them in place.
    winner = next(r for r in responses if r.status_code == 201).json()["metadata"]["id"]
    download = await client.get(f"/artifacts/model/{winner}/download")
    assert download.status_code == 200
    zips.assert_rebuilt(download.content, zips.TINY_FILES)  # the zip the registry writes
    # Another version of the same name is another artifact.
    assert (await upload(client, body, version="1.0.1")).status_code == 201


async def test_the_database_refuses_a_duplicate_the_precheck_did_not_see(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    first = (await create(client, PLAIN))["metadata"]
    now = utcnow()
    twin = ArtifactRow(
        id=new_artifact_id(),
        name=first["name"],
        type="model",
        url=PLAIN,
        source_kind="url",
        source_ref=PLAIN,
        created_by="someone",
        created_at=now,
        updated_at=now,
    )
    db = registry_app.state.services.db
    with pytest.raises(ArtifactIdentityTakenError) as caught:
        async with db.unit_of_work(write=True) as uow:
            await uow.artifacts.add(twin)
    assert caught.value.status_code == 409
    assert caught.value.details == {"type": "model", "name": first["name"], "url": PLAIN}
    assert len(await names_listed(client)) == 1  # the refused transaction left nothing


async def test_same_url_under_another_name_or_type_is_another_artifact(
    client: httpx.AsyncClient,
) -> None:
    await create(client, PLAIN)
    await create(client, PLAIN, name="renamed")
    as_code = await client.post("/artifact/code", json={"url": PLAIN})
    assert as_code.status_code == 201
    assert sorted(await names_listed(client)) == ["one-of-a-kind", "one-of-a-kind", "renamed"]


async def test_update_onto_another_artifacts_identity_is_409(client: httpx.AsyncClient) -> None:
    await create(client, BERT, name="twin")
    other = (await create(client, SST2, name="twin"))["metadata"]
    response = await client.put(
        f"/artifacts/model/{other['id']}", json={"metadata": other, "data": {"url": BERT}}
    )
    assert response.status_code == 409, response.text
    assert "'twin'" in response.json()["message"] and BERT in response.json()["message"]
    kept = await client.get(f"/artifacts/model/{other['id']}")
    assert kept.json()["data"]["url"] == SST2


# -- ownership ----------------------------------------------------------------------------


async def test_only_the_creator_or_an_admin_may_update_or_delete(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    alice = await make_user("alice", upload=True)
    bob = await make_user("bob", upload=True)
    meta = (await create(alice, PLAIN))["metadata"]
    path = f"/artifacts/model/{meta['id']}"
    envelope = {"metadata": meta, "data": {"url": PLAIN + "/v2"}}

    for response in (await bob.put(path, json=envelope), await bob.delete(path)):
        assert response.status_code == 403
        assert response.json()["error"] == "permission_denied"
        assert "only the user who created" in response.json()["message"]
    unchanged = await client.get(path)
    assert unchanged.json()["data"]["url"] == PLAIN

    assert (await alice.put(path, json=envelope)).status_code == 200
    assert (await alice.put(f"/artifact/model/{meta['id']}", json=envelope)).status_code == 200
    assert (await alice.delete(path)).status_code == 200
    assert (await client.get(path)).status_code == 404


async def test_admins_may_change_anyones_artifact(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    alice = await make_user("alice", upload=True)
    second_admin = await make_user("root2", is_admin=True)
    first = (await create(alice, PLAIN))["metadata"]
    second = (await create(alice, BERT))["metadata"]
    envelope = {"metadata": first, "data": {"url": PLAIN + "/v2"}}
    assert (await client.put(f"/artifacts/model/{first['id']}", json=envelope)).status_code == 200
    assert (await second_admin.delete(f"/artifacts/model/{first['id']}")).status_code == 200
    assert (await client.delete(f"/artifacts/model/{second['id']}")).status_code == 200
    assert await names_listed(client) == []


async def test_ownership_checks_come_after_404_and_before_the_source_is_read(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    alice = await make_user("alice", upload=True)
    bob = await make_user("bob", upload=True)
    meta = (await create(alice, PLAIN))["metadata"]
    missing = {"metadata": dict(meta, id="4242"), "data": {"url": PLAIN}}
    assert (await bob.put("/artifacts/model/4242", json=missing)).status_code == 404
    assert (await bob.delete("/artifacts/model/4242")).status_code == 404
    # A source that does not exist would be a 400 for the creator; the stranger learns 403.
    gone = {"metadata": meta, "data": {"url": f"{HF}/nobody/does-not-exist"}}
    assert (await bob.put(f"/artifacts/model/{meta['id']}", json=gone)).status_code == 403
    assert (await alice.put(f"/artifacts/model/{meta['id']}", json=gone)).status_code == 400


async def test_uploaded_packages_belong_to_their_uploader(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    alice = await make_user("alice", upload=True)
    bob = await make_user("bob", upload=True)
    created = await upload(alice, zips.tiny_zip())
    assert created.status_code == 201, created.text
    path = f"/artifacts/model/{created.json()['metadata']['id']}"
    assert (await bob.delete(path)).status_code == 403
    assert (await alice.delete(path)).status_code == 200


async def test_a_new_account_under_a_deleted_users_name_owns_nothing(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    alice = await make_user("alice", upload=True)
    meta = (await create(alice, PLAIN))["metadata"]
    assert (await client.delete("/users/alice")).status_code == 200
    impostor = await make_user("alice", upload=True)
    response = await impostor.delete(f"/artifacts/model/{meta['id']}")
    assert response.status_code == 403
    assert (await client.delete(f"/artifacts/model/{meta['id']}")).status_code == 200


# -- the audit trail of updates and deletes ----------------------------------------------


async def test_update_and_delete_are_audited_and_the_trail_outlives_the_artifact(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    alice = await make_user("alice", upload=True)
    meta = (await create(alice, PLAIN))["metadata"]
    path = f"/artifacts/model/{meta['id']}"
    envelope = {"metadata": meta, "data": {"url": PLAIN + "/v2"}}
    assert (await alice.put(path, json=envelope)).status_code == 200
    assert (await alice.delete(path)).status_code == 200

    # The contract's trail answers for existing artifacts only.
    assert (await client.get(f"/artifact/model/{meta['id']}/audit")).status_code == 404
    history = await client.get(f"/artifact/model/{meta['id']}/audit/history")
    assert history.status_code == 200
    entries = history.json()
    assert [e["action"] for e in entries] == ["CREATE", "UPDATE", "DELETE"]
    assert {e["user"]["name"] for e in entries} == {"alice"}
    assert entries[-1]["artifact"] == meta


async def test_history_errors(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, make_user: Any
) -> None:
    meta = (await create(client, PLAIN))["metadata"]
    live = await client.get(f"/artifact/model/{meta['id']}/audit/history")
    assert [e["action"] for e in live.json()] == ["CREATE"]
    assert (await client.get(f"/artifact/code/{meta['id']}/audit/history")).status_code == 404
    assert (await client.get("/artifact/model/4242/audit/history")).status_code == 404
    assert (await client.get("/artifact/model/bad!/audit/history")).status_code == 400
    assert (await client.get("/artifact/widget/1/audit/history")).status_code == 400
    uploader = await make_user("carol", upload=True)
    denied = await uploader.get(f"/artifact/model/{meta['id']}/audit/history")
    assert denied.status_code == 403
    assert (await anon.get(f"/artifact/model/{meta['id']}/audit/history")).status_code == 403


async def test_a_refused_change_writes_no_audit_entry(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    alice = await make_user("alice", upload=True)
    bob = await make_user("bob", upload=True)
    meta = (await create(alice, PLAIN))["metadata"]
    assert (await bob.delete(f"/artifacts/model/{meta['id']}")).status_code == 403
    history = await client.get(f"/artifact/model/{meta['id']}/audit/history")
    assert [e["action"] for e in history.json()] == ["CREATE"]
