"""Spool files never outlive their request or their process: per-process directories, swept
at start-up when their owner is dead (kill -9 included), and removed by the request itself on
failure, cancellation and success."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.errors import StorageError, ZipRejectedError
from registry.packages.spool import LOCK_NAME, SpoolDirectory
from registry.packages.upload import BlobPins, stage_upload
from registry.packages.zipcheck import ZipLimits
from registry.storage.base import BlobInfo
from registry.storage.memory import MemoryBlobStore
from tests.fixtures import zips

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from registry.packages.spool import SpoolDirectory
    spool = SpoolDirectory(Path(sys.argv[1]))
    path = spool.open()
    (path / "upload-half.zip").write_bytes(b"x" * 100_000)
    print(path, flush=True)
    time.sleep(600)
    """
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """Another registry process holding a spool directory with a half-written upload in it."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    path = Path(process.stdout.readline().strip())
    try:
        yield process, path
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


def test_open_makes_a_locked_private_directory_and_close_removes_it(tmp_path: Path) -> None:
    spool = SpoolDirectory(tmp_path)
    path = spool.open()
    assert spool.open() == path == spool.path  # idempotent
    assert path.parent == tmp_path / f"registry-spool-{os.getuid()}"
    assert path.name.startswith(f"{os.getpid()}-") and (path / LOCK_NAME).is_file()
    assert oct(path.parent.stat().st_mode & 0o777) == oct(0o700)
    spool.close()
    assert not path.exists()
    with pytest.raises(RuntimeError):
        _ = spool.path
    spool.close()  # twice is fine


def test_a_killed_process_leftovers_are_removed_at_start_up(
    holder: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    process, theirs = holder
    assert (theirs / "upload-half.zip").exists()
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert theirs.exists()  # kill -9 runs no clean-up of its own
    mine = SpoolDirectory(tmp_path)
    mine.open()
    assert not theirs.exists()
    assert [p.name for p in mine.root.iterdir() if p.is_dir()] == [mine.path.name]
    mine.close()


def test_a_live_process_directory_is_kept(
    holder: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    _process, theirs = holder
    mine = SpoolDirectory(tmp_path)
    mine.open()
    assert mine.sweep() == 0
    assert (theirs / "upload-half.zip").exists()
    mine.close()


def test_two_spools_in_one_process_keep_each_other(tmp_path: Path) -> None:
    first, second = SpoolDirectory(tmp_path), SpoolDirectory(tmp_path)
    a, b = first.open(), second.open()
    assert a != b and a.is_dir() and b.is_dir()
    assert first.sweep() == 0 and second.sweep() == 0
    first.close()
    second.close()


def test_a_directory_that_never_got_its_lock_is_removed(tmp_path: Path) -> None:
    root = tmp_path / f"registry-spool-{os.getuid()}"
    (root / "123-crashed").mkdir(parents=True)
    (root / "123-crashed" / "part-x.zip").write_bytes(b"x")
    spool = SpoolDirectory(tmp_path)
    spool.open()
    assert not (root / "123-crashed").exists()
    spool.close()


def test_a_planted_symlink_root_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / f"registry-spool-{os.getuid()}").symlink_to(elsewhere)
    with pytest.raises(StorageError, match="not a directory owned by this user"):
        SpoolDirectory(tmp_path).open()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give the directory away")
def test_a_root_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    root = tmp_path / f"registry-spool-{os.getuid()}"
    root.mkdir()
    os.chown(root, 65534, 65534)
    with pytest.raises(StorageError):
        SpoolDirectory(tmp_path).open()


def test_a_loose_root_is_made_private(tmp_path: Path) -> None:
    root = tmp_path / f"registry-spool-{os.getuid()}"
    root.mkdir(mode=0o777)
    root.chmod(0o777)
    spool = SpoolDirectory(tmp_path)
    spool.open()
    assert root.stat().st_mode & 0o777 == 0o700
    spool.close()


# --- each request removes its own spool file -------------------------------------------------


def spooled(directory: Path) -> list[str]:
    """The spool files in a directory (a plain helper: it runs once the awaits are done)."""
    return sorted(p.name for p in directory.iterdir() if p.name != LOCK_NAME)


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def nothing_in_use(digests: list[str]) -> set[str]:
    return set()


async def database_down(digests: list[str]) -> set[str]:
    raise ConnectionError("the database went away")


async def stage(spool: Path, body: AsyncIterator[bytes], **overrides: object) -> object:
    options: dict[str, object] = {
        "name": "tiny",
        "version": "1.0.0",
        "limit": 10**9,
        "limits": ZipLimits(),
        "directory": spool,
        "pins": BlobPins(),
        "in_use": nothing_in_use,
    }
    options.update(overrides)
    store = options.pop("store", MemoryBlobStore())
    return await stage_upload(store, body, **options)  # type: ignore[arg-type]


@pytest.fixture
def spool_dir(tmp_path: Path) -> Iterator[Path]:
    spool = SpoolDirectory(tmp_path)
    yield spool.open()
    spool.close()


async def test_a_staged_upload_leaves_no_spool_file(spool_dir: Path) -> None:
    await stage(spool_dir, chunks(zips.zip_bytes(zips.TINY_FILES)))
    assert spooled(spool_dir) == []


async def test_a_refused_upload_leaves_no_spool_file(spool_dir: Path) -> None:
    with pytest.raises(ZipRejectedError):
        await stage(spool_dir, chunks(zips.corrupt_zip()))
    assert spooled(spool_dir) == []


async def test_a_client_gone_mid_body_leaves_no_spool_file(spool_dir: Path) -> None:
    started = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"PK" * 700_000  # over one chunk: a file is on disk
        started.set()
        await asyncio.Event().wait()
        yield b""

    task = asyncio.create_task(stage(spool_dir, stalls()))
    await asyncio.wait_for(started.wait(), 30)
    assert spooled(spool_dir)  # being spooled
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert spooled(spool_dir) == []


class FillsUp(MemoryBlobStore):
    """A store whose disk fills up after two blobs."""

    async def put(self, chunks: AsyncIterable[bytes], **kwargs: Any) -> BlobInfo:
        if len(self._blobs) >= 2:
            raise StorageError("no space left on device")
        return await super().put(chunks, **kwargs)


async def test_a_refusal_during_a_database_outage_keeps_its_own_error(spool_dir: Path) -> None:
    store = FillsUp()
    pins = BlobPins()
    # Two blobs stored, then the store fails; clean-up cannot ask the (down) database which
    # blobs other rows use, so they stay for the collector and the store's error is reported.
    with pytest.raises(StorageError, match="no space left"):
        await stage(
            spool_dir,
            chunks(zips.zip_bytes(zips.TINY_FILES)),
            store=store,
            pins=pins,
            in_use=database_down,
        )
    assert len(store._blobs) == 2
    assert pins._counts == {}
    assert spooled(spool_dir) == []
