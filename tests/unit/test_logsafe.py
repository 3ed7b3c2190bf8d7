"""registry.logsafe: log records escape control characters, whatever logger or handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from registry import logsafe


@pytest.fixture
def escaping() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing to a buffer, with the escaping record factory installed (then undone)."""
    previous = logging.getLogRecordFactory()
    logsafe.install()
    logsafe.install()  # idempotent: installing twice must not wrap twice
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.logsafe")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield logger, buffer
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
        logging.setLogRecordFactory(previous)


def test_a_request_path_cannot_forge_a_log_line(
    escaping: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = escaping
    logger.warning("%s %s -> %s", "GET", "/x\nERROR forged\x00", 404)
    assert buffer.getvalue() == "WARNING GET /x\\x0aERROR forged\\x00 -> 404\n"


def test_messages_mapping_args_and_objects_are_escaped_numbers_kept(
    escaping: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = escaping
    logger.info("user %(name)s tried %(n)d times", {"name": "eve\u202e", "n": 3})
    logger.info(ValueError("bad\rline"))
    logger.info("%.1f%% done by %s", 12.5, ValueError("x\x1b[31m"))
    assert buffer.getvalue().splitlines() == [
        "INFO user eve\\u202e tried 3 times",
        "INFO bad\\x0dline",
        "INFO 12.5% done by x\\x1b[31m",
    ]


def test_a_traceback_keeps_its_lines_but_escapes_the_rest(
    escaping: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = escaping
    try:
        raise RuntimeError("boom\x00\u2028spoof")
    except RuntimeError:
        logger.exception("failed on %s", "/a\x00")
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "ERROR failed on /a\\x00"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: boom\\x00\\u2028spoof"


def test_uvicorn_access_records_keep_their_argument_tuple(
    escaping: tuple[logging.Logger, io.StringIO],
) -> None:
    # uvicorn's AccessFormatter unpacks record.args as a 5-tuple: the shape must survive.
    record = logging.getLogRecordFactory()(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/a\x00\nb", "1.1", 400),
        None,
    )
    assert record.args == ("127.0.0.1:1", "GET", "/a\\x00\\x0ab", "1.1", 400)
    assert record.getMessage() == '127.0.0.1:1 - "GET /a\\x00\\x0ab HTTP/1.1" 400'
