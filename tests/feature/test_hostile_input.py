"""Hostile input on every route that reads text: a clear 4xx with a message, never a 500, no row.

Each value is sent as a client could send it (JSON escapes, percent-encoding), with the admin's
token and without one. Routes that check the token first may answer 403 to the anonymous
caller; the routes without a token (/authenticate, /health/components) must say 400.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette

from tests.fixtures.registry_client import ADMIN, HF, browser_like, token_of

URL = f"{HF}/google-bert/bert-base-uncased"
DEEP = b"[" * 200_000  # far under the 1 MiB body cap, far over the nesting limit

NAMES = {
    "nul": "a\x00b",
    "lone-surrogate": "a\ud800b",
    "newline": "a\nb",
    "escape-sequence": "a\x1b[31mb",
    "right-to-left-override": "evil\u202egpj.exe",
    "zero-width-space": "bert\u200bbase",
    "byte-order-mark": "\ufeffbert",
}
# NUL and lone surrogates are refused in every JSON string, whatever the field.
UNSTORABLE = {"nul", "lone-surrogate"}

NUMBERS = {
    "superscript-two": "²",
    "arabic-indic": "١٢",
    "fullwidth": "\uff11",
    "nul": "1\x00",
    "lone-surrogate": "\ud800",
    "negative": "-1",
    "thousands-of-digits": "9" * 5000,
}

JSON_ROUTES = [
    ("PUT", "/authenticate"),
    ("POST", "/artifacts"),
    ("POST", "/artifact/model"),
    ("PUT", "/artifacts/model/abc"),
    ("POST", "/artifact/byRegEx"),
    ("POST", "/artifacts/search"),
    ("POST", "/users"),
    ("POST", "/graphql"),
]
OPEN_ROUTES = {"/authenticate", "/health/components"}


def encoded(value: str) -> str:
    """Percent-encode text as UTF-8 for a path or query (a surrogate as its raw bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def message_of(response: httpx.Response) -> str:
    """The error message of a REST error body or a GraphQL error document."""
    body = response.json()
    if "errors" in body:
        return str(body["errors"][0]["message"])
    assert set(body) <= {"error", "message", "details"}, body
    return str(body["message"])


def refused(response: httpx.Response, *statuses: int) -> str:
    """Assert a 4xx among statuses (any 4xx when none given) with a message; return it."""
    where = f"{response.request.method} {response.request.url}"
    assert response.status_code != 500, f"{where}: {response.text}"
    if statuses:
        assert response.status_code in statuses, f"{where}: {response.status_code} {response.text}"
    assert 400 <= response.status_code < 500, f"{where}: {response.status_code} {response.text}"
    message = message_of(response)
    assert message, f"{where}: {response.text}"
    assert "Traceback" not in response.text
    return message


async def send_json(client: httpx.AsyncClient, method: str, path: str, document: Any) -> Any:
    """Send a document as JSON text (ensure_ascii, so a lone surrogate travels as \\ud800)."""
    return await client.request(
        method, path, content=json.dumps(document), headers={"content-type": "application/json"}
    )


async def assert_untouched(client: httpx.AsyncClient) -> None:
    """No artifact and no user besides the default admin: nothing hostile was stored."""
    listed = await client.post("/artifacts", json=[{"name": "*"}])
    assert listed.status_code == 200 and listed.json() == [], listed.text
    users = await client.get("/users")
    assert [u["name"] for u in users.json()] == [ADMIN], users.text


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES, ids=[p for _, p in JSON_ROUTES])
async def test_deeply_nested_json_is_400(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, method: str, path: str
) -> None:
    headers = {"content-type": "application/json"}
    message = refused(await client.request(method, path, content=DEEP, headers=headers), 400)
    assert "nests deeper than 64 levels" in message
    anonymous = await anon.request(method, path, content=DEEP, headers=headers)
    if path in OPEN_ROUTES:
        refused(anonymous, 400)
    else:  # the token is checked first
        refused(anonymous, 400, 403)
    await assert_untouched(client)


def name_requests(value: str) -> list[tuple[str, str, Any]]:
    """(method, path, JSON document) for every route taking a name or URL in its body."""
    user = {"user": {"name": value, "is_admin": False}, "secret": {"password": "s3cret-pw"}}
    return [
        ("POST", "/artifact/model", {"url": URL, "name": value}),
        ("POST", "/artifact/model", {"url": URL + value}),
        (
            "PUT",
            "/artifacts/model/abc",
            {"metadata": {"name": value, "id": "abc", "type": "model"}, "data": {"url": URL}},
        ),
        ("POST", "/artifacts", [{"name": value}]),
        ("POST", "/users", {**user, "permissions": {"upload": True}}),
    ]


