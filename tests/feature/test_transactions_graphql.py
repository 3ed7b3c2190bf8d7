"""The executeTransaction mutation: all or none over GraphQL, with the registry's error codes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from registry.artifacts.schemas import ArtifactCreateRequest, ArtifactType
from registry.artifacts.service import Draft
from registry.db.engine import Database

MUTATION = """
mutation Run($ops: [OperationInput!]!) {
  executeTransaction(operations: $ops) {
    id state operations { index op status artifactId name type }
  }
}
"""


def plain(tag: str) -> str:
    """A plain URL, registered by reference."""
    return f"https://example.com/models/{tag}"


async def run(client: httpx.AsyncClient, ops: list[dict[str, Any]]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": MUTATION, "variables": {"ops": ops}})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def names(client: httpx.AsyncClient) -> list[str]:
    listing = await client.post("/artifacts", json=[{"name": "*"}])
    return sorted(a["name"] for a in listing.json())


async def test_a_group_commits_over_graphql(client: httpx.AsyncClient) -> None:
    made = await client.post("/artifact/model", json={"url": plain("old"), "name": "old"})
    old = made.json()["metadata"]["id"]
    body = await run(
        client,
        [
            {"op": "CREATE", "artifactType": "CODE", "url": plain("new"), "name": "new"},
            {"op": "UPDATE", "artifactType": "MODEL", "id": old, "url": plain("old-v2")},
            {"op": "DELETE", "artifactType": "MODEL", "id": old},
        ],
    )
    assert "errors" not in body, body
    result = body["data"]["executeTransaction"]
    assert result["state"] == "committed"
    assert [(o["op"], o["status"]) for o in result["operations"]] == [
        ("create", 201),
        ("update", 200),
        ("delete", 200),
    ]
    assert result["operations"][2] == {
        "index": 2,
        "op": "delete",
        "status": 200,
        "artifactId": old,
        "name": "old",
        "type": "MODEL",
    }
    assert await names(client) == ["new"]
    shown = await client.get(f"/transactions/{result['id']}")
    assert shown.json()["state"] == "committed"


async def test_a_failing_operation_applies_nothing(client: httpx.AsyncClient) -> None:
    body = await run(
        client,
        [
            {"op": "CREATE", "artifactType": "MODEL", "url": plain("a"), "name": "a"},
            {"op": "DELETE", "artifactType": "MODEL", "id": "12345"},
        ],
    )
    error = body["errors"][0]
    assert error["extensions"] == {"code": "not_found", "status": 404}
    assert error["message"].startswith("operation 1 (delete) failed, so nothing was applied")
    assert await names(client) == []


async def test_bad_operations_and_permissions(client: httpx.AsyncClient, make_user: Any) -> None:
    missing_url = await run(client, [{"op": "CREATE", "artifactType": "MODEL"}])
    assert missing_url["errors"][0]["extensions"]["status"] == 400
    empty = await run(client, [])
    assert empty["errors"][0]["message"] == "give at least one operation"
    reader = await make_user("reader")  # search but no upload permission
    refused = await run(reader, [{"op": "DELETE", "artifactType": "MODEL", "id": "1"}])
    assert refused["errors"][0]["extensions"] == {"code": "permission_denied", "status": 403}
    # Refused before any group was opened or anything applied.
    assert await names(client) == []


class HeldByTask:
    """Pooled connections by the task that checked them out (other tasks of the process, the
    job worker's say, may hold some of their own at any moment)."""

    def __init__(self, db: Database) -> None:
        self.pool = db.engine.sync_engine.pool
        self.held: dict[int, asyncio.Task[Any] | None] = {}
        event.listen(self.pool, "checkout", self._out)
        event.listen(self.pool, "checkin", self._in)

    def _out(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        self.held[id(record)] = asyncio.current_task()

    def _in(self, _dbapi: Any, record: Any) -> None:
        self.held.pop(id(record), None)

    def mine(self) -> int:
        """How many the current task (here: the request, run in the client's task) holds."""
        task = asyncio.current_task()
        return sum(1 for holder in self.held.values() if holder is task)

    def close(self) -> None:
        event.remove(self.pool, "checkout", self._out)
        event.remove(self.pool, "checkin", self._in)


async def test_the_mutation_holds_no_connection_while_it_fetches(
    client: httpx.AsyncClient, registry_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = registry_app.state.services
    prepare = svc.artifacts.prepare
    held = HeldByTask(svc.db)
    seen: list[int] = []

    async def fetching(artifact_type: ArtifactType, request: ArtifactCreateRequest) -> Draft:
        seen.append(held.mine())  # where the hub would be asked
        draft: Draft = await prepare(artifact_type, request)
        return draft

    monkeypatch.setattr(svc.artifacts, "prepare", fetching)
    try:
        body = await run(
            client,
            [
                {"op": "CREATE", "artifactType": "MODEL", "url": plain("a"), "name": "a"},
                {"op": "CREATE", "artifactType": "MODEL", "url": plain("b"), "name": "b"},
            ],
        )
    finally:
        held.close()
    assert "errors" not in body, body
    assert body["data"]["executeTransaction"]["state"] == "committed"
    assert seen == [0, 0]
    assert await names(client) == ["a", "b"]
