"""A pure ASGI middleware refusing request lines no route could honestly serve.

A percent-encoded NUL in a path or query reaches SQL (PostgreSQL's text refuses it, as a 500)
and the logs; an encoded lone surrogate or broken UTF-8 is silently turned into U+FFFD by the
server and then looked up as if it were a name. Both are refused here, once for every
transport (REST, GraphQL's GET, the pages), with the JSON 400 every other validation gives.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from registry.errors import ValidationError
from registry.textcheck import describe
from registry.transport.responses import ErrorResponse

_CONTROL_BYTES = frozenset(range(0x20)) | {0x7F}
_NEEDS_LOOK = re.compile(rb"[^\x20-\x7e]|%")


def _printable_ascii(raw: bytes) -> bool:
    """Whether raw is printable ASCII with no percent escapes (the common, cheap case)."""
    return _NEEDS_LOOK.search(raw) is None


def text_problem(raw: bytes) -> str | None:
    """Why percent-encoded bytes are refused (a control character, invalid UTF-8); else None."""
    decoded = unquote_to_bytes(raw)
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return "is not valid UTF-8 once percent-decoded"
    for char in text:
        if ord(char) in _CONTROL_BYTES or 0x80 <= ord(char) <= 0x9F:
            return f"must not contain {describe(char)}"
    return None


def request_line_problem(raw_path: bytes, query: bytes) -> str | None:
    """The first refused part of a request's path or query string, described; else None."""
    if not _printable_ascii(raw_path):
        problem = text_problem(raw_path)
        if problem is not None:
            return f"the request path {problem}"
    if query and not _printable_ascii(query):
        for pair in query.split(b"&"):
            name, _, value = pair.partition(b"=")
            name_problem = text_problem(name.replace(b"+", b" "))
            if name_problem is not None:
                return f"a query parameter name {name_problem}"
            value_problem = text_problem(value.replace(b"+", b" "))
            if value_problem is not None:
                shown = unquote_to_bytes(name).decode("utf-8", "replace")[:64]
                return f"query parameter '{shown}' {value_problem}"
    return None


class InputGuardMiddleware:
    """Answers 400 to HTTP requests whose path or query holds controls or invalid UTF-8."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            problem = request_line_problem(raw_path.split(b"?", 1)[0], scope["query_string"])
            if problem is not None:
                error = ValidationError(problem)
                await ErrorResponse(error.to_dict(), status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)
