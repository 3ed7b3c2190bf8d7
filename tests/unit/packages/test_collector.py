"""The blob collector on SQLite and PostgreSQL: orphans go, referenced and young blobs stay,
stale writes are aborted (local staging files, S3 multipart uploads through moto's server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from registry.db.engine import Database
from registry.db.models.packages import PackageArchiveRow, PackageFileRow, PackageRow
from registry.db.repositories.jobs import JobRepository
from registry.db.repositories.packages import PackageRepository
from registry.ids import utcnow
from registry.jobs.service import JobService
from registry.packages import collector as collector_module
from registry.packages.collector import BLOB_GC_JOB, BlobCollector
from registry.packages.upload import BlobPins
from registry.storage.base import BlobStore
from registry.storage.local import LocalBlobStore
from registry.storage.memory import MemoryBlobStore
from tests.fixtures.blob_stores import make_s3_store

GRACE = 600.0


def later() -> datetime:
    """The collector's clock an hour from now: everything written so far is past the grace."""
    return utcnow() + timedelta(hours=1)


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'gc.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_database")
    )
    db = Database(url)
    await db.migrate()
    async with db.unit_of_work(write=True) as uow:
        await PackageRepository(uow.session).delete_all()
        await JobRepository(uow.session).delete_all()
    yield db
    await db.dispose()


@pytest_asyncio.fixture(params=["memory", "local"])
async def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    store: BlobStore = (
        MemoryBlobStore() if request.param == "memory" else LocalBlobStore(tmp_path / "blobs")
    )
    await store.start()
    yield store
    await store.close()


