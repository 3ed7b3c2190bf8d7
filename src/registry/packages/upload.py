"""Zip upload staging: spool, validate, hash, store the files and describe them as a SourceInfo.

The result is registered through ArtifactService exactly like a hub model, so the card, config
and file list are indexed the same way. Nothing here touches the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zipfile
from collections import Counter
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from registry.artifacts.schemas import check_name
from registry.errors import PayloadTooLargeError, ValidationError, ZipRejectedError
from registry.packages.archive import file_chunks, member_chunks, remove_file, spool
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


def _hash_members(path: Path, entries: list[ZipEntry]) -> tuple[list[str], dict[str, bytes]]:
    """First pass (blocking): every member's sha256 (zipfile checks each CRC) and small files."""
    digests: list[str] = []
    small: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for entry in entries:
                hasher = hashlib.sha256()
                keep = entry.path in INDEXED and entry.size <= SMALL_FILE_LIMIT
                kept = bytearray()
                with archive.open(entry.name) as member:
                    while chunk := member.read(CHUNK_SIZE):
                        hasher.update(chunk)
                        if keep:
                            kept += chunk
                digests.append(hasher.hexdigest())
                if keep:
                    small[entry.path] = bytes(kept)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        # NotImplementedError: compression methods zipfile cannot read (e.g. deflate64).
        raise ZipRejectedError(f"the zip is damaged or truncated: {exc}") from None
    except Exception as exc:  # zlib/bz2/lzma errors have no common base; all mean "corrupt"
        raise ZipRejectedError(f"the zip is damaged: {type(exc).__name__}") from None
    return digests, small


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
    staged: StagedUpload | None = None
    new_blobs: list[str] = []
    pinned: list[str] = []
    try:
        entries = await asyncio.to_thread(inspect_zip, spooled.path, limits)
        digests, small = await asyncio.to_thread(_hash_members, spooled.path, entries)
        # Pinned before the existence checks: another upload's refusal must not delete a blob
        # this one found and skipped.
        pinned = [*digests, spooled.digest]
        pins.pin(pinned)
        archive = await asyncio.to_thread(zipfile.ZipFile, spooled.path)
        try:
            for entry, digest in zip(entries, digests, strict=True):
                if await blobs.exists(digest):
                    continue  # content-addressed: identical bytes are stored once
                await blobs.put(member_chunks(archive, entry.name), expected_digest=digest)
                new_blobs.append(digest)
        finally:
            archive.close()
        # The upload's own zip is kept too: the whole-package download serves it unchanged.
        if not await blobs.exists(spooled.digest):
            await blobs.put(file_chunks(spooled.path), expected_digest=spooled.digest)
            new_blobs.append(spooled.digest)
        info = describe(name, version, entries, digests, small)
        info.extra["upload_sha256"] = spooled.digest
        info.extra["upload_size"] = spooled.size
        staged = StagedUpload(info, new_blobs, pinned)
        return staged
    finally:
        remove_file(spooled.path)
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
