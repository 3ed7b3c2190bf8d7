"""Log records that cannot forge lines: control characters escaped where each record is made.

A request path, a user name or an exception message may carry a newline, a NUL or a bidi
override; written raw, it could start a fake log line or hide part of a real one. The record
factory installed here escapes them in the message, in its arguments and in the traceback
text, for every logger and handler (ours, uvicorn's access and error logs, the dashboard's
ring), so no handler can forget to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from registry.textcheck import escape_controls

_MARK = "_registry_escapes_controls"


def _escape_arg(value: Any) -> Any:
    """One %-argument made safe; numbers and None keep their type so %d and %f still work."""
    if isinstance(value, str):
        return escape_controls(value)
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    escaped = escape_controls(text)
    return value if escaped == text else escaped


def _escape_traceback(text: str) -> str:
    """A traceback keeps its line breaks; every other control character is escaped."""
    return "\n".join(escape_controls(line) for line in text.split("\n"))


def escape_record(record: logging.LogRecord) -> logging.LogRecord:
    """Escape control characters in a record's message, arguments and traceback, in place."""
    record.msg = _escape_arg(record.msg)
    args = record.args
    if isinstance(args, tuple):
        record.args = tuple(_escape_arg(a) for a in args)
    elif isinstance(args, Mapping):
        record.args = {k: _escape_arg(v) for k, v in args.items()}
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = _escape_traceback(logging.Formatter().formatException(record.exc_info))
    return record


def install() -> None:
    """Make every log record of this process escape its control characters (idempotent)."""
    current: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(current, _MARK, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return escape_record(current(*args, **kwargs))

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)
