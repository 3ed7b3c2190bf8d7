"""Bad input is a 400 (or 413) with a JSON reason, never a 500, and changes nothing: deep
JSON, NUL bytes, lone surrogates, digits that are not ASCII, deceptive names, huge bodies and
regexes built to backtrack."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.deployment import Deployment
from tests.fixtures.registry_probe import artifact_listing, login_body

pytestmark = pytest.mark.security

NESTED = b"[" * 200_000  # 200 KB: under the 1 MiB body cap, far over any sane depth
BUDGET_SECONDS = 5.0  # "milliseconds" on an idle machine; generous for a loaded 2-core box


def _error(response: httpx.Response, status: int) -> str:
    """Assert the status and the JSON error shape; return the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    return str(body["message"])


def _raw_json(text: str) -> bytes:
    """JSON text as the wire carries it: \\u escapes stay escapes (so "\\ud800" arrives lone)."""
    return text.encode("ascii")


@pytest.mark.parametrize(
    ("method", "path", "signed_in"),
    [
        ("PUT", "/authenticate", False),
        ("POST", "/artifacts", True),
        ("POST", "/artifact/code", True),
        ("POST", "/artifact/byRegEx", True),
        ("POST", "/artifacts/search", True),
        ("POST", "/users", True),
        ("PUT", "/artifacts/code/1234", True),
    ],
)
def test_deeply_nested_json_is_refused(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    method: str,
    path: str,
    signed_in: bool,
) -> None:
    before = artifact_listing(admin)
    caller = admin if signed_in else client(deployment.second)
    response = caller.request(
        method, path, content=NESTED, headers={"content-type": "application/json"}
    )
    assert "deeper" in _error(response, 400)
    assert artifact_listing(admin) == before


def _create(name: str) -> tuple[str, str, bytes]:
    url = f"https://example.com/bad-{secrets.token_hex(4)}"
    return ("POST", "/artifact/code", json.dumps({"url": url, "name": name}).encode())


@pytest.mark.parametrize(
    ("method", "path", "body", "phrase"),
    [
        (*_create("evil\x00name"), "U+0000"),
        (
            "POST",
            "/artifact/code",
            json.dumps({"url": "https://example.com/a\x00b"}).encode(),
            "U+0000",
        ),
        ("POST", "/artifacts", json.dumps([{"name": "a\x00b"}]).encode(), "U+0000"),
        ("POST", "/artifact/byRegEx", json.dumps({"regex": "a\x00"}).encode(), "U+0000"),
        ("GET", "/artifact/byName/a%00b", b"", "U+0000"),
        ("POST", "/artifact/code/upload?name=a%00b&version=1.0.0", b"PK", "U+0000"),
        (*_create("\ud800"), "U+D800"),
        ("POST", "/artifacts", _raw_json('[{"name": "x\\udfff"}]'), "U+DFFF"),
        ("POST", "/artifact/byRegEx", _raw_json('{"regex": "\\ud800"}'), "U+D800"),
    ],
    ids=[
        "nul-in-create-name",
        "nul-in-url",
        "nul-in-query-name",
        "nul-in-regex",
        "nul-in-byname-path",
        "nul-in-upload-name",
        "surrogate-in-create-name",
        "surrogate-in-query-name",
        "surrogate-in-regex",
    ],
)
def test_unstorable_text_is_refused(
    admin: httpx.Client, method: str, path: str, body: bytes, phrase: str
) -> None:
    before = artifact_listing(admin)
    if path.endswith("upload?name=a%00b&version=1.0.0"):
        headers = {"content-type": "application/zip"}
    else:
        headers = {"content-type": "application/json"}
    response = admin.request(method, path, content=body or None, headers=headers)
    assert phrase in _error(response, 400)
    assert artifact_listing(admin) == before


@pytest.mark.parametrize(
    "text",
    ["ad\x00min", "\ud800"],
    ids=["nul", "surrogate"],
)
def test_unstorable_text_in_a_sign_in_is_refused_without_a_token(
    deployment: Deployment, client: Callable[..., httpx.Client], text: str
) -> None:
    body = json.dumps(login_body(name=text)).encode()
    response = client(deployment.second).put(
        "/authenticate", content=body, headers={"content-type": "application/json"}
    )
    assert "must not contain" in _error(response, 400)


