"""Pick the search index adapter by its configured name; an unknown name fails at start."""

from __future__ import annotations

from registry.config import Settings
from registry.errors import UnknownSearchBackendError
from registry.search.base import SearchIndex
from registry.search.opensearch import OpenSearchIndex
from registry.search.sql import SqlSearchIndex


def build_search_index(settings: Settings) -> SearchIndex:
    """The SearchIndex named by settings.search_backend."""
    backend: str = settings.search_backend
    if backend == "sql":
        return SqlSearchIndex()
    if backend == "opensearch":
        return OpenSearchIndex(
            settings.opensearch_url,
            settings.opensearch_index,
            timeout=max(settings.search_budget_seconds * 2, 5.0),
        )
    raise UnknownSearchBackendError(
        f"unknown search backend '{backend}': expected one of sql, opensearch"
    )
