"""JSON responses every transport sends, the error body among them."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse


class ErrorResponse(JSONResponse):
    """A JSON error body that renders whatever input it echoes (a lone surrogate included)."""

    def render(self, content: object) -> bytes:
        """UTF-8 JSON; characters UTF-8 cannot carry become JSON escapes instead of a crash."""
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON response."""
    return JSONResponse(content, status_code=status_code, headers=headers)
