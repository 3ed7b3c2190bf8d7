"""The typed per-request GraphQL context: caller, one read transaction, and dataloaders.

The read transaction opens when a resolver first asks for it, not with the request: a
mutation such as executeTransaction runs its own units of work (and waits on the hub between
them), and must hold no pooled connection while it does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from registry.auth.schemas import Principal
from registry.db.engine import Database
from registry.db.repositories import UnitOfWork
from registry.db.repositories.lineage import LineageRepository
from registry.lineage.feature import LineageFeature
from registry.transactions.service import TransactionService

T = TypeVar("T")


@dataclass(slots=True)
class GraphQLContext:
    """Built once per request; loaders batch every lookup of one execution tick."""

    principal: Principal
    database: Database
    feature: LineageFeature
    # Mutations run their own units of work through it (an atomic group of changes).
    transactions: TransactionService | None = None
    # One AsyncSession cannot run two statements at once, and resolvers run concurrently.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The read transaction, once a resolver asked for it; closed by `close`.
    _stack: contextlib.AsyncExitStack = field(init=False, default_factory=contextlib.AsyncExitStack)
    _uow: UnitOfWork | None = field(init=False, default=None)
    artifacts: DataLoader[str, dict[str, Any] | None] = field(init=False)
    ratings: DataLoader[str, dict[str, Any] | None] = field(init=False)
    trust: DataLoader[str, str | None] = field(init=False)

    def __post_init__(self) -> None:
        self.artifacts = DataLoader(load_fn=self._load_artifacts)
        self.ratings = DataLoader(load_fn=self._load_ratings)
        self.trust = DataLoader(load_fn=self._load_trust)

    async def db(self, call: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run one repository call on the request's transaction, one at a time; the first
        call opens it."""
        async with self.lock:
            if self._uow is None:
                self._uow = await self._stack.enter_async_context(self.database.unit_of_work())
            return await call(self._uow)

    @property
    def holds_transaction(self) -> bool:
        """Tell whether a resolver has opened the request's read transaction."""
        return self._uow is not None

    async def close(self, error: BaseException | None = None) -> None:
        """End the read transaction if one was opened (at the end of the request): commit,
        or roll back when the request failed with `error`."""
        async with self.lock:
            self._uow = None
            if error is None:
                await self._stack.aclose()
            else:
                try:
                    await self._stack.__aexit__(type(error), error, error.__traceback__)
                except BaseException as raised:
                    if raised is not error:  # the request's own error is the caller's to raise
                        raise

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