async def feed(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def put(store: BlobStore, data: bytes) -> str:
    return (await store.put(feed(data))).digest


async def reference(db: Database, *, file: str = "", archive: str = "", built: str = "") -> None:
    """Rows that use digests: a package file, an upload's own zip, a cached part zip."""
    now = utcnow()
    async with db.unit_of_work(write=True) as uow:
        repo = PackageRepository(uow.session)
        await repo.save(
            PackageRow(
                artifact_id="a1",
                origin="upload",
                archive_digest=archive or None,
                created_at=now,
                updated_at=now,
            )
        )
        if file:
            rows = [PackageFileRow(artifact_id="a1", path="w.bin", digest=file, part="weights")]
            await repo.replace_files("a1", rows)
        if built:
            await repo.add_archive(PackageArchiveRow(key="k", digest=built, created_at=now))


async def stored(store: BlobStore) -> set[str]:
    return {blob.digest async for blob in store.list_blobs()}


async def test_orphans_go_and_referenced_blobs_stay(database: Database, blobs: BlobStore) -> None:
    file, archive, built, _orphan = [await put(blobs, b) for b in (b"f", b"a", b"b", b"o")]
    await reference(database, file=file, archive=archive, built=built)
    report = await BlobCollector(database, blobs, grace_seconds=GRACE, clock=later).collect()
    assert await stored(blobs) == {file, archive, built}
    assert report.blobs_removed == 1 and report.bytes_removed == 1
    assert report.blobs_referenced == 3


async def test_young_orphans_stay(database: Database, blobs: BlobStore) -> None:
    orphan = await put(blobs, b"an upload in flight wrote me a moment ago")
    report = await BlobCollector(database, blobs, grace_seconds=GRACE).collect()
    assert await stored(blobs) == {orphan}
    assert report.blobs_young == 1 and report.blobs_removed == 0
    # The same blob once the grace period has passed, or with a grace of zero (`registry gc`).
    collector = BlobCollector(database, blobs, grace_seconds=GRACE)
    assert (await collector.collect(grace_seconds=0)).blobs_removed == 1
    assert await stored(blobs) == set()


async def test_blobs_an_upload_here_has_pinned_stay(database: Database, blobs: BlobStore) -> None:
    pinned = await put(blobs, b"found stored by an upload that has not committed yet")
    pins = BlobPins()
    pins.pin([pinned])
    collector = BlobCollector(database, blobs, grace_seconds=GRACE, pins=pins, clock=later)
    assert (await collector.collect()).blobs_removed == 0
    pins.unpin([pinned])
    assert (await collector.collect()).blobs_removed == 1


async def test_many_orphans_are_checked_in_batches(
    database: Database, blobs: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector_module, "BATCH", 3)
    digests = [await put(blobs, bytes([n])) for n in range(8)]
    await reference(database, file=digests[4])
    report = await BlobCollector(database, blobs, grace_seconds=GRACE, clock=later).collect()
    assert report.blobs_removed == 7 and await stored(blobs) == {digests[4]}


async def test_stale_staging_files_are_removed(database: Database, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "local")
    await store.start()
    (store.staging_dir / "left-by-kill-9").write_bytes(b"half")
    collector = BlobCollector(database, store, grace_seconds=GRACE)
    assert (await collector.collect()).writes_young == 1  # a put might still be writing it
    collector.clock = later
    assert (await collector.collect()).writes_aborted == 1
    assert list(store.staging_dir.iterdir()) == []
    await store.close()


async def test_stale_s3_multipart_uploads_are_aborted(
    database: Database, moto_endpoint: str, s3_inspector: Any
) -> None:
    store = make_s3_store(moto_endpoint)
    await store.start()
    kept = await put(store, b"referenced")
    await reference(database, file=kept)
    key = f"{store.prefix}staging/killed-mid-upload"
    upload = s3_inspector.create_multipart_upload(Bucket=store.bucket, Key=key)
    s3_inspector.upload_part(
        Bucket=store.bucket,
        Key=key,
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"x" * (5 * 1024 * 1024),
    )
    collector = BlobCollector(database, store, grace_seconds=GRACE)
    young = await collector.collect()
    assert young.writes_young == 1 and young.writes_aborted == 0  # its last part is recent
    collector.clock = later
    report = await collector.collect()
    assert report.writes_aborted == 1 and report.blobs_referenced == 1
    assert s3_inspector.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []
    assert await stored(store) == {kept}
    await store.close()


async def test_the_collector_runs_as_a_job_once_at_a_time(database: Database) -> None:
    store = MemoryBlobStore()
    await put(store, b"orphan")
    jobs = JobService(database)
    collector = BlobCollector(database, store, grace_seconds=GRACE)
    collector.register(jobs)
    assert await collector.enqueue(jobs) is True
    assert await collector.enqueue(jobs) is False  # one queued already
    async with database.unit_of_work(write=True) as uow:
        job = await jobs.enqueue(uow, BLOB_GC_JOB, payload={"grace_seconds": 0})
    assert await jobs.run_once() and await jobs.run_once()
    async with database.unit_of_work() as uow:
        done = await jobs.get(uow, job.id)
    assert done.status == "succeeded"
    assert await stored(store) == set()
    assert await collector.enqueue(jobs) is True  # nothing unfinished any more


def spy_on_enqueue(collector: BlobCollector, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """An event set after the schedule's next enqueue attempt, whatever its outcome."""
    attempted = asyncio.Event()
    original = collector.enqueue

    async def enqueue(jobs: JobService) -> bool:
        try:
            return await original(jobs)
        finally:
            attempted.set()

    monkeypatch.setattr(collector, "enqueue", enqueue)
    return attempted


async def test_the_schedule_enqueues_collections(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = JobService(database)
    collector = BlobCollector(database, MemoryBlobStore(), grace_seconds=GRACE)
    collector.register(jobs)
    attempted = spy_on_enqueue(collector, monkeypatch)
    collector.start(jobs, 0.05)
    try:
        await asyncio.wait_for(attempted.wait(), 30)
    finally:
        await collector.stop()
    assert (await jobs.counts()).get("queued") == 1
    await collector.stop()  # idempotent
    collector.start(jobs, 0)  # interval 0: never scheduled
    assert collector._schedule is None


async def test_a_schedule_round_during_an_outage_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    jobs = JobService(db)
    collector = BlobCollector(db, MemoryBlobStore(), grace_seconds=GRACE)
    collector.register(jobs)
    attempted = spy_on_enqueue(collector, monkeypatch)
    collector.start(jobs, 0.02)
    try:
        await asyncio.wait_for(attempted.wait(), 30)
        await asyncio.sleep(0)  # let the schedule log its failure and go back to sleep
        assert "could not schedule the blob collector" in caplog.text
        assert collector._schedule is not None and not collector._schedule.done()
    finally:
        await collector.stop()
        await db.dispose()
