"""The metadata database: async engine (SQLite via aiosqlite, PostgreSQL via asyncpg),
units of work, one-hop transactions for hot paths, and start-up migrations."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from registry.db.repositories import UnitOfWork
from registry.errors import DatabaseUnavailableError
from registry.query.regex import sqlite_regexp
from registry.workers import Workers

_MIGRATIONS = Path(__file__).parent / "migrations"
# Serialises concurrent `migrate` runs of several server processes on one PostgreSQL.
_MIGRATION_LOCK_KEY = 461_2025
# Threads that read a SQLite file through the sync driver for Database.run (writes have one).
_SQLITE_READERS = 2

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// and sqlite:// URLs and pick the async drivers."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def _install_sqlite_hooks(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions."""

    @event.listens_for(engine, "connect")
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

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting;
        # writers take the lock up front so busy_timeout queues them instead.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the engine; hands out units of work; runs migrations."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        echo: bool = False,
        connect_timeout: float = 10.0,
        command_timeout: float = 60.0,
    ) -> None:
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
            # A server that stops answering (dropped packets, not a refused port) would hold
            # a connect or a statement for ever: bound both, so requests fail with 503.
            kwargs["connect_args"] = {
                "timeout": connect_timeout,
                "command_timeout": command_timeout,
            }
        self.engine = create_async_engine(self.url, **kwargs)
        self._direct: _DirectSQLite | None = None
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self.engine.sync_engine)
            if parsed.database and parsed.database != ":memory:":
                self._direct = _DirectSQLite(parsed.set(drivername="sqlite").render_as_string())
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def run(self, work: Callable[[Connection], T], *, write: bool = False) -> T:
        """Run work(connection) as one transaction and return its result; commit if it
        returns, roll back if it raises. For the few statements every request runs (the
        token check, the audit entry, a download's rows), written with SQLAlchemy Core.

        On a SQLite file the whole transaction is one hop to a thread that uses the sync
        driver: through aiosqlite each statement costs several hops (cursor, execute,
        fetch, close), about 12x the CPU of the statements themselves (measured: 4 statements
        in one write transaction, 0.4 ms of CPU direct against 5 ms as three units of work).
        Its writes go to one thread, so they queue in order instead of polling SQLite's lock
        (writes through an async unit of work still poll it). Elsewhere (PostgreSQL) work runs
        in an async unit of work.
        """
        if self._direct is not None:
            return await self._direct.run(work, write)
        async with self.unit_of_work(write=write) as uow:
            return await uow.session.run_sync(lambda session: work(session.connection()))

    @asynccontextmanager
    async def unit_of_work(self, *, write: bool = False) -> AsyncIterator[UnitOfWork]:
        """Open a transaction; commit when the block ends cleanly, roll back otherwise."""
        async with self._sessions() as session:
            await self._begin(session, write)
            try:
                yield UnitOfWork(session)
                await session.commit()
            except BaseException as exc:
                if not is_connection_lost(exc):
                    await session.rollback()
                    raise
                # The server went away or stopped answering mid-transaction: a rollback would
                # fail or wait out its own timeout, so the connection is dropped instead (the
                # server rolls back) and the caller gets 503 naming the database.
                with contextlib.suppress(Exception):
                    await session.invalidate()
                raise _unavailable(exc) from exc

    async def _begin(self, session: AsyncSession, write: bool) -> None:
        try:
            await session.connection(execution_options={"sqlite_immediate": write})
        except (OperationalError, DBAPIError, OSError, PoolTimeoutError) as exc:
            raise _unavailable(exc) from exc

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
        if self._direct is not None:
            await asyncio.to_thread(self._direct.close)


def is_connection_lost(exc: BaseException) -> bool:
    """Tell whether a failure inside a transaction means the server is gone or not answering
    (a reset or closed connection, a statement timeout), not a fault of the statement."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    # asyncpg's statement timeout and socket errors arrive untranslated; network calls never
    # run inside a unit of work (docs/architecture.md), so these come from the database.
    return isinstance(exc, TimeoutError | ConnectionError | PoolTimeoutError)


def _unavailable(exc: BaseException) -> DatabaseUnavailableError:
    return DatabaseUnavailableError(f"metadata database unavailable: {type(exc).__name__}")


class _DirectSQLite:
    """A SQLite file through the sync driver on threads of its own: one writer, a few readers."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(
            url,
            pool_size=_SQLITE_READERS + 1,
            max_overflow=0,
            pool_reset_on_return=None,  # every use ends its transaction (see Database)
            connect_args={"timeout": 15, "check_same_thread": False},
        )
        _install_sqlite_hooks(self.engine)
        self.writes = Workers("sqlite-write", 1)
        self.reads = Workers("sqlite-read", _SQLITE_READERS)

    async def run(self, work: Callable[[Connection], T], write: bool) -> T:
        return await (self.writes if write else self.reads).call(self._transaction, work, write)

    def _transaction(self, work: Callable[[Connection], T], write: bool) -> T:
        try:
            conn = self.engine.connect()
        except (OperationalError, DBAPIError, OSError) as exc:
            raise _unavailable(exc) from exc
        with conn:
            conn.execution_options(sqlite_immediate=write)
            try:
                transaction = conn.begin()
            except (OperationalError, DBAPIError, OSError) as exc:
                raise _unavailable(exc) from exc
            with transaction:  # commits if work returns, rolls back if it raises
                return work(conn)

    def close(self) -> None:
        self.writes.close()
        self.reads.close()
        self.engine.dispose()


def _upgrade(sync_conn: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = sync_conn
    # Feature areas add migration branches off 0001; "heads" applies every branch.
    command.upgrade(config, "heads")
