"""A sign-in's two short transactions: the credentials read and the token write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select, text

from registry.auth.passwords import Passwords
from registry.auth.service import AuthenticationRequest, AuthService
from registry.config import Settings
from registry.db.engine import Database
from registry.db.models import TokenRow, UserRow
from registry.db.repositories.users import issue_token, read_credentials
from registry.errors import InvalidCredentialsError
from registry.ids import utcnow

PASSWORD = "s3cret-passw0rd"


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}"
    else:
        url = str(request.getfixturevalue("postgres_database"))
    db = Database(url)
    await db.migrate()
    async with db.unit_of_work(write=True) as uow:
        await uow.session.execute(text("DELETE FROM tokens"))
        await uow.session.execute(text("DELETE FROM users WHERE name = 'signer'"))
    yield db
    await db.dispose()


async def add_user(db: Database, passwords: Passwords) -> int:
    async with db.unit_of_work(write=True) as uow:
        user = await uow.users.add(
            UserRow(
                name="signer",
                password_hash=await passwords.hash(PASSWORD),
                can_upload=True,
                created_at=utcnow(),
            )
        )
    assert user.id is not None
    return user.id


async def tokens(db: Database) -> int:
    count = select(func.count()).select_from(TokenRow)
    return int(await db.run(lambda conn: conn.execute(count).scalar_one()))


def token_for(user_id: int) -> TokenRow:
    now = utcnow()
    return TokenRow(
        token_hash="b" * 64,
        user_id=user_id,
        calls=0,
        max_calls=10,
        expires_at=now + timedelta(hours=1),
        created_at=now,
    )


async def test_read_credentials_returns_the_owner_and_its_hash(database: Database) -> None:
    user_id = await add_user(database, Passwords(time_cost=1, memory_kib=64))
    found = await database.run(lambda conn: read_credentials(conn, "signer"))
    assert found is not None
    assert found.owner.id == user_id and found.owner.can_upload and not found.bootstrap
    assert found.password_hash.startswith("$argon2id$")
    assert await database.run(lambda conn: read_credentials(conn, "Signer")) is None


async def test_issue_token_stores_only_for_a_live_user(database: Database) -> None:
    user_id = await add_user(database, Passwords(time_cost=1, memory_kib=64))
    assert await database.run(lambda conn: issue_token(conn, token_for(user_id)), write=True)
    assert await tokens(database) == 1
    gone = user_id + 1000
    assert not await database.run(lambda conn: issue_token(conn, token_for(gone)), write=True)
    assert await tokens(database) == 1


class GatedPasswords(Passwords):
    """Real argon2id, but each check waits for the test's go-ahead once it has started."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=64)
        self.checking = asyncio.Event()
        self.proceed = asyncio.Event()

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.checking.set()
        await self.proceed.wait()
        return await super().verify(password_hash, password)


def connections_in_use(db: Database) -> int:
    in_use = db.engine.pool.checkedout()  # type: ignore[attr-defined]
    direct = db._direct
    return int(in_use) + (int(direct.engine.pool.checkedout()) if direct else 0)  # type: ignore[attr-defined]


async def sign_in_while_held(
    database: Database, during_check: Callable[[int], Awaitable[None]]
) -> str:
    passwords = GatedPasswords()
    user_id = await add_user(database, passwords)
    auth = AuthService(Settings(database_url=database.url), passwords)
    request = AuthenticationRequest.model_validate(
        {"user": {"name": "signer"}, "secret": {"password": PASSWORD}}
    )
    signing_in = asyncio.ensure_future(auth.login(database, request, "10.0.0.1"))
    async with asyncio.timeout(30):
        await passwords.checking.wait()
    await during_check(user_id)
    passwords.proceed.set()
    return await signing_in


async def test_no_connection_is_held_while_the_password_is_checked(database: Database) -> None:
    seen: list[int] = []

    async def count(_user_id: int) -> None:
        seen.append(connections_in_use(database))

    token = await sign_in_while_held(database, count)
    assert seen == [0]
    assert token.startswith("bearer ")
    assert await tokens(database) == 1


async def test_a_user_deleted_while_its_password_is_checked_gets_no_token(
    database: Database,
) -> None:
    async def delete(user_id: int) -> None:
        async with database.unit_of_work(write=True) as uow:
            await uow.users.delete(user_id)

    with pytest.raises(InvalidCredentialsError):
        await sign_in_while_held(database, delete)
    assert await tokens(database) == 0
