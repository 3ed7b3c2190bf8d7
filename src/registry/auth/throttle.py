"""Sign-in throttling: failed logins per account and per client address, in this process.

A key (an account name, a client address) is refused once `limit` failures, plus the attempts
still being checked, fall inside the sliding window; it is free again when the oldest of those
failures leaves the window, so a lock never outlasts one window after the last failure. An
account and address that signed in successfully are trusted for a while: they skip both limits
until one of their own attempts fails, so a flood of wrong passwords for the default admin from
elsewhere cannot lock out the clients that know its password. The state lives in each server
process (docs/security.md says why and what that bounds).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from registry.errors import TooManyRequestsError

Clock = Callable[[], float]

# Keys kept per table; beyond it the least recently touched key is forgotten (memory stays
# bounded however many names and addresses a flood invents).
DEFAULT_CAPACITY = 100_000


@dataclass(slots=True)
class _Record:
    failures: deque[float]
    in_flight: int = 0


@dataclass(slots=True)
class _Limiter:
    """Failure times per key, the most recent `limit` of them."""

    limit: int
    window: float
    capacity: int
    records: OrderedDict[str, _Record] = field(default_factory=OrderedDict)

    def wait(self, key: str, now: float) -> float:
        """Seconds until key may try again (0 when it may try now)."""
        record = self.records.get(key)
        if record is None:
            return 0.0
        recent = [t for t in record.failures if t > now - self.window]
        if len(recent) + record.in_flight < self.limit:
            return 0.0
        if len(recent) < self.limit:
            # Blocked by attempts still in flight: they finish within a password check.
            return 1.0
        return recent[-self.limit] + self.window - now

    def _record(self, key: str) -> _Record:
        record = self.records.get(key)
        if record is None:
            record = self.records[key] = _Record(deque(maxlen=self.limit))
            while len(self.records) > self.capacity:
                self.records.popitem(last=False)
        self.records.move_to_end(key)
        return record

    def begin(self, key: str) -> None:
        """Count one attempt in flight."""
        self._record(key).in_flight += 1

    def end(self, key: str, failed_at: float | None) -> None:
        """Finish an attempt, recording its failure time if it failed."""
        record = self._record(key)  # recreated if forgotten meanwhile (capacity, clear)
        record.in_flight = max(0, record.in_flight - 1)
        if failed_at is not None:
            record.failures.append(failed_at)
        self._drop_if_idle(key, record)

    def forget(self, key: str) -> None:
        """Drop the key's failures (attempts in flight stay counted)."""
        record = self.records.get(key)
        if record is not None:
            record.failures.clear()
            self._drop_if_idle(key, record)

    def _drop_if_idle(self, key: str, record: _Record) -> None:
        if record.in_flight == 0 and not record.failures:
            del self.records[key]


class LoginAttempt:
    """One sign-in being checked; tell it how it ended."""

    def __init__(self, account: str, address: str, trusted: bool) -> None:
        self.account = account
        self.address = address
        self.trusted = trusted
        self.outcome: bool | None = None

    def succeeded(self) -> None:
        """The password was right."""
        self.outcome = True

    def failed(self) -> None:
        """The name or password was wrong."""
        self.outcome = False


class LoginThrottle:
    """Per-account and per-address failure limits over a sliding window."""

    def __init__(
        self,
        *,
        max_per_account: int,
        max_per_address: int,
        window_seconds: float,
        trust_seconds: float,
        clock: Clock = time.monotonic,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        if min(max_per_account, max_per_address) < 1 or window_seconds <= 0:
            raise ValueError("login limits must be at least 1 and the window positive")
        self._accounts = _Limiter(max_per_account, window_seconds, capacity)
        self._addresses = _Limiter(max_per_address, window_seconds, capacity)
        self._trusted: OrderedDict[tuple[str, str], float] = OrderedDict()
        # Trusted attempts in flight per pair: a pair's pass covers as many concurrent
        # sign-ins as the account limit, no more (clients behind one NAT share an address).
        self._trusted_busy: dict[tuple[str, str], int] = {}
        self._trust_seconds = trust_seconds
        self._capacity = capacity
        self._clock = clock

    def _is_trusted(self, pair: tuple[str, str], now: float) -> bool:
        until = self._trusted.get(pair)
        if until is not None and until <= now:
            del self._trusted[pair]
            return False
        return until is not None

    def check(self, account: str, address: str) -> bool:
        """Raise TooManyRequestsError if this account or address must wait; return whether
        the pair is trusted (it signed in successfully before)."""
        now = self._clock()
        pair = (account, address)
        if self._is_trusted(pair, now) and self._trusted_busy.get(pair, 0) < self._accounts.limit:
            return True
        for limiter, key, what in (
            (self._accounts, account, "this account"),
            (self._addresses, address, "your address"),
        ):
            wait = math.ceil(limiter.wait(key, now))
            if wait > 0:
                raise TooManyRequestsError(
                    f"too many failed sign-ins for {what}; retry in {wait} seconds",
                    retry_after=wait,
                )
        return False

    @contextmanager
    def attempt(self, account: str, address: str) -> Iterator[LoginAttempt]:
        """Admit one sign-in (or raise TooManyRequestsError) and record how it ended.

        Attempts in flight count against the limits, so a burst of concurrent guesses cannot
        all pass the check before the first of them fails. An attempt that ends without an
        outcome (an error on the way) counts as neither."""
        trusted = self.check(account, address)
        current = LoginAttempt(account, address, trusted)
        if trusted:
            pair = (account, address)
            self._trusted_busy[pair] = self._trusted_busy.get(pair, 0) + 1
        else:
            self._accounts.begin(account)
            self._addresses.begin(address)
        try:
            yield current
        finally:
            self._finish(current)

    def _finish(self, current: LoginAttempt) -> None:
        now = self._clock()
        pair = (current.account, current.address)
        if current.trusted:
            busy = self._trusted_busy.get(pair, 1) - 1
            if busy > 0:
                self._trusted_busy[pair] = busy
            else:
                self._trusted_busy.pop(pair, None)
            if current.outcome is not False:
                if current.outcome:
                    self._trust(pair, now)
                return
            # A trusted pair that fails loses its pass and counts like anyone else.
            self._trusted.pop(pair, None)
            self._accounts.begin(current.account)
            self._addresses.begin(current.address)
        elif current.outcome is False:
            self._trusted.pop(pair, None)  # a failure from the pair ends its pass either way
        failed_at = now if current.outcome is False else None
        self._accounts.end(current.account, failed_at)
        self._addresses.end(current.address, failed_at)
        if current.outcome:
            self._accounts.forget(current.account)
            self._trust(pair, now)

    def _trust(self, pair: tuple[str, str], now: float) -> None:
        self._trusted[pair] = now + self._trust_seconds
        self._trusted.move_to_end(pair)
        while len(self._trusted) > self._capacity:
            self._trusted.popitem(last=False)

    def clear(self) -> None:
        """Forget every failure (the registry was reset). Trusted pairs stay: they knew a
        password, and the reset's caller keeps its token too."""
        self._accounts.records.clear()
        self._addresses.records.clear()


def client_address(host: str | None, forwarded_for: str | None, *, trust_forwarded: bool) -> str:
    """The address a sign-in is counted against: the peer, or (only when the operator says a
    proxy sets it) the last X-Forwarded-For entry, the one that proxy appended."""
    if trust_forwarded and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last[:64]
    return (host or "unknown")[:64]
