"""Pick the blob store adapter named by the settings; an unknown name fails at start."""

from __future__ import annotations

from collections.abc import Callable

from registry.config import Settings
from registry.errors import ConfigurationError
from registry.storage.base import BlobStore
from registry.storage.local import LocalBlobStore
from registry.storage.memory import MemoryBlobStore
from registry.storage.s3 import S3BlobStore


def _local(settings: Settings) -> BlobStore:
    return LocalBlobStore(settings.blob_local_path)


def _memory(settings: Settings) -> BlobStore:
    return MemoryBlobStore()


def _s3(settings: Settings) -> BlobStore:
    return S3BlobStore(
        bucket=settings.s3_bucket,
        prefix=settings.s3_prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        create_bucket=settings.s3_create_bucket,
        connect_timeout=settings.s3_connect_timeout_seconds,
        read_timeout=settings.s3_read_timeout_seconds,
        max_attempts=settings.s3_max_attempts,
    )


BACKENDS: dict[str, Callable[[Settings], BlobStore]] = {
    "local": _local,
    "memory": _memory,
    "s3": _s3,
}


def build_blob_store(settings: Settings) -> BlobStore:
    """Build (but do not start) the adapter named by settings.blob_backend."""
    try:
        build = BACKENDS[settings.blob_backend]
    except KeyError:
        allowed = ", ".join(sorted(BACKENDS))
        raise ConfigurationError(
            f"unknown blob backend {settings.blob_backend!r}; choose one of: {allowed}"
        ) from None
    return build(settings)
