"""Accounts and tokens: login, per-call token checks, user administration."""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from registry.auth.passwords import Passwords
from registry.auth.schemas import (
    BOOTSTRAP_PASSWORD_SPELLINGS,
    DEFAULT_ADMIN_PASSWORD,
    Permission,
    Principal,
)
from registry.auth.throttle import LoginThrottle
from registry.config import Settings
from registry.db.engine import Database
from registry.db.models import TokenRow, UserRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.users import (
    TokenOwner,
    consume_token,
    issue_token,
    read_credentials,
)
from registry.errors import (
    AuthenticationError,
    ConflictError,
    InvalidCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from registry.ids import hash_token, new_token_secret, utcnow

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 _.@+\-]{0,127}$"


class User(BaseModel):
    """The contract's User component."""

    model_config = ConfigDict(extra="ignore")
    name: StrictStr = Field(min_length=1, max_length=128)
    is_admin: StrictBool = False


class UserAuthenticationInfo(BaseModel):
    """The contract's UserAuthenticationInfo component."""

    password: StrictStr = Field(min_length=1, max_length=1024)


class AuthenticationRequest(BaseModel):
    """The contract's AuthenticationRequest component."""

    user: User
    secret: UserAuthenticationInfo


class UserPermissions(BaseModel):
    """Which actions a new user may take (admins may take every action)."""

    model_config = ConfigDict(extra="forbid")
    upload: StrictBool = False
    search: StrictBool = True
    download: StrictBool = True


class UserRegistration(BaseModel):
    """Extension: an admin registers a user."""

    model_config = ConfigDict(extra="forbid")
    user: User
    secret: UserAuthenticationInfo
    permissions: UserPermissions = UserPermissions()


