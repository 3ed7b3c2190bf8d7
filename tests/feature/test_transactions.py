"""Atomic groups of changes: all or none, seen by concurrent readers; ownership, permissions,
bad operations, abandonment, expiry, and two groups on one artifact."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from registry.artifacts.events import ArtifactListener
from registry.artifacts.schemas import ArtifactQuery, ArtifactType
from registry.db.models import ArtifactRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.transactions import TransactionRepository
from registry.ids import utcnow
from registry.packages.collector import BlobCollector
from tests.fixtures import zips
from tests.fixtures.registry_client import HF

ZIP = {"content-type": "application/zip"}
MISSING = f"{HF}/nobody/no-such-model"


def plain(tag: str) -> str:
    """A plain URL, registered by reference (no fetch, no background mirror)."""
    return f"https://example.com/models/{tag}"


def blob_names(app: Starlette) -> set[str]:
    """Every committed blob of the app's local store."""
    root = Path(app.state.services.settings.blob_local_path) / "sha256"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def listing(client: httpx.AsyncClient) -> list[tuple[str, str, str]]:
    """Every artifact as (type, name, id), through the REST enumeration."""
    response = await client.post("/artifacts", json=[{"name": "*"}], params={"limit": 500})
    assert response.status_code == 200, response.text
    return sorted((a["type"], a["name"], a["id"]) for a in response.json())


