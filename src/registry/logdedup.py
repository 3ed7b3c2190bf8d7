"""Repeated identical errors logged once, then counted: a flood-proof logger for retry loops.

A loop that retries while a backend is down (the job workers during a database outage) would
otherwise log the same traceback a few times a second. ``RepeatedErrorLog`` logs the first
failure of each kind with its traceback, counts identical ones silently, reports the count at
growing intervals (back-off), and logs the recovery once.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

# Numbers (ports, ids, counters) vary between otherwise identical failures.
_VARYING = re.compile(r"0x[0-9a-fA-F]+|\d+")
MAX_SIGNATURES = 64  # distinct failure kinds tracked at once; memory stays bounded


@dataclass(slots=True)
class _Streak:
    first_at: float
    total: int
    unreported: int
    interval: float
    report_at: float
    latest: str  # the newest failure's own text, numbers and all


def signature(exc: BaseException) -> str:
    """What makes two failures 'identical': the exception type and its message, numbers masked."""
    first_line = (str(exc).splitlines() or [""])[0][:300]
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {_VARYING.sub('#', first_line)}"


class RepeatedErrorLog:
    """Logs each distinct failure once with a traceback, then a repeat count at growing gaps."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        first_interval: float = 10.0,
        max_interval: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.what = what
        self.first_interval = first_interval
        self.max_interval = max_interval
        self.clock = clock
        self._streaks: dict[str, _Streak] = {}

    @property
    def failing(self) -> bool:
        """Tell whether failures were seen since the last success."""
        return bool(self._streaks)

    def failure(self, exc: BaseException) -> None:
        """Record one failure: logged in full the first time, counted afterwards."""
        now = self.clock()
        key = signature(exc)
        streak = self._streaks.get(key)
        if streak is None:
            if len(self._streaks) >= MAX_SIGNATURES:
                self._flush(next(iter(self._streaks)), now)
            self._streaks[key] = _Streak(
                first_at=now,
                total=1,
                unreported=0,
                interval=self.first_interval,
                report_at=now + self.first_interval,
                latest=_describe(exc),
            )
            self.logger.error("%s", self.what, exc_info=exc)
            return
        streak.total += 1
        streak.unreported += 1
        streak.latest = _describe(exc)
        if now >= streak.report_at:
            self._report(streak, now)

    def success(self) -> None:
        """Record a success: say once that the failures stopped, and forget them."""
        if not self._streaks:
            return
        now = self.clock()
        total = sum(s.total for s in self._streaks.values())
        since = min(s.first_at for s in self._streaks.values())
        self._streaks.clear()
        self.logger.warning(
            "%s: recovered after %d failure(s) over %.0f s", self.what, total, now - since
        )

    def _report(self, streak: _Streak, now: float) -> None:
        # The window is the time since the previous report (or the first failure).
        window = now - (streak.report_at - streak.interval)
        self.logger.error(
            "%s: %s repeated %d times in the last %.0f s (%d since the first)",
            self.what,
            streak.latest,
            streak.unreported,
            window,
            streak.total,
        )
        streak.unreported = 0
        streak.interval = min(streak.interval * 2, self.max_interval)
        streak.report_at = now + streak.interval

    def _flush(self, key: str, now: float) -> None:
        streak = self._streaks.pop(key)
        if streak.unreported:
            self._report(streak, now)


def _describe(exc: BaseException) -> str:
    first_line = (str(exc).splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first_line}"
