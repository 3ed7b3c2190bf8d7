"""The port GraphQL reads ratings and trust status through; the rating area implements it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from registry.db.repositories import UnitOfWork


class RatingLookup(Protocol):
    """Role: ratings and trust status of many artifacts in one call (no N+1)."""

    async def ratings_for(
        self, uow: UnitOfWork, artifact_ids: Sequence[str]
    ) -> Mapping[str, dict[str, Any]]:
        """The latest ModelRating per artifact id; ids without a rating are left out."""
        ...

    async def trust_for(self, uow: UnitOfWork, artifact_ids: Sequence[str]) -> Mapping[str, str]:
        """The trust status per artifact id; ids without one are left out."""
        ...


class NoRatings:
    """The lookup until the rating service is wired in: nothing is rated yet."""

    async def ratings_for(
        self, uow: UnitOfWork, artifact_ids: Sequence[str]
    ) -> Mapping[str, dict[str, Any]]:
        """No ratings."""
        return {}

    async def trust_for(self, uow: UnitOfWork, artifact_ids: Sequence[str]) -> Mapping[str, str]:
        """No trust statuses."""
        return {}
