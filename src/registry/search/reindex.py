"""`registry reindex`: rebuild the configured search index from the metadata database."""

from __future__ import annotations

from registry.config import Settings
from registry.db.engine import Database
from registry.search.factory import build_search_index
from registry.search.opensearch import OpenSearchIndex


async def reindex(settings: Settings) -> str:
    """Rebuild the index; return a one-line report for the operator."""
    db = Database(settings.database_url)
    index = build_search_index(settings)
    try:
        await db.migrate()
        if isinstance(index, OpenSearchIndex):
            count = await index.reindex(db)
            return f"reindexed {count} artifacts into OpenSearch index '{index.index}'"
        # The SQL index is the database (trigram indexes are maintained by PostgreSQL itself).
        return "search backend 'sql' reads the database directly; nothing to rebuild"
    finally:
        if isinstance(index, OpenSearchIndex):
            await index.close()
        await db.dispose()
