"""SqlSearchIndex: scans the metadata database's name and card columns and verifies with RE2."""

from __future__ import annotations

import time
from typing import Any

from registry.db.repositories import UnitOfWork
from registry.errors import PayloadTooLargeError
from registry.search.base import SearchHit


class SearchTimeoutError(PayloadTooLargeError):
    """A search ran past its time budget (the pattern narrows too little for the corpus)."""

    code = "search_budget_exceeded"


class SqlSearchIndex:
    """Regex search straight over the metadata database, identical on SQLite and PostgreSQL."""

    name = "sql"

    async def regex(
        self, uow: UnitOfWork, pattern: Any, *, limit: int, budget_seconds: float
    ) -> list[SearchHit]:
        """Scan rows in keyset-paged batches; RE2 keeps each match linear in the text size."""
        deadline = time.monotonic() + budget_seconds
        hits: list[SearchHit] = []
        async for batch in uow.artifacts.scan_text():
            for seq, artifact_id, name, artifact_type, card_text in batch:
                if pattern.search(name) or (card_text and pattern.search(card_text)):
                    hits.append(SearchHit(seq, artifact_id, name, artifact_type))
                    if len(hits) >= limit:
                        return hits
            if time.monotonic() > deadline:
                raise SearchTimeoutError(
                    f"regex search exceeded its {budget_seconds:g} s budget; "
                    "use a more specific pattern"
                )
        return hits

    async def check(self, uow: UnitOfWork) -> None:
        """The SQL index is the database itself; a trivial count proves it answers."""
        await uow.artifacts.count_matching(None, None)
