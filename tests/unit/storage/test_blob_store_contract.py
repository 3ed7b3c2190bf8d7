"""The BlobStore contract, run against every adapter (memory, local disk, S3 through moto)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.config import Settings
from registry.errors import BlobIntegrityError, BlobNotFoundError, StorageError
from registry.storage import (
    CHUNK_SIZE,
    BlobInfo,
    BlobStore,
    LocalBlobStore,
    MemoryBlobStore,
    S3BlobStore,
    build_blob_store,
)
from registry.storage import local as local_module
from registry.storage import s3 as s3_module
from tests.fixtures.blob_stores import Residue, make_s3_store

MiB = 1024 * 1024
LARGE = 9 * MiB + MiB // 2  # above one 8 MiB S3 part, so S3 goes multipart
MISSING = hashlib.sha256(b"never stored").hexdigest()
MALFORMED = ["", "abc", MISSING.upper(), MISSING[:-1] + "g", "../" * 20 + "etc/passwd"]
Probe = Callable[[], Residue]


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic pseudo-random bytes (fast, and reproducible when a test fails)."""
    return random.Random(seed).randbytes(size)


async def feed(data: bytes, piece: int = 256 * 1024 + 3) -> AsyncIterator[bytes]:
    """Stream data in odd-sized pieces so adapters must re-chunk it themselves."""
    for offset in range(0, len(data), piece):
        yield data[offset : offset + piece]


async def read(store: BlobStore, digest: str, start: int = 0, end: int | None = None) -> bytes:
    """Collect everything open() yields, checking the CHUNK_SIZE piece contract on the way."""
    pieces = [piece async for piece in store.open(digest, start=start, end=end)]
    assert all(len(piece) == CHUNK_SIZE for piece in pieces[:-1])
    assert all(0 < len(piece) <= CHUNK_SIZE for piece in pieces)
    return b"".join(pieces)


class Boom(Exception):
    """The caller's upload stream broke."""


async def broken_feed(data: bytes, fail_after: int) -> AsyncIterator[bytes]:
    """Yield data, then fail once fail_after bytes have been handed over."""
    sent = 0
    async for piece in feed(data):
        if sent >= fail_after:
            raise Boom("client went away")
        sent += len(piece)
        yield piece
    raise Boom("client went away at the end")


def assert_clean(residue: Probe) -> None:
    """Nothing staged, nothing committed."""
    assert residue() == Residue([], [])


# --- round trips -------------------------------------------------------------------------------


async def test_every_adapter_satisfies_the_protocol(store: BlobStore) -> None:
    assert isinstance(store, BlobStore)
    assert store.name in {"memory", "local", "s3"}


# 16 MiB is exactly two S3 parts: the multipart path with no short tail part.
@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, LARGE, 16 * MiB])
async def test_put_stat_open_round_trip(store: BlobStore, residue: Probe, size: int) -> None:
    data = payload(size, seed=size)
    digest = hashlib.sha256(data).hexdigest()

    info = await store.put(feed(data))

    assert info == BlobInfo(digest=digest, size=size)
    assert await store.stat(digest) == info
    assert await store.exists(digest)
    assert await read(store, digest) == data
    assert residue() == Residue([], [digest])


async def test_put_accepts_the_correct_expected_digest(store: BlobStore) -> None:
    data = payload(3000)
    digest = hashlib.sha256(data).hexdigest()
    assert await store.put(feed(data), expected_digest=digest) == BlobInfo(digest, 3000)


async def test_re_put_is_idempotent(store: BlobStore, residue: Probe) -> None:
    data = payload(2 * MiB + 5)
    first = await store.put(feed(data))
    second = await store.put(feed(data, piece=MiB), expected_digest=first.digest)

    assert first == second
    assert await read(store, first.digest) == data
    assert residue() == Residue([], [first.digest])


async def test_concurrent_puts_of_the_same_bytes_agree(store: BlobStore, residue: Probe) -> None:
    data = payload(3 * MiB)
    infos = await asyncio.gather(*(store.put(feed(data)) for _ in range(3)))

    assert len(set(infos)) == 1
    assert await read(store, infos[0].digest) == data
    assert residue() == Residue([], [infos[0].digest])


# --- integrity and failed writes ---------------------------------------------------------------