@pytest.mark.parametrize("value", NAMES.values(), ids=NAMES.keys())
async def test_hostile_names_are_refused_with_400_naming_the_field(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, value: str
) -> None:
    for method, path, document in name_requests(value):
        message = refused(await send_json(client, method, path, document), 400)
        assert "name" in message or "url" in message, message
        refused(await send_json(anon, method, path, document), 403)
    await assert_untouched(client)


@pytest.mark.parametrize("value", NAMES.values(), ids=NAMES.keys())
async def test_hostile_lookups_are_4xx_on_every_route(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, value: str
) -> None:
    strict = (400,) if value in {NAMES[k] for k in UNSTORABLE} else ()
    login = {"user": {"name": value, "is_admin": False}, "secret": {"password": "x" + value}}
    refused(await send_json(anon, "PUT", "/authenticate", login), *(strict or (400, 401, 429)))
    for caller in (client, anon):
        refused(await caller.get(f"/artifact/byName/{encoded(value)}"))
        refused(await caller.get(f"/users/{encoded(value)}"))
        refused(await send_json(caller, "POST", "/artifact/byRegEx", {"regex": value}))
    search = await send_json(client, "POST", "/artifacts/search", {"name": value})
    if strict:
        refused(search, 400)
    else:  # an ordinary search that finds nothing
        assert search.status_code == 200 and search.json()["items"] == [], search.text
    query = "query($n: String) { artifacts(filter: {name: $n}) { edges { node { id } } } }"
    graphql = await send_json(
        client, "POST", "/graphql", {"query": query, "variables": {"n": value}}
    )
    if strict:
        refused(graphql, 400)
    else:  # an ordinary lookup that finds nothing
        assert graphql.status_code == 200 and "errors" not in graphql.json(), graphql.text
    await assert_untouched(client)


@pytest.mark.parametrize("value", NUMBERS.values(), ids=NUMBERS.keys())
async def test_numbers_must_be_ascii_digits(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, value: str
) -> None:
    raw = encoded(value)
    star = [{"name": "*"}]
    for caller in (client, anon):
        expected = (400,) if caller is client else (400, 403)
        for param in ("offset", "limit"):
            response = await caller.post(f"/artifacts?{param}={raw}", json=star)
            message = refused(response, *expected)
            assert param in message or response.status_code == 403, message
        refused(await caller.get(f"/artifacts/trust?offset={raw}"), *expected)
        message = refused(await caller.get(f"/health/components?windowMinutes={raw}"), 400)
        assert "windowMinutes" in message
    await assert_untouched(client)


@pytest.mark.parametrize("value", ["²", "¹", "1²"])
async def test_an_offset_header_must_be_ascii_digits(client: httpx.AsyncClient, value: str) -> None:
    # Header values arrive as Latin-1 text, where `²` is one byte and str.isdigit() is true.
    response = await client.post(
        "/artifacts", json=[{"name": "*"}], headers={"offset": value.encode("latin-1")}
    )
    assert "offset" in refused(response, 400)


async def test_graphql_refuses_what_rest_refuses(client: httpx.AsyncClient) -> None:
    deep_variables = await client.get(
        "/graphql", params={"query": "{ a }", "variables": "[" * 5000}
    )
    assert "`variables` nests deeper" in refused(deep_variables, 400)
    not_json = await client.post(
        "/graphql", content=b"query=x", headers={"content-type": "text/plain"}
    )
    assert "application/json" in refused(not_json, 400)
    nul_query = await client.get("/graphql?query=%7Ba%00%7D")
    assert "U+0000" in refused(nul_query, 400)


async def test_page_forms_refuse_nul(registry_app: Starlette, fresh: str) -> None:
    async with browser_like(registry_app) as browser:
        form = await browser.get("/ui/login")
        data = {"csrf_token": token_of(form.text), "name": "a\x00b", "password": "x"}
        signed = await browser.post("/ui/login", data=data)
        assert signed.status_code == 400, signed.text
        assert "U+0000" in signed.text
        listing = await browser.get("/ui/artifacts?q=a%00b")
        assert "U+0000" in refused(listing, 400)
        broken = await browser.get("/ui/artifacts?page=%C2%B2")
        assert broken.status_code < 500  # the directory falls back to page 1 by design


async def test_a_huge_number_in_json_is_400(client: httpx.AsyncClient) -> None:
    body = '{"url": "' + URL + '", "name": "x", "n": ' + "9" * 5000 + "}"
    response = await client.post(
        "/artifact/model", content=body, headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in refused(response, 400)
    await assert_untouched(client)
