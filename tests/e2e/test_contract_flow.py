"""A black-box client replaying the contract's flows against real server processes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD
from tests.fixtures.registry_processes import ServerProcess

pytestmark = pytest.mark.e2e
HF = "https://huggingface.co"


def _login(client: httpx.Client) -> str:
    response = client.put(
        "/authenticate",
        json={"user": {"name": ADMIN, "is_admin": True}, "secret": {"password": ADMIN_PASSWORD}},
    )
    assert response.status_code == 200, response.text
    return str(response.json())


def test_contract_flow_on_postgres_and_s3(start_server: Callable[[], ServerProcess]) -> None:
    server = start_server()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.headers["X-Authorization"] = _login(client)
        assert client.delete("/reset").status_code == 200

        bert = client.post("/artifact/model", json={"url": f"{HF}/google-bert/bert-base-uncased"})
        assert bert.status_code == 201, bert.text
        bert_meta = bert.json()["metadata"]

        async def burst() -> list[httpx.Response]:
            async with httpx.AsyncClient(
                base_url=server.url, headers=dict(client.headers), timeout=30
            ) as ac:
                return list(
                    await asyncio.gather(
                        *(
                            ac.post("/artifact/code", json={"url": f"https://example.com/tool-{i}"})
                            for i in range(30)
                        )
                    )
                )

        responses = asyncio.run(burst())
        assert [r.status_code for r in responses] == [201] * 30
        assert len({r.json()["metadata"]["id"] for r in responses}) == 30

        listing = client.post("/artifacts", json=[{"name": "*"}])
        assert listing.status_code == 200
        assert len(listing.json()) == 31
        assert client.get("/artifact/byName/bert-base-uncased").json() == [bert_meta]
        assert client.post("/artifact/byRegEx", json={"regex": "BookCorpus"}).json() == [bert_meta]
        assert client.post("/artifact/byRegEx", json={"regex": "(a|aa)*$"}).status_code == 400

        path = f"/artifacts/model/{bert_meta['id']}"
        assert client.get(path).json()["metadata"] == bert_meta
        updated = client.put(
            path, json={"metadata": bert_meta, "data": {"url": f"{HF}/acme/bert-finetuned-sst2"}}
        )
        assert updated.status_code == 200
        trail = client.get(f"/artifact/model/{bert_meta['id']}/audit").json()
        assert [e["action"] for e in trail] == ["CREATE", "UPDATE"]
        assert client.delete(path).status_code == 200
        assert client.get(path).status_code == 404

        health = client.get("/health/components").json()
        statuses = {c["id"]: c["status"] for c in health["components"]}
        assert statuses["database"] == "ok"
        assert statuses["blob-store"] == "ok"


def test_token_budget_is_shared_by_two_processes(start_server: Callable[[], ServerProcess]) -> None:
    first, second = start_server(), start_server()
    with httpx.Client(base_url=first.url, timeout=30) as client:
        token = _login(client)

    async def hammer() -> list[int]:
        headers = {"X-Authorization": token}
        # 1040 queued requests over 50 connections: no pool timeout; connect and read get 60 s
        # (a shared 2-core machine under other load once took over 30 s to accept).
        timeout = httpx.Timeout(60, pool=None)
        # No keep-alive reuse: a connection idle for the server's keep-alive timeout (5 s, as
        # long as httpx's own expiry) can be closed just as a request goes out on it, and the
        # request then fails with "disconnected without sending a response" (seen under load).
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)
        async with httpx.AsyncClient(headers=headers, timeout=timeout, limits=limits) as ac:
            calls = [
                ac.get(f"{server.url}/users/{ADMIN}")
                for server in (first, second)
                for _ in range(520)
            ]
            return [r.status_code for r in await asyncio.gather(*calls)]

    statuses = asyncio.run(hammer())
    assert statuses.count(200) == 1000
    assert statuses.count(403) == 40
