"""The metadata database: async engine (SQLite via aiosqlite, PostgreSQL via asyncpg),
units of work, and start-up migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from registry.db.repositories import UnitOfWork
from registry.errors import RegistryError
from registry.search.regex import sqlite_regexp

_MIGRATIONS = Path(__file__).parent / "migrations"
# Serialises concurrent `migrate` runs of several server processes on one PostgreSQL.
_MIGRATION_LOCK_KEY = 461_2025


class DatabaseUnavailableError(RegistryError):
    """The metadata database could not be reached."""

    status_code = 503
    code = "database_unavailable"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// and sqlite:// URLs and pick the async drivers."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so "begin" below decides the BEGIN kind.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # Regex search pushes `name REGEXP ?` into SQL; RE2 keeps it linear-time (search area).
        dbapi_connection.create_function("regexp", 2, sqlite_regexp, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting;
        # writers take the lock up front so busy_timeout queues them instead.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the engine; hands out units of work; runs migrations."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            # No pre-ping: a local file does not drop connections, and the ping is one more
            # thread round trip on every transaction (measured on the download benchmark).
            # No rollback on check-in either: unit_of_work always ends its transaction, so
            # that rollback is one more round trip through aiosqlite's thread for nothing.
            kwargs["pool_reset_on_return"] = None
            database = parsed.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 15}
        else:
            kwargs["pool_pre_ping"] = True  # a server restart or idle timeout drops connections
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
        self.engine = create_async_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def unit_of_work(self, *, write: bool = False) -> AsyncIterator[UnitOfWork]:
        """Open a transaction; commit when the block ends cleanly, roll back otherwise."""
        async with self._sessions() as session:
            await self._begin(session, write)
            try:
                yield UnitOfWork(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def _begin(self, session: AsyncSession, write: bool) -> None:
        try:
            await session.connection(execution_options={"sqlite_immediate": write})
        except (OperationalError, DBAPIError, OSError) as exc:
            raise DatabaseUnavailableError(
                f"metadata database unavailable: {type(exc).__name__}"
            ) from exc

    async def migrate(self) -> None:
        """Apply every pending Alembic migration (safe to call from several processes)."""
        async with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            try:
                await conn.run_sync(_upgrade)
                await conn.commit()
            finally:
                if self.dialect == "postgresql":
                    await conn.execute(
                        text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY}
                    )
                    await conn.commit()

    async def check(self) -> float:
        """Run a trivial query; return its latency in seconds (health probe)."""
        import time

        started = time.perf_counter()
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return time.perf_counter() - started

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _upgrade(sync_conn: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = sync_conn
    # Feature areas add migration branches off 0001; "heads" applies every branch.
    command.upgrade(config, "heads")
