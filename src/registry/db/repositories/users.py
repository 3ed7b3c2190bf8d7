"""Users and their tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.db.models import TokenRow, UserRow


class UserRepository:
    """Reads and writes user rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_name(self, name: str) -> UserRow | None:
        """Return the user with this exact name, if any."""
        result = await self.session.execute(select(UserRow).where(col(UserRow.name) == name))
        return result.scalar_one_or_none()

    async def add(self, user: UserRow) -> UserRow:
        """Insert a user and assign its id."""
        self.session.add(user)
        await self.session.flush()
        return user

    async def list(self) -> Sequence[UserRow]:
        """Every user, by name."""
        result = await self.session.execute(select(UserRow).order_by(col(UserRow.name)))
        return result.scalars().all()

    async def count(self) -> int:
        """Number of users."""
        result = await self.session.execute(select(func.count()).select_from(UserRow))
        return int(result.scalar_one())

    async def delete(self, user_id: int) -> None:
        """Delete a user and (by cascade) its tokens."""
        await self.session.execute(delete(TokenRow).where(col(TokenRow.user_id) == user_id))
        await self.session.execute(delete(UserRow).where(col(UserRow.id) == user_id))

    async def delete_all_except(self, keep_ids: Sequence[int]) -> None:
        """Delete every user whose id is not listed, with their tokens."""
        await self.session.execute(delete(TokenRow).where(col(TokenRow.user_id).not_in(keep_ids)))
        await self.session.execute(delete(UserRow).where(col(UserRow.id).not_in(keep_ids)))


class TokenRepository:
    """Issued tokens, counted atomically in the database."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token: TokenRow) -> None:
        """Store a new token."""
        self.session.add(token)
        await self.session.flush()

    async def delete_all_except(self, keep_hash: str | None) -> None:
        """Revoke every token but one."""
        await self.session.execute(
            delete(TokenRow).where(col(TokenRow.token_hash) != (keep_hash or ""))
        )

    async def delete_expired(self, now: datetime) -> None:
        """Drop tokens past their expiry or budget."""
        await self.session.execute(
            delete(TokenRow).where(
                (col(TokenRow.expires_at) <= now) | (col(TokenRow.calls) >= col(TokenRow.max_calls))
            )
        )


# Built once: a statement object caches its compiled form, and these run on every request.
_CONSUME = (
    update(TokenRow)
    .where(col(TokenRow.token_hash) == bindparam("hash"))
    .where(col(TokenRow.calls) < col(TokenRow.max_calls))
    .where(col(TokenRow.expires_at) > bindparam("now"))
    .values(calls=col(TokenRow.calls) + 1)
    .returning(col(TokenRow.user_id))
)
_OWNER = select(
    col(UserRow.id),
    col(UserRow.name),
    col(UserRow.is_admin),
    col(UserRow.can_upload),
    col(UserRow.can_search),
    col(UserRow.can_download),
).where(col(UserRow.id) == bindparam("user_id"))


class TokenOwner(NamedTuple):
    """The user a token belongs to: what a request's principal needs, no more."""

    id: int
    name: str
    is_admin: bool
    can_upload: bool
    can_search: bool
    can_download: bool


def consume_token(conn: Connection, token_hash: str, now: datetime) -> TokenOwner | None:
    """Count one call on the token and return its user, or None if the token is not usable
    (unknown, expired, used up) or its user is gone. For Database.run.

    One UPDATE ... RETURNING makes the check-and-count atomic, so concurrent calls (and
    several server processes on one PostgreSQL) can never exceed the call budget.
    """
    counted = conn.execute(_CONSUME, {"hash": token_hash, "now": now}).first()
    if counted is None:
        return None
    user = conn.execute(_OWNER, {"user_id": counted[0]}).first()
    return None if user is None else TokenOwner._make(user)


_CREDENTIALS = select(
    col(UserRow.id),
    col(UserRow.name),
    col(UserRow.is_admin),
    col(UserRow.can_upload),
    col(UserRow.can_search),
    col(UserRow.can_download),
    col(UserRow.password_hash),
    col(UserRow.bootstrap),
).where(col(UserRow.name) == bindparam("name"))
_ISSUE = insert(TokenRow)
# FOR KEY SHARE on PostgreSQL: a concurrent delete of the user waits for this transaction, so
# the insert never meets a vanished user (SQLite's one writer needs no lock).
_LIVE_USER = (
    select(col(UserRow.id))
    .where(col(UserRow.id) == bindparam("user_id"))
    .with_for_update(key_share=True)
)


class Credentials(NamedTuple):
    """What a sign-in checks: the user (as a token check would see it) and its hash."""

    owner: TokenOwner
    password_hash: str
    bootstrap: bool


def read_credentials(conn: Connection, name: str) -> Credentials | None:
    """The user with this exact name and its password hash, or None. For Database.run (a read:
    the password is verified after this transaction ends, so no connection waits on a hash)."""
    row = conn.execute(_CREDENTIALS, {"name": name}).first()
    if row is None:
        return None
    return Credentials(TokenOwner._make(row[:6]), row[6], row[7])


def issue_token(conn: Connection, token: TokenRow) -> bool:
    """Store a new token if its user still exists; tell whether it was stored. For
    Database.run (the short write a sign-in opens once the password is verified)."""
    if conn.execute(_LIVE_USER, {"user_id": token.user_id}).first() is None:
        return False
    conn.execute(
        _ISSUE,
        {
            "token_hash": token.token_hash,
            "user_id": token.user_id,
            "calls": token.calls,
            "max_calls": token.max_calls,
            "expires_at": token.expires_at,
            "created_at": token.created_at,
        },
    )
    return True
