"""registry.inputguard: request paths and query strings with controls or broken UTF-8."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from registry.inputguard import InputGuardMiddleware, request_line_problem
from registry.transport.responses import ErrorResponse


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        (b"/artifact/byName/a%00b", b"", "the request path must not contain U+0000"),
        (b"/users/a%0Ab", b"", "the request path must not contain U+000A"),
        (b"/users/a%C2%85", b"", "the request path must not contain U+0085"),
        (
            b"/artifact/byName/%ED%A0%80",
            b"",
            "the request path is not valid UTF-8 once percent-decoded",
        ),
        (b"/artifact/byName/%FF", b"", "the request path is not valid UTF-8 once percent-decoded"),
        (
            b"/health/components",
            b"windowMinutes=%00",
            "query parameter 'windowMinutes' must not contain U+0000",
        ),
        (
            b"/artifacts",
            b"limit=4&offset=1%0D%0A",
            "query parameter 'offset' must not contain U+000D",
        ),
        (
            b"/ui/artifacts",
            b"q=%E0%80",
            "query parameter 'q' is not valid UTF-8 once percent-decoded",
        ),
        (b"/ui/artifacts", b"a%00=1", "a query parameter name must not contain U+0000"),
    ],
)
def test_refused_request_lines_name_the_part(path: bytes, query: bytes, expected: str) -> None:
    assert request_line_problem(path, query) == expected


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (b"/artifacts/model/abc-123", b""),
        (b"/artifact/byName/mod%C3%A8le%20fran%C3%A7ais", b""),
        (b"/artifact/byName/evil%E2%80%AEname", b""),  # a lookup; no stored name can match it
        (b"/ui/artifacts", b"q=bert+base&page=2&mode=regex&x=%25"),
        (b"/artifacts", b"offset=%C2%B2"),  # valid text: the parameter's own parser refuses it
    ],
)
def test_ordinary_request_lines_pass(path: bytes, query: bytes) -> None:
    assert request_line_problem(path, query) is None


async def test_the_guard_answers_json_400_and_passes_the_rest() -> None:
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await JSONResponse({"ok": True})(scope, receive, send)

    transport = httpx.ASGITransport(app=InputGuardMiddleware(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        refused = await client.get("/users/a%00b")
        passed = await client.get("/users/alice?page=2")
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_request",
        "message": "the request path must not contain U+0000",
    }
    assert passed.json() == {"ok": True}
    assert reached == ["/users/alice"]


def test_an_error_body_echoing_a_lone_surrogate_still_renders() -> None:
    body = ErrorResponse({"error": "not_found", "message": "no artifact is named 'a\ud800'"}).body
    assert json.loads(body)["message"] == "no artifact is named 'a\ud800'"
