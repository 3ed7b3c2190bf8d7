"""MemoryBlobStore: the blob store port kept in a dict, for unit tests and throwaway runs."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime
from typing import BinaryIO

from registry.errors import BlobIntegrityError, BlobNotFoundError, StorageError
from registry.ids import utcnow
from registry.storage.base import (
    CHUNK_SIZE,
    BlobInfo,
    PendingWrite,
    StoredBlob,
    check_range,
    is_digest,
)


class MemoryBlobStore:
    """Blobs in process memory: the durable adapters' semantics, gone after a restart."""

    name = "memory"

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._written: dict[str, datetime] = {}  # when each blob was last put

    async def start(self) -> None:
        """Nothing to prepare."""

    async def put(
        self, chunks: AsyncIterable[bytes], *, expected_digest: str | None = None
    ) -> BlobInfo:
        """Collect the chunks, verify the digest, then commit them in one dict assignment."""
        if expected_digest is not None and not is_digest(expected_digest):
            raise StorageError(f"expected digest {expected_digest!r} is not a sha256 hex digest")
        hasher = hashlib.sha256()
        # The staging area is this local buffer: a failed or cancelled put simply drops it.
        staged = bytearray()
        async for chunk in chunks:
            hasher.update(chunk)
            staged += chunk
        digest = hasher.hexdigest()
        if expected_digest is not None and digest != expected_digest:
            raise BlobIntegrityError(
                f"content hashes to {digest}, not the expected {expected_digest}",
                details={"expected": expected_digest, "actual": digest},
            )
        self._blobs.setdefault(digest, bytes(staged))
        # A re-put counts as a fresh write, as on disk: the collector's grace period restarts.
        self._written[digest] = utcnow()
        return BlobInfo(digest=digest, size=len(staged))

    async def open(
        self, digest: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Yield bytes [start, end) of the blob in CHUNK_SIZE pieces."""
        check_range(start, end)
        data = self._get(digest)
        stop = len(data) if end is None else min(end, len(data))
        for offset in range(start, stop, CHUNK_SIZE):
            yield data[offset : min(offset + CHUNK_SIZE, stop)]

    async def open_file(self, digest: str) -> BinaryIO | None:
        """Memory keeps no files: callers stream through open()."""
        return None

    async def stat(self, digest: str) -> BlobInfo:
        """Return the blob's info or raise BlobNotFoundError."""
        return BlobInfo(digest=digest, size=len(self._get(digest)))

    async def exists(self, digest: str) -> bool:
        """Tell whether the blob is committed."""
        return digest in self._blobs

    async def delete(self, digest: str) -> None:
        """Remove the blob if present."""
        self._blobs.pop(digest, None)
        self._written.pop(digest, None)

    async def presign(
        self, digest: str, *, expires_in: int = 3600, filename: str | None = None
    ) -> str | None:
        """Memory has no URL of its own: callers stream through open()."""
        if not is_digest(digest):
            raise BlobNotFoundError(f"no blob {digest!r}", details={"digest": digest})
        return None

    async def list_blobs(self) -> AsyncIterator[StoredBlob]:
        """Yield every blob with its size and when it was put."""
        for digest, data in list(self._blobs.items()):
            yield StoredBlob(digest, len(data), self._written[digest])

    async def list_pending_writes(self) -> AsyncIterator[PendingWrite]:
        """Memory stages in a put's own buffer, which a failed put drops: never any."""
        nothing: tuple[PendingWrite, ...] = ()
        for write in nothing:
            yield write

    async def abort_write(self, write: PendingWrite) -> None:
        """Nothing is ever pending in memory."""

    async def check(self) -> None:
        """Memory is always usable."""

    async def close(self) -> None:
        """Nothing to release; the blobs stay until the object is dropped."""

    def _get(self, digest: str) -> bytes:
        try:
            return self._blobs[digest]
        except KeyError:
            raise BlobNotFoundError(f"no blob {digest!r}", details={"digest": digest}) from None
