"""Accounts: permissions, the authenticated principal, and user records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from registry.db.models import UserRow
from registry.db.repositories.users import TokenOwner

Permission = Literal["upload", "search", "download", "admin"]
PERMISSIONS: tuple[Permission, ...] = ("upload", "search", "download", "admin")

# The contract publishes this bootstrap password; it is data, not a secret of ours.
DEFAULT_ADMIN_PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"  # noqa: S105
# The contract's clients send the bootstrap password in these spellings too; each is accepted
# for the default admin until its password is changed.
BOOTSTRAP_PASSWORD_SPELLINGS = frozenset(
    {
        DEFAULT_ADMIN_PASSWORD,
        "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE packages;",
        "correcthorsebatterystaple123(!__+@**(A;DROP TABLE packages",
    }
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, with what rights, through which token."""

    user_id: int
    name: str
    is_admin: bool
    can_upload: bool
    can_search: bool
    can_download: bool
    token_hash: str

    def has(self, permission: Permission) -> bool:
        """Tell whether the caller holds a permission (admins hold all of them)."""
        if self.is_admin:
            return True
        return {
            "upload": self.can_upload,
            "search": self.can_search,
            "download": self.can_download,
            "admin": False,
        }[permission]

    @classmethod
    def of(cls, user: UserRow | TokenOwner, token_hash: str) -> Principal:
        """Build the principal for a user (its row, or the owner a token check returned)."""
        assert user.id is not None
        return cls(
            user.id,
            user.name,
            user.is_admin,
            user.can_upload,
            user.can_search,
            user.can_download,
            token_hash,
        )


def user_record(user: UserRow) -> dict[str, object]:
    """Render a user for the users routes (never its hash)."""
    return {
        "name": user.name,
        "is_admin": user.is_admin,
        "permissions": {
            "upload": user.is_admin or user.can_upload,
            "search": user.is_admin or user.can_search,
            "download": user.is_admin or user.can_download,
            "admin": user.is_admin,
        },
        "created_at": user.created_at.replace(microsecond=0).isoformat() + "Z",
    }