@pytest.mark.parametrize("size", [100, LARGE])
async def test_digest_mismatch_commits_nothing(store: BlobStore, residue: Probe, size: int) -> None:
    data = payload(size)
    actual = hashlib.sha256(data).hexdigest()

    with pytest.raises(BlobIntegrityError) as caught:
        await store.put(feed(data), expected_digest=MISSING)

    assert caught.value.details == {"expected": MISSING, "actual": actual}
    assert not await store.exists(actual)
    assert not await store.exists(MISSING)
    assert_clean(residue)


@pytest.mark.parametrize("bad", ["", "xyz", MISSING.upper()])
async def test_malformed_expected_digest_is_refused(
    store: BlobStore, residue: Probe, bad: str
) -> None:
    with pytest.raises(StorageError) as caught:
        await store.put(feed(b"abc"), expected_digest=bad)
    assert not isinstance(caught.value, BlobIntegrityError)
    assert_clean(residue)


@pytest.mark.parametrize("fail_after", [0, 600 * 1024, 9 * MiB])
async def test_failing_upload_stream_leaves_nothing(
    store: BlobStore, residue: Probe, fail_after: int
) -> None:
    # 9 MiB means one full 8 MiB S3 part was uploaded before the failure: it must be aborted.
    data = payload(LARGE)

    with pytest.raises(Boom):
        await store.put(broken_feed(data, fail_after))

    assert_clean(residue)


async def test_cancelled_put_leaves_nothing(store: BlobStore, residue: Probe) -> None:
    consumed = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        async for piece in feed(payload(9 * MiB)):
            yield piece
        consumed.set()
        await asyncio.Event().wait()  # the client stops sending but keeps the connection open
        yield b"never"

    task = asyncio.create_task(store.put(stalls()))
    await asyncio.wait_for(consumed.wait(), timeout=120)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert_clean(residue)


# --- reads and ranges --------------------------------------------------------------------------

RANGE_SIZE = 2 * CHUNK_SIZE + 12345


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, None),
        (10, None),
        (0, 10),
        (5, CHUNK_SIZE + 7),
        (CHUNK_SIZE, 2 * CHUNK_SIZE),
        (RANGE_SIZE - 1, None),
        (0, RANGE_SIZE + 100),  # end past the blob is clamped
        (7, 7),  # empty
        (RANGE_SIZE, None),  # starts at the end: empty
        (RANGE_SIZE + 5, RANGE_SIZE + 10),  # entirely past the end: empty
    ],
)
async def test_open_returns_the_requested_range(
    store: BlobStore, start: int, end: int | None
) -> None:
    data = payload(RANGE_SIZE)
    info = await store.put(feed(data))
    assert await read(store, info.digest, start, end) == data[start:end]


@pytest.mark.parametrize(("start", "end"), [(-1, None), (5, 4)])
async def test_open_rejects_an_inverted_range(
    store: BlobStore, start: int, end: int | None
) -> None:
    info = await store.put(feed(b"0123456789"))
    with pytest.raises(ValueError, match="range"):
        await read(store, info.digest, start, end)


async def test_stopping_a_read_early_releases_it(store: BlobStore) -> None:
    data = payload(3 * CHUNK_SIZE)
    info = await store.put(feed(data))
    reader = store.open(info.digest)
    assert await anext(reader) == data[:CHUNK_SIZE]
    await reader.aclose()  # type: ignore[attr-defined]
    assert await read(store, info.digest) == data  # and the store is still fine


# --- missing and malformed digests -------------------------------------------------------------


@pytest.mark.parametrize("digest", [MISSING, *MALFORMED])
async def test_missing_blob_is_not_found(store: BlobStore, digest: str) -> None:
    with pytest.raises(BlobNotFoundError):
        await store.stat(digest)
    assert not await store.exists(digest)
    reader = store.open(digest)  # no error until iterated: callers stat first for a clean 404
    with pytest.raises(BlobNotFoundError):
        await anext(reader)
    with pytest.raises(BlobNotFoundError):
        await read(store, digest, 3, 3)  # even an empty range tells a missing blob apart
    await store.delete(digest)  # deleting what is not there is fine


