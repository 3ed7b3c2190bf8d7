"""Blob storage: the BlobStore port, its adapters and the factory that picks one by name."""

from registry.storage.base import CHUNK_SIZE, BlobInfo, BlobStore
from registry.storage.factory import build_blob_store
from registry.storage.local import LocalBlobStore
from registry.storage.memory import MemoryBlobStore
from registry.storage.s3 import S3BlobStore

__all__ = [
    "CHUNK_SIZE",
    "BlobInfo",
    "BlobStore",
    "LocalBlobStore",
    "MemoryBlobStore",
    "S3BlobStore",
    "build_blob_store",
]
