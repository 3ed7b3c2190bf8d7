"""argon2id password hashing, off the event loop and bounded in memory."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hashes and verifies passwords with argon2id in worker threads."""

    def __init__(
        self, *, time_cost: int = 2, memory_kib: int = 32 * 1024, concurrency: int = 4
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=2)
        # Each hash holds memory_kib while it runs; the semaphore bounds the total so a burst of
        # logins cannot exhaust memory, and threads keep the event loop responsive.
        self._slots = asyncio.Semaphore(concurrency)
        # Verified against when a user does not exist, so timing does not reveal valid names.
        self._dummy_hash = self._hasher.hash("registry-dummy-password")

    async def hash(self, password: str) -> str:
        """Return an argon2id hash of the password."""
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password against a stored hash (against a dummy one when the user is unknown)."""
        async with self._slots:
            try:
                ok = await asyncio.to_thread(
                    self._hasher.verify, password_hash or self._dummy_hash, password
                )
            except (VerificationError, InvalidHashError):
                return False
        return bool(ok) and password_hash is not None
