"""Streaming file plumbing for packages: spool an upload to disk, read zip members, build zips.

Everything moves in CHUNK_SIZE pieces through worker threads, so neither a 2 GB upload nor a
2 GB download is ever held in memory and a slow disk never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from registry.errors import PayloadTooLargeError
from registry.storage.base import CHUNK_SIZE, BlobInfo, BlobStore

# A fixed timestamp makes a rebuilt zip byte-identical, so its digest (and ETag) is stable.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Spooled:
    """An upload written to a temporary file."""

    path: Path
    size: int
    digest: str


async def spool(chunks: AsyncIterable[bytes], directory: Path | None, limit: int) -> Spooled:
    """Write chunks to a temp file, hashing them; PayloadTooLargeError past limit (file removed)."""
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".zip", dir=directory)
    path = Path(name)
    hasher = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            pending = bytearray()
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(f"the upload is larger than {limit} bytes")
                pending += chunk
                if len(pending) >= CHUNK_SIZE:
                    await asyncio.to_thread(_write, handle, hasher, bytes(pending))
                    pending.clear()
            if pending:
                await asyncio.to_thread(_write, handle, hasher, bytes(pending))
    except BaseException:
        remove_file(path)
        raise
    return Spooled(path, size, hasher.hexdigest())


def _write(handle: BinaryIO, hasher: hashlib._Hash, data: bytes) -> None:
    hasher.update(data)
    handle.write(data)


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """Yield a file's bytes in CHUNK_SIZE pieces."""
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
            yield chunk
    finally:
        handle.close()


async def member_chunks(archive: zipfile.ZipFile, name: str) -> AsyncIterator[bytes]:
    """Yield one zip member's bytes; zipfile stops at the declared size and checks the CRC."""
    member = await asyncio.to_thread(archive.open, name)
    try:
        while chunk := await asyncio.to_thread(member.read, CHUNK_SIZE):
            yield chunk
    finally:
        member.close()


async def build_zip(
    blobs: BlobStore, entries: Sequence[tuple[str, str, int]], directory: Path | None
) -> BlobInfo:
    """Zip (arcname, digest, size) blobs into a temp file, then store that file as a blob.

    Entries are stored, not deflated: weights barely compress and deflating gigabytes would
    cost more CPU than the bytes saved on the wire.
    """
    fd, name = tempfile.mkstemp(prefix="part-", suffix=".zip", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as raw:
            archive = zip_writer(raw)
            try:
                for arcname, digest, size in entries:
                    await _add_member(blobs, archive, arcname, digest, size)
            finally:
                await asyncio.to_thread(archive.close)
        return await blobs.put(file_chunks(path))
    finally:
        remove_file(path)


def remove_file(path: Path) -> None:
    """Delete a temp file if it exists."""
    # Synchronous on purpose: it also runs while a cancellation unwinds, where awaiting is unsafe.
    path.unlink(missing_ok=True)


def zip_writer(raw: BinaryIO) -> zipfile.ZipFile:
    """A zip the registry writes (parts, whole packages): stored entries, zip64 when needed."""
    return zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True)


def open_entry(archive: zipfile.ZipFile, arcname: str, size: int) -> IO[bytes]:
    """Start a file entry as every registry zip writes it (blocking): stored, a fixed time,
    a regular file of mode 0644 made on Unix, no extra fields or comment; write, then close."""
    info = zipfile.ZipInfo(arcname, ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o100644 << 16  # a regular, world-readable file
    info.create_system = 3
    return archive.open(info, "w", force_zip64=size >= zipfile.ZIP64_LIMIT)


async def _add_member(
    blobs: BlobStore, archive: zipfile.ZipFile, arcname: str, digest: str, size: int
) -> None:
    writer = await asyncio.to_thread(open_entry, archive, arcname, size)
    try:
        async for chunk in blobs.open(digest):
            await asyncio.to_thread(writer.write, chunk)
    finally:
        await asyncio.to_thread(writer.close)
