"""Ownership: an uploader cannot delete or repoint another uploader's artifact; admins can, and
every deletion leaves an audit entry that outlives the artifact."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.deployment import Account, Deployment
from tests.fixtures.registry_probe import artifact_listing, sql_rows

pytestmark = pytest.mark.security


def _url(label: str) -> str:
    return f"https://example.com/{label}-{secrets.token_hex(4)}"


@pytest.fixture
def owned(
    deployment: Deployment, client: Callable[..., httpx.Client], make_user: Callable[..., Account]
) -> dict[str, Any]:
    """A code artifact registered by an ordinary uploader (on the second process)."""
    owner = make_user(upload=True)
    created = client(deployment.second, owner.token).post(
        "/artifact/code", json={"url": _url("owned")}
    )
    assert created.status_code == 201, created.text
    return dict(created.json()["metadata"])


def test_another_uploader_cannot_delete(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    make_user: Callable[..., Account],
    owned: dict[str, Any],
) -> None:
    before = artifact_listing(admin)
    intruder = client(deployment.first, make_user(upload=True).token)
    response = intruder.delete(f"/artifacts/code/{owned['id']}")
    assert response.status_code == 403
    assert "or an admin may" in response.json()["message"]
    assert artifact_listing(admin) == before


def test_another_uploader_cannot_repoint(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    make_user: Callable[..., Account],
    owned: dict[str, Any],
) -> None:
    path = f"/artifacts/code/{owned['id']}"
    before = admin.get(path).json()
    intruder = client(deployment.first, make_user(upload=True).token)
    response = intruder.put(path, json={"metadata": owned, "data": {"url": _url("evil")}})
    assert response.status_code == 403
    assert "or an admin may" in response.json()["message"]
    assert admin.get(path).json() == before


def test_admin_deletes_and_the_deletion_is_audited(
    deployment: Deployment, admin: httpx.Client, owned: dict[str, Any]
) -> None:
    response = admin.delete(f"/artifacts/code/{owned['id']}")
    assert response.status_code == 200, response.text
    assert owned["id"] not in {m["id"] for m in artifact_listing(admin)}
    entries = sql_rows(
        deployment.database_url,
        "SELECT action, user_name FROM audit_entries WHERE artifact_id = $1 ORDER BY id",
        owned["id"],
    )
    assert entries[-1] == {"action": "DELETE", "user_name": "ece30861defaultadminuser"}


def test_the_owner_may_delete_their_own(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    make_user: Callable[..., Account],
) -> None:
    owner = client(deployment.first, make_user(upload=True).token)
    created = owner.post("/artifact/code", json={"url": _url("mine")})
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]
    assert owner.delete(f"/artifacts/code/{artifact_id}").status_code == 200
    assert artifact_id not in {m["id"] for m in artifact_listing(admin)}
