"""Hide internal addresses (URLs, host:port, IP addresses) in text that leaves the process.

A server error's message can carry what a vendor library said, and vendor messages name the
endpoint they failed to reach (an internal S3, database or mirror address). Client errors
(4xx) describe the caller's own input and are left alone; server errors (5xx) go through here.
"""

from __future__ import annotations

import re
from typing import Any

HIDDEN = "[internal address]"

_PATTERNS = (
    # scheme://anything-up-to-whitespace-or-a-closing-quote
    re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+"),
    # [v6]:port, a.b.c.d:port, name.domain:port, single-label-name:port (minio:9000)
    re.compile(
        r"(?<![\w.:-])(?:\[[0-9A-Fa-f:.]+\]|(?:\d{1,3}\.){3}\d{1,3}|[A-Za-z][\w-]*(?:\.[\w-]+)*)"
        r":\d{2,5}\b"
    ),
    # a bare IPv4 address
    re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"),
)


def scrub_addresses(text: str) -> str:
    """Replace every URL, host:port and IPv4 address in text with a placeholder."""
    for pattern in _PATTERNS:
        text = pattern.sub(HIDDEN, text)
    return text


def scrub_value(value: Any) -> Any:
    """scrub_addresses over every string inside a JSON-like value (dicts, lists, strings)."""
    if isinstance(value, str):
        return scrub_addresses(value)
    if isinstance(value, dict):
        return {key: scrub_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(item) for item in value]
    return value
