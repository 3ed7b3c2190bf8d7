"""Zip upload staging: spool, validate, hash, store the files and describe them as a SourceInfo.

The result is registered through ArtifactService exactly like a hub model, so the card, config
and file list are indexed the same way. Nothing here touches the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from registry.artifacts.schemas import check_name
from registry.errors import (
    PayloadTooLargeError,
    StorageError,
    ValidationError,
    ZipRejectedError,
)
from registry.packages.archive import (
    Spooled,
    file_chunks,
    member_chunks,
    open_entry,
    remove_file,
    spool,
    zip_writer,
)
from registry.packages.zipcheck import ZipEntry, ZipLimits, inspect_zip
from registry.query.versions import is_semver
from registry.sources.base import SourceFile, SourceInfo
from registry.sources.huggingface import (
    card_license,
    json_safe,
    parse_json_object,
    record_side_files,
    split_card,
)
from registry.storage.base import CHUNK_SIZE, BlobStore
from registry.textcheck import is_ascii_digits

SMALL_FILE_LIMIT = 1024 * 1024  # README.md / config.json read into memory at most this big
INDEXED = ("README.md", "config.json", "adapter_config.json", "model_index.json")
# Blob writes in flight per upload, and how members are read for them: a 10,000-entry upload
# written one blob at a time spent ~25 s waiting on fsync (docs/packages.md, "Many entries").
STORE_CONCURRENCY = 32
SMALL_MEMBER = CHUNK_SIZE  # members up to this size are read whole, a batch per thread hop
BATCH_BYTES = 8 * CHUNK_SIZE  # bytes of small members held in memory at once, per upload

log = logging.getLogger("registry.packages")


def check_version(version: str | None) -> str:
    """Validate a semantic version (semver 2.0.0); 400 naming the problem."""
    if not version:
        raise ValidationError("the `version` query parameter is required (semver, e.g. 1.0.0)")
    if len(version) > 256 or not is_semver(version):
        raise ValidationError(f"version '{version[:64]}' is not a semantic version (e.g. 1.2.3)")
    return version


def check_upload_name(name: str | None) -> str:
    """Validate the package name; 400 naming the problem."""
    if not name:
        raise ValidationError("the `name` query parameter is required")
    if name == "*":
        raise ValidationError('the name "*" is reserved')
    try:
        return check_name(name)
    except ValueError as exc:
        raise ValidationError(f"invalid name: {exc}") from None


def check_declared_size(content_length: str | None, limit: int) -> None:
    """413 before any byte is read when the declared body is over the upload limit."""
    if (
        content_length
        and is_ascii_digits(content_length)
        and (len(content_length) > 18 or int(content_length) > limit)
    ):
        raise PayloadTooLargeError(f"the upload is larger than {limit} bytes")


def upload_url(name: str, version: str) -> str:
    """The source URL recorded for an upload (unique per name and version)."""
    return f"upload://{quote(name, safe='')}/{quote(version, safe='')}"


@dataclass(slots=True)
class StagedUpload:
    """A validated upload whose blobs are stored, ready to register."""

    info: SourceInfo
    new_blobs: list[str] = field(default_factory=list)  # blobs this upload created
    pinned: list[str] = field(default_factory=list)  # every blob it relies on (unpin when done)


InUse = Callable[[list[str]], Awaitable[set[str]]]  # which of these digests stored rows reference


class BlobPins:
    """Digests the uploads in flight in this process rely on.

    Blobs are shared by content: an upload that finds its bytes stored already keeps no copy
    of its own. So a refused upload may delete only the blobs it created that no other upload
    in flight has pinned and no stored package references.
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def pin(self, digests: Iterable[str]) -> None:
        """Count one more upload relying on each digest."""
        self._counts.update(digests)

    def unpin(self, digests: Iterable[str]) -> None:
        """Count one upload less relying on each digest."""
        self._counts.subtract(digests)
        for digest in [d for d, n in self._counts.items() if n <= 0]:
            del self._counts[digest]

    def pinned(self, digest: str) -> bool:
        """True when any upload in flight relies on the digest (the collector spares it)."""
        return self._counts[digest] > 0

    def shared(self, digest: str) -> bool:
        """True when an upload other than the caller relies on the digest."""
        return self._counts[digest] > 1


