"""Passwords: argon2id verification and the bound on sign-ins waiting for a hashing slot."""

from __future__ import annotations

import pytest

from registry.auth.passwords import Passwords
from registry.errors import TooManyRequestsError


def cheap(**kwargs: int) -> Passwords:
    return Passwords(time_cost=1, memory_kib=64, **kwargs)


async def test_verify_accepts_the_password_and_refuses_others() -> None:
    passwords = cheap()
    stored = await passwords.hash("s3cret-passw0rd")
    assert await passwords.verify(stored, "s3cret-passw0rd")
    assert not await passwords.verify(stored, "wrong")
    assert not await passwords.verify(None, "registry-dummy-password")  # unknown user
    assert not await passwords.verify("not-a-hash", "anything")


def test_admission_refuses_beyond_slots_plus_queue_and_frees_on_exit() -> None:
    passwords = cheap(concurrency=2, max_waiting=1)
    with passwords.admitted(), passwords.admitted(), passwords.admitted():
        with pytest.raises(TooManyRequestsError) as refused, passwords.admitted():
            pass
        assert refused.value.retry_after == 1
        assert refused.value.status_code == 429
    with passwords.admitted():
        pass


def test_admission_is_released_when_the_check_raises() -> None:
    passwords = cheap(concurrency=1, max_waiting=0)
    with pytest.raises(RuntimeError), passwords.admitted():
        raise RuntimeError("boom")
    with passwords.admitted():
        pass
