"""Blob store fixtures: one `store` per adapter, moto's real S3 server, and a leftovers probe."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aioboto3
import pytest

from registry.storage.base import BlobStore
from registry.storage.local import LocalBlobStore
from registry.storage.memory import MemoryBlobStore
from registry.storage.s3 import S3BlobStore
from tests.fixtures.blob_stores import (
    S3_KEY_ID,
    S3_REGION,
    S3_SECRET,
    Leftovers,
    Residue,
    make_s3_store,
    moto_endpoint,
    s3_inspector,
)

# Fixtures defined in tests/fixtures so that tests/unit/packages loads the same ones.
__all__ = ["moto_endpoint", "s3_inspector"]


@pytest.fixture(scope="session")
def s3_session() -> aioboto3.Session:
    """One aioboto3 session for the contract stores: a new one costs ~0.1 s of model parsing."""
    return aioboto3.Session(
        aws_access_key_id=S3_KEY_ID, aws_secret_access_key=S3_SECRET, region_name=S3_REGION
    )


@pytest.fixture(params=["memory", "local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    """Each adapter in turn, started, on empty storage (S3: a new bucket per test)."""
    adapter: BlobStore
    if request.param == "memory":
        adapter = MemoryBlobStore()
    elif request.param == "local":
        adapter = LocalBlobStore(tmp_path / "blobs")
    else:
        adapter = make_s3_store(
            request.getfixturevalue("moto_endpoint"), session=request.getfixturevalue("s3_session")
        )
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.close()


@pytest.fixture
def residue(store: BlobStore, request: pytest.FixtureRequest) -> Callable[[], Residue]:
    """Read the store's raw storage (directory, bucket, dict) to catch leftovers."""
    if isinstance(store, LocalBlobStore):
        local = store

        def from_disk() -> Residue:
            staged = sorted(p.name for p in local.staging_dir.iterdir())
            committed = sorted(p.name for p in local.committed_dir.rglob("*") if p.is_file())
            return Residue(staged, committed)

        return from_disk
    if isinstance(store, S3BlobStore):
        s3 = store
        client = request.getfixturevalue("s3_inspector")

        def keys(prefix: str) -> list[str]:
            listed = client.list_objects_v2(Bucket=s3.bucket, Prefix=prefix)
            return sorted(item["Key"].rsplit("/", 1)[-1] for item in listed.get("Contents", []))

        def from_bucket() -> Residue:
            uploads = client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])
            staged = keys(f"{s3.prefix}staging/") + [f"upload:{u['Key']}" for u in uploads]
            # Committed names are digests, as in the other adapters, so tests compare them alike.
            return Residue(staged, keys(f"{s3.prefix}sha256/"))

        return from_bucket
    assert isinstance(store, MemoryBlobStore)
    memory = store
    # Memory stages in a local buffer only; its dict is the whole committed state.
    return lambda: Residue([], sorted(memory._blobs))


@pytest.fixture
def plant_leftovers(store: BlobStore, request: pytest.FixtureRequest) -> Leftovers:
    """Leave what a process killed mid-put leaves in raw storage; return how many writes.

    Local: a staging file. S3: an open multipart upload holding a part, and a staging object
    whose copy finished but whose delete never ran. Memory stages in the put's own buffer,
    which dies with the process: nothing."""
    if isinstance(store, LocalBlobStore):
        local = store

        def on_disk() -> int:
            (local.staging_dir / uuid.uuid4().hex).write_bytes(b"half a blob")
            return 1

        return on_disk
    if isinstance(store, S3BlobStore):
        s3 = store
        client = request.getfixturevalue("s3_inspector")

        def in_bucket() -> int:
            key = f"{s3.prefix}staging/{uuid.uuid4().hex}"
            upload = client.create_multipart_upload(Bucket=s3.bucket, Key=key)
            client.upload_part(
                Bucket=s3.bucket,
                Key=key,
                UploadId=upload["UploadId"],
                PartNumber=1,
                Body=b"x" * (5 * 1024 * 1024),
            )
            client.put_object(Bucket=s3.bucket, Key=f"{s3.prefix}staging/{uuid.uuid4().hex}")
            return 2

        return in_bucket
    return lambda: 0