async def create(client: httpx.AsyncClient, url: str, name: str) -> str:
    response = await client.post("/artifact/model", json={"url": url, "name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["metadata"]["id"])


async def begin(client: httpx.AsyncClient) -> str:
    response = await client.post("/transactions")
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "open" and response.json()["operations"] == []
    return str(response.json()["id"])


async def append(client: httpx.AsyncClient, tid: str, op: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/transactions/{tid}/operations", json=op)


async def append_upload(
    client: httpx.AsyncClient, tid: str, body: bytes, name: str, version: str = "1.0.0"
) -> httpx.Response:
    params = {"op": "upload", "artifact_type": "model", "name": name, "version": version}
    return await client.post(
        f"/transactions/{tid}/operations", params=params, content=body, headers=ZIP
    )


async def group(client: httpx.AsyncClient, ops: list[dict[str, Any]]) -> str:
    tid = await begin(client)
    for op in ops:
        response = await append(client, tid, op)
        assert response.status_code == 201, response.text
    return tid


class MidTransactionReader(ArtifactListener):
    """Inside the group's write, after each row it writes, reads the registry on another
    connection, as any concurrent reader would."""

    def __init__(self, app: Starlette) -> None:
        self.svc = app.state.services
        self.seen: list[list[str]] = []

    async def _read(self) -> None:
        async with self.svc.db.unit_of_work() as uow:
            page = await self.svc.artifacts.enumerate(uow, [ArtifactQuery(name="*")], 0, 500)
        self.seen.append(sorted(item[1] for item in page.items))

    async def saved(self, uow: UnitOfWork, row: ArtifactRow, created: bool) -> None:
        """Read after a create, upload or update is written."""
        await self._read()

    async def deleted(self, uow: UnitOfWork, row: ArtifactRow) -> None:
        """Read before a delete is written."""
        await self._read()


async def execute_watched(
    client: httpx.AsyncClient, reader: httpx.AsyncClient, app: Starlette, tid: str
) -> tuple[httpx.Response, list[list[tuple[str, str, str]]], list[list[str]]]:
    """Execute while a REST reader polls the enumeration and a listener reads mid-write."""
    spy = MidTransactionReader(app)
    app.state.services.artifacts.add_listener(spy)
    done = asyncio.Event()
    polled: list[list[tuple[str, str, str]]] = []

    async def poll() -> None:
        while not done.is_set() and len(polled) < 200:  # well within a token's 1000 calls
            polled.append(await listing(reader))

    poller = asyncio.create_task(poll())
    try:
        response = await client.post(f"/transactions/{tid}/execute")
    finally:
        done.set()
        await poller
        app.state.services.artifacts.listeners.remove(spy)
    polled.append(await listing(reader))
    return response, polled, spy.seen


# -- all of it ------------------------------------------------------------------------------


async def test_create_update_delete_and_upload_commit_together(
    client: httpx.AsyncClient, make_user: Any, registry_app: Starlette
) -> None:
    kept = await create(client, plain("kept"), "kept")
    gone = await create(client, plain("gone"), "gone")
    reader = await make_user("reader")
    before = await listing(reader)
    tid = await group(
        client,
        [
            {"op": "create", "artifact_type": "model", "url": plain("fresh"), "name": "fresh"},
            {"op": "update", "artifact_type": "model", "id": kept, "url": plain("kept-v2")},
            {"op": "delete", "artifact_type": "model", "id": gone},
        ],
    )
    staged = await append_upload(client, tid, zips.tiny_zip(), "tiny")
    assert staged.status_code == 201, staged.text
    assert [o["op"] for o in staged.json()["operations"]] == [
        "create",
        "update",
        "delete",
        "upload",
    ]
    response, polled, seen = await execute_watched(client, reader, registry_app, tid)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "committed"
    results = [o["result"] for o in body["operations"]]
    assert [r["status"] for r in results] == [201, 200, 200, 201]
    assert results[1]["id"] == kept and results[2] == {
        "status": 200,
        "id": gone,
        "name": "gone",
        "type": "model",
    }
    after = await listing(reader)
    assert sorted(name for _, name, _ in after) == ["fresh", "kept", "tiny"]
    # Readers saw the registry before the group or after it, never in between.
    assert all(state in (before, after) for state in polled)
    assert all(ids == sorted(i for *_, i in before) for ids in seen) and len(seen) == 4
    updated = await client.get(f"/artifacts/model/{kept}")
    assert updated.json()["data"]["url"] == plain("kept-v2")
    assert (await client.get(f"/artifacts/model/{gone}")).status_code == 404
    tiny = results[3]["id"]
    download = await client.get(f"/artifacts/model/{tiny}/download")
    assert download.status_code == 200
    shown = await client.get(f"/transactions/{tid}")
    assert shown.status_code == 200 and shown.json() == body


@pytest.mark.parametrize(
    ("last", "status", "code"),
    [
        ({"op": "create", "artifact_type": "model", "url": MISSING}, 400, "source_not_found"),
        (
            {"op": "create", "artifact_type": "model", "url": plain("taken"), "name": "taken"},
            409,
            "conflict",
        ),
    ],
    ids=["source-not-found", "duplicate"],
)
async def test_a_failing_last_operation_leaves_the_registry_as_it_was(
    client: httpx.AsyncClient,
    make_user: Any,
    registry_app: Starlette,
    last: dict[str, Any],
    status: int,
    code: str,
) -> None:
    kept = await create(client, plain("kept"), "kept")
    gone = await create(client, plain("gone"), "gone")
    await create(client, plain("taken"), "taken")
    reader = await make_user("reader")
    before = await listing(reader)
    blobs_before = blob_names(registry_app)
    unique = zips.zip_bytes(zips.TINY_FILES | {"unique.bin": uuid.uuid4().bytes})
    tid = await group(
        client,
        [
            {"op": "create", "artifact_type": "model", "url": plain("fresh"), "name": "fresh"},
            {"op": "update", "artifact_type": "model", "id": kept, "url": plain("kept-v2")},
            {"op": "delete", "artifact_type": "model", "id": gone},
        ],
    )
    assert (await append_upload(client, tid, unique, "tiny")).status_code == 201
    assert blob_names(registry_app) > blobs_before  # staged now, registered at execute
    assert (await append(client, tid, last)).status_code == 201
    response, polled, seen = await execute_watched(client, reader, registry_app, tid)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["error"] == code
    assert error["details"]["operation"] == 4 and error["details"]["op"] == "create"
    assert error["message"].startswith("operation 4 (create) failed, so nothing was applied")
    assert all(state == before for state in polled)
    assert all(ids == sorted(i for *_, i in before) for ids in seen)
    assert await listing(reader) == before
    assert blob_names(registry_app) == blobs_before
    unchanged = await client.get(f"/artifacts/model/{kept}")
    assert unchanged.json()["data"]["url"] == plain("kept")
    shown = (await client.get(f"/transactions/{tid}")).json()
    assert shown["state"] == "failed"
    assert shown["failure"]["index"] == 4 and shown["failure"]["status"] == status
    assert all("result" not in op for op in shown["operations"])
    again = await client.post(f"/transactions/{tid}/execute")
    assert again.status_code == 409 and "is failed" in again.json()["message"]


# -- the group's life -----------------------------------------------------------------------


async def test_abandon_drops_the_group_and_its_staged_upload(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    blobs_before = blob_names(registry_app)
    tid = await group(client, [{"op": "create", "artifact_type": "model", "url": plain("a")}])
    unique = zips.zip_bytes(zips.TINY_FILES | {"abandon.bin": uuid.uuid4().bytes})
    assert (await append_upload(client, tid, unique, "abandoned")).status_code == 201
    abandoned = await client.delete(f"/transactions/{tid}")
    assert abandoned.status_code == 200 and abandoned.json()["state"] == "abandoned"
    assert blob_names(registry_app) == blobs_before
    assert await listing(client) == []
    for response in (
        await client.post(f"/transactions/{tid}/execute"),
        await append(client, tid, {"op": "delete", "artifact_type": "model", "id": "1"}),
        await client.delete(f"/transactions/{tid}"),
    ):
        assert response.status_code == 409
        assert response.json()["details"] == {"state": "abandoned"}


async def test_an_expired_group_is_abandoned(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    svc = registry_app.state.services
    blobs_before = blob_names(registry_app)
    tid = await begin(client)
    unique = zips.zip_bytes(zips.TINY_FILES | {"expire.bin": uuid.uuid4().bytes})
    assert (await append_upload(client, tid, unique, "expiring")).status_code == 201
    async with svc.db.unit_of_work(write=True) as uow:
        row = await TransactionRepository(uow.session).get(tid)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        await TransactionRepository(uow.session).save(row)
    appended = await append(client, tid, {"op": "create", "artifact_type": "model", "url": "x"})
    assert appended.status_code == 409 and "expired" in appended.json()["message"]
    await begin(client)  # a new group sweeps the expired ones
    shown = await client.get(f"/transactions/{tid}")
    assert shown.json()["state"] == "abandoned"
    assert blob_names(registry_app) == blobs_before


async def collect_everything(app: Starlette) -> None:
    """Run the blob collector with no grace: every blob is old enough to go if unused."""
    svc = app.state.services
    collector = BlobCollector(
        svc.db,
        svc.packages.blobs,
        grace_seconds=0,
        pins=svc.packages.pins,
        clock=lambda: utcnow() + timedelta(hours=1),
    )
    await collector.collect(0)


async def execute_and_download(
    client: httpx.AsyncClient, tid: str, files: dict[str, bytes]
) -> None:
    """Execute the group; its uploaded package must download whole."""
    executed = await client.post(f"/transactions/{tid}/execute")
    assert executed.status_code == 200, executed.text
    artifact_id = executed.json()["operations"][-1]["result"]["id"]
    download = await client.get(f"/artifacts/model/{artifact_id}/download")
    assert download.status_code == 200
    zips.assert_rebuilt(download.content, files)
    weights = await client.get(
        f"/artifacts/model/{artifact_id}/download", params={"part": "weights"}
    )
    assert weights.status_code == 200


async def test_the_collector_keeps_an_open_groups_staged_upload(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    files = zips.TINY_FILES | {"kept.bin": uuid.uuid4().bytes}
    tid = await begin(client)
    before = blob_names(registry_app)
    assert (await append_upload(client, tid, zips.zip_bytes(files), "kept")).status_code == 201
    staged = blob_names(registry_app) - before
    assert staged
    await collect_everything(registry_app)
    assert blob_names(registry_app) >= staged
    await execute_and_download(client, tid, files)


async def test_a_refused_upload_keeps_the_blobs_an_open_group_staged(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    svc = registry_app.state.services
    files = zips.TINY_FILES | {"shared.bin": uuid.uuid4().bytes}
    body = zips.zip_bytes(files)

    async def feed() -> AsyncIterator[bytes]:
        yield body

    # A plain upload stages first and creates every blob...
    before = blob_names(registry_app)
    _, refused = await svc.packages.stage_upload(ArtifactType.model, "plain", "1.0.0", feed())
    assert refused.new_blobs
    # ...a group stages the same bytes, finding them stored (it creates none itself)...
    tid = await begin(client)
    appended = await append_upload(client, tid, body, "grouped")
    assert appended.status_code == 201, appended.text
    staged = blob_names(registry_app) - before
    assert staged
    # ...then the plain upload is refused, and the collector runs: the group's blobs stay.
    await svc.packages.discard(refused)
    assert blob_names(registry_app) >= staged
    await collect_everything(registry_app)
    assert blob_names(registry_app) >= staged
    await execute_and_download(client, tid, files)


async def test_limits_and_empty_groups(client: httpx.AsyncClient, registry_app: Starlette) -> None:
    settings = registry_app.state.services.settings
    tid = await begin(client)
    empty = await client.post(f"/transactions/{tid}/execute")
    assert empty.status_code == 400 and "no operations" in empty.json()["message"]
    cap = settings.transaction_max_operations
    settings.transaction_max_operations = 2
    try:
        for tag in ("a", "b"):
            op = {"op": "create", "artifact_type": "code", "url": plain(tag)}
            assert (await append(client, tid, op)).status_code == 201
        over = await append(client, tid, {"op": "create", "artifact_type": "code", "url": "c"})
        assert over.status_code == 413
        assert over.json()["message"] == "a transaction holds at most 2 operations"
        zipped = await append_upload(client, tid, zips.tiny_zip(), "over")
        assert zipped.status_code == 413
    finally:
        settings.transaction_max_operations = cap


# -- who may -------------------------------------------------------------------------------


async def test_groups_belong_to_their_creator(
    client: httpx.AsyncClient, make_user: Any, anon: httpx.AsyncClient
) -> None:
    tid = await group(client, [{"op": "create", "artifact_type": "model", "url": plain("a")}])
    other = await make_user("other", upload=True)
    for response in (
        await other.get(f"/transactions/{tid}"),
        await other.delete(f"/transactions/{tid}"),
        await other.post(f"/transactions/{tid}/execute"),
        await append(other, tid, {"op": "create", "artifact_type": "model", "url": "x"}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["message"] == f"transaction '{tid}' does not exist"
    reader = await make_user("reader")  # no upload permission
    refused = await reader.post("/transactions")
    assert refused.status_code == 403 and refused.json()["error"] == "permission_denied"
    assert (await anon.post("/transactions")).status_code == 403
    assert (await anon.get(f"/transactions/{tid}")).status_code == 403
    assert (await client.get("/transactions/" + "f" * 32)).status_code == 404


async def test_changing_anothers_artifact_fails_the_group_with_403(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    admins = await create(client, plain("admins"), "admins")
    user = await make_user("uploader", upload=True)
    tid = await group(
        user,
        [
            {"op": "create", "artifact_type": "model", "url": plain("mine"), "name": "mine"},
            {"op": "delete", "artifact_type": "model", "id": admins},
        ],
    )
    response = await user.post(f"/transactions/{tid}/execute")
    assert response.status_code == 403 and response.json()["error"] == "permission_denied"
    assert response.json()["details"]["operation"] == 1
    assert [n for _, n, _ in await listing(client)] == ["admins"]
    missing = await group(user, [{"op": "delete", "artifact_type": "model", "id": "12345"}])
    gone = await user.post(f"/transactions/{missing}/execute")
    assert gone.status_code == 404 and gone.json()["details"]["operation"] == 0


@pytest.mark.parametrize(
    ("op", "fragment"),
    [
        ([1, 2], "JSON object"),
        ({"artifact_type": "model"}, "`op` must be one of"),
        ({"op": "rename", "artifact_type": "model"}, "`op` must be one of"),
        ({"op": "upload", "artifact_type": "model"}, "Content-Type application/zip"),
        ({"op": "create", "artifact_type": "model"}, "url"),
        ({"op": "create", "artifact_type": "widget", "url": "https://x.org"}, "artifact_type"),
        ({"op": "create", "artifact_type": "model", "url": "https://x.org", "name": "*"}, "name"),
        ({"op": "create", "artifact_type": "model", "url": "u", "extra": 1}, "extra"),
        ({"op": "update", "artifact_type": "model", "id": "a/b", "url": "u"}, "id"),
        ({"op": "delete", "artifact_type": "model"}, "id"),
    ],
)
async def test_bad_operations_are_400(client: httpx.AsyncClient, op: Any, fragment: str) -> None:
    tid = await begin(client)
    response = await append(client, tid, op)
    assert response.status_code == 400, response.text
    assert fragment in response.text
    assert (await client.get(f"/transactions/{tid}")).json()["operations"] == []


async def test_bad_uploads_and_ids_are_400(client: httpx.AsyncClient) -> None:
    tid = await begin(client)
    no_op = await client.post(
        f"/transactions/{tid}/operations", content=zips.tiny_zip(), headers=ZIP
    )
    assert no_op.status_code == 400 and "op=upload" in no_op.json()["message"]
    corrupt = await append_upload(client, tid, zips.corrupt_zip(), "broken")
    assert corrupt.status_code == 400 and corrupt.json()["error"] == "invalid_package"
    bad_version = await append_upload(client, tid, zips.tiny_zip(), "tiny", version="v1")
    assert bad_version.status_code == 400
    assert (await client.get("/transactions/not-an-id!")).status_code == 400
    assert (await client.get(f"/transactions/{tid}")).json()["operations"] == []


async def test_an_upload_of_a_taken_version_is_409_when_appended(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post(
        "/artifact/model/upload",
        params={"name": "tiny", "version": "1.0.0"},
        content=zips.tiny_zip(),
        headers=ZIP,
    )
    assert first.status_code == 201
    tid = await begin(client)
    taken = await append_upload(client, tid, zips.tiny_zip(), "tiny")
    assert taken.status_code == 409
    assert taken.json()["message"] == "model 'tiny' version 1.0.0 is uploaded already"


# -- two groups, one artifact ---------------------------------------------------------------


async def test_two_groups_deleting_one_artifact_one_commits_one_fails_404(
    client: httpx.AsyncClient,
) -> None:
    target = await create(client, plain("target"), "target")
    groups = [
        await group(
            client,
            [
                {"op": "create", "artifact_type": "code", "url": plain(f"side-{n}")},
                {"op": "delete", "artifact_type": "model", "id": target},
            ],
        )
        for n in range(2)
    ]
    responses = await asyncio.gather(
        *(client.post(f"/transactions/{tid}/execute") for tid in groups)
    )
    assert sorted(r.status_code for r in responses) == [200, 404]
    failed = next(r for r in responses if r.status_code == 404).json()
    assert failed["details"]["operation"] == 1
    # Only the committed group's side artifact exists: the other group left nothing.
    assert sorted(t for t, _, _ in await listing(client)) == ["code"]


async def test_two_groups_creating_one_identity_one_commits_one_409(
    client: httpx.AsyncClient,
) -> None:
    op = {"op": "create", "artifact_type": "model", "url": plain("same"), "name": "same"}
    groups = [await group(client, [op]) for _ in range(2)]
    responses = await asyncio.gather(
        *(client.post(f"/transactions/{tid}/execute") for tid in groups)
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert [n for _, n, _ in await listing(client)] == ["same"]
