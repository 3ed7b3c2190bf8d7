"""The log ring: bounded, filtered newest first, attached and detached cleanly."""

from __future__ import annotations

import logging

from registry.web.logring import MESSAGE_CAP, LogRing


def test_ring_is_bounded_and_newest_first() -> None:
    ring = LogRing(capacity=3)
    log = logging.getLogger("tests.ring.bounded")
    log.addHandler(ring)
    log.setLevel(logging.INFO)
    try:
        for i in range(5):
            log.warning("event %d", i)
    finally:
        log.removeHandler(ring)
    assert [e.message for e in ring.query(min_level="DEBUG")] == ["event 4", "event 3", "event 2"]


def test_filters_by_level_logger_and_text() -> None:
    ring = LogRing()
    for name, level, message in [
        ("registry.web", logging.INFO, "signed in alice"),
        ("registry.rest", logging.WARNING, "upstream slow"),
        ("uvicorn", logging.ERROR, "socket closed"),
    ]:
        ring.handle(logging.LogRecord(name, level, __file__, 1, message, None, None))
    assert [e.logger for e in ring.query(min_level="WARNING")] == ["uvicorn", "registry.rest"]
    assert [e.message for e in ring.query(logger="registry")] == [
        "upstream slow",
        "signed in alice",
    ]
    assert [e.message for e in ring.query(text="ALICE")] == ["signed in alice"]
    assert ring.query(min_level="nonsense", text="socket")[0].level == "ERROR"


def test_long_messages_are_capped_and_exceptions_named() -> None:
    ring = LogRing()
    try:
        raise KeyError("x")
    except KeyError:
        import sys

        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "y" * 5000, None, sys.exc_info()
        )
    ring.handle(record)
    (entry,) = ring.query()
    assert len(entry.message) <= MESSAGE_CAP
    assert entry.time.count(":") == 2


def test_install_and_uninstall_on_root() -> None:
    ring = LogRing()
    ring.install("tests.ring.extra")
    try:
        assert ring in logging.getLogger().handlers
        assert ring in logging.getLogger("tests.ring.extra").handlers
    finally:
        ring.uninstall("tests.ring.extra")
    assert ring not in logging.getLogger().handlers
