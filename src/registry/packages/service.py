"""PackageService: uploads, mirror jobs, what a download serves, and size cost.

Downloads and mirror jobs move bytes between the network, the blob store and the client, which
can take minutes; so this service keeps its own short units of work for bookkeeping (a file is
stored, a zip is cached) instead of holding a request's transaction open across the transfer.
Everything a request decides (registration, the audit entry) still commits at the request edge.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from registry.artifacts.schemas import ArtifactType
from registry.artifacts.service import ArtifactService, Draft, no_such_artifact
from registry.auth.schemas import Principal
from registry.config import Settings
from registry.db.engine import Database
from registry.db.models import ArtifactRow
from registry.db.models.jobs import JobRow
from registry.db.models.packages import PackageArchiveRow, PackageFileRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.blobs import BlobUseRepository
from registry.db.repositories.packages import (
    DownloadTarget,
    PackageRepository,
    download_target,
)
from registry.errors import (
    BlobNotFoundError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationError,
)
from registry.ids import utcnow
from registry.jobs.service import JobContext, JobService
from registry.packages.archive import build_zip
from registry.packages.listener import MIRROR_JOB
from registry.packages.mirror import SourceFetcher
from registry.packages.parts import Part
from registry.packages.spool import SpoolDirectory
from registry.packages.upload import (
    BlobPins,
    StagedUpload,
    discard_blobs,
    stage_upload,
    upload_url,
)
from registry.packages.zipcheck import ZipLimits
from registry.sources.base import CodeArchives, HubFiles
from registry.storage.base import BlobStore

HUB_KINDS = frozenset({"hf_model", "hf_dataset"})
MIRRORABLE = frozenset({"hf_model", "hf_dataset", "github"})
MB = 1024**2

log = logging.getLogger("registry.packages")


class DependencyLookup(Protocol):
    """What cost and the `datasets` part need from lineage: an artifact's dependencies."""

    async def dependency_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """Ids of the registered artifacts this one depends on, transitively, each once."""
        ...


class NoDependencies:
    """The lookup used until lineage is wired: no artifact depends on anything."""

    async def dependency_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """No dependencies."""
        return []


@dataclass(frozen=True, slots=True)
class Content:
    """One stored object a download serves."""

    digest: str
    size: int
    filename: str
    media_type: str


@dataclass(frozen=True, slots=True)
class PartsSummary:
    """A stored package at a glance: its version, how much is mirrored, each part's size."""

    version: str | None
    origin: str
    files: int
    stored: int
    size: int  # of the whole-package download
    parts: list[tuple[Part, int, int]]  # part, file count, bytes (datasets: with dependencies)


def _not_stored(row: ArtifactRow | DownloadTarget) -> NotFoundError:
    return NotFoundError(
        f"{row.type} '{row.name}' is registered by reference; its content is not stored"
    )


def _version_taken(artifact_type: ArtifactType, name: str, version: str) -> ConflictError:
    return ConflictError(
        f"{artifact_type} '{name}' version {version} is uploaded already",
        details={"type": artifact_type.value, "name": name, "version": version},
    )


@dataclass(frozen=True, slots=True)
class _Member:
    owner: ArtifactRow
    file: PackageFileRow
    arcname: str


