"""Tokens and permissions: the budget holds across processes, bad tokens and weak users are
refused, and refused calls change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from tests.fixtures.deployment import TOKEN_CALLS, Account, Deployment
from tests.fixtures.registry_client import ADMIN
from tests.fixtures.registry_probe import artifact_listing, login

pytestmark = pytest.mark.security

CALLERS = 50


def test_token_budget_is_exact_across_two_processes_under_concurrency(
    deployment: Deployment,
    client: Callable[..., httpx.Client],
    async_client: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> None:
    token = login(client(deployment.first))
    calls_each = TOKEN_CALLS // CALLERS + 2  # 50 callers together try more than the budget

    async def caller(index: int) -> list[httpx.Response]:
        server = deployment.first if index % 2 else deployment.second
        async with async_client(server, token) as c:
            return [await c.get(f"/users/{ADMIN}") for _ in range(calls_each)]

    async def flood() -> list[httpx.Response]:
        batches = await asyncio.gather(*(caller(i) for i in range(CALLERS)))
        return [r for batch in batches for r in batch]

    responses = asyncio.run(flood())
    codes = [r.status_code for r in responses]
    assert codes.count(200) == TOKEN_CALLS
    assert codes.count(403) == len(codes) - TOKEN_CALLS
    refused = next(r for r in responses if r.status_code == 403)
    assert "used up" in refused.json()["message"]


@pytest.mark.parametrize(
    "header",
    [None, "", "bearer", "bearer not-a-token", "bearer " + "x" * 300, "' OR '1'='1"],
    ids=["missing", "empty", "bare-scheme", "unknown", "oversized", "sql"],
)
def test_invalid_or_missing_token_is_refused(
    deployment: Deployment, client: Callable[..., httpx.Client], header: str | None
) -> None:
    headers = {} if header is None else {"X-Authorization": header}
    response = client(deployment.second).post("/artifacts", json=[{"name": "*"}], headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == "authentication_failed"


def test_token_of_a_deleted_user_is_refused(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    make_user: Callable[..., Account],
) -> None:
    user = make_user()
    assert admin.delete(f"/users/{user.name}").status_code == 200
    response = client(deployment.second, user.token).post("/artifacts", json=[{"name": "*"}])
    assert response.status_code == 403
    assert "invalid" in response.json()["message"]


def test_non_admin_cannot_reset(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    make_user: Callable[..., Account],
) -> None:
    kept = admin.post("/artifact/code", json={"url": "https://example.com/keep-me"})
    assert kept.status_code == 201, kept.text
    before = artifact_listing(admin)
    user = make_user(upload=True)
    response = client(deployment.second, user.token).delete("/reset")
    assert response.status_code == 401
    assert "'admin' permission" in response.json()["message"]
    assert artifact_listing(admin) == before


def test_non_admin_cannot_create_users(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    make_user: Callable[..., Account],
) -> None:
    user = make_user(upload=True)
    body = {
        "user": {"name": "sneaky-admin", "is_admin": True},
        "secret": {"password": "sneaky-password"},
    }
    response = client(deployment.second, user.token).post("/users", json=body)
    assert response.status_code == 403
    assert "'admin' permission" in response.json()["message"]
    assert "sneaky-admin" not in {u["name"] for u in admin.get("/users").json()}
