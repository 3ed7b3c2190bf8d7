"""The blob store (S3, moto's server) stops, resets connections or goes silent during an
upload: 503 blob_store_unavailable within DEADLINE, no row, and the same upload succeeds once
the store is back. The database lost in the middle of an upload leaves blobs no row names;
the blob collector (what `registry gc` and the blob_gc job run) removes them."""

from __future__ import annotations

import asyncio
import os
import time

import httpx
import pytest
from starlette.applications import Starlette

from registry.packages.collector import BlobCollector
from tests.fixtures.disaster import DEADLINE, Faults
from tests.fixtures.fault_proxy import Mode
from tests.fixtures.registry_probe import sql_rows
from tests.fixtures.zips import zip_bytes

ZIP = {"model.py": b"print('hello')\n" * 200, "README.md": b"# crash test\n"}


async def upload(admin: httpx.AsyncClient, name: str, content: bytes) -> httpx.Response:
    """POST a zip as a code package (bounded: a hang fails the test)."""
    request = admin.post(
        "/artifact/code/upload",
        params={"name": name, "version": "1.0.0"},
        content=content,
        headers={"content-type": "application/zip"},
    )
    return await asyncio.wait_for(request, DEADLINE * 2)


def committed(keys: set[str]) -> set[str]:
    """The content-addressed blobs among a bucket's keys."""
    return {key for key in keys if "/sha256/" in key}


async def collect_orphans(app: Starlette) -> dict[str, int]:
    """One collector pass with no grace period (nothing else is uploading)."""
    svc = app.state.services
    return (await BlobCollector(svc.db, svc.blobs, grace_seconds=0).collect(0)).as_dict()


@pytest.mark.parametrize("mode", ["stop", "reset", "blackhole"])
async def test_a_lost_blob_store_answers_503_then_recovers(
    admin: httpx.AsyncClient, disaster_app: Starlette, faults: Faults, mode: Mode
) -> None:
    faults.blobs.set_mode(mode)
    started = time.monotonic()
    refused = await upload(admin, f"lost-{mode}", zip_bytes(ZIP))
    took = time.monotonic() - started
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"] == "blob_store_unavailable"
    assert "object store" in refused.json()["message"]
    assert took < DEADLINE, f"answered after {took:.1f} s"
    assert sql_rows(faults.database_url, "SELECT id FROM artifacts") == []

    faults.blobs.set_mode("pass")
    stored = await upload(admin, f"lost-{mode}", zip_bytes(ZIP))
    assert stored.status_code == 201, stored.text
    await collect_orphans(disaster_app)
    assert faults.bucket.multipart_uploads() == []


async def test_a_database_lost_mid_upload_leaves_orphans_the_collector_removes(
    admin: httpx.AsyncClient, disaster_app: Starlette, faults: Faults
) -> None:
    await collect_orphans(disaster_app)
    before = committed(await asyncio.to_thread(faults.bucket.keys))
    # Incompressible files through a slow store: the blob writes take seconds, so the database
    # can be cut once the first blob is in and before the rows are written.
    files = {f"weights-{n}.bin": os.urandom(256 * 1024) for n in range(6)}
    faults.blobs.set_mode("slow", delay=0.1)
    uploading = asyncio.create_task(upload(admin, "cut-short", zip_bytes(files)))
    deadline = time.monotonic() + DEADLINE
    while not committed(await asyncio.to_thread(faults.bucket.keys)) - before:
        assert not uploading.done(), (await uploading).text
        assert time.monotonic() < deadline, "no blob reached the store"
        await asyncio.sleep(0.02)
    faults.database.set_mode("stop")
    faults.blobs.set_mode("pass")
    refused = await uploading
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"] == "database_unavailable"
    orphans = committed(await asyncio.to_thread(faults.bucket.keys)) - before
    assert orphans, "the cut-short upload should have left blobs behind"

    faults.database.set_mode("pass")
    assert sql_rows(faults.database_url, "SELECT id FROM artifacts") == []
    report = await collect_orphans(disaster_app)
    assert report["blobs_removed"] >= len(orphans), report
    assert committed(await asyncio.to_thread(faults.bucket.keys)) <= before
    assert faults.bucket.multipart_uploads() == []
    stored = await upload(admin, "cut-short", zip_bytes(files))
    assert stored.status_code == 201, stored.text
