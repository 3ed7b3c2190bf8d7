"""BlobCollector: remove blobs no row references and abort writes a dead process left open.

Blobs are written before the rows that reference them commit (staged -> verified -> committed,
then registered), so a process killed mid-upload, a database lost mid-transaction or a refused
upload whose own clean-up failed leaves blobs no row names, and S3 multipart uploads or staging
files nobody will finish. This collector is the backstop: it runs as a tracked job every
`blob_gc_interval_seconds` (and on demand: `registry gc`).

Only what is older than the grace period is touched: an upload in flight has written its blobs
but not yet its rows, and its writes are recent. Within this process the in-flight uploads'
pins are honoured too. (Across processes the grace period is the guard: an upload in another
process that reuses an old orphan's bytes, found stored, relies on the collector not running
during its own few minutes; a re-put refreshes a local blob's write time.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from registry.db.engine import Database
from registry.db.repositories.blobs import BlobUseRepository
from registry.db.repositories.jobs import JobRepository
from registry.ids import utcnow
from registry.jobs.service import JobContext, JobService
from registry.packages.upload import BlobPins
from registry.storage.base import BlobStore, StoredBlob

BLOB_GC_JOB = "blob_gc"
BATCH = 500  # digests checked against the database per query

log = logging.getLogger("registry.packages.collector")


@dataclass(slots=True)
class CollectReport:
    """What one collection did."""

    blobs_removed: int = 0
    bytes_removed: int = 0
    blobs_referenced: int = 0
    blobs_young: int = 0  # orphans or not, within the grace period: left alone
    writes_aborted: int = 0
    writes_young: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts, for a job result or the CLI."""
        return asdict(self)


class BlobCollector:
    """Finds unreferenced blobs and stale pending writes, and removes them."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        *,
        grace_seconds: float,
        pins: BlobPins | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.grace_seconds = grace_seconds
        self.pins = pins if pins is not None else BlobPins()
        self.clock = clock
        self._schedule: asyncio.Task[None] | None = None

    async def collect(self, grace_seconds: float | None = None) -> CollectReport:
        """One pass: remove old unreferenced blobs, then abort old pending writes."""
        grace = self.grace_seconds if grace_seconds is None else grace_seconds
        cutoff = self.clock() - timedelta(seconds=max(0.0, grace))
        report = CollectReport()
        batch: list[StoredBlob] = []
        async for blob in self.blobs.list_blobs():
            if blob.modified > cutoff or self.pins.pinned(blob.digest):
                report.blobs_young += 1
                continue
            batch.append(blob)
            if len(batch) >= BATCH:
                await self._sweep(batch, report)
                batch = []
        if batch:
            await self._sweep(batch, report)
        # Listed first, aborted after: aborting while the listing pages on is not portable.
        stale = []
        async for write in self.blobs.list_pending_writes():
            if write.started > cutoff:
                report.writes_young += 1
            else:
                stale.append(write)
        for write in stale:
            await self.blobs.abort_write(write)
            report.writes_aborted += 1
        if report.blobs_removed or report.writes_aborted:
            log.info("blob collector: %s", report.as_dict())
        return report

    async def _sweep(self, batch: list[StoredBlob], report: CollectReport) -> None:
        async with self.db.unit_of_work() as uow:
            used = await BlobUseRepository(uow.session).digests_in_use([b.digest for b in batch])
        for blob in batch:
            if blob.digest in used:
                report.blobs_referenced += 1
            elif self.pins.pinned(blob.digest):
                report.blobs_young += 1  # an upload here took it up while we asked
            else:
                await self.blobs.delete(blob.digest)
                report.blobs_removed += 1
                report.bytes_removed += blob.size

    # -- as a job ------------------------------------------------------------------------

    def register(self, jobs: JobService) -> None:
        """Declare the collector's job kind (one attempt: the next interval runs it again)."""
        jobs.register(BLOB_GC_JOB, self.run_job, max_attempts=1)

    async def run_job(self, job: JobContext) -> dict[str, Any]:
        """Job handler; a payload's `grace_seconds` overrides the configured grace period."""
        grace = job.payload.get("grace_seconds")
        report = await self.collect(float(grace) if grace is not None else None)
        return report.as_dict()

    async def enqueue(self, jobs: JobService) -> bool:
        """Queue a collection unless one is queued or running already; tell whether it did."""
        async with self.db.unit_of_work(write=True) as uow:
            if await JobRepository(uow.session).unfinished(BLOB_GC_JOB):
                return False
            await jobs.enqueue(uow, BLOB_GC_JOB)
        jobs.wake()
        return True

    def start(self, jobs: JobService, interval_seconds: float) -> None:
        """Queue a collection every interval (the first one interval after start; 0: never)."""
        if interval_seconds > 0 and self._schedule is None:
            self._schedule = asyncio.create_task(
                self._every(jobs, interval_seconds), name="blob-gc-schedule"
            )

    async def stop(self) -> None:
        """Stop scheduling (a queued collection stays queued for whichever process runs it)."""
        if self._schedule is not None:
            self._schedule.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._schedule
            self._schedule = None

    async def _every(self, jobs: JobService, interval_seconds: float) -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                await self.enqueue(jobs)
            except Exception as exc:  # an outage skips one round; once per interval, no flood
                log.warning("could not schedule the blob collector: %s", type(exc).__name__)
