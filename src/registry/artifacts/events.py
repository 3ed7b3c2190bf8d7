"""Artifact lifecycle hooks: how other domains (lineage, rating, packages, search) react to
registrations without the artifact service knowing them.

A listener overrides only the hooks it needs. Hooks that take a unit of work run inside the
request's transaction (keep them to fast database work); `committed` runs after the commit and
is where background work (mirroring, rating, indexing) is started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.artifacts.service import Draft
    from registry.db.models import ArtifactRow
    from registry.db.repositories import UnitOfWork


class ArtifactListener:
    """Base class with no-op hooks."""

    async def before_save(self, draft: Draft) -> None:
        """Called before a registration or update is stored; may raise to refuse it (no DB)."""

    async def saved(self, uow: UnitOfWork, row: ArtifactRow, created: bool) -> None:
        """Called inside the transaction after the row is written."""

    async def saved_with_draft(
        self, uow: UnitOfWork, row: ArtifactRow, draft: Draft, created: bool
    ) -> None:
        """Like saved, with the draft whose annotations before_save filled in."""

    async def committed(self, row: ArtifactRow, created: bool) -> None:
        """Called after the transaction committed (start background work here)."""

    async def deleted(self, uow: UnitOfWork, row: ArtifactRow) -> None:
        """Called inside the transaction before the row is deleted."""

    async def reset(self, uow: UnitOfWork) -> None:
        """Called inside the transaction of a registry reset."""
