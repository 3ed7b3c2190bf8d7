"""OpenSearchIndex: candidates from an OpenSearch `wildcard` index, verified with RE2 against the
metadata database (so results equal the SQL backends', and stale index entries cannot leak)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import NotFoundError as OpenSearchNotFound
from opensearchpy.exceptions import OpenSearchException

from registry.artifacts.events import ArtifactListener
from registry.db.repositories import UnitOfWork
from registry.db.repositories.search import ScanFilter, SearchRepository
from registry.errors import SearchTimeoutError, SearchUnavailableError
from registry.query.literals import LiteralQuery, required_literals
from registry.search.base import ScanOutcome, SearchHit
from registry.search.scan import scan_matching

if TYPE_CHECKING:
    from registry.db.engine import Database
    from registry.db.models import ArtifactRow

log = logging.getLogger("registry.search")

# The top-level search/ folder holds the index definition (no Python there, see DESIGN.md).
MAPPINGS = Path(__file__).resolve().parents[3] / "search" / "artifacts.json"
BATCH = 500  # candidate hits per request, paged with search_after on seq
REINDEX_BATCH = 500


def _escape_wildcard(literal: str) -> str:
    # In a wildcard query `*`, `?` and `\` are operators; everything else is literal.
    return literal.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def candidate_query(literals: LiteralQuery) -> dict[str, Any]:
    """The OpenSearch query whose hits contain every required literal in name or card text."""
    if not literals.narrows:
        return {"match_all": {}}
    per_field = []
    for field in ("name", "card_text"):
        clauses = [
            {
                "bool": {
                    "should": [
                        {
                            "wildcard": {
                                field: {
                                    "value": f"*{_escape_wildcard(option)}*",
                                    "case_insensitive": literals.fold,
                                }
                            }
                        }
                        for option in options
                    ],
                    "minimum_should_match": 1,
                }
            }
            for options in literals.clauses
        ]
        per_field.append({"bool": {"filter": clauses}})
    return {"bool": {"should": per_field, "minimum_should_match": 1}}


def document(row: ArtifactRow) -> dict[str, Any]:
    """The indexed form of an artifact row."""
    return {
        "seq": row.seq,
        "id": row.id,
        "type": row.type,
        "name": row.name,
        "card_text": row.card_text or "",
    }


class OpenSearchIndex:
    """Regex search through an OpenSearch cluster; the database stays the source of truth."""

    name = "opensearch"

    def __init__(
        self, url: str, index: str, *, timeout: float = 10.0, client: Any | None = None
    ) -> None:
        self.index = index
        self.client: Any = client or AsyncOpenSearch(hosts=[url], timeout=timeout)

    async def start(self) -> None:
        """Create the index from search/artifacts.json when it does not exist yet."""
        try:
            if not await self.client.indices.exists(index=self.index):
                await self.client.indices.create(index=self.index, body=_definition())
        except OpenSearchException as exc:
            raise SearchUnavailableError(f"OpenSearch index setup failed: {exc}") from exc

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.close()

    async def regex(
        self, uow: UnitOfWork, pattern: Any, *, limit: int, budget_seconds: float
    ) -> list[SearchHit]:
        """Hits in registration order; SearchTimeoutError when the budget runs out first."""
        from registry.search.sql import budget_message

        deadline = time.monotonic() + budget_seconds
        query = candidate_query(required_literals(pattern.pattern))
        repo = SearchRepository(uow.session)
        hits: list[SearchHit] = []
        after = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SearchTimeoutError(budget_message(budget_seconds))
            seqs = await self._candidates(query, after, remaining)
            if not seqs:
                return hits
            for seq, id_, name, type_, card in await repo.by_seqs(seqs):
                if pattern.search(name) or pattern.search(card or ""):
                    hits.append(SearchHit(seq, id_, name, type_))
                    if len(hits) >= limit:
                        return hits
            if len(seqs) < BATCH:
                return hits
            after = seqs[-1]

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
        """Filtered rows after `after` in seq order, scanned in the database itself.

        Versions and trust live only in the database, and the SQL plans (REGEXP, pg_trgm) page
        on seq as the extension's cursors need, so the index serves plain regex lookups only.
        """
        return await scan_matching(
            SearchRepository(uow.session),
            where,
            pattern,
            after=after,
            limit=limit,
            budget_seconds=budget_seconds,
        )

    async def _candidates(self, query: dict[str, Any], after: int, remaining: float) -> list[int]:
        body = {
            "query": query,
            "sort": [{"seq": "asc"}],
            "size": BATCH,
            "_source": ["seq"],
            "search_after": [after],
            "timeout": f"{max(int(remaining * 1000), 1)}ms",
            "track_total_hits": False,
        }
        try:
            response = await self.client.search(
                index=self.index, body=body, params={"request_timeout": remaining}
            )
        except OpenSearchException as exc:
            raise SearchUnavailableError(f"OpenSearch search failed: {exc}") from exc
        if response.get("timed_out"):
            raise SearchTimeoutError("OpenSearch reported a timed-out search")
        return [int(hit["_source"]["seq"]) for hit in response["hits"]["hits"]]

    async def upsert(self, rows: Sequence[ArtifactRow]) -> None:
        """Index (or re-index) artifacts, keyed by their registry id."""
        if not rows:
            return
        lines: list[str] = []
        for row in rows:
            lines.append(json.dumps({"index": {"_index": self.index, "_id": row.id}}))
            lines.append(json.dumps(document(row)))
        try:
            response = await self.client.bulk(body="\n".join(lines) + "\n")
        except OpenSearchException as exc:
            raise SearchUnavailableError(f"OpenSearch indexing failed: {exc}") from exc
        if response.get("errors"):
            raise SearchUnavailableError("OpenSearch refused some documents")

    async def remove(self, artifact_id: str) -> None:
        """Drop one artifact from the index (absent already is fine)."""
        try:
            await self.client.delete(index=self.index, id=artifact_id)
        except OpenSearchNotFound:
            return
        except OpenSearchException as exc:
            raise SearchUnavailableError(f"OpenSearch delete failed: {exc}") from exc

    async def clear(self) -> None:
        """Drop every document (registry reset)."""
        try:
            await self.client.delete_by_query(
                index=self.index, body={"query": {"match_all": {}}}, params={"refresh": "true"}
            )
        except OpenSearchException as exc:
            raise SearchUnavailableError(f"OpenSearch reset failed: {exc}") from exc

    async def reindex(self, db: Database) -> int:
        """Drop and rebuild the index from the database; return how many artifacts it holds."""
        try:
            await self.client.indices.delete(
                index=self.index, params={"ignore_unavailable": "true"}
            )
        except OpenSearchException as exc:
            raise SearchUnavailableError(f"OpenSearch index drop failed: {exc}") from exc
        await self.start()
        count = 0
        after = 0
        while True:
            async with db.unit_of_work() as uow:
                rows = await SearchRepository(uow.session).rows_after(after, REINDEX_BATCH)
            if not rows:
                break
            await self.upsert(rows)
            count += len(rows)
            after = int(rows[-1].seq or 0)
        await self.client.indices.refresh(index=self.index)
        return count

    async def check(self, uow: UnitOfWork) -> None:
        """Raise unless the cluster answers and the index exists."""
        try:
            if not await self.client.indices.exists(index=self.index):
                raise SearchUnavailableError(f"OpenSearch index '{self.index}' does not exist")
        except OpenSearchException as exc:
            raise SearchUnavailableError(f"OpenSearch unreachable: {exc}") from exc


def _definition() -> dict[str, Any]:
    return json.loads(MAPPINGS.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


class OpenSearchListener(ArtifactListener):
    """Keeps the OpenSearch index in step with the database after each commit."""

    def __init__(self, index: OpenSearchIndex) -> None:
        self.index = index

    async def committed(self, row: ArtifactRow, created: bool) -> None:
        """Index the saved artifact; a failure is logged, `registry reindex` repairs it."""
        try:
            await self.index.upsert([row])
        except SearchUnavailableError as exc:
            log.warning("search index update failed for %s: %s", row.id, exc.message)

    async def deleted(self, uow: UnitOfWork, row: ArtifactRow) -> None:
        """Drop the artifact from the index.

        There is no after-commit hook for deletes, so this runs inside the transaction: should
        it roll back, the artifact stays missing from the index until `registry reindex`.
        The opposite staleness (an index entry for a deleted row) is harmless, because
        candidates are re-read from the database before they are reported.
        """
        try:
            await self.index.remove(row.id)
        except SearchUnavailableError as exc:
            log.warning("search index delete failed for %s: %s", row.id, exc.message)

    async def reset(self, uow: UnitOfWork) -> None:
        """Empty the index with the registry."""
        await self.index.clear()
