"""SqlSearchIndex: regex search inside the metadata database (SQLite REGEXP, PostgreSQL pg_trgm)."""

from __future__ import annotations

from typing import Any

from registry.db.repositories import UnitOfWork
from registry.db.repositories.search import ScanFilter, SearchRepository
from registry.errors import SearchTimeoutError
from registry.search.base import ScanOutcome, SearchHit
from registry.search.scan import scan_matching

__all__ = ["SqlSearchIndex"]


def budget_message(budget_seconds: float) -> str:
    """The one wording every backend uses when a regex search runs out of time."""
    return (
        f"regex search exceeded its {budget_seconds:g} s budget before finishing; "
        "use a pattern with a literal of 3+ characters so the index can narrow it"
    )


class SqlSearchIndex:
    """Regex search over the metadata database, with the same results on SQLite and PostgreSQL."""

    name = "sql"

    async def regex(
        self, uow: UnitOfWork, pattern: Any, *, limit: int, budget_seconds: float
    ) -> list[SearchHit]:
        """Hits in registration order; SearchTimeoutError when the budget runs out first."""
        outcome = await self.scan(
            uow, ScanFilter(), pattern, after=0, limit=limit, budget_seconds=budget_seconds
        )
        if outcome.budget_exhausted:
            raise SearchTimeoutError(budget_message(budget_seconds))
        return [SearchHit(seq, id_, name, type_) for seq, id_, name, type_, _ in outcome.rows]

    async def scan(
        self,
        uow: UnitOfWork,
        where: ScanFilter,
        pattern: Any | None,
        *,
        after: int,
        limit: int,
        budget_seconds: float,
    ) -> ScanOutcome:
        """Filtered rows after `after` in seq order, planned per dialect (see search.scan)."""
        return await scan_matching(
            SearchRepository(uow.session),
            where,
            pattern,
            after=after,
            limit=limit,
            budget_seconds=budget_seconds,
        )

    async def check(self, uow: UnitOfWork) -> None:
        """The SQL index is the database itself; a trivial query proves it answers."""
        await SearchRepository(uow.session).max_seq()