def _read_members(
    source: Path, entries: list[ZipEntry], target: Path
) -> tuple[list[str], dict[str, bytes], Spooled]:
    """One blocking pass over the members: each one's sha256 (zipfile checks every CRC), the
    small indexed files, and the zip the whole-package download serves, written to target:
    exactly these files at their package paths, sorted, as archive.build_zip writes a part.
    Nothing else of the upload (times, attributes, extra fields, comments, order) reaches it."""
    digests = [""] * len(entries)
    small: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(source) as archive, target.open("wb") as raw:
            with zip_writer(raw) as rebuilt:
                for index in sorted(range(len(entries)), key=lambda i: entries[i].path):
                    entry = entries[index]
                    keep = entry.path in INDEXED and entry.size <= SMALL_FILE_LIMIT
                    hasher = hashlib.sha256()
                    kept = bytearray()
                    with archive.open(entry.name) as member:
                        with open_entry(rebuilt, entry.path, entry.size) as out:
                            while chunk := member.read(CHUNK_SIZE):
                                hasher.update(chunk)
                                _write(out, chunk)
                                if keep:
                                    kept += chunk
                    digests[index] = hasher.hexdigest()
                    if keep:
                        small[entry.path] = bytes(kept)
    except StorageError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        # NotImplementedError: compression methods zipfile cannot read (e.g. deflate64).
        raise ZipRejectedError(f"the zip is damaged or truncated: {exc}") from None
    except Exception as exc:  # zlib/bz2/lzma errors have no common base; all mean "corrupt"
        raise ZipRejectedError(f"the zip is damaged: {type(exc).__name__}") from None
    return digests, small, _hashed(target)


def _temp_zip(directory: Path | None) -> Path:
    """A new empty spool file for the rebuilt zip (created here, so its owner removes it)."""
    fd, name = tempfile.mkstemp(prefix="rebuilt-", suffix=".zip", dir=directory)
    os.close(fd)
    return Path(name)


def _write(out: IO[bytes], chunk: bytes) -> None:
    try:
        out.write(chunk)
    except OSError as exc:  # our disk, not the upload, is at fault (e.g. full)
        raise StorageError(f"cannot write the package zip: {exc}") from None


def _hashed(path: Path) -> Spooled:
    """A written file's size and sha256 (blocking)."""
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            hasher.update(chunk)
            size += len(chunk)
    return Spooled(path, size, hasher.hexdigest())


def _read_batch(archive: zipfile.ZipFile, names: list[str]) -> list[bytes]:
    """Several small members' bytes in one worker-thread hop (zipfile checks each CRC)."""
    return [archive.read(name) for name in names]


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _store(
    blobs: BlobStore, digest: str, chunks: AsyncIterator[bytes], new_blobs: list[str]
) -> None:
    """Store one member unless its bytes are stored already; record a blob it created."""
    if await blobs.exists(digest):
        return  # content-addressed: identical bytes are stored once
    await blobs.put(chunks, expected_digest=digest)
    new_blobs.append(digest)  # no await since the put: a cancellation cannot fall in between


