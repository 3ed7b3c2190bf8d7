"""The S3 adapter's collector side: list committed blobs and pending writes, abort them.

Split from s3.py to keep that module to one role (puts and reads); S3BlobStore's
list_blobs, list_pending_writes and abort_write delegate here with their client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from registry.errors import StorageError
from registry.storage.base import PendingWrite, StoredBlob, is_digest, naive_utc
from registry.storage.s3_errors import error_code, translated


async def committed(client: Any, bucket: str, prefix: str) -> AsyncIterator[StoredBlob]:
    """Yield every object under `<prefix>sha256/` whose name is a digest."""
    root = f"{prefix}sha256/"
    with translated("list"):
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root)
        async for page in pages:
            for item in page.get("Contents", []):
                digest = str(item["Key"])[len(root) :]
                if is_digest(digest):
                    yield StoredBlob(digest, int(item["Size"]), naive_utc(item["LastModified"]))


async def pending(client: Any, bucket: str, prefix: str) -> AsyncIterator[PendingWrite]:
    """Yield the open multipart uploads under prefix, then the leftover staging objects."""
    with translated("list"):
        uploads = client.get_paginator("list_multipart_uploads").paginate(
            Bucket=bucket, Prefix=prefix
        )
        async for page in uploads:
            for upload in page.get("Uploads", []):
                key, upload_id = str(upload["Key"]), str(upload["UploadId"])
                started = await _last_activity(client, bucket, key, upload_id, upload["Initiated"])
                yield PendingWrite(key, started, upload_id)
        staged = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}staging/"
        )
        async for page in staged:
            for item in page.get("Contents", []):
                yield PendingWrite(str(item["Key"]), naive_utc(item["LastModified"]))


async def abort(client: Any, bucket: str, prefix: str, write: PendingWrite) -> None:
    """Abort a multipart upload under prefix, or delete a staging object; gone is fine."""
    if not write.key.startswith(prefix):
        raise StorageError(f"{write.key!r} is not under this store's prefix")
    if write.upload_id is None:
        # A plain object is only ever a leftover in staging/: never touch a committed blob.
        if not write.key.startswith(f"{prefix}staging/"):
            raise StorageError(f"{write.key!r} is not a staging object")
        with translated("abort"):
            await client.delete_object(Bucket=bucket, Key=write.key)
        return
    try:
        with translated("abort"):
            await client.abort_multipart_upload(
                Bucket=bucket, Key=write.key, UploadId=write.upload_id
            )
    except StorageError as exc:
        if error_code(exc.__cause__) != "NoSuchUpload":
            raise


async def _last_activity(
    client: Any, bucket: str, key: str, upload_id: str, initiated: datetime
) -> datetime:
    """When a multipart upload last moved: its newest part, else its start. A long upload
    still sending parts is not stale (and moto reports one fixed date as every start)."""
    latest = naive_utc(initiated)
    parts = client.get_paginator("list_parts").paginate(Bucket=bucket, Key=key, UploadId=upload_id)
    try:
        async for page in parts:
            for part in page.get("Parts", []):
                latest = max(latest, naive_utc(part["LastModified"]))
    except ClientError as exc:
        if error_code(exc) != "NoSuchUpload":  # finished or aborted while we listed
            raise
    return latest
