"""Repeated identical errors: one traceback, then counts at growing intervals, one recovery."""

from __future__ import annotations

import logging

import pytest

from registry.logdedup import MAX_SIGNATURES, RepeatedErrorLog, signature

LOGGER = "registry.test.dedup"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


def _dedup(clock: Clock) -> RepeatedErrorLog:
    return RepeatedErrorLog(logging.getLogger(LOGGER), "worker failed", clock=clock)


def test_a_hundred_identical_failures_log_a_handful_of_records(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    dedup = _dedup(clock)
    for _ in range(100):  # two a second for 50 s, as the job workers did during an outage
        dedup.failure(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"))
        clock.now += 0.5
    records = _records(caplog)
    assert 2 <= len(records) <= 5
    first, *repeats = records
    assert first.exc_info is not None and first.getMessage() == "worker failed"
    assert all(r.exc_info is None for r in repeats)
    assert (
        "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432) "
        "repeated 20 times in the last 10 s (21 since" in repeats[0].getMessage()
    )
    assert "repeated 40 times in the last 20 s (61 since the first)" in repeats[1].getMessage()
    assert dedup.failing


def test_reports_back_off_to_the_cap(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    dedup = RepeatedErrorLog(
        logging.getLogger(LOGGER), "poll", first_interval=10, max_interval=40, clock=clock
    )
    start = clock.now
    report_times = []
    for _ in range(300):  # one failure a second for five minutes
        before = len(_records(caplog))
        dedup.failure(TimeoutError("no answer"))
        if len(_records(caplog)) > before:
            report_times.append(clock.now - start)
        clock.now += 1
    # First in full at 0, then after 10, 20, 40, 40, ... seconds.
    assert report_times[:6] == [0, 10, 30, 70, 110, 150]
    assert report_times[6:] == [190, 230, 270]


def test_recovery_is_logged_once_and_resets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    dedup = _dedup(clock)
    dedup.success()  # nothing failed yet: nothing to say
    assert _records(caplog) == []
    for _ in range(3):
        dedup.failure(OSError("disk gone"))
        clock.now += 2
    dedup.success()
    dedup.success()
    messages = [r.getMessage() for r in _records(caplog)]
    assert messages == ["worker failed", "worker failed: recovered after 3 failure(s) over 6 s"]
    assert not dedup.failing
    dedup.failure(OSError("disk gone"))  # a new outage starts with a full traceback again
    assert _records(caplog)[-1].exc_info is not None


def test_distinct_failures_each_get_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    dedup = _dedup(Clock())
    dedup.failure(OSError("connection to port 5432 refused"))
    dedup.failure(OSError("connection to port 6543 refused"))  # same failure, another number
    dedup.failure(TimeoutError("connection to port 5432 refused"))  # another type
    dedup.failure(OSError("disk full"))  # another message
    assert [r.exc_info is not None for r in _records(caplog)] == [True, True, True]


def test_signature_masks_numbers_and_keeps_the_first_line() -> None:
    assert signature(OSError("pid 12 at 0xdeadbeef\nmore")) == "builtins.OSError: pid # at #"
    assert signature(ValueError()) == "builtins.ValueError: "


def test_tracked_kinds_are_bounded(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    dedup = _dedup(clock)
    dedup.failure(OSError("oldest"))
    dedup.failure(OSError("oldest"))  # one unreported repeat
    for index in range(MAX_SIGNATURES):
        dedup.failure(KeyError(f"kind {chr(65 + index % 26)}{chr(65 + index // 26)}"))
    messages = [r.getMessage() for r in _records(caplog)]
    # Making room for a new kind reports the oldest kind's pending count instead of losing it.
    assert any("OSError: oldest repeated 1 times" in m for m in messages)
    assert len(messages) == 1 + MAX_SIGNATURES + 1