async def _all_settled(coros: list[Coroutine[Any, Any, None]]) -> None:
    """Run coroutines concurrently to their end, then raise the first failure.

    Each is one small blob write, so even a cancellation waits for them (shielded) before it
    propagates: a write cut off in a worker thread could leave a blob or staging file nobody
    records, while a finished one is in `new_blobs` for the refusal's clean-up to remove."""
    batch = asyncio.gather(*coros, return_exceptions=True)
    try:
        results = await asyncio.shield(batch)
    except asyncio.CancelledError:
        await asyncio.wait([batch])
        raise
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _batches(todo: list[tuple[str, ZipEntry]]) -> Iterator[list[tuple[str, ZipEntry]]]:
    """Small members in groups of at most STORE_CONCURRENCY entries and BATCH_BYTES bytes."""
    batch: list[tuple[str, ZipEntry]] = []
    size = 0
    for item in todo:
        if batch and (len(batch) >= STORE_CONCURRENCY or size + item[1].size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item[1].size
    if batch:
        yield batch


async def _store_members(
    blobs: BlobStore, path: Path, entries: list[ZipEntry], digests: list[str], new_blobs: list[str]
) -> None:
    """Store every member whose bytes are not stored yet, each verified against its digest.

    Small members are read a batch per thread hop and written concurrently (a blob write is
    mostly waiting: fsync on disk, a round trip to S3); large ones stream one at a time. Only
    one thread reads the archive at any moment (zipfile's shared file is not made for more).
    """
    todo = dict(zip(digests, entries, strict=True))  # identical content is stored once
    small = [(d, e) for d, e in todo.items() if e.size <= SMALL_MEMBER]
    archive = await asyncio.to_thread(zipfile.ZipFile, path)
    try:
        for batch in _batches(small):
            datas = await asyncio.to_thread(_read_batch, archive, [e.name for _, e in batch])
            await _all_settled(
                [
                    _store(blobs, digest, _one_chunk(data), new_blobs)
                    for (digest, _), data in zip(batch, datas, strict=True)
                ]
            )
        for digest, entry in todo.items():
            if entry.size > SMALL_MEMBER:
                await _store(blobs, digest, member_chunks(archive, entry.name), new_blobs)
    finally:
        archive.close()


def describe(
    name: str, version: str, entries: list[ZipEntry], digests: list[str], small: dict[str, bytes]
) -> SourceInfo:
    """The SourceInfo of an upload: card, config, files and license, as for a hub model."""
    readme = small.get("README.md")
    card_data, card_text, card_invalid = split_card(
        readme.decode("utf-8-sig", errors="replace") if readme else ""
    )
    config, config_invalid = parse_json_object(small.get("config.json"))
    raw_tags = card_data.get("tags")
    tags = [str(t) for t in raw_tags] if isinstance(raw_tags, list) else []
    extra: dict[str, Any] = {
        "version": version,
        "private": True,
        "pipeline_tag": card_data.get("pipeline_tag"),
        "library_name": card_data.get("library_name"),
    }
    record_side_files(extra, small, config_invalid=config_invalid, card_invalid=card_invalid)
    files = [
        SourceFile(path=e.path, size=e.size, sha256=d)
        for e, d in zip(entries, digests, strict=True)
    ]
    return SourceInfo(
        kind="upload",
        url=upload_url(name, version),
        repo_id=name,
        default_name=name,
        card_text=card_text,
        card_data=card_data,
        config=json_safe(config) if config is not None else None,
        files=files,
        license=card_license(card_data, tags),
        tags=tags,
        extra=extra,
    )


async def stage_upload(
    blobs: BlobStore,
    chunks: AsyncIterable[bytes],
    *,
    name: str,
    version: str,
    limit: int,
    limits: ZipLimits,
    directory: Path | None,
    pins: BlobPins,
    in_use: InUse,
) -> StagedUpload:
    """Spool, validate and store an upload; on any failure remove every blob it created.

    On success the returned upload's blobs stay pinned until the caller unpins them (after
    registering it, or discarding it)."""
    spooled = await spool(chunks, directory, limit)
    target: Path | None = None
    staged: StagedUpload | None = None
    new_blobs: list[str] = []
    pinned: list[str] = []
    try:
        target = _temp_zip(directory)
        entries = await asyncio.to_thread(inspect_zip, spooled.path, limits)
        digests, small, rebuilt = await asyncio.to_thread(
            _read_members, spooled.path, entries, target
        )
        # Pinned before the existence checks: another upload's refusal must not delete a blob
        # this one found and skipped.
        pinned = list(dict.fromkeys([*digests, rebuilt.digest]))
        pins.pin(pinned)
        await _store_members(blobs, spooled.path, entries, digests, new_blobs)
        # The whole-package download serves the zip rebuilt from the vetted files, never the
        # upload's own bytes; it takes the upload zip's place (`upload_sha256`, `upload_size`).
        await _store(blobs, rebuilt.digest, file_chunks(rebuilt.path), new_blobs)
        info = describe(name, version, entries, digests, small)
        info.extra["upload_sha256"] = rebuilt.digest
        info.extra["upload_size"] = rebuilt.size
        staged = StagedUpload(info, new_blobs, pinned)
        return staged
    finally:
        remove_file(spooled.path)
        if target is not None:
            remove_file(target)
        if staged is None:
            try:
                await discard_blobs(blobs, new_blobs, pins, in_use)
            except Exception as exc:  # the refusal's own error is the one to report
                log.warning("refused upload's blobs left for the collector: %r", type(exc).__name__)
            finally:
                pins.unpin(pinned)


async def discard_blobs(
    blobs: BlobStore, digests: list[str], pins: BlobPins, in_use: InUse
) -> None:
    """Remove the blobs a refused upload created, unless another upload or a stored package
    relies on them."""
    candidates = [d for d in digests if not pins.shared(d)]
    used = await in_use(candidates) if candidates else set()
    for digest in candidates:
        if digest not in used:
            await blobs.delete(digest)
