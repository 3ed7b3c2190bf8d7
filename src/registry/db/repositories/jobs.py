"""Jobs: enqueue, claim with a lease, finish; claims are safe across processes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models.jobs import JobRow


class JobRepository:
    """Reads and writes job rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, job: JobRow) -> JobRow:
        """Insert a job."""
        self.session.add(job)
        await self.session.flush()
        return job

    async def get(self, job_id: str) -> JobRow | None:
        """Return one job."""
        return await self.session.get(JobRow, job_id)

    async def for_artifact(self, artifact_id: str, limit: int = 100) -> Sequence[JobRow]:
        """The artifact's jobs, newest first."""
        result = await self.session.execute(
            select(JobRow)
            .where(col(JobRow.artifact_id) == artifact_id)
            .order_by(col(JobRow.created_at).desc())
            .limit(limit)
        )
        return result.scalars().all()

    async def claim(
        self, kinds: Sequence[str], now: datetime, lease_until: datetime
    ) -> JobRow | None:
        """Take the oldest runnable job (queued, or running with an expired lease) and lease it.

        PostgreSQL uses FOR UPDATE SKIP LOCKED so several processes never take the same job;
        SQLite's write transaction (BEGIN IMMEDIATE) serialises claimers already.
        """
        runnable = ((col(JobRow.status) == "queued") & (col(JobRow.run_after) <= now)) | (
            (col(JobRow.status) == "running") & (col(JobRow.lease_until) < now)
        )
        query = (
            select(JobRow)
            .where(runnable, col(JobRow.kind).in_(kinds))
            .order_by(col(JobRow.run_after))
            .limit(1)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = (await self.session.execute(query)).scalar_one_or_none()
        if job is None:
            return None
        job.status = "running"
        job.attempts += 1
        job.lease_until = lease_until
        job.updated_at = now
        await self.session.flush()
        return job

    async def save(self, job: JobRow) -> None:
        """Write a changed job."""
        self.session.add(job)
        await self.session.flush()

    async def counts(self) -> dict[str, int]:
        """Number of jobs per status."""
        result = await self.session.execute(
            select(col(JobRow.status), func.count()).group_by(col(JobRow.status))
        )
        return {str(status): int(count) for status, count in result.all()}

    async def unfinished(self, kind: str) -> int:
        """Number of jobs of this kind queued or running (a periodic job is enqueued once)."""
        result = await self.session.execute(
            select(func.count()).where(
                col(JobRow.kind) == kind, col(JobRow.status).in_(["queued", "running"])
            )
        )
        return int(result.scalar_one())

    async def cancel_for_artifact(self, artifact_id: str) -> None:
        """Drop the unfinished jobs of a deleted artifact."""
        await self.session.execute(
            update(JobRow)
            .where(
                col(JobRow.artifact_id) == artifact_id,
                col(JobRow.status).in_(["queued", "running"]),
            )
            .values(status="cancelled", error="artifact deleted")
        )

    async def delete_all(self) -> None:
        """Forget every job (registry reset)."""
        await self.session.execute(delete(JobRow))
