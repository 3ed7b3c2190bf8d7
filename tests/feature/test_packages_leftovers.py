"""Nothing left behind, through the real app: each upload's spool file goes with its request,
and the collector job removes the blobs a deleted artifact left while a live one keeps its own."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from starlette.applications import Starlette

from registry.packages.collector import BLOB_GC_JOB
from registry.packages.spool import LOCK_NAME
from tests.fixtures import zips

ZIP = {"content-type": "application/zip"}


def spooled(directory: Path) -> list[str]:
    """The spool files in the app's spool directory."""
    return sorted(p.name for p in directory.iterdir() if p.name != LOCK_NAME)


def blob_names(app: Starlette) -> set[str]:
    """Every committed blob of the app's local store."""
    root = Path(app.state.services.settings.blob_local_path) / "sha256"
    return {p.name for p in root.rglob("*") if p.is_file()}


async def upload(client: httpx.AsyncClient, body: bytes, name: str) -> httpx.Response:
    """POST a zip to the upload route."""
    return await client.post(
        "/artifact/model/upload",
        params={"name": name, "version": "1.0.0"},
        content=body,
        headers=ZIP,
    )


async def test_uploads_spool_in_the_process_directory_and_leave_nothing(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    spool = registry_app.state.services.packages.tmp_dir
    assert spool.parent.name.startswith("registry-spool-") and (spool / LOCK_NAME).is_file()
    accepted = await upload(client, zips.tiny_zip(), "spooled")
    assert accepted.status_code == 201, accepted.text
    refused = await upload(client, zips.corrupt_zip(), "refused")
    assert refused.status_code == 400
    assert spooled(spool) == []


async def test_the_collector_job_removes_what_a_deleted_artifact_left(
    client: httpx.AsyncClient, registry_app: Starlette
) -> None:
    svc = registry_app.state.services
    kept_files = zips.TINY_FILES | {"kept.txt": uuid.uuid4().bytes}
    kept_body = zips.zip_bytes(kept_files)
    gone_body = zips.zip_bytes({"gone.txt": uuid.uuid4().bytes, "README.md": b"# gone"})
    kept = (await upload(client, kept_body, "kept")).json()["metadata"]["id"]
    gone = (await upload(client, gone_body, "gone")).json()["metadata"]["id"]
    before = blob_names(registry_app)
    deleted = await client.delete(f"/artifacts/model/{gone}")
    assert deleted.status_code == 200
    assert blob_names(registry_app) == before  # a delete keeps blobs: they may be shared

    async with svc.db.unit_of_work(write=True) as uow:
        job = await svc.jobs.enqueue(uow, BLOB_GC_JOB, payload={"grace_seconds": 0})
    svc.jobs.wake()
    done = await svc.jobs.wait(job.id, 60)
    assert done.status == "succeeded", done.error
    assert done.result["blobs_removed"] >= 2  # gone.txt and its package zip at least
    remaining = blob_names(registry_app)
    assert remaining < before
    download = await client.get(f"/artifacts/model/{kept}/download")
    assert download.status_code == 200
    zips.assert_rebuilt(download.content, kept_files)
    weights = await client.get(f"/artifacts/model/{kept}/download", params={"part": "weights"})
    assert weights.status_code == 200
