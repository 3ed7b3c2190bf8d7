"""Search fixtures: a migrated metadata database per SQL backend, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from registry.db.engine import Database


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def search_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """Each backend test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('search') / 'search.db'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest_asyncio.fixture(scope="session")
async def db(search_database_url: str) -> AsyncIterator[Database]:
    """A migrated database for the session."""
    database = Database(search_database_url, pool_size=2)
    await database.migrate()
    try:
        yield database
    finally:
        await database.dispose()
