"""The lineage graph as the lookups other areas depend on (rating, packages)."""

from __future__ import annotations

from registry.db.repositories import UnitOfWork
from registry.lineage import service


class LineageLookups:
    """Implements rating's ParentLookup and packages' DependencyLookup over the lineage tables."""

    async def registered_parent_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """Direct registered base models (tree_score's inputs)."""
        return await service.registered_parent_ids(uow, artifact_id)

    async def registered_descendant_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """Registered artifacts below this one, nearest first."""
        return await service.registered_descendant_ids(uow, artifact_id)

    async def dependency_ids(self, uow: UnitOfWork, artifact_id: str) -> list[str]:
        """Registered base models, datasets and code above this artifact, each once."""
        return await service.dependency_ids(uow, artifact_id)