class PackageService:
    """Business rules for package content."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: BlobStore,
        artifacts: ArtifactService,
        jobs: JobService,
        dependencies: DependencyLookup | None = None,
        *,
        hub: HubFiles,
        archives: CodeArchives,
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.artifacts = artifacts
        self.jobs = jobs
        self.dependencies: DependencyLookup = dependencies or NoDependencies()
        self.fetcher = SourceFetcher(blobs, hub, archives)
        self.limits = ZipLimits(
            max_entries=settings.package_max_entries,
            max_uncompressed_bytes=settings.package_max_uncompressed_bytes,
            max_ratio=settings.package_max_ratio,
        )
        self._builds: dict[str, asyncio.Lock] = {}
        self.pins = BlobPins()
        self.spool = SpoolDirectory(settings.package_tmp_dir)
        jobs.register(
            MIRROR_JOB,
            self.run_mirror,
            max_attempts=settings.mirror_max_attempts,
            backoff_seconds=settings.mirror_backoff_seconds,
        )

    async def start(self) -> None:
        """Open this process's spool directory (removing what dead processes left there)."""
        await asyncio.to_thread(self.spool.open)

    @property
    def tmp_dir(self) -> Path:
        """Where uploads and zips are spooled: this process's own spool directory."""
        return self.spool.path

    # -- uploads ---------------------------------------------------------------------------

    async def ensure_new(
        self, uow: UnitOfWork, artifact_type: ArtifactType, name: str, version: str
    ) -> None:
        """409 before any byte is read when this name and version are taken."""
        url = upload_url(name, version)
        if await uow.artifacts.find_same(artifact_type.value, name, url) is not None:
            raise _version_taken(artifact_type, name, version)

    async def stage_upload(
        self,
        artifact_type: ArtifactType,
        name: str,
        version: str,
        chunks: AsyncIterable[bytes],
    ) -> tuple[Draft, StagedUpload]:
        """Validate and store an upload, then let listeners vet it; nothing is registered yet."""
        staged = await stage_upload(
            self.blobs,
            chunks,
            name=name,
            version=version,
            limit=self.settings.package_max_upload_bytes,
            limits=self.limits,
            directory=self.tmp_dir,
            pins=self.pins,
            in_use=self.blobs_in_use,
        )
        try:
            draft = await self.artifacts.prepare_from_info(artifact_type, name, staged.info)
        except BaseException:
            await self.discard(staged)
            raise
        return draft, staged

    async def upload(
        self,
        principal: Principal,
        artifact_type: ArtifactType,
        name: str,
        version: str,
        chunks: AsyncIterable[bytes],
    ) -> ArtifactRow:
        """Register a zip as an artifact (REST and the upload page); a refusal leaves nothing."""
        async with self.db.unit_of_work() as uow:
            await self.ensure_new(uow, artifact_type, name, version)
        draft, staged = await self.stage_upload(artifact_type, name, version, chunks)
        try:
            return await self.artifacts.store(
                principal,
                draft,
                # A refused registration leaves no blob behind; once committed, the package
                # rows reference the blobs, so the upload's pins go.
                refused=lambda: self.discard(staged),
                stored=lambda: self.pins.unpin(staged.pinned),
            )
        except ConflictError:  # a concurrent upload of this version got there first
            raise _version_taken(artifact_type, name, version) from None

    async def discard(self, staged: StagedUpload) -> None:
        """Remove the blobs of an upload refused after staging (and unpin them); if the
        database is down too, they stay for the collector and the refusal's error stands."""
        try:
            await discard_blobs(self.blobs, staged.new_blobs, self.pins, self.blobs_in_use)
        except Exception as exc:
            log.warning("refused upload's blobs left for the collector: %r", type(exc).__name__)
        finally:
            self.pins.unpin(staged.pinned)

    async def blobs_in_use(self, digests: list[str]) -> set[str]:
        """Which of these digests a package or a live group's staged upload relies on."""
        async with self.db.unit_of_work() as uow:
            return await BlobUseRepository(uow.session).digests_in_use(digests)

    # -- mirroring -------------------------------------------------------------------------

    async def request_mirror(self, uow: UnitOfWork, row: ArtifactRow) -> JobRow:
        """Queue a mirror of a hub or GitHub artifact (admins; datasets are capped in size)."""
        if row.source_kind not in MIRRORABLE:
            raise ValidationError(
                f"{row.type} '{row.name}' is registered by reference ({row.source_kind}); "
                "only Hugging Face and GitHub content can be mirrored"
            )
        files = await PackageRepository(uow.session).files([row.id])
        self._check_dataset_cap(row, sum(f.size for f in files if not f.stored))
        return await self.jobs.enqueue(uow, MIRROR_JOB, artifact_id=row.id)

    def _check_dataset_cap(self, row: ArtifactRow, missing_bytes: int) -> None:
        cap = self.settings.dataset_mirror_max_bytes
        if row.source_kind == "hf_dataset" and missing_bytes > cap:
            raise PayloadTooLargeError(
                f"dataset '{row.name}' holds {missing_bytes} bytes not yet mirrored; "
                f"the dataset mirror cap is {cap} bytes",
                details={"bytes": missing_bytes, "cap": cap},
            )

    async def run_mirror(self, job: JobContext) -> dict[str, Any]:
        """Job handler: store every not-yet-stored file of the artifact, verified."""
        if job.artifact_id is None:
            raise ValueError("a mirror job needs an artifact")
        async with self.db.unit_of_work() as uow:
            row = await uow.artifacts.get(job.artifact_id)
            files = await PackageRepository(uow.session).files([job.artifact_id])
        if row is None:
            return {"skipped": "the artifact was deleted"}
        fetched = 0
        stored_bytes = 0
        for file in files:
            if file.stored:
                continue
            await self._store(row, file)
            fetched += 1
            stored_bytes += file.size
        return {"files": len(files), "fetched": fetched, "bytes": stored_bytes}

    async def _store(self, row: ArtifactRow, file: PackageFileRow) -> None:
        info = await self.fetcher.fetch(row, file)
        async with self.db.unit_of_work(write=True) as uow:
            await PackageRepository(uow.session).mark_stored(file, info.digest, info.size)
        file.digest, file.size, file.stored = info.digest, info.size, True

    # -- downloads -------------------------------------------------------------------------

    async def download(
        self,
        principal: Principal,
        artifact_type: ArtifactType,
        artifact_id: str,
        part: Part | None,
    ) -> Content:
        """What a download serves (REST and pages alike), recorded in the audit trail."""
        row, content = await self.content(artifact_type, artifact_id, part)
        await self.artifacts.audit.append(self.db, principal, row, "DOWNLOAD")
        return content

    async def content(
        self, artifact_type: ArtifactType, artifact_id: str, part: Part | None
    ) -> tuple[DownloadTarget, Content]:
        """The artifact and what a download of it (or one part) serves; fetched or zipped as
        needed."""
        # Short reads only: the transfer that may follow must not hold a transaction.
        target = await self.db.run(lambda conn: download_target(conn, artifact_id))
        if target is None or target.type != artifact_type.value:
            raise no_such_artifact(artifact_type, artifact_id)
        if not target.packaged:
            raise _not_stored(target)
        label = f"{target.name}-{part.value}" if part else target.name
        # An upload's whole package is the zip rebuilt when it was staged: no file list
        # needed (the hot path).
        if target.archive_digest and part is None:
            try:
                info = await self.blobs.stat(target.archive_digest)
            except BlobNotFoundError:
                pass  # the zip is gone (e.g. written to another blob store): build one
            else:
                return target, Content(info.digest, info.size, f"{label}.zip", "application/zip")
        async with self.db.unit_of_work() as uow:
            row = await self.artifacts.get(uow, artifact_type, artifact_id)
            members = await self._members(uow, row, part)
        if not members:
            raise NotFoundError(f"{row.type} '{row.name}' has no files in the '{part}' part")
        await self._fetch_through(members)
        archives = [m for m in members if m.file.kind == "archive"]
        if len(members) == 1 and archives:
            file = archives[0].file
            content = Content(file.digest or "", file.size, f"{label}.zip", "application/zip")
            return target, content
        return target, await self._zip(members, f"{label}.zip")

    async def _members(self, uow: UnitOfWork, row: ArtifactRow, part: Part | None) -> list[_Member]:
        """The files a download of the artifact (or one part) holds; 404 when none are stored."""
        files = await PackageRepository(uow.session).files([row.id])
        if not files:
            raise _not_stored(row)
        members = [_Member(row, f, f.path) for f in files if part is None or f.part == part]
        if part is Part.datasets:
            members += await self._dependency_datasets(uow, row)
        return members

    async def _dependency_datasets(self, uow: UnitOfWork, row: ArtifactRow) -> list[_Member]:
        members: list[_Member] = []
        for dep_id in await self.dependencies.dependency_ids(uow, row.id):
            dep = await uow.artifacts.get(dep_id)
            if dep is None or dep.type != "dataset" or dep.id == row.id:
                continue
            for file in await PackageRepository(uow.session).files([dep.id]):
                members.append(_Member(dep, file, f"dependencies/{dep.name}-{dep.id}/{file.path}"))
        return members

    async def _fetch_through(self, members: Sequence[_Member]) -> None:
        """Store the files a download needs that the mirror has not reached yet."""
        missing = [m for m in members if not m.file.stored]
        if not missing:
            return
        for owner_id in {m.owner.id for m in missing}:
            owned = [m for m in missing if m.owner.id == owner_id]
            owner = owned[0].owner
            if owner.source_kind not in MIRRORABLE:
                raise NotFoundError(f"the content of '{owner.name}' is not stored")
            self._check_dataset_cap(owner, sum(m.file.size for m in owned))
        for member in missing:
            await self._store(member.owner, member.file)

    async def _zip(self, members: Sequence[_Member], filename: str) -> Content:
        """The cached zip of these members, built (once) if it is not cached yet."""
        entries = sorted((m.arcname, m.file.digest or "", m.file.size) for m in members)
        key = hashlib.sha256(json.dumps(entries).encode()).hexdigest()
        cached = await self._cached(key)
        if cached is not None:
            return Content(cached.digest, cached.size, filename, "application/zip")
        # One build per file set at a time: 100 clients asking at once share the first build.
        async with self._builds.setdefault(key, asyncio.Lock()):
            cached = await self._cached(key)
            if cached is None:
                info = await build_zip(self.blobs, entries, self.tmp_dir)
                cached = PackageArchiveRow(
                    key=key, digest=info.digest, size=info.size, created_at=utcnow()
                )
                async with self.db.unit_of_work(write=True) as uow:
                    await PackageRepository(uow.session).add_archive(cached)
        self._builds.pop(key, None)
        return Content(cached.digest, cached.size, filename, "application/zip")

    async def _cached(self, key: str) -> PackageArchiveRow | None:
        # A fresh transaction: an older SQLite snapshot would miss a build that just committed.
        async with self.db.unit_of_work() as uow:
            cached = await PackageRepository(uow.session).archive(key)
        if cached is not None and await self.blobs.exists(cached.digest):
            return cached
        return None

    # -- cost ------------------------------------------------------------------------------

    async def cost(
        self, uow: UnitOfWork, row: ArtifactRow, with_dependencies: bool
    ) -> dict[str, dict[str, float]]:
        """Download size in MB: {id: {total_cost}}, or per artifact with standalone_cost."""
        own = await self._size(uow, row)
        if not with_dependencies:
            return {row.id: {"total_cost": _mb(own)}}
        result: dict[str, dict[str, float]] = {}
        total = own
        for dep_id in dict.fromkeys(await self.dependencies.dependency_ids(uow, row.id)):
            dep = await uow.artifacts.get(dep_id)
            if dep is None or dep.id == row.id:
                continue  # a dependency deleted since lineage saw it costs nothing
            size = await self._size(uow, dep)
            total += size
            result[dep.id] = {"standalone_cost": _mb(size), "total_cost": _mb(size)}
        return {row.id: {"standalone_cost": _mb(own), "total_cost": _mb(total)}, **result}

    async def parts(self, uow: UnitOfWork, row: ArtifactRow) -> PartsSummary | None:
        """What a download of each part holds (files, bytes); None when nothing is stored."""
        repo = PackageRepository(uow.session)
        package = await repo.get(row.id)
        files = await repo.files([row.id])
        if package is None or not files:
            return None
        counts = {part: [0, 0] for part in Part}
        members = [_Member(row, f, f.path) for f in files]
        members += await self._dependency_datasets(uow, row)
        for member in members:
            tally = counts[Part(member.file.part) if member.owner is row else Part.datasets]
            tally[0] += 1
            tally[1] += member.file.size
        size = sum(f.size for f in files)
        if package.archive_digest:  # an upload's whole download: the zip rebuilt at upload
            size = int(row.extra.get("upload_size") or size)
        return PartsSummary(
            version=package.version,
            origin=package.origin,
            files=len(files),
            stored=sum(1 for f in files if f.stored),
            size=size,
            parts=[(part, n, part_size) for part, (n, part_size) in counts.items() if n],
        )

    @staticmethod
    async def _size(uow: UnitOfWork, row: ArtifactRow) -> int:
        files = await PackageRepository(uow.session).files([row.id])
        stored = sum(f.size for f in files)
        return stored if stored else row.size_bytes

    async def close(self) -> None:
        """Remove this process's spool directory (the source adapters own their clients)."""
        await asyncio.to_thread(self.spool.close)


def _mb(size: int) -> float:
    return round(size / MB, 6)
