"""argon2id password hashing, off the event loop and bounded in memory and in queue length."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from registry.errors import TooManyRequestsError


class Passwords:
    """Hashes and verifies passwords with argon2id in worker threads."""

    def __init__(
        self,
        *,
        time_cost: int = 2,
        memory_kib: int = 32 * 1024,
        concurrency: int = 4,
        max_waiting: int = 64,
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=2)
        # Each hash holds memory_kib while it runs; the semaphore bounds the total so a burst of
        # logins cannot exhaust memory, and threads keep the event loop responsive.
        self._slots = asyncio.Semaphore(concurrency)
        # Sign-ins admitted (hashing or queued for a slot); beyond the bound a flood is refused
        # at once instead of queueing for minutes.
        self._admitted = 0
        self._admission_limit = concurrency + max_waiting
        # Verified against when a user does not exist, so timing does not reveal valid names.
        self._dummy_hash = self._hasher.hash("registry-dummy-password")

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """Hold a place among the sign-ins being checked; 429 when the queue is full."""
        if self._admitted >= self._admission_limit:
            raise TooManyRequestsError(
                "too many sign-ins are waiting for a password check; retry in a second",
                retry_after=1,
            )
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

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
