"""Upload staging: the rebuilt whole-package zip, concurrent blob writes and their failures."""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import zipfile
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from registry.errors import BlobIntegrityError, StorageError
from registry.packages import upload
from registry.packages.archive import build_zip
from registry.packages.upload import BlobPins, StagedUpload, stage_upload
from registry.packages.zipcheck import ZipLimits
from registry.storage.base import BlobInfo
from registry.storage.local import LocalBlobStore
from tests.fixtures import zips


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def nothing_in_use(digests: list[str]) -> set[str]:
    return set()


def files_under(directory: Path) -> list[Path]:
    """Every file below directory (blobs committed or staged, spool files)."""
    return [p for p in directory.rglob("*") if p.is_file()]


async def stage(
    store: LocalBlobStore, body: bytes, spool: Path, pins: BlobPins | None = None
) -> StagedUpload:
    return await stage_upload(
        store,
        chunks(body),
        name="pkg",
        version="1.0.0",
        limit=10**9,
        limits=ZipLimits(),
        directory=spool,
        pins=pins or BlobPins(),
        in_use=nothing_in_use,
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[LocalBlobStore]:
    blobs = LocalBlobStore(tmp_path / "blobs")
    await blobs.start()
    yield blobs
    await blobs.close()


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    path = tmp_path / "spool"
    path.mkdir()
    return path


def noise(seed: int, size: int) -> bytes:
    """Incompressible bytes (a highly compressible member would be refused as a bomb)."""
    return random.Random(seed).randbytes(size)


async def blob_bytes(store: LocalBlobStore, digest: str) -> bytes:
    return b"".join([bytes(c) async for c in store.open(digest)])


async def test_the_package_zip_is_the_part_writer_s_zip_of_the_files(
    store: LocalBlobStore, spool: Path
) -> None:
    files = zips.TINY_FILES | {"big/weights.bin": noise(0, 1_300_000)}  # over 1 MiB: streamed
    body = zips.zip_bytes(dict(reversed(files.items())))  # uploaded in another order, deflated
    staged = await stage(store, body, spool)
    digest, size = staged.info.extra["upload_sha256"], staged.info.extra["upload_size"]
    rebuilt = await blob_bytes(store, digest)
    assert (hashlib.sha256(rebuilt).hexdigest(), len(rebuilt)) == (digest, size)
    zips.assert_rebuilt(rebuilt, files)
    # Byte for byte what archive.build_zip makes of the stored blobs (a part, or the fallback
    # when the package zip is missing), so the two can never disagree.
    entries = sorted((f.path, f.sha256 or "", f.size) for f in staged.info.files)
    built = await build_zip(store, entries, spool)
    assert built == BlobInfo(digest, size)
    assert sorted(staged.new_blobs) == sorted({*(f.sha256 for f in staged.info.files), digest})
    assert files_under(spool) == []


async def test_identical_files_are_one_blob_and_many_small_files_all_land(
    store: LocalBlobStore, spool: Path
) -> None:
    # More entries than one batch holds, and more bytes than one batch reads.
    files = {f"shards/{i:03d}.txt": f"shard {i}".encode() * (i + 1) for i in range(150)}
    files |= {f"large/{i}.bin": noise(i, upload.BATCH_BYTES // 10) for i in range(12)}
    files |= {"copy-a.txt": b"same bytes", "copy-b.txt": b"same bytes"}
    pins = BlobPins()
    staged = await stage(store, zips.zip_bytes(files), spool, pins)
    digests = {f.path: f.sha256 for f in staged.info.files}
    assert digests["copy-a.txt"] == digests["copy-b.txt"]
    assert len(staged.new_blobs) == len(set(staged.new_blobs)) == len(files)  # 1 copy + zip
    for path, data in files.items():
        assert await blob_bytes(store, digests[path] or "") == data, path
    assert all(pins.pinned(d) for d in staged.new_blobs)
    # Staging again finds every blob stored: it creates none and keeps the same zip.
    again = await stage(store, zips.zip_bytes(files), spool, pins)
    assert again.new_blobs == []
    assert again.info.extra["upload_sha256"] == staged.info.extra["upload_sha256"]


class FailingStore(LocalBlobStore):
    """A local store whose n-th put fails, or waits for `release` (a slow write)."""

    def __init__(self, root: Path, fail_at: int, error: Exception | None) -> None:
        super().__init__(root)
        self.fail_at, self.error, self.calls = fail_at, error, 0
        self.blocked, self.release = asyncio.Event(), asyncio.Event()

    async def put(
        self, chunks: AsyncIterable[bytes], *, expected_digest: str | None = None
    ) -> BlobInfo:
        self.calls += 1
        if self.calls == self.fail_at:
            if self.error is not None:
                raise self.error
            self.blocked.set()
            await self.release.wait()
        return await super().put(chunks, expected_digest=expected_digest)


def many_files() -> dict[str, bytes]:
    return {f"f/{i:03d}.txt": f"file {i}".encode() for i in range(100)}


@pytest.mark.parametrize(
    "error", [StorageError("disk gone"), BlobIntegrityError("bytes changed")], ids=str
)
async def test_a_failed_blob_write_stops_the_others_and_leaves_nothing(
    tmp_path: Path, spool: Path, error: Exception
) -> None:
    store = FailingStore(tmp_path / "blobs", fail_at=40, error=error)
    await store.start()
    pins = BlobPins()
    with pytest.raises(type(error), match=str(error)):  # the error itself, not a group
        await stage(store, zips.zip_bytes(many_files()), spool, pins)
    assert store.calls < 100  # the writes not started yet never were
    assert files_under(tmp_path / "blobs") == [] and files_under(spool) == []
    assert pins._counts == {}
    await store.close()


async def test_a_cancelled_upload_mid_write_leaves_nothing(tmp_path: Path, spool: Path) -> None:
    store = FailingStore(tmp_path / "blobs", fail_at=40, error=None)
    await store.start()
    pins = BlobPins()
    task = asyncio.create_task(stage(store, zips.zip_bytes(many_files()), spool, pins))
    await store.blocked.wait()
    task.cancel()  # the client went away while a batch of writes is in flight...
    store.release.set()  # ...which finish (shielded), and are then removed with the rest
    with pytest.raises(asyncio.CancelledError):
        await task
    assert store.calls < 100  # no batch started after the cancellation
    assert files_under(tmp_path / "blobs") == [] and files_under(spool) == []
    assert pins._counts == {}
    await store.close()


class FullDisk(io.RawIOBase):
    """An entry writer on a full disk."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OSError(28, "No space left on device")


async def test_a_full_spool_disk_is_a_storage_error_not_a_bad_zip(
    store: LocalBlobStore, spool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upload, "open_entry", lambda *args: FullDisk())
    with pytest.raises(StorageError, match=r"cannot write the package zip: .*No space left"):
        await stage(store, zips.tiny_zip(), spool)
    assert files_under(tmp_path / "blobs") == [] and files_under(spool) == []


def test_the_package_zip_holds_no_folder_entries(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/", b"")
        archive.writestr("model/config.json", b"{}")
    source = tmp_path / "in.zip"
    source.write_bytes(buffer.getvalue())
    entries = [upload.ZipEntry("model/config.json", "config.json", 2)]
    digests, small, rebuilt = upload._read_members(source, entries, tmp_path / "out.zip")
    assert small == {"config.json": b"{}"}
    assert digests == [hashlib.sha256(b"{}").hexdigest()]
    zips.assert_rebuilt(rebuilt.path.read_bytes(), {"config.json": b"{}"})
