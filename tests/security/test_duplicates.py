"""One artifact per identity, enforced by the database: concurrent duplicates split across the
two processes give exactly one 201 and 409 for the rest."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from tests.fixtures.deployment import Deployment
from tests.fixtures.registry_probe import artifact_listing, login
from tests.fixtures.zips import zip_bytes

pytestmark = pytest.mark.security


def _burst(
    deployment: Deployment,
    async_client: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
    token: str,
    count: int,
    send: Callable[[httpx.AsyncClient], object],
) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        async with (
            async_client(deployment.first, token) as one,
            async_client(deployment.second, token) as two,
        ):
            calls = [send(one if i % 2 else two) for i in range(count)]
            return list(await asyncio.gather(*calls))  # type: ignore[call-overload]

    return asyncio.run(run())


def test_concurrent_creates_of_one_url_register_it_once(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    async_client: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> None:
    before = artifact_listing(admin)
    url = f"https://example.com/twin-{secrets.token_hex(4)}"
    token = login(client(deployment.first))
    responses = _burst(
        deployment, async_client, token, 20, lambda c: c.post("/artifact/code", json={"url": url})
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 19
    refused = next(r for r in responses if r.status_code == 409)
    assert "registered already" in refused.json()["message"]
    after = artifact_listing(admin)
    assert len(after) == len(before) + 1


def test_concurrent_uploads_of_one_version_store_it_once(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    async_client: Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]],
) -> None:
    before = artifact_listing(admin)
    name = f"twin-tool-{secrets.token_hex(4)}"
    package = zip_bytes({"README.md": b"# twin\n", "src/main.py": b"print('hi')\n"})
    token = login(client(deployment.first))
    responses = _burst(
        deployment,
        async_client,
        token,
        5,
        lambda c: c.post(
            "/artifact/code/upload",
            params={"name": name, "version": "1.0.0"},
            content=package,
            headers={"content-type": "application/zip"},
        ),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert "uploaded already" in refused.json()["message"]
    after = artifact_listing(admin)
    assert [m["name"] for m in after if m not in before] == [name]
