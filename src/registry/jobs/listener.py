"""Keeps jobs consistent with artifacts: deleting an artifact cancels its unfinished jobs."""

from __future__ import annotations

from registry.artifacts.events import ArtifactListener
from registry.db.models import ArtifactRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.jobs import JobRepository


class JobsArtifactListener(ArtifactListener):
    """Cancels a deleted artifact's jobs and forgets every job on reset."""

    async def deleted(self, uow: UnitOfWork, row: ArtifactRow) -> None:
        """Cancel the artifact's queued and running jobs."""
        await JobRepository(uow.session).cancel_for_artifact(row.id)

    async def reset(self, uow: UnitOfWork) -> None:
        """Forget every job."""
        await JobRepository(uow.session).delete_all()
