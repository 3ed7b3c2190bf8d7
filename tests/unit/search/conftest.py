"""Search fixtures: a migrated metadata database per SQL backend, and a row loader."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio
from sqlalchemy import delete

from registry.db.engine import Database
from registry.db.models import ArtifactRow
from registry.db.models.search import ArtifactVersionRow
from registry.ids import utcnow

OPENSEARCH_URL = os.environ.get("REGISTRY_TEST_OPENSEARCH_URL")


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


def artifact(index: int, name: str, card: str = "", artifact_type: str = "model") -> ArtifactRow:
    """A minimal artifact row."""
    now = utcnow()
    return ArtifactRow(
        id=f"a{index:06d}-{abs(hash(name)) % 10_000:04d}",
        name=name,
        type=artifact_type,
        url=f"https://example.com/{index}",
        source_kind="url",
        source_ref=f"https://example.com/{index}",
        card_text=card,
        created_by="tester",
        created_at=now,
        updated_at=now,
    )


async def load(db: Database, rows: Sequence[ArtifactRow]) -> list[ArtifactRow]:
    """Replace every artifact with `rows` (seq order = list order)."""
    async with db.unit_of_work(write=True) as uow:
        await uow.session.execute(delete(ArtifactVersionRow))
        await uow.artifacts.delete_all()
        for row in rows:
            await uow.artifacts.add(row)
    return list(rows)
