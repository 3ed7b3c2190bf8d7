"""registry.inputguard: request paths and query strings with controls or broken UTF-8."""

from __future__ import annotations

import pytest

from registry.inputguard import request_line_problem


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
