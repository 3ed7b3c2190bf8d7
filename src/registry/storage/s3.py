"""S3BlobStore: content-addressed blobs in an S3 bucket (AWS, MinIO, moto) through aioboto3.

Keys: ``<prefix>sha256/<digest>`` for committed blobs and ``<prefix>staging/<uuid>`` for writes in
progress. A put streams into the staging key (multipart above one part), hashes on the way,
verifies, then copies server-side to the final key, so readers never see a partial object.
Every botocore/aiohttp error is translated to the registry's StorageError tree here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, BinaryIO
from urllib.parse import quote

import aioboto3
import aiohttp
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from registry.errors import BlobIntegrityError, BlobNotFoundError, StorageError
from registry.storage import s3_listing
from registry.storage.base import (
    CHUNK_SIZE,
    BlobInfo,
    PendingWrite,
    StoredBlob,
    check_range,
    is_digest,
)
from registry.storage.s3_errors import MISSING, error_code, not_found, translated

log = logging.getLogger(__name__)

PART_SIZE = 8 * 1024 * 1024  # S3 wants parts >= 5 MiB; 8 MiB bounds memory to one part per put.
MAX_COPY_OBJECT = 5 * 1024**3  # CopyObject's hard limit; larger blobs are copied in parts.
COPY_PART_SIZE = 512 * 1024**2  # Server-side copy parts: few requests, well under the 5 GiB cap.


class S3BlobStore:
    """Blobs as objects in one bucket under a key prefix."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        create_bucket: bool = False,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
        session: aioboto3.Session | None = None,
    ) -> None:
        self.bucket = bucket
        # Normalise so "blobs", "blobs/" and "/blobs/" all mean the same folder; "" is the root.
        stripped = prefix.strip("/")
        self.prefix = f"{stripped}/" if stripped else ""
        self.endpoint_url = endpoint_url
        self.region = region
        self.create_bucket = create_bucket
        # One session per store unless the caller shares one: each new session re-parses the
        # service models (~0.1 s). Without keys it falls back to the standard AWS chain.
        self._session = session or aioboto3.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
        )
        self._config = Config(
            signature_version="s3v4",
            # total_max_attempts counts the first try; botocore's max_attempts counts only retries.
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            max_pool_connections=50,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # Custom endpoints (MinIO, moto, IP addresses) rarely resolve bucket subdomains.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        self._client: Any = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Open the long-lived client and, if asked to, create the bucket."""
        await self._ensure_client()

    async def put(
        self, chunks: AsyncIterable[bytes], *, expected_digest: str | None = None
    ) -> BlobInfo:
        """Stream chunks to a staging key, verify, then copy to the digest key."""
        if expected_digest is not None and not is_digest(expected_digest):
            raise StorageError(f"expected digest {expected_digest!r} is not a sha256 hex digest")
        client = await self._ensure_client()
        staging = f"{self.prefix}staging/{uuid.uuid4().hex}"
        hasher = hashlib.sha256()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        staged = False
        try:
            buffer = bytearray()
            async for chunk in chunks:
                hasher.update(chunk)
                size += len(chunk)
                buffer += chunk
                # Cut exact PART_SIZE parts: memory stays at one part plus one chunk per put.
                while len(buffer) >= PART_SIZE:
                    if upload_id is None:
                        upload_id = await self._create_multipart(client, staging)
                    part = bytes(buffer[:PART_SIZE])
                    del buffer[:PART_SIZE]
                    parts.append(await self._upload_part(client, staging, upload_id, parts, part))
            with translated("upload"):
                if upload_id is None:
                    # Below one part a single PUT is one request instead of three.
                    await client.put_object(Bucket=self.bucket, Key=staging, Body=bytes(buffer))
                else:
                    if buffer:
                        parts.append(
                            await self._upload_part(
                                client, staging, upload_id, parts, bytes(buffer)
                            )
                        )
                    await client.complete_multipart_upload(
                        Bucket=self.bucket,
                        Key=staging,
                        UploadId=upload_id,
                        MultipartUpload={"Parts": parts},
                    )
            staged = True
            digest = hasher.hexdigest()
            if expected_digest is not None and digest != expected_digest:
                raise BlobIntegrityError(
                    f"content hashes to {digest}, not the expected {expected_digest}",
                    details={"expected": expected_digest, "actual": digest},
                )
            if not await self.exists(digest):
                await self._copy(client, staging, self._key(digest), size)
        except BaseException:
            if upload_id is not None and not staged:
                await self._abort(client, staging, upload_id)
            raise
        finally:
            if staged:
                await self._remove_staging(client, staging)
        return BlobInfo(digest=digest, size=size)

    async def open(
        self, digest: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Yield bytes [start, end) of the blob in CHUNK_SIZE pieces via a ranged GET."""
        check_range(start, end)
        if not is_digest(digest):
            raise not_found(digest)
        client = await self._ensure_client()
        if end is not None and end <= start:
            await self.stat(digest)  # An empty range still tells a missing blob apart.
            return
        extra: dict[str, str] = {}
        if start > 0 or end is not None:
            extra["Range"] = f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"
        try:
            with translated("download", digest):
                response = await client.get_object(
                    Bucket=self.bucket, Key=self._key(digest), **extra
                )
        except StorageError as exc:
            # 416: the range starts at or past the end; that is an empty read of an existing blob.
            if error_code(exc.__cause__) != "InvalidRange":
                raise
            await self.stat(digest)
            return
        body = response["Body"]
        async with body:
            # The socket hands over whatever has arrived (often 64 KiB); coalesce to CHUNK_SIZE
            # because fewer, larger pieces stream several times faster downstream.
            pending = bytearray()
            while True:
                with translated("download", digest):
                    piece: bytes = await body.read(CHUNK_SIZE)
                if not piece:
                    break
                pending += piece
                while len(pending) >= CHUNK_SIZE:
                    yield bytes(pending[:CHUNK_SIZE])
                    del pending[:CHUNK_SIZE]
            if pending:
                yield bytes(pending)

    async def open_file(self, digest: str) -> BinaryIO | None:
        """Objects are not local files: downloads are presigned, or streamed through open()."""
        return None

    async def stat(self, digest: str) -> BlobInfo:
        """Return the blob's info (HEAD) or raise BlobNotFoundError."""
        if not is_digest(digest):
            raise not_found(digest)
        client = await self._ensure_client()
        with translated("stat", digest):
            head = await client.head_object(Bucket=self.bucket, Key=self._key(digest))
        return BlobInfo(digest=digest, size=int(head["ContentLength"]))

    async def exists(self, digest: str) -> bool:
        """Tell whether the blob is committed."""
        try:
            await self.stat(digest)
        except BlobNotFoundError:
            return False
        return True

    async def delete(self, digest: str) -> None:
        """Delete the object; S3 treats a missing key as success too."""
        if not is_digest(digest):
            return
        client = await self._ensure_client()
        with translated("delete", digest):
            await client.delete_object(Bucket=self.bucket, Key=self._key(digest))

    async def presign(
        self, digest: str, *, expires_in: int = 3600, filename: str | None = None
    ) -> str | None:
        """Return a signed GET URL; with a filename the download is served as an attachment."""
        if not is_digest(digest):
            raise not_found(digest)
        client = await self._ensure_client()
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self._key(digest)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        with translated("presign", digest):
            url: str = await client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )
        return url

    async def list_blobs(self) -> AsyncIterator[StoredBlob]:
        """Yield every object under the digest prefix, a page (1,000 keys) per request."""
        client = await self._ensure_client()
        async for blob in s3_listing.committed(client, self.bucket, self.prefix):
            yield blob

    async def list_pending_writes(self) -> AsyncIterator[PendingWrite]:
        """Yield open multipart uploads under the prefix, then leftover staging objects."""
        client = await self._ensure_client()
        async for write in s3_listing.pending(client, self.bucket, self.prefix):
            yield write

    async def abort_write(self, write: PendingWrite) -> None:
        """Abort the multipart upload, or delete the staging object; gone already is fine."""
        client = await self._ensure_client()
        await s3_listing.abort(client, self.bucket, self.prefix, write)

    async def check(self) -> None:
        """Raise StorageError unless the bucket answers a HEAD."""
        client = await self._ensure_client()
        with translated("check"):
            await client.head_bucket(Bucket=self.bucket)

    async def close(self) -> None:
        """Close the client and its connection pool."""
        async with self._lock:
            if self._stack is not None:
                stack, self._stack, self._client = self._stack, None, None
                await stack.aclose()

    def _key(self, digest: str) -> str:
        return f"{self.prefix}sha256/{digest}"

    async def _ensure_client(self) -> Any:
        if self._client is not None:
            return self._client
        # The lock stops concurrent first calls from opening two connection pools.
        async with self._lock:
            if self._client is None:
                stack = contextlib.AsyncExitStack()
                client = await stack.enter_async_context(
                    self._session.client("s3", endpoint_url=self.endpoint_url, config=self._config)
                )
                try:
                    if self.create_bucket:
                        await self._ensure_bucket(client)
                except BaseException:
                    await stack.aclose()
                    raise
                self._stack, self._client = stack, client
        return self._client

    async def _ensure_bucket(self, client: Any) -> None:
        try:
            with translated("check"):
                await client.head_bucket(Bucket=self.bucket)
            return
        except StorageError as exc:
            if error_code(exc.__cause__) not in MISSING | {"NoSuchBucket"}:
                raise
        extra: dict[str, Any] = {}
        if self.region != "us-east-1":  # us-east-1 rejects an explicit LocationConstraint.
            extra["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            with translated("create bucket"):
                await client.create_bucket(Bucket=self.bucket, **extra)
        except StorageError as exc:
            # Another replica may have created it between our HEAD and CREATE.
            if error_code(exc.__cause__) != "BucketAlreadyOwnedByYou":
                raise

    async def _create_multipart(self, client: Any, key: str) -> str:
        with translated("upload"):
            created = await client.create_multipart_upload(Bucket=self.bucket, Key=key)
        return str(created["UploadId"])

    async def _upload_part(
        self,
        client: Any,
        key: str,
        upload_id: str,
        parts: list[dict[str, Any]],
        data: bytes,
    ) -> dict[str, Any]:
        number = len(parts) + 1
        with translated("upload"):
            uploaded = await client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
            )
        return {"ETag": uploaded["ETag"], "PartNumber": number}

    async def _copy(self, client: Any, source: str, target: str, size: int) -> None:
        copy_source = {"Bucket": self.bucket, "Key": source}
        if size <= MAX_COPY_OBJECT:
            with translated("commit"):
                await client.copy_object(Bucket=self.bucket, Key=target, CopySource=copy_source)
            return
        upload_id = await self._create_multipart(client, target)
        parts: list[dict[str, Any]] = []
        try:
            with translated("commit"):
                for number, first in enumerate(range(0, size, COPY_PART_SIZE), start=1):
                    last = min(first + COPY_PART_SIZE, size) - 1
                    copied = await client.upload_part_copy(
                        Bucket=self.bucket,
                        Key=target,
                        UploadId=upload_id,
                        PartNumber=number,
                        CopySource=copy_source,
                        CopySourceRange=f"bytes={first}-{last}",
                    )
                    parts.append({"ETag": copied["CopyPartResult"]["ETag"], "PartNumber": number})
                await client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=target,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            await self._abort(client, target, upload_id)
            raise

    async def _abort(self, client: Any, key: str, upload_id: str) -> None:
        # Best effort: the original error matters more; a bucket lifecycle rule reaps the rest.
        try:
            await client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except (BotoCoreError, ClientError, aiohttp.ClientError):
            log.warning("could not abort multipart upload %s of %s", upload_id, key, exc_info=True)

    async def _remove_staging(self, client: Any, key: str) -> None:
        # A leftover staging key wastes space but never corrupts a blob: log it, do not raise.
        try:
            await client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError, aiohttp.ClientError):
            log.warning("could not delete staging object %s", key, exc_info=True)


def content_disposition(filename: str) -> str:
    """Build an RFC 6266 attachment header value that survives any characters in filename."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
