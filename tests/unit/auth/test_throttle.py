"""LoginThrottle: failures per account and per address over a sliding window (fake clock)."""

from __future__ import annotations

import contextlib

import pytest

from registry.auth.throttle import LoginThrottle, client_address
from registry.errors import TooManyRequestsError


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(
    clock: Clock, *, account: int = 3, address: int = 5, capacity: int = 100
) -> LoginThrottle:
    return LoginThrottle(
        max_per_account=account,
        max_per_address=address,
        window_seconds=60,
        trust_seconds=3600,
        clock=clock,
        capacity=capacity,
    )


def fail(limiter: LoginThrottle, account: str, address: str) -> None:
    with limiter.attempt(account, address) as attempt:
        attempt.failed()


def succeed(limiter: LoginThrottle, account: str, address: str) -> None:
    with limiter.attempt(account, address) as attempt:
        attempt.succeeded()


def test_account_is_refused_after_its_limit_with_the_wait_until_the_oldest_failure_expires() -> (
    None
):
    clock = Clock()
    limiter = throttle(clock)
    for step in range(3):
        fail(limiter, "alice", f"10.0.0.{step}")
        clock.now += 10
    with pytest.raises(TooManyRequestsError) as refused:
        limiter.check("alice", "10.0.0.9")
    # Failures at 1000, 1010, 1020 and now 1030: the first leaves the window at 1060.
    assert refused.value.retry_after == 30
    assert refused.value.response_headers() == {"Retry-After": "30"}
    assert "this account" in refused.value.message
    limiter.check("bob", "10.0.0.9")  # other accounts are not affected


def test_the_lock_ends_when_the_window_passes() -> None:
    clock = Clock()
    limiter = throttle(clock)
    for _ in range(3):
        fail(limiter, "alice", "10.0.0.1")
    with pytest.raises(TooManyRequestsError):
        limiter.check("alice", "10.0.0.1")
    clock.now += 59.5
    with pytest.raises(TooManyRequestsError) as refused:
        limiter.check("alice", "10.0.0.1")
    assert refused.value.retry_after == 1  # never 0: a client must wait at least a second
    clock.now += 0.5
    assert limiter.check("alice", "10.0.0.1") is False


def test_address_is_refused_after_its_limit_across_accounts() -> None:
    clock = Clock()
    limiter = throttle(clock)
    for n in range(5):
        fail(limiter, f"user{n}", "10.0.0.1")
    with pytest.raises(TooManyRequestsError) as refused:
        limiter.check("someone-else", "10.0.0.1")
    assert "your address" in refused.value.message
    limiter.check("someone-else", "10.0.0.2")


def test_success_resets_the_account_but_not_the_address() -> None:
    clock = Clock()
    limiter = throttle(clock, account=3, address=4)
    fail(limiter, "alice", "10.0.0.1")
    fail(limiter, "alice", "10.0.0.1")
    succeed(limiter, "alice", "10.0.0.2")
    fail(limiter, "alice", "10.0.0.1")
    fail(limiter, "alice", "10.0.0.1")
    limiter.check("alice", "10.0.0.3")  # two failures since the success: under 3
    with pytest.raises(TooManyRequestsError):
        limiter.check("bob", "10.0.0.1")  # four failures from this address


def test_attempts_in_flight_count_so_a_burst_cannot_all_pass() -> None:
    clock = Clock()
    limiter = throttle(clock)
    with limiter.attempt("alice", "10.0.0.1"), limiter.attempt("alice", "10.0.0.2"):
        with limiter.attempt("alice", "10.0.0.3"):
            with pytest.raises(TooManyRequestsError) as refused:
                limiter.check("alice", "10.0.0.4")
            assert refused.value.retry_after == 1
    # They ended without an outcome (an error on the way): neither failures nor in flight.
    limiter.check("alice", "10.0.0.4")


