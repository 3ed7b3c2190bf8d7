"""Zip building from blobs, spooling with a limit, and upload staging."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from registry.errors import PayloadTooLargeError, ZipRejectedError
from registry.packages.archive import build_zip, spool
from registry.packages.upload import (
    BlobPins,
    check_version,
    describe,
    discard_blobs,
    stage_upload,
)
from registry.packages.zipcheck import ZipLimits
from registry.storage.local import LocalBlobStore
from tests.fixtures import zips


def listing(directory: Path, pattern: str) -> list[Path]:
    """Files matching pattern (a plain helper: the checks run after every await is done)."""
    return list(directory.glob(pattern))


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_built_zips_are_identical_and_hold_the_blobs(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.start()
    a = await store.put(chunks(b"alpha" * 1000))
    b = await store.put(chunks(b"beta"))
    entries = [("x/a.bin", a.digest, a.size), ("b.txt", b.digest, b.size)]
    first = await build_zip(store, entries, tmp_path)
    second = await build_zip(store, entries, tmp_path)
    assert first == second  # deterministic: same digest, served from cache or rebuilt alike
    body = b"".join([c async for c in store.open(first.digest)])
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.read("x/a.bin") == b"alpha" * 1000
        assert archive.read("b.txt") == b"beta"
    assert listing(tmp_path, "part-*") == []


async def test_spool_enforces_the_limit_and_cleans_up(tmp_path: Path) -> None:
    spooled = await spool(chunks(b"z" * 5000), tmp_path, 5000)
    assert spooled.size == 5000 and spooled.path.read_bytes() == b"z" * 5000
    spooled.path.unlink()
    with pytest.raises(PayloadTooLargeError):
        await spool(chunks(b"z" * 5001), tmp_path, 5000)
    assert listing(tmp_path, "*") == []


async def nothing_in_use(digests: list[str]) -> set[str]:
    return set()


async def test_stage_upload_removes_new_blobs_on_a_damaged_zip(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.start()
    pins = BlobPins()
    with pytest.raises(ZipRejectedError, match="damaged"):
        await stage_upload(
            store,
            chunks(zips.corrupt_zip()),
            name="x",
            version="1.0.0",
            limit=10**9,
            limits=ZipLimits(),
            directory=tmp_path,
            pins=pins,
            in_use=nothing_in_use,
        )
    assert [p for p in listing(tmp_path / "blobs", "**/*") if p.is_file()] == []
    assert listing(tmp_path, "upload-*") == []
    assert not pins.shared("x") and pins._counts == {}  # a failed staging unpins what it pinned


async def test_discard_keeps_blobs_another_upload_pinned_or_a_package_uses(
    tmp_path: Path,
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.start()
    mine, pinned, used = [(await store.put(chunks(b))).digest for b in (b"a", b"b", b"c")]
    pins = BlobPins()
    pins.pin([mine, pinned, used])  # the refused upload's own pins
    pins.pin([pinned])  # another upload in flight relies on this one

    async def in_use(digests: list[str]) -> set[str]:
        return {used} & set(digests)

    await discard_blobs(store, [mine, pinned, used], pins, in_use)
    assert not await store.exists(mine)
    assert await store.exists(pinned) and await store.exists(used)
    pins.unpin([pinned])
    assert not pins.shared(pinned)


def test_describe_reads_card_and_config() -> None:
    from registry.packages.zipcheck import ZipEntry

    small = {"README.md": zips.TINY_FILES["README.md"], "config.json": b'{"model_type": "bert"}'}
    entries = [ZipEntry("README.md", "README.md", 10), ZipEntry("config.json", "config.json", 5)]
    info = describe("tiny", "1.0.0", entries, ["a" * 64, "b" * 64], small)
    assert info.kind == "upload"
    assert info.license == "apache-2.0"
    assert info.config == {"model_type": "bert"}
    assert "quokka-marker-7" in info.card_text
    assert info.extra["version"] == "1.0.0"
    assert check_version("1.2.3-rc.1+build.5") == "1.2.3-rc.1+build.5"
