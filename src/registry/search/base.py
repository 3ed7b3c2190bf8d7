"""The search index port: regex search over artifact names and card/README text, and the
filtered, keyset-paged scan behind the search extension (name, types, version bounds, trust).

Adapters: `SqlSearchIndex` (SQLite REGEXP, PostgreSQL pg_trgm prefilter; RE2 verifies) and
`OpenSearchIndex` (wildcard candidates; RE2 verifies against the database, which stays the
source of truth). Every adapter passes tests/unit/search/test_search_index_contract.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from registry.db.repositories import UnitOfWork
from registry.db.repositories.search import ScanFilter, ScanRow


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One artifact a search found."""

    seq: int
    id: str
    name: str
    type: str


@dataclass(slots=True)
class ScanOutcome:
    """Rows found, where to resume, and why the scan stopped."""

    rows: list[ScanRow]
    resume_after: int
    complete: bool
    budget_exhausted: bool = False


class SearchIndex(Protocol):
    """Role: find artifacts whose name or card text matches a compiled RE2 pattern."""

    name: str

    async def regex(
        self, uow: UnitOfWork, pattern: Any, *, limit: int, budget_seconds: float
    ) -> list[SearchHit]:
        """Return up to `limit` hits in registration order; raise SearchTimeoutError past budget."""
        ...

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
        """Up to `limit` rows after seq `after` matching `where` and `pattern`, in seq order.

        Past the budget it stops early with `budget_exhausted` set, so a caller can hand out a
        cursor at `resume_after` instead of failing.
        """
        ...

    async def check(self, uow: UnitOfWork) -> None:
        """Raise if the index cannot serve queries (health probe)."""
        ...
