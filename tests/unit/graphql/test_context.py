"""The GraphQL context's read transaction opens on the first read and ends with the request,
on SQLite and PostgreSQL: a request that never reads holds no pooled connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from sqlalchemy import text

from registry.auth.schemas import Principal
from registry.db.engine import Database
from registry.db.repositories import UnitOfWork
from registry.graphql.context import GraphQLContext

CALLER = Principal(1, "admin", True, True, True, True, "t")


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'ctx.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_database")
    )
    db = Database(url)
    yield db
    await db.dispose()


def checked_out(db: Database) -> int:
    return int(db.engine.pool.checkedout())  # type: ignore[attr-defined]


async def one(uow: UnitOfWork) -> int:
    return int((await uow.session.execute(text("SELECT 1"))).scalar_one())


def context(db: Database) -> GraphQLContext:
    return GraphQLContext(CALLER, db, cast(Any, None))


async def test_no_transaction_until_a_resolver_reads(database: Database) -> None:
    ctx = context(database)
    assert not ctx.holds_transaction and checked_out(database) == 0
    assert await ctx.db(one) == 1
    assert await ctx.db(one) == 1  # the same transaction, not a second connection
    assert ctx.holds_transaction and checked_out(database) == 1
    await ctx.close()
    assert not ctx.holds_transaction and checked_out(database) == 0


async def test_closing_without_a_read_is_a_no_op(database: Database) -> None:
    ctx = context(database)
    await ctx.close()
    await ctx.close(RuntimeError("the request failed"))
    assert checked_out(database) == 0


async def test_a_failed_request_rolls_back_and_leaves_its_error_to_the_caller(
    database: Database,
) -> None:
    ctx = context(database)
    assert await ctx.db(one) == 1
    await ctx.close(RuntimeError("the request failed"))  # does not raise it again
    assert not ctx.holds_transaction and checked_out(database) == 0
