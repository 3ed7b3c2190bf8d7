"""One artifact per identity across two server processes on one PostgreSQL (and S3)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.fixtures import zips
from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD
from tests.fixtures.registry_processes import ServerProcess

pytestmark = pytest.mark.e2e
URL = "https://example.com/models/contested"


def _login(server: ServerProcess) -> str:
    response = httpx.put(
        f"{server.url}/authenticate",
        json={"user": {"name": ADMIN, "is_admin": True}, "secret": {"password": ADMIN_PASSWORD}},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json())


async def _race(
    servers: list[ServerProcess],
    token: str,
    count: int,
    send: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
) -> list[httpx.Response]:
    """`count` requests at once, spread over the servers in turn."""
    clients = [
        httpx.AsyncClient(base_url=s.url, headers={"X-Authorization": token}, timeout=60)
        for s in servers
    ]
    try:
        return list(await asyncio.gather(*(send(clients[i % len(clients)]) for i in range(count))))
    finally:
        for client in clients:
            await client.aclose()


def test_concurrent_creates_and_uploads_at_two_processes_store_one_artifact(
    start_server: Callable[[], ServerProcess],
) -> None:
    servers = [start_server(), start_server()]
    token = _login(servers[0])
    headers = {"X-Authorization": token}
    assert httpx.delete(f"{servers[0].url}/reset", headers=headers, timeout=30).status_code == 200

    created = asyncio.run(
        _race(servers, token, 20, lambda c: c.post("/artifact/model", json={"url": URL}))
    )
    assert sorted(r.status_code for r in created) == [201] + [409] * 19, [
        r.text for r in created if r.status_code not in (201, 409)
    ]
    assert all(URL in r.json()["message"] for r in created if r.status_code == 409)

    body = zips.tiny_zip()
    uploaded = asyncio.run(
        _race(
            servers,
            token,
            6,
            lambda c: c.post(
                "/artifact/model/upload",
                params={"name": "tiny", "version": "1.0.0"},
                content=body,
                headers={"content-type": "application/zip"},
            ),
        )
    )
    assert sorted(r.status_code for r in uploaded) == [201] + [409] * 5, [
        r.text for r in uploaded if r.status_code not in (201, 409)
    ]

    for server in servers:  # both processes see the same single artifact of each identity
        listing = httpx.post(
            f"{server.url}/artifacts", json=[{"name": "*"}], headers=headers, timeout=30
        )
        assert sorted(item["name"] for item in listing.json()) == ["contested", "tiny"]
    winner = next(r for r in uploaded if r.status_code == 201).json()["metadata"]["id"]
    for server in servers:  # the refused uploads left the winner's shared blobs in place
        download = httpx.get(
            f"{server.url}/artifacts/model/{winner}/download",
            headers=headers,
            timeout=30,
            follow_redirects=True,
        )
        assert download.status_code == 200
        zips.assert_rebuilt(download.content, zips.TINY_FILES)  # the files, rebuilt