async def test_delete_removes_the_blob(store: BlobStore, residue: Probe) -> None:
    info = await store.put(feed(payload(1000)))
    await store.delete(info.digest)

    assert not await store.exists(info.digest)
    with pytest.raises(BlobNotFoundError):
        await store.stat(info.digest)
    with pytest.raises(BlobNotFoundError):
        await read(store, info.digest)
    await store.delete(info.digest)
    assert_clean(residue)


# --- presign, health, lifecycle ----------------------------------------------------------------


async def test_presign(store: BlobStore) -> None:
    data = payload(CHUNK_SIZE + 99)
    info = await store.put(feed(data))

    url = await store.presign(info.digest, expires_in=60, filename="model weights é.bin")
    plain = await store.presign(info.digest)

    if not isinstance(store, S3BlobStore):
        assert url is None
        assert plain is None
        return
    assert url is not None
    assert plain is not None
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
        plain_response = await client.get(plain)
    assert response.status_code == plain_response.status_code == 200
    assert response.content == plain_response.content == data
    assert "content-disposition" not in plain_response.headers
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="model weights _.bin"')
    assert "filename*=UTF-8''model%20weights%20%C3%A9.bin" in disposition


@pytest.mark.parametrize("digest", MALFORMED)
async def test_presign_refuses_a_malformed_digest(store: BlobStore, digest: str) -> None:
    with pytest.raises(BlobNotFoundError):
        await store.presign(digest)


async def test_check_passes_on_a_healthy_store(store: BlobStore) -> None:
    await store.check()


async def test_open_file_is_the_blob_on_local_disk_else_none(store: BlobStore) -> None:
    info = await store.put(feed(b"zero copy"))
    file = await store.open_file(info.digest)
    if store.name == "local":
        assert file is not None
        with file:
            assert file.read() == b"zero copy"
    else:
        assert file is None  # memory and S3 keep no local files: downloads stream or presign


async def test_close_is_idempotent(store: BlobStore) -> None:
    await store.close()
    await store.close()


# --- adapter specifics ---------------------------------------------------------------------------


async def test_local_layout_and_open_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    info = await store.put(feed(b"hello"))
    d = info.digest

    with await store.open_file(d) as file:
        assert Path(file.name) == tmp_path / "sha256" / d[:2] / d[2:4] / d
        assert file.read() == b"hello"
    for bad in [MISSING, *MALFORMED]:
        with pytest.raises(BlobNotFoundError):
            await store.open_file(bad)


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (1, None), (CHUNK_SIZE + 4097, 4 * CHUNK_SIZE - 1), (2 * CHUNK_SIZE - 1, None)],
)
async def test_local_reads_cross_mapped_windows_in_whole_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: int, end: int | None
) -> None:
    monkeypatch.setattr(local_module, "WINDOW", 2 * CHUNK_SIZE)  # several windows per blob
    store = LocalBlobStore(tmp_path)
    data = payload(5 * CHUNK_SIZE + 777)
    info = await store.put(feed(data))
    assert await read(store, info.digest, start, end) == data[start:end]


async def test_local_read_of_a_blob_cut_short_on_disk_is_a_storage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_module, "WINDOW", CHUNK_SIZE)
    store = LocalBlobStore(tmp_path)
    data = payload(3 * CHUNK_SIZE)
    info = await store.put(feed(data))
    reader = store.open(info.digest)
    first = bytes(await anext(reader))
    assert first == data[:CHUNK_SIZE]
    with await store.open_file(info.digest) as file:
        os.truncate(file.name, CHUNK_SIZE + 10)  # damage the file behind the store's back
    assert bytes(await anext(reader)) == data[CHUNK_SIZE : CHUNK_SIZE + 10]
    with pytest.raises(StorageError, match="shorter than its recorded size"):
        await anext(reader)


async def test_local_read_survives_the_blob_being_deleted_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_module, "WINDOW", CHUNK_SIZE)
    store = LocalBlobStore(tmp_path)
    data = payload(3 * CHUNK_SIZE + 5)
    info = await store.put(feed(data))
    reader = store.open(info.digest)
    pieces = [bytes(await anext(reader))]
    await store.delete(info.digest)
    pieces += [bytes(piece) async for piece in reader]
    assert b"".join(pieces) == data
    assert not await store.exists(info.digest)


async def test_local_read_of_an_empty_blob_yields_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    info = await store.put(feed(b""))
    assert [piece async for piece in store.open(info.digest)] == []


