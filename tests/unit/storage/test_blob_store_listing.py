"""The collector's side of the BlobStore contract: list blobs with their age, list and abort
the writes a killed process left behind. Run against every adapter (memory, local, S3)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from registry.errors import StorageError
from registry.ids import utcnow
from registry.storage import BlobStore, LocalBlobStore, MemoryBlobStore, S3BlobStore
from registry.storage.base import PendingWrite, naive_utc
from tests.fixtures.blob_stores import Leftovers, Residue

Probe = Callable[[], Residue]
SLACK = timedelta(seconds=5)  # clocks of the test, the filesystem and moto may differ a little


async def feed(data: bytes) -> AsyncIterator[bytes]:
    """Stream data in one piece."""
    yield data


async def pending(store: BlobStore) -> list[PendingWrite]:
    """Every pending write the store lists."""
    return [write async for write in store.list_pending_writes()]


async def test_an_empty_store_lists_nothing(store: BlobStore) -> None:
    assert [blob async for blob in store.list_blobs()] == []
    assert await pending(store) == []


async def test_list_blobs_gives_digest_size_and_write_time(store: BlobStore) -> None:
    before = utcnow()
    small = await store.put(feed(b"small"))
    large = await store.put(feed(os.urandom(10 * 1024 * 1024)))  # multipart on S3
    after = utcnow()
    listed = {blob.digest: blob async for blob in store.list_blobs()}
    assert set(listed) == {small.digest, large.digest}
    assert listed[small.digest].size == 5 and listed[large.digest].size == large.size
    for blob in listed.values():
        assert before - SLACK <= blob.modified <= after + SLACK
    await store.delete(small.digest)
    assert [blob.digest async for blob in store.list_blobs()] == [large.digest]


async def test_finished_puts_leave_no_pending_write(store: BlobStore) -> None:
    await store.put(feed(os.urandom(9 * 1024 * 1024)))
    with pytest.raises(StorageError):
        await store.put(feed(b"x"), expected_digest="not a digest")
    assert await pending(store) == []


async def test_leftovers_of_a_killed_put_are_listed_and_aborted(
    store: BlobStore, plant_leftovers: Leftovers, residue: Probe
) -> None:
    kept = await store.put(feed(b"committed"))
    planted = plant_leftovers()
    writes = await pending(store)
    assert len(writes) == planted
    for write in writes:
        assert utcnow() - write.started < SLACK + timedelta(seconds=60)
        await store.abort_write(write)
        await store.abort_write(write)  # already gone: still fine
    assert await pending(store) == []
    assert residue() == Residue([], [kept.digest])  # the committed blob is untouched


@pytest.mark.parametrize("key", ["", "..", "../escape", "sub/dir", "/etc/passwd"])
async def test_local_abort_refuses_names_outside_staging(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.start()
    victim = tmp_path / "escape"
    victim.write_bytes(b"keep")
    with pytest.raises(StorageError):
        await store.abort_write(PendingWrite(key, utcnow()))
    assert victim.read_bytes() == b"keep"
    await store.close()


async def test_s3_abort_refuses_keys_outside_its_staging(store: BlobStore, residue: Probe) -> None:
    if not isinstance(store, S3BlobStore):
        pytest.skip("S3 keys only")
    blob = await store.put(feed(b"precious"))
    for key in [f"{store.prefix}sha256/{blob.digest}", "elsewhere/key"]:
        with pytest.raises(StorageError):
            await store.abort_write(PendingWrite(key, utcnow()))
    assert residue().committed == [blob.digest]


async def test_a_re_put_counts_as_a_fresh_write(store: BlobStore) -> None:
    if isinstance(store, S3BlobStore):
        pytest.skip("S3 keeps the first write's time (a re-put copies nothing)")
    blob = await store.put(feed(b"again"))
    if isinstance(store, LocalBlobStore):
        old = (utcnow() - timedelta(days=2)).timestamp()
        path = store.committed_dir / blob.digest[:2] / blob.digest[2:4] / blob.digest
        os.utime(path, (old, old))
    else:
        assert isinstance(store, MemoryBlobStore)
        store._written[blob.digest] -= timedelta(days=2)
    await store.put(feed(b"again"))
    [listed] = [b async for b in store.list_blobs()]
    assert utcnow() - listed.modified < SLACK


def test_naive_utc_accepts_epoch_seconds_and_aware_datetimes() -> None:
    moment = naive_utc(0)
    assert moment.tzinfo is None and moment.year == 1970
    aware = naive_utc(moment.replace(tzinfo=UTC) + timedelta(hours=1))
    assert aware == moment + timedelta(hours=1)
    assert naive_utc(moment) is moment
