"""Migration 0009 on a database that already holds duplicate artifacts, on both backends."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

import registry.db.engine as engine_module
from registry.db.engine import Database
from tests.fixtures.postgres import postgres_admin_url

MIGRATIONS = Path(engine_module.__file__).parent / "migrations"
WHEN = datetime(2026, 1, 1)
# Typed, so SQLAlchemy renders the datetime for each driver (sqlite3's own datetime adapter is
# deprecated from Python 3.12, and warnings are errors here).
AT = bindparam("at", type_=DateTime())


def _upgrade(conn: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


async def _admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(postgres_admin_url(), timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no schema yet, of each backend."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
        yield db
        await db.dispose()
        return
    name = f"registry_mig_{secrets.token_hex(4)}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except OSError:
        if os.environ.get("CI"):
            raise
        pytest.skip("PostgreSQL not reachable")
    db = Database(f"{postgres_admin_url().rsplit('/', 1)[0]}/{name}")
    try:
        yield db
    finally:
        await db.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


ARTIFACT = text(
    "INSERT INTO artifacts (seq, id, name, type, url, source_kind, source_ref, card_text, "
    "card_data, files, tags, extra, size_bytes, created_by, created_at, updated_at) VALUES "
    "(:seq, :id, :name, :type, :url, 'url', :url, '', '{}', '[]', '[]', '{}', 0, :by, :at, :at)"
).bindparams(AT)


def _artifact(seq: int, name: str, url: str, by: str = "alice", kind: str = "model") -> dict:
    return {
        "seq": seq,
        "id": str(seq),
        "name": name,
        "type": kind,
        "url": url,
        "by": by,
        "at": WHEN,
    }


async def test_existing_duplicates_are_marked_and_new_ones_refused(empty_db: Database) -> None:
    async with empty_db.engine.connect() as conn:
        await conn.run_sync(_upgrade, "0001")
        await conn.execute(
            text(
                "INSERT INTO users (id, name, password_hash, is_admin, can_upload, can_search, "
                "can_download, bootstrap, created_at) VALUES "
                "(7, 'alice', 'x', false, true, true, true, false, :at)"
            ).bindparams(AT),
            {"at": WHEN},
        )
        rows = [
            _artifact(1, "bert", "https://example.com/bert"),
            _artifact(2, "bert", "https://example.com/bert"),  # a duplicate of 1
            _artifact(3, "bert", "https://example.com/bert", kind="code"),  # another type
            _artifact(4, "other", "https://example.com/bert"),  # another name
            _artifact(5, "bert", "https://example.com/bert", by="ghost"),  # a duplicate of 1
        ]
        for row in rows:
            await conn.execute(ARTIFACT, row)
        await conn.commit()

        await conn.run_sync(_upgrade, "heads")  # must not fail on the duplicates
        await conn.commit()
        result = await conn.execute(
            text("SELECT id, duplicate_of, created_by_id FROM artifacts ORDER BY seq")
        )
        assert [tuple(r) for r in result.all()] == [
            ("1", None, 7),
            ("2", "1", 7),
            ("3", None, 7),
            ("4", None, 7),
            ("5", "1", None),  # no account of that name: only admins may change it
        ]

        with pytest.raises(IntegrityError) as caught:
            await conn.execute(ARTIFACT, _artifact(6, "bert", "https://example.com/bert"))
        assert "uq_artifacts_identity" in str(caught.value) or "artifacts.url" in str(caught.value)
        await conn.rollback()