@pytest.mark.parametrize(
    "query",
    [
        "offset=%C2%B2",
        "offset=%D9%A3",
        "offset=-1",
        "offset=1e3",
        "limit=%C2%B2",
        "limit=%D9%A3",
        "offset=" + "9" * 40,
    ],
    ids=[
        "offset-superscript",
        "offset-arabic-indic",
        "offset-negative",
        "offset-exponent",
        "limit-superscript",
        "limit-arabic-indic",
        "offset-huge",
    ],
)
def test_offsets_and_limits_must_be_ascii_digits(admin: httpx.Client, query: str) -> None:
    before = artifact_listing(admin)
    response = admin.post(f"/artifacts?{query}", json=[{"name": "*"}])
    field = query.split("=")[0]
    assert field in _error(response, 400)
    assert artifact_listing(admin) == before


@pytest.mark.parametrize(
    "query",
    [
        "windowMinutes=%C2%B2",
        "windowMinutes=%D9%A3",
        "windowMinutes=" + "9" * 5000,
        "windowMinutes=%00",
        "includeTimeline=%00",
        "includeTimeline=%ED%A0%80",
        "windowMinutes=%FF%FE",
    ],
    ids=[
        "superscript",
        "arabic-indic",
        "huge",
        "nul-window",
        "nul-timeline",
        "encoded-surrogate",
        "invalid-utf8",
    ],
)
def test_health_components_refuses_hostile_query_parameters(
    deployment: Deployment, client: Callable[..., httpx.Client], query: str
) -> None:
    response = client(deployment.second).get(f"/health/components?{query}")
    field = query.split("=")[0]
    assert field in _error(response, 400)


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("invoice\u202egpj.exe", "U+202E"),
        ("bert\u200b-base-uncased", "U+200B"),
        ("bert\u2066-base", "U+2066"),
        ("bert\ufeff", "U+FEFF"),
        ("line\u2028break", "U+2028"),
    ],
    ids=["rtl-override", "zero-width-space", "bidi-isolate", "bom", "line-separator"],
)
def test_deceptive_names_are_refused(admin: httpx.Client, name: str, phrase: str) -> None:
    before = artifact_listing(admin)
    url = f"https://example.com/deceptive-{secrets.token_hex(4)}"
    response = admin.post("/artifact/code", json={"url": url, "name": name})
    assert phrase in _error(response, 400)
    assert artifact_listing(admin) == before


def test_deceptive_upload_names_are_refused(admin: httpx.Client) -> None:
    before = artifact_listing(admin)
    response = admin.post(
        "/artifact/code/upload",
        params={"name": "tool\u202ekcap", "version": "1.0.0"},
        content=b"PK\x05\x06" + b"\x00" * 18,
        headers={"content-type": "application/zip"},
    )
    assert "U+202E" in _error(response, 400)
    assert artifact_listing(admin) == before


def test_digit_lookalikes_in_a_name_are_data(admin: httpx.Client) -> None:
    name = f"bert\u00b2-\u0663-{secrets.token_hex(3)}"
    url = f"https://example.com/digits-{secrets.token_hex(4)}"
    created = admin.post("/artifact/code", json={"url": url, "name": name})
    assert created.status_code == 201, created.text
    found = admin.get(f"/artifact/byName/{name}")
    assert found.status_code == 200
    assert [m["name"] for m in found.json()] == [name]


@pytest.mark.parametrize(
    ("method", "path", "signed_in"),
    [("PUT", "/authenticate", False), ("POST", "/artifacts", True), ("POST", "/users", True)],
)
def test_bodies_over_the_cap_are_refused(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    method: str,
    path: str,
    signed_in: bool,
) -> None:
    before = artifact_listing(admin)
    huge: Any = json.dumps({"padding": "x" * (2 * 1024 * 1024)}).encode()
    caller = admin if signed_in else client(deployment.second)
    response = caller.request(
        method, path, content=huge, headers={"content-type": "application/json"}
    )
    assert "larger than" in _error(response, 413)
    assert artifact_listing(admin) == before


@pytest.mark.parametrize("regex", ["(a|aa)*$", "(a{1,99999}){1,99999}$", "(x+x+)+y", "(.*a){20}"])
def test_catastrophic_regexes_are_refused_fast(admin: httpx.Client, regex: str) -> None:
    started = time.monotonic()
    response = admin.post("/artifact/byRegEx", json={"regex": regex})
    elapsed = time.monotonic() - started
    assert "regex" in _error(response, 400)
    assert elapsed < BUDGET_SECONDS