async def test_local_check_fails_when_the_root_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    store = LocalBlobStore(tmp_path / "file" / "blobs")
    with pytest.raises(StorageError):
        await store.check()
    with pytest.raises(StorageError):
        await store.start()
    with pytest.raises(StorageError):
        await store.put(feed(b"x"))


async def test_s3_copies_huge_blobs_in_parts(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The > 5 GiB path (CopyObject's limit) scaled down so moto can run it in a moment.
    monkeypatch.setattr(s3_module, "MAX_COPY_OBJECT", 5 * MiB)
    monkeypatch.setattr(s3_module, "COPY_PART_SIZE", 5 * MiB)
    store = make_s3_store(moto_endpoint)
    try:
        data = payload(LARGE)
        info = await store.put(feed(data))
        assert await read(store, info.digest) == data
    finally:
        await store.close()


async def test_s3_prefix_is_normalised(moto_endpoint: str, s3_inspector: Any) -> None:
    store = make_s3_store(moto_endpoint, prefix="/tenant/blobs")
    try:
        info = await store.put(feed(b"prefixed"))
        listed = s3_inspector.list_objects_v2(Bucket=store.bucket)["Contents"]
        assert [item["Key"] for item in listed] == [f"tenant/blobs/sha256/{info.digest}"]
    finally:
        await store.close()


def _unreachable(**overrides: Any) -> S3BlobStore:
    # Port 9 (discard) refuses at once; one attempt and a short timeout keep the test fast.
    options: dict[str, Any] = {"connect_timeout": 0.5, "read_timeout": 0.5, "max_attempts": 1}
    options.update(overrides)
    return make_s3_store("http://127.0.0.1:9", **options)


async def test_s3_unreachable_endpoint_is_a_storage_error() -> None:
    store = _unreachable(create_bucket=False)
    try:
        await store.start()  # no network needed without bucket creation
        with pytest.raises(StorageError) as caught:
            await store.check()
        assert not isinstance(caught.value, BlobNotFoundError)
        with pytest.raises(StorageError):
            await store.put(feed(b"x"))
        with pytest.raises(StorageError):
            await store.stat(MISSING)
    finally:
        await store.close()


async def test_s3_start_fails_when_the_bucket_cannot_be_created() -> None:
    store = _unreachable(create_bucket=True)
    with pytest.raises(StorageError):
        await store.start()
    await store.close()


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
async def test_s3_start_creates_the_bucket_once(
    moto_endpoint: str, s3_inspector: Any, region: str
) -> None:
    # A second replica starting against the same bucket must find it, not fail creating it.
    first = make_s3_store(moto_endpoint, region=region)
    second = make_s3_store(moto_endpoint, region=region, bucket=first.bucket)
    try:
        await first.start()
        await second.start()
        await second.check()
        located = s3_inspector.get_bucket_location(Bucket=first.bucket)["LocationConstraint"]
        assert (located or "us-east-1") == region
    finally:
        await first.close()
        await second.close()


async def test_s3_missing_bucket_fails_the_check(moto_endpoint: str) -> None:
    store = make_s3_store(moto_endpoint, create_bucket=False)
    try:
        with pytest.raises(StorageError):
            await store.check()
    finally:
        await store.close()


# --- factory -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "adapter"),
    [("memory", MemoryBlobStore), ("local", LocalBlobStore), ("s3", S3BlobStore)],
)
async def test_factory_picks_the_adapter_by_name(
    backend: str, adapter: type[BlobStore], tmp_path: Path, moto_endpoint: str
) -> None:
    settings = Settings(
        blob_backend=backend,
        blob_local_path=tmp_path,
        s3_bucket="factory-bucket",
        s3_endpoint_url=moto_endpoint,
        s3_access_key_id="testing-key",
        s3_secret_access_key="testing-secret",
    )
    store = build_blob_store(settings)
    try:
        assert isinstance(store, adapter)
        await store.start()
        info = await store.put(feed(b"via factory"))
        assert await read(store, info.digest) == b"via factory"
    finally:
        await store.close()


def test_factory_rejects_an_unknown_backend() -> None:
    settings = Settings().model_copy(update={"blob_backend": "ftp"})
    with pytest.raises(ValueError, match=r"'ftp'.*local, memory, s3"):
        build_blob_store(settings)
