"""Two atomic groups touching one artifact, executed at once on two server processes on one
PostgreSQL (and S3): one commits, the other fails clearly and leaves nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures import zips
from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD
from tests.fixtures.registry_processes import ServerProcess

pytestmark = pytest.mark.e2e
ROUNDS = 3  # each round races two fresh groups


def plain(tag: str) -> str:
    """A plain URL, registered by reference."""
    return f"https://example.com/models/{tag}"


def _login(server: ServerProcess) -> str:
    response = httpx.put(
        f"{server.url}/authenticate",
        json={"user": {"name": ADMIN, "is_admin": True}, "secret": {"password": ADMIN_PASSWORD}},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json())


async def _group(client: httpx.AsyncClient, ops: list[dict[str, Any]], upload: str) -> str:
    """Open a group on this client's server, append the operations and a staged upload."""
    opened = await client.post("/transactions")
    assert opened.status_code == 201, opened.text
    tid = str(opened.json()["id"])
    for op in ops:
        appended = await client.post(f"/transactions/{tid}/operations", json=op)
        assert appended.status_code == 201, appended.text
    staged = await client.post(
        f"/transactions/{tid}/operations",
        params={"op": "upload", "artifact_type": "model", "name": upload, "version": "1.0.0"},
        content=zips.tiny_zip(),
        headers={"content-type": "application/zip"},
    )
    assert staged.status_code == 201, staged.text
    return tid


async def _names(client: httpx.AsyncClient) -> list[str]:
    listing = await client.post("/artifacts", json=[{"name": "*"}])
    assert listing.status_code == 200, listing.text
    return sorted(a["name"] for a in listing.json())


async def _race(servers: list[ServerProcess], token: str) -> None:
    clients = [
        httpx.AsyncClient(base_url=s.url, headers={"X-Authorization": token}, timeout=60)
        for s in servers
    ]
    try:
        for round_ in range(ROUNDS):
            made = await clients[0].post(
                "/artifact/model", json={"url": plain(f"target-{round_}"), "name": "target"}
            )
            assert made.status_code == 201, made.text
            target = made.json()["metadata"]["id"]
            before = await _names(clients[1])
            # Both delete the target and create one same identity; each stages its own upload.
            groups = [
                await _group(
                    client,
                    [
                        {
                            "op": "create",
                            "artifact_type": "code",
                            "url": plain(f"side-{round_}-{n}"),
                        },
                        {"op": "delete", "artifact_type": "model", "id": target},
                        {
                            "op": "create",
                            "artifact_type": "dataset",
                            "url": plain(f"same-{round_}"),
                        },
                    ],
                    upload=f"pkg-{round_}-{n}",
                )
                for n, client in enumerate(clients)
            ]
            done = await asyncio.gather(
                *(
                    c.post(f"/transactions/{tid}/execute")
                    for c, tid in zip(clients, groups, strict=True)
                )
            )
            statuses = sorted(r.status_code for r in done)
            assert statuses[0] == 200 and statuses[1] in (404, 409), [r.text for r in done]
            winner = next(n for n, r in enumerate(done) if r.status_code == 200)
            loser = done[1 - winner].json()
            assert loser["details"]["operation"] in (1, 2)
            assert "nothing was applied" in loser["message"]
            # Seen from either process: the winner's changes only, the loser's none.
            expected = sorted(
                [n for n in before if n != "target"]
                + [f"side-{round_}-{winner}", f"same-{round_}", f"pkg-{round_}-{winner}"]
            )
            for client in clients:
                assert await _names(client) == expected
            states = [
                (await c.get(f"/transactions/{tid}")).json()["state"]
                for c, tid in zip(clients, groups, strict=True)
            ]
            assert sorted(states) == ["committed", "failed"]
    finally:
        for client in clients:
            await client.aclose()


def test_two_groups_on_one_artifact_at_two_processes(
    start_server: Callable[[], ServerProcess],
) -> None:
    servers = [start_server(), start_server()]
    token = _login(servers[0])
    reset = httpx.delete(f"{servers[0].url}/reset", headers={"X-Authorization": token}, timeout=30)
    assert reset.status_code == 200
    asyncio.run(_race(servers, token))
