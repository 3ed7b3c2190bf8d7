"""Copy source content into the blob store: hub files at the pinned commit, GitHub zipballs.

Every hub file is streamed straight into the store and verified there: against the hub's LFS
sha256 when it has one, else against its git blob id (sha1 of "blob <size>\\0" + bytes), so a
corrupted or swapped file is never recorded as stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

from registry.db.models import ArtifactRow
from registry.db.models.packages import PackageFileRow
from registry.errors import BlobIntegrityError
from registry.sources.base import CodeArchives, HubFiles
from registry.storage.base import BlobInfo, BlobStore


class SourceFetcher:
    """Streams hub files and GitHub archives into the blob store through the source adapters."""

    def __init__(self, blobs: BlobStore, hub: HubFiles, archives: CodeArchives) -> None:
        self.blobs = blobs
        self.hub = hub
        self.archives = archives

    async def fetch(self, row: ArtifactRow, file: PackageFileRow) -> BlobInfo:
        """Store one file of the artifact's package from its source; return the verified blob."""
        if file.digest is not None and await self.blobs.exists(file.digest):
            return await self.blobs.stat(file.digest)
        if file.kind == "archive":
            ref = row.commit_sha or row.default_branch or ""
            what = f"{row.source_ref} zipball"
            return await self._store(
                self.archives.open_archive(row.source_ref, ref, what=what), None, None, 0, what
            )
        body = self.hub.open_file(
            row.source_ref,
            file.path,
            revision=row.commit_sha or "main",
            dataset=row.source_kind == "hf_dataset",
        )
        git_id = file.git_blob_id if file.digest is None else None
        return await self._store(body, file.digest, git_id, file.size, file.path)

    async def _store(
        self,
        body: AbstractAsyncContextManager[AsyncIterator[bytes]],
        sha256: str | None,
        git_blob_id: str | None,
        size: int,
        what: str,
    ) -> BlobInfo:
        sha1 = hashlib.sha1(usedforsecurity=False)
        # git hashes the header with the size the hub listed: a size lie fails too.
        sha1.update(f"blob {size}\0".encode())
        async with body as chunks:
            info = await self.blobs.put(_hashed(chunks, sha1), expected_digest=sha256)
        if git_blob_id is not None and sha1.hexdigest() != git_blob_id:
            # The blob is not deleted: identical bytes may back another package's file.
            raise BlobIntegrityError(
                f"{what} does not match its git blob id",
                details={"expected": git_blob_id, "actual": sha1.hexdigest()},
            )
        return info


async def _hashed(chunks: AsyncIterator[bytes], hasher: hashlib._Hash) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        hasher.update(chunk)
        yield chunk
