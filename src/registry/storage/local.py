"""LocalBlobStore: content-addressed blobs in a directory tree on local disk.

Layout: ``<root>/sha256/<aa>/<bb>/<digest>`` for committed blobs and ``<root>/staging/<uuid>`` for
writes in progress. Staging lives under the same root so the final os.replace is an atomic rename
on one filesystem. All file IO runs in worker threads so a slow disk never stalls the event loop;
reads are served as views of memory-mapped windows, paged in by the worker first.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import mmap
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO

from registry.errors import BlobIntegrityError, BlobNotFoundError, StorageError
from registry.storage.base import (
    CHUNK_SIZE,
    BlobInfo,
    PendingWrite,
    StoredBlob,
    check_range,
    is_digest,
    naive_utc,
)
from registry.workers import Workers

_IO_THREADS = 4


class LocalBlobStore:
    """Blobs as files under one root directory."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.staging_dir = self.root / "staging"
        self.committed_dir = self.root / "sha256"
        # File IO runs here, not in asyncio's default executor: a download opens and stats
        # its blob on every request, and these threads cost less per call.
        self._io = Workers("blob-io", _IO_THREADS)

    async def start(self) -> None:
        """Create the directory layout so the first put and check() find it."""
        try:
            await self._io.call(self._make_dirs)
        except OSError as exc:
            raise StorageError(f"cannot prepare blob directory {self.root}: {exc}") from exc

    async def open_file(self, digest: str) -> BinaryIO:
        """The committed blob's file, open for reading (the server sendfile()s from it)."""
        if not is_digest(digest):
            raise _not_found(digest)
        try:
            return await self._io.call(self._path(digest).open, "rb")
        except FileNotFoundError:
            raise _not_found(digest) from None
        except OSError as exc:
            raise StorageError(f"cannot open blob {digest}: {exc}") from exc

    async def put(
        self, chunks: AsyncIterable[bytes], *, expected_digest: str | None = None
    ) -> BlobInfo:
        """Stream chunks to a staging file, verify, then rename it into place."""
        if expected_digest is not None and not is_digest(expected_digest):
            raise StorageError(f"expected digest {expected_digest!r} is not a sha256 hex digest")
        staging = self.staging_dir / uuid.uuid4().hex
        hasher = hashlib.sha256()
        size = 0
        try:
            handle = await self._io.call(self._open_staging, staging)
        except OSError as exc:
            raise StorageError(f"cannot create staging file in {self.staging_dir}: {exc}") from exc
        try:
            # Small incoming chunks (HTTP bodies arrive in ~64 KiB) are coalesced so each
            # thread hop writes about CHUNK_SIZE; the buffer never holds more than that plus one.
            pending = bytearray()
            async for chunk in chunks:
                size += len(chunk)
                pending += chunk
                if len(pending) >= CHUNK_SIZE:
                    await self._io.call(_write, handle, hasher, pending)
                    pending = bytearray()
            if pending:
                await self._io.call(_write, handle, hasher, pending)
            digest = hasher.hexdigest()
            if expected_digest is not None and digest != expected_digest:
                raise BlobIntegrityError(
                    f"content hashes to {digest}, not the expected {expected_digest}",
                    details={"expected": expected_digest, "actual": digest},
                )
            await self._io.call(self._commit, handle, staging, self._path(digest))
        except OSError as exc:
            _discard(handle, staging)
            raise StorageError(f"writing blob failed: {exc}") from exc
        except BaseException:
            # Integrity failures, errors from the caller's iterator and cancellation all land
            # here: nothing may be left behind in staging or committed.
            _discard(handle, staging)
            raise
        return BlobInfo(digest=digest, size=size)

    async def open(
        self, digest: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes | memoryview]:
        """Yield bytes [start, end) of the blob in CHUNK_SIZE pieces (views of a mapping)."""
        check_range(start, end)
        if not is_digest(digest):
            raise _not_found(digest)
        handle = await self.open_file(digest)
        try:
            # One open file for the whole read: a blob deleted meanwhile is still read whole.
            size = os.fstat(handle.fileno()).st_size
            stop = size if end is None else min(end, size)
            offset = start
            while offset < stop:
                # One thread hop maps (and pages in) a window; its pieces then go to the
                # transport as views of the page cache: no copy into Python, no read in the loop.
                try:
                    window = await self._io.call(_map_window, handle, offset, stop)
                except OSError as exc:
                    raise StorageError(f"reading blob {digest} failed: {exc}") from exc
                if not len(window):
                    raise StorageError(f"blob {digest} is shorter than its recorded size")
                for piece in range(0, len(window), CHUNK_SIZE):
                    yield window[piece : piece + CHUNK_SIZE]
                offset += len(window)
                del window
        finally:
            # The mappings hold their own reference to the file; closing is a cheap syscall.
            handle.close()

    async def stat(self, digest: str) -> BlobInfo:
        """Return the blob's info or raise BlobNotFoundError."""
        if not is_digest(digest):
            raise _not_found(digest)
        try:
            result = await self._io.call(os.stat, self._path(digest))
        except FileNotFoundError:
            raise _not_found(digest) from None
        except OSError as exc:
            raise StorageError(f"cannot stat blob {digest}: {exc}") from exc
        return BlobInfo(digest=digest, size=result.st_size)

    async def exists(self, digest: str) -> bool:
        """Tell whether the blob is committed."""
        if not is_digest(digest):
            return False
        return await self._io.call(self._path(digest).is_file)

    async def delete(self, digest: str) -> None:
        """Remove the blob's file; a missing blob is fine."""
        if not is_digest(digest):
            return
        try:
            await self._io.call(_unlink, self._path(digest))
        except OSError as exc:
            raise StorageError(f"cannot delete blob {digest}: {exc}") from exc

    async def presign(
        self, digest: str, *, expires_in: int = 3600, filename: str | None = None
    ) -> str | None:
        """Local disk has no URL of its own: the download route sends from open_file()."""
        if not is_digest(digest):
            raise _not_found(digest)
        return None

    async def list_blobs(self) -> AsyncIterator[StoredBlob]:
        """Yield every committed blob, one fan-out directory per thread hop."""
        try:
            tops = await self._io.call(_subdirs, self.committed_dir)
            for top in tops:
                for leaf in await self._io.call(_subdirs, top):
                    for blob in await self._io.call(_scan_blobs, leaf):
                        yield blob
        except OSError as exc:
            raise StorageError(f"cannot list blobs under {self.committed_dir}: {exc}") from exc

    async def list_pending_writes(self) -> AsyncIterator[PendingWrite]:
        """Yield the staging files; `started` is when each was last written."""
        try:
            writes = await self._io.call(_scan_staging, self.staging_dir)
        except OSError as exc:
            raise StorageError(f"cannot list {self.staging_dir}: {exc}") from exc
        for write in writes:
            yield write

    async def abort_write(self, write: PendingWrite) -> None:
        """Remove a staging file (only a plain name inside the staging directory)."""
        if not write.key or write.key != Path(write.key).name or write.key in (".", ".."):
            raise StorageError(f"{write.key!r} is not a staging file name")
        try:
            await self._io.call(_unlink, self.staging_dir / write.key)
        except OSError as exc:
            raise StorageError(f"cannot remove staging file {write.key}: {exc}") from exc

    async def check(self) -> None:
        """Raise StorageError unless a file can be created and removed under the root."""
        try:
            await self._io.call(self._probe)
        except OSError as exc:
            raise StorageError(f"blob directory {self.root} is not writable: {exc}") from exc

    async def close(self) -> None:
        """Stop the IO threads (every file is closed when its operation ends)."""
        await asyncio.to_thread(self._io.close)

    def _path(self, digest: str) -> Path:
        # Two fan-out levels keep directories small (65,536 leaves) even with millions of blobs.
        return self.committed_dir / digest[:2] / digest[2:4] / digest

    def _make_dirs(self) -> None:
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        self.committed_dir.mkdir(parents=True, exist_ok=True)

    def _open_staging(self, staging: Path) -> BinaryIO:
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        return staging.open("xb")

    def _commit(self, handle: BinaryIO, staging: Path, final: Path) -> None:
        # fsync before the rename so a crash can never leave a committed name with short content.
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        if final.exists():
            staging.unlink()
            # The put counts as a fresh write: the collector's grace period restarts, so bytes
            # an orphan held and a new caller is about to reference are not collected meanwhile.
            with contextlib.suppress(FileNotFoundError):
                os.utime(final)
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, final)
        _fsync_dir(final.parent)

    def _probe(self) -> None:
        self._make_dirs()
        probe = self.staging_dir / f"check-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()


