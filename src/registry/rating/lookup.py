"""Ratings and trust status of many artifacts at once (GraphQL's RatingLookup port)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from registry.db.repositories import UnitOfWork
from registry.db.repositories.rating import RatingRepository


class StoredRatings:
    """Reads stored ratings in one query per batch of ids (no N+1 in GraphQL)."""

    async def ratings_for(
        self, uow: UnitOfWork, artifact_ids: Sequence[str]
    ) -> Mapping[str, dict[str, Any]]:
        """The stored ModelRating per id."""
        rows = await RatingRepository(uow.session).get_many(artifact_ids)
        return {row.artifact_id: dict(row.rating) for row in rows}

    async def trust_for(self, uow: UnitOfWork, artifact_ids: Sequence[str]) -> Mapping[str, str]:
        """The stored trust status per id."""
        rows = await RatingRepository(uow.session).get_many(artifact_ids)
        return {row.artifact_id: row.status for row in rows}
