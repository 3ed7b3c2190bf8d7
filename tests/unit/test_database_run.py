"""Database.run: one-hop transactions (SQLite file direct, PostgreSQL and in-memory SQLite
through a unit of work), with the token check and audit entry that every request runs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from registry.db.engine import Database
from registry.db.models import ArtifactRow, AuditRow, TokenRow, UserRow
from registry.db.models.packages import PackageRow
from registry.db.repositories.audit import append_entry
from registry.db.repositories.packages import DownloadTarget, download_target
from registry.db.repositories.users import consume_token
from registry.errors import DatabaseUnavailableError
from registry.ids import utcnow

HASH = "a" * 64


@pytest_asyncio.fixture(params=["sqlite", "postgres", "sqlite-memory"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    url = {
        "sqlite": lambda: f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "sqlite-memory": lambda: "sqlite+aiosqlite:///:memory:",
        "postgres": lambda: request.getfixturevalue("postgres_database"),
    }[request.param]()
    db = Database(url)
    await db.migrate()
    async with db.unit_of_work(write=True) as uow:
        await uow.session.execute(text("DELETE FROM tokens"))
        await uow.session.execute(text("DELETE FROM users WHERE name = 'runner'"))
        await uow.session.execute(text("DELETE FROM audit_entries"))
        user = UserRow(name="runner", password_hash="x", created_at=utcnow(), can_upload=True)
        await uow.users.add(user)
        assert user.id is not None
        now = utcnow()
        await uow.tokens.add(
            TokenRow(
                token_hash=HASH,
                user_id=user.id,
                max_calls=3,
                expires_at=now + timedelta(hours=1),
                created_at=now,
            )
        )
    yield db
    await db.dispose()


def _count(conn: Connection, model: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


async def test_a_token_counts_each_call_until_its_budget_is_spent(database: Database) -> None:
    now = utcnow()
    users = [
        await database.run(lambda c: consume_token(c, HASH, now), write=True) for _ in range(4)
    ]
    assert [u.name if u else None for u in users] == ["runner", "runner", "runner", None]
    assert users[0] is not None and users[0].can_upload
    calls = await database.run(lambda c: c.execute(select(TokenRow.calls)).scalar_one())
    assert calls == 3


# One shared connection serves :memory:, so it takes one transaction at a time.
@pytest.mark.parametrize("database", ["sqlite", "postgres"], indirect=True)
async def test_concurrent_calls_never_exceed_the_budget(database: Database) -> None:
    now = utcnow()
    results = await asyncio.gather(
        *[database.run(lambda c: consume_token(c, HASH, now), write=True) for _ in range(10)]
    )
    assert sum(r is not None for r in results) == 3


async def test_expired_and_unknown_tokens_are_refused(database: Database) -> None:
    later = utcnow() + timedelta(hours=2)
    assert await database.run(lambda c: consume_token(c, HASH, later), write=True) is None
    assert await database.run(lambda c: consume_token(c, "b" * 64, utcnow()), write=True) is None


async def test_work_that_raises_rolls_back(database: Database) -> None:
    entry = {
        "artifact_id": "1", "artifact_name": "m", "artifact_type": "model",
        "user_name": "runner", "user_is_admin": False, "action": "DOWNLOAD", "date": utcnow(),
    }  # fmt: skip

    def append_then_fail(conn: Connection) -> None:
        append_entry(conn, entry)
        raise LookupError("changed my mind")

    with pytest.raises(LookupError):
        await database.run(append_then_fail, write=True)
    assert await database.run(lambda c: _count(c, AuditRow)) == 0
    await database.run(lambda c: append_entry(c, entry), write=True)
    assert await database.run(lambda c: _count(c, AuditRow)) == 1


async def test_download_target_is_the_artifact_and_its_zip(database: Database) -> None:
    assert await database.run(lambda c: download_target(c, "404")) is None
    now = utcnow()
    async with database.unit_of_work(write=True) as uow:
        await uow.session.execute(text("DELETE FROM artifacts WHERE id = '77'"))
        await uow.artifacts.add(
            ArtifactRow(
                id="77",
                name="bert",
                type="model",
                url="u",
                source_kind="url",
                source_ref="r",
                created_by="runner",
                created_at=now,
                updated_at=now,
            )
        )
    by_reference = await database.run(lambda c: download_target(c, "77"))
    assert by_reference == DownloadTarget("77", "bert", "model", False, None)
    async with database.unit_of_work(write=True) as uow:
        await uow.session.execute(text("DELETE FROM packages WHERE artifact_id = '77'"))
        uow.session.add(
            PackageRow(
                artifact_id="77",
                origin="upload",
                archive_digest="d" * 64,
                created_at=now,
                updated_at=now,
            )
        )
    uploaded = await database.run(lambda c: download_target(c, "77"))
    assert uploaded == DownloadTarget("77", "bert", "model", True, "d" * 64)


async def test_sqlite_file_writes_run_on_one_thread_of_their_own(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'threads.db'}")
    await db.migrate()
    try:
        names = await asyncio.gather(
            *[db.run(lambda _c: threading.current_thread().name, write=True) for _ in range(8)]
        )
        reads = await db.run(lambda _c: threading.current_thread().name)
    finally:
        await db.dispose()
    assert len(set(names)) == 1 and names[0].startswith("sqlite-write")
    assert reads.startswith("sqlite-read")


async def test_an_unopenable_database_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()  # a directory where the database file should be
    db = Database(f"sqlite:///{tmp_path / 'dir.db'}")
    try:
        for write in (False, True):
            with pytest.raises(DatabaseUnavailableError, match="metadata database unavailable"):
                await db.run(lambda c: c.execute(text("SELECT 1")).scalar(), write=write)
    finally:
        await db.dispose()


async def test_a_caller_that_stops_waiting_leaves_the_transaction_to_finish(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'cancel.db'}")
    await db.migrate()
    started, release = threading.Event(), threading.Event()
    entry = {
        "artifact_id": "1", "artifact_name": "m", "artifact_type": "model",
        "user_name": "runner", "user_is_admin": False, "action": "DOWNLOAD", "date": utcnow(),
    }  # fmt: skip

    def slow_append(conn: Connection) -> None:
        started.set()
        release.wait(10)
        append_entry(conn, entry)

    try:
        task = asyncio.create_task(db.run(slow_append, write=True))
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        # The writer is free again once the abandoned transaction has committed.
        assert await db.run(lambda c: _count(c, AuditRow), write=True) == 1
    finally:
        await db.dispose()


async def test_workers_grow_with_the_backlog_up_to_their_count() -> None:
    from registry.workers import Workers

    workers = Workers("test", 3)
    gate = threading.Event()
    try:
        assert await workers.call(lambda: 1) == 1
        assert len(workers.threads) == 1  # one call at a time needs one thread
        calls = [asyncio.ensure_future(workers.call(gate.wait, 60)) for _ in range(6)]
        while len(workers.threads) < 3:  # noqa: ASYNC110 (a thread count: no event to await)
            # the backlog grows the pool: wait for that, not for a clock
            await asyncio.sleep(0.01)
        gate.set()
        assert await asyncio.gather(*calls) == [True] * 6
        assert len(workers.threads) == 3
        with pytest.raises(ZeroDivisionError):
            await workers.call(lambda: 1 / 0)
    finally:
        gate.set()
        workers.close()
    assert workers.threads == []
    with pytest.raises(RuntimeError, match="closed"):
        await workers.call(lambda: 1)


def test_workers_outlive_a_caller_whose_loop_closed() -> None:
    from registry.workers import Workers

    workers = Workers("test", 1)
    gate = threading.Event()

    async def abandon() -> None:
        pending = asyncio.ensure_future(workers.call(gate.wait, 10))
        await asyncio.sleep(0.05)  # handed over; the loop then closes with the call pending
        assert not pending.done()

    asyncio.run(abandon())
    gate.set()  # the thread answers a closed loop, and must go on serving

    async def next_call() -> int:
        return await asyncio.wait_for(workers.call(lambda: 7), 5)

    try:
        assert asyncio.run(next_call()) == 7
    finally:
        workers.close()