def _write(handle: BinaryIO, hasher: hashlib._Hash, data: bytearray) -> None:
    # Runs in a worker thread; hashlib releases the GIL for large buffers, so hashing is parallel.
    hasher.update(data)
    handle.write(data)


# Bytes mapped per thread hop, a multiple of CHUNK_SIZE so every piece but the last is whole;
# it also bounds the pages one download keeps mapped (and counted in the server's RSS).
WINDOW = 8 * CHUNK_SIZE


# MAP_POPULATE (Linux) reads the pages in and fills the page table in one call, here in the
# worker thread; elsewhere each page is touched instead. (On the download benchmark, with the
# file in page cache, the two cost the same; what it buys is that a cold read waits here.)
_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
_MAP_FLAGS = mmap.MAP_SHARED | _POPULATE


def _map_window(handle: BinaryIO, offset: int, stop: int) -> memoryview:
    """Bytes [offset, min(stop, offset + WINDOW)) of a file as a read-only mapping, paged in.

    Pages are read in here, in a worker thread, so a cold read waits off the event loop.
    Blobs are never rewritten in place (a re-put renames a new file over the old), so a
    mapping cannot lose its pages while the transport still sends from it.
    """
    base = offset - offset % mmap.ALLOCATIONGRANULARITY
    size = os.fstat(handle.fileno()).st_size
    length = min(stop, size, offset + WINDOW) - base
    if length <= offset - base:
        return memoryview(b"")
    mapped = mmap.mmap(handle.fileno(), length, flags=_MAP_FLAGS, prot=mmap.PROT_READ, offset=base)
    if not _MAP_FLAGS & _POPULATE:
        mapped[offset - base : length : mmap.PAGESIZE]
    # The views keep the mapping alive until the transport has sent their last byte; the
    # mapping is unmapped when the last one is released.
    return memoryview(mapped)[offset - base :]


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def _subdirs(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as entries:
            return [Path(e.path) for e in entries if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []


def _scan_blobs(leaf: Path) -> list[StoredBlob]:
    found: list[StoredBlob] = []
    try:
        with os.scandir(leaf) as entries:
            for entry in entries:
                if not is_digest(entry.name) or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # deleted while listing
                found.append(StoredBlob(entry.name, info.st_size, naive_utc(info.st_mtime)))
    except FileNotFoundError:
        pass
    return found


def _scan_staging(staging: Path) -> list[PendingWrite]:
    found: list[PendingWrite] = []
    try:
        with os.scandir(staging) as entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # the put finished while listing
                found.append(PendingWrite(entry.name, naive_utc(info.st_mtime)))
    except FileNotFoundError:
        pass
    return found


def _fsync_dir(directory: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(handle: BinaryIO, staging: Path) -> None:
    # Synchronous on purpose: it also runs while a cancellation unwinds, where awaiting is unsafe.
    handle.close()
    staging.unlink(missing_ok=True)


def _not_found(digest: str) -> BlobNotFoundError:
    return BlobNotFoundError(f"no blob {digest!r}", details={"digest": digest})