def test_trusted_pair_signs_in_while_its_account_is_locked_until_it_fails() -> None:
    clock = Clock()
    limiter = throttle(clock)
    succeed(limiter, "admin", "10.0.0.1")
    for n in range(3):
        fail(limiter, "admin", f"192.0.2.{n}")
    with pytest.raises(TooManyRequestsError):
        limiter.check("admin", "192.0.2.9")
    assert limiter.check("admin", "10.0.0.1") is True
    succeed(limiter, "admin", "10.0.0.1")
    fail(limiter, "admin", "10.0.0.1")  # a failure takes the pass away
    with pytest.raises(TooManyRequestsError):
        limiter.check("admin", "10.0.0.1")


def test_trust_expires() -> None:
    clock = Clock()
    limiter = throttle(clock)
    succeed(limiter, "admin", "10.0.0.1")
    for n in range(5):
        fail(limiter, f"mallory{n}", "10.0.0.1")
    assert limiter.check("admin", "10.0.0.1") is True  # its address is locked, the pair is not
    clock.now += 3600
    for _ in range(3):
        fail(limiter, "admin", "10.0.0.3")
    with pytest.raises(TooManyRequestsError):
        limiter.check("admin", "10.0.0.1")


def test_clear_forgets_failures_but_keeps_trusted_pairs() -> None:
    clock = Clock()
    limiter = throttle(clock)
    succeed(limiter, "admin", "10.0.0.2")
    for _ in range(3):
        fail(limiter, "alice", "10.0.0.1")
    limiter.clear()
    assert limiter.check("alice", "10.0.0.1") is False
    assert limiter.check("admin", "10.0.0.2") is True


def test_memory_is_bounded_by_capacity() -> None:
    clock = Clock()
    limiter = throttle(clock, address=1000, capacity=10)
    for n in range(50):
        fail(limiter, f"user{n}", "10.0.0.1")
    assert len(limiter._accounts.records) == 10
    # The oldest keys were forgotten, the most recent kept.
    assert "user49" in limiter._accounts.records
    assert "user0" not in limiter._accounts.records
    for n in range(50):
        succeed(limiter, f"user{n}", "10.0.0.2")
    assert len(limiter._trusted) == 10


def test_idle_keys_leave_no_record() -> None:
    limiter = throttle(Clock())
    succeed(limiter, "alice", "10.0.0.1")
    with limiter.attempt("bob", "10.0.0.2"):
        pass
    assert not limiter._accounts.records
    assert not limiter._addresses.records


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LoginThrottle(max_per_account=0, max_per_address=1, window_seconds=1, trust_seconds=1)
    with pytest.raises(ValueError, match="positive"):
        LoginThrottle(max_per_account=1, max_per_address=1, window_seconds=0, trust_seconds=1)


@pytest.mark.parametrize(
    ("host", "forwarded", "trust", "expected"),
    [
        ("10.0.0.1", None, False, "10.0.0.1"),
        ("10.0.0.1", "203.0.113.7", False, "10.0.0.1"),  # not trusted unless the setting says so
        ("10.0.0.1", "198.51.100.1, 203.0.113.7", True, "203.0.113.7"),  # the proxy's entry
        ("10.0.0.1", " , ", True, "10.0.0.1"),
        (None, None, False, "unknown"),
    ],
)
def test_client_address(
    host: str | None, forwarded: str | None, trust: bool, expected: str
) -> None:
    assert client_address(host, forwarded, trust_forwarded=trust) == expected


def test_a_trusted_pair_passes_only_as_many_concurrent_attempts_as_the_account_limit() -> None:
    clock = Clock()
    limiter = throttle(clock)  # 3 per account
    succeed(limiter, "admin", "10.0.0.1")
    with contextlib.ExitStack() as burst:
        passes = [burst.enter_context(limiter.attempt("admin", "10.0.0.1")) for _ in range(3)]
        assert all(attempt.trusted for attempt in passes)
        # The fourth concurrent attempt is counted like anyone's: the account's in-flight
        # attempts (none failed yet) still admit it, but it is no longer trusted.
        extra = burst.enter_context(limiter.attempt("admin", "10.0.0.1"))
        assert not extra.trusted
        extra.failed()  # and its failure ends the pair's pass
        for attempt in passes:
            attempt.succeeded()
    assert limiter.check("admin", "10.0.0.1") is True  # the burst's successes trusted it again
    with limiter.attempt("admin", "10.0.0.1") as alone:
        assert alone.trusted
        alone.succeeded()