class AuthService:
    """Issues and checks tokens; manages users."""

    def __init__(
        self,
        settings: Settings,
        passwords: Passwords | None = None,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.settings = settings
        self.passwords = passwords or Passwords(max_waiting=settings.login_max_waiting)
        self.throttle = throttle or LoginThrottle(
            max_per_account=settings.login_max_failures,
            max_per_address=settings.login_max_failures_per_address,
            window_seconds=settings.login_window_seconds,
            # A pair that signed in stays trusted while what it was given may still be in use.
            trust_seconds=max(settings.token_ttl_seconds, settings.web_session_ttl_seconds),
        )

    async def ensure_default_admin(self, uow: UnitOfWork) -> UserRow:
        """Create the default admin with its bootstrap password if it is missing."""
        admin = await uow.users.get_by_name(self.settings.default_admin_name)
        if admin is None:
            admin = await uow.users.add(
                UserRow(
                    name=self.settings.default_admin_name,
                    password_hash=await self.passwords.hash(DEFAULT_ADMIN_PASSWORD),
                    is_admin=True,
                    can_upload=True,
                    can_search=True,
                    can_download=True,
                    bootstrap=True,
                    created_at=utcnow(),
                )
            )
        return admin

    async def verify_login(
        self, db: Database, name: str, password: str, address: str
    ) -> TokenOwner:
        """Return the user whose name and password these are (REST and web sign-in alike):
        401 when they are wrong, 429 when this account or address failed too often or too many
        sign-ins wait for a password check. No connection is held while the hash is checked."""
        with self.throttle.attempt(name, address) as attempt, self.passwords.admitted():
            found = await db.run(lambda conn: read_credentials(conn, name))
            if found is not None and found.bootstrap and password in BOOTSTRAP_PASSWORD_SPELLINGS:
                password = DEFAULT_ADMIN_PASSWORD
            ok = await self.passwords.verify(found.password_hash if found else None, password)
            if found is None or not ok:
                attempt.failed()
                raise InvalidCredentialsError("the user or password is invalid")
            attempt.succeeded()
            return found.owner

    async def login(self, db: Database, request: AuthenticationRequest, address: str) -> str:
        """Check name and password, then issue a token in a short write transaction of its
        own; return it as the contract spells it."""
        user = await self.verify_login(db, request.user.name, request.secret.password, address)
        secret = new_token_secret()
        now = utcnow()
        token = TokenRow(
            token_hash=hash_token(secret),
            user_id=user.id,
            calls=0,
            max_calls=self.settings.token_max_calls,
            expires_at=now + timedelta(seconds=self.settings.token_ttl_seconds),
            created_at=now,
        )
        if not await db.run(lambda conn: issue_token(conn, token), write=True):
            # Deleted between the check and the write: as if it never existed.
            raise InvalidCredentialsError("the user or password is invalid")
        return f"bearer {secret}"

    async def authenticate(self, db: Database, header: str | None) -> Principal:
        """Resolve an X-Authorization header to a principal, counting one call on its token
        (in a transaction of its own, committed whatever the request does next)."""
        if not header or not header.strip():
            raise AuthenticationError("missing X-Authorization header")
        value = header.strip()
        if value.lower().startswith("bearer "):
            value = value[7:].strip()
        if not value or len(value) > 256:
            raise AuthenticationError("malformed X-Authorization token")
        token_hash = hash_token(value)
        now = utcnow()
        user = await db.run(lambda conn: consume_token(conn, token_hash, now), write=True)
        if user is None:
            raise AuthenticationError("the token is invalid, expired or used up")
        return Principal.of(user, token_hash)

    @staticmethod
    def require(principal: Principal, permission: Permission, *, status_code: int = 403) -> None:
        """Raise PermissionDeniedError unless the principal holds the permission."""
        if not principal.has(permission):
            raise PermissionDeniedError(
                f"user '{principal.name}' lacks the '{permission}' permission",
                status_code=status_code,
            )

    async def register(
        self, uow: UnitOfWork, actor: Principal, registration: UserRegistration
    ) -> UserRow:
        """Admin only: create a user with a password and permissions."""
        self.require(actor, "admin")
        name = registration.user.name
        if not re.fullmatch(NAME_PATTERN, name):  # match's `$` lets a trailing newline in
            raise ValidationError(
                "user name must be 1-128 characters: letters, digits, space, _ . @ + -"
            )
        password = registration.secret.password
        if len(password) < 8:
            raise ValidationError("password must be at least 8 characters")
        if await uow.users.get_by_name(name) is not None:
            raise ConflictError(f"user '{name}' exists already")
        perms = registration.permissions
        return await uow.users.add(
            UserRow(
                name=name,
                password_hash=await self.passwords.hash(password),
                is_admin=registration.user.is_admin,
                can_upload=perms.upload,
                can_search=perms.search,
                can_download=perms.download,
                bootstrap=False,
                created_at=utcnow(),
            )
        )

    async def _visible_user(self, uow: UnitOfWork, actor: Principal, name: str) -> UserRow:
        if actor.name != name and not actor.is_admin:
            raise PermissionDeniedError("only admins may act on other users")
        user = await uow.users.get_by_name(name)
        if user is None:
            raise NotFoundError(f"user '{name}' does not exist")
        return user

    async def get(self, uow: UnitOfWork, actor: Principal, name: str) -> UserRow:
        """A user reads their own record; admins read anyone's."""
        return await self._visible_user(uow, actor, name)

    async def list(self, uow: UnitOfWork, actor: Principal) -> list[UserRow]:
        """Admin only: every user."""
        self.require(actor, "admin")
        return list(await uow.users.list())

    async def delete(self, uow: UnitOfWork, actor: Principal, name: str) -> None:
        """A user deletes themselves; admins delete anyone but the default admin."""
        user = await self._visible_user(uow, actor, name)
        if user.name == self.settings.default_admin_name:
            raise ValidationError("the default admin cannot be deleted")
        assert user.id is not None
        await uow.users.delete(user.id)

    async def reset(self, uow: UnitOfWork, actor: Principal) -> None:
        """Admin only: keep the default admin (bootstrap password restored) and the caller."""
        self.require(actor, "admin", status_code=401)
        admin = await self.ensure_default_admin(uow)
        admin.password_hash = await self.passwords.hash(DEFAULT_ADMIN_PASSWORD)
        admin.bootstrap = True
        admin.is_admin = True
        assert admin.id is not None
        await uow.users.delete_all_except([admin.id, actor.user_id])
        # Back to the initial state: this process forgets its failed sign-ins too.
        self.throttle.clear()
