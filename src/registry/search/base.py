"""The search index port: regex search over artifact names and card/README text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from registry.db.repositories import UnitOfWork


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One artifact a search found."""

    seq: int
    id: str
    name: str
    type: str


class SearchIndex(Protocol):
    """Role: find artifacts whose name or card text matches a compiled RE2 pattern."""

    name: str

    async def regex(
        self, uow: UnitOfWork, pattern: Any, *, limit: int, budget_seconds: float
    ) -> list[SearchHit]:
        """Return up to `limit` hits in registration order; raise SearchTimeoutError past budget."""
        ...

    async def check(self, uow: UnitOfWork) -> None:
        """Raise if the index cannot serve queries (health probe)."""
        ...
