"""Authentication, tokens, permissions and user administration through the REST API."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD, login

SPELLINGS = [
    ADMIN_PASSWORD,
    "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE packages;",
    "correcthorsebatterystaple123(!__+@**(A;DROP TABLE packages",
]


@pytest.mark.parametrize("password", SPELLINGS)
async def test_default_admin_logs_in_with_each_bootstrap_spelling(
    anon: httpx.AsyncClient, password: str
) -> None:
    token = await login(anon, ADMIN, password)
    assert token.startswith("bearer ")
    response = await anon.post(
        "/artifacts", json=[{"name": "*"}], headers={"X-Authorization": token}
    )
    assert response.status_code == 200


async def test_wrong_password_is_401(anon: httpx.AsyncClient) -> None:
    response = await anon.put(
        "/authenticate",
        json={"user": {"name": ADMIN, "is_admin": True}, "secret": {"password": "nope"}},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


async def test_unknown_user_is_401(anon: httpx.AsyncClient) -> None:
    response = await anon.put(
        "/authenticate",
        json={"user": {"name": "ghost", "is_admin": False}, "secret": {"password": "whatever1"}},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user": {"name": ADMIN}},
        {"user": {"name": ADMIN, "is_admin": "yes"}, "secret": {"password": ADMIN_PASSWORD}},
        {"user": {"name": 5, "is_admin": True}, "secret": {"password": ADMIN_PASSWORD}},
        {"user": {"name": ADMIN, "is_admin": True}, "secret": {}},
        ["not", "an", "object"],
    ],
)
async def test_malformed_authentication_request_is_400(
    anon: httpx.AsyncClient, body: object
) -> None:
    response = await anon.put("/authenticate", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_non_json_body_is_400(anon: httpx.AsyncClient) -> None:
    response = await anon.put(
        "/authenticate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


async def test_sql_looking_password_is_just_a_wrong_password(anon: httpx.AsyncClient) -> None:
    response = await anon.put(
        "/authenticate",
        json={
            "user": {"name": "x' OR '1'='1", "is_admin": True},
            "secret": {"password": "' OR 1=1; --"},
        },
    )
    assert response.status_code == 401
    assert (await login(anon)).startswith("bearer ")


@pytest.mark.parametrize("header", [None, "", "bearer", "bearer not-a-real-token", "x" * 1000])
async def test_missing_or_invalid_token_is_403(anon: httpx.AsyncClient, header: str | None) -> None:
    headers = {} if header is None else {"X-Authorization": header}
    response = await anon.post("/artifacts", json=[{"name": "*"}], headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == "authentication_failed"


async def test_token_without_bearer_prefix_is_accepted(anon: httpx.AsyncClient) -> None:
    token = (await login(anon)).split(" ", 1)[1]
    response = await anon.post(
        "/artifacts", json=[{"name": "*"}], headers={"X-Authorization": token}
    )
    assert response.status_code == 200


async def test_token_budget_is_exact_under_concurrency(
    registry_app: object, anon: httpx.AsyncClient
) -> None:
    svc = anon._transport.app.state.services  # type: ignore[attr-defined]
    old = svc.settings.token_max_calls
    svc.settings.token_max_calls = 25
    try:
        token = await login(anon)
    finally:
        svc.settings.token_max_calls = old
    headers = {"X-Authorization": token}
    responses = await asyncio.gather(
        *(anon.get("/users/" + ADMIN, headers=headers) for _ in range(40))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 25
    assert statuses.count(403) == 15


async def test_expired_token_is_403(anon: httpx.AsyncClient) -> None:
    svc = anon._transport.app.state.services  # type: ignore[attr-defined]
    old = svc.settings.token_ttl_seconds
    svc.settings.token_ttl_seconds = -1
    try:
        token = await login(anon)
    finally:
        svc.settings.token_ttl_seconds = old
    response = await anon.get("/users/" + ADMIN, headers={"X-Authorization": token})
    assert response.status_code == 403


async def test_reset_keeps_callers_token_and_removes_other_users(
    client: httpx.AsyncClient, make_user: object
) -> None:
    await make_user("alice")  # type: ignore[operator]
    assert (await client.get("/users/alice")).status_code == 200
    assert (await client.delete("/reset")).status_code == 200
    assert (await client.get("/users/alice")).status_code == 404
    assert (await client.post("/artifacts", json=[{"name": "*"}])).status_code == 200


async def test_reset_by_non_admin_is_401(make_user: object) -> None:
    bob = await make_user("bob", upload=True)  # type: ignore[operator]
    response = await bob.delete("/reset")
    assert response.status_code == 401


async def test_reset_without_token_is_403(anon: httpx.AsyncClient) -> None:
    assert (await anon.delete("/reset")).status_code == 403


async def test_user_lifecycle(client: httpx.AsyncClient, make_user: object) -> None:
    carol = await make_user("carol", upload=True, download=False)  # type: ignore[operator]
    own = await carol.get("/users/carol")
    assert own.status_code == 200
    assert own.json()["permissions"] == {
        "upload": True,
        "search": True,
        "download": False,
        "admin": False,
    }
    assert "password" not in own.text
    assert (await carol.get("/users/" + ADMIN)).status_code == 403
    assert (await carol.get("/users")).status_code == 403
    listed = await client.get("/users")
    assert {u["name"] for u in listed.json()} == {ADMIN, "carol"}
    assert (await carol.delete("/users/carol")).status_code == 200
    assert (await client.get("/users/carol")).status_code == 404


async def test_admin_deletes_anyone_but_the_default_admin(
    client: httpx.AsyncClient, make_user: object
) -> None:
    await make_user("dave")  # type: ignore[operator]
    assert (await client.delete("/users/dave")).status_code == 200
    assert (await client.delete("/users/dave")).status_code == 404
    response = await client.delete("/users/" + ADMIN)
    assert response.status_code == 400


async def test_register_user_errors(client: httpx.AsyncClient, make_user: object) -> None:
    body = {"user": {"name": "erin", "is_admin": False}, "secret": {"password": "short"}}
    assert (await client.post("/users", json=body)).status_code == 400
    body["secret"] = {"password": "long-enough-pw"}
    assert (await client.post("/users", json=body)).status_code == 201
    assert (await client.post("/users", json=body)).status_code == 409
    bad_name = {
        "user": {"name": "../etc", "is_admin": False},
        "secret": {"password": "long-enough-pw"},
    }
    assert (await client.post("/users", json=bad_name)).status_code == 400
    unknown_perm = dict(body, permissions={"root": True})
    assert (await client.post("/users", json=unknown_perm)).status_code == 400
    frank = await make_user("frank")  # type: ignore[operator]
    assert (await frank.post("/users", json=body)).status_code == 403


async def test_permissions_are_enforced(make_user: object) -> None:
    reader = await make_user("reader", upload=False, search=True)  # type: ignore[operator]
    response = await reader.post("/artifact/model", json={"url": "https://example.com/some/model"})
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    blind = await make_user("blind", upload=True, search=False)  # type: ignore[operator]
    assert (await blind.post("/artifacts", json=[{"name": "*"}])).status_code == 403
    assert (await blind.post("/artifact/byRegEx", json={"regex": "a"})).status_code == 403
