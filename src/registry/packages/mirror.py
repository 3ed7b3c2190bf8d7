"""Copy source content into the blob store: hub files at the pinned commit, GitHub zipballs.

Every hub file is streamed straight into the store and verified there: against the hub's LFS
sha256 when it has one, else against its git blob id (sha1 of "blob <size>\\0" + bytes), so a
corrupted or swapped file is never recorded as stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
from huggingface_hub import hf_hub_url

from registry import __version__
from registry.db.models import ArtifactRow
from registry.db.models.packages import PackageFileRow
from registry.errors import BlobIntegrityError, SourceNotFoundError, SourceUnavailableError
from registry.storage.base import CHUNK_SIZE, BlobInfo, BlobStore


class SourceFetcher:
    """Streams hub files and GitHub archives into the blob store over one HTTP client."""

    def __init__(
        self,
        blobs: BlobStore,
        hf_endpoint: str,
        github_api_url: str,
        *,
        hf_token: str | None = None,
        github_token: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.blobs = blobs
        self.hf_endpoint = hf_endpoint.rstrip("/")
        self.github_api_url = github_api_url.rstrip("/")
        self._hf_token = hf_token
        self._github_token = github_token
        # The timeout bounds each read, not the transfer: a 4 GB file may take minutes.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=True,
            headers={"user-agent": f"trustworthy-model-registry/{__version__}"},
        )

    def hub_url(self, row: ArtifactRow, path: str) -> str:
        """The resolve URL of a file of the artifact's hub repository at its pinned commit."""
        return hf_hub_url(
            row.source_ref,
            path,
            repo_type="dataset" if row.source_kind == "hf_dataset" else None,
            revision=row.commit_sha or "main",
            endpoint=self.hf_endpoint,
        )

    async def fetch(self, row: ArtifactRow, file: PackageFileRow) -> BlobInfo:
        """Store one file of the artifact's package from its source; return the verified blob."""
        if file.digest is not None and await self.blobs.exists(file.digest):
            return await self.blobs.stat(file.digest)
        if file.kind == "archive":
            return await self._fetch_zipball(row)
        headers = {"authorization": f"Bearer {self._hf_token}"} if self._hf_token else {}
        git_id = file.git_blob_id if file.digest is None else None
        return await self._fetch(
            self.hub_url(row, file.path), headers, file.digest, git_id, file.size, file.path
        )

    async def _fetch_zipball(self, row: ArtifactRow) -> BlobInfo:
        ref = row.commit_sha or row.default_branch or ""
        url = f"{self.github_api_url}/repos/{row.source_ref}/zipball/{ref}".rstrip("/")
        headers = {"accept": "application/vnd.github+json"}
        if self._github_token:
            headers["authorization"] = f"Bearer {self._github_token}"
        return await self._fetch(url, headers, None, None, 0, f"{row.source_ref} zipball")

    async def _fetch(
        self,
        url: str,
        headers: dict[str, str],
        sha256: str | None,
        git_blob_id: str | None,
        size: int,
        what: str,
    ) -> BlobInfo:
        sha1 = hashlib.sha1(usedforsecurity=False)
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code in (401, 403, 404, 410):
                    raise SourceNotFoundError(
                        f"the source no longer serves {what} ({response.status_code})"
                    )
                if response.status_code >= 400:
                    raise SourceUnavailableError(
                        f"the source answered {response.status_code} for {what}"
                    )
                # git hashes the header with the size the hub listed: a size lie fails too.
                sha1.update(f"blob {size}\0".encode())
                info = await self.blobs.put(
                    _hashed(response.aiter_bytes(CHUNK_SIZE), sha1), expected_digest=sha256
                )
        except httpx.HTTPError as exc:
            raise SourceUnavailableError(f"fetching {what} failed: {type(exc).__name__}") from exc
        if git_blob_id is not None and sha1.hexdigest() != git_blob_id:
            # The blob is not deleted: identical bytes may back another package's file.
            raise BlobIntegrityError(
                f"{what} does not match its git blob id",
                details={"expected": git_blob_id, "actual": sha1.hexdigest()},
            )
        return info

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()


async def _hashed(chunks: AsyncIterator[bytes], hasher: hashlib._Hash) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        hasher.update(chunk)
        yield chunk
