"""The typed per-request GraphQL context: caller, one read transaction, and dataloaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from registry.auth.schemas import Principal
from registry.db.repositories import UnitOfWork
from registry.db.repositories.lineage import LineageRepository
from registry.lineage.feature import LineageFeature
from registry.transactions.service import TransactionService

T = TypeVar("T")


@dataclass(slots=True)
class GraphQLContext:
    """Built once per request; loaders batch every lookup of one execution tick."""

    principal: Principal
    uow: UnitOfWork
    feature: LineageFeature
    # Mutations run their own units of work through it (an atomic group of changes).
    transactions: TransactionService | None = None
    # One AsyncSession cannot run two statements at once, and resolvers run concurrently.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    artifacts: DataLoader[str, dict[str, Any] | None] = field(init=False)
    ratings: DataLoader[str, dict[str, Any] | None] = field(init=False)
    trust: DataLoader[str, str | None] = field(init=False)

    def __post_init__(self) -> None:
        self.artifacts = DataLoader(load_fn=self._load_artifacts)
        self.ratings = DataLoader(load_fn=self._load_ratings)
        self.trust = DataLoader(load_fn=self._load_trust)

    async def db(self, call: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run one repository call on the request's transaction, one at a time."""
        async with self.lock:
            return await call(self.uow)

    async def _load_artifacts(self, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        found = await self.db(lambda uow: LineageRepository(uow.session).nodes(list(ids)))
        return [found.get(i) for i in ids]

    async def _load_ratings(self, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        found: Mapping[str, dict[str, Any]] = await self.db(
            lambda uow: self.feature.ratings.ratings_for(uow, list(ids))
        )
        return [found.get(i) for i in ids]

    async def _load_trust(self, ids: Sequence[str]) -> list[str | None]:
        found: Mapping[str, str] = await self.db(
            lambda uow: self.feature.ratings.trust_for(uow, list(ids))
        )
        return [found.get(i) for i in ids]
